// Prefixes and the two-byte escape. A prefix handler records its effect, dispatches the
// next byte, and undoes its effect once that instruction is done (a fault resets all prefix
// state in the run loop), so instructions without prefixes pay nothing for them.

import type { Cpu } from "../cpu.ts";
import { DS, SS, START_EIP, V_GP, V_UD } from "../regs.ts";
import { lockable, hasModrmAt } from "../exec-table-info.ts";
import { decode, type ByteSource } from "../decoder.ts";
import { perOpcode, type Handler, type HandlerMap } from "./operands.ts";

/**
 * Runs the rest of the instruction after a prefix. Each prefix undoes only its own effect.
 * Without prefixes no instruction exceeds 12 bytes, so only after the third prefix can the
 * 15-byte limit be reached; from there the whole instruction is decoded before it runs.
 */
function next(c: Cpu): void {
  if (c.getEip() - c.r32[START_EIP] >= 3) checkLength(c);
  c.ops[c.fetch8() | c.osizeBase](c);
}

function checkLength(c: Cpu): void {
  const start = c.r32[START_EIP];
  const code: ByteSource = { byte: (offset) => c.peekCode(start + offset) };
  if (decode(code, 0, c.defOsizeBase ? 32 : 16).tooLong) c.fault(V_GP, c.isProtected() ? 0 : -1);
}

const twoByte: Handler = (c) => {
  c.ops[(256 + c.fetch8()) | c.osizeBase](c);
};

/** 26 ES, 2E CS, 36 SS, 3E DS, 64 FS, 65 GS */
const prefixSeg = perOpcode((index) => {
  const s = index < 0x40 ? (index >> 3) & 3 : index - 0x60;
  return (c) => {
    c.dsSeg = s;
    c.ssSeg = s;
    next(c);
    c.dsSeg = DS;
    c.ssSeg = SS;
  };
});

const prefixOsize: Handler = (c) => {
  c.osizeBase = c.defOsizeBase ^ 512;
  next(c);
  c.osizeBase = c.defOsizeBase;
};
const prefixAsize: Handler = (c) => {
  c.asize32 = !c.defAsize32;
  next(c);
  c.asize32 = c.defAsize32;
};
const prefixRep = perOpcode((index) => (c) => {
  c.rep = index;
  next(c);
  c.rep = 0;
});

/**
 * LOCK: the following instruction must be lockable and have a memory destination, or the
 * processor raises #UD. The check looks ahead over further prefixes without consuming bytes.
 */
const prefixLock: Handler = (c) => {
  const eip = c.getEip();
  let op = c.fetch8();
  while (
    op === 0x26 ||
    op === 0x2e ||
    op === 0x36 ||
    op === 0x3e ||
    op === 0x64 ||
    op === 0x65 ||
    op === 0x66 ||
    op === 0x67 ||
    op === 0xf0 ||
    op === 0xf2 ||
    op === 0xf3
  )
    op = c.fetch8();
  let index = op;
  if (op === 0x0f) index = 256 + c.fetch8();
  const m = hasModrmAt(index) ? c.fetch8() : 0xc0;
  c.setEip(eip);
  if (m >= 0xc0 || !lockable(index, (m >> 3) & 7)) c.fault(V_UD);
  next(c);
};

export const prefixHandlers: HandlerMap = {
  twoByte,
  prefixSeg,
  prefixOsize,
  prefixAsize,
  prefixRep,
  prefixLock,
};
