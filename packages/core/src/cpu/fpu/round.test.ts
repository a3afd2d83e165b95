// The rounding core against exact rational arithmetic (BigInt, test-only): the error sign of
// every basic operation, directed rounding, the 24-bit grid with its midpoints and ties, and
// the subnormal range.
import { describe, expect, it } from "vitest";
import {
  R, RC_DOWN, RC_NEAREST, RC_UP, RC_ZERO, add, div, exponentOf, ldexp, mul, nextDown, nextUp,
  roundCoarse, roundDouble, roundInt, sqrt,
} from "./round.ts";

/** x = n * 2^e exactly. */
interface Exact { n: bigint; e: number }
const dv = new DataView(new ArrayBuffer(8));
function exact(x: number): Exact {
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0), lo = dv.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp !== 0) m |= 1n << 52n;
  const n = hi >>> 31 ? -m : m;
  return { n, e: (exp === 0 ? 1 : exp) - 1075 };
}
function align(a: Exact, b: Exact): [bigint, bigint, number] {
  const e = Math.min(a.e, b.e);
  return [a.n << BigInt(a.e - e), b.n << BigInt(b.e - e), e];
}
const sign = (v: bigint): number => (v > 0n ? 1 : v < 0n ? -1 : 0);
/** sign(a - b) */
function cmp(a: Exact, b: Exact): number { const [x, y] = align(a, b); return sign(x - y); }
function addE(a: Exact, b: Exact): Exact { const [x, y, e] = align(a, b); return { n: x + y, e }; }
function mulE(a: Exact, b: Exact): Exact { return { n: a.n * b.n, e: a.e + b.e }; }

/** Reference rounding of x to p-bit significands with finest spacing 2^minUlpExp. */
function refRound(x: Exact, p: number, minUlpExp: number, rc: number): number {
  if (x.n === 0n) return 0;
  const neg = x.n < 0n;
  const mag = neg ? -x.n : x.n;
  const bits = mag.toString(2).length;
  const e = x.e + bits - 1; // exponent of the leading bit
  const ue = Math.max(e - p + 1, minUlpExp);
  let q: bigint, rem: bigint, half: bigint;
  const shift = ue - x.e;
  if (shift <= 0) return Number(neg ? -mag : mag) * 2 ** x.e;
  q = mag >> BigInt(shift);
  rem = mag - (q << BigInt(shift));
  half = 1n << BigInt(shift - 1);
  let up: boolean;
  switch (rc) {
    case RC_DOWN: up = neg && rem !== 0n; break;
    case RC_UP: up = !neg && rem !== 0n; break;
    case RC_ZERO: up = false; break;
    default: up = rem > half || (rem === half && (q & 1n) === 1n); break;
  }
  if (up) q += 1n;
  const v = ldexp(Number(q), ue);
  return neg ? -v : v;
}

/** Random doubles over a wide exponent range, with some near-special patterns. */
function rnd(seed: { s: number }, minExp = -1000, maxExp = 1000): number {
  seed.s = (seed.s * 1103515245 + 12345) >>> 0;
  const a = seed.s;
  seed.s = (seed.s * 1103515245 + 12345) >>> 0;
  const b = seed.s;
  const m = 1 + (a / 4294967296) + (b / 4294967296) / 4294967296;
  const e = minExp + (b % (maxExp - minExp + 1));
  const v = ldexp(m, e);
  return (a & 1) ? -v : v;
}

describe("error-free operations", () => {
  it("add: round-to-nearest sum and the exact sign of its error", () => {
    const s = { s: 1 };
    for (let i = 0; i < 3000; i++) {
      const a = rnd(s, -60, 60), b = rnd(s, -60, 60);
      const hi = add(a, b, RC_NEAREST);
      expect(hi).toBe(a + b);
      expect(R.sgn).toBe(cmp(addE(exact(a), exact(b)), exact(hi)));
    }
  });
  it("add: an exact zero is -0 only when rounding down (IEEE 754 §6.3)", () => {
    expect(Object.is(add(1, -1, RC_NEAREST), 0)).toBe(true);
    expect(Object.is(add(1, -1, RC_DOWN), -0)).toBe(true);
    expect(Object.is(add(0, 0, RC_DOWN), 0)).toBe(true);
    expect(Object.is(add(-0, -0, RC_NEAREST), -0)).toBe(true);
  });
  it("mul: error sign, also into the subnormal range and up to overflow", () => {
    const s = { s: 2 };
    for (let i = 0; i < 3000; i++) {
      const a = rnd(s, -700, 700), b = rnd(s, -700, 700);
      const hi = mul(a, b);
      expect(hi).toBe(a * b);
      if (hi - hi !== 0) continue;
      expect(R.sgn).toBe(cmp(mulE(exact(a), exact(b)), exact(hi)));
    }
  });
  it("div: error sign, including subnormal quotients", () => {
    const s = { s: 3 };
    for (let i = 0; i < 3000; i++) {
      const a = rnd(s, -700, 700), b = rnd(s, -700, 700);
      const hi = div(a, b);
      expect(hi).toBe(a / b);
      if (hi - hi !== 0) continue;
      // sign(a/b - hi) = sign(a - hi*b) * sign(b)
      expect(R.sgn).toBe(cmp(exact(a), mulE(exact(hi), exact(b))) * Math.sign(b));
    }
  });
  it("sqrt: error sign", () => {
    const s = { s: 4 };
    for (let i = 0; i < 3000; i++) {
      const a = Math.abs(rnd(s, -1070, 1000));
      const hi = sqrt(a);
      expect(hi).toBe(Math.sqrt(a));
      expect(R.sgn).toBe(cmp(exact(a), mulE(exact(hi), exact(hi))));
    }
    expect((sqrt(4), R.sgn)).toBe(0);
  });
});

describe("rounding the (nearest, error sign) pair", () => {
  it("roundDouble implements the four modes and reports rounded-up", () => {
    const s = { s: 5 };
    for (let i = 0; i < 2000; i++) {
      const hi = rnd(s);
      const lo = ldexp(rnd(s, -1, -1) / 4, exponentOf(hi) - 52); // |lo| < ulp/2
      const x = addE(exact(hi), exact(lo));
      for (const rc of [RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO]) {
        const r = roundDouble(hi, Math.sign(lo), rc);
        expect(r).toBe(refRound(x, 53, -1074, rc));
        expect(R.inexact).toBe(true);
        expect(R.up).toBe(cmp(exact(Math.abs(r)), { n: x.n < 0n ? -x.n : x.n, e: x.e }) > 0);
      }
    }
  });
  it("roundCoarse gives the 24-bit grid's correct roundings, ties to even included", () => {
    const s = { s: 6 };
    for (let i = 0; i < 800; i++) {
      const f = Math.fround(rnd(s, -100, 100));
      const ulp = ldexp(1, exponentOf(f) - 23);
      // Midpoints and their neighbourhoods, and random points.
      const his = [f + ulp / 2, f - ulp / 4, f + ulp * 0.3, rnd(s, -100, 100)];
      for (const hi of his) {
        for (const sg of [-1, 0, 1]) {
          const lo = sg * ldexp(1, exponentOf(hi) - 60);
          const x = addE(exact(hi), exact(lo));
          for (const rc of [RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO]) {
            expect(roundCoarse(hi, sg, 24, -1074, rc)).toBe(refRound(x, 24, -1074, rc));
          }
        }
      }
    }
  });
  it("roundCoarse to the single format rounds into its subnormals", () => {
    const s = { s: 7 };
    for (let i = 0; i < 2000; i++) {
      const hi = rnd(s, -155, -120);
      for (const rc of [RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO]) {
        const r = roundCoarse(hi, 0, 24, -149, rc);
        expect(r).toBe(refRound(exact(hi), 24, -149, rc));
        if (rc === RC_NEAREST) expect(r).toBe(Math.fround(hi));
      }
    }
  });
  it("roundInt rounds halves to even and follows RC", () => {
    expect([2.5, -2.5, 3.5, -3.5, 0.5, -0.5].map((x) => roundInt(x, RC_NEAREST))).toEqual([2, -2, 4, -4, 0, -0]);
    expect([2.5, -2.5].map((x) => roundInt(x, RC_DOWN))).toEqual([2, -3]);
    expect([2.5, -2.5].map((x) => roundInt(x, RC_UP))).toEqual([3, -2]);
    expect([2.7, -2.7].map((x) => roundInt(x, RC_ZERO))).toEqual([2, -2]);
    roundInt(-3.5, RC_NEAREST);
    expect(R.up).toBe(true);
    roundInt(2.5, RC_NEAREST);
    expect(R.up).toBe(false);
    expect(R.inexact).toBe(true);
  });
  it("nextUp and nextDown step one unit, through zero and into infinity", () => {
    expect(nextUp(0)).toBe(5e-324);
    expect(nextDown(0)).toBe(-5e-324);
    expect(nextUp(-5e-324)).toBe(-0);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextDown(1)).toBe(1 - Number.EPSILON / 2);
  });
  it("ldexp rounds once, also into the subnormals", () => {
    expect(ldexp(1.5, -1074)).toBe(2 * 5e-324); // 1.5 ulp rounds to even: 2
    expect(ldexp(1, 1024)).toBe(Infinity);
    expect(ldexp(Math.pow(2, 1000), -2000)).toBe(Math.pow(2, -1000));
    expect(exponentOf(5e-324)).toBe(-1074);
    expect(exponentOf(-3)).toBe(1);
  });
});
