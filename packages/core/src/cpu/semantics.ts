// The hot instructions' semantics, described once. The interpreter's generated handlers
// (scripts/gen-hot.mjs -> hot.generated.ts), the JavaScript blocks (jit/compile.ts) and the
// WebAssembly blocks (jit/wasm-block.ts) are generated from these descriptions, each in its own
// syntax; the generic handlers in ops/*.ts stay the reference that hot.test.ts, the JIT tests
// and the conformance vectors hold all of them to.
//
// Described here: the eight ALU operations, INC and DEC, the conditions of Jcc/SETcc/CMOVcc
// (with their shortcuts after a known flag-setting operation), and shifts and rotates by a
// constant. Not described: instructions that only move data (MOV, MOVZX/MOVSX, LEA, PUSH,
// POP, XCHG), whose renderers differ only in how they reach registers and memory, which each
// renderer does its own way.
//
// This file has no imports, so that the generator script can read it too.

/** A two-operand primitive on 32-bit integers. */
export type Primitive = "add" | "sub" | "and" | "or" | "xor";

/** How an instruction leaves the status flags: the lazy-flag record's kind (state.ts LF_*). */
export type FlagKind = "ADD" | "ADC" | "SUB" | "SBB" | "LOGIC" | "INC" | "DEC";

export interface AluSemantics {
  /** The mnemonic, lower case (the handlers' names start with it). */
  name: string;
  /**
   * r = a OP b, masked to the operand size; for the carry forms r = a OP b OP CF, and the
   * flags are recorded as `carryKind` when CF was set.
   */
  op: Primitive;
  carry: boolean;
  /** The flags: recorded lazily from (a, b, r) as `kind`, or as LOGIC from r (CF = OF = AF = 0). */
  kind: FlagKind;
  carryKind?: FlagKind;
  /** Whether r is written to the destination (CMP computes it for the flags only). */
  write: boolean;
}

/** The eight ALU operations in opcode order (00-3D: bits 3-5; group 1: ModRM reg). */
export const ALU: readonly AluSemantics[] = [
  { name: "add", op: "add", carry: false, kind: "ADD", write: true },
  { name: "or", op: "or", carry: false, kind: "LOGIC", write: true },
  { name: "adc", op: "add", carry: true, kind: "ADD", carryKind: "ADC", write: true },
  { name: "sbb", op: "sub", carry: true, kind: "SUB", carryKind: "SBB", write: true },
  { name: "and", op: "and", carry: false, kind: "LOGIC", write: true },
  { name: "sub", op: "sub", carry: false, kind: "SUB", write: true },
  { name: "xor", op: "xor", carry: false, kind: "LOGIC", write: true },
  { name: "cmp", op: "sub", carry: false, kind: "SUB", write: false },
];

/** The primitive's JavaScript operator. */
export const JS_OPERATOR: Record<Primitive, string> = { add: "+", sub: "-", and: "&", or: "|", xor: "^" };

/**
 * JavaScript for an ALU operation's result: `const r = ...;` from a and b (and `cin`, which the
 * carry forms declare from cf), masked with `mask` (a literal or expression).
 */
export function jsAluResult(s: AluSemantics, mask: string, cf: string): string {
  const o = JS_OPERATOR[s.op];
  if (s.carry) return `const cin = ${cf}; const r = (a ${o} b ${o} cin) & ${mask};`;
  // AND needs no parentheses, and the generated handlers have always been written without.
  return s.op === "and" ? `const r = a & b & ${mask};` : `const r = (a ${o} b) & ${mask};`;
}

/** JavaScript for the kind recorded: a name through `kindName` (e.g. k => `LF_${k}`), chosen by `cin` for the carry forms. */
export function jsAluKind(s: AluSemantics, kindName: (k: FlagKind) => string): string {
  return s.carryKind ? `cin ? ${kindName(s.carryKind)} : ${kindName(s.kind)}` : kindName(s.kind);
}

// ---- INC and DEC

export interface IncDecSemantics {
  name: "inc" | "dec";
  /** r = a OP 1, masked to the operand size. */
  op: "add" | "sub";
  /** The flags: recorded lazily from (a, 1, r) as `kind`, CF kept (made concrete first: CpuState.setLazyKeepCF). */
  kind: "INC" | "DEC";
}

/** INC and DEC in opcode order (40-4F: bit 3; group FE/FF: ModRM reg 0 and 1). */
export const INC_DEC: readonly IncDecSemantics[] = [
  { name: "inc", op: "add", kind: "INC" },
  { name: "dec", op: "sub", kind: "DEC" },
];

/** JavaScript for INC or DEC's result: `const r = ...;` from a, masked with `mask`. */
export function jsIncDecResult(s: IncDecSemantics, mask: string): string {
  return `const r = (a ${JS_OPERATOR[s.op]} 1) & ${mask};`;
}

// ---- shifts and rotates by a constant

/**
 * An integer expression of a shift or rotate: over the operand `v` (zero-extended from the
 * operand size), `vs` (sign-extended), the result `r` and the carry `cf` computed before it,
 * with constants and 32-bit operators (`shr` unsigned, `sar` signed).
 */
export type ShiftExpr =
  "v" | "vs" | "r" | "cf" | number | { op: "shl" | "shr" | "sar" | "and" | "or" | "xor"; a: ShiftExpr; b: ShiftExpr };

const bin =
  (op: "shl" | "shr" | "sar" | "and" | "or" | "xor") =>
  (a: ShiftExpr, b: ShiftExpr): ShiftExpr => ({ op, a, b });
const shl = bin("shl"),
  shr = bin("shr"),
  sar = bin("sar"),
  and = bin("and"),
  or = bin("or"),
  xor = bin("xor");

export interface ShiftSemantics {
  /** The mnemonic; `reg` is its ModRM reg field in group 2 (C0/C1/D0/D1). */
  name: "rol" | "ror" | "shl" | "shr" | "sar";
  reg: number;
  /**
   * The result, CF and OF for a count k from 1 to bits - 1 (bits: the operand size), before
   * masking to the operand size. Shifts also set SF, ZF and PF from the result (a LOGIC
   * record) and leave AF; rotates leave them all.
   */
  result: (k: number, bits: number) => ShiftExpr;
  cf: (k: number, bits: number) => ShiftExpr;
  of: (k: number, bits: number) => ShiftExpr;
  setsSzp: boolean;
}

/** As shift.ts shiftOp computes them (SDM Vol. 2B: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR). */
export const SHIFTS: readonly ShiftSemantics[] = [
  {
    name: "rol",
    reg: 0,
    result: (k, bits) => or(shl("v", k), shr("v", bits - k)),
    cf: () => and("r", 1),
    of: (_k, bits) => xor(and(shr("r", bits - 1), 1), "cf"),
    setsSzp: false,
  },
  {
    name: "ror",
    reg: 1,
    result: (k, bits) => or(shr("v", k), shl("v", bits - k)),
    cf: (_k, bits) => and(shr("r", bits - 1), 1),
    of: (_k, bits) => xor("cf", and(shr("r", bits - 2), 1)),
    setsSzp: false,
  },
  {
    name: "shl",
    reg: 4,
    result: (k) => shl("v", k),
    cf: (k, bits) => and(shr("v", bits - k), 1),
    of: (_k, bits) => xor(and(shr("r", bits - 1), 1), "cf"),
    setsSzp: true,
  },
  {
    name: "shr",
    reg: 5,
    result: (k) => shr("v", k),
    cf: (k) => and(shr("v", k - 1), 1),
    // OF: the operand's sign for a count of 1 (the sign before the last one-bit step), else 0
    of: (k, bits) => (k === 1 ? and(shr("v", bits - 1), 1) : 0),
    setsSzp: true,
  },
  {
    name: "sar",
    reg: 7,
    result: (k) => sar("vs", k),
    cf: (k) => and(sar("vs", k - 1), 1),
    of: () => 0,
    setsSzp: true,
  },
];

/** The shift or rotate of group 2's ModRM reg field, or undefined (RCL, RCR; 6 is SAL, an alias of SHL). */
export function shiftOf(reg: number): ShiftSemantics | undefined {
  return SHIFTS.find((s) => s.reg === (reg === 6 ? 4 : reg));
}

/** JavaScript for a shift expression, with `v`, `vs`, `r` and `cf` as the names given. */
export function jsShiftExpr(e: ShiftExpr, names: Record<"v" | "vs" | "r" | "cf", string>): string {
  if (typeof e === "number") return String(e);
  if (typeof e === "string") return names[e];
  const o = { shl: "<<", shr: ">>>", sar: ">>", and: "&", or: "|", xor: "^" }[e.op];
  return `(${jsShiftExpr(e.a, names)} ${o} ${jsShiftExpr(e.b, names)})`;
}

// ---- conditions (Jcc, SETcc, CMOVcc; cc = the low nibble of the opcode)

/** A status flag that conditions read. */
export type Flag = "of" | "cf" | "zf" | "sf" | "pf";

/**
 * A condition as an expression: over the status flags, or (fused) over the operands `a`, `b`
 * and result `r` of the flag-setting operation just before it, at that operation's size.
 * Comparisons: `ltu`/`leu` unsigned on the zero-extended values, `lts`/`les` signed on the
 * sign-extended ones, `eq` on the values.
 */
export type CondExpr =
  | { flag: Flag }
  | { or: [CondExpr, CondExpr] }
  | { ne: [CondExpr, CondExpr] }
  | { always: boolean }
  | { cmp: "eq" | "ltu" | "leu" | "lts" | "les"; x: "a" | "r"; y: "b" | "0" };

export interface ConditionSemantics {
  /** The mnemonic's condition, e.g. "be" (cc & 1 negates it: "a"). */
  name: string;
  /** From the status flags (what CpuState.cond computes). */
  flags: CondExpr;
  /**
   * Shortcuts after a flag-setting operation whose operands the code still holds: after a
   * subtraction (SUB, CMP), after a logic operation (CF = OF = 0), and after any operation
   * that sets ZF and SF from its result (ADD, SUB, logic, INC, DEC). None after ADC or SBB.
   */
  sub?: CondExpr;
  logic?: CondExpr;
  any?: CondExpr;
}

const ZERO: CondExpr = { cmp: "eq", x: "r", y: "0" };
const SIGN: CondExpr = { cmp: "lts", x: "r", y: "0" };
const flag = (f: Flag): CondExpr => ({ flag: f });

/** The eight conditions by cc >> 1 (SDM Vol. 1 Appendix B). */
export const CONDITIONS: readonly ConditionSemantics[] = [
  { name: "o", flags: flag("of"), logic: { always: false } },
  { name: "b", flags: flag("cf"), sub: { cmp: "ltu", x: "a", y: "b" }, logic: { always: false } },
  { name: "e", flags: flag("zf"), any: ZERO },
  { name: "be", flags: { or: [flag("cf"), flag("zf")] }, sub: { cmp: "leu", x: "a", y: "b" }, logic: ZERO },
  { name: "s", flags: flag("sf"), any: SIGN },
  { name: "p", flags: flag("pf") },
  { name: "l", flags: { ne: [flag("sf"), flag("of")] }, sub: { cmp: "lts", x: "a", y: "b" }, logic: SIGN },
  {
    name: "le",
    flags: { or: [flag("zf"), { ne: [flag("sf"), flag("of")] }] },
    sub: { cmp: "les", x: "a", y: "b" },
    logic: { cmp: "les", x: "r", y: "0" },
  },
];

/** How a comparison reads its operands: as they are (equality), zero- or sign-extended. */
export type CondOperandExt = "none" | "zero" | "sign";
export function condOperandExt(cmp: "eq" | "ltu" | "leu" | "lts" | "les"): CondOperandExt {
  return cmp === "eq" ? "none" : cmp === "lts" || cmp === "les" ? "sign" : "zero";
}

/** The kind of flag-setting operation a fused condition follows. */
export type FlagSourceKind = "sub" | "logic" | "other";

/** Condition cc's fused expression after an operation of the given kind, or null (the flags are needed). */
export function fusedCondition(cc: number, kind: FlagSourceKind): CondExpr | null {
  const s = CONDITIONS[cc >> 1];
  return (kind === "sub" ? s.sub : kind === "logic" ? s.logic : undefined) ?? s.any ?? null;
}

/**
 * JavaScript for a condition expression (a boolean). flagValue(f): a 0/1 expression for a
 * flag; operand(v, ext): the fused operand `a`, `b` or `r`, as it is ("none", for `eq`), or
 * zero- or sign-extended from the operation's size.
 */
export function jsCondition(
  e: CondExpr,
  flagValue: (f: Flag) => string,
  operand: (v: "a" | "b" | "r", ext: CondOperandExt) => string = () => {
    throw new Error("a fused condition needs its operands");
  },
): string {
  if ("flag" in e) return `${flagValue(e.flag)} !== 0`;
  if ("always" in e) return String(e.always);
  if ("or" in e) return `${jsCondition(e.or[0], flagValue, operand)} || ${jsCondition(e.or[1], flagValue, operand)}`;
  if ("ne" in e) {
    const [x, y] = e.ne;
    if (!("flag" in x) || !("flag" in y)) throw new Error("ne compares two flags");
    return `${flagValue(x.flag)} !== ${flagValue(y.flag)}`;
  }
  const ext = condOperandExt(e.cmp);
  const x = operand(e.x, ext);
  const y = e.y === "0" ? "0" : operand(e.y, ext);
  const op = e.cmp === "eq" ? "===" : e.cmp === "ltu" || e.cmp === "lts" ? "<" : "<=";
  return `${x} ${op} ${y}`;
}
