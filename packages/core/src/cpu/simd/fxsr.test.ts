// FXSAVE and FXRSTOR: the 512-byte layout (SDM Vol. 2 FXSAVE, table 3-53), a round trip of the
// x87, MXCSR and XMM state, and the exceptions (#GP on misalignment and reserved MXCSR bits, #NM
// with CR0.EM or CR0.TS, #UD for the register form), plus the CR4 bits that go with them.
import { describe, expect, it } from "vitest";
import { DATA, Rig } from "../fpu/rig.ts";
import { CR0_EM, CR0_TS, CR4_OSFXSR, CR4_OSXMMEXCPT, V_GP, V_NM, V_UD } from "../regs.ts";
import { TAG_EMPTY, TAG_VALID } from "../fpu/fpu.ts";
import { MXCSR_MASK } from "./fxsr.ts";

const AREA = 0x4000;
const FXSAVE = "0fae060040"; // fxsave [0x4000]
const FXRSTOR = "0fae0e0040"; // fxrstor [0x4000]

/** Real mode with the area filled with AAh, so bytes FXSAVE leaves alone can be seen. */
function rig(): Rig {
  const r = new Rig();
  r.mem.ram.fill(0xaa, AREA, AREA + 512);
  return r;
}

describe("FXSAVE", () => {
  it("stores the x87 state in its FXSAVE form, MXCSR, its mask and XMM0-7; leaves bytes 288-511 alone", () => {
    const r = rig();
    r.setF32(DATA, 2);
    for (let i = 0; i < 32; i++) r.cpu.xmm[i] = (0x01010101 * i) | 0;
    r.cpu.mxcsr = 0x1f80 | 0x21;
    r.exec(`d9e8 d9eb d8060030 ${FXSAVE}`); // fld1; fldpi; fadd dword [0x3000]; fxsave [0x4000]
    expect(r.getU16(AREA)).toBe(0x037f); // FCW
    expect(r.getU16(AREA + 2)).toBe((6 << 11) | 0x20); // FSW: TOP = 6, PE (pi + 2 is inexact)
    expect(r.getBytes(AREA + 4, 2)).toEqual([0xc0, 0]); // abridged FTW: R6 and R7 in use; reserved
    expect(r.getU16(AREA + 6)).toBe(0x006); // FOP of fadd dword [disp16]: D8 06 -> 000 0000 0110
    expect(r.getU32(AREA + 8)).toBe(0x1004); // FIP: offset of the FADD
    expect([r.getU16(AREA + 12), r.getU16(AREA + 14)]).toEqual([0, 0]); // FCS, reserved
    expect(r.getU32(AREA + 16)).toBe(DATA); // FDP
    expect([r.getU16(AREA + 20), r.getU16(AREA + 22)]).toEqual([0, 0]); // FDS, reserved
    expect(r.getU32(AREA + 24)).toBe(0x1fa1); // MXCSR
    expect(r.getU32(AREA + 28)).toBe(MXCSR_MASK);
    expect(r.getF80(AREA + 32)).toBe("4001:a487ed5110b4611a"); // ST0 = pi + 2
    expect(r.getF80(AREA + 48)).toBe("3fff:8000000000000000"); // ST1 = 1
    expect(r.getBytes(AREA + 42, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    for (let i = 0; i < 32; i++) expect(r.getI32(AREA + 160 + i * 4)).toBe((0x01010101 * i) | 0);
    expect(r.getBytes(AREA + 288, 224)).toEqual(new Array(224).fill(0xaa));
    // Unlike FSAVE, FXSAVE leaves the FPU as it was.
    expect(r.f.top).toBe(6);
    expect(r.st(1)).toBe(1);
  });

  it("round-trips through FXRSTOR: registers, TOP, tags, pointers, MXCSR and XMM", () => {
    const r = rig();
    r.cpu.xmm.set([1, 2, 3, 4], 8);
    r.exec(`d9e8 d9ee d9f7 ${FXSAVE}`); // fld1; fldz; fincstp; fxsave
    const saved = r.getBytes(AREA, 288);
    const before = JSON.stringify(r.f.saveState());
    r.exec("dbe3 d9eb"); // fninit; fldpi
    r.cpu.xmm.fill(0);
    r.cpu.mxcsr = 0;
    r.exec(FXRSTOR);
    expect(JSON.stringify(r.f.saveState())).toBe(before);
    expect(Array.from(r.cpu.xmm.subarray(8, 12))).toEqual([1, 2, 3, 4]);
    expect(r.cpu.mxcsr).toBe(0x1f80);
    r.exec(FXSAVE);
    expect(r.getBytes(AREA, 288)).toEqual(saved);
  });

  it("FXRSTOR takes only 'empty' from the abridged tags and computes the others from the contents", () => {
    const r = rig();
    r.exec(FXSAVE); // an empty FPU
    r.setU16(AREA + 2, 0); // TOP = 0
    r.setBytes(AREA + 4, [0x07]); // R0-R2 in use
    r.setF80(AREA + 32, "3fff:8000000000000000"); // 1 (valid)
    r.setF80(AREA + 48, "0000:0000000000000000"); // 0 (zero)
    r.setF80(AREA + 64, "7fff:8000000000000000"); // infinity (special)
    r.exec(FXRSTOR);
    expect(Array.from(r.f.tag)).toEqual([TAG_VALID, 1, 2, TAG_EMPTY, TAG_EMPTY, TAG_EMPTY, TAG_EMPTY, TAG_EMPTY]);
  });

  it("FXRSTOR of a status word with an unmasked exception makes it pending", () => {
    const r = rig();
    r.exec(FXSAVE);
    r.setU16(AREA, 0x037e); // IM clear
    r.setU16(AREA + 2, 0x0001); // IE
    r.exec(FXRSTOR);
    expect(r.sw() & 0x8080).toBe(0x8080); // ES and B
  });
});

describe("FXSAVE and FXRSTOR exceptions", () => {
  it("#GP on an area not aligned on 16 bytes, in real mode too", () => {
    for (const code of ["0fae060840", "0fae0e0140"]) {
      expect(rig().faultOf(code)).toBe(V_GP);
    }
  });

  it("#GP when FXRSTOR would set reserved MXCSR bits, leaving everything as it was", () => {
    const r = rig();
    r.exec(`d9e8 ${FXSAVE}`);
    for (const mxcsr of [0x21f80, 0x11f80]) {
      r.setU32(AREA + 24, mxcsr);
      r.setU16(AREA, 0x0000);
      const before = JSON.stringify(r.f.saveState());
      expect(r.faultOf(FXRSTOR)).toBe(V_GP);
      expect(JSON.stringify(r.f.saveState())).toBe(before);
      expect(r.cpu.mxcsr).toBe(0x1f80);
    }
  });

  it("#NM with CR0.TS or CR0.EM; #UD for the register form and the undefined members of 0F AE", () => {
    for (const bit of [CR0_TS, CR0_EM]) {
      for (const code of [FXSAVE, FXRSTOR]) {
        const r = rig();
        r.cpu.cr[0] |= bit;
        expect(r.faultOf(code)).toBe(V_NM);
        expect(r.getBytes(AREA, 4)).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
      }
    }
    for (const code of ["0faec0", "0faec8", "0fae360040"]) {
      expect(rig().faultOf(code), code).toBe(V_UD);
    }
  });
});

describe("CR4", () => {
  it("keeps OSFXSR and OSXMMEXCPT", () => {
    const r = rig();
    r.setU32(DATA, CR4_OSFXSR | CR4_OSXMMEXCPT);
    r.exec("66a10030 0f22e0 6631c0 0f20e0 66a30430"); // mov eax,[0x3000]; mov cr4,eax; xor eax,eax; mov eax,cr4; mov [0x3004],eax
    expect(r.getU32(DATA + 4)).toBe(0x600);
  });
});
