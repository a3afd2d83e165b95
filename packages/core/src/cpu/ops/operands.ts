// Operand helpers shared by the handlers: register views by size, ModRM register/memory
// operands, immediates. `sz` is SZ8/SZ16/SZ32 from regs.ts.

import type { Cpu } from "../cpu.ts";
import { SZ16, SZ8 } from "../regs.ts";

/** A handler executes one instruction whose opcode byte(s) have been fetched. */
export type Handler = (c: Cpu) => void;
/**
 * Opcodes that encode an operand in the opcode itself (a register in the low three bits, a
 * condition code in the low four, a segment) get one handler per opcode and operand size,
 * made from the dispatch index (opcode byte, or 256 + second byte for 0F xx).
 */
export interface PerOpcode {
  readonly perOpcode: (index: number, sz: number) => Handler;
}
/**
 * The handler registry of one ops module: one function, a pair for 16- and 32-bit operand
 * size, or a per-opcode maker.
 */
export type HandlerMap = Record<string, Handler | readonly [Handler, Handler] | PerOpcode>;

export function perOpcode(make: (index: number, sz: number) => Handler): PerOpcode {
  return { perOpcode: make };
}

/** Byte index in the register buffer of 8-bit register r (AL CL DL BL AH CH DH BH). */
export function r8i(r: number): number {
  return ((r & 3) << 2) | ((r >> 2) & 1);
}

export function sizeBytes(sz: number): number {
  return sz === SZ8 ? 1 : sz === SZ16 ? 2 : 4;
}
export function sizeMask(sz: number): number {
  return sz === SZ8 ? 0xff : sz === SZ16 ? 0xffff : -1;
}

export function getReg(c: Cpu, sz: number, r: number): number {
  return sz === SZ16 ? c.r16[r << 1] : sz === SZ8 ? c.r8[r8i(r)] : c.r32[r];
}
export function setReg(c: Cpu, sz: number, r: number, v: number): void {
  if (sz === SZ16) c.r16[r << 1] = v;
  else if (sz === SZ8) c.r8[r8i(r)] = v;
  else c.r32[r] = v;
}
export function rd(c: Cpu, sz: number, lin: number): number {
  return sz === SZ16 ? c.rd16(lin) : sz === SZ8 ? c.rd8(lin) : c.rd32(lin);
}
export function wr(c: Cpu, sz: number, lin: number, v: number): void {
  if (sz === SZ16) c.wr16(lin, v);
  else if (sz === SZ8) c.wr8(lin, v);
  else c.wr32(lin, v);
}
export function fetchImm(c: Cpu, sz: number): number {
  return sz === SZ16 ? c.fetch16() : sz === SZ8 ? c.fetch8() : c.fetch32();
}

/** Reads the r/m operand of ModRM byte m (register or memory). */
export function readE(c: Cpu, sz: number, m: number): number {
  if (m >= 0xc0) return getReg(c, sz, m & 7);
  return rd(c, sz, c.eaR(m, sizeBytes(sz)));
}
/** Writes the r/m operand of ModRM byte m (register or memory). */
export function writeE(c: Cpu, sz: number, m: number, v: number): void {
  if (m >= 0xc0) setReg(c, sz, m & 7, v);
  else wr(c, sz, c.eaW(m, sizeBytes(sz)), v);
}

/** Registers a size-generic handler factory under one name, for both operand sizes. */
export function pair(make: (sz: number) => Handler): readonly [Handler, Handler] {
  return [make(1), make(2)];
}
