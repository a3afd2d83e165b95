// Data movement: MOV in all forms, XCHG, LEA, PUSH/POP (registers, segments, immediates,
// PUSHA/POPA), CBW/CWD, LAHF/SAHF, XLAT, LDS/LES/LSS/LFS/LGS, MOVZX/MOVSX, BSWAP, CMOVcc, SETcc.

import type { Cpu } from "../cpu.ts";
import { CS, EAX, EBX, EDX, ESP, SS, SZ16, SZ8, V_UD, SF, ZF, AF, PF, CF } from "../regs.ts";
import {
  fetchImm,
  getReg,
  pair,
  perOpcode,
  rd,
  readE,
  setReg,
  sizeBytes,
  wr,
  writeE,
  type Handler,
  type HandlerMap,
} from "./operands.ts";

// Hot forms are plain functions of (cpu, size[, register]) that the run loop calls directly.

export function movEG(c: Cpu, sz: number): void {
  const m = c.fetch8();
  const v = getReg(c, sz, (m >> 3) & 7);
  if (m >= 0xc0) setReg(c, sz, m & 7, v);
  else wr(c, sz, c.eaW(m, sizeBytes(sz)), v);
}
export function movGE(c: Cpu, sz: number): void {
  const m = c.fetch8();
  const v = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, sizeBytes(sz)));
  setReg(c, sz, (m >> 3) & 7, v);
}
export function movEI(c: Cpu, sz: number): void {
  const m = c.fetch8();
  if (((m >> 3) & 7) !== 0) c.fault(V_UD);
  if (m >= 0xc0) setReg(c, sz, m & 7, fetchImm(c, sz));
  else {
    const lin = c.eaW(m, sizeBytes(sz));
    wr(c, sz, lin, fetchImm(c, sz));
  }
}
/** MOV r, imm (B0-BF). */
export function movZI(c: Cpu, reg: number, sz: number): void {
  setReg(c, sz, reg, fetchImm(c, sz));
}

/** moffs: an address-size offset in the instruction, DS-relative unless overridden. */
function moffs(c: Cpu): number {
  return c.asize32 ? c.fetch32() : c.fetch16();
}
function movAO(sz: number): Handler {
  return (c) => {
    setReg(c, sz, EAX, rd(c, sz, c.segR(c.dsSeg, moffs(c), sizeBytes(sz))));
  };
}
function movOA(sz: number): Handler {
  return (c) => {
    wr(c, sz, c.segW(c.dsSeg, moffs(c), sizeBytes(sz)), getReg(c, sz, EAX));
  };
}

const movEwSw = pair((sz) => (c) => {
  const m = c.fetch8();
  const s = (m >> 3) & 7;
  if (s > 5) c.fault(V_UD);
  const v = c.sreg[s];
  if (m >= 0xc0)
    setReg(c, sz, m & 7, v); // a 32-bit register receives the selector zero-extended
  else c.wr16(c.eaW(m, 2), v);
});

const movSwEw: Handler = (c) => {
  const m = c.fetch8();
  const s = (m >> 3) & 7;
  if (s > 5 || s === CS) c.fault(V_UD);
  c.loadSeg(s, readE(c, SZ16, m));
};

export function lea(c: Cpu, sz: number): void {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD);
  setReg(c, sz, (m >> 3) & 7, c.eaOff(m));
}
const leaGvM = pair((sz) => (c) => lea(c, sz));

function xchgEG(sz: number): Handler {
  return (c) => {
    const m = c.fetch8();
    const g = (m >> 3) & 7;
    if (m >= 0xc0) {
      const a = getReg(c, sz, m & 7);
      setReg(c, sz, m & 7, getReg(c, sz, g));
      setReg(c, sz, g, a);
    } else {
      const lin = c.eaW(m, sizeBytes(sz));
      const a = rd(c, sz, lin);
      wr(c, sz, lin, getReg(c, sz, g));
      setReg(c, sz, g, a);
    }
  };
}

const xchgZveAX = perOpcode((index, sz) => (c) => {
  const r = index & 7;
  const a = getReg(c, sz, r);
  setReg(c, sz, r, getReg(c, sz, EAX));
  setReg(c, sz, EAX, a);
});

// ---- stack

export function push(c: Cpu, sz: number, v: number): void {
  if (sz === SZ16) c.push16(v);
  else c.push32(v);
}
export function pop(c: Cpu, sz: number): number {
  return sz === SZ16 ? c.pop16() : c.pop32();
}

export function pushZ(c: Cpu, reg: number, sz: number): void {
  push(c, sz, getReg(c, sz, reg));
}
export function popZ(c: Cpu, reg: number, sz: number): void {
  setReg(c, sz, reg, pop(c, sz));
}
const pushZv = perOpcode((index, sz) => (c) => pushZ(c, index & 7, sz));
const popZv = perOpcode((index, sz) => (c) => popZ(c, index & 7, sz));
const pushIv = pair((sz) => (c) => push(c, sz, fetchImm(c, sz)));
const pushIbs = pair((sz) => (c) => push(c, sz, c.fetch8s()));

/** POP Ev: an ESP-based destination address is computed after ESP is incremented. */
const popEv = pair((sz) => (c) => {
  const m = c.fetch8();
  if (((m >> 3) & 7) !== 0) c.fault(V_UD);
  const oldEsp = c.r32[ESP];
  const v = pop(c, sz);
  if (m >= 0xc0) {
    setReg(c, sz, m & 7, v);
    return;
  }
  try {
    wr(c, sz, c.eaW(m, sizeBytes(sz)), v);
  } catch (e) {
    c.r32[ESP] = oldEsp;
    throw e;
  }
});

/** Segment register encoded in push/pop opcodes: 06/07 ES, 0E CS, 16/17 SS, 1E/1F DS, 0F A0/A1 FS, 0F A8/A9 GS. */
function segOfOpcode(index: number): number {
  if (index < 256) return (index >> 3) & 3;
  return index === 0x1a0 || index === 0x1a1 ? 4 : 5;
}

const pushSeg = perOpcode((index, sz) => {
  const s = segOfOpcode(index);
  // A 32-bit push of a segment register writes only the low word (P6 behaviour) but moves ESP by 4.
  return sz === SZ16
    ? (c) => c.push16(c.sreg[s])
    : (c) => {
        const sp = c.spAdd(-4);
        c.wr16(c.segW(SS, sp, 4), c.sreg[s]);
        c.setSp(sp);
      };
});

/**
 * POP Sreg. The stack pointer moves in the width of the stack the selector was popped from:
 * POP SS that loads a segment of the other B size still increments SP (or ESP) as the old
 * stack's size says (SDM Vol. 2, POP: the increment uses the StackAddrSize before the load).
 */
const popSeg = perOpcode((index, sz) => {
  const s = segOfOpcode(index);
  return (c) => {
    const v = sz === SZ16 ? c.peek16(0) : c.peek32(0) & 0xffff;
    const sp = c.spAdd(sz === SZ16 ? 2 : 4);
    const wide = c.ss32;
    c.loadSeg(s, v);
    if (wide) c.r32[ESP] = sp;
    else c.r16[ESP << 1] = sp;
  };
});

const pusha = pair((sz) => (c) => {
  const bytes = sizeBytes(sz);
  const sp0 = getReg(c, sz, ESP);
  for (let r = 0; r < 8; r++) {
    const v = r === ESP ? sp0 : getReg(c, sz, r);
    if (sz === SZ16) c.poke16(-2 * (r + 1), v);
    else c.poke32(-4 * (r + 1), v);
  }
  c.setSp(c.spAdd(-8 * bytes));
});

const popa = pair((sz) => (c) => {
  const bytes = sizeBytes(sz);
  const vals = popaScratch;
  for (let r = 0; r < 8; r++) vals[r] = sz === SZ16 ? c.peek16(bytes * (7 - r)) : c.peek32(bytes * (7 - r));
  for (let r = 0; r < 8; r++) if (r !== ESP) setReg(c, sz, r, vals[r]);
  c.setSp(c.spAdd(8 * bytes));
});
const popaScratch = new Int32Array(8);

// ---- conversions and flags bytes

const cbw = pair((sz) =>
  sz === SZ16
    ? (c) => {
        c.r16[0] = (c.r8[0] << 24) >> 24;
      }
    : (c) => {
        c.r32[EAX] = (c.r16[0] << 16) >> 16;
      },
);
const cwd = pair((sz) =>
  sz === SZ16
    ? (c) => {
        c.r16[EDX << 1] = c.r16[0] & 0x8000 ? 0xffff : 0;
      }
    : (c) => {
        c.r32[EDX] = c.r32[EAX] >> 31;
      },
);

const lahf: Handler = (c) => {
  c.r8[1] = c.getFlags() & 0xff;
};
const sahf: Handler = (c) => {
  const mask = SF | ZF | AF | PF | CF;
  c.lazy &= ~mask; // OF stays as it is, lazy or not
  c.flags = (c.flags & ~mask) | (c.r8[1] & mask);
};

const xlat: Handler = (c) => {
  const off = c.asize32 ? (c.r32[EBX] + c.r8[0]) | 0 : (c.r16[EBX << 1] + c.r8[0]) & 0xffff;
  c.r8[0] = c.rd8(c.segR(c.dsSeg, off, 1));
};

/** LDS/LES/LSS/LFS/LGS: offset then selector from memory; the segment is loaded first. */
function loadFar(s: number): readonly [Handler, Handler] {
  return pair((sz) => (c) => {
    const m = c.fetch8();
    if (m >= 0xc0) c.fault(V_UD);
    const bytes = sizeBytes(sz);
    const off = c.eaOff(m);
    const seg = c.eaSeg;
    const lin = c.segR(seg, off, bytes + 2);
    const v = rd(c, sz, lin);
    const sel = c.rd16((lin + bytes) | 0);
    c.loadSeg(s, sel);
    setReg(c, sz, (m >> 3) & 7, v);
  });
}

function movx(srcSz: number, signed: boolean): readonly [Handler, Handler] {
  return pair((sz) => (c) => {
    const m = c.fetch8();
    let v = readE(c, srcSz, m);
    if (signed) v = srcSz === SZ8 ? (v << 24) >> 24 : (v << 16) >> 16;
    setReg(c, sz, (m >> 3) & 7, v);
  });
}

const bswapZd = perOpcode((index) => (c) => {
  const r = index & 7,
    v = c.r32[r];
  c.r32[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
});

const cmovGvEv = perOpcode((index, sz) => {
  const cc = index & 15;
  return (c) => {
    const m = c.fetch8();
    const v = readE(c, sz, m); // the source is read (and may fault) even when the condition is false
    if (c.cond(cc)) setReg(c, sz, (m >> 3) & 7, v);
  };
});

const setccEb = perOpcode((index) => {
  const cc = index & 15;
  return (c) => {
    const m = c.fetch8();
    writeE(c, SZ8, m, c.cond(cc) ? 1 : 0);
  };
});

const nop: Handler = () => {};

export const dataHandlers: HandlerMap = {
  movEbGb: (c) => movEG(c, SZ8),
  movEvGv: pair((sz) => (c) => movEG(c, sz)),
  movGbEb: (c) => movGE(c, SZ8),
  movGvEv: pair((sz) => (c) => movGE(c, sz)),
  movEbIb: (c) => movEI(c, SZ8),
  movEvIv: pair((sz) => (c) => movEI(c, sz)),
  movALOb: movAO(SZ8),
  moveAXOv: pair(movAO),
  movObAL: movOA(SZ8),
  movOveAX: pair(movOA),
  movZbIb: perOpcode((index) => (c) => movZI(c, index & 7, SZ8)),
  movZvIv: perOpcode((index, sz) => (c) => movZI(c, index & 7, sz)),
  movEwSw,
  movSwEw,
  leaGvM,
  xchgEbGb: xchgEG(SZ8),
  xchgEvGv: pair(xchgEG),
  xchgZveAX,
  pushZv,
  popZv,
  pushIv,
  pushIbs,
  popEv,
  pushSeg,
  popSeg,
  pusha,
  popa,
  cbw,
  cwd,
  lahf,
  sahf,
  xlat,
  lesGvMp: loadFar(0),
  lssGvMp: loadFar(SS),
  ldsGvMp: loadFar(3),
  lfsGvMp: loadFar(4),
  lgsGvMp: loadFar(5),
  movzxGvEb: movx(SZ8, false),
  movzxGvEw: movx(SZ16, false),
  movsxGvEb: movx(SZ8, true),
  movsxGvEw: movx(SZ16, true),
  bswapZd,
  cmovGvEv,
  setccEb,
  nop,
};
