// FPU state: reset, the environment and save-area layouts of FSTENV/FSAVE in real and
// protected mode with 16- and 32-bit operand size (SDM Vol. 1 §8.1.10, figures 8-9 to 8-12),
// and the snapshot schema "x87": round trip and refusal of corrupt state.
import { describe, expect, it } from "vitest";
import { DATA, Rig } from "./rig.ts";
import { CS, DS } from "../regs.ts";
import { StateError, cloneState, type StateRecord } from "../../snapshot/state.ts";
import { Fpu, TAG_EMPTY } from "./fpu.ts";

const ENV_REAL = "d9e8d8060000d936000166d9360002"; // fld1; fadd dword [0x0000]; fnstenv [0x0100]; o32 fnstenv [0x0200]
const SAVE_REAL = "d9e8d9ebd8060000dd360001d9e866dd360002dd260001dd3e0003"; // fld1; fldpi; fadd dword [0x0000]; fnsave [0x0100]; fld1; o32 fnsave [0x0200]; frstor [0x0100]; fnstsw [0x0300]
const FLDENV_REAL = "66d9260002d9360001"; // o32 fldenv [0x0200]; fnstenv [0x0100]
const STATE = "d9e8d9ebdb2e0030d9f6d92e2030d9e8d9eedcf9"; // fld1; fldpi; fld tword [0x3000]; fdecstp; fldcw [0x3020]; fld1; fldz; fdiv st1, st0
const CONTINUE = "dbe2dec1d9cadee9d9f7d9e19bdd360031"; // fnclex; faddp st1, st0; fxch st2; fsubp st1, st0; fincstp; fabs; fsave [0x3100]
const ENV_PM = "d9e8d803d9b30001000066d9b30002000066d9a300020000d9b300030000"; // fld1; fadd dword [ebx]; fnstenv [ebx+0x100]; o16 fnstenv [ebx+0x200]; o16 fldenv [ebx+0x200]; fnstenv [ebx+0x300]

/** Code at 1100:0000 (linear 11000h) and data at 1300:0000 (linear 13000h): pointers above 64 KiB. */
function highRig(): Rig {
  const r = new Rig();
  r.cpu.setSegReal(CS, 0x1100, 0xffff, 0x9b);
  r.cpu.setSegReal(DS, 0x1300, 0xffff, 0x93);
  return r;
}
function runAt(r: Rig, code: string): void {
  r.mem.ram.set([...Buffer.from(code, "hex"), 0xf4], 0x11000);
  r.cpu.eip = 0;
  r.run();
}
const words = (r: Rig, a: number, n: number) => Array.from({ length: n }, (_, i) => r.getU16(a + i * 2));
const dwords = (r: Rig, a: number, n: number) => Array.from({ length: n }, (_, i) => r.getU32(a + i * 4));

describe("reset and FNINIT", () => {
  it("comes out of reset in FNINIT's state with registers cleared", () => {
    const r = new Rig();
    expect(r.f.cw).toBe(0x037f);
    expect(r.f.getSw()).toBe(0);
    expect(r.f.tagWord()).toBe(0xffff);
    expect(Array.from(r.f.img)).toEqual(new Array(24).fill(0));
    r.exec("d9e8 d9eb"); // fld1; fldpi
    r.cpu.reset();
    expect(r.f.top).toBe(0);
    expect(r.f.tagWord()).toBe(0xffff);
    expect(r.f.value(7)).toBe(0);
  });
  it("FNINIT empties the registers but keeps their contents", () => {
    const r = new Rig().exec("d9e8 dbe3"); // fld1; fninit
    expect(r.f.tag[7]).toBe(TAG_EMPTY);
    expect(r.f.value(7)).toBe(1);
  });
});

describe("environment layouts", () => {
  it("real mode, 16-bit: linear instruction and data pointers with bits 19-16 beside the opcode", () => {
    const r = highRig();
    runAt(r, ENV_REAL);
    expect(words(r, 0x13100, 7)).toEqual([0x037f, 0x3800, 0x3fff, 0x1002, 0x1000 | 0x006, 0x3000, 0x1000]);
  });
  it("real mode, 32-bit: pointer bits 31-16 in bits 27-12 of the next dword", () => {
    const r = highRig();
    runAt(r, ENV_REAL);
    expect(dwords(r, 0x13200, 7)).toEqual([
      0xffff037f,
      0xffff3800,
      0xffff3fff,
      0xffff1002,
      (0x0001 << 12) | 0x006,
      0xffff3000,
      0x0001 << 12,
    ]);
  });
  it("real mode: FLDENV of the 32-bit layout restores what FNSTENV stored", () => {
    const r = highRig();
    runAt(r, ENV_REAL);
    runAt(r, FLDENV_REAL);
    expect(words(r, 0x13100, 7)).toEqual([0x037f, 0x3800, 0x3fff, 0x1002, 0x1006, 0x3000, 0x1000]);
  });
  it("protected mode: selectors, offsets and the opcode, 32- and 16-bit", () => {
    const r = new Rig("flat32");
    r.cpu.sreg[CS] = 0x0008;
    r.cpu.sreg[DS] = 0x0010;
    r.cpu.r32[3] = DATA; // EBX
    r.exec(ENV_PM);
    expect(dwords(r, DATA + 0x100, 7)).toEqual([
      0xffff037f,
      0xffff3800,
      0xffff3fff,
      0x1002,
      0x0008 | (0x003 << 16),
      DATA,
      0xffff0010,
    ]);
    expect(words(r, DATA + 0x200, 7)).toEqual([0x037f, 0x3800, 0x3fff, 0x1002, 0x0008, DATA, 0x0010]);
    // FLDENV of the 16-bit layout: offsets and selectors come back, the opcode stays.
    expect(dwords(r, DATA + 0x300, 7)).toEqual([
      0xffff037f,
      0xffff3800,
      0xffff3fff,
      0x1002,
      0x0008 | (0x003 << 16),
      DATA,
      0xffff0010,
    ]);
  });
  it("FNSAVE (94 and 108 bytes) stores ST(0)..ST(7) after the environment and reinitializes; FRSTOR restores", () => {
    const r = highRig();
    r.setF32(0x13000, 0.5);
    runAt(r, SAVE_REAL);
    // 16-bit image: environment, then ST(0) = pi + 0.5 (exact: FLDPI's 64-bit pi plus 0.5) and ST(1) = 1.
    expect(words(r, 0x13100, 3)).toEqual([0x037f, 0x3000, 0x0fff]);
    expect(r.getF80(0x13100 + 14)).toBe("4000:e90fdaa22168c235");
    expect(r.getF80(0x13100 + 24)).toBe("3fff:8000000000000000");
    // The second image was taken after FNINIT and one FLD1.
    expect(dwords(r, 0x13200, 3)).toEqual([0xffff037f, 0xffff3800, 0xffff3fff]);
    expect(r.getF80(0x13200 + 28)).toBe("3fff:8000000000000000");
    // FRSTOR brought the first state back.
    expect(r.getU16(0x13300)).toBe(0x3000);
    expect(r.f.tagWord()).toBe(0x0fff);
    expect(r.st(1)).toBe(1);
  });
});

describe("snapshot (schema x87)", () => {
  function built(): Rig {
    const r = new Rig();
    r.setF80(DATA, "7fff:a000000000000123"); // an SNaN image
    r.setU16(DATA + 0x20, 0x0b7b); // round up, ZE unmasked
    r.exec(STATE);
    return r;
  }

  it("saves named fields and restores an identical FPU that continues identically", () => {
    const a = built();
    const saved = cloneState(a.f.saveState());
    expect(Object.keys(saved).sort()).toEqual(["cw", "fcs", "fdp", "fds", "fip", "fop", "ignne", "regs", "sw", "tags"]);
    expect(a.f.getSw() & 0x80).toBe(0x80); // a pending exception is part of the state
    const b = new Rig();
    b.f.loadState(saved, 1);
    expect(b.f.saveState()).toEqual(saved);
    expect(b.f.ferrActive).toBe(true);
    for (const r of [a, b]) r.exec(CONTINUE);
    expect(b.getBytes(DATA + 0x100, 108)).toEqual(a.getBytes(DATA + 0x100, 108));
    expect(b.f.saveState()).toEqual(a.f.saveState());
  });

  it("keeps 80-bit images exactly", () => {
    const a = new Rig();
    a.setF80(DATA, "3fff:8000000000000001");
    a.exec("db2e0030"); // fld tword [0x3000]
    const b = new Rig();
    b.f.loadState(cloneState(a.f.saveState()), 1);
    b.exec("db3e1030"); // fstp tword [0x3010]
    expect(b.getF80(DATA + 0x10)).toBe("3fff:8000000000000001");
  });

  it("refuses corrupt state with StateError and changes nothing", () => {
    const good = built().f.saveState();
    const corrupt: [string, (s: StateRecord) => void][] = [
      [
        "tag out of range",
        (s) => {
          (s.tags as number[])[3] = 4;
        },
      ],
      [
        "tags not an array",
        (s) => {
          s.tags = 5;
        },
      ],
      [
        "short register block",
        (s) => {
          s.regs = new Uint8Array(79);
        },
      ],
      [
        "control word reserved bits",
        (s) => {
          s.cw = 0x037f & ~0x40;
        },
      ],
      [
        "status word not a number",
        (s) => {
          s.sw = "0";
        },
      ],
      [
        "status word too large",
        (s) => {
          s.sw = 0x10000;
        },
      ],
      [
        "fip negative",
        (s) => {
          s.fip = -1;
        },
      ],
      [
        "opcode too large",
        (s) => {
          s.fop = 0x800;
        },
      ],
      [
        "ignne not boolean",
        (s) => {
          s.ignne = 1;
        },
      ],
      [
        "missing field",
        (s) => {
          delete s.fds;
        },
      ],
    ];
    for (const [what, spoil] of corrupt) {
      const victim = built();
      const before = victim.f.saveState();
      const bad = cloneState(good);
      spoil(bad);
      expect(() => victim.f.loadState(bad, 1), what).toThrow(StateError);
      expect(victim.f.saveState(), what).toEqual(before);
    }
  });

  it("has its schema name and version", () => {
    const f: Fpu = new Rig().f;
    expect([f.stateName, f.stateVersion, f.stateMinVersion]).toEqual(["x87", 1, 1]);
  });
});
