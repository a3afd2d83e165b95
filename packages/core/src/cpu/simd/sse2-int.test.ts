// SSE2 integer instructions and the SSE integer additions to MMX: results at their edges
// (saturation, shift counts 0-129 and huge, every shuffle immediate, PSADBW, PMULUDQ's 64-bit
// products), the moves, MASKMOVQ/MASKMOVDQU with partial masks at a page edge, and the checks:
// #UD with CR0.EM or without CR4.OSFXSR, #NM with CR0.TS, #GP(0) for a misaligned 16-byte operand
// (not MOVDQU's, not the 8-byte forms), #UD for the memory forms of register-only operands, #MF
// for the MMX forms. The difftest programs sse2_int.c and sse2_loops.c compare with the host CPU.
import { describe, expect, it } from "vitest";
import { Rig } from "../fpu/rig.ts";
import { CR0_EM, CR0_PG, CR0_TS, CR4_OSFXSR, EDI, FS, V_GP, V_MF, V_NM, V_PF, V_UD } from "../regs.ts";
import { A, B, BINARY_OPS, R, SHUFFLE_OPS, shift, shiftBytes, LEFT, LOGICAL, ARITH } from "./packed.ts";
import { TAG_EMPTY } from "../fpu/fpu.ts";

const MEM = 0x4000;

/** Real mode with CR4.OSFXSR set and 64 bytes of memory counting up from 0x4000. */
function rig(mode: "real" | "flat32" = "real"): Rig {
  const r = new Rig(mode);
  r.cpu.cr[4] |= CR4_OSFXSR;
  for (let i = 0; i < 64; i++) r.mem.ram[MEM + i] = i;
  return r;
}
const setX = (r: Rig, i: number, d: number[]) => r.cpu.xmm.set(d, i * 4);

/** Runs a packed.ts operation on 16-byte operands a, b (dwords); returns R's dwords. */
function op16(name: string, a: number[], b: number[], imm = 0): number[] {
  A.d.set(a);
  B.d.set(b);
  (BINARY_OPS[name] ?? SHUFFLE_OPS[name as keyof typeof SHUFFLE_OPS])(16, imm);
  return Array.from(R.d, (v) => v >>> 0);
}

describe("packed operations on 128-bit operands", () => {
  it("PADDQ/PSUBQ carry and borrow between the dwords of each quadword, not across quadwords", () => {
    expect(op16("paddq", [-1, 0, -1, -1], [1, 0, 1, 0])).toEqual([0, 1, 0, 0]);
    expect(op16("psubq", [0, 0, 0, 1], [1, 0, 1, 0])).toEqual([0xffffffff, 0xffffffff, 0xffffffff, 0]);
  });

  it("PMULUDQ gives the exact 64-bit product of the low dwords", () => {
    // ffffffff * ffffffff = fffffffe 00000001; 80000000 * 3 = 1 80000000
    expect(op16("pmuludq", [-1, 7, 0x80000000, 9], [-1, 5, 3, 1])).toEqual([1, 0xfffffffe, 0x80000000, 1]);
  });

  it("saturates per lane (PADDSW, PSUBUSB, PACKSSDW, PACKUSWB)", () => {
    expect(op16("paddsw", [0x7fff8000, 0, 0, 0], [0x0001ffff, 0, 0, 0])[0]).toBe(0x7fff8000);
    expect(op16("psubusb", [0x00ff0110, 0, 0, 0], [0x01010220, 0, 0, 0])[0]).toBe(0x00fe0000);
    expect(op16("packssdw", [0x12345, -0x12345, 5, -5], [0, 0, 0, 0])).toEqual([0x80007fff, 0xfffb0005, 0, 0]);
    expect(op16("packuswb", [0x01ff8000, 0x00800100, 0, 0], [0, 0, 0, 0])[0]).toBe(0x80ffff00);
  });

  it("PAVGB/PAVGW round up, PSADBW sums each quadword's byte differences", () => {
    expect(op16("pavgb", [0x00ff01fe, 0, 0, 0], [0x01ff0000, 0, 0, 0])[0]).toBe(0x01ff017f);
    expect(op16("pavgw", [0xffff0001, 0, 0, 0], [0xffff0000, 0, 0, 0])[0]).toBe(0xffff0001);
    expect(op16("psadbw", [-1, -1, 0x01020304, 0], [0, 0, 0x04030201, 0])).toEqual([0x7f8, 0, 8, 0]);
  });

  it("PMIN/PMAX: bytes unsigned, words signed; PMULHUW unsigned high words", () => {
    expect(op16("pminub", [0x80017f00, 0, 0, 0], [0x7f02ff01, 0, 0, 0])[0]).toBe(0x7f017f00);
    expect(op16("pmaxsw", [0x80007fff, 0, 0, 0], [0x7fff8000, 0, 0, 0])[0]).toBe(0x7fff7fff);
    expect(op16("pmulhuw", [0xffff0002, 0, 0, 0], [0xffff8000, 0, 0, 0])[0]).toBe(0xfffe0001);
  });

  it("PUNPCKLQDQ/PUNPCKHQDQ and the 128-bit unpacks take the right halves", () => {
    expect(op16("punpckhdq", [1, 2, 3, 4], [5, 6, 7, 8])).toEqual([3, 7, 4, 8]);
    expect(op16("punpcklbw", [0x03020100, 0x07060504, 0, 0], [0x13121110, 0x17161514, 0, 0])).toEqual([
      0x11011000, 0x13031202, 0x15051404, 0x17071606,
    ]);
  });

  it("every shuffle immediate picks the lanes its two-bit fields name", () => {
    const src = [0x10, 0x11, 0x12, 0x13];
    const words = [0x3210, 0x7654, 0xba98, 0xfedc];
    for (let imm = 0; imm < 256; imm++) {
      const sel = [0, 1, 2, 3].map((i) => (imm >> (2 * i)) & 3);
      expect(op16("pshufd", [0, 0, 0, 0], src, imm)).toEqual(sel.map((s) => src[s]));
      const lw = op16("pshuflw", [0, 0, 0, 0], [0x00010000, 0x00030002, 5, 6], imm);
      expect(lw).toEqual([sel[0] | (sel[1] << 16), sel[2] | (sel[3] << 16), 5, 6]);
      const hw = op16("pshufhw", [0, 0, 0, 0], [5, 6, 0x00010000, 0x00030002], imm);
      expect(hw).toEqual([5, 6, sel[0] | (sel[1] << 16), sel[2] | (sel[3] << 16)]);
      B.d.set([words[0] | (words[1] << 16), words[2] | (words[3] << 16), 0, 0]);
      SHUFFLE_OPS.pshufw(8, imm);
      expect([R.uw[0], R.uw[1], R.uw[2], R.uw[3]]).toEqual(sel.map((s) => [0x3210, 0x7654, 0xba98, 0xfedc][s]));
    }
  });

  it("shifts by every count 0-129 and by huge counts, per lane width", () => {
    const a = [0x80000001, 0x7ffffffe, 0xdeadbeef, 0x01234567];
    const big = (x: bigint) => BigInt.asUintN(64, x);
    const q = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    for (let n = 0; n < 130; n++) {
      A.d.set(a);
      shift(LEFT, 64, 16, n);
      const want0 = n > 63 ? 0n : big(q(a[0], a[1]) << BigInt(n));
      expect(q(R.d[0], R.d[1])).toBe(want0);
      shift(LOGICAL, 64, 16, n);
      expect(q(R.d[2], R.d[3])).toBe(n > 63 ? 0n : q(a[2], a[3]) >> BigInt(n));
      shift(ARITH, 32, 16, n);
      expect(R.d[0]).toBe((a[0] | 0) >> Math.min(n, 31));
      shift(LOGICAL, 16, 16, n);
      expect(R.uw[1]).toBe(n > 15 ? 0 : 0x8000 >>> n);
      shiftBytes(true, n);
      expect(R.ub[15]).toBe(n > 15 ? 0 : A.ub[15 - n]);
      shiftBytes(false, n);
      expect(R.ub[0]).toBe(n > 15 ? 0 : A.ub[n]);
    }
    // A count register's high dword set: everything beyond any lane width.
    const r = rig();
    setX(r, 0, [-1, -1, -1, -1]);
    setX(r, 1, [1, 1, 0, 0]);
    r.exec("660fd3c1 660fe2d1"); // psrlq xmm0,xmm1; psrad xmm2,xmm1
    expect(r.xmm(0)).toEqual([0, 0, 0, 0]);
  });
});

describe("SSE2 integer instructions", () => {
  it("run the XMM forms (66 0F) on registers and aligned memory", () => {
    const r = rig();
    r.exec("660f6f060040 660ffc060040"); // movdqa xmm0,[0x4000]; paddb xmm0,[0x4000]
    expect(r.xmm(0)).toEqual([0x06040200, 0x0e0c0a08, 0x16141210, 0x1e1c1a18]);
    r.exec("660f70c81b 660f73d804 660f7ec3"); // pshufd xmm1,xmm0,0x1b; psrldq xmm0,4; movd ebx,xmm0
    expect(r.xmm(1)).toEqual([0x1e1c1a18, 0x16141210, 0x0e0c0a08, 0x06040200]);
    expect(r.cpu.r32[3] >>> 0).toBe(0x0e0c0a08);
    r.exec("660fd7c1"); // pmovmskb eax,xmm1
    expect(r.cpu.r32[0]).toBe(0);
    r.exec("660fc5c102 660fc4c305"); // pextrw eax,xmm1,2; pinsrw xmm0,ebx,5
    expect(r.cpu.r32[0]).toBe(0x1210);
    expect(r.xmm(0)[2]).toBe(0x0a081a18);
  });

  it("MOVQ, MOVD, MOVQ2DQ and MOVDQ2Q clear what the SDM says they clear", () => {
    const r = rig();
    setX(r, 2, [1, 2, 3, 4]);
    r.exec("f30f7e160040"); // movq xmm2,[0x4000]
    expect(r.xmm(2)).toEqual([0x03020100, 0x07060504, 0, 0]);
    setX(r, 3, [1, 2, 3, 4]);
    r.exec("660fd6d3"); // movq xmm3,xmm2 (66 0F D6 reg form)
    expect(r.xmm(3)).toEqual([0x03020100, 0x07060504, 0, 0]);
    r.exec("660f6e1e0840"); // movd xmm3,[0x4008]
    expect(r.xmm(3)).toEqual([0x0b0a0908, 0, 0, 0]);
    setX(r, 4, [9, 9, 9, 9]);
    r.exec("0f6f0e1040 f30fd6e1 f20fd6d2"); // movq mm1,[0x4010]; movq2dq xmm4,mm1; movdq2q mm2,xmm2
    expect(r.xmm(4)).toEqual([0x13121110, 0x17161514, 0, 0]);
    expect(r.f.tag[1]).not.toBe(TAG_EMPTY);
    expect([r.f.img[2 * 3 + 2] >>> 0, r.f.img[2 * 3 + 1] >>> 0]).toEqual([0x03020100, 0x07060504]);
  });

  it("address through the segment of their own operand, not the previous instruction's", () => {
    const r = rig();
    r.cpu.setSegReal(FS, 0x10000, 0xffff, 0x93);
    r.exec("648b060000 f30f7e060040 660fd6060840"); // mov ax,fs:[0]; movq xmm0,[0x4000]; movq [0x4008],xmm0
    expect(r.xmm(0)).toEqual([0x03020100, 0x07060504, 0, 0]);
    expect(r.getU32(MEM + 8)).toBe(0x03020100);
  });

  it("MOVDQU, MOVQ and MOVD take any address; MOVDQA, MOVNTDQ and the 128-bit operations #GP(0) when misaligned", () => {
    const r = rig();
    expect(r.faultOf("f30f6f060140")).toBe(-1); // movdqu xmm0,[0x4001]
    expect(r.faultOf("f30f7e060140")).toBe(-1); // movq xmm0,[0x4001]
    expect(r.faultOf("660f6e060140")).toBe(-1); // movd xmm0,[0x4001]
    for (const code of ["660f6f060840", "660f7f060840", "660fe7060840", "660ffe060840", "660f70060840 00"]) {
      expect(rig().faultOf(code), code).toBe(V_GP);
    }
  });

  it("#UD for the memory forms of register-only operands and for MOVNTDQ/MOVNTI with a register", () => {
    for (const code of [
      "660f71160040 03",
      "660f73160040 03",
      "660fd7060040",
      "660ff7060040",
      "660fe7c1",
      "0fc3c1",
      "0fe7c1",
      "0fae2e0040",
    ]) {
      expect(rig().faultOf(code), code).toBe(V_UD);
    }
  });

  it("#UD with CR0.EM or without CR4.OSFXSR, #NM with CR0.TS, before the memory operand", () => {
    let r = rig();
    r.cpu.cr[0] |= CR0_EM;
    expect(r.faultOf("660f6f060840")).toBe(V_UD);
    r = rig();
    r.cpu.cr[4] &= ~CR4_OSFXSR;
    expect(r.faultOf("660ffcc1")).toBe(V_UD);
    r = rig();
    r.cpu.cr[0] |= CR0_TS;
    expect(r.faultOf("660f6f060840")).toBe(V_NM); // TS before the alignment check
    // The MMX forms of the SSE additions check as MMX does: OSFXSR plays no part, a pending x87 exception is #MF.
    r = rig();
    r.cpu.cr[4] &= ~CR4_OSFXSR;
    expect(r.faultOf("0fe0c1")).toBe(-1); // pavgb mm0,mm1
    r = rig();
    r.f.sw |= 0x81; // invalid operation, unmasked (ES set)
    r.f.cw &= ~1;
    r.cpu.cr[0] |= 0x20; // CR0.NE
    expect(r.faultOf("0fe0c1")).toBe(V_MF);
  });

  it("MOVNTI, MOVNTQ, CLFLUSH, the fences and PAUSE", () => {
    const r = rig();
    r.cpu.r32[1] = 0x11223344;
    r.exec("0fc30e2040 0faee8 0faef0 0faef8 0fae3e2040 f390"); // movnti [0x4020],ecx; lfence; mfence; sfence; clflush [0x4020]; pause
    expect(r.getU32(MEM + 0x20)).toBe(0x11223344);
    expect(r.cpu.halted).toBe(true);
  });

  it("MASKMOVDQU/MASKMOVQ store the selected bytes at DS:eDI; at a page edge only the pages of stored bytes count", () => {
    const edge = 0x21000 - 8; // 8 bytes before the absent page
    /** Flat 32-bit code with paging, page 21000h absent; XMM0 = 00..0F, XMM1 = mask, EDI = edge. */
    function paged(mask: number[]): Rig {
      const r = rig("flat32");
      const PD = 0x10000,
        PT = 0x11000;
      r.mem.write32(PD, PT | 7);
      for (let i = 0; i < 512; i++) if (i !== 0x21) r.mem.write32(PT + 4 * i, (i << 12) | 7);
      r.cpu.writeCr(3, PD);
      r.cpu.writeCr(0, r.cpu.cr[0] | CR0_PG);
      r.mem.ram.fill(0xa5, edge, edge + 8);
      setX(r, 0, [0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
      setX(r, 1, mask);
      r.cpu.r32[EDI] = edge;
      return r;
    }
    let r = paged([0x80008000, 0x00800080, 0, 0]); // bytes 1, 3, 4, 6 of the first page
    expect(r.faultOf("660ff7c1")).toBe(-1);
    expect(Array.from(r.mem.ram.subarray(edge, edge + 8))).toEqual([0xa5, 1, 0xa5, 3, 4, 0xa5, 6, 0xa5]);
    expect(paged([0, 0, 0x80, 0]).faultOf("660ff7c1")).toBe(V_PF); // byte 8: on the absent page
    r = paged([0x80, 0, 0x80, 0]); // byte 0 and byte 8: the fault stores nothing
    expect(r.faultOf("660ff7c1")).toBe(V_PF);
    expect(r.mem.ram[edge]).toBe(0xa5);
    // CLFLUSH checks the page as a byte read would.
    expect(paged([0, 0, 0, 0]).faultOf("0fae3dff0f0200")).toBe(-1); // clflush [0x20fff]
    expect(paged([0, 0, 0, 0]).faultOf("0fae3d00100200")).toBe(V_PF); // clflush [0x21000]
    // MASKMOVQ with the mask's top bytes only, the stored bytes before the absent page.
    r = paged([0, 0, 0, 0]);
    r.f.img.set([0xffff, 0x11223344, 0x55667788], 0); // mm0
    r.f.img.set([0xffff, 0x80800000, 0], 3); // mm1: bytes 6, 7
    expect(r.faultOf("0ff7c1")).toBe(-1);
    expect(Array.from(r.mem.ram.subarray(edge + 5, edge + 8))).toEqual([0xa5, 0x22, 0x11]);
  });
});
