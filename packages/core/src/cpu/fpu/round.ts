// Host-double helpers for the conversions between register images and doubles (f80.ts's
// doubleFromImg, which gives tools and tests a register's nearest double): powers of two,
// ldexp with one rounding, the exponent of a double, and stepping to the neighbouring double.
//
// Key design choice: none of this takes part in the FPU's arithmetic, which is exact on the
// 80-bit format (ext.ts); R carries the one side result the conversion reports.

/** Side results of the last conversion, read right after the call. */
export const R = {
  /** Sign of (exact value - returned double): -1, 0 or 1. */
  sgn: 0,
};

/** 2^n for n in [-1074, 1023], exact. */
const POW2 = new Float64Array(2098);
{
  let v = 1;
  for (let n = 0; n <= 1023; n++) {
    POW2[n + 1074] = v;
    v *= 2;
  }
  v = 1;
  for (let n = 0; n >= -1074; n--) {
    POW2[n + 1074] = v;
    v /= 2;
  }
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
  return hi !== 0 ? 63 - Math.clz32(hi) - 1074 : 31 - Math.clz32(u32[0]) - 1074;
}

/**
 * x * 2^n with a single rounding: the steps before the last are exact while the value stays
 * normal, and once it would not, the final result rounds to zero anyway.
 */
export function ldexp(x: number, n: number): number {
  while (n > 1023) {
    x *= POW2[1023 + 1074];
    n -= 1023;
  }
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
  if (x > 0) {
    u32[0] = u32[0] + 1;
    if (u32[0] === 0) u32[1] = u32[1] + 1;
  } else {
    if (u32[0] === 0) u32[1] = u32[1] - 1;
    u32[0] = u32[0] - 1;
  }
  return f64[0];
}
export function nextDown(x: number): number {
  return -nextUp(-x);
}
