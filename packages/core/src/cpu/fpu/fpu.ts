// The x87 floating-point unit of a P6-class processor (SDM Vol. 1 chapter 8): the register
// stack, status/control/tag words, the instruction and data pointers, exception signalling
// (#MF, or FERR# for the PC's IRQ13 in MS-DOS compatibility mode), and the environment and
// save-area layouts of FSTENV/FLDENV/FSAVE/FRSTOR.
//
// Key design choice: each register holds its exact 80-bit contents (sign and 15-bit exponent,
// and the 64-bit significand as two 32-bit words), whatever they encode: normals, denormals,
// pseudo-denormals, infinities, NaN payloads and the unsupported encodings. Arithmetic works on
// those bits exactly (ext.ts: 64-bit significands, the full exponent range, one rounding per
// instruction under precision and rounding control, PE/UE/OE/C1 as the chip sets them, and the
// exponent-wrapped results of unmasked overflow and underflow), so results agree bit for bit
// with the hardware. The transcendental instructions are the exception: they are computed in
// double-double precision and rounded once, which reproduces the chip's results except where
// its own approximation (documented as less than one unit in the last place) rounds the other
// way (transcendental.ts).

import type { Cpu } from "../cpu.ts";
import { CR0_NE, CR0_PE, CS, START_EIP, V_MF, VM } from "../regs.ts";
import type { StateRecord, Stateful } from "../../snapshot/state.ts";
import { bits, bool, bytes, defineState, field, int, ints, u16, u32 } from "../../snapshot/define-state.ts";
import { CLS_NORMAL, CLS_ZERO, INDEF_HI, INDEF_LO, INDEF_SE, classify, doubleFromImg, imgFromDouble } from "./f80.ts";

// ---- status word (SDM Vol. 1 §8.1.3)
export const SW_IE = 0x0001,
  SW_DE = 0x0002,
  SW_ZE = 0x0004,
  SW_OE = 0x0008,
  SW_UE = 0x0010;
export const SW_PE = 0x0020,
  SW_SF = 0x0040,
  SW_ES = 0x0080,
  SW_C0 = 0x0100,
  SW_C1 = 0x0200;
export const SW_C2 = 0x0400,
  SW_TOP = 0x3800,
  SW_C3 = 0x4000,
  SW_B = 0x8000;
/** The six exception flags (and, in the control word, their masks). */
export const EXC_MASK = 0x3f;
export const SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;

// ---- control word (SDM Vol. 1 §8.1.5)
export const CW_IM = 0x0001,
  CW_DM = 0x0002,
  CW_ZM = 0x0004,
  CW_OM = 0x0008,
  CW_UM = 0x0010,
  CW_PM = 0x0020;
export const CW_PC = 0x0300,
  CW_RC = 0x0c00,
  CW_X = 0x1000;
/** Precision control values (bits 8-9). 1 is reserved and behaves here as double. */
export const PC_SINGLE = 0,
  PC_DOUBLE = 2,
  PC_EXTENDED = 3;
/** FNINIT's control word: all exceptions masked, 64-bit precision, round to nearest. */
export const CW_INIT = 0x037f;
/** Bits FLDCW can change; bit 6 always reads as 1 (checked on a real P6-class part). */
const CW_WRITABLE = 0x1f3f,
  CW_ONES = 0x0040;

// ---- tags (SDM Vol. 1 §8.1.7)
export const TAG_VALID = 0,
  TAG_ZERO = 1,
  TAG_SPECIAL = 2,
  TAG_EMPTY = 3;

/** Tag of an operand class. */
export function tagOfClass(cls: number): number {
  return cls === CLS_NORMAL ? TAG_VALID : cls === CLS_ZERO ? TAG_ZERO : TAG_SPECIAL;
}

export class Fpu implements Stateful {
  /**
   * The registers R0..R7 (ST(i) is R[(top + i) & 7]) as 80-bit images, three int32 each: se
   * (sign in bit 15, biased exponent in bits 0-14), then the significand's high and low words.
   */
  readonly img = new Int32Array(24);
  /** Tag per physical register. */
  readonly tag = new Uint8Array(8);
  /** TOP: the physical register that is ST(0). */
  top = 0;
  /** Status word except TOP, which `top` holds. */
  sw = 0;
  cw = CW_INIT;
  /** Last non-control instruction: CS:EIP (offset, selector), opcode (11 bits), operand DS:offset. */
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;

  /**
   * FERR# output: follows ES (an unmasked exception is pending), whatever CR0.NE says (SDM
   * Vol. 1 §D.4.2). A PC board routes it to IRQ13 through the latch of §D.2.1.2 (figure D-1)
   * and answers port F0h by calling setIgnne(true). Called only on changes.
   */
  ferrLine: (level: boolean) => void = () => {};
  private ferr = false;
  /** IGNNE# input: while asserted, a pending exception does not stop waiting instructions. */
  private ignne = false;

  /** The last memory operand converted for an instruction (see ops.ts). */
  readonly memImg = new Int32Array(3);
  memDenormal = false;

  constructor(private readonly cpu: Cpu) {
    this.init();
  }

  // ---- reset and FNINIT

  /** FNINIT (SDM Vol. 2, FINIT): registers keep their contents but become empty. */
  init(): void {
    this.cw = CW_INIT;
    this.sw = 0;
    this.top = 0;
    this.tag.fill(TAG_EMPTY);
    this.fip = 0;
    this.fcs = 0;
    this.fop = 0;
    this.fdp = 0;
    this.fds = 0;
    this.updateEs();
  }

  /**
   * Processor reset. The P6 itself comes up with control word 0040h (all exceptions unmasked)
   * and +0 registers (SDM Vol. 3 table 9-1), but every PC BIOS executes FNINIT during POST and
   * the built-in BIOS has no POST: so the state software finds is FNINIT's, registers +0.
   */
  reset(): void {
    this.img.fill(0);
    this.ignne = false;
    this.frozen = false;
    this.init();
  }

  // ---- status, control, exceptions

  /** The status word as FNSTSW stores it. */
  getSw(): number {
    return (this.sw & ~SW_TOP) | (this.top << 11);
  }
  /** Loads the status word (FLDENV/FRSTOR): TOP, flags; ES and B are derived. */
  setSw(v: number): void {
    this.top = (v >> 11) & 7;
    this.sw = v & 0xffff & ~SW_TOP;
    this.updateEs();
  }
  setCw(v: number): void {
    this.cw = (v & CW_WRITABLE) | CW_ONES;
    this.updateEs();
  }
  get pc(): number {
    return (this.cw >> 8) & 3;
  }
  get rc(): number {
    return (this.cw >> 10) & 3;
  }

  /**
   * ES (and B, its 8087-compatible copy) is set exactly when an exception flag is set whose
   * mask is clear, so FLDCW unmasking a raised flag makes it pending (SDM Vol. 1 §8.1.3.2).
   */
  updateEs(): void {
    const pending = (this.sw & ~this.cw & EXC_MASK) !== 0;
    if (pending) this.sw |= SW_ES | SW_B;
    else this.sw &= ~(SW_ES | SW_B);
    if (pending !== this.ferr) {
      this.ferr = pending;
      if (!pending) this.ignne = false; // the figure D-1 latch is cleared by FERR# going inactive
      this.ferrLine(pending);
    }
  }

  /**
   * Raises exception flags. Returns true when one of them is unmasked: the caller then leaves
   * its destination alone if the exception is one detected before computing (I, D, Z).
   */
  raise(bits: number): boolean {
    this.sw |= bits;
    if ((bits & ~this.cw & EXC_MASK) === 0) return false;
    this.updateEs();
    return true;
  }

  /** Sets C1 (round-up, stack overflow) to on. */
  setC1(on: boolean): void {
    if (on) this.sw |= SW_C1;
    else this.sw &= ~SW_C1;
  }
  /** Sets C3, C2, C0 from a 3-bit code (bit 2 = C3, bit 1 = C2, bit 0 = C0). */
  setC320(code: number): void {
    this.sw = (this.sw & ~(SW_C3 | SW_C2 | SW_C0)) | ((code & 4) << 12) | ((code & 2) << 9) | ((code & 1) << 8);
  }

  /** Stack underflow: IE and SF with C1 = 0. True when masked (the masked response applies). */
  stackUnderflow(): boolean {
    this.sw &= ~SW_C1;
    return !this.raise(SW_IE | SW_SF);
  }
  /** Stack overflow: IE and SF with C1 = 1. True when masked. */
  stackOverflow(): boolean {
    this.sw |= SW_C1;
    return !this.raise(SW_IE | SW_SF);
  }
  /** Invalid arithmetic operand. True when masked. */
  invalid(): boolean {
    return !this.raise(SW_IE);
  }

  /**
   * Before a waiting instruction while ES is set (SDM Vol. 1 §8.6, appendix D): with CR0.NE
   * raises #MF; otherwise, unless IGNNE# is asserted, the processor freezes on the instruction
   * until an interrupt (IRQ13 from FERR#) arrives. The freeze is a HLT whose return address is
   * the instruction itself, so after the handler's IRET it runs again. Returns true when the
   * instruction must not execute now.
   */
  waitPending(): boolean {
    const c = this.cpu;
    if (c.cr[0] & CR0_NE) c.fault(V_MF);
    if (this.ignne) return false;
    c.setEip(c.r32[START_EIP]);
    c.halt();
    this.frozen = true;
    return true;
  }
  /** The CPU is halted in the freeze of waitPending (not in a HLT of the program's). */
  private frozen = false;

  /**
   * IGNNE# from the board: the latch sets it on a write to port F0h only while FERR# is
   * active. Asserting it ends a freeze: the waiting instruction then runs.
   */
  setIgnne(level: boolean): void {
    this.ignne = level && this.ferr;
    const c = this.cpu;
    if (this.ignne && this.frozen && c.halted && c.getEip() === c.r32[START_EIP]) c.halted = false;
    this.frozen = false;
  }
  get ferrActive(): boolean {
    return this.ferr;
  }
  get ignneActive(): boolean {
    return this.ignne;
  }

  // ---- pointers

  /** Records the instruction pointer and opcode of a non-control instruction. */
  notePointers(esc: number, modrm: number): void {
    const c = this.cpu;
    this.fip = c.r32[START_EIP];
    this.fcs = c.sreg[CS];
    this.fop = (esc << 8) | modrm;
  }
  /** Records the data pointer of a memory operand at linear address lin. */
  noteData(lin: number): void {
    const c = this.cpu;
    this.fdp = (lin - c.segBase[c.eaSeg]) | 0;
    this.fds = c.sreg[c.eaSeg];
  }

  // ---- registers

  /** Physical register of ST(i). */
  st(i: number): number {
    return (this.top + i) & 7;
  }
  isEmpty(p: number): boolean {
    return this.tag[p] === TAG_EMPTY;
  }

  /** Stores an 80-bit image; the tag follows from its class. */
  setImg(p: number, se: number, mhi: number, mlo: number): void {
    const i = p * 3;
    this.img[i] = se & 0xffff;
    this.img[i + 1] = mhi;
    this.img[i + 2] = mlo;
    this.tag[p] = tagOfClass(classify(se, mhi, mlo));
  }
  setIndefinite(p: number): void {
    this.setImg(p, INDEF_SE, INDEF_HI, INDEF_LO);
  }
  /** Stores the exact value of a double (not a NaN). */
  setDouble(p: number, v: number): void {
    imgFromDouble(v, this.scratch, 0);
    this.setImg(p, this.scratch[0], this.scratch[1], this.scratch[2]);
  }
  /** Register p's value rounded to the nearest double (NaN for NaNs and unsupported encodings). */
  value(p: number): number {
    const i = p * 3;
    return doubleFromImg(this.img[i], this.img[i + 1], this.img[i + 2]);
  }

  /** Copies register src to register dst. */
  copy(dst: number, src: number): void {
    this.tag[dst] = this.tag[src];
    const d = dst * 3,
      s = src * 3;
    this.img[d] = this.img[s];
    this.img[d + 1] = this.img[s + 1];
    this.img[d + 2] = this.img[s + 2];
  }

  /** The image of register p into out[o..o+2]. */
  imgOf(p: number, out: Int32Array, o: number): void {
    const i = p * 3;
    out[o] = this.img[i];
    out[o + 1] = this.img[i + 1];
    out[o + 2] = this.img[i + 2];
  }

  /** True when register p holds a denormal or pseudo-denormal. */
  isDenormal(p: number): boolean {
    const i = p * 3;
    return (this.img[i] & 0x7fff) === 0 && (this.img[i + 1] | this.img[i + 2]) !== 0;
  }

  /** Class of register p's contents (ignoring its tag). */
  classOf(p: number): number {
    const i = p * 3;
    return classify(this.img[i], this.img[i + 1], this.img[i + 2]);
  }

  /** Decrements TOP (the caller has checked for overflow and fills the new ST(0)). */
  push(): number {
    this.top = (this.top - 1) & 7;
    return this.top;
  }
  /** Marks ST(0) empty and increments TOP. */
  pop(): void {
    this.tag[this.top] = TAG_EMPTY;
    this.top = (this.top + 1) & 7;
  }

  /** Tag word as FSTENV stores it (two bits per physical register, R0 in bits 0-1). */
  tagWord(): number {
    let tw = 0;
    for (let p = 7; p >= 0; p--) tw = (tw << 2) | this.tag[p];
    return tw;
  }
  /** Loads a tag word: only "empty" is taken from it; other tags follow the contents (SDM FLDENV). */
  setTagWord(tw: number): void {
    for (let p = 0; p < 8; p++) {
      this.tag[p] = ((tw >> (p * 2)) & 3) === TAG_EMPTY ? TAG_EMPTY : tagOfClass(this.classOf(p));
    }
  }

  // ---- environment (SDM Vol. 1 §8.1.10, figures 8-9 to 8-12)

  /** True when the protected-mode layout applies (PE=1 and not virtual-8086 mode). */
  private protectedLayout(): boolean {
    const c = this.cpu;
    return (c.cr[0] & CR0_PE) !== 0 && (c.flags & VM) === 0;
  }

  /** FNSTENV/FNSAVE: writes the 14- or 28-byte environment at linear address lin. */
  storeEnv(lin: number, size32: boolean): void {
    const c = this.cpu;
    const cw = this.cw,
      sw = this.getSw(),
      tw = this.tagWord();
    if (this.protectedLayout()) {
      if (size32) {
        c.wr32(lin, cw | 0xffff0000);
        c.wr32(lin + 4, sw | 0xffff0000);
        c.wr32(lin + 8, tw | 0xffff0000);
        c.wr32(lin + 12, this.fip);
        c.wr32(lin + 16, (this.fcs & 0xffff) | ((this.fop & 0x7ff) << 16));
        c.wr32(lin + 20, this.fdp);
        c.wr32(lin + 24, (this.fds & 0xffff) | 0xffff0000);
      } else {
        c.wr16(lin, cw);
        c.wr16(lin + 2, sw);
        c.wr16(lin + 4, tw);
        c.wr16(lin + 6, this.fip);
        c.wr16(lin + 8, this.fcs);
        c.wr16(lin + 10, this.fdp);
        c.wr16(lin + 12, this.fds);
      }
    } else {
      // Real and virtual-8086 mode: the pointers are linear addresses (selector * 16 + offset).
      const ip = (this.fcs * 16 + this.fip) | 0,
        dp = (this.fds * 16 + this.fdp) | 0;
      if (size32) {
        c.wr32(lin, cw | 0xffff0000);
        c.wr32(lin + 4, sw | 0xffff0000);
        c.wr32(lin + 8, tw | 0xffff0000);
        c.wr32(lin + 12, (ip & 0xffff) | 0xffff0000);
        c.wr32(lin + 16, ((ip >>> 16) << 12) | (this.fop & 0x7ff));
        c.wr32(lin + 20, (dp & 0xffff) | 0xffff0000);
        c.wr32(lin + 24, (dp >>> 16) << 12);
      } else {
        c.wr16(lin, cw);
        c.wr16(lin + 2, sw);
        c.wr16(lin + 4, tw);
        c.wr16(lin + 6, ip);
        c.wr16(lin + 8, (((ip >>> 16) & 0xf) << 12) | (this.fop & 0x7ff));
        c.wr16(lin + 10, dp);
        c.wr16(lin + 12, ((dp >>> 16) & 0xf) << 12);
      }
    }
  }

  /** Environment fields read by readEnv: cw, sw, tw, fip, fcs, fop, fdp, fds. */
  private readonly env = new Int32Array(8);

  /** Reads the environment at lin into `env` without changing anything. */
  private readEnv(lin: number, size32: boolean): void {
    const c = this.cpu,
      e = this.env;
    if (size32) {
      e[0] = c.rd16(lin);
      e[1] = c.rd16(lin + 4);
      e[2] = c.rd16(lin + 8);
      const w12 = c.rd32(lin + 12),
        w16 = c.rd32(lin + 16),
        w20 = c.rd32(lin + 20),
        w24 = c.rd32(lin + 24);
      if (this.protectedLayout()) {
        e[3] = w12;
        e[4] = w16 & 0xffff;
        e[5] = (w16 >>> 16) & 0x7ff;
        e[6] = w20;
        e[7] = w24 & 0xffff;
      } else {
        e[3] = (w12 & 0xffff) | (((w16 >>> 12) & 0xffff) << 16);
        e[4] = 0;
        e[5] = w16 & 0x7ff;
        e[6] = (w20 & 0xffff) | (((w24 >>> 12) & 0xffff) << 16);
        e[7] = 0;
      }
    } else {
      e[0] = c.rd16(lin);
      e[1] = c.rd16(lin + 2);
      e[2] = c.rd16(lin + 4);
      const ip = c.rd16(lin + 6),
        w8 = c.rd16(lin + 8),
        dp = c.rd16(lin + 10),
        w12 = c.rd16(lin + 12);
      if (this.protectedLayout()) {
        // The 16-bit protected-mode layout has no opcode field: the last opcode stays.
        e[3] = ip;
        e[4] = w8;
        e[5] = this.fop;
        e[6] = dp;
        e[7] = w12;
      } else {
        e[3] = ip | ((w8 >>> 12) << 16);
        e[4] = 0;
        e[5] = w8 & 0x7ff;
        e[6] = dp | ((w12 >>> 12) << 16);
        e[7] = 0;
      }
    }
  }

  /** Installs the environment in `env` (the registers already hold their new contents). */
  private applyEnv(): void {
    const e = this.env;
    this.fip = e[3];
    this.fcs = e[4] & 0xffff;
    this.fop = e[5] & 0x7ff;
    this.fdp = e[6];
    this.fds = e[7] & 0xffff;
    this.cw = (e[0] & CW_WRITABLE) | CW_ONES;
    this.top = (e[1] >> 11) & 7;
    this.setTagWord(e[2]);
    this.setSw(e[1]);
  }

  /** FLDENV. */
  loadEnv(lin: number, size32: boolean): void {
    this.readEnv(lin, size32);
    this.applyEnv();
  }

  /** Size in bytes of the environment for the operand size. */
  static envSize(size32: boolean): number {
    return size32 ? 28 : 14;
  }

  /** FNSAVE: environment, then ST(0)..ST(7) as 80-bit reals; then FNINIT. */
  save(lin: number, size32: boolean): void {
    const c = this.cpu;
    const base = lin + Fpu.envSize(size32);
    const im = this.scratch;
    for (let i = 0; i < 8; i++) {
      this.imgOf(this.st(i), im, 0);
      const a = base + i * 10;
      c.wr32(a, im[2]);
      c.wr32(a + 4, im[1]);
      c.wr16(a + 8, im[0]);
    }
    this.storeEnv(lin, size32);
    this.init();
  }

  /** FRSTOR: reads everything first, then installs the registers and the environment. */
  restore(lin: number, size32: boolean): void {
    const c = this.cpu;
    const base = lin + Fpu.envSize(size32);
    const regs = this.restoreScratch;
    for (let i = 0; i < 8; i++) {
      const a = base + i * 10;
      regs[i * 3 + 2] = c.rd32(a);
      regs[i * 3 + 1] = c.rd32(a + 4);
      regs[i * 3] = c.rd16(a + 8);
    }
    this.readEnv(lin, size32);
    const newTop = (this.env[1] >> 11) & 7;
    for (let i = 0; i < 8; i++) this.setImg((newTop + i) & 7, regs[i * 3], regs[i * 3 + 1], regs[i * 3 + 2]);
    this.applyEnv();
  }
  private readonly scratch = new Int32Array(3);
  private readonly restoreScratch = new Int32Array(24);

  // ---- snapshot

  /** The registers R0..R7 as saved: ten bytes each, significand low byte first, then sign and exponent. */
  private savedRegisters(): Uint8Array {
    const regs = new Uint8Array(80);
    const im = this.scratch;
    for (let p = 0; p < 8; p++) {
      this.imgOf(p, im, 0);
      const o = p * 10;
      for (let k = 0; k < 4; k++) {
        regs[o + k] = (im[2] >>> (8 * k)) & 0xff;
        regs[o + 4 + k] = (im[1] >>> (8 * k)) & 0xff;
      }
      regs[o + 8] = im[0] & 0xff;
      regs[o + 9] = (im[0] >>> 8) & 0xff;
    }
    return regs;
  }

  /**
   * The registers, tags and status word are saved in their architectural form and installed
   * by postLoad; the FERR# level follows from the loaded flags.
   */
  static readonly STATE = defineState<Fpu>()({
    name: "x87",
    version: 1,
    minVersion: 1,
    fields: {
      cw: bits(CW_WRITABLE | CW_ONES),
      sw: field(u16, { get: (f) => f.getSw() }),
      tags: field(ints(8, 0, 3), { get: (f) => Array.from(f.tag) }),
      regs: field(bytes(80), { get: (f) => f.savedRegisters() }),
      fip: field(u32, { get: (f) => f.fip >>> 0, set: (f, v) => (f.fip = v | 0) }),
      fcs: u16,
      fop: int(0, 0x7ff),
      fdp: field(u32, { get: (f) => f.fdp >>> 0, set: (f, v) => (f.fdp = v | 0) }),
      fds: u16,
      ignne: field(bool, { get: (f) => f.ignne }),
    },
    check(v, fail) {
      if ((v.cw & CW_ONES) === 0) fail(`control word ${v.cw.toString(16)} has reserved bits wrong`);
      // Only "empty" is state of its own; any other tag follows the register's contents.
      for (let p = 0; p < 8; p++) {
        if (v.tags[p] === TAG_EMPTY) continue;
        const [se, hi, lo] = registerImage(v.regs, p);
        if (v.tags[p] !== tagOfClass(classify(se, hi, lo)))
          fail(
            `field 'tags' holds ${v.tags[p]} for R${p}, whose contents are tagged ${tagOfClass(classify(se, hi, lo))}`,
          );
      }
    },
    postLoad(f, v) {
      for (let p = 0; p < 8; p++) f.setImg(p, ...registerImage(v.regs, p));
      let tw = 0;
      for (let p = 7; p >= 0; p--) tw = (tw << 2) | v.tags[p];
      f.top = (v.sw >> 11) & 7;
      f.setTagWord(tw);
      // The FERR# level is derived from the restored flags without signalling the board, whose
      // own state (the IRQ13 latch) is restored separately.
      f.sw = v.sw & ~SW_TOP;
      const pending = (f.sw & ~f.cw & EXC_MASK) !== 0;
      if (pending) f.sw |= SW_ES | SW_B;
      else f.sw &= ~(SW_ES | SW_B);
      f.ferr = pending;
      f.ignne = v.ignne && pending;
    },
  });
  readonly stateDefinition = Fpu.STATE;
  readonly stateName = Fpu.STATE.name;
  readonly stateVersion = Fpu.STATE.version;
  readonly stateMinVersion = Fpu.STATE.minVersion;

  saveState(): StateRecord {
    return Fpu.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Fpu.STATE.load(this, fields, version);
  }
}

/** Register R`p` of a saved block: sign and exponent, significand high and low words. */
function registerImage(regs: Uint8Array, p: number): [number, number, number] {
  const o = p * 10;
  const lo = regs[o] | (regs[o + 1] << 8) | (regs[o + 2] << 16) | (regs[o + 3] << 24);
  const hi = regs[o + 4] | (regs[o + 5] << 8) | (regs[o + 6] << 16) | (regs[o + 7] << 24);
  return [regs[o + 8] | (regs[o + 9] << 8), hi, lo];
}
