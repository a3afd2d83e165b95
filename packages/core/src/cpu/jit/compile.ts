// The block compiler: turns the x86 instructions of one basic block (32-bit code) into the
// source of one JavaScript function, which the JIT (jit.ts) instantiates with `new Function`.
//
// A block starts at a physical address inside the CPU's fetch window and runs until a control
// transfer, the end of the window (the page), or MAX_BLOCK_INSNS instructions. Each
// instruction becomes either
//   - specialised code: operands decoded once here (registers, ModRM/SIB address arithmetic,
//     immediates, segment) and the same semantics as the interpreter's hot handlers, calling
//     the same CPU methods for memory, stack and lazy flags; or
//   - a fallback: the interpreter's own handler, called with the fetch pointer at the
//     instruction, followed by a check that it fell through and raised no event (else the block
//     returns there and the run loop takes over).
//
// The compiled code is exact, not approximate: the instruction count, the state after each
// instruction, the faults and the points where the run loop sees events are those of the
// interpreter. So a machine runs the same instructions whether or not its code is compiled
// (deterministic runs, snapshots resumed with an empty cache). Rules that keep it so:
//   - START_EIP is set before anything that may fault; the run loop counts the instructions
//     before the faulting one from it (Block.before);
//   - c.sliceN is published for exactly the instructions the interpreter publishes it for
//     (those not handled inside its switch);
//   - the lazy flags are always written as the interpreter writes them (the fused Jcc below
//     reads the same values from locals but the flags are still recorded).

import { decode, type ByteSource, type DecodedInstruction } from "../decoder.ts";
import { SWITCH_INDICES } from "../hot.generated.ts";
import { AF, DS, SS, START_EIP, STATUS_FLAGS, SZ16, SZ32, SZ8 } from "../regs.ts";
import { LF_ADC, LF_ADD, LF_DEC, LF_INC, LF_LOGIC, LF_SBB, LF_SUB } from "../state.ts";
import {
  ALU,
  CONDITIONS,
  fusedCondition,
  INC_DEC,
  jsAluKind,
  jsAluResult,
  jsCondition,
  jsIncDecResult,
  jsShift,
  shiftOf,
  TEST,
  type AluSemantics,
  type CondOperandExt,
  type FlagKind,
  type FlagSourceKind,
} from "../semantics.ts";

export const MAX_BLOCK_INSNS = 48;

export interface CompiledBlock {
  /** Body of `function (H) { ... return function block(c, n) {...} }`. */
  source: string;
  /** Instructions and bytes in the block. */
  count: number;
  bytes: number;
  /** Byte offset of each instruction from the block start. */
  offsets: Int32Array;
  /** Instructions compiled to specialised code (the others are fallbacks). */
  specialised: number;
}

const IN_SWITCH = new Set(SWITCH_INDICES);

/** The flag-setting operation just before a conditional instruction, whose operands are in locals fa, fb, fr. */
interface FlagSource {
  kind: number;
  sz: number;
}

interface Emitted {
  code: string;
  /** The block ends after this instruction (it transferred control). */
  ends: boolean;
  /** It may jump back to the block's start: the block is a loop (loopBack). */
  loops?: boolean;
  /** Set when the instruction sets all flags from (fa, fb, fr) recorded in locals. */
  flags?: FlagSource;
}

const r8x = (r: number): number => ((r & 3) << 2) | ((r >> 2) & 1);
const MASK = ["0xff", "0xffff", "-1"];

function reg(sz: number, r: number): string {
  return sz === SZ32 ? `r32[${r}]` : sz === SZ8 ? `r8[${r8x(r)}]` : `r16[${r << 1}]`;
}
function lenOf(sz: number): number {
  return sz === SZ32 ? 4 : sz === SZ8 ? 1 : 2;
}
/** Offset expression and segment of a 32-bit ModRM memory operand (SDM Vol. 2 tables 2-2, 2-3). */
function address(d: DecodedInstruction): { off: string; seg: number } {
  const parts: string[] = [];
  let seg = DS;
  if (d.rm === 4) {
    if (!(d.base === 5 && d.mod === 0)) {
      parts.push(`r32[${d.base}]`);
      if (d.base === 4 || d.base === 5) seg = SS;
    }
    if (d.index !== 4) parts.push(d.scale ? `(r32[${d.index}] << ${d.scale})` : `r32[${d.index}]`);
  } else if (!(d.rm === 5 && d.mod === 0)) {
    parts.push(`r32[${d.rm}]`);
    if (d.rm === 5) seg = SS;
  }
  if (d.disp !== 0 || parts.length === 0) parts.push(String(d.disp | 0));
  if (d.segment >= 0) seg = d.segment;
  return { off: parts.length === 1 && /^-?\d+$/.test(parts[0]) ? parts[0] : `((${parts.join(" + ")}) | 0)`, seg };
}

// Memory access inline: the segment check of segR/segW and the TLB fast path of rd*/wr* (RAM
// page present, 32-bit accesses aligned); anything else calls the CPU's accessor, which takes
// the slow path. The result is the same as the interpreter's c.rd32(c.segR(...)).

/** Code computing `lin` for offset expression off in segment seg, checked for len bytes. */
function checked(seg: number, off: string, len: number, write: boolean): string {
  return `const o = ${off}; if ((o >>> 0) + ${len} > ${write ? "limW" : "limR"}[${seg}]) c.segCheck(${seg}, o, ${len}, ${write}); const lin = (base[${seg}] + o) | 0;`;
}
/** Code that computes `lin` for the ModRM memory operand (read: read check; else write check). */
function linear(d: DecodedInstruction, sz: number, write: boolean): string {
  const a = address(d);
  return checked(a.seg, a.off, lenOf(sz), write);
}
/**
 * linear() for an operand that is read, then written: its pages are checked for writing before
 * the read, as the interpreter's eaW does (a fault reports a write and changes nothing).
 */
function linearRmw(d: DecodedInstruction, sz: number): string {
  const len = lenOf(sz);
  return `${linear(d, sz, true)} if (c.tlbW[lin >>> 12] === 0 || (lin & 0xfff) > ${0x1000 - len}) c.writable(lin, ${len});`;
}
/** Code that reads sz bytes at `lin` into const `name`. */
function load(sz: number, name: string): string {
  if (sz === SZ32)
    return `const t${name} = ~c.tlbR[lin >>> 12]; const ${name} = t${name} !== -1 && (lin & 3) === 0 ? ram32[(lin ^ t${name}) >>> 2] : c.rd32(lin);`;
  if (sz === SZ8)
    return `const t${name} = ~c.tlbR[lin >>> 12]; const ${name} = t${name} !== -1 ? ram[lin ^ t${name}] : c.rd8(lin);`;
  return `const ${name} = c.rd16(lin);`;
}
/** Code that writes the value of variable (or constant) x, sz bytes, at `lin`. */
function store(sz: number, x: string): string {
  if (sz === SZ32)
    return `{ const w = ~c.tlbW[lin >>> 12]; if (w !== -1 && (lin & 3) === 0) ram32[(lin ^ w) >>> 2] = ${x}; else c.wr32(lin, ${x}); }`;
  if (sz === SZ8) return `{ const w = ~c.tlbW[lin >>> 12]; if (w !== -1) ram[lin ^ w] = ${x}; else c.wr8(lin, ${x}); }`;
  return `c.wr16(lin, ${x});`;
}
/** Reads the r/m operand into const `name`. */
function readE(d: DecodedInstruction, sz: number, name: string): string {
  if (d.mod === 3) return `const ${name} = ${reg(sz, d.rm)};`;
  return `${linear(d, sz, false)} ${load(sz, name)}`;
}

/**
 * The truncated signed product of int32s a and b into lo, with the flags of imul2 (muldiv.ts):
 * CF = OF = the product does not fit in 32 bits (exactly when a * b, a double, differs from
 * lo: below 2^53 the double is exact, above it cannot equal a 32-bit value), AF clear, SF ZF PF
 * from lo.
 */
function imul32(): string {
  return `const lo = Math.imul(a, b); const ov = a * b !== lo ? 1 : 0; c.setCfOf(ov, ov); c.setFlag(${AF}, false); c.setResultSZP(${SZ32}, lo);`;
}

// Lazy flags inline, as CpuState.setLazy and setLogic record them.
function lazy(kind: string | number, sz: number): string {
  return `lf[0] = a; lf[1] = b; lf[2] = r; lf[3] = ${kind}; lf[4] = ${sz}; c.lazy = ${STATUS_FLAGS};`;
}
function logic(sz: number): string {
  return `lf[2] = r; lf[3] = ${LF_LOGIC}; lf[4] = ${sz}; c.lazy = ${STATUS_FLAGS};`;
}

/** The lazy-flag record kinds by name (semantics.ts FlagKind). */
const KIND: Record<FlagKind, number> = {
  ADD: LF_ADD,
  ADC: LF_ADC,
  SUB: LF_SUB,
  SBB: LF_SBB,
  LOGIC: LF_LOGIC,
  INC: LF_INC,
  DEC: LF_DEC,
};

/**
 * ALU operation i (ADD OR ADC SBB AND SUB XOR CMP, semantics.ts; or TEST) on a, b into r, recording the
 * lazy flags unless dead (the next instruction overwrites them all, see flagsDeadAfter).
 */
function aluCode(op: number | AluSemantics, sz: number, dead: boolean): string {
  const s = typeof op === "number" ? ALU[op] : op;
  const rec = dead
    ? ""
    : ` ${
        s.kind === "LOGIC"
          ? logic(sz)
          : lazy(
              jsAluKind(s, (k) => String(KIND[k])),
              sz,
            )
      }`;
  return `${jsAluResult(s, MASK[sz], "c.cf()")}${rec}`;
}

/**
 * True when instruction d (the next one) sets all six status flags without reading any and
 * cannot fault: then the flags the instruction before it records are never seen, not even by
 * an exception handler, and need not be recorded. Register forms of ADD OR AND SUB XOR CMP
 * TEST qualify (ADC/SBB read CF; INC/DEC keep it; shifts leave AF).
 */
export function flagsDeadAfter(d: DecodedInstruction | undefined): boolean {
  if (d === undefined || d.ud || d.operandSizePrefix || d.addressSizePrefix || d.rep !== 0 || d.lock) return false;
  const op = d.opcode;
  const regOnly = d.modrm < 0 || d.mod === 3;
  if (op < 0x40 && (op & 7) < 6) {
    const alu = op >> 3;
    return alu !== 2 && alu !== 3 && regOnly;
  }
  switch (op) {
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83:
      return d.reg !== 2 && d.reg !== 3 && regOnly;
    case 0x84:
    case 0x85:
      return regOnly;
    case 0xa8:
    case 0xa9:
      return true;
    default:
      return false;
  }
}
/** What a fused conditional may assume of ALU operation op's flags (none after ADC/SBB: the carry-in makes the shortcuts wrong). */
function aluFlags(op: number, sz: number): FlagSource | undefined {
  const s = ALU[op];
  return s.carry ? undefined : { kind: KIND[s.kind], sz };
}

/** The fused-condition kind of a flag source (semantics.ts fusedCondition). */
function sourceKind(f: FlagSource): FlagSourceKind {
  return f.kind === LF_SUB ? "sub" : f.kind === LF_LOGIC ? "logic" : "other";
}

/**
 * Condition cc (semantics.ts CONDITIONS): from the operands of the flag-setting operation in
 * locals (fa, fb, fr) when it allows, else from the lazy flags.
 */
function cond(cc: number, f: FlagSource | undefined): string {
  const fused = f ? fusedCondition(cc, sourceKind(f)) : null;
  const operand = (v: "a" | "b" | "r", ext: CondOperandExt) => {
    const x = `f${v}`;
    if (ext === "none") return x;
    if (ext === "zero") return f!.sz === SZ32 ? `(${x} >>> 0)` : x;
    return f!.sz === SZ32 ? x : f!.sz === SZ8 ? `((${x} << 24) >> 24)` : `((${x} << 16) >> 16)`;
  };
  const s = jsCondition(fused ?? CONDITIONS[cc >> 1].flags, (fl) => `c.${fl}()`, operand);
  return (cc & 1) !== 0 ? `!(${s})` : s;
}

/** Records the operands of a flag-setting operation for a fused conditional that follows. */
const KEEP = "fa = a; fb = b; fr = r;";

interface Site {
  d: DecodedInstruction;
  /** Offsets from the block start of this and the next instruction. */
  off: number;
  next: number;
  /** Physical addresses of this and the next instruction. */
  p: number;
  pNext: number;
  /** The flags of the previous instruction, when it recorded them in locals. */
  flags: FlagSource | undefined;
  /** The next instruction is a conditional that could use this one's flags. */
  keep: boolean;
  /** Instructions in the block, and its first byte's physical address (for loops to its start). */
  count: number;
  p0: number;
  /** Index of the instruction in the block. */
  index: number;
  /** The next instruction overwrites every flag this one would record (flagsDeadAfter). */
  dead: boolean;
}

/**
 * A jump back to the block's own start (from its last instruction, or from a conditional jump
 * inside it): another iteration runs inside the function while no event is pending and the
 * budget allows a whole pass (the run loop would make the same decisions at the same boundaries).
 */
function loopBack(s: Site): string {
  return `m += ${s.index + 1}; if (c.events === 0 && m + ${s.count} <= left) { c.jitDone = m; continue; } c.setEip(e0); return m;`;
}
const targetsStart = (s: Site): boolean => s.next + (s.d.imm | 0) === 0;

const eipAt = (off: number): string => `((e0 + ${off}) | 0)`;
const setStart = (s: Site): string => `r32[${START_EIP}] = ${eipAt(s.off)};`;

/** Specialised code for one instruction, or null to fall back to the interpreter's handler. */
function specialise(s: Site): Emitted | null {
  const d = s.d;
  if (d.ud || d.operandSizePrefix || d.addressSizePrefix || d.rep !== 0 || d.lock) return null;
  const op = d.opcode;
  const mem = d.modrm >= 0 && d.mod !== 3;
  const start = mem ? setStart(s) + " " : "";
  const keep = s.keep ? " " + KEEP : "";

  // ALU 00-3F: op in bits 3-5, form in bits 0-2 (Eb,Gb Ev,Gv Gb,Eb Gv,Ev AL,Ib eAX,Iv).
  if (op < 0x40 && (op & 7) < 6) {
    const alu = op >> 3,
      form = op & 7,
      sz = form & 1 ? SZ32 : SZ8,
      write = alu !== 7;
    const flags = aluFlags(alu, sz);
    const k = flags && s.keep ? " " + KEEP : "";
    if (form < 2) {
      if (!mem) {
        return {
          code: `{ const b = ${reg(sz, d.reg)}; const a = ${reg(sz, d.rm)}; ${aluCode(alu, sz, s.dead)}${k} ${write ? `${reg(sz, d.rm)} = r;` : ""} }`,
          ends: false,
          flags,
        };
      }
      return {
        code: `{ ${start}const b = ${reg(sz, d.reg)}; ${write ? linearRmw(d, sz) : linear(d, sz, false)} ${load(sz, "a")} ${aluCode(alu, sz, s.dead)}${k} ${write ? store(sz, "r") : ""} }`,
        ends: false,
        flags,
      };
    }
    if (form < 4) {
      return {
        code: `{ ${start}${readE(d, sz, "b")} const a = ${reg(sz, d.reg)}; ${aluCode(alu, sz, s.dead)}${k} ${write ? `${reg(sz, d.reg)} = r;` : ""} }`,
        ends: false,
        flags,
      };
    }
    const imm = sz === SZ32 ? d.imm | 0 : d.imm & 0xff;
    return {
      code: `{ const b = ${imm}; const a = ${reg(sz, 0)}; ${aluCode(alu, sz, s.dead)}${k} ${write ? `${reg(sz, 0)} = r;` : ""} }`,
      ends: false,
      flags,
    };
  }

  switch (op) {
    // Group 1: ALU with an immediate.
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83: {
      const alu = d.reg,
        sz = op === 0x81 || op === 0x83 ? SZ32 : SZ8,
        write = alu !== 7;
      const imm = sz === SZ32 ? d.imm | 0 : d.imm & 0xff;
      const flags = aluFlags(alu, sz);
      const k = flags && s.keep ? " " + KEEP : "";
      if (!mem)
        return {
          code: `{ const a = ${reg(sz, d.rm)}; const b = ${imm}; ${aluCode(alu, sz, s.dead)}${k} ${write ? `${reg(sz, d.rm)} = r;` : ""} }`,
          ends: false,
          flags,
        };
      return {
        code: `{ ${start}${write ? linearRmw(d, sz) : linear(d, sz, false)} ${load(sz, "a")} const b = ${imm}; ${aluCode(alu, sz, s.dead)}${k} ${write ? store(sz, "r") : ""} }`,
        ends: false,
        flags,
      };
    }
    // TEST
    case 0x84:
    case 0x85: {
      const sz = op === 0x85 ? SZ32 : SZ8;
      return {
        code: `{ ${start}${readE(d, sz, "a")} const b = ${reg(sz, d.reg)}; ${aluCode(TEST, sz, s.dead)}${keep} }`,
        ends: false,
        flags: { kind: LF_LOGIC, sz },
      };
    }
    case 0xa8:
    case 0xa9: {
      const sz = op === 0xa9 ? SZ32 : SZ8,
        imm = sz === SZ32 ? d.imm | 0 : d.imm & 0xff;
      return {
        code: `{ const a = ${reg(sz, 0)}; const b = ${imm}; ${aluCode(TEST, sz, s.dead)}${keep} }`,
        ends: false,
        flags: { kind: LF_LOGIC, sz },
      };
    }
    // MOV
    case 0x88:
    case 0x89: {
      const sz = op === 0x89 ? SZ32 : SZ8;
      if (!mem) return { code: `${reg(sz, d.rm)} = ${reg(sz, d.reg)};`, ends: false };
      return { code: `{ ${start}const x = ${reg(sz, d.reg)}; ${linear(d, sz, true)} ${store(sz, "x")} }`, ends: false };
    }
    case 0x8a:
    case 0x8b: {
      const sz = op === 0x8b ? SZ32 : SZ8;
      if (!mem) return { code: `${reg(sz, d.reg)} = ${reg(sz, d.rm)};`, ends: false };
      return { code: `{ ${start}${linear(d, sz, false)} ${load(sz, "v")} ${reg(sz, d.reg)} = v; }`, ends: false };
    }
    case 0xc6:
    case 0xc7: {
      const sz = op === 0xc7 ? SZ32 : SZ8,
        imm = sz === SZ32 ? d.imm | 0 : d.imm & 0xff;
      if (!mem) return { code: `${reg(sz, d.rm)} = ${imm};`, ends: false };
      return { code: `{ ${start}${linear(d, sz, true)} ${store(sz, String(imm))} }`, ends: false };
    }
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: {
      const sz = op & 1 ? SZ32 : SZ8,
        seg = d.segment >= 0 ? d.segment : DS,
        off = d.disp | 0;
      if (op < 0xa2)
        return {
          code: `{ ${setStart(s)} ${checked(seg, String(off), lenOf(sz), false)} ${load(sz, "v")} ${reg(sz, 0)} = v; }`,
          ends: false,
        };
      return {
        code: `{ ${setStart(s)} ${checked(seg, String(off), lenOf(sz), true)} const x = ${reg(sz, 0)}; ${store(sz, "x")} }`,
        ends: false,
      };
    }
    case 0x8d: {
      if (!mem) return null;
      return { code: `${reg(SZ32, d.reg)} = ${address(d).off};`, ends: false };
    }
    case 0x90:
      return { code: "", ends: false };
    case 0x98:
      return { code: `r32[0] = (r16[0] << 16) >> 16;`, ends: false };
    case 0x99:
      return { code: `r32[2] = r32[0] >> 31;`, ends: false };
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x95:
    case 0x96:
    case 0x97:
      return { code: `{ const t = r32[0]; r32[0] = r32[${op & 7}]; r32[${op & 7}] = t; }`, ends: false };
    case 0x87:
    case 0x86: {
      if (mem) return null;
      const sz = op === 0x87 ? SZ32 : SZ8;
      return {
        code: `{ const t = ${reg(sz, d.reg)}; ${reg(sz, d.reg)} = ${reg(sz, d.rm)}; ${reg(sz, d.rm)} = t; }`,
        ends: false,
      };
    }
    // INC/DEC/PUSH/POP register, PUSH immediate
    case 0x40:
    case 0x41:
    case 0x42:
    case 0x43:
    case 0x44:
    case 0x45:
    case 0x46:
    case 0x47:
    case 0x48:
    case 0x49:
    case 0x4a:
    case 0x4b:
    case 0x4c:
    case 0x4d:
    case 0x4e:
    case 0x4f: {
      const sem = INC_DEC[(op >> 3) & 1],
        rr = reg(SZ32, op & 7);
      return {
        code: `{ const a = ${rr}; ${jsIncDecResult(sem, "-1")} c.setLazyKeepCF(${KIND[sem.kind]}, ${SZ32}, a, r); ${rr} = r;${s.keep ? " fr = r;" : ""} }`,
        ends: false,
        flags: { kind: KIND[sem.kind], sz: SZ32 },
      };
    }
    case 0x50:
    case 0x51:
    case 0x52:
    case 0x53:
    case 0x54:
    case 0x55:
    case 0x56:
    case 0x57:
      return { code: `${setStart(s)} c.push32(r32[${op & 7}]);`, ends: false };
    case 0x58:
    case 0x59:
    case 0x5a:
    case 0x5b:
    case 0x5c:
    case 0x5d:
    case 0x5e:
    case 0x5f:
      return { code: `${setStart(s)} r32[${op & 7}] = c.pop32();`, ends: false };
    case 0x68:
    case 0x6a:
      return { code: `${setStart(s)} c.push32(${d.imm | 0});`, ends: false };
    // MOV immediate to register
    case 0xb0:
    case 0xb1:
    case 0xb2:
    case 0xb3:
    case 0xb4:
    case 0xb5:
    case 0xb6:
    case 0xb7:
      return { code: `${reg(SZ8, op & 7)} = ${d.imm & 0xff};`, ends: false };
    case 0xb8:
    case 0xb9:
    case 0xba:
    case 0xbb:
    case 0xbc:
    case 0xbd:
    case 0xbe:
    case 0xbf:
      return { code: `r32[${op & 7}] = ${d.imm | 0};`, ends: false };
    // Shifts and rotates (group 2) as semantics.ts SHIFTS describes them: by a constant, the
    // code of that count; by CL, of any count, skipped for a masked count of 0 (grp2: a memory
    // operand is still checked for writing and read).
    case 0xc0:
    case 0xc1:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const sz = op & 1 ? SZ32 : SZ8,
        bits = sz === SZ32 ? 32 : 8;
      const k = op >= 0xd2 ? undefined : op >= 0xd0 ? 1 : d.imm & 31;
      if (k === 0)
        return mem
          ? { code: `{ ${start}${linearRmw(d, sz)} ${load(sz, "v")} }`, ends: false }
          : { code: "", ends: false };
      const body = jsShift(shiftOf(d.reg), bits, k, "c.cf()", sz);
      const count = k === undefined ? "const k = r8[4] & 31; if (k !== 0) " : "";
      if (!mem)
        return { code: `{ const v = ${reg(sz, d.rm)}; ${count}{ ${body} ${reg(sz, d.rm)} = r; } }`, ends: false };
      return {
        code: `{ ${start}${linearRmw(d, sz)} ${load(sz, "v")} ${count}{ ${body} ${store(sz, "r")} } }`,
        ends: false,
      };
    }
    // Group 3: TEST NOT NEG MUL IMUL (DIV and IDIV, which may raise #DE, are interpreted).
    case 0xf7: {
      switch (d.reg) {
        case 0:
        case 1:
          return {
            code: `{ ${start}${readE(d, SZ32, "a")} const b = ${d.imm | 0}; ${aluCode(TEST, SZ32, s.dead)}${keep} }`,
            ends: false,
            flags: { kind: LF_LOGIC, sz: SZ32 },
          };
        case 2:
        case 3: {
          const f = (a: string) => (d.reg === 2 ? `~${a} & -1` : `H.neg(c, ${SZ32}, ${a})`);
          if (!mem) return { code: `${reg(SZ32, d.rm)} = ${f(reg(SZ32, d.rm))};`, ends: false };
          return {
            code: `{ ${start}${linearRmw(d, SZ32)} ${load(SZ32, "a")} const r = ${f("a")}; ${store(SZ32, "r")} }`,
            ends: false,
          };
        }
        case 4:
        case 5:
          return {
            code: `{ ${start}${readE(d, SZ32, "v")} H.${d.reg === 4 ? "mul" : "imul1"}(c, ${SZ32}, v); }`,
            ends: false,
          };
        default:
          return null;
      }
    }
    // IMUL
    case 0x1af:
      return {
        code: `{ ${start}${readE(d, SZ32, "b")} const a = ${reg(SZ32, d.reg)}; ${imul32()} ${reg(SZ32, d.reg)} = lo; }`,
        ends: false,
      };
    case 0x69:
    case 0x6b:
      return {
        code: `{ ${start}${readE(d, SZ32, "a")} const b = ${d.imm | 0}; ${imul32()} ${reg(SZ32, d.reg)} = lo; }`,
        ends: false,
      };
    // MOVZX/MOVSX
    case 0x1b6:
    case 0x1b7:
    case 0x1be:
    case 0x1bf: {
      const src = op & 1 ? SZ16 : SZ8,
        signed = op >= 0x1be;
      const ext = !signed ? "v" : src === SZ8 ? "(v << 24) >> 24" : "(v << 16) >> 16";
      return { code: `{ ${start}${readE(d, src, "v")} ${reg(SZ32, d.reg)} = ${ext}; }`, ends: false };
    }
    // SETcc, CMOVcc
    case 0x190:
    case 0x191:
    case 0x192:
    case 0x193:
    case 0x194:
    case 0x195:
    case 0x196:
    case 0x197:
    case 0x198:
    case 0x199:
    case 0x19a:
    case 0x19b:
    case 0x19c:
    case 0x19d:
    case 0x19e:
    case 0x19f: {
      const v = `(${cond(op & 15, s.flags)} ? 1 : 0)`;
      if (!mem) return { code: `${reg(SZ8, d.rm)} = ${v};`, ends: false };
      return { code: `{ ${start}const v = ${v}; ${linear(d, SZ8, true)} ${store(SZ8, "v")} }`, ends: false };
    }
    case 0x140:
    case 0x141:
    case 0x142:
    case 0x143:
    case 0x144:
    case 0x145:
    case 0x146:
    case 0x147:
    case 0x148:
    case 0x149:
    case 0x14a:
    case 0x14b:
    case 0x14c:
    case 0x14d:
    case 0x14e:
    case 0x14f:
      return {
        code: `{ ${start}${readE(d, SZ32, "v")} if (${cond(op & 15, s.flags)}) ${reg(SZ32, d.reg)} = v; }`,
        ends: false,
      };
    // Control transfers: the block ends.
    case 0x70:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0x74:
    case 0x75:
    case 0x76:
    case 0x77:
    case 0x78:
    case 0x79:
    case 0x7a:
    case 0x7b:
    case 0x7c:
    case 0x7d:
    case 0x7e:
    case 0x7f:
    case 0x180:
    case 0x181:
    case 0x182:
    case 0x183:
    case 0x184:
    case 0x185:
    case 0x186:
    case 0x187:
    case 0x188:
    case 0x189:
    case 0x18a:
    case 0x18b:
    case 0x18c:
    case 0x18d:
    case 0x18e:
    case 0x18f:
      // Not taken, the block goes on with the next instruction; taken, it leaves (or loops).
      if (targetsStart(s))
        return { code: `if (${cond(op & 15, s.flags)}) { ${loopBack(s)} }`, ends: false, loops: true };
      return {
        code: `if (${cond(op & 15, s.flags)}) { ${setStart(s)} H.jumpTo(c, ${eipAt(s.next + (d.imm | 0))}); return m + ${s.index + 1}; }`,
        ends: false,
      };
    case 0xeb:
    case 0xe9:
      if (targetsStart(s)) return { code: loopBack(s), ends: true, loops: true };
      return { code: `${setStart(s)} H.jumpTo(c, ${eipAt(s.next + (d.imm | 0))});`, ends: true };
    case 0xe8:
      return {
        code: `{ ${setStart(s)} const t = ${eipAt(s.next + (d.imm | 0))}; H.checkTarget(c, t); c.push32(${eipAt(s.next)}); c.setEip(t); }`,
        ends: true,
      };
    case 0xc3:
      return { code: `{ ${setStart(s)} const t = c.peek32(0); H.jumpTo(c, t); c.setSp(c.spAdd(4)); }`, ends: true };
    case 0xff: {
      switch (d.reg) {
        case 2:
          return {
            code: `{ ${setStart(s)} ${readE(d, SZ32, "t")} H.checkTarget(c, t); c.push32(${eipAt(s.next)}); c.setEip(t); }`,
            ends: true,
          };
        case 4:
          return { code: `{ ${setStart(s)} ${readE(d, SZ32, "t")} H.jumpTo(c, t); }`, ends: true };
        case 6:
          return { code: `{ ${setStart(s)} ${readE(d, SZ32, "v")} c.push32(v); }`, ends: false };
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

/**
 * Loads a data segment register (POP, LDS/LES/LSS/LFS/LGS, MOV Sreg): compiled code after it
 * may not assume what held before (a flat segment, params.ts JIT_KEY_*).
 */
export function loadsSegment(d: DecodedInstruction): boolean {
  switch (d.opcode) {
    case 0x07:
    case 0x17:
    case 0x1f:
    case 0x8e:
    case 0xc4:
    case 0xc5:
    case 0x1a1:
    case 0x1a9:
    case 0x1b2:
    case 0x1b4:
    case 0x1b5:
      return true;
    default:
      return false;
  }
}

/** Opcodes after which the interpreter's handler has (or may have) transferred control, or loaded a segment register. */
export function endsBlock(d: DecodedInstruction): boolean {
  const op = d.opcode;
  if (d.ud || d.truncated || d.tooLong || loadsSegment(d)) return true;
  switch (op) {
    case 0x9a:
    case 0xc2:
    case 0xc3:
    case 0xca:
    case 0xcb:
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
    case 0xe0:
    case 0xe1:
    case 0xe2:
    case 0xe3:
    case 0xe8:
    case 0xe9:
    case 0xea:
    case 0xeb:
    case 0xf4:
    case 0x134:
    case 0x135:
    case 0x10b:
    case 0x100:
    case 0x101:
    case 0x122:
      return true;
    case 0xff:
      return d.reg >= 2 && d.reg <= 5;
    default:
      // A conditional jump ends the block only when the interpreter runs it (with prefixes).
      return ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) && !isConditional(d);
  }
}
export function isConditional(d: DecodedInstruction): boolean {
  const op = d.opcode;
  return (
    !d.operandSizePrefix &&
    !d.addressSizePrefix &&
    !d.rep &&
    !d.lock &&
    ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x19f) || (op >= 0x140 && op <= 0x14f))
  );
}

/**
 * Compiles the block of 32-bit code at physical address pip; bytes up to windowEnd (exclusive)
 * may be read. Returns null when not even the first instruction fits.
 */
export function compileBlock(ram: Uint8Array, pip: number, windowEnd: number): CompiledBlock | null {
  const src: ByteSource = { byte: (o) => (o < windowEnd ? ram[o] : -1) };
  const insns: DecodedInstruction[] = [];
  let at = pip;
  while (insns.length < MAX_BLOCK_INSNS) {
    const d = decode(src, at, 32);
    if (d.truncated || at + d.length > windowEnd) break;
    insns.push(d);
    at += d.length;
    if (endsBlock(d)) break;
  }
  if (insns.length === 0) return null;

  const body: string[] = [];
  const offsets = new Int32Array(insns.length);
  let flags: FlagSource | undefined;
  let specialised = 0;
  let ended = false;
  let loops = false;
  for (let i = 0; i < insns.length; i++) {
    const d = insns[i];
    const off = d.offset - pip,
      next = off + d.length;
    offsets[i] = off;
    const site: Site = {
      d,
      off,
      next,
      p: d.offset,
      pNext: d.offset + d.length,
      flags,
      keep: i + 1 < insns.length && isConditional(insns[i + 1]),
      count: insns.length,
      p0: pip,
      index: i,
      dead: flagsDeadAfter(insns[i + 1]),
    };
    const first = ram[d.offset];
    const slice = IN_SWITCH.has(first | 512) ? "" : `c.sliceN = n + m + ${i}; `;
    const e = specialise(site);
    if (e !== null) {
      specialised++;
      body.push(slice + e.code);
      // A conditional jump leaves the flags as they were: the next conditional may still use them.
      flags = isConditional(d) ? flags : e.flags && site.keep ? e.flags : undefined;
      if (e.loops) loops = true;
      if (e.ends) {
        if (!e.loops) body.push(`return m + ${i + 1};`);
        ended = true;
        break;
      }
    } else {
      flags = undefined;
      // By EIP, not by physical address: a call out may have moved the fetch window (a TLB flush).
      body.push(`c.setEip(${eipAt(off)}); ${setStart(site)} ${slice}ops[c.fetch8() | 512](c);`);
      if (i + 1 < insns.length)
        body.push(`if (c.getEip() !== ${eipAt(site.next)} || c.events !== 0) return m + ${i + 1};`);
      else {
        body.push(`return m + ${i + 1};`);
        ended = true;
      }
    }
  }
  if (!ended) body.push(`c.setEip(${eipAt(at - pip)}); return m + ${insns.length};`);

  // m: instructions of the iterations before this one (always 0 in a block that does not loop).
  const code = loops ? `for (;;) {\n    ${body.join("\n    ")}\n  }` : body.join("\n  ");
  const source = `"use strict";
return function block(c, n, left) {
  const r32 = c.r32, r16 = c.r16, r8 = c.r8, ops = c.ops, e0 = c.jitEip0, lf = c.lf;
  const ram = c.ram, ram32 = c.ram32, base = c.segBase, limR = c.segLimR, limW = c.segLimW;
  let fa = 0, fb = 0, fr = 0, m = 0;
  ${code}
};`;
  return { source, count: insns.length, bytes: at - pip, offsets, specialised };
}
