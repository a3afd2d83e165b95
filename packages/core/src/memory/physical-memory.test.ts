// Moving an MMIO window (a PCI BAR that software reprograms): the window answers at its new
// place only, and a place where RAM, ROM or another window is mapped is refused.

import { describe, it, expect } from "vitest";
import { MemoryConfigError, PhysicalMemory } from "./physical-memory.ts";

function windowAt(mem: PhysicalMemory, base: number, name = "w") {
  const bytes = new Uint8Array(0x2000);
  mem.mapMmio(base, bytes.length, name, { read8: (o) => bytes[o], write8: (o, v) => (bytes[o] = v) });
  return bytes;
}

describe("moveMmio", () => {
  it("moves a window, takes it off the map, and refuses conflicting places", () => {
    const mem = new PhysicalMemory(1 << 20);
    const bytes = windowAt(mem, 0xe0000000);
    windowAt(mem, 0xf0000000, "other");
    let changes = 0;
    mem.onMapChange = () => changes++;
    mem.write8(0xe0000010, 0x42);
    expect(bytes[0x10]).toBe(0x42);
    expect(mem.moveMmio("w", 0xd0000000)).toBe(true);
    expect(mem.read8(0xd0000010)).toBe(0x42);
    expect(mem.read8(0xe0000010)).toBe(0xff);
    expect(mem.moveMmio("w", null)).toBe(true);
    expect(mem.read8(0xd0000010)).toBe(0xff);
    expect(mem.moveMmio("w", 0x1000)).toBe(false); // RAM
    expect(mem.moveMmio("w", 0xf0001000)).toBe(false); // overlaps the other window
    expect(mem.read8(0xf0001000 + 0x10)).toBe(0); // the other window is untouched
    expect(mem.moveMmio("w", 0xfffff000)).toBe(false); // runs past 4 GiB
    expect(mem.moveMmio("w", 0xe0000000)).toBe(true);
    expect(mem.read8(0xe0000010)).toBe(0x42);
    expect(changes).toBeGreaterThan(0);
    expect(() => mem.moveMmio("nope", 0)).toThrow(MemoryConfigError);
  });
});

describe("mapMmio off the map", () => {
  it("registers a window that answers only once moveMmio places it", () => {
    const mem = new PhysicalMemory(1 << 20);
    mem.mapMmio(null, 0x2000, "rom-bar", { read8: () => 0x5a, write8: () => {} });
    expect(mem.read8(0xfebf0000)).toBe(0xff);
    expect(mem.moveMmio("rom-bar", 0xfebf0000)).toBe(true);
    expect(mem.read8(0xfebf1fff)).toBe(0x5a);
    expect(mem.read8(0xfebf2000)).toBe(0xff);
    expect(mem.moveMmio("rom-bar", null)).toBe(true);
    expect(mem.read8(0xfebf0000)).toBe(0xff);
    expect(() => mem.mapMmio(null, 0x800, "bad", { read8: () => 0, write8: () => {} })).toThrow(MemoryConfigError);
  });
});

describe("shadow RAM", () => {
  it("switches RAM pages between read-only and writable, keeping their bytes", () => {
    const mem = new PhysicalMemory(1 << 20);
    mem.mapRom(0xf0000, new Uint8Array(0x10000).fill(0xea));
    mem.write8(0xf0000, 0);
    expect(mem.read8(0xf0000)).toBe(0xea);
    mem.setRamWritable(0xf0000, 0x10000, true);
    mem.write8(0xf0000, 0x12);
    expect(mem.read8(0xf0000)).toBe(0x12);
    mem.setRamWritable(0xf0000, 0x10000, false);
    mem.write8(0xf0000, 0x34);
    expect(mem.read8(0xf0000)).toBe(0x12);
    expect(mem.isDirectRead(0xf0)).toBe(true);
    expect(mem.isRam(0xf0)).toBe(false);
    // MMIO pages are not RAM to switch.
    mem.mapMmio(0xa0000, 0x1000, "vga", { read8: () => 7, write8: () => {} });
    mem.setRamWritable(0xa0000, 0x1000, true);
    expect(mem.read8(0xa0000)).toBe(7);
    expect(() => mem.setRamWritable(0xc0800, 0x1000, true)).toThrow(MemoryConfigError);
  });
});
