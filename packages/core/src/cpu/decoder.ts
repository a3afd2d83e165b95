// Instruction decoder driven by the opcode table: splits one instruction into prefixes, opcode,
// ModRM, SIB, displacement and immediates, and says how long it is. It is not the interpreter's
// fetch path (handlers fetch their own operands); the disassembler, the debugger and the tests
// use it, and the tests hold the interpreter's lengths against it.
//
// Bytes come from a ByteSource, so the same decoder reads a test's byte array or guest memory.
// Which operands an opcode has comes only from the operand letters of opcode-table.ts; the
// layout rules (SDM Vol. 2 §2.1, tables 2-1 to 2-3, appendix A.2) live here:
//   - ModRM when any operand is E/G/M/R/S/C/D, or the opcode is a group (reg field selects);
//   - 16-bit addressing: mod 00 rm 110 is disp16, mod 01 disp8, mod 10 disp16;
//   - 32-bit addressing: rm 100 adds a SIB byte, SIB base 101 with mod 00 is disp32 (no base),
//     rm 101 with mod 00 is disp32; mod 01 disp8, mod 10 disp32;
//   - R operands (MOV to/from CRn/DRn) ignore mod: always a register, never a displacement
//     (SDM Vol. 2, MOV—Move to/from Control Registers);
//   - Ib/Ibs/Jb one byte, Iw two, Iv/Jv two or four by operand size, Ap offset (2/4) then
//     selector (2), Ob/Ov (moffs) two or four by address size;
//   - at most 15 bytes (SDM Vol. 2 §2.3.11): a longer instruction raises #GP.

import { x87Undefined } from "./fpu/ops.ts";
import { lockable } from "./exec-table-info.ts";
import { lookupOpcode, OPCODES_BY_INDEX, selectedSimdPrefix, type OpcodeEntry } from "./opcode-table.ts";
import { CS, DS, ES, FS, GS, SS } from "./regs.ts";

/** Where instruction bytes come from. byte() returns 0..255, or a negative number past the end. */
export interface ByteSource {
  byte(offset: number): number;
}

/** A ByteSource over an array; offsets outside it read as -1. */
export function arraySource(bytes: ArrayLike<number>, base = 0): ByteSource {
  return {
    byte: (offset) => {
      const i = offset - base;
      return i >= 0 && i < bytes.length ? bytes[i] & 0xff : -1;
    },
  };
}

/** The longest instruction the processor accepts (SDM Vol. 2 §2.3.11). */
export const MAX_INSTRUCTION_LENGTH = 15;

/** Why a decoded instruction raises #UD regardless of mode. */
export type UdReason =
  | "opcode" // no table entry for the opcode, or for this reg value of a group
  | "x87" // a reserved encoding of an x87 escape (D8-DF), per fpu/ops.ts
  | "register-form" // an M operand (memory only) encoded with mod 11
  | "memory-form" // an N operand (MMX register only) encoded with a memory ModRM
  | "simd-prefix" // a 66, F2 or F3 prefix on an NP instruction (an SSE form this CPU lacks)
  | "lock" // LOCK on an instruction that is not lockable or has no memory destination
  | "segment" // MOV with a segment register number > 5, or MOV to CS
  | "control-register"; // MOV to/from CR1, CR5, CR6 or CR7

export interface DecodedInstruction {
  /** Offset of the first byte in the source. */
  offset: number;
  /** Total length in bytes, prefixes included (for #UD opcodes: the bytes examined). */
  length: number;
  /** The prefix bytes, in order. */
  prefixBytes: number[];
  /** Segment override (ES CS SS DS FS GS numbering from regs.ts; the last one wins), or -1. */
  segment: number;
  operandSizePrefix: boolean;
  addressSizePrefix: boolean;
  /** 0, 0xF2 (REPNE) or 0xF3 (REP/REPE): the last of them. */
  rep: number;
  lock: boolean;
  /** Dispatch index: the opcode byte, or 256 + second byte for 0F xx; -1 if none was read. */
  opcode: number;
  /** The table entry (the group member for groups), or undefined for an undefined opcode. */
  entry: OpcodeEntry | undefined;
  /** Operand size and address size in effect (16 or 32). */
  operandSize: 16 | 32;
  addressSize: 16 | 32;
  /** ModRM byte and its fields, or -1 when the instruction has none. */
  modrm: number;
  mod: number;
  reg: number;
  rm: number;
  /** SIB byte and its fields, or -1 when there is none. */
  sib: number;
  scale: number;
  index: number;
  base: number;
  /**
   * Displacement of the memory operand, sign-extended (disp8, disp16 and disp32 alike), and its
   * size in bytes (0 when none). A moffs (Ob/Ov) offset is held here too, zero-extended.
   */
  disp: number;
  dispSize: number;
  /**
   * First immediate and its size in bytes (0 when none): sign-extended for Ibs, Jb and Jv,
   * zero-extended otherwise. For Ap it is the offset; for ENTER the Iw frame size.
   */
  imm: number;
  immSize: number;
  /** Second immediate: the selector of Ap, the Ib nesting level of ENTER. */
  imm2: number;
  imm2Size: number;
  /** Mnemonic for the operand size in effect, or "" when undefined. */
  mnemonic: string;
  /** True when the encoding raises #UD in every mode; udReason says why. */
  ud: boolean;
  udReason: UdReason | null;
  /** True when the instruction is longer than 15 bytes (#GP). */
  tooLong: boolean;
  /** True when the source ended before the instruction did. */
  truncated: boolean;
}

/** How an opcode's bytes are laid out, derived once per table entry. */
interface Layout {
  modrm: boolean;
  /** An M operand: mod 11 is #UD. */
  memOnly: boolean;
  /** An R operand: mod is ignored, always a register. */
  regOnly: boolean;
  /** moffs operand (Ob/Ov). */
  moffs: boolean;
  /** Immediate kinds in byte order: "b", "bs", "w", "v", "jb", "jv", "p" (far pointer). */
  imms: string[];
}

/** Operands named in full (registers, the constant 1): they take no bytes. */
const FIXED_OPERAND = /^(AL|CL|DX|eAX|[CDEFGS]S|1)$/;

/**
 * Operands that live in the ModRM byte: a letter and a lowercase size (M alone). Not the table's
 * own hasModrm, which also matches fixed registers such as DX and DS (reported to the lead).
 */
const MODRM_OPERAND = /^[EGMRSCDPQNUVW][a-z]*$/;

const layouts = new Map<OpcodeEntry, Layout>();

function layoutOf(e: OpcodeEntry): Layout {
  let l = layouts.get(e);
  if (l !== undefined) return l;
  l = {
    modrm: e.reg >= 0 || e.operands.some((op) => MODRM_OPERAND.test(op)),
    memOnly: false,
    regOnly: false,
    moffs: false,
    imms: [],
  };
  for (const op of e.operands) {
    const kind = op[0],
      size = op.slice(1);
    if (FIXED_OPERAND.test(op)) continue;
    switch (kind) {
      case "M":
        l.memOnly = true;
        break;
      case "R":
        l.regOnly = true;
        break;
      case "O":
        l.moffs = true;
        break;
      case "I":
        l.imms.push(size);
        break;
      case "J":
        l.imms.push("j" + size);
        break;
      case "A":
        l.imms.push("p");
        break;
      default:
        break;
    }
  }
  layouts.set(e, l);
  return l;
}

/** Prefix bytes and what they do (SDM Vol. 2 §2.1.1). Checked against the table's P flags by the tests. */
export const PREFIX_SEGMENT: Readonly<Record<number, number>> = {
  0x26: ES,
  0x2e: CS,
  0x36: SS,
  0x3e: DS,
  0x64: FS,
  0x65: GS,
};
export function isPrefixByte(b: number): boolean {
  return PREFIX_SEGMENT[b] !== undefined || b === 0x66 || b === 0x67 || b === 0xf0 || b === 0xf2 || b === 0xf3;
}

function isGroup(index: number): boolean {
  const list = OPCODES_BY_INDEX[index];
  return list.length > 0 && list[0].reg >= 0;
}

/**
 * Decodes the instruction at offset. defaultSize is the code segment's default operand and
 * address size: 16 in real mode, virtual-8086 mode and 16-bit protected-mode code, 32 for
 * 32-bit code segments.
 */
export function decode(src: ByteSource, offset: number, defaultSize: 16 | 32): DecodedInstruction {
  const d: DecodedInstruction = {
    offset,
    length: 0,
    prefixBytes: [],
    segment: -1,
    operandSizePrefix: false,
    addressSizePrefix: false,
    rep: 0,
    lock: false,
    opcode: -1,
    entry: undefined,
    operandSize: defaultSize,
    addressSize: defaultSize,
    modrm: -1,
    mod: 0,
    reg: 0,
    rm: 0,
    sib: -1,
    scale: 0,
    index: 0,
    base: 0,
    disp: 0,
    dispSize: 0,
    imm: 0,
    immSize: 0,
    imm2: 0,
    imm2Size: 0,
    mnemonic: "",
    ud: false,
    udReason: null,
    tooLong: false,
    truncated: false,
  };
  let pos = 0;
  const next = (): number => {
    const b = src.byte(offset + pos);
    pos++;
    if (!(b >= 0)) {
      d.truncated = true;
      return 0;
    }
    return b & 0xff;
  };
  /** Little-endian value of n bytes, zero-extended. */
  const nextN = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v += next() * 2 ** (8 * i);
    return v;
  };
  const finish = (): DecodedInstruction => {
    d.length = pos;
    if (pos > MAX_INSTRUCTION_LENGTH) d.tooLong = true;
    return d;
  };
  const undefinedAs = (reason: UdReason): void => {
    if (!d.ud) {
      d.ud = true;
      d.udReason = reason;
    }
  };

  // Prefixes. A run of prefixes that reaches the length limit is #GP before any opcode is read.
  let b = next();
  while (isPrefixByte(b) && !d.truncated) {
    d.prefixBytes.push(b);
    const seg = PREFIX_SEGMENT[b];
    if (seg !== undefined) d.segment = seg;
    else if (b === 0x66) d.operandSizePrefix = true;
    else if (b === 0x67) d.addressSizePrefix = true;
    else if (b === 0xf0) d.lock = true;
    else d.rep = b;
    if (pos >= MAX_INSTRUCTION_LENGTH) {
      d.tooLong = true;
      d.length = pos;
      return d;
    }
    b = next();
  }
  if (d.operandSizePrefix) d.operandSize = defaultSize === 16 ? 32 : 16;
  if (d.addressSizePrefix) d.addressSize = defaultSize === 16 ? 32 : 16;
  const o32 = d.operandSize === 32,
    a32 = d.addressSize === 32;

  let index = b;
  if (b === 0x0f) index = 256 + next();
  d.opcode = index;
  if (d.truncated) return finish();

  // The entry: groups are resolved by the ModRM reg field.
  const group = isGroup(index);
  let modrmByte = -1;
  if (group) modrmByte = next();
  const reg = group ? (modrmByte >> 3) & 7 : 0;
  let entry = lookupOpcode(index, reg, selectedSimdPrefix(d.operandSizePrefix, d.rep));
  if (entry === undefined) {
    // A prefix that selects a form this CPU lacks (an SSE2 row, say) is #UD; its bytes are read
    // as another form's, which has the same layout.
    entry = OPCODES_BY_INDEX[index].find((e) => e.simdPrefix >= 0 && (e.reg < 0 || e.reg === reg));
    undefinedAs(entry !== undefined ? "simd-prefix" : "opcode");
  }
  const layout = entry !== undefined ? layoutOf(entry) : null;
  d.entry = entry;

  if (group || (layout !== null && layout.modrm)) {
    if (modrmByte < 0) modrmByte = next();
    d.modrm = modrmByte;
    d.mod = modrmByte >> 6;
    d.reg = (modrmByte >> 3) & 7;
    d.rm = modrmByte & 7;
    if (layout !== null && layout.regOnly) {
      // MOV CRn/DRn: the mod field is ignored.
    } else if (d.mod !== 3) {
      if (a32) {
        let base = d.rm;
        if (d.rm === 4) {
          const sib = next();
          d.sib = sib;
          d.scale = sib >> 6;
          d.index = (sib >> 3) & 7;
          d.base = base = sib & 7;
        }
        if (d.mod === 1) {
          d.disp = (next() << 24) >> 24;
          d.dispSize = 1;
        } else if (d.mod === 2 || base === 5) {
          d.disp = nextN(4) | 0;
          d.dispSize = 4;
        }
      } else {
        if (d.mod === 1) {
          d.disp = (next() << 24) >> 24;
          d.dispSize = 1;
        } else if (d.mod === 2 || d.rm === 6) {
          d.disp = (nextN(2) << 16) >> 16;
          d.dispSize = 2;
        }
      }
    } else if (layout !== null && layout.memOnly) {
      undefinedAs("register-form");
    }
  }

  if (layout !== null && entry !== undefined) {
    if (layout.moffs) {
      d.dispSize = a32 ? 4 : 2;
      d.disp = nextN(d.dispSize);
    }
    for (const kind of layout.imms) {
      let size: number, value: number;
      switch (kind) {
        case "b":
          size = 1;
          value = next();
          break;
        case "bs":
        case "jb":
          size = 1;
          value = (next() << 24) >> 24;
          break;
        case "w":
          size = 2;
          value = nextN(2);
          break;
        case "d":
          size = 4;
          value = nextN(4);
          break;
        case "v":
          size = o32 ? 4 : 2;
          value = nextN(size);
          break;
        case "jv":
          size = o32 ? 4 : 2;
          value = o32 ? nextN(4) | 0 : (nextN(2) << 16) >> 16;
          break;
        case "p":
          d.immSize = o32 ? 4 : 2;
          d.imm = nextN(d.immSize);
          d.imm2Size = 2;
          d.imm2 = nextN(2);
          continue;
        default:
          throw new Error(`decoder: immediate kind '${kind}' in the opcode table is not known`);
      }
      if (d.immSize === 0) {
        d.imm = value;
        d.immSize = size;
      } else {
        d.imm2 = value;
        d.imm2Size = size;
      }
    }
    d.mnemonic = o32 ? entry.mnemonic32 : entry.mnemonic16;
    checkOperandRules(d, entry);
  }
  if (d.lock && !d.ud && (d.modrm < 0 || d.mod === 3 || !lockable(index, d.reg))) undefinedAs("lock");
  return finish();
}

/** #UD rules that depend on the reg field of a non-group opcode. */
function checkOperandRules(d: DecodedInstruction, e: OpcodeEntry): void {
  const ops = e.operands;
  if (ops.includes("Sw")) {
    // MOV Sw,Ew / MOV Ew,Sw: segment registers 6 and 7 do not exist; MOV to CS is #UD.
    if (d.reg > 5 || (ops[0] === "Sw" && d.reg === CS)) {
      d.ud = true;
      d.udReason = "segment";
    }
  }
  if (ops.includes("Cd") && (d.reg === 1 || d.reg > 4)) {
    d.ud = true;
    d.udReason = "control-register";
  }
  if (ops.some((o) => o[0] === "N" || o[0] === "U") && d.mod !== 3) {
    d.ud = true;
    d.udReason = "memory-form";
  }
  if (e.handler === "esc" && x87Undefined(e.index, d.modrm)) {
    d.ud = true;
    d.udReason = "x87";
  }
}
