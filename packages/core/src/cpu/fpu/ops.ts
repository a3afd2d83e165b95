// Decoding and execution of the x87 escapes D8-DF and of WAIT (SDM Vol. 2 appendix A.5,
// tables, and each instruction's page).
//
// Key design choice: the opcode table sends all eight escapes to one handler name (`esc`),
// resolved here per escape byte. That handler checks CR0.EM/TS (#NM), undefined encodings
// (#UD), pending unmasked exceptions (for the waiting instructions), records the instruction
// pointer and opcode, and calls one small function from a 512-entry table for register forms
// (escape * 64 + ModRM & 3Fh) or a 64-entry table for memory forms (escape * 8 + reg). The
// reserved register encodings raise #UD, as measured on hardware; the memory forms of FISTTP
// (an SSE3 instruction) are #UD on this P6-class CPU.

import type { Cpu } from "../cpu.ts";
import { AF, CF, CR0_EM, CR0_MP, CR0_TS, OF, PF, SF, V_NM, V_UD, ZF } from "../regs.ts";
import { perOpcode, type Handler, type HandlerMap } from "../ops/operands.ts";
import {
  CMP_NOCC,
  CMP_NOPOP,
  CMP_UN,
  OP_ADD,
  OP_DIV,
  OP_DIVR,
  OP_MUL,
  OP_SUB,
  OP_SUBR,
  arith,
  compare,
  fsqrt,
} from "./arith.ts";
import {
  CLS_DENORMAL,
  CLS_INF,
  CLS_NORMAL,
  CLS_QNAN,
  CLS_SNAN,
  CLS_UNSUPPORTED,
  CLS_ZERO,
  F80_BIAS,
  INDEF_HI,
  INDEF_LO,
  INDEF_SE,
  J_BIT,
  QUIET_BIT,
  REM_HALF,
  REM_HIGH,
  REM_LOW,
  REM_ZERO,
  SHR,
  bcdToU64,
  classify,
  f32BitsOfNaN,
  f64BitsOfNaN,
  imgFromF32Bits,
  imgFromF64Bits,
  imgFromU64,
  roundsAway,
  shr,
  u64ToBcd,
} from "./f80.ts";
import {
  Fpu,
  SW_B,
  SW_C1,
  SW_DE,
  SW_ES,
  SW_IE,
  SW_PE,
  SW_SF,
  TAG_EMPTY,
  TAG_VALID,
  EXC_MASK,
  tagOfClass,
} from "./fpu.ts";
import {
  FMT_DOUBLE,
  FMT_SINGLE,
  MEMBITS,
  RC_DOWN,
  RC_NEAREST,
  RC_UP,
  TWO31,
  TWO32,
  passA,
  roundToMem,
  unpack,
} from "./ext.ts";
import { fprem, frndint, fscale, fxtract } from "./rem-scale.ts";
import { f2xm1, fpatan, fptanSincos, fsinCos, fyl2x } from "./transcendental.ts";

type FpuOp = (c: Cpu, f: Fpu, m: number) => void;

/** Per-encoding attributes. */
const F_UD = 1,
  F_NOWAIT = 2,
  F_CONTROL = 4;

const REG_OPS: FpuOp[] = new Array<FpuOp>(512);
const REG_FLAGS = new Uint8Array(512);
const MEM_OPS: FpuOp[] = new Array<FpuOp>(64);
const MEM_FLAGS = new Uint8Array(64);

const scratch = new Int32Array(3);
const bits2 = new Int32Array(2);
const bcd = new Uint8Array(10);

// ---- the escape handler

function escHandler(esc: number): Handler {
  return (c: Cpu) => {
    const m = c.fetch8();
    if (c.cr[0] & (CR0_EM | CR0_TS)) c.fault(V_NM);
    const f = c.fpu;
    if (m >= 0xc0) {
      const i = (esc << 6) | (m & 0x3f);
      const fl = REG_FLAGS[i];
      if (fl !== 0) {
        if (fl & F_UD) c.fault(V_UD);
        if ((f.sw & SW_ES) !== 0 && (fl & F_NOWAIT) === 0 && f.waitPending()) return;
        if ((fl & F_CONTROL) === 0) f.notePointers(esc, m);
      } else {
        if ((f.sw & SW_ES) !== 0 && f.waitPending()) return;
        f.notePointers(esc, m);
      }
      REG_OPS[i](c, f, m);
    } else {
      const i = (esc << 3) | ((m >> 3) & 7);
      const fl = MEM_FLAGS[i];
      if (fl & F_UD) c.fault(V_UD);
      if ((f.sw & SW_ES) !== 0 && (fl & F_NOWAIT) === 0 && f.waitPending()) return;
      if ((fl & F_CONTROL) === 0) f.notePointers(esc, m);
      MEM_OPS[i](c, f, m);
    }
  };
}

/** WAIT/FWAIT: #NM when CR0.TS and CR0.MP are both set; then any pending exception is taken. */
const wait: Handler = (c) => {
  if ((c.cr[0] & (CR0_TS | CR0_MP)) === (CR0_TS | CR0_MP)) c.fault(V_NM);
  const f = c.fpu;
  if ((f.sw & SW_ES) !== 0) f.waitPending();
};

// ---- memory operands

/** Reads a single real into f.memImg (exact), noting whether it is denormal. */
function readReal32(c: Cpu, f: Fpu, lin: number): void {
  const b = c.rd32(lin);
  f.memDenormal = (b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0;
  imgFromF32Bits(b, f.memImg, 0);
}
function readReal64(c: Cpu, f: Fpu, lin: number): void {
  const lo = c.rd32(lin),
    hi = c.rd32((lin + 4) | 0);
  f.memDenormal = (hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0;
  imgFromF64Bits(lo, hi, f.memImg, 0);
}
/** The image of a 32-bit signed integer. */
function imgFromInt(v: number, out: Int32Array): void {
  if (v === 0) {
    out[0] = 0;
    out[1] = 0;
    out[2] = 0;
    return;
  }
  const a = v < 0 ? -v : v,
    n = Math.clz32(a);
  out[0] = (v < 0 ? 0x8000 : 0) | (F80_BIAS + 31 - n);
  out[1] = a << n;
  out[2] = 0;
}
function readInt32(c: Cpu, f: Fpu, lin: number): void {
  f.memDenormal = false;
  imgFromInt(c.rd32(lin) | 0, f.memImg);
}
function readInt16(c: Cpu, f: Fpu, lin: number): void {
  f.memDenormal = false;
  imgFromInt((c.rd16(lin) << 16) >> 16, f.memImg);
}

type Reader = (c: Cpu, f: Fpu, lin: number) => void;
/** Memory operand formats of D8 (m32 real), DA (m32 int), DC (m64 real), DE (m16 int). */
const READERS: readonly Reader[] = [readReal32, readInt32, readReal64, readInt16];
const READ_LEN = [4, 4, 8, 2];

/** FADD..FDIVR and FIADD..FIDIVR with a memory operand: ST(0) = ST(0) op mem. */
function memArith(op: number, kind: number): FpuOp {
  const read = READERS[kind],
    len = READ_LEN[kind];
  return (c, f, m) => {
    const lin = c.eaR(m, len);
    f.noteData(lin);
    read(c, f, lin);
    const p = f.top;
    if (f.tag[p] === TAG_EMPTY) {
      if (f.stackUnderflow()) f.setIndefinite(p);
      return;
    }
    arith(f, op, p, -1);
  };
}

/** FCOM/FCOMP and FICOM/FICOMP with a memory operand. */
function memCompare(pop: boolean, kind: number): FpuOp {
  const read = READERS[kind],
    len = READ_LEN[kind];
  return (c, f, m) => {
    const lin = c.eaR(m, len);
    f.noteData(lin);
    read(c, f, lin);
    const p = f.top;
    const r = f.tag[p] === TAG_EMPTY ? (f.stackUnderflow() ? CMP_UN : CMP_UN | CMP_NOPOP) : compare(f, p, -1, false);
    if ((r & CMP_NOCC) === 0) f.setC320(r);
    if (pop && (r & CMP_NOPOP) === 0) f.pop();
  };
}

// ---- pushing

/**
 * Checks that ST(7) is free before a push. On overflow the masked response pushes the
 * indefinite. Returns true when the caller must stop.
 */
function pushBlocked(f: Fpu): boolean {
  if (f.tag[(f.top - 1) & 7] === TAG_EMPTY) {
    f.setC1(false);
    return false;
  }
  if (f.stackOverflow()) f.setIndefinite(f.push());
  return true;
}

/**
 * FLD of a single or double real from memory (staged in f.memImg): an SNaN is invalid (pushed
 * quiet when masked); a denormal raises DE and is loaded even when DE is unmasked (measured on
 * hardware), normalized as the extended format allows.
 */
function loadReal(f: Fpu): void {
  const m = f.memImg;
  const cls = classify(m[0], m[1], m[2]);
  if (cls === CLS_SNAN) {
    if (f.raise(SW_IE)) return;
    f.setImg(f.push(), m[0], m[1] | QUIET_BIT, m[2]);
    return;
  }
  if (f.memDenormal) f.raise(SW_DE);
  const p = f.push(),
    i = p * 3;
  f.img[i] = m[0];
  f.img[i + 1] = m[1];
  f.img[i + 2] = m[2];
  f.tag[p] = tagOfClass(cls);
}

const fldM32: FpuOp = (c, f, m) => {
  const lin = c.eaR(m, 4);
  f.noteData(lin);
  readReal32(c, f, lin);
  if (pushBlocked(f)) return;
  loadReal(f);
};
const fldM64: FpuOp = (c, f, m) => {
  const lin = c.eaR(m, 8);
  f.noteData(lin);
  readReal64(c, f, lin);
  if (pushBlocked(f)) return;
  loadReal(f);
};
/** FLD m80: loaded as it is, SNaNs and unsupported encodings included, without exceptions. */
const fldM80: FpuOp = (c, f, m) => {
  const lin = c.eaR(m, 10);
  f.noteData(lin);
  const lo = c.rd32(lin),
    hi = c.rd32((lin + 4) | 0),
    se = c.rd16((lin + 8) | 0);
  if (pushBlocked(f)) return;
  f.setImg(f.push(), se, hi, lo);
};
const fildM16: FpuOp = (c, f, m) => {
  const lin = c.eaR(m, 2);
  f.noteData(lin);
  const v = (c.rd16(lin) << 16) >> 16;
  if (pushBlocked(f)) return;
  imgFromInt(v, scratch);
  f.setImg(f.push(), scratch[0], scratch[1], scratch[2]);
};
const fildM32: FpuOp = (c, f, m) => {
  const lin = c.eaR(m, 4);
  f.noteData(lin);
  const v = c.rd32(lin) | 0;
  if (pushBlocked(f)) return;
  imgFromInt(v, scratch);
  f.setImg(f.push(), scratch[0], scratch[1], scratch[2]);
};
/** FILD m64: exact. */
const fildM64: FpuOp = (c, f, m) => {
  const lin = c.eaR(m, 8);
  f.noteData(lin);
  const lo = c.rd32(lin) >>> 0,
    hi = c.rd32((lin + 4) | 0);
  if (pushBlocked(f)) return;
  const p = f.push();
  const neg = hi < 0;
  let mlo = lo,
    mhi = hi >>> 0;
  if (neg) {
    mlo = (~lo + 1) >>> 0;
    mhi = (~hi + (mlo === 0 ? 1 : 0)) >>> 0;
  }
  imgFromU64(neg, mhi, mlo, scratch, 0);
  f.setImg(p, scratch[0], scratch[1], scratch[2]);
};
/** FBLD: 18 packed BCD digits and a sign (invalid digits give an undefined result on the chip). */
const fbld: FpuOp = (c, f, m) => {
  const lin = c.eaR(m, 10);
  f.noteData(lin);
  for (let i = 0; i < 10; i++) bcd[i] = c.rd8((lin + i) | 0);
  if (pushBlocked(f)) return;
  bcdToU64(bcd);
  imgFromU64((bcd[9] & 0x80) !== 0, SHR.qhi, SHR.qlo, scratch, 0);
  f.setImg(f.push(), scratch[0], scratch[1], scratch[2]);
};

// ---- stores

/**
 * Classifies ST(0) for a store: 0 = a number to convert; 1 = stop (unmasked exception);
 * 2 = store the format's indefinite; 3 = store the NaN in `scratch` (quieted).
 */
function storeSpecial(f: Fpu, p: number): number {
  if (f.tag[p] === TAG_EMPTY) return f.stackUnderflow() ? 2 : 1;
  f.imgOf(p, scratch, 0);
  const cls = classify(scratch[0], scratch[1], scratch[2]);
  if (cls < CLS_QNAN) return 0;
  if (cls === CLS_QNAN) return 3;
  if (!f.invalid()) return 1;
  if (cls === CLS_UNSUPPORTED) return 2;
  scratch[1] |= QUIET_BIT;
  return 3;
}

/**
 * Rounds the number in `scratch` (register contents, not a NaN) to a single or double real
 * into MEMBITS. Infinities and zeros convert exactly; anything else is rounded by RC with
 * PE, UE, OE and C1 (ext.ts). False when an unmasked overflow or underflow stops the store.
 */
function convertForStore(f: Fpu, fmt: number): boolean {
  const se = scratch[0],
    cls = classify(se, scratch[1], scratch[2]);
  const sign = (se & 0x8000) << 16;
  if (cls === CLS_INF || cls === CLS_ZERO) {
    const mag = cls === CLS_ZERO ? 0 : fmt === FMT_SINGLE ? 0x7f800000 : 0x7ff00000;
    if (fmt === FMT_SINGLE) MEMBITS[0] = sign | mag;
    else {
      MEMBITS[1] = sign | mag;
      MEMBITS[0] = 0;
    }
    return true;
  }
  unpack(se, scratch[1], scratch[2], 0);
  passA();
  return roundToMem(f, fmt, f.rc);
}

/**
 * The common store: a normal register whose exponent lies in the single's or double's normal
 * range, short of the top exponent (so rounding by RC, which may carry into the exponent,
 * cannot overflow or leave the range). Writes the format's bits into MEMBITS with PE and C1;
 * false for everything else, which convertForStore handles.
 */
function storeFast(f: Fpu, p: number, single: boolean): boolean {
  const i = p * 3,
    se = f.img[i];
  const exp = se & 0x7fff;
  const bias = single ? 127 : 1023;
  if (f.tag[p] !== TAG_VALID || exp < F80_BIAS - bias + 1 || exp >= F80_BIAS + bias) return false;
  let hi = f.img[i + 1] >>> 0,
    lo = f.img[i + 2] >>> 0,
    e = exp - F80_BIAS + bias;
  const neg = (se & 0x8000) !== 0;
  const low = single ? (hi & 0xff) + (lo !== 0 ? 0.5 : 0) : lo & 0x7ff,
    half = single ? 0x80 : 0x400;
  let up = false;
  if (low !== 0) {
    const rc = f.rc;
    const odd = single ? (hi & 0x100) !== 0 : (lo & 0x800) !== 0;
    up = rc === RC_NEAREST ? low > half || (low === half && odd) : rc === RC_DOWN ? neg : rc === RC_UP ? !neg : false;
    if (single) {
      hi -= hi & 0xff;
      if (up) hi += 0x100;
    } else {
      lo -= low;
      if (up) {
        lo += 0x800;
        if (lo >= TWO32) {
          lo -= TWO32;
          hi += 1;
        }
      }
    }
    if (hi >= TWO32) {
      hi = TWO31;
      e += 1;
    }
    f.raise(SW_PE);
  }
  if (up) f.sw |= SW_C1;
  else f.sw &= ~SW_C1;
  const sign = neg ? 0x80000000 : 0;
  if (single) MEMBITS[0] = sign | (e << 23) | ((hi >>> 8) & 0x7fffff);
  else {
    MEMBITS[1] = sign | (e << 20) | ((hi >>> 11) & 0xfffff);
    MEMBITS[0] = (hi << 21) | (lo >>> 11);
  }
  return true;
}

/** FST/FSTP m32. Returns true when the instruction completed (and may pop). */
function storeReal32(c: Cpu, f: Fpu, lin: number): boolean {
  const p = f.top;
  if (storeFast(f, p, true)) {
    c.wr32(lin, MEMBITS[0]);
    return true;
  }
  f.setC1(false);
  const s = storeSpecial(f, p);
  if (s === 1) return false;
  if (s === 2) {
    c.wr32(lin, 0xffc00000 | 0);
    return true;
  }
  if (s === 3) {
    c.wr32(lin, f32BitsOfNaN(scratch[0], scratch[1]));
    return true;
  }
  if (!convertForStore(f, FMT_SINGLE)) return false;
  c.wr32(lin, MEMBITS[0]);
  return true;
}

/** FST/FSTP m64. */
function storeReal64(c: Cpu, f: Fpu, lin: number): boolean {
  const p = f.top;
  if (storeFast(f, p, false)) {
    c.wr32(lin, MEMBITS[0]);
    c.wr32((lin + 4) | 0, MEMBITS[1]);
    return true;
  }
  f.setC1(false);
  const s = storeSpecial(f, p);
  if (s === 1) return false;
  if (s === 2) {
    c.wr32(lin, 0);
    c.wr32((lin + 4) | 0, 0xfff80000 | 0);
    return true;
  }
  if (s === 3) {
    f64BitsOfNaN(scratch[0], scratch[1], scratch[2], bits2);
    c.wr32(lin, bits2[0]);
    c.wr32((lin + 4) | 0, bits2[1]);
    return true;
  }
  if (!convertForStore(f, FMT_DOUBLE)) return false;
  c.wr32(lin, MEMBITS[0]);
  c.wr32((lin + 4) | 0, MEMBITS[1]);
  return true;
}

/** FSTP m80: the exact image; no exceptions besides stack underflow. */
function storeReal80(c: Cpu, f: Fpu, lin: number): boolean {
  const p = f.top;
  f.setC1(false);
  if (f.tag[p] === TAG_EMPTY) {
    if (!f.stackUnderflow()) return false;
    scratch[0] = INDEF_SE;
    scratch[1] = INDEF_HI;
    scratch[2] = INDEF_LO;
  } else f.imgOf(p, scratch, 0);
  c.wr32(lin, scratch[2]);
  c.wr32((lin + 4) | 0, scratch[1]);
  c.wr16((lin + 8) | 0, scratch[0]);
  return true;
}

/** Integer rounding of register p by RC into INT (neg, hi, lo magnitude, inexact, up); false for NaN/infinity. */
const INT = { neg: false, hi: 0, lo: 0, inexact: false, up: false };
function toInteger(f: Fpu, p: number): boolean {
  const i = p * 3,
    se = f.img[i],
    e = (se & 0x7fff) - F80_BIAS;
  if (f.tag[p] === TAG_VALID && e >= -1 && e <= 30) {
    // |x| < 2^31: the integer part is in the high word; the rest decides the rounding.
    const hi = f.img[i + 1] >>> 0,
      lo = f.img[i + 2],
      sh = 31 - e; // 1..32
    const q = sh === 32 ? 0 : hi >>> sh;
    const rem = sh === 32 ? hi : (hi & ((1 << sh) - 1)) >>> 0,
      half = 2 ** (sh - 1);
    const cls =
      rem === 0 && lo === 0 ? REM_ZERO : rem < half ? REM_LOW : rem === half && lo === 0 ? REM_HALF : REM_HIGH;
    INT.neg = (se & 0x8000) !== 0;
    INT.inexact = cls !== REM_ZERO;
    INT.up = roundsAway(INT.neg, (q & 1) !== 0, cls, f.rc);
    INT.hi = 0;
    INT.lo = INT.up ? q + 1 : q;
    return true;
  }
  f.imgOf(p, scratch, 0);
  const cls = classify(scratch[0], scratch[1], scratch[2]);
  if (cls !== CLS_NORMAL && cls !== CLS_DENORMAL && cls !== CLS_ZERO) return false;
  const exp = scratch[0] & 0x7fff;
  INT.neg = (scratch[0] & 0x8000) !== 0;
  const k = F80_BIAS + 63 - (exp === 0 ? 1 : exp);
  if (k < 0) {
    INT.hi = 4294967296;
    INT.lo = 0;
    INT.inexact = false;
    INT.up = false;
    return true;
  } // >= 2^64
  shr(scratch[1], scratch[2], k);
  let hi = SHR.qhi,
    lo = SHR.qlo;
  INT.inexact = SHR.cls !== REM_ZERO;
  INT.up = roundsAway(INT.neg, (lo & 1) !== 0, SHR.cls, f.rc);
  if (INT.up) {
    lo += 1;
    if (lo === 4294967296) {
      lo = 0;
      hi += 1;
    }
  }
  INT.hi = hi;
  INT.lo = lo;
  return true;
}

/** FIST/FISTP of `bytes` (2, 4, 8). Returns true when completed. */
function storeInt(c: Cpu, f: Fpu, lin: number, bytes: number): boolean {
  const p = f.top;
  f.setC1(false);
  let ok: boolean;
  if (f.tag[p] === TAG_EMPTY) {
    if (!f.stackUnderflow()) return false;
    ok = false;
  } else {
    ok = toInteger(f, p);
    if (ok) {
      // Magnitude limits: 2^15, 2^31, 2^63 for negative values, one less for positive ones.
      const limHi = bytes === 8 ? 0x80000000 : 0,
        limLo = bytes === 2 ? 0x8000 : bytes === 4 ? 0x80000000 : 0;
      const over =
        INT.hi > limHi || (INT.hi === limHi && INT.lo > limLo) || (!INT.neg && INT.hi === limHi && INT.lo === limLo);
      if (over) ok = false;
    }
    if (!ok && !f.invalid()) return false;
  }
  if (!ok) {
    // the integer indefinite
    if (bytes === 2) c.wr16(lin, 0x8000);
    else if (bytes === 4) c.wr32(lin, 0x80000000 | 0);
    else {
      c.wr32(lin, 0);
      c.wr32((lin + 4) | 0, 0x80000000 | 0);
    }
    return true;
  }
  let lo = INT.lo | 0,
    hi = INT.hi | 0;
  if (INT.neg) {
    lo = (~lo + 1) | 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
  }
  if (INT.inexact) f.raise(SW_PE);
  f.setC1(INT.up);
  if (bytes === 2) c.wr16(lin, lo);
  else if (bytes === 4) c.wr32(lin, lo);
  else {
    c.wr32(lin, lo);
    c.wr32((lin + 4) | 0, hi);
  }
  return true;
}

/** FBSTP: round by RC, 18 digits and sign; out of range, NaN, infinity or empty are invalid. */
const fbstp: FpuOp = (c, f, m) => {
  const lin = c.eaW(m, 10);
  f.noteData(lin);
  const p = f.top;
  f.setC1(false);
  let ok: boolean;
  if (f.tag[p] === TAG_EMPTY) {
    if (!f.stackUnderflow()) return;
    ok = false;
  } else {
    // 10^18 = 0x0DE0B6B3_A7640000
    ok = toInteger(f, p) && (INT.hi < 0x0de0b6b3 || (INT.hi === 0x0de0b6b3 && INT.lo < 0xa7640000));
    if (!ok && !f.invalid()) return;
  }
  if (!ok) {
    for (let i = 0; i < 7; i++) c.wr8((lin + i) | 0, 0);
    c.wr8((lin + 7) | 0, 0xc0);
    c.wr8((lin + 8) | 0, 0xff);
    c.wr8((lin + 9) | 0, 0xff);
  } else {
    u64ToBcd(INT.hi, INT.lo, bcd);
    bcd[9] = INT.neg ? 0x80 : 0;
    for (let i = 0; i < 10; i++) c.wr8((lin + i) | 0, bcd[i]);
    if (INT.inexact) f.raise(SW_PE);
    f.setC1(INT.up);
  }
  f.pop();
};

function storeOp(len: number, store: (c: Cpu, f: Fpu, lin: number) => boolean, pop: boolean): FpuOp {
  return (c, f, m) => {
    const lin = c.eaW(m, len);
    f.noteData(lin);
    if (store(c, f, lin) && pop) f.pop();
  };
}
function intStoreOp(bytes: number, pop: boolean): FpuOp {
  return (c, f, m) => {
    const lin = c.eaW(m, bytes);
    f.noteData(lin);
    if (storeInt(c, f, lin, bytes) && pop) f.pop();
  };
}

// ---- control instructions with memory operands

const envSize = (c: Cpu): number => Fpu.envSize(c.osizeBase !== 0);
const fldenv: FpuOp = (c, f, m) => f.loadEnv(c.eaR(m, envSize(c)), c.osizeBase !== 0);
/** FNSTENV stores the environment, then masks every exception (SDM FSTENV). */
const fnstenv: FpuOp = (c, f, m) => {
  f.storeEnv(c.eaW(m, envSize(c)), c.osizeBase !== 0);
  f.setCw(f.cw | EXC_MASK);
};
const fldcw: FpuOp = (c, f, m) => f.setCw(c.rd16(c.eaR(m, 2)));
const fnstcw: FpuOp = (c, f, m) => c.wr16(c.eaW(m, 2), f.cw);
const frstor: FpuOp = (c, f, m) => f.restore(c.eaR(m, envSize(c) + 80), c.osizeBase !== 0);
const fnsave: FpuOp = (c, f, m) => f.save(c.eaW(m, envSize(c) + 80), c.osizeBase !== 0);
const fnstswM: FpuOp = (c, f, m) => c.wr16(c.eaW(m, 2), f.getSw());
const udMem: FpuOp = () => {};

// ---- register forms

/** D8/DC/DE C0-FF arithmetic: toSti = the destination is ST(i) (DC, DE); pop for DE. */
function regArith(op: number, toSti: boolean, pop: boolean): FpuOp {
  return (_c, f, m) => {
    const p0 = f.top,
      pi = f.st(m & 7);
    const dst = toSti ? pi : p0,
      src = toSti ? p0 : pi;
    if (f.tag[p0] === TAG_EMPTY || f.tag[pi] === TAG_EMPTY) {
      if (f.stackUnderflow()) {
        f.setIndefinite(dst);
        if (pop) f.pop();
      }
      return;
    }
    if (arith(f, op, dst, src) && pop) f.pop();
  };
}

/** Compare ST(0) with ST(i): pops 0-2, quiet = FUCOM rules, eflags = FCOMI/FUCOMI (ZF PF CF). */
function regCompare(pops: number, quiet: boolean, eflags: boolean): FpuOp {
  return (c, f, m) => {
    const p0 = f.top,
      pi = f.st(m & 7);
    const r =
      f.tag[p0] === TAG_EMPTY || f.tag[pi] === TAG_EMPTY
        ? f.stackUnderflow()
          ? CMP_UN
          : CMP_UN | CMP_NOPOP
        : compare(f, p0, pi, quiet);
    if ((r & CMP_NOCC) !== 0) return;
    if (eflags) {
      c.setFlag(ZF, (r & 4) !== 0);
      c.setFlag(PF, (r & 2) !== 0);
      c.setFlag(CF, (r & 1) !== 0);
      c.setFlag(OF | SF | AF, false);
    } else f.setC320(r);
    if ((r & CMP_NOPOP) === 0) for (let k = 0; k < pops; k++) f.pop();
  };
}

/** FCMOVcc: cc is the Jcc condition number. An empty operand is a fault whatever the condition. */
function fcmov(cc: number): FpuOp {
  return (c, f, m) => {
    const p0 = f.top,
      pi = f.st(m & 7);
    if (f.tag[p0] === TAG_EMPTY || f.tag[pi] === TAG_EMPTY) {
      if (f.stackUnderflow()) f.setIndefinite(p0);
      return;
    }
    if (c.cond(cc)) f.copy(p0, pi);
  };
}

const fldSti: FpuOp = (_c, f, m) => {
  const src = f.st(m & 7);
  if (pushBlocked(f)) return;
  if (f.tag[src] === TAG_EMPTY) {
    if (f.stackUnderflow()) f.setIndefinite(f.push());
    return;
  }
  f.copy(f.push(), src);
};

const fxch: FpuOp = (_c, f, m) => {
  const p0 = f.top,
    pi = f.st(m & 7);
  const e0 = f.tag[p0] === TAG_EMPTY,
    ei = f.tag[pi] === TAG_EMPTY;
  if (e0 || ei) {
    if (!f.stackUnderflow()) return;
    if (e0) f.setIndefinite(p0);
    if (ei) f.setIndefinite(pi);
  } else f.setC1(false);
  swap(f, p0, pi);
};
function swap(f: Fpu, a: number, b: number): void {
  if (a === b) return;
  const t = f.tag[a];
  f.tag[a] = f.tag[b];
  f.tag[b] = t;
  for (let k = 0; k < 3; k++) {
    const w = f.img[a * 3 + k];
    f.img[a * 3 + k] = f.img[b * 3 + k];
    f.img[b * 3 + k] = w;
  }
}

/** FST/FSTP ST(i) (and the aliases D9 D8+i, DF D0+i, DF D8+i). */
function fstSti(pop: boolean): FpuOp {
  return (_c, f, m) => {
    const p0 = f.top,
      pi = f.st(m & 7);
    if (f.tag[p0] === TAG_EMPTY) {
      if (f.stackUnderflow()) {
        f.setIndefinite(pi);
        if (pop) f.pop();
      }
      return;
    }
    f.setC1(false);
    f.copy(pi, p0);
    if (pop) f.pop();
  };
}

function ffree(pop: boolean): FpuOp {
  return (_c, f, m) => {
    f.tag[f.st(m & 7)] = TAG_EMPTY;
    if (pop) f.pop();
  };
}

/** FCHS (abs = false) and FABS: sign operations, exact on images and NaNs too. */
function signOp(abs: boolean): FpuOp {
  return (_c, f) => {
    const p = f.top;
    if (f.tag[p] === TAG_EMPTY) {
      if (f.stackUnderflow()) f.setIndefinite(p);
      return;
    }
    f.setC1(false);
    const se = f.img[p * 3];
    f.img[p * 3] = abs ? se & 0x7fff : se ^ 0x8000;
  };
}

const ftst: FpuOp = (_c, f) => {
  const p = f.top;
  f.memDenormal = false;
  f.memImg[0] = 0;
  f.memImg[1] = 0;
  f.memImg[2] = 0; // +0
  const r = f.tag[p] === TAG_EMPTY ? (f.stackUnderflow(), CMP_UN) : compare(f, p, -1, false);
  if ((r & CMP_NOCC) === 0) f.setC320(r);
};

/** FXAM codes for C3 C2 C0 by class (SDM FXAM table 3-38). */
const FXAM_CODE = [
  2 /* normal */, 4 /* zero */, 6 /* denormal */, 3 /* infinity */, 1, 1 /* NaN */, 0 /* unsupported */,
];
const fxam: FpuOp = (_c, f) => {
  const p = f.top;
  const neg = (f.img[p * 3] & 0x8000) !== 0;
  f.setC1(neg);
  f.setC320(f.tag[p] === TAG_EMPTY ? 5 : FXAM_CODE[f.classOf(p)]);
};

/**
 * The constants as the x87 holds them: rounded to 64 bits by RC from its internal 66-bit
 * values (images measured on hardware: nearest, and toward zero = down for these positive
 * values; up is down + 1 ulp where the value is inexact).
 */
const CONSTANTS: readonly (readonly number[])[] = [
  // se, mhi, mlo (nearest), mlo (down)
  [0x3fff, J_BIT, 0, 0], // 1
  [0x4000, 0xd49a784b | 0, 0xcd1b8afe | 0, 0xcd1b8afe | 0], // log2(10)
  [0x3fff, 0xb8aa3b29 | 0, 0x5c17f0bc | 0, 0x5c17f0bb | 0], // log2(e)
  [0x4000, 0xc90fdaa2 | 0, 0x2168c235 | 0, 0x2168c234 | 0], // pi
  [0x3ffd, 0x9a209a84 | 0, 0xfbcff799 | 0, 0xfbcff798 | 0], // log10(2)
  [0x3ffe, 0xb17217f7 | 0, 0xd1cf79ac | 0, 0xd1cf79ab | 0], // ln(2)
  [0, 0, 0, 0], // +0
];
function fldConst(k: number): FpuOp {
  const [se, mhi, near, down] = CONSTANTS[k];
  return (_c, f) => {
    if (pushBlocked(f)) return;
    const rc = f.rc;
    const lo = rc === RC_NEAREST ? near : rc === RC_UP ? (down === near && k !== 1 ? near : down + 1) : down;
    f.setImg(f.push(), se, mhi, lo);
  };
}

const fnop: FpuOp = () => {};
const fdecstp: FpuOp = (_c, f) => {
  f.setC1(false);
  f.top = (f.top - 1) & 7;
};
const fincstp: FpuOp = (_c, f) => {
  f.setC1(false);
  f.top = (f.top + 1) & 7;
};
const fnclex: FpuOp = (_c, f) => {
  f.sw &= ~(EXC_MASK | SW_SF | SW_ES | SW_B);
  f.updateEs();
};
const fninit: FpuOp = (_c, f) => f.init();
const fnstswAx: FpuOp = (c, f) => {
  c.r16[0] = f.getSw();
};
const fsqrtOp: FpuOp = (_c, f) => {
  const p = f.top;
  if (f.tag[p] === TAG_EMPTY) {
    if (f.stackUnderflow()) f.setIndefinite(p);
    return;
  }
  fsqrt(f, p);
};

// ---- the tables

function setReg(esc: number, lo: number, hi: number, op: FpuOp, flags = 0): void {
  for (let m = lo; m <= hi; m++) {
    REG_OPS[(esc << 6) | (m & 0x3f)] = op;
    REG_FLAGS[(esc << 6) | (m & 0x3f)] = flags;
  }
}
function setMem(esc: number, reg: number, op: FpuOp, flags = 0): void {
  MEM_OPS[(esc << 3) | reg] = op;
  MEM_FLAGS[(esc << 3) | reg] = flags;
}

const regUd: FpuOp = () => {};
const ARITH_OPS = [OP_ADD, OP_MUL, OP_SUB, OP_SUBR, OP_DIV, OP_DIVR];
setReg(0, 0xc0, 0xff, regUd, F_UD);
for (let e = 1; e < 8; e++) setReg(e, 0xc0, 0xff, regUd, F_UD);

// D8: ST(0) = ST(0) op ST(i); FCOM, FCOMP.
for (const op of ARITH_OPS) setReg(0, 0xc0 | (op << 3), 0xc7 | (op << 3), regArith(op, false, false));
setReg(0, 0xd0, 0xd7, regCompare(0, false, false));
setReg(0, 0xd8, 0xdf, regCompare(1, false, false));
// D9
setReg(1, 0xc0, 0xc7, fldSti);
setReg(1, 0xc8, 0xcf, fxch);
setReg(1, 0xd0, 0xd0, fnop);
setReg(1, 0xd8, 0xdf, fstSti(true)); // FSTP1 alias
setReg(1, 0xe0, 0xe0, signOp(false));
setReg(1, 0xe1, 0xe1, signOp(true));
setReg(1, 0xe4, 0xe4, ftst);
setReg(1, 0xe5, 0xe5, fxam);
for (let k = 0; k < 7; k++) setReg(1, 0xe8 + k, 0xe8 + k, fldConst(k));
setReg(1, 0xf0, 0xf0, (_c, f) => f2xm1(f));
setReg(1, 0xf1, 0xf1, (_c, f) => fyl2x(f, false));
setReg(1, 0xf2, 0xf2, (_c, f) => fptanSincos(f, false));
setReg(1, 0xf3, 0xf3, (_c, f) => fpatan(f));
setReg(1, 0xf4, 0xf4, (_c, f) => fxtract(f));
setReg(1, 0xf5, 0xf5, (_c, f) => fprem(f, true));
setReg(1, 0xf6, 0xf6, fdecstp);
setReg(1, 0xf7, 0xf7, fincstp);
setReg(1, 0xf8, 0xf8, (_c, f) => fprem(f, false));
setReg(1, 0xf9, 0xf9, (_c, f) => fyl2x(f, true));
setReg(1, 0xfa, 0xfa, fsqrtOp);
setReg(1, 0xfb, 0xfb, (_c, f) => fptanSincos(f, true));
setReg(1, 0xfc, 0xfc, (_c, f) => frndint(f));
setReg(1, 0xfd, 0xfd, (_c, f) => fscale(f));
setReg(1, 0xfe, 0xfe, (_c, f) => fsinCos(f, 0));
setReg(1, 0xff, 0xff, (_c, f) => fsinCos(f, 1));
// DA: FCMOVB/E/BE/U, FUCOMPP.
setReg(2, 0xc0, 0xc7, fcmov(0x2));
setReg(2, 0xc8, 0xcf, fcmov(0x4));
setReg(2, 0xd0, 0xd7, fcmov(0x6));
setReg(2, 0xd8, 0xdf, fcmov(0xa));
setReg(2, 0xe9, 0xe9, regCompare(2, true, false));
// DB: FCMOVNB/NE/NBE/NU, FNENI FNDISI FNCLEX FNINIT FNSETPM, FUCOMI, FCOMI.
setReg(3, 0xc0, 0xc7, fcmov(0x3));
setReg(3, 0xc8, 0xcf, fcmov(0x5));
setReg(3, 0xd0, 0xd7, fcmov(0x7));
setReg(3, 0xd8, 0xdf, fcmov(0xb));
setReg(3, 0xe0, 0xe1, fnop, F_NOWAIT | F_CONTROL); // 8087 FENI/FDISI: no-ops since the 387
setReg(3, 0xe2, 0xe2, fnclex, F_NOWAIT | F_CONTROL);
setReg(3, 0xe3, 0xe3, fninit, F_NOWAIT | F_CONTROL);
setReg(3, 0xe4, 0xe4, fnop, F_NOWAIT | F_CONTROL); // 287 FSETPM
setReg(3, 0xe8, 0xef, regCompare(0, true, true));
setReg(3, 0xf0, 0xf7, regCompare(0, false, true));
// DC: ST(i) = ST(i) op ST(0) (SUB/SUBR, DIV/DIVR swapped); FCOM2/FCOMP3 aliases.
for (const op of ARITH_OPS) setReg(4, 0xc0 | (op << 3), 0xc7 | (op << 3), regArith(op >= 4 ? op ^ 1 : op, true, false));
setReg(4, 0xd0, 0xd7, regCompare(0, false, false));
setReg(4, 0xd8, 0xdf, regCompare(1, false, false));
// DD: FFREE, FXCH4 alias, FST, FSTP, FUCOM, FUCOMP.
setReg(5, 0xc0, 0xc7, ffree(false));
setReg(5, 0xc8, 0xcf, fxch);
setReg(5, 0xd0, 0xd7, fstSti(false));
setReg(5, 0xd8, 0xdf, fstSti(true));
setReg(5, 0xe0, 0xe7, regCompare(0, true, false));
setReg(5, 0xe8, 0xef, regCompare(1, true, false));
// DE: popping arithmetic, FCOMP5 alias, FCOMPP.
for (const op of ARITH_OPS) setReg(6, 0xc0 | (op << 3), 0xc7 | (op << 3), regArith(op >= 4 ? op ^ 1 : op, true, true));
setReg(6, 0xd0, 0xd7, regCompare(1, false, false));
setReg(6, 0xd9, 0xd9, regCompare(2, false, false));
// DF: FFREEP, FXCH7 and FSTP8/FSTP9 aliases, FNSTSW AX, FUCOMIP, FCOMIP.
setReg(7, 0xc0, 0xc7, ffree(true));
setReg(7, 0xc8, 0xcf, fxch);
setReg(7, 0xd0, 0xdf, fstSti(true));
setReg(7, 0xe0, 0xe0, fnstswAx, F_NOWAIT | F_CONTROL);
setReg(7, 0xe8, 0xef, regCompare(1, true, true));
setReg(7, 0xf0, 0xf7, regCompare(1, false, true));

// Memory forms. D8 m32 real, DA m32 int, DC m64 real, DE m16 int: arithmetic and compares.
for (const [esc, kind] of [
  [0, 0],
  [2, 1],
  [4, 2],
  [6, 3],
]) {
  for (const op of ARITH_OPS) setMem(esc, op, memArith(op, kind));
  setMem(esc, 2, memCompare(false, kind));
  setMem(esc, 3, memCompare(true, kind));
}
// D9
setMem(1, 0, fldM32);
setMem(1, 1, udMem, F_UD);
setMem(1, 2, storeOp(4, storeReal32, false));
setMem(1, 3, storeOp(4, storeReal32, true));
setMem(1, 4, fldenv, F_CONTROL);
setMem(1, 5, fldcw, F_CONTROL);
setMem(1, 6, fnstenv, F_NOWAIT | F_CONTROL);
setMem(1, 7, fnstcw, F_NOWAIT | F_CONTROL);
// DB
setMem(3, 0, fildM32);
setMem(3, 1, udMem, F_UD); // FISTTP m32 (SSE3)
setMem(3, 2, intStoreOp(4, false));
setMem(3, 3, intStoreOp(4, true));
setMem(3, 4, udMem, F_UD);
setMem(3, 5, fldM80);
setMem(3, 6, udMem, F_UD);
setMem(3, 7, storeOp(10, storeReal80, true));
// DD
setMem(5, 0, fldM64);
setMem(5, 1, udMem, F_UD); // FISTTP m64
setMem(5, 2, storeOp(8, storeReal64, false));
setMem(5, 3, storeOp(8, storeReal64, true));
setMem(5, 4, frstor, F_CONTROL);
setMem(5, 5, udMem, F_UD);
setMem(5, 6, fnsave, F_NOWAIT | F_CONTROL);
setMem(5, 7, fnstswM, F_NOWAIT | F_CONTROL);
// DF
setMem(7, 0, fildM16);
setMem(7, 1, udMem, F_UD); // FISTTP m16
setMem(7, 2, intStoreOp(2, false));
setMem(7, 3, intStoreOp(2, true));
setMem(7, 4, fbld);
setMem(7, 5, fildM64);
setMem(7, 6, fbstp);
setMem(7, 7, intStoreOp(8, true));

/**
 * True when escape byte opcode (D8-DF) with ModRM byte modrm raises #UD on this CPU: the
 * reserved register encodings and the reserved or SSE3-only memory forms. For the decoder and
 * the disassembler, so that they agree with execution.
 */
export function x87Undefined(opcode: number, modrm: number): boolean {
  const esc = opcode - 0xd8;
  if (esc < 0 || esc > 7) return false;
  return modrm >= 0xc0
    ? (REG_FLAGS[(esc << 6) | (modrm & 0x3f)] & F_UD) !== 0
    : (MEM_FLAGS[(esc << 3) | ((modrm >> 3) & 7)] & F_UD) !== 0;
}

/** Handlers for the opcode table's `esc` (D8-DF, one per escape byte) and `wait` (9B). */
export const fpuHandlers: HandlerMap = {
  esc: perOpcode((index) => escHandler(index - 0xd8)),
  wait,
};
