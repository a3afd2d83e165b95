// Shifts and rotates: group 2 (ROL ROR RCL RCR SHL SHR SAL SAR by 1, CL or an immediate) and
// SHLD/SHRD. Counts are masked to five bits (80286 and later). A masked count of zero changes
// nothing, flags included. OF is defined by the SDM only for one-bit shifts; for other counts
// (undefined there) it is the OF of the last one-bit step, as the 80286 computes it.

import type { Cpu } from "../cpu.ts";
import { ECX, SZ16, SZ8 } from "../regs.ts";
import { getReg, pair, rd, setReg, sizeBytes, sizeMask, wr, type Handler, type HandlerMap } from "./operands.ts";

function bitsOf(sz: number): number {
  return sz === SZ8 ? 8 : sz === SZ16 ? 16 : 32;
}

/** Writes CF and OF explicitly (other status flags untouched). */
function setCO(c: Cpu, cf: number, of: number): void {
  c.setCfOf(cf, of);
}

/** Applies shift/rotate op (the ModRM reg field) to v by count (already masked to 5 bits, non-zero). */
export function shiftOp(c: Cpu, op: number, sz: number, v: number, count: number): number {
  const bits = bitsOf(sz),
    mask = sizeMask(sz),
    top = bits - 1;
  let r: number, cf: number;
  switch (op) {
    case 0: {
      // ROL
      const t = count & top;
      r = t === 0 ? v : ((v << t) | (v >>> (bits - t))) & mask;
      cf = r & 1;
      setCO(c, cf, (r >>> top) ^ cf);
      return r;
    }
    case 1: {
      // ROR
      const t = count & top;
      r = t === 0 ? v : ((v >>> t) | (v << (bits - t))) & mask;
      cf = (r >>> top) & 1;
      setCO(c, cf, cf ^ ((r >>> (top - 1)) & 1));
      return r;
    }
    case 2: {
      // RCL
      const t = sz === SZ8 ? count % 9 : sz === SZ16 ? count % 17 : count;
      const cin = c.cf();
      // A whole turn leaves value and CF as they were; OF still follows the last step.
      if (t === 0) {
        setCO(c, cin, ((v >>> top) & 1) ^ cin);
        return v;
      }
      r = ((v << t) | (cin << (t - 1)) | (t > 1 ? v >>> (bits + 1 - t) : 0)) & mask;
      cf = (v >>> (bits - t)) & 1;
      setCO(c, cf, ((r >>> top) & 1) ^ cf);
      return r;
    }
    case 3: {
      // RCR
      const t = sz === SZ8 ? count % 9 : sz === SZ16 ? count % 17 : count;
      const cin = c.cf();
      if (t === 0) {
        setCO(c, cin, ((v >>> top) ^ (v >>> (top - 1))) & 1);
        return v;
      }
      r = ((v >>> t) | (cin << (bits - t)) | (t > 1 ? v << (bits + 1 - t) : 0)) & mask;
      cf = (v >>> (t - 1)) & 1;
      setCO(c, cf, ((r >>> top) ^ (r >>> (top - 1))) & 1);
      return r;
    }
    case 4:
    case 6: {
      // SHL/SAL
      r = count < 32 ? (v << count) & mask : 0;
      cf = count <= bits ? (v >>> (bits - count)) & 1 : 0;
      setCO(c, cf, ((r >>> top) & 1) ^ cf);
      c.setResultSZP(sz, r);
      return r;
    }
    case 5: {
      // SHR: OF is the sign of the operand before the last one-bit step
      r = v >>> count;
      cf = (v >>> (count - 1)) & 1;
      setCO(c, cf, count === 1 ? (v >>> top) & 1 : 0);
      c.setResultSZP(sz, r);
      return r;
    }
    default: {
      // SAR
      const sv = (v << (32 - bits)) >> (32 - bits);
      r = (sv >> Math.min(count, 31)) & mask;
      cf = (sv >> Math.min(count - 1, 31)) & 1;
      setCO(c, cf, 0);
      c.setResultSZP(sz, r);
      return r;
    }
  }
}

/** Group 2; countKind: 0 = one (D0/D1), 1 = CL (D2/D3), 2 = immediate byte (C0/C1). */
export function grp2(c: Cpu, sz: number, countKind: number): void {
  const len = sizeBytes(sz);
  {
    const m = c.fetch8();
    const op = (m >> 3) & 7;
    if (m >= 0xc0) {
      const n = (countKind === 0 ? 1 : countKind === 1 ? c.r8[ECX << 2] : c.fetch8()) & 31;
      if (n !== 0) setReg(c, sz, m & 7, shiftOp(c, op, sz, getReg(c, sz, m & 7), n));
    } else {
      const lin = c.eaW(m, len);
      const n = (countKind === 0 ? 1 : countKind === 1 ? c.r8[ECX << 2] : c.fetch8()) & 31;
      const v = rd(c, sz, lin);
      if (n !== 0) wr(c, sz, lin, shiftOp(c, op, sz, v, n));
    }
  }
}

/** SHLD/SHRD dest, src, count. */
function doubleShift(c: Cpu, left: boolean, sz: number, d: number, s: number, n: number): number {
  let r: number, cf: number;
  if (sz === SZ16) {
    if (left) {
      if (n <= 16) {
        r = (((d << 16) | s) << n) >>> 16;
        cf = (d >>> (16 - n)) & 1;
      } else {
        r = (s << (n - 16)) | (d >>> (32 - n));
        cf = (s >>> (32 - n)) & 1;
      }
    } else {
      if (n <= 16) {
        r = ((s << 16) | d) >>> n;
        cf = (d >>> (n - 1)) & 1;
      } else {
        r = (s >>> (n - 16)) | (d << (32 - n));
        cf = (s >>> (n - 17)) & 1;
      }
    }
    r &= 0xffff;
    setCO(c, cf, ((r ^ d) >>> 15) & 1);
  } else {
    if (left) {
      r = (d << n) | (s >>> (32 - n));
      cf = (d >>> (32 - n)) & 1;
    } else {
      r = (d >>> n) | (s << (32 - n));
      cf = (d >>> (n - 1)) & 1;
    }
    setCO(c, cf, ((r ^ d) >>> 31) & 1);
  }
  c.setResultSZP(sz, r);
  return r;
}

function shxd(left: boolean, byCL: boolean): (sz: number) => Handler {
  return (sz) => (c) => {
    const m = c.fetch8();
    const s = getReg(c, sz, (m >> 3) & 7);
    if (m >= 0xc0) {
      const n = (byCL ? c.r8[ECX << 2] : c.fetch8()) & 31;
      if (n !== 0) setReg(c, sz, m & 7, doubleShift(c, left, sz, getReg(c, sz, m & 7), s, n));
    } else {
      const lin = c.eaW(m, sizeBytes(sz));
      const n = (byCL ? c.r8[ECX << 2] : c.fetch8()) & 31;
      const d = rd(c, sz, lin);
      if (n !== 0) wr(c, sz, lin, doubleShift(c, left, sz, d, s, n));
    }
  };
}

export const shiftHandlers: HandlerMap = {
  grp2Eb1: (c) => grp2(c, SZ8, 0),
  grp2Ev1: pair((sz) => (c) => grp2(c, sz, 0)),
  grp2EbCL: (c) => grp2(c, SZ8, 1),
  grp2EvCL: pair((sz) => (c) => grp2(c, sz, 1)),
  grp2EbIb: (c) => grp2(c, SZ8, 2),
  grp2EvIb: pair((sz) => (c) => grp2(c, sz, 2)),
  shldEvGvIb: pair(shxd(true, false)),
  shldEvGvCL: pair(shxd(true, true)),
  shrdEvGvIb: pair(shxd(false, false)),
  shrdEvGvCL: pair(shxd(false, true)),
};
