// Control transfer: JMP, CALL, RET (near and far), Jcc, LOOP/JCXZ, INT/INTO/INT3/INT1, IRET,
// ENTER/LEAVE, BOUND. Targets are checked against the CS limit before anything is pushed,
// so a faulting transfer leaves the stack as it was.

import type { Cpu } from "../cpu.ts";
import {
  AC,
  CR0_PE,
  CS,
  DF,
  EBP,
  ECX,
  ESP,
  ID,
  IF,
  IOPL,
  NT,
  RF,
  SS,
  STATUS_FLAGS,
  SZ16,
  TF,
  V_BP,
  V_BR,
  V_DB,
  V_GP,
  V_OF,
  V_UD,
  VM,
} from "../regs.ts";
import { inc, dec } from "./alu.ts";
import { farCallProtected, farJumpProtected, farReturnProtected, iretProtected } from "../protected.ts";
import { push } from "./data.ts";
import {
  fetchImm,
  getReg,
  pair,
  perOpcode,
  rd,
  setReg,
  sizeBytes,
  wr,
  type Handler,
  type HandlerMap,
} from "./operands.ts";

/** Near jump within CS: target masked to the operand size and checked against the limit. */
export function jumpNear(c: Cpu, sz: number, target: number): void {
  if (sz === SZ16) target &= 0xffff;
  if (target >>> 0 > c.segLimit[CS] >>> 0) c.fault(V_GP, c.isProtected() ? 0 : -1);
  c.setEip(target);
}

/** Far transfer in real or virtual-8086 mode. */
export function jumpFarReal(c: Cpu, sel: number, off: number): void {
  if (off >>> 0 > c.segLimit[CS] >>> 0) c.fault(V_GP, -1);
  c.loadSegReal(CS, sel);
  c.setEip(off);
}

function realOrV86(c: Cpu): boolean {
  return (c.cr[0] & CR0_PE) === 0 || (c.flags & VM) !== 0;
}

// Hot forms are plain functions the run loop calls directly with constant arguments.

/** Jcc rel8 (cc = low nibble of the opcode). */
export function jccJb(c: Cpu, cc: number, sz: number): void {
  const d = c.fetch8s();
  if (c.cond(cc)) jumpNear(c, sz, c.getEip() + d);
}
export function jccJv(c: Cpu, cc: number, sz: number): void {
  const d = sz === SZ16 ? c.fetch16() : c.fetch32();
  if (c.cond(cc)) jumpNear(c, sz, c.getEip() + d);
}
export function jmpJb(c: Cpu, sz: number): void {
  const d = c.fetch8s();
  jumpNear(c, sz, c.getEip() + d);
}
export function jmpJv(c: Cpu, sz: number): void {
  const d = fetchImm(c, sz);
  jumpNear(c, sz, c.getEip() + d);
}

export function callJv(c: Cpu, sz: number): void {
  const d = fetchImm(c, sz);
  const ret = c.getEip();
  const target = sz === SZ16 ? (ret + d) & 0xffff : (ret + d) | 0;
  if (target >>> 0 > c.segLimit[CS] >>> 0) c.fault(V_GP, c.isProtected() ? 0 : -1);
  push(c, sz, ret);
  c.setEip(target);
}

export function retNear(c: Cpu, sz: number): void {
  const target = sz === SZ16 ? c.peek16(0) : c.peek32(0);
  jumpNear(c, sz, target);
  c.setSp(c.spAdd(sizeBytes(sz)));
}
const retIw = pair((sz) => (c) => {
  const n = c.fetch16();
  const target = sz === SZ16 ? c.peek16(0) : c.peek32(0);
  jumpNear(c, sz, target);
  c.setSp(c.spAdd(sizeBytes(sz) + n));
});

function farReturn(c: Cpu, sz: number, extra: number): void {
  if (!realOrV86(c)) {
    farReturnProtected(c, sz !== SZ16, extra);
    return;
  }
  const b = sizeBytes(sz);
  const off = sz === SZ16 ? c.peek16(0) : c.peek32(0);
  const sel = c.peek16(b);
  jumpFarReal(c, sel, off);
  c.setSp(c.spAdd(2 * b + extra));
}
const retf = pair((sz) => (c) => farReturn(c, sz, 0));
const retfIw = pair((sz) => (c) => {
  const n = c.fetch16();
  farReturn(c, sz, n);
});

/** Far call in real mode: push CS then IP, written before SP moves. */
function callFarReal(c: Cpu, sz: number, sel: number, off: number): void {
  if (off >>> 0 > c.segLimit[CS] >>> 0) c.fault(V_GP, -1);
  const b = sizeBytes(sz);
  if (sz === SZ16) {
    c.poke16(-2, c.sreg[CS]);
    c.poke16(-4, c.getEip());
  } else {
    c.poke32(-4, c.sreg[CS]);
    c.poke32(-8, c.getEip());
  }
  c.setSp(c.spAdd(-2 * b));
  c.loadSegReal(CS, sel);
  c.setEip(off);
}

const callAp = pair((sz) => (c) => {
  const off = fetchImm(c, sz);
  const sel = c.fetch16();
  if (!realOrV86(c)) farCallProtected(c, sel, off, sz !== SZ16);
  else callFarReal(c, sz, sel, off);
});
const jmpAp = pair((sz) => (c) => {
  const off = fetchImm(c, sz);
  const sel = c.fetch16();
  if (!realOrV86(c)) farJumpProtected(c, sel, off);
  else jumpFarReal(c, sel, off);
});

/** Group 5 (FF): INC DEC CALL CALLF JMP JMPF PUSH on Ev. */
export function grp5(c: Cpu, sz: number): void {
  const bytes = sizeBytes(sz);
  {
    const m = c.fetch8();
    const op = (m >> 3) & 7;
    switch (op) {
      case 0:
      case 1: {
        if (m >= 0xc0) {
          const a = getReg(c, sz, m & 7);
          setReg(c, sz, m & 7, op === 0 ? inc(c, sz, a) : dec(c, sz, a));
        } else {
          const lin = c.eaW(m, bytes);
          const a = rd(c, sz, lin);
          wr(c, sz, lin, op === 0 ? inc(c, sz, a) : dec(c, sz, a));
        }
        return;
      }
      case 2: {
        const target = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, bytes));
        const retEip = c.getEip();
        jumpNear(c, sz, target);
        try {
          push(c, sz, retEip);
        } catch (e) {
          c.setEip(retEip);
          throw e;
        }
        return;
      }
      case 4: {
        const target = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, bytes));
        jumpNear(c, sz, target);
        return;
      }
      case 3:
      case 5: {
        if (m >= 0xc0) c.fault(V_UD);
        const lin = c.eaR(m, bytes + 2);
        const off = rd(c, sz, lin);
        const sel = c.rd16((lin + bytes) | 0);
        if (!realOrV86(c)) {
          if (op === 3) farCallProtected(c, sel, off, sz !== SZ16);
          else farJumpProtected(c, sel, off);
        } else if (op === 3) callFarReal(c, sz, sel, off);
        else jumpFarReal(c, sel, off);
        return;
      }
      case 6: {
        const v = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, bytes));
        push(c, sz, v);
        return;
      }
      default:
        c.fault(V_UD);
    }
  }
}

/** LOOP/LOOPE/LOOPNE (kind 2, 1, 0 = E2, E1, E0): the count register follows the address size. */
export function loop(c: Cpu, kind: number, sz: number): void {
  const d = c.fetch8s();
  let count: number;
  if (c.asize32) {
    count = (c.r32[ECX] - 1) | 0;
    c.r32[ECX] = count;
  } else {
    count = (c.r16[ECX << 1] - 1) & 0xffff;
    c.r16[ECX << 1] = count;
  }
  if (count === 0) return;
  if (kind === 1 && !c.zf()) return;
  if (kind === 0 && c.zf()) return;
  jumpNear(c, sz, c.getEip() + d);
}
const jcxz = pair((sz) => (c) => {
  const d = c.fetch8s();
  const count = c.asize32 ? c.r32[ECX] : c.r16[ECX << 1];
  if (count === 0) jumpNear(c, sz, c.getEip() + d);
});

// ---- software interrupts

const int3: Handler = (c) => c.interrupt(V_BP, true, c.getEip(), -1);
const intIb: Handler = (c) => {
  const v = c.fetch8();
  c.softInt(v);
};
const into: Handler = (c) => {
  if (c.of()) c.interrupt(V_OF, true, c.getEip(), -1);
};
const int1: Handler = (c) => c.interrupt(V_DB, true, c.getEip(), -1);

/** IRET in real mode: pop IP, CS, FLAGS. */
const iret = pair((sz) => (c) => {
  if (c.cr[0] & CR0_PE) {
    if (!(c.flags & VM)) {
      iretProtected(c, sz !== SZ16);
      return;
    }
    if ((c.flags & IOPL) >> 12 < 3) c.fault(V_GP, 0); // IRET in virtual-8086 mode is IOPL-sensitive
  }
  const b = sizeBytes(sz);
  const off = sz === SZ16 ? c.peek16(0) : c.peek32(0);
  const sel = c.peek16(b);
  const fl = sz === SZ16 ? c.peek16(2 * b) : c.peek32(2 * b);
  jumpFarReal(c, sel, off);
  c.setSp(c.spAdd(3 * b));
  let mask = sz === SZ16 ? 0xffff : STATUS_FLAGS | TF | IF | DF | IOPL | NT | AC | ID | RF;
  if (c.flags & VM) mask &= ~IOPL;
  c.writeFlags(fl, mask);
});

/**
 * ENTER Iw, Ib (SDM Vol. 2, ENTER). The operand size picks what is pushed and written back
 * ((E)BP and the frame pointer), the stack's B bit how the stack pointer and the nesting walk
 * through BP move: with a 32-bit operand on a 16-bit stack the frame pointer is ESP after the
 * push with its upper half kept. Every stack write comes first (restartable), and the final
 * stack pointer must be writable, segment and page (#SS(0), #PF), before anything changes.
 */
const enterIwIb = pair((sz) => (c) => {
  const size = c.fetch16();
  const level = c.fetch8() & 31;
  const b = sizeBytes(sz);
  let offset = -b;
  if (sz === SZ16) c.poke16(offset, c.r16[EBP << 1]);
  else c.poke32(offset, c.r32[EBP]);
  const pushed = c.spAdd(-b);
  const frame = sz === SZ16 || c.ss32 ? pushed : (c.r32[ESP] & ~0xffff) | pushed;
  if (level > 0) {
    let p = c.ss32 ? c.r32[EBP] : c.r16[EBP << 1];
    for (let i = 1; i < level; i++) {
      p = c.ss32 ? (p - b) | 0 : (p - b) & 0xffff;
      const v = sz === SZ16 ? c.rd16(c.segR(SS, p, 2)) : c.rd32(c.segR(SS, p, 4));
      offset -= b;
      if (sz === SZ16) c.poke16(offset, v);
      else c.poke32(offset, v);
    }
    offset -= b;
    if (sz === SZ16) c.poke16(offset, frame);
    else c.poke32(offset, frame);
  }
  const newSp = c.spAdd(offset - size);
  // SDM: #SS(0) when the final stack pointer is outside the segment, #PF when a write there would fault.
  if (size > 0) c.probeWrite(c.segW(SS, newSp, 1), 1);
  setReg(c, sz, EBP, frame);
  c.setSp(newSp);
});

const leave = pair((sz) => (c) => {
  const bp = c.ss32 ? c.r32[EBP] : c.r16[EBP << 1];
  const v = sz === SZ16 ? c.rd16(c.segR(2, bp, 2)) : c.rd32(c.segR(2, bp, 4));
  c.setSp(c.ss32 ? (bp + sizeBytes(sz)) | 0 : (bp + sizeBytes(sz)) & 0xffff);
  setReg(c, sz, EBP, v);
});

const boundGvMa = pair((sz) => (c) => {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD);
  const b = sizeBytes(sz);
  const lin = c.eaR(m, 2 * b);
  let lo: number, hi: number, v: number;
  if (sz === SZ16) {
    lo = (c.rd16(lin) << 16) >> 16;
    hi = (c.rd16((lin + 2) | 0) << 16) >> 16;
    v = (c.r16[((m >> 3) & 7) << 1] << 16) >> 16;
  } else {
    lo = c.rd32(lin);
    hi = c.rd32((lin + 4) | 0);
    v = c.r32[(m >> 3) & 7];
  }
  if (v < lo || v > hi) c.fault(V_BR);
});

export const controlHandlers: HandlerMap = {
  jccJb: perOpcode((index, sz) => (c) => jccJb(c, index & 15, sz)),
  jccJv: perOpcode((index, sz) => (c) => jccJv(c, index & 15, sz)),
  jmpJb: pair((sz) => (c) => jmpJb(c, sz)),
  jmpJv: pair((sz) => (c) => jmpJv(c, sz)),
  callJv: pair((sz) => (c) => callJv(c, sz)),
  ret: pair((sz) => (c) => retNear(c, sz)),
  retIw,
  retf,
  retfIw,
  callAp,
  jmpAp,
  grp5Ev: pair((sz) => (c) => grp5(c, sz)),
  loop: perOpcode((index, sz) => (c) => loop(c, index & 3, sz)),
  jcxz,
  int3,
  intIb,
  into,
  int1,
  iret,
  enterIwIb,
  leave,
  boundGvMa,
};
