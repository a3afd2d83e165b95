// The exact extended-precision core against rational arithmetic in BigInt (test-only): sums,
// products, quotients and square roots of random 80-bit operands rounded under every precision
// and rounding control, with the flags and C1; results near the ends of the exponent range
// (masked and unmasked overflow and underflow, denormals); and stores to single and double.
import { describe, expect, it } from "vitest";
import { Rig } from "./rig.ts";
import {
  FMT_DOUBLE,
  FMT_SINGLE,
  MEMBITS,
  X,
  addCore,
  divCore,
  mulCore,
  normalAddMul,
  passA,
  roundToMem,
  roundToReg,
  sqrtCore,
  unpack,
} from "./ext.ts";

const SW_OE = 0x08,
  SW_UE = 0x10,
  SW_PE = 0x20,
  SW_C1 = 0x200;
const CW_OM = 0x08,
  CW_UM = 0x10;

// ---- reference: exact values as n / d (n >= 0), rounding by definition

interface Rat {
  n: bigint;
  d: bigint;
}
const big = (x: number) => BigInt(x);

/** Exact value of an image (finite, nonzero) as a signed rational. */
function ratOf(se: number, hi: number, lo: number): { s: number; v: Rat } {
  const m = (big(hi >>> 0) << 32n) | big(lo >>> 0);
  const exp = se & 0x7fff;
  const e = (exp === 0 ? 1 : exp) - 16383 - 63;
  return { s: (se >> 15) & 1, v: e >= 0 ? { n: m << big(e), d: 1n } : { n: m, d: 1n << big(-e) } };
}

/** floor(v * 2^k) and whether it is exact. */
function floorScaled(v: Rat, k: number): [bigint, boolean] {
  const n = k >= 0 ? v.n << big(k) : v.n,
    d = k >= 0 ? v.d : v.d << big(-k);
  return [n / d, n % d === 0n];
}
/** E with 2^E <= v < 2^(E+1), v > 0. */
function ilog2(v: Rat): number {
  let e = v.n.toString(2).length - v.d.toString(2).length;
  const ge = (k: number) => (k >= 0 ? v.n >= v.d << big(k) : v.n << big(-k) >= v.d);
  while (!ge(e)) e--;
  while (ge(e + 1)) e++;
  return e;
}

/** Rounds q + (rest) by rc: half = rest compared with 1/2 (-1, 0, 1), exact = no rest. */
function roundUp(q: bigint, exact: boolean, half: number, neg: boolean, rc: number): boolean {
  if (exact) return false;
  switch (rc) {
    case 0:
      return half > 0 || (half === 0 && (q & 1n) === 1n);
    case 1:
      return neg;
    case 2:
      return !neg;
    default:
      return false;
  }
}
/** floor(v * 2^k) with the position of the remainder relative to one half. */
function scaledParts(v: Rat, k: number): { q: bigint; exact: boolean; half: number } {
  const [q, exact] = floorScaled(v, k);
  const [q2] = floorScaled(v, k + 1);
  const [, exact2] = floorScaled(v, k + 1);
  const bit = q2 & 1n;
  const half = bit === 0n ? -1 : exact2 ? 0 : 1;
  return { q, exact, half: exact ? -1 : half };
}

interface Want {
  img: string;
  flags: number;
  c1: boolean;
  stored: boolean;
}
const hex = (v: bigint, w: number) => v.toString(16).padStart(w, "0");
const imgStr = (se: number, m: bigint) => `${hex(big(se & 0xffff), 4)}:${hex(m, 16)}`;

/** The x87 register result of value (-1)^s * v under pc (bits) and rc, with cw's OM/UM. */
function refReg(s: number, v: Rat | null, p: number, rc: number, cw: number): Want {
  const sign = s ? 0x8000 : 0;
  if (v === null || v.n === 0n) return { img: imgStr(sign, 0n), flags: 0, c1: false, stored: true };
  const neg = s === 1;
  const E = ilog2(v);
  let { q, exact, half } = scaledParts(v, p - 1 - E);
  let e = E;
  const up = roundUp(q, exact, half, neg, rc);
  if (up) {
    q += 1n;
    if (q === 1n << big(p)) {
      q >>= 1n;
      e += 1;
    }
  }
  const field = q << big(64 - p);
  const pe = exact ? 0 : SW_PE;
  if (e > 16383) {
    if (!(cw & CW_OM))
      return { img: imgStr(sign | (e - 24576 + 16383), field), flags: SW_OE | pe, c1: up, stored: true };
    const toInf = rc === 0 || (rc === 2 && !neg) || (rc === 1 && neg);
    const max = ((1n << big(p)) - 1n) << big(64 - p);
    return {
      img: toInf ? imgStr(sign | 0x7fff, 1n << 63n) : imgStr(sign | 0x7ffe, max),
      flags: SW_OE | SW_PE,
      c1: toInf,
      stored: true,
    };
  }
  if (e < -16382) {
    if (!(cw & CW_UM))
      return { img: imgStr(sign | (e + 24576 + 16383), field), flags: SW_UE | pe, c1: up, stored: true };
    // Denormal: the field's bit (64 - p) has weight 2^(-16382 - 63 + 64 - p).
    const k = 16382 + 63 - (64 - p);
    const r = scaledParts(v, k);
    let dq = r.q;
    const dup = roundUp(dq, r.exact, r.half, neg, rc);
    if (dup) dq += 1n;
    const f = dq << big(64 - p);
    const biased = f >= 1n << 63n ? 1 : 0;
    return { img: imgStr(sign | biased, f), flags: r.exact ? 0 : SW_UE | SW_PE, c1: dup, stored: true };
  }
  return { img: imgStr(sign | (e + 16383), field), flags: pe, c1: up, stored: true };
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << big(Math.ceil(n.toString(2).length / 2)); // >= sqrt(n)
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
/** sqrt(v) to 200 bits with a sticky half unit: rounds like the exact root at any width used here. */
function sqrtRat(v: Rat): Rat {
  // v = n / d with d a power of two: scale to an integer with an even exponent.
  const dbits = v.d.toString(2).length - 1;
  const shift = 400 + (dbits % 2);
  const n = v.n << big(shift);
  const r = isqrt(n);
  const exact = r * r === n;
  // sqrt(v) = sqrt(n) / 2^((shift + dbits) / 2)
  const den = 1n << big((shift + dbits) / 2 + 1);
  return { n: r * 2n + (exact ? 0n : 1n), d: den };
}

// ---- operands

let seed = 12345;
function rnd(): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed >>> 8;
}
function rnd32(): number {
  return ((rnd() << 8) ^ rnd()) >>> 0;
}
function sig(): [number, number] {
  switch (rnd() % 8) {
    case 0:
      return [0x80000000, 0];
    case 1:
      return [0xffffffff, 0xffffffff];
    case 2:
      return [(0x80000000 | rnd32()) >>> 0, rnd32() & 0xfffff800];
    case 3:
      return [(0x80000000 | rnd32()) >>> 0, 0];
    case 4:
      return [0x80000000, 1 << (rnd() % 32)];
    case 5:
      return [(0x80000000 | rnd32()) >>> 0, (rnd32() | 0x3ff) >>> 0];
    default:
      return [(0x80000000 | rnd32()) >>> 0, rnd32()];
  }
}
/** A random normal or denormal image with exponent around `center` +- spread. */
function operand(center: number, spread: number): [number, number, number] {
  const [hi, lo] = sig();
  const s = rnd() & 1 ? 0x8000 : 0;
  let exp = center + (rnd() % (2 * spread + 1)) - spread;
  if (exp >= 0x7fff) exp = 0x7ffe;
  if (exp <= 0) {
    // a denormal: shift the significand down
    const sh = Math.min(63, 1 - exp);
    const m = ((big(hi) << 32n) | big(lo)) >> big(sh);
    if (m === 0n) return [s | 1, hi, lo];
    return [s, Number(m >> 32n) | 0, Number(m & 0xffffffffn) | 0];
  }
  return [s | exp, hi | 0, lo | 0];
}

const PCS: [number, number][] = [
  [0, 24],
  [2, 53],
  [3, 64],
];
const f = new Rig().f;

function got(): Want {
  const i = 0;
  const se = f.img[i] & 0xffff,
    m = (big(f.img[i + 1] >>> 0) << 32n) | big(f.img[i + 2] >>> 0);
  return { img: imgStr(se, m), flags: f.sw & (SW_PE | SW_UE | SW_OE), c1: (f.sw & SW_C1) !== 0, stored: true };
}

type Op = "add" | "sub" | "mul" | "div" | "sqrt";
function runOp(
  op: Op,
  a: [number, number, number],
  b: [number, number, number],
  pc: number,
  rc: number,
  cw: number,
): Want {
  f.cw = cw | (pc << 8) | (rc << 10);
  f.sw = 0;
  unpack(a[0], a[1], a[2], 0);
  unpack(b[0], b[1], b[2], 4);
  switch (op) {
    case "add":
      addCore(0, rc);
      break;
    case "sub":
      addCore(1, rc);
      break;
    case "mul":
      mulCore();
      break;
    case "div":
      divCore();
      break;
    case "sqrt":
      sqrtCore();
      break;
  }
  const normal = (se: number, hi: number) => (se & 0x7fff) !== 0 && hi < 0;
  if ((op === "add" || op === "sub" || op === "mul") && normal(a[0], a[1]) && normal(b[0], b[1])) {
    // The fused path for normal operands must leave exactly the same unrounded result.
    const viaCore = Array.from(X);
    normalAddMul(op === "mul", op === "sub" ? 1 : 0, Int32Array.from(a), 0, Int32Array.from(b), 0, rc);
    const fused = Array.from(X);
    // An exact zero is only its sign and w2 = 0.
    if (viaCore[2] === 0) expect([fused[0], fused[2]], `${op} fused zero`).toEqual([viaCore[0], 0]);
    else expect(fused, `${op} fused`).toEqual(viaCore);
  }
  roundToReg(f, 0, pc, rc);
  return got();
}

function reference(
  op: Op,
  a: [number, number, number],
  b: [number, number, number],
  p: number,
  rc: number,
  cw: number,
): Want {
  const A = ratOf(...a),
    B = ratOf(...b);
  let s: number, v: Rat;
  const sub = (x: Rat, y: Rat): [number, Rat] => {
    const n = x.n * y.d - y.n * x.d;
    return n >= 0n ? [0, { n, d: x.d * y.d }] : [1, { n: -n, d: x.d * y.d }];
  };
  switch (op) {
    case "add":
    case "sub": {
      const sb = op === "sub" ? B.s ^ 1 : B.s;
      if (A.s === sb) {
        s = A.s;
        v = { n: A.v.n * B.v.d + B.v.n * A.v.d, d: A.v.d * B.v.d };
      } else {
        const [neg, r] = sub(A.v, B.v);
        s = neg ? sb : A.s;
        v = r;
        if (v.n === 0n) s = rc === 1 ? 1 : 0;
      }
      break;
    }
    case "mul":
      s = A.s ^ B.s;
      v = { n: A.v.n * B.v.n, d: A.v.d * B.v.d };
      break;
    case "div":
      s = A.s ^ B.s;
      v = { n: A.v.n * B.v.d, d: A.v.d * B.v.n };
      break;
    default:
      s = 0;
      v = sqrtRat(A.v);
      break;
  }
  return refReg(s, v, p, rc, cw);
}

describe("exact core against BigInt", () => {
  const ranges: [string, number, number, number, number][] = [
    // name, centre A, spread A, centre B, spread B
    ["near 1", 16383, 4, 16383, 4],
    ["wide", 16383, 200, 16383, 70],
    ["aligned far apart", 16383, 2, 16383 - 80, 20],
    ["huge", 0x7ffe - 2, 3, 16383 + 5, 5],
    ["tiny", 60, 60, 16383 - 20, 20],
    ["denormal operands", 2, 5, 16383, 3],
  ];
  for (const op of ["add", "sub", "mul", "div", "sqrt"] as Op[]) {
    it(`${op} under every PC, RC and over/underflow mask`, () => {
      const bad: string[] = [];
      for (const [name, ca, sa, cb, sb] of ranges) {
        for (let k = 0; k < 160; k++) {
          let a = operand(ca, sa);
          let b = operand(cb, sb);
          if (op === "mul" && name === "tiny") b = operand(16383 - 16000, 10);
          if (op === "div" && name === "huge") b = operand(100, 50);
          if (op === "sqrt") a = [a[0] & 0x7fff, a[1], a[2]];
          if ((op === "add" || op === "sub") && k % 4 === 0) {
            b = [a[0], a[1], (a[2] ^ (1 << (rnd() % 12))) | 0];
          }
          for (const [pc, p] of PCS) {
            for (let rc = 0; rc < 4; rc++) {
              const cw = k % 3 === 0 ? 0x7f & ~(CW_OM | CW_UM) : 0x7f;
              const g = runOp(op, a, b, pc, rc, cw),
                w = reference(op, a, b, p, rc, cw);
              if (g.img !== w.img || g.flags !== w.flags || g.c1 !== w.c1) {
                bad.push(
                  `${op} ${name} pc=${p} rc=${rc} cw=${cw.toString(16)} a=${imgStr(a[0], (big(a[1] >>> 0) << 32n) | big(a[2] >>> 0))} b=${imgStr(b[0], (big(b[1] >>> 0) << 32n) | big(b[2] >>> 0))}: got ${JSON.stringify(g)} want ${JSON.stringify(w)}`,
                );
              }
            }
          }
        }
      }
      expect(bad.slice(0, 10)).toEqual([]);
    });
  }
});

describe("stores to single and double reals", () => {
  function refMem(
    s: number,
    v: Rat,
    p: number,
    emin: number,
    emax: number,
    rc: number,
    cw: number,
  ): { bits: bigint; flags: number; c1: boolean; stored: boolean } {
    const neg = s === 1,
      ebits = p === 24 ? 8 : 11,
      fbits = p - 1;
    const signBit = big(s) << big(ebits + fbits);
    const E = ilog2(v);
    let { q, exact, half } = scaledParts(v, p - 1 - E);
    let e = E;
    const up = roundUp(q, exact, half, neg, rc);
    if (up) {
      q += 1n;
      if (q === 1n << big(p)) {
        q >>= 1n;
        e += 1;
      }
    }
    if (e > emax) {
      if (!(cw & CW_OM)) return { bits: 0n, flags: SW_OE, c1: false, stored: false };
      const toInf = rc === 0 || (rc === 2 && !neg) || (rc === 1 && neg);
      const inf = ((1n << big(ebits)) - 1n) << big(fbits);
      return { bits: signBit | (toInf ? inf : inf - 1n), flags: SW_OE | SW_PE, c1: toInf, stored: true };
    }
    if (e < emin) {
      if (!(cw & CW_UM)) return { bits: 0n, flags: SW_UE, c1: false, stored: false };
      const r = scaledParts(v, -emin + fbits);
      const dup = roundUp(r.q, r.exact, r.half, neg, rc);
      return { bits: signBit | (r.q + (dup ? 1n : 0n)), flags: r.exact ? 0 : SW_UE | SW_PE, c1: dup, stored: true };
    }
    const bits = signBit | (big(e - emin + 1) << big(fbits)) | (q - (1n << big(fbits)));
    return { bits, flags: exact ? 0 : SW_PE, c1: up, stored: true };
  }

  for (const [fmt, p, emin, emax, name] of [
    [FMT_SINGLE, 24, -126, 127, "single"],
    [FMT_DOUBLE, 53, -1022, 1023, "double"],
  ] as const) {
    it(`rounds 80-bit values to ${name} with tininess after rounding`, () => {
      const bad: string[] = [];
      for (let k = 0; k < 3000; k++) {
        const centre = 16383 + (k % 3 === 0 ? emin : k % 3 === 1 ? emax : 0);
        const a = operand(centre, p === 24 ? 30 : 60);
        for (let rc = 0; rc < 4; rc++) {
          const cw = k % 5 === 0 ? 0x7f & ~(CW_OM | CW_UM) : 0x7f;
          f.cw = cw | (rc << 10);
          f.sw = 0;
          unpack(a[0], a[1], a[2], 0);
          passA();
          const stored = roundToMem(f, fmt, rc);
          const bits =
            fmt === FMT_SINGLE ? big(MEMBITS[0] >>> 0) : (big(MEMBITS[1] >>> 0) << 32n) | big(MEMBITS[0] >>> 0);
          const A = ratOf(...a);
          const w = refMem(A.s, A.v, p, emin, emax, rc, cw);
          const g = {
            bits: stored ? bits : 0n,
            flags: f.sw & (SW_PE | SW_UE | SW_OE),
            c1: stored ? (f.sw & SW_C1) !== 0 : false,
            stored,
          };
          if (g.bits !== w.bits || g.flags !== w.flags || g.c1 !== w.c1 || g.stored !== w.stored) {
            bad.push(
              `${name} rc=${rc} cw=${cw.toString(16)} ${imgStr(a[0], (big(a[1] >>> 0) << 32n) | big(a[2] >>> 0))}: got ${g.bits.toString(16)} ${g.flags} ${g.c1} want ${w.bits.toString(16)} ${w.flags} ${w.c1}`,
            );
          }
        }
      }
      expect(bad.slice(0, 10)).toEqual([]);
    });
  }
});
