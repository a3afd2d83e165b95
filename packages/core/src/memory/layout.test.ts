// The VM memory's layout: the regions do not overlap, RAM is last, and the CPU's registers, TLB
// and RAM are the bytes of the one memory (a write through one view is seen at its offset).
import { describe, expect, it } from "vitest";
import { Cpu } from "../cpu/cpu.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PhysicalMemory } from "./physical-memory.ts";
import {
  JIT_DIR_BASE,
  JIT_DIR_ENTRY,
  JIT_DIR_SLOTS,
  RAM_BASE,
  STATE_BYTES,
  STATE_END,
  STATE_LF,
  STATE_PIP_DELTA,
  STATE_REGS,
  STATE_SEG_BASE,
  TLB_READ_SUPER,
  TLB_WRITE_USER,
  TLB_ENTRIES,
  VmMemory,
  VmMemoryError,
  vmMemoryBytes,
} from "./layout.ts";

describe("the VM memory layout", () => {
  it("puts the state block, the TLB and RAM one after another, RAM last and page aligned", () => {
    expect(STATE_END).toBeLessThanOrEqual(STATE_BYTES);
    expect(TLB_READ_SUPER).toBe(STATE_BYTES);
    expect(TLB_WRITE_USER + TLB_ENTRIES * 4).toBeLessThanOrEqual(JIT_DIR_BASE);
    expect(JIT_DIR_BASE + JIT_DIR_SLOTS * JIT_DIR_ENTRY).toBeLessThanOrEqual(RAM_BASE);
    expect(RAM_BASE % 0x10000).toBe(0);
    const vm = VmMemory.create(1 << 20);
    expect(vm.buffer.byteLength).toBe(vmMemoryBytes(1 << 20));
    expect(vm.buffer.byteLength).toBe(RAM_BASE + (1 << 20));
  });

  it("refuses sizes that are not whole pages, and adopts only a memory large enough", () => {
    expect(() => VmMemory.create(1000)).toThrow(VmMemoryError);
    expect(() => VmMemory.create(0)).toThrow(VmMemoryError);
    const vm = VmMemory.create(1 << 20);
    expect(() => VmMemory.adopt(vm.memory, 2 << 20)).toThrow(/cannot hold/);
    expect(VmMemory.adopt(vm.memory, 1 << 20).buffer).toBe(vm.buffer);
  });

  it("holds the CPU's registers, segment caches, lazy flags, TLB and RAM in place", () => {
    const mem = new PhysicalMemory(1 << 20);
    const cpu = new Cpu(mem, new Dispatcher());
    const i32 = new Int32Array(mem.vm.buffer);
    cpu.r32[3] = 0x12345678;
    cpu.segBase[2] = 0x4000;
    cpu.setLazy(0, 2, 1, 2, 3);
    expect(i32[(STATE_REGS >> 2) + 3]).toBe(0x12345678);
    expect(i32[(STATE_SEG_BASE >> 2) + 2]).toBe(0x4000);
    expect(Array.from(i32.subarray(STATE_LF >> 2, (STATE_LF >> 2) + 5))).toEqual([1, 2, 3, 0, 2]);
    expect(i32[(TLB_READ_SUPER >> 2) + 5]).toBe(0); // none
    cpu.rd8(0x5123); // fills the TLB entry of linear page 5 (no paging: identity, ~0)
    expect(i32[(TLB_READ_SUPER >> 2) + 5]).toBe(-1);
    mem.write32(0x200, 0x0badf00d);
    expect(i32[(RAM_BASE + 0x200) >> 2]).toBe(0x0badf00d);
    cpu.eip = 0x1234;
    expect(cpu.getEip()).toBe(0x1234);
    expect(i32[STATE_PIP_DELTA >> 2]).toBe(cpu.pip - 0x1234);
  });
});

describe("the TLB tables", () => {
  const tables = (mem: PhysicalMemory): Int32Array => new Int32Array(mem.vm.buffer, TLB_READ_SUPER, 4 * TLB_ENTRIES);
  const filled = (t: Int32Array): number => t.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);

  it("empties every entry it filled, past the flush list too, and a CPU on a used memory starts empty", () => {
    const mem = new PhysicalMemory(24 << 20);
    const cpu = new Cpu(mem, new Dispatcher());
    // 5,000 pages: more than the flush list holds, so the flush clears the filled stretches.
    for (let p = 0; p < 5000; p++) cpu.rd8(p * 4096 + 7);
    expect(filled(tables(mem))).toBe(5000 * 2); // read and write entries of the supervisor pair
    expect(cpu.rd8(4999 * 4096)).toBe(0);
    cpu.flushTlb();
    expect(filled(tables(mem))).toBe(0);
    for (let p = 0; p < 10; p++) cpu.wr8(p * 4096, 1);
    expect(filled(tables(mem))).toBe(20);
    cpu.flushTlb();
    expect(filled(tables(mem))).toBe(0);

    cpu.rd8(0x3000);
    expect(filled(tables(mem))).toBe(2);
    new Cpu(mem, new Dispatcher());
    expect(filled(tables(mem))).toBe(0);
  });

  it("leaves RAM from 2 GiB up out of the TLB and reaches it exactly (3 GiB of RAM)", () => {
    const mem = new PhysicalMemory(3 * 2 ** 30);
    const cpu = new Cpu(mem, new Dispatcher());
    const lin = 0xa0000ffe | 0; // paging off: linear = physical, 2.5 GiB
    cpu.wr8(lin - 8, 0x5a);
    cpu.wr16(lin - 4, 0x1234);
    cpu.wr32(lin, 0x11223344); // across a page boundary
    expect([cpu.rd8(lin - 8), cpu.rd16(lin - 4), cpu.rd32(lin) >>> 0]).toEqual([0x5a, 0x1234, 0x11223344]);
    expect([mem.read8(0xa0000ff6), mem.ram[0xa0000ffa], mem.read32(0xa0000ffe)]).toEqual([0x5a, 0x34, 0x11223344]);
    expect(filled(tables(mem))).toBe(0);
  });
});
