// The 80-bit format conversions against exact BigInt references (test-only BigInt).
import { describe, expect, it } from "vitest";
import {
  CLS_DENORMAL,
  CLS_INF,
  CLS_NORMAL,
  CLS_QNAN,
  CLS_SNAN,
  CLS_UNSUPPORTED,
  CLS_ZERO,
  REM_HALF,
  REM_HIGH,
  REM_LOW,
  REM_ZERO,
  SHR,
  bcdToU64,
  classify,
  doubleFromImg,
  f32BitsOfNaN,
  f64BitsOfNaN,
  imgFromDouble,
  imgFromF32Bits,
  imgFromF64Bits,
  imgFromU64,
  shr,
  u64ToBcd,
} from "./f80.ts";
import { R, nextDown, nextUp } from "./round.ts";

const out = new Int32Array(3);
const img = (v: number): string => {
  imgFromDouble(v, out, 0);
  return `${(out[0] & 0xffff).toString(16).padStart(4, "0")}:${(out[1] >>> 0).toString(16).padStart(8, "0")}${(out[2] >>> 0).toString(16).padStart(8, "0")}`;
};

/** Exact value of an image as (n, e) with value = n * 2^e (finite images only). */
function imgExact(se: number, hi: number, lo: number): { n: bigint; e: number } {
  const m = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const exp = se & 0x7fff;
  return { n: se & 0x8000 ? -m : m, e: (exp === 0 ? 1 : exp) - 16383 - 63 };
}
const dv = new DataView(new ArrayBuffer(8));
function dblExact(x: number): { n: bigint; e: number } {
  dv.setFloat64(0, x);
  const h = dv.getUint32(0),
    l = dv.getUint32(4);
  const exp = (h >>> 20) & 0x7ff;
  let m = (BigInt(h & 0xfffff) << 32n) | BigInt(l);
  if (exp !== 0) m |= 1n << 52n;
  return { n: h >>> 31 ? -m : m, e: (exp === 0 ? 1 : exp) - 1075 };
}
function cmpExact(a: { n: bigint; e: number }, b: { n: bigint; e: number }): number {
  const e = Math.min(a.e, b.e);
  const x = a.n << BigInt(a.e - e),
    y = b.n << BigInt(b.e - e);
  return x > y ? 1 : x < y ? -1 : 0;
}

function absDiff(a: { n: bigint; e: number }, b: { n: bigint; e: number }): { n: bigint; e: number } {
  const e = Math.min(a.e, b.e);
  const d = (a.n << BigInt(a.e - e)) - (b.n << BigInt(b.e - e));
  return { n: d < 0n ? -d : d, e };
}

describe("double <-> 80-bit images", () => {
  it("converts exactly, denormal doubles becoming normal extended numbers", () => {
    expect(img(1)).toBe("3fff:8000000000000000");
    expect(img(-2)).toBe("c000:8000000000000000");
    expect(img(-0)).toBe("8000:0000000000000000");
    expect(img(Infinity)).toBe("7fff:8000000000000000");
    expect(img(5e-324)).toBe("3bcd:8000000000000000");
    expect(img(Number.MAX_VALUE)).toBe("43fe:fffffffffffff800");
    expect(img(0.1)).toBe("3ffb:ccccccccccccd000");
  });
  it("round-trips every kind of double", () => {
    let s = 12345;
    for (let i = 0; i < 5000; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const hi = s;
      s = (s * 1103515245 + 12345) >>> 0;
      dv.setUint32(0, i % 7 === 0 ? hi & 0x800fffff : hi); // some subnormals
      dv.setUint32(4, s);
      const v = dv.getFloat64(0);
      if (v !== v) continue;
      imgFromDouble(v, out, 0);
      expect(Object.is(doubleFromImg(out[0], out[1], out[2]), v)).toBe(true);
      expect(R.sgn).toBe(0);
    }
  });
  it("rounds 64-bit significands to nearest with the exact error sign, subnormals and overflow included", () => {
    let s = 777;
    for (let i = 0; i < 4000; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const mhi = s | 0x80000000 | 0;
      s = (s * 1103515245 + 12345) >>> 0;
      const mlo = i % 5 === 0 ? (s & 0xfffff800) | (1 << 10) : s; // some exact halves
      const exp = 16383 - 1100 + (s % 2200);
      const se = (i & 1 ? 0x8000 : 0) | exp;
      const d = doubleFromImg(se, mhi, mlo);
      const sgn = R.sgn;
      if (d - d !== 0) {
        expect(exp - 16383).toBeGreaterThanOrEqual(1023);
        continue;
      }
      const x = imgExact(se, mhi, mlo);
      expect(sgn).toBe(cmpExact(x, dblExact(d)));
      // Nearest: moving one unit towards the exact value overshoots it by at least as much.
      if (sgn !== 0) {
        const other = sgn > 0 ? nextUp(d) : nextDown(d);
        const e1 = absDiff(x, dblExact(d)),
          e2 = absDiff(x, dblExact(other));
        expect(cmpExact(e1, e2)).toBeLessThanOrEqual(0);
      }
    }
  });
  it("classifies images (SDM Vol. 1 §8.2.2)", () => {
    expect(classify(0x3fff, 0x80000000 | 0, 0)).toBe(CLS_NORMAL);
    expect(classify(0x3fff, 0x40000000, 0)).toBe(CLS_UNSUPPORTED); // unnormal
    expect(classify(0, 0, 0)).toBe(CLS_ZERO);
    expect(classify(0, 0, 1)).toBe(CLS_DENORMAL);
    expect(classify(0, 0x80000000 | 0, 0)).toBe(CLS_DENORMAL); // pseudo-denormal
    expect(classify(0x7fff, 0x80000000 | 0, 0)).toBe(CLS_INF);
    expect(classify(0x7fff, 0, 0)).toBe(CLS_UNSUPPORTED); // pseudo-infinity
    expect(classify(0x7fff, 0xc0000000 | 0, 0)).toBe(CLS_QNAN);
    expect(classify(0x7fff, 0x80000000 | 0, 1)).toBe(CLS_SNAN);
    expect(classify(0x7fff, 0x40000000, 1)).toBe(CLS_UNSUPPORTED); // pseudo-NaN
  });
  it("converts single and double bit patterns, NaN payloads kept", () => {
    imgFromF32Bits(0x00000001, out, 0);
    expect([out[0], out[1] >>> 0, out[2]]).toEqual([16383 - 149, 0x80000000, 0]);
    imgFromF32Bits(0xffc01234 | 0, out, 0);
    expect([out[0], out[1] >>> 0, out[2]]).toEqual([0xffff, 0xc0123400, 0]);
    expect(f32BitsOfNaN(out[0], out[1]) >>> 0).toBe(0xffc01234);
    imgFromF64Bits(0x00000123, 0x7ff00000, out, 0);
    expect(classify(out[0], out[1], out[2])).toBe(CLS_SNAN);
    const b = new Int32Array(2);
    f64BitsOfNaN(out[0], out[1], out[2], b);
    expect([b[0], b[1]]).toEqual([0x123, 0x7ff00000]);
  });
});

describe("integers and packed BCD", () => {
  it("shifts a 64-bit significand with the class of the bits shifted out", () => {
    shr(0, 0b1011, 2);
    expect([SHR.qhi, SHR.qlo, SHR.cls]).toEqual([0, 2, REM_HIGH]);
    shr(0, 0b1010, 2);
    expect(SHR.cls).toBe(REM_HALF);
    shr(0, 0b1001, 2);
    expect(SHR.cls).toBe(REM_LOW);
    shr(0, 0b1000, 2);
    expect(SHR.cls).toBe(REM_ZERO);
    shr(0x80000000 | 0, 0, 63);
    expect([SHR.qhi, SHR.qlo, SHR.cls]).toEqual([0, 1, REM_ZERO]);
    shr(0xc0000000 | 0, 1, 64);
    expect([SHR.qlo, SHR.cls]).toEqual([0, REM_HIGH]);
    shr(0x12345678, 0x9abcdef0 | 0, 36);
    expect([SHR.qhi, SHR.qlo]).toEqual([0, 0x1234567]);
  });
  it("builds images of 64-bit magnitudes", () => {
    imgFromU64(true, 0x80000000, 0, out, 0);
    expect([out[0] & 0xffff, out[1] >>> 0, out[2]]).toEqual([0xc03e, 0x80000000, 0]);
    imgFromU64(false, 0, 3, out, 0);
    expect([out[0], out[1] >>> 0, out[2]]).toEqual([0x4000, 0xc0000000, 0]);
  });
  it("converts packed BCD exactly both ways", () => {
    const b = new Uint8Array(10);
    let s = 99;
    for (let i = 0; i < 2000; i++) {
      let digits = "";
      for (let k = 0; k < 18; k++) {
        s = (s * 1103515245 + 12345) >>> 0;
        digits += String(s % 10);
      }
      const v = BigInt(digits);
      u64ToBcd(Number(v >> 32n), Number(v & 0xffffffffn), b);
      for (let k = 0; k < 9; k++) {
        expect(b[k]).toBe(Number(digits[17 - 2 * k]) | (Number(digits[16 - 2 * k]) << 4));
      }
      bcdToU64(b);
      expect((BigInt(SHR.qhi) << 32n) | BigInt(SHR.qlo)).toBe(v);
    }
  });
});
