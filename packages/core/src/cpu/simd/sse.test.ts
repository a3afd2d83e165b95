// The first SSE instructions: LDMXCSR/STMXCSR and the moves and logic on XMM registers, with their
// exceptions (SDM Vol. 2 each instruction's page and table 2-20): #UD with CR0.EM or without
// CR4.OSFXSR, #NM with CR0.TS, #GP(0) for reserved MXCSR bits and a misaligned 16-byte operand
// (MOVAPS and the logic instructions; not MOVUPS), #UD for a prefix selecting an SSE2 form.
import { describe, expect, it } from "vitest";
import { Rig } from "../fpu/rig.ts";
import { CR0_EM, CR0_TS, CR4_OSFXSR, V_GP, V_NM, V_UD } from "../regs.ts";

const MEM = 0x4000;

/** Real mode with CR4.OSFXSR set and 64 bytes of memory counting up from 0x4000. */
function rig(): Rig {
  const r = new Rig();
  r.cpu.cr[4] |= CR4_OSFXSR;
  for (let i = 0; i < 64; i++) r.mem.ram[MEM + i] = i;
  return r;
}

describe("LDMXCSR and STMXCSR", () => {
  it("load and store MXCSR", () => {
    const r = rig();
    r.setU32(MEM, 0x7f85);
    r.exec("0fae160040 0fae1e0440"); // ldmxcsr [0x4000]; stmxcsr [0x4004]
    expect(r.cpu.mxcsr).toBe(0x7f85);
    expect(r.getU32(MEM + 4)).toBe(0x7f85);
  });

  it("#GP(0) for a bit outside MXCSR_MASK (bits 16-31), MXCSR unchanged", () => {
    for (const v of [0x11f80, 0x21f80, 0x80000000]) {
      const r = rig();
      r.setU32(MEM, v);
      expect(r.faultOf("0fae160040")).toBe(V_GP);
      expect(r.cpu.mxcsr).toBe(0x1f80);
    }
  });
});

describe("moves and logic", () => {
  it("MOVAPS, MOVUPS and MOVSS between memory and registers", () => {
    const r = rig();
    r.exec("0f280e0040"); // movaps xmm1,[0x4000]
    expect(r.xmm(1)).toEqual([0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
    r.exec("0f10160840"); // movups xmm2,[0x4008]
    expect(r.xmm(2)).toEqual([0x0b0a0908, 0x0f0e0d0c, 0x13121110, 0x17161514]);
    r.exec("0f290e2040 0f11161840"); // movaps [0x4020],xmm1; movups [0x4018],xmm2
    expect(r.getU32(MEM + 0x18)).toBe(0x0b0a0908);
    expect(r.getU32(MEM + 0x2c)).toBe(0x0f0e0d0c);
    r.exec("f30f101e0440"); // movss xmm3,[0x4004]: the others cleared
    expect(r.xmm(3)).toEqual([0x07060504, 0, 0, 0]);
    r.exec("f30f10d3"); // movss xmm2,xmm3: dword 0 only
    expect(r.xmm(2)).toEqual([0x07060504, 0x0f0e0d0c, 0x13121110, 0x17161514]);
    r.exec("f30f110e3040"); // movss [0x4030],xmm1
    expect(r.getU32(MEM + 0x30)).toBe(0x03020100);
    expect(r.getU32(MEM + 0x34)).toBe(0x37363534);
    r.exec("0f28e1"); // movaps xmm4,xmm1
    expect(r.xmm(4)).toEqual(r.xmm(1));
  });

  it("MOVLPS, MOVHPS, MOVHLPS, MOVLHPS", () => {
    const r = rig();
    r.cpu.xmm.set([1, 2, 3, 4], 4);
    r.cpu.xmm.set([5, 6, 7, 8], 8);
    r.exec("0f12d1"); // movhlps xmm2,xmm1
    expect(r.xmm(2)).toEqual([3, 4, 7, 8]);
    r.exec("0f16d1"); // movlhps xmm2,xmm1
    expect(r.xmm(2)).toEqual([3, 4, 1, 2]);
    r.exec("0f12160040 0f16160840"); // movlps xmm2,[0x4000]; movhps xmm2,[0x4008]
    expect(r.xmm(2)).toEqual([0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
    r.exec("0f130e1040 0f170e1840"); // movlps [0x4010],xmm1; movhps [0x4018],xmm1
    expect([0, 4, 8, 12].map((o) => r.getU32(MEM + 0x10 + o))).toEqual([1, 2, 3, 4]);
  });

  it("ANDPS, ANDNPS, ORPS, XORPS", () => {
    const r = rig();
    const a = [0xff00ff00, 0x0f0f0f0f, -1, 0],
      b = [0xf0f0f0f0, 0x00ff00ff, 0x12345678, 0x9abcdef0];
    const run = (op: string) => {
      r.cpu.xmm.set(a, 8);
      r.cpu.xmm.set(b, 4);
      r.exec(op);
      return r.xmm(2);
    };
    const u = (f: (x: number, y: number) => number) => a.map((x, i) => f(x, b[i]) >>> 0);
    expect(run("0f54d1")).toEqual(u((x, y) => x & y));
    expect(run("0f55d1")).toEqual(u((x, y) => ~x & y));
    expect(run("0f56d1")).toEqual(u((x, y) => x | y));
    expect(run("0f57d1")).toEqual(u((x, y) => x ^ y));
  });
});

describe("exceptions", () => {
  const ALL = ["0fae160040", "0fae1e0040", "0f28d1", "0f10d1", "f30f10d1", "0f12d1", "0f170e0040", "0f57d1"];

  it("#UD without CR4.OSFXSR or with CR0.EM; #NM with CR0.TS", () => {
    for (const code of ALL) {
      const r = rig();
      r.cpu.cr[4] &= ~CR4_OSFXSR;
      expect(r.faultOf(code), code).toBe(V_UD);
      const e = rig();
      e.cpu.cr[0] |= CR0_EM | CR0_TS; // EM wins over TS
      expect(e.faultOf(code), code).toBe(V_UD);
      const t = rig();
      t.cpu.cr[0] |= CR0_TS;
      expect(t.faultOf(code), code).toBe(V_NM);
    }
  });

  it("#GP for a misaligned 16-byte operand of MOVAPS and the logic instructions, not MOVUPS", () => {
    for (const code of ["0f280e0840", "0f290e0440", "0f540e0140"]) {
      const r = rig();
      expect(r.faultOf(code), code).toBe(V_GP);
      expect(r.xmm(1)).toEqual([0, 0, 0, 0]);
    }
    expect(rig().faultOf("0f100e0840")).toBe(-1);
    expect(rig().faultOf("0f110e0440")).toBe(-1);
  });

  it("#UD for the 66/F2/F3 forms no processor has and the register forms of MOVLPS/MOVHPS/MOVLPD stores and loads and LDMXCSR/STMXCSR", () => {
    const codes = ["f30f28d1", "f30f57d1", "f20f29d1", "660f12d1", "0f13d1", "0f17d1", "660f17d1"];
    for (const code of [...codes, "0faed0", "0faed8"]) {
      expect(rig().faultOf(code), code).toBe(V_UD);
    }
  });
});
