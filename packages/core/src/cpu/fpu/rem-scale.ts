// The x87's exact non-arithmetic computations: FPREM and FPREM1 (partial remainders), FSCALE,
// FXTRACT and FRNDINT (SDM Vol. 2, each instruction's page; Vol. 1 §8.3.5).
//
// Key design choice: all five work on the register images with integer arithmetic, so their
// results are exact, as on the chip; results below the normal range go through the same final
// rounding as arithmetic (ext.ts), which denormalizes them or, with UE unmasked, wraps their
// exponent (measured: FPREM and FSCALE behave like arithmetic there). PC does not apply.

import type { Fpu } from "./fpu.ts";
import { PC_EXTENDED, SW_C0, SW_C1, SW_C2, SW_C3, SW_PE, SW_ZE } from "./fpu.ts";
import { denormalStop, invalidResult, nanResult1, nanResult2, needPushPair, needSt0, needSt01 } from "./arith.ts";
import {
  CLS_DENORMAL,
  CLS_INF,
  CLS_QNAN,
  CLS_ZERO,
  F80_BIAS,
  REM_ZERO,
  SHR,
  classify,
  imgFromU64,
  roundsAway,
  shr,
} from "./f80.ts";
import { TWO31, TWO32, U, X, addCore, passA, roundToReg, setX64, unpack } from "./ext.ts";

const scratch = new Int32Array(3);

/**
 * FPREM (ieee = false: quotient truncated) and FPREM1 (quotient rounded to nearest). When
 * the exponents differ by 64 or more the x87 only reduces partially: by ST(1) * 2^(D - N)
 * with D - N a multiple of 32 (N = 32 + (D - 32) mod 32, measured on hardware), sets C2 and
 * clears C0, C1, C3. Otherwise C2 = 0 and C0, C3, C1 receive quotient bits 2, 1, 0.
 */
export function fprem(f: Fpu, ieee: boolean): void {
  const p0 = f.top,
    p1 = f.st(1);
  if (!needSt01(f, p0, false)) return;
  f.sw &= ~(SW_C0 | SW_C1 | SW_C2 | SW_C3);
  const i0 = p0 * 3,
    i1 = p1 * 3;
  const aSe = f.img[i0],
    aHi = f.img[i0 + 1],
    aLo = f.img[i0 + 2];
  const bSe = f.img[i1],
    bHi = f.img[i1 + 1],
    bLo = f.img[i1 + 2];
  const ca = classify(aSe, aHi, aLo),
    cb = classify(bSe, bHi, bLo);
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) {
    nanResult2(f, p0, p0, p1, ca >= CLS_QNAN, cb >= CLS_QNAN);
    return;
  }
  if (ca === CLS_INF || cb === CLS_ZERO) {
    invalidResult(f, p0);
    return;
  }
  if (denormalStop(f, p0, p1)) return;
  if (cb === CLS_INF || ca === CLS_ZERO) return; // ST(0) is its own remainder
  unpack(aSe, aHi, aLo, 0);
  unpack(bSe, bHi, bLo, 4);
  const sign = U[0];
  const bh = U[6],
    bl = U[7];
  let eb = U[5];
  let d = U[1] - eb;
  let partial = false;
  if (d >= 64) {
    const scale = (d - 32) & ~31;
    eb += scale;
    d -= scale;
    partial = true;
  }
  let q = 0;
  let flip = 0;
  if (d < 0) {
    // |ST(0)| < |ST(1)|: quotient 0, unless FPREM1 rounds |ST(0)| > |ST(1)| / 2 up to 1.
    if (ieee && d === -1 && (U[2] > bh || (U[2] === bh && U[3] > bl))) {
      U[4] = U[0]; // A - sign(A) * |B|: magnitude |B| - |A|, sign flipped (exact)
      addCore(1, f.rc);
      q = 1;
    } else {
      passA();
    }
  } else {
    // Restoring division of the significands over d + 1 quotient bits.
    let rh = U[2],
      rl = U[3],
      carry = 0;
    for (let k = d; ; k--) {
      let bit = 0;
      if (carry !== 0 || rh > bh || (rh === bh && rl >= bl)) {
        rl -= bl;
        rh -= bh;
        if (rl < 0) {
          rl += TWO32;
          rh -= 1;
        }
        if (carry !== 0) rh += TWO32;
        bit = 1;
      }
      q = ((q << 1) | bit) & 7;
      if (k === 0) break;
      carry = rh >= TWO31 ? 1 : 0;
      rh = ((rh << 1) | (rl >>> 31)) >>> 0;
      rl = (rl << 1) >>> 0;
    }
    if (ieee && !partial && (rh !== 0 || rl !== 0)) {
      // Round the quotient to nearest: compare 2R with B.
      const r2h = rh >= TWO31 ? TWO32 : ((rh << 1) | (rl >>> 31)) >>> 0,
        r2l = (rl << 1) >>> 0;
      const c = r2h !== bh ? (r2h > bh ? 1 : -1) : r2l !== bl ? (r2l > bl ? 1 : -1) : 0;
      if (c > 0 || (c === 0 && (q & 1) !== 0)) {
        rl = bl - rl;
        rh = bh - rh;
        if (rl < 0) {
          rl += TWO32;
          rh -= 1;
        }
        q = (q + 1) & 7;
        flip = 1;
      }
    }
    if (rh === 0 && rl === 0) {
      X[0] = sign;
      X[2] = 0;
    } else {
      setX64(rh, rl, eb);
      X[0] = sign ^ flip;
    }
  }
  roundToReg(f, p0, PC_EXTENDED, f.rc);
  f.sw &= ~SW_C1;
  if (partial) f.sw |= SW_C2;
  else f.sw |= ((q & 4) << 6) | ((q & 2) << 13) | ((q & 1) << 9); // C0 = q2, C3 = q1, C1 = q0
}

/** FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)), rounded by RC only (PC does not apply). */
export function fscale(f: Fpu): void {
  const p0 = f.top,
    p1 = f.st(1);
  if (!needSt01(f, p0, false)) return;
  const i0 = p0 * 3,
    i1 = p1 * 3;
  const aSe = f.img[i0],
    aHi = f.img[i0 + 1],
    aLo = f.img[i0 + 2];
  const sSe = f.img[i1],
    sHi = f.img[i1 + 1];
  const ca = classify(aSe, aHi, aLo),
    cs = classify(sSe, sHi, f.img[i1 + 2]);
  if (ca >= CLS_QNAN || cs >= CLS_QNAN) {
    nanResult2(f, p0, p0, p1, ca >= CLS_QNAN, cs >= CLS_QNAN);
    return;
  }
  if (denormalStop(f, p0, p1)) return;
  f.setC1(false);
  const sNeg = (sSe & 0x8000) !== 0;
  if (cs === CLS_INF) {
    // 0 * 2^+inf and inf * 2^-inf are invalid; otherwise infinity or zero with x's sign.
    if ((!sNeg && ca === CLS_ZERO) || (sNeg && ca === CLS_INF)) {
      invalidResult(f, p0);
      return;
    }
    const neg = (aSe & 0x8000) !== 0 ? 0x8000 : 0;
    if (sNeg) f.setImg(p0, neg, 0, 0);
    else f.setImg(p0, neg | 0x7fff, 0x80000000 | 0, 0);
    return;
  }
  if (ca === CLS_ZERO || ca === CLS_INF) return;
  // trunc(ST(1)), clamped far beyond any exponent a result can reach.
  const se = sSe & 0x7fff;
  let n = 0;
  if (se >= F80_BIAS && cs !== CLS_DENORMAL) n = se - F80_BIAS >= 20 ? 1 << 20 : (sHi >>> 0) >>> (31 - (se - F80_BIAS));
  if (sNeg) n = -n;
  unpack(aSe, aHi, aLo, 0);
  passA();
  X[1] += n;
  roundToReg(f, p0, PC_EXTENDED, f.rc);
}

/** FXTRACT: ST(0) = exponent, then push the significand (same sign, exponent 0). */
export function fxtract(f: Fpu): void {
  if (!needPushPair(f)) return;
  const p = f.top;
  f.setC1(false);
  const i = p * 3;
  const se = f.img[i],
    hi = f.img[i + 1],
    lo = f.img[i + 2];
  const cls = classify(se, hi, lo);
  if (cls >= CLS_QNAN) {
    if (nanResult1(f, p, p)) f.copy(f.push(), p);
    return;
  }
  const sign = se & 0x8000;
  if (cls === CLS_ZERO) {
    if (f.raise(SW_ZE)) return;
    f.setImg(p, 0xffff, 0x80000000 | 0, 0); // -infinity
    f.setImg(f.push(), sign, 0, 0);
    return;
  }
  if (cls === CLS_INF) {
    f.setImg(p, 0x7fff, 0x80000000 | 0, 0);
    f.setImg(f.push(), sign | 0x7fff, 0x80000000 | 0, 0);
    return;
  }
  if (denormalStop(f, p, -2)) return;
  unpack(se, hi, lo, 0); // denormals normalized: their true exponent
  const e = U[1];
  imgFromU64(e < 0, 0, Math.abs(e), scratch, 0);
  f.setImg(p, scratch[0], scratch[1], scratch[2]);
  f.setImg(f.push(), sign | F80_BIAS, U[2], U[3]);
}

/** FRNDINT: round ST(0) to an integer by RC. */
export function frndint(f: Fpu): void {
  if (!needSt0(f)) return;
  const p = f.top;
  const i = p * 3;
  const se = f.img[i],
    hi = f.img[i + 1],
    lo = f.img[i + 2];
  const cls = classify(se, hi, lo);
  if (cls >= CLS_QNAN) {
    nanResult1(f, p, p);
    return;
  }
  if (denormalStop(f, p, -2)) return;
  f.setC1(false);
  const exp = se & 0x7fff;
  if (cls === CLS_ZERO || cls === CLS_INF || exp >= F80_BIAS + 63) return; // already an integer
  const neg = (se & 0x8000) !== 0;
  shr(hi, lo, F80_BIAS + 63 - (exp === 0 ? 1 : exp));
  let qh = SHR.qhi,
    ql = SHR.qlo;
  const inexact = SHR.cls !== REM_ZERO;
  const up = roundsAway(neg, (ql & 1) !== 0, SHR.cls, f.rc);
  if (up) {
    ql += 1;
    if (ql === TWO32) {
      ql = 0;
      qh += 1;
    }
  }
  imgFromU64(neg, qh, ql, scratch, 0);
  f.setImg(p, scratch[0], scratch[1], scratch[2]);
  f.setC1(up);
  if (inexact) f.raise(SW_PE);
}
