// Builds the dispatch table from the opcode table: index = opcode byte (or 256 + second byte
// for 0F xx), plus 512 for 32-bit operand size. Every handler named in the table must exist;
// a missing one stops the module from loading. Opcodes the table does not define raise #UD.

import type { Cpu } from "./cpu.ts";
import { formMatches, OPCODES_BY_INDEX, type OpcodeEntry } from "./opcode-table.ts";
import { CR0_PE, SZ16, SZ32, V_UD, VM } from "./regs.ts";
import type { Handler, HandlerMap } from "./ops/operands.ts";
import { aluHandlers } from "./ops/alu.ts";
import { bcdHandlers } from "./ops/bcd.ts";
import { bitHandlers } from "./ops/bits.ts";
import { controlHandlers } from "./ops/control.ts";
import { dataHandlers } from "./ops/data.ts";
import { muldivHandlers } from "./ops/muldiv.ts";
import { prefixHandlers } from "./ops/prefix.ts";
import { shiftHandlers } from "./ops/shift.ts";
import { stringHandlers } from "./ops/string.ts";
import { systemHandlers } from "./ops/system.ts";
import { descriptorHandlers } from "./ops/descriptor.ts";
import { fpuHandlers } from "./fpu/ops.ts";
import { fxsrHandlers } from "./simd/fxsr.ts";
import { mmxHandlers } from "./simd/mmx.ts";
import { sseHandlers } from "./simd/sse.ts";
import { sseFloatHandlers } from "./simd/sse-float.ts";
import { sse2IntHandlers } from "./simd/sse2-int.ts";
import { HOT_HANDLERS } from "./hot.generated.ts";

export type { Handler };

export const HANDLERS: HandlerMap = {
  ...aluHandlers,
  ...bcdHandlers,
  ...bitHandlers,
  ...controlHandlers,
  ...dataHandlers,
  ...muldivHandlers,
  ...prefixHandlers,
  ...shiftHandlers,
  ...stringHandlers,
  ...systemHandlers,
  ...descriptorHandlers,
  ...fpuHandlers, // fpuHandlers replaces system.ts's esc and wait
  ...fxsrHandlers,
  ...mmxHandlers,
  ...sseHandlers,
  ...sseFloatHandlers,
  ...sse2IntHandlers,
};

/** The generic handlers, before the specialised ones from hot.generated.ts replace some. */
export const GENERIC_HANDLERS: HandlerMap = { ...HANDLERS };
Object.assign(HANDLERS, HOT_HANDLERS);

const undefinedOpcode: Handler = (c) => c.fault(V_UD);

/** The 16- and 32-bit handlers for a name at a dispatch index. */
function resolve(handlers: HandlerMap, name: string, index: number): [Handler, Handler] {
  const spec = handlers[name];
  if (spec === undefined) throw new Error(`opcode table names handler '${name}', which does not exist`);
  if (typeof spec === "function") return [spec, spec];
  if ("perOpcode" in spec) return [spec.perOpcode(index, SZ16), spec.perOpcode(index, SZ32)];
  return [spec[0], spec[1]];
}

/** Instructions that only exist in protected mode raise #UD in real and virtual-8086 mode. */
function protectedOnly(h: Handler): Handler {
  return (c: Cpu) => {
    if ((c.cr[0] & CR0_PE) === 0 || (c.flags & VM) !== 0) c.fault(V_UD);
    h(c);
  };
}

function entryHandlers(handlers: HandlerMap, e: OpcodeEntry, index: number): [Handler, Handler] {
  const pair = resolve(handlers, e.handler, index);
  return e.protectedOnly ? [protectedOnly(pair[0]), protectedOnly(pair[1])] : pair;
}

/** Peeks the ModRM reg field of a group opcode without consuming the byte. */
function groupDispatch(subs: Handler[]): Handler {
  return (c: Cpu) => {
    const m = c.fetch8();
    c.pip--; // the byte was fetched from the window, so stepping back stays in it
    subs[(m >> 3) & 7](c);
  };
}

/** The 16- and 32-bit handlers for the rows of one opcode index (one row, or a group). */
function indexHandlers(handlers: HandlerMap, entries: readonly OpcodeEntry[], index: number): [Handler, Handler] {
  if (entries.length === 0) return [undefinedOpcode, undefinedOpcode];
  if (entries[0].reg < 0) return entryHandlers(handlers, entries[0], index);
  // A group: one shared handler when all eight reg values name the same one without
  // protected-mode-only members; otherwise a sub-dispatch on the reg field.
  const names = new Set(entries.map((e) => e.handler));
  const shared = entries.length === 8 && names.size === 1 && !entries.some((e) => e.protectedOnly);
  const partial = names.size === 1 && !entries.some((e) => e.protectedOnly);
  if (shared || (partial && entries.length < 8 && sharedChecksReg(entries[0].handler)))
    return resolve(handlers, entries[0].handler, index);
  const pair: Handler[] = [];
  for (const size of [0, 1]) {
    const subs: Handler[] = new Array(8).fill(undefinedOpcode);
    for (const e of entries) subs[e.reg] = entryHandlers(handlers, e, index)[size];
    pair.push(groupDispatch(subs));
  }
  return [pair[0], pair[1]];
}

/**
 * Dispatch on the prefix that selects an opcode's form (selectedSimdPrefix): the last F2/F3,
 * else 66, else none. The forms are [none, 66, F3, F2].
 */
function prefixDispatch(none: Handler, p66: Handler, f3: Handler, f2: Handler): Handler {
  return (c: Cpu) => {
    const rep = c.rep;
    if (rep === 0) (c.osizeBase !== c.defOsizeBase ? p66 : none)(c);
    else (rep === 0xf3 ? f3 : f2)(c);
  };
}

/** Builds a dispatch table from a handler registry. */
export function buildTable(handlers: HandlerMap): Handler[] {
  const table: Handler[] = new Array(1024).fill(undefinedOpcode);
  for (let index = 0; index < 512; index++) {
    const entries = OPCODES_BY_INDEX[index];
    if (!entries.some((e) => e.simdPrefix >= 0)) {
      [table[index], table[index | 512]] = indexHandlers(handlers, entries, index);
      continue;
    }
    const forms = [0, 0x66, 0xf3, 0xf2].map((p) =>
      indexHandlers(
        handlers,
        entries.filter((e) => formMatches(e, p)),
        index,
      ),
    );
    for (const size of [0, 1])
      table[index | (size * 512)] = prefixDispatch(forms[0][size], forms[1][size], forms[2][size], forms[3][size]);
  }
  return table;
}

/**
 * Group handlers that decode the reg field themselves and raise #UD for undefined values,
 * so they can be installed directly even though the table lists only some reg values.
 */
function sharedChecksReg(name: string): boolean {
  return (
    name === "grp4Eb" ||
    name === "grp5Ev" ||
    name === "grp7" ||
    name === "grp8EvIb" ||
    name === "movEbIb" ||
    name === "movEvIv" ||
    name === "popEv"
  );
}

export const EXEC_TABLE: Handler[] = buildTable(HANDLERS);
