// The floating-point instructions of SSE and SSE2 (SDM Vol. 1 chapters 10 and 11, Vol. 2 each
// instruction's page): arithmetic, comparisons, conversions, shuffles and the double-precision
// moves and logic, on XMM0-7 (and MM0-7 for the CVT*PI* forms).
//
// Key design choice: each instruction computes all its lanes into the scratch R with the
// arithmetic of fp-round.ts, which collects the MXCSR exception flags; finish() then applies
// SDM Vol. 1 §11.5.2: an unmasked pre-computation exception (IE, DE, ZE) in any lane sets those
// flags only, an unmasked post-computation one (OE, UE, PE) sets all the flags, and either raises
// #XM (CR4.OSXMMEXCPT set) or #UD with the destination unchanged (the MMX forms make their x87
// transition, TOP 0 and all tags valid, even then, as the host does); otherwise the flags are
// ORed into MXCSR and R is written. Checks come first, in the SDM's order (Vol. 2 table 2-20): CR0.EM or
// CR4.OSFXSR clear #UD, CR0.TS #NM, then (MMX operands) a pending x87 exception #MF, then the
// memory operand: 16-byte packed operands aligned (#GP(0)), scalar and 8-byte ones at any address.

import type { Cpu } from "../cpu.ts";
import { AF, CF, CR4_OSXMMEXCPT, OF, PF, SF, SZ32, V_UD, ZF } from "../regs.ts";
import { readE, setReg, type Handler, type HandlerMap } from "../ops/operands.ts";
import { aligned, check, sseHandlers } from "./sse.ts";
import { check as mmxCheck, enter as mmxEnter, load as mmxLoad, store as mmxStore } from "./mmx.ts";
import {
  approx,
  arith,
  begin,
  compare,
  convertFloat,
  fl,
  fromInt32,
  MX_DE,
  MX_IE,
  MX_ZE,
  OP_ADD,
  OP_DIV,
  OP_MAX,
  OP_MIN,
  OP_MUL,
  OP_SQRT,
  OP_SUB,
  relation,
  REL_EQ,
  REL_LT,
  REL_UN,
  toInt32,
} from "./fp-round.ts";

/** #XM: SIMD floating-point exception (SDM Vol. 3 §6.15, interrupt 19). */
export const V_XM = 19;

/** Source operand (from memory or a register) and result. */
const T = new Int32Array(4),
  R = new Int32Array(4);
/** MMX operand scratch. */
const Q = new Int32Array(2);

/** The W operand of ModRM m: len bytes (4, 8 or 16) into T; align: 16-byte alignment check. */
function readW(c: Cpu, m: number, len: number, align: boolean): void {
  if (m >= 0xc0) {
    const s = (m & 7) * 4;
    const x = c.xmm;
    T[0] = x[s];
    T[1] = x[s + 1];
    T[2] = x[s + 2];
    T[3] = x[s + 3];
    return;
  }
  const off = c.eaOff(m);
  const lin = c.segR(c.eaSeg, off, len);
  if (align) aligned(c, lin);
  for (let i = 0; i < len >> 2; i++) T[i] = c.rd32((lin + i * 4) | 0);
}

/**
 * Ends an instruction's computation: true when the result may be written (flags ORed into
 * MXCSR), else an unmasked exception was raised (this throws).
 */
function finish(c: Cpu): boolean {
  const masks = (c.mxcsr >> 7) & 0x3f;
  const f = fl;
  if (f & ~masks) {
    const pre = f & (MX_IE | MX_DE | MX_ZE);
    c.mxcsr |= pre & ~masks ? pre : f;
    c.fault(c.cr[4] & CR4_OSXMMEXCPT ? V_XM : V_UD);
  }
  c.mxcsr |= f;
  return true;
}

const reg = (m: number) => ((m >> 3) & 7) * 4;

// ---- arithmetic

/** ADDPS ... SQRTPD: Vps,Wps or Vpd,Wpd (16 bytes aligned), op on every lane. */
function packed(op: number, dbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, 16, true);
    const d = reg(m),
      x = c.xmm,
      w = dbl ? 2 : 1;
    begin(c.mxcsr);
    for (let i = 0; i < 4; i += w) arith(op, dbl, x, d + i, T, i, R, i);
    if (finish(c)) x.set(R, d);
  };
}
/** ADDSS ... SQRTSD: the low lane only (4 or 8 bytes at any address); the rest kept. */
function scalar(op: number, dbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, dbl ? 8 : 4, false);
    const d = reg(m),
      x = c.xmm;
    begin(c.mxcsr);
    arith(op, dbl, x, d, T, 0, R, 0);
    if (finish(c)) {
      x[d] = R[0];
      if (dbl) x[d + 1] = R[1];
    }
  };
}
/** RCPPS/RSQRTPS (packed, aligned) and RCPSS/RSQRTSS: no flags, no exceptions. */
function approximate(rsqrt: boolean, isPacked: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, isPacked ? 16 : 4, isPacked);
    const d = reg(m);
    for (let i = 0; i < (isPacked ? 4 : 1); i++) approx(rsqrt, T, i, c.xmm, d + i);
  };
}

// ---- comparisons

/** CMPPS/CMPPD/CMPSS/CMPSD V,W,Ib: predicate imm8 & 7 (the SDM's 0-7; bits 3-7 ignored). */
function cmp(dbl: boolean, isPacked: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, isPacked ? 16 : dbl ? 8 : 4, isPacked);
    const pred = c.fetch8() & 7;
    const d = reg(m),
      x = c.xmm,
      w = dbl ? 2 : 1;
    begin(c.mxcsr);
    const n = isPacked ? 4 : w;
    for (let i = 0; i < n; i += w) compare(pred, dbl, x, d + i, T, i, R, i);
    if (finish(c)) for (let i = 0; i < n; i++) x[d + i] = R[i];
  };
}

/**
 * COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF = 111 unordered, 000 greater, 001 less, 100 equal; OF
 * SF AF cleared. COMIS* raise IE for a QNaN too, UCOMIS* for an SNaN only.
 */
function comi(dbl: boolean, signalling: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, dbl ? 8 : 4, false);
    begin(c.mxcsr);
    const r = relation(dbl, c.xmm, reg(m), T, 0, signalling);
    finish(c);
    c.setFlag(ZF, r === REL_EQ || r === REL_UN);
    c.setFlag(PF, r === REL_UN);
    c.setFlag(CF, r === REL_LT || r === REL_UN);
    c.setFlag(OF | SF | AF, false);
  };
}

// ---- conversions

/** CVTSI2SS/CVTSI2SD V,Ed: the low lane from a signed dword; the rest kept. */
function cvtsi(dbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    const v = readE(c, SZ32, m);
    begin(c.mxcsr);
    fromInt32(dbl, v, R, 0);
    if (finish(c)) {
      const d = reg(m);
      c.xmm[d] = R[0];
      if (dbl) c.xmm[d + 1] = R[1];
    }
  };
}
/** CVT(T)SS2SI/CVT(T)SD2SI Gd,W: the low lane to a signed dword. */
function cvt2si(dbl: boolean, truncate: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, dbl ? 8 : 4, false);
    begin(c.mxcsr);
    const v = toInt32(dbl, T, 0, truncate);
    if (finish(c)) setReg(c, SZ32, (m >> 3) & 7, v);
  };
}
/** CVTPI2PS Vps,Qq (two singles, the high ones kept) and CVTPI2PD Vpd,Qq (two doubles). */
function cvtpi(dbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    if (m >= 0xc0) {
      if (!mmxCheck(c)) return;
      mmxLoad(c, m & 7, Q);
    } else {
      const lin = c.eaR(m, 8);
      Q[0] = c.rd32(lin);
      Q[1] = c.rd32((lin + 4) | 0);
    }
    begin(c.mxcsr);
    fromInt32(dbl, Q[0], R, 0);
    fromInt32(dbl, Q[1], R, dbl ? 2 : 1);
    if (m >= 0xc0) mmxEnter(c); // the x87 side comes first, even before an unmasked #XM
    finish(c);
    const d = reg(m);
    for (let i = 0; i < (dbl ? 4 : 2); i++) c.xmm[d + i] = R[i];
  };
}
/** CVT(T)PS2PI Pq,Wq (two singles) and CVT(T)PD2PI Pq,Wpd (two doubles, 16 bytes aligned). */
function cvt2pi(dbl: boolean, truncate: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    if (!mmxCheck(c)) return;
    readW(c, m, dbl ? 16 : 8, dbl);
    begin(c.mxcsr);
    const lo = toInt32(dbl, T, 0, truncate),
      hi = toInt32(dbl, T, dbl ? 2 : 1, truncate);
    mmxEnter(c); // the x87 side comes first, even before an unmasked #XM
    finish(c);
    mmxStore(c, (m >> 3) & 7, lo, hi);
  };
}
/** CVTDQ2PS Vps,Wdq (aligned) and CVTDQ2PD Vpd,Wq (two dwords, any address). */
function cvtdq(dbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, dbl ? 8 : 16, !dbl);
    begin(c.mxcsr);
    for (let i = 0; i < (dbl ? 2 : 4); i++) fromInt32(dbl, T[i], R, dbl ? i * 2 : i);
    if (finish(c)) c.xmm.set(R, reg(m));
  };
}
/**
 * CVT(T)PS2DQ Vdq,Wps (four singles) and CVT(T)PD2DQ Vdq,Wpd (two doubles, the high quadword
 * cleared); 16 bytes aligned.
 */
function cvt2dq(dbl: boolean, truncate: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, 16, true);
    begin(c.mxcsr);
    if (dbl) {
      R[0] = toInt32(true, T, 0, truncate);
      R[1] = toInt32(true, T, 2, truncate);
      R[2] = 0;
      R[3] = 0;
    } else for (let i = 0; i < 4; i++) R[i] = toInt32(false, T, i, truncate);
    if (finish(c)) c.xmm.set(R, reg(m));
  };
}
/** CVTPS2PD Vpd,Wq (two singles, any address) and CVTPD2PS Vps,Wpd (aligned; high quadword 0). */
function cvtPacked(toDbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, toDbl ? 8 : 16, !toDbl);
    begin(c.mxcsr);
    if (toDbl) {
      convertFloat(true, T, 0, R, 0);
      convertFloat(true, T, 1, R, 2);
    } else {
      convertFloat(false, T, 0, R, 0);
      convertFloat(false, T, 2, R, 1);
      R[2] = 0;
      R[3] = 0;
    }
    if (finish(c)) c.xmm.set(R, reg(m));
  };
}
/** CVTSS2SD Vsd,Wss and CVTSD2SS Vss,Wsd: the low lane; the rest kept. */
function cvtScalar(toDbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, toDbl ? 4 : 8, false);
    begin(c.mxcsr);
    convertFloat(toDbl, T, 0, R, 0);
    if (finish(c)) {
      const d = reg(m);
      c.xmm[d] = R[0];
      if (toDbl) c.xmm[d + 1] = R[1];
    }
  };
}

// ---- shuffles, unpacking, sign masks

/** SHUFPS Vps,Wps,Ib: two singles of the destination, then two of the source, chosen by imm8. */
const shufps: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  readW(c, m, 16, true);
  const s = c.fetch8(),
    d = reg(m),
    x = c.xmm;
  R[0] = x[d + (s & 3)];
  R[1] = x[d + ((s >> 2) & 3)];
  R[2] = T[(s >> 4) & 3];
  R[3] = T[(s >> 6) & 3];
  x.set(R, d);
};
/** SHUFPD Vpd,Wpd,Ib: the destination's double imm8 bit 0, then the source's double bit 1. */
const shufpd: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  readW(c, m, 16, true);
  const s = c.fetch8(),
    d = reg(m),
    x = c.xmm;
  const a = d + (s & 1) * 2,
    b = (s & 2) * 1;
  R[0] = x[a];
  R[1] = x[a + 1];
  R[2] = T[b];
  R[3] = T[b + 1];
  x.set(R, d);
};
/** UNPCKLPS/UNPCKHPS (interleave singles) and UNPCKLPD/UNPCKHPD (doubles) of one half. */
function unpack(high: boolean, dbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, 16, true);
    const d = reg(m),
      x = c.xmm,
      h = high ? 2 : 0;
    if (dbl) {
      R[0] = x[d + h];
      R[1] = x[d + h + 1];
      R[2] = T[h];
      R[3] = T[h + 1];
    } else {
      R[0] = x[d + h];
      R[1] = T[h];
      R[2] = x[d + h + 1];
      R[3] = T[h + 1];
    }
    x.set(R, d);
  };
}
/** MOVMSKPS/MOVMSKPD Gd,U: the sign bits of the lanes (register operand only). */
function movmsk(dbl: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    if (m < 0xc0) c.fault(V_UD);
    check(c);
    const s = (m & 7) * 4,
      x = c.xmm;
    const v = dbl
      ? (x[s + 1] >>> 31) | ((x[s + 3] >>> 31) << 1)
      : (x[s] >>> 31) | ((x[s + 1] >>> 31) << 1) | ((x[s + 2] >>> 31) << 2) | ((x[s + 3] >>> 31) << 3);
    setReg(c, SZ32, (m >> 3) & 7, v);
  };
}

// ---- double-precision moves

/** MOVSD Vsd,Wsd (F2 0F 10): from memory the low quadword, the high one cleared; else low only. */
const movsdVsdWsd: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  const x = c.xmm,
    d = reg(m);
  if (m >= 0xc0) {
    const s = (m & 7) * 4;
    x[d] = x[s];
    x[d + 1] = x[s + 1];
    return;
  }
  const lin = c.eaR(m, 8);
  const lo = c.rd32(lin),
    hi = c.rd32((lin + 4) | 0);
  x[d] = lo;
  x[d + 1] = hi;
  x[d + 2] = 0;
  x[d + 3] = 0;
};
/** MOVSD Wsd,Vsd (F2 0F 11): the low quadword to memory or a register. */
const movsdWsdVsd: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  const x = c.xmm,
    s = reg(m);
  if (m >= 0xc0) {
    const d = (m & 7) * 4;
    x[d] = x[s];
    x[d + 1] = x[s + 1];
    return;
  }
  const lin = c.eaW(m, 8);
  c.wr32(lin, x[s]);
  c.wr32((lin + 4) | 0, x[s + 1]);
};
/** MOVLPD/MOVHPD Vq,Mq (66 0F 12, 66 0F 16): load a quadword, keep the other (memory only). */
function movpdLoad(high: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    if (m >= 0xc0) c.fault(V_UD);
    check(c);
    const d = reg(m) + (high ? 2 : 0);
    const lin = c.eaR(m, 8);
    const lo = c.rd32(lin),
      hi = c.rd32((lin + 4) | 0);
    c.xmm[d] = lo;
    c.xmm[d + 1] = hi;
  };
}
/** MOVNTPS/MOVNTPD M,V: a 16-byte aligned store (the non-temporal hint has no effect here). */
const movnt: Handler = (c) => {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD);
  check(c);
  const off = c.eaOff(m);
  const lin = c.segW(c.eaSeg, off, 16);
  aligned(c, lin);
  c.writable(lin, 16);
  const s = reg(m);
  for (let i = 0; i < 4; i++) c.wr32((lin + i * 4) | 0, c.xmm[s + i]);
};

const OPS: [string, number][] = [
  ["add", OP_ADD],
  ["sub", OP_SUB],
  ["mul", OP_MUL],
  ["div", OP_DIV],
  ["min", OP_MIN],
  ["max", OP_MAX],
  ["sqrt", OP_SQRT],
];

const arithmetic: HandlerMap = {};
for (const [name, op] of OPS) {
  arithmetic[`${name}psVpsWps`] = packed(op, false);
  arithmetic[`${name}pdVpdWpd`] = packed(op, true);
  arithmetic[`${name}ssVssWss`] = scalar(op, false);
  arithmetic[`${name}sdVsdWsd`] = scalar(op, true);
}

export const sseFloatHandlers: HandlerMap = {
  ...arithmetic,
  rcppsVpsWps: approximate(false, true),
  rcpssVssWss: approximate(false, false),
  rsqrtpsVpsWps: approximate(true, true),
  rsqrtssVssWss: approximate(true, false),
  cmppsVpsWpsIb: cmp(false, true),
  cmppdVpdWpdIb: cmp(true, true),
  cmpssVssWssIb: cmp(false, false),
  cmpsdVsdWsdIb: cmp(true, false),
  comissVssWss: comi(false, true),
  ucomissVssWss: comi(false, false),
  comisdVsdWsd: comi(true, true),
  ucomisdVsdWsd: comi(true, false),
  cvtsi2ssVssEd: cvtsi(false),
  cvtsi2sdVsdEd: cvtsi(true),
  cvtss2siGdWss: cvt2si(false, false),
  cvttss2siGdWss: cvt2si(false, true),
  cvtsd2siGdWsd: cvt2si(true, false),
  cvttsd2siGdWsd: cvt2si(true, true),
  cvtpi2psVpsQq: cvtpi(false),
  cvtpi2pdVpdQq: cvtpi(true),
  cvtps2piPqWq: cvt2pi(false, false),
  cvttps2piPqWq: cvt2pi(false, true),
  cvtpd2piPqWpd: cvt2pi(true, false),
  cvttpd2piPqWpd: cvt2pi(true, true),
  cvtdq2psVpsWdq: cvtdq(false),
  cvtdq2pdVpdWq: cvtdq(true),
  cvtps2dqVdqWps: cvt2dq(false, false),
  cvttps2dqVdqWps: cvt2dq(false, true),
  cvtpd2dqVdqWpd: cvt2dq(true, false),
  cvttpd2dqVdqWpd: cvt2dq(true, true),
  cvtps2pdVpdWq: cvtPacked(true),
  cvtpd2psVpsWpd: cvtPacked(false),
  cvtss2sdVsdWss: cvtScalar(true),
  cvtsd2ssVssWsd: cvtScalar(false),
  shufpsVpsWpsIb: shufps,
  shufpdVpdWpdIb: shufpd,
  unpcklpsVpsWps: unpack(false, false),
  unpckhpsVpsWps: unpack(true, false),
  unpcklpdVpdWpd: unpack(false, true),
  unpckhpdVpdWpd: unpack(true, true),
  movmskpsGdUps: movmsk(false),
  movmskpdGdUpd: movmsk(true),
  andpdVpdWpd: sseHandlers.andpsVpsWps,
  andnpdVpdWpd: sseHandlers.andnpsVpsWps,
  orpdVpdWpd: sseHandlers.orpsVpsWps,
  xorpdVpdWpd: sseHandlers.xorpsVpsWps,
  movapdVpdWpd: sseHandlers.movapsVpsWps,
  movapdWpdVpd: sseHandlers.movapsWpsVps,
  movupdVpdWpd: sseHandlers.movupsVpsWps,
  movupdWpdVpd: sseHandlers.movupsWpsVps,
  movsdVsdWsd,
  movsdWsdVsd,
  movlpdVqMq: movpdLoad(false),
  movhpdVqMq: movpdLoad(true),
  movlpdMqVq: sseHandlers.movlpsMqVq,
  movhpdMqVq: sseHandlers.movhpsMqVq,
  movntpsMpsVps: movnt,
  movntpdMpdVpd: movnt,
};
