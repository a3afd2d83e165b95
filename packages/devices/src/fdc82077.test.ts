import { describe, it, expect } from "vitest";
import { CowDisk, DiskFormatError, MemoryDisk, StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import { Dma8237, PC_DMA1_BASE, PC_DMA2_BASE, PC_DMA_PAGE_BASE } from "./dma8237.ts";
import { Fdc82077, PC_FDC_BASE, type Fdc82077Options } from "./fdc82077.ts";

const DOR = PC_FDC_BASE + 2,
  MSR = PC_FDC_BASE + 4,
  DSR = MSR,
  FIFO = PC_FDC_BASE + 5,
  DIR = PC_FDC_BASE + 7,
  CCR = DIR;
const SIZE_1440K = 1474560,
  SIZE_720K = 737280;

class FakeMemory {
  readonly bytes = new Uint8Array(1 << 24);
  read8(addr: number): number {
    return this.bytes[addr & 0xffffff];
  }
  write8(addr: number, v: number): void {
    this.bytes[addr & 0xffffff] = v;
  }
}

/** Byte i of sector `lba`: distinct for every sector and offset. */
const sectorByte = (lba: number, i: number) => (lba * 31 + i * 7 + (lba >> 3)) & 0xff;
function sectorBytes(lba: number): Uint8Array {
  return Uint8Array.from({ length: 512 }, (_, i) => sectorByte(lba, i));
}
function image(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let lba = 0; lba < size / 512; lba++) b.set(sectorBytes(lba), lba * 512);
  return b;
}

function setup(opts: Fdc82077Options = {}, size = SIZE_1440K) {
  const h = new DeviceHarness();
  const mem = new FakeMemory();
  const dma = new Dma8237(mem);
  h.attach(dma.ioSurface(PC_DMA1_BASE, PC_DMA2_BASE, PC_DMA_PAGE_BASE));
  const irq = h.irq("irq6");
  const fdc = new Fdc82077(h.clock, irq, dma.channel(2), opts);
  h.attach(fdc.ioSurface(PC_FDC_BASE), fdc);
  h.outb(0xd6, 0xc0); // channel 4 cascade, unmasked, as the BIOS leaves it
  h.outb(0xd4, 0x00);
  const base = new MemoryDisk(image(size));
  const disk = new CowDisk(base);
  fdc.insert(0, disk);
  return { h, mem, dma, fdc, irq, base, disk };
}
type Env = ReturnType<typeof setup>;

/** Writes command bytes, checking the MSR handshake before each. */
function cmd(h: DeviceHarness, ...bytes: number[]): void {
  for (const b of bytes) {
    expect(h.inb(MSR) & 0xc0).toBe(0x80);
    h.outb(FIFO, b);
  }
}
/** Reads result bytes while the MSR says the controller has some. */
function results(h: DeviceHarness): number[] {
  const out: number[] = [];
  while ((h.inb(MSR) & 0xc0) === 0xc0 && out.length < 16) out.push(h.inb(FIFO));
  return out;
}
function resetFdc(env: Env): void {
  env.h.outb(DOR, 0x00);
  env.h.outb(DOR, 0x1c); // motor 0 on, DMA/IRQ enabled, out of reset, drive 0
  expect(env.irq.level).toBe(true);
  for (let d = 0; d < 4; d++) {
    cmd(env.h, 0x08);
    expect(results(env.h)).toEqual([0xc0 | d, 0]);
  }
  expect(env.irq.level).toBe(false);
}
function seek(env: Env, drive: number, head: number, cyl: number): number[] {
  cmd(env.h, 0x0f, (head << 2) | drive, cyl);
  expect(env.irq.level).toBe(true);
  cmd(env.h, 0x08);
  return results(env.h);
}
/** DMA channel 2 as a BIOS programs it; count is bytes - 1. */
function dma2(h: DeviceHarness, mode: number, addr: number, count: number): void {
  h.outb(0x0a, 0x06);
  h.outb(0x0c, 0);
  h.outb(0x0b, mode);
  h.outb(0x04, addr & 0xff);
  h.outb(0x04, (addr >> 8) & 0xff);
  h.outb(0x81, addr >> 16);
  h.outb(0x0c, 0);
  h.outb(0x05, count & 0xff);
  h.outb(0x05, count >> 8);
  h.outb(0x0a, 0x02);
}
const lba1440 = (c: number, hd: number, r: number) => (c * 2 + hd) * 18 + r - 1;

describe("82077AA floppy controller", () => {
  it("holds reset while DOR bit 2 is low, then interrupts and reports four ready changes", () => {
    const env = setup();
    const { h, irq } = env;
    expect(h.inb(MSR)).toBe(0x00); // power-on: held in reset
    resetFdc(env);
    expect(h.inb(MSR)).toBe(0x80);
    cmd(h, 0x08);
    expect(results(h)).toEqual([0x80]); // nothing more to report: invalid
    expect(irq.rises).toBe(1);
    // A DSR software reset does the same and clears itself.
    h.outb(DSR, 0x80);
    expect(irq.level).toBe(true);
    expect(h.inb(DOR)).toBe(0x1c);
    cmd(h, 0x08);
    expect(results(h)).toEqual([0xc0, 0]);
    expect(irq.level).toBe(false);
  });

  it("gates INT with the DOR DMA bit", () => {
    const { h, irq } = setup();
    h.outb(DOR, 0x04); // out of reset, INT/DRQ gated off
    expect(irq.level).toBe(false);
    h.outb(DOR, 0x0c);
    expect(irq.level).toBe(true);
    h.outb(DOR, 0x04);
    expect(irq.level).toBe(false);
  });

  it("seeks and recalibrates, with drive busy bits until SENSE INTERRUPT STATUS", () => {
    const env = setup();
    const { h, irq } = env;
    resetFdc(env);
    cmd(h, 0x0f, 0x04, 10);
    expect(irq.level).toBe(true);
    expect(h.inb(MSR)).toBe(0x81);
    cmd(h, 0x08);
    expect(results(h)).toEqual([0x24, 10]); // seek end, head 1, drive 0
    expect(irq.level).toBe(false);
    expect(h.inb(MSR)).toBe(0x80);
    // Relative seeks: 0xCF steps inward, 0x8F outward.
    cmd(h, 0xcf, 0x00, 5);
    cmd(h, 0x08);
    expect(results(h)).toEqual([0x20, 15]);
    cmd(h, 0x8f, 0x00, 3);
    cmd(h, 0x08);
    expect(results(h)).toEqual([0x20, 12]);
    cmd(h, 0x07, 0x00);
    expect(irq.level).toBe(true);
    cmd(h, 0x08);
    expect(results(h)).toEqual([0x20, 0]);
    // Drive 2 is not connected: no track 0 signal, equipment check.
    cmd(h, 0x07, 0x02);
    cmd(h, 0x08);
    expect(results(h)).toEqual([0x72, 0]);
    // SENSE DRIVE STATUS: track 0, ready/two-side ones, head and drive echoed.
    cmd(h, 0x04, 0x04);
    expect(results(h)).toEqual([0x38 | 0x04]);
  });

  it("reads sector 1 of a 1.44M image through DMA into memory", () => {
    const env = setup();
    const { h, mem, irq } = env;
    resetFdc(env);
    h.outb(CCR, 0); // 500 kb/s
    expect(seek(env, 0, 0, 0)).toEqual([0x20, 0]);
    dma2(h, 0x46, 0x07c00, 511);
    cmd(h, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(irq.level).toBe(true);
    expect(h.inb(MSR)).toBe(0xd0);
    expect(results(h)).toEqual([0x00, 0x00, 0x00, 0, 0, 2, 2]); // TC after one sector: next is R=2
    expect(irq.level).toBe(false);
    expect(mem.bytes.subarray(0x7c00, 0x7e00)).toEqual(sectorBytes(0));
    expect(mem.bytes[0x7e00]).toBe(0);
    expect(h.inb(0x08) & 0x04).toBe(0x04); // DMA TC status for channel 2
  });

  it("reads a 720K image at 250 kb/s and refuses the wrong data rate", () => {
    const env = setup({}, SIZE_720K);
    const { h, mem } = env;
    resetFdc(env);
    expect(seek(env, 0, 1, 1)).toEqual([0x24, 1]);
    h.outb(CCR, 0); // 500 kb/s: no address mark found
    dma2(h, 0x46, 0x10000, 511);
    cmd(h, 0xe6, 0x04, 1, 1, 3, 2, 9, 0x1b, 0xff);
    expect(results(h)).toEqual([0x44, 0x01, 0x00, 1, 1, 3, 2]);
    expect(mem.bytes[0x10000]).toBe(0);
    h.outb(CCR, 2); // 250 kb/s
    cmd(h, 0xe6, 0x04, 1, 1, 3, 2, 9, 0x1b, 0xff);
    expect(results(h)).toEqual([0x04, 0x00, 0x00, 1, 1, 4, 2]);
    expect(mem.bytes.subarray(0x10000, 0x10200)).toEqual(sectorBytes((1 * 2 + 1) * 9 + 2));
  });

  it("reads several sectors, and continues onto side 1 with the MT bit", () => {
    const env = setup();
    const { h, mem } = env;
    resetFdc(env);
    seek(env, 0, 0, 4);
    dma2(h, 0x46, 0x20000, 3 * 512 - 1);
    cmd(h, 0x66, 0x00, 4, 0, 1, 2, 18, 0x1b, 0xff); // no MT
    expect(results(h)).toEqual([0x00, 0, 0, 4, 0, 4, 2]);
    for (let i = 0; i < 3; i++)
      expect(mem.bytes.subarray(0x20000 + i * 512, 0x20200 + i * 512)).toEqual(sectorBytes(lba1440(4, 0, 1 + i)));

    dma2(h, 0x46, 0x30000, 4 * 512 - 1);
    cmd(h, 0xe6, 0x00, 4, 0, 17, 2, 18, 0x1b, 0xff); // MT: 17, 18 on side 0, then 1, 2 on side 1
    expect(results(h)).toEqual([0x04, 0, 0, 4, 1, 3, 2]);
    const want = [lba1440(4, 0, 17), lba1440(4, 0, 18), lba1440(4, 1, 1), lba1440(4, 1, 2)];
    want.forEach((lba, i) =>
      expect(mem.bytes.subarray(0x30000 + i * 512, 0x30200 + i * 512)).toEqual(sectorBytes(lba)),
    );

    // TC exactly at EOT of side 1 with MT: C+1, H complemented, R=1.
    dma2(h, 0x46, 0x30000, 512 - 1);
    cmd(h, 0xe6, 0x04, 4, 1, 18, 2, 18, 0x1b, 0xff);
    expect(results(h)).toEqual([0x04, 0, 0, 5, 0, 1, 2]);
  });

  it("reports end of cylinder when reading past EOT without TC, and no data past the track", () => {
    const env = setup();
    const { h, mem } = env;
    resetFdc(env);
    dma2(h, 0x46, 0x40000, 2 * 512 - 1);
    cmd(h, 0x46, 0x00, 0, 0, 18, 2, 18, 0x1b, 0xff); // no MT
    expect(results(h)).toEqual([0x40, 0x80, 0x00, 1, 0, 1, 2]);
    expect(mem.bytes.subarray(0x40000, 0x40200)).toEqual(sectorBytes(17));
    // EOT beyond the 18 sectors of the track: sector 19 is never found.
    dma2(h, 0x46, 0x40000, 4 * 512 - 1);
    cmd(h, 0x46, 0x00, 0, 0, 18, 2, 20, 0x1b, 0xff);
    expect(results(h)).toEqual([0x40, 0x04, 0x00, 0, 0, 19, 2]);
    // Wrong cylinder in the ID.
    cmd(h, 0xe6, 0x00, 7, 0, 1, 2, 18, 0x1b, 0xff);
    expect(results(h)).toEqual([0x40, 0x04, 0x10, 7, 0, 1, 2]);
    // Cylinder 80 does not exist on the media.
    seek(env, 0, 0, 80);
    cmd(h, 0xe6, 0x00, 80, 0, 1, 2, 18, 0x1b, 0xff);
    expect(results(h)).toEqual([0x40, 0x01, 0x00, 80, 0, 1, 2]);
  });

  it("writes sectors into the CowDisk overlay, not the base image", () => {
    const env = setup();
    const { h, mem, base, disk } = env;
    resetFdc(env);
    seek(env, 0, 1, 2);
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 3 + 1) & 0xff);
    mem.bytes.set(data, 0x50000);
    dma2(h, 0x4a, 0x50000, 1023); // memory to device
    cmd(h, 0xc5, 0x04, 2, 1, 5, 2, 18, 0x1b, 0xff);
    expect(results(h)).toEqual([0x04, 0, 0, 2, 1, 7, 2]);
    const lba = lba1440(2, 1, 5);
    expect(disk.overlay.size).toBe(2);
    const back = new Uint8Array(1024);
    disk.read(lba * 512, back);
    expect(back).toEqual(data);
    expect(base.bytes.subarray(lba * 512, lba * 512 + 512)).toEqual(sectorBytes(lba));
    // And it reads back through the controller.
    dma2(h, 0x46, 0x60000, 1023);
    cmd(h, 0xe6, 0x04, 2, 1, 5, 2, 18, 0x1b, 0xff);
    expect(results(h)[0]).toBe(0x04);
    expect(mem.bytes.subarray(0x60000, 0x60400)).toEqual(data);
  });

  it("refuses writes to a read-only image with NW, and SENSE DRIVE STATUS shows write protect", () => {
    const env = setup();
    const { h, fdc, base } = env;
    const ro = new CowDisk(base, true);
    fdc.insert(0, ro);
    resetFdc(env);
    dma2(h, 0x4a, 0x50000, 511);
    cmd(h, 0xc5, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(results(h)).toEqual([0x40, 0x02, 0x00, 0, 0, 1, 2]);
    expect(ro.overlay.size).toBe(0);
    cmd(h, 0x4d, 0x00, 2, 18, 0x54, 0xf6);
    expect(results(h)).toEqual([0x40, 0x02, 0x00, 0, 0, 0, 2]);
    cmd(h, 0x04, 0x00);
    expect(results(h)[0] & 0x40).toBe(0x40);
    fdc.insert(0, env.disk);
    cmd(h, 0x04, 0x00);
    expect(results(h)[0] & 0x40).toBe(0);
  });

  it("formats a track with the filler byte, taking sector IDs from DMA", () => {
    const env = setup();
    const { h, mem, disk, base } = env;
    resetFdc(env);
    seek(env, 0, 1, 3);
    for (let r = 1; r <= 18; r++) mem.bytes.set([3, 1, r, 2], 0x70000 + (r - 1) * 4);
    dma2(h, 0x4a, 0x70000, 18 * 4 - 1);
    cmd(h, 0x4d, 0x04, 2, 18, 0x54, 0xf6);
    expect(results(h)).toEqual([0x04, 0, 0, 3, 1, 18, 2]);
    const track = new Uint8Array(18 * 512);
    disk.read(lba1440(3, 1, 1) * 512, track);
    expect(track.every((b) => b === 0xf6)).toBe(true);
    const next = new Uint8Array(512);
    disk.read(lba1440(4, 0, 1) * 512, next);
    expect(next).toEqual(sectorBytes(lba1440(4, 0, 1)));
    expect(base.bytes[lba1440(3, 1, 1) * 512]).toBe(sectorByte(lba1440(3, 1, 1), 0));
    // DUMPREG shows SC as the last EOT/SC value.
    cmd(h, 0x0e);
    expect(results(h)[6]).toBe(18);
  });

  it("answers READ ID with the sectors passing under the head", () => {
    const env = setup();
    const { h, irq } = env;
    resetFdc(env);
    seek(env, 0, 0, 5);
    cmd(h, 0x4a, 0x00);
    expect(irq.level).toBe(true);
    const a = results(h);
    cmd(h, 0x4a, 0x00);
    const b = results(h);
    expect(a.slice(0, 5)).toEqual([0x00, 0, 0, 5, 0]);
    expect(a[6]).toBe(2);
    expect(b[5]).toBe((a[5] % 18) + 1);
    // No disk: not ready.
    env.fdc.eject(0);
    cmd(h, 0x4a, 0x00);
    expect(results(h)[0]).toBe(0x48);
  });

  it("sets the disk change line on eject and insert and clears it by stepping with a disk present", () => {
    const env = setup();
    const { h, fdc, disk } = env;
    resetFdc(env);
    expect(h.inb(DIR) & 0x80).toBe(0x80); // inserted at setup
    seek(env, 0, 0, 0); // no step pulse: stays set
    expect(h.inb(DIR) & 0x80).toBe(0x80);
    seek(env, 0, 0, 1);
    expect(h.inb(DIR) & 0x80).toBe(0);
    fdc.eject(0);
    expect(h.inb(DIR) & 0x80).toBe(0x80);
    seek(env, 0, 0, 2); // steps, but without a disk the latch stays
    expect(h.inb(DIR) & 0x80).toBe(0x80);
    fdc.insert(0, disk);
    seek(env, 0, 0, 0);
    expect(h.inb(DIR) & 0x80).toBe(0);
    fdc.insert(0, disk);
    expect(h.inb(DIR) & 0x80).toBe(0x80);
    h.outb(DOR, 0x1d); // select drive 1: empty, never stepped
    expect(h.inb(DIR) & 0x80).toBe(0x80);
  });

  it("rejects images of non-standard sizes", () => {
    const { fdc } = setup();
    expect(() => fdc.insert(0, new MemoryDisk(new Uint8Array(1000)))).toThrow(DiskFormatError);
    expect(() => fdc.insert(0, new MemoryDisk(new Uint8Array(1000)))).toThrow(/not a standard format/);
    expect(() => fdc.insert(2, new MemoryDisk(new Uint8Array(SIZE_720K)))).toThrow(RangeError);
  });

  it("answers invalid commands with 0x80 and no interrupt; VERSION, CONFIGURE, LOCK, PERPENDICULAR, DUMPREG", () => {
    const env = setup();
    const { h, irq } = env;
    resetFdc(env);
    h.outb(FIFO, 0x1f);
    expect(h.inb(MSR) & 0xd0).toBe(0xd0);
    expect(results(h)).toEqual([0x80]);
    expect(irq.level).toBe(false);
    expect(h.inb(MSR)).toBe(0x80);
    cmd(h, 0x10);
    expect(results(h)).toEqual([0x90]);
    cmd(h, 0x03, 0xdf, 0x02); // SPECIFY
    cmd(h, 0x13, 0x00, 0x57, 0x05); // CONFIGURE: EIS, FIFO on, polling off, threshold 7, pretrack 5
    cmd(h, 0x12, 0x80 | 0x0c | 0x02); // PERPENDICULAR: OW, D1 D0... and GAP
    cmd(h, 0x94);
    expect(results(h)).toEqual([0x10]);
    cmd(h, 0x0e);
    expect(results(h)).toEqual([0, 0, 0, 0, 0xdf, 0x02, 0, 0x80 | 0x0e, 0x57, 0x05]);
    // LOCK keeps the FIFO settings across a reset; EIS and POLL return to their defaults.
    h.outb(DOR, 0x18);
    resetFdc(env);
    cmd(h, 0x0e);
    expect(results(h)).toEqual([0, 0, 0, 0, 0xdf, 0x02, 0, 0x80 | 0x0c, 0x07, 0x05]);
    cmd(h, 0x14);
    expect(results(h)).toEqual([0x00]);
  });

  it("reports overrun when the DMA channel is masked, and not ready without a disk", () => {
    const env = setup();
    const { h, fdc, mem } = env;
    resetFdc(env);
    dma2(h, 0x46, 0x10000, 511);
    h.outb(0x0a, 0x06); // mask channel 2
    cmd(h, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(results(h)).toEqual([0x40, 0x10, 0x00, 0, 0, 1, 2]);
    expect(mem.bytes[0x10000]).toBe(0);
    fdc.eject(0);
    h.outb(0x0a, 0x02);
    cmd(h, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    expect(results(h)).toEqual([0x48, 0x00, 0x00, 0, 0, 1, 2]);
  });

  it("moves data through the FIFO in non-DMA mode", () => {
    const env = setup();
    const { h, irq, disk } = env;
    resetFdc(env);
    cmd(h, 0x03, 0xdf, 0x03); // ND = 1
    cmd(h, 0x46, 0x00, 0, 0, 2, 2, 2, 0x1b, 0xff);
    expect(irq.level).toBe(true);
    expect(h.inb(MSR)).toBe(0xf0);
    const got = new Uint8Array(512);
    for (let i = 0; i < 512; i++) got[i] = h.inb(FIFO);
    expect(irq.level).toBe(true); // result phase interrupt
    expect(got).toEqual(sectorBytes(1));
    expect(results(h)).toEqual([0x40, 0x80, 0x00, 1, 0, 1, 2]); // no TC in non-DMA mode: end of cylinder
    cmd(h, 0x45, 0x00, 0, 0, 3, 2, 3, 0x1b, 0xff);
    expect(h.inb(MSR)).toBe(0xb0);
    for (let i = 0; i < 512; i++) h.outb(FIFO, 0xa5);
    expect(results(h)).toEqual([0x40, 0x80, 0x00, 1, 0, 1, 2]);
    const back = new Uint8Array(512);
    disk.read(2 * 512, back);
    expect(back.every((b) => b === 0xa5)).toBe(true);
  });

  it("completes after the configured machine-time delays", () => {
    const env = setup({ commandDelayNs: 5000, seekDelayNs: 20000 });
    const { h, fdc, irq, mem } = env;
    h.outb(DOR, 0x1c);
    expect(irq.level).toBe(false);
    expect(fdc.nextDeadline()).toBe(5000);
    h.clockStep(5000);
    expect(irq.level).toBe(true);
    for (let d = 0; d < 4; d++) {
      cmd(h, 0x08);
      results(h);
    }
    cmd(h, 0x0f, 0x00, 3);
    expect(h.inb(MSR)).toBe(0x81);
    expect(irq.level).toBe(false);
    expect(fdc.nextDeadline()).toBe(25000);
    h.clockStep(19999);
    expect(irq.level).toBe(false);
    h.clockStep(1);
    expect(irq.level).toBe(true);
    cmd(h, 0x08);
    expect(results(h)).toEqual([0x20, 3]);
    dma2(h, 0x46, 0x10000, 511);
    cmd(h, 0xe6, 0x00, 3, 0, 1, 2, 18, 0x1b, 0xff);
    expect(h.inb(MSR)).toBe(0x10); // executing
    expect(irq.level).toBe(false);
    h.clockStep(4000);
    h.clock.t += 1000; // the next port access catches up by itself
    expect(h.inb(MSR)).toBe(0xd0);
    expect(irq.level).toBe(true);
    expect(fdc.nextDeadline()).toBe(Infinity);
    expect(results(h)).toEqual([0x00, 0, 0, 3, 0, 2, 2]);
    expect(mem.bytes.subarray(0x10000, 0x10200)).toEqual(sectorBytes(lba1440(3, 0, 1)));
  });

  it("round-trips its state mid-transfer and continues identically", () => {
    const mk = () => setup({ seekDelayNs: 1000 });
    const a = mk();
    resetFdc(a);
    // A pending seek on drive 1, and a non-DMA read half done on drive 0.
    a.fdc.insert(1, new MemoryDisk(image(SIZE_720K)));
    cmd(a.h, 0x03, 0xdf, 0x03);
    cmd(a.h, 0x0f, 0x01, 7);
    cmd(a.h, 0x46, 0x00, 0, 0, 5, 2, 6, 0x1b, 0xff);
    for (let i = 0; i < 100; i++) a.h.inb(FIFO);
    const saved = cloneState(a.fdc.saveState());

    const b = mk();
    b.fdc.insert(1, new MemoryDisk(image(SIZE_720K)));
    b.h.outb(DOR, 0x1c); // differs from the saved state until loaded
    b.fdc.loadState(saved, 1);
    expect(b.fdc.saveState()).toEqual(a.fdc.saveState());
    expect(b.irq.level).toBe(a.irq.level);
    for (const s of [a, b]) {
      const got: number[] = [];
      for (let i = 100; i < 1024; i++) got.push(s.h.inb(FIFO));
      expect(got.slice(0, 412)).toEqual(Array.from(sectorBytes(4).subarray(100)));
      expect(got.slice(412)).toEqual(Array.from(sectorBytes(5)));
      expect(results(s.h)).toEqual([0x40, 0x80, 0x00, 1, 0, 1, 2]);
      s.h.clockStep(1000);
      expect(s.irq.level).toBe(true);
      cmd(s.h, 0x08);
      expect(results(s.h)).toEqual([0x21, 7]);
    }
  });

  it("refuses corrupt state with StateError and stays unchanged", () => {
    const env = setup();
    resetFdc(env);
    seek(env, 0, 0, 9);
    const { fdc } = env;
    const before = fdc.saveState();
    const bad = (mutate: (s: any) => void) => {
      const s = cloneState(before) as any;
      mutate(s);
      expect(() => fdc.loadState(s, 1)).toThrow(StateError);
      expect(fdc.saveState()).toEqual(before);
    };
    bad((s) => {
      s.dor = 256;
    });
    bad((s) => {
      s.dataRate = "fast";
    });
    bad((s) => {
      s.phase = 7;
    });
    bad((s) => {
      s.phase = 3;
      s.resultLength = 0;
    });
    bad((s) => {
      s.resultPos = 5;
      s.resultLength = 2;
    });
    bad((s) => {
      s.eventKind = 2;
    });
    bad((s) => {
      s.eventAt = -5;
    });
    bad((s) => {
      s.phase = 2;
    });
    bad((s) => {
      s.command = new Uint8Array(3);
    });
    bad((s) => {
      s.drives = s.drives.slice(0, 2);
    });
    bad((s) => {
      s.drives[0].cylinder = 300;
    });
    bad((s) => {
      s.drives[1].sectorPointer = 0;
    });
    bad((s) => {
      s.exec.head = 2;
    });
    bad((s) => {
      s.buffer = new Uint8Array(10);
    });
    bad((s) => {
      s.commandLength = 2;
      s.commandNeeded = 9;
      s.command[0] = 0x1f;
    });
    // A saved non-DMA transfer on a drive whose media the machine has not inserted again.
    bad((s) => {
      s.phase = 2;
      s.eventKind = 0;
      s.eventAt = -1;
      s.exec = { ...s.exec, kind: 1, drive: 1, pos: 0, length: 512 };
    });
    expect(() => env.fdc.loadState(cloneState(before), 1)).not.toThrow();
  });
});
