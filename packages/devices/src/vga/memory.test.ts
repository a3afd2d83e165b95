import { describe, it, expect } from "vitest";
import { DeviceHarness } from "../testing/harness.ts";
import { Vga } from "./vga.ts";
import { programMode } from "./modes.ts";
import {
  GC_BIT_MASK,
  GC_COLOR_COMPARE,
  GC_COLOR_DONT_CARE,
  GC_DATA_ROTATE,
  GC_ENABLE_SET_RESET,
  GC_MISC,
  GC_MODE,
  GC_READ_MAP,
  GC_SET_RESET,
  PORT_GC_INDEX,
  PORT_MISC_WRITE,
  PORT_SEQ_INDEX,
  SEQ_MAP_MASK,
  SEQ_MEMORY_MODE,
} from "./vga-regs.ts";

/** A VGA in mode 12h (planar, A0000 64 KiB, write mode 0, sequential addressing). */
function planar(): { h: DeviceHarness; vga: Vga; mem: Vga["memory"] } {
  const h = new DeviceHarness();
  const vga = new Vga(h.clock);
  h.attach(vga.ioSurface(), vga);
  programMode(vga, 0x12);
  return { h, vga, mem: vga.memory };
}

function gc(h: DeviceHarness, i: number, v: number): void {
  h.outb(PORT_GC_INDEX, i);
  h.outb(PORT_GC_INDEX + 1, v);
}
function seq(h: DeviceHarness, i: number, v: number): void {
  h.outb(PORT_SEQ_INDEX, i);
  h.outb(PORT_SEQ_INDEX + 1, v);
}

/** The byte of each plane at an offset, read with read mode 0 and read map select. */
function planesAt(h: DeviceHarness, mem: Vga["memory"], offset: number): number[] {
  return [0, 1, 2, 3].map((p) => {
    gc(h, GC_READ_MAP, p);
    return mem.read8(offset);
  });
}

/** Fills the four planes at an offset with the given bytes (map mask per plane). */
function fill(h: DeviceHarness, mem: Vga["memory"], offset: number, bytes: number[]): void {
  bytes.forEach((b, p) => {
    seq(h, SEQ_MAP_MASK, 1 << p);
    mem.write8(offset, b);
  });
  seq(h, SEQ_MAP_MASK, 0x0f);
}

describe("planar writes", () => {
  it("write mode 0 stores the CPU byte in the planes the map mask enables", () => {
    const { h, mem } = planar();
    fill(h, mem, 100, [0x11, 0x22, 0x33, 0x44]);
    seq(h, SEQ_MAP_MASK, 0x05);
    mem.write8(100, 0xaa);
    expect(planesAt(h, mem, 100)).toEqual([0xaa, 0x22, 0xaa, 0x44]);
  });

  it("write mode 0 applies set/reset, the bit mask against the latches, rotation and the logical function", () => {
    const { h, mem } = planar();
    fill(h, mem, 7, [0xf0, 0x0f, 0xff, 0x00]);
    gc(h, GC_SET_RESET, 0x05);
    gc(h, GC_ENABLE_SET_RESET, 0x03); // planes 0,1 from set/reset (1, 0); planes 2,3 from CPU data
    gc(h, GC_BIT_MASK, 0x3c);
    mem.read8(7); // load latches
    mem.write8(7, 0x81);
    // Plane 0: set (ff) in mask bits, latch f0 elsewhere -> 0xfc. Plane 1: reset -> 0x03.
    // Planes 2,3: CPU 0x81 in mask bits (0x00), latches elsewhere: ff -> 0xc3, 00 -> 0x00.
    expect(planesAt(h, mem, 7)).toEqual([0xfc, 0x03, 0xc3, 0x00]);

    gc(h, GC_ENABLE_SET_RESET, 0x00);
    gc(h, GC_BIT_MASK, 0xff);
    gc(h, GC_DATA_ROTATE, (3 << 3) | 1); // XOR, rotate right by 1
    mem.read8(7);
    mem.write8(7, 0x03); // rotated: 0x81
    expect(planesAt(h, mem, 7)).toEqual([0xfc ^ 0x81, 0x03 ^ 0x81, 0xc3 ^ 0x81, 0x81]);

    gc(h, GC_DATA_ROTATE, 1 << 3); // AND, no rotation
    mem.read8(7);
    mem.write8(7, 0x0f);
    expect(planesAt(h, mem, 7)).toEqual([(0xfc ^ 0x81) & 0x0f, (0x03 ^ 0x81) & 0x0f, (0xc3 ^ 0x81) & 0x0f, 0x01]);

    gc(h, GC_DATA_ROTATE, 2 << 3); // OR
    mem.read8(7);
    mem.write8(7, 0x30);
    expect(planesAt(h, mem, 7)).toEqual([0x3d, 0x32, 0x32, 0x31]);
  });

  it("write mode 1 copies the latches loaded by a read (a four-plane move)", () => {
    const { h, mem } = planar();
    fill(h, mem, 0x100, [1, 2, 3, 4]);
    gc(h, GC_MODE, 0x01);
    gc(h, GC_BIT_MASK, 0x00); // ignored in write mode 1
    mem.read8(0x100);
    mem.write8(0x200, 0xee);
    gc(h, GC_MODE, 0x00);
    expect(planesAt(h, mem, 0x200)).toEqual([1, 2, 3, 4]);
  });

  it("write mode 2 spreads CPU bits 3-0 over the planes through the bit mask", () => {
    const { h, mem } = planar();
    fill(h, mem, 50, [0x00, 0xff, 0x00, 0xff]);
    gc(h, GC_MODE, 0x02);
    gc(h, GC_BIT_MASK, 0x81);
    mem.read8(50);
    mem.write8(50, 0x09); // colour 9: planes 0 and 3
    expect(planesAt(h, mem, 50)).toEqual([0x81, 0x7e, 0x00, 0xff]);
  });

  it("write mode 3 writes the set/reset colour where the rotated CPU byte and the bit mask allow", () => {
    const { h, mem } = planar();
    fill(h, mem, 60, [0xff, 0xff, 0x00, 0x00]);
    gc(h, GC_MODE, 0x03);
    gc(h, GC_SET_RESET, 0x0c); // colour 12: planes 2 and 3
    gc(h, GC_BIT_MASK, 0x3f);
    gc(h, GC_DATA_ROTATE, 4); // rotate right by 4
    mem.read8(60);
    mem.write8(60, 0xf3); // rotated 0x3f, & bit mask 0x3f -> 0x3f
    expect(planesAt(h, mem, 60)).toEqual([0xc0, 0xc0, 0x3f, 0x3f]);
  });
});

describe("planar reads", () => {
  it("read mode 0 returns the plane read map select names", () => {
    const { h, mem } = planar();
    fill(h, mem, 9, [0x12, 0x34, 0x56, 0x78]);
    expect(planesAt(h, mem, 9)).toEqual([0x12, 0x34, 0x56, 0x78]);
  });

  it("read mode 1 compares each pixel with the colour compare over the planes colour don't care selects", () => {
    const { h, mem } = planar();
    // Pixels (bit 7 first): colours 0..7 in the low three planes, plane 3 all ones.
    fill(h, mem, 20, [0b01010101, 0b00110011, 0b00001111, 0xff]);
    gc(h, GC_MODE, 0x08);
    gc(h, GC_COLOR_COMPARE, 0x0d); // colour 13 = 1101: planes 0, 2, 3
    gc(h, GC_COLOR_DONT_CARE, 0x0f);
    expect(mem.read8(20)).toBe(0b00000100); // the pixel of colour 5 in planes 0-2 plus plane 3
    gc(h, GC_COLOR_DONT_CARE, 0x07); // plane 3 ignored: colour 5 in planes 0-2
    expect(mem.read8(20)).toBe(0b00000100);
    gc(h, GC_COLOR_DONT_CARE, 0x01); // only plane 0: odd colours
    expect(mem.read8(20)).toBe(0b01010101);
    gc(h, GC_COLOR_DONT_CARE, 0x00); // nothing compared: all match
    expect(mem.read8(20)).toBe(0xff);
  });
});

describe("addressing", () => {
  it("chain 4 (mode 13h) puts byte N in plane N&3 at offset N&~3", () => {
    const { h, vga } = planar();
    programMode(vga, 0x13);
    const mem = vga.memory;
    for (let n = 0; n < 8; n++) mem.write8(0x40 + n, 0xa0 + n);
    expect(mem.read8(0x45)).toBe(0xa5);
    // Unchain to look at the planes directly.
    seq(h, SEQ_MEMORY_MODE, 0x06);
    gc(h, GC_MODE, 0x00);
    expect(planesAt(h, mem, 0x40)).toEqual([0xa0, 0xa1, 0xa2, 0xa3]);
    expect(planesAt(h, mem, 0x44)).toEqual([0xa4, 0xa5, 0xa6, 0xa7]);
    expect(planesAt(h, mem, 0x41)).toEqual([0, 0, 0, 0]);
  });

  it("odd/even (text modes) sends even addresses to plane 0 and odd to plane 1 at the even offset", () => {
    const { h, vga } = planar();
    programMode(vga, 3);
    const mem = vga.memory;
    mem.write8(0x18000 + 0x20, 0x41);
    mem.write8(0x18000 + 0x21, 0x1f);
    expect(mem.read8(0x18020)).toBe(0x41);
    expect(mem.read8(0x18021)).toBe(0x1f);
    seq(h, SEQ_MEMORY_MODE, 0x06);
    gc(h, GC_MODE, 0x00);
    gc(h, GC_MISC, 0x0c); // still B8000
    expect(planesAt(h, mem, 0x18020)).toEqual([0x41, 0x1f, 0, 0]);
    expect(planesAt(h, mem, 0x18021)).toEqual([0, 0, 0, 0]);
  });

  it("answers only in the window the memory map select opens", () => {
    const { h, mem } = planar();
    seq(h, SEQ_MAP_MASK, 0x01);
    gc(h, GC_READ_MAP, 0);
    const windows: [number, number[], number[]][] = [
      // map select, offsets (from A0000) that answer, offsets that do not
      [0, [0x00000, 0x0ffff, 0x10000, 0x1ffff], []],
      [1, [0x00000, 0x0ffff], [0x10000, 0x18000, 0x1ffff]],
      [2, [0x10000, 0x17fff], [0x00000, 0x0ffff, 0x18000]],
      [3, [0x18000, 0x1ffff], [0x00000, 0x10000, 0x17fff]],
    ];
    for (const [map, inside, outside] of windows) {
      gc(h, GC_MISC, (map << 2) | 1);
      for (const off of inside) {
        mem.write8(off, 0x5a);
        expect(mem.read8(off), `map ${map} @${off.toString(16)}`).toBe(0x5a);
        mem.write8(off, 0x00);
      }
      for (const off of outside) {
        mem.write8(off, 0x77);
        expect(mem.read8(off), `map ${map} @${off.toString(16)}`).toBe(0xff);
      }
    }
    // B0000 (map 2) and B8000 (map 3) both start at plane offset 0; A0000/128K wraps at 64 KiB.
    gc(h, GC_MISC, (2 << 2) | 1);
    mem.write8(0x10003, 0x21);
    gc(h, GC_MISC, (3 << 2) | 1);
    expect(mem.read8(0x18003)).toBe(0x21);
    gc(h, GC_MISC, (0 << 2) | 1);
    expect(mem.read8(0x10003)).toBe(0x21);
    expect(mem.read8(0x00003)).toBe(0x21);
  });

  it("ignores the CPU while Misc Output disables video RAM", () => {
    const { h, mem } = planar();
    mem.write8(0, 0x42);
    h.outb(PORT_MISC_WRITE, 0xe1);
    expect(mem.read8(0)).toBe(0xff);
    mem.write8(0, 0x99);
    h.outb(PORT_MISC_WRITE, 0xe3);
    expect(mem.read8(0)).toBe(0x42);
  });
});
