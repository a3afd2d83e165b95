// Exact arithmetic in the x87's double extended-precision format (SDM Vol. 1 §4.2.2, §4.5,
// §8.1.5): addition, multiplication, division and square root of 64-bit significands, and the
// one rounding step that turns an exact result into a register value (precision control 24,
// 53 or 64 bits, the four rounding modes, PE, UE, OE and C1) or into a single or double real.
//
// Key design choice: no BigInt and no allocation. A significand is two unsigned 32-bit words
// held in doubles; products of 32-bit words are assembled from 16 x 32-bit partial products,
// which doubles hold exactly, and Math.imul; quotients and square roots are estimated with the
// host's double division and square root and then corrected with exact integer remainders, so
// every result is exact before its single rounding. Operands and the unrounded result travel
// through two Float64Array scratch areas (U and X) so that no call boxes a number.
//
// Rounding rules measured on a P6-class x87 (the difftests in packages/cli/src/difftest):
//  * tininess is detected after rounding, with an unbounded exponent, at the precision control's
//    width; a masked underflow then denormalizes the unrounded result and rounds it again at the
//    same bit position of the 64-bit field (PC=53 keeps bits 63..11 of a denormal, too), and UE
//    is raised only when that result is inexact;
//  * an unmasked overflow or underflow stores the rounded result with its exponent wrapped by
//    24576 (SDM Vol. 1 §8.5.4-8.5.5); stores to memory store nothing then;
//  * C1 is 1 when the rounding increased the magnitude.

import type { Fpu } from "./fpu.ts";
import {
  CW_OM,
  CW_UM,
  PC_DOUBLE,
  PC_EXTENDED,
  PC_SINGLE,
  SW_C1,
  SW_OE,
  SW_PE,
  SW_UE,
  TAG_SPECIAL,
  TAG_VALID,
  TAG_ZERO,
} from "./fpu.ts";

export const TWO32 = 4294967296,
  TWO31 = 2147483648;
const TWO16 = 65536;
/** Unbiased exponents of the largest and smallest normal register numbers. */
export const EMAX = 16383,
  EMIN = -16382;
/** Exponent wrap of unmasked overflow and underflow results (SDM Vol. 1 §8.5.4). */
export const BIAS_ADJUST = 24576;

/** Rounding control values (control word bits 10-11, SDM Vol. 1 §8.1.5.3). */
export const RC_NEAREST = 0,
  RC_DOWN = 1,
  RC_UP = 2,
  RC_ZERO = 3;

/**
 * Operands: A in U[0..3], B in U[4..7]: sign (0 or 1), the unbiased exponent of significand
 * bit 63, the significand's high word (bit 31 set: always normalized) and low word.
 */
export const U = new Float64Array(8);
/**
 * The exact result before rounding: X[0] sign, X[1] exponent of the leading bit, X[2..4] a
 * 96-bit significand w2:w1:w0 with bit 31 of w2 set (w2 = 0 means an exact zero), X[5] sticky
 * (1 when nonzero bits lie below w0).
 */
export const X = new Float64Array(6);
/** Side results of the last rounding: inexact, rounded up (magnitude increased). */
export const RND = { inexact: false, up: false };

/**
 * Unpacks a finite nonzero image (normal, denormal or pseudo-denormal; never an unnormal)
 * into U at o, normalizing denormals (their exponent then goes below EMIN).
 */
export function unpack(se: number, mhi: number, mlo: number, o: number): void {
  let hi = mhi >>> 0,
    lo = mlo >>> 0;
  const exp = se & 0x7fff;
  let e = (exp === 0 ? 1 : exp) - 16383;
  if (hi < TWO31) {
    if (hi === 0) {
      hi = lo;
      lo = 0;
      e -= 32;
    }
    const n = Math.clz32(hi);
    if (n > 0) {
      hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
      lo = (lo << n) >>> 0;
      e -= n;
    }
  }
  U[o] = (se >>> 15) & 1;
  U[o + 1] = e;
  U[o + 2] = hi;
  U[o + 3] = lo;
}

/** Puts operand A (U[0..3]) into X unchanged, for results that are an operand rounded. */
export function passA(): void {
  X[0] = U[0];
  X[1] = U[1];
  X[2] = U[2];
  X[3] = U[3];
  X[4] = 0;
  X[5] = 0;
}

/**
 * Sets X to the nonnegative 64-bit integer hi:lo times 2^(e - 63), normalized (hi:lo must
 * not be zero), with sign 0.
 */
export function setX64(hi: number, lo: number, e: number): void {
  if (hi === 0) {
    hi = lo;
    lo = 0;
    e -= 32;
  }
  const n = Math.clz32(hi);
  if (n > 0) {
    hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    lo = (lo << n) >>> 0;
    e -= n;
  }
  X[0] = 0;
  X[1] = e;
  X[2] = hi;
  X[3] = lo;
  X[4] = 0;
  X[5] = 0;
}

// ---- the four operations (finite nonzero operands in U, result in X)

/**
 * X = A + B, or A - B when negB is 1. An exact zero result has w2 = 0 and the sign IEEE 754
 * §6.3 gives it (+0, or -0 when rounding down).
 */
export function addCore(negB: number, rc: number): void {
  let sa = U[0],
    ea = U[1],
    ah = U[2],
    al = U[3];
  let sb = U[4] ^ negB,
    eb = U[5],
    bh = U[6],
    bl = U[7];
  if (eb > ea || (eb === ea && (bh > ah || (bh === ah && bl > al)))) {
    let t = sa;
    sa = sb;
    sb = t;
    t = ea;
    ea = eb;
    eb = t;
    t = ah;
    ah = bh;
    bh = t;
    t = al;
    al = bl;
    bl = t;
  }
  // B aligned to A's exponent as three words and a sticky bit.
  const d = ea - eb;
  let b2: number,
    b1: number,
    b0: number,
    st = 0;
  if (d === 0) {
    b2 = bh;
    b1 = bl;
    b0 = 0;
  } else if (d < 32) {
    b2 = bh >>> d;
    b1 = ((bh << (32 - d)) | (bl >>> d)) >>> 0;
    b0 = (bl << (32 - d)) >>> 0;
  } else if (d === 32) {
    b2 = 0;
    b1 = bh;
    b0 = bl;
  } else if (d < 64) {
    const k = d - 32;
    b2 = 0;
    b1 = bh >>> k;
    b0 = ((bh << (32 - k)) | (bl >>> k)) >>> 0;
    st = bl << (32 - k) !== 0 ? 1 : 0;
  } else if (d === 64) {
    b2 = 0;
    b1 = 0;
    b0 = bh;
    st = bl !== 0 ? 1 : 0;
  } else if (d < 96) {
    const k = d - 64;
    b2 = 0;
    b1 = 0;
    b0 = bh >>> k;
    st = ((bh << (32 - k)) | bl) !== 0 ? 1 : 0;
  } else {
    b2 = 0;
    b1 = 0;
    b0 = 0;
    st = 1;
  }
  let w2: number, w1: number, w0: number;
  if (sa === sb) {
    w0 = b0;
    w1 = al + b1;
    let c = 0;
    if (w1 >= TWO32) {
      w1 -= TWO32;
      c = 1;
    }
    w2 = ah + b2 + c;
    if (w2 >= TWO32) {
      // carry out: one place right
      st |= w0 & 1;
      w0 = ((w0 >>> 1) | ((w1 & 1) << 31)) >>> 0;
      w1 = ((w1 >>> 1) | ((w2 & 1) << 31)) >>> 0;
      w2 = Math.floor(w2 / 2);
      ea += 1;
    }
  } else {
    // A - B - (sticky fraction): borrow one unit and keep the sticky bit.
    let br = 0;
    w0 = 0 - b0 - st;
    if (w0 < 0) {
      w0 += TWO32;
      br = 1;
    }
    w1 = al - b1 - br;
    br = 0;
    if (w1 < 0) {
      w1 += TWO32;
      br = 1;
    }
    w2 = ah - b2 - br;
    if (w2 === 0) {
      if (w1 === 0 && w0 === 0 && st === 0) {
        X[0] = rc === RC_DOWN ? 1 : 0;
        X[1] = 0;
        X[2] = 0;
        X[3] = 0;
        X[4] = 0;
        X[5] = 0;
        return;
      }
      // Cancellation of 32 bits or more happens only for d <= 1, where nothing is sticky.
      w2 = w1;
      w1 = w0;
      w0 = 0;
      ea -= 32;
      if (w2 === 0) {
        w2 = w1;
        w1 = 0;
        ea -= 32;
      }
    }
    const n = Math.clz32(w2);
    if (n > 0) {
      w2 = ((w2 << n) | (w1 >>> (32 - n))) >>> 0;
      w1 = ((w1 << n) | (w0 >>> (32 - n))) >>> 0;
      w0 = (w0 << n) >>> 0;
      ea -= n;
    }
  }
  X[0] = sa;
  X[1] = ea;
  X[2] = w2;
  X[3] = w1;
  X[4] = w0;
  X[5] = st;
}

/** X = A * B: the 128-bit product of the significands, its top 96 bits and a sticky bit. */
export function mulCore(): void {
  const ah = U[2],
    al = U[3],
    bh = U[6],
    bl = U[7];
  // Each 32 x 32 product: a = a1 * 2^16 + a0, a * b = a1 * b * 2^16 + a0 * b (both < 2^48).
  let x = (al & 0xffff) * bl,
    m = (al >>> 16) * bl + Math.floor(x / TWO16);
  const llH = Math.floor(m / TWO16),
    llL = Math.imul(al, bl) >>> 0;
  x = (al & 0xffff) * bh;
  m = (al >>> 16) * bh + Math.floor(x / TWO16);
  const lhH = Math.floor(m / TWO16),
    lhL = Math.imul(al, bh) >>> 0;
  x = (ah & 0xffff) * bl;
  m = (ah >>> 16) * bl + Math.floor(x / TWO16);
  const hlH = Math.floor(m / TWO16),
    hlL = Math.imul(ah, bl) >>> 0;
  x = (ah & 0xffff) * bh;
  m = (ah >>> 16) * bh + Math.floor(x / TWO16);
  const hhH = Math.floor(m / TWO16),
    hhL = Math.imul(ah, bh) >>> 0;
  const p0 = llL;
  let s = llH + lhL + hlL;
  let c = s >= TWO32 ? (s >= 2 * TWO32 ? 2 : 1) : 0;
  const p1 = s - c * TWO32;
  s = lhH + hlH + hhL + c;
  c = s >= TWO32 ? (s >= 2 * TWO32 ? 2 : 1) : 0;
  const p2 = s - c * TWO32;
  const p3 = hhH + c;
  X[0] = U[0] ^ U[4];
  if (p3 >= TWO31) {
    X[1] = U[1] + U[5] + 1;
    X[2] = p3;
    X[3] = p2;
    X[4] = p1;
    X[5] = p0 !== 0 ? 1 : 0;
  } else {
    X[1] = U[1] + U[5];
    X[2] = ((p3 << 1) | (p2 >>> 31)) >>> 0;
    X[3] = ((p2 << 1) | (p1 >>> 31)) >>> 0;
    X[4] = ((p1 << 1) | (p0 >>> 31)) >>> 0;
    X[5] = (p0 & 0x7fffffff) !== 0 ? 1 : 0;
  }
}

/**
 * X = x + y (negY = 0) or x - y (negY = 1), or x * y (mul), for two normal operands read
 * straight from their images (xa[xi..xi+2], ya[yi..yi+2]): the same result as unpack followed
 * by addCore or mulCore, without the operand scratch (this is the hot path of FADD and FMUL).
 */
export function normalAddMul(
  mul: boolean,
  negY: number,
  xa: Int32Array,
  xi: number,
  ya: Int32Array,
  yi: number,
  rc: number,
): void {
  const xse = xa[xi],
    yse = ya[yi];
  let ah = xa[xi + 1] >>> 0,
    al = xa[xi + 2] >>> 0,
    bh = ya[yi + 1] >>> 0,
    bl = ya[yi + 2] >>> 0;
  let ea = xse & 0x7fff,
    eb = yse & 0x7fff; // biased
  if (mul) {
    let x = (al & 0xffff) * bl,
      m = (al >>> 16) * bl + Math.floor(x / TWO16);
    const llH = Math.floor(m / TWO16),
      llL = Math.imul(al, bl) >>> 0;
    x = (al & 0xffff) * bh;
    m = (al >>> 16) * bh + Math.floor(x / TWO16);
    const lhH = Math.floor(m / TWO16),
      lhL = Math.imul(al, bh) >>> 0;
    x = (ah & 0xffff) * bl;
    m = (ah >>> 16) * bl + Math.floor(x / TWO16);
    const hlH = Math.floor(m / TWO16),
      hlL = Math.imul(ah, bl) >>> 0;
    x = (ah & 0xffff) * bh;
    m = (ah >>> 16) * bh + Math.floor(x / TWO16);
    const hhH = Math.floor(m / TWO16),
      hhL = Math.imul(ah, bh) >>> 0;
    let sum = llH + lhL + hlL;
    let c = sum >= TWO32 ? (sum >= 2 * TWO32 ? 2 : 1) : 0;
    const p1 = sum - c * TWO32;
    sum = lhH + hlH + hhL + c;
    c = sum >= TWO32 ? (sum >= 2 * TWO32 ? 2 : 1) : 0;
    const p2 = sum - c * TWO32;
    const p3 = hhH + c;
    X[0] = ((xse ^ yse) >>> 15) & 1;
    if (p3 >= TWO31) {
      X[1] = ea + eb - 2 * 16383 + 1;
      X[2] = p3;
      X[3] = p2;
      X[4] = p1;
      X[5] = llL !== 0 ? 1 : 0;
    } else {
      X[1] = ea + eb - 2 * 16383;
      X[2] = ((p3 << 1) | (p2 >>> 31)) >>> 0;
      X[3] = ((p2 << 1) | (p1 >>> 31)) >>> 0;
      X[4] = ((p1 << 1) | (llL >>> 31)) >>> 0;
      X[5] = (llL & 0x7fffffff) !== 0 ? 1 : 0;
    }
    return;
  }
  let sa = (xse >>> 15) & 1,
    sb = ((yse >>> 15) & 1) ^ negY;
  if (eb > ea || (eb === ea && (bh > ah || (bh === ah && bl > al)))) {
    let t = sa;
    sa = sb;
    sb = t;
    t = ea;
    ea = eb;
    eb = t;
    t = ah;
    ah = bh;
    bh = t;
    t = al;
    al = bl;
    bl = t;
  }
  const d = ea - eb;
  let b2: number,
    b1: number,
    b0: number,
    st = 0;
  if (d === 0) {
    b2 = bh;
    b1 = bl;
    b0 = 0;
  } else if (d < 32) {
    b2 = bh >>> d;
    b1 = ((bh << (32 - d)) | (bl >>> d)) >>> 0;
    b0 = (bl << (32 - d)) >>> 0;
  } else if (d === 32) {
    b2 = 0;
    b1 = bh;
    b0 = bl;
  } else if (d < 64) {
    const k = d - 32;
    b2 = 0;
    b1 = bh >>> k;
    b0 = ((bh << (32 - k)) | (bl >>> k)) >>> 0;
    st = bl << (32 - k) !== 0 ? 1 : 0;
  } else if (d === 64) {
    b2 = 0;
    b1 = 0;
    b0 = bh;
    st = bl !== 0 ? 1 : 0;
  } else if (d < 96) {
    const k = d - 64;
    b2 = 0;
    b1 = 0;
    b0 = bh >>> k;
    st = ((bh << (32 - k)) | bl) !== 0 ? 1 : 0;
  } else {
    b2 = 0;
    b1 = 0;
    b0 = 0;
    st = 1;
  }
  let w2: number, w1: number, w0: number;
  let e = ea - 16383;
  if (sa === sb) {
    w0 = b0;
    w1 = al + b1;
    let c = 0;
    if (w1 >= TWO32) {
      w1 -= TWO32;
      c = 1;
    }
    w2 = ah + b2 + c;
    if (w2 >= TWO32) {
      st |= w0 & 1;
      w0 = ((w0 >>> 1) | ((w1 & 1) << 31)) >>> 0;
      w1 = ((w1 >>> 1) | ((w2 & 1) << 31)) >>> 0;
      w2 = Math.floor(w2 / 2);
      e += 1;
    }
  } else {
    let br = 0;
    w0 = 0 - b0 - st;
    if (w0 < 0) {
      w0 += TWO32;
      br = 1;
    }
    w1 = al - b1 - br;
    br = 0;
    if (w1 < 0) {
      w1 += TWO32;
      br = 1;
    }
    w2 = ah - b2 - br;
    if (w2 === 0) {
      if (w1 === 0 && w0 === 0 && st === 0) {
        X[0] = rc === RC_DOWN ? 1 : 0;
        X[2] = 0;
        return;
      }
      w2 = w1;
      w1 = w0;
      w0 = 0;
      e -= 32;
      if (w2 === 0) {
        w2 = w1;
        w1 = 0;
        e -= 32;
      }
    }
    const n = Math.clz32(w2);
    if (n > 0) {
      w2 = ((w2 << n) | (w1 >>> (32 - n))) >>> 0;
      w1 = ((w1 << n) | (w0 >>> (32 - n))) >>> 0;
      w0 = (w0 << n) >>> 0;
      e -= n;
    }
  }
  X[0] = sa;
  X[1] = e;
  X[2] = w2;
  X[3] = w1;
  X[4] = w0;
  X[5] = st;
}

/** Remainder words of the square-root check. */
const RW = new Float64Array(3);

const SPLIT = 134217729; // 2^27 + 1
/** Exact error of the double product a * b = p (Dekker; the caller rules out overflow and underflow). */
export function prodErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a),
    al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b),
    bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * X = A / B. The quotient q = Q * 2^-67 of the significands (0.5 < q < 2) is estimated in
 * double-double arithmetic (error about 2^-100), so Q = floor(q * 2^67), a 67- or 68-bit
 * integer, is right or one off. When the estimate is within 2^-30 of an integer (its error
 * is below 2^-34: the double-double remainder is off by 2^-39 of A's unit at most), the exact
 * remainder A * 2^67 - Q * B, computed modulo 2^96 (it is far smaller), settles Q and the
 * sticky bit; otherwise Q is right and the remainder is certainly not zero.
 */
export function divCore(): void {
  const ah = U[2],
    al = U[3],
    bh = U[6],
    bl = U[7];
  const ad = ah * TWO32 + al,
    bd = bh * TWO32 + bl; // rounded to 53 bits
  const aLow = ah * TWO32 - ad + al,
    bLow = bh * TWO32 - bd + bl; // exact remainders
  const q = ad / bd;
  const p1 = q * bd;
  const r = ad - p1 - prodErr(q, bd, p1) + (aLow - q * bLow); // A - q * B, nearly exact
  const tq = (r / bd) * 1.4757395258967641e20; // (x - q) * 2^67, error below 2^-34
  const fd = Math.floor(tq),
    frac = tq - fd;
  // Q = q * 2^67 + fd in words (q * 2^67 is an integer: q's unit is 2^-53 at least).
  const qs = q * 1.4757395258967641e20;
  let q2 = Math.floor(qs / (TWO32 * TWO32));
  const rem = qs - q2 * TWO32 * TWO32;
  let q1 = Math.floor(rem / TWO32);
  let q0 = rem - q1 * TWO32 + fd;
  while (q0 < 0) {
    q0 += TWO32;
    q1 -= 1;
  }
  while (q0 >= TWO32) {
    q0 -= TWO32;
    q1 += 1;
  }
  if (q1 < 0) {
    q1 += TWO32;
    q2 -= 1;
  } else if (q1 >= TWO32) {
    q1 -= TWO32;
    q2 += 1;
  }
  // Clearly between two integers: Q is right and the remainder is not zero.
  if (frac > 9.313225746154785e-10 && frac < 1 - 9.313225746154785e-10) {
    divResult(q2, q1, q0, 1);
    return;
  }
  // R = A * 2^67 - Q * B (mod 2^96); A * 2^67 has only its bits 0..28 below 2^96.
  let x = (q0 & 0xffff) * bl,
    m = (q0 >>> 16) * bl + Math.floor(x / TWO16);
  const t0 = Math.imul(q0, bl) >>> 0,
    t1a = Math.floor(m / TWO16);
  x = (q0 & 0xffff) * bh;
  m = (q0 >>> 16) * bh + Math.floor(x / TWO16);
  const t1b = Math.imul(q0, bh) >>> 0,
    t2b = Math.floor(m / TWO16);
  x = (q1 & 0xffff) * bl;
  m = (q1 >>> 16) * bl + Math.floor(x / TWO16);
  const t1c = Math.imul(q1, bl) >>> 0,
    t2c = Math.floor(m / TWO16);
  let t1 = t1a + t1b + t1c;
  const c1 = Math.floor(t1 / TWO32);
  t1 -= c1 * TWO32;
  let t2 = t2b + t2c + c1 + (Math.imul(q1, bh) >>> 0) + (Math.imul(q2, bl) >>> 0);
  t2 -= Math.floor(t2 / TWO32) * TWO32;
  let br = 0;
  let r0 = 0 - t0;
  if (r0 < 0) {
    r0 += TWO32;
    br = 1;
  }
  let r1 = 0 - t1 - br;
  br = 0;
  if (r1 < 0) {
    r1 += TWO32;
    br = 1;
  }
  let r2 = (((al & 0x1fffffff) << 3) >>> 0) - t2 - br;
  if (r2 < 0) r2 += TWO32;
  if (r2 >= TWO31) r2 -= TWO32; // the top word, signed: R is small
  while (r2 < 0) {
    // Q one too large: R += B
    r0 += bl;
    if (r0 >= TWO32) {
      r0 -= TWO32;
      r1 += 1;
    }
    r1 += bh;
    if (r1 >= TWO32) {
      r1 -= TWO32;
      r2 += 1;
    }
    if (q0 === 0) {
      q0 = TWO32 - 1;
      if (q1 === 0) {
        q1 = TWO32 - 1;
        q2 -= 1;
      } else q1 -= 1;
    } else q0 -= 1;
  }
  while (r2 > 0 || r1 > bh || (r1 === bh && r0 >= bl)) {
    // Q one too small: R -= B
    r0 -= bl;
    br = 0;
    if (r0 < 0) {
      r0 += TWO32;
      br = 1;
    }
    r1 -= bh + br;
    if (r1 < 0) {
      r1 += TWO32;
      r2 -= 1;
    }
    q0 += 1;
    if (q0 === TWO32) {
      q0 = 0;
      q1 += 1;
      if (q1 === TWO32) {
        q1 = 0;
        q2 += 1;
      }
    }
  }
  divResult(q2, q1, q0, r0 !== 0 || r1 !== 0 || r2 !== 0 ? 1 : 0);
}

/** X from the 67- or 68-bit quotient Q = q2:q1:q0 of divCore and its sticky bit. */
function divResult(q2: number, q1: number, q0: number, st: number): void {
  // Q has its leading bit at 64 + L (L = 2 or 3); move it to bit 95.
  const sh = Math.clz32(q2);
  X[0] = U[0] ^ U[4];
  X[1] = U[1] - U[5] + (31 - sh) - 3;
  X[2] = ((q2 << sh) | (q1 >>> (32 - sh))) >>> 0;
  X[3] = ((q1 << sh) | (q0 >>> (32 - sh))) >>> 0;
  X[4] = (q0 << sh) >>> 0;
  X[5] = st;
}

/**
 * The low 96 bits of N - S^2 where N = M * 2^k (M = U[2]:U[3], k = 68 or 69) and S = s2:s1:s0,
 * into RW (high word first). Callers keep |N - S^2| far below 2^95, so this is its exact
 * two's-complement value. Returns its sign.
 */
function sqrtResidual(k: number, s2: number, s1: number, s0: number): number {
  const n2 = k === 68 ? ((U[3] & 0x0fffffff) << 4) >>> 0 : ((U[3] & 0x07ffffff) << 5) >>> 0;
  // S^2 mod 2^96 = s0^2 + 2 s0 s1 2^32 + (s1^2 + 2 s0 s2) 2^64
  let x = (s0 & 0xffff) * s0,
    m = (s0 >>> 16) * s0 + Math.floor(x / TWO16);
  const q0 = Math.imul(s0, s0) >>> 0,
    q1a = Math.floor(m / TWO16);
  x = (s0 & 0xffff) * s1;
  m = (s0 >>> 16) * s1 + Math.floor(x / TWO16);
  const c1 = Math.imul(s0, s1) >>> 0,
    c2 = Math.floor(m / TWO16); // s0 * s1 = c2:c1
  let w1 = q1a + ((c1 << 1) >>> 0);
  let carry = 0;
  if (w1 >= TWO32) {
    w1 -= TWO32;
    carry = 1;
  }
  let w2 = c2 * 2 + (c1 >>> 31) + carry + (Math.imul(s1, s1) >>> 0) + 2 * (Math.imul(s0, s2) >>> 0);
  w2 -= Math.floor(w2 / TWO32) * TWO32;
  let br = 0;
  let r0 = 0 - q0;
  if (r0 < 0) {
    r0 += TWO32;
    br = 1;
  }
  let r1 = 0 - w1 - br;
  br = 0;
  if (r1 < 0) {
    r1 += TWO32;
    br = 1;
  }
  let r2 = n2 - w2 - br;
  if (r2 < 0) r2 += TWO32;
  RW[0] = r2;
  RW[1] = r1;
  RW[2] = r0;
  if (r2 >= TWO31) return -1;
  return r2 !== 0 || r1 !== 0 || r0 !== 0 ? 1 : 0;
}

/**
 * X = sqrt(A) for positive A: S = floor(sqrt(N)) with N = M * 2^k, a 66- or 67-bit integer.
 * The host's square root of N (rounded) is refined by one Newton step whose residual is
 * computed in double-double arithmetic; S is then right or one off. As in divCore, only when
 * the estimate lies within 2^-30 of an integer does one exact residual N - S^2 (modulo 2^96)
 * settle S and the sticky bit.
 */
export function sqrtCore(): void {
  const ea = U[1],
    ah = U[2],
    al = U[3];
  const k = (ea & 1) !== 0 ? 68 : 69; // makes ea - 63 - k even
  const scale = k === 68 ? 2.9514790517935283e20 : 5.902958103587057e20;
  const md = ah * TWO32 + al,
    mLow = ah * TWO32 - md + al;
  const nd = md * scale;
  const sd = Math.sqrt(nd);
  const p = sd * sd;
  const resid = nd - p - prodErr(sd, sd, p) + mLow * scale; // N - sd^2, nearly exact
  const dq = resid / (2 * sd); // S - sd, error below 2^-36
  const delta = Math.floor(dq),
    frac = dq - delta;
  // S = sd + delta in words (sd is an integer: it is far above 2^53).
  let s2 = Math.floor(sd / (TWO32 * TWO32));
  const rem = sd - s2 * TWO32 * TWO32;
  let s1 = Math.floor(rem / TWO32);
  let s0 = rem - s1 * TWO32 + delta;
  while (s0 < 0) {
    s0 += TWO32;
    s1 -= 1;
  }
  while (s0 >= TWO32) {
    s0 -= TWO32;
    s1 += 1;
  }
  if (s1 < 0) {
    s1 += TWO32;
    s2 -= 1;
  } else if (s1 >= TWO32) {
    s1 -= TWO32;
    s2 += 1;
  }
  // Clearly between two integers: S is right and N is not a square.
  if (frac > 9.313225746154785e-10 && frac < 1 - 9.313225746154785e-10) {
    sqrtResult(s2, s1, s0, ea - 63 - k, 1);
    return;
  }
  let sgn = sqrtResidual(k, s2, s1, s0);
  while (sgn < 0) {
    // S too large (rare)
    if (s0 === 0) {
      s0 = TWO32 - 1;
      if (s1 === 0) {
        s1 = TWO32 - 1;
        s2 -= 1;
      } else s1 -= 1;
    } else s0 -= 1;
    sgn = sqrtResidual(k, s2, s1, s0);
  }
  // S too small when N - S^2 > 2S (rare): compare the residual with 2S.
  for (;;) {
    const d2 = s2 * 2 + (s1 >= TWO31 ? 1 : 0);
    const d1 = (s1 >= TWO31 ? s1 * 2 - TWO32 : s1 * 2) + (s0 >= TWO31 ? 1 : 0),
      d0 = s0 >= TWO31 ? s0 * 2 - TWO32 : s0 * 2;
    const r2 = RW[0],
      r1 = RW[1],
      r0 = RW[2];
    if (!(r2 > d2 || (r2 === d2 && (r1 > d1 || (r1 === d1 && r0 > d0))))) break;
    s0 += 1;
    if (s0 === TWO32) {
      s0 = 0;
      s1 += 1;
      if (s1 === TWO32) {
        s1 = 0;
        s2 += 1;
      }
    }
    sgn = sqrtResidual(k, s2, s1, s0);
  }
  sqrtResult(s2, s1, s0, ea - 63 - k, sgn !== 0 ? 1 : 0);
}

/** X from the root S = s2:s1:s0 of sqrtCore (times 2^(scale / 2)) and its sticky bit. */
function sqrtResult(s2: number, s1: number, s0: number, scale: number, st: number): void {
  // S has its leading bit at 64 + L2 (L2 = 1 or 2); shift it to bit 95.
  const l2 = 31 - Math.clz32(s2);
  const sh = 31 - l2;
  X[0] = 0;
  X[1] = 64 + l2 + scale / 2;
  X[2] = ((s2 << sh) | (s1 >>> (32 - sh))) >>> 0;
  X[3] = ((s1 << sh) | (s0 >>> (32 - sh))) >>> 0;
  X[4] = (s0 << sh) >>> 0;
  X[5] = st;
}

// ---- rounding

/** The rounded significand and exponent of roundSig. */
const RS = new Float64Array(3);

/**
 * Rounds X's significand to the precision pc (24, 53 or 64 bits) by rc, exponent unbounded:
 * RS[0] exponent, RS[1]:RS[2] the 64-bit significand; RND.inexact and RND.up.
 */
function roundSig(pc: number, rc: number): void {
  let e = X[1],
    w2 = X[2],
    w1 = X[3];
  const w0 = X[4],
    st = X[5];
  let half: boolean, rest: boolean, odd: boolean, unit: number;
  if (pc === PC_EXTENDED) {
    half = w0 >= TWO31;
    rest = st !== 0 || (w0 !== 0 && w0 !== TWO31);
    odd = (w1 & 1) !== 0;
    unit = 1;
  } else if (pc !== PC_SINGLE) {
    // 53 bits (PC=2, and the reserved PC=1)
    const low = w1 & 0x7ff;
    half = (low & 0x400) !== 0;
    rest = (low & 0x3ff) !== 0 || w0 !== 0 || st !== 0;
    odd = (w1 & 0x800) !== 0;
    w1 -= low;
    unit = 2048;
  } else {
    const low = w2 & 0xff;
    half = (low & 0x80) !== 0;
    rest = (low & 0x7f) !== 0 || w1 !== 0 || w0 !== 0 || st !== 0;
    odd = (w2 & 0x100) !== 0;
    w2 -= low;
    w1 = 0;
    unit = 0;
  }
  const inexact = half || rest;
  let up = false;
  if (inexact) {
    switch (rc) {
      case RC_NEAREST:
        up = half && (rest || odd);
        break;
      case RC_DOWN:
        up = X[0] !== 0;
        break;
      case RC_UP:
        up = X[0] === 0;
        break;
      default:
        break;
    }
  }
  if (up) {
    if (unit === 0) w2 += 256;
    else {
      w1 += unit;
      if (w1 >= TWO32) {
        w1 -= TWO32;
        w2 += 1;
      }
    }
    if (w2 >= TWO32) {
      w2 = TWO31;
      e += 1;
    }
  }
  RS[0] = e;
  RS[1] = w2;
  RS[2] = w1;
  RND.inexact = inexact;
  RND.up = up;
}

/** Shifts X's significand right by s bits (s >= 1), collecting what falls out in the sticky bit. */
function shiftRight(s: number): void {
  let w2 = X[2],
    w1 = X[3],
    w0 = X[4],
    st = X[5];
  if (s >= 96) {
    X[2] = 0;
    X[3] = 0;
    X[4] = 0;
    X[5] = 1;
    return;
  } // w2 is nonzero
  while (s >= 32) {
    if (w0 !== 0) st = 1;
    w0 = w1;
    w1 = w2;
    w2 = 0;
    s -= 32;
  }
  if (s > 0) {
    if (w0 << (32 - s) !== 0) st = 1;
    w0 = ((w0 >>> s) | (w1 << (32 - s))) >>> 0;
    w1 = ((w1 >>> s) | (w2 << (32 - s))) >>> 0;
    w2 = w2 >>> s;
  }
  X[2] = w2;
  X[3] = w1;
  X[4] = w0;
  X[5] = st;
}

/** Largest finite significand high/low words under each precision control. */
function maxHi(pc: number): number {
  return pc === PC_SINGLE ? 0xffffff00 : 0xffffffff;
}
function maxLo(pc: number): number {
  return pc === PC_EXTENDED ? 0xffffffff : pc === PC_SINGLE ? 0 : 0xfffff800;
}

function setC1(f: Fpu, up: boolean): void {
  if (up) f.sw |= SW_C1;
  else f.sw &= ~SW_C1;
}

function writeReg(f: Fpu, p: number, se: number, hi: number, lo: number, tag: number): void {
  const i = p * 3;
  f.img[i] = se;
  f.img[i + 1] = hi;
  f.img[i + 2] = lo;
  f.tag[p] = tag;
}

/**
 * Rounds X into register p under precision pc and rounding rc, with PE, UE, OE and C1 as the
 * x87 sets them (see the banner). An exact zero in X is stored as a signed zero.
 */
export function roundToReg(f: Fpu, p: number, pc: number, rc: number): void {
  const sign = X[0] !== 0 ? 0x8000 : 0;
  let w2 = X[2];
  if (w2 === 0) {
    writeReg(f, p, sign, 0, 0, TAG_ZERO);
    f.sw &= ~SW_C1;
    return;
  }
  // The common case inline: round at pc (as roundSig does) and store when in range.
  let w1 = X[3],
    e = X[1];
  const w0 = X[4],
    st = X[5];
  let half: boolean, rest: boolean, odd: boolean;
  if (pc === PC_EXTENDED) {
    half = w0 >= TWO31;
    rest = st !== 0 || (w0 !== 0 && w0 !== TWO31);
    odd = (w1 & 1) !== 0;
  } else if (pc !== PC_SINGLE) {
    const low = w1 & 0x7ff;
    half = (low & 0x400) !== 0;
    rest = (low & 0x3ff) !== 0 || w0 !== 0 || st !== 0;
    odd = (w1 & 0x800) !== 0;
    w1 -= low;
  } else {
    const low = w2 & 0xff;
    half = (low & 0x80) !== 0;
    rest = (low & 0x7f) !== 0 || w1 !== 0 || w0 !== 0 || st !== 0;
    odd = (w2 & 0x100) !== 0;
    w2 -= low;
    w1 = 0;
  }
  const inexact = half || rest;
  let up = false;
  if (inexact) {
    up = rc === RC_NEAREST ? half && (rest || odd) : rc === RC_DOWN ? sign !== 0 : rc === RC_UP ? sign === 0 : false;
    if (up) {
      if (pc === PC_SINGLE) w2 += 256;
      else {
        w1 += pc === PC_EXTENDED ? 1 : 2048;
        if (w1 >= TWO32) {
          w1 -= TWO32;
          w2 += 1;
        }
      }
      if (w2 >= TWO32) {
        w2 = TWO31;
        e += 1;
      }
    }
  }
  if (e <= EMAX && e >= EMIN) {
    const i = p * 3;
    f.img[i] = sign | (e + 16383);
    f.img[i + 1] = w2;
    f.img[i + 2] = w1;
    f.tag[p] = TAG_VALID;
    if (up) f.sw |= SW_C1;
    else f.sw &= ~SW_C1;
    if (inexact) f.raise(SW_PE);
    return;
  }
  RS[0] = e;
  RS[1] = w2;
  RS[2] = w1;
  RND.inexact = inexact;
  RND.up = up;
  roundOutOfRange(f, p, sign, pc, rc);
}

/** roundToReg's overflow and underflow responses; RS and RND hold the unbounded rounding. */
function roundOutOfRange(f: Fpu, p: number, sign: number, pc: number, rc: number): void {
  let e = RS[0];
  const cw = f.cw;
  if (e > EMAX) {
    if ((cw & CW_OM) === 0 && e - BIAS_ADJUST <= EMAX) {
      e -= BIAS_ADJUST;
      writeReg(f, p, sign | (e + 16383), RS[1], RS[2], TAG_VALID);
      setC1(f, RND.up);
      f.raise(RND.inexact ? SW_OE | SW_PE : SW_OE);
      return;
    }
    const toInf = rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign !== 0);
    if (toInf) writeReg(f, p, sign | 0x7fff, TWO31, 0, TAG_SPECIAL);
    else writeReg(f, p, sign | 0x7ffe, maxHi(pc), maxLo(pc), TAG_VALID);
    setC1(f, toInf);
    f.raise(SW_OE | SW_PE);
    return;
  }
  // Tiny after rounding.
  if ((cw & CW_UM) === 0 && e + BIAS_ADJUST >= EMIN) {
    e += BIAS_ADJUST;
    writeReg(f, p, sign | (e + 16383), RS[1], RS[2], TAG_VALID);
    setC1(f, RND.up);
    f.raise(RND.inexact ? SW_UE | SW_PE : SW_UE);
    return;
  }
  shiftRight(EMIN - X[1]);
  roundSig(pc, rc);
  const hi = RS[1],
    lo = RS[2];
  if (hi >= TWO31) writeReg(f, p, sign | 1, hi, lo, TAG_VALID);
  else writeReg(f, p, sign, hi, lo, hi === 0 && lo === 0 ? TAG_ZERO : TAG_SPECIAL);
  setC1(f, RND.up);
  if (RND.inexact) f.raise(SW_UE | SW_PE);
}

// ---- memory formats

/** Single and double real formats for roundToMem. */
export const FMT_SINGLE = 0,
  FMT_DOUBLE = 1;
/** Raw bits produced by roundToMem: [low word, high word] (singles in the low word). */
export const MEMBITS = new Int32Array(2);

/**
 * Rounds X into a single or double real by rc (PC does not apply to stores). Returns false
 * when an unmasked overflow or underflow means nothing is stored; otherwise MEMBITS holds the
 * bits and PE, UE, OE and C1 are set.
 */
export function roundToMem(f: Fpu, fmt: number, rc: number): boolean {
  const sign = X[0] !== 0;
  if (X[2] === 0) {
    setC1(f, false);
    if (fmt === FMT_SINGLE) MEMBITS[0] = sign ? 0x80000000 | 0 : 0;
    else {
      MEMBITS[0] = 0;
      MEMBITS[1] = sign ? 0x80000000 | 0 : 0;
    }
    return true;
  }
  const pc = fmt === FMT_SINGLE ? PC_SINGLE : PC_DOUBLE;
  const emax = fmt === FMT_SINGLE ? 127 : 1023,
    emin = fmt === FMT_SINGLE ? -126 : -1022;
  roundSig(pc, rc);
  const e = RS[0];
  const cw = f.cw;
  if (e > emax) {
    if ((cw & CW_OM) === 0) {
      f.raise(SW_OE);
      return false;
    }
    const toInf = rc === RC_NEAREST || (rc === RC_UP && !sign) || (rc === RC_DOWN && sign);
    if (fmt === FMT_SINGLE) MEMBITS[0] = (sign ? 0x80000000 : 0) | (toInf ? 0x7f800000 : 0x7f7fffff);
    else {
      MEMBITS[1] = (sign ? 0x80000000 : 0) | (toInf ? 0x7ff00000 : 0x7fefffff);
      MEMBITS[0] = toInf ? 0 : -1;
    }
    setC1(f, toInf);
    f.raise(SW_OE | SW_PE);
    return true;
  }
  let hi: number, lo: number, biased: number;
  if (e >= emin) {
    hi = RS[1];
    lo = RS[2];
    biased = e - emin + 1;
    if (RND.inexact) f.raise(SW_PE);
  } else {
    if ((cw & CW_UM) === 0) {
      f.raise(SW_UE);
      return false;
    }
    shiftRight(emin - X[1]);
    roundSig(pc, rc);
    hi = RS[1];
    lo = RS[2];
    biased = hi >= TWO31 ? 1 : 0;
    if (RND.inexact) f.raise(SW_UE | SW_PE);
  }
  setC1(f, RND.up);
  if (fmt === FMT_SINGLE) {
    MEMBITS[0] = (sign ? 0x80000000 : 0) | (biased << 23) | ((hi >>> 8) & 0x7fffff);
  } else {
    MEMBITS[1] = (sign ? 0x80000000 : 0) | (biased << 20) | ((hi >>> 11) & 0xfffff);
    MEMBITS[0] = (hi << 21) | (lo >>> 11);
  }
  return true;
}
