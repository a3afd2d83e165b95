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
