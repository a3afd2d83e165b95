// Hardware task switches (SDM Vol. 3 §7.3): through a TSS descriptor or a task gate, by far
// JMP or CALL, by an interrupt or exception whose IDT entry is a task gate, and back by IRET
// with NT set. The outgoing task's registers go into its TSS, the incoming task's come from
// its TSS (CR3, LDTR, EFLAGS, registers, segments), TR and the busy bits follow the kind of
// switch, CALL and interrupts link the new task back to the old one and set NT, and CR0.TS is
// set. Linux uses one for double faults. 32- and 16-bit TSS formats are both handled.

import type { Cpu } from "./cpu.ts";
import { descAttr, descBase, descLimit, loadSegProtected, loadSystemSegment } from "./protected.ts";
import {
  CR0_PG,
  CR0_TS,
  CS,
  DS,
  DT_GDT_BASE,
  DT_GDT_LIMIT,
  DT_TR_ATTR,
  DT_TR_BASE,
  DT_TR_LIMIT,
  DT_TR_SEL,
  ES,
  ESP,
  FS,
  GS,
  NT,
  SS,
  V_GP,
  V_NP,
  V_TS,
  VM,
} from "./regs.ts";

export const TASK_JMP = 0,
  TASK_CALL = 1,
  TASK_IRET = 2,
  TASK_INT = 3;

const TSS16_AVAIL = 1,
  TSS16_BUSY = 3,
  TSS32_AVAIL = 9,
  TSS32_BUSY = 11;

/** Reads a GDT descriptor for a TSS selector: [lo, hi, linear address of the descriptor]. */
function gdtEntry(c: Cpu, sel: number): [number, number, number] {
  if (sel & 4) c.fault(V_TS, sel & 0xfffc);
  if ((sel | 7) > c.dt[DT_GDT_LIMIT] >>> 0) c.fault(V_TS, sel & 0xfffc);
  const addr = (c.dt[DT_GDT_BASE] + (sel & ~7)) | 0;
  return [c.rdSys32(addr), c.rdSys32((addr + 4) | 0), addr];
}

function setBusy(c: Cpu, addr: number, hi: number, busy: boolean): void {
  const type = (hi >> 8) & 0xff;
  c.wrSys8((addr + 5) | 0, busy ? type | 2 : type & ~2);
}

function w16(c: Cpu, lin: number, v: number): void {
  c.wrSys8(lin, v);
  c.wrSys8((lin + 1) | 0, v >> 8);
}
function w32(c: Cpu, lin: number, v: number): void {
  w16(c, lin, v);
  w16(c, (lin + 2) | 0, v >>> 16);
}
function r16(c: Cpu, lin: number): number {
  return c.rdSys32(lin) & 0xffff;
}

/**
 * Switches to the task whose TSS selector is `sel`. eip: the outgoing task's resume address.
 * code: an error code to push on the new task's stack (interrupts), or -1.
 */
export function taskSwitch(c: Cpu, sel: number, kind: number, eip: number, code: number): void {
  const [lo, hi, addr] = gdtEntry(c, sel);
  const type = (hi >> 8) & 0x1f;
  const is32 = type === TSS32_AVAIL || type === TSS32_BUSY;
  const busy = type === TSS16_BUSY || type === TSS32_BUSY;
  if (![TSS16_AVAIL, TSS16_BUSY, TSS32_AVAIL, TSS32_BUSY].includes(type)) c.fault(V_GP, sel & 0xfffc);
  if (kind === TASK_IRET ? !busy : busy) c.fault(kind === TASK_IRET ? V_TS : V_GP, sel & 0xfffc);
  if (!(hi & 0x8000)) c.fault(V_NP, sel & 0xfffc);
  const newBase = descBase(lo, hi),
    newLimit = descLimit(lo, hi) >>> 0;
  if (newLimit < (is32 ? 0x67 : 0x2b)) c.fault(V_TS, sel & 0xfffc);

  // Read the incoming task's state first: a fault here (a TSS page not present) changes nothing.
  let nEip: number,
    nFlags: number,
    nCr3 = 0,
    nLdt: number;
  const regs = new Int32Array(8),
    segs = new Uint16Array(6);
  if (is32) {
    nCr3 = c.rdSys32((newBase + 0x1c) | 0);
    nEip = c.rdSys32((newBase + 0x20) | 0);
    nFlags = c.rdSys32((newBase + 0x24) | 0);
    for (let i = 0; i < 8; i++) regs[i] = c.rdSys32((newBase + 0x28 + i * 4) | 0);
    for (let s = 0; s < 6; s++) segs[s] = r16(c, (newBase + 0x48 + s * 4) | 0);
    nLdt = r16(c, (newBase + 0x60) | 0);
  } else {
    nEip = r16(c, (newBase + 0x0e) | 0);
    nFlags = r16(c, (newBase + 0x10) | 0);
    for (let i = 0; i < 8; i++) regs[i] = r16(c, (newBase + 0x12 + i * 2) | 0);
    for (let s = 0; s < 4; s++) segs[s] = r16(c, (newBase + 0x22 + s * 2) | 0);
    nLdt = r16(c, (newBase + 0x2a) | 0);
  }

  // Save the outgoing task.
  const oldBase = c.dt[DT_TR_BASE],
    oldSel = c.dt[DT_TR_SEL];
  const old32 = (c.dt[DT_TR_ATTR] & 15 & 8) !== 0;
  let flags = c.getFlags();
  if (kind === TASK_IRET) flags &= ~NT;
  const r = c.r32;
  if (old32) {
    w32(c, (oldBase + 0x20) | 0, eip);
    w32(c, (oldBase + 0x24) | 0, flags);
    for (let i = 0; i < 8; i++) w32(c, (oldBase + 0x28 + i * 4) | 0, r[i]);
    for (let s = 0; s < 6; s++) w16(c, (oldBase + 0x48 + s * 4) | 0, c.sreg[s]);
  } else {
    w16(c, (oldBase + 0x0e) | 0, eip);
    w16(c, (oldBase + 0x10) | 0, flags);
    for (let i = 0; i < 8; i++) w16(c, (oldBase + 0x12 + i * 2) | 0, r[i]);
    for (let s = 0; s < 4; s++) w16(c, (oldBase + 0x22 + s * 2) | 0, c.sreg[s]);
  }
  if (kind === TASK_JMP || kind === TASK_IRET) {
    const [, ohi, oaddr] = gdtEntry(c, oldSel);
    setBusy(c, oaddr, ohi, false);
  }

  if (kind === TASK_CALL || kind === TASK_INT) {
    w16(c, newBase, oldSel);
    nFlags |= NT;
  }
  if (kind !== TASK_IRET) setBusy(c, addr, hi, true);

  // The task register and CR0.TS.
  c.dt[DT_TR_SEL] = sel;
  c.dt[DT_TR_BASE] = newBase;
  c.dt[DT_TR_LIMIT] = newLimit;
  c.dt[DT_TR_ATTR] = descAttr(hi) | 2;
  c.cr[0] |= CR0_TS;
  if (is32 && c.cr[0] & CR0_PG && nCr3 !== c.cr[3]) {
    c.cr[3] = nCr3;
    c.flushTlb(true);
  }

  // Registers, flags, LDT, then the segments at the new privilege level.
  for (let i = 0; i < 8; i++) r[i] = is32 ? regs[i] : (r[i] & ~0xffff) | regs[i];
  c.writeFlags(nFlags, is32 ? -1 : 0xffff);
  loadSystemSegment(c, nLdt, false);
  if (nFlags & VM) {
    c.setCpl(3);
    for (const s of [ES, CS, SS, DS, FS, GS]) c.setSegReal(s, segs[s], 0xffff, s === CS ? 0xfb : 0xf3);
  } else {
    c.setCpl(segs[CS] & 3);
    loadCodeForTask(c, segs[CS]);
    for (const s of [SS, DS, ES, FS, GS]) loadSegProtected(c, s, segs[s]);
  }
  c.modeChanged();
  c.setEip(nEip);
  if (code >= 0) {
    if (is32) c.push32(code);
    else c.push16(code);
  }
  void ESP;
}

/** CS of the incoming task: a present code segment; its RPL is the new CPL. */
function loadCodeForTask(c: Cpu, sel: number): void {
  if ((sel & 0xfffc) === 0) c.fault(V_TS, 0);
  const ldt = (sel & 4) !== 0;
  const base = ldt ? c.dt[5] : c.dt[DT_GDT_BASE];
  const limit = (ldt ? c.dt[6] : c.dt[DT_GDT_LIMIT]) >>> 0;
  if ((sel | 7) > limit) c.fault(V_TS, sel & 0xfffc);
  const a = (base + (sel & ~7)) | 0;
  const lo = c.rdSys32(a),
    hi = c.rdSys32((a + 4) | 0);
  const acc = (hi >> 8) & 0xff;
  if ((acc & 0x18) !== 0x18) c.fault(V_TS, sel & 0xfffc);
  if (!(acc & 0x80)) c.fault(V_NP, sel & 0xfffc);
  c.sreg[CS] = sel;
  c.segBase[CS] = descBase(lo, hi);
  c.segLimit[CS] = descLimit(lo, hi);
  c.segAttr[CS] = descAttr(hi);
  c.updateSegBounds(CS);
  c.invalidateFetch();
}
