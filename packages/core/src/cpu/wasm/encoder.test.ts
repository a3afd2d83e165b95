// The encoder's output is checked by the engine itself: each module here is compiled and run by
// the host's WebAssembly implementation, and LEB128 edge cases are compared with hand-encoded bytes.
import { describe, expect, it } from "vitest";
import { wasmApi } from "./api.ts";
import { ByteWriter, I32, I64, Op, VOID, WasmCode, WasmModule } from "./encoder.ts";

function leb(f: (w: ByteWriter) => void): number[] {
  const w = new ByteWriter(1);
  f(w);
  return [...w.toBytes()];
}

const wasm = wasmApi!;

function instantiate(m: WasmModule, imports: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
  return new wasm.Instance(new wasm.Module(m.bytes()), imports).exports;
}

describe("LEB128", () => {
  it("encodes unsigned values", () => {
    expect(leb((w) => w.u32(0))).toEqual([0]);
    expect(leb((w) => w.u32(127))).toEqual([0x7f]);
    expect(leb((w) => w.u32(128))).toEqual([0x80, 0x01]);
    expect(leb((w) => w.u32(624485))).toEqual([0xe5, 0x8e, 0x26]);
    expect(leb((w) => w.u32(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });
  it("encodes signed values", () => {
    expect(leb((w) => w.s32(0))).toEqual([0]);
    expect(leb((w) => w.s32(63))).toEqual([0x3f]);
    expect(leb((w) => w.s32(64))).toEqual([0xc0, 0x00]);
    expect(leb((w) => w.s32(-1))).toEqual([0x7f]);
    expect(leb((w) => w.s32(-64))).toEqual([0x40]);
    expect(leb((w) => w.s32(-65))).toEqual([0xbf, 0x7f]);
    expect(leb((w) => w.s32(-123456))).toEqual([0xc0, 0xbb, 0x78]);
    expect(leb((w) => w.s32(0x7fffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(leb((w) => w.s32(-0x80000000))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
    expect(leb((w) => w.s64(-1n))).toEqual([0x7f]);
    expect(leb((w) => w.s64(1n << 40n))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect(leb((w) => w.s64(1n << 41n))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0xc0, 0x00]);
  });
});

describe("modules", () => {
  it("runs arithmetic, constants of every width and a loop", () => {
    const m = new WasmModule();
    const t = m.type([I32, I32], [I32]);
    // sum(a, n): a + a+1 + ... + a+n-1, with a loop and br_if
    const c = new WasmCode();
    c.i32Const(0);
    c.localSet(2);
    c.block();
    c.loop();
    c.localGet(1);
    c.op(Op.i32_eqz);
    c.brIf(1);
    c.localGet(2);
    c.localGet(0);
    c.op(Op.i32_add);
    c.localSet(2);
    c.localGet(0);
    c.i32Const(1);
    c.op(Op.i32_add);
    c.localSet(0);
    c.localGet(1);
    c.i32Const(-1);
    c.op(Op.i32_add);
    c.localSet(1);
    c.br(0);
    c.end();
    c.end();
    c.localGet(2);
    c.i32Const(-0x80000000);
    c.op(Op.i32_xor);
    c.end();
    m.exportFunc("sum", m.func(t, [[1, I32]], c.toBytes()));
    const sum = instantiate(m).sum as (a: number, n: number) => number;
    expect(sum(1, 100)).toBe((5050 ^ -0x80000000) | 0);
    expect(sum(-5, 3)).toBe((-12 ^ -0x80000000) | 0);
  });

  it("reads and writes an imported shared memory, and calls imported functions", () => {
    const memory = new wasm.Memory({ initial: 1, maximum: 2, shared: true });
    const m = new WasmModule();
    m.importMemory("e", "mem", 1, 2, true);
    const log: number[] = [];
    const tlog = m.type([I32], []);
    const logf = m.importFunc("e", "log", tlog);
    const t = m.type([I32], [I32]);
    const c = new WasmCode();
    // mem[a+8] = mem16[a] + 0x1000; log(mem8s[a+1]); return mem32[a+8]
    c.localGet(0);
    c.localGet(0);
    c.mem(Op.i32_load16_u, 0, 1);
    c.i32Const(0x1000);
    c.op(Op.i32_add);
    c.mem(Op.i32_store, 8, 2);
    c.localGet(0);
    c.mem(Op.i32_load8_s, 1);
    c.call(logf);
    c.localGet(0);
    c.mem(Op.i32_load, 8, 2);
    c.end();
    m.exportFunc("f", m.func(t, [], c.toBytes()));
    const f = instantiate(m, { e: { mem: memory, log: (v: number) => log.push(v) } }).f as (a: number) => number;
    const bytes = new Uint8Array(memory.buffer);
    bytes[100] = 0x34;
    bytes[101] = 0xf2;
    expect(f(100)).toBe(0xf234 + 0x1000);
    expect(new Int32Array(memory.buffer)[27]).toBe(0xf234 + 0x1000);
    expect(log).toEqual([-14]);
  });

  it("dispatches with br_table and handles i64", () => {
    const m = new WasmModule();
    const t = m.type([I32], [I32]);
    const c = new WasmCode();
    // switch (x) { case 0: return 10; case 1: return 11; default: return (i32)((i64)x * 2^33 >> 32) }
    c.block();
    c.block();
    c.block(VOID);
    c.localGet(0);
    c.brTable([0, 1], 2);
    c.end();
    c.i32Const(10);
    c.op(Op.return);
    c.end();
    c.i32Const(11);
    c.op(Op.return);
    c.end();
    c.localGet(0);
    c.op(Op.i64_extend_i32_s);
    c.i64Const(1n << 33n);
    c.op(Op.i64_mul);
    c.i64Const(32n);
    c.op(Op.i64_shr_s);
    c.op(Op.i32_wrap_i64);
    c.end();
    m.exportFunc("f", m.func(t, [[1, I64]], c.toBytes()));
    const f = instantiate(m).f as (x: number) => number;
    expect([f(0), f(1), f(7), f(-3)]).toEqual([10, 11, 14, -6]);
  });

  it("reuses one function type for equal signatures", () => {
    const m = new WasmModule();
    expect(m.type([I32], [I32])).toBe(m.type([I32], [I32]));
    expect(m.type([I32], [])).not.toBe(m.type([I32], [I32]));
  });
});
