// SSE/SSE2 floating point: the lane arithmetic of fp-round.ts (rounding modes, exception flags,
// FTZ, DAZ, NaN rules, conversions) and the instructions of sse-float.ts (operand forms, #XM or
// #UD for unmasked exceptions with the destination unchanged, alignment, COMIS* flags, the x87
// side of the MMX conversions). The difftests sse_arith and sse_convert compare all of it with
// the host CPU; these tests pin the rules down where they can fail alone.
import { describe, expect, it } from "vitest";
import { Rig } from "../fpu/rig.ts";
import { CF, CR0_EM, CR0_TS, CR4_OSFXSR, CR4_OSXMMEXCPT, PF, V_GP, V_NM, V_UD, ZF } from "../regs.ts";
import {
  arith,
  begin,
  compare,
  convertFloat,
  fl,
  fromInt32,
  MX_DE,
  MX_IE,
  MX_OE,
  MX_PE,
  MX_UE,
  MX_ZE,
  OP_ADD,
  OP_DIV,
  OP_MAX,
  OP_MIN,
  OP_MUL,
  OP_SQRT,
  OP_SUB,
  toInt32,
} from "./fp-round.ts";
import { V_XM } from "./sse-float.ts";

const f32 = new Float32Array(1),
  u32 = new Uint32Array(f32.buffer);
const bitsF = (x: number) => ((f32[0] = x), u32[0]);
const f64 = new Float64Array(1),
  i64 = new Int32Array(f64.buffer);
const bitsD = (x: number): [number, number] => ((f64[0] = x), [i64[0], i64[1]]);

const MASKED = 0x1f80;
const RN = 0,
  RD = 0x2000,
  RU = 0x4000,
  RZ = 0x6000,
  FTZ = 0x8000,
  DAZ = 0x40;

/** One single-precision lane: result bits and flags. */
function single(op: number, a: number, b: number, mx = MASKED): [number, number] {
  const A = new Int32Array([a]),
    B = new Int32Array([b]),
    O = new Int32Array(1);
  begin(mx);
  arith(op, false, A, 0, B, 0, O, 0);
  return [O[0] >>> 0, fl];
}
/** One double-precision lane: [lo, hi] of the result, and flags. */
function double(op: number, a: number, b: number, mx = MASKED): [number, number, number] {
  const A = new Int32Array(bitsD(a)),
    B = new Int32Array(bitsD(b)),
    O = new Int32Array(2);
  begin(mx);
  arith(op, true, A, 0, B, 0, O, 0);
  return [O[0] >>> 0, O[1] >>> 0, fl];
}

describe("rounding modes", () => {
  it("single: 1 + 2^-30 in each mode, and its negative", () => {
    const one = bitsF(1),
      tiny = bitsF(2 ** -30);
    expect(single(OP_ADD, one, tiny, MASKED | RN)).toEqual([0x3f800000, MX_PE]);
    expect(single(OP_ADD, one, tiny, MASKED | RU)).toEqual([0x3f800001, MX_PE]);
    expect(single(OP_ADD, one, tiny, MASKED | RD)).toEqual([0x3f800000, MX_PE]);
    expect(single(OP_SUB, one, tiny, MASKED | RD)).toEqual([0x3f7fffff, MX_PE]);
    expect(single(OP_SUB, one, tiny, MASKED | RZ)).toEqual([0x3f7fffff, MX_PE]);
    expect(single(OP_SUB, one, tiny, MASKED | RU)).toEqual([0x3f800000, MX_PE]);
    expect(single(OP_ADD, one, one, MASKED | RU)).toEqual([0x40000000, 0]);
  });

  it("double: directed rounding from the exact rest of a product, a quotient and a square root", () => {
    const third = double(OP_DIV, 1, 3, MASKED | RU);
    const thirdDown = double(OP_DIV, 1, 3, MASKED | RD);
    expect(third[0] - thirdDown[0]).toBe(1);
    expect(third[2]).toBe(MX_PE);
    const p = 1 + 2 ** -52;
    expect(double(OP_MUL, p, p, MASKED | RN).slice(0, 2)).toEqual(bitsD(1 + 2 ** -51).map((v) => v >>> 0));
    expect(double(OP_MUL, p, p, MASKED | RU).slice(0, 2)).toEqual(bitsD(1 + 3 * 2 ** -52).map((v) => v >>> 0));
    const [lo, hi] = bitsD(Math.SQRT2); // rounded up
    expect(double(OP_SQRT, 0, 2, MASKED | RZ)).toEqual([lo - 1, hi, MX_PE]);
    expect(double(OP_SQRT, 0, 4, MASKED | RU)).toEqual([0, 0x40000000, 0]);
  });

  it("an exact zero sum is -0 only in round down", () => {
    expect(single(OP_SUB, bitsF(1), bitsF(1), MASKED | RN)[0]).toBe(0);
    expect(single(OP_SUB, bitsF(1), bitsF(1), MASKED | RD)[0]).toBe(0x80000000);
    expect(single(OP_ADD, 0x80000000, 0x80000000, MASKED | RN)[0]).toBe(0x80000000);
  });
});

describe("exception flags", () => {
  it("overflow: infinity or the largest finite by mode, OE and PE", () => {
    const max = 0x7f7fffff;
    expect(single(OP_ADD, max, max, MASKED | RN)).toEqual([0x7f800000, MX_OE | MX_PE]);
    expect(single(OP_ADD, max, max, MASKED | RZ)).toEqual([max, MX_OE | MX_PE]);
    expect(single(OP_MUL, 0xff7fffff, max, MASKED | RU)).toEqual([0xff7fffff, MX_OE | MX_PE]);
    expect(double(OP_MUL, 1e300, 1e300, MASKED | RD)).toEqual([0xffffffff, 0x7fefffff, MX_OE | MX_PE]);
  });

  it("underflow: a tiny inexact result sets UE and PE, an exact denormal none, FTZ flushes any tiny result", () => {
    const mn = 0x00800000; // the smallest normal
    expect(single(OP_MUL, mn, bitsF(0.5))).toEqual([0x00400000, 0]);
    expect(single(OP_MUL, mn, bitsF(0.5), MASKED | FTZ)).toEqual([0, MX_UE | MX_PE]);
    expect(single(OP_MUL, mn, bitsF(1 - 2 ** -24))).toEqual([mn, MX_UE | MX_PE]);
    expect(double(OP_MUL, 2 ** -1022, 1 - 2 ** -53)).toEqual([0, 0x00100000, MX_UE | MX_PE]);
    expect(double(OP_DIV, 2 ** -1000, 2 ** 60)).toEqual([0x4000, 0, 0]); // 2^-1060, exact
  });

  it("denormal operands: DE, or zero under DAZ", () => {
    expect(single(OP_ADD, 1, bitsF(1))).toEqual([bitsF(1), MX_DE | MX_PE]);
    expect(single(OP_ADD, 1, bitsF(1), MASKED | DAZ)).toEqual([bitsF(1), 0]);
    expect(single(OP_MUL, 1, bitsF(2), MASKED | DAZ)).toEqual([0, 0]);
    expect(single(OP_DIV, 1, 0)).toEqual([0x7f800000, MX_ZE]); // no DE with divide by zero
  });

  it("invalid operations give the default QNaN with IE", () => {
    expect(single(OP_SUB, 0x7f800000, 0x7f800000)).toEqual([0xffc00000, MX_IE]);
    expect(single(OP_MUL, 0, 0xff800000)).toEqual([0xffc00000, MX_IE]);
    expect(single(OP_DIV, 0, 0x80000000)).toEqual([0xffc00000, MX_IE]);
    expect(double(OP_SQRT, 0, -1)).toEqual([0, 0xfff80000, MX_IE]);
    expect(single(OP_SQRT, 0, 0x80000000)).toEqual([0x80000000, 0]);
  });
});

describe("NaN rules", () => {
  it("the first source's NaN wins; an SNaN is quieted with IE", () => {
    expect(single(OP_ADD, 0x7fc00001, 0x7fc00002)).toEqual([0x7fc00001, 0]);
    expect(single(OP_ADD, 0x7f800001, 0x7fc00002)).toEqual([0x7fc00001, MX_IE]);
    expect(single(OP_ADD, bitsF(1), 0xff800005)).toEqual([0xffc00005, MX_IE]);
    expect(double(OP_MUL, 2, NaN)[2]).toBe(0);
  });

  it("MIN/MAX return the second operand for a NaN (IE even for a QNaN) and for two zeros", () => {
    expect(single(OP_MIN, 0x7fc00000, bitsF(3))).toEqual([bitsF(3), MX_IE]);
    expect(single(OP_MAX, bitsF(3), 0x7fc00000)).toEqual([0x7fc00000, MX_IE]);
    expect(single(OP_MIN, 0, 0x80000000)).toEqual([0x80000000, 0]);
    expect(single(OP_MAX, 0x80000000, 0)).toEqual([0, 0]);
  });
});

describe("comparisons and conversions", () => {
  it("CMP predicates, IE for a QNaN only with the ordered-signalling ones", () => {
    const run = (pred: number, a: number, b: number) => {
      const O = new Int32Array(1);
      begin(MASKED);
      compare(pred, false, new Int32Array([a]), 0, new Int32Array([b]), 0, O, 0);
      return [O[0], fl];
    };
    const one = bitsF(1),
      two = bitsF(2),
      q = 0x7fc00000;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((p) => run(p, one, two)[0])).toEqual([0, -1, -1, 0, -1, 0, 0, -1]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((p) => run(p, q, two))).toEqual([
      [0, 0],
      [0, MX_IE],
      [0, MX_IE],
      [-1, 0],
      [-1, 0],
      [-1, MX_IE],
      [-1, MX_IE],
      [0, 0],
    ]);
  });

  it("to int32: rounding by mode or truncation; the indefinite with IE out of range", () => {
    const conv = (x: number, mx: number, t = false) => {
      begin(mx);
      const v = toInt32(true, new Int32Array(bitsD(x)), 0, t);
      return [v, fl];
    };
    expect(conv(2.5, MASKED)).toEqual([2, MX_PE]);
    expect(conv(3.5, MASKED)).toEqual([4, MX_PE]);
    expect(conv(-2.5, MASKED | RD)).toEqual([-3, MX_PE]);
    expect(conv(-2.5, MASKED, true)).toEqual([-2, MX_PE]);
    expect(conv(2147483647.4, MASKED)).toEqual([2147483647, MX_PE]);
    expect(conv(2147483647.5, MASKED)).toEqual([-2147483648, MX_IE]);
    expect(conv(-2147483648.9, MASKED, true)).toEqual([-2147483648, MX_PE]);
    expect(conv(NaN, MASKED)).toEqual([-2147483648, MX_IE]);
  });

  it("int32 to single rounds by mode; double <-> single keeps NaN payloads", () => {
    const O = new Int32Array(2);
    begin(MASKED | RZ);
    fromInt32(false, 0x7fffffff, O, 0);
    expect([O[0], fl]).toEqual([0x4effffff, MX_PE]);
    begin(MASKED);
    convertFloat(true, new Int32Array([0xff812345 | 0]), 0, O, 0);
    expect([O[0] >>> 0, O[1] >>> 0, fl]).toEqual([0xa0000000, 0xfff82468, MX_IE]);
    begin(MASKED);
    convertFloat(false, new Int32Array([0xa0000000 | 0, 0xfff82468 | 0]), 0, O, 0);
    expect([O[0] >>> 0, fl]).toEqual([0xffc12345, 0]);
    begin(MASKED);
    convertFloat(false, new Int32Array(bitsD(1e-50)), 0, O, 0);
    expect([O[0], fl]).toEqual([0, MX_UE | MX_PE]);
  });
});

// ---- instructions

const MEM = 0x4000;
function rig(): Rig {
  const r = new Rig();
  r.cpu.cr[4] |= CR4_OSFXSR;
  return r;
}
describe("instructions", () => {
  it("ADDPS and ADDSS, ADDPD and ADDSD on registers and memory", () => {
    const r = rig();
    r.cpu.xmm.set([bitsF(1), bitsF(2), bitsF(3), bitsF(4)], 4);
    r.cpu.xmm.set([bitsF(10), bitsF(20), bitsF(30), bitsF(40)], 8);
    r.exec("0f58ca"); // addps xmm1,xmm2
    expect(r.xmm(1)).toEqual([11, 22, 33, 44].map(bitsF));
    r.exec("f30f58ca"); // addss xmm1,xmm2
    expect(r.xmm(1)).toEqual([21, 22, 33, 44].map(bitsF));
    r.cpu.xmm.set([...bitsD(1.5), ...bitsD(-2)], 12);
    r.setU32(MEM, bitsD(0.25)[0]);
    r.setU32(MEM + 4, bitsD(0.25)[1]);
    r.setU32(MEM + 8, bitsD(4)[0]);
    r.setU32(MEM + 12, bitsD(4)[1]);
    r.exec("660f591e0040"); // mulpd xmm3,[0x4000]
    expect(r.xmm(3)).toEqual([...bitsD(0.375), ...bitsD(-8)].map((v) => v >>> 0));
    r.exec("f20f5c1e0840"); // subsd xmm3,[0x4008]
    expect(r.xmm(3)).toEqual([...bitsD(-3.625), ...bitsD(-8)].map((v) => v >>> 0));
  });

  it("an unmasked exception: #XM with CR4.OSXMMEXCPT, else #UD; flags set, destination unchanged", () => {
    for (const osxmm of [true, false]) {
      const r = rig();
      if (osxmm) r.cpu.cr[4] |= CR4_OSXMMEXCPT;
      r.cpu.mxcsr = 0x1f80 & ~(MX_ZE << 7);
      r.cpu.xmm.set([bitsF(1), bitsF(1), bitsF(1), bitsF(1)], 4);
      r.cpu.xmm.set([bitsF(2), 0, bitsF(4), bitsF(1)], 8);
      expect(r.faultOf("0f5eca")).toBe(osxmm ? V_XM : V_UD); // divps xmm1,xmm2
      expect(r.xmm(1)).toEqual([1, 1, 1, 1].map(bitsF));
      expect(r.cpu.mxcsr & 0x3f).toBe(MX_ZE);
    }
    // a post-computation exception (PE unmasked) sets the pre-computation flags too
    const r = rig();
    r.cpu.cr[4] |= CR4_OSXMMEXCPT;
    r.cpu.mxcsr = 0x1f80 & ~(MX_PE << 7);
    r.cpu.xmm.set([bitsF(1), 1, 0, 0], 4); // 1/3 inexact, denormal/1 (DE), 0/1
    r.cpu.xmm.set([bitsF(3), bitsF(1), bitsF(1), bitsF(1)], 8);
    expect(r.faultOf("0f5eca")).toBe(V_XM);
    expect(r.cpu.mxcsr & 0x3f).toBe(MX_PE | MX_DE);
    expect(r.xmm(1)[0]).toBe(bitsF(1));
  });

  it("unmasked flags as the host reports them: OE without PE for an exact significand, UE for an exact tiny result", () => {
    const run = (mask: number, a: number, b: number) => {
      const r = rig();
      r.cpu.cr[4] |= CR4_OSXMMEXCPT;
      r.cpu.mxcsr = 0x1f80 & ~(mask << 7);
      r.cpu.xmm[4] = a;
      r.cpu.xmm[8] = b;
      expect(r.faultOf("f30f5eca")).toBe(V_XM); // divss xmm1,xmm2
      expect(r.cpu.xmm[4]).toBe(a);
      return r.cpu.mxcsr & 0x3f;
    };
    expect(run(MX_OE, 0x7f7fffff, bitsF(0.25))).toBe(MX_OE);
    expect(run(MX_OE, 0x7f7fffff, bitsF(0.3))).toBe(MX_OE | MX_PE);
    expect(run(MX_UE, 0x00c00000, bitsF(2))).toBe(MX_UE);
    expect(run(MX_UE, 0x00800000, bitsF(3))).toBe(MX_UE | MX_PE);
  });

  it("#UD without CR4.OSFXSR or with CR0.EM, #NM with CR0.TS, #GP(0) for a misaligned packed operand only", () => {
    const r = rig();
    r.cpu.cr[4] &= ~CR4_OSFXSR;
    expect(r.faultOf("0f58ca")).toBe(V_UD);
    const e = rig();
    e.cpu.cr[0] |= CR0_EM;
    expect(e.faultOf("660f51ca")).toBe(V_UD);
    const t = rig();
    t.cpu.cr[0] |= CR0_TS;
    expect(t.faultOf("f20f2cc1")).toBe(V_NM);
    expect(rig().faultOf("0f580e0440")).toBe(V_GP); // addps xmm1,[0x4004]
    expect(rig().faultOf("f30f580e0440")).toBe(-1); // addss xmm1,[0x4004]
    expect(rig().faultOf("0f5a0e0440")).toBe(-1); // cvtps2pd xmm1,[0x4004]: 8 bytes
    expect(rig().faultOf("0f2b0e0840")).toBe(V_GP); // movntps [0x4008],xmm1
    expect(rig().faultOf("0f500e0040")).toBe(V_UD); // movmskps: register only
  });

  it("COMISS/UCOMISS set ZF PF CF and clear OF SF AF; UCOMISS raises IE for an SNaN only", () => {
    const r = rig();
    const flags = (a: number, b: number, code: string) => {
      r.cpu.xmm[4] = a;
      r.cpu.xmm[8] = b;
      r.cpu.mxcsr = 0x1f80;
      r.exec(code);
      return [r.cpu.getFlags() & (ZF | PF | CF | 0x890), r.cpu.mxcsr & 0x3f];
    };
    expect(flags(bitsF(1), bitsF(2), "0f2fca")).toEqual([CF, 0]);
    expect(flags(bitsF(2), bitsF(1), "0f2fca")).toEqual([0, 0]);
    expect(flags(bitsF(2), bitsF(2), "0f2eca")).toEqual([ZF, 0]);
    expect(flags(0x7fc00000, bitsF(2), "0f2eca")).toEqual([ZF | PF | CF, 0]);
    expect(flags(0x7fc00000, bitsF(2), "0f2fca")).toEqual([ZF | PF | CF, MX_IE]);
    expect(flags(0x7f800001, bitsF(2), "0f2eca")).toEqual([ZF | PF | CF, MX_IE]);
  });

  it("CVTPS2PI writes an MMX register: TOP 0, the register's tag valid", () => {
    const r = rig();
    r.cpu.xmm.set([bitsF(1.5), bitsF(-7.25), 0, 0], 4);
    r.cpu.fpu.top = 3;
    r.exec("0f2dd1"); // cvtps2pi mm2,xmm1
    expect(r.cpu.fpu.top).toBe(0);
    expect(r.cpu.fpu.img[6]).toBe(0xffff); // sign and exponent all ones
    expect(r.cpu.fpu.img[8]).toBe(2);
    expect(r.cpu.fpu.img[7] | 0).toBe(-7);
    // an unmasked IE (a NaN): #XM, the MMX register kept, but the x87 transition made
    const u = rig();
    u.cpu.cr[4] |= CR4_OSXMMEXCPT;
    u.cpu.mxcsr = 0x1f80 & ~(MX_IE << 7);
    u.cpu.xmm.set([0x7fc00000, 0, 0, 0], 4);
    u.cpu.fpu.top = 5;
    expect(u.faultOf("0f2dd1")).toBe(V_XM);
    expect(u.cpu.fpu.top).toBe(0);
    expect(u.cpu.fpu.img[8]).toBe(0);
    expect(u.cpu.mxcsr & 0x3f).toBe(MX_IE);
  });

  it("SHUFPS, UNPCKLPD, MOVMSKPD, MOVSD", () => {
    const r = rig();
    r.cpu.xmm.set([10, 11, 12, 13], 4);
    r.cpu.xmm.set([20, 21, 22, 23], 8);
    r.exec("0fc6ca1b"); // shufps xmm1,xmm2,0x1b
    expect(r.xmm(1)).toEqual([13, 12, 21, 20]);
    r.exec("660f14ca"); // unpcklpd xmm1,xmm2
    expect(r.xmm(1)).toEqual([13, 12, 20, 21]);
    r.cpu.xmm.set([0, -1, 0, 5], 12);
    r.exec("660f50c3"); // movmskpd eax,xmm3
    expect(r.cpu.r32[0] & 3).toBe(1);
    r.exec("f20f10d1"); // movsd xmm2,xmm1
    expect(r.xmm(2)).toEqual([13, 12, 22, 23]);
  });
});
