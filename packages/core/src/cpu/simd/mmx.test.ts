// MMX: the registers as the x87 registers' significands (TOP, tags, exponent all ones), EMMS,
// a few results at their edges (the difftest program mmx.c compares every instruction with the
// host CPU), and the exceptions: #UD with CR0.EM, a 66/F2/F3 prefix or a memory form of an
// MM-only operand, #NM with CR0.TS, #MF for a pending x87 exception, memory faults that leave
// the x87 state alone.
import { describe, expect, it } from "vitest";
import { DATA, Rig } from "../fpu/rig.ts";
import { CR0_EM, CR0_NE, CR0_TS, V_GP, V_MF, V_NM, V_UD } from "../regs.ts";
import { TAG_EMPTY, TAG_SPECIAL, TAG_VALID } from "../fpu/fpu.ts";

const MOVQ_MM0_LOAD = "0f6f060030"; // movq mm0,[0x3000]
const MOVQ_STORE_MM0 = "0f7f060830"; // movq [0x3008],mm0
const EMMS = "0f77";

/** mm0 = q0, mm1 = q1 (hex), op mm0,mm1, result of mm0 as hex. */
function op2(code: string, q0: string, q1: string): string {
  const r = new Rig();
  r.setQ(DATA, q0);
  r.setQ(DATA + 16, q1);
  r.exec(`${MOVQ_MM0_LOAD} 0f6f0e1030 ${code} ${MOVQ_STORE_MM0}`); // movq mm1,[0x3010]
  return r.getQ(DATA + 8);
}

describe("MMX registers and the x87 state", () => {
  it("an MMX write puts the value in R(i)'s significand with sign and exponent all ones; TOP = 0", () => {
    const r = new Rig();
    r.setQ(DATA, "0123456789abcdef");
    r.exec(`d9e8 d9e8 ${MOVQ_MM0_LOAD} 0f6f3e0030`); // fld1; fld1 (TOP = 6); movq mm0,[m]; movq mm7,[m]
    expect(r.f.top).toBe(0);
    expect(r.f.getSw() & 0x3800).toBe(0);
    expect([r.f.img[0], r.f.img[1] >>> 0, r.f.img[2] >>> 0]).toEqual([0xffff, 0x01234567, 0x89abcdef]);
    // R0 and R7 hold MMX data (special), R6 still 1.0 (valid), R1-R5 +0 (zero): none empty.
    expect(Array.from(r.f.tag)).toEqual([TAG_SPECIAL, 1, 1, 1, 1, 1, TAG_VALID, TAG_SPECIAL]);
    r.exec(`${EMMS}`);
    expect(Array.from(r.f.tag)).toEqual(new Array(8).fill(TAG_EMPTY));
    expect(r.f.top).toBe(0);
  });

  it("reads an x87 register's significand as MMi, and MOVD zero-extends and stores the low dword", () => {
    const r = new Rig();
    r.setU32(DATA, 0x89abcdef);
    // fld1 (R7 = 1.0: significand 8000000000000000); movq [0x3008],mm7; movd mm2,[0x3000]; movd eax,mm2 (no 66: always 32 bits); mov [0x3010],eax
    r.exec("d9e8 0f7f3e0830 0f6e160030 0f7ed0 66a31030");
    expect(r.getQ(DATA + 8)).toBe("8000000000000000");
    expect(r.getU32(DATA + 0x10)).toBe(0x89abcdef);
    expect(r.f.img[2 * 3 + 1]).toBe(0); // the high dword of mm2
  });
});

describe("MMX results at their edges", () => {
  it("saturates, wraps, compares, packs and unpacks per lane", () => {
    expect(op2("0fecc1", "7f80017f80ff0000", "01ff7f7f80010000")).toBe("7f807f7f80000000"); // paddsb
    expect(op2("0fdcc1", "ff00fe0180000000", "0100010180000000")).toBe("ff00ff02ff000000"); // paddusb
    expect(op2("0fd9c1", "0000800000010000", "0001700000020000")).toBe("0000100000000000"); // psubusw
    expect(op2("0fe9c1", "8000800000007fff", "0001ffff8000ffff")).toBe("800080017fff7fff"); // psubsw
    expect(op2("0ffcc1", "ff7f800000000000", "0101800000000000")).toBe("0080000000000000"); // paddb
    expect(op2("0f64c1", "7f80000100000000", "8000ff0100000000")).toBe("ff00ff0000000000"); // pcmpgtb
    expect(op2("0f63c1", "7fff8000ff7f0080", "0001fffe00000000")).toBe("01fe00007f80807f"); // packsswb
    expect(op2("0f67c1", "0000000000000000", "01007fff0080ff80")).toBe("ffff800000000000"); // packuswb
    expect(op2("0f6bc1", "000000007fffffff", "ffff8000000000ff")).toBe("800000ff00007fff"); // packssdw
    expect(op2("0f60c1", "0000000044332211", "00000000ddccbbaa")).toBe("dd44cc33bb22aa11"); // punpcklbw
    expect(op2("0f6ac1", "1111111122222222", "3333333344444444")).toBe("3333333311111111"); // punpckhdq
    expect(op2("0fdfc1", "ff00ff00ff00ff00", "ffffffff00000000")).toBe("00ff00ff00000000"); // pandn
  });

  it("multiplies", () => {
    expect(op2("0ff5c1", "8000800000020003", "8000800000040005")).toBe("8000000000000017"); // pmaddwd wraps
    expect(op2("0fe5c1", "0000000000008000", "0000000000008000")).toBe("0000000000004000"); // pmulhw
    expect(op2("0fd5c1", "000000000000ffff", "000000000000ffff")).toBe("0000000000000001"); // pmullw
  });

  it("shifts by an immediate and by a 64-bit count", () => {
    expect(op2("0f73d03f", "8000000000000000", "0")).toBe("0000000000000001"); // psrlq mm0,63
    expect(op2("0f73f040", "ffffffffffffffff", "0")).toBe("0000000000000000"); // psllq mm0,64
    expect(op2("0f73f020", "00000000ffffffff", "0")).toBe("ffffffff00000000"); // psllq mm0,32
    expect(op2("0fe1c1", "80007fff0001ffff", "0000000000000010")).toBe("ffff00000000ffff"); // psraw by 16
    expect(op2("0fd2c1", "ffffffffffffffff", "0000000100000000")).toBe("0000000000000000"); // psrld by 2^32
    expect(op2("0fe2c1", "80000000ffffffff", "0000000000000020")).toBe("ffffffffffffffff"); // psrad by 32
    expect(op2("0ff1c1", "0001000100010001", "000000000000000f")).toBe("8000800080008000"); // psllw by 15
  });
});

describe("MMX exceptions", () => {
  it("#UD with CR0.EM (EMMS too), #NM with CR0.TS", () => {
    for (const code of [MOVQ_MM0_LOAD, EMMS, "0f73d001"]) {
      const r = new Rig();
      r.cpu.cr[0] |= CR0_EM;
      expect(r.faultOf(code)).toBe(V_UD);
      const t = new Rig();
      t.cpu.cr[0] |= CR0_TS;
      expect(t.faultOf(code)).toBe(V_NM);
    }
  });

  it("#UD with a 66, F2 or F3 prefix (SSE forms) and for memory forms of the shift-by-immediate groups", () => {
    for (const code of ["660f6fc1", "f30f6fc1", "f20ffcc1", "660f77", "0f711001", "0f7336000301"])
      expect(new Rig().faultOf(code), code).toBe(V_UD);
  });

  it("#MF for a pending unmasked x87 exception (CR0.NE = 1), before the instruction changes anything", () => {
    const r = new Rig();
    r.cpu.cr[0] |= CR0_NE;
    r.exec("d9e8 d92e0030"); // fld1; fldcw [0x3000] (0: all exceptions unmasked)
    r.f.raise(0x04); // ZE, unmasked: pending
    expect(r.faultOf(MOVQ_MM0_LOAD)).toBe(V_MF);
    expect(r.f.top).toBe(7);
    expect(r.faultOf(EMMS)).toBe(V_MF);
  });

  it("a memory fault leaves TOP and the tags as they were", () => {
    const r = new Rig();
    r.exec("d9e8"); // fld1
    expect(r.faultOf("0f6f06ffff")).toBe(V_GP); // movq mm0,[0xffff]: past the segment limit
    expect(r.f.top).toBe(7);
    expect(r.f.tag[0]).toBe(TAG_EMPTY);
  });
});
