// The x87's transcendental instructions: FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1
// (SDM Vol. 2, each instruction's page; Vol. 1 §8.3.8-8.3.10).
//
// Key design choice: each function is evaluated in double-double arithmetic (about 104
// significant bits) on the exact 80-bit operands and rounded once into the register by RC
// (ext.ts; PC does not apply), so results are the correctly rounded 64-bit values except in
// cases rarer than one in 2^30. The trigonometric functions are the chip's: its argument
// reduction uses p, pi rounded to 68 bits of which the last two are zero (SDM Vol. 1 §8.3.8),
// so FSIN(x) approximates sin(x * pi / p), not sin(x) (Intel, "The Difference Between x87
// Instructions FSIN, FCOS, FSINCOS, and FPTAN and Mathematical Functions sin, cos, sincos, and
// tan"). Here x is reduced exactly, with integer arithmetic, by the multiple of p / 2 nearest
// to it, and the remainder is scaled by pi / p before the series.
//
// Measured against the host's x87 (packages/cli/src/difftest, x87_transcendental): the chip's
// own approximations are documented as within one ulp (§8.3.10) and are biased slightly low:
// where the exact value lies just above a representable number or just above a midpoint, the
// chip reports C1 = 1 or rounds down where the correctly rounded result does not. Those cases
// are the remaining differences. Quirks reproduced: F2XM1 sets PE for +1 and -1, whose results
// are exact; FSIN and FPTAN of a normal x with |x| < 2^-33 set C1; C1 after FSINCOS is the
// cosine's.

import type { Fpu } from "./fpu.ts";
import { PC_EXTENDED, SW_C1, SW_C2, SW_PE, SW_ZE } from "./fpu.ts";
import { denormalStop, invalidResult, nanResult1, nanResult2, needPushPair, needSt0, needSt01 } from "./arith.ts";
import { CLS_INF, CLS_QNAN, CLS_ZERO } from "./f80.ts";
import { RC_NEAREST, TWO31, TWO32, U, X, addCore, mulCore, passA, prodErr, roundToReg, unpack } from "./ext.ts";

// ---- double-double arithmetic: a value is hi + lo with |lo| at most half a unit of hi.
// Each function returns hi and leaves lo in DD[0].

const DD = new Float64Array(1);
function ddAdd(ah: number, al: number, bh: number, bl: number): number {
  const s = ah + bh,
    v = s - ah,
    e = ah - (s - v) + (bh - v);
  const t = al + bl,
    w = t - al,
    g = al - (t - w) + (bl - w);
  let c = e + t;
  const h = s + c;
  c = c - (h - s) + g;
  const h2 = h + c;
  DD[0] = c - (h2 - h);
  return h2;
}
function ddMul(ah: number, al: number, bh: number, bl: number): number {
  const p = ah * bh;
  const e = prodErr(ah, bh, p) + (ah * bl + al * bh);
  const h = p + e;
  DD[0] = e - (h - p);
  return h;
}
function ddDiv(ah: number, al: number, bh: number, bl: number): number {
  const q1 = ah / bh;
  const p = q1 * bh;
  const r = ah - p - prodErr(q1, bh, p) - q1 * bl + al;
  const q2 = r / bh;
  const h = q1 + q2;
  DD[0] = q2 - (h - q1);
  return h;
}
function ddSqrt(ah: number, al: number): number {
  const s = Math.sqrt(ah);
  const p = s * s;
  const t = (ah - p - prodErr(s, s, p) + al) / (2 * s);
  const h = s + t;
  DD[0] = t - (h - s);
  return h;
}

// ---- constants (each the double-double nearest the real number, from a 300-bit evaluation;
// transcendental.test.ts recomputes them with BigInt)

const PI_H = 3.141592653589793,
  PI_L = 1.2246467991473532e-16;
const LN2_H = 0.6931471805599453,
  LN2_L = 2.3190468138462996e-17;
const LOG2E_H = 1.4426950408889634,
  LOG2E_L = 2.0355273740931033e-17;
/** pi / p - 1, where p is the chip's pi (0.C90FDAA22168C234C hex * 4). */
const PIP_M1 = 1.2874146789751208e-21;
/** p / 2 = P66 * 2^-65 with P66 = 3_243F6A88_85A308D3 hex (66 bits), by 32-bit words. */
const P66_2 = 3,
  P66_1 = 0x243f6a88,
  P66_0 = 0x85a308d3;
const P66_D = (P66_2 * TWO32 + P66_1) * TWO32 + P66_0;
const PD2 = 1.5707963267948966; // p / 2 rounded to a double, for estimates
const SQRT2 = 1.4142135623730951;
const TWO_M63 = 1.0842021724855044e-19,
  TWO_M65 = 2.710505431213761e-20;

/** 1/n! (n = 0..30) and 1/(2k+1) (k = 0..22) as double-doubles. */
const FACT_H = new Float64Array(31),
  FACT_L = new Float64Array(31);
const ODD_H = new Float64Array(23),
  ODD_L = new Float64Array(23);
{
  let h = 1,
    l = 0;
  FACT_H[0] = 1;
  for (let n = 1; n <= 30; n++) {
    h = ddDiv(h, l, n, 0);
    l = DD[0];
    FACT_H[n] = h;
    FACT_L[n] = l;
  }
  for (let k = 0; k <= 22; k++) {
    ODD_H[k] = ddDiv(1, 0, 2 * k + 1, 0);
    ODD_L[k] = DD[0];
  }
}

// ---- series (arguments small enough that the last term is below 2^-110 of the result). The
// terms below 2^-53 of the sum are added up in plain doubles first (their rounding errors stay
// below 2^-106), the larger ones in double-double.

/** sin(t), |t| <= 0.8: t * sum (-1)^k t^2k / (2k+1)!, k <= 14 (double-double for k <= 7). */
function sinDD(th: number, tl: number): number {
  const zh = ddMul(th, tl, th, tl),
    zl = DD[0];
  let p = FACT_H[29];
  for (let k = 13; k >= 8; k--) p = ((k & 1) !== 0 ? -FACT_H[2 * k + 1] : FACT_H[2 * k + 1]) + zh * p;
  let sh = p,
    sl = 0;
  for (let k = 7; k >= 0; k--) {
    sh = ddMul(zh, zl, sh, sl);
    sl = DD[0];
    sh =
      (k & 1) !== 0
        ? ddAdd(-FACT_H[2 * k + 1], -FACT_L[2 * k + 1], sh, sl)
        : ddAdd(FACT_H[2 * k + 1], FACT_L[2 * k + 1], sh, sl);
    sl = DD[0];
  }
  return ddMul(th, tl, sh, sl);
}
/** cos(t), |t| <= 0.8: sum (-1)^k t^2k / (2k)!, k <= 14 (double-double for k <= 8). */
function cosDD(th: number, tl: number): number {
  const zh = ddMul(th, tl, th, tl),
    zl = DD[0];
  let p = FACT_H[28];
  for (let k = 13; k >= 9; k--) p = ((k & 1) !== 0 ? -FACT_H[2 * k] : FACT_H[2 * k]) + zh * p;
  let sh = p,
    sl = 0;
  for (let k = 8; k >= 0; k--) {
    sh = ddMul(zh, zl, sh, sl);
    sl = DD[0];
    sh = (k & 1) !== 0 ? ddAdd(-FACT_H[2 * k], -FACT_L[2 * k], sh, sl) : ddAdd(FACT_H[2 * k], FACT_L[2 * k], sh, sl);
    sl = DD[0];
  }
  return sh;
}
/** e^y - 1, |y| <= 0.02: y * sum y^k / (k+1)!, k <= 13 (double-double for k <= 6). */
function expm1DD(yh: number, yl: number): number {
  let p = FACT_H[14];
  for (let k = 12; k >= 7; k--) p = FACT_H[k + 1] + yh * p;
  let sh = p,
    sl = 0;
  for (let k = 6; k >= 0; k--) {
    sh = ddMul(yh, yl, sh, sl);
    sl = DD[0];
    sh = ddAdd(FACT_H[k + 1], FACT_L[k + 1], sh, sl);
    sl = DD[0];
  }
  return ddMul(yh, yl, sh, sl);
}
/** e^y - 1 for |y| <= 0.7, by halving y n times and doubling back: E(2z) = E(z) (E(z) + 2). */
function expm1Wide(yh: number, yl: number): number {
  let n = 0;
  while (Math.abs(yh) > 0.02) {
    yh *= 0.5;
    yl *= 0.5;
    n++;
  }
  let eh = expm1DD(yh, yl),
    el = DD[0];
  for (; n > 0; n--) {
    const th = ddAdd(eh, el, 2, 0),
      tl = DD[0];
    eh = ddMul(eh, el, th, tl);
    el = DD[0];
  }
  DD[0] = el;
  return eh;
}
/** atanh(s), |s| <= 0.1716: s * sum s^2k / (2k+1), k <= 21 (double-double for k <= 9). */
function atanhDD(sh0: number, sl0: number): number {
  const zh = ddMul(sh0, sl0, sh0, sl0),
    zl = DD[0];
  let p = ODD_H[21];
  for (let k = 20; k >= 10; k--) p = ODD_H[k] + zh * p;
  let sh = p,
    sl = 0;
  for (let k = 9; k >= 0; k--) {
    sh = ddMul(zh, zl, sh, sl);
    sl = DD[0];
    sh = ddAdd(ODD_H[k], ODD_L[k], sh, sl);
    sl = DD[0];
  }
  return ddMul(sh0, sl0, sh, sl);
}
/** atan(v), |v| <= 0.1: v * sum (-1)^k v^2k / (2k+1), k <= 16 (double-double for k <= 7). */
function atanSeries(vh: number, vl: number): number {
  const zh = ddMul(vh, vl, vh, vl),
    zl = DD[0];
  let p = ODD_H[16];
  for (let k = 15; k >= 8; k--) p = ((k & 1) !== 0 ? -ODD_H[k] : ODD_H[k]) + zh * p;
  let sh = p,
    sl = 0;
  for (let k = 7; k >= 0; k--) {
    sh = ddMul(zh, zl, sh, sl);
    sl = DD[0];
    sh = (k & 1) !== 0 ? ddAdd(-ODD_H[k], -ODD_L[k], sh, sl) : ddAdd(ODD_H[k], ODD_L[k], sh, sl);
    sl = DD[0];
  }
  return ddMul(vh, vl, sh, sl);
}
/** atan(u) for 0 <= u <= 1: halve with atan(u) = 2 atan(u / (1 + sqrt(1 + u^2))) down to 0.1. */
function atanDD(uh: number, ul: number): number {
  let n = 0;
  while (uh > 0.1) {
    let th = ddMul(uh, ul, uh, ul),
      tl = DD[0];
    th = ddAdd(th, tl, 1, 0);
    tl = DD[0];
    th = ddSqrt(th, tl);
    tl = DD[0];
    th = ddAdd(th, tl, 1, 0);
    tl = DD[0];
    uh = ddDiv(uh, ul, th, tl);
    ul = DD[0];
    n++;
  }
  const s = 2 ** n;
  const h = atanSeries(uh, ul);
  DD[0] *= s;
  return h * s;
}
/** log2(m) for double-double m in [sqrt(1/2), sqrt(2)]: 2 atanh((m - 1) / (m + 1)) / ln 2. */
function log2DD(mh: number, ml: number): number {
  let nh = ddAdd(mh - 1, 0, ml, 0),
    nl = DD[0]; // mh - 1 is exact
  const dh = ddAdd(mh, ml, 1, 0),
    dl = DD[0];
  nh = ddDiv(nh, nl, dh, dl);
  nl = DD[0];
  nh = atanhDD(nh, nl);
  nl = DD[0];
  const h = ddMul(nh, nl, LOG2E_H, LOG2E_L);
  DD[0] *= 2;
  return h * 2;
}

// ---- operands and results

/** The significand of the operand unpacked at U[o]: a double-double in [1, 2) (exact). */
function sigDD(o: number): number {
  const hw = U[o + 2],
    lw = U[o + 3];
  const md = hw * TWO32 + lw;
  DD[0] = (hw * TWO32 - md + lw) * TWO_M63;
  return md * TWO_M63;
}

const F64 = new Float64Array(1),
  W32 = new Uint32Array(F64.buffer);
/** A positive normal double into U at o, exactly. */
function dblToU(v: number, o: number): void {
  F64[0] = v;
  const lo = W32[0],
    hi = W32[1];
  U[o] = 0;
  U[o + 1] = ((hi >>> 20) & 0x7ff) - 1023;
  U[o + 2] = (0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0;
  U[o + 3] = (lo << 11) >>> 0;
}

/**
 * Rounds (h + l) * 2^k into register p under RC. tail: the sign of (exact value - (h + l) *
 * 2^k) when the double-double is known to stop short of the value (0: it holds it all).
 */
function finish(f: Fpu, p: number, h: number, l: number, k: number, tail: number): void {
  let neg = 0;
  if (h < 0) {
    neg = 1;
    h = -h;
    l = -l;
    tail = -tail;
  }
  dblToU(h, 0);
  if (l === 0) passA();
  else {
    dblToU(l < 0 ? -l : l, 4);
    addCore(l < 0 ? 1 : 0, RC_NEAREST);
  }
  X[0] = neg;
  X[1] += k;
  if (tail !== 0 && X[5] === 0) nudge(tail);
  roundToReg(f, p, PC_EXTENDED, f.rc);
}

/** Moves X, an exact magnitude, by less than a unit of its last place: up (dir > 0) or down. */
function nudge(dir: number): void {
  if (dir > 0) {
    X[5] = 1;
    return;
  }
  // W - 1 with the sticky bit: the value lies strictly between W - 1 and W.
  let w0 = X[4] - 1,
    w1 = X[3],
    w2 = X[2];
  if (w0 < 0) {
    w0 += TWO32;
    w1 -= 1;
    if (w1 < 0) {
      w1 += TWO32;
      w2 -= 1;
    }
  }
  if (w2 < TWO31) {
    // W was a power of two: one place left, shifting in a 1
    w2 = ((w2 << 1) | (w1 >>> 31)) >>> 0;
    w1 = ((w1 << 1) | (w0 >>> 31)) >>> 0;
    w0 = ((w0 << 1) | 1) >>> 0;
    X[1] -= 1;
  }
  X[2] = w2;
  X[3] = w1;
  X[4] = w0;
  X[5] = 1;
}

function setSignedZero(f: Fpu, p: number, neg: boolean): void {
  f.setImg(p, neg ? 0x8000 : 0, 0, 0);
  f.setC1(false);
}
function setSignedInf(f: Fpu, p: number, neg: boolean): void {
  f.setImg(p, neg ? 0xffff : 0x7fff, 0x80000000 | 0, 0);
  f.setC1(false);
}

// ---- trigonometric functions

/** R = |x| * 2^65 - K * P66 by 32-bit words (r2 signed), after reduce(). */
const RED = new Float64Array(3);

/** 2^(e - 63) for the exponents e = -1..62 that reduce() sees (index e + 1). */
const POW2_RED = new Float64Array(64);
for (let e = -1; e <= 62; e++) POW2_RED[e + 1] = 2 ** (e - 63);

/**
 * For |x| in U[0..3] with p/4 < |x| < 2^63 (exponent -1..62): K, the integer nearest
 * |x| / (p/2), and R = |x| * 2^65 - K * P66 exactly (|R| about P66 / 2 at most), by 32-bit
 * words modulo 2^96 (R is far smaller). Returns K mod 4; R in RED.
 */
function reduce(): number {
  const e = U[1],
    mh = U[2],
    ml = U[3];
  const s = e + 2; // |x| * 2^65 = M * 2^(e + 2), s in 1..64
  let x2: number, x1: number, x0: number;
  if (s < 32) {
    x0 = (ml << s) >>> 0;
    x1 = ((mh << s) | (ml >>> (32 - s))) >>> 0;
    x2 = mh >>> (32 - s);
  } else if (s === 32) {
    x0 = 0;
    x1 = ml;
    x2 = mh;
  } else if (s < 64) {
    const t = s - 32;
    x0 = 0;
    x1 = (ml << t) >>> 0;
    x2 = ((mh << t) | (ml >>> (32 - t))) >>> 0;
  } else {
    x0 = 0;
    x1 = 0;
    x2 = ml;
  }
  const k = Math.round(((mh * TWO32 + ml) * POW2_RED[e + 1]) / PD2); // within 2^10 of K
  let kh = Math.floor(k / TWO32),
    kl = k - kh * TWO32;
  let r2 = 0,
    r1 = 0,
    r0 = 0;
  for (let iter = 0; iter < 4; iter++) {
    // T = K * P66 mod 2^96: kl * p0 + (kl * p1 + kh * p0) 2^32 + (kl * p2 + kh * p1) 2^64
    const kl0 = kl & 0xffff,
      kl1 = kl >>> 16,
      kh0 = kh & 0xffff,
      kh1 = kh >>> 16;
    const t0 = Math.imul(kl, P66_0) >>> 0;
    const hA = Math.floor((kl1 * P66_0 + Math.floor((kl0 * P66_0) / 65536)) / 65536); // hi(kl * p0)
    const hB = Math.floor((kl1 * P66_1 + Math.floor((kl0 * P66_1) / 65536)) / 65536); // hi(kl * p1)
    const hC = Math.floor((kh1 * P66_0 + Math.floor((kh0 * P66_0) / 65536)) / 65536); // hi(kh * p0)
    let t1 = hA + (Math.imul(kl, P66_1) >>> 0) + (Math.imul(kh, P66_0) >>> 0);
    const c1 = t1 >= 2 * TWO32 ? 2 : t1 >= TWO32 ? 1 : 0;
    t1 -= c1 * TWO32;
    let t2 = hB + hC + c1 + (Math.imul(kl, P66_2) >>> 0) + (Math.imul(kh, P66_1) >>> 0);
    t2 -= Math.floor(t2 / TWO32) * TWO32;
    // R = X' - T mod 2^96, signed
    let br = 0;
    r0 = x0 - t0;
    if (r0 < 0) {
      r0 += TWO32;
      br = 1;
    }
    r1 = x1 - t1 - br;
    br = 0;
    if (r1 < 0) {
      r1 += TWO32;
      br = 1;
    }
    r2 = x2 - t2 - br;
    if (r2 < 0) r2 += TWO32;
    if (r2 >= TWO31) r2 -= TWO32;
    const dk = Math.round(((r2 * TWO32 + r1) * TWO32 + r0) / P66_D);
    if (dk === 0 || iter === 3) break;
    kl += dk;
    while (kl < 0) {
      kl += TWO32;
      kh -= 1;
    }
    while (kl >= TWO32) {
      kl -= TWO32;
      kh += 1;
    }
  }
  RED[0] = r2;
  RED[1] = r1;
  RED[2] = r0;
  return kl & 3;
}

/** The reduced argument r * pi / p as a double-double, from RED. */
function reducedArg(): number {
  const a = (RED[0] * TWO32 + RED[1]) * TWO32; // exact: at most 35 significant bits
  const b = RED[2];
  const s = a + b,
    v = s - a,
    e = a - (s - v) + (b - v); // exact sum
  const rh = s * TWO_M65,
    rl = e * TWO_M65;
  const tl = rl + rh * PIP_M1;
  const h = rh + tl;
  DD[0] = tl - (h - rh);
  return h;
}

/** Results of trig(): sine and cosine of the argument, and the exponent scale of the sine. */
const TRIG = new Float64Array(6);
const TRIG_SIN_H = 0,
  TRIG_SIN_L = 1,
  TRIG_COS_H = 2,
  TRIG_COS_L = 3,
  TRIG_SCALE = 4,
  TRIG_TINY = 5;

/** trig() computes the sine (TRIG_SIN), the cosine (TRIG_COS) or both. */
const TRIG_SIN = 1,
  TRIG_COS = 2;

/**
 * sin and/or cos (want) of x * pi / p for the finite nonzero x in register p (|x| < 2^63),
 * into TRIG: the sine is (h + l) * 2^scale (scale is 0 but for tiny x), the cosine h + l.
 * TRIG_TINY is 1 when |x| < 2^-60, where the double-doubles stop short: sin and cos below,
 * tan above.
 */
function trig(f: Fpu, p: number, want: number): void {
  const i = p * 3;
  unpack(f.img[i], f.img[i + 1], f.img[i + 2], 0);
  const neg = U[0] !== 0;
  let th: number,
    tl: number,
    q = 0;
  TRIG[TRIG_SCALE] = 0;
  TRIG[TRIG_TINY] = 0;
  if (U[1] >= -1) {
    q = reduce();
    th = reducedArg();
    tl = DD[0];
  } else if (U[1] >= -60) {
    const sc = 2 ** U[1];
    const xh = sigDD(0) * sc,
      xl = DD[0] * sc;
    tl = xl + xh * PIP_M1;
    th = xh + tl;
    tl = tl - (th - xh);
  } else {
    // Tiny: sin = t (1 - t^2/6), cos = 1 - t^2/2, below the double-double's reach.
    const xh = sigDD(0),
      xl = DD[0];
    const l = xl + xh * PIP_M1,
      h = xh + l;
    TRIG[TRIG_SIN_H] = neg ? -h : h;
    TRIG[TRIG_SIN_L] = neg ? -(l - (h - xh)) : l - (h - xh);
    TRIG[TRIG_COS_H] = 1;
    TRIG[TRIG_COS_L] = 0;
    TRIG[TRIG_SCALE] = U[1];
    TRIG[TRIG_TINY] = 1;
    return;
  }
  // x * pi / p = K * pi / 2 + t: for odd K the sine is the cosine of t and the other way round.
  const odd = (q & 1) !== 0;
  let sh = 0,
    sl = 0,
    ch = 0,
    cl = 0;
  if ((want & (odd ? TRIG_COS : TRIG_SIN)) !== 0) {
    sh = sinDD(th, tl);
    sl = DD[0];
  }
  if ((want & (odd ? TRIG_SIN : TRIG_COS)) !== 0) {
    ch = cosDD(th, tl);
    cl = DD[0];
  }
  if ((q & 1) !== 0) {
    const h = sh,
      l = sl;
    sh = ch;
    sl = cl;
    ch = -h;
    cl = -l;
  }
  if ((q & 2) !== 0) {
    sh = -sh;
    sl = -sl;
    ch = -ch;
    cl = -cl;
  }
  if (neg) {
    sh = -sh;
    sl = -sl;
  }
  TRIG[TRIG_SIN_H] = sh;
  TRIG[TRIG_SIN_L] = sl;
  TRIG[TRIG_COS_H] = ch;
  TRIG[TRIG_COS_L] = cl;
}

/** Exponent of register p's value (unbiased; denormals counted as -16382 or below). */
function expOf(f: Fpu, p: number): number {
  return (f.img[p * 3] & 0x7fff) - 16383;
}

/**
 * The chip's C1 for FSIN and FPTAN of a normal x with |x| < 2^-33: set, whichever way the
 * result was rounded (measured; its small-argument path evidently ends with a rounding up).
 */
function tinyTrigC1(f: Fpu, e: number): void {
  if (e <= -34 && e >= -16382) f.sw |= SW_C1;
}

/** Checks shared by FSIN, FCOS, FSINCOS and FPTAN; true when the function is to be computed. */
function trigOperand(f: Fpu, p: number, push: boolean): boolean {
  const cls = f.classOf(p);
  if (cls >= CLS_QNAN) {
    if (nanResult1(f, p, p) && push) f.copy(f.push(), p);
    return false;
  }
  if (cls === CLS_INF) {
    if (invalidResult(f, p) && push) f.setIndefinite(f.push());
    return false;
  }
  // |x| >= 2^63: out of range, C2 = 1 and ST(0) unchanged (SDM FSIN).
  if (cls !== CLS_ZERO && expOf(f, p) >= 63) {
    f.sw |= SW_C2;
    return false;
  }
  return !denormalStop(f, p, -2);
}

/** FSIN (kind 0) and FCOS (kind 1). */
export function fsinCos(f: Fpu, kind: number): void {
  if (!needSt0(f)) return;
  const p = f.top;
  f.sw &= ~SW_C2;
  if (!trigOperand(f, p, false)) return;
  if (f.classOf(p) === CLS_ZERO) {
    f.setC1(false);
    if (kind === 1) f.setImg(p, 0x3fff, 0x80000000 | 0, 0);
    return;
  }
  const e = expOf(f, p);
  trig(f, p, kind === 0 ? TRIG_SIN : TRIG_COS);
  const tiny = TRIG[TRIG_TINY];
  if (kind === 0) {
    finish(f, p, TRIG[TRIG_SIN_H], TRIG[TRIG_SIN_L], TRIG[TRIG_SCALE], tiny ? (TRIG[TRIG_SIN_H] > 0 ? -1 : 1) : 0);
    tinyTrigC1(f, e);
  } else finish(f, p, TRIG[TRIG_COS_H], TRIG[TRIG_COS_L], 0, tiny ? -1 : 0);
}

/** FPTAN (ST(0) = tan, then push 1.0) and FSINCOS (ST(0) = sin, then push cos). */
export function fptanSincos(f: Fpu, sincos: boolean): void {
  if (!needPushPair(f)) return;
  const p = f.top;
  f.sw &= ~SW_C2;
  if (!trigOperand(f, p, true)) return;
  if (f.classOf(p) === CLS_ZERO) {
    f.setC1(false);
    f.setImg(f.push(), 0x3fff, 0x80000000 | 0, 0); // cos 0 = 1, or FPTAN's 1.0
    return;
  }
  const e = expOf(f, p);
  trig(f, p, TRIG_SIN | TRIG_COS);
  const tiny = TRIG[TRIG_TINY];
  const sh = TRIG[TRIG_SIN_H],
    sl = TRIG[TRIG_SIN_L],
    k = TRIG[TRIG_SCALE];
  if (sincos) {
    finish(f, p, sh, sl, k, tiny ? (sh > 0 ? -1 : 1) : 0);
    finish(f, f.push(), TRIG[TRIG_COS_H], TRIG[TRIG_COS_L], 0, tiny ? -1 : 0);
    return;
  }
  if (tiny)
    finish(f, p, sh, sl, k, sh > 0 ? 1 : -1); // tan t = t (1 + t^2/3)
  else {
    const h = ddDiv(sh, sl, TRIG[TRIG_COS_H], TRIG[TRIG_COS_L]);
    finish(f, p, h, DD[0], 0, 0);
  }
  tinyTrigC1(f, e);
  f.setImg(f.push(), 0x3fff, 0x80000000 | 0, 0);
}

// ---- FPATAN

/** FPATAN: ST(1) = arctan(ST(1) / ST(0)) in the quadrant of the signs, then pop. */
export function fpatan(f: Fpu): void {
  const p0 = f.top,
    p1 = f.st(1);
  if (!needSt01(f, p1, true)) return;
  const cx = f.classOf(p0),
    cy = f.classOf(p1);
  if (cx >= CLS_QNAN || cy >= CLS_QNAN) {
    if (nanResult2(f, p1, p1, p0, cy >= CLS_QNAN, cx >= CLS_QNAN)) f.pop();
    return;
  }
  if (denormalStop(f, p0, p1)) return;
  const xNeg = (f.img[p0 * 3] & 0x8000) !== 0,
    yNeg = (f.img[p1 * 3] & 0x8000) !== 0;
  // The special values of SDM FPATAN table 3-29: signed zeros and multiples of pi / 4.
  let special = -1; // result in quarters of pi
  if (cy === CLS_ZERO) special = xNeg ? 4 : 0;
  else if (cx === CLS_ZERO) special = 2;
  else if (cy === CLS_INF) special = cx === CLS_INF ? (xNeg ? 3 : 1) : 2;
  else if (cx === CLS_INF) special = xNeg ? 4 : 0;
  if (special === 0) setSignedZero(f, p1, yNeg);
  else if (special > 0) {
    const h = ddMul(PI_H, PI_L, special / 4, 0);
    finish(f, p1, yNeg ? -h : h, yNeg ? -DD[0] : DD[0], 0, 0);
  } else atan2Finite(f, p0, p1, xNeg, yNeg);
  f.pop();
}

/** atan2 of finite nonzero y (register p1) and x (p0) into p1. */
function atan2Finite(f: Fpu, p0: number, p1: number, xNeg: boolean, yNeg: boolean): void {
  let i = p0 * 3;
  unpack(f.img[i], f.img[i + 1], f.img[i + 2], 0);
  const bh = sigDD(0),
    bl = DD[0],
    eb = U[1];
  i = p1 * 3;
  unpack(f.img[i], f.img[i + 1], f.img[i + 2], 0);
  const ah = sigDD(0),
    al = DD[0],
    ea = U[1];
  // u = min(|y|, |x|) / max(|y|, |x|) <= 1
  const swap = ea > eb || (ea === eb && (ah > bh || (ah === bh && al > bl)));
  let uh = swap ? ddDiv(bh, bl, ah, al) : ddDiv(ah, al, bh, bl);
  let ul = DD[0];
  const d = swap ? eb - ea : ea - eb;
  let rh: number,
    rl: number,
    k = 0,
    tail = 0;
  if (d < -60) {
    // atan(u) = u (1 - u^2/3): u itself, stopping short above.
    if (!swap && !xNeg) {
      rh = uh;
      rl = ul;
      k = d;
      tail = -1;
    } else {
      const s = d < -1000 ? 0 : 2 ** d;
      const th = uh * s,
        tl = ul * s;
      // pi - u, pi/2 - u, pi/2 + u
      const ch = swap ? PI_H / 2 : PI_H,
        cl = swap ? PI_L / 2 : PI_L;
      const sign = swap && xNeg ? 1 : -1;
      rh = ddAdd(ch, cl, sign * th, sign * tl);
      rl = DD[0];
      if (s === 0) tail = sign;
    }
  } else {
    const s = 2 ** d;
    uh *= s;
    ul *= s;
    rh = atanDD(uh, ul);
    rl = DD[0];
    if (swap) {
      rh = ddAdd(PI_H / 2, PI_L / 2, -rh, -rl);
      rl = DD[0];
    }
    if (xNeg) {
      rh = ddAdd(PI_H, PI_L, -rh, -rl);
      rl = DD[0];
    }
  }
  if (yNeg) {
    rh = -rh;
    rl = -rl;
    tail = -tail;
  }
  finish(f, p1, rh, rl, k, tail);
}

// ---- F2XM1

/** F2XM1: ST(0) = 2^ST(0) - 1 (defined for -1 <= x <= 1; computed beyond too). */
export function f2xm1(f: Fpu): void {
  if (!needSt0(f)) return;
  const p = f.top;
  const cls = f.classOf(p);
  if (cls >= CLS_QNAN) {
    nanResult1(f, p, p);
    return;
  }
  if (denormalStop(f, p, -2)) return;
  f.setC1(false);
  const i = p * 3,
    se = f.img[i];
  const neg = (se & 0x8000) !== 0;
  if (cls === CLS_ZERO) return;
  if (cls === CLS_INF) {
    if (neg) f.setImg(p, 0xbfff, 0x80000000 | 0, 0);
    return;
  } // -inf: -1
  unpack(se, f.img[i + 1], f.img[i + 2], 0);
  const e = U[1];
  if (e === 0 && U[2] === TWO31 && U[3] === 0) {
    // +-1: 1 and -0.5, exact, yet flagged inexact by the chip (measured).
    f.setImg(p, neg ? 0xbffe : 0x3fff, 0x80000000 | 0, 0);
    f.raise(SW_PE);
    return;
  }
  let xh = sigDD(0),
    xl = DD[0];
  if (neg) {
    xh = -xh;
    xl = -xl;
  }
  if (e < -110) {
    // 2^x - 1 = x ln 2 (1 + x ln 2 / 2 + ...): x ln 2, stopping short below (the next term
    // is below 2^-110 of it, out of the double-double's reach).
    const h = ddMul(xh, xl, LN2_H, LN2_L);
    finish(f, p, h, DD[0], e, 1);
  } else if (e < 0) {
    const sc = 2 ** e;
    const yh = ddMul(xh * sc, xl * sc, LN2_H, LN2_L);
    const h = expm1Wide(yh, DD[0]);
    finish(f, p, h, DD[0], 0, 0);
  } else exp2Wide(f, p, xh * 2 ** e, xl * 2 ** e);
  f.raise(SW_PE);
}

/** 2^x - 1 for |x| > 1 (outside F2XM1's domain), from 2^n * 2^r with n = floor(x). */
function exp2Wide(f: Fpu, p: number, xh: number, xl: number): void {
  const n = Math.floor(xh);
  const limited = Math.max(-20000, Math.min(20000, n));
  let rh = ddAdd(xh, xl, -n, 0),
    rl = DD[0]; // r = x - n in [0, 1), exact
  rh = ddMul(rh, rl, LN2_H, LN2_L);
  rl = DD[0];
  let th = expm1Wide(rh, rl),
    tl = DD[0];
  th = ddAdd(th, tl, 1, 0);
  tl = DD[0]; // 2^r
  if (limited > 200) {
    finish(f, p, th, tl, limited, -1);
    return;
  } // the - 1 is below reach
  if (limited < -200) {
    finish(f, p, -1, 0, 0, 1);
    return;
  }
  const sc = 2 ** limited;
  const h = ddAdd(th * sc, tl * sc, -1, 0);
  finish(f, p, h, DD[0], 0, 0);
}

// ---- FYL2X, FYL2XP1

/** FYL2X (plus1 = false) and FYL2XP1: ST(1) = ST(1) * log2(ST(0) [+ 1]), then pop. */
export function fyl2x(f: Fpu, plus1: boolean): void {
  const p0 = f.top,
    p1 = f.st(1);
  if (!needSt01(f, p1, true)) return;
  const cx = f.classOf(p0),
    cy = f.classOf(p1);
  if (cx >= CLS_QNAN || cy >= CLS_QNAN) {
    if (nanResult2(f, p1, p1, p0, cy >= CLS_QNAN, cx >= CLS_QNAN)) f.pop();
    return;
  }
  const xNeg = (f.img[p0 * 3] & 0x8000) !== 0,
    yNeg = (f.img[p1 * 3] & 0x8000) !== 0;
  if (plus1 ? logPlus1Special(f, p0, p1, cx, cy, xNeg, yNeg) : logSpecial(f, p0, p1, cx, cy, xNeg, yNeg)) return;
  f.pop();
}

/**
 * FYL2X's operand checks and special values (SDM FYL2X table): invalid for x < 0 (before DE,
 * measured), 0 * inf and inf * 0; divide-by-zero for x = 0 and finite y. Computes the general
 * case too. Returns true when an unmasked exception stops the instruction (no pop).
 */
function logSpecial(f: Fpu, p0: number, p1: number, cx: number, cy: number, xNeg: boolean, yNeg: boolean): boolean {
  if (xNeg && cx !== CLS_ZERO) return !invalidResult(f, p1);
  const xOne =
    cx !== CLS_ZERO &&
    cx !== CLS_INF &&
    f.img[p0 * 3] === 0x3fff &&
    f.img[p0 * 3 + 1] === (0x80000000 | 0) &&
    f.img[p0 * 3 + 2] === 0;
  if ((cx === CLS_ZERO && cy === CLS_ZERO) || (cx === CLS_INF && cy === CLS_ZERO) || (xOne && cy === CLS_INF)) {
    return !invalidResult(f, p1);
  }
  if (cx === CLS_ZERO) {
    if (cy !== CLS_INF && f.raise(SW_ZE)) return true;
    setSignedInf(f, p1, !yNeg); // log2(0) = -inf
    return false;
  }
  if (denormalStop(f, p0, p1)) return true;
  if (cx === CLS_INF) {
    setSignedInf(f, p1, yNeg);
    return false;
  }
  // x finite positive.
  let i = p0 * 3;
  unpack(f.img[i], f.img[i + 1], f.img[i + 2], 0);
  let mh = sigDD(0),
    ml = DD[0],
    e = U[1];
  if (mh > SQRT2) {
    mh *= 0.5;
    ml *= 0.5;
    e += 1;
  }
  if (cy === CLS_INF) {
    setSignedInf(f, p1, e > 0 || (e === 0 && mh > 1) ? yNeg : !yNeg);
    return false;
  }
  const lgNeg = e < 0 || (e === 0 && mh < 1);
  if (cy === CLS_ZERO) {
    setSignedZero(f, p1, yNeg !== lgNeg);
    return false;
  }
  i = p1 * 3;
  if (mh === 1 && ml === 0) {
    // x = 2^e: the product y * e, exactly rounded once.
    unpack(f.img[i], f.img[i + 1], f.img[i + 2], 4);
    if (e === 0) {
      setSignedZero(f, p1, yNeg);
      return false;
    }
    const a = Math.abs(e),
      n = Math.clz32(a);
    U[0] = e < 0 ? 1 : 0;
    U[1] = 31 - n;
    U[2] = (a << n) >>> 0;
    U[3] = 0;
    mulCore();
    roundToReg(f, p1, PC_EXTENDED, f.rc);
    return false;
  }
  let lh = log2DD(mh, ml),
    ll = DD[0];
  lh = ddAdd(e, 0, lh, ll);
  ll = DD[0];
  scaleByY(f, p1, lh, ll, 0, 0);
  return false;
}

/** ST(1) (register p1, finite nonzero) times (lh + ll) * 2^k into p1. */
function scaleByY(f: Fpu, p1: number, lh: number, ll: number, k: number, tail: number): void {
  const i = p1 * 3;
  unpack(f.img[i], f.img[i + 1], f.img[i + 2], 0);
  let yh = sigDD(0),
    yl = DD[0];
  if (U[0] !== 0) {
    yh = -yh;
    yl = -yl;
    tail = -tail;
  }
  const ey = U[1];
  const h = ddMul(yh, yl, lh, ll);
  finish(f, p1, h, DD[0], ey + k, tail);
}

/**
 * FYL2XP1's checks and special values (SDM FYL2XP1 table) and its general case: log2(1 + x)
 * as 2 atanh(x / (2 + x)) / ln 2 near 0 (the instruction's domain, |x| < 1 - sqrt(2)/2), from
 * 1 + x beyond. Returns true when an unmasked exception stops the instruction.
 */
function logPlus1Special(
  f: Fpu,
  p0: number,
  p1: number,
  cx: number,
  cy: number,
  xNeg: boolean,
  yNeg: boolean,
): boolean {
  if ((cx === CLS_ZERO && cy === CLS_INF) || (cx === CLS_INF && (xNeg || cy === CLS_ZERO)))
    return !invalidResult(f, p1);
  if (denormalStop(f, p0, p1)) return true;
  if (cx === CLS_INF) {
    setSignedInf(f, p1, yNeg);
    return false;
  }
  if (cx === CLS_ZERO || cy === CLS_ZERO) {
    if (cy === CLS_INF) {
      setSignedInf(f, p1, yNeg !== xNeg);
      return false;
    }
    setSignedZero(f, p1, yNeg !== xNeg);
    return false;
  }
  const i = p0 * 3;
  unpack(f.img[i], f.img[i + 1], f.img[i + 2], 0);
  const e = U[1];
  let xh = sigDD(0),
    xl = DD[0];
  if (xNeg) {
    xh = -xh;
    xl = -xl;
  }
  if (xNeg && (e > 0 || (e === 0 && (xh < -1 || xl < 0)))) return !invalidResult(f, p1); // x < -1
  if (xNeg && e === 0) {
    // x = -1: log2(0)
    if (cy !== CLS_INF && f.raise(SW_ZE)) return true;
    setSignedInf(f, p1, !yNeg);
    return false;
  }
  if (cy === CLS_INF) {
    setSignedInf(f, p1, yNeg !== xNeg);
    return false;
  }
  if (e < -110) {
    // log2(1 + x) = (x - x^2/2 + ...) / ln 2: x log2(e), stopping short below (x/2 < 2^-110).
    const h = ddMul(xh, xl, LOG2E_H, LOG2E_L);
    scaleByY(f, p1, h, DD[0], e, -1);
    return false;
  }
  const sc = 2 ** e;
  xh *= sc;
  xl *= sc;
  let lh: number, ll: number;
  if (xh > -0.29 && xh < 0.29) {
    const dh = ddAdd(2, 0, xh, xl),
      dl = DD[0];
    lh = ddDiv(xh, xl, dh, dl);
    ll = DD[0];
    lh = atanhDD(lh, ll);
    ll = DD[0];
    lh = ddMul(lh, ll, LOG2E_H, LOG2E_L);
    ll = DD[0] * 2;
    lh *= 2;
  } else {
    // 1 + x exactly, normalized into [sqrt(1/2), sqrt(2)) times 2^n.
    let mh = ddAdd(1, 0, xh, xl),
      ml = DD[0];
    let n = Math.floor(Math.log2(mh));
    if (2 ** n > mh) n -= 1;
    mh *= 2 ** -n;
    ml *= 2 ** -n;
    if (mh > SQRT2) {
      mh *= 0.5;
      ml *= 0.5;
      n += 1;
    }
    lh = log2DD(mh, ml);
    ll = DD[0];
    lh = ddAdd(n, 0, lh, ll);
    ll = DD[0];
  }
  scaleByY(f, p1, lh, ll, 0, 0);
  return false;
}
