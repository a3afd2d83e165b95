// The first SSE instructions (SDM Vol. 1 chapter 10, Vol. 2 each instruction's page): LDMXCSR and
// STMXCSR, and moves and bitwise logic on XMM0-7 (MOVAPS, MOVUPS, MOVSS, MOVLPS, MOVHPS, MOVLHPS,
// MOVHLPS, ANDPS, ANDNPS, ORPS, XORPS). No arithmetic: nothing here reads MXCSR's rounding
// control or masks, and none of these instructions raises #XM.
//
// Key design choice: XMMi is cpu.xmm[4i .. 4i+3], dword 0 the least significant; the bits move as
// they are (a move or a logical operation on single-precision values does not look at them, SNaNs
// included). Every instruction checks, in the SDM's order (Vol. 2 §2.5, table 2-20 "Type 4/5"
// exceptions): CR0.EM or CR4.OSFXSR clear: #UD; CR0.TS: #NM; then the memory operand (segment,
// MOVAPS's 16-byte alignment: #GP(0), page), and only then changes the register.

import type { Cpu } from "../cpu.ts";
import { CR0_EM, CR0_TS, CR4_OSFXSR, V_GP, V_NM, V_UD } from "../regs.ts";
import type { Handler, HandlerMap } from "../ops/operands.ts";
import { MXCSR_MASK } from "./fxsr.ts";

/** The checks every SSE instruction makes before its operands (SDM Vol. 2 table 2-20). */
export function check(c: Cpu): void {
  const cr0 = c.cr[0];
  if (cr0 & CR0_EM || (c.cr[4] & CR4_OSFXSR) === 0) c.fault(V_UD);
  if (cr0 & CR0_TS) c.fault(V_NM);
}

/** #GP(0) (or the real-mode #GP) for a 16-byte operand not aligned on 16 bytes. */
export function aligned(c: Cpu, lin: number): void {
  if (lin & 15) c.fault(V_GP, c.isProtected() ? 0 : -1);
}

/** Four dwords read from memory or a register before anything is written. */
const T = new Int32Array(4);

/** The W operand of ModRM m (16 bytes) into T; align: MOVAPS's alignment check. */
function readW(c: Cpu, m: number, align: boolean): void {
  if (m >= 0xc0) {
    T.set(c.xmm.subarray((m & 7) * 4, (m & 7) * 4 + 4));
    return;
  }
  const off = c.eaOff(m);
  const lin = c.segR(c.eaSeg, off, 16);
  if (align) aligned(c, lin);
  for (let i = 0; i < 4; i++) T[i] = c.rd32((lin + i * 4) | 0);
}

/** Writes XMM(reg of m) to the W operand of ModRM m (16 bytes). */
function writeW(c: Cpu, m: number, align: boolean): void {
  const x = c.xmm,
    s = ((m >> 3) & 7) * 4;
  if (m >= 0xc0) {
    x.copyWithin((m & 7) * 4, s, s + 4);
    return;
  }
  const off = c.eaOff(m);
  const lin = c.segW(c.eaSeg, off, 16);
  if (align) aligned(c, lin);
  c.writable(lin, 16);
  for (let i = 0; i < 4; i++) c.wr32((lin + i * 4) | 0, x[s + i]);
}

// ---- MXCSR

/** LDMXCSR Md (0F AE /2): #GP(0) for a bit outside MXCSR_MASK (SDM Vol. 2 LDMXCSR). */
const ldmxcsr: Handler = (c) => {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD); // memory only
  check(c);
  const v = c.rd32(c.eaR(m, 4));
  if (v & ~MXCSR_MASK) c.fault(V_GP, c.isProtected() ? 0 : -1);
  c.mxcsr = v;
};

/** STMXCSR Md (0F AE /3). */
const stmxcsr: Handler = (c) => {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD); // memory only
  check(c);
  c.wr32(c.eaW(m, 4), c.mxcsr);
};

// ---- moves

/** MOVAPS/MOVUPS Vps,Wps (0F 28, 0F 10 without prefix). */
function movVW(align: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, align);
    c.xmm.set(T, ((m >> 3) & 7) * 4);
  };
}
/** MOVAPS/MOVUPS Wps,Vps (0F 29, 0F 11 without prefix). */
function movWV(align: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    writeW(c, m, align);
  };
}

/**
 * MOVSS Vss,Wss (F3 0F 10): from memory the single fills dword 0 and clears the others; between
 * registers only dword 0 moves (SDM Vol. 2 MOVSS).
 */
const movssVssWss: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  const x = c.xmm,
    d = ((m >> 3) & 7) * 4;
  if (m >= 0xc0) {
    x[d] = x[(m & 7) * 4];
    return;
  }
  const v = c.rd32(c.eaR(m, 4));
  x[d] = v;
  x[d + 1] = 0;
  x[d + 2] = 0;
  x[d + 3] = 0;
};
/** MOVSS Wss,Vss (F3 0F 11): to memory or a register, dword 0 only. */
const movssWssVss: Handler = (c) => {
  const m = c.fetch8();
  check(c);
  const x = c.xmm,
    s = ((m >> 3) & 7) * 4;
  if (m >= 0xc0) x[(m & 7) * 4] = x[s];
  else c.wr32(c.eaW(m, 4), x[s]);
};

/**
 * 0F 12 and 0F 16: with a memory operand MOVLPS/MOVHPS Vq,Mq load the low/high quadword and keep
 * the other; with a register MOVHLPS/MOVLHPS move the source's high/low quadword into the
 * destination's low/high one (SDM Vol. 2 MOVHLPS, MOVLHPS).
 */
function movLoad(high: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    const x = c.xmm,
      d = ((m >> 3) & 7) * 4 + (high ? 2 : 0);
    if (m >= 0xc0) {
      const s = (m & 7) * 4 + (high ? 0 : 2);
      const lo = x[s],
        hi = x[s + 1];
      x[d] = lo;
      x[d + 1] = hi;
      return;
    }
    const lin = c.eaR(m, 8);
    const lo = c.rd32(lin),
      hi = c.rd32((lin + 4) | 0);
    x[d] = lo;
    x[d + 1] = hi;
  };
}
/** 0F 13 and 0F 17: MOVLPS/MOVHPS Mq,Vq store the low/high quadword (memory only). */
function movStore(high: boolean): Handler {
  return (c) => {
    const m = c.fetch8();
    if (m >= 0xc0) c.fault(V_UD);
    check(c);
    const s = ((m >> 3) & 7) * 4 + (high ? 2 : 0);
    const lin = c.eaW(m, 8);
    c.wr32(lin, c.xmm[s]);
    c.wr32((lin + 4) | 0, c.xmm[s + 1]);
  };
}

// ---- logic

/** ANDPS, ANDNPS, ORPS, XORPS Vps,Wps, dword by dword; a memory operand aligned on 16 bytes. */
function logic(op: (a: number, b: number) => number): Handler {
  return (c) => {
    const m = c.fetch8();
    check(c);
    readW(c, m, true);
    const x = c.xmm,
      d = ((m >> 3) & 7) * 4;
    for (let i = 0; i < 4; i++) x[d + i] = op(x[d + i], T[i]);
  };
}

export const sseHandlers: HandlerMap = {
  ldmxcsr,
  stmxcsr,
  movapsVpsWps: movVW(true),
  movapsWpsVps: movWV(true),
  movupsVpsWps: movVW(false),
  movupsWpsVps: movWV(false),
  movssVssWss,
  movssWssVss,
  movlpsVqMq: movLoad(false),
  movhpsVqMq: movLoad(true),
  movlpsMqVq: movStore(false),
  movhpsMqVq: movStore(true),
  andpsVpsWps: logic((a, b) => a & b),
  andnpsVpsWps: logic((a, b) => ~a & b),
  orpsVpsWps: logic((a, b) => a | b),
  xorpsVpsWps: logic((a, b) => a ^ b),
};
