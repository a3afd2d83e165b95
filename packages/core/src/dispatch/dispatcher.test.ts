import { describe, expect, it } from "vitest";
import { Dispatcher } from "./dispatcher.ts";
import { IoWiringError } from "./io-bus.ts";
import { EXIT_IO_IN, EXIT_IO_OUT, EXIT_MMIO_READ, EXIT_MMIO_WRITE } from "./exits.ts";
import { MemoryConfigError, PhysicalMemory } from "../memory/physical-memory.ts";
import { Cpu } from "../cpu/cpu.ts";
import { CS } from "../cpu/regs.ts";

describe("port I/O routing", () => {
  it("routes to the claiming device, splits wide accesses, answers all ones when unclaimed", () => {
    const d = new Dispatcher();
    const regs = new Uint8Array(4);
    d.io.attach({
      name: "dev",
      ports: [
        {
          base: 0x100,
          count: 4,
          read8: (o) => regs[o],
          write8: (o, v) => {
            regs[o] = v;
          },
        },
      ],
    });
    d.out16(0x100, 0x1234);
    expect([regs[0], regs[1]]).toEqual([0x34, 0x12]);
    d.out32(0x100, 0xaabbccdd | 0);
    expect(d.in32(0x100) >>> 0).toBe(0xaabbccdd);
    expect(d.in8(0x200)).toBe(0xff);
    expect(d.in16(0x200)).toBe(0xffff);
    expect(d.in32(0x200)).toBe(-1);
    expect(d.in16(0x103)).toBe(0xff00 | regs[3]); // half claimed, half open bus
    expect(d.counts[EXIT_IO_IN]).toBe(5);
    expect(d.counts[EXIT_IO_OUT]).toBe(2);
    expect(d.io.ownerOf(0x102)).toBe("dev");
  });
  it("prefers a device's 16-bit handler and refuses overlapping claims", () => {
    const d = new Dispatcher();
    d.io.attach({ name: "a", ports: [{ base: 0x1f0, count: 8, read16: () => 0xbeef, read8: () => 1 }] });
    expect(d.in16(0x1f0)).toBe(0xbeef);
    expect(() => d.io.attach({ name: "b", ports: [{ base: 0x1f7, count: 2 }] })).toThrow(IoWiringError);
    expect(() => d.io.attach({ name: "c", ports: [{ base: 0xffff, count: 2 }] })).toThrow(IoWiringError);
  });
  it("counts every exit reason the CPU takes for IN and OUT", () => {
    const mem = new PhysicalMemory(1 << 20);
    const d = new Dispatcher();
    const cpu = new Cpu(mem, d);
    mem.ram.set([0xe4, 0x60, 0xe6, 0x61, 0xf4], 0x1000); // in al,60h; out 61h,al; hlt
    cpu.setSegReal(CS, 0, 0xffff, 0x9b);
    cpu.eip = 0x1000;
    cpu.run(10);
    expect(cpu.r8[0]).toBe(0xff);
    expect(d.stats()).toMatchObject({ io_in: 1, io_out: 1, hlt: 1 });
  });
});

describe("physical memory", () => {
  it("routes MMIO windows, refuses overlaps, reads unmapped space as all ones, protects ROM", () => {
    const mem = new PhysicalMemory(1 << 20);
    const d = new Dispatcher();
    mem.onMmio = (w) => d.mmio(w);
    const win = new Uint8Array(0x1000);
    mem.mapMmio(0xa0000, 0x1000, "w", {
      read8: (o) => win[o],
      write8: (o, v) => {
        win[o] = v;
      },
    });
    expect(() => mem.mapMmio(0xa0000, 0x2000, "x", { read8: () => 0, write8: () => {} })).toThrow(MemoryConfigError);
    mem.write16(0xa0010, 0x5aa5);
    expect(win[0x10]).toBe(0xa5);
    expect(mem.read16(0xa0010)).toBe(0x5aa5);
    expect(d.counts[EXIT_MMIO_WRITE]).toBe(2);
    expect(d.counts[EXIT_MMIO_READ]).toBe(2);
    expect(mem.read8(0x200000)).toBe(0xff);
    mem.mapRom(0xf0000, new Uint8Array(0x10000).fill(0x90));
    mem.write8(0xf0000, 0x12);
    expect(mem.read8(0xf0000)).toBe(0x90);
  });
  it("applies the A20 gate", () => {
    const mem = new PhysicalMemory(2 << 20);
    mem.write8(0x100000, 7);
    mem.setA20(false);
    expect(mem.read8(0x100000)).toBe(mem.read8(0));
    mem.setA20(true);
    expect(mem.read8(0x100000)).toBe(7);
    expect(() => new PhysicalMemory(1000)).toThrow(MemoryConfigError);
  });
});
