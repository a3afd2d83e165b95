// The WebAssembly compiler: regions of hot code in every code size, each compiled to one
// WebAssembly module that works on the VM memory directly (memory/layout.ts): registers,
// segment caches, lazy flags, the TLB and RAM are loads and stores at fixed offsets, so entering
// compiled code costs a few nanoseconds where a fresh JavaScript function costs a hundred
// (docs/wasm-jit.md).
//
// A region is the blocks (as compile.ts's: straight-line code to a jump, a call, a return or a
// mode change; conditional jumps are side exits; a loop when a block jumps back to its own
// start) at the hot entry addresses of one fetch window and those their direct jumps, calls and
// fall-throughs reach. One function holds them all, dispatching on the block index with a
// br_table, so control flow between the region's blocks, loops included, stays in it.
//
// Exactness follows compile.ts's rules: START_EIP is stored before anything that may fault,
// the lazy flags are recorded as the interpreter records them, a loop iterates only while no
// event is pending and the budget allows a whole pass, and instructions this compiler does not
// handle call the interpreter's handler (import `interp`).
//
// The module exports run(n, left, e0, tlbR, tlbW, k) -> instructions retired, which runs from
// block k. n: retired before it in the slice; left: how many more the slice allows; e0: EIP of
// the region's base (WasmRegion.base; block k's EIP less its offset from it); tlbR, tlbW: byte
// offsets of the TLB pair for the current CPL. How it left is in STATE_JIT_EXIT and
// STATE_JIT_TARGET (a physical address to fall through to, or an EIP to jump to) for the JS
// wrapper (wasm-jit.ts) to apply. Calls out (imports) never return into a changed world
// unnoticed: each sets STATE_JIT_EVENTS when it leaves an event pending.
//
// EFLAGS and the lazy mask are object fields of the CPU (CpuState), mirrored in the state block
// while a block runs: the wrapper writes them there on entry and reads them back on exit, and
// every import reads them before running JS code and writes them back after.

import { decode, type ByteSource, type DecodedInstruction } from "../decoder.ts";
import { AF, CF, CS, DF, DS, ES, OF, SS, START_EIP, STATUS_FLAGS, PF, SF, SZ16, SZ32, SZ8, VM, ZF } from "../regs.ts";
import { LF_ADD, LF_DEC, LF_INC, LF_LOGIC, LF_SUB, LF_ADC, LF_SBB, LF_NEG } from "../state.ts";
import { I32, I64, Op, VOID, WasmCode, WasmModule } from "../wasm/encoder.ts";
import {
  ALU,
  CONDITIONS,
  condOperandExt,
  fusedCondition,
  INC_DEC,
  shiftCode,
  shiftOf,
  TEST,
  type AluSemantics,
  type IncDecSemantics,
  type ShiftExpr,
  type ShiftOp,
  type CondExpr,
  type CondOperandExt,
  type Flag,
  type FlagKind,
  type Primitive,
} from "../semantics.ts";
import {
  RAM_BASE,
  STATE_CR,
  STATE_FLAGS,
  STATE_JIT_DONE,
  STATE_JIT_EVENTS,
  STATE_JIT_EXIT,
  STATE_JIT_SLOT,
  STATE_JIT_TARGET,
  STATE_LAZY,
  STATE_PIP_END,
  STATE_PIP_START,
  STATE_LF,
  STATE_REGS,
  STATE_SEG_ATTR,
  STATE_SEG_BASE,
  STATE_SEG_LIMIT,
  STATE_SEG_LIMR,
  STATE_SEG_LIMW,
} from "../../memory/layout.ts";
import { SWITCH_INDICES } from "../hot.generated.ts";
import { endsBlock, flagsDeadAfter, isConditional, loadsSegment, MAX_BLOCK_INSNS } from "./compile.ts";
import { JIT_MASK, jitKeyFlat } from "./params.ts";

/** Instructions the interpreter runs inside its switch, for which it does not publish sliceN. */
const IN_SWITCH = new Set(SWITCH_INDICES);

/** Ways a block leaves (STATE_JIT_EXIT). */
export const EXIT_PIP = 0,
  EXIT_JUMP = 1;

// Locals of run(): parameters first.
const L_N = 0,
  L_LEFT = 1,
  /** The EIP of the region's base (its first byte that any block may start at, Emitter.base). */
  L_E0 = 2,
  L_TLBR = 3,
  L_TLBW = 4,
  /** The region block to run first (its index). */
  L_ENTRY = 5,
  L_M = 6,
  L_A = 7,
  L_B = 8,
  L_R = 9,
  L_LIN = 10,
  L_T = 11,
  L_O = 12,
  L_FA = 13,
  L_FB = 14,
  L_FR = 15,
  L_W = 16, // i64
  /** The eight general registers, cached in locals (Emitter: register cache). */
  L_GPR = 17,
  /** Scratch for string instructions (the step, the source value). */
  L_X = 25,
  L_Y = 26,
  /** Values of the deferred state fields (DEFERRED), newer than the state block while their bit is set in Emitter.deferred. */
  L_SH = 27;
/**
 * State block fields whose stores the Emitter defers to the next point where JS code or a
 * flag function may read them (Emitter.flush): the lazy-flag record, EFLAGS and START_EIP.
 */
const DEFERRED = [
  STATE_LF,
  STATE_LF + 4,
  STATE_LF + 8,
  STATE_LF + 12,
  STATE_LF + 16,
  STATE_LAZY,
  STATE_FLAGS,
  STATE_REGS + 4 * START_EIP,
];
const EXTRA_LOCALS = 10;

// Function indices: the imports (module "c", in this order; wasm-jit.ts provides them), then
// lazyCf, then run.
const F_RD32 = 0,
  F_WR32 = 1,
  F_SEGCHECK = 2,
  F_INTERP = 3,
  F_PUSH32 = 4,
  F_POP32 = 5,
  F_RD8 = 6,
  F_WR8 = 7,
  F_RD16 = 8,
  F_WR16 = 9,
  F_RDW = 10,
  F_LAZYCF = 11,
  F_ZF = 12,
  F_SF = 13,
  F_OF = 14,
  F_PF = 15,
  F_CF = 16;
/** Memory access by operand size (SZ8, SZ16, SZ32): length, RAM load/store, the CPU's accessors. */
const ACCESS = [
  { len: 1, load: Op.i32_load8_u, store: Op.i32_store8, slowRead: F_RD8, slowWrite: F_WR8 },
  { len: 2, load: Op.i32_load16_u, store: Op.i32_store16, slowRead: F_RD16, slowWrite: F_WR16 },
  { len: 4, load: Op.i32_load, store: Op.i32_store, slowRead: F_RD32, slowWrite: F_WR32 },
];

const REG = (r: number) => STATE_REGS + 4 * r;
/** Bytes of an operand of size sz. */
const sizeLen = (sz: number) => (sz === SZ8 ? 1 : sz === SZ16 ? 2 : 4);
/** The general register (0 to 7) at state-block offset off, or -1. */
const gprAt = (off: number) =>
  off >= STATE_REGS && off < STATE_REGS + 32 && (off & 3) === 0 ? (off - STATE_REGS) >> 2 : -1;
const LF = (i: number) => STATE_LF + 4 * i;

/** What the previous instruction recorded in locals fa, fb, fr, for a fused conditional. */
interface FlagSource {
  kind: number;
  sz: number;
}

/**
 * The register cache and deferred stores. The block reads EAX..EDI from locals, which its
 * prologue loads for the registers it reads. A store to a register, or to a DEFERRED field,
 * made at the body level of a block (outside any construct of its instruction) goes only to a
 * local and marks it (dirty, deferred); one made inside a construct (a branch that may not run)
 * goes to the local and the state block. Loads of a marked field read its local. flush() writes
 * the marked locals to the state block, and is emitted wherever JS code or a flag function may
 * read the state: before every call out and every flag function, and before every exit,
 * transfer and loop back edge (so a block starts with nothing marked). A call that may change
 * registers (the interpreter's handler, PUSH/POP on a 16-bit stack) reloads them after.
 */
class Emitter {
  readonly c = new WasmCode(4096);
  /** Registers read (bit r): loaded by the prologue. */
  reads = 0;
  /** Registers (bit r) and DEFERRED fields (bit i) whose locals are newer than the state block. */
  dirty = 0;
  deferred = 0;
  /** The construct depth of the current block's body level. */
  bodyDepth = 0;
  /** The block's code size (32-bit: protected mode with CS.D; else 16-bit), and the current instruction's address size. */
  mode32 = true;
  a32 = true;
  /** The block being emitted: its instruction count, physical address and offset from the region's base. */
  count = 0;
  p0 = 0;
  blockOff = 0;
  /** The block's index in the region, and the region's blocks after it (the br_table's labels between it and the region loop). */
  index = 0;
  outer = 0;
  /**
   * Segment registers (bit s) the region may assume flat (params.ts jitKeyFlat), and those its
   * code does assume (the region's blocks run only while they are flat).
   */
  flat = 0;
  flatUsed = 0;
  /**
   * The flat segment access segLinear made last, for the slow path of the read or write that
   * follows: the only offsets a flat segment refuses are those whose access crosses 4 GiB, and
   * such an access crosses a page, so only the slow path checks (-1: none).
   */
  private flatSeg = -1;
  private flatWrite = false;
  private flatLen = 0;
  constructor(readonly region: RegionPlan) {}

  /** Starts a block's body: nothing is marked (whatever led here flushed). */
  startBlock(): void {
    this.dirty = 0;
    this.deferred = 0;
    this.bodyDepth = this.c.depth;
  }

  // ---- state block access (general registers through the register cache)
  load(off: number): void {
    const r = gprAt(off);
    if (r >= 0) {
      this.reads |= 1 << r;
      this.c.localGet(L_GPR + r);
      return;
    }
    const i = DEFERRED.indexOf(off);
    if (i >= 0 && this.deferred & (1 << i)) {
      this.c.localGet(L_SH + i);
      return;
    }
    this.c.i32Const(0);
    this.c.mem(Op.i32_load, off, 2);
  }
  /** Stores the value computed by `value` at off. */
  store(off: number, value: () => void): void {
    const c = this.c;
    const r = gprAt(off);
    const i = r >= 0 ? -1 : DEFERRED.indexOf(off);
    if (r < 0 && i < 0) {
      c.i32Const(0);
      value();
      c.mem(Op.i32_store, off, 2);
      return;
    }
    const local = r >= 0 ? L_GPR + r : L_SH + i;
    value();
    c.localSet(local);
    if (c.depth === this.bodyDepth) {
      if (r >= 0) this.dirty |= 1 << r;
      else this.deferred |= 1 << i;
      return;
    }
    c.i32Const(0);
    c.localGet(local);
    c.mem(Op.i32_store, off, 2);
  }
  /** Writes the marked locals to the state block; at the body level they are unmarked. */
  flush(): void {
    const c = this.c;
    for (let r = 0; r < 8; r++) {
      if (!(this.dirty & (1 << r))) continue;
      c.i32Const(0);
      c.localGet(L_GPR + r);
      c.mem(Op.i32_store, REG(r), 2);
    }
    this.flushDeferred();
    if (c.depth === this.bodyDepth) this.dirty = 0;
  }
  /** Writes the marked DEFERRED fields (what the flag functions read). */
  flushDeferred(): void {
    const c = this.c;
    for (let i = 0; i < DEFERRED.length; i++) {
      if (!(this.deferred & (1 << i))) continue;
      c.i32Const(0);
      c.localGet(L_SH + i);
      c.mem(Op.i32_store, DEFERRED[i], 2);
    }
    if (c.depth === this.bodyDepth) this.deferred = 0;
  }
  /** Calls the module's flag function f (it reads the lazy-flag record and EFLAGS from the state block). */
  callFlag(f: number): void {
    this.flushDeferred();
    this.c.call(f);
  }
  /** Reloads registers (mask) from the state block after a call that may have changed them. */
  reload(mask: number): void {
    for (let r = 0; r < 8; r++) {
      if (!(mask & (1 << r))) continue;
      this.c.i32Const(0);
      this.c.mem(Op.i32_load, REG(r), 2);
      this.c.localSet(L_GPR + r);
    }
  }
  /** Calls import f; reloads the registers it may change (mask `changes`) after. */
  callOut(f: number, changes = 0): void {
    this.flush();
    this.c.call(f);
    if (changes) this.reload(changes);
  }
  /** Returns the value on the stack. */
  ret(): void {
    this.flush();
    this.c.op(Op.return);
  }
  /** The prologue: loads the registers the block reads into their locals. */
  prologue(): Uint8Array {
    const p = new WasmCode(128);
    for (let r = 0; r < 8; r++) {
      if (!(this.reads & (1 << r))) continue;
      p.i32Const(0);
      p.mem(Op.i32_load, REG(r), 2);
      p.localSet(L_GPR + r);
    }
    return p.toBytes();
  }
  storeLocal(off: number, local: number): void {
    this.store(off, () => this.c.localGet(local));
  }
  storeConst(off: number, v: number): void {
    this.store(off, () => this.c.i32Const(v));
  }
  /** START_EIP = e0 + off. */
  setStart(off: number): void {
    this.store(REG(START_EIP), () => this.eipAt(off));
  }
  eipAt(off: number): void {
    this.c.localGet(L_E0);
    this.c.i32Const(off);
    this.c.op(Op.i32_add);
  }

  // ---- lazy flags, as CpuState.setLazy / setLogic record them
  lazy(kind: number, sz: number): void {
    this.storeLocal(LF(0), L_A);
    this.storeLocal(LF(1), L_B);
    this.storeLocal(LF(2), L_R);
    this.storeConst(LF(3), kind);
    this.storeConst(LF(4), sz);
    this.storeConst(STATE_LAZY, STATUS_FLAGS);
  }
  logic(sz: number): void {
    this.storeLocal(LF(2), L_R);
    this.storeConst(LF(3), LF_LOGIC);
    this.storeConst(LF(4), sz);
    this.storeConst(STATE_LAZY, STATUS_FLAGS);
  }

  // ---- memory operands (32-bit addressing, SDM Vol. 2 tables 2-2, 2-3)

  /** Pushes the offset of d's memory operand; returns its segment. */
  offset(d: DecodedInstruction): number {
    const c = this.c;
    let seg = DS;
    let parts = 0;
    const add = () => {
      if (parts++ > 0) c.op(Op.i32_add);
    };
    if (!this.a32) {
      // 16-bit addressing (SDM Vol. 2 table 2-1): BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP or disp16, BX; wraps at 64 KiB.
      const regs = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]][d.rm];
      if (!(d.rm === 6 && d.mod === 0)) {
        for (const r of regs) {
          this.load(REG(r));
          add();
        }
        if (d.rm === 2 || d.rm === 3 || d.rm === 6) seg = SS;
      }
      if (d.disp !== 0 || parts === 0) {
        c.i32Const(d.disp | 0);
        add();
      }
      c.i32Const(0xffff);
      c.op(Op.i32_and);
      if (d.segment >= 0) seg = d.segment;
      return seg;
    }
    if (d.rm === 4) {
      if (!(d.base === 5 && d.mod === 0)) {
        this.load(REG(d.base));
        add();
        if (d.base === 4 || d.base === 5) seg = SS;
      }
      if (d.index !== 4) {
        this.load(REG(d.index));
        if (d.scale) {
          c.i32Const(d.scale);
          c.op(Op.i32_shl);
        }
        add();
      }
    } else if (!(d.rm === 5 && d.mod === 0)) {
      this.load(REG(d.rm));
      add();
      if (d.rm === 5) seg = SS;
    }
    if (d.disp !== 0 || parts === 0) {
      c.i32Const(d.disp | 0);
      add();
    }
    if (d.segment >= 0) seg = d.segment;
    return seg;
  }

  /** lin = segment base + offset of d's operand, after the segment check for len bytes. */
  linear(d: DecodedInstruction, write: boolean, len = 4): void {
    const seg = this.offset(d);
    this.c.localSet(L_O);
    this.segLinear(seg, write, len);
  }

  /** Loads the TLB entry for lin from table local tlb into local t (-1 for none). */
  tlbEntry(tlb: number): void {
    const c = this.c;
    c.localGet(L_LIN);
    c.i32Const(12);
    c.op(Op.i32_shr_u);
    c.i32Const(2);
    c.op(Op.i32_shl);
    c.localGet(tlb);
    c.op(Op.i32_add);
    c.mem(Op.i32_load, 0, 2);
    c.i32Const(-1); // the tables hold the entry's complement (cpu/access.ts): -1 is none
    c.op(Op.i32_xor);
    c.localSet(L_T);
  }
  /** Condition: the entry is valid and the len bytes at lin stay in its page. */
  fastOk(len: number): void {
    const c = this.c;
    c.localGet(L_T);
    c.i32Const(-1);
    c.op(Op.i32_ne);
    if (len > 1) {
      c.localGet(L_LIN);
      c.i32Const(0xfff);
      c.op(Op.i32_and);
      c.i32Const(0x1000 - len);
      c.op(Op.i32_le_u);
      c.op(Op.i32_and);
    }
  }
  /**
   * Pushes the value of size sz at lin: from RAM through the TLB, else through the CPU. An
   * operand read to be written (rmw) is read through the write TLB, and its slow path checks
   * its pages for writing first, as the interpreter's eaW does (a fault reports a write).
   */
  read(sz: number, rmw = false): void {
    const c = this.c;
    const a = ACCESS[sz];
    this.tlbEntry(rmw ? L_TLBW : L_TLBR);
    this.fastOk(a.len);
    c.if(I32);
    c.localGet(L_LIN);
    c.localGet(L_T);
    c.op(Op.i32_xor);
    c.mem(a.load, RAM_BASE, 0);
    c.else();
    this.slowPath();
    c.localGet(L_LIN);
    if (rmw) {
      c.i32Const(a.len);
      c.call(F_RDW);
    } else c.call(a.slowRead);
    c.end();
  }
  /** Starts the slow path of an access: the state for JS code, and the check of a flat segment's limit. */
  private slowPath(): void {
    const c = this.c;
    this.flush();
    if (this.flatSeg < 0) return;
    c.localGet(L_LIN);
    c.i32Const(-this.flatLen);
    c.op(Op.i32_gt_u);
    c.if();
    c.i32Const(this.flatSeg);
    c.localGet(L_LIN);
    c.i32Const(this.flatLen);
    c.i32Const(this.flatWrite ? 1 : 0);
    c.call(F_SEGCHECK);
    c.end();
    this.flatSeg = -1;
  }
  read32(): void {
    this.read(SZ32);
  }
  read8(): void {
    this.read(SZ8);
  }
  read16(): void {
    this.read(SZ16);
  }
  /** Writes local v's value (size sz) at lin. */
  write(sz: number, v: number): void {
    const c = this.c;
    const a = ACCESS[sz];
    this.tlbEntry(L_TLBW);
    this.fastOk(a.len);
    c.if();
    c.localGet(L_LIN);
    c.localGet(L_T);
    c.op(Op.i32_xor);
    c.localGet(v);
    c.mem(a.store, RAM_BASE, 0);
    c.else();
    this.slowPath();
    c.localGet(L_LIN);
    c.localGet(v);
    c.call(a.slowWrite);
    c.end();
  }
  write8(v: number): void {
    this.write(SZ8, v);
  }
  /** Pushes CF (0/1), evaluating the lazy flags as CpuState.cf() does. */
  cf(): void {
    const c = this.c;
    this.load(STATE_LAZY);
    c.i32Const(CF);
    c.op(Op.i32_and);
    c.if(I32);
    this.callFlag(F_LAZYCF);
    c.else();
    this.load(STATE_FLAGS);
    c.i32Const(CF);
    c.op(Op.i32_and);
    c.end();
  }
  /** CF and OF from locals, as CpuState.setCfOf: explicit in EFLAGS, no longer lazy. */
  setCfOf(cf: number, of: number): void {
    const c = this.c;
    this.store(STATE_FLAGS, () => {
      this.load(STATE_FLAGS);
      c.i32Const(~(CF | OF));
      c.op(Op.i32_and);
      c.localGet(cf);
      c.op(Op.i32_or);
      c.localGet(of);
      c.i32Const(11);
      c.op(Op.i32_shl);
      c.op(Op.i32_or);
    });
    this.store(STATE_LAZY, () => {
      this.load(STATE_LAZY);
      c.i32Const(~(CF | OF));
      c.op(Op.i32_and);
    });
  }
  /**
   * The flags of a multiply (muldiv.ts mulFlags) or, with clearAf false, of a shift by a
   * constant (shiftOp): CF and OF from locals, AF cleared for multiplies, SF ZF PF lazy from r.
   */
  cfOfResult(cf: number, of: number, clearAf: boolean, sz = SZ32): void {
    const c = this.c;
    this.store(STATE_FLAGS, () => {
      this.load(STATE_FLAGS);
      c.i32Const(~(CF | OF | (clearAf ? AF : 0)));
      c.op(Op.i32_and);
      c.localGet(cf);
      c.op(Op.i32_or);
      c.localGet(of);
      c.i32Const(11);
      c.op(Op.i32_shl);
      c.op(Op.i32_or);
    });
    this.storeLocal(LF(2), L_R);
    this.storeConst(LF(3), LF_LOGIC);
    this.storeConst(LF(4), sz);
    this.storeConst(STATE_LAZY, ZF | SF | PF);
  }
  /** Pushes 1 when SS is a 32-bit stack (CpuAccess.ss32 in 32-bit protected-mode code). */
  ss32(): void {
    const c = this.c;
    this.load(STATE_SEG_ATTR + 4 * SS);
    c.i32Const(0x4000);
    c.op(Op.i32_and);
    if (this.mode32) return;
    // 16-bit code: a 32-bit stack only in protected mode outside virtual-8086 mode (Cpu.modeChanged).
    this.load(STATE_CR);
    c.i32Const(1);
    c.op(Op.i32_and);
    c.op(Op.i32_and);
    this.load(STATE_FLAGS);
    c.i32Const(VM);
    c.op(Op.i32_and);
    c.op(Op.i32_eqz);
    c.op(Op.i32_and);
  }
  /** PUSH local v of size sz (SZ16 or SZ32) on a stack of either width, inline (CpuAccess.push16/push32). */
  pushV(v: number, sz: number): void {
    if (sz === SZ32 && this.mode32) {
      this.push32(v);
      return;
    }
    const c = this.c;
    const n = sz === SZ16 ? 2 : 4;
    this.ss32();
    c.if();
    this.load(REG(4));
    c.i32Const(n);
    c.op(Op.i32_sub);
    c.localSet(L_O);
    this.segLinear(SS, true, n);
    this.write(sz, v);
    this.storeLocal(REG(4), L_O);
    c.else();
    this.load16(4);
    c.i32Const(n);
    c.op(Op.i32_sub);
    c.i32Const(0xffff);
    c.op(Op.i32_and);
    c.localSet(L_O);
    this.segLinear(SS, true, n);
    this.write(sz, v);
    this.store16(4, L_O);
    c.end();
  }
  /** POP of size sz into local v, inline on a stack of either width (CpuAccess.pop16/pop32). */
  popV(v: number, sz: number): void {
    if (sz === SZ32 && this.mode32) {
      this.pop32(v);
      return;
    }
    const c = this.c;
    const n = sz === SZ16 ? 2 : 4;
    this.ss32();
    c.if();
    this.load(REG(4));
    c.localSet(L_O);
    this.segLinear(SS, false, n);
    this.read(sz);
    c.localSet(v);
    this.store(REG(4), () => {
      c.localGet(L_O);
      c.i32Const(n);
      c.op(Op.i32_add);
    });
    c.else();
    this.load16(4);
    c.localSet(L_O);
    this.segLinear(SS, false, n);
    this.read(sz);
    c.localSet(v);
    c.localGet(L_O);
    c.i32Const(n);
    c.op(Op.i32_add);
    c.localSet(L_O);
    this.store16(4, L_O);
    c.end();
  }
  /** PUSH local v (CpuAccess.push32): inline for a 32-bit stack, through the CPU otherwise. */
  push32(v: number): void {
    const c = this.c;
    this.ss32();
    c.if();
    this.load(REG(4));
    c.i32Const(4);
    c.op(Op.i32_sub);
    c.localSet(L_O);
    this.segLinear(SS, true);
    this.write32(v);
    this.storeLocal(REG(4), L_O);
    c.else();
    c.localGet(v);
    this.callOut(F_PUSH32, 1 << 4);
    c.end();
  }
  /** Pops into local v (CpuAccess.pop32). */
  pop32(v: number): void {
    const c = this.c;
    this.ss32();
    c.if();
    this.load(REG(4));
    c.localSet(L_O);
    this.segLinear(SS, false);
    this.read32();
    c.localSet(v);
    this.store(REG(4), () => {
      c.localGet(L_O);
      c.i32Const(4);
      c.op(Op.i32_add);
    });
    c.else();
    this.callOut(F_POP32, 1 << 4);
    c.localSet(v);
    c.end();
  }
  /**
   * lin = base of seg + local o, after the segment check for len bytes (CpuAccess.segR/segW);
   * lin = o for a flat segment, whose check the access's slow path makes (slowPath).
   */
  segLinear(seg: number, write: boolean, len = 4): void {
    const c = this.c;
    this.flatSeg = -1;
    if (this.flat & jitKeyFlat(seg)) {
      this.flatUsed |= jitKeyFlat(seg);
      this.flatSeg = seg;
      this.flatWrite = write;
      this.flatLen = len;
      c.localGet(L_O);
      c.localSet(L_LIN);
      return;
    }
    c.localGet(L_O);
    c.op(Op.f64_convert_i32_u);
    c.f64Const(len);
    c.op(Op.f64_add);
    c.i32Const(0);
    c.mem(Op.f64_load, (write ? STATE_SEG_LIMW : STATE_SEG_LIMR) + 8 * seg, 3);
    c.op(Op.f64_gt);
    c.if();
    c.i32Const(seg);
    c.localGet(L_O);
    c.i32Const(len);
    c.i32Const(write ? 1 : 0);
    this.callOut(F_SEGCHECK);
    c.end();
    this.load(STATE_SEG_BASE + 4 * seg);
    c.localGet(L_O);
    c.op(Op.i32_add);
    c.localSet(L_LIN);
  }
  /** Pushes 1 when local t (an EIP) is beyond the CS limit (checkTarget would fault). */
  beyondCs(t: number): void {
    const c = this.c;
    c.localGet(t);
    this.load(STATE_SEG_LIMIT + 4 * CS);
    c.op(Op.i32_gt_u);
  }
  /** Pushes 8-bit register r (AL CL DL BL AH CH DH BH). */
  load8(r: number): void {
    const c = this.c;
    this.load(REG(r & 3));
    if (r & 4) {
      c.i32Const(8);
      c.op(Op.i32_shr_u);
    }
    c.i32Const(0xff);
    c.op(Op.i32_and);
  }
  /** 8-bit register r = the low byte of local. */
  store8(r: number, local: number): void {
    const c = this.c;
    const sh = r & 4 ? 8 : 0;
    this.store(REG(r & 3), () => {
      this.load(REG(r & 3));
      c.i32Const(~(0xff << sh));
      c.op(Op.i32_and);
      c.localGet(local);
      c.i32Const(0xff);
      c.op(Op.i32_and);
      if (sh) {
        c.i32Const(sh);
        c.op(Op.i32_shl);
      }
      c.op(Op.i32_or);
    });
  }
  /** Pushes register r of size sz (8-bit: AL..BH). */
  getR(r: number, sz: number): void {
    if (sz === SZ8) this.load8(r);
    else if (sz === SZ16) this.load16(r);
    else this.load(REG(r));
  }
  /** Register r of size sz = local (its low bits). */
  setR(r: number, sz: number, local: number): void {
    if (sz === SZ8) this.store8(r, local);
    else if (sz === SZ16) this.store16(r, local);
    else this.storeLocal(REG(r), local);
  }
  /** Pushes 16-bit register r. */
  load16(r: number): void {
    this.load(REG(r));
    this.c.i32Const(0xffff);
    this.c.op(Op.i32_and);
  }
  /** 16-bit register r = the low half of local. */
  store16(r: number, local: number): void {
    const c = this.c;
    this.store(REG(r), () => {
      this.load(REG(r));
      c.i32Const(0xffff0000 | 0);
      c.op(Op.i32_and);
      c.localGet(local);
      c.i32Const(0xffff);
      c.op(Op.i32_and);
      c.op(Op.i32_or);
    });
  }
  /** Pushes operand E of size sz (register or memory, read access). */
  readE(d: DecodedInstruction, s: Site, sz: number): void {
    if (d.mod === 3) {
      if (sz === SZ8) this.load8(d.rm);
      else if (sz === SZ16) this.load16(d.rm);
      else this.load(REG(d.rm));
      return;
    }
    this.setStart(s.off);
    this.linear(d, false, sz === SZ8 ? 1 : sz === SZ16 ? 2 : 4);
    if (sz === SZ8) this.read8();
    else if (sz === SZ16) this.read16();
    else this.read32();
  }

  write32(v: number): void {
    this.write(SZ32, v);
  }
}

/** The primitives' WebAssembly instructions (semantics.ts). */
const WASM_OP: Record<Primitive, Op> = {
  add: Op.i32_add,
  sub: Op.i32_sub,
  and: Op.i32_and,
  or: Op.i32_or,
  xor: Op.i32_xor,
};
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
 * ALU operation op (semantics.ts ALU, or TEST; size sz) of locals a and b into r, recording the lazy
 * flags unless dead; the carry forms take CF (known from the flag source, or lazy) as cin and
 * are recorded as their carry kind when it was set.
 */
function alu(e: Emitter, s: Site, op: number | AluSemantics, sz = SZ32): void {
  const c = e.c;
  const sem = typeof op === "number" ? ALU[op] : op;
  if (sem.carry) {
    knownCf(e, s.flags);
    c.localSet(L_T);
  }
  c.localGet(L_A);
  c.localGet(L_B);
  c.op(WASM_OP[sem.op]);
  if (sem.carry) {
    c.localGet(L_T);
    c.op(WASM_OP[sem.op]);
  }
  if (sz !== SZ32) {
    c.i32Const(sz === SZ8 ? 0xff : 0xffff);
    c.op(Op.i32_and);
  }
  c.localSet(L_R);
  if (s.dead) return;
  if (sem.kind === "LOGIC") return e.logic(sz);
  if (!sem.carryKind) return e.lazy(KIND[sem.kind], sz);
  e.storeLocal(LF(0), L_A);
  e.storeLocal(LF(1), L_B);
  e.storeLocal(LF(2), L_R);
  e.store(LF(3), () => {
    c.i32Const(KIND[sem.carryKind!]);
    c.i32Const(KIND[sem.kind]);
    c.localGet(L_T);
    c.op(Op.select);
  });
  e.storeConst(LF(4), sz);
  e.storeConst(STATE_LAZY, STATUS_FLAGS);
}
/**
 * ALU operation op (size sz) on operand E and local b: E read into a (register, or memory checked
 * for writing unless op is CMP), the result r written back unless op is CMP.
 */
function aluE(e: Emitter, s: Site, op: number, sz: number): void {
  const c = e.c;
  const d = s.d;
  const write = op !== 7;
  if (d.mod === 3) {
    e.getR(d.rm, sz);
    c.localSet(L_A);
    alu(e, s, op, sz);
    if (write) e.setR(d.rm, sz, L_R);
    return;
  }
  e.setStart(s.off);
  e.linear(d, write, sizeLen(sz));
  e.read(sz, write);
  c.localSet(L_A);
  alu(e, s, op, sz);
  if (write) e.write(sz, L_R);
}

/** The flag kind a fused conditional may assume after ALU op (none after ADC/SBB: the carry-in). */
function aluKind(op: number): number | undefined {
  const sem = ALU[op];
  return sem.carry ? undefined : KIND[sem.kind];
}
function aluFlags(op: number, sz: number): FlagSource | undefined {
  const kind = aluKind(op);
  return kind === undefined ? undefined : { kind, sz };
}

/**
 * INC or DEC (semantics.ts INC_DEC) of local a into r, with the flags of
 * CpuState.setLazyKeepCF: CF made concrete first when it is lazy, the other five flags lazy
 * from (a, 1, r).
 */
function incDec(e: Emitter, sem: IncDecSemantics, f: FlagSource | undefined, sz = SZ32): void {
  const c = e.c;
  const k = f?.kind;
  if (k === LF_ADD || k === LF_SUB || k === LF_LOGIC) {
    // CF from the flag source's operands in the locals (as lazyCf computes it from the record).
    e.store(STATE_FLAGS, () => {
      e.load(STATE_FLAGS);
      c.i32Const(~CF);
      c.op(Op.i32_and);
      knownCf(e, f);
      c.op(Op.i32_or);
    });
  } else if (k !== LF_INC && k !== LF_DEC) {
    // After INC/DEC, CF is already concrete; else it is made concrete if lazy.
    e.load(STATE_LAZY);
    c.i32Const(CF);
    c.op(Op.i32_and);
    c.if();
    e.store(STATE_FLAGS, () => {
      e.load(STATE_FLAGS);
      c.i32Const(~CF);
      c.op(Op.i32_and);
      e.callFlag(F_LAZYCF);
      c.op(Op.i32_or);
    });
    c.end();
  }
  c.localGet(L_A);
  c.i32Const(1);
  c.op(WASM_OP[sem.op]);
  if (sz !== SZ32) {
    c.i32Const(sz === SZ8 ? 0xff : 0xffff);
    c.op(Op.i32_and);
  }
  c.localSet(L_R);
  e.storeLocal(LF(0), L_A);
  e.storeConst(LF(1), 1);
  e.storeLocal(LF(2), L_R);
  e.storeConst(LF(3), KIND[sem.kind]);
  e.storeConst(LF(4), sz);
  e.storeConst(STATE_LAZY, STATUS_FLAGS & ~CF);
}

/**
 * Instructions compiled here that neither read nor write EFLAGS and cannot fault or call out
 * (register moves, LEA, immediates): the flag record of an earlier instruction stays
 * unobservable across them.
 */
function harmless(d: DecodedInstruction): boolean {
  if (d.prefixBytes.length !== 0) return false;
  const op = d.opcode,
    reg = d.modrm >= 0 && d.mod === 3;
  if (op === 0x8d || op === 0x90 || (op >= 0xb0 && op <= 0xbf)) return true;
  return reg && (op === 0x88 || op === 0x89 || op === 0x8a || op === 0x8b || (op >= 0x1b6 && op <= 0x1bf));
}
/** Compiled instructions that leave EFLAGS as they were (the flag source in the locals stays valid). */
function preservesFlags(d: DecodedInstruction): boolean {
  const op = d.opcode;
  if (harmless(d)) return true;
  if (d.rep !== 0 || d.lock || d.addressSizePrefix) return false;
  if (d.operandSizePrefix) return op === 0x89 || op === 0x8b || (op === 0xc7 && d.reg === 0);
  return (
    op === 0x88 ||
    op === 0x89 ||
    op === 0x8a ||
    op === 0x8b ||
    (op === 0xc6 && d.reg === 0) ||
    (op === 0xc7 && d.reg === 0) ||
    op === 0xa1 ||
    op === 0xa3 ||
    (op >= 0x1b6 && op <= 0x1bf) ||
    (op >= 0x50 && op <= 0x5f) ||
    op === 0x68 ||
    op === 0x6a ||
    (op === 0xff && d.reg === 6) ||
    (op >= 0x190 && op <= 0x19f) ||
    (op >= 0x140 && op <= 0x14f) ||
    (op === 0xf7 && d.reg === 2)
  );
}
/** The kind of flag record ALU instruction d leaves (ADD, SUB or LOGIC), or undefined. */
function aluKindOf(d: DecodedInstruction): number | undefined {
  const op = d.opcode;
  if (op < 0x40 && (op & 7) < 6) return aluKind(op >> 3);
  if (op >= 0x80 && op <= 0x83) return aluKind(d.reg);
  if (op === 0x84 || op === 0x85 || op === 0xa8 || op === 0xa9) return LF_LOGIC;
  return undefined;
}
/**
 * The flag record of insns[i] is dead: before anything can observe it, a later instruction
 * (past harmless ones) replaces it: a register-form ALU operation, or an INC/DEC of a register
 * whose CF (kept from this record) comes from the locals.
 */
function flagsDead(insns: DecodedInstruction[], i: number): boolean {
  for (let j = i + 1; j < insns.length; j++) {
    const d = insns[j];
    if (harmless(d)) continue;
    if (flagsDeadAfter(d)) return true;
    // INC/DEC of a register, or ADC/SBB with register operands, take CF from the locals.
    const regOnly = d.modrm < 0 || d.mod === 3;
    const takesCf = d.prefixBytes.length === 0 && ((d.opcode >= 0x40 && d.opcode <= 0x4f) || (adcSbb(d) && regOnly));
    const k = aluKindOf(insns[i]);
    return takesCf && (k === LF_ADD || k === LF_SUB || k === LF_LOGIC) && !adcSbb(insns[i]);
  }
  return false;
}
/** ADC or SBB in a form this compiler handles (ALU opcodes, 80/81/83 groups). */
function adcSbb(d: DecodedInstruction): boolean {
  const op = d.opcode;
  const a = op < 0x40 && (op & 7) < 6 ? op >> 3 : op === 0x80 || op === 0x81 || op === 0x83 ? d.reg : -1;
  return a === 2 || a === 3;
}

/** Pushes CF (0/1): from the flag source in the locals when it is known (ADD, SUB, logic, INC/DEC), else e.cf(). */
function knownCf(e: Emitter, f: FlagSource | undefined): void {
  const c = e.c;
  const k = f?.kind;
  if (k === LF_ADD) {
    c.localGet(L_FR);
    c.localGet(L_FA);
    c.op(Op.i32_lt_u);
  } else if (k === LF_SUB) {
    c.localGet(L_FA);
    c.localGet(L_FB);
    c.op(Op.i32_lt_u);
  } else if (k === LF_LOGIC) c.i32Const(0);
  else if (k === LF_INC || k === LF_DEC) {
    // INC/DEC made CF concrete in EFLAGS.
    e.load(STATE_FLAGS);
    c.i32Const(CF);
    c.op(Op.i32_and);
  } else e.cf();
}

/** Keeps fa, fb, fr = a, b, r for a fused conditional next. */
function keep(e: Emitter): void {
  e.c.localGet(L_A);
  e.c.localSet(L_FA);
  e.c.localGet(L_B);
  e.c.localSet(L_FB);
  e.c.localGet(L_R);
  e.c.localSet(L_FR);
}

/** The module's flag function of each flag (CpuState.cond's reads). */
const FLAG_FN: Record<Flag, number> = { of: F_OF, cf: F_CF, zf: F_ZF, sf: F_SF, pf: F_PF };

/**
 * Pushes condition cc (0/1), as semantics.ts CONDITIONS describes it: from the operands of the
 * flag-setting operation in the locals (fa, fb, fr) when its kind allows, else from the lazy flags.
 */
function condition(e: Emitter, cc: number, f: FlagSource | undefined): void {
  const c = e.c;
  const kind = f === undefined ? null : f.kind === LF_SUB ? "sub" : f.kind === LF_LOGIC ? "logic" : "other";
  const fused = kind === null ? null : fusedCondition(cc, kind);
  const operand = (v: "a" | "b" | "r", ext: CondOperandExt) => {
    c.localGet(v === "a" ? L_FA : v === "b" ? L_FB : L_FR);
    // fa and fb hold values zero-extended from the operation's size; an equality reads fr sign-extended as well.
    if (ext === "zero") return;
    if (f!.sz === SZ8) c.op(Op.i32_extend8_s);
    else if (f!.sz === SZ16) c.op(Op.i32_extend16_s);
  };
  const emit = (x: CondExpr): void => {
    if ("flag" in x) e.callFlag(FLAG_FN[x.flag]);
    else if ("always" in x) c.i32Const(x.always ? 1 : 0);
    else if ("or" in x) {
      emit(x.or[0]);
      emit(x.or[1]);
      c.op(Op.i32_or);
    } else if ("ne" in x) {
      emit(x.ne[0]);
      emit(x.ne[1]);
      c.op(Op.i32_ne);
    } else {
      const ext = condOperandExt(x.cmp);
      operand(x.x, ext);
      if (x.y === "0") c.i32Const(0);
      else operand(x.y, ext);
      const ops = { eq: Op.i32_eq, ltu: Op.i32_lt_u, leu: Op.i32_le_u, lts: Op.i32_lt_s, les: Op.i32_le_s };
      c.op(ops[x.cmp]);
    }
  };
  emit(fused ?? CONDITIONS[cc >> 1].flags);
  if ((cc & 1) !== 0) c.op(Op.i32_eqz);
}

/** What compiling an instruction gave: ok (false: it fell back), whether it ends or loops the block, the flags it leaves in the locals. */
type Compiled = { ok: boolean; ends?: boolean; loops?: boolean; flags?: FlagSource };

interface Site {
  d: DecodedInstruction;
  /** The interpreter runs it inside its switch (and does not publish sliceN for it). */
  inSwitch: boolean;
  off: number;
  next: number;
  index: number;
  flags: FlagSource | undefined;
  dead: boolean;
  /** 32-bit operand size (else 16-bit). */
  o32: boolean;
}

/**
 * The loop back edge: m += index + 1; iterate again when no event and the budget allows, else
 * leave at the start. nest: constructs opened between the block body and here.
 */
function loopBack(e: Emitter, s: Site, nest: number): void {
  const c = e.c;
  c.localGet(L_M);
  c.i32Const(s.index + 1);
  c.op(Op.i32_add);
  c.localSet(L_M);
  // if (events == 0 && m + count <= left) { done = m; continue }
  e.load(STATE_JIT_EVENTS);
  c.op(Op.i32_eqz);
  c.localGet(L_M);
  c.i32Const(e.count);
  c.op(Op.i32_add);
  c.localGet(L_LEFT);
  c.op(Op.i32_le_s);
  c.op(Op.i32_and);
  c.if();
  e.storeLocal(STATE_JIT_DONE, L_M);
  e.flush();
  c.br(2 + nest); // this if, [nest], the body block, then the loop
  c.end();
  exitPip(e, e.p0);
  c.localGet(L_M);
  e.ret();
}
function exitPip(e: Emitter, pip: number): void {
  e.storeConst(STATE_JIT_EXIT, EXIT_PIP);
  e.storeConst(STATE_JIT_TARGET, pip);
}

/**
 * Goes on to the region's block at physical address pip, if there is one, after `retired`
 * instructions of this block, when the dispatcher would have chained to it: no event, the
 * budget allows the whole block, and it lies inside the current fetch window. A jump with a
 * 16-bit operand size goes there only if its IP does not wrap. Else the exit emitted after it
 * leaves for the dispatcher. nest: constructs opened between the block body and here.
 *
 * The block is still in the cache: a region's blocks are installed and dropped together
 * (jit.ts Region), nothing is installed while compiled code runs, and a drop sets
 * STATE_JIT_EVENTS.
 */
function transfer(e: Emitter, pip: number, retired: number, nest: number, o16 = false): void {
  const k = e.region.index.get(pip);
  if (k === undefined) return;
  const c = e.c;
  const b = e.region.blocks[k];
  const slot = pip & JIT_MASK;
  e.load(STATE_JIT_EVENTS);
  c.op(Op.i32_eqz);
  c.localGet(L_M);
  c.i32Const(retired + b.count);
  c.op(Op.i32_add);
  c.localGet(L_LEFT);
  c.op(Op.i32_le_s);
  c.op(Op.i32_and);
  e.load(STATE_PIP_START);
  c.i32Const(pip);
  c.op(Op.i32_le_u);
  c.op(Op.i32_and);
  c.i32Const(pip + b.length);
  e.load(STATE_PIP_END);
  c.op(Op.i32_le_u);
  c.op(Op.i32_and);
  if (o16) {
    e.eipAt(pip - e.region.base);
    c.i32Const(16);
    c.op(Op.i32_shr_u);
    c.op(Op.i32_eqz);
    c.op(Op.i32_and);
  }
  c.if();
  c.localGet(L_M);
  c.i32Const(retired);
  c.op(Op.i32_add);
  c.localSet(L_M);
  e.storeLocal(STATE_JIT_DONE, L_M);
  e.storeConst(STATE_JIT_SLOT, slot);
  e.flush();
  if (k > e.index) {
    // A later block: its label encloses this one's code (this if, [nest], the body block, the block's loop, the labels up to its own).
    c.br(nest + 2 + k - e.index);
  } else {
    c.i32Const(k);
    c.localSet(L_ENTRY);
    c.br(nest + 3 + e.outer); // this if, [nest], the body block, the block's loop, the later blocks' labels, the region loop
  }
  c.end();
}

/** Leaves with a jump to EIP e0 + target (the wrapper checks the limit and moves the fetch window). */
function exitJump(e: Emitter, s: Site, target: number, nest: number): void {
  const c = e.c;
  transfer(e, e.region.base + target, s.index + 1, nest, !s.o32);
  e.setStart(s.off);
  e.storeConst(STATE_JIT_EXIT, EXIT_JUMP);
  e.store(STATE_JIT_TARGET, () => eipTarget(e, s, target));
  c.localGet(L_M);
  c.i32Const(s.index + 1);
  c.op(Op.i32_add);
  e.ret();
}

/** Pushes the EIP of a jump target (offset in the block): wrapped to 16 bits for a 16-bit operand size. */
function eipTarget(e: Emitter, s: Site, target: number): void {
  e.eipAt(target);
  if (!s.o32) {
    e.c.i32Const(0xffff);
    e.c.op(Op.i32_and);
  }
}

/**
 * Instructions whose meaning does not depend on the operand size (8-bit operations, and jumps,
 * whose targets exitJump wraps): compiled by the same code for 16-bit and 32-bit operands.
 */
function sizeIndependent(d: DecodedInstruction): boolean {
  const op = d.opcode;
  if (op < 0x40) return (op & 7) === 0 || (op & 7) === 2 || (op & 7) === 4; // 8-bit ALU
  return (
    (op >= 0x70 && op <= 0x7f) ||
    op === 0x80 ||
    op === 0x84 ||
    op === 0x88 ||
    op === 0x8a ||
    op === 0xa8 ||
    (op >= 0xb0 && op <= 0xb7) ||
    op === 0xc6 ||
    op === 0xc0 ||
    op === 0xd0 ||
    op === 0xd2 ||
    op === 0xe9 ||
    op === 0xeb ||
    (op >= 0x180 && op <= 0x19f) ||
    (op === 0xf6 && (d.reg === 0 || d.reg >= 6))
  );
}

/** Emits instruction s; returns the flags it leaves in locals, `false` if it fell back, or "end". */
function specialise(e: Emitter, s: Site): Compiled {
  const d = s.d;
  const c = e.c;
  // PAUSE (F3 90), and LFENCE, MFENCE, SFENCE (0F AE /5 /6 /7 with a register operand): they do
  // nothing here (no caches, one CPU). Linux's delay loop runs two of them per RDTSC.
  if (!d.ud && d.prefixBytes.length === 1 && d.rep === 0xf3 && d.opcode === 0x90) return { ok: true };
  if (!d.ud && d.prefixBytes.length === 0 && d.opcode === 0x1ae && d.mod === 3 && d.reg >= 5) return { ok: true };
  if (d.ud || d.addressSizePrefix || d.rep !== 0 || d.lock) return { ok: false };
  const str = stringOp(e, s, s.o32 ? SZ32 : SZ16);
  if (str !== null) return str;
  if (!s.o32) {
    const r = specialise16(e, s);
    if (r !== null) return r;
    if (!sizeIndependent(d)) return { ok: false };
  }
  const op = d.opcode;
  const mem = d.modrm >= 0 && d.mod !== 3;
  const targetsStart = () => s.next + (d.imm | 0) === e.blockOff;

  // ALU Ev,Gv (01 09 .. 39) and Gv,Ev (03 0B .. 3B), eAX,Iv (05 .. 3D)
  if (op < 0x40 && (op & 7) < 6 && (op & 1) === 1) {
    const a = op >> 3,
      form = op & 7;
    const write = a !== 7;
    if (form === 5) {
      e.load(REG(0));
      c.localSet(L_A);
      c.i32Const(d.imm | 0);
      c.localSet(L_B);
      alu(e, s, a);
      if (write) e.storeLocal(REG(0), L_R);
    } else if (form === 1) {
      // Ev, Gv
      e.load(REG(d.reg));
      c.localSet(L_B);
      aluE(e, s, a, SZ32);
    } else {
      // Gv, Ev
      e.load(REG(d.reg));
      c.localSet(L_A);
      if (!mem) e.load(REG(d.rm));
      else {
        e.setStart(s.off);
        e.linear(d, false);
        e.read32();
      }
      c.localSet(L_B);
      alu(e, s, a);
      if (write) e.storeLocal(REG(d.reg), L_R);
    }
    keep(e);
    return { ok: true, flags: aluFlags(a, SZ32) };
  }

  // 8-bit ALU: Eb,Gb (00 08 .. 38), Gb,Eb (02 .. 3A), AL,Ib (04 .. 3C)
  if (op < 0x40 && ((op & 7) === 0 || (op & 7) === 2 || (op & 7) === 4)) {
    const a = op >> 3,
      form = op & 7;
    const write = a !== 7;
    if (form === 4) {
      e.load8(0);
      c.localSet(L_A);
      c.i32Const(d.imm & 0xff);
      c.localSet(L_B);
      alu(e, s, a, SZ8);
      if (write) e.store8(0, L_R);
    } else if (form === 0) {
      e.load8(d.reg);
      c.localSet(L_B);
      aluE(e, s, a, SZ8);
    } else {
      e.load8(d.reg);
      c.localSet(L_A);
      e.readE(d, s, SZ8);
      c.localSet(L_B);
      alu(e, s, a, SZ8);
      if (write) e.store8(d.reg, L_R);
    }
    keep(e);
    return { ok: true, flags: aluFlags(a, SZ8) };
  }
  if (op >= 0x1b6 && op <= 0x1bf && (op & 7) >= 6) {
    // MOVZX / MOVSX Gv, Eb / Ew
    const sz = op & 1 ? SZ16 : SZ8;
    e.readE(d, s, sz);
    if (op >= 0x1be) c.op(sz === SZ8 ? Op.i32_extend8_s : Op.i32_extend16_s);
    c.localSet(L_A);
    e.storeLocal(REG(d.reg), L_A);
    return { ok: true };
  }
  if (op >= 0x190 && op <= 0x19f) {
    // SETcc Eb
    if (mem) {
      e.setStart(s.off);
      e.linear(d, true, 1);
    }
    condition(e, op & 15, s.flags);
    c.localSet(L_A);
    if (mem) e.write8(L_A);
    else e.store8(d.rm, L_A);
    return { ok: true };
  }
  if (op >= 0x140 && op <= 0x14f) {
    // CMOVcc Gv, Ev: a memory operand is read (and may fault) whatever the condition.
    if (mem) {
      e.readE(d, s, SZ32);
      c.localSet(L_A);
    }
    condition(e, op & 15, s.flags);
    c.if();
    if (mem) e.storeLocal(REG(d.reg), L_A);
    else e.store(REG(d.reg), () => e.load(REG(d.rm)));
    c.end();
    return { ok: true };
  }
  if (op === 0x1af || op === 0x69 || op === 0x6b) {
    // IMUL Gv, Ev (, imm): CF = OF = the product does not fit; AF clear; SF ZF PF from the low half.
    if (op === 0x1af) {
      e.load(REG(d.reg));
      c.op(Op.i64_extend_i32_s);
      e.readE(d, s, SZ32);
    } else {
      e.readE(d, s, SZ32);
      c.op(Op.i64_extend_i32_s);
      c.i32Const(d.imm | 0);
    }
    c.op(Op.i64_extend_i32_s);
    c.op(Op.i64_mul);
    c.localTee(L_W);
    c.op(Op.i32_wrap_i64);
    c.localSet(L_R);
    c.localGet(L_W);
    c.i64Const(32n);
    c.op(Op.i64_shr_s);
    c.op(Op.i32_wrap_i64);
    c.localGet(L_R);
    c.i32Const(31);
    c.op(Op.i32_shr_s);
    c.op(Op.i32_ne);
    c.localSet(L_A);
    e.storeLocal(REG(d.reg), L_R);
    e.cfOfResult(L_A, L_A, true);
    return { ok: true };
  }
  if (op === 0xc0 || op === 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
    // Shifts and rotates (group 2)
    shift(e, s, op & 1 ? SZ32 : SZ8);
    return { ok: true };
  }
  if ((op === 0xf6 || op === 0xf7) && d.reg === 0) {
    // TEST Eb, Ib / Ev, Iv
    const sz = op === 0xf6 ? SZ8 : SZ32;
    e.readE(d, s, sz);
    c.localSet(L_A);
    c.i32Const(sz === SZ8 ? d.imm & 0xff : d.imm | 0);
    c.localSet(L_B);
    alu(e, s, TEST, sz);
    keep(e);
    return { ok: true, flags: { kind: LF_LOGIC, sz } };
  }
  if ((op === 0xa1 || op === 0xa3) && !d.addressSizePrefix) {
    // MOV EAX, moffs32 / MOV moffs32, EAX
    e.setStart(s.off);
    c.i32Const(d.disp | 0);
    c.localSet(L_O);
    e.segLinear(d.segment >= 0 ? d.segment : DS, op === 0xa3);
    if (op === 0xa1) {
      e.read32();
      c.localSet(L_A);
      e.storeLocal(REG(0), L_A);
    } else {
      e.load(REG(0));
      c.localSet(L_A);
      e.write32(L_A);
    }
    return { ok: true };
  }
  if (op === 0x68 || op === 0x6a || (op === 0xff && d.reg === 6)) {
    // PUSH imm32 / imm8 (sign-extended) / Ev
    e.setStart(s.off);
    if (op === 0xff) e.readE(d, s, SZ32);
    else c.i32Const(d.imm | 0);
    c.localSet(L_A);
    e.push32(L_A);
    return { ok: true };
  }
  if (op === 0xff && mem && (d.reg === 0 || d.reg === 1)) {
    // INC/DEC m32: CF stays (made concrete first if lazy), the other flags lazy.
    e.setStart(s.off);
    e.linear(d, true);
    e.read(SZ32, true);
    c.localSet(L_A);
    incDec(e, INC_DEC[d.reg], s.flags);
    e.write32(L_R);
    c.i32Const(1);
    c.localSet(L_B);
    keep(e);
    return { ok: true, flags: { kind: KIND[INC_DEC[d.reg].kind], sz: SZ32 } };
  }
  if (op === 0x90 && d.prefixBytes.length === 0) return { ok: true }; // NOP
  if ((op === 0xf6 || op === 0xf7) && d.reg >= 6) return divide(e, s, op === 0xf6 ? SZ8 : SZ32, d.reg === 7);
  if (op === 0xf7 && (d.reg === 2 || d.reg === 3 || d.reg === 4)) {
    if (mem && d.reg !== 4) {
      // NOT/NEG m32: the write access is checked first, as the interpreter's eaW does
      e.setStart(s.off);
      e.linear(d, true);
      e.read(SZ32, true);
    } else e.readE(d, s, SZ32);
    c.localSet(L_B);
    if (d.reg === 4) {
      // MUL: EDX:EAX = EAX * src; CF = OF = EDX != 0
      e.load(REG(0));
      c.op(Op.i64_extend_i32_u);
      c.localGet(L_B);
      c.op(Op.i64_extend_i32_u);
      c.op(Op.i64_mul);
      c.localTee(L_W);
      c.op(Op.i32_wrap_i64);
      c.localSet(L_R);
      c.localGet(L_W);
      c.i64Const(32n);
      c.op(Op.i64_shr_u);
      c.op(Op.i32_wrap_i64);
      c.localSet(L_A);
      e.storeLocal(REG(0), L_R);
      e.storeLocal(REG(2), L_A);
      c.localGet(L_A);
      c.i32Const(0);
      c.op(Op.i32_ne);
      c.localSet(L_A);
      e.cfOfResult(L_A, L_A, true);
      return { ok: true };
    }
    // NOT (no flags) / NEG (lazy NEG: a = 0, b = src)
    c.localGet(L_B);
    if (d.reg === 2) {
      c.i32Const(-1);
      c.op(Op.i32_xor);
    } else {
      c.localSet(L_T);
      c.i32Const(0);
      c.localGet(L_T);
      c.op(Op.i32_sub);
    }
    c.localSet(L_R);
    if (d.reg === 3) {
      c.i32Const(0);
      c.localSet(L_A);
      e.lazy(LF_NEG, SZ32);
    }
    if (!mem) e.storeLocal(REG(d.rm), L_R);
    else e.write32(L_R);
    return { ok: true };
  }

  switch (op) {
    case 0x81:
    case 0x83: {
      const a = d.reg;
      c.i32Const(d.imm | 0);
      c.localSet(L_B);
      aluE(e, s, a, SZ32);
      keep(e);
      return { ok: true, flags: aluFlags(a, SZ32) };
    }
    case 0x85: // TEST Ev, Gv
    case 0xa9: {
      // TEST eAX, Iv
      if (op === 0xa9) {
        e.load(REG(0));
        c.localSet(L_A);
        c.i32Const(d.imm | 0);
        c.localSet(L_B);
      } else {
        e.load(REG(d.reg));
        c.localSet(L_B);
        if (!mem) e.load(REG(d.rm));
        else {
          e.setStart(s.off);
          e.linear(d, false);
          e.read32();
        }
        c.localSet(L_A);
      }
      alu(e, s, TEST);
      keep(e);
      return { ok: true, flags: { kind: LF_LOGIC, sz: SZ32 } };
    }
    case 0x80: {
      const a = d.reg;
      c.i32Const(d.imm & 0xff);
      c.localSet(L_B);
      aluE(e, s, a, SZ8);
      keep(e);
      return { ok: true, flags: aluFlags(a, SZ8) };
    }
    case 0x84: // TEST Eb, Gb
    case 0xa8: {
      // TEST AL, Ib
      if (op === 0xa8) {
        e.load8(0);
        c.localSet(L_A);
        c.i32Const(d.imm & 0xff);
        c.localSet(L_B);
      } else {
        e.load8(d.reg);
        c.localSet(L_B);
        e.readE(d, s, SZ8);
        c.localSet(L_A);
      }
      alu(e, s, TEST, SZ8);
      keep(e);
      return { ok: true, flags: { kind: LF_LOGIC, sz: SZ8 } };
    }
    case 0x88: // MOV Eb, Gb
      e.load8(d.reg);
      c.localSet(L_A);
      if (!mem) e.store8(d.rm, L_A);
      else {
        e.setStart(s.off);
        e.linear(d, true, 1);
        e.write8(L_A);
      }
      return { ok: true };
    case 0x8a: // MOV Gb, Eb
      e.readE(d, s, SZ8);
      c.localSet(L_A);
      e.store8(d.reg, L_A);
      return { ok: true };
    case 0xc6: // MOV Eb, Ib
      if (d.reg !== 0) return { ok: false };
      c.i32Const(d.imm & 0xff);
      c.localSet(L_A);
      if (!mem) e.store8(d.rm, L_A);
      else {
        e.setStart(s.off);
        e.linear(d, true, 1);
        e.write8(L_A);
      }
      return { ok: true };
    case 0x89: // MOV Ev, Gv
      if (!mem) e.store(REG(d.rm), () => e.load(REG(d.reg)));
      else {
        e.setStart(s.off);
        e.linear(d, true);
        e.load(REG(d.reg));
        c.localSet(L_A);
        e.write32(L_A);
      }
      return { ok: true };
    case 0x8b: // MOV Gv, Ev
      if (!mem) e.store(REG(d.reg), () => e.load(REG(d.rm)));
      else {
        e.setStart(s.off);
        e.linear(d, false);
        e.read32();
        c.localSet(L_A);
        e.storeLocal(REG(d.reg), L_A);
      }
      return { ok: true };
    case 0xc7: // MOV Ev, Iv
      if (d.reg !== 0) return { ok: false };
      c.i32Const(d.imm | 0);
      c.localSet(L_A);
      if (!mem) e.storeLocal(REG(d.rm), L_A);
      else {
        e.setStart(s.off);
        e.linear(d, true);
        e.write32(L_A);
      }
      return { ok: true };
    case 0x8d: // LEA Gv, M
      if (!mem) return { ok: false };
      e.offset(d);
      c.localSet(L_A);
      e.storeLocal(REG(d.reg), L_A);
      return { ok: true };
    case 0x50:
    case 0x51:
    case 0x52:
    case 0x53:
    case 0x54:
    case 0x55:
    case 0x56:
    case 0x57:
      e.setStart(s.off);
      e.load(REG(op & 7));
      c.localSet(L_A);
      e.push32(L_A);
      return { ok: true };
    case 0x58:
    case 0x59:
    case 0x5a:
    case 0x5b:
    case 0x5c:
    case 0x5d:
    case 0x5e:
    case 0x5f:
      e.setStart(s.off);
      e.pop32(L_A);
      e.storeLocal(REG(op & 7), L_A);
      return { ok: true };
  }
  if (op >= 0xb8 && op <= 0xbf) {
    e.storeConst(REG(op & 7), d.imm | 0);
    return { ok: true };
  }
  if (op >= 0xb0 && op <= 0xb7) {
    c.i32Const(d.imm & 0xff);
    c.localSet(L_A);
    e.store8(op & 7, L_A);
    return { ok: true };
  }
  if (op >= 0x40 && op <= 0x4f) {
    // INC/DEC r32: CF stays (made concrete first if lazy), the other flags lazy.
    const dec = op >= 0x48;
    const r = op & 7;
    e.load(REG(r));
    c.localSet(L_A);
    incDec(e, INC_DEC[dec ? 1 : 0], s.flags);
    e.storeLocal(REG(r), L_R);
    c.i32Const(1);
    c.localSet(L_B);
    keep(e);
    return { ok: true, flags: { kind: KIND[INC_DEC[dec ? 1 : 0].kind], sz: SZ32 } };
  }
  if (isConditional(d) && ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f))) {
    condition(e, op & 15, s.flags);
    c.if();
    if (targetsStart()) loopBack(e, s, 1);
    else exitJump(e, s, s.next + (d.imm | 0), 1);
    c.end();
    return { ok: true, loops: targetsStart() };
  }
  if (op === 0xe8) {
    // CALL rel32: the target is checked against the CS limit before anything is pushed.
    e.setStart(s.off);
    e.eipAt(s.next + (d.imm | 0));
    c.localSet(L_T);
    e.beyondCs(L_T);
    c.op(Op.i32_eqz);
    c.if();
    e.eipAt(s.next);
    c.localSet(L_A);
    e.push32(L_A);
    c.end();
    exitJump(e, s, s.next + (d.imm | 0), 0);
    return { ok: true, ends: true };
  }
  if (op === 0xc3) {
    // RET: the return address is read, checked against the CS limit, and only then popped.
    e.setStart(s.off);
    e.ss32();
    c.op(Op.i32_eqz);
    c.if();
    interpret(e, s, -1); // a 16-bit stack: the interpreter's handler (it moves the fetch pointer)
    c.op(Op.drop);
    e.storeConst(STATE_JIT_EXIT, -1);
    c.localGet(L_M);
    c.i32Const(s.index + 1);
    c.op(Op.i32_add);
    e.ret();
    c.end();
    e.load(REG(4));
    c.localSet(L_O);
    e.segLinear(SS, false);
    e.read32();
    c.localSet(L_T);
    e.beyondCs(L_T);
    c.op(Op.i32_eqz);
    c.if();
    e.store(REG(4), () => {
      c.localGet(L_O);
      c.i32Const(4);
      c.op(Op.i32_add);
    });
    c.end();
    e.storeConst(STATE_JIT_EXIT, EXIT_JUMP);
    e.storeLocal(STATE_JIT_TARGET, L_T);
    c.localGet(L_M);
    c.i32Const(s.index + 1);
    c.op(Op.i32_add);
    e.ret();
    return { ok: true, ends: true };
  }
  if (op === 0xc9) {
    // LEAVE on a 32-bit stack: EBP = [SS:EBP], ESP = old EBP + 4 (the read checked first).
    e.ss32();
    c.if();
    e.setStart(s.off);
    e.load(REG(5));
    c.localSet(L_O);
    e.segLinear(SS, false);
    e.read32();
    c.localSet(L_A);
    e.store(REG(4), () => {
      c.localGet(L_O);
      c.i32Const(4);
      c.op(Op.i32_add);
    });
    e.storeLocal(REG(5), L_A);
    c.else();
    e.setStart(s.off);
    interpret(e, s, s.d.offset + s.d.length);
    c.op(Op.i32_eqz);
    c.if();
    e.storeConst(STATE_JIT_EXIT, -1);
    c.localGet(L_M);
    c.i32Const(s.index + 1);
    c.op(Op.i32_add);
    e.ret();
    c.end();
    c.end();
    return { ok: true };
  }
  if (op === 0xeb || op === 0xe9) {
    if (targetsStart()) {
      loopBack(e, s, 0);
      return { ok: true, ends: true, loops: true };
    }
    exitJump(e, s, s.next + (d.imm | 0), 0);
    return { ok: true, ends: true };
  }
  return { ok: false };
}

/**
 * A shift or rotate of group 2 (C0/C1 by an immediate, D0/D1 by one, D2/D3 by CL) of operand E
 * of size sz, as semantics.ts SHIFTS describes it: CF and OF explicit, and for shifts SF ZF PF
 * lazy from the result. A count of 0 changes nothing (a memory operand is still checked for
 * writing and read, as grp2 does): by CL, the code for any count runs when the masked count is
 * not 0; by a constant, the code of that count.
 */
function shift(e: Emitter, s: Site, sz: number): void {
  const c = e.c,
    d = s.d,
    op = d.opcode;
  const bits = sz === SZ8 ? 8 : sz === SZ16 ? 16 : 32;
  const k = op >= 0xd2 ? undefined : op >= 0xd0 ? 1 : d.imm & 31;
  const mem = d.mod !== 3;
  if (k === 0 && !mem) return;
  if (mem) {
    e.setStart(s.off);
    e.linear(d, true, sizeLen(sz));
    e.read(sz, true);
  } else e.getR(d.rm, sz);
  c.localSet(L_A);
  if (k === 0) return;
  if (k === undefined) {
    e.load8(1);
    c.i32Const(31);
    c.op(Op.i32_and);
    c.localTee(L_X);
    c.if();
  }
  const sem = shiftOf(d.reg);
  const code = shiftCode(sem, bits, k);
  if (code.readsCf) {
    knownCf(e, s.flags);
    c.localSet(L_Y);
  }
  const ops: Record<ShiftOp, Op> = {
    shl: Op.i32_shl,
    shr: Op.i32_shr_u,
    sar: Op.i32_shr_s,
    and: Op.i32_and,
    or: Op.i32_or,
    xor: Op.i32_xor,
    sub: Op.i32_sub,
    remu: Op.i32_rem_u,
    eq: Op.i32_eq,
  };
  const locals = { v: L_A, vs: L_A, k: L_X, cin: L_Y, r: L_R, cf: L_B };
  const emit = (x: ShiftExpr): void => {
    if (typeof x === "number") c.i32Const(x);
    else if (typeof x === "string") {
      c.localGet(locals[x]);
      // the operand is held zero-extended
      if (x === "vs" && bits < 32) c.op(bits === 8 ? Op.i32_extend8_s : Op.i32_extend16_s);
    } else if ("sel" in x) {
      emit(x.a);
      emit(x.b);
      emit(x.sel);
      c.op(Op.select);
    } else {
      emit(x.a);
      emit(x.b);
      c.op(ops[x.op]);
    }
  };
  emit(code.result);
  if (bits < 32) {
    c.i32Const(bits === 8 ? 0xff : 0xffff);
    c.op(Op.i32_and);
  }
  c.localSet(L_R);
  emit(code.cf);
  c.localSet(L_B);
  emit(code.of);
  c.localSet(L_T);
  // The flags before the write, as shiftOp sets them (the write cannot fault: its pages were checked).
  if (sem.setsSzp) e.cfOfResult(L_B, L_T, false, sz);
  else e.setCfOf(L_B, L_T);
  if (mem) e.write(sz, L_R);
  else e.setR(d.rm, sz, L_R);
  if (k === undefined) c.end();
}

/**
 * DIV and IDIV (muldiv.ts): the quotient and remainder computed here; a zero divisor or a
 * quotient that does not fit leaves the instruction to the interpreter's handler, which
 * raises #DE. Flags are left as they were. sz: the operand size (F6: 8-bit).
 */
function divide(e: Emitter, s: Site, sz: number, signed: boolean): Compiled {
  const c = e.c;
  const d = s.d;
  e.setStart(s.off);
  e.readE(d, s, sz);
  if (signed && sz !== SZ32) c.op(sz === SZ8 ? Op.i32_extend8_s : Op.i32_extend16_s);
  c.localSet(L_B);
  if (sz === SZ32) {
    // n = EDX:EAX, d as 64-bit values
    e.load(REG(2));
    c.op(Op.i64_extend_i32_u);
    c.i64Const(32n);
    c.op(Op.i64_shl);
    e.load(REG(0));
    c.op(Op.i64_extend_i32_u);
    c.op(Op.i64_or);
    c.localSet(L_W);
  } else {
    // n = DX:AX or AX, as an i32 (signed: sign-extended)
    if (sz === SZ16) {
      e.load16(2);
      c.i32Const(16);
      c.op(Op.i32_shl);
      e.load16(0);
      c.op(Op.i32_or);
    } else {
      e.load16(0);
      if (signed) c.op(Op.i32_extend16_s);
    }
    c.localSet(L_A);
  }
  // slow = d == 0 || the quotient does not fit (checked without a trapping division)
  c.localGet(L_B);
  c.op(Op.i32_eqz);
  if (sz === SZ32) {
    if (!signed) {
      // EDX >= d: the quotient has more than 32 bits
      e.load(REG(2));
      c.localGet(L_B);
      c.op(Op.i32_ge_u);
      c.op(Op.i32_or);
    }
  }
  c.if(I32);
  c.i32Const(1);
  c.else();
  if (sz === SZ32 && signed) {
    // n = -2^63 with d = -1 would trap; else q = n / d must fit in 32 bits (L_W is recomputed below)
    c.localGet(L_W);
    c.i64Const(-0x8000000000000000n);
    c.op(Op.i64_eq);
    c.localGet(L_B);
    c.i32Const(-1);
    c.op(Op.i32_eq);
    c.op(Op.i32_and);
    c.if(I32);
    c.i32Const(1);
    c.else();
    c.localGet(L_W);
    c.localGet(L_B);
    c.op(Op.i64_extend_i32_s);
    c.op(Op.i64_div_s);
    c.localTee(L_W);
    c.i64Const(-0x80000000n);
    c.op(Op.i64_lt_s);
    c.localGet(L_W);
    c.i64Const(0x7fffffffn);
    c.op(Op.i64_gt_s);
    c.op(Op.i32_or);
    c.end();
  } else if (sz === SZ32) {
    c.i32Const(0);
  } else {
    // i32 division: n = -2^31, d = -1 would trap (signed 16-bit: excluded as the quotient is too large)
    c.localGet(L_A);
    c.i32Const(0x80000000 | 0);
    c.op(Op.i32_eq);
    c.localGet(L_B);
    c.i32Const(-1);
    c.op(Op.i32_eq);
    c.op(Op.i32_and);
    c.if(I32);
    c.i32Const(1);
    c.else();
    c.localGet(L_A);
    c.localGet(L_B);
    c.op(signed ? Op.i32_div_s : Op.i32_div_u);
    c.localTee(L_R);
    if (signed) {
      const lim = sz === SZ8 ? 0x80 : 0x8000;
      c.i32Const(-lim);
      c.op(Op.i32_lt_s);
      c.localGet(L_R);
      c.i32Const(lim - 1);
      c.op(Op.i32_gt_s);
      c.op(Op.i32_or);
    } else {
      c.i32Const(sz === SZ8 ? 0xff : 0xffff);
      c.op(Op.i32_gt_u);
    }
    c.end();
  }
  c.end();
  c.if();
  interpret(e, s, s.d.offset + s.d.length);
  c.op(Op.i32_eqz);
  c.if();
  e.storeConst(STATE_JIT_EXIT, -1);
  c.localGet(L_M);
  c.i32Const(s.index + 1);
  c.op(Op.i32_add);
  e.ret();
  c.end();
  c.else();
  if (sz === SZ32) {
    // recompute n (L_W may hold the quotient test)
    e.load(REG(2));
    c.op(Op.i64_extend_i32_u);
    c.i64Const(32n);
    c.op(Op.i64_shl);
    e.load(REG(0));
    c.op(Op.i64_extend_i32_u);
    c.op(Op.i64_or);
    c.localSet(L_W);
    const dv = () => {
      c.localGet(L_B);
      c.op(signed ? Op.i64_extend_i32_s : Op.i64_extend_i32_u);
    };
    c.localGet(L_W);
    dv();
    c.op(signed ? Op.i64_rem_s : Op.i64_rem_u);
    c.op(Op.i32_wrap_i64);
    c.localSet(L_A);
    e.store(REG(0), () => {
      c.localGet(L_W);
      dv();
      c.op(signed ? Op.i64_div_s : Op.i64_div_u);
      c.op(Op.i32_wrap_i64);
    });
    e.storeLocal(REG(2), L_A);
  } else {
    // q in r; remainder n - q * d
    c.localGet(L_A);
    c.localGet(L_R);
    c.localGet(L_B);
    c.op(Op.i32_mul);
    c.op(Op.i32_sub);
    c.localSet(L_T);
    if (sz === SZ16) {
      e.store16(0, L_R);
      e.store16(2, L_T);
    } else {
      e.store8(0, L_R);
      e.store8(4, L_T);
    }
  }
  c.end();
  return { ok: true };
}

/**
 * MOVS, CMPS, STOS, LODS, SCAS without a REP prefix (string.ts): SI/ESI and DI/EDI by the
 * address size, the step by DF; memory accessed in the interpreter's order, the index
 * registers advanced after. sz: the operand size of the word forms.
 */
function stringOp(e: Emitter, s: Site, sz: number): Compiled | null {
  const d = s.d,
    c = e.c,
    op = d.opcode;
  if (!((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf))) return null;
  const size = (op & 1) === 0 ? SZ8 : sz,
    n = sizeLen(size);
  const kind = op >> 1; // 0x52 MOVS, 0x53 CMPS, 0x55 STOS, 0x56 LODS, 0x57 SCAS
  const src = kind === 0x52 || kind === 0x53 || kind === 0x56,
    dst = kind !== 0x56;
  const index = (r: number) => (e.a32 ? e.load(REG(r)) : e.load16(r));
  const advance = (r: number) => {
    if (e.a32) {
      e.store(REG(r), () => {
        e.load(REG(r));
        c.localGet(L_X);
        c.op(Op.i32_add);
      });
    } else {
      e.load16(r);
      c.localGet(L_X);
      c.op(Op.i32_add);
      c.localSet(L_T);
      e.store16(r, L_T);
    }
  };
  e.setStart(s.off);
  // step = DF ? -n : n
  c.i32Const(-n);
  c.i32Const(n);
  e.load(STATE_FLAGS);
  c.i32Const(DF);
  c.op(Op.i32_and);
  c.op(Op.select);
  c.localSet(L_X);
  if (src) {
    index(6);
    c.localSet(L_O);
    e.segLinear(d.segment >= 0 ? d.segment : DS, false, n);
    e.read(size);
    c.localSet(L_Y);
  }
  if (kind === 0x52 || kind === 0x55) {
    // MOVS, STOS: [ES:DI] = the source or AL/AX/EAX
    if (kind === 0x55) {
      e.getR(0, size);
      c.localSet(L_Y);
    }
    index(7);
    c.localSet(L_O);
    e.segLinear(ES, true, n);
    e.write(size, L_Y);
  } else if (kind === 0x56) {
    e.setR(0, size, L_Y);
  } else {
    // CMPS: [SI] - [ES:DI]; SCAS: AL/AX/EAX - [ES:DI]
    index(7);
    c.localSet(L_O);
    e.segLinear(ES, false, n);
    e.read(size);
    c.localSet(L_B);
    if (kind === 0x53) c.localGet(L_Y);
    else e.getR(0, size);
    c.localSet(L_A);
    alu(e, s, 7, size);
  }
  if (src) advance(6);
  if (dst) advance(7);
  if (kind === 0x53 || kind === 0x57) {
    keep(e);
    return { ok: true, flags: { kind: LF_SUB, sz: size } };
  }
  return { ok: true };
}

/**
 * Instructions with a 16-bit operand size (16-bit code, or 66h in 32-bit code) whose meaning
 * depends on it: ALU, MOV, LEA, INC/DEC, PUSH/POP, shifts, MOVZX/MOVSX, CALL, RET, LOOP and
 * JCXZ. Returns null for the others (the caller compiles size-independent ones itself).
 */
function specialise16(e: Emitter, s: Site): Compiled | null {
  const d = s.d;
  const c = e.c;
  const op = d.opcode;
  const mem = d.modrm >= 0 && d.mod !== 3;
  const r16 = (r: number) => e.load16(r);
  const set16 = (r: number, local: number) => e.store16(r, local);
  const imm16 = d.imm & 0xffff;
  const storeE = (local: number) => {
    // E (register or memory, the write access checked) = local's low 16 bits
    if (!mem) set16(d.rm, local);
    else {
      e.setStart(s.off);
      e.linear(d, true, 2);
      e.write(SZ16, local);
    }
  };

  // ALU Ev,Gv / Gv,Ev / eAX,Iv
  if (op < 0x40 && (op & 7) < 6 && (op & 1) === 1) {
    const a = op >> 3,
      form = op & 7;
    const write = a !== 7;
    if (form === 5) {
      r16(0);
      c.localSet(L_A);
      c.i32Const(imm16);
      c.localSet(L_B);
      alu(e, s, a, SZ16);
      if (write) set16(0, L_R);
    } else if (form === 1) {
      r16(d.reg);
      c.localSet(L_B);
      aluE(e, s, a, SZ16);
    } else {
      r16(d.reg);
      c.localSet(L_A);
      e.readE(d, s, SZ16);
      c.localSet(L_B);
      alu(e, s, a, SZ16);
      if (write) set16(d.reg, L_R);
    }
    keep(e);
    return { ok: true, flags: aluFlags(a, SZ16) };
  }
  if (op === 0x81 || op === 0x83) {
    c.i32Const(imm16);
    c.localSet(L_B);
    aluE(e, s, d.reg, SZ16);
    keep(e);
    return { ok: true, flags: aluFlags(d.reg, SZ16) };
  }
  if (op === 0x85 || op === 0xa9 || (op === 0xf7 && d.reg === 0)) {
    // TEST Ev,Gv / eAX,Iv / Ev,Iv
    if (op === 0xa9) r16(0);
    else e.readE(d, s, SZ16);
    c.localSet(L_A);
    if (op === 0x85) r16(d.reg);
    else c.i32Const(imm16);
    c.localSet(L_B);
    alu(e, s, TEST, SZ16);
    keep(e);
    return { ok: true, flags: { kind: LF_LOGIC, sz: SZ16 } };
  }
  if (op === 0x8b) {
    e.readE(d, s, SZ16);
    c.localSet(L_A);
    set16(d.reg, L_A);
    return { ok: true };
  }
  if (op === 0x89 || (op === 0xc7 && d.reg === 0)) {
    // MOV Ew, Gw and MOV Ew, Iw
    if (op === 0x89) r16(d.reg);
    else c.i32Const(imm16);
    c.localSet(L_A);
    storeE(L_A);
    return { ok: true };
  }
  if (op >= 0xb8 && op <= 0xbf) {
    c.i32Const(imm16);
    c.localSet(L_A);
    set16(op & 7, L_A);
    return { ok: true };
  }
  if ((op === 0xa1 || op === 0xa3) && !e.a32) {
    // MOV AX, moffs16 / MOV moffs16, AX
    e.setStart(s.off);
    c.i32Const(d.disp & 0xffff);
    c.localSet(L_O);
    e.segLinear(d.segment >= 0 ? d.segment : DS, op === 0xa3, 2);
    if (op === 0xa1) {
      e.read(SZ16);
      c.localSet(L_A);
      set16(0, L_A);
    } else {
      r16(0);
      c.localSet(L_A);
      e.write(SZ16, L_A);
    }
    return { ok: true };
  }
  if (op === 0x8d && mem) {
    // LEA Gw, M: the offset's low 16 bits
    e.offset(d);
    c.localSet(L_A);
    set16(d.reg, L_A);
    return { ok: true };
  }
  if (op === 0x90) return { ok: true }; // XCHG AX, AX
  if (op === 0xf7 && d.reg >= 6) return divide(e, s, SZ16, d.reg === 7);
  if ((op >= 0x40 && op <= 0x4f) || (op === 0xff && (d.reg === 0 || d.reg === 1))) {
    // INC/DEC r16 or Ew: CF stays, the other flags lazy
    const dec = op === 0xff ? d.reg === 1 : op >= 0x48;
    if (op !== 0xff) r16(op & 7);
    else if (mem) {
      e.setStart(s.off);
      e.linear(d, true, 2);
      e.read(SZ16, true);
    } else r16(d.rm);
    c.localSet(L_A);
    incDec(e, INC_DEC[dec ? 1 : 0], s.flags, SZ16);
    if (op !== 0xff) set16(op & 7, L_R);
    else if (mem) e.write(SZ16, L_R);
    else set16(d.rm, L_R);
    c.i32Const(1);
    c.localSet(L_B);
    keep(e);
    return { ok: true, flags: { kind: KIND[INC_DEC[dec ? 1 : 0].kind], sz: SZ16 } };
  }
  if ((op >= 0x50 && op <= 0x57) || op === 0x68 || op === 0x6a || (op === 0xff && d.reg === 6)) {
    // PUSH r16 / imm16 / imm8 (sign-extended) / Ew
    e.setStart(s.off);
    if (op === 0xff) e.readE(d, s, SZ16);
    else if (op >= 0x50 && op <= 0x57) r16(op & 7);
    else c.i32Const(imm16);
    c.localSet(L_A);
    e.pushV(L_A, SZ16);
    return { ok: true };
  }
  if (op >= 0x58 && op <= 0x5f) {
    e.setStart(s.off);
    e.popV(L_A, SZ16);
    set16(op & 7, L_A);
    return { ok: true };
  }
  if (op === 0x1b6 || op === 0x1be) {
    // MOVZX / MOVSX Gw, Eb
    e.readE(d, s, SZ8);
    if (op === 0x1be) c.op(Op.i32_extend8_s);
    c.localSet(L_A);
    set16(d.reg, L_A);
    return { ok: true };
  }
  if (op === 0xc1 || op === 0xd1 || op === 0xd3) {
    // Shifts and rotates (group 2) of a word
    shift(e, s, SZ16);
    return { ok: true };
  }
  if (op === 0xe8) {
    // CALL rel16: IP = (IP + rel) & 0xffff, checked against the CS limit before the push.
    e.setStart(s.off);
    eipTarget(e, s, s.next + (d.imm | 0));
    c.localSet(L_T);
    e.beyondCs(L_T);
    c.op(Op.i32_eqz);
    c.if();
    e.eipAt(s.next);
    c.localSet(L_A);
    e.pushV(L_A, SZ16);
    c.end();
    exitJump(e, s, s.next + (d.imm | 0), 0);
    return { ok: true, ends: true };
  }
  if (op === 0xc3) {
    // RET (16-bit IP) on a 16-bit stack: read, checked against the CS limit, and only then
    // popped; on a 32-bit stack the interpreter's handler.
    e.setStart(s.off);
    e.ss32();
    c.if();
    interpret(e, s, -1);
    c.op(Op.drop);
    e.storeConst(STATE_JIT_EXIT, -1);
    c.localGet(L_M);
    c.i32Const(s.index + 1);
    c.op(Op.i32_add);
    e.ret();
    c.end();
    r16(4);
    c.localSet(L_O);
    e.segLinear(SS, false, 2);
    e.read(SZ16);
    c.localSet(L_T);
    e.beyondCs(L_T);
    c.op(Op.i32_eqz);
    c.if();
    c.localGet(L_O);
    c.i32Const(2);
    c.op(Op.i32_add);
    c.localSet(L_O);
    set16(4, L_O);
    c.end();
    e.storeConst(STATE_JIT_EXIT, EXIT_JUMP);
    e.storeLocal(STATE_JIT_TARGET, L_T);
    c.localGet(L_M);
    c.i32Const(s.index + 1);
    c.op(Op.i32_add);
    e.ret();
    return { ok: true, ends: true };
  }
  if ((op === 0xe2 || op === 0xe3) && !e.a32) {
    // LOOP (CX = CX - 1, jump if not zero) and JCXZ with 16-bit addressing; flags untouched.
    if (op === 0xe2) {
      r16(1);
      c.i32Const(1);
      c.op(Op.i32_sub);
      c.localSet(L_A);
      set16(1, L_A);
    }
    r16(1);
    if (op === 0xe3) c.op(Op.i32_eqz);
    c.if();
    const loops = s.next + (d.imm | 0) === e.blockOff;
    if (loops) loopBack(e, s, 1);
    else exitJump(e, s, s.next + (d.imm | 0), 1);
    c.end();
    return { ok: true, loops };
  }
  return null;
}

/**
 * Calls the interpreter's handler for s's instruction: interp(pip, expected next pip, sliceN or
 * -1) pushes 1 when it fell through to `next` with no event pending. sliceN is published for the
 * instructions the interpreter publishes it for (those outside its switch).
 *
 * The handler may change the flags, and only the state block then has them: inside a
 * construct (where the Emitter's deferred fields stay marked after it) it is called only for
 * instructions that leave the flags alone or whose path leaves the block (or faults).
 */
function interpret(e: Emitter, s: Site, next: number): void {
  const c = e.c;
  c.i32Const(s.d.offset);
  c.i32Const(next);
  if (s.inSwitch) c.i32Const(-1);
  else {
    c.localGet(L_N);
    c.localGet(L_M);
    c.op(Op.i32_add);
    c.i32Const(s.index);
    c.op(Op.i32_add);
  }
  e.callOut(F_INTERP, 0xff);
}

let flagBodyCache: Uint8Array[] | null = null;
/** The bodies of every module's flag functions, in index order: lazyCf, then ZF SF OF PF CF (built once). */
function flagBodies(): Uint8Array[] {
  return (flagBodyCache ??= [lazyCfBody(), ...[ZF, SF, OF, PF, CF].map(flagBody)]);
}

/** The module's internal lazyCf(): CF from the lazy-flag record (CpuState.lazyCF). */
function lazyCfBody(): Uint8Array {
  const c = new WasmCode(256);
  const ld = (i: number) => {
    c.i32Const(0);
    c.mem(Op.i32_load, LF(i), 2);
  };
  const kinds: [number, () => void][] = [
    [LF_ADD, () => (ld(2), ld(0), c.op(Op.i32_lt_u))],
    [LF_ADC, () => (ld(2), ld(0), c.op(Op.i32_le_u))],
    [LF_SUB, () => (ld(0), ld(1), c.op(Op.i32_lt_u))],
    [LF_SBB, () => (ld(0), ld(1), c.op(Op.i32_le_u))],
    [LF_NEG, () => (ld(2), c.i32Const(0), c.op(Op.i32_ne))],
  ];
  for (const [kind, code] of kinds) {
    ld(3);
    c.i32Const(kind);
    c.op(Op.i32_eq);
    c.if();
    code();
    c.op(Op.return);
    c.end();
  }
  c.i32Const(0);
  c.end();
  return c.toBytes();
}

/**
 * The module's flag functions, each () -> 0/1 as CpuState's zf(), sf(), of(), pf() and cf():
 * from the lazy-flag record when the flag is lazy, else from EFLAGS.
 */
function flagBody(flag: number): Uint8Array {
  const c = new WasmCode(256);
  const ld = (off: number) => {
    c.i32Const(0);
    c.mem(Op.i32_load, off, 2);
  };
  /** The sign-bit shift of the record's size: 7, 15 or 31. */
  const shift = () => {
    ld(LF(4));
    c.i32Const(SZ8);
    c.op(Op.i32_eq);
    c.if(I32);
    c.i32Const(7);
    c.else();
    ld(LF(4));
    c.i32Const(SZ16);
    c.op(Op.i32_eq);
    c.if(I32);
    c.i32Const(15);
    c.else();
    c.i32Const(31);
    c.end();
    c.end();
  };
  const bit = { [ZF]: 6, [SF]: 7, [OF]: 11, [PF]: 2, [CF]: 0 }[flag]!;
  ld(STATE_LAZY);
  c.i32Const(flag);
  c.op(Op.i32_and);
  c.if(I32);
  switch (flag) {
    case ZF:
      ld(LF(2));
      c.op(Op.i32_eqz);
      break;
    case SF:
      ld(LF(2));
      shift();
      c.op(Op.i32_shr_u);
      c.i32Const(1);
      c.op(Op.i32_and);
      break;
    case PF:
      // even parity of the low byte
      ld(LF(2));
      c.i32Const(0xff);
      c.op(Op.i32_and);
      c.op(Op.i32_popcnt);
      c.i32Const(1);
      c.op(Op.i32_and);
      c.i32Const(1);
      c.op(Op.i32_xor);
      break;
    case CF:
      c.call(F_LAZYCF);
      break;
    default: {
      // OF by kind: ADD ADC INC ((a^r)&(b^r)), SUB SBB DEC ((a^b)&(a^r)), NEG (b&r), else 0
      const kindIs = (kinds: number[]) => {
        kinds.forEach((k, i) => {
          ld(LF(3));
          c.i32Const(k);
          c.op(Op.i32_eq);
          if (i > 0) c.op(Op.i32_or);
        });
      };
      kindIs([LF_ADD, LF_ADC, LF_INC]);
      c.if(I32);
      ld(LF(0));
      ld(LF(2));
      c.op(Op.i32_xor);
      ld(LF(1));
      ld(LF(2));
      c.op(Op.i32_xor);
      c.op(Op.i32_and);
      c.else();
      kindIs([LF_SUB, LF_SBB, LF_DEC]);
      c.if(I32);
      ld(LF(0));
      ld(LF(1));
      c.op(Op.i32_xor);
      ld(LF(0));
      ld(LF(2));
      c.op(Op.i32_xor);
      c.op(Op.i32_and);
      c.else();
      kindIs([LF_NEG]);
      c.if(I32);
      ld(LF(1));
      ld(LF(2));
      c.op(Op.i32_and);
      c.else();
      c.i32Const(0);
      c.end();
      c.end();
      c.end();
      shift();
      c.op(Op.i32_shr_u);
      c.i32Const(1);
      c.op(Op.i32_and);
    }
  }
  c.else();
  ld(STATE_FLAGS);
  if (bit) {
    c.i32Const(bit);
    c.op(Op.i32_shr_u);
  }
  c.i32Const(1);
  c.op(Op.i32_and);
  c.end();
  c.end();
  return c.toBytes();
}

/** Bounds on a region: blocks, and instructions (the module's size and compile time grow with them). */
export const MAX_REGION_BLOCKS = 32;
export const MAX_REGION_INSNS = 600;

/** A block of a region: where it starts, its instructions (offsets from its start) and bytes. */
export interface RegionBlock {
  pip: number;
  count: number;
  length: number;
  offsets: Int32Array;
}

/** What a region's module holds, known before any code is emitted (transfer() looks blocks up). */
interface RegionPlan {
  /** The lowest physical address a block may start at (the fetch window's start); EIPs are e0 + (pip - base). */
  base: number;
  blocks: RegionBlock[];
  /** Block index by physical address. */
  index: Map<number, number>;
}

export interface WasmRegion {
  /**
   * The module's bytes. It exports run(n, left, e0, tlbR, tlbW, k): runs from block k; e0 is
   * the EIP of the region's base (the EIP of block k less its offset from the base).
   */
  bytes: Uint8Array;
  base: number;
  blocks: RegionBlock[];
  /** Instructions compiled to wasm (the others call the interpreter). */
  specialised: number;
  /** The segment registers (params.ts jitKeyFlat bits) its code assumes flat. */
  flat: number;
  /** Where straight-line code runs on past the region's bounds, or -1. */
  next: number;
}

/** The physical address a direct jump, call or loop instruction goes to, or -1. */
function directTarget(d: DecodedInstruction): number {
  const op = d.opcode;
  const direct =
    op === 0xe8 ||
    op === 0xe9 ||
    op === 0xeb ||
    (op >= 0xe0 && op <= 0xe3) ||
    (isConditional(d) && ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)));
  return direct ? d.offset + d.length + (d.imm | 0) : -1;
}

/** Whether execution can go on at the instruction after d (after a call returns, too). */
function fallsThrough(d: DecodedInstruction): boolean {
  const op = d.opcode;
  if (op === 0xff) return d.reg !== 4 && d.reg !== 5;
  return ![0xe9, 0xeb, 0xea, 0xc2, 0xc3, 0xca, 0xcb, 0xcf].includes(op) && !d.ud;
}

/**
 * Decodes a block from pip: up to an instruction that ends it, MAX_BLOCK_INSNS, the end of the
 * window, or the start of another block of the region (stops).
 */
function decodeBlock(src: ByteSource, pip: number, windowEnd: number, mode32: boolean, stops: Set<number> | null) {
  const insns: DecodedInstruction[] = [];
  let at = pip;
  while (insns.length < MAX_BLOCK_INSNS) {
    if (at !== pip && stops?.has(at)) break;
    const d = decode(src, at, mode32 ? 32 : 16);
    if (d.truncated || at + d.length > windowEnd) break;
    insns.push(d);
    at += d.length;
    if (endsBlock(d)) break;
  }
  return { insns, end: at };
}

/**
 * Plans a region: the entries, then the blocks that the direct jumps, calls and fall-throughs
 * of its blocks reach inside the window [windowStart, windowEnd) and that have run often
 * (warm), breadth first, within the bounds. A block that MAX_BLOCK_INSNS cut runs on into the
 * next whenever it runs, so that one counts as warm too (straight-line code is not compiled one
 * block per threshold). A block ends where another begins (of this region or of another), so
 * each instruction is compiled once. `next`: such a straight-line continuation that the bounds
 * left out (-1 if none), which the caller may heat so that it follows soon.
 */
function planRegion(
  src: ByteSource,
  entries: readonly number[],
  windowStart: number,
  windowEnd: number,
  mode32: boolean,
  warm: (pip: number) => number,
) {
  const starts: number[] = [];
  /** Where blocks end: the region's blocks, and compiled blocks of other regions. */
  const stops = new Set<number>();
  let next = -1;
  let entry = true;
  const add = (p: number, certain: boolean) => {
    if (p < windowStart || p >= windowEnd || stops.has(p)) return;
    const w = entry ? WARM : warm(p);
    if (w === COMPILED) stops.add(p);
    if (w === COMPILED || (w !== WARM && !certain)) return;
    if (starts.length >= MAX_REGION_BLOCKS) {
      if (certain && next < 0) next = p;
      return;
    }
    stops.add(p);
    starts.push(p);
  };
  for (const p of entries) add(p, true);
  entry = false;
  const firstEntries = starts.length;
  let insns = 0;
  for (let i = 0; i < starts.length; i++) {
    const { insns: b, end } = decodeBlock(src, starts[i], windowEnd, mode32, stops);
    insns += b.length;
    if (insns > MAX_REGION_INSNS && i >= firstEntries) {
      // Over the bound: keep the blocks explored so far (and the entries).
      const cut = starts.splice(i);
      for (const p of cut) stops.delete(p);
      if (next < 0) next = cut[0];
      break;
    }
    for (const d of b) {
      const t = directTarget(d);
      if (t >= 0) add(t, false);
    }
    if (b.length > 0 && fallsThrough(b[b.length - 1])) add(end, b.length === MAX_BLOCK_INSNS);
  }
  return { starts, stops, next };
}

/** What a region's planner learns of an address its code reaches (compileWasmRegion's `warm`). */
export const COLD = 0,
  WARM = 1,
  /** A block of another region starts there: the region's code ends there and goes on through the dispatcher. */
  COMPILED = 2;

/**
 * Compiles a region: the blocks at the physical addresses `entries` (the first is the hot one)
 * and those they reach directly inside the fetch window [windowStart, windowEnd), into one
 * module. A jump or fall-through from one of its blocks to another stays in the module's
 * function (a br_table on the block index) instead of returning to the dispatcher. Returns null
 * when not even the first entry's first instruction fits.
 */
export function compileWasmRegion(
  ram: Uint8Array,
  entries: readonly number[],
  windowStart: number,
  windowEnd: number,
  mode32 = true,
  warm: (pip: number) => number = () => WARM,
  flat = 0,
): WasmRegion | null {
  const src: ByteSource = { byte: (o) => (o >= windowStart && o < windowEnd ? ram[o] : -1) };
  const { starts, stops, next } = planRegion(src, entries, windowStart, windowEnd, mode32, warm);
  const decoded = starts.map((p) => decodeBlock(src, p, windowEnd, mode32, stops)).filter((b) => b.insns.length > 0);
  if (decoded.length === 0 || decoded[0].insns[0].offset !== entries[0]) return null;
  // In address order: a jump forward to a block of the region is a branch to its label (transfer).
  decoded.sort((a, b) => a.insns[0].offset - b.insns[0].offset);
  const plan: RegionPlan = { base: windowStart, blocks: [], index: new Map() };
  for (const { insns, end } of decoded) {
    const pip = insns[0].offset;
    plan.index.set(pip, plan.blocks.length);
    plan.blocks.push({
      pip,
      count: insns.length,
      length: end - pip,
      offsets: Int32Array.from(insns, (d) => d.offset - pip),
    });
  }

  const e = new Emitter(plan);
  e.mode32 = mode32;
  e.flat = flat;
  const c = e.c;
  const base = mode32 ? 512 : 0; // the interpreter's dispatch index base for the code size
  const K = decoded.length;
  // run(): m = 0; events = 0; loop { dispatch on the entry to block k's code }; block k's code is
  // loop { block { body } }: every path returns, loops to its start or transfers to another block.
  c.i32Const(0);
  c.localSet(L_M);
  e.storeConst(STATE_JIT_EVENTS, 0);
  c.loop(VOID);
  for (let k = 0; k < K; k++) c.block(VOID);
  c.localGet(L_ENTRY);
  c.brTable(
    Array.from({ length: K }, (_, k) => k),
    K - 1,
  );
  let specialised = 0;
  for (let k = 0; k < K; k++) {
    c.end(); // block k's label: its code follows
    const { insns, end: at } = decoded[k];
    const blk = plan.blocks[k];
    e.count = blk.count;
    e.p0 = blk.pip;
    e.blockOff = blk.pip - plan.base;
    e.index = k;
    e.outer = K - 1 - k;
    c.loop(VOID);
    c.block(VOID);
    e.startBlock();
    let flags: FlagSource | undefined;
    let ended = false;
    for (let i = 0; i < insns.length; i++) {
      const d = insns[i];
      e.a32 = mode32 !== d.addressSizePrefix;
      const site: Site = {
        d,
        o32: mode32 !== d.operandSizePrefix,
        inSwitch: IN_SWITCH.has(ram[d.offset] | base),
        off: d.offset - plan.base,
        next: d.offset + d.length - plan.base,
        index: i,
        flags,
        dead: flagsDead(insns, i),
      };
      const r = specialise(e, site);
      if (r.ok) {
        specialised++;
        flags = r.flags ?? (isConditional(d) || preservesFlags(d) ? flags : undefined);
        if (r.ends) {
          if (!r.loops) {
            c.localGet(L_M);
            c.i32Const(i + 1);
            c.op(Op.i32_add);
            e.ret();
          }
          ended = true;
          break;
        }
      } else {
        flags = undefined;
        e.setStart(site.off);
        interpret(e, site, d.offset + d.length);
        c.op(Op.i32_eqz);
        c.if();
        e.storeConst(STATE_JIT_EXIT, -1); // the interpreter moved the fetch pointer itself
        c.localGet(L_M);
        c.i32Const(i + 1);
        c.op(Op.i32_add);
        e.ret();
        c.end();
      }
    }
    if (!ended) {
      // After a segment register load the dispatcher decides: the segment may no longer be flat.
      if (!loadsSegment(insns[insns.length - 1])) transfer(e, at, insns.length, 0);
      exitPip(e, at);
      c.localGet(L_M);
      c.i32Const(insns.length);
      c.op(Op.i32_add);
      e.ret();
    }
    c.end(); // block
    c.end(); // the block's loop
    c.op(Op.unreachable); // every path returned or branched
  }
  c.end(); // the region loop
  c.i32Const(0); // not reached
  c.end();

  const m = new WasmModule();
  const pages = 1; // the declared minimum; the memory given at instantiation is the VM's
  m.importMemory("c", "mem", pages, 65536, true);
  const tI_I = m.type([I32], [I32]);
  const tII_V = m.type([I32, I32], []);
  const tIIII_V = m.type([I32, I32, I32, I32], []);
  const tIII_I = m.type([I32, I32, I32], [I32]);
  const tI_V = m.type([I32], []);
  const t_I = m.type([], [I32]);
  m.importFunc("c", "rd32", tI_I);
  m.importFunc("c", "wr32", tII_V);
  m.importFunc("c", "segCheck", tIIII_V);
  m.importFunc("c", "interp", tIII_I);
  m.importFunc("c", "push32", tI_V);
  m.importFunc("c", "pop32", t_I);
  m.importFunc("c", "rd8", tI_I);
  m.importFunc("c", "wr8", tII_V);
  m.importFunc("c", "rd16", tI_I);
  m.importFunc("c", "wr16", tII_V);
  m.importFunc("c", "rdw", m.type([I32, I32], [I32]));
  for (const body of flagBodies()) m.func(t_I, [], body);
  const prologue = e.prologue(),
    body = c.toBytes();
  const code = new Uint8Array(prologue.length + body.length);
  code.set(prologue);
  code.set(body, prologue.length);
  const run = m.func(
    m.type([I32, I32, I32, I32, I32, I32], [I32]),
    [
      [EXTRA_LOCALS, I32],
      [1, I64],
      [8, I32],
      [2, I32],
      [DEFERRED.length, I32],
    ],
    code,
  );
  m.exportFunc("run", run);
  return { bytes: m.bytes(), base: plan.base, blocks: plan.blocks, specialised, flat: e.flatUsed, next };
}
