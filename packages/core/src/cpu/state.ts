// The architectural state of the CPU: register file, segment registers with their hidden
// descriptor caches, control registers, and EFLAGS with lazily computed status flags.
//
// Lazy flags: arithmetic does not compute CF/PF/AF/ZF/SF/OF. It records the operation kind,
// operand size, both operands and the result in `lf`; the flags are derived only when
// something reads them (Jcc, PUSHF, ADC, ...). `lazy` is the mask of status flags that must be
// derived from `lf`; the other bits of EFLAGS are held in `flags`.
//
// All of it lives in the state block of the VM memory (memory/layout.ts), seen here through
// typed-array views, so compiled WebAssembly code reads and writes the same bytes.

import {
  STATE_CR,
  STATE_DR,
  STATE_DT,
  STATE_LF,
  STATE_REGS,
  STATE_SEG_ATTR,
  STATE_SEG_BASE,
  STATE_SEG_LIMIT,
  STATE_SEG_LIMR,
  STATE_SEG_LIMW,
  STATE_SREG,
} from "../memory/layout.ts";
import { AF, CF, CS, FLAGS_FIXED1, OF, PF, SF, SZ16, SZ32, SZ8, STATUS_FLAGS, ZF } from "./regs.ts";

/** Lazy-flag operation kinds. */
export const LF_ADD = 0,
  LF_ADC = 1,
  LF_SUB = 2,
  LF_SBB = 3,
  LF_LOGIC = 4;
export const LF_INC = 5,
  LF_DEC = 6,
  LF_NEG = 7;
/** Indices into `lf`. */
export const LF_A = 0,
  LF_B = 1,
  LF_RES = 2,
  LF_KIND = 3,
  LF_SZ = 4;

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let p = 1;
  for (let b = i; b; b >>= 1) p ^= b & 1;
  PARITY[i] = p;
}

export class CpuState {
  /** The VM memory buffer whose state block (memory/layout.ts) holds these registers. */
  readonly stateBuf: ArrayBuffer | SharedArrayBuffer;
  /** GPRs EAX..EDI; index 9 holds the EIP of the current instruction's first byte. */
  readonly r32: Int32Array;
  readonly r16: Uint16Array;
  readonly r8: Uint8Array;

  /** Segment selectors (ES CS SS DS FS GS) and their hidden caches. */
  readonly sreg: Uint16Array;
  readonly segBase: Int32Array;
  /** Raw limit in bytes minus one (scaled by granularity). */
  readonly segLimit: Int32Array;
  /** Descriptor attributes: access byte in bits 0-7, flags nibble (AVL L D/B G) in bits 12-15. */
  readonly segAttr: Int32Array;
  /**
   * Fast-path bounds: an access of len bytes at offset off is allowed without further checks
   * when off + len <= segLimR/segLimW. Zero sends every access to the full check (expand-down,
   * unusable or read-only segments), which either allows it or raises the right fault.
   */
  readonly segLimR: Float64Array;
  readonly segLimW: Float64Array;

  /** CR0..CR7 (CR1, CR5-7 unused), debug registers DR0..DR7. */
  readonly cr: Int32Array;
  readonly dr: Int32Array;
  /** Descriptor-table registers: GDTR, IDTR as base/limit; LDTR and TR with selector caches. */
  readonly dt: Int32Array;

  /** The lazy-flag record (indices LF_A..LF_SZ). */
  readonly lf: Int32Array;

  constructor(buf: ArrayBuffer | SharedArrayBuffer) {
    this.stateBuf = buf;
    this.r32 = new Int32Array(buf, STATE_REGS, 16);
    this.r16 = new Uint16Array(buf, STATE_REGS, 32);
    this.r8 = new Uint8Array(buf, STATE_REGS, 64);
    this.sreg = new Uint16Array(buf, STATE_SREG, 8);
    this.segBase = new Int32Array(buf, STATE_SEG_BASE, 8);
    this.segLimit = new Int32Array(buf, STATE_SEG_LIMIT, 8);
    this.segAttr = new Int32Array(buf, STATE_SEG_ATTR, 8);
    this.segLimR = new Float64Array(buf, STATE_SEG_LIMR, 8);
    this.segLimW = new Float64Array(buf, STATE_SEG_LIMW, 8);
    this.cr = new Int32Array(buf, STATE_CR, 8);
    this.dr = new Int32Array(buf, STATE_DR, 8);
    this.dt = new Int32Array(buf, STATE_DT, 12);
    this.lf = new Int32Array(buf, STATE_LF, 5);
  }

  /**
   * EFLAGS except the status flags named in `lazy`, the lazy mask, and the current privilege
   * level. Object fields for now: as typed-array slots of the state block (LF_FLAGS, LF_LAZY,
   * LF_CPL) they cost the interpreter about 6% and the JS block JIT about 13% (docs/wasm-jit.md);
   * they move there with the wasm block backend, which needs them in memory.
   */
  flags = FLAGS_FIXED1;
  lazy = 0;
  cpl = 0;

  // ---- register access helpers (used off the hot path; handlers index the views directly)

  /** EIP as software sees it (16-bit code wraps IP at 64 KiB). */
  get eip(): number {
    return this.code16() ? this.getEip() & 0xffff : this.getEip() >>> 0;
  }
  set eip(v: number) {
    this.setEip(v);
  }
  /** Overridden by the access layer, which keeps EIP as a physical fetch pointer. */
  code16(): boolean {
    return true;
  }
  getEip(): number {
    return 0;
  }
  setEip(_v: number): void {}
  reg8(r: number): number {
    return this.r8[((r & 3) << 2) | ((r >> 2) & 1)];
  }
  setReg8(r: number, v: number): void {
    this.r8[((r & 3) << 2) | ((r >> 2) & 1)] = v;
  }
  reg16(r: number): number {
    return this.r16[r << 1];
  }
  setReg16(r: number, v: number): void {
    this.r16[r << 1] = v;
  }
  get cs(): number {
    return this.sreg[CS];
  }

  // ---- lazy flags

  /** Records an arithmetic result; all six status flags become lazy. */
  setLazy(kind: number, sz: number, a: number, b: number, res: number): void {
    const lf = this.lf;
    lf[LF_A] = a;
    lf[LF_B] = b;
    lf[LF_RES] = res;
    lf[LF_KIND] = kind;
    lf[LF_SZ] = sz;
    this.lazy = STATUS_FLAGS;
  }

  /** Records a result whose status flags other than CF are lazy (INC, DEC keep CF). */
  setLazyKeepCF(kind: number, sz: number, a: number, res: number): void {
    if (this.lazy & CF) this.flags = (this.flags & ~CF) | this.lazyCF();
    const lf = this.lf;
    lf[LF_A] = a;
    lf[LF_B] = 1;
    lf[LF_RES] = res;
    lf[LF_KIND] = kind;
    lf[LF_SZ] = sz;
    this.lazy = STATUS_FLAGS & ~CF;
  }

  /** Result of a logical operation: CF=OF=0, AF=0, ZF/SF/PF from the result. */
  setLogic(sz: number, res: number): void {
    const lf = this.lf;
    lf[LF_RES] = res;
    lf[LF_KIND] = LF_LOGIC;
    lf[LF_SZ] = sz;
    this.lazy = STATUS_FLAGS;
  }

  /**
   * Result whose CF, OF (and AF) were set explicitly in `flags`: only ZF, SF, PF derive from
   * the result (shifts, multiplies set CF/OF themselves).
   */
  setResultSZP(sz: number, res: number): void {
    const lf = this.lf;
    lf[LF_RES] = res;
    lf[LF_KIND] = LF_LOGIC;
    lf[LF_SZ] = sz;
    this.lazy = ZF | SF | PF;
  }

  private lazyCF(): number {
    const lf = this.lf;
    const a = lf[LF_A],
      b = lf[LF_B],
      res = lf[LF_RES];
    switch (lf[LF_KIND]) {
      case LF_ADD:
        return res >>> 0 < a >>> 0 ? 1 : 0;
      case LF_ADC:
        return res >>> 0 <= a >>> 0 ? 1 : 0;
      case LF_SUB:
        return a >>> 0 < b >>> 0 ? 1 : 0;
      case LF_SBB:
        return a >>> 0 <= b >>> 0 ? 1 : 0;
      case LF_NEG:
        return res !== 0 ? 1 : 0;
      default:
        return 0;
    }
  }

  private lazyOF(): number {
    const lf = this.lf;
    const a = lf[LF_A],
      b = lf[LF_B],
      res = lf[LF_RES];
    const sh = lf[LF_SZ] === SZ8 ? 7 : lf[LF_SZ] === SZ16 ? 15 : 31;
    switch (lf[LF_KIND]) {
      case LF_ADD:
      case LF_ADC:
      case LF_INC:
        return (((a ^ res) & (b ^ res)) >>> sh) & 1;
      case LF_SUB:
      case LF_SBB:
      case LF_DEC:
        return (((a ^ b) & (a ^ res)) >>> sh) & 1;
      case LF_NEG:
        return ((b & res) >>> sh) & 1;
      default:
        return 0;
    }
  }

  private lazyAF(): number {
    const lf = this.lf;
    if (lf[LF_KIND] === LF_LOGIC) return 0;
    return ((lf[LF_A] ^ lf[LF_B] ^ lf[LF_RES]) >> 4) & 1;
  }

  private signBit(): number {
    const lf = this.lf;
    const sz = lf[LF_SZ];
    return (lf[LF_RES] >>> (sz === SZ8 ? 7 : sz === SZ16 ? 15 : 31)) & 1;
  }

  cf(): number {
    return this.lazy & CF ? this.lazyCF() : this.flags & CF;
  }
  zf(): number {
    return this.lazy & ZF ? (this.lf[LF_RES] === 0 ? 1 : 0) : (this.flags >> 6) & 1;
  }
  sf(): number {
    return this.lazy & SF ? this.signBit() : (this.flags >> 7) & 1;
  }
  of(): number {
    return this.lazy & OF ? this.lazyOF() : (this.flags >> 11) & 1;
  }
  pf(): number {
    return this.lazy & PF ? PARITY[this.lf[LF_RES] & 0xff] : (this.flags >> 2) & 1;
  }
  af(): number {
    return this.lazy & AF ? this.lazyAF() : (this.flags >> 4) & 1;
  }

  /** Evaluates condition code cc (0..15, the low nibble of Jcc/SETcc/CMOVcc). */
  cond(cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0:
        r = this.of() !== 0;
        break;
      case 1:
        r = this.cf() !== 0;
        break;
      case 2:
        r = this.zf() !== 0;
        break;
      case 3:
        r = (this.cf() | this.zf()) !== 0;
        break;
      case 4:
        r = this.sf() !== 0;
        break;
      case 5:
        r = this.pf() !== 0;
        break;
      case 6:
        r = this.sf() !== this.of();
        break;
      default:
        r = this.zf() !== 0 || this.sf() !== this.of();
        break;
    }
    return (cc & 1) !== 0 ? !r : r;
  }

  /** The whole EFLAGS register with the lazy status flags evaluated. */
  getFlags(): number {
    const l = this.lazy;
    if (l === 0) return this.flags;
    let f = this.flags & ~l;
    if (l & CF) f |= this.lazyCF();
    if (l & PF) f |= PARITY[this.lf[LF_RES] & 0xff] << 2;
    if (l & AF) f |= this.lazyAF() << 4;
    if (l & ZF) f |= (this.lf[LF_RES] === 0 ? 1 : 0) << 6;
    if (l & SF) f |= this.signBit() << 7;
    if (l & OF) f |= this.lazyOF() << 11;
    return f;
  }

  /** Makes every status flag concrete in `flags` (before changing some of them by hand). */
  materialize(): void {
    if (this.lazy !== 0) {
      this.flags = this.getFlags();
      this.lazy = 0;
    }
  }

  /** Sets or clears status or control flag bits, keeping the others (lazy ones included) as they are. */
  setFlag(bit: number, on: boolean | number): void {
    this.lazy &= ~bit;
    if (on) this.flags |= bit;
    else this.flags &= ~bit;
  }

  /** Sets CF and OF explicitly (shifts, rotates, multiplies); other lazy flags stay lazy. */
  setCfOf(cf: number, of: number): void {
    this.lazy &= ~(CF | OF);
    this.flags = (this.flags & ~(CF | OF)) | (cf & 1) | ((of & 1) << 11);
  }
}

export { PARITY, SZ32 };
