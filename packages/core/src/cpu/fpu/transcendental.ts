// The x87's function and scaling instructions: F2XM1 FYL2X FYL2XP1 FPTAN FPATAN FSIN FCOS
// FSINCOS, and FPREM FPREM1 FSCALE FXTRACT FRNDINT (SDM Vol. 2, each instruction's page).
//
// Key design choice: the functions come from the host's Math library on the register doubles.
// Results agree with the x87 within a few units in the last place of a double (Math.sin and
// friends are within 1 ulp in V8; the argument products add at most one rounding), not to the
// x87's 64 bits; C1 after them is left 0. The x87 reduces trigonometric arguments with a 66-bit
// approximation of pi, so for large arguments (and near multiples of pi) its results differ
// from the mathematically exact ones that Math.sin gives; ours follow Math.*. Arguments with
// |x| >= 2^63 are "out of range": C2 = 1 and ST(0) unchanged, as on the chip. FPREM, FPREM1,
// FSCALE, FXTRACT and FRNDINT are exact, as on the chip.

import type { Fpu } from "./fpu.ts";
import { PC_EXTENDED, SW_C0, SW_C1, SW_C2, SW_C3, SW_PE, SW_UE, SW_ZE, TAG_EMPTY } from "./fpu.ts";
import { denormalStop, invalidResult, nanResult1, nanResult2, roundToReg } from "./arith.ts";
import { CLS_INF, CLS_ZERO, F80_BIAS, J_BIT, REM_ZERO, SHR, imgFromU64, roundsAway, shr } from "./f80.ts";
import { R, exponentOf, ldexp, roundInt } from "./round.ts";

const TWO63 = 9223372036854775808;
const MIN_NORMAL = 2.2250738585072014e-308;

/** ST(0) must hold a value; otherwise the masked response is an indefinite ST(0). */
function needSt0(f: Fpu): boolean {
  const p = f.top;
  if (f.tag[p] !== TAG_EMPTY) return true;
  if (f.stackUnderflow()) f.setIndefinite(p);
  return false;
}

/** ST(0) and ST(1) must hold values; the masked response puts the indefinite in dst. */
function needSt01(f: Fpu, dst: number, pop: boolean): boolean {
  if (f.tag[f.top] !== TAG_EMPTY && f.tag[f.st(1)] !== TAG_EMPTY) return true;
  if (f.stackUnderflow()) { f.setIndefinite(dst); if (pop) f.pop(); }
  return false;
}

/**
 * For the instructions that replace ST(0) and push a second result (FPTAN, FSINCOS, FXTRACT):
 * ST(0) must be full and ST(7) empty. The masked response to either fault is the indefinite
 * in both ST(0) and the pushed register (as measured on hardware).
 */
function needPushPair(f: Fpu): boolean {
  const empty0 = f.tag[f.top] === TAG_EMPTY;
  if (!empty0 && f.tag[(f.top - 1) & 7] === TAG_EMPTY) return true;
  if (empty0 ? f.stackUnderflow() : f.stackOverflow()) {
    f.setIndefinite(f.top);
    f.setIndefinite(f.push());
  }
  return false;
}

/** Stores a function result: inexact (PE), C1 = 0, UE when it lands below the normal range. */
function setFunctionResult(f: Fpu, p: number, r: number, exact: boolean): void {
  f.setC1(false);
  f.setVal(p, r);
  if (exact) return;
  f.raise(r !== 0 && Math.abs(r) < MIN_NORMAL ? SW_PE | SW_UE : SW_PE);
}

/** F2XM1: ST(0) = 2^ST(0) - 1 (defined for -1 <= x <= 1). */
export function f2xm1(f: Fpu): void {
  if (!needSt0(f)) return;
  const p = f.top, x = f.val[p];
  if (x !== x) { nanResult1(f, p, p); return; }
  if (denormalStop(f, p, -2)) return;
  if (x === 0 || x === Infinity) { setFunctionResult(f, p, x, true); return; }
  if (x === -Infinity) { setFunctionResult(f, p, -1, true); return; }
  setFunctionResult(f, p, Math.expm1(x * Math.LN2), false);
}

/** FYL2X (plus1 = false) and FYL2XP1: ST(1) = ST(1) * log2(ST(0) [+ 1]), pop. */
export function fyl2x(f: Fpu, plus1: boolean): void {
  const p0 = f.top, p1 = f.st(1);
  if (!needSt01(f, p1, true)) return;
  const x = f.val[p0], y = f.val[p1];
  if (x !== x || y !== y) { if (nanResult2(f, p1, p1, p0, y !== y, x !== x)) f.pop(); return; }
  if (denormalStop(f, p0, p1)) return;
  const lg = plus1 ? Math.log1p(x) / Math.LN2 : Math.log2(x);
  const r = y * lg;
  if (r !== r) { if (invalidResult(f, p1)) f.pop(); return; } // log of a negative, 0 * inf
  const pole = plus1 ? x === -1 : x === 0;
  if (pole && y - y === 0 && y !== 0 && f.raise(SW_ZE)) return;
  setFunctionResult(f, p1, r, r - r !== 0 || (y === 0 || lg === 0));
  f.pop();
}

/** FPATAN: ST(1) = arctan(ST(1) / ST(0)) in the quadrant of the signs, pop. */
export function fpatan(f: Fpu): void {
  const p0 = f.top, p1 = f.st(1);
  if (!needSt01(f, p1, true)) return;
  const x = f.val[p0], y = f.val[p1];
  if (x !== x || y !== y) { if (nanResult2(f, p1, p1, p0, y !== y, x !== x)) f.pop(); return; }
  if (denormalStop(f, p0, p1)) return;
  // Math.atan2 follows the same signed-zero and infinity table as the x87 (SDM FPATAN table 3-29).
  const r = Math.atan2(y, x);
  const a = Math.abs(r);
  const k = a === Math.PI ? 0 : a === Math.PI / 2 ? 1 : a === Math.PI / 4 ? 2 : a === 3 * Math.PI / 4 ? 3 : -1;
  if (k >= 0) {
    // The multiples of pi that the special cases (and atan(1)) give, as the x87's 64-bit
    // values rounded to nearest, with C1 set as measured.
    const se = (r < 0 ? 0x8000 : 0) | (k === 3 ? 0x4000 : 0x4000 - k);
    f.setImg(p1, se, k === 3 ? 0x96cbe3f9 | 0 : 0xc90fdaa2 | 0, k === 3 ? 0x990e91a8 | 0 : 0x2168c235);
    f.setC1(true);
    f.raise(SW_PE);
  } else setFunctionResult(f, p1, r, r === 0);
  f.pop();
}

/** FSIN (kind 0) and FCOS (kind 1). */
export function fsinCos(f: Fpu, kind: number): void {
  if (!needSt0(f)) return;
  const p = f.top, x = f.val[p];
  f.sw &= ~SW_C2;
  if (x !== x) { nanResult1(f, p, p); return; }
  if (x - x !== 0) { invalidResult(f, p); return; }
  if (Math.abs(x) >= TWO63) { f.sw |= SW_C2; return; }
  if (denormalStop(f, p, -2)) return;
  if (kind === 0) setFunctionResult(f, p, Math.sin(x), x === 0);
  else setFunctionResult(f, p, Math.cos(x), x === 0);
}

/** FPTAN (second = 1.0) and FSINCOS: ST(0) = tan or sin, then push 1.0 or cos. */
export function fptanSincos(f: Fpu, sincos: boolean): void {
  if (!needPushPair(f)) return;
  const p = f.top, x = f.val[p];
  f.sw &= ~SW_C2;
  if (x !== x) {
    if (nanResult1(f, p, p)) f.copy(f.push(), p);
    return;
  }
  if (x - x !== 0) {
    if (invalidResult(f, p)) f.setIndefinite(f.push());
    return;
  }
  if (Math.abs(x) >= TWO63) { f.sw |= SW_C2; return; }
  if (denormalStop(f, p, -2)) return;
  if (sincos) {
    const c = Math.cos(x);
    setFunctionResult(f, p, Math.sin(x), x === 0);
    setFunctionResult(f, f.push(), c, x === 0);
  } else {
    setFunctionResult(f, p, Math.tan(x), x === 0);
    f.setVal(f.push(), 1);
  }
}

/**
 * FPREM (ieee = false: quotient truncated) and FPREM1 (quotient rounded to nearest). When
 * the exponents differ by 64 or more the x87 only reduces partially: by ST(1) * 2^(D - N)
 * with D - N a multiple of 32 (N = 32 + (D - 32) mod 32, measured on hardware), sets C2 and
 * clears C0, C1, C3. Otherwise C2 = 0 and C0, C3, C1 receive quotient bits 2, 1, 0.
 */
export function fprem(f: Fpu, ieee: boolean): void {
  const p0 = f.top, p1 = f.st(1);
  if (!needSt01(f, p0, false)) return;
  const x = f.val[p0], y = f.val[p1];
  f.sw &= ~(SW_C0 | SW_C1 | SW_C2 | SW_C3);
  if (x !== x || y !== y) { nanResult2(f, p0, p0, p1, x !== x, y !== y); return; }
  if (x - x !== 0 || y === 0) { invalidResult(f, p0); return; }
  if (denormalStop(f, p0, p1)) return;
  if (y - y !== 0 || x === 0) { f.setVal(p0, x); return; }
  const d = exponentOf(x) - exponentOf(y);
  if (d >= 64) {
    const scale = (d - 32) & ~31;
    f.setVal(p0, x % ldexp(y, scale));
    f.sw |= SW_C2;
    return;
  }
  let r = x % y; // exact, with the sign of x
  // Low three quotient bits: x % 8y differs from x % y by (q mod 8) * y, exactly.
  let q = Math.round(Math.abs((x % (8 * y) - r) / y)) & 7;
  if (ieee) {
    const ar = Math.abs(r), half = Math.abs(y) * 0.5;
    if (ar > half || (ar === half && (q & 1) !== 0)) {
      r = r > 0 ? r - Math.abs(y) : r + Math.abs(y);
      q = (q + 1) & 7;
    }
  }
  f.setVal(p0, r === 0 ? (x < 0 ? -0 : 0) : r);
  f.sw |= ((q & 4) << 6) | ((q & 2) << 13) | ((q & 1) << 9); // C0 = q2, C3 = q1, C1 = q0
}

/** FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)), rounded by RC only (PC does not apply). */
export function fscale(f: Fpu): void {
  const p0 = f.top, p1 = f.st(1);
  if (!needSt01(f, p0, false)) return;
  const x = f.val[p0], s = f.val[p1];
  if (x !== x || s !== s) { nanResult2(f, p0, p0, p1, x !== x, s !== s); return; }
  if (denormalStop(f, p0, p1)) return;
  f.setC1(false);
  if (s - s !== 0) {
    // 0 * 2^+inf and inf * 2^-inf are invalid; otherwise infinity or zero with x's sign.
    if ((s > 0 && x === 0) || (s < 0 && x - x !== 0)) { invalidResult(f, p0); return; }
    f.setVal(p0, s > 0 ? x * Infinity : x * 0);
    return;
  }
  if (x === 0 || x - x !== 0) { f.setVal(p0, x); return; }
  const n = Math.max(-2300, Math.min(2300, Math.trunc(s)));
  const hi = ldexp(x, n);
  let sgn = 0;
  if (hi - hi === 0 && Math.abs(hi) < MIN_NORMAL) {
    const back = ldexp(hi, -n);
    sgn = x > back ? 1 : x < back ? -1 : 0;
  }
  f.setVal(p0, roundToReg(f, hi, sgn, PC_EXTENDED));
}

/** FXTRACT: ST(0) = exponent, then push the significand (same sign, exponent 0). */
export function fxtract(f: Fpu, scratch: Int32Array): void {
  if (!needPushPair(f)) return;
  const p = f.top, x = f.val[p];
  f.setC1(false);
  if (x !== x) {
    if (nanResult1(f, p, p)) f.copy(f.push(), p);
    return;
  }
  const cls = f.classOf(p);
  if (cls === CLS_ZERO) {
    if (f.raise(SW_ZE)) return;
    f.setVal(p, -Infinity);
    f.setVal(f.push(), x);
    return;
  }
  if (cls === CLS_INF) {
    f.setVal(p, Infinity);
    f.setVal(f.push(), x);
    return;
  }
  if (denormalStop(f, p, -2)) return;
  if (f.exact[p]) {
    // From the image: its own exponent (beyond the double range too) and significand.
    f.imgOf(p, scratch, 0);
    const exp = scratch[0] & 0x7fff;
    let mhi = scratch[1], mlo = scratch[2], e = (exp === 0 ? 1 : exp) - F80_BIAS;
    if ((mhi & J_BIT) === 0) { // denormal: normalize
      const lz = mhi !== 0 ? Math.clz32(mhi) : 32 + Math.clz32(mlo);
      if (lz >= 32) { mhi = mlo << (lz - 32); mlo = 0; } else if (lz > 0) { mhi = (mhi << lz) | (mlo >>> (32 - lz)); mlo <<= lz; }
      e -= lz;
    }
    const sign = scratch[0] & 0x8000;
    f.setVal(p, e);
    f.setImg(f.push(), sign | F80_BIAS, mhi, mlo);
    return;
  }
  const e = exponentOf(x);
  f.setVal(p, e);
  f.setVal(f.push(), ldexp(x, -e));
}

/** FRNDINT: round ST(0) to an integer by RC. */
export function frndint(f: Fpu, scratch: Int32Array): void {
  if (!needSt0(f)) return;
  const p = f.top, x = f.val[p];
  if (x !== x) { nanResult1(f, p, p); return; }
  if (denormalStop(f, p, -2)) return;
  f.setC1(false);
  if (f.exact[p]) {
    f.imgOf(p, scratch, 0);
    const exp = scratch[0] & 0x7fff;
    if (exp === 0x7fff || exp >= F80_BIAS + 63) return; // infinity, or already an integer
    const neg = (scratch[0] & 0x8000) !== 0;
    const k = F80_BIAS + 63 - (exp === 0 ? 1 : exp);
    shr(scratch[1], scratch[2], k);
    let hi = SHR.qhi, lo = SHR.qlo;
    const inexact = SHR.cls !== REM_ZERO;
    const up = roundsAway(neg, (lo & 1) !== 0, SHR.cls, f.rc);
    if (up) { lo += 1; if (lo === 4294967296) { lo = 0; hi += 1; } }
    imgFromU64(neg, hi, lo, scratch, 0);
    f.setImg(p, scratch[0], scratch[1], scratch[2]);
    f.setC1(up);
    if (inexact) f.raise(SW_PE);
    return;
  }
  if (x === 0 || x - x !== 0) return;
  const r = roundInt(x, f.rc);
  f.setVal(p, r);
  f.setC1(R.up);
  if (R.inexact) f.raise(SW_PE);
}
