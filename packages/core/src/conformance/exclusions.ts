// The one list of conformance tests that are not compared, each with its reason. The 80286
// recordings differ from a P6-class CPU in documented ways (../shared/conformance README);
// nothing else may be excluded.

import { hasModrmAt, lockable } from "../cpu/exec-table-info.ts";
import type { Vector } from "./vectors.ts";

export interface Exclusion {
  reason: string;
  applies(opcode: string, reg: string | undefined, v: Vector): boolean;
}

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);

/** The prefixes of a test's instruction and the index of its opcode byte. */
function split(bytes: number[]): { prefixes: number[]; at: number } {
  let at = 0;
  while (at < bytes.length && PREFIXES.has(bytes[at])) at++;
  return { prefixes: bytes.slice(0, at), at };
}

/** True when LOCK precedes an instruction that a 386 or later rejects with #UD. */
function badLock(v: Vector): boolean {
  const { prefixes, at } = split(v.bytes);
  if (!prefixes.includes(0xf0)) return false;
  const op = v.bytes[at];
  const index = op === 0x0f ? 256 + v.bytes[at + 1] : op;
  const m = hasModrmAt(index) ? v.bytes[at + (op === 0x0f ? 2 : 1)] : 0xc0;
  return m >= 0xc0 || !lockable(index, (m >> 3) & 7);
}

/** Instructions whose implicit operands are on the stack (SS-relative). */
const STACK_OPS = new Set([
  0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b,
  0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x68, 0x6a, 0x8f, 0x9a, 0x9c, 0x9d, 0xc2, 0xc3, 0xc8, 0xc9, 0xca, 0xcb, 0xcc,
  0xcd, 0xce, 0xcf, 0xe8, 0xff,
]);

/** True when the instruction makes an SS-relative memory access (stack or SS-based operand). */
function accessesStack(v: Vector): boolean {
  const { prefixes, at } = split(v.bytes);
  const op = v.bytes[at];
  if (STACK_OPS.has(op)) return true;
  const segPrefix = [...prefixes].reverse().find((p) => p === 0x26 || p === 0x2e || p === 0x36 || p === 0x3e);
  if (!hasModrmAt(op)) return segPrefix === 0x36;
  const m = v.bytes[at + 1];
  if (m >= 0xc0) return false;
  if (segPrefix !== undefined) return segPrefix === 0x36;
  const rm = m & 7,
    mod = m >> 6;
  return rm === 2 || rm === 3 || (rm === 6 && mod !== 0);
}

const WORD_STRING_OPS = new Set([0x6d, 0x6f, 0xa5, 0xa7, 0xab, 0xad, 0xaf]);
const USES_SI = new Set([0x6f, 0xa5, 0xa7, 0xad]);
const USES_DI = new Set([0x6d, 0xa5, 0xa7, 0xab, 0xaf]);

/** True when a word string instruction touches offset 0xFFFF in any iteration it may run. */
function wordStringAtSegmentEnd(v: Vector): boolean {
  const { prefixes, at } = split(v.bytes);
  const op = v.bytes[at];
  if (!WORD_STRING_OPS.has(op)) return false;
  const r = v.initial.regs;
  const rep = prefixes.includes(0xf2) || prefixes.includes(0xf3);
  const n = rep ? r.cx : 1;
  const step = r.flags & 0x400 ? -2 : 2;
  for (let i = 0; i < n; i++) {
    if (USES_SI.has(op) && ((r.si + i * step) & 0xffff) === 0xffff) return true;
    if (USES_DI.has(op) && ((r.di + i * step) & 0xffff) === 0xffff) return true;
  }
  return false;
}

export const EXCLUSIONS: readonly Exclusion[] = [
  {
    reason: "ESC (x87) opcodes: recorded on an 80286 without a coprocessor",
    applies: (op) => /^D[89A-F]$/.test(op),
  },
  {
    reason:
      "LOCK on a non-lockable instruction or a register destination: ignored by the 80286, #UD on the 386 and later",
    applies: (_op, _reg, v) => badLock(v),
  },
  {
    reason:
      "instruction longer than 10 bytes (repeated prefixes): #GP on the 80286, accepted up to 15 bytes by the 386 and later",
    applies: (_op, _reg, v) => v.bytes.length - 1 > 10,
  },
  {
    reason: "segment registers 4 and 5 (FS, GS) in MOV Sw: undefined on the 80286, FS and GS on the 386 and later",
    applies: (op, _reg, v) => (op === "8C" || op === "8E") && ((v.bytes[split(v.bytes).at + 1] >> 3) & 7) >= 4,
  },
  {
    reason: "stack-segment limit violation: exception 13 on the 80286, #SS (12) on the 386 and later",
    applies: (_op, _reg, v) => v.exception?.number === 13 && accessesStack(v),
  },
  {
    reason: "word string access at offset 0FFFFh: wraps within the segment on the 80286, #GP/#SS on the 386 and later",
    applies: (_op, _reg, v) => wordStringAtSegmentEnd(v),
  },
];
