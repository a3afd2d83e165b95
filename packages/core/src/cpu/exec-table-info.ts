// Per-opcode facts derived from the opcode table that handlers consult at run time.

import { OPCODES, OPCODES_BY_INDEX } from "./opcode-table.ts";

const LOCKABLE = new Uint8Array(512 * 8);
const HAS_MODRM = new Uint8Array(512);
for (const e of OPCODES) {
  if (e.hasModrm) HAS_MODRM[e.index] = 1;
  if (!e.lockable) continue;
  for (let reg = 0; reg < 8; reg++) if (e.reg < 0 || e.reg === reg) LOCKABLE[e.index * 8 + reg] = 1;
}
for (let i = 0; i < 512; i++) if (OPCODES_BY_INDEX[i].some((e) => e.reg >= 0)) HAS_MODRM[i] = 1;

/** True when the instruction at dispatch index (with ModRM reg field) accepts LOCK. */
export function lockable(index: number, reg: number): boolean {
  return LOCKABLE[index * 8 + reg] === 1;
}
/** True when the opcode at dispatch index is followed by a ModRM byte. */
export function hasModrmAt(index: number): boolean {
  return HAS_MODRM[index] === 1;
}
