// REP MOVS and REP STOS in bulk (string.ts bulk) against the same instructions run one
// iteration at a time: random sizes, alignments, counts (beyond a yield chunk), overlaps, page
// crossings, a segment limit or a missing page in the middle of the range (the fault taken at
// the same element), and a destination page holding compiled code. Registers, EFLAGS, EIP, the
// instruction count and all of memory must agree.
import { describe, expect, it } from "vitest";
import { Cpu } from "../cpu.ts";
import { CR0_PE, CR0_PG, CS, DS, DT_GDT_BASE, DT_GDT_LIMIT, DT_IDT_BASE, DT_IDT_LIMIT, ES, SS } from "../regs.ts";
import { Dispatcher } from "../../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../../memory/physical-memory.ts";
import { stringBulk } from "./string.ts";

const GDT = 0x1000,
  IDT = 0x2000,
  HALT = 0x3000,
  PD = 0x4000,
  PT = 0x5000,
  CODE = 0x10000,
  DATA = 0x20000,
  STACK = 0x9000;
const MEM = 1 << 20;
/** The data segments' limit: 192 KiB from 0, so a range may run past it. */
const LIMIT = 0x2ffff;

function desc(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | (access << 8) | ((base >> 16) & 0xff);
  return [lo | 0, hi | 0];
}
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

interface Case {
  code: number[];
  seed: number;
  /** Page (linear number) left unmapped, with paging on; -1: no paging. */
  hole: number;
}

function run(k: Case, bulk: boolean): unknown {
  stringBulk.enabled = bulk;
  try {
    const mem = new PhysicalMemory(MEM);
    const cpu = new Cpu(mem, new Dispatcher());
    const w32 = (a: number, v: number) => mem.write32(a, v);
    const gdt = [desc(0, 0, 0, 0), desc(0, 0xfffff, 0x9a, 0xc), desc(0, LIMIT, 0x92, 0x4)];
    gdt.forEach(([lo, hi], i) => {
      w32(GDT + i * 8, lo);
      w32(GDT + i * 8 + 4, hi);
    });
    for (const v of [13, 14]) {
      w32(IDT + v * 8, (0x08 << 16) | HALT);
      w32(IDT + v * 8 + 4, 0x8e00);
    }
    mem.ram[HALT] = 0xf4;
    cpu.dt[DT_GDT_BASE] = GDT;
    cpu.dt[DT_GDT_LIMIT] = gdt.length * 8 - 1;
    cpu.dt[DT_IDT_BASE] = IDT;
    cpu.dt[DT_IDT_LIMIT] = 256 * 8 - 1;
    cpu.writeCr(0, cpu.cr[0] | CR0_PE);
    for (const s of [DS, ES, SS]) cpu.loadSeg(s, 0x10);
    mem.ram.set([0x66, 0xea, ...le32(CODE), 0x08, 0], 0x500);
    cpu.setSegReal(CS, 0, 0xffff, 0x9b);
    cpu.eip = 0x500;
    cpu.run(1);
    cpu.events = 0;
    cpu.r32[4] = STACK;
    for (let i = 0; i < 0x10000; i++) mem.ram[DATA + i] = (i * 131 + k.seed) & 0xff;
    if (k.hole >= 0) {
      w32(PD, PT | 3);
      for (let i = 0; i < 256; i++) if (i !== k.hole) w32(PT + 4 * i, (i << 12) | 3);
      cpu.writeCr(3, PD);
      cpu.writeCr(0, cpu.cr[0] | CR0_PG);
    }
    mem.ram.set(k.code, CODE);
    let n = 0;
    for (let slice = 0; slice < 200 && !cpu.halted; slice++) n += cpu.run(997);
    expect(cpu.halted).toBe(true);
    return {
      regs: Array.from(cpu.r32.subarray(0, 8)),
      eip: cpu.eip,
      flags: cpu.getFlags(),
      n,
      mem: Buffer.from(mem.ram.subarray(DATA - 0x1000, DATA + 0x11000)).toString("base64"),
    };
  } finally {
    stringBulk.enabled = true;
  }
}

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

describe("REP MOVS and REP STOS in bulk", () => {
  it("leave the state that one iteration at a time leaves", () => {
    const r = rng(777);
    for (let t = 0; t < 300; t++) {
      const size = [1, 2, 4][r() % 3];
      const op = r() % 2 === 0 ? "movs" : "stos";
      const opcode = (op === "movs" ? 0xa4 : 0xaa) + (size === 1 ? 0 : 1);
      const prefix = size === 2 ? [0x66] : [];
      const dst = DATA + (r() % 0xa000);
      // Sources around the destination: overlapping ahead of it, behind it, or apart.
      const src = r() % 2 === 0 ? dst + (r() % 24) - 8 : DATA + (r() % 0xa000);
      // Counts up to beyond a yield chunk (4,096 iterations), some running past the limit.
      const count = r() % 4 === 0 ? 4000 + (r() % 9000) : r() % 600;
      const code = [
        0xbf,
        ...le32(r() % 8 === 0 ? LIMIT - 64 - (r() % 256) : dst), // mov edi
        0xbe,
        ...le32(src), // mov esi
        0xb9,
        ...le32(count), // mov ecx
        0xb8,
        ...le32(r()), // mov eax
        r() % 8 === 0 ? 0xfd : 0xfc, // std / cld
        ...prefix,
        0xf3,
        opcode,
        0xf4,
      ];
      const hole = r() % 6 === 0 ? ((dst >>> 12) + 1 + (r() % 3)) & 0xff : -1;
      const k: Case = { code, seed: t, hole };
      expect(run(k, true), `case ${t}: ${op} size ${size} count ${count} hole ${hole}`).toEqual(run(k, false));
    }
  });
});
