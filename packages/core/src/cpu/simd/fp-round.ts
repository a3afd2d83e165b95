// IEEE 754 arithmetic for SSE/SSE2 in single and double precision with MXCSR's rounding control,
// flush to zero, denormals are zero and exception flags (SDM Vol. 1 §4.8, §4.9, §10.2.3, §11.5).
//
// Key design choice: JavaScript has only round-to-nearest doubles, so every operation produces
// the exact result as a pair: hi (the exact value rounded to 53 bits, possibly scaled by 2^e)
// and the sign of the rest (exact - hi), from error-free transformations: TwoSum for addition,
// Dekker's TwoProduct for multiplication and for the residuals of division (a - q*b) and square
// root (a - q*q). round() then rounds that pair once to the destination's precision and
// exponent range in the MXCSR rounding mode, and tells overflow, tininess (after rounding, as
// x86 detects it: glibc's sysdeps/x86 tininess setting) and inexactness exactly. Single-precision
// operations compute hi in double, which is exact or correctly rounded to 53 >= 2*24+2 bits, so
// rounding it again to 24 bits with the sign of the rest is correct. Double-precision operands far
// from 1 are scaled to [1, 2) first, so that nothing overflows or underflows before round().
//
// Values move as bit patterns (Int32Array lanes: a single in one dword, a double in two, low
// dword first); NaNs never become JS numbers (a Float32Array load could quiet an SNaN).
// Nothing allocates: the module keeps its state in the variables below.

/** MXCSR bits (SDM Vol. 1 figure 10-3). */
export const MX_IE = 0x1,
  MX_DE = 0x2,
  MX_ZE = 0x4,
  MX_OE = 0x8,
  MX_UE = 0x10,
  MX_PE = 0x20,
  MX_DAZ = 0x40,
  MX_FTZ = 0x8000;
/** Rounding control (MXCSR bits 13-14). */
export const RC_NEAREST = 0,
  RC_DOWN = 1,
  RC_UP = 2,
  RC_ZERO = 3;

/** Exception flags raised by the current instruction (all lanes). */
export let fl = 0;
/** MXCSR while the instruction runs, and its rounding control. */
let mx = 0,
  rc = 0;

/** Starts an instruction: no flags yet, MXCSR's modes. */
export function begin(mxcsr: number): void {
  fl = 0;
  mx = mxcsr;
  rc = (mxcsr >> 13) & 3;
}
/** Adds flags (conversions and comparisons that raise flags of their own). */
export function raise(f: number): void {
  fl |= f;
}

const sb = new ArrayBuffer(8);
const sF32 = new Float32Array(sb),
  sI32 = new Int32Array(sb),
  sF64 = new Float64Array(sb);

const TWO64 = 18446744073709551616;
const MAX_F = 3.4028234663852886e38;
const MAX_D = Number.MAX_VALUE;
const MIN_NORMAL_F = 1.1754943508222875e-38;
const MIN_NORMAL_D = 2.2250738585072014e-308;

// ---- classification of bit patterns

/** Kinds of an operand. */
export const K_FINITE = 0,
  K_DENORMAL = 1,
  K_INF = 2,
  K_QNAN = 3,
  K_SNAN = 4;

/** The kind of a single at a[i]. */
export function kindF(a: Int32Array, i: number): number {
  const v = a[i],
    ex = (v >>> 23) & 0xff,
    fr = v & 0x7fffff;
  if (ex === 0xff) return fr === 0 ? K_INF : fr & 0x400000 ? K_QNAN : K_SNAN;
  return ex === 0 && fr !== 0 ? K_DENORMAL : K_FINITE;
}
/** The kind of a double at a[i] (low dword), a[i+1]. */
export function kindD(a: Int32Array, i: number): number {
  const hi = a[i + 1],
    ex = (hi >>> 20) & 0x7ff,
    nz = (hi & 0xfffff) !== 0 || a[i] !== 0;
  if (ex === 0x7ff) return !nz ? K_INF : hi & 0x80000 ? K_QNAN : K_SNAN;
  return ex === 0 && nz ? K_DENORMAL : K_FINITE;
}
export function kindOf(dbl: boolean, a: Int32Array, i: number): number {
  return dbl ? kindD(a, i) : kindF(a, i);
}

/**
 * The value of a non-NaN operand; a denormal is ±0 under DAZ, else it raises DE. Call after the
 * NaN checks (SDM §4.9.2: an SNaN or QNaN operand takes precedence over a denormal one).
 */
export function value(dbl: boolean, a: Int32Array, i: number, k: number): number {
  if (k === K_DENORMAL) {
    if (mx & MX_DAZ) return a[dbl ? i + 1 : i] < 0 ? -0 : 0;
    fl |= MX_DE;
  }
  return read(dbl, a, i);
}
/** The number at a[i] (not a NaN), without DAZ or flags. */
export function read(dbl: boolean, a: Int32Array, i: number): number {
  if (dbl) {
    sI32[0] = a[i];
    sI32[1] = a[i + 1];
    return sF64[0];
  }
  sI32[0] = a[i];
  return sF32[0];
}
/** Writes v (representable in the precision, not a NaN) to o[i]. */
export function write(dbl: boolean, o: Int32Array, i: number, v: number): void {
  if (dbl) {
    sF64[0] = v;
    o[i] = sI32[0];
    o[i + 1] = sI32[1];
  } else {
    sF32[0] = v;
    o[i] = sI32[0];
  }
}
/** The NaN at a[i], quieted, to o[oi]. */
export function quiet(dbl: boolean, a: Int32Array, i: number, o: Int32Array, oi: number): void {
  if (dbl) {
    o[oi] = a[i];
    o[oi + 1] = a[i + 1] | 0x80000;
  } else o[oi] = a[i] | 0x400000;
}
/** The default QNaN, "real indefinite" (FFC00000h, FFF80000_00000000h). */
export function indefinite(dbl: boolean, o: Int32Array, oi: number): void {
  if (dbl) {
    o[oi] = 0;
    o[oi + 1] = 0xfff80000 | 0;
  } else o[oi] = 0xffc00000 | 0;
}

// ---- exact arithmetic helpers

/** The exponent of a finite nonzero double (denormals included): floor(log2 |x|). */
function ilogb(x: number): number {
  sF64[0] = x;
  const ex = (sI32[1] >>> 20) & 0x7ff;
  if (ex !== 0) return ex - 1023;
  sF64[0] = x * TWO64;
  return ((sI32[1] >>> 20) & 0x7ff) - 1023 - 64;
}
/** 2^k for -1022 <= k <= 1023. */
function pow2(k: number): number {
  sI32[0] = 0;
  sI32[1] = (k + 1023) << 20;
  return sF64[0];
}
/** x * 2^k, exact unless the result is denormal or overflows. */
function ldexp(x: number, k: number): number {
  while (k > 1000) {
    x *= pow2(1000);
    k -= 1000;
  }
  while (k < -1000) {
    x *= pow2(-1000);
    k += 1000;
  }
  return x * pow2(k);
}
/** The error of the product p = RN(a*b): a*b - p, exact (Dekker; |a|, |b| < 2^995). */
function twoProdErr(a: number, b: number, p: number): number {
  const ta = 134217729 * a,
    ah = ta - (ta - a),
    al = a - ah;
  const tb = 134217729 * b,
    bh = tb - (tb - b),
    bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}
/** The error of the sum s = RN(a+b): a+b - s, exact (Knuth's TwoSum). */
function twoSumErr(a: number, b: number, s: number): number {
  const bv = s - a,
    av = s - bv;
  return a - av + (b - bv);
}
const isNeg = (x: number) => x < 0 || (x === 0 && 1 / x < 0);
const sgn = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);

// ---- rounding

/** Set by roundInt: the integer part was rounded (the value was not an integer). */
let inexact = false;

/**
 * Rounds the magnitude (m + d) * 2^k to an integer in the current mode, where m > 0 and d is a
 * rest of sign ds smaller than half an ulp of m (the sign of the result is neg).
 */
function roundInt(m: number, k: number, ds: number, neg: boolean): number {
  const n = ldexp(m, k);
  let t = Math.floor(n);
  const f = n - t;
  // where n + d lies between t and t + 1: 0 on t, 1 below the half, 2 on it, 3 above it
  let pos: number;
  if (f === 0) {
    if (ds === 0) pos = 0;
    else if (ds > 0) pos = 1;
    else {
      t -= 1;
      pos = 3;
    }
  } else if (f < 0.5) pos = 1;
  else if (f > 0.5) pos = 3;
  else pos = ds === 0 ? 2 : ds > 0 ? 3 : 1;
  inexact = pos !== 0;
  if (pos === 0) return t;
  if (rc === RC_NEAREST) {
    if (pos === 3 || (pos === 2 && t % 2 === 1)) t += 1;
  } else if (rc === (neg ? RC_DOWN : RC_UP)) t += 1;
  return t;
}

/**
 * Rounds the exact result ±(m + d) * 2^e (m > 0 or m = 0 for an exact zero; d of sign ds, less
 * than half an ulp of m) to single (dbl false) or double precision in MXCSR's mode, raises
 * OE/UE/PE, applies FTZ, and writes it to o[oi].
 */
export function round(dbl: boolean, neg: boolean, m: number, e: number, ds: number, o: Int32Array, oi: number): void {
  if (m === 0) {
    write(dbl, o, oi, neg ? -0 : 0);
    return;
  }
  if (rc === RC_NEAREST) {
    // fast path: a normal result in round to nearest
    if (dbl) {
      const r = e === 0 ? m : ldexp(m, e);
      if (r >= 2 * MIN_NORMAL_D && r <= MAX_D) {
        if (ds !== 0) fl |= MX_PE;
        write(true, o, oi, neg ? -r : r);
        return;
      }
    } else if (e === 0) {
      const f = Math.fround(m);
      if (m >= MIN_NORMAL_F && f <= MAX_F) {
        if (f !== m || ds !== 0) fl |= MX_PE;
        write(false, o, oi, neg ? -f : f);
        return;
      }
    }
  }
  const p = dbl ? 53 : 24,
    emin = dbl ? -1022 : -126,
    emax = dbl ? 1023 : 127;
  let E = ilogb(m) + e;
  // m a power of two with a negative rest: the exact value lies in the binade below
  if (ds < 0 && sI32[0] === 0 && (sI32[1] & 0xfffff) === 0) E -= 1;
  const qe = (E < emin ? emin : E) - (p - 1);
  const n = roundInt(m, e - qe, ds, neg);
  const inx = inexact;
  let tiny = false;
  if (E < emin - 1) tiny = true;
  else if (E === emin - 1) tiny = roundInt(m, e - (E - (p - 1)), ds, neg) < pow2(p);
  let r: number;
  if (E > emax || (E === emax && n >= pow2(p))) {
    // masked: infinity or the largest finite number, inexact; unmasked: PE only when the
    // significand was rounded (the host reports OE alone for an exact one)
    fl |= (mx & (MX_OE << 7)) === 0 && !inx ? MX_OE : MX_OE | MX_PE;
    r = rc === RC_NEAREST || rc === (neg ? RC_DOWN : RC_UP) ? Infinity : dbl ? MAX_D : MAX_F;
  } else {
    r = ldexp(n, qe);
    if (tiny) {
      if ((mx & (MX_UE << 7)) === 0) fl |= inx ? MX_UE | MX_PE : MX_UE;
      else if (mx & MX_FTZ) {
        fl |= MX_UE | MX_PE;
        r = 0;
      } else if (inx) fl |= MX_UE | MX_PE;
    } else if (inx) fl |= MX_PE;
  }
  write(dbl, o, oi, neg ? -r : r);
}

// ---- the operations on one lane

export const OP_ADD = 0,
  OP_SUB = 1,
  OP_MUL = 2,
  OP_DIV = 3,
  OP_MIN = 4,
  OP_MAX = 5,
  OP_SQRT = 6;

/** Scaled mantissa of frexp1: x = m * 2^fexp with m in [1, 2). */
let fexp = 0;
function frexp1(x: number): number {
  fexp = ilogb(x);
  return ldexp(x, -fexp);
}

/**
 * One lane of ADD/SUB/MUL/DIV/MIN/MAX (a op b) or SQRT (of b): a at a[ai], b at b[bi], the result
 * to o[oi]; flags into fl. NaN rules of SDM Vol. 1 table 4-7 (SSE column): the first source
 * operand's NaN wins, an SNaN is quieted; MIN/MAX return the second operand for any NaN or two
 * zeros and raise IE for a QNaN too.
 */
export function arith(
  op: number,
  dbl: boolean,
  a: Int32Array,
  ai: number,
  b: Int32Array,
  bi: number,
  o: Int32Array,
  oi: number,
): void {
  const kb = kindOf(dbl, b, bi),
    ka = op === OP_SQRT ? K_FINITE : kindOf(dbl, a, ai);
  if (ka >= K_QNAN || kb >= K_QNAN) {
    if (op === OP_MIN || op === OP_MAX) {
      fl |= MX_IE;
      if (kb === K_DENORMAL && mx & MX_DAZ) write(dbl, o, oi, b[dbl ? bi + 1 : bi] < 0 ? -0 : 0);
      else {
        o[oi] = b[bi];
        if (dbl) o[oi + 1] = b[bi + 1];
      }
      return;
    }
    if (ka === K_SNAN || kb === K_SNAN) fl |= MX_IE;
    if (ka >= K_QNAN) quiet(dbl, a, ai, o, oi);
    else quiet(dbl, b, bi, o, oi);
    return;
  }
  const f0 = fl;
  let y = value(dbl, b, bi, kb);
  if (op === OP_SQRT) {
    if (y < 0) {
      fl = f0 | MX_IE; // no DE with it
      indefinite(dbl, o, oi);
    } else if (y === 0 || y === Infinity) write(dbl, o, oi, y);
    else sqrtLane(dbl, y, o, oi);
    return;
  }
  const x = value(dbl, a, ai, ka);
  switch (op) {
    case OP_MIN:
    case OP_MAX: {
      const r = op === OP_MIN ? (x < y ? x : y) : x > y ? x : y;
      write(dbl, o, oi, r === y ? y : x);
      return;
    }
    case OP_SUB:
    case OP_ADD: {
      if (op === OP_SUB) y = -y;
      if (x === Infinity || x === -Infinity || y === Infinity || y === -Infinity) {
        if (x + y !== x + y) invalid(dbl, o, oi);
        else write(dbl, o, oi, x + y);
        return;
      }
      let s = x + y,
        e = 0;
      if (s === 0) {
        // exact zero: +0 but in round down, unless both operands are +0 or both -0
        const r = x === 0 && y === 0 && 1 / x === 1 / y ? x : rc === RC_DOWN ? -0 : 0;
        write(dbl, o, oi, r);
        return;
      }
      let d: number;
      if (s === Infinity || s === -Infinity) {
        s = x * 0.25 + y * 0.25;
        d = twoSumErr(x * 0.25, y * 0.25, s);
        e = 2;
      } else d = twoSumErr(x, y, s);
      round(dbl, s < 0, Math.abs(s), e, s < 0 ? -sgn(d) : sgn(d), o, oi);
      return;
    }
    case OP_MUL: {
      const neg = isNeg(x) !== isNeg(y);
      const ax = Math.abs(x),
        ay = Math.abs(y);
      if ((ax === 0 && ay === Infinity) || (ax === Infinity && ay === 0)) return invalid(dbl, o, oi);
      if (ax === 0 || ay === 0 || ax === Infinity || ay === Infinity) {
        const r = ax * ay;
        write(dbl, o, oi, neg ? -r : r);
        return;
      }
      if (!dbl) return round(false, neg, ax * ay, 0, 0, o, oi);
      const mx1 = frexp1(ax),
        ex = fexp,
        my1 = frexp1(ay);
      const p = mx1 * my1;
      round(true, neg, p, ex + fexp, sgn(twoProdErr(mx1, my1, p)), o, oi);
      return;
    }
    case OP_DIV: {
      const neg = isNeg(x) !== isNeg(y);
      const ax = Math.abs(x),
        ay = Math.abs(y);
      if ((ax === 0 && ay === 0) || (ax === Infinity && ay === Infinity)) return invalid(dbl, o, oi);
      if (ay === 0 && ax !== Infinity) {
        // divide by zero: no DE for a denormal dividend (as the difftest hosts do)
        fl = f0 | MX_ZE;
        write(dbl, o, oi, neg ? -Infinity : Infinity);
        return;
      }
      if (ax === 0 || ax === Infinity || ay === Infinity) {
        const r = ax / ay;
        write(dbl, o, oi, neg ? -r : r);
        return;
      }
      const mx1 = dbl ? frexp1(ax) : ax,
        ex = dbl ? fexp : 0,
        my1 = dbl ? frexp1(ay) : ay,
        ey = dbl ? fexp : 0;
      const q = mx1 / my1,
        p = q * my1;
      const rem = mx1 - p - twoProdErr(q, my1, p);
      round(dbl, neg, q, ex - ey, sgn(rem), o, oi);
      return;
    }
  }
}

function invalid(dbl: boolean, o: Int32Array, oi: number): void {
  fl |= MX_IE;
  indefinite(dbl, o, oi);
}

/** Square root of a finite y > 0. */
function sqrtLane(dbl: boolean, y: number, o: Int32Array, oi: number): void {
  let m = y,
    e = 0;
  if (dbl) {
    m = frexp1(y);
    if (fexp & 1) {
      m *= 2;
      fexp -= 1;
    }
    e = fexp / 2;
  }
  const q = Math.sqrt(m),
    p = q * q;
  const rem = m - p - twoProdErr(q, q, p);
  round(dbl, false, q, e, sgn(rem), o, oi);
}

// ---- comparisons

/**
 * CMPPS/CMPSS/CMPPD/CMPSD predicate pred (0-7: EQ LT LE UNORD NEQ NLT NLE ORD) on one lane: all
 * ones or zero to o[oi]. IE for an SNaN, and for a QNaN with LT, LE, NLT, NLE.
 */
export function compare(
  pred: number,
  dbl: boolean,
  a: Int32Array,
  ai: number,
  b: Int32Array,
  bi: number,
  o: Int32Array,
  oi: number,
): void {
  const r = relation(dbl, a, ai, b, bi, (pred & 3) === 1 || (pred & 3) === 2);
  let t: boolean;
  switch (pred & 3) {
    case 0:
      t = r === REL_EQ;
      break;
    case 1:
      t = r === REL_LT;
      break;
    case 2:
      t = r === REL_LT || r === REL_EQ;
      break;
    default:
      t = r === REL_UN;
  }
  if (pred & 4) t = !t;
  o[oi] = t ? -1 : 0;
  if (dbl) o[oi + 1] = t ? -1 : 0;
}

export const REL_LT = 0,
  REL_EQ = 1,
  REL_GT = 2,
  REL_UN = 3;

/** How a compares with b; IE for an SNaN, or any NaN when signalling; DE for a denormal. */
export function relation(
  dbl: boolean,
  a: Int32Array,
  ai: number,
  b: Int32Array,
  bi: number,
  signalling: boolean,
): number {
  const ka = kindOf(dbl, a, ai),
    kb = kindOf(dbl, b, bi);
  if (ka >= K_QNAN || kb >= K_QNAN) {
    if (signalling || ka === K_SNAN || kb === K_SNAN) fl |= MX_IE;
    return REL_UN;
  }
  const x = value(dbl, a, ai, ka),
    y = value(dbl, b, bi, kb);
  return x < y ? REL_LT : x > y ? REL_GT : REL_EQ;
}

// ---- conversions

/**
 * A float lane to a signed 32-bit integer, rounded in MXCSR's mode or truncated: the integer
 * indefinite 80000000h with IE for a NaN or a result out of range, PE when inexact.
 */
export function toInt32(dbl: boolean, a: Int32Array, ai: number, truncate: boolean): number {
  const k = kindOf(dbl, a, ai);
  if (k >= K_INF) {
    fl |= MX_IE;
    return 0x80000000 | 0;
  }
  const x = k === K_DENORMAL && mx & MX_DAZ ? 0 : read(dbl, a, ai);
  if (x === 0) return 0;
  if (Math.abs(x) >= 4294967296) {
    fl |= MX_IE;
    return 0x80000000 | 0;
  }
  let t: number;
  if (truncate) t = Math.trunc(x);
  else {
    t = roundInt(Math.abs(x), 0, 0, x < 0);
    if (x < 0) t = -t;
  }
  if (t > 2147483647 || t < -2147483648) {
    fl |= MX_IE;
    return 0x80000000 | 0;
  }
  if (t !== x) fl |= MX_PE;
  return t | 0;
}

/** A signed 32-bit integer to a float lane, rounded in MXCSR's mode (PE when inexact). */
export function fromInt32(dbl: boolean, v: number, o: Int32Array, oi: number): void {
  round(dbl, v < 0, Math.abs(v), 0, 0, o, oi);
}

/**
 * A float lane of one precision to the other: a single to a double is exact; a double to a single
 * rounds (OE, UE, PE). A NaN keeps its sign and the high bits of its payload, quieted (IE for an
 * SNaN); a denormal operand raises DE (or is zero under DAZ).
 */
export function convertFloat(toDbl: boolean, a: Int32Array, ai: number, o: Int32Array, oi: number): void {
  const fromDbl = !toDbl;
  const k = kindOf(fromDbl, a, ai);
  if (k >= K_QNAN) {
    if (k === K_SNAN) fl |= MX_IE;
    if (toDbl) {
      const v = a[ai];
      o[oi] = v << 29;
      o[oi + 1] = (v & 0x80000000) | 0x7ff80000 | ((v >>> 3) & 0x7ffff);
    } else {
      const hi = a[ai + 1];
      o[oi] = (hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (a[ai] >>> 29);
    }
    return;
  }
  const x = value(fromDbl, a, ai, k);
  if (toDbl || x === 0 || x === Infinity || x === -Infinity) write(toDbl, o, oi, x);
  else round(false, x < 0, Math.abs(x), 0, 0, o, oi);
}

// ---- approximations

/**
 * RCPPS/RCPSS and RSQRTPS/RSQRTSS: 1/x and 1/sqrt(x) rounded to nearest with 12 fraction bits
 * (relative error at most 2^-13, within the SDM's 1.5*2^-12). Like the hardware, they look at no
 * MXCSR bit and raise nothing: a denormal operand counts as zero (±infinity); a result too small
 * for a normal single is ±0; a NaN is quieted; RSQRT of a negative number is the indefinite.
 */
export function approx(rsqrt: boolean, a: Int32Array, ai: number, o: Int32Array, oi: number): void {
  const k = kindF(a, ai);
  if (k >= K_QNAN) {
    o[oi] = a[ai] | 0x400000;
    return;
  }
  const v = a[ai],
    neg = v < 0;
  const x = k === K_DENORMAL ? 0 : Math.abs(read(false, a, ai));
  if (neg && rsqrt && x !== 0) {
    o[oi] = 0xffc00000 | 0;
    return;
  }
  if (x === 0) {
    o[oi] = (v & 0x80000000) | 0x7f800000;
    return;
  }
  if (x === Infinity) {
    o[oi] = v & 0x80000000;
    return;
  }
  const r = rsqrt ? 1 / Math.sqrt(x) : 1 / x;
  const e = ilogb(r);
  let out = ldexp(Math.round(ldexp(r, 12 - e)), e - 12);
  if (out <= MIN_NORMAL_F) out = 0;
  write(false, o, oi, neg ? -out : out);
}
