// String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE.
// A repeated instruction runs its iterations in a loop but stops at any pending event (an
// interrupt, a single-step trap) or after a bounded number of iterations, leaving EIP at the
// instruction's first byte with the registers describing the work done so far: it then
// resumes where it stopped, as on the processor (SDM Vol. 2, REP).

import type { Cpu } from "../cpu.ts";
import { DF, EAX, ECX, EDI, EDX, ES, ESI, START_EIP, SZ16, SZ8 } from "../regs.ts";
import { alu, ALU_CMP } from "./alu.ts";
import { getReg, rd, setReg, sizeBytes, wr, type Handler, type HandlerMap } from "./operands.ts";

/** Iterations one execution of a REP instruction may run before yielding to the run loop. */
const REP_CHUNK = 4096;

const SI = ESI << 1,
  DI = EDI << 1,
  CX = ECX << 1;

function srcOff(c: Cpu): number {
  return c.asize32 ? c.r32[ESI] : c.r16[SI];
}
function dstOff(c: Cpu): number {
  return c.asize32 ? c.r32[EDI] : c.r16[DI];
}
function advSi(c: Cpu, step: number): void {
  if (c.asize32) c.r32[ESI] = c.r32[ESI] + step;
  else c.r16[SI] = c.r16[SI] + step;
}
function advDi(c: Cpu, step: number): void {
  if (c.asize32) c.r32[EDI] = c.r32[EDI] + step;
  else c.r16[DI] = c.r16[DI] + step;
}
function count(c: Cpu): number {
  return c.asize32 ? c.r32[ECX] >>> 0 : c.r16[CX];
}
/** Decrements the count register; returns the new count. */
function decCount(c: Cpu): number {
  if (c.asize32) {
    const v = (c.r32[ECX] - 1) | 0;
    c.r32[ECX] = v;
    return v;
  }
  const v = (c.r16[CX] - 1) & 0xffff;
  c.r16[CX] = v;
  return v;
}
/** After an iteration with more to do: true when the instruction must yield and restart. */
function mustYield(c: Cpu, iter: number): boolean {
  if (c.events !== 0 || iter >= REP_CHUNK) {
    c.setEip(c.r32[START_EIP]);
    return true;
  }
  return false;
}

/** Whether REP MOVS/STOS run in bulk (tests compare with the iterations one by one). */
export const stringBulk = { enabled: true };

/**
 * REP STOS and REP MOVS forward with a 32-bit address size, many iterations at once: those that
 * stay inside one page for each operand, within the segment limits, on pages the TLB maps
 * directly (plain RAM, writable and holding no compiled code for the destination), and up to
 * the next point where the instruction may yield, while no event is pending. They leave the
 * registers and memory as the iterations one by one would (a MOVS whose destination overlaps
 * its source ahead of it copies only up to the overlap), and raise no event. Returns how many
 * ran; 0 when the next one must run alone (it may fault, or fill the TLB).
 */
function bulk(c: Cpu, sz: number, b: number, iter: number, movs: boolean): number {
  if (!stringBulk.enabled || !c.asize32 || c.flags & DF || c.events !== 0) return 0;
  const di = c.r32[EDI] >>> 0;
  const dst = (c.segBase[ES] + di) | 0;
  let k = Math.min(c.r32[ECX] >>> 0, REP_CHUNK - iter + 1, ((0x1000 - (dst & 0xfff)) / b) | 0);
  if (di + k * b > c.segLimW[ES]) return 0;
  const e = ~c.tlbW[dst >>> 12];
  if (e === -1) return 0;
  const p = dst ^ e;
  const ram = c.ram;
  if (movs) {
    const si = c.r32[ESI] >>> 0;
    const src = (c.segBase[c.dsSeg] + si) | 0;
    k = Math.min(k, ((0x1000 - (src & 0xfff)) / b) | 0);
    if (si + k * b > c.segLimR[c.dsSeg]) return 0;
    const er = ~c.tlbR[src >>> 12];
    if (er === -1) return 0;
    const q = src ^ er;
    if (p > q && p < q + k * b) k = ((p - q) / b) | 0;
    if (k < 2) return 0;
    ram.copyWithin(p, q, q + k * b);
    c.r32[ESI] = si + k * b;
  } else {
    if (k < 2) return 0;
    const v = c.r32[EAX];
    if (b === 1) ram.fill(v & 0xff, p, p + k);
    else if (b === 4 && (p & 3) === 0) c.ram32.fill(v, p >>> 2, (p >>> 2) + k);
    else for (let i = 0; i < k * b; i++) ram[p + i] = v >> ((i % b) * 8);
  }
  c.r32[EDI] = di + k * b;
  c.r32[ECX] = c.r32[ECX] - k;
  return k;
}

/**
 * Builds a string handler from one iteration. compare: CMPS/SCAS, whose REPE/REPNE also
 * stop on ZF. fast: MOVS and STOS, which run in bulk where they can (bulk).
 */
function stringOp(
  step1: (c: Cpu, sz: number, step: number) => void,
  compare: boolean,
  fast?: "movs" | "stos",
): (sz: number) => Handler {
  return (sz) => {
    const b = sizeBytes(sz);
    return (c) => {
      const step = c.flags & DF ? -b : b;
      if (c.rep === 0) {
        step1(c, sz, step);
        return;
      }
      if (count(c) === 0) return;
      for (let iter = 1; ; iter++) {
        const k = fast === undefined ? 0 : bulk(c, sz, b, iter, fast === "movs");
        if (k > 0) {
          // Iterations iter .. iter + k - 1 ran; the checks after the last of them follow.
          iter += k - 1;
          if (count(c) === 0) return;
          if (mustYield(c, iter)) return;
          continue;
        }
        step1(c, sz, step);
        if (decCount(c) === 0) return;
        if (compare && (c.zf() !== 0) !== (c.rep === 0xf3)) return;
        if (mustYield(c, iter)) return;
      }
    };
  };
}

const movs = stringOp(
  (c, sz, step) => {
    const b = sizeBytes(sz);
    const v = rd(c, sz, c.segR(c.dsSeg, srcOff(c), b));
    wr(c, sz, c.segW(ES, dstOff(c), b), v);
    advSi(c, step);
    advDi(c, step);
  },
  false,
  "movs",
);

const stos = stringOp(
  (c, sz, step) => {
    wr(c, sz, c.segW(ES, dstOff(c), sizeBytes(sz)), getReg(c, sz, EAX));
    advDi(c, step);
  },
  false,
  "stos",
);

const lods = stringOp((c, sz, step) => {
  setReg(c, sz, EAX, rd(c, sz, c.segR(c.dsSeg, srcOff(c), sizeBytes(sz))));
  advSi(c, step);
}, false);

const cmps = stringOp((c, sz, step) => {
  const b = sizeBytes(sz);
  const a = rd(c, sz, c.segR(c.dsSeg, srcOff(c), b));
  const d = rd(c, sz, c.segR(ES, dstOff(c), b));
  alu(c, ALU_CMP, sz, a, d);
  advSi(c, step);
  advDi(c, step);
}, true);

const scas = stringOp((c, sz, step) => {
  const d = rd(c, sz, c.segR(ES, dstOff(c), sizeBytes(sz)));
  alu(c, ALU_CMP, sz, getReg(c, sz, EAX), d);
  advDi(c, step);
}, true);

const ins = stringOp((c, sz, step) => {
  const b = sizeBytes(sz);
  const port = c.r16[EDX << 1];
  c.checkIo(port, b);
  const lin = c.segW(ES, dstOff(c), b);
  // The destination must take the write (segment and page) before the port is read.
  c.writable(lin, b);
  const v = sz === SZ8 ? c.io.in8(port) : sz === SZ16 ? c.io.in16(port) : c.io.in32(port);
  wr(c, sz, lin, v);
  advDi(c, step);
}, false);

const outs = stringOp((c, sz, step) => {
  const b = sizeBytes(sz);
  const port = c.r16[EDX << 1];
  c.checkIo(port, b);
  const v = rd(c, sz, c.segR(c.dsSeg, srcOff(c), b));
  if (sz === SZ8) c.io.out8(port, v);
  else if (sz === SZ16) c.io.out16(port, v);
  else c.io.out32(port, v);
  advSi(c, step);
}, false);

export const stringHandlers: HandlerMap = {};
// Byte forms (A4, AA, ...) and word/dword forms (A5, AB, ...) share a name in the opcode
// table; the builder passes the operand size, and the byte opcodes are even.
for (const [name, make] of Object.entries({ movs, stos, lods, cmps, scas, ins, outs })) {
  stringHandlers[name] = { perOpcode: (index, sz) => make((index & 1) === 0 ? SZ8 : sz) };
}
