// x87 arithmetic on register images: the basic operations with the x87's operand checks (SDM
// Vol. 1 §4.9, §8.5; table 4-7 for NaNs), their special cases (zeros, infinities, denormal
// operands), comparisons, and the stack checks the function instructions share. Handlers in
// ops.ts stage the operands: the destination is always a register, the source a register or
// the memory operand that ops.ts has converted into Fpu.memImg / memDenormal. The finite
// nonzero cases go to the exact core (ext.ts) and are rounded once under PC and RC.
//
// The functions return false when an unmasked invalid, denormal or zero-divide exception means
// the destination stays unchanged and the instruction does not pop (SDM Vol. 1 §8.5.1-8.5.3).

import type { Fpu } from "./fpu.ts";
import { SW_DE, SW_IE, SW_ZE, TAG_EMPTY, TAG_SPECIAL, TAG_ZERO } from "./fpu.ts";
import { CLS_DENORMAL, CLS_INF, CLS_QNAN, CLS_SNAN, CLS_UNSUPPORTED, CLS_ZERO, QUIET_BIT, classify } from "./f80.ts";
import { RC_DOWN, X, addCore, divCore, mulCore, normalAddMul, passA, roundToReg, sqrtCore, unpack } from "./ext.ts";

/** Operation codes: the reg field of D8 /r (SUB/SUBR and DIV/DIVR swap in DC and DE). */
export const OP_ADD = 0,
  OP_MUL = 1,
  OP_SUB = 4,
  OP_SUBR = 5,
  OP_DIV = 6,
  OP_DIVR = 7;

/** Scratch images of two operands (a at 0, b at 3). */
const OPS = new Int32Array(6);

/** Stores the indefinite after a masked invalid operation; false when IE is unmasked. */
export function invalidResult(f: Fpu, dst: number): boolean {
  if (!f.invalid()) return false;
  f.setIndefinite(dst);
  return true;
}

/** Loads operand images: a from register aP, b from register bP or the memory operand (bP = -1). */
function stageImages(f: Fpu, aP: number, bP: number): void {
  if (aP >= 0) f.imgOf(aP, OPS, 0);
  if (bP >= 0) f.imgOf(bP, OPS, 3);
  else if (bP === -1) {
    OPS[3] = f.memImg[0];
    OPS[4] = f.memImg[1];
    OPS[5] = f.memImg[2];
  }
}

/** Stores a signed infinity or zero (exact special results: C1 = 0). */
function setInf(f: Fpu, p: number, sign: number): void {
  const i = p * 3;
  f.img[i] = (sign << 15) | 0x7fff;
  f.img[i + 1] = 0x80000000 | 0;
  f.img[i + 2] = 0;
  f.tag[p] = TAG_SPECIAL;
  f.setC1(false);
}
function setZero(f: Fpu, p: number, sign: number): void {
  const i = p * 3;
  f.img[i] = sign << 15;
  f.img[i + 1] = 0;
  f.img[i + 2] = 0;
  f.tag[p] = TAG_ZERO;
  f.setC1(false);
}

/**
 * NaN operands of a two-operand instruction (SDM Vol. 1 table 4-7): unsupported encodings and
 * SNaNs are invalid; the result is the QNaN operand, or of two NaNs of the same kind the one
 * with the larger significand (the positive one on a tie, as measured), made quiet.
 * aNaN/bNaN: which operands are NaN-valued (or unsupported); bP = -1 is the memory operand.
 */
export function nanResult2(f: Fpu, dst: number, aP: number, bP: number, aNaN: boolean, bNaN: boolean): boolean {
  stageImages(f, aNaN ? aP : -2, bNaN ? bP : -2);
  const ca = aNaN ? classify(OPS[0], OPS[1], OPS[2]) : CLS_ZERO;
  const cb = bNaN ? classify(OPS[3], OPS[4], OPS[5]) : CLS_ZERO;
  if (ca === CLS_UNSUPPORTED || cb === CLS_UNSUPPORTED) return invalidResult(f, dst);
  if ((ca === CLS_SNAN || cb === CLS_SNAN) && f.raise(SW_IE)) return false;
  let pick: number;
  if (!bNaN) pick = 0;
  else if (!aNaN) pick = 3;
  else if (ca === CLS_QNAN && cb === CLS_SNAN) pick = 0;
  else if (cb === CLS_QNAN && ca === CLS_SNAN) pick = 3;
  else {
    const ah = OPS[1] >>> 0,
      bh = OPS[4] >>> 0,
      al = OPS[2] >>> 0,
      bl = OPS[5] >>> 0;
    if (ah !== bh || al !== bl) pick = ah > bh || (ah === bh && al > bl) ? 0 : 3;
    else pick = (OPS[0] & 0x8000) === 0 ? 0 : 3;
  }
  f.setC1(false);
  f.setImg(dst, OPS[pick], OPS[pick + 1] | QUIET_BIT, OPS[pick + 2]);
  return true;
}

/** A NaN (or unsupported) operand of a one-operand instruction on register p: quiet it, or invalid. */
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
 * The exact operation on finite nonzero operands x (image xs, xh, xl) and y, rounded into dst.
 */
function operate(
  f: Fpu,
  op: number,
  dst: number,
  xs: number,
  xh: number,
  xl: number,
  ys: number,
  yh: number,
  yl: number,
): void {
  unpack(xs, xh, xl, 0);
  unpack(ys, yh, yl, 4);
  const cw = f.cw,
    rc = (cw >> 10) & 3,
    pc = (cw >> 8) & 3;
  switch (op) {
    case OP_ADD:
      addCore(0, rc);
      break;
    case OP_MUL:
      mulCore();
      break;
    case OP_SUB:
    case OP_SUBR:
      addCore(1, rc);
      break;
    default:
      divCore();
      break;
  }
  roundToReg(f, dst, pc, rc);
}

/**
 * dst = dst op source (FADD FSUB FSUBR FMUL FDIV FDIVR and the integer and popping forms).
 * srcP: the source register, or -1 for the staged memory operand.
 */
export function arith(f: Fpu, op: number, dst: number, srcP: number): boolean {
  const img = f.img;
  let i = dst * 3;
  const aSe = img[i],
    aHi = img[i + 1],
    aLo = img[i + 2];
  let bSe: number, bHi: number, bLo: number;
  if (srcP >= 0) {
    i = srcP * 3;
    bSe = img[i];
    bHi = img[i + 1];
    bLo = img[i + 2];
  } else {
    const m = f.memImg;
    bSe = m[0];
    bHi = m[1];
    bLo = m[2];
  }
  // Both operands normal (exponent 1..7FFEh with the J bit), no denormal memory operand.
  if (
    ((aSe & 0x7fff) - 1) >>> 0 < 0x7ffe &&
    ((bSe & 0x7fff) - 1) >>> 0 < 0x7ffe &&
    (aHi & bHi) < 0 &&
    (srcP >= 0 || !f.memDenormal)
  ) {
    if (op <= OP_SUB) {
      // ADD, MUL, SUB: straight from the images
      const cw = f.cw;
      const b = srcP >= 0 ? img : f.memImg,
        bi = srcP >= 0 ? srcP * 3 : 0;
      normalAddMul(op === OP_MUL, op === OP_SUB ? 1 : 0, img, dst * 3, b, bi, (cw >> 10) & 3);
      roundToReg(f, dst, (cw >> 8) & 3, (cw >> 10) & 3);
    } else if (op === OP_SUBR || op === OP_DIVR) operate(f, op, dst, bSe, bHi, bLo, aSe, aHi, aLo);
    else operate(f, op, dst, aSe, aHi, aLo, bSe, bHi, bLo);
    return true;
  }
  const ca = classify(aSe, aHi, aLo),
    cb = classify(bSe, bHi, bLo);
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) return nanResult2(f, dst, dst, srcP, ca >= CLS_QNAN, cb >= CLS_QNAN);
  // Operation order: x op y.
  const rev = op === OP_SUBR || op === OP_DIVR;
  const xs = rev ? bSe : aSe,
    xh = rev ? bHi : aHi,
    xl = rev ? bLo : aLo,
    xc = rev ? cb : ca;
  const ys = rev ? aSe : bSe,
    yh = rev ? aHi : bHi,
    yl = rev ? aLo : bLo,
    yc = rev ? ca : cb;
  const sx = (xs >> 15) & 1;
  let sy = (ys >> 15) & 1;
  if (op !== OP_ADD && op !== OP_MUL && op !== OP_DIV && op !== OP_DIVR) sy ^= 1; // subtraction adds -y
  // Invalid operations, then division by zero, take priority over a denormal operand (measured).
  const isDiv = op === OP_DIV || op === OP_DIVR;
  if (
    op === OP_MUL
      ? (xc === CLS_INF && yc === CLS_ZERO) || (xc === CLS_ZERO && yc === CLS_INF)
      : isDiv
        ? (xc === CLS_INF && yc === CLS_INF) || (xc === CLS_ZERO && yc === CLS_ZERO)
        : xc === CLS_INF && yc === CLS_INF && sx !== sy
  )
    return invalidResult(f, dst);
  if (isDiv && yc === CLS_ZERO && xc !== CLS_INF) {
    if (f.raise(SW_ZE)) return false;
    setInf(f, dst, sx ^ sy);
    return true;
  }
  const bDenormal = cb === CLS_DENORMAL || (srcP < 0 && f.memDenormal);
  if ((ca === CLS_DENORMAL || bDenormal) && f.raise(SW_DE)) return false;
  if (op === OP_MUL) {
    if (xc === CLS_INF || yc === CLS_INF) setInf(f, dst, sx ^ sy);
    else if (xc === CLS_ZERO || yc === CLS_ZERO) setZero(f, dst, sx ^ sy);
    else operate(f, op, dst, xs, xh, xl, ys, yh, yl);
  } else if (isDiv) {
    if (xc === CLS_INF) setInf(f, dst, sx ^ sy);
    else if (yc === CLS_INF || xc === CLS_ZERO) setZero(f, dst, sx ^ sy);
    else operate(f, op, dst, xs, xh, xl, ys, yh, yl);
  } else if (xc === CLS_INF || yc === CLS_INF) {
    setInf(f, dst, xc === CLS_INF ? sx : sy);
  } else if (xc === CLS_ZERO && yc === CLS_ZERO) {
    setZero(f, dst, sx === sy ? sx : f.rc === RC_DOWN ? 1 : 0);
  } else if (xc === CLS_ZERO || yc === CLS_ZERO) {
    // The other operand, rounded to the precision control (and denormalized if tiny).
    if (xc === CLS_ZERO) unpack(ys, yh, yl, 0);
    else unpack(xs, xh, xl, 0);
    roundOperand(f, dst, xc === CLS_ZERO ? sy : sx);
  } else operate(f, op, dst, xs, xh, xl, ys, yh, yl);
  return true;
}

/** Rounds the operand unpacked at U[0..3], with the given sign, into dst under PC and RC. */
function roundOperand(f: Fpu, dst: number, sign: number): void {
  passA();
  X[0] = sign;
  roundToReg(f, dst, f.pc, f.rc);
}

/** FSQRT on register p. */
export function fsqrt(f: Fpu, p: number): boolean {
  const i = p * 3;
  const se = f.img[i],
    hi = f.img[i + 1],
    lo = f.img[i + 2];
  const cls = classify(se, hi, lo);
  if (cls >= CLS_QNAN) return nanResult1(f, p, p);
  if (cls === CLS_ZERO) {
    f.setC1(false);
    return true;
  } // -0 stays -0
  if ((se & 0x8000) !== 0) return invalidResult(f, p); // -inf and negative denormals too, without DE
  if (cls === CLS_DENORMAL && f.raise(SW_DE)) return false;
  if (cls === CLS_INF) {
    f.setC1(false);
    return true;
  }
  unpack(se, hi, lo, 0);
  sqrtCore();
  roundToReg(f, p, f.pc, f.rc);
  return true;
}

// ---- comparisons

/** Comparison results, as C3 C2 C0 and as ZF PF CF both encode them. */
export const CMP_GT = 0,
  CMP_LT = 1,
  CMP_EQ = 4,
  CMP_UN = 7;
/** Added to a comparison result when an unmasked exception forbids the instruction's pops. */
export const CMP_NOPOP = 8;
/** Added when, moreover, the condition codes (or EFLAGS) must stay as they are. */
export const CMP_NOCC = 16;

/**
 * Order of two non-NaN images: -1, 0, 1. Zeros of either sign are equal; a denormal's
 * exponent field 0 counts as 1, so pseudo-denormals compare by value too.
 */
export function compareImages(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): number {
  const aZero = (aSe & 0x7fff) === 0 && (aHi | aLo) === 0,
    bZero = (bSe & 0x7fff) === 0 && (bHi | bLo) === 0;
  if (aZero && bZero) return 0;
  const aNeg = !aZero && (aSe & 0x8000) !== 0,
    bNeg = !bZero && (bSe & 0x8000) !== 0;
  if (aNeg !== bNeg) return aNeg ? -1 : 1;
  let mag: number;
  if (aZero) mag = -1;
  else if (bZero) mag = 1;
  else {
    const ae = aSe & 0x7fff || 1,
      be = bSe & 0x7fff || 1;
    const ah = aHi >>> 0,
      bh = bHi >>> 0,
      al = aLo >>> 0,
      bl = bLo >>> 0;
    mag = ae !== be ? (ae > be ? 1 : -1) : ah !== bh ? (ah > bh ? 1 : -1) : al !== bl ? (al > bl ? 1 : -1) : 0;
  }
  return aNeg ? -mag : mag;
}

/**
 * Compares register aP with register bP, or with the memory operand (bP = -1; FTST stages +0
 * there). quiet: FUCOM rules, where only SNaNs and unsupported encodings are invalid. The
 * condition codes are set even when IE is unmasked (measured on hardware).
 */
export function compare(f: Fpu, aP: number, bP: number, quiet: boolean): number {
  f.setC1(false);
  const img = f.img,
    b = bP >= 0 ? img : f.memImg,
    ai = aP * 3,
    bi = bP >= 0 ? bP * 3 : 0;
  const aSe = img[ai],
    bSe = b[bi];
  if (
    ((aSe & 0x7fff) - 1) >>> 0 < 0x7ffe &&
    ((bSe & 0x7fff) - 1) >>> 0 < 0x7ffe &&
    (img[ai + 1] & b[bi + 1]) < 0 &&
    (bP >= 0 || !f.memDenormal)
  ) {
    // Both normal: no exception is possible.
    const c = compareImages(aSe, img[ai + 1], img[ai + 2], bSe, b[bi + 1], b[bi + 2]);
    return c > 0 ? CMP_GT : c < 0 ? CMP_LT : CMP_EQ;
  }
  stageImages(f, aP, bP);
  const ca = classify(OPS[0], OPS[1], OPS[2]),
    cb = classify(OPS[3], OPS[4], OPS[5]);
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) {
    const invalid = !quiet || ca === CLS_SNAN || cb === CLS_SNAN || ca === CLS_UNSUPPORTED || cb === CLS_UNSUPPORTED;
    return invalid && f.raise(SW_IE) ? CMP_UN | CMP_NOPOP : CMP_UN;
  }
  // An unmasked denormal stops the compare before it sets anything (measured on hardware).
  if (denormalStop(f, aP, bP)) return CMP_UN | CMP_NOPOP | CMP_NOCC;
  const c = compareImages(OPS[0], OPS[1], OPS[2], OPS[3], OPS[4], OPS[5]);
  return c > 0 ? CMP_GT : c < 0 ? CMP_LT : CMP_EQ;
}

// ---- stack checks of the function instructions

/** ST(0) must hold a value; otherwise the masked response is an indefinite ST(0). */
export function needSt0(f: Fpu): boolean {
  const p = f.top;
  if (f.tag[p] !== TAG_EMPTY) return true;
  if (f.stackUnderflow()) f.setIndefinite(p);
  return false;
}

/** ST(0) and ST(1) must hold values; the masked response puts the indefinite in dst. */
export function needSt01(f: Fpu, dst: number, pop: boolean): boolean {
  if (f.tag[f.top] !== TAG_EMPTY && f.tag[f.st(1)] !== TAG_EMPTY) return true;
  if (f.stackUnderflow()) {
    f.setIndefinite(dst);
    if (pop) f.pop();
  }
  return false;
}

/**
 * For the instructions that replace ST(0) and push a second result (FPTAN, FSINCOS, FXTRACT):
 * ST(0) must be full and ST(7) empty. The masked response to either fault is the indefinite
 * in both ST(0) and the pushed register (as measured on hardware).
 */
export function needPushPair(f: Fpu): boolean {
  const empty0 = f.tag[f.top] === TAG_EMPTY;
  if (!empty0 && f.tag[(f.top - 1) & 7] === TAG_EMPTY) return true;
  if (empty0 ? f.stackUnderflow() : f.stackOverflow()) {
    f.setIndefinite(f.top);
    f.setIndefinite(f.push());
  }
  return false;
}
