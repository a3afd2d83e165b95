// Test support for the BIOS services: runs a tiny real-mode program on a booted board, as a
// guest would call the BIOS (registers in, INT n, registers and FLAGS out), so tests see the
// ROM stubs, the traps, interrupts during blocking services and the FLAGS the IRET returns.
//
// Key design choice: the program is placed at 0000:0600 and followed by PUSHF; CLI; HLT, so
// the FLAGS after the call land on the stack and the run ends at a known halt. The board is any
// object with a Machine and a Bios (PcMachine in the tests), so this file needs no device.

import { CS, DS, ES, SS, type Machine } from "@x86vm/core";
import type { Bios } from "./bios.ts";

export interface BiosBoard {
  readonly machine: Machine;
  readonly bios: Bios;
}

/** Registers to load before the program (unset: 0; FLAGS default 0202h, interrupts on). */
export interface GuestRegs {
  eax?: number;
  ebx?: number;
  ecx?: number;
  edx?: number;
  esi?: number;
  edi?: number;
  ebp?: number;
  ds?: number;
  es?: number;
  flags?: number;
}

export interface GuestResult {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
  esi: number;
  edi: number;
  ax: number;
  bx: number;
  cx: number;
  dx: number;
  si: number;
  di: number;
  ah: number;
  al: number;
  ds: number;
  es: number;
  flags: number;
  cf: boolean;
  zf: boolean;
  /** Machine time the program took, in ns. */
  elapsedNs: number;
}

export const GUEST_CODE = 0x0600;
export const GUEST_STACK = 0x7000;
const TAIL = [0x9c, 0xfa, 0xf4]; // pushf; cli; hlt

/** Runs the board until the BIOS has booted or given up (the CPU halted with interrupts off). */
export function runUntilHaltedForever(board: BiosBoard, maxNs = 0.5e9): void {
  const m = board.machine,
    cpu = m.cpu;
  const end = m.clock.now() + maxNs;
  m.run(end, () => cpu.halted && (cpu.getFlags() & 0x200) === 0);
  if (!(cpu.halted && (cpu.getFlags() & 0x200) === 0)) throw new Error(`the board did not halt: ${cpu.describe()}`);
}

/** Runs `code` (real mode, at 0000:0600) with the registers given; returns them afterwards. */
export function runGuest(board: BiosBoard, code: readonly number[], regs: GuestRegs = {}, maxNs = 5e9): GuestResult {
  const m = board.machine,
    cpu = m.cpu,
    mem = m.mem;
  const bytes = [...code, ...TAIL];
  bytes.forEach((v, i) => mem.write8(GUEST_CODE + i, v));
  const end = GUEST_CODE + bytes.length;
  cpu.r32[0] = regs.eax ?? 0;
  cpu.r32[1] = regs.ecx ?? 0;
  cpu.r32[2] = regs.edx ?? 0;
  cpu.r32[3] = regs.ebx ?? 0;
  cpu.r32[5] = regs.ebp ?? 0;
  cpu.r32[6] = regs.esi ?? 0;
  cpu.r32[7] = regs.edi ?? 0;
  cpu.r32[4] = GUEST_STACK;
  cpu.loadSegReal(SS, 0);
  cpu.loadSegReal(DS, regs.ds ?? 0);
  cpu.loadSegReal(ES, regs.es ?? 0);
  cpu.writeFlags(regs.flags ?? 0x0202, 0x3fffff);
  cpu.loadSegReal(CS, 0);
  cpu.setEip(GUEST_CODE);
  cpu.halted = false;
  const t0 = m.clock.now();
  const finished = () => cpu.halted && cpu.sreg[CS] === 0 && cpu.getEip() === end;
  m.run(t0 + maxNs, finished);
  if (!finished()) throw new Error(`the guest program did not finish within ${maxNs / 1e6} ms: ${cpu.describe()}`);
  const flags = mem.read16(GUEST_STACK - 2);
  const r16 = (i: number) => cpu.r32[i] & 0xffff;
  return {
    eax: cpu.r32[0] >>> 0,
    ecx: cpu.r32[1] >>> 0,
    edx: cpu.r32[2] >>> 0,
    ebx: cpu.r32[3] >>> 0,
    esi: cpu.r32[6] >>> 0,
    edi: cpu.r32[7] >>> 0,
    ax: r16(0),
    cx: r16(1),
    dx: r16(2),
    bx: r16(3),
    si: r16(6),
    di: r16(7),
    ah: cpu.r8[1],
    al: cpu.r8[0],
    ds: cpu.sreg[DS],
    es: cpu.sreg[ES],
    flags,
    cf: (flags & 1) !== 0,
    zf: (flags & 0x40) !== 0,
    elapsedNs: m.clock.now() - t0,
  };
}

/** INT vec with the registers given. */
export function guestInt(board: BiosBoard, vec: number, regs: GuestRegs = {}, maxNs?: number): GuestResult {
  return runGuest(board, [0xcd, vec], regs, maxNs);
}
