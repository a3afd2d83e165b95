// The CPU's state record: a CPU loaded from a record taken mid-run continues exactly as the
// original does (real and 32-bit protected mode, lazy flags, HLT, shadows, TSC), and records
// that are not a CPU's state are refused with the CPU left as it was.
import { describe, expect, it } from "vitest";
import { Cpu } from "../cpu/cpu.ts";
import { CS, DS, ES, EV_SHADOW_STI, IF, SS } from "../cpu/regs.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../memory/physical-memory.ts";
import { decodeStateSection, encodeStateSection } from "./codec.ts";
import { CpuStateAdapter, cpuStatefuls } from "./cpu-state.ts";
import { StateError, type StateRecord } from "./state.ts";

const CODE = 0x1000;
// loop: add ax,bx; inc bx; imul cx,ax,3; xor dx,ax; push ax; pop si; jmp loop
const REAL_LOOP = [0x01, 0xd8, 0x43, 0x69, 0xc8, 0x03, 0x00, 0x31, 0xc2, 0x50, 0x5e, 0xeb, 0xf3];
// The same with 32-bit operands: imul ecx,eax,3 has a 4-byte immediate.
const PM_LOOP = [0x01, 0xd8, 0x43, 0x69, 0xc8, 0x03, 0x00, 0x00, 0x00, 0x31, 0xc2, 0x50, 0x5e, 0xeb, 0xf1];

function makeCpu(ram?: Uint8Array): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  if (ram) mem.ram.set(ram);
  return new Cpu(mem, new Dispatcher());
}

function realMode(code: number[]): Cpu {
  const cpu = makeCpu();
  cpu.mem.ram.set(code, CODE);
  for (const s of [DS, ES, SS]) cpu.setSegReal(s, 0, 0xffff, 0x93);
  cpu.setSegReal(CS, 0, 0xffff, 0x9b);
  cpu.eip = CODE;
  cpu.r16[4 << 1] = 0x9000;
  return cpu;
}

/** Flat 32-bit protected mode, as a guest would leave it after loading its GDT. */
function protectedMode(code: number[]): Cpu {
  const cpu = makeCpu();
  cpu.mem.ram.set(code, CODE);
  cpu.cr[0] |= 1;
  for (const s of [DS, ES, SS]) {
    cpu.sreg[s] = 0x10;
    cpu.segBase[s] = 0;
    cpu.segLimit[s] = -1;
    cpu.segAttr[s] = 0xc093;
  }
  cpu.sreg[CS] = 0x08;
  cpu.segBase[CS] = 0;
  cpu.segLimit[CS] = -1;
  cpu.segAttr[CS] = 0xc09b;
  cpu.modeChanged();
  cpu.setEip(CODE);
  cpu.r32[4] = 0x9000;
  return cpu;
}

/** Saves mid-run, loads into a fresh CPU over a copy of RAM, runs both on: they must agree. */
function twin(a: Cpu, before: number, after: number): { a: Cpu; b: Cpu; rec: StateRecord } {
  a.run(before);
  const rec = new CpuStateAdapter(a).saveState();
  // Through the section encoding, as a snapshot stores it.
  const stored = decodeStateSection(encodeStateSection([rec], ["cpu"]), 1)[0];
  const b = makeCpu(a.mem.ram);
  new CpuStateAdapter(b).loadState(stored, 1);
  expect(new CpuStateAdapter(b).saveState()).toEqual(rec);
  a.run(after);
  b.run(after);
  expect(new CpuStateAdapter(b).saveState()).toEqual(new CpuStateAdapter(a).saveState());
  expect(Buffer.compare(b.mem.ram, a.mem.ram)).toBe(0);
  return { a, b, rec };
}

describe("CPU state record", () => {
  it("continues a real-mode loop exactly, lazy flags included", () => {
    const { a, b } = twin(realMode(REAL_LOOP), 1001, 777);
    expect(b.getFlags()).toBe(a.getFlags());
    expect(b.eip).toBe(a.eip);
    expect(b.instret).toBe(1778);
  });

  it("continues 32-bit protected-mode code with the mode rebuilt from the saved caches", () => {
    const { a, b } = twin(protectedMode(PM_LOOP), 999, 555);
    expect(b.code16()).toBe(false);
    expect(b.ss32).toBe(true);
    expect(b.defOsizeBase).toBe(a.defOsizeBase);
    expect(b.r32[0]).toBe(a.r32[0]);
  });

  it("keeps HLT, the STI shadow, CPL, SYSENTER MSRs and the TSC offset", () => {
    const a = realMode([0xfb, 0x90, 0xf4, 0x90]); // sti; nop; hlt; nop
    a.run(1);
    expect(a.events & EV_SHADOW_STI).not.toBe(0);
    a.writeMsr(0x10, 0x12345678, 0x9);
    a.writeMsr(0x174, 0x10, 0);
    const rec = new CpuStateAdapter(a).saveState();
    const b = makeCpu(a.mem.ram);
    new CpuStateAdapter(b).loadState(rec, 1);
    expect(b.events).toBe(a.events);
    expect(b.readTsc()).toBe(a.readTsc());
    expect(b.sysenter[0]).toBe(0x10);
    a.run(5);
    b.run(5);
    expect(b.halted).toBe(true);
    expect(a.halted).toBe(true);
    expect(b.getFlags() & IF).toBe(IF);
    expect(new CpuStateAdapter(b).saveState()).toEqual(new CpuStateAdapter(a).saveState());
  });

  it("refuses records that are not CPU state and leaves the CPU untouched", () => {
    const src = realMode(REAL_LOOP);
    src.run(100);
    const good = new CpuStateAdapter(src).saveState();
    const target = realMode(REAL_LOOP);
    target.run(3);
    const before = new CpuStateAdapter(target).saveState();
    const bad: [Partial<StateRecord>, RegExp][] = [
      [{ flags: 0 }, /not an EFLAGS image/],
      [{ flags: 0x80000002 }, /outside/],
      [{ cpl: 4 }, /cpl/],
      [{ regs: [1, 2, 3] }, /regs/],
      [{ sreg: Array(8).fill(0x10000) }, /sreg/],
      [{ instret: -1 }, /instret/],
      [{ instret: 1.5 }, /instret/],
      [{ events: 0x100 }, /events/],
      [{ halted: 1 }, /halted/],
      [{ cr: [0x80000000 | 0, 0, 0, 0, 0, 0, 0, 0] }, /paging on with protection off/],
      [{ tscOffset: -1e15 }, /TSC at/],
      [{ shutdownReason: 7 }, /shutdownReason/],
    ];
    for (const [patch, msg] of bad) {
      expect(
        () => new CpuStateAdapter(target).loadState({ ...good, ...patch } as StateRecord, 1),
        JSON.stringify(patch),
      ).toThrow(StateError);
      expect(() => new CpuStateAdapter(target).loadState({ ...good, ...patch } as StateRecord, 1)).toThrow(StateError);
      expect(() => new CpuStateAdapter(target).loadState({ ...good, ...patch } as StateRecord, 1)).toThrow(msg);
      expect(new CpuStateAdapter(target).saveState()).toEqual(before);
    }
    expect(() => new CpuStateAdapter(target).loadState(good, 3)).toThrow(/version 3/);
  });

  it("saves XMM0-7 and MXCSR (version 2) only when they differ from reset; version 1 records load with them reset", () => {
    const a = realMode(REAL_LOOP);
    expect(new CpuStateAdapter(a).saveState().sse).toBeUndefined();
    a.xmm[0] = 0x12345678;
    a.xmm[31] = -1;
    a.mxcsr = 0x1f80 | 0x3f;
    const rec = new CpuStateAdapter(a).saveState();
    expect(rec.sse).toMatchObject({ mxcsr: 0x1fbf });
    const b = makeCpu();
    new CpuStateAdapter(b).loadState(decodeStateSection(encodeStateSection([rec], ["cpu"]), 1)[0], 2);
    expect(Array.from(b.xmm)).toEqual(Array.from(a.xmm));
    expect(b.mxcsr).toBe(0x1fbf);
    // A record saved before the SSE state existed (version 1): XMM zeroed, MXCSR as at reset.
    const old = { ...rec };
    delete old.sse;
    new CpuStateAdapter(b).loadState(old, 1);
    expect(Array.from(b.xmm)).toEqual(new Array(32).fill(0));
    expect(b.mxcsr).toBe(0x1f80);
    // MXCSR's reserved bits (16-31) are refused.
    for (const mxcsr of [0x20000, 0x10000])
      expect(() =>
        new CpuStateAdapter(b).loadState({ ...rec, sse: { ...(rec.sse as StateRecord), mxcsr } }, 2),
      ).toThrow(/mxcsr/);
  });

  it("lists the CPU (and an FPU once the CPU has one with a schema)", () => {
    const cpu = makeCpu();
    const fpu = (cpu as unknown as { fpu?: { stateName: string } }).fpu;
    expect(cpuStatefuls(cpu).map((s) => s.stateName)).toEqual(fpu ? ["cpu-i686", fpu.stateName] : ["cpu-i686"]);
  });
});
