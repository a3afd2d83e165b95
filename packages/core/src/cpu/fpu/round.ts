// Correct rounding on top of host doubles: the x87's rounding control (RC), precision control
// (PC) and its inexact / rounded-up reporting (PE, C1), which JavaScript's round-to-nearest
// arithmetic does not give.
//
// Key design choice: every operation first produces its round-to-nearest double `hi` and the
// sign of the rounding error (`R.sgn` = sign of exact - hi, 0 when exact), computed exactly with
// error-free transformations (TwoSum, Dekker's TwoProduct). That pair decides every other
// rounding: a directed mode moves hi by one unit, and a coarser grid (24-bit precision, the
// single format) only ever compares hi with grid midpoints, which are themselves doubles, so hi
// lies on the same side of each of them as the exact value does. No operation needs more than
// the pair, and nothing allocates.
//
// Operands are scaled into [1, 4) before TwoProduct so that the error term never overflows or
// underflows; results in the double subnormal range take the host's (correct) rounding and get
// their error sign by comparing in the scaled domain.

/** Rounding control values (control word bits 10-11, SDM Vol. 1 §8.1.5.3). */
export const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;

/** Side results of the last operation, read right after the call. */
export const R = {
  /** Sign of (exact result - returned value): -1, 0 or 1. */
  sgn: 0,
  /** The rounding step was inexact. */
  inexact: false,
  /** The rounding step increased the magnitude (the x87's C1 "rounded up"). */
  up: false,
};

/** 2^n for n in [-1074, 1023], exact. */
const POW2 = new Float64Array(2098);
{
  let v = 1;
  for (let n = 0; n <= 1023; n++) { POW2[n + 1074] = v; v *= 2; }
  v = 1;
  for (let n = 0; n >= -1074; n--) { POW2[n + 1074] = v; v /= 2; }
}
export function pow2(n: number): number {
  if (n > 1023) return Infinity;
  if (n < -1074) return 0;
  return POW2[n + 1074];
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian hosts: u32[0] low word, u32[1] high word

/** floor(log2(|x|)) for finite nonzero x (subnormals included). */
export function exponentOf(x: number): number {
  f64[0] = x;
  const e = (u32[1] >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  const hi = u32[1] & 0xfffff;
  // Subnormal: the value is the 52-bit fraction times 2^-1074.
  return hi !== 0 ? (63 - Math.clz32(hi)) - 1074 : (31 - Math.clz32(u32[0])) - 1074;
}

/**
 * x * 2^n with a single rounding: the steps before the last are exact while the value stays
 * normal, and once it would not, the final result rounds to zero anyway.
 */
export function ldexp(x: number, n: number): number {
  while (n > 1023) { x *= POW2[1023 + 1074]; n -= 1023; }
  while (n < -1022) {
    const s = Math.max(n + 1022, -1022);
    x *= POW2[s + 1074];
    n -= s;
  }
  return x * POW2[n + 1074];
}

/** The next double towards +Infinity / -Infinity. */
export function nextUp(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === 0) return POW2[0]; // 2^-1074
  f64[0] = x;
  // Step the magnitude bits with a carry or borrow between the two words.
  if (x > 0) { u32[0] = u32[0] + 1; if (u32[0] === 0) u32[1] = u32[1] + 1; } else {
    if (u32[0] === 0) u32[1] = u32[1] - 1;
    u32[0] = u32[0] - 1;
  }
  return f64[0];
}
export function nextDown(x: number): number { return -nextUp(-x); }

// ---- error-free transformations

const SPLIT = 134217729; // 2^27 + 1

/** Exact error of a*b = p (Dekker); requires |a|, |b| moderate (no overflow or underflow). */
function prodErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** Sign of (exact - h) where exact = (h1 + sgn1 ulp-fraction) * 2^scale and h is a double. */
function sideOf(h: number, scale: number, h1: number, sgn1: number): number {
  const back = ldexp(h, -scale);
  return back !== h1 ? (h1 > back ? 1 : -1) : sgn1;
}


/** a + b rounded to nearest (rc only decides the sign of an exact zero); R.sgn = sign of the error. */
export function add(a: number, b: number, rc: number): number {
  const s = a + b;
  if (s - s !== 0) { R.sgn = 0; return s; } // overflow: the caller sees Infinity
  const bb = s - a;
  const err = (a - (s - bb)) + (b - bb);
  R.sgn = err > 0 ? 1 : err < 0 ? -1 : 0;
  // IEEE 754 §6.3: an exact zero sum of operands of opposite sign is -0 only when rounding down.
  if (s === 0 && rc === RC_DOWN && !(Object.is(a, 0) && Object.is(b, 0))) return -0;
  return s;
}

/** a * b (finite, nonzero operands) rounded to nearest; R.sgn = sign of the error. */
export function mul(a: number, b: number): number {
  const ea = exponentOf(a), eb = exponentOf(b);
  const a1 = ldexp(a, -ea), b1 = ldexp(b, -eb);
  const p1 = a1 * b1;
  const e1 = prodErr(a1, b1, p1);
  const sgn1 = e1 > 0 ? 1 : e1 < 0 ? -1 : 0;
  return scaleBack(p1, sgn1, ea + eb, a * b);
}

/** a / b (finite, nonzero operands) rounded to nearest; R.sgn = sign of the error. */
export function div(a: number, b: number): number {
  const ea = exponentOf(a), eb = exponentOf(b);
  const a1 = ldexp(a, -ea), b1 = ldexp(b, -eb);
  const q1 = a1 / b1;
  const p = q1 * b1;
  const rem = (a1 - p) - prodErr(q1, b1, p);
  // sign(a1/b1 - q1) = sign(rem) * sign(b1)
  const sgn1 = rem === 0 ? 0 : (rem > 0) === (b1 > 0) ? 1 : -1;
  return scaleBack(q1, sgn1, ea - eb, a / b);
}

/** sqrt(a) for finite a > 0, rounded to nearest; R.sgn = sign of the error. */
export function sqrt(a: number): number {
  const k = exponentOf(a) & ~1;
  const a1 = ldexp(a, -k);
  const s1 = Math.sqrt(a1);
  const p = s1 * s1;
  const rem = (a1 - p) - prodErr(s1, s1, p);
  R.sgn = rem > 0 ? 1 : rem < 0 ? -1 : 0;
  return ldexp(s1, k / 2);
}

/**
 * The result of a scaled operation: (r1 with error sign sgn1) * 2^scale. direct is the host's
 * own rounded result, right also in the subnormal range, used when scaling back would round.
 */
function scaleBack(r1: number, sgn1: number, scale: number, direct: number): number {
  const abs = Math.abs(r1);
  const exp = scale + (abs >= 2 ? 1 : abs < 1 ? -1 : 0);
  if (exp > 1023) { R.sgn = 0; return r1 > 0 ? Infinity : -Infinity; }
  if (exp >= -1022) { R.sgn = sgn1; return ldexp(r1, scale); }
  R.sgn = sideOf(direct, scale, r1, sgn1);
  return direct;
}

// ---- rounding the (hi, sgn) pair

/** Rounds to a 53-bit double per rc. hi = round-to-nearest value, sgn = sign(exact - hi). */
export function roundDouble(hi: number, sgn: number, rc: number): number {
  R.inexact = sgn !== 0;
  R.up = false;
  if (sgn === 0) return hi;
  const neg = hi < 0 || Object.is(hi, -0);
  let r = hi;
  switch (rc) {
    case RC_DOWN: if (sgn < 0) r = nextDown(hi); break;
    case RC_UP: if (sgn > 0) r = nextUp(hi); break;
    case RC_ZERO: if (neg ? sgn > 0 : sgn < 0) r = neg ? nextUp(hi) : nextDown(hi); break;
    default: break;
  }
  if (r === 0 && neg) r = -0;
  // Magnitude grew when the result lies beyond the exact value, away from zero.
  R.up = neg ? (r < hi || (r === hi && sgn > 0)) : (r > hi || (r === hi && sgn < 0));
  return r;
}

/**
 * Rounds to a grid of p-bit significands whose finest spacing is 2^minUlpExp (24 and -149 for
 * the single format, 24 and -1074 for registers under PC=single). Same inputs as roundDouble.
 */
export function roundCoarse(hi: number, sgn: number, p: number, minUlpExp: number, rc: number): number {
  const neg = hi < 0 || Object.is(hi, -0);
  const H = Math.abs(hi);
  const g = neg ? -sgn : sgn;
  const e = H === 0 ? minUlpExp + p - 1 : exponentOf(H);
  const ue = Math.max(e - p + 1, minUlpExp);
  if (ue <= -1074) return roundDouble(hi, sgn, rc); // the grid is the double grid itself
  const u = POW2[ue + 1074];
  const T = Math.floor(H / u) * u;
  R.up = false;
  if (T === H && g === 0) { R.inexact = false; return hi; }
  R.inexact = true;
  let L: number, d: number;
  if (T < H || g > 0) { L = T; d = u; } else {
    // Just below a grid point: below a power of two the grid is twice as fine.
    d = H === POW2[e + 1074] && ue > minUlpExp ? u / 2 : u;
    L = H - d;
  }
  const U = L + d, M = L + d / 2;
  const c = H !== M ? (H > M ? 1 : -1) : g;
  let pick: number;
  switch (rc) {
    case RC_DOWN: pick = neg ? U : L; break;
    case RC_UP: pick = neg ? L : U; break;
    case RC_ZERO: pick = L; break;
    default: pick = c < 0 ? L : c > 0 ? U : (L / d) % 2 === 0 ? L : U; break;
  }
  R.up = pick === U;
  return neg ? -pick : pick;
}

/** Rounds a double to an integer per rc (FRNDINT, FIST); R.inexact / R.up as above. */
export function roundInt(x: number, rc: number): number {
  let r: number;
  switch (rc) {
    case RC_DOWN: r = Math.floor(x); break;
    case RC_UP: r = Math.ceil(x); break;
    case RC_ZERO: r = Math.trunc(x); break;
    default: {
      r = Math.round(x);
      // Math.round takes halves upwards; the x87 takes them to the even neighbour.
      if (r - x === 0.5 && (r % 2) !== 0) r -= 1;
      break;
    }
  }
  if (r === 0 && (x < 0 || Object.is(x, -0))) r = -0;
  R.inexact = r !== x;
  R.up = Math.abs(r) > Math.abs(x);
  return r;
}
