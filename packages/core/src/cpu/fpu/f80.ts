// The x87 data formats (SDM Vol. 1 §4.2, §4.8, §8.2): 80-bit double extended-precision reals,
// single and double reals, 16/32/64-bit integers and 18-digit packed BCD: classification, the
// exact conversions of memory formats into 80-bit images, integer and BCD helpers, and the
// nearest host double of an image (for tools and tests; arithmetic never goes through it).
//
// An 80-bit "image" is three int32 numbers: se (sign in bit 15, biased exponent in bits 0-14),
// mhi and mlo (the 64-bit significand with its explicit integer bit J in bit 31 of mhi). 64-bit
// integers travel as two unsigned 32-bit halves in plain numbers, never BigInt. Rounding into
// the memory formats is ext.ts's.

import { R, ldexp, pow2 } from "./round.ts";

/** Exponent bias and the all-ones exponent of the extended format. */
export const F80_BIAS = 16383,
  F80_EXP_MAX = 0x7fff;
export const J_BIT = 0x80000000 | 0,
  QUIET_BIT = 0x40000000;

/** Operand classes (SDM Vol. 1 §8.2.2, FXAM). */
export const CLS_NORMAL = 0,
  CLS_ZERO = 1,
  CLS_DENORMAL = 2,
  CLS_INF = 3;
export const CLS_QNAN = 4,
  CLS_SNAN = 5,
  CLS_UNSUPPORTED = 6;

/** The QNaN floating-point indefinite: negative, quiet, zero payload (SDM Vol. 1 §4.8.3.7). */
export const INDEF_SE = 0xffff,
  INDEF_HI = 0xc0000000 | 0,
  INDEF_LO = 0;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[0] low word, u32[1] high word
const f32 = new Float32Array(1);
const f32u = new Uint32Array(f32.buffer);

/** Class of an 80-bit image. Pseudo-denormals count as denormals, unnormals and pseudo-NaNs as unsupported. */
export function classify(se: number, mhi: number, mlo: number): number {
  const exp = se & F80_EXP_MAX;
  if (exp === 0) return (mhi | mlo) === 0 ? CLS_ZERO : CLS_DENORMAL;
  if ((mhi & J_BIT) === 0) return CLS_UNSUPPORTED;
  if (exp !== F80_EXP_MAX) return CLS_NORMAL;
  if ((mhi & 0x7fffffff) === 0 && mlo === 0) return CLS_INF;
  return (mhi & QUIET_BIT) !== 0 ? CLS_QNAN : CLS_SNAN;
}

// ---- double <-> 80-bit

/** Writes the exact image of a non-NaN double to out[o..o+2]. */
export function imgFromDouble(v: number, out: Int32Array, o: number): void {
  f64[0] = v;
  imgFromF64Bits(u32[0], u32[1], out, o);
}

/** Image of a double given as its raw bits (NaN payloads copied, not quieted). */
export function imgFromF64Bits(lo: number, hi: number, out: Int32Array, o: number): void {
  const sign = (hi >>> 16) & 0x8000;
  const exp = (hi >>> 20) & 0x7ff;
  const fhi = hi & 0xfffff,
    flo = lo >>> 0;
  if (exp === 0x7ff) {
    out[o] = sign | F80_EXP_MAX;
    out[o + 1] = J_BIT | (fhi << 11) | (flo >>> 21);
    out[o + 2] = flo << 11;
    return;
  }
  if (exp === 0) {
    if ((fhi | flo) === 0) {
      out[o] = sign;
      out[o + 1] = 0;
      out[o + 2] = 0;
      return;
    }
    // A double denormal is a normal extended number: shift its leading one up to bit 63.
    const top = fhi !== 0 ? 63 - Math.clz32(fhi) : 31 - Math.clz32(flo);
    normalize(sign, top - 1074 + F80_BIAS, fhi, flo, top, out, o);
    return;
  }
  out[o] = sign | (exp - 1023 + F80_BIAS);
  out[o + 1] = J_BIT | (fhi << 11) | (flo >>> 21);
  out[o + 2] = flo << 11;
}

/** Image of a single real given as raw bits. */
export function imgFromF32Bits(bits: number, out: Int32Array, o: number): void {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (exp === 0xff) {
    out[o] = sign | F80_EXP_MAX;
    out[o + 1] = J_BIT | (frac << 8);
    out[o + 2] = 0;
    return;
  }
  if (exp === 0) {
    if (frac === 0) {
      out[o] = sign;
      out[o + 1] = 0;
      out[o + 2] = 0;
      return;
    }
    const top = 31 - Math.clz32(frac);
    normalize(sign, top - 149 + F80_BIAS, 0, frac, top, out, o);
    return;
  }
  out[o] = sign | (exp - 127 + F80_BIAS);
  out[o + 1] = J_BIT | (frac << 8);
  out[o + 2] = 0;
}

/** Image of the integer (hi:lo) whose highest set bit is `top`, with the given biased exponent. */
function normalize(
  sign: number,
  biased: number,
  hi: number,
  lo: number,
  top: number,
  out: Int32Array,
  o: number,
): void {
  const s = 63 - top;
  let mhi: number, mlo: number;
  if (s >= 32) {
    mhi = lo << (s - 32);
    mlo = 0;
  } else if (s === 0) {
    mhi = hi;
    mlo = lo;
  } else {
    mhi = (hi << s) | (lo >>> (32 - s));
    mlo = lo << s;
  }
  out[o] = sign | biased;
  out[o + 1] = mhi | 0;
  out[o + 2] = mlo | 0;
}

/** Image of the unsigned 64-bit magnitude (hi:lo), negated when neg. */
export function imgFromU64(neg: boolean, hi: number, lo: number, out: Int32Array, o: number): void {
  const sign = neg ? 0x8000 : 0;
  hi >>>= 0;
  lo >>>= 0;
  if (hi === 0 && lo === 0) {
    out[o] = sign;
    out[o + 1] = 0;
    out[o + 2] = 0;
    return;
  }
  const top = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
  normalize(sign, top + F80_BIAS, hi, lo, top, out, o);
}

/** Result of shr(): the truncated quotient halves and where the remainder lies. */
export const SHR = { qhi: 0, qlo: 0, cls: 0 };
/** Remainder classes: exactly zero, below half, exactly half, above half. */
export const REM_ZERO = 0,
  REM_LOW = 1,
  REM_HALF = 2,
  REM_HIGH = 3;

/** (mhi:mlo) >>> k (k >= 0) into SHR, with the class of the bits shifted out. */
export function shr(mhi: number, mlo: number, k: number): void {
  mhi >>>= 0;
  mlo >>>= 0;
  if (k === 0) {
    SHR.qhi = mhi;
    SHR.qlo = mlo;
    SHR.cls = REM_ZERO;
    return;
  }
  if (k > 64) {
    SHR.qhi = 0;
    SHR.qlo = 0;
    SHR.cls = (mhi | mlo) === 0 ? REM_ZERO : REM_LOW;
    return;
  }
  let remHi: number, remLo: number, halfHi: number, halfLo: number;
  if (k <= 32) {
    SHR.qhi = k === 32 ? 0 : mhi >>> k;
    SHR.qlo = k === 32 ? mhi : ((mlo >>> k) | (mhi << (32 - k))) >>> 0;
    remHi = 0;
    remLo = k === 32 ? mlo : (mlo & ((1 << k) - 1)) >>> 0;
    halfHi = 0;
    halfLo = pow2(k - 1);
  } else {
    const j = k - 32;
    SHR.qhi = 0;
    SHR.qlo = j === 32 ? 0 : mhi >>> j;
    remHi = j === 32 ? mhi : (mhi & ((1 << j) - 1)) >>> 0;
    remLo = mlo;
    halfHi = pow2(j - 1);
    halfLo = 0;
  }
  if (remHi === 0 && remLo === 0) SHR.cls = REM_ZERO;
  else if (remHi < halfHi || (remHi === halfHi && remLo < halfLo)) SHR.cls = REM_LOW;
  else if (remHi === halfHi && remLo === halfLo) SHR.cls = REM_HALF;
  else SHR.cls = REM_HIGH;
}

/** Whether a truncated quotient must be incremented under rc (0-3) given its sign and remainder. */
export function roundsAway(neg: boolean, qOdd: boolean, cls: number, rc: number): boolean {
  if (cls === REM_ZERO) return false;
  switch (rc) {
    case 1:
      return neg; // down: away from zero only for negative values
    case 2:
      return !neg; // up
    case 3:
      return false; // chop
    default:
      return cls === REM_HIGH || (cls === REM_HALF && qOdd);
  }
}

/**
 * The double nearest to an image (NaN for NaNs and unsupported encodings, +-Infinity beyond the
 * double range). Sets R.sgn to the sign of (exact - result) for finite results.
 */
export function doubleFromImg(se: number, mhi: number, mlo: number): number {
  const neg = (se & 0x8000) !== 0;
  const exp = se & F80_EXP_MAX;
  R.sgn = 0;
  if (exp === F80_EXP_MAX) {
    if ((mhi & J_BIT) !== 0 && (mhi & 0x7fffffff) === 0 && mlo === 0) return neg ? -Infinity : Infinity;
    return NaN;
  }
  if (exp !== 0 && (mhi & J_BIT) === 0) return NaN; // unnormal: unsupported
  if ((mhi | mlo) === 0) return neg ? -0 : 0;
  const E = (exp === 0 ? 1 : exp) - F80_BIAS - 63; // value = m * 2^E
  const top = mhi !== 0 ? 63 - Math.clz32(mhi) : 31 - Math.clz32(mlo);
  const k = Math.max(top - 52, -1074 - E);
  let mag: number;
  if (k <= 0) {
    mag = ldexp((mhi >>> 0) * 4294967296 + (mlo >>> 0), E);
  } else {
    shr(mhi, mlo, k);
    let q = SHR.qhi * 4294967296 + SHR.qlo;
    const up = roundsAway(false, (SHR.qlo & 1) !== 0, SHR.cls, 0);
    if (up) q += 1;
    const s = up ? -1 : SHR.cls === REM_ZERO ? 0 : 1;
    R.sgn = neg && s !== 0 ? -s : s;
    mag = E + k > 1023 ? Infinity : ldexp(q, E + k);
  }
  return neg ? -mag : mag;
}

/** Raw bits of a double (non-NaN) into out[0] = low word, out[1] = high word. */
export function f64Bits(v: number, out: Int32Array): void {
  f64[0] = v;
  out[0] = u32[0];
  out[1] = u32[1];
}
/** The double with the given raw bits. */
export function f64FromBits(lo: number, hi: number): number {
  u32[0] = lo;
  u32[1] = hi;
  return f64[0];
}
/** Raw bits of a single real holding v (v already representable). */
export function f32Bits(v: number): number {
  f32[0] = v;
  return f32u[0] | 0;
}
export function f32FromBits(bits: number): number {
  f32u[0] = bits;
  return f32[0];
}

// ---- NaN images in memory formats

/** Double bits of a NaN image (payload truncated, quiet bit as given) into out[0..1]. */
export function f64BitsOfNaN(se: number, mhi: number, mlo: number, out: Int32Array): void {
  out[1] = ((se & 0x8000) << 16) | 0x7ff00000 | ((mhi >>> 11) & 0xfffff);
  out[0] = (mhi << 21) | (mlo >>> 11);
}
/** Single bits of a NaN image. */
export function f32BitsOfNaN(se: number, mhi: number): number {
  return ((se & 0x8000) << 16) | 0x7f800000 | ((mhi >>> 8) & 0x7fffff);
}

// ---- packed BCD (SDM Vol. 1 §4.7): 18 digits in bytes 0-8, sign in bit 7 of byte 9

/** The value of an 18-digit packed BCD number read from bytes b[0..9] as an unsigned 64-bit magnitude in SHR.qhi:qlo. */
export function bcdToU64(b: Uint8Array): void {
  // Nine high digits and nine low digits, each below 10^9; high * 10^9 + low exactly in halves.
  let high = 0;
  for (let i = 8; i >= 5; i--) high = high * 100 + (b[i] >> 4) * 10 + (b[i] & 15);
  high = high * 10 + (b[4] >> 4);
  let low = b[4] & 15;
  for (let i = 3; i >= 0; i--) low = low * 100 + (b[i] >> 4) * 10 + (b[i] & 15);
  // high * 10^9 = hh * 2^15 * 10^9 + hl * 10^9, each product below 2^53.
  const hh = Math.floor(high / 32768),
    hl = high - hh * 32768;
  const a = hh * 1e9; // times 2^15
  let hi = Math.floor(a / 131072); // a * 2^15 / 2^32
  let lo = (a - hi * 131072) * 32768;
  lo += hl * 1e9 + low;
  const carry = Math.floor(lo / 4294967296);
  hi += carry;
  lo -= carry * 4294967296;
  SHR.qhi = hi;
  SHR.qlo = lo;
}

/** Writes the unsigned magnitude hi:lo (< 10^18) as 18 packed BCD digits into b[0..8]. */
export function u64ToBcd(hi: number, lo: number, b: Uint8Array): void {
  // Long division by 10^9 in base 2^16 keeps every intermediate below 2^53. hi < 2^28 < 10^9,
  // so the first partial quotient is zero and hi is the first remainder.
  let rem = hi >>> 0;
  let cur = rem * 65536 + (lo >>> 16);
  const d1 = Math.floor(cur / 1e9);
  rem = cur - d1 * 1e9;
  cur = rem * 65536 + (lo & 0xffff);
  const d2 = Math.floor(cur / 1e9);
  rem = cur - d2 * 1e9;
  let high = d1 * 65536 + d2,
    low = rem; // the high nine digits and the low nine
  for (let pos = 0; pos < 18; pos++) {
    let d: number;
    if (pos < 9) {
      d = low % 10;
      low = Math.floor(low / 10);
    } else {
      d = high % 10;
      high = Math.floor(high / 10);
    }
    const i = pos >> 1;
    b[i] = (pos & 1) === 0 ? d : b[i] | (d << 4);
  }
}
