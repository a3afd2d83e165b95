// The hot instructions' semantics, described once. The interpreter's generated handlers
// (scripts/gen-hot.mjs -> hot.generated.ts), the JavaScript blocks (jit/compile.ts) and the
// WebAssembly blocks (jit/wasm-block.ts) are generated from these descriptions, each in its own
// syntax; the generic handlers in ops/*.ts stay the reference that hot.test.ts, the JIT tests
// and the conformance vectors hold all of them to.
//
// Described here: the eight ALU operations and TEST, INC and DEC, the conditions of Jcc/SETcc/CMOVcc
// (with their shortcuts after a known flag-setting operation), and the shifts and rotates of
// group 2 (by one, an immediate or CL). Not described: instructions that only move data (MOV, MOVZX/MOVSX, LEA, PUSH,
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

/** TEST (84/85, A8/A9, F6/F7 /0): AND for the flags only. */
export const TEST: AluSemantics = { name: "test", op: "and", carry: false, kind: "LOGIC", write: false };

/** The primitive's JavaScript operator. */
export const JS_OPERATOR: Record<Primitive, string> = { add: "+", sub: "-", and: "&", or: "|", xor: "^" };

/**
 * JavaScript for an ALU operation's result: `const r = ...;` from a and b (and `cin`, which the
 * carry forms declare from cf), both within the operand size, masked with `mask` (a literal or
 * expression). AND, OR and XOR of such operands stay within it: they are not masked.
 */
export function jsAluResult(s: AluSemantics, mask: string, cf: string): string {
  const o = JS_OPERATOR[s.op];
  if (s.carry) return `const cin = ${cf}; const r = (a ${o} b ${o} cin) & ${mask};`;
  return s.op === "add" || s.op === "sub" ? `const r = (a ${o} b) & ${mask};` : `const r = a ${o} b;`;
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

// ---- shifts and rotates (group 2: by one, by an immediate byte, by CL)

/** The variables of a shift expression. */
export type ShiftVar = "v" | "vs" | "k" | "cin" | "r" | "cf";
/** The operators of a shift expression. */
export type ShiftOp = "shl" | "shr" | "sar" | "and" | "or" | "xor" | "sub" | "remu" | "eq";

/**
 * An integer expression of a shift or rotate, over the operand `v` (zero-extended from the
 * operand size) or `vs` (sign-extended), the count `k` (masked to five bits, never 0: a zero
 * count changes nothing, flags included, and the renderers skip the instruction's work), CF
 * before the instruction `cin`, and, once computed, the result `r` (masked to the operand size)
 * and the carry out `cf`. Operators on 32-bit integers: `shl`, `shr` (unsigned) and `sar`
 * (signed) take their count modulo 32, as JavaScript and WebAssembly do; `remu` is the unsigned
 * remainder, `eq` is 1 or 0, and `sel` is `sel !== 0 ? a : b`.
 */
export type ShiftExpr =
  ShiftVar | number | { op: ShiftOp; a: ShiftExpr; b: ShiftExpr } | { sel: ShiftExpr; a: ShiftExpr; b: ShiftExpr };

const bin =
  (op: ShiftOp) =>
  (a: ShiftExpr, b: ShiftExpr): ShiftExpr => ({ op, a, b });
const shl = bin("shl"),
  shr = bin("shr"),
  sar = bin("sar"),
  and = bin("and"),
  or = bin("or"),
  xor = bin("xor"),
  sub = bin("sub"),
  remu = bin("remu"),
  eq = bin("eq");
const sel = (c: ShiftExpr, a: ShiftExpr, b: ShiftExpr): ShiftExpr => ({ sel: c, a, b });

export interface ShiftSemantics {
  /** The mnemonic; `reg` is its ModRM reg field in group 2 (C0/C1/D0-D3; 6, SAL, is SHL). */
  name: "rol" | "ror" | "rcl" | "rcr" | "shl" | "shr" | "sar";
  reg: number;
  /**
   * The result (before masking to the operand size), CF and OF for an operand of `bits` bits
   * and any count k. Shifts also set SF, ZF and PF from the result (a LOGIC record) and leave
   * AF; rotates leave them all.
   */
  result: (bits: number) => ShiftExpr;
  cf: (bits: number) => ShiftExpr;
  of: (bits: number) => ShiftExpr;
  setsSzp: boolean;
}

/** A rotate's count within the operand size (a whole turn leaves the operand as it was). */
const turn = (bits: number): ShiftExpr => and("k", bits - 1);
/** A rotate through CF's count: modulo bits + 1 (RCL/RCR rotate bits + 1 bits). */
const turnC = (bits: number): ShiftExpr => remu("k", bits + 1);

/**
 * As shift.ts shiftOp computes them (SDM Vol. 2B: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR). OF for a
 * count other than 1 (undefined in the SDM) is the OF of the last one-bit step.
 */
export const SHIFTS: readonly ShiftSemantics[] = [
  {
    name: "rol",
    reg: 0,
    result: (bits) => or(shl("v", turn(bits)), shr("v", sub(bits, turn(bits)))),
    cf: () => and("r", 1),
    of: (bits) => xor(and(shr("r", bits - 1), 1), "cf"),
    setsSzp: false,
  },
  {
    name: "ror",
    reg: 1,
    result: (bits) => or(shr("v", turn(bits)), shl("v", sub(bits, turn(bits)))),
    cf: (bits) => and(shr("r", bits - 1), 1),
    of: (bits) => xor("cf", and(shr("r", bits - 2), 1)),
    setsSzp: false,
  },
  {
    // A count that is a whole turn (t = 0) leaves the operand and CF as they were.
    name: "rcl",
    reg: 2,
    result: (bits) => {
      const t = turnC(bits);
      // v >>> (bits + 1 - t) as two shifts, so that t = 1 gives 0 also at 32 bits
      return sel(eq(t, 0), "v", or(or(shl("v", t), shl("cin", sub(t, 1))), shr(shr("v", 1), sub(bits, t))));
    },
    cf: (bits) => sel(eq(turnC(bits), 0), "cin", and(shr("v", sub(bits, turnC(bits))), 1)),
    of: (bits) => xor(and(shr("r", bits - 1), 1), "cf"),
    setsSzp: false,
  },
  {
    name: "rcr",
    reg: 3,
    result: (bits) => {
      const t = turnC(bits);
      return sel(eq(t, 0), "v", or(or(shr("v", t), shl("cin", sub(bits, t))), shl(shl("v", 1), sub(bits, t))));
    },
    cf: (bits) => sel(eq(turnC(bits), 0), "cin", and(shr("v", sub(turnC(bits), 1)), 1)),
    of: (bits) => and(xor(shr("r", bits - 1), shr("r", bits - 2)), 1),
    setsSzp: false,
  },
  {
    name: "shl",
    reg: 4,
    result: () => shl("v", "k"),
    // a count beyond the size shifts out zeros: v >>> (bits - k) is then 0 (a count modulo 32 of 9 to 31)
    cf: (bits) => and(shr("v", sub(bits, "k")), 1),
    of: (bits) => xor(and(shr("r", bits - 1), 1), "cf"),
    setsSzp: true,
  },
  {
    name: "shr",
    reg: 5,
    result: () => shr("v", "k"),
    cf: () => and(shr("v", sub("k", 1)), 1),
    // OF: the operand's sign for a count of 1 (the sign before the last one-bit step), else 0
    of: (bits) => sel(eq("k", 1), and(shr("v", bits - 1), 1), 0),
    setsSzp: true,
  },
  {
    name: "sar",
    reg: 7,
    result: () => sar("vs", "k"),
    cf: () => and(sar("vs", sub("k", 1)), 1),
    of: () => 0,
    setsSzp: true,
  },
];

/** The shift or rotate of group 2's ModRM reg field (6, SAL, is SHL). */
export function shiftOf(reg: number): ShiftSemantics {
  return SHIFTS.find((s) => s.reg === (reg === 6 ? 4 : reg))!;
}

/** A shift's expressions at one operand size, simplified for a constant count or for any count. */
export interface ShiftCode {
  result: ShiftExpr;
  cf: ShiftExpr;
  of: ShiftExpr;
  /** The expressions read CF (`cin`: RCL, RCR) or the sign-extended operand (`vs`: SAR). */
  readsCf: boolean;
  readsVs: boolean;
}

/**
 * The expressions of shift s for a `bits`-bit operand and a count k (1 to 31), or any count
 * (k undefined: the expressions read the variable `k`), simplified: constants folded, and
 * operations that the operands' ranges make identities or zero removed (e.g. ROL's count
 * masked to 31 at 32 bits, or RCL's whole-turn case, which a 32-bit count never reaches).
 */
export function shiftCode(s: ShiftSemantics, bits: number, k?: number): ShiftCode {
  const f = (e: ShiftExpr) => simplify(e, bits, k);
  const result = f(s.result(bits)),
    cf = f(s.cf(bits)),
    of = f(s.of(bits));
  const all = [result, cf, of];
  return { result, cf, of, readsCf: all.some((e) => reads(e, "cin")), readsVs: all.some((e) => reads(e, "vs")) };
}

function reads(e: ShiftExpr, x: ShiftVar): boolean {
  if (typeof e === "number") return false;
  if (typeof e === "string") return e === x;
  return ("sel" in e && reads(e.sel, x)) || reads(e.a, x) || reads(e.b, x);
}

const I32_MIN = -0x80000000,
  I32_MAX = 0x7fffffff;
type Range = [number, number];

/** The values e may take (as int32), as far as this simple analysis sees. */
function range(e: ShiftExpr, bits: number): Range {
  if (typeof e === "number") return [e, e];
  switch (e) {
    case "k":
      return [1, 31];
    case "cin":
    case "cf":
      return [0, 1];
    case "v":
    case "r":
      return bits < 32 ? [0, 2 ** bits - 1] : [I32_MIN, I32_MAX];
    case "vs":
      return [I32_MIN, I32_MAX];
  }
  if ("sel" in e) {
    const a = range(e.a, bits),
      b = range(e.b, bits);
    return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
  }
  const a = range(e.a, bits),
    b = range(e.b, bits);
  const nonNegative = a[0] >= 0 && b[0] >= 0;
  const ones = (x: number) => 2 ** Math.ceil(Math.log2(x + 1)) - 1; // the smallest 2^n - 1 >= x
  switch (e.op) {
    case "and":
      if (b[0] >= 0 && b[0] === b[1]) return [0, b[0]];
      return nonNegative ? [0, Math.min(a[1], b[1])] : [I32_MIN, I32_MAX];
    case "or":
    case "xor":
      return nonNegative ? [0, ones(Math.max(a[1], b[1]))] : [I32_MIN, I32_MAX];
    case "shr":
      if (b[0] === b[1] && (b[0] & 31) !== 0)
        return a[0] >= 0 ? [a[0] >>> (b[0] & 31), a[1] >>> (b[0] & 31)] : [0, 2 ** (32 - (b[0] & 31)) - 1];
      return a[0] >= 0 ? [0, a[1]] : [I32_MIN, I32_MAX];
    case "sub": {
      const lo = a[0] - b[1],
        hi = a[1] - b[0];
      return lo >= I32_MIN && hi <= I32_MAX ? [lo, hi] : [I32_MIN, I32_MAX];
    }
    case "remu":
      return a[0] >= 0 && b[0] > 0 ? [0, Math.min(a[1], b[1] - 1)] : [I32_MIN, I32_MAX];
    case "eq":
      return [0, 1];
    default:
      return [I32_MIN, I32_MAX];
  }
}

/** e with k given, constants folded and identities removed (see shiftCode). */
function simplify(e: ShiftExpr, bits: number, k: number | undefined): ShiftExpr {
  if (typeof e === "number") return e;
  if (typeof e === "string") return e === "k" && k !== undefined ? k : e;
  if ("sel" in e) {
    const c = simplify(e.sel, bits, k);
    const a = simplify(e.a, bits, k),
      b = simplify(e.b, bits, k);
    if (typeof c === "number") return c !== 0 ? a : b;
    return { sel: c, a, b };
  }
  const a = simplify(e.a, bits, k),
    b = simplify(e.b, bits, k);
  if (typeof a === "number" && typeof b === "number") return evaluate(e.op, a, b);
  const ra = range(a, bits);
  switch (e.op) {
    case "shl":
    case "shr":
    case "sar": {
      if (typeof b !== "number") break;
      const n = b & 31;
      if (n === 0) return a;
      if (e.op === "shr" && ra[0] >= 0 && ra[1] >>> n === 0) return 0;
      return { op: e.op, a, b: n };
    }
    case "and":
      if (b === 0) return 0;
      // x & (2^n - 1) of an x in 0 .. 2^n - 1
      if (typeof b === "number" && b >= 0 && (b & (b + 1)) === 0 && ra[0] >= 0 && ra[1] <= b) return a;
      break;
    case "or":
    case "xor":
      if (b === 0) return a;
      if (a === 0) return b;
      break;
    case "sub":
      if (b === 0) return a;
      break;
    case "remu":
      if (typeof b === "number" && ra[0] >= 0 && ra[1] < b) return a;
      break;
    case "eq":
      if (typeof b === "number" && (b < ra[0] || b > ra[1])) return 0;
      break;
  }
  return { op: e.op, a, b };
}

/** The value of a op b on int32s. */
function evaluate(op: ShiftOp, a: number, b: number): number {
  switch (op) {
    case "shl":
      return a << (b & 31);
    case "shr":
      return (a >>> (b & 31)) | 0;
    case "sar":
      return a >> (b & 31);
    case "and":
      return a & b;
    case "or":
      return a | b;
    case "xor":
      return a ^ b;
    case "sub":
      return (a - b) | 0;
    case "remu":
      return ((a >>> 0) % (b >>> 0)) | 0;
    case "eq":
      return a === b ? 1 : 0;
  }
}

/** JavaScript for a shift expression, with the variables as the names given. */
export function jsShiftExpr(e: ShiftExpr, names: Record<ShiftVar, string>): string {
  if (typeof e === "number") return String(e);
  if (typeof e === "string") return names[e];
  if ("sel" in e) {
    const c = e.sel;
    const test =
      typeof c === "object" && "op" in c && c.op === "eq"
        ? `${jsShiftExpr(c.a, names)} === ${jsShiftExpr(c.b, names)}`
        : `${jsShiftExpr(c, names)} !== 0`;
    return `(${test} ? ${jsShiftExpr(e.a, names)} : ${jsShiftExpr(e.b, names)})`;
  }
  const x = jsShiftExpr(e.a, names),
    y = jsShiftExpr(e.b, names);
  if (e.op === "eq") return `(${x} === ${y} ? 1 : 0)`;
  const o = { shl: "<<", shr: ">>>", sar: ">>", and: "&", or: "|", xor: "^", sub: "-", remu: "%" }[e.op];
  return `(${x} ${o} ${y})`;
}

/**
 * JavaScript statements for shift s of the operand in `v` (zero-extended, `bits` wide) by the
 * count k (a constant 1 to 31, or undefined: the variable `k`, 1 to 31), with the flags set as
 * shiftOp sets them (CpuState.setCfOf, setResultSZP); the result is left in `r`. `cf` is the
 * expression of CF (for RCL, RCR), `sz` the operand size's constant.
 */
export function jsShift(s: ShiftSemantics, bits: number, k: number | undefined, cf: string, sz: number): string {
  const code = shiftCode(s, bits, k);
  const names = { v: "v", vs: "vs", k: "k", cin: "cin", r: "r", cf: "cf" };
  const js = (e: ShiftExpr) => jsShiftExpr(e, names);
  const mask = bits === 32 ? "" : ` & ${bits === 8 ? "0xff" : "0xffff"}`;
  const vs = !code.readsVs ? "" : bits === 32 ? "const vs = v; " : `const vs = (v << ${32 - bits}) >> ${32 - bits}; `;
  const cin = code.readsCf ? `const cin = ${cf}; ` : "";
  const szp = s.setsSzp ? ` c.setResultSZP(${sz}, r);` : "";
  return `${vs}${cin}const r = ${js(code.result)}${mask}; const cf = ${js(code.cf)}; c.setCfOf(cf, ${js(code.of)});${szp}`;
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
