// Protected-mode-only instructions on descriptors and system registers: SLDT STR LLDT LTR VERR
// VERW (group 6), LAR, LSL, ARPL; and the fast system calls SYSENTER/SYSEXIT. (Real and
// virtual-8086 mode #UD for the group 6/LAR/LSL/ARPL forms comes from the opcode table's "pm"
// attribute.)

import type { Cpu } from "../cpu.ts";
import { CR0_PE, CS, DT_LDT_SEL, DT_TR_SEL, ECX, EDX, ESP, IF, RF, SS, SZ16, V_GP, V_UD, VM, ZF } from "../regs.ts";
import { ACC_CODE, ACC_DC, ACC_P, ACC_RW, ACC_S, descLimit, loadSystemSegment, peekDescriptor } from "../protected.ts";
import { getReg, pair, readE, setReg, type Handler, type HandlerMap } from "./operands.ts";

/** Group 6 (0F 00): the reg field picks SLDT STR LLDT LTR VERR VERW. */
const grp6: Handler = (c) => {
  const m = c.fetch8();
  const op = (m >> 3) & 7;
  switch (op) {
    case 0:
    case 1: {
      // SLDT / STR: a register destination gets the selector zero-extended
      const sel = c.dt[op === 0 ? DT_LDT_SEL : DT_TR_SEL] & 0xffff;
      if (m >= 0xc0) setReg(c, c.osizeBase ? 2 : SZ16, m & 7, sel);
      else c.wr16(c.eaW(m, 2), sel);
      return;
    }
    case 2:
    case 3: {
      if (c.cpl !== 0) c.fault(V_GP, 0);
      loadSystemSegment(c, readE(c, SZ16, m), op === 3);
      return;
    }
    case 4:
    case 5: {
      // VERR / VERW
      const sel = readE(c, SZ16, m);
      const d = peekDescriptor(c, sel);
      let ok = false;
      if (d) {
        const acc = (d.hi >> 8) & 0xff,
          dpl = (acc >> 5) & 3;
        const conformingCode = (acc & (ACC_CODE | ACC_DC)) === (ACC_CODE | ACC_DC);
        const privOk = conformingCode || dpl >= Math.max(c.cpl, sel & 3);
        if (acc & ACC_S && privOk) {
          ok = op === 4 ? !(acc & ACC_CODE) || (acc & ACC_RW) !== 0 : !(acc & ACC_CODE) && (acc & ACC_RW) !== 0;
        }
      }
      c.setFlag(ZF, ok);
      return;
    }
    default:
      c.fault(V_UD);
  }
};

/** Descriptor types LAR accepts among system descriptors (TSS, LDT, call and task gates). */
const LAR_SYSTEM_OK = new Set([1, 2, 3, 4, 5, 9, 11, 12]);
const LSL_SYSTEM_OK = new Set([1, 2, 3, 9, 11]);

function larLsl(isLsl: boolean) {
  return pair((sz) => (c) => {
    const m = c.fetch8();
    const sel = readE(c, SZ16, m);
    const d = peekDescriptor(c, sel);
    let ok = false;
    if (d) {
      const acc = (d.hi >> 8) & 0xff,
        dpl = (acc >> 5) & 3;
      const conformingCode = (acc & (ACC_S | ACC_CODE | ACC_DC)) === (ACC_S | ACC_CODE | ACC_DC);
      const typeOk = acc & ACC_S ? true : (isLsl ? LSL_SYSTEM_OK : LAR_SYSTEM_OK).has(acc & 15);
      ok = typeOk && (conformingCode || dpl >= Math.max(c.cpl, sel & 3));
      if (ok) {
        const v = isLsl ? descLimit(d.lo, d.hi) : d.hi & 0x00ffff00;
        setReg(c, sz, (m >> 3) & 7, sz === SZ16 ? v & 0xffff : v);
      }
    }
    c.setFlag(ZF, ok);
  });
}

/**
 * ARPL Ew, Gw: raise the destination selector's RPL to the source's. A memory destination is
 * decoded once (its displacement is read once) and checked for writing before it is read, as
 * for any read-modify-write operand; it is written only when the RPL changes.
 */
const arplEwGw: Handler = (c) => {
  const m = c.fetch8();
  const src = getReg(c, SZ16, (m >> 3) & 7);
  if (m >= 0xc0) {
    const dst = getReg(c, SZ16, m & 7);
    const raise = (dst & 3) < (src & 3);
    if (raise) setReg(c, SZ16, m & 7, (dst & ~3) | (src & 3));
    c.setFlag(ZF, raise);
    return;
  }
  const lin = c.eaW(m, 2);
  const dst = c.rd16(lin);
  const raise = (dst & 3) < (src & 3);
  if (raise) c.wr16(lin, (dst & ~3) | (src & 3));
  c.setFlag(ZF, raise);
};

/** Flat code and stack caches SYSENTER/SYSEXIT load without reading descriptors. */
function flatSegment(c: Cpu, s: number, sel: number, dpl: number, code: boolean): void {
  c.sreg[s] = sel;
  c.segBase[s] = 0;
  c.segLimit[s] = -1;
  c.segAttr[s] = 0xc000 | ACC_P | (dpl << 5) | ACC_S | (code ? ACC_CODE | ACC_RW : ACC_RW) | 1;
  c.updateSegBounds(s);
}

const sysenter: Handler = (c) => {
  const cs = c.sysenter[0];
  if (!(c.cr[0] & CR0_PE) || (cs & 0xfffc) === 0) c.fault(V_GP, 0);
  c.flags &= ~(VM | IF | RF);
  flatSegment(c, CS, cs & 0xfffc, 0, true);
  flatSegment(c, SS, (cs + 8) & 0xfffc, 0, false);
  c.setCpl(0);
  c.modeChanged();
  c.r32[ESP] = c.sysenter[1];
  c.setEip(c.sysenter[2]);
};

const sysexit: Handler = (c) => {
  const cs = c.sysenter[0];
  if (!(c.cr[0] & CR0_PE) || c.flags & VM || c.cpl !== 0 || (cs & 0xfffc) === 0) c.fault(V_GP, 0);
  flatSegment(c, CS, ((cs + 16) & 0xfffc) | 3, 3, true);
  flatSegment(c, SS, ((cs + 24) & 0xfffc) | 3, 3, false);
  c.setCpl(3);
  c.modeChanged();
  c.r32[ESP] = c.r32[ECX];
  c.setEip(c.r32[EDX]);
};

export const descriptorHandlers: HandlerMap = {
  grp6,
  larGvEw: larLsl(false),
  lslGvEw: larLsl(true),
  arplEwGw,
  sysenter,
  sysexit,
};
