// The MMX instructions (SDM Vol. 1 chapter 9, Vol. 2 each instruction's page): 64-bit packed
// integer arithmetic on MM0-7.
//
// Key design choice: MM0-7 are no state of their own. MMi is the significand of the x87
// physical register Ri (fpu/fpu.ts img: words 1 and 2 of register i), as on the chip (SDM Vol. 1
// §9.5): an MMX write sets Ri's sign and exponent to all ones, and every MMX instruction sets
// TOP to 0 and all tags to valid (here: each register's tag follows its contents, as FSTENV
// reconstructs it on a P6; only "empty" is state of its own), EMMS sets all tags empty.
//
// A 66, F2 or F3 prefix selects another form of the opcode (SSE2's XMM forms, sse2-int.ts; #UD
// where there is none), by the opcode table's rows. Every instruction checks, in the SDM's order:
// CR0.EM (#UD), CR0.TS (#NM), a pending unmasked x87 exception (#MF, or the FERR#
// freeze of fpu.ts waitPending); then it reads its operands (memory faults) and only then changes
// the x87 state, so a faulting instruction leaves TOP and the tags alone.
//
// Operands are computed in the scratch buffers of packed.ts, whose operations serve the MMX and
// the SSE2 (XMM) forms alike.

import type { Cpu } from "../cpu.ts";
import { CR0_EM, CR0_TS, V_NM, V_UD } from "../regs.ts";
import type { Handler, HandlerMap } from "../ops/operands.ts";
import { SW_ES, TAG_EMPTY, TAG_SPECIAL, tagOfClass } from "../fpu/fpu.ts";
import { A, ARITH, B, BINARY_OPS, LEFT, LOGICAL, R, shift, type LaneOp } from "./packed.ts";

/**
 * The checks before any MMX instruction executes. Returns false when the FPU froze on a pending
 * exception (CR0.NE = 0): the instruction then runs again after the interrupt.
 */
export function check(c: Cpu): boolean {
  const cr0 = c.cr[0];
  if (cr0 & CR0_EM) c.fault(V_UD);
  if (cr0 & CR0_TS) c.fault(V_NM);
  const f = c.fpu;
  return (f.sw & SW_ES) === 0 || !f.waitPending();
}

/** The x87 side effect of every MMX instruction but EMMS: TOP = 0, no register empty. */
export function enter(c: Cpu): void {
  const f = c.fpu;
  f.top = 0;
  for (let p = 0; p < 8; p++) if (f.tag[p] === TAG_EMPTY) f.tag[p] = tagOfClass(f.classOf(p));
}

/** MMi into lanes l. */
export function load(c: Cpu, i: number, l: Int32Array): void {
  const img = c.fpu.img;
  l[0] = img[i * 3 + 2];
  l[1] = img[i * 3 + 1];
}
/** Writes MMi: the significand, with sign and exponent all ones (a NaN or infinity: tag special). */
export function store(c: Cpu, i: number, lo: number, hi: number): void {
  const f = c.fpu;
  f.img[i * 3] = 0xffff;
  f.img[i * 3 + 1] = hi;
  f.img[i * 3 + 2] = lo;
  f.tag[i] = TAG_SPECIAL;
}

/** The Q operand of ModRM m into lanes l: MM(rm), or len (4 or 8) bytes of memory (the rest zero). */
export function readQ(c: Cpu, m: number, l: Int32Array, len: number): void {
  if (m >= 0xc0) {
    load(c, m & 7, l);
    return;
  }
  const lin = c.eaR(m, len);
  l[0] = c.rd32(lin);
  l[1] = len === 8 ? c.rd32((lin + 4) | 0) : 0;
}

/** Pq,Qq (or Pq,Qd): R = op(A, B), A being the destination MMX register. */
export function binary(op: LaneOp, srcLen = 8): Handler {
  return (c) => {
    const m = c.fetch8();
    if (!check(c)) return;
    readQ(c, m, B.d, srcLen);
    const p = (m >> 3) & 7;
    load(c, p, A.d);
    op(8, 0);
    enter(c);
    store(c, p, R.d[0], R.d[1]);
  };
}

/** PSRLx/PSRAx/PSLLx mm, imm8 (0F 71-73: the register is the r/m field; memory forms are #UD). */
function shiftByIb(kind: number, width: number): Handler {
  return (c) => {
    const m = c.fetch8();
    if (m < 0xc0) c.fault(V_UD);
    const n = c.fetch8();
    if (!check(c)) return;
    const p = m & 7;
    load(c, p, A.d);
    shift(kind, width, 8, n);
    enter(c);
    store(c, p, R.d[0], R.d[1]);
  };
}

// ---- moves

/** MOVD mm, r/m32: zero-extended. */
const movdPdEd: Handler = (c) => {
  const m = c.fetch8();
  if (!check(c)) return;
  const v = m >= 0xc0 ? c.r32[m & 7] : c.rd32(c.eaR(m, 4));
  enter(c);
  store(c, (m >> 3) & 7, v, 0);
};
/** MOVD r/m32, mm: the low dword. */
const movdEdPd: Handler = (c) => {
  const m = c.fetch8();
  if (!check(c)) return;
  load(c, (m >> 3) & 7, A.d);
  if (m >= 0xc0) c.r32[m & 7] = A.d[0];
  else c.wr32(c.eaW(m, 4), A.d[0]);
  enter(c);
};
/** MOVQ mm, mm/m64. */
const movqPqQq: Handler = (c) => {
  const m = c.fetch8();
  if (!check(c)) return;
  readQ(c, m, B.d, 8);
  enter(c);
  store(c, (m >> 3) & 7, B.d[0], B.d[1]);
};
/** MOVQ mm/m64, mm. */
const movqQqPq: Handler = (c) => {
  const m = c.fetch8();
  if (!check(c)) return;
  load(c, (m >> 3) & 7, A.d);
  if (m >= 0xc0) {
    enter(c);
    store(c, m & 7, A.d[0], A.d[1]);
    return;
  }
  const lin = c.eaW(m, 8);
  c.wr32(lin, A.d[0]);
  c.wr32((lin + 4) | 0, A.d[1]);
  enter(c);
};

/** EMMS: all x87 registers empty, TOP = 0 (SDM Vol. 1 table 9-2). */
const emms: Handler = (c) => {
  if (!check(c)) return;
  const f = c.fpu;
  f.top = 0;
  f.tag.fill(TAG_EMPTY);
};

export const mmxHandlers: HandlerMap = {
  movdPdEd,
  movdEdPd,
  movqPqQq,
  movqQqPq,
  emms,
  psrlwNqIb: shiftByIb(LOGICAL, 16),
  psrldNqIb: shiftByIb(LOGICAL, 32),
  psrlqNqIb: shiftByIb(LOGICAL, 64),
  psrawNqIb: shiftByIb(ARITH, 16),
  psradNqIb: shiftByIb(ARITH, 32),
  psllwNqIb: shiftByIb(LEFT, 16),
  pslldNqIb: shiftByIb(LEFT, 32),
  psllqNqIb: shiftByIb(LEFT, 64),
};

// The binary instructions of packed.ts, the SSE and SSE2 additions (PAVGB, PADDQ...) included.
for (const [name, op] of Object.entries(BINARY_OPS)) {
  // PUNPCKL* read a doubleword from memory (Pq,Qd), the others a quadword.
  if (name.startsWith("punpckl")) mmxHandlers[`${name}PqQd`] = binary(op, 4);
  else mmxHandlers[`${name}PqQq`] = binary(op);
}
