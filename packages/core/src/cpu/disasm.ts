// Disassembler: Intel-syntax text for instructions split up by decoder.ts, close to what
// `objdump -M intel` prints (lowercase, single spaces), so traces and the debugger read like
// the tools people already know. Operands come from the opcode table's letters; the x87
// escapes (D8-DF, one table row each) are named here from the SDM's x87 opcode maps.
//
// Objdump conventions kept: size keywords on every memory operand ("dword ptr [eax]"), hex
// immediates, jump targets as absolute addresses, segment overrides inside the operand
// ("es:[bx]") and "ds:" on absolute addresses, SIB without an index written with eiz, and
// prefixes that change nothing printed as words ("data16", "addr32", "cs"). Where objdump
// names an instruction after its operand size only when a 0x66 prefix is present (pushw,
// retd, iretw, sgdtd...) the same suffixes are used.

import { arraySource, decode, type ByteSource, type DecodedInstruction } from "./decoder.ts";
import { REG16_NAMES, REG32_NAMES, REG8_NAMES, SEG_NAMES } from "./regs.ts";

export interface Disassembly {
  insn: DecodedInstruction;
  text: string;
}

/**
 * Decodes and formats the instruction at offset. address is the instruction's address as
 * jump targets are computed from it (defaults to the offset).
 */
export function disassemble(src: ByteSource, offset: number, defaultSize: 16 | 32, address = offset): Disassembly {
  const insn = decode(src, offset, defaultSize);
  return { insn, text: formatInstruction(insn, address) };
}

/** Disassembles a byte array from its start, one line per instruction: "addr: bytes  text". */
export function disassembleBytes(bytes: ArrayLike<number>, defaultSize: 16 | 32, address = 0): string[] {
  const src = arraySource(bytes);
  const out: string[] = [];
  for (let off = 0; off < bytes.length;) {
    const { insn, text } = disassemble(src, off, defaultSize, address + off);
    const n = Math.max(1, Math.min(insn.length, bytes.length - off));
    const hex = Array.from({ length: n }, (_, i) => (bytes[off + i] & 0xff).toString(16).padStart(2, "0")).join(" ");
    out.push(`${(address + off).toString(16)}: ${hex.padEnd(20)} ${text}`);
    off += n;
  }
  return out;
}

/** The CMPPS/CMPSS/CMPPD/CMPSD predicates 0-7, as their pseudo-ops spell them. */
const CMP_PREDICATES = ["eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"];
const hex = (v: number): string => "0x" + (v >>> 0).toString(16);
const signedHex = (v: number): string => (v < 0 ? "-" : "+") + "0x" + Math.abs(v).toString(16);

const MEM16_BASES = ["bx+si", "bx+di", "bp+si", "bp+di", "si", "di", "bp", "bx"];
const STRING_OPS = new Set([0x6c, 0x6d, 0x6e, 0x6f, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);
/** Instructions objdump suffixes with w/d when a 0x66 prefix changes their operand size. */
const SIZE_SUFFIXED = new Set([
  0x06,
  0x07,
  0x0e,
  0x16,
  0x17,
  0x1e,
  0x1f,
  0x1a0,
  0x1a1,
  0x1a8,
  0x1a9, // push/pop sreg
  0x68,
  0x6a,
  0xc2,
  0xc3,
  0xca,
  0xcb,
  0xc8,
  0xc9,
  0xe8,
  0xe9, // push imm, ret, enter, leave, call/jmp rel
]);
/** Instructions with a 16/32 name pair that objdump writes as the base name plus w/d after 0x66. */
const BASE_PLUS_SUFFIX = new Set([0x60, 0x61, 0x9c, 0x9d, 0xcf]);

// ---- x87 (SDM Vol. 2 appendix A.5, tables)

/** Memory forms per escape (D8..DF) and reg field: "mnemonic size" (size "" for none). */
const X87_MEM: readonly (readonly string[])[] = [
  ["fadd d", "fmul d", "fcom d", "fcomp d", "fsub d", "fsubr d", "fdiv d", "fdivr d"],
  ["fld d", "", "fst d", "fstp d", "fldenv ", "fldcw w", "fnstenv ", "fnstcw w"],
  ["fiadd d", "fimul d", "ficom d", "ficomp d", "fisub d", "fisubr d", "fidiv d", "fidivr d"],
  ["fild d", "fisttp d", "fist d", "fistp d", "", "fld t", "", "fstp t"],
  ["fadd q", "fmul q", "fcom q", "fcomp q", "fsub q", "fsubr q", "fdiv q", "fdivr q"],
  ["fld q", "fisttp q", "fst q", "fstp q", "frstor ", "", "fnsave ", "fnstsw w"],
  ["fiadd w", "fimul w", "ficom w", "ficomp w", "fisub w", "fisubr w", "fidiv w", "fidivr w"],
  ["fild w", "fisttp w", "fist w", "fistp w", "fbld t", "fild q", "fbstp t", "fistp q"],
];
/**
 * Register forms per escape and reg field. "name st,i" = name st,st(i); "name i,st" =
 * name st(i),st; "name i" = name st(i); a list of eight = one name per rm value ("" = none).
 */
const X87_REG: readonly (readonly (string | readonly string[])[])[] = [
  ["fadd st,i", "fmul st,i", "fcom i", "fcomp i", "fsub st,i", "fsubr st,i", "fdiv st,i", "fdivr st,i"],
  [
    "fld i",
    "fxch i",
    ["fnop", "", "", "", "", "", "", ""],
    "",
    ["fchs", "fabs", "", "", "ftst", "fxam", "", ""],
    ["fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz", ""],
    ["f2xm1", "fyl2x", "fptan", "fpatan", "fxtract", "fprem1", "fdecstp", "fincstp"],
    ["fprem", "fyl2xp1", "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos"],
  ],
  ["fcmovb st,i", "fcmove st,i", "fcmovbe st,i", "fcmovu st,i", "", ["", "fucompp", "", "", "", "", "", ""], "", ""],
  [
    "fcmovnb st,i",
    "fcmovne st,i",
    "fcmovnbe st,i",
    "fcmovnu st,i",
    ["fneni", "fndisi", "fnclex", "fninit", "fnsetpm", "frstpm", "", ""],
    "fucomi st,i",
    "fcomi st,i",
    "",
  ],
  ["fadd i,st", "fmul i,st", "", "", "fsubr i,st", "fsub i,st", "fdivr i,st", "fdiv i,st"],
  ["ffree i", "", "fst i", "fstp i", "fucom i", "fucomp i", "", ""],
  [
    "faddp i,st",
    "fmulp i,st",
    "",
    ["", "fcompp", "", "", "", "", "", ""],
    "fsubrp i,st",
    "fsubp i,st",
    "fdivrp i,st",
    "fdivp i,st",
  ],
  ["ffreep i", "", "", "", ["fnstsw ax", "", "", "", "", "", "", ""], "fucomip st,i", "fcomip st,i", ""],
];

// ---- formatting

/** Formats one decoded instruction. address: where it is, for jump targets. */
export function formatInstruction(d: DecodedInstruction, address: number): string {
  if (d.opcode < 0 || (d.truncated && d.entry === undefined)) return "(bad)";
  const f = new Formatter(d, address);
  return f.format();
}

class Formatter {
  private segUsed = false;
  private osUsed = false;
  private asUsed = false;
  /** Set once the first immediate has been printed (ENTER has two). */
  private immTaken = false;
  private readonly d: DecodedInstruction;
  private readonly address: number;
  private readonly o32: boolean;
  private readonly a32: boolean;

  constructor(d: DecodedInstruction, address: number) {
    this.d = d;
    this.address = address;
    this.o32 = d.operandSize === 32;
    this.a32 = d.addressSize === 32;
  }

  format(): string {
    const d = this.d;
    const e = d.entry;
    let body: string | null;
    if (e === undefined) body = "(bad)";
    else if (d.opcode >= 0xd8 && d.opcode <= 0xdf) body = this.x87();
    else body = this.special();
    if (body === null) {
      const ops = e!.operands.map((op) => this.operand(op));
      body = this.mnemonic() + (ops.length > 0 ? " " + ops.join(",") : "");
    }
    const prefixes: string[] = [];
    // A mandatory 66 is the last one; objdump shows any other as data16/data32.
    const last66 = d.prefixBytes.lastIndexOf(0x66);
    d.prefixBytes.forEach((p, i) => {
      const name = p === 0x66 && i !== last66 && this.mandatory(p) ? this.dataPrefix() : this.prefixName(p);
      if (name !== "") prefixes.push(name);
    });
    return [...prefixes, body].join(" ");
  }

  private dataPrefix(): string {
    return this.d.operandSize === 32 ? "data32" : "data16";
  }

  /** The word printed for a prefix byte, or "" when the operands already show it. */
  private prefixName(p: number): string {
    const d = this.d;
    switch (p) {
      case 0xf0:
        return "lock";
      case 0xf2:
        return this.mandatory(p) ? "" : "repnz";
      case 0xf3: {
        if (d.opcode === 0x90 || this.mandatory(p)) return "";
        const k = d.opcode & ~1;
        return STRING_OPS.has(d.opcode) && k !== 0xa6 && k !== 0xae ? "rep" : "repz";
      }
      case 0x66:
        return this.osUsed || this.mandatory(p) ? "" : this.dataPrefix();
      case 0x67:
        return this.asUsed ? "" : d.addressSize === 32 ? "addr32" : "addr16";
      default:
        return this.segUsed ? "" : SEG_NAMES[segOfPrefix(p)];
    }
  }

  /** Whole instructions objdump writes differently from their table row, or null for the rest. */
  private special(): string | null {
    const d = this.d,
      idx = d.opcode;
    if (idx === 0x90 && d.operandSizePrefix && d.rep !== 0xf3) {
      this.osUsed = true;
      return "xchg " + (this.o32 ? "eax,eax" : "ax,ax");
    }
    if (idx === 0xd7) {
      // XLAT reads DS:[eBX+AL]; objdump shows the table operand.
      this.asUsed = true;
      return `xlat byte ptr ${this.segment(true)}[${this.a32 ? "ebx" : "bx"}]`;
    }
    if (idx === 0x1c2 && (d.imm & 0xff) < 8) {
      // CMPPS/CMPPD/CMPSS/CMPSD with predicates 0-7: objdump prints the pseudo-op (cmpltps ...).
      const e = d.entry!,
        m = e.mnemonic16;
      return `cmp${CMP_PREDICATES[d.imm & 7]}${m.slice(3)} ${this.operand(e.operands[0])},${this.operand(e.operands[1])}`;
    }
    if (idx === 0x1ae && d.mod === 3 && d.reg >= 5) return ["lfence", "mfence", "sfence"][d.reg - 5];
    if (idx === 0x118 && d.mod !== 3 && d.reg < 4) {
      // 0F 18 /0-3 are the PREFETCH hints of later processors (a hint NOP on this one).
      return ["prefetchnta", "prefetcht0", "prefetcht1", "prefetcht2"][d.reg] + " " + this.memory("byte ptr");
    }
    return null;
  }

  private mnemonic(): string {
    const d = this.d,
      e = d.entry!,
      idx = d.opcode;
    let m = this.o32 ? e.mnemonic32 : e.mnemonic16;
    if (e.mnemonic16 !== e.mnemonic32 && idx !== 0xe3) this.osUsed = true;
    if (SIZE_SUFFIXED.has(idx)) {
      this.osUsed = true;
      if (d.operandSizePrefix) m += this.o32 ? "d" : "w";
    } else if (BASE_PLUS_SUFFIX.has(idx)) {
      m = e.mnemonic16;
      if (d.operandSizePrefix) m += this.o32 ? "d" : "w";
    } else if (STRING_OPS.has(idx)) {
      m = e.mnemonic16.replace(/[bwd]$/, "");
    } else if (idx === 0xe3) {
      m = this.a32 ? "jecxz" : "jcxz";
      this.asUsed = true;
    } else if (idx === 0x90) {
      if (d.rep === 0xf3) m = "pause";
    } else if (idx === 0x9b) m = "fwait";
    else if ((idx === 0x112 || idx === 0x116) && d.mod === 3) m = idx === 0x112 ? "movhlps" : "movlhps";
    else if (m === "sal") m = "shl";
    else if (m === "callf") m = "call";
    else if (m === "jmpf") m = "jmp";
    else if (idx === 0x101 && d.reg < 4) {
      m += this.o32 ? "d" : "w";
      this.osUsed = true;
    } else if (m.startsWith("(")) m = m.slice(1, -1);
    return m;
  }

  private operand(op: string): string {
    const d = this.d;
    switch (op) {
      case "AL":
        return "al";
      case "CL":
        return "cl";
      case "DX":
        return "dx";
      case "1":
        return "1";
      case "eAX":
        this.osUsed = true;
        return this.o32 ? "eax" : "ax";
      case "ES":
      case "CS":
      case "SS":
      case "DS":
      case "FS":
      case "GS":
        return op.toLowerCase();
      default:
        break;
    }
    const kind = op[0],
      size = op.slice(1);
    switch (kind) {
      case "E":
      case "M":
      case "R":
        if (d.mod === 3 || kind === "R") return this.reg(size === "" ? "v" : this.regSizeOfE(size), d.rm);
        return this.memory(this.ptrSize(size));
      case "G":
        return this.reg(size, d.reg);
      case "P":
        return `mm${d.reg}`;
      case "Q":
      case "N":
        if (d.mod === 3) return `mm${d.rm}`;
        return this.memory(this.ptrSize(size));
      case "V":
        return `xmm${d.reg}`;
      case "W":
      case "U":
        if (d.mod === 3) return `xmm${d.rm}`;
        return this.memory(this.ptrSize(size));
      case "Z":
        return this.reg(size, d.opcode & 7);
      case "S":
        return SEG_NAMES[d.reg] ?? `sreg${d.reg}`;
      case "C":
        return `cr${d.reg}`;
      case "D":
        return `dr${d.reg}`;
      case "I":
        return this.immediate(size);
      case "J": {
        if (size === "v") this.osUsed = true;
        const next = this.address + d.length + d.imm;
        return hex(this.o32 ? next : next & 0xffff);
      }
      case "A":
        this.osUsed = true;
        return `${hex(d.imm2)}:${hex(d.imm)}`;
      case "O": {
        // objdump leaves the address size of a moffs unmarked, so a 0x67 shows as a word.
        if (size === "v") this.osUsed = true;
        return this.segment(true) + hex(d.disp);
      }
      case "X":
      case "Y": {
        this.asUsed = true;
        const base = kind === "X" ? (this.a32 ? "esi" : "si") : this.a32 ? "edi" : "di";
        const seg = kind === "X" ? this.segment(true) : "es:";
        return `${this.ptrSize(size)} ${seg}[${base}]`;
      }
      default:
        return op;
    }
  }

  /** Register operand of size letter sz ("b", "w", "d", "v"). */
  private reg(sz: string, r: number): string {
    if (sz === "b") return REG8_NAMES[r];
    if (sz === "w") return REG16_NAMES[r];
    if (sz === "d") return REG32_NAMES[r];
    this.osUsed = true;
    return this.o32 ? REG32_NAMES[r] : REG16_NAMES[r];
  }

  /**
   * The register size of an E operand in register form. MOV Sw to and from a register,
   * SLDT/STR/SMSW, LAR and LSL name an operand-size register, as objdump prints them; the
   * other Ew forms a word register.
   */
  private regSizeOfE(size: string): string {
    if (size !== "w") return size;
    const idx = this.d.opcode,
      reg = this.d.reg;
    if (
      idx === 0x8c ||
      idx === 0x8e ||
      idx === 0x102 ||
      idx === 0x103 ||
      (idx === 0x100 && reg < 2) ||
      (idx === 0x101 && reg === 4)
    )
      return "v";
    if (idx === 0x1c4) return "d"; // PINSRW r32/m16
    return "w";
  }

  /** "byte ptr" etc. for a memory operand of size letter sz ("" for M without a size). */
  /** Prefix p is the row's mandatory prefix (MOVSS's F3): part of the opcode, not printed. */
  private mandatory(p: number): boolean {
    return this.d.entry?.simdPrefix === p;
  }

  private ptrSize(sz: string): string {
    switch (sz) {
      case "b":
        return "byte ptr";
      case "w":
        return "word ptr";
      case "d":
        return "dword ptr";
      case "q":
      case "sd":
        return "qword ptr";
      case "ss":
        return "dword ptr";
      case "ps":
      case "pd":
      case "dq":
        return "xmmword ptr";
      case "v":
        this.osUsed = true;
        return this.o32 ? "dword ptr" : "word ptr";
      case "p":
        this.osUsed = true;
        return this.o32 ? "fword ptr" : "dword ptr";
      case "a":
        this.osUsed = true;
        return this.o32 ? "qword ptr" : "dword ptr";
      default:
        return this.d.opcode === 0x101 && this.d.reg === 7 ? "byte ptr" : "";
    }
  }

  /** The segment part of a memory operand: the override, or "ds:" where objdump shows it. */
  private segment(showDefault: boolean): string {
    const d = this.d;
    if (d.segment >= 0) {
      this.segUsed = true;
      return SEG_NAMES[d.segment] + ":";
    }
    return showDefault ? "ds:" : "";
  }

  /** A ModRM memory operand with its size keyword. */
  private memory(ptr: string): string {
    const d = this.d;
    let expr: string;
    // objdump counts a 0x67 as used when registers show it, and for a 16-bit absolute
    // address, but prints "addr32" before a 32-bit absolute one.
    if (!this.a32) {
      this.asUsed = true;
      if (d.mod === 0 && d.rm === 6) expr = this.segment(true) + hex(d.disp & 0xffff);
      else expr = this.segment(false) + "[" + MEM16_BASES[d.rm] + (d.dispSize > 0 ? signedHex(d.disp) : "") + "]";
    } else {
      let base = -1,
        index = -1,
        scale = 0;
      if (d.sib >= 0) {
        if (!(d.base === 5 && d.mod === 0)) base = d.base;
        // No index: objdump still writes the SIB's scale as eiz unless the base is ESP, scale 1.
        if (d.index !== 4) index = d.index;
        else if (base !== 4 || d.scale !== 0) index = 8;
        scale = d.scale;
      } else if (!(d.rm === 5 && d.mod === 0)) base = d.rm;
      if (base < 0 && index < 0) expr = this.segment(true) + hex(d.disp);
      else {
        this.asUsed = true;
        const parts: string[] = [];
        if (base >= 0) parts.push(REG32_NAMES[base]);
        if (index >= 0) parts.push(`${index === 8 ? "eiz" : REG32_NAMES[index]}*${1 << scale}`);
        let inner = parts.join("+");
        if (d.dispSize > 0) inner += signedHex(d.disp);
        expr = this.segment(false) + "[" + inner + "]";
      }
    }
    return ptr === "" ? expr : `${ptr} ${expr}`;
  }

  private immediate(size: string): string {
    const d = this.d;
    const first = d.immSize > 0 && !this.immTaken;
    this.immTaken = true;
    const v = first ? d.imm : d.imm2;
    if (size === "bs" || size === "v") this.osUsed = true;
    if (size === "bs") return hex(this.o32 ? v : v & 0xffff);
    return hex(v);
  }

  private x87(): string {
    const d = this.d,
      esc = d.opcode - 0xd8;
    if (d.mod !== 3) {
      const spec = X87_MEM[esc][d.reg];
      if (spec === "") return "(bad) " + this.memory("");
      const [name, sz] = spec.split(" ");
      const ptr =
        sz === "d" ? "dword ptr" : sz === "q" ? "qword ptr" : sz === "w" ? "word ptr" : sz === "t" ? "tbyte ptr" : "";
      return name + " " + this.memory(ptr);
    }
    const row = X87_REG[esc][d.reg];
    const spec = typeof row === "string" ? row : row[d.rm];
    if (spec === "") return "(bad)";
    const [name, args] = spec.split(" ");
    if (args === undefined || typeof row !== "string") return spec;
    const sti = `st(${d.rm})`;
    return name + " " + (args === "st,i" ? `st,${sti}` : args === "i,st" ? `${sti},st` : sti);
  }
}

function segOfPrefix(p: number): number {
  return p === 0x26 ? 0 : p === 0x2e ? 1 : p === 0x36 ? 2 : p === 0x3e ? 3 : p === 0x64 ? 4 : 5;
}
