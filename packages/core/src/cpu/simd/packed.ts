// Packed integer operations shared by the MMX forms (64-bit operands, mmx.ts) and the SSE2 forms
// (128-bit XMM operands, sse2-int.ts) of the same instructions (SDM Vol. 2, each instruction's
// page; Vol. 1 chapters 9 and 11).
//
// Key design choice: one implementation per operation, parameterised by the operand width n in
// bytes (8 or 16). Operands sit in three 16-byte scratch buffers seen as bytes, words and dwords:
// A (the destination and first source), B (the second source) and R (the result), lane 0 the
// least significant (typed arrays are little-endian on every platform this code runs on). An
// operation reads A and B and writes the low n bytes of R; the caller moves registers and memory
// in and out, so nothing is allocated per instruction.

function lanes() {
  const buf = new ArrayBuffer(16);
  return {
    d: new Int32Array(buf),
    w: new Int16Array(buf),
    uw: new Uint16Array(buf),
    b: new Int8Array(buf),
    ub: new Uint8Array(buf),
  };
}
/** Destination (and first source), second source, result. */
export const A = lanes(),
  B = lanes(),
  R = lanes();

/** An operation on n-byte operands (8 or 16); imm is the instruction's imm8 where it has one. */
export type LaneOp = (n: number, imm: number) => void;

// ---- element-wise arithmetic

export const sat8 = (v: number) => (v > 127 ? 127 : v < -128 ? -128 : v);
export const sat16 = (v: number) => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
export const satU8 = (v: number) => (v > 255 ? 255 : v < 0 ? 0 : v);
export const satU16 = (v: number) => (v > 65535 ? 65535 : v < 0 ? 0 : v);
const mask = (t: boolean) => (t ? -1 : 0);

function bytes(f: (a: number, b: number) => number, signed: boolean): LaneOp {
  return (n) => {
    const a = signed ? A.b : A.ub,
      b = signed ? B.b : B.ub;
    for (let i = 0; i < n; i++) R.ub[i] = f(a[i], b[i]);
  };
}
function words(f: (a: number, b: number) => number, signed: boolean): LaneOp {
  return (n) => {
    const a = signed ? A.w : A.uw,
      b = signed ? B.w : B.uw;
    for (let i = 0; i < n >> 1; i++) R.uw[i] = f(a[i], b[i]);
  };
}
function dwords(f: (a: number, b: number) => number): LaneOp {
  return (n) => {
    for (let i = 0; i < n >> 2; i++) R.d[i] = f(A.d[i], B.d[i]);
  };
}

/** PADDQ/PSUBQ: 64-bit lanes as dword pairs with the carry (borrow) between them. */
function qwords(sub: boolean): LaneOp {
  return (n) => {
    for (let i = 0; i < n >> 2; i += 2) {
      const al = A.d[i] >>> 0,
        bl = B.d[i] >>> 0;
      const lo = sub ? al - bl : al + bl;
      const carry = sub ? (lo < 0 ? -1 : 0) : lo > 0xffffffff ? 1 : 0;
      R.d[i] = lo | 0;
      R.d[i + 1] = (sub ? A.d[i + 1] - B.d[i + 1] : A.d[i + 1] + B.d[i + 1]) + carry;
    }
  };
}

// ---- pack and unpack

/** PACKSSWB, PACKUSWB: A's words, then B's, saturated to bytes. */
function packWords(sat: (v: number) => number): LaneOp {
  return (n) => {
    const h = n >> 1;
    for (let i = 0; i < h; i++) {
      R.ub[i] = sat(A.w[i]);
      R.ub[i + h] = sat(B.w[i]);
    }
  };
}
/** PACKSSDW: A's dwords, then B's, saturated to signed words. */
const packssdw: LaneOp = (n) => {
  const h = n >> 2;
  for (let i = 0; i < h; i++) {
    R.uw[i] = sat16(A.d[i]);
    R.uw[i + h] = sat16(B.d[i]);
  }
};
/** PUNPCKL* (half 0) and PUNPCKH* (half 1): A's and B's elements of that half, interleaved. */
function unpackBytes(half: number): LaneOp {
  return (n) => {
    const cnt = n >> 1,
      off = half * cnt;
    for (let i = 0; i < cnt; i++) {
      R.ub[2 * i] = A.ub[off + i];
      R.ub[2 * i + 1] = B.ub[off + i];
    }
  };
}
function unpackWords(half: number): LaneOp {
  return (n) => {
    const cnt = n >> 2,
      off = half * cnt;
    for (let i = 0; i < cnt; i++) {
      R.uw[2 * i] = A.uw[off + i];
      R.uw[2 * i + 1] = B.uw[off + i];
    }
  };
}
function unpackDwords(half: number): LaneOp {
  return (n) => {
    const cnt = n >> 3,
      off = half * cnt;
    for (let i = 0; i < cnt; i++) {
      R.d[2 * i] = A.d[off + i];
      R.d[2 * i + 1] = B.d[off + i];
    }
  };
}
/** PUNPCKLQDQ/PUNPCKHQDQ (128-bit only): A's quadword of that half, then B's. */
function unpackQwords(half: number): LaneOp {
  return () => {
    R.d[0] = A.d[2 * half];
    R.d[1] = A.d[2 * half + 1];
    R.d[2] = B.d[2 * half];
    R.d[3] = B.d[2 * half + 1];
  };
}

// ---- shifts: the count is an unsigned 64-bit value (the low quadword of B) or imm8

/** The count in B's low quadword as a number, saturated to 2^32 - 1 when its high dword is not zero. */
export const countOfB = (): number => (B.d[1] !== 0 ? 0xffffffff : B.d[0] >>> 0);

export const LOGICAL = 0,
  ARITH = 1,
  LEFT = 2;

/** Shifts A's n bytes by cnt into R. kind: LOGICAL right, ARITH right, LEFT. width: 16, 32, 64. */
export function shift(kind: number, width: number, n: number, cnt: number): void {
  if (width === 64) {
    for (let q = 0; q < n >> 2; q += 2) {
      const lo = A.d[q],
        hi = A.d[q + 1];
      if (cnt > 63) {
        R.d[q] = 0;
        R.d[q + 1] = 0;
      } else if (cnt === 0) {
        R.d[q] = lo;
        R.d[q + 1] = hi;
      } else if (kind === LEFT) {
        R.d[q + 1] = cnt >= 32 ? lo << (cnt - 32) : (hi << cnt) | (lo >>> (32 - cnt));
        R.d[q] = cnt >= 32 ? 0 : lo << cnt;
      } else {
        R.d[q] = cnt >= 32 ? hi >>> (cnt - 32) : (lo >>> cnt) | (hi << (32 - cnt));
        R.d[q + 1] = cnt >= 32 ? 0 : hi >>> cnt;
      }
    }
    return;
  }
  if (width === 32) {
    for (let i = 0; i < n >> 2; i++) {
      const v = A.d[i];
      if (kind === ARITH) R.d[i] = v >> (cnt > 31 ? 31 : cnt);
      else if (cnt > 31) R.d[i] = 0;
      else R.d[i] = kind === LEFT ? v << cnt : v >>> cnt;
    }
    return;
  }
  for (let i = 0; i < n >> 1; i++) {
    if (kind === ARITH) R.w[i] = A.w[i] >> (cnt > 15 ? 15 : cnt);
    else if (cnt > 15) R.uw[i] = 0;
    else R.uw[i] = kind === LEFT ? A.uw[i] << cnt : A.uw[i] >>> cnt;
  }
}

/** PSRLx/PSRAx/PSLLx by the count in B. */
function shiftByB(kind: number, width: number): LaneOp {
  return (n) => shift(kind, width, n, countOfB());
}

/** PSLLDQ (left) and PSRLDQ: A's 16 bytes shifted by imm bytes (a count above 15 clears all). */
export function shiftBytes(left: boolean, cnt: number): void {
  for (let i = 0; i < 16; i++) {
    const j = left ? i - cnt : i + cnt;
    R.ub[i] = j >= 0 && j < 16 ? A.ub[j] : 0;
  }
}

// ---- multiplies

const pmullw: LaneOp = (n) => {
  for (let i = 0; i < n >> 1; i++) R.uw[i] = Math.imul(A.w[i], B.w[i]);
};
const pmulhw: LaneOp = (n) => {
  for (let i = 0; i < n >> 1; i++) R.uw[i] = (A.w[i] * B.w[i]) >> 16;
};
const pmulhuw: LaneOp = (n) => {
  for (let i = 0; i < n >> 1; i++) R.uw[i] = (A.uw[i] * B.uw[i]) >>> 16;
};
/** Each dword: the sum of the two signed word products (wraps at 8000h * 8000h * 2). */
const pmaddwd: LaneOp = (n) => {
  for (let i = 0; i < n >> 2; i++) R.d[i] = (A.w[2 * i] * B.w[2 * i] + A.w[2 * i + 1] * B.w[2 * i + 1]) | 0;
};
/** PMULUDQ: each quadword = the unsigned product of the low dwords of A's and B's quadword. */
const pmuludq: LaneOp = (n) => {
  for (let q = 0; q < n >> 2; q += 2) {
    const a = A.d[q] >>> 0,
      b = B.d[q] >>> 0;
    const a0 = a & 0xffff,
      a1 = a >>> 16,
      b0 = b & 0xffff,
      b1 = b >>> 16;
    const mid = a1 * b0 + a0 * b1; // < 2^33, exact
    const low = a0 * b0 + (mid % 0x10000) * 0x10000; // < 2^33, exact
    R.d[q] = low | 0;
    R.d[q + 1] = (a1 * b1 + Math.floor(mid / 0x10000) + Math.floor(low / 0x100000000)) | 0;
  }
};

// ---- the SSE additions to the MMX set

const pavgb: LaneOp = (n) => {
  for (let i = 0; i < n; i++) R.ub[i] = (A.ub[i] + B.ub[i] + 1) >> 1;
};
const pavgw: LaneOp = (n) => {
  for (let i = 0; i < n >> 1; i++) R.uw[i] = (A.uw[i] + B.uw[i] + 1) >> 1;
};
/** PSADBW: per quadword, the sum of the eight absolute byte differences in its low word. */
const psadbw: LaneOp = (n) => {
  for (let q = 0; q < n; q += 8) {
    let s = 0;
    for (let i = q; i < q + 8; i++) s += Math.abs(A.ub[i] - B.ub[i]);
    R.uw[q >> 1] = s;
    R.uw[(q >> 1) + 1] = 0;
    R.d[(q >> 2) + 1] = 0;
  }
};

/** PSHUFW (n = 8) and PSHUFD (n = 16): each element of R picks one of B's by two bits of imm. */
const pshufw: LaneOp = (_n, imm) => {
  for (let i = 0; i < 4; i++) R.uw[i] = B.uw[(imm >> (2 * i)) & 3];
};
const pshufd: LaneOp = (_n, imm) => {
  for (let i = 0; i < 4; i++) R.d[i] = B.d[(imm >> (2 * i)) & 3];
};
/** PSHUFHW/PSHUFLW: the words of B's high/low quadword shuffled, the other quadword copied. */
function pshufHalf(high: boolean): LaneOp {
  return (_n, imm) => {
    const w = high ? 4 : 0,
      d = high ? 0 : 2;
    R.d[d] = B.d[d];
    R.d[d + 1] = B.d[d + 1];
    for (let i = 0; i < 4; i++) R.uw[w + i] = B.uw[w + ((imm >> (2 * i)) & 3)];
  };
}

/**
 * The binary operations by mnemonic: dest = op(dest, src). Each has an MMX form (0F xx, Pq,Qq,
 * or Pq,Qd for PUNPCKL*) and an SSE2 form (66 0F xx, Vdq,Wdq), built from this one table.
 */
export const BINARY_OPS: Readonly<Record<string, LaneOp>> = {
  paddb: bytes((a, b) => a + b, false),
  paddw: words((a, b) => a + b, false),
  paddd: dwords((a, b) => (a + b) | 0),
  paddq: qwords(false),
  psubb: bytes((a, b) => a - b, false),
  psubw: words((a, b) => a - b, false),
  psubd: dwords((a, b) => (a - b) | 0),
  psubq: qwords(true),
  paddsb: bytes((a, b) => sat8(a + b), true),
  paddsw: words((a, b) => sat16(a + b), true),
  paddusb: bytes((a, b) => satU8(a + b), false),
  paddusw: words((a, b) => satU16(a + b), false),
  psubsb: bytes((a, b) => sat8(a - b), true),
  psubsw: words((a, b) => sat16(a - b), true),
  psubusb: bytes((a, b) => satU8(a - b), false),
  psubusw: words((a, b) => satU16(a - b), false),
  pcmpeqb: bytes((a, b) => mask(a === b), false),
  pcmpeqw: words((a, b) => mask(a === b), false),
  pcmpeqd: dwords((a, b) => mask(a === b)),
  pcmpgtb: bytes((a, b) => mask(a > b), true),
  pcmpgtw: words((a, b) => mask(a > b), true),
  pcmpgtd: dwords((a, b) => mask(a > b)),
  packsswb: packWords(sat8),
  packuswb: packWords(satU8),
  packssdw,
  punpcklbw: unpackBytes(0),
  punpcklwd: unpackWords(0),
  punpckldq: unpackDwords(0),
  punpckhbw: unpackBytes(1),
  punpckhwd: unpackWords(1),
  punpckhdq: unpackDwords(1),
  pand: dwords((a, b) => a & b),
  pandn: dwords((a, b) => ~a & b),
  por: dwords((a, b) => a | b),
  pxor: dwords((a, b) => a ^ b),
  pmullw,
  pmulhw,
  pmulhuw,
  pmaddwd,
  pmuludq,
  psrlw: shiftByB(LOGICAL, 16),
  psrld: shiftByB(LOGICAL, 32),
  psrlq: shiftByB(LOGICAL, 64),
  psraw: shiftByB(ARITH, 16),
  psrad: shiftByB(ARITH, 32),
  psllw: shiftByB(LEFT, 16),
  pslld: shiftByB(LEFT, 32),
  psllq: shiftByB(LEFT, 64),
  pavgb,
  pavgw,
  pminub: bytes((a, b) => (a < b ? a : b), false),
  pmaxub: bytes((a, b) => (a > b ? a : b), false),
  pminsw: words((a, b) => (a < b ? a : b), true),
  pmaxsw: words((a, b) => (a > b ? a : b), true),
  psadbw,
};

/** The SSE2-only binary operations (no MMX form). */
export const XMM_ONLY_OPS: Readonly<Record<string, LaneOp>> = {
  punpcklqdq: unpackQwords(0),
  punpckhqdq: unpackQwords(1),
};

/** The shuffles with an imm8: dest = op(src, imm). */
export const SHUFFLE_OPS = { pshufw, pshufd, pshufhw: pshufHalf(true), pshuflw: pshufHalf(false) };
