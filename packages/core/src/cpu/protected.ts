// Protected-mode segmentation (SDM Vol. 3 ch. 3, 5, 6): descriptor tables, segment register
// loads with their checks, far JMP/CALL/RET, IRET and interrupt delivery through the IDT, with
// privilege changes through the TSS stacks and returns to virtual-8086 mode.
//
// A descriptor is read as two int32 words: lo = limit 15:0 | base 15:0 << 16, hi = base 23:16 |
// access << 8 | limit 19:16 << 16 | flags << 20 | base 31:24 << 24. Every check happens before
// any register or stack changes, so a fault leaves the instruction restartable.

import type { Cpu } from "./cpu.ts";
import { FAULT } from "./fault.ts";
import { taskSwitch, TASK_CALL, TASK_INT, TASK_IRET, TASK_JMP } from "./task.ts";
import {
  AC,
  CS,
  DS,
  DT_GDT_BASE,
  DT_GDT_LIMIT,
  DT_LDT_BASE,
  DT_LDT_LIMIT,
  DT_TR_ATTR,
  DT_TR_BASE,
  DT_TR_LIMIT,
  ES,
  FS,
  GS,
  IF,
  IOPL,
  NT,
  RF,
  SS,
  TF,
  V_GP,
  V_NP,
  V_SS,
  V_TS,
  VIF,
  VIP,
  VM,
  ESP,
  STATUS_FLAGS,
  DF,
  ID,
} from "./regs.ts";

// Access byte bits
export const ACC_ACCESSED = 0x01,
  ACC_RW = 0x02,
  ACC_DC = 0x04,
  ACC_CODE = 0x08,
  ACC_S = 0x10,
  ACC_P = 0x80;
// System descriptor types (S = 0)
export const SYS_TSS16_AVAIL = 1,
  SYS_LDT = 2,
  SYS_TSS16_BUSY = 3,
  SYS_CALL16 = 4,
  SYS_TASK = 5;
export const SYS_INT16 = 6,
  SYS_TRAP16 = 7,
  SYS_TSS32_AVAIL = 9,
  SYS_TSS32_BUSY = 11,
  SYS_CALL32 = 12;
export const SYS_INT32 = 14,
  SYS_TRAP32 = 15;

/** Scratch for the descriptor being examined: [lo, hi]. */
const desc = new Int32Array(2);

export function descBase(lo: number, hi: number): number {
  return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000) | 0;
}
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return hi & 0x800000 ? (raw << 12) | 0xfff : raw;
}
/** Access byte and flags nibble as CpuState.segAttr keeps them. */
export function descAttr(hi: number): number {
  return (hi >> 8) & 0xf0ff;
}

/**
 * Reads the descriptor for selector sel into `desc`; returns its linear address.
 * Raises vec(sel & ~3) when the selector lies beyond its table's limit.
 */
function readDescriptor(c: Cpu, sel: number, vec: number): number {
  const ldt = (sel & 4) !== 0;
  const base = ldt ? c.dt[DT_LDT_BASE] : c.dt[DT_GDT_BASE];
  const limit = (ldt ? c.dt[DT_LDT_LIMIT] : c.dt[DT_GDT_LIMIT]) >>> 0;
  if ((sel | 7) > limit || (ldt && c.dt[4] === 0)) c.fault(vec, sel & 0xfffc);
  const addr = (base + (sel & ~7)) | 0;
  desc[0] = c.rdSys32(addr);
  desc[1] = c.rdSys32((addr + 4) | 0);
  return addr;
}

/** Sets the descriptor's accessed bit in memory, as the processor does on a load. */
function markAccessed(c: Cpu, addr: number): void {
  if ((desc[1] & 0x100) === 0) {
    desc[1] |= 0x100;
    c.wrSys8((addr + 5) | 0, (desc[1] >> 8) & 0xff);
  }
}

/** Loads segment s's hidden cache from `desc` with selector sel. */
function setCache(c: Cpu, s: number, sel: number): void {
  c.sreg[s] = sel;
  c.segBase[s] = descBase(desc[0], desc[1]);
  c.segLimit[s] = descLimit(desc[0], desc[1]);
  c.segAttr[s] = descAttr(desc[1]);
  c.updateSegBounds(s);
}

/** A null selector in DS/ES/FS/GS: the register becomes unusable (any access #GP(0)). */
function setNull(c: Cpu, s: number, sel: number): void {
  c.sreg[s] = sel;
  c.segBase[s] = 0;
  c.segLimit[s] = 0;
  c.segAttr[s] = 0;
  c.updateSegBounds(s);
}

/** What a stack switch changes (CPL, SS and its cache, ESP), kept to put back if a push faults. */
interface StackState {
  cpl: number;
  sel: number;
  base: number;
  limit: number;
  attr: number;
  esp: number;
}
function saveStack(c: Cpu): StackState {
  return {
    cpl: c.cpl,
    sel: c.sreg[SS],
    base: c.segBase[SS],
    limit: c.segLimit[SS],
    attr: c.segAttr[SS],
    esp: c.r32[ESP],
  };
}
/**
 * Puts the stack back after a push of an interrupt or call-gate frame faulted, so that the
 * fault is raised in the context of the instruction (SDM Vol. 3 §6.12.1: the frame is pushed
 * as a whole or not at all). A limit violation on a new stack is #SS(new SS selector).
 */
function restoreStack(c: Cpu, st: StackState, newSs: number, ext: number): void {
  c.sreg[SS] = st.sel;
  c.segBase[SS] = st.base;
  c.segLimit[SS] = st.limit;
  c.segAttr[SS] = st.attr;
  c.updateSegBounds(SS);
  c.setCpl(st.cpl);
  c.modeChanged();
  c.r32[ESP] = st.esp;
  if (newSs >= 0 && c.faultVec === V_SS && c.faultCode === 0) c.faultCode = (newSs & 0xfffc) | ext;
}

/** MOV/POP/LxS to a segment register in protected mode (SDM Vol. 2, MOV; Vol. 3 §5.10.4). */
export function loadSegProtected(c: Cpu, s: number, sel: number): void {
  const rpl = sel & 3,
    cpl = c.cpl;
  if (s === SS) {
    if ((sel & 0xfffc) === 0) c.fault(V_GP, 0);
    const addr = readDescriptor(c, sel, V_GP);
    const acc = (desc[1] >> 8) & 0xff,
      dpl = (acc >> 5) & 3;
    if (rpl !== cpl || dpl !== cpl || (acc & (ACC_S | ACC_CODE | ACC_RW)) !== (ACC_S | ACC_RW))
      c.fault(V_GP, sel & 0xfffc);
    if (!(acc & ACC_P)) c.fault(V_SS, sel & 0xfffc);
    markAccessed(c, addr);
    setCache(c, SS, sel);
    c.modeChanged();
    return;
  }
  if ((sel & 0xfffc) === 0) {
    setNull(c, s, sel);
    return;
  }
  const addr = readDescriptor(c, sel, V_GP);
  const acc = (desc[1] >> 8) & 0xff,
    dpl = (acc >> 5) & 3;
  const isCode = (acc & ACC_CODE) !== 0;
  if (!(acc & ACC_S) || (isCode && !(acc & ACC_RW))) c.fault(V_GP, sel & 0xfffc);
  // Data and non-conforming code: DPL must be at least max(CPL, RPL).
  if ((!isCode || !(acc & ACC_DC)) && dpl < Math.max(cpl, rpl)) c.fault(V_GP, sel & 0xfffc);
  if (!(acc & ACC_P)) c.fault(V_NP, sel & 0xfffc);
  markAccessed(c, addr);
  setCache(c, s, sel);
}

/** Checks a code segment descriptor in `desc` as a far JMP/CALL target at privilege cpl. */
function checkCodeTarget(c: Cpu, sel: number): void {
  const acc = (desc[1] >> 8) & 0xff,
    dpl = (acc >> 5) & 3,
    rpl = sel & 3;
  if ((acc & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE)) c.fault(V_GP, sel & 0xfffc);
  if (acc & ACC_DC) {
    if (dpl > c.cpl) c.fault(V_GP, sel & 0xfffc);
  } else if (rpl > c.cpl || dpl !== c.cpl) c.fault(V_GP, sel & 0xfffc);
  if (!(acc & ACC_P)) c.fault(V_NP, sel & 0xfffc);
}

/** Loads CS from `desc` (already checked) at privilege level cpl and jumps to off. */
function enterCode(c: Cpu, sel: number, off: number, cpl: number, addr: number): void {
  const limit = descLimit(desc[0], desc[1]) >>> 0;
  if (off >>> 0 > limit) c.fault(V_GP, 0);
  markAccessed(c, addr);
  setCache(c, CS, (sel & 0xfffc) | cpl);
  c.setCpl(cpl);
  c.modeChanged();
  c.setEip(off);
}

/** Far JMP in protected mode (code segment or call gate; task switches are not supported yet). */
export function farJumpProtected(c: Cpu, sel: number, off: number): void {
  if ((sel & 0xfffc) === 0) c.fault(V_GP, 0);
  let addr = readDescriptor(c, sel, V_GP);
  const acc = (desc[1] >> 8) & 0xff;
  if (acc & ACC_S) {
    checkCodeTarget(c, sel);
    enterCode(c, sel, off, c.cpl, addr);
    return;
  }
  const type = acc & 15;
  if (type === SYS_CALL16 || type === SYS_CALL32) {
    const dpl = (acc >> 5) & 3;
    if (dpl < c.cpl || dpl < (sel & 3)) c.fault(V_GP, sel & 0xfffc);
    if (!(acc & ACC_P)) c.fault(V_NP, sel & 0xfffc);
    const target = (desc[0] >>> 16) & 0xffff;
    const gateOff = type === SYS_CALL32 ? (desc[0] & 0xffff) | (desc[1] & 0xffff0000) : desc[0] & 0xffff;
    if ((target & 0xfffc) === 0) c.fault(V_GP, 0);
    addr = readDescriptor(c, target, V_GP);
    const tacc = (desc[1] >> 8) & 0xff,
      tdpl = (tacc >> 5) & 3;
    if ((tacc & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE)) c.fault(V_GP, target & 0xfffc);
    if (tacc & ACC_DC ? tdpl > c.cpl : tdpl !== c.cpl) c.fault(V_GP, target & 0xfffc);
    if (!(tacc & ACC_P)) c.fault(V_NP, target & 0xfffc);
    enterCode(c, target, gateOff, c.cpl, addr);
    return;
  }
  if (type === SYS_TASK) {
    taskSwitch(c, gateSelector(c, sel, acc), TASK_JMP, c.getEip(), -1);
    return;
  }
  if (type === SYS_TSS16_AVAIL || type === SYS_TSS32_AVAIL || type === SYS_TSS16_BUSY || type === SYS_TSS32_BUSY) {
    checkTaskTarget(c, sel, acc);
    taskSwitch(c, sel, TASK_JMP, c.getEip(), -1);
    return;
  }
  c.fault(V_GP, sel & 0xfffc);
}

/** A TSS reached directly by JMP/CALL: DPL >= max(CPL, RPL), present. */
function checkTaskTarget(c: Cpu, sel: number, acc: number): void {
  if (((acc >> 5) & 3) < Math.max(c.cpl, sel & 3)) c.fault(V_GP, sel & 0xfffc);
  if (!(acc & ACC_P)) c.fault(V_NP, sel & 0xfffc);
}

/** The TSS selector of a task gate (in `desc`), after the gate's privilege and presence checks. */
function gateSelector(c: Cpu, sel: number, acc: number): number {
  checkTaskTarget(c, sel, acc);
  return (desc[0] >>> 16) & 0xffff;
}

/** Far CALL in protected mode to a code segment or through a call gate at the same privilege. */
export function farCallProtected(c: Cpu, sel: number, off: number, sz32: boolean): void {
  if ((sel & 0xfffc) === 0) c.fault(V_GP, 0);
  const addr = readDescriptor(c, sel, V_GP);
  const acc = (desc[1] >> 8) & 0xff;
  let target = sel,
    targetOff = off,
    tAddr = addr,
    push32 = sz32;
  if (!(acc & ACC_S)) {
    const type = acc & 15;
    if (type === SYS_TASK) {
      taskSwitch(c, gateSelector(c, sel, acc), TASK_CALL, c.getEip(), -1);
      return;
    }
    if (type === SYS_TSS16_AVAIL || type === SYS_TSS32_AVAIL || type === SYS_TSS16_BUSY || type === SYS_TSS32_BUSY) {
      checkTaskTarget(c, sel, acc);
      taskSwitch(c, sel, TASK_CALL, c.getEip(), -1);
      return;
    }
    if (type !== SYS_CALL16 && type !== SYS_CALL32) c.fault(V_GP, sel & 0xfffc);
    const params = desc[1] & 0x1f;
    const dpl = (acc >> 5) & 3;
    if (dpl < c.cpl || dpl < (sel & 3)) c.fault(V_GP, sel & 0xfffc);
    if (!(acc & ACC_P)) c.fault(V_NP, sel & 0xfffc);
    target = (desc[0] >>> 16) & 0xffff;
    targetOff = type === SYS_CALL32 ? (desc[0] & 0xffff) | (desc[1] & 0xffff0000) : desc[0] & 0xffff;
    push32 = type === SYS_CALL32;
    if ((target & 0xfffc) === 0) c.fault(V_GP, 0);
    tAddr = readDescriptor(c, target, V_GP);
    const tacc = (desc[1] >> 8) & 0xff,
      tdpl = (tacc >> 5) & 3;
    if ((tacc & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE) || tdpl > c.cpl) c.fault(V_GP, target & 0xfffc);
    if (!(tacc & ACC_P)) c.fault(V_NP, target & 0xfffc);
    if (!(tacc & ACC_DC) && tdpl < c.cpl) {
      callGateInner(c, target, targetOff, tAddr, tdpl, push32, params);
      return;
    }
  } else {
    checkCodeTarget(c, sel);
  }
  const limit = descLimit(desc[0], desc[1]) >>> 0;
  if (targetOff >>> 0 > limit) c.fault(V_GP, 0);
  const retEip = c.getEip();
  if (push32) {
    c.poke32(-4, c.sreg[CS]);
    c.poke32(-8, retEip);
    c.setSp(c.spAdd(-8));
  } else {
    c.poke16(-2, c.sreg[CS]);
    c.poke16(-4, retEip);
    c.setSp(c.spAdd(-4));
  }
  enterCode(c, target, targetOff, c.cpl, tAddr);
}

/**
 * CALL through a call gate to a more privileged, non-conforming code segment: the stack
 * switches to the one the TSS gives for the new level, the caller's SS:ESP and `params`
 * parameters are copied there, then CS:EIP (SDM Vol. 3 §5.8.5).
 */
function callGateInner(
  c: Cpu,
  target: number,
  off: number,
  tAddr: number,
  dpl: number,
  gate32: boolean,
  params: number,
): void {
  const cs = { lo: desc[0], hi: desc[1] };
  const limit = descLimit(cs.lo, cs.hi) >>> 0;
  if (off >>> 0 > limit) c.fault(V_GP, 0);
  const oldSs = c.sreg[SS],
    oldEsp = c.r32[ESP],
    oldSs32 = c.ss32;
  const w = gate32 ? 4 : 2;
  // The parameters are read from the caller's stack with the caller's rights (segment and page).
  const copied: number[] = [];
  for (let i = 0; i < params; i++) {
    const at = oldSs32 ? (oldEsp + i * w) | 0 : (oldEsp + i * w) & 0xffff;
    copied.push(gate32 ? c.rd32(c.segR(SS, at, 4)) : c.rd16(c.segR(SS, at, 2)));
  }
  const retCs = c.sreg[CS],
    retEip = c.getEip();
  const { ss, esp } = tssStack(c, dpl);
  const saved = saveStack(c);
  try {
    loadStackForLevel(c, ss, dpl, V_TS);
    c.setCpl(dpl);
    c.modeChanged();
    c.r32[ESP] = c.ss32 ? esp : esp & 0xffff;
    const push = (v: number) => {
      if (gate32) c.push32(v);
      else c.push16(v);
    };
    push(oldSs);
    push(oldEsp);
    for (let i = params - 1; i >= 0; i--) push(copied[i]);
    push(retCs);
    push(retEip);
  } catch (e) {
    if (e === FAULT) restoreStack(c, saved, ss, 0);
    throw e;
  }
  desc[0] = cs.lo;
  desc[1] = cs.hi;
  enterCode(c, target, off, dpl, tAddr);
}

/** Far RET (with extra bytes to release) in protected mode, to the same or an outer level. */
export function farReturnProtected(c: Cpu, sz32: boolean, extra: number): void {
  const b = sz32 ? 4 : 2;
  const off = sz32 ? c.peek32(0) : c.peek16(0);
  const sel = c.peek16(b);
  if ((sel & 0xfffc) === 0) c.fault(V_GP, 0);
  const addr = readDescriptor(c, sel, V_GP);
  const acc = (desc[1] >> 8) & 0xff,
    dpl = (acc >> 5) & 3,
    rpl = sel & 3;
  if ((acc & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE) || rpl < c.cpl) c.fault(V_GP, sel & 0xfffc);
  if (acc & ACC_DC ? dpl > rpl : dpl !== rpl) c.fault(V_GP, sel & 0xfffc);
  if (!(acc & ACC_P)) c.fault(V_NP, sel & 0xfffc);
  if (rpl === c.cpl) {
    enterCode(c, sel, off, rpl, addr);
    c.setSp(c.spAdd(2 * b + extra));
    return;
  }
  // Return to an outer level: the outer stack pointer follows the parameters.
  const newEsp = sz32 ? c.peek32(2 * b + extra) : c.peek16(2 * b + extra);
  const newSs = c.peek16(3 * b + extra);
  const cs = { lo: desc[0], hi: desc[1] };
  // The return EIP is checked before the outer stack is loaded: a #GP leaves SS as it was.
  if (off >>> 0 > descLimit(cs.lo, cs.hi) >>> 0) c.fault(V_GP, 0);
  loadStackForLevel(c, newSs, rpl);
  desc[0] = cs.lo;
  desc[1] = cs.hi;
  enterCode(c, sel, off, rpl, addr);
  if (c.ss32) c.r32[ESP] = (newEsp + extra) | 0;
  else c.r16[ESP << 1] = (newEsp + extra) & 0xffff;
  clearOuterDataSegments(c);
}

/**
 * Loads SS for a return or interrupt to privilege level `level` (checks as for SS at that CPL).
 * bad: the vector for a selector that does not qualify, #GP for returns, #TS for a stack the
 * TSS gives (interrupts and call gates, with ext for an external event); not present is #SS.
 */
function loadStackForLevel(c: Cpu, sel: number, level: number, bad = V_GP, ext = 0): void {
  if ((sel & 0xfffc) === 0) c.fault(bad, ext);
  const addr = readDescriptor(c, sel, bad);
  const acc = (desc[1] >> 8) & 0xff,
    dpl = (acc >> 5) & 3;
  if ((sel & 3) !== level || dpl !== level || (acc & (ACC_S | ACC_CODE | ACC_RW)) !== (ACC_S | ACC_RW))
    c.fault(bad, (sel & 0xfffc) | ext);
  if (!(acc & ACC_P)) c.fault(V_SS, (sel & 0xfffc) | ext);
  markAccessed(c, addr);
  setCache(c, SS, sel);
}

/** After a return to an outer level, data segments the new CPL may not use become null. */
function clearOuterDataSegments(c: Cpu): void {
  for (const s of [ES, DS, FS, GS]) {
    const attr = c.segAttr[s];
    const isConformingCode = (attr & (ACC_CODE | ACC_DC)) === (ACC_CODE | ACC_DC);
    if (attr & ACC_S && !isConformingCode && ((attr >> 5) & 3) < c.cpl) setNull(c, s, 0);
  }
  c.modeChanged();
}

/** IRET in protected mode: same level, outer level, or back to virtual-8086 mode. */
export function iretProtected(c: Cpu, sz32: boolean): void {
  if (c.flags & NT) {
    // Return from a nested task to the one in the back link.
    taskSwitch(c, c.rdSys32(c.dt[DT_TR_BASE]) & 0xffff, TASK_IRET, c.getEip(), -1);
    return;
  }
  const b = sz32 ? 4 : 2;
  const off = sz32 ? c.peek32(0) : c.peek16(0);
  const sel = c.peek16(b);
  const fl = sz32 ? c.peek32(2 * b) : c.peek16(2 * b);
  if (sz32 && fl & VM && c.cpl === 0) {
    iretToV86(c, off, sel, fl);
    return;
  }
  if ((sel & 0xfffc) === 0) c.fault(V_GP, 0);
  const addr = readDescriptor(c, sel, V_GP);
  const acc = (desc[1] >> 8) & 0xff,
    dpl = (acc >> 5) & 3,
    rpl = sel & 3;
  if ((acc & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE) || rpl < c.cpl) c.fault(V_GP, sel & 0xfffc);
  if (acc & ACC_DC ? dpl > rpl : dpl !== rpl) c.fault(V_GP, sel & 0xfffc);
  if (!(acc & ACC_P)) c.fault(V_NP, sel & 0xfffc);
  const oldCpl = c.cpl;
  const mask = flagsMaskFor(c, oldCpl, sz32);
  if (rpl === oldCpl) {
    enterCode(c, sel, off, rpl, addr);
    c.setSp(c.spAdd(3 * b));
    c.writeFlags(fl, mask);
    c.modeChanged();
    return;
  }
  const newEsp = sz32 ? c.peek32(3 * b) : c.peek16(3 * b);
  const newSs = c.peek16(4 * b);
  const cs = { lo: desc[0], hi: desc[1] };
  if (off >>> 0 > descLimit(cs.lo, cs.hi) >>> 0) c.fault(V_GP, 0);
  loadStackForLevel(c, newSs, rpl);
  desc[0] = cs.lo;
  desc[1] = cs.hi;
  enterCode(c, sel, off, rpl, addr);
  c.writeFlags(fl, mask);
  if (c.ss32) c.r32[ESP] = newEsp;
  else c.r16[ESP << 1] = newEsp;
  clearOuterDataSegments(c);
}

/** Flags POPF/IRET may change at privilege cpl (IOPL only at CPL 0, IF only when CPL <= IOPL). */
function flagsMaskFor(c: Cpu, cpl: number, sz32: boolean): number {
  let mask = STATUS_FLAGS | TF | DF | NT | RF;
  if (sz32) mask |= AC | ID;
  if (cpl === 0) mask |= IOPL | IF | (sz32 ? VIF | VIP : 0);
  else if (cpl <= (c.flags & IOPL) >> 12) mask |= IF;
  if (!sz32) mask &= 0xffff;
  return mask;
}

function iretToV86(c: Cpu, off: number, sel: number, fl: number): void {
  const esp = c.peek32(12),
    ss = c.peek16(16);
  const es = c.peek16(20),
    ds = c.peek16(24),
    fs = c.peek16(28),
    gs = c.peek16(32);
  c.writeFlags(fl, 0x3f7fd5 | VM);
  c.setCpl(3);
  for (const [s, v] of [
    [CS, sel],
    [SS, ss],
    [ES, es],
    [DS, ds],
    [FS, fs],
    [GS, gs],
  ] as const) {
    c.setSegReal(s, v, 0xffff, s === CS ? 0xfb : 0xf3);
  }
  c.modeChanged();
  c.r32[ESP] = esp;
  c.setEip(off & 0xffff);
}

/**
 * Delivers interrupt vec through the IDT (SDM Vol. 3 §6.12). soft: INT n/INT3/INTO, whose
 * gate DPL must allow the caller. code: error code to push, or -1.
 */
export function interruptProtected(c: Cpu, vec: number, soft: boolean, retEip: number, code: number): void {
  const idtBase = c.dt[2],
    idtLimit = c.dt[3] >>> 0;
  const ext = soft ? 0 : 1;
  if (vec * 8 + 7 > idtLimit) c.fault(V_GP, vec * 8 + 2 + ext);
  const gLo = c.rdSys32((idtBase + vec * 8) | 0),
    gHi = c.rdSys32((idtBase + vec * 8 + 4) | 0);
  const gAcc = (gHi >> 8) & 0xff,
    gType = gAcc & 0x1f,
    gDpl = (gAcc >> 5) & 3;
  if (gType !== SYS_INT32 && gType !== SYS_TRAP32 && gType !== SYS_INT16 && gType !== SYS_TRAP16) {
    if (gType === SYS_TASK) {
      if (soft && gDpl < c.cpl) c.fault(V_GP, vec * 8 + 2);
      if (!(gAcc & ACC_P)) c.fault(V_NP, vec * 8 + 2 + ext);
      taskSwitch(c, (gLo >>> 16) & 0xffff, TASK_INT, retEip, code);
      return;
    }
    c.fault(V_GP, vec * 8 + 2 + ext);
  }
  if (soft && gDpl < c.cpl) c.fault(V_GP, vec * 8 + 2);
  if (!(gAcc & ACC_P)) c.fault(V_NP, vec * 8 + 2 + ext);
  const gate32 = (gType & 8) !== 0;
  const sel = (gLo >>> 16) & 0xffff;
  const off = gate32 ? (gLo & 0xffff) | (gHi & 0xffff0000) : gLo & 0xffff;
  if ((sel & 0xfffc) === 0) c.fault(V_GP, ext);
  const addr = readDescriptor(c, sel, V_GP);
  const acc = (desc[1] >> 8) & 0xff,
    dpl = (acc >> 5) & 3;
  if ((acc & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE) || dpl > c.cpl) c.fault(V_GP, (sel & 0xfffc) + ext);
  if (!(acc & ACC_P)) c.fault(V_NP, (sel & 0xfffc) + ext);
  const v86 = (c.flags & VM) !== 0;
  const oldFlags = c.getFlags();
  const oldCs = c.sreg[CS],
    oldSs = c.sreg[SS],
    oldEsp = c.r32[ESP];
  const csDesc = { lo: desc[0], hi: desc[1] };
  const w = gate32 ? 4 : 2;
  const push = (v: number) => {
    if (gate32) c.push32(v);
    else c.push16(v);
  };

  const saved = saveStack(c);
  let newSs = -1;
  try {
    if (!(acc & ACC_DC) && dpl < c.cpl) {
      // Inner privilege: the new stack comes from the TSS.
      const { ss, esp } = tssStack(c, dpl);
      if (v86 && dpl !== 0) c.fault(V_GP, (sel & 0xfffc) + ext);
      loadStackForLevel(c, ss, dpl, V_TS, ext);
      newSs = ss;
      // The pushes to the inner stack are made at the new privilege level.
      c.setCpl(dpl);
      c.modeChanged();
      c.r32[ESP] = esp;
      if (!c.ss32) c.r32[ESP] &= 0xffff;
      if (v86) {
        push(c.sreg[GS]);
        push(c.sreg[FS]);
        push(c.sreg[DS]);
        push(c.sreg[ES]);
      }
      push(oldSs);
      push(oldEsp);
    } else if (v86) {
      c.fault(V_GP, (sel & 0xfffc) + ext);
    }
    push(oldFlags & (gate32 ? -1 : 0xffff));
    push(oldCs);
    push(retEip);
    if (code >= 0) push(code);
  } catch (e) {
    if (e === FAULT) restoreStack(c, saved, newSs, ext);
    throw e;
  }
  if (v86) for (const s of [GS, FS, DS, ES]) setNull(c, s, 0);
  void w;
  desc[0] = csDesc.lo;
  desc[1] = csDesc.hi;
  c.flags &= ~(TF | NT | RF | VM);
  if (gType === SYS_INT32 || gType === SYS_INT16) c.flags &= ~IF;
  enterCode(c, sel, off, acc & ACC_DC ? c.cpl : dpl, addr);
}

/** The SS:ESP for privilege level `level` from the current TSS. */
function tssStack(c: Cpu, level: number): { ss: number; esp: number } {
  const base = c.dt[DT_TR_BASE],
    limit = c.dt[DT_TR_LIMIT] >>> 0;
  const type = c.dt[DT_TR_ATTR] & 15;
  if (type === SYS_TSS32_BUSY || type === SYS_TSS32_AVAIL) {
    const at = 4 + level * 8;
    if (at + 7 > limit) c.fault(V_TS, c.dt[8] & 0xfffc);
    return { esp: c.rdSys32((base + at) | 0), ss: c.rdSys32((base + at + 4) | 0) & 0xffff };
  }
  const at = 2 + level * 4;
  if (at + 3 > limit) c.fault(V_TS, c.dt[8] & 0xfffc);
  return { esp: c.rdSys32((base + at) | 0) & 0xffff, ss: (c.rdSys32((base + at) | 0) >>> 16) & 0xffff };
}

/** LTR and LLDT support: reads a system descriptor for the task register or LDTR. */
export function loadSystemSegment(c: Cpu, sel: number, wantTss: boolean): void {
  if ((sel & 0xfffc) === 0) {
    if (wantTss) c.fault(V_GP, 0);
    c.dt[4] = sel;
    c.dt[5] = 0;
    c.dt[6] = 0;
    c.dt[7] = 0;
    return;
  }
  if (sel & 4) c.fault(V_GP, sel & 0xfffc);
  const addr = readDescriptor(c, sel, V_GP);
  const acc = (desc[1] >> 8) & 0xff,
    type = acc & 0x1f;
  const ok = wantTss ? type === SYS_TSS16_AVAIL || type === SYS_TSS32_AVAIL : type === SYS_LDT;
  if (!ok) c.fault(V_GP, sel & 0xfffc);
  if (!(acc & ACC_P)) c.fault(V_NP, sel & 0xfffc);
  // LTR marks the TSS busy in the GDT first: if that write faults, TR is unchanged.
  if (wantTss) c.wrSys8((addr + 5) | 0, ((desc[1] >> 8) & 0xff) | 2);
  const idx = wantTss ? 8 : 4;
  c.dt[idx] = sel;
  c.dt[idx + 1] = descBase(desc[0], desc[1]);
  c.dt[idx + 2] = descLimit(desc[0], desc[1]);
  c.dt[idx + 3] = descAttr(desc[1]) | (wantTss ? 2 : 0);
}

/** Reads the raw descriptor for LAR/LSL/VERR/VERW; null when the selector is beyond the table. */
export function peekDescriptor(c: Cpu, sel: number): { lo: number; hi: number } | null {
  const ldt = (sel & 4) !== 0;
  const limit = (ldt ? c.dt[DT_LDT_LIMIT] : c.dt[DT_GDT_LIMIT]) >>> 0;
  if ((sel & 0xfffc) === 0 || (sel | 7) > limit) return null;
  readDescriptor(c, sel, V_GP);
  return { lo: desc[0], hi: desc[1] };
}
