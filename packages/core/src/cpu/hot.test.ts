// The specialised handlers of hot.generated.ts against the generic handlers in ops/*.ts: for
// every opcode the run loop's switch handles, in 16- and 32-bit operand size, many random
// register, flag and memory states run one instruction on two CPUs (switch path vs a table of
// generic handlers) and must end identical.
import { describe, expect, it } from "vitest";
import { Cpu } from "./cpu.ts";
import { buildTable, GENERIC_HANDLERS } from "./exec-table.ts";
import { runLoop, runLoopTable, SWITCH_INDICES } from "./hot.generated.ts";
import { CS, DS, ES, SS } from "./regs.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../memory/physical-memory.ts";

const GENERIC = buildTable(GENERIC_HANDLERS);
const RAM = 1 << 21;
const CODE = 0x30000;

/** xorshift32: reproducible random numbers. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function makeCpu(): Cpu {
  const mem = new PhysicalMemory(RAM);
  return new Cpu(mem, new Dispatcher());
}

function setup(c: Cpu, rand: () => number, bytes: number[], big: boolean): void {
  c.reset();
  c.mem.setA20(true);
  c.mem.ram.fill(0);
  for (let i = 0; i < 0x2000; i++) c.mem.ram[0x10000 + i] = rand() & 0xff; // data and stack area
  for (let r = 0; r < 8; r++) c.r32[r] = rand();
  // Keep memory operands inside the data area: small base/index registers.
  c.r32[3] = rand() & 0xff;
  c.r32[5] = rand() & 0xff;
  c.r32[6] = rand() & 0xff;
  c.r32[7] = rand() & 0xff;
  c.r32[4] = 0x1000 + (rand() & 0x7fe);
  for (const s of [DS, ES, SS]) c.setSegReal(s, 0x1000, 0xffff, 0x93);
  c.setSegReal(CS, CODE >> 4, big ? -1 : 0xffff, 0x9b);
  c.writeFlags(rand(), 0x8d5);
  if (big) {
    c.defOsizeBase = 512;
    c.defAsize32 = false;
  }
  c.clearPrefixes();
  c.mem.ram.set(bytes, CODE + 0x100);
  c.eip = 0x100;
}

function state(c: Cpu): string {
  return JSON.stringify({
    regs: Array.from(c.r32.subarray(0, 8)),
    eip: c.getEip(),
    flags: c.getFlags(),
    mem: Array.from(c.mem.ram.subarray(0x10000, 0x12000)).join(","),
    halted: c.halted,
  });
}

describe("specialised hot handlers agree with the generic handlers", () => {
  it("for every switch opcode, 16- and 32-bit, on random states", () => {
    const a = makeCpu(),
      b = makeCpu();
    (b as { ops: unknown }).ops = GENERIC;
    const rand = rng(12345);
    let compared = 0;
    for (const index of SWITCH_INDICES) {
      const big = index >= 512;
      const op = index & 0x1ff;
      if (op >= 256) continue;
      for (let trial = 0; trial < 24; trial++) {
        // opcode, then a ModRM byte with 16-bit addressing, displacement and immediate bytes
        const bytes = [op, rand() & 0xff, rand() & 0xff, rand() & 0xff, rand() & 0xff, rand() & 0xff, 0xf4];
        const seed = rand();
        setup(a, rng(seed), bytes, big);
        setup(b, rng(seed), bytes, big);
        runLoop(a, 1);
        runLoopTable(b, 1);
        expect({ index: index.toString(16), bytes, s: state(a) }).toEqual({
          index: index.toString(16),
          bytes,
          s: state(b),
        });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it("for every shift and rotate of group 2, every count 0 to 31, register and memory operands", () => {
    const a = makeCpu(),
      b = makeCpu();
    (b as { ops: unknown }).ops = GENERIC;
    const rand = rng(777);
    /** Registers, EFLAGS, EIP and the bytes at [BX] (the memory operand). */
    const small = (c: Cpu) =>
      JSON.stringify([
        Array.from(c.r32.subarray(0, 8)),
        c.getFlags(),
        c.getEip(),
        Array.from(c.mem.ram.subarray(0x10000 + c.r16[6], 0x10000 + c.r16[6] + 4)),
      ]);
    let compared = 0;
    for (const big of [false, true]) {
      for (const op of [0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]) {
        for (let reg = 0; reg < 8; reg++) {
          for (let count = 0; count < 32; count++) {
            if (op >= 0xd0 && op <= 0xd1 && count > 0) break; // by one
            for (const mem of [false, true]) {
              // [BX] (ModRM rm 7 with 16-bit addressing) or a random register
              const m = mem ? (reg << 3) | 7 : 0xc0 | (reg << 3) | (rand() & 7);
              const bytes = op === 0xc0 || op === 0xc1 ? [op, m, count | (rand() & 0xe0)] : [op, m];
              const seed = rand(),
                cl = count | (rand() & 0xe0);
              for (const c of [a, b]) {
                setup(c, rng(seed), [...bytes, 0xf4], big);
                if (op === 0xd2 || op === 0xd3) c.r8[4] = cl;
              }
              runLoop(a, 1);
              runLoopTable(b, 1);
              expect({ bytes, big, cl: a.r8[4], s: small(a) }).toEqual({ bytes, big, cl: b.r8[4], s: small(b) });
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(3000);
  });
});
