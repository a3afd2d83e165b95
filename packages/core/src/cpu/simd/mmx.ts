// The MMX instructions (SDM Vol. 1 chapter 9, Vol. 2 each instruction's page): 64-bit packed
// integer arithmetic on MM0-7.
//
// Key design choice: MM0-7 are no state of their own. MMi is the significand of the x87
// physical register Ri (fpu/fpu.ts img: words 1 and 2 of register i), as on the chip (SDM Vol. 1
// §9.5): an MMX write sets Ri's sign and exponent to all ones, and every MMX instruction sets
// TOP to 0 and all tags to valid (here: each register's tag follows its contents, as FSTENV
// reconstructs it on a P6; only "empty" is state of its own), EMMS sets all tags empty.
//
// Every instruction checks, in the SDM's order: a 66/F2/F3 prefix (an SSE form this CPU does not
// have: #UD), CR0.EM (#UD), CR0.TS (#NM), a pending unmasked x87 exception (#MF, or the FERR#
// freeze of fpu.ts waitPending); then it reads its operands (memory faults) and only then changes
// the x87 state, so a faulting instruction leaves TOP and the tags alone.
//
// Operands are computed in 8-byte scratch buffers seen as bytes, words and dwords (lane 0 is the
// least significant: typed arrays are little-endian on every platform this code runs on).

import type { Cpu } from "../cpu.ts";
import { CR0_EM, CR0_TS, V_NM, V_UD } from "../regs.ts";
import type { Handler, HandlerMap } from "../ops/operands.ts";
import { SW_ES, TAG_EMPTY, TAG_SPECIAL, tagOfClass } from "../fpu/fpu.ts";

function lanes() {
  const buf = new ArrayBuffer(8);
  return {
    d: new Int32Array(buf),
    w: new Int16Array(buf),
    uw: new Uint16Array(buf),
    b: new Int8Array(buf),
    ub: new Uint8Array(buf),
  };
}
/** Destination (and first source), second source, result. */
const A = lanes(),
  B = lanes(),
  R = lanes();

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
function readQ(c: Cpu, m: number, l: Int32Array, len: number): void {
  if (m >= 0xc0) {
    load(c, m & 7, l);
    return;
  }
  const lin = c.eaR(m, len);
  l[0] = c.rd32(lin);
  l[1] = len === 8 ? c.rd32((lin + 4) | 0) : 0;
}

/** Pq,Qq (or Pq,Qd): R = op(A, B), A being the destination MMX register. */
function binary(op: () => void, srcLen = 8): Handler {
  return (c) => {
    const m = c.fetch8();
    if (!check(c)) return;
    readQ(c, m, B.d, srcLen);
    const p = (m >> 3) & 7;
    load(c, p, A.d);
    op();
    enter(c);
    store(c, p, R.d[0], R.d[1]);
  };
}

// ---- element-wise arithmetic

const sat8 = (v: number) => (v > 127 ? 127 : v < -128 ? -128 : v);
const sat16 = (v: number) => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
const satU8 = (v: number) => (v > 255 ? 255 : v < 0 ? 0 : v);
const satU16 = (v: number) => (v > 65535 ? 65535 : v < 0 ? 0 : v);

function bytes(f: (a: number, b: number) => number, signed: boolean): () => void {
  return () => {
    const a = signed ? A.b : A.ub,
      b = signed ? B.b : B.ub;
    for (let i = 0; i < 8; i++) R.ub[i] = f(a[i], b[i]);
  };
}
function words(f: (a: number, b: number) => number, signed: boolean): () => void {
  return () => {
    const a = signed ? A.w : A.uw,
      b = signed ? B.w : B.uw;
    for (let i = 0; i < 4; i++) R.uw[i] = f(a[i], b[i]);
  };
}
function dwords(f: (a: number, b: number) => number): () => void {
  return () => {
    for (let i = 0; i < 2; i++) R.d[i] = f(A.d[i], B.d[i]);
  };
}
const mask = (t: boolean) => (t ? -1 : 0);

// ---- pack and unpack

/** PACKSSWB, PACKUSWB: A's four words, then B's, saturated to bytes. */
function packWords(sat: (v: number) => number): () => void {
  return () => {
    for (let i = 0; i < 4; i++) {
      R.ub[i] = sat(A.w[i]);
      R.ub[i + 4] = sat(B.w[i]);
    }
  };
}
/** PACKSSDW: A's two dwords, then B's, saturated to signed words. */
function packssdw(): void {
  for (let i = 0; i < 2; i++) {
    R.uw[i] = sat16(A.d[i]);
    R.uw[i + 2] = sat16(B.d[i]);
  }
}
/** PUNPCKL* (half 0) and PUNPCKH* (half 1): A's and B's elements of that half, interleaved. */
function unpackBytes(half: number): () => void {
  return () => {
    for (let i = 0; i < 4; i++) {
      R.ub[2 * i] = A.ub[4 * half + i];
      R.ub[2 * i + 1] = B.ub[4 * half + i];
    }
  };
}
function unpackWords(half: number): () => void {
  return () => {
    for (let i = 0; i < 2; i++) {
      R.uw[2 * i] = A.uw[2 * half + i];
      R.uw[2 * i + 1] = B.uw[2 * half + i];
    }
  };
}
function unpackDwords(half: number): () => void {
  return () => {
    R.d[0] = A.d[half];
    R.d[1] = B.d[half];
  };
}

// ---- shifts: the count is an unsigned 64-bit value (from an MMX register or memory) or imm8

/** The count in B as a number, saturated to 2^32 - 1 when its high dword is not zero. */
const countOfB = (): number => (B.d[1] !== 0 ? 0xffffffff : B.d[0] >>> 0);

/** Shifts A by n into R. kind: 0 logical right, 1 arithmetic right, 2 left. width: 16, 32, 64. */
function shift(kind: number, width: number, n: number): void {
  if (width === 64) {
    const lo = A.d[0],
      hi = A.d[1];
    if (n > 63) {
      R.d[0] = 0;
      R.d[1] = 0;
    } else if (n === 0) {
      R.d[0] = lo;
      R.d[1] = hi;
    } else if (kind === 2) {
      R.d[1] = n >= 32 ? lo << (n - 32) : (hi << n) | (lo >>> (32 - n));
      R.d[0] = n >= 32 ? 0 : lo << n;
    } else {
      R.d[0] = n >= 32 ? hi >>> (n - 32) : (lo >>> n) | (hi << (32 - n));
      R.d[1] = n >= 32 ? 0 : hi >>> n;
    }
    return;
  }
  if (width === 32) {
    for (let i = 0; i < 2; i++) {
      const v = A.d[i];
      if (kind === 1) R.d[i] = v >> (n > 31 ? 31 : n);
      else if (n > 31) R.d[i] = 0;
      else R.d[i] = kind === 2 ? v << n : v >>> n;
    }
    return;
  }
  for (let i = 0; i < 4; i++) {
    if (kind === 1) R.w[i] = A.w[i] >> (n > 15 ? 15 : n);
    else if (n > 15) R.uw[i] = 0;
    else R.uw[i] = kind === 2 ? A.uw[i] << n : A.uw[i] >>> n;
  }
}

/** PSRLx/PSRAx/PSLLx mm, mm/m64. */
function shiftByQ(kind: number, width: number): Handler {
  return binary(() => shift(kind, width, countOfB()));
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
    shift(kind, width, n);
    enter(c);
    store(c, p, R.d[0], R.d[1]);
  };
}

// ---- multiplies

function pmullw(): void {
  for (let i = 0; i < 4; i++) R.uw[i] = Math.imul(A.w[i], B.w[i]);
}
function pmulhw(): void {
  for (let i = 0; i < 4; i++) R.uw[i] = (A.w[i] * B.w[i]) >> 16;
}
/** Each dword: the sum of the two signed word products (wraps at 8000h * 8000h * 2). */
function pmaddwd(): void {
  for (let i = 0; i < 2; i++) R.d[i] = (A.w[2 * i] * B.w[2 * i] + A.w[2 * i + 1] * B.w[2 * i + 1]) | 0;
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

const LOGICAL = 0,
  ARITH = 1,
  LEFT = 2;

export const mmxHandlers: HandlerMap = {
  movdPdEd,
  movdEdPd,
  movqPqQq,
  movqQqPq,
  emms,
  paddbPqQq: binary(bytes((a, b) => a + b, false)),
  paddwPqQq: binary(words((a, b) => a + b, false)),
  padddPqQq: binary(dwords((a, b) => (a + b) | 0)),
  psubbPqQq: binary(bytes((a, b) => a - b, false)),
  psubwPqQq: binary(words((a, b) => a - b, false)),
  psubdPqQq: binary(dwords((a, b) => (a - b) | 0)),
  paddsbPqQq: binary(bytes((a, b) => sat8(a + b), true)),
  paddswPqQq: binary(words((a, b) => sat16(a + b), true)),
  paddusbPqQq: binary(bytes((a, b) => satU8(a + b), false)),
  padduswPqQq: binary(words((a, b) => satU16(a + b), false)),
  psubsbPqQq: binary(bytes((a, b) => sat8(a - b), true)),
  psubswPqQq: binary(words((a, b) => sat16(a - b), true)),
  psubusbPqQq: binary(bytes((a, b) => satU8(a - b), false)),
  psubuswPqQq: binary(words((a, b) => satU16(a - b), false)),
  pcmpeqbPqQq: binary(bytes((a, b) => mask(a === b), false)),
  pcmpeqwPqQq: binary(words((a, b) => mask(a === b), false)),
  pcmpeqdPqQq: binary(dwords((a, b) => mask(a === b))),
  pcmpgtbPqQq: binary(bytes((a, b) => mask(a > b), true)),
  pcmpgtwPqQq: binary(words((a, b) => mask(a > b), true)),
  pcmpgtdPqQq: binary(dwords((a, b) => mask(a > b))),
  packsswbPqQq: binary(packWords(sat8)),
  packuswbPqQq: binary(packWords(satU8)),
  packssdwPqQq: binary(packssdw),
  punpcklbwPqQd: binary(unpackBytes(0), 4),
  punpcklwdPqQd: binary(unpackWords(0), 4),
  punpckldqPqQd: binary(unpackDwords(0), 4),
  punpckhbwPqQq: binary(unpackBytes(1)),
  punpckhwdPqQq: binary(unpackWords(1)),
  punpckhdqPqQq: binary(unpackDwords(1)),
  pandPqQq: binary(dwords((a, b) => a & b)),
  pandnPqQq: binary(dwords((a, b) => ~a & b)),
  porPqQq: binary(dwords((a, b) => a | b)),
  pxorPqQq: binary(dwords((a, b) => a ^ b)),
  pmullwPqQq: binary(pmullw),
  pmulhwPqQq: binary(pmulhw),
  pmaddwdPqQq: binary(pmaddwd),
  psrlwPqQq: shiftByQ(LOGICAL, 16),
  psrldPqQq: shiftByQ(LOGICAL, 32),
  psrlqPqQq: shiftByQ(LOGICAL, 64),
  psrawPqQq: shiftByQ(ARITH, 16),
  psradPqQq: shiftByQ(ARITH, 32),
  psllwPqQq: shiftByQ(LEFT, 16),
  pslldPqQq: shiftByQ(LEFT, 32),
  psllqPqQq: shiftByQ(LEFT, 64),
  psrlwNqIb: shiftByIb(LOGICAL, 16),
  psrldNqIb: shiftByIb(LOGICAL, 32),
  psrlqNqIb: shiftByIb(LOGICAL, 64),
  psrawNqIb: shiftByIb(ARITH, 16),
  psradNqIb: shiftByIb(ARITH, 32),
  psllwNqIb: shiftByIb(LEFT, 16),
  pslldNqIb: shiftByIb(LEFT, 32),
  psllqNqIb: shiftByIb(LEFT, 64),
};
