// The transcendental instructions against a BigInt fixed-point reference (320 fractional bits,
// test-only): their double-double constants, and results that are the correctly rounded 64-bit
// values (RC = nearest) of sin, cos and tan of x * pi / p (p: the x87's 66-bit pi), atan2,
// 2^x - 1, y log2(x) and y log2(1 + x), with PE and with C1 = rounded up; plus the chip's
// measured quirks. Agreement with the chip itself is the difftest's (x87_transcendental).
import { describe, expect, it } from "vitest";
import { DATA, Rig } from "./rig.ts";

// ---- fixed-point reference: a value is v / 2^FB

const FB = 320n,
  ONE = 1n << FB;
const fmul = (a: bigint, b: bigint) => (a * b) >> FB;
const fdiv = (a: bigint, b: bigint) => (a << FB) / b;
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
const fsqrt = (a: bigint) => isqrt(a << FB);
/** atan(1/n) and atanh(1/n) by their series. */
function atanInv(n: bigint, hyperbolic: boolean): bigint {
  let sum = 0n,
    term = ONE / n,
    k = 0n;
  while (term !== 0n) {
    sum += (hyperbolic || k % 2n === 0n ? term : -term) / (2n * k + 1n);
    term /= n * n;
    k++;
  }
  return sum;
}
const PI = 16n * atanInv(5n, false) - 4n * atanInv(239n, false);
const LN2 = 2n * atanInv(3n, true);
/** The chip's pi: 0.C90FDAA22168C234C (hex) * 4. */
const P_CHIP = (0xc90fdaa22168c234cn << (FB - 68n)) * 4n;

/** sin, cos and e^x - 1 by their Taylor series (|x| <= 1 here). */
function fsin(x: bigint): bigint {
  const x2 = fmul(x, x);
  let sum = 0n,
    term = x;
  for (let k = 0n; term !== 0n; k++) {
    sum += term;
    term = -fmul(term, x2) / ((2n * k + 2n) * (2n * k + 3n));
  }
  return sum;
}
function fcos(x: bigint): bigint {
  const x2 = fmul(x, x);
  let sum = 0n,
    term = ONE;
  for (let k = 0n; term !== 0n; k++) {
    sum += term;
    term = -fmul(term, x2) / ((2n * k + 1n) * (2n * k + 2n));
  }
  return sum;
}
function fexpm1(x: bigint): bigint {
  let sum = 0n,
    term = x;
  for (let k = 1n; term !== 0n; k++) {
    sum += term;
    term = fmul(term, x) / (k + 1n);
  }
  return sum;
}
/** atan(u) for |u| <= 1: two halvings, then the series. */
function fatan(u: bigint): bigint {
  for (let i = 0; i < 2; i++) u = fdiv(u, ONE + fsqrt(ONE + fmul(u, u)));
  let sum = 0n,
    term = u,
    k = 0n;
  const u2 = fmul(u, u);
  while (term !== 0n) {
    sum += (k % 2n === 0n ? term : -term) / (2n * k + 1n);
    term = fmul(term, u2);
    k++;
  }
  return sum * 4n;
}
/** ln(x) for x > 0: x = m 2^k with m in [1, 2), ln m = 2 atanh((m - 1) / (m + 1)). */
function fln(x: bigint): bigint {
  let k = 0n;
  while (x >= 2n * ONE) {
    x >>= 1n;
    k++;
  }
  while (x < ONE) {
    x <<= 1n;
    k--;
  }
  const s = fdiv(x - ONE, x + ONE),
    s2 = fmul(s, s);
  let sum = 0n,
    term = s,
    j = 0n;
  while (term !== 0n) {
    sum += term / (2n * j + 1n);
    term = fmul(term, s2);
    j++;
  }
  return k * LN2 + 2n * sum;
}

/** An 80-bit image "se:mmmmmmmmmmmmmmmm" as a signed fixed-point value (exact when it fits). */
function fixedOf(img: string): bigint {
  const [se, m] = img.split(":");
  const s = parseInt(se, 16),
    e = s & 0x7fff || 1,
    mant = BigInt("0x" + m);
  const sh = BigInt(e - 16383 - 63) + FB;
  const v = sh >= 0n ? mant << sh : mant >> -sh;
  return s & 0x8000 ? -v : v;
}
/** The fixed-point value rounded to nearest into an 80-bit image (normal results). */
function imgOf(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  if (a === 0n) return neg ? "8000:0000000000000000" : "0000:0000000000000000";
  const bits = BigInt(a.toString(2).length);
  let e = Number(bits - 1n - FB);
  let m = a >> (bits - 64n);
  const rest = a & ((1n << (bits - 64n)) - 1n),
    half = 1n << (bits - 65n);
  if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
  if (m >> 64n) {
    m >>= 1n;
    e += 1;
  }
  return `${((neg ? 0x8000 : 0) | (e + 16383)).toString(16).padStart(4, "0")}:${m.toString(16).padStart(16, "0")}`;
}
const mag = (img: string) => {
  const v = fixedOf(img);
  return v < 0n ? -v : v;
};

// ---- running the instructions

const r = new Rig();
/** Runs "fld tword [y]; fld tword [x]; op; fnstsw [0x3030]; fstp tword [0x3020]" (y omitted for one operand). */
function run(op: string, x: string, y?: string): { img: string; sw: number } {
  r.f.init();
  r.setF80(DATA, x);
  if (y) r.setF80(DATA + 0x10, y);
  r.exec((y ? "db2e1030" : "") + "db2e0030" + op + "dd3e3030db3e2030");
  return { img: r.getF80(DATA + 0x20), sw: r.getU16(DATA + 0x30) & SW_DEFINED };
}
const PE = 0x20,
  C1 = 0x200;
/** Status bits these instructions define: the exception flags, SF, C1 and C2. */
const SW_DEFINED = 0x067f;

let seed = 4242;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed >>> 8;
};
function rndImg(expLo: number, expHi: number, neg = rnd() & 1): string {
  const e = expLo + (rnd() % (expHi - expLo + 1));
  const hi = (0x80000000 | (rnd() << 8) | rnd()) >>> 0,
    lo = ((rnd() << 8) ^ rnd()) >>> 0;
  return `${((neg ? 0x8000 : 0) | (e + 16383)).toString(16)}:${hi.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`;
}

/** Checks a result against the exact value: correctly rounded, PE set, C1 = rounded up. */
function expectRounded(what: string, got: { img: string; sw: number }, exact: bigint, checkC1 = true): void {
  expect(got.img, what).toBe(imgOf(exact));
  expect(got.sw & PE, `${what} PE`).toBe(PE);
  const absExact = exact < 0n ? -exact : exact;
  if (checkC1) expect((got.sw & C1) !== 0, `${what} C1`).toBe(mag(got.img) > absExact);
}

describe("constants", () => {
  it("the reference agrees with known digits", () => {
    expect((PI * 10n ** 30n) >> FB).toBe(3141592653589793238462643383279n);
    expect((LN2 * 10n ** 30n) >> FB).toBe(693147180559945309417232121458n);
  });
  it("FLDPI, FLDLN2 and FLDL2E hold the constants the functions use, rounded", () => {
    // The functions' double-double constants round to the same 64-bit values the chip loads.
    expect(run("d9eb", "0000:0000000000000000").img).toBe(imgOf(PI)); // fldpi (pushes over x)
    expect(run("d9ed", "0000:0000000000000000").img).toBe(imgOf(LN2));
    expect(run("d9ea", "0000:0000000000000000").img).toBe(imgOf(fdiv(ONE, LN2)));
  });
});

describe("trigonometric functions: correctly rounded f(x * pi / p)", () => {
  /** sin and cos of x * pi / p, from x reduced exactly by multiples of p / 2. */
  function chipTrig(x: bigint): { s: bigint; c: bigint } {
    const half = P_CHIP / 2n;
    const kk = x >= 0n ? (x + half / 2n) / half : -((-x + half / 2n) / half); // nearest multiple
    const rr = x - kk * half;
    const t = fdiv(fmul(rr, PI), P_CHIP);
    const s = fsin(t),
      c = fcos(t);
    switch (((kk % 4n) + 4n) % 4n) {
      case 0n:
        return { s, c };
      case 1n:
        return { s: c, c: -s };
      case 2n:
        return { s: -s, c: -c };
      default:
        return { s: -c, c: s };
    }
  }
  it("FSIN, FCOS, FPTAN and FSINCOS over small, medium and large arguments", () => {
    for (let i = 0; i < 120; i++) {
      const x = i < 40 ? rndImg(-30, 1) : i < 90 ? rndImg(0, 20) : rndImg(20, 62);
      const { s, c } = chipTrig(fixedOf(x));
      expectRounded(`fsin ${x}`, run("d9fe", x), s);
      expectRounded(`fcos ${x}`, run("d9ff", x), c);
      const tan = run("d9f2", x); // ST(0) = 1.0 (stored), ST(1) = tan
      r.exec("db3e4030");
      expectRounded(`fptan ${x}`, { img: r.getF80(DATA + 0x40), sw: tan.sw }, fdiv(s, c));
      expect(tan.img).toBe("3fff:8000000000000000");
      const sc = run("d9fb", x); // fsincos: cos on top
      expectRounded(`fsincos cos ${x}`, sc, c);
      r.exec("db3e4030");
      expect(r.getF80(DATA + 0x40), `fsincos sin ${x}`).toBe(imgOf(s));
    }
  });
  it("tiny arguments: sin x = x, cos x = 1, with the chip's C1 for FSIN and FPTAN", () => {
    for (const x of ["3fb0:c90fdaa22168c234", "bf80:8000000000000001", "3fdb:ffffffffffffffff"]) {
      const s = run("d9fe", x),
        t = run("d9f2", x);
      r.exec("db3e4030"); // FPTAN's tan, under the 1.0
      const tan = r.getF80(DATA + 0x40);
      const c = run("d9ff", x);
      expect(s.img).toBe(x);
      expect(tan).toBe(x);
      expect(c.img).toBe("3fff:8000000000000000");
      expect(s.sw & (PE | C1)).toBe(PE | C1);
      expect(t.sw & (PE | C1)).toBe(PE | C1);
      expect(c.sw & (PE | C1)).toBe(PE | C1); // cos rounds up to 1
    }
  });
  it("arguments of 2^63 and beyond set C2 and leave ST(0)", () => {
    const x = "403e:8000000000000000";
    const s = run("d9fe", x);
    expect(s.img).toBe(x);
    expect(s.sw & 0x400).toBe(0x400);
  });
});

describe("FPATAN, F2XM1, FYL2X, FYL2XP1: correctly rounded", () => {
  it("FPATAN in all four quadrants and at very different magnitudes", () => {
    for (let i = 0; i < 120; i++) {
      const y = rndImg(-20, 20),
        x = i % 4 === 0 ? rndImg(-90, -70) : rndImg(-20, 20);
      const fy = fixedOf(y),
        fx = fixedOf(x);
      const ay = fy < 0n ? -fy : fy,
        ax = fx < 0n ? -fx : fx;
      let t = ay <= ax ? fatan(fdiv(ay, ax)) : PI / 2n - fatan(fdiv(ax, ay));
      if (fx < 0n) t = PI - t;
      expectRounded(`fpatan ${y} ${x}`, run("d9f3", x, y), fy < 0n ? -t : t);
    }
  });
  it("F2XM1 over [-1, 1]; +-1 give 1 and -0.5 and are flagged inexact (measured)", () => {
    for (let i = 0; i < 200; i++) {
      const x = i < 50 ? rndImg(-130, -60) : rndImg(-70, -1);
      expectRounded(`f2xm1 ${x}`, run("d9f0", x), fexpm1(fmul(fixedOf(x), LN2)));
    }
    expect(run("d9f0", "3fff:8000000000000000")).toEqual({ img: "3fff:8000000000000000", sw: PE });
    expect(run("d9f0", "bfff:8000000000000000")).toEqual({ img: "bffe:8000000000000000", sw: PE });
  });
  it("FYL2X over wide ranges of x; exact at powers of two", () => {
    for (let i = 0; i < 150; i++) {
      const x = rndImg(-100, 100, 0),
        y = rndImg(-10, 10);
      expectRounded(`fyl2x ${x} ${y}`, run("d9f1", x, y), fmul(fixedOf(y), fdiv(fln(fixedOf(x)), LN2)));
    }
    // log2(2^-3) * 1.5 = -4.5 exactly: no PE.
    expect(run("d9f1", "3ffc:8000000000000000", "3fff:c000000000000000")).toEqual({
      img: "c001:9000000000000000",
      sw: 0,
    });
    // log2(1) = +0: y * +0.
    expect(run("d9f1", "3fff:8000000000000000", "c000:8000000000000000")).toEqual({
      img: "8000:0000000000000000",
      sw: 0,
    });
  });
  it("FYL2XP1 near zero, down to tiny x", () => {
    for (let i = 0; i < 150; i++) {
      const x = rndImg(i % 5 === 0 ? -130 : -40, -3),
        y = rndImg(-10, 10);
      const fx = fixedOf(x);
      expectRounded(`fyl2xp1 ${x} ${y}`, run("d9f9", x, y), fmul(fixedOf(y), fdiv(fln(ONE + fx), LN2)));
    }
  });
  it("special operands keep the SDM's results and exceptions", () => {
    // FYL2X: log2(0) with finite y is a division by zero; log2 of a negative number is invalid.
    expect(run("d9f1", "0000:0000000000000000", "c000:8000000000000000")).toEqual({
      img: "7fff:8000000000000000",
      sw: 0x04,
    });
    expect(run("d9f1", "bfff:8000000000000000", "3fff:8000000000000000")).toEqual({
      img: "ffff:c000000000000000",
      sw: 0x01,
    });
    // FPATAN(+-0 / -x) = +-pi, rounded up with C1.
    expect(run("d9f3", "bfff:8000000000000000", "8000:0000000000000000")).toEqual({
      img: "c000:c90fdaa22168c235",
      sw: PE | C1,
    });
    // FSIN of infinity is invalid; the result is the indefinite.
    expect(run("d9fe", "7fff:8000000000000000")).toEqual({ img: "ffff:c000000000000000", sw: 0x01 });
  });
});
