// Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP in all their forms, TEST,
// INC/DEC, NOT/NEG, XADD, CMPXCHG, CMPXCHG8B. Status flags are left lazy (state.ts).

import type { Cpu } from "../cpu.ts";
import { EAX, EDX, EBX, ECX, SZ16, SZ32, SZ8, ZF, V_UD } from "../regs.ts";
import { LF_ADC, LF_ADD, LF_DEC, LF_INC, LF_NEG, LF_SBB, LF_SUB } from "../state.ts";
import {
  fetchImm,
  getReg,
  pair,
  perOpcode,
  r8i,
  rd,
  setReg,
  sizeBytes,
  sizeMask,
  wr,
  type Handler,
  type HandlerMap,
} from "./operands.ts";

export const ALU_ADD = 0,
  ALU_OR = 1,
  ALU_ADC = 2,
  ALU_SBB = 3,
  ALU_AND = 4,
  ALU_SUB = 5,
  ALU_XOR = 6,
  ALU_CMP = 7;

/** Applies ALU operation op (the reg field of 80-83, or bits 3-5 of 00-3D) to a and b. */
export function alu(c: Cpu, op: number, sz: number, a: number, b: number): number {
  const mask = sizeMask(sz);
  let r: number;
  switch (op) {
    case ALU_ADD:
      r = (a + b) & mask;
      c.setLazy(LF_ADD, sz, a, b, r);
      return r;
    case ALU_OR:
      r = (a | b) & mask;
      c.setLogic(sz, r);
      return r;
    case ALU_ADC: {
      const cin = c.cf();
      r = (a + b + cin) & mask;
      c.setLazy(cin ? LF_ADC : LF_ADD, sz, a, b, r);
      return r;
    }
    case ALU_SBB: {
      const cin = c.cf();
      r = (a - b - cin) & mask;
      c.setLazy(cin ? LF_SBB : LF_SUB, sz, a, b, r);
      return r;
    }
    case ALU_AND:
      r = a & b & mask;
      c.setLogic(sz, r);
      return r;
    case ALU_SUB:
      r = (a - b) & mask;
      c.setLazy(LF_SUB, sz, a, b, r);
      return r;
    case ALU_XOR:
      r = (a ^ b) & mask;
      c.setLogic(sz, r);
      return r;
    default:
      r = (a - b) & mask;
      c.setLazy(LF_SUB, sz, a, b, r);
      return a;
  }
}

// The forms are plain functions of (cpu, operation, size) so that the run loop can call them
// with constants for its hot opcodes (and V8 specialise them); the dispatch table binds the
// same functions for every other path.

/** E op= G */
export function aluEG(c: Cpu, op: number, sz: number): void {
  const m = c.fetch8();
  const b = getReg(c, sz, (m >> 3) & 7);
  if (m >= 0xc0) {
    const r = alu(c, op, sz, getReg(c, sz, m & 7), b);
    if (op !== ALU_CMP) setReg(c, sz, m & 7, r);
  } else if (op === ALU_CMP) {
    alu(c, op, sz, rd(c, sz, c.eaR(m, sizeBytes(sz))), b);
  } else {
    const lin = c.eaW(m, sizeBytes(sz));
    wr(c, sz, lin, alu(c, op, sz, rd(c, sz, lin), b));
  }
}

/** G op= E */
export function aluGE(c: Cpu, op: number, sz: number): void {
  const m = c.fetch8();
  const g = (m >> 3) & 7;
  const b = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, sizeBytes(sz)));
  const r = alu(c, op, sz, getReg(c, sz, g), b);
  if (op !== ALU_CMP) setReg(c, sz, g, r);
}

/** AL/eAX op= immediate */
export function aluAI(c: Cpu, op: number, sz: number): void {
  const b = fetchImm(c, sz);
  const r = alu(c, op, sz, getReg(c, sz, EAX), b);
  if (op !== ALU_CMP) setReg(c, sz, EAX, r);
}

/** Group 1 (80-83): E op= immediate; the reg field picks the operation. immSz SZ8 with sz > SZ8 is 83 (sign-extended byte). */
export function grp1(c: Cpu, sz: number, immSz: number): void {
  const m = c.fetch8();
  const op = (m >> 3) & 7;
  if (m >= 0xc0) {
    const b = immSz === SZ8 && sz !== SZ8 ? c.fetch8s() & sizeMask(sz) : fetchImm(c, immSz);
    const r = alu(c, op, sz, getReg(c, sz, m & 7), b);
    if (op !== ALU_CMP) setReg(c, sz, m & 7, r);
  } else {
    const lin = op === ALU_CMP ? c.eaR(m, sizeBytes(sz)) : c.eaW(m, sizeBytes(sz));
    const b = immSz === SZ8 && sz !== SZ8 ? c.fetch8s() & sizeMask(sz) : fetchImm(c, immSz);
    const r = alu(c, op, sz, rd(c, sz, lin), b);
    if (op !== ALU_CMP) wr(c, sz, lin, r);
  }
}

export function testEG(c: Cpu, sz: number): void {
  const m = c.fetch8();
  const a = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, sizeBytes(sz)));
  c.setLogic(sz, a & getReg(c, sz, (m >> 3) & 7));
}
export function testAI(c: Cpu, sz: number): void {
  c.setLogic(sz, getReg(c, sz, EAX) & fetchImm(c, sz));
}

export function inc(c: Cpu, sz: number, a: number): number {
  const r = (a + 1) & sizeMask(sz);
  c.setLazyKeepCF(LF_INC, sz, a, r);
  return r;
}
export function dec(c: Cpu, sz: number, a: number): number {
  const r = (a - 1) & sizeMask(sz);
  c.setLazyKeepCF(LF_DEC, sz, a, r);
  return r;
}
export function neg(c: Cpu, sz: number, a: number): number {
  const r = -a & sizeMask(sz);
  c.setLazy(LF_NEG, sz, 0, a, r);
  return r;
}

/** INC/DEC of the register in the opcode (40-4F). */
export function incDecZ(c: Cpu, reg: number, sz: number, isDec: boolean): void {
  const a = getReg(c, sz, reg);
  setReg(c, sz, reg, isDec ? dec(c, sz, a) : inc(c, sz, a));
}

/** Group 4 (FE): INC/DEC Eb. */
export const grp4Eb: Handler = (c) => {
  const m = c.fetch8();
  const op = (m >> 3) & 7;
  if (op > 1) c.fault(V_UD);
  if (m >= 0xc0) {
    const i = r8i(m & 7);
    c.r8[i] = op === 0 ? inc(c, SZ8, c.r8[i]) : dec(c, SZ8, c.r8[i]);
  } else {
    const lin = c.eaW(m, 1);
    const a = c.rd8(lin);
    c.wr8(lin, op === 0 ? inc(c, SZ8, a) : dec(c, SZ8, a));
  }
};

function xaddEG(sz: number): Handler {
  return (c) => {
    const m = c.fetch8();
    const g = (m >> 3) & 7;
    const b = getReg(c, sz, g);
    if (m >= 0xc0) {
      const a = getReg(c, sz, m & 7);
      const r = alu(c, ALU_ADD, sz, a, b);
      setReg(c, sz, g, a);
      setReg(c, sz, m & 7, r);
    } else {
      const lin = c.eaW(m, sizeBytes(sz));
      const a = rd(c, sz, lin);
      const r = alu(c, ALU_ADD, sz, a, b);
      wr(c, sz, lin, r);
      setReg(c, sz, g, a);
    }
  };
}

function cmpxchgEG(sz: number): Handler {
  return (c) => {
    const m = c.fetch8();
    const g = (m >> 3) & 7;
    const acc = getReg(c, sz, EAX);
    if (m >= 0xc0) {
      const d = getReg(c, sz, m & 7);
      alu(c, ALU_CMP, sz, acc, d);
      if (acc === d) setReg(c, sz, m & 7, getReg(c, sz, g));
      else setReg(c, sz, EAX, d);
    } else {
      const lin = c.eaW(m, sizeBytes(sz));
      const d = rd(c, sz, lin);
      alu(c, ALU_CMP, sz, acc, d);
      // The destination is written in both cases, as the processor's locked cycle does.
      if (acc === d) wr(c, sz, lin, getReg(c, sz, g));
      else {
        wr(c, sz, lin, d);
        setReg(c, sz, EAX, d);
      }
    }
  };
}

const cmpxchg8bMq: Handler = (c) => {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD);
  const lin = c.eaW(m, 8);
  const lo = c.rd32(lin),
    hi = c.rd32((lin + 4) | 0);
  if (lo === c.r32[EAX] && hi === c.r32[EDX]) {
    c.wr32(lin, c.r32[EBX]);
    c.wr32((lin + 4) | 0, c.r32[ECX]);
    c.setFlag(ZF, true);
  } else {
    c.wr32(lin, lo);
    c.wr32((lin + 4) | 0, hi);
    c.r32[EAX] = lo;
    c.r32[EDX] = hi;
    c.setFlag(ZF, false);
  }
};

const NAMES = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];

export const aluHandlers: HandlerMap = {
  grp1EbIb: (c) => grp1(c, SZ8, SZ8),
  grp1EvIv: [(c) => grp1(c, SZ16, SZ16), (c) => grp1(c, SZ32, SZ32)],
  grp1EvIbs: [(c) => grp1(c, SZ16, SZ8), (c) => grp1(c, SZ32, SZ8)],
  testEbGb: (c) => testEG(c, SZ8),
  testEvGv: pair((sz) => (c) => testEG(c, sz)),
  testALIb: (c) => testAI(c, SZ8),
  testeAXIv: pair((sz) => (c) => testAI(c, sz)),
  grp4Eb,
  xaddEbGb: xaddEG(SZ8),
  xaddEvGv: pair(xaddEG),
  cmpxchgEbGb: cmpxchgEG(SZ8),
  cmpxchgEvGv: pair(cmpxchgEG),
  cmpxchg8bMq,
  incZv: perOpcode((index, sz) => (c) => incDecZ(c, index & 7, sz, false)),
  decZv: perOpcode((index, sz) => (c) => incDecZ(c, index & 7, sz, true)),
};
NAMES.forEach((name, op) => {
  aluHandlers[`${name}EbGb`] = (c) => aluEG(c, op, SZ8);
  aluHandlers[`${name}EvGv`] = pair((sz) => (c) => aluEG(c, op, sz));
  aluHandlers[`${name}GbEb`] = (c) => aluGE(c, op, SZ8);
  aluHandlers[`${name}GvEv`] = pair((sz) => (c) => aluGE(c, op, sz));
  aluHandlers[`${name}ALIb`] = (c) => aluAI(c, op, SZ8);
  aluHandlers[`${name}eAXIv`] = pair((sz) => (c) => aluAI(c, op, sz));
});
