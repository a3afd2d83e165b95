// A WebAssembly binary encoder: just what the JIT's code generator needs (WebAssembly Core
// Specification 2.0, §5 "Binary Format").
//
// `WasmCode` appends instructions to one growable byte buffer that the code generator reuses
// for every function it emits (no allocation per instruction); `WasmModule` assembles types,
// imports, functions and exports into a module's bytes. Only the MVP value types are used
// (i32, i64, f64): guest state lives in linear memory, so functions pass few values.

/** Value types (§5.3.1). */
export const I32 = 0x7f,
  I64 = 0x7e,
  F64 = 0x7c;
/** The empty block type (§5.3.6). */
export const VOID = 0x40;

/** Opcodes (§5.4), named as the specification's text format names them. */
export const Op = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  call_indirect: 0x11,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  global_get: 0x23,
  global_set: 0x24,
  i32_load: 0x28,
  i64_load: 0x29,
  f64_load: 0x2b,
  i32_load8_s: 0x2c,
  i32_load8_u: 0x2d,
  i32_load16_s: 0x2e,
  i32_load16_u: 0x2f,
  i32_store: 0x36,
  i64_store: 0x37,
  f64_store: 0x39,
  i32_store8: 0x3a,
  i32_store16: 0x3b,
  i32_const: 0x41,
  i64_const: 0x42,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_s: 0x4a,
  i32_gt_u: 0x4b,
  i32_le_s: 0x4c,
  i32_le_u: 0x4d,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  i64_eqz: 0x50,
  i64_eq: 0x51,
  i64_ne: 0x52,
  i64_lt_s: 0x53,
  i64_lt_u: 0x54,
  i64_gt_s: 0x55,
  i64_gt_u: 0x56,
  i64_le_u: 0x58,
  i64_ge_u: 0x5a,
  f64_lt: 0x63,
  f64_gt: 0x64,
  f64_le: 0x65,
  f64_ge: 0x66,
  i32_clz: 0x67,
  i32_ctz: 0x68,
  i32_popcnt: 0x69,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_s: 0x6d,
  i32_div_u: 0x6e,
  i32_rem_s: 0x6f,
  i32_rem_u: 0x70,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_s: 0x75,
  i32_shr_u: 0x76,
  i32_rotl: 0x77,
  i32_rotr: 0x78,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_div_s: 0x7f,
  i64_div_u: 0x80,
  i64_rem_s: 0x81,
  i64_rem_u: 0x82,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_shl: 0x86,
  i64_shr_s: 0x87,
  i64_shr_u: 0x88,
  f64_add: 0xa0,
  i32_wrap_i64: 0xa7,
  i64_extend_i32_s: 0xac,
  i64_extend_i32_u: 0xad,
  f64_convert_i32_u: 0xb8,
  i32_extend8_s: 0xc0,
  i32_extend16_s: 0xc1,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** Instructions with the 0xFC prefix (§5.4.5). */
export const OpFC = {
  memory_fill: 0x0b,
  memory_copy: 0x0a,
} as const;
export type OpFC = (typeof OpFC)[keyof typeof OpFC];

/** A growable byte buffer with LEB128 writers (§5.2.2). */
export class ByteWriter {
  buf: Uint8Array;
  len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  reset(): void {
    this.len = 0;
  }

  private grow(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.len + need) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  byte(b: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }

  bytes(b: ArrayLike<number>): void {
    if (this.len + b.length > this.buf.length) this.grow(b.length);
    if (b instanceof Uint8Array) {
      this.buf.set(b, this.len); // function bodies and sections: a block copy
      this.len += b.length;
      return;
    }
    for (let i = 0; i < b.length; i++) this.buf[this.len++] = b[i];
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }

  /** Signed LEB128 of an int32. */
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of an int64 given as a bigint (constants only, off the hot path). */
  s64(v: bigint): void {
    v = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  /** A name with its length (§5.2.4); the encoder's names are ASCII, which is UTF-8 as it is. */
  name(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) throw new Error(`wasm: name ${JSON.stringify(s)} is not ASCII`);
      this.byte(c);
    }
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** A function body under construction: locals, then instructions. */
export class WasmCode extends ByteWriter {
  op(o: Op): void {
    this.byte(o);
  }
  i32Const(v: number): void {
    this.byte(Op.i32_const);
    this.s32(v);
  }
  i64Const(v: bigint): void {
    this.byte(Op.i64_const);
    this.s64(v);
  }
  f64Const(v: number): void {
    this.byte(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    this.bytes(b);
  }
  localGet(i: number): void {
    this.byte(Op.local_get);
    this.u32(i);
  }
  localSet(i: number): void {
    this.byte(Op.local_set);
    this.u32(i);
  }
  localTee(i: number): void {
    this.byte(Op.local_tee);
    this.u32(i);
  }
  /** A load or store with its memory argument: log2 of the alignment hint, and a constant offset. */
  mem(o: Op, offset: number, alignLog2 = 0): void {
    this.byte(o);
    this.u32(alignLog2);
    this.u32(offset);
  }
  /** Constructs (block, loop, if) open at this point of the code. */
  depth = 0;
  block(type = VOID): void {
    this.byte(Op.block);
    this.byte(type);
    this.depth++;
  }
  loop(type = VOID): void {
    this.byte(Op.loop);
    this.byte(type);
    this.depth++;
  }
  if(type = VOID): void {
    this.byte(Op.if);
    this.byte(type);
    this.depth++;
  }
  else(): void {
    this.byte(Op.else);
  }
  end(): void {
    this.byte(Op.end);
    this.depth--;
  }
  br(depth: number): void {
    this.byte(Op.br);
    this.u32(depth);
  }
  brIf(depth: number): void {
    this.byte(Op.br_if);
    this.u32(depth);
  }
  brTable(depths: ArrayLike<number>, defaultDepth: number): void {
    this.byte(Op.br_table);
    this.u32(depths.length);
    for (let i = 0; i < depths.length; i++) this.u32(depths[i]);
    this.u32(defaultDepth);
  }
  call(func: number): void {
    this.byte(Op.call);
    this.u32(func);
  }
  /** Calls the function at the index on the stack in table 0, which must have function type `type`. */
  callIndirect(type: number): void {
    this.byte(Op.call_indirect);
    this.u32(type);
    this.byte(0x00);
  }
  fc(o: OpFC): void {
    this.byte(0xfc);
    this.u32(o);
  }
}

export interface WasmFuncType {
  params: readonly number[];
  results: readonly number[];
}

interface Import {
  module: string;
  name: string;
  kind: "func" | "memory" | "table";
  type?: number;
  memory?: { min: number; max: number; shared: boolean };
  table?: { min: number };
}

interface Func {
  type: number;
  /** Declared locals beyond the parameters, as (count, type) runs. */
  locals: [number, number][];
  body: Uint8Array;
}

/** Assembles a module (§5.5): type, import, function, export and code sections. */
export class WasmModule {
  private readonly types: WasmFuncType[] = [];
  private readonly imports: Import[] = [];
  private readonly funcs: Func[] = [];
  private readonly exports: { name: string; func: number }[] = [];
  private importedFuncs = 0;

  /** The index of a function type, added if new. */
  type(params: readonly number[], results: readonly number[]): number {
    const key = (t: WasmFuncType) => `${t.params.join(",")}>${t.results.join(",")}`;
    const want = key({ params, results });
    const i = this.types.findIndex((t) => key(t) === want);
    if (i >= 0) return i;
    this.types.push({ params: [...params], results: [...results] });
    return this.types.length - 1;
  }

  /** Imports a linear memory of min..max 64 KiB pages. */
  importMemory(module: string, name: string, min: number, max: number, shared: boolean): void {
    this.imports.push({ module, name, kind: "memory", memory: { min, max, shared } });
  }

  /** Imports a table of at least min function references (table 0: the module may import one). */
  importTable(module: string, name: string, min: number): void {
    this.imports.push({ module, name, kind: "table", table: { min } });
  }

  /** Imports a function; returns its function index. Imports come before defined functions. */
  importFunc(module: string, name: string, type: number): number {
    if (this.funcs.length > 0) throw new Error("wasm: import functions before defining any");
    this.imports.push({ module, name, kind: "func", type });
    return this.importedFuncs++;
  }

  /** Defines a function from its body (instructions ending with `end`); returns its index. */
  func(type: number, locals: [number, number][], body: Uint8Array): number {
    this.funcs.push({ type, locals, body });
    return this.importedFuncs + this.funcs.length - 1;
  }

  exportFunc(name: string, func: number): void {
    this.exports.push({ name, func });
  }

  bytes(): Uint8Array {
    const out = new ByteWriter(1024);
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, write: (w: ByteWriter) => void) => {
      const w = new ByteWriter();
      write(w);
      out.byte(id);
      out.u32(w.len);
      out.bytes(w.buf.subarray(0, w.len));
    };
    if (this.types.length) {
      section(1, (w) => {
        w.u32(this.types.length);
        for (const t of this.types) {
          w.byte(0x60);
          w.u32(t.params.length);
          w.bytes(t.params);
          w.u32(t.results.length);
          w.bytes(t.results);
        }
      });
    }
    if (this.imports.length) {
      section(2, (w) => {
        w.u32(this.imports.length);
        for (const im of this.imports) {
          w.name(im.module);
          w.name(im.name);
          if (im.kind === "func") {
            w.byte(0x00);
            w.u32(im.type!);
          } else if (im.kind === "table") {
            w.byte(0x01);
            w.byte(0x70); // funcref
            w.byte(0x00); // limits: a minimum only
            w.u32(im.table!.min);
          } else {
            const m = im.memory!;
            w.byte(0x02);
            w.byte(m.shared ? 0x03 : 0x01);
            w.u32(m.min);
            w.u32(m.max);
          }
        }
      });
    }
    if (this.funcs.length) {
      section(3, (w) => {
        w.u32(this.funcs.length);
        for (const f of this.funcs) w.u32(f.type);
      });
    }
    if (this.exports.length) {
      section(7, (w) => {
        w.u32(this.exports.length);
        for (const e of this.exports) {
          w.name(e.name);
          w.byte(0x00);
          w.u32(e.func);
        }
      });
    }
    if (this.funcs.length) {
      section(10, (w) => {
        w.u32(this.funcs.length);
        for (const f of this.funcs) {
          const b = new ByteWriter(f.body.length + 16);
          b.u32(f.locals.length);
          for (const [n, t] of f.locals) {
            b.u32(n);
            b.byte(t);
          }
          b.bytes(f.body);
          w.u32(b.len);
          w.bytes(b.buf.subarray(0, b.len));
        }
      });
    }
    return out.toBytes();
  }
}
