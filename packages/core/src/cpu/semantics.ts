// The hot instructions' semantics, described once. The interpreter's generated handlers
// (scripts/gen-hot.mjs -> hot.generated.ts), the JavaScript blocks (jit/compile.ts) and the
// WebAssembly blocks (jit/wasm-block.ts) are generated from these descriptions, each in its own
// syntax; the generic handlers in ops/*.ts stay the reference that hot.test.ts, the JIT tests
// and the conformance vectors hold all of them to.
//
// This file has no imports, so that the generator script can read it too.

/** A two-operand primitive on 32-bit integers. */
export type Primitive = "add" | "sub" | "and" | "or" | "xor";

/** How an instruction leaves the status flags: the lazy-flag record's kind (state.ts LF_*). */
export type FlagKind = "ADD" | "ADC" | "SUB" | "SBB" | "LOGIC";

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
