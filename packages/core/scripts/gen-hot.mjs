#!/usr/bin/env node
// Generates packages/core/src/cpu/hot.generated.ts: size- and operation-specialised handlers
// for the most frequent instructions, and the run loop whose switch calls them directly.
//
// Why generated: V8 compiles a handler once for all its callers, so a handler parameterised
// by operand size or ALU operation keeps those branches at run time, and a table of closures
// is an unpredictable indirect call per instruction. Writing each specialisation by hand would
// mean hundreds of near-identical functions; this script writes them from one template per
// form. The generic handlers in ops/*.ts remain the reference and cover everything else; the
// test hot.test.ts runs both on the same inputs and requires identical results.
//
// Run: node --import tsx packages/core/scripts/gen-hot.mjs   (then the tests)
// Imported, the module writes nothing: generateHot() returns the file's text. The test
// scripts/generated.test.ts compares that with the checked-in file and fails when they differ,
// so rerun this after changing the generator (and never edit the output by hand).
import fs from "node:fs";
import path from "node:path";
import url from "node:url";
import {
  ALU as ALU_SEMANTICS,
  CONDITIONS,
  INC_DEC,
  jsAluKind,
  jsAluResult,
  jsCondition,
  jsIncDecResult,
  jsShift,
  shiftOf,
  TEST,
} from "../src/cpu/semantics.ts";

/** The file this script writes. */
export const HOT_OUTPUT = url.fileURLToPath(new URL("../src/cpu/hot.generated.ts", import.meta.url));

// ---- operand size descriptions
const SIZES = {
  8: {
    sz: "SZ8",
    len: 1,
    mask: "0xff",
    regG: "(((m >> 1) & 12) | ((m >> 5) & 1))",
    regE: "(((m & 3) << 2) | ((m >> 2) & 1))",
    arr: "r8",
    rd: "rd8",
    wr: "wr8",
    imm: "c.fetch8()",
    acc: "0",
    regZ: (r) => `(((${r} & 3) << 2) | ((${r} >> 2) & 1))`,
  },
  16: {
    sz: "SZ16",
    len: 2,
    mask: "0xffff",
    regG: "((m >> 2) & 14)",
    regE: "((m & 7) << 1)",
    arr: "r16",
    rd: "rd16",
    wr: "wr16",
    imm: "c.fetch16()",
    acc: "0",
    regZ: (r) => `(${r} << 1)`,
  },
  32: {
    sz: "SZ32",
    len: 4,
    mask: "-1",
    regG: "((m >> 3) & 7)",
    regE: "(m & 7)",
    arr: "r32",
    rd: "rd32",
    wr: "wr32",
    imm: "c.fetch32()",
    acc: "0",
    regZ: (r) => `${r}`,
  },
};

// ---- ALU operations (cpu/semantics.ts): code computing r from a and b and setting lazy flags
const ALU = ALU_SEMANTICS.map((op) => ({
  name: op.name,
  write: op.write,
  code: (s) =>
    `${jsAluResult(op, s.mask, "c.cf()")} ` +
    (op.kind === "LOGIC"
      ? `c.setLogic(${s.sz}, r);`
      : `c.setLazy(${jsAluKind(op, (k) => `LF_${k}`)}, ${s.sz}, a, b, r);`),
}));

/** TEST (semantics.ts): r from a and b, the flags of a logic operation. */
const testCode = (s) => `${jsAluResult(TEST, s.mask, "c.cf()")} c.setLogic(${s.sz}, r);`;

/** The text of hot.generated.ts, with counts for the log line. Writes nothing. */
function build() {
  const fns = []; // generated function sources
  const registry = []; // lines of the handler map
  const cases = new Map(); // dispatch index -> call expression (with `c`)

  function fn(name, body) {
    fns.push(`function ${name}(c: Cpu): void {\n${body}\n}`);
    return name;
  }
  function fnArgs(name, args, body) {
    fns.push(`function ${name}(c: Cpu, ${args}): void {\n${body}\n}`);
    return name;
  }
  const v = (bits) => (bits === 8 ? "b" : "v");
  const w = (bits) => (bits === 8 ? "" : String(bits));

  // ALU forms 00-3D
  ALU.forEach((op, i) => {
    for (const bits of [8, 16, 32]) {
      const s = SIZES[bits];
      const wb = (dst) => (op.write ? dst : "void r;");
      const eg = fn(
        `${op.name}E${v(bits)}G${v(bits)}${w(bits)}`,
        `  const m = c.fetch8();
  const b = c.${s.arr}[${s.regG}];
  if (m >= 0xc0) {
    const d = ${s.regE};
    const a = c.${s.arr}[d];
    ${op.code(s)}
    ${wb(`c.${s.arr}[d] = r;`)}
  } else {
    const lin = c.${op.write ? "eaW" : "eaR"}(m, ${s.len});
    const a = c.${s.rd}(lin);
    ${op.code(s)}
    ${wb(`c.${s.wr}(lin, r);`)}
  }`,
      );
      const ge = fn(
        `${op.name}G${v(bits)}E${v(bits)}${w(bits)}`,
        `  const m = c.fetch8();
  const b = m >= 0xc0 ? c.${s.arr}[${s.regE}] : c.${s.rd}(c.eaR(m, ${s.len}));
  const g = ${s.regG};
  const a = c.${s.arr}[g];
  ${op.code(s)}
  ${wb(`c.${s.arr}[g] = r;`)}`,
      );
      const ai = fn(
        `${op.name}${bits === 8 ? "AL" : "eAX"}I${v(bits)}${w(bits)}`,
        `  const b = ${s.imm};
  const a = c.${s.arr}[0];
  ${op.code(s)}
  ${wb(`c.${s.arr}[0] = r;`)}`,
      );
      const base = i * 8;
      if (bits === 8) {
        for (const osz of [0, 512]) {
          cases.set(osz + base, `${eg}(c)`);
          cases.set(osz + base + 2, `${ge}(c)`);
          cases.set(osz + base + 4, `${ai}(c)`);
        }
        registry.push(`  ${op.name}EbGb: ${eg}, ${op.name}GbEb: ${ge}, ${op.name}ALIb: ${ai},`);
      } else {
        const osz = bits === 16 ? 0 : 512;
        cases.set(osz + base + 1, `${eg}(c)`);
        cases.set(osz + base + 3, `${ge}(c)`);
        cases.set(osz + base + 5, `${ai}(c)`);
      }
    }
    registry.push(
      `  ${op.name}EvGv: [${op.name}EvGv16, ${op.name}EvGv32], ${op.name}GvEv: [${op.name}GvEv16, ${op.name}GvEv32], ${op.name}eAXIv: [${op.name}eAXIv16, ${op.name}eAXIv32],`,
    );
  });

  // ALU with a run-time operation (groups): one function per size
  for (const bits of [8, 16, 32]) {
    const s = SIZES[bits];
    fns.push(
      `function alu${bits}(c: Cpu, op: number, a: number, b: number): number {\n  switch (op) {\n` +
        ALU.map((op, i) => `    case ${i}: { ${op.code(s)} return ${op.write ? "r" : "a"}; }`).join("\n") +
        "\n    default: return a;\n  }\n}",
    );
  }

  // Group 1: 80/82 (Eb,Ib), 81 (Ev,Iv), 83 (Ev,Ibs)
  for (const [name, bits, immByte] of [
    ["grp1EbIb", 8, true],
    ["grp1EvIv16", 16, false],
    ["grp1EvIv32", 32, false],
    ["grp1EvIbs16", 16, true],
    ["grp1EvIbs32", 32, true],
  ]) {
    const s = SIZES[bits];
    const imm = immByte ? (bits === 8 ? "c.fetch8()" : `c.fetch8s() & ${s.mask}`) : s.imm;
    fn(
      name,
      `  const m = c.fetch8();
  const op = (m >> 3) & 7;
  if (m >= 0xc0) {
    const d = ${s.regE};
    const r = alu${bits}(c, op, c.${s.arr}[d], ${imm});
    if (op !== 7) c.${s.arr}[d] = r;
  } else {
    const lin = op === 7 ? c.eaR(m, ${s.len}) : c.eaW(m, ${s.len});
    const b = ${imm};
    const r = alu${bits}(c, op, c.${s.rd}(lin), b);
    if (op !== 7) c.${s.wr}(lin, r);
  }`,
    );
  }
  for (const osz of [0, 512]) {
    cases.set(osz + 0x80, "grp1EbIb(c)");
    cases.set(osz + 0x82, "grp1EbIb(c)");
  }
  cases.set(0x81, "grp1EvIv16(c)");
  cases.set(512 + 0x81, "grp1EvIv32(c)");
  cases.set(0x83, "grp1EvIbs16(c)");
  cases.set(512 + 0x83, "grp1EvIbs32(c)");
  registry.push("  grp1EbIb, grp1EvIv: [grp1EvIv16, grp1EvIv32], grp1EvIbs: [grp1EvIbs16, grp1EvIbs32],");

  // TEST (semantics.ts TEST)
  for (const bits of [8, 16, 32]) {
    const s = SIZES[bits];
    fn(
      `testE${v(bits)}G${v(bits)}${w(bits)}`,
      `  const m = c.fetch8();
  const a = m >= 0xc0 ? c.${s.arr}[${s.regE}] : c.${s.rd}(c.eaR(m, ${s.len}));
  const b = c.${s.arr}[${s.regG}];
  ${testCode(s)}`,
    );
    fn(
      `test${bits === 8 ? "AL" : "eAX"}I${v(bits)}${w(bits)}`,
      `  const a = c.${s.arr}[0];
  const b = ${s.imm};
  ${testCode(s)}`,
    );
  }
  for (const osz of [0, 512]) {
    cases.set(osz + 0x84, "testEbGb(c)");
    cases.set(osz + 0xa8, "testALIb(c)");
  }
  cases.set(0x85, "testEvGv16(c)");
  cases.set(512 + 0x85, "testEvGv32(c)");
  cases.set(0xa9, "testeAXIv16(c)");
  cases.set(512 + 0xa9, "testeAXIv32(c)");
  registry.push("  testEbGb, testALIb, testEvGv: [testEvGv16, testEvGv32], testeAXIv: [testeAXIv16, testeAXIv32],");

  // MOV
  for (const bits of [8, 16, 32]) {
    const s = SIZES[bits];
    fn(
      `movE${v(bits)}G${v(bits)}${w(bits)}`,
      `  const m = c.fetch8();
  const x = c.${s.arr}[${s.regG}];
  if (m >= 0xc0) c.${s.arr}[${s.regE}] = x;
  else c.${s.wr}(c.eaW(m, ${s.len}), x);`,
    );
    fn(
      `movG${v(bits)}E${v(bits)}${w(bits)}`,
      `  const m = c.fetch8();
  c.${s.arr}[${s.regG}] = m >= 0xc0 ? c.${s.arr}[${s.regE}] : c.${s.rd}(c.eaR(m, ${s.len}));`,
    );
    fn(
      `movE${v(bits)}I${v(bits)}${w(bits)}`,
      `  const m = c.fetch8();
  if ((m & 0x38) !== 0) c.fault(V_UD);
  if (m >= 0xc0) c.${s.arr}[${s.regE}] = ${s.imm};
  else { const lin = c.eaW(m, ${s.len}); c.${s.wr}(lin, ${s.imm}); }`,
    );
    fnArgs(`movZ${v(bits)}I${v(bits)}${w(bits)}`, "reg: number", `  c.${s.arr}[${s.regZ("reg")}] = ${s.imm};`);
  }
  for (const osz of [0, 512]) {
    cases.set(osz + 0x88, "movEbGb(c)");
    cases.set(osz + 0x8a, "movGbEb(c)");
    cases.set(osz + 0xc6, "movEbIb(c)");
    for (let r = 0; r < 8; r++) cases.set(osz + 0xb0 + r, `movZbIb(c, ${r})`);
  }
  for (const [bits, osz] of [
    [16, 0],
    [32, 512],
  ]) {
    cases.set(osz + 0x89, `movEvGv${bits}(c)`);
    cases.set(osz + 0x8b, `movGvEv${bits}(c)`);
    cases.set(osz + 0xc7, `movEvIv${bits}(c)`);
    for (let r = 0; r < 8; r++) cases.set(osz + 0xb8 + r, `movZvIv${bits}(c, ${r})`);
  }
  registry.push(
    "  movEbGb, movGbEb, movEbIb, movEvGv: [movEvGv16, movEvGv32], movGvEv: [movGvEv16, movGvEv32], movEvIv: [movEvIv16, movEvIv32],",
  );
  registry.push("  movZbIb: perOpcode((index) => (c) => movZbIb(c, index & 7)),");
  registry.push(
    "  movZvIv: perOpcode((index, sz) => sz === SZ16 ? (c) => movZvIv16(c, index & 7) : (c) => movZvIv32(c, index & 7)),",
  );

  // INC/DEC/PUSH/POP register
  for (const bits of [16, 32]) {
    const s = SIZES[bits];
    for (const sem of INC_DEC)
      fnArgs(
        `${sem.name}Zv${bits}`,
        "reg: number",
        `  const a = c.${s.arr}[${s.regZ("reg")}];
  ${jsIncDecResult(sem, s.mask)}
  c.setLazyKeepCF(LF_${sem.kind}, ${s.sz}, a, r);
  c.${s.arr}[${s.regZ("reg")}] = r;`,
      );
    fnArgs(`pushZv${bits}`, "reg: number", `  c.push${bits}(c.${s.arr}[${s.regZ("reg")}]);`);
    fnArgs(`popZv${bits}`, "reg: number", `  c.${s.arr}[${s.regZ("reg")}] = c.pop${bits}();`);
  }
  for (const [bits, osz] of [
    [16, 0],
    [32, 512],
  ]) {
    for (let r = 0; r < 8; r++) {
      cases.set(osz + 0x40 + r, `incZv${bits}(c, ${r})`);
      cases.set(osz + 0x48 + r, `decZv${bits}(c, ${r})`);
      cases.set(osz + 0x50 + r, `pushZv${bits}(c, ${r})`);
      cases.set(osz + 0x58 + r, `popZv${bits}(c, ${r})`);
    }
  }
  for (const n of ["incZv", "decZv", "pushZv", "popZv"]) {
    registry.push(
      `  ${n}: perOpcode((index, sz) => sz === SZ16 ? (c) => ${n}16(c, index & 7) : (c) => ${n}32(c, index & 7)),`,
    );
  }

  // Jcc: one function per condition and size; conditions read only the flags they need.
  const COND = CONDITIONS.map((k) => jsCondition(k.flags, (f) => `c.${f}()`));
  const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
  for (const bits of [16, 32]) {
    for (let cc = 0; cc < 16; cc++) {
      const cond = cc & 1 ? `!(${COND[cc >> 1]})` : COND[cc >> 1];
      const target = bits === 16 ? "(c.getEip() + d) & 0xffff" : "(c.getEip() + d) | 0";
      fn(
        `j${CC[cc]}Jb${bits}`,
        `  const d = c.fetch8s();
  if (${cond}) jumpTo(c, ${target});`,
      );
      fn(
        `j${CC[cc]}Jv${bits}`,
        `  const d = ${bits === 16 ? "c.fetch16()" : "c.fetch32()"};
  if (${cond}) jumpTo(c, ${target});`,
      );
      cases.set((bits === 16 ? 0 : 512) + 0x70 + cc, `j${CC[cc]}Jb${bits}(c)`);
    }
  }
  registry.push(`  jccJb: perOpcode((index, sz) => (sz === SZ16 ? JCC_JB16 : JCC_JB32)[index & 15]),`);
  registry.push(`  jccJv: perOpcode((index, sz) => (sz === SZ16 ? JCC_JV16 : JCC_JV32)[index & 15]),`);
  const jccArrays = [16, 32]
    .map(
      (bits) =>
        `const JCC_JB${bits}: Handler[] = [${CC.map((n) => `j${n}Jb${bits}`).join(", ")}];\n` +
        `const JCC_JV${bits}: Handler[] = [${CC.map((n) => `j${n}Jv${bits}`).join(", ")}];`,
    )
    .join("\n");

  // JMP/CALL/RET near, LEA
  for (const bits of [16, 32]) {
    const s = SIZES[bits];
    const mask = bits === 16 ? " & 0xffff" : " | 0";
    fn(`jmpJb${bits}`, `  const d = c.fetch8s();\n  jumpTo(c, (c.getEip() + d)${mask});`);
    fn(`jmpJv${bits}`, `  const d = ${s.imm};\n  jumpTo(c, (c.getEip() + d)${mask});`);
    fn(
      `callJv${bits}`,
      `  const d = ${s.imm};
  const ret = c.getEip();
  const target = (ret + d)${mask};
  checkTarget(c, target);
  c.push${bits}(ret);
  c.setEip(target);`,
    );
    fn(
      `ret${bits}`,
      `  const target = c.peek${bits}(0);
  jumpTo(c, target);
  c.setSp(c.spAdd(${s.len}));`,
    );
    fn(
      `leaGvM${bits}`,
      `  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD);
  c.${s.arr}[${s.regG}] = c.eaOff(m);`,
    );
    const osz = bits === 16 ? 0 : 512;
    cases.set(osz + 0xeb, `jmpJb${bits}(c)`);
    cases.set(osz + 0xe9, `jmpJv${bits}(c)`);
    cases.set(osz + 0xe8, `callJv${bits}(c)`);
    cases.set(osz + 0xc3, `ret${bits}(c)`);
    cases.set(osz + 0x8d, `leaGvM${bits}(c)`);
  }
  registry.push(
    "  jmpJb: [jmpJb16, jmpJb32], jmpJv: [jmpJv16, jmpJv32], callJv: [callJv16, callJv32], ret: [ret16, ret32], leaGvM: [leaGvM16, leaGvM32],",
  );

  // Shifts and rotates (group 2, semantics.ts SHIFTS): per size, one function for any count and
  // one for a count of 1, switching on the operation; one handler per form and size.
  for (const bits of [8, 16, 32]) {
    const s = SIZES[bits];
    for (const [suffix, k, params] of [
      ["", undefined, "v: number, k: number"],
      ["By1", 1, "v: number"],
    ]) {
      const body = [0, 1, 2, 3, 4, 5, 7]
        .map(
          (reg) =>
            `    ${reg === 4 ? "case 4:\n    case 6:" : `case ${reg}:`} { ${jsShift(shiftOf(reg), bits, k, "c.cf()", s.sz)} return r; }`,
        )
        .join("\n");
      fns.push(
        `function shift${bits}${suffix}(c: Cpu, op: number, ${params}): number {\n  switch (op) {\n${body}\n    default: return v;\n  }\n}`,
      );
    }
  }
  const GRP2 = [
    ["1", 0xd0, null],
    ["CL", 0xd2, "c.r8[4]"],
    ["Ib", 0xc0, "c.fetch8()"],
  ];
  for (const [form, opcode, count] of GRP2) {
    for (const bits of [8, 16, 32]) {
      const s = SIZES[bits];
      const name = bits === 8 ? `grp2Eb${form}` : `grp2Ev${form}_${bits}`;
      // The memory operand is checked for writing first, and read even when the count is 0 (grp2).
      const reg =
        count === null
          ? `c.${s.arr}[d] = shift${bits}By1(c, op, c.${s.arr}[d]);`
          : `const k = ${count} & 31;\n    if (k !== 0) c.${s.arr}[d] = shift${bits}(c, op, c.${s.arr}[d], k);`;
      const mem =
        count === null
          ? `c.${s.wr}(lin, shift${bits}By1(c, op, c.${s.rd}(lin)));`
          : `const k = ${count} & 31;\n    const v = c.${s.rd}(lin);\n    if (k !== 0) c.${s.wr}(lin, shift${bits}(c, op, v, k));`;
      fn(
        name,
        `  const m = c.fetch8();
  const op = (m >> 3) & 7;
  if (m >= 0xc0) {
    const d = ${s.regE};
    ${reg}
  } else {
    const lin = c.eaW(m, ${s.len});
    ${mem}
  }`,
      );
      const op = bits === 8 ? opcode : opcode + 1;
      for (const osz of bits === 8 ? [0, 512] : bits === 16 ? [0] : [512]) cases.set(osz + op, `${name}(c)`);
    }
    registry.push(`  grp2Eb${form}, grp2Ev${form}: [grp2Ev${form}_16, grp2Ev${form}_32],`);
  }

  // Generic handlers called directly from the switch for other frequent opcodes.
  for (const [bits, osz] of [
    [16, 0],
    [32, 512],
  ]) {
    const szc = SIZES[bits].sz;
    cases.set(osz + 0xf6, "grp3(c, SZ8)");
    cases.set(osz + 0xf7, `grp3(c, ${szc})`);
    cases.set(osz + 0xff, `grp5(c, ${szc})`);
    cases.set(osz + 0xe2, `loop(c, 2, ${szc})`);
  }

  // ---- assemble the file
  const text = fns.join("\n\n");

  const sortedCases = [...cases.entries()].sort((a, b) => a[0] - b[0]);
  const switchText = sortedCases
    .map(([idx, call]) => `        case 0x${idx.toString(16).padStart(3, "0")}: ${call}; break;`)
    .join("\n");

  const file = `// GENERATED by packages/core/scripts/gen-hot.mjs. Do not edit: change the generator and rerun it.
//
// Size- and operation-specialised handlers for the most frequent instructions, and the run
// loop whose switch calls them directly (see the generator's header for why). The dispatch
// table uses the same functions for every path the switch does not cover (prefixed forms).

import type { Cpu } from "./cpu.ts";
import { FAULT } from "./fault.ts";
import { CS, START_EIP, SZ16, SZ32, SZ8, V_GP, V_UD } from "./regs.ts";
import { LF_ADC, LF_ADD, LF_DEC, LF_INC, LF_SBB, LF_SUB } from "./state.ts";
import { perOpcode, type Handler, type HandlerMap } from "./ops/operands.ts";
import { grp3 } from "./ops/muldiv.ts";
import { grp5, loop } from "./ops/control.ts";
import { JIT_MASK } from "./jit/params.ts";

/** Near jump to an already size-masked target, checked against the CS limit. */
export function jumpTo(c: Cpu, target: number): void {
  checkTarget(c, target);
  c.setEip(target);
}
export function checkTarget(c: Cpu, target: number): void {
  if ((target >>> 0) > (c.segLimit[CS] >>> 0)) c.fault(V_GP, c.isProtected() ? 0 : -1);
}

${text}

${jccArrays}

/** Handlers by opcode-table name; these replace the generic ones in the dispatch table. */
export const HOT_HANDLERS: HandlerMap = {
${registry.join("\n")}
};

/** Dispatch indices the run loop's switch handles itself. */
export const SWITCH_INDICES: readonly number[] = [${sortedCases.map(([i]) => "0x" + i.toString(16)).join(", ")}];

/**
 * The interpreter loop: up to budget instructions; returns how many ran. Returns early when
 * an instruction boundary asks to stop (HLT, shutdown, stop request). Before any instruction
 * that may exit to a device (all of them go through the table), the count so far is published
 * in c.sliceN so the machine clock can tell the time mid-slice.
 *
 * While the JIT is active and no event is pending, each boundary that a jump led to (or a new
 * fetch window, a compiled block's exit, the slice's start; not one the previous instruction
 * ran on to) first looks for a compiled block at the fetch pointer (jit/jit.ts): a block runs when it lies in the fetch window and fits
 * the budget; a miss, or a block compiled for what the CPU no longer is (its code size, flat
 * segments: c.jitKey), heats the address and compiles it once hot (jit.threshold). A fault inside a block is charged with the
 * instructions it ran before the faulting one: those of earlier iterations of a looping block
 * (c.jitDone) and those before the fault's START_EIP in this one (jit/compile.ts).
 */
export function runLoop(c: Cpu, budget: number): number {
  const ops = c.ops, r32 = c.r32, pipDelta = c.pipDelta, jit = c.jit, blocks = jit.blocks, heat = jit.heat, threshold = jit.threshold;
  let n = 0;
  /** Look for a block at the next boundary whatever led there (the slice's start, a block's exit, a compile). */
  let look = true;
  while (n < budget) {
    try {
      while (n < budget) {
        if (c.events !== 0 && c.boundary()) return n;
        if (c.jitActive && (c.events === 0 || c.jitQuiet())) {
          // Only where a jump (c.jumped) or a new fetch window led, not after every instruction.
          if (c.pip < c.pipEnd ? look || c.jumped : c.openWindow()) {
            look = false;
            c.jumped = false;
            const pip = c.pip;
            const slot = pip & JIT_MASK;
            const b = blocks[slot];
            if (b !== null && b.pip === pip && (b.key & ~c.jitKey) === 0) {
              if (pip + b.bytes <= c.pipEnd && b.count <= budget - n) {
                c.jitBlock = b;
                c.jitEip0 = (pip - pipDelta[0]) | 0;
                c.jitDone = 0;
                n += b.fn(c, n, budget - n);
                c.jitBlock = null;
                look = true;
                continue;
              }
            } else if (++heat[slot] >= threshold) {
              heat[slot] = 0;
              jit.compile(slot, pip);
              look = true;
              continue;
            }
          }
        }
        r32[START_EIP] = c.pip - pipDelta[0];
        const op = c.fetch8() | c.osizeBase;
        switch (op) {
${switchText}
        default: c.sliceN = n; ops[op](c);
        }
        n++;
      }
    } catch (e) {
      if (e !== FAULT) throw e;
      const b = c.jitBlock;
      if (b !== null) {
        n += c.jitDone + b.before((r32[START_EIP] - c.jitEip0) | 0);
        c.jitBlock = null;
      }
      n++;
      c.deliverFault();
      if (c.shutdownReason !== null) break;
    }
  }
  return n;
}

/** The same loop without the switch: every instruction through the dispatch table (for tests). */
export function runLoopTable(c: Cpu, budget: number): number {
  const ops = c.ops, r32 = c.r32, pipDelta = c.pipDelta;
  let n = 0;
  while (n < budget) {
    try {
      while (n < budget) {
        if (c.events !== 0 && c.boundary()) return n;
        r32[START_EIP] = c.pip - pipDelta[0];
        c.sliceN = n;
        ops[c.fetch8() | c.osizeBase](c);
        n++;
      }
    } catch (e) {
      if (e !== FAULT) throw e;
      n++;
      c.deliverFault();
      if (c.shutdownReason !== null) break;
    }
  }
  return n;
}
`;
  return { text: file, functions: fns.length, switchCases: cases.size };
}

/** The text of hot.generated.ts. Writes nothing. */
export function generateHot() {
  return build().text;
}

// Run as a program (not imported): write the file.
if (process.argv[1] !== undefined && import.meta.url === url.pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  const { text, functions, switchCases } = build();
  fs.writeFileSync(HOT_OUTPUT, text);
  console.log(`wrote ${path.relative(process.cwd(), HOT_OUTPUT)}: ${functions} functions, ${switchCases} switch cases`);
}
