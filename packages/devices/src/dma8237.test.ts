import { describe, it, expect } from "vitest";
import { StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import {
  Dma8237,
  PC_DMA1_BASE,
  PC_DMA2_BASE,
  PC_DMA_PAGE_BASE,
  DMA_MODE_SINGLE,
  DMA_TYPE_WRITE,
  DMA_TYPE_READ,
  DMA_TYPE_VERIFY,
  DMA_MODE_AUTOINIT,
  DMA_MODE_DECREMENT,
  DMA_MODE_CASCADE,
} from "./dma8237.ts";

/** 16 MiB of fake guest memory (ISA DMA reaches 24 address bits). */
class FakeMemory {
  readonly bytes = new Uint8Array(1 << 24);
  read8(addr: number): number {
    return this.bytes[addr & 0xffffff];
  }
  write8(addr: number, v: number): void {
    this.bytes[addr & 0xffffff] = v;
  }
}

// DMA1 ports, and DMA2 ports (register n at 0xC0 + 2n).
const D1 = {
  mask: 0x0a,
  mode: 0x0b,
  ff: 0x0c,
  status: 0x08,
  command: 0x08,
  request: 0x09,
  master: 0x0d,
  clearMask: 0x0e,
  allMask: 0x0f,
};
const D2 = { mask: 0xd4, mode: 0xd6, ff: 0xd8, status: 0xd0, allMask: 0xde };
const PAGE = [0x87, 0x83, 0x81, 0x82, 0x8f, 0x8b, 0x89, 0x8a];

function setup() {
  const h = new DeviceHarness();
  const mem = new FakeMemory();
  const dma = new Dma8237(mem);
  h.attach(dma.ioSurface(PC_DMA1_BASE, PC_DMA2_BASE, PC_DMA_PAGE_BASE));
  // As a BIOS does: channel 4 in cascade mode and unmasked, so DMA1 reaches the bus.
  h.outb(D2.mode, DMA_MODE_CASCADE | 0);
  h.outb(D2.mask, 0x00);
  return { h, mem, dma };
}

/** Programs a channel the way a BIOS does; for channels 4-7 `addr` and `count` are in words. */
function program(h: DeviceHarness, ch: number, mode: number, addr: number, page: number, count: number): void {
  const d = ch < 4 ? D1 : D2;
  const n = ch & 3;
  const addrPort = ch < 4 ? n * 2 : 0xc0 + n * 4;
  const countPort = ch < 4 ? n * 2 + 1 : 0xc0 + n * 4 + 2;
  h.outb(d.mask, 0x04 | n); // mask
  h.outb(d.ff, 0);
  h.outb(d.mode, mode | n);
  h.outb(addrPort, addr & 0xff);
  h.outb(addrPort, (addr >> 8) & 0xff);
  h.outb(PAGE[ch], page);
  h.outb(d.ff, 0);
  h.outb(countPort, count & 0xff);
  h.outb(countPort, (count >> 8) & 0xff);
  h.outb(d.mask, n); // unmask
}

function read16(h: DeviceHarness, ffPort: number, port: number): number {
  h.outb(ffPort, 0);
  const lo = h.inb(port);
  return lo | (h.inb(port) << 8);
}

const pattern = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

describe("8237A DMA", () => {
  it("moves a device buffer into memory as programmed by a BIOS (mode 0x46) and reports TC", () => {
    const { h, mem, dma } = setup();
    program(h, 2, 0x46, 0x1234, 0x05, 511);
    const src = pattern(600);
    const ch = dma.channel(2);
    expect(ch.transfer(src, 0, 600)).toBe(512);
    expect(ch.terminalCount).toBe(true);
    expect(mem.bytes.subarray(0x51234, 0x51234 + 512)).toEqual(src.subarray(0, 512));
    expect(mem.bytes[0x51234 + 512]).toBe(0);
    expect(mem.bytes[0x51233]).toBe(0);
    // Status: TC for channel 2, cleared by the read.
    expect(h.inb(D1.status) & 0x0f).toBe(0x04);
    expect(h.inb(D1.status) & 0x0f).toBe(0x00);
    // Without auto-init the channel masks itself at TC.
    expect(ch.transfer(src, 0, 10)).toBe(0);
    expect(ch.terminalCount).toBe(false);
  });

  it("counts down through partial transfers, readable through the flip-flop", () => {
    const { h, dma } = setup();
    program(h, 1, DMA_MODE_SINGLE | DMA_TYPE_WRITE, 0x2000, 0, 0x03ff);
    expect(dma.transfer(1, new Uint8Array(100), 0, 100)).toBe(100);
    expect(dma.terminalCount).toBe(false);
    expect(read16(h, D1.ff, 0x02)).toBe(0x2000 + 100);
    expect(read16(h, D1.ff, 0x03)).toBe(0x03ff - 100);
    expect(h.inb(D1.status) & 0x0f).toBe(0);
  });

  it("reloads base address and count at TC in auto-initialize mode and stays unmasked", () => {
    const { h, mem, dma } = setup();
    program(h, 2, DMA_MODE_SINGLE | DMA_TYPE_WRITE | DMA_MODE_AUTOINIT, 0x0100, 0x01, 3);
    expect(dma.transfer(2, Uint8Array.of(1, 2, 3, 4, 5, 6), 0, 6)).toBe(4);
    expect(dma.terminalCount).toBe(true);
    expect(read16(h, D1.ff, 0x04)).toBe(0x0100);
    expect(read16(h, D1.ff, 0x05)).toBe(3);
    expect(dma.transfer(2, Uint8Array.of(9, 8), 0, 2)).toBe(2);
    expect(Array.from(mem.bytes.subarray(0x10100, 0x10104))).toEqual([9, 8, 3, 4]);
    expect(h.inb(D1.status) & 0x04).toBe(0x04);
  });

  it("decrements the address in decrement mode", () => {
    const { h, mem, dma } = setup();
    program(h, 3, DMA_MODE_SINGLE | DMA_TYPE_WRITE | DMA_MODE_DECREMENT, 0x0010, 0x02, 2);
    expect(dma.transfer(3, Uint8Array.of(0xa, 0xb, 0xc), 0, 3)).toBe(3);
    expect(Array.from(mem.bytes.subarray(0x2000e, 0x20011))).toEqual([0xc, 0xb, 0xa]);
    expect(dma.terminalCount).toBe(true);
  });

  it("reads memory into the device buffer in read mode, and touches nothing in verify mode", () => {
    const { h, mem, dma } = setup();
    mem.bytes.set(pattern(16, 7), 0x30040);
    program(h, 2, DMA_MODE_SINGLE | DMA_TYPE_READ, 0x0040, 0x03, 15);
    const buf = new Uint8Array(16);
    expect(dma.transfer(2, buf, 0, 16)).toBe(16);
    expect(buf).toEqual(pattern(16, 7));

    program(h, 2, DMA_MODE_SINGLE | DMA_TYPE_VERIFY, 0x0040, 0x03, 15);
    const junk = new Uint8Array(16).fill(0x55);
    expect(dma.transfer(2, junk, 0, 8)).toBe(8);
    expect(mem.bytes.subarray(0x30040, 0x30050)).toEqual(pattern(16, 7));
    expect(junk.every((b) => b === 0x55)).toBe(true);
    expect(read16(h, D1.ff, 0x04)).toBe(0x0048);
  });

  it("addresses 16-bit channels in words: page bit 0 ignored, address shifted by one", () => {
    const { h, mem, dma } = setup();
    program(h, 5, DMA_MODE_SINGLE | DMA_TYPE_WRITE, 0x1000, 0x03, 3); // 4 words
    const src = pattern(10, 3);
    expect(dma.transfer(5, src, 0, 10)).toBe(8);
    expect(dma.terminalCount).toBe(true);
    expect(mem.bytes.subarray(0x22000, 0x22008)).toEqual(src.subarray(0, 8));
    expect(mem.bytes[0x32000]).toBe(0);
    expect(h.inb(D2.status) & 0x0f).toBe(0x02);
  });

  it("wraps the address within the 64 KiB page without touching the page register", () => {
    const { h, mem, dma } = setup();
    program(h, 2, DMA_MODE_SINGLE | DMA_TYPE_WRITE, 0xfffe, 0x01, 3);
    expect(dma.transfer(2, Uint8Array.of(1, 2, 3, 4), 0, 4)).toBe(4);
    expect(Array.from(mem.bytes.subarray(0x1fffe, 0x20000))).toEqual([1, 2]);
    expect(Array.from(mem.bytes.subarray(0x10000, 0x10002))).toEqual([3, 4]);
    expect(mem.bytes[0x20000]).toBe(0);
    expect(h.inb(0x81)).toBe(0x01);
  });

  it("wraps a 16-bit channel within its 128 KiB page", () => {
    const { h, mem, dma } = setup();
    program(h, 6, DMA_MODE_SINGLE | DMA_TYPE_WRITE, 0xffff, 0x02, 1);
    expect(dma.transfer(6, Uint8Array.of(1, 2, 3, 4), 0, 4)).toBe(4);
    expect(Array.from(mem.bytes.subarray(0x3fffe, 0x40000))).toEqual([1, 2]);
    expect(Array.from(mem.bytes.subarray(0x20000, 0x20002))).toEqual([3, 4]);
    expect(mem.bytes[0x40000]).toBe(0);
  });

  it("transfers nothing on a masked channel, a disabled controller, or without the channel 4 cascade", () => {
    const { h, mem, dma } = setup();
    program(h, 2, 0x46, 0x0000, 0x04, 15);
    h.outb(D1.mask, 0x04 | 2);
    expect(dma.transfer(2, pattern(16), 0, 16)).toBe(0);
    h.outb(D1.mask, 2);
    h.outb(D1.command, 0x04); // controller disable
    expect(dma.transfer(2, pattern(16), 0, 16)).toBe(0);
    h.outb(D1.command, 0x00);
    h.outb(D2.mask, 0x04 | 0); // mask the cascade channel
    expect(dma.transfer(2, pattern(16), 0, 16)).toBe(0);
    expect(mem.bytes.subarray(0x40000, 0x40010).every((b) => b === 0)).toBe(true);
    h.outb(D2.mask, 0);
    expect(dma.transfer(2, pattern(16), 0, 16)).toBe(16);
    // Channel 4 itself is the cascade: it never moves data for a device.
    expect(dma.transfer(4, pattern(4), 0, 4)).toBe(0);
  });

  it("handles master clear, clear mask, all-mask and the request bits of the status register", () => {
    const { h, dma } = setup();
    program(h, 1, 0x46, 0, 0, 15);
    h.outb(D1.request, 0x04 | 3);
    h.outb(D1.request, 0x04 | 1);
    h.outb(D1.request, 0x00 | 1);
    dma.setDreq(0, true);
    expect(h.inb(D1.status) >> 4).toBe(0b1001);
    dma.setDreq(0, false);
    h.outb(D1.master, 0);
    expect(h.inb(D1.status)).toBe(0);
    expect(dma.transfer(1, pattern(4), 0, 4)).toBe(0); // master clear masks every channel
    h.outb(D1.clearMask, 0);
    expect(dma.transfer(1, pattern(4), 0, 4)).toBe(4);
    h.outb(D1.allMask, 0x02);
    expect(dma.transfer(1, pattern(4), 0, 4)).toBe(0);
    // The unused page registers hold their values; DMA2's odd ports alias the even ones.
    h.outb(0x84, 0x5a);
    expect(h.inb(0x84)).toBe(0x5a);
    h.outb(D2.ff, 0);
    h.outb(0xc5, 0x34); // channel 5 address, low byte, through the odd alias
    h.outb(0xc4, 0x12);
    expect(read16(h, D2.ff, 0xc4)).toBe(0x1234);
  });

  it("round-trips its state and continues identically", () => {
    const a = setup();
    program(a.h, 2, 0x46, 0x8000, 0x07, 0x1ff);
    program(a.h, 5, DMA_MODE_SINGLE | DMA_TYPE_WRITE | DMA_MODE_AUTOINIT, 0x0400, 0x02, 7);
    a.dma.transfer(2, pattern(100), 0, 100);
    a.dma.transfer(5, pattern(6), 0, 6);
    a.h.outb(D1.ff, 0);
    a.h.inb(0x04); // leave DMA1's flip-flop pointing at the high byte
    const saved = cloneState(a.dma.saveState());

    const b = setup();
    b.dma.loadState(saved, 1);
    expect(b.dma.saveState()).toEqual(a.dma.saveState());
    for (const s of [a, b]) {
      expect(s.h.inb(0x04)).toBe((0x8000 + 100) >> 8);
      expect(s.dma.transfer(2, pattern(600, 9), 0, 600)).toBe(412);
      expect(s.dma.terminalCount).toBe(true);
      expect(s.dma.transfer(5, pattern(40, 4), 0, 40)).toBe(10);
    }
    // Memory written after the restore (b's RAM never saw the bytes moved before the save).
    expect(b.mem.bytes.subarray(0x78064, 0x78200)).toEqual(a.mem.bytes.subarray(0x78064, 0x78200));
    expect(b.mem.bytes.subarray(0x78064, 0x78200)).toEqual(pattern(600, 9).subarray(0, 412));
    expect(b.mem.bytes.subarray(0x20806, 0x20810)).toEqual(a.mem.bytes.subarray(0x20806, 0x20810));
    expect(b.h.inb(D1.status)).toBe(a.h.inb(D1.status));
  });

  it("refuses corrupt state with StateError and stays unchanged", () => {
    const { h, dma } = setup();
    program(h, 2, 0x46, 0x1234, 0x05, 511);
    const before = dma.saveState();
    const bad = (mutate: (s: any) => void) => {
      const s = cloneState(before) as any;
      mutate(s);
      expect(() => dma.loadState(s, 1)).toThrow(StateError);
      expect(dma.saveState()).toEqual(before);
    };
    bad((s) => {
      s.channels[2].currentAddress = 0x10000;
    });
    bad((s) => {
      s.channels[7].mode = "x";
    });
    bad((s) => {
      s.channels[1].mode = 0x47;
    });
    bad((s) => {
      s.controllers[1].mask = 16;
    });
    bad((s) => {
      s.controllers = [s.controllers[0]];
    });
    bad((s) => {
      s.pageRegisters = new Uint8Array(8);
    });
    bad((s) => {
      s.controllers[0].flipFlop = 1;
    });
    bad((s) => {
      delete s.channels;
    });
  });
});
