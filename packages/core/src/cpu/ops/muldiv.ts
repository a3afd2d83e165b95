// Group 3 (F6/F7: TEST NOT NEG MUL IMUL DIV IDIV) and the IMUL forms 69, 6B, 0F AF.
// 64-bit products and dividends are handled as 16-bit pieces in doubles: no BigInt, no
// allocation. MUL/IMUL set CF=OF when the high half is significant; SF/ZF/AF/PF are undefined
// (here: taken from the low half of the result, as P6 processors do).

import type { Cpu } from "../cpu.ts";
import { AF, EAX, EDX, SZ16, SZ32, SZ8, V_DE } from "../regs.ts";
import { neg } from "./alu.ts";
import {
  fetchImm,
  getReg,
  pair,
  rd,
  setReg,
  sizeBytes,
  sizeMask,
  wr,
  type Handler,
  type HandlerMap,
} from "./operands.ts";

/** Scratch for 64-bit results: low and high 32 bits. */
const wide = new Int32Array(2);

/** Unsigned 32x32 -> 64 multiply into wide[0] (low), wide[1] (high). */
function mulU32(a: number, b: number): void {
  const aL = a & 0xffff,
    aH = a >>> 16,
    bL = b & 0xffff,
    bH = b >>> 16;
  const ll = aL * bL,
    lh = aL * bH,
    hl = aH * bL,
    hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  wide[0] = (ll & 0xffff) | (mid << 16);
  wide[1] = hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536);
}

/** Signed 32x32 -> 64 multiply into wide. */
function mulS32(a: number, b: number): void {
  mulU32(a, b);
  let hi = wide[1];
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  wide[1] = hi;
}

/** Sets CF=OF=overflow and the undefined flags from the low result. */
function mulFlags(c: Cpu, sz: number, low: number, overflow: boolean): void {
  c.setCfOf(overflow ? 1 : 0, overflow ? 1 : 0);
  c.setFlag(AF, false);
  c.setResultSZP(sz, low);
}

/** MUL: the accumulator times src into (E)DX:(E)AX, or AX for bytes. */
export function mul(c: Cpu, sz: number, src: number): void {
  if (sz === SZ8) {
    const r = c.r8[0] * src;
    c.r16[0] = r;
    mulFlags(c, SZ8, r & 0xff, r > 0xff);
  } else if (sz === SZ16) {
    const r = c.r16[0] * src;
    c.r16[0] = r;
    c.r16[EDX << 1] = r >>> 16;
    mulFlags(c, SZ16, r & 0xffff, r > 0xffff);
  } else {
    mulU32(c.r32[EAX], src);
    c.r32[EAX] = wide[0];
    c.r32[EDX] = wide[1];
    mulFlags(c, SZ32, wide[0], wide[1] !== 0);
  }
}

/** One-operand IMUL: the signed product of the accumulator and src. */
export function imul1(c: Cpu, sz: number, src: number): void {
  if (sz === SZ8) {
    const r = ((c.r8[0] << 24) >> 24) * ((src << 24) >> 24);
    c.r16[0] = r;
    mulFlags(c, SZ8, r & 0xff, r !== (r << 24) >> 24);
  } else if (sz === SZ16) {
    const r = ((c.r16[0] << 16) >> 16) * ((src << 16) >> 16);
    c.r16[0] = r;
    c.r16[EDX << 1] = r >> 16;
    mulFlags(c, SZ16, r & 0xffff, r !== (r << 16) >> 16);
  } else {
    mulS32(c.r32[EAX], src | 0);
    c.r32[EAX] = wide[0];
    c.r32[EDX] = wide[1];
    mulFlags(c, SZ32, wide[0], wide[1] !== wide[0] >> 31);
  }
}

/** Two- and three-operand IMUL: the truncated signed product of a and b. */
export function imul2(c: Cpu, sz: number, a: number, b: number): number {
  if (sz === SZ16) {
    const r = ((a << 16) >> 16) * ((b << 16) >> 16);
    const low = r & 0xffff;
    mulFlags(c, SZ16, low, r !== (r << 16) >> 16);
    return low;
  }
  mulS32(a | 0, b | 0);
  mulFlags(c, SZ32, wide[0], wide[1] !== wide[0] >> 31);
  return wide[0];
}

function div(c: Cpu, sz: number, d: number): void {
  if (d === 0) c.fault(V_DE);
  if (sz === SZ8) {
    const n = c.r16[0];
    const q = Math.floor(n / d);
    if (q > 0xff) c.fault(V_DE);
    c.r8[0] = q;
    c.r8[1] = n - q * d;
  } else if (sz === SZ16) {
    const n = c.r16[EDX << 1] * 65536 + c.r16[0];
    const q = Math.floor(n / d);
    if (q > 0xffff) c.fault(V_DE);
    c.r16[0] = q;
    c.r16[EDX << 1] = n - q * d;
  } else {
    const hi = c.r32[EDX] >>> 0,
      lo = c.r32[EAX] >>> 0;
    d >>>= 0;
    if (hi >= d) c.fault(V_DE);
    divU64(hi, lo, d);
    c.r32[EAX] = wide[0];
    c.r32[EDX] = wide[1];
  }
}

/** (hi:lo) / d with hi < d: quotient in wide[0], remainder in wide[1]. */
function divU64(hi: number, lo: number, d: number): void {
  let rem = hi;
  let cur = rem * 65536 + (lo >>> 16);
  const q1 = Math.floor(cur / d);
  rem = cur - q1 * d;
  cur = rem * 65536 + (lo & 0xffff);
  const q0 = Math.floor(cur / d);
  rem = cur - q0 * d;
  wide[0] = q1 * 65536 + q0;
  wide[1] = rem;
}

function idiv(c: Cpu, sz: number, d: number): void {
  if (sz === SZ8) {
    d = (d << 24) >> 24;
    if (d === 0) c.fault(V_DE);
    const n = (c.r16[0] << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) c.fault(V_DE);
    c.r8[0] = q;
    c.r8[1] = n - q * d;
  } else if (sz === SZ16) {
    d = (d << 16) >> 16;
    if (d === 0) c.fault(V_DE);
    const n = (c.r16[EDX << 1] << 16) | c.r16[0];
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) c.fault(V_DE);
    c.r16[0] = q;
    c.r16[EDX << 1] = n - q * d;
  } else {
    d |= 0;
    if (d === 0) c.fault(V_DE);
    let hi = c.r32[EDX],
      lo = c.r32[EAX];
    const negN = hi < 0,
      negD = d < 0;
    if (negN) {
      lo = -lo | 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
    }
    const ad = negD ? -d >>> 0 : d;
    if (hi >>> 0 >= ad) c.fault(V_DE);
    divU64(hi >>> 0, lo >>> 0, ad);
    const q = negN !== negD ? -(wide[0] >>> 0) : wide[0] >>> 0;
    if (q > 0x7fffffff || q < -0x80000000) c.fault(V_DE);
    const r = negN ? -(wide[1] >>> 0) : wide[1] >>> 0;
    c.r32[EAX] = q;
    c.r32[EDX] = r;
  }
}

/** Group 3 (F6/F7): TEST NOT NEG MUL IMUL DIV IDIV. */
export function grp3(c: Cpu, sz: number): void {
  const len = sizeBytes(sz),
    mask = sizeMask(sz);
  {
    const m = c.fetch8();
    const op = (m >> 3) & 7;
    const isReg = m >= 0xc0;
    if (op === 2 || op === 3) {
      // NOT / NEG: read-modify-write
      if (isReg) {
        const a = getReg(c, sz, m & 7);
        setReg(c, sz, m & 7, op === 2 ? ~a & mask : neg(c, sz, a));
      } else {
        const lin = c.eaW(m, len);
        const a = rd(c, sz, lin);
        wr(c, sz, lin, op === 2 ? ~a & mask : neg(c, sz, a));
      }
      return;
    }
    const v = isReg ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, len));
    switch (op) {
      case 0:
      case 1:
        c.setLogic(sz, v & fetchImm(c, sz));
        break;
      case 4:
        mul(c, sz, v);
        break;
      case 5:
        imul1(c, sz, v);
        break;
      case 6:
        div(c, sz, v);
        break;
      default:
        idiv(c, sz, v);
        break;
    }
  }
}

function imulGvEvI(immByte: boolean): (sz: number) => Handler {
  return (sz) => (c) => {
    const m = c.fetch8();
    const a = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, sizeBytes(sz)));
    const b = immByte ? c.fetch8s() : fetchImm(c, sz);
    setReg(c, sz, (m >> 3) & 7, imul2(c, sz, a, b));
  };
}

function imulGvEv(sz: number): Handler {
  return (c) => {
    const m = c.fetch8();
    const b = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, sizeBytes(sz)));
    const g = (m >> 3) & 7;
    setReg(c, sz, g, imul2(c, sz, getReg(c, sz, g), b));
  };
}

export const muldivHandlers: HandlerMap = {
  grp3Eb: (c) => grp3(c, SZ8),
  grp3Ev: pair((sz) => (c) => grp3(c, sz)),
  imulGvEvIv: pair(imulGvEvI(false)),
  imulGvEvIbs: pair(imulGvEvI(true)),
  imulGvEv: pair(imulGvEv),
};
