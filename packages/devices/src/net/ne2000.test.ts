// The NE2000 driven as a driver drives it, through its ports only: the PROM read in byte and
// word mode, transmit from buffer memory, reception into the ring with the 4-byte headers and
// wrap-around, the address filters, a full ring, remote DMA completion, interrupts, reset and a
// snapshot round trip.
import { describe, expect, it } from "vitest";
import { DeviceHarness } from "../testing/harness.ts";
import { multicastBit, Ne2000 } from "./ne2000.ts";

const BASE = 0x300;
const MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);

function rig() {
  const h = new DeviceHarness();
  const irq = h.irq("irq");
  const sent: Uint8Array[] = [];
  const nic = new Ne2000({ mac: MAC, irq, onTransmit: (f) => sent.push(f) });
  h.attach(nic.ioSurface(BASE));
  const out = (reg: number, v: number) => h.outb(BASE + reg, v);
  const inp = (reg: number) => h.inb(BASE + reg);
  /** Remote DMA read of n bytes from addr, word mode. */
  const dmaRead = (addr: number, n: number): number[] => {
    out(0x0a, n & 0xff);
    out(0x0b, n >> 8);
    out(0x08, addr & 0xff);
    out(0x09, addr >> 8);
    out(0x00, 0x0a); // STA, remote read
    const r: number[] = [];
    for (let i = 0; i < n; i += 2) {
      const w = h.inw(BASE + 0x10);
      r.push(w & 0xff, w >> 8);
    }
    return r.slice(0, n);
  };
  const dmaWrite = (addr: number, data: number[]): void => {
    out(0x0a, data.length & 0xff);
    out(0x0b, data.length >> 8);
    out(0x08, addr & 0xff);
    out(0x09, addr >> 8);
    out(0x00, 0x12); // STA, remote write
    for (let i = 0; i < data.length; i += 2) h.outw(BASE + 0x10, data[i] | ((data[i + 1] ?? 0) << 8));
  };
  /** A driver's start-up: word mode, ring 46h-80h, BNRY 46h, CURR 47h, the station address, started. */
  const start = (rcr = 0x04) => {
    out(0x00, 0x21); // page 0, stop, abort DMA
    out(0x0e, 0x49); // DCR: word-wide, normal, FIFO 8 bytes
    out(0x0a, 0);
    out(0x0b, 0);
    out(0x0c, rcr);
    out(0x0d, 0x00);
    out(0x01, 0x46);
    out(0x02, 0x80);
    out(0x03, 0x46);
    out(0x04, 0x40);
    out(0x07, 0xff);
    out(0x0f, 0x3f); // every interrupt but RDC
    out(0x00, 0x61); // page 1
    for (let i = 0; i < 6; i++) out(0x01 + i, MAC[i]);
    out(0x07, 0x47); // CURR
    out(0x00, 0x22); // page 0, start
  };
  return { h, irq, nic, sent, out, inp, dmaRead, dmaWrite, start };
}

function frame(dest: number[], len: number, seed = 1): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dest, 0);
  f.set(MAC, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  for (let i = 14; i < len; i++) f[i] = (i * 7 + seed) & 0xff;
  return f;
}

describe("NE2000", () => {
  it("reads its PROM: each byte twice in byte mode, the station address in word mode by bytes, 57h 57h", () => {
    const { h, out } = rig();
    out(0x00, 0x21);
    out(0x0e, 0x48); // byte-wide
    out(0x0a, 32);
    out(0x0b, 0);
    out(0x08, 0);
    out(0x09, 0);
    out(0x00, 0x0a);
    const prom = Array.from({ length: 32 }, () => h.inb(BASE + 0x10));
    expect(prom.slice(0, 12)).toEqual([...MAC].flatMap((b) => [b, b]));
    expect(prom.slice(28, 32)).toEqual([0x57, 0x57, 0x57, 0x57]);
    out(0x0e, 0x49); // word-wide: byte reads step by a word
    out(0x08, 0);
    out(0x09, 0);
    out(0x0a, 12);
    out(0x00, 0x0a);
    expect(Array.from({ length: 6 }, () => h.inb(BASE + 0x10))).toEqual([...MAC]);
  });

  it("transmits from buffer memory and raises PTX, and signals remote DMA completion", () => {
    const { irq, sent, out, inp, dmaWrite, start } = rig();
    start();
    const f = frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 98);
    dmaWrite(0x4000, [...f]);
    expect(inp(0x07) & 0x40).toBe(0x40); // RDC
    expect(irq.level).toBe(false); // RDC is masked
    out(0x04, 0x40);
    out(0x05, f.length);
    out(0x06, 0);
    out(0x00, 0x26); // STA, TXP, abort DMA
    expect(sent).toHaveLength(1);
    expect([...sent[0]]).toEqual([...f]);
    expect(inp(0x07) & 0x02).toBe(0x02);
    expect(inp(0x04) & 0x01).toBe(1); // TSR.PTX
    expect(irq.level).toBe(true);
    out(0x07, 0x02);
    expect(irq.level).toBe(false);
    expect(inp(0x00) & 0x04).toBe(0); // TXP clears when the frame has gone
  });

  it("receives frames for its address into the ring with headers, and wraps at PSTOP", () => {
    const { nic, irq, out, inp, dmaRead, start } = rig();
    start();
    // Fill up to near the end of the ring so that the fourth frame wraps from page 7Fh to 46h.
    const frames: Uint8Array[] = [];
    let page = 0x47;
    for (let k = 0; k < 60 && page < 0x7e; k++) {
      const f = frame([...MAC], 400 + k, k);
      expect(nic.receive(f)).toBe(true);
      frames.push(f);
      // The driver reads each packet as it comes and moves BNRY behind it.
      const hdr = dmaRead(page << 8, 4);
      expect(hdr[0] & 0x01).toBe(1); // PRX
      expect(hdr[2] | (hdr[3] << 8)).toBe(f.length + 4);
      const data = dmaRead((page << 8) + 4, f.length);
      expect(data).toEqual([...f]);
      page = hdr[1];
      out(0x03, page === 0x46 ? 0x7f : page - 1);
    }
    const wrapped = frame([...MAC], 1000, 99);
    expect(nic.receive(wrapped)).toBe(true);
    const hdr = dmaRead(page << 8, 4);
    expect(hdr[1]).toBeLessThan(page); // the next packet starts after the wrap
    // The remote DMA wraps from PSTOP to PSTART as the receiver did.
    expect(dmaRead((page << 8) + 4, wrapped.length)).toEqual([...wrapped]);
    expect(inp(0x07) & 0x01).toBe(1);
    expect(irq.level).toBe(true);
    out(0x00, 0x62);
    expect(inp(0x07)).toBe(hdr[1]); // CURR on page 1
  });

  it("filters: other stations' frames, broadcast by AB, multicast by the MAR hash, all with PRO", () => {
    const { nic, out, start } = rig();
    start(0x00);
    const bcast = frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 60);
    const other = frame([0x52, 0x54, 0, 0, 0, 1], 60);
    const mcast = frame([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01], 60);
    expect(nic.receive(bcast)).toBe(false);
    expect(nic.receive(other)).toBe(false);
    out(0x0c, 0x04); // AB
    expect(nic.receive(bcast)).toBe(true);
    expect(nic.rsr & 0x20).toBe(0x20); // PHY: a multicast or broadcast destination
    out(0x0c, 0x08); // AM, but an empty hash filter
    expect(nic.receive(mcast)).toBe(false);
    const bit = multicastBit(mcast);
    out(0x00, 0x62);
    out(0x08 + (bit >> 3), 1 << (bit & 7));
    out(0x00, 0x22);
    expect(nic.receive(mcast)).toBe(true);
    out(0x0c, 0x10); // PRO
    expect(nic.receive(other)).toBe(true);
  });

  it("loses a frame that finds the ring full and reports the overwrite warning", () => {
    const { nic, inp, start } = rig();
    start();
    let taken = 0;
    while (nic.canReceive(1500)) {
      expect(nic.receive(frame([...MAC], 1500, taken))).toBe(true);
      taken++;
    }
    expect(taken).toBe(9); // 57 pages from CURR to BNRY, six per frame
    expect(nic.receive(frame([...MAC], 1500))).toBe(false);
    expect(inp(0x07) & 0x10).toBe(0x10);
    expect(nic.framesLost).toBe(1);
    // Frames that fill the ring up to BNRY leave CURR = BNRY: full, not empty.
    const r = rig();
    r.start();
    r.out(0x03, 0x47 + 6); // BNRY six pages after CURR
    expect(r.nic.receive(frame([...MAC], 1500))).toBe(true);
    expect(r.nic.curr).toBe(r.nic.bnry);
    expect(r.nic.canReceive(60)).toBe(false);
    expect(r.nic.receive(frame([...MAC], 60))).toBe(false);
  });

  it("holds frames back from a full ring only while a receive status is pending: else it overflows", () => {
    // Linux's lib8390 ei_receive: read CURR, take the packets up to it moving BNRY, stop when
    // BNRY + 1 = CURR, then acknowledge PRX and RXE. Frames the host hands over between the
    // last look at CURR and that acknowledgement fill the ring with nothing pending.
    const { nic, irq, out, inp, start } = rig();
    start();
    const fill = () => {
      let n = 0;
      while (nic.canReceive(1514) && nic.receive(frame([...MAC], 1514, n))) n++;
      return n;
    };
    const takeAll = () => {
      out(0x00, 0x62); // page 1
      const curr = inp(0x07);
      out(0x00, 0x22);
      out(0x03, curr === 0x46 ? 0x7f : curr - 1); // BNRY one page behind CURR
    };
    expect(fill()).toBe(9);
    expect(irq.level).toBe(true);
    takeAll(); // the driver took the nine, and found no more
    expect(fill()).toBe(9); // the host's pump falls here
    out(0x07, 0x05); // the driver's acknowledgement of PRX and RXE
    expect(irq.level).toBe(false);
    expect((nic.bnry - nic.curr + 0x3a) % 0x3a).toBeLessThan(6); // pages free: no room for 1514 bytes
    // Nothing pending: the next frame is not held back (it would wait forever); it overflows.
    expect(nic.canReceive(1514)).toBe(true);
    expect(nic.receive(frame([...MAC], 1514))).toBe(false);
    expect(nic.framesLost).toBe(1);
    expect(inp(0x07) & 0x10).toBe(0x10);
    expect(irq.level).toBe(true);
    // The overflow pending, frames wait for the driver's recovery again.
    expect(nic.canReceive(1514)).toBe(false);
    takeAll();
    out(0x07, 0x15);
    expect(fill()).toBe(9);
    // A small frame that fits is taken whatever is pending; a large one waits for the driver.
    const r = rig();
    r.start();
    r.out(0x03, 0x47 + 6);
    expect(r.nic.receive(frame([...MAC], 60))).toBe(true);
    expect(r.nic.canReceive(60)).toBe(true);
    expect(r.nic.canReceive(1514)).toBe(false);
  });

  it("resets on a read of the reset port, and refuses frames while stopped", () => {
    const { h, nic, inp, start } = rig();
    start();
    expect(inp(0x07) & 0x80).toBe(0);
    h.inb(BASE + 0x1f);
    expect(inp(0x00)).toBe(0x21);
    expect(inp(0x07) & 0x80).toBe(0x80);
    expect(nic.receive(frame([...MAC], 100))).toBe(false);
  });

  it("keeps its buffer, ring and registers through a snapshot, and drives its line from them", () => {
    const a = rig();
    a.start();
    a.nic.receive(frame([...MAC], 300));
    const saved = a.nic.saveState();
    const b = rig();
    b.nic.loadState(saved, Ne2000.STATE.version);
    expect(b.irq.level).toBe(true);
    expect(b.dmaRead(0x4704, 300)).toEqual([...frame([...MAC], 300)]);
    b.out(0x00, 0x62);
    expect(b.inp(0x07)).toBe(a.nic.curr);
  });
});
