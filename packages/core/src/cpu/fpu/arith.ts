// x87 arithmetic on register values: the basic operations with the x87's operand checks (SDM
// Vol. 1 §4.9, §8.5; table 4-7 for NaNs), rounding into the register format under PC and RC,
// and comparisons. Handlers in ops.ts stage the operands: the destination is always a register
// (its value is one operand), the source a register or the memory operand that ops.ts has
// converted into Fpu.memImg / memDenormal.
//
// The functions return false when an unmasked invalid, denormal or zero-divide exception means
// the destination stays unchanged and the instruction does not pop (SDM Vol. 1 §8.5.1-8.5.3).

import type { Fpu } from "./fpu.ts";
import { CW_UM, PC_SINGLE, SW_DE, SW_IE, SW_OE, SW_PE, SW_UE, SW_ZE } from "./fpu.ts";
import { CLS_NORMAL, CLS_QNAN, CLS_SNAN, CLS_UNSUPPORTED, QUIET_BIT, classify } from "./f80.ts";
import { R, RC_DOWN, RC_NEAREST, RC_UP, add, div, mul, roundCoarse, roundDouble, sqrt } from "./round.ts";

/** Operation codes: the reg field of D8 /r (SUB/SUBR and DIV/DIVR swap in DC and DE). */
export const OP_ADD = 0, OP_MUL = 1, OP_SUB = 4, OP_SUBR = 5, OP_DIV = 6, OP_DIVR = 7;

const MIN_NORMAL = 2.2250738585072014e-308;
/** Largest finite register value under PC=single: a 24-bit significand at the double's top exponent. */
const MAX_PC24 = (2 - Math.pow(2, -23)) * Math.pow(2, 1023);

/** Scratch images of two operands (a at 0, b at 3). */
const OPS = new Int32Array(6);

/**
 * Rounds the pair (hi, sgn) into the register format: PC sets the significand width (24 bits
 * for single, 53 otherwise, since registers are doubles), RC the direction. Raises PE, UE, OE
 * and sets C1 = rounded up. pcOverride: the precision for instructions PC does not govern.
 */
export function roundToReg(f: Fpu, hi: number, sgn: number, pcOverride = -1): number {
  const rc = f.rc, pc = pcOverride >= 0 ? pcOverride : f.pc;
  if (hi - hi !== 0) return overflow(f, hi < 0, pc, rc);
  let r: number;
  if (pc === PC_SINGLE) r = roundCoarse(hi, sgn, 24, -1074, rc);
  else if (rc === RC_NEAREST) {
    r = hi;
    R.inexact = sgn !== 0;
    R.up = sgn !== 0 && hi !== 0 && (hi < 0) === (sgn > 0);
  } else r = roundDouble(hi, sgn, rc);
  if (r - r !== 0) return overflow(f, r < 0, pc, rc);
  f.setC1(R.up);
  if (R.inexact || r === 0 || Math.abs(r) < MIN_NORMAL) {
    let flags = R.inexact ? SW_PE : 0;
    // Tiny after rounding (what the x87 checks, measured on hardware); masked: only when inexact.
    const tiny = r !== 0 ? Math.abs(r) < MIN_NORMAL : R.inexact;
    if (tiny && (R.inexact || (f.cw & CW_UM) === 0)) flags |= SW_UE;
    if (flags) f.raise(flags);
  }
  return r;
}

/** Masked overflow response (SDM Vol. 1 table 4-10): infinity or the largest finite number by RC. */
function overflow(f: Fpu, neg: boolean, pc: number, rc: number): number {
  const toInf = rc === RC_NEAREST || (rc === RC_UP && !neg) || (rc === RC_DOWN && neg);
  const r = toInf ? Infinity : pc === PC_SINGLE ? MAX_PC24 : Number.MAX_VALUE;
  f.setC1(toInf);
  f.raise(SW_OE | SW_PE);
  return neg ? -r : r;
}

/** Stores the indefinite after a masked invalid operation; false when IE is unmasked. */
export function invalidResult(f: Fpu, dst: number): boolean {
  if (!f.invalid()) return false;
  f.setIndefinite(dst);
  return true;
}

/** Loads operand images: a from register aP, b from register bP or the memory operand (bP < 0). */
function stageImages(f: Fpu, aP: number, bP: number): void {
  if (aP >= 0) f.imgOf(aP, OPS, 0);
  if (bP >= 0) f.imgOf(bP, OPS, 3);
  else { OPS[3] = f.memImg[0]; OPS[4] = f.memImg[1]; OPS[5] = f.memImg[2]; }
}

/**
 * NaN operands of a two-operand instruction (SDM Vol. 1 table 4-7): unsupported encodings and
 * SNaNs are invalid; the result is the QNaN operand, or of two NaNs of the same kind the one
 * with the larger significand (the positive one on a tie, as measured), made quiet.
 * aNaN/bNaN: which operands are NaN-valued.
 */
export function nanResult2(f: Fpu, dst: number, aP: number, bP: number, aNaN: boolean, bNaN: boolean): boolean {
  stageImages(f, aNaN ? aP : -2, bNaN ? bP : -2);
  const ca = aNaN ? classify(OPS[0], OPS[1], OPS[2]) : CLS_NORMAL;
  const cb = bNaN ? classify(OPS[3], OPS[4], OPS[5]) : CLS_NORMAL;
  if (ca === CLS_UNSUPPORTED || cb === CLS_UNSUPPORTED) return invalidResult(f, dst);
  if ((ca === CLS_SNAN || cb === CLS_SNAN) && f.raise(SW_IE)) return false;
  let pick: number;
  if (!bNaN) pick = 0;
  else if (!aNaN) pick = 3;
  else if (ca === CLS_QNAN && cb === CLS_SNAN) pick = 0;
  else if (cb === CLS_QNAN && ca === CLS_SNAN) pick = 3;
  else {
    const ah = OPS[1] >>> 0, bh = OPS[4] >>> 0, al = OPS[2] >>> 0, bl = OPS[5] >>> 0;
    if (ah !== bh || al !== bl) pick = ah > bh || (ah === bh && al > bl) ? 0 : 3;
    else pick = (OPS[0] & 0x8000) === 0 ? 0 : 3;
  }
  f.setC1(false);
  f.setImg(dst, OPS[pick], OPS[pick + 1] | QUIET_BIT, OPS[pick + 2]);
  return true;
}

/** A NaN operand of a one-operand instruction on register p: quiet it, or invalid. */
export function nanResult1(f: Fpu, dst: number, p: number): boolean {
  f.imgOf(p, OPS, 0);
  const cls = classify(OPS[0], OPS[1], OPS[2]);
  if (cls === CLS_UNSUPPORTED) return invalidResult(f, dst);
  if (cls === CLS_SNAN && f.raise(SW_IE)) return false;
  f.setC1(false);
  f.setImg(dst, OPS[0], OPS[1] | QUIET_BIT, OPS[2]);
  return true;
}

/** Raises DE when an operand is denormal; true when DE is unmasked (the instruction stops). */
export function denormalStop(f: Fpu, aP: number, bP: number): boolean {
  const d = (aP >= 0 && f.isDenormal(aP)) || (bP >= 0 ? f.isDenormal(bP) : bP === -1 && f.memDenormal);
  return d && f.raise(SW_DE);
}

/**
 * dst = dst op source (FADD FSUB FSUBR FMUL FDIV FDIVR and the integer and popping forms).
 * srcP: the source register, or -1 for the staged memory operand whose value is b.
 */
export function arith(f: Fpu, op: number, dst: number, srcP: number, b: number): boolean {
  const a = f.val[dst];
  if (a !== a || b !== b) return nanResult2(f, dst, dst, srcP, a !== a, b !== b);
  if (denormalStop(f, dst, srcP)) return false;
  let x = a, y = b;
  if (op === OP_SUBR || op === OP_DIVR) { x = b; y = a; }
  let r: number;
  switch (op) {
    case OP_ADD: case OP_SUB: case OP_SUBR: {
      if (op !== OP_ADD) y = -y;
      const xInf = x - x !== 0, yInf = y - y !== 0;
      if (xInf || yInf) {
        if (xInf && yInf && x !== y) return invalidResult(f, dst);
        f.setC1(false);
        f.setVal(dst, xInf ? x : y);
        return true;
      }
      r = roundToReg(f, add(x, y, f.rc), R.sgn);
      break;
    }
    case OP_MUL: {
      const xInf = x - x !== 0, yInf = y - y !== 0;
      if (xInf || yInf) {
        if (x === 0 || y === 0) return invalidResult(f, dst);
        f.setC1(false);
        f.setVal(dst, x * y);
        return true;
      }
      if (x === 0 || y === 0) { f.setC1(false); f.setVal(dst, x * y); return true; }
      r = roundToReg(f, mul(x, y), R.sgn);
      break;
    }
    default: { // DIV, DIVR: x / y
      const xInf = x - x !== 0, yInf = y - y !== 0;
      if (xInf || yInf) {
        if (xInf && yInf) return invalidResult(f, dst);
        f.setC1(false);
        f.setVal(dst, x / y);
        return true;
      }
      if (y === 0) {
        if (x === 0) return invalidResult(f, dst);
        if (f.raise(SW_ZE)) return false;
        f.setC1(false);
        f.setVal(dst, x / y);
        return true;
      }
      if (x === 0) { f.setC1(false); f.setVal(dst, x / y); return true; }
      r = roundToReg(f, div(x, y), R.sgn);
      break;
    }
  }
  f.setVal(dst, r);
  return true;
}

/** FSQRT on register p. */
export function fsqrt(f: Fpu, p: number): boolean {
  const x = f.val[p];
  if (x !== x) return nanResult1(f, p, p);
  if (denormalStop(f, p, -2)) return false;
  if (x < 0) return invalidResult(f, p); // -0 stays -0, -inf is invalid too
  f.setC1(false);
  if (x === 0 || x === Infinity) { f.setVal(p, x); return true; }
  f.setVal(p, roundToReg(f, sqrt(x), R.sgn));
  return true;
}

/** Comparison results, as C3 C2 C0 and as ZF PF CF both encode them. */
export const CMP_GT = 0, CMP_LT = 1, CMP_EQ = 4, CMP_UN = 7;
/** Added to a comparison result when an unmasked exception forbids the instruction's pops. */
export const CMP_NOPOP = 8;
/** Added when, moreover, the condition codes (or EFLAGS) must stay as they are. */
export const CMP_NOCC = 16;

/**
 * Compares register aP's value with b (register bP, or the memory operand when bP = -1, or a
 * constant when bP = -2). quiet: FUCOM rules, where only SNaNs and unsupported encodings are
 * invalid. The condition codes are set even when IE is unmasked (measured on hardware).
 */
export function compare(f: Fpu, aP: number, bP: number, b: number, quiet: boolean): number {
  const a = f.val[aP];
  f.setC1(false);
  if (a !== a || b !== b) {
    stageImages(f, a !== a ? aP : -2, b !== b ? bP : -2);
    const ca = a !== a ? classify(OPS[0], OPS[1], OPS[2]) : CLS_NORMAL;
    const cb = b !== b ? classify(OPS[3], OPS[4], OPS[5]) : CLS_NORMAL;
    const invalid = !quiet || ca === CLS_SNAN || cb === CLS_SNAN || ca === CLS_UNSUPPORTED || cb === CLS_UNSUPPORTED;
    return invalid && f.raise(SW_IE) ? CMP_UN | CMP_NOPOP : CMP_UN;
  }
  // An unmasked denormal stops the compare before it sets anything (measured on hardware).
  if (denormalStop(f, aP, bP)) return CMP_UN | CMP_NOPOP | CMP_NOCC;
  return a > b ? CMP_GT : a < b ? CMP_LT : CMP_EQ;
}
