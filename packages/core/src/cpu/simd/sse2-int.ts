// The integer SIMD instructions of SSE and SSE2 (SDM Vol. 1 §10.4.4, §11.4.2-11.4.4; Vol. 2 each
// instruction's page) and the cache and ordering instructions: the 66-prefixed XMM forms of the
// MMX instructions, the SSE2-only ones (PSHUFD, PSHUFHW/LW, PSLLDQ/PSRLDQ, PUNPCKxQDQ, MOVDQA,
// MOVDQU, MOVD/MOVQ with XMM, MOVQ2DQ, MOVDQ2Q, MASKMOVDQU, MOVNTDQ), the MMX forms that need
// more than packed.ts's binary operations (PSHUFW, PEXTRW, PINSRW, PMOVMSKB, MASKMOVQ, MOVNTQ),
// MOVNTI, CLFLUSH, LFENCE, MFENCE and SFENCE. The binary operations themselves (PADDB ... PSADBW)
// are packed.ts's, shared with the MMX forms (mmx.ts).
//
// Key design choice: XMMi is cpu.xmm[4i .. 4i+3]; an instruction loads its operands into
// packed.ts's scratch buffers A and B, computes R, and stores R (no allocation). Checks, in the
// SDM's order (Vol. 2 table 2-20/2-21): CR0.EM or CR4.OSFXSR clear #UD, CR0.TS #NM, then the
// memory operand (segment, 16-byte alignment #GP(0) for the 128-bit operands but MOVDQU's, page).
// The MMX forms check as mmx.ts does (#MF for a pending x87 exception) and have its x87 side
// effects. Non-temporal stores are ordinary stores and the fences do nothing: this CPU has no
// caches or write-combining buffers, and executes memory accesses in program order.

import type { Cpu } from "../cpu.ts";
import { CR0_EM, CR0_TS, CR4_OSFXSR, V_GP, V_NM, V_UD, EDI } from "../regs.ts";
import type { Handler, HandlerMap } from "../ops/operands.ts";
import {
  A,
  ARITH,
  B,
  BINARY_OPS,
  LEFT,
  LOGICAL,
  R,
  SHUFFLE_OPS,
  XMM_ONLY_OPS,
  shift,
  shiftBytes,
  type LaneOp,
} from "./packed.ts";
import { check as mmxCheck, enter, load as mmxLoad, readQ, store as mmxStore } from "./mmx.ts";

/** The checks every SSE/SSE2 instruction makes before its operands (SDM Vol. 2 table 2-20). */
function check(c: Cpu): void {
  const cr0 = c.cr[0];
  if (cr0 & CR0_EM || (c.cr[4] & CR4_OSFXSR) === 0) c.fault(V_UD);
  if (cr0 & CR0_TS) c.fault(V_NM);
}

/** #GP(0) (or the real-mode #GP) for a 16-byte operand not aligned on 16 bytes. */
function aligned(c: Cpu, lin: number): void {
  if (lin & 15) c.fault(V_GP, c.isProtected() ? 0 : -1);
}

/** XMMi into lanes l. */
function xload(c: Cpu, i: number, l: Int32Array): void {
  const x = c.xmm,
    s = i * 4;
  l[0] = x[s];
  l[1] = x[s + 1];
  l[2] = x[s + 2];
  l[3] = x[s + 3];
}
/** R into XMMi. */
function xstoreR(c: Cpu, i: number): void {
  const x = c.xmm,
    s = i * 4;
  x[s] = R.d[0];
  x[s + 1] = R.d[1];
  x[s + 2] = R.d[2];
  x[s + 3] = R.d[3];
}

/**
 * The W operand of ModRM m into lanes l: XMM(rm), or len (16, 8 or 4) bytes of memory with the
 * rest zero; align: a 16-byte operand must be aligned.
 */
function readW(c: Cpu, m: number, l: Int32Array, len: number, align: boolean): void {
  if (m >= 0xc0) {
    xload(c, m & 7, l);
    return;
  }
  const off = c.eaOff(m); // sets eaSeg: before it is read
  const lin = c.segR(c.eaSeg, off, len);
  if (align) aligned(c, lin);
  for (let i = 0; i < 4; i++) l[i] = i * 4 < len ? c.rd32((lin + i * 4) | 0) : 0;
}

/** Writes len (16 or 8) bytes of lanes l to the memory operand of ModRM m. */
function writeM(c: Cpu, m: number, l: Int32Array, len: number, align: boolean): void {
  const off = c.eaOff(m); // sets eaSeg: before it is read
  const lin = c.segW(c.eaSeg, off, len);
  if (align) aligned(c, lin);
  c.writable(lin, len);
  for (let i = 0; i < len >> 2; i++) c.wr32((lin + i * 4) | 0, l[i]);
}

// ---- XMM forms of the packed operations

/** Vdq,Wdq: R = op(A, B), A being the destination XMM register; the memory operand aligned. */
function xbinary(op: LaneOp): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, B.d, 16, true);
    const p = (m >> 3) & 7;
    xload(c, p, A.d);
    op(16, 0);
    xstoreR(c, p);
  };
}

/** PSHUFD/PSHUFHW/PSHUFLW Vdq,Wdq,Ib: R = op(B, imm). */
function xshuffle(op: LaneOp): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, B.d, 16, true);
    const imm = c.fetch8();
    op(16, imm);
    xstoreR(c, (m >> 3) & 7);
  };
}

/** PSRLx/PSRAx/PSLLx/PSRLDQ/PSLLDQ xmm, imm8 (66 0F 71-73: register only, memory forms #UD). */
function xshiftByIb(kind: number, width: number): Handler {
  return (c) => {
    const m = c.fetch8();
    if (m < 0xc0) c.fault(V_UD);
    const n = c.fetch8();
    check(c);
    const p = m & 7;
    xload(c, p, A.d);
    if (width === 128) shiftBytes(kind === LEFT, n);
    else shift(kind, width, 16, n);
    xstoreR(c, p);
  };
}

// ---- MMX forms that are not binary operations

/** PSHUFW Pq,Qq,Ib. */
const pshufwPqQqIb: Handler = (c) => {
  const m = c.fetch8();
  if (!mmxCheck(c)) return;
  readQ(c, m, B.d, 8);
  const imm = c.fetch8();
  SHUFFLE_OPS.pshufw(8, imm);
  enter(c);
  mmxStore(c, (m >> 3) & 7, R.d[0], R.d[1]);
};

/** PEXTRW Gd,Nq,Ib / Gd,Udq,Ib: the word imm (mod 4 or 8), zero-extended. */
function pextrw(xmm: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    if (m < 0xc0) c.fault(V_UD);
    const imm = c.fetch8();
    if (xmm) {
      check(c);
      xload(c, m & 7, A.d);
      c.r32[(m >> 3) & 7] = A.uw[imm & 7];
    } else {
      if (!mmxCheck(c)) return;
      mmxLoad(c, m & 7, A.d);
      enter(c);
      c.r32[(m >> 3) & 7] = A.uw[imm & 3];
    }
  };
}

/** PINSRW Pq,Ew,Ib / Vdq,Ew,Ib: the low word of r32, or m16, into word imm (mod 4 or 8). */
function pinsrw(xmm: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    if (xmm) check(c);
    else if (!mmxCheck(c)) return;
    const v = m >= 0xc0 ? c.r32[m & 7] : c.rd16(c.eaR(m, 2));
    const imm = c.fetch8();
    const p = (m >> 3) & 7;
    if (xmm) {
      xload(c, p, R.d);
      R.uw[imm & 7] = v;
      xstoreR(c, p);
    } else {
      mmxLoad(c, p, R.d);
      R.uw[imm & 3] = v;
      enter(c);
      mmxStore(c, p, R.d[0], R.d[1]);
    }
  };
}

/** PMOVMSKB Gd,Nq / Gd,Udq: the sign bits of the bytes, zero-extended. */
function pmovmskb(xmm: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    if (m < 0xc0) c.fault(V_UD);
    let n = 16;
    if (xmm) {
      check(c);
      xload(c, m & 7, A.d);
    } else {
      if (!mmxCheck(c)) return;
      mmxLoad(c, m & 7, A.d);
      enter(c);
      n = 8;
    }
    let v = 0;
    for (let i = 0; i < n; i++) v |= (A.ub[i] >> 7) << i;
    c.r32[(m >> 3) & 7] = v;
  };
}

/**
 * MASKMOVQ Pq,Nq / MASKMOVDQU Vdq,Udq: each byte of the first register whose mask byte (in the
 * second) has its top bit set is stored at DS:eDI (segment overridable) + its index. The segment
 * check covers the whole 8 or 16 bytes; pages are checked for the bytes stored only, all before
 * the first store, so a fault stores nothing and a mask of zeros touches no page.
 */
function maskmov(xmm: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    if (m < 0xc0) c.fault(V_UD);
    let n = 16;
    if (xmm) {
      check(c);
      xload(c, (m >> 3) & 7, A.d);
      xload(c, m & 7, B.d);
    } else {
      if (!mmxCheck(c)) return;
      mmxLoad(c, (m >> 3) & 7, A.d);
      mmxLoad(c, m & 7, B.d);
      n = 8;
    }
    const off = c.asize32 ? c.r32[EDI] : c.r32[EDI] & 0xffff;
    const lin = c.segW(c.dsSeg, off, n);
    let first = -1,
      last = -1;
    for (let i = 0; i < n; i++) {
      if (B.b[i] < 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) {
      c.writable((lin + first) | 0, 1);
      c.writable((lin + last) | 0, 1);
      for (let i = first; i <= last; i++) if (B.b[i] < 0) c.wr8((lin + i) | 0, A.ub[i]);
    }
    if (!xmm) enter(c);
  };
}

/** MOVNTQ Mq,Pq: a store (memory only). */
const movntqMqPq: Handler = (c) => {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD);
  if (!mmxCheck(c)) return;
  mmxLoad(c, (m >> 3) & 7, A.d);
  const lin = c.eaW(m, 8);
  c.wr32(lin, A.d[0]);
  c.wr32((lin + 4) | 0, A.d[1]);
  enter(c);
};

// ---- XMM moves

/** MOVDQA/MOVDQU Vdq,Wdq. */
function movVW(align: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, R.d, 16, align);
    xstoreR(c, (m >> 3) & 7);
  };
}
/** MOVDQA/MOVDQU Wdq,Vdq; MOVNTDQ Mdq,Vdq (memOnly). */
function movWV(align: boolean, memOnly: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    if (memOnly && m >= 0xc0) c.fault(V_UD);
    check(c);
    xload(c, (m >> 3) & 7, R.d);
    if (m >= 0xc0) xstoreR(c, m & 7);
    else writeM(c, m, R.d, 16, align);
  };
}

/** MOVD Vdq,Ed (66 0F 6E): zero-extended to 128 bits. */
const movdVdqEd: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  R.d[0] = m >= 0xc0 ? c.r32[m & 7] : c.rd32(c.eaR(m, 4));
  R.d[1] = R.d[2] = R.d[3] = 0;
  xstoreR(c, (m >> 3) & 7);
};
/** MOVD Ed,Vdq (66 0F 7E): the low dword. */
const movdEdVdq: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  const v = c.xmm[((m >> 3) & 7) * 4];
  if (m >= 0xc0) c.r32[m & 7] = v;
  else c.wr32(c.eaW(m, 4), v);
};
/** MOVQ Vdq,Wq (F3 0F 7E): the low quadword, the high one cleared (also from a register). */
const movqVdqWq: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  readW(c, m, R.d, 8, false);
  R.d[2] = R.d[3] = 0;
  xstoreR(c, (m >> 3) & 7);
};
/** MOVQ Wq,Vdq (66 0F D6): to memory 8 bytes; to a register the high quadword is cleared. */
const movqWqVdq: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  xload(c, (m >> 3) & 7, R.d);
  if (m < 0xc0) {
    writeM(c, m, R.d, 8, false);
    return;
  }
  R.d[2] = R.d[3] = 0;
  xstoreR(c, m & 7);
};
/** MOVQ2DQ Vdq,Nq (F3 0F D6): MMX register into the low quadword, high cleared; an MMX instruction. */
const movq2dqVdqNq: Handler = (c) => {
  const m = c.fetch8();
  if (m < 0xc0) c.fault(V_UD);
  check(c);
  if (!mmxCheck(c)) return;
  mmxLoad(c, m & 7, R.d);
  R.d[2] = R.d[3] = 0;
  enter(c);
  xstoreR(c, (m >> 3) & 7);
};
/** MOVDQ2Q Pq,Udq (F2 0F D6): the low quadword into an MMX register. */
const movdq2qPqUdq: Handler = (c) => {
  const m = c.fetch8();
  if (m < 0xc0) c.fault(V_UD);
  check(c);
  if (!mmxCheck(c)) return;
  const s = (m & 7) * 4;
  enter(c);
  mmxStore(c, (m >> 3) & 7, c.xmm[s], c.xmm[s + 1]);
};

/** MOVNTI Md,Gd (0F C3): a store (memory only). */
const movntiMdGd: Handler = (c) => {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD);
  c.wr32(c.eaW(m, 4), c.r32[(m >> 3) & 7]);
};

// ---- cache control and ordering

/** LFENCE, MFENCE (0F AE /5 /6 with a register operand; the memory forms are #UD). */
const fence: Handler = (c) => {
  if (c.fetch8() < 0xc0) c.fault(V_UD);
};
/**
 * 0F AE /7: SFENCE with a register operand; CLFLUSH m8 with memory: the checks of a byte read
 * (segment, page), nothing else (no cache here).
 */
const clflush: Handler = (c) => {
  const m = c.fetch8();
  if (m >= 0xc0) return; // sfence
  const lin = c.eaR(m, 1);
  c.translate(lin, false); // the page walk of a read (a fault if absent or not allowed)
};

export const sse2IntHandlers: HandlerMap = {
  pshufwPqQqIb,
  pshufdVdqWdqIb: xshuffle(SHUFFLE_OPS.pshufd),
  pshufhwVdqWdqIb: xshuffle(SHUFFLE_OPS.pshufhw),
  pshuflwVdqWdqIb: xshuffle(SHUFFLE_OPS.pshuflw),
  psrlwUdqIb: xshiftByIb(LOGICAL, 16),
  psrldUdqIb: xshiftByIb(LOGICAL, 32),
  psrlqUdqIb: xshiftByIb(LOGICAL, 64),
  psrawUdqIb: xshiftByIb(ARITH, 16),
  psradUdqIb: xshiftByIb(ARITH, 32),
  psllwUdqIb: xshiftByIb(LEFT, 16),
  pslldUdqIb: xshiftByIb(LEFT, 32),
  psllqUdqIb: xshiftByIb(LEFT, 64),
  psrldqUdqIb: xshiftByIb(LOGICAL, 128),
  pslldqUdqIb: xshiftByIb(LEFT, 128),
  pextrwGdNqIb: pextrw(false),
  pextrwGdUdqIb: pextrw(true),
  pinsrwPqEwIb: pinsrw(false),
  pinsrwVdqEwIb: pinsrw(true),
  pmovmskbGdNq: pmovmskb(false),
  pmovmskbGdUdq: pmovmskb(true),
  maskmovqPqNq: maskmov(false),
  maskmovdquVdqUdq: maskmov(true),
  movntqMqPq,
  movdqaVdqWdq: movVW(true),
  movdquVdqWdq: movVW(false),
  movdqaWdqVdq: movWV(true, false),
  movdquWdqVdq: movWV(false, false),
  movntdqMdqVdq: movWV(true, true),
  movdVdqEd,
  movdEdVdq,
  movqVdqWq,
  movqWqVdq,
  movq2dqVdqNq,
  movdq2qPqUdq,
  movntiMdGd,
  lfenceU: fence,
  mfenceU: fence,
  clflush,
};

for (const [name, op] of Object.entries(BINARY_OPS)) sse2IntHandlers[`${name}VdqWdq`] = xbinary(op);
for (const [name, op] of Object.entries(XMM_ONLY_OPS)) sse2IntHandlers[`${name}VdqWdq`] = xbinary(op);
