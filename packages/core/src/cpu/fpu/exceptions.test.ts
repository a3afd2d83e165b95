// Unmasked exceptions and their delivery (SDM Vol. 1 §8.6 and appendix D): #MF with CR0.NE=1;
// with NE=0 the FERR# output (to IRQ13 on a PC), the freeze of the next waiting instruction,
// IGNNE#; the no-wait instructions; exceptions made pending by FLDCW/FLDENV and cleared by
// FNSTENV; #NM from CR0.EM/TS/MP. Real-mode code, assembled with NASM (bits 16).
import { describe, expect, it } from "vitest";
import { CODE, DATA, Rig, hex } from "./rig.ts";
import { CR0_EM, CR0_MP, CR0_NE, CR0_TS, IF, V_MF, V_NM } from "../regs.ts";

const ZDIV = "d92e2030d9e8d9eedef9d9d0"; // fldcw [0x3020]; fld1; fldz; fdivp st1, st0; fnop
const ZDIV_MASKED_THEN_UNMASK = "d9e8d9eedef9d92e2030d9d0"; // fld1; fldz; fdivp st1, st0; fldcw [0x3020]; fnop
const NOWAIT = "d92e2030d9e8d9eedef9dfe0d93e1030d9360031d9d0"; // fldcw [0x3020]; fld1; fldz; fdivp st1, st0; fnstsw ax; fnstcw [0x3010]; fnstenv [0x3100]; fnop
const WAITONLY = "d92e2030d9e8d9eedef99b"; // fldcw [0x3020]; fld1; fldz; fdivp st1, st0; wait
const HANDLER = "ff062006dbe2cf"; // inc word [0x620]; fnclex; iret  (the #MF handler)
const FLDENV = "d9260031d9d0"; // fldenv [0x3100]; fnop
const FDIVP_AT = CODE + 8,
  FNOP_AT = CODE + 10;
const CW_ZE_UNMASKED = 0x037b;
const SW_ZE = 0x04,
  SW_ES = 0x80,
  SW_B = 0x8000;

/** A rig whose #MF handler counts, clears the exception and returns. */
function rigWithMfHandler(ne: boolean): Rig {
  const r = new Rig();
  if (ne) r.cpu.cr[0] |= CR0_NE;
  r.setBytes(0x2000 + V_MF * 8, hex(HANDLER));
  r.setU16(DATA + 0x20, CW_ZE_UNMASKED);
  return r;
}

describe("native error reporting (CR0.NE = 1)", () => {
  it("raises #MF at the next waiting instruction, with the pointers of the faulting one", () => {
    const r = rigWithMfHandler(true);
    r.load(ZDIV);
    r.cpu.run(4); // up to the FDIVP: the divide by zero is recorded, nothing is delivered
    expect(r.hits(V_MF)).toBe(0);
    expect(r.sw() & (SW_ZE | SW_ES | SW_B)).toBe(SW_ZE | SW_ES | SW_B);
    expect(r.st(1)).toBe(1); // destination unchanged, no pop
    r.cpu.run(1); // FNOP: #MF delivered before it executes
    expect(r.cpu.eip).toBe(0x2000 + V_MF * 8);
    expect(r.mem.read16(0x9000 - 6)).toBe(FNOP_AT); // the return address is the FNOP
    expect(r.f.fip).toBe(FDIVP_AT);
    expect(r.f.fop).toBe(0x6f9); // DE F9
    r.run();
    expect(r.hits(V_MF)).toBe(1); // the handler's FNCLEX cleared it; FNOP then ran
    expect(r.cpu.halted).toBe(true);
    expect(r.sw() & SW_ES).toBe(0);
  });

  it("WAIT takes a pending exception too", () => {
    const r = rigWithMfHandler(true);
    r.load(WAITONLY);
    r.cpu.run(5);
    expect(r.hits(V_MF)).toBe(0);
    expect(r.cpu.eip).toBe(0x2000 + V_MF * 8);
    expect(r.mem.read16(0x9000 - 6)).toBe(CODE + 10);
  });

  it("the no-wait instructions run while an exception is pending; FNSTENV masks it away", () => {
    const r = rigWithMfHandler(true);
    r.exec(NOWAIT);
    expect(r.hits(V_MF)).toBe(0);
    expect(r.cpu.r16[0] & (SW_ZE | SW_ES)).toBe(SW_ZE | SW_ES); // FNSTSW AX saw it pending
    expect(r.getU16(DATA + 0x10)).toBe(CW_ZE_UNMASKED);
    expect(r.getU16(DATA + 0x100)).toBe(CW_ZE_UNMASKED); // the stored environment
    expect(r.f.cw & 0x3f).toBe(0x3f); // and then everything masked: the FNOP ran
    expect(r.sw() & SW_ES).toBe(0);
    expect(r.cpu.halted).toBe(true);
  });

  it("FLDCW unmasking a raised flag makes it pending (SDM Vol. 1 §8.1.3)", () => {
    const r = rigWithMfHandler(true);
    r.load(ZDIV_MASKED_THEN_UNMASK);
    r.cpu.run(3);
    expect(r.sw() & (SW_ZE | SW_ES)).toBe(SW_ZE);
    r.cpu.run(1); // FLDCW
    expect(r.sw() & SW_ES).toBe(SW_ES);
    r.cpu.run(1); // FNOP
    expect(r.cpu.eip).toBe(0x2000 + V_MF * 8);
  });

  it("FLDENV of a status word with an unmasked flag makes it pending", () => {
    const r = rigWithMfHandler(true);
    r.setU16(DATA + 0x100, CW_ZE_UNMASKED);
    r.setU16(DATA + 0x102, SW_ZE);
    r.setU16(DATA + 0x104, 0xffff);
    r.load(FLDENV);
    r.cpu.run(1);
    expect(r.sw() & (SW_ES | SW_B)).toBe(SW_ES | SW_B);
    r.cpu.run(1);
    expect(r.cpu.eip).toBe(0x2000 + V_MF * 8);
  });
});

describe("MS-DOS compatibility (CR0.NE = 0): FERR#, IRQ13 and IGNNE#", () => {
  function dosRig(): { r: Rig; levels: boolean[] } {
    const r = new Rig();
    r.setU16(DATA + 0x20, CW_ZE_UNMASKED);
    const levels: boolean[] = [];
    // The board: FERR# sets the IRQ13 latch, which reaches INTR; INTA gives vector 75h.
    r.f.ferrLine = (level) => {
      levels.push(level);
      if (level) r.cpu.setIntr(true);
    };
    r.cpu.intAck = () => {
      r.cpu.setIntr(false);
      return 0x75;
    };
    return { r, levels };
  }

  it("asserts FERR# as the exception occurs and freezes the next waiting instruction until the interrupt", () => {
    const { r, levels } = dosRig();
    r.load(ZDIV);
    r.run(); // IF = 0: the interrupt cannot be taken, so FNOP freezes (a HLT returning to itself)
    expect(levels).toEqual([true]);
    expect(r.hits(V_MF)).toBe(0);
    expect(r.cpu.halted).toBe(true);
    expect(r.cpu.eip).toBe(FNOP_AT);
    expect(r.hits(0x75)).toBe(0);
    // The handler here only counts (no FNCLEX, no port F0h): FNOP freezes again after it.
    r.cpu.writeFlags(IF, IF);
    r.cpu.run(20); // wakes for the interrupt, runs the handler, returns to the FNOP
    expect(r.hits(0x75)).toBe(1);
    expect(r.cpu.halted).toBe(true);
    expect(r.cpu.eip).toBe(FNOP_AT);
    // Port F0h (in the handler, or here) asserts IGNNE#: the waiting instruction proceeds.
    r.f.setIgnne(true);
    r.run(20);
    expect(r.cpu.eip).toBe(FNOP_AT + 3); // FNOP and the HLT after it ran
    expect(r.sw() & SW_ES).toBe(SW_ES); // still pending: IGNNE# only lets instructions through
  });

  it("FNCLEX deasserts FERR# and with it IGNNE#; IGNNE# cannot be set while FERR# is inactive", () => {
    const { r, levels } = dosRig();
    r.f.setIgnne(true);
    expect(r.f.ignneActive).toBe(false);
    r.exec(ZDIV.slice(0, 20) + "dbe2"); // ... fdivp st1, st0; fnclex
    expect(levels).toEqual([true, false]);
    expect(r.f.ferrActive).toBe(false);
    expect(r.sw() & SW_ES).toBe(0);
  });
});

describe("device not available (#NM)", () => {
  function run(cr0bits: number, code: string): Rig {
    const r = new Rig();
    r.cpu.cr[0] |= cr0bits;
    r.load(code);
    r.run(3);
    return r;
  }
  it("CR0.EM: every escape raises #NM, WAIT does not", () => {
    expect(run(CR0_EM, "d9e8").hits(V_NM)).toBe(1);
    expect(run(CR0_EM, "dd 06 00 30").hits(V_NM)).toBe(1);
    expect(run(CR0_EM, "dbe3").hits(V_NM)).toBe(1); // even FNINIT
    expect(run(CR0_EM | CR0_MP, "9b").hits(V_NM)).toBe(0);
  });
  it("CR0.TS: escapes raise #NM; WAIT only when CR0.MP is set too", () => {
    expect(run(CR0_TS, "d9e8").hits(V_NM)).toBe(1);
    expect(run(CR0_TS, "9b").hits(V_NM)).toBe(0);
    expect(run(CR0_TS | CR0_MP, "9b").hits(V_NM)).toBe(1);
    expect(run(CR0_MP, "9b d9e8").hits(V_NM)).toBe(0);
  });
  it("#NM leaves the FPU untouched", () => {
    const r = run(CR0_TS, "d9e8");
    expect(r.f.top).toBe(0);
    expect(r.f.fip).toBe(0);
  });
});
