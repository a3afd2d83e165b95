// The runtime side of the WebAssembly blocks (wasm-block.ts): instantiates a block's module on
// the VM memory with the imports it calls, and runs blocks for the run loop.
//
// Blocks chain inside WebAssembly: every compiled block's function sits in one table at its
// cache slot, and the block directory in the VM memory (memory/layout.ts JIT_DIR_*) says which
// physical address each slot holds. The run loop enters the dispatcher (`enter`, a small module
// of its own); after each block the dispatcher follows the block's exit to the next compiled
// block while the target lies in the current fetch window, no event is pending, and the slice
// budget allows the whole block: the same conditions under which the run loop would run that
// block itself, so chaining changes no instruction count. Everything else returns to JS.
//
// EFLAGS and the lazy mask are CPU object fields: the wrapper mirrors them into the state block
// for the block and back; each import takes them from the state block before running JS code
// (which may read them, or fault and push them) and writes them back after, together with a
// note that an event is pending (STATE_JIT_EVENTS), which ends a looping block.

import type { Cpu } from "../cpu.ts";
import { wasmApi } from "../wasm/api.ts";
import { jumpTo } from "../hot.generated.ts";
import {
  JIT_DIR_BASE,
  JIT_DIR_COUNT,
  JIT_DIR_END,
  JIT_DIR_ENTRY,
  JIT_DIR_KEY,
  JIT_DIR_PIP,
  JIT_DIR_SLOTS,
  STATE_FLAGS,
  STATE_JIT_CHAIN,
  STATE_JIT_DELTA,
  STATE_JIT_KEY,
  STATE_SEG_BASE,
  STATE_SEG_LIMIT,
  STATE_JIT_SLOT,
  STATE_PIP_DELTA,
  STATE_PIP_END,
  STATE_PIP_START,
  STATE_JIT_DONE,
  STATE_JIT_EVENTS,
  STATE_JIT_EXIT,
  STATE_JIT_TARGET,
  STATE_LAZY,
} from "../../memory/layout.ts";
import { EXIT_JUMP, EXIT_PIP, type WasmRegion } from "./wasm-block.ts";
import type { Block, BlockFn } from "./jit.ts";
import { I32, Op, WasmCode, WasmModule } from "../wasm/encoder.ts";
import type { WasmTable } from "../wasm/api.ts";
import { JIT_MASK, JIT_SLOTS } from "./params.ts";
import { CS } from "../regs.ts";

const F = STATE_FLAGS >> 2,
  L = STATE_LAZY >> 2,
  EV = STATE_JIT_EVENTS >> 2,
  DONE = STATE_JIT_DONE >> 2,
  EXIT = STATE_JIT_EXIT >> 2,
  TARGET = STATE_JIT_TARGET >> 2,
  SLOT = STATE_JIT_SLOT >> 2,
  CHAIN = STATE_JIT_CHAIN >> 2,
  PSTART = STATE_PIP_START >> 2,
  PEND = STATE_PIP_END >> 2,
  JDELTA = STATE_JIT_DELTA >> 2,
  KEY = STATE_JIT_KEY >> 2;

/** A region's function: run(n, left, e0 of the region's base, tlbR, tlbW, block index) (wasm-block.ts). */
export type RunFn = (n: number, left: number, e0: number, tlbR: number, tlbW: number, entry: number) => number;
type EnterFn = (slot: number, n: number, left: number, tlbR: number, tlbW: number) => number;

/**
 * The dispatcher module: enter(slot, n, left, tlbR, tlbW) -> instructions retired. Runs the
 * block in `slot`, then each block its exit leads to (see the comment at the top).
 */
function dispatcherBytes(): Uint8Array {
  const P_SLOT = 0,
    P_N = 1,
    P_LEFT = 2,
    P_TLBR = 3,
    P_TLBW = 4,
    L_TOTAL = 5,
    L_DELTA = 6,
    L_PIP = 7,
    L_EIP = 8,
    L_DIR = 9,
    L_START = 10,
    L_END = 11,
    L_LIN = 12,
    L_T = 13,
    L_MOVED = 14;
  const m = new WasmModule();
  m.importMemory("c", "mem", 1, 65536, true);
  m.importTable("c", "blocks", JIT_SLOTS);
  const tRun = m.type([I32, I32, I32, I32, I32], [I32]);
  const tBlock = m.type([I32, I32, I32, I32, I32, I32], [I32]);
  const c = new WasmCode(1024);
  const st = (off: number) => {
    c.i32Const(0);
    c.mem(Op.i32_load, off, 2);
  };
  const stSet = (off: number, local: number) => {
    c.i32Const(0);
    c.localGet(local);
    c.mem(Op.i32_store, off, 2);
  };
  const leaveIf = () => {
    c.if();
    c.localGet(L_TOTAL);
    c.op(Op.return);
    c.end();
  };
  /** Pushes the unsigned minimum of two locals. */
  const minU = (a: () => void, b: () => void) => {
    a();
    b();
    a();
    b();
    c.op(Op.i32_lt_u);
    c.op(Op.select);
  };
  st(STATE_JIT_DELTA);
  c.localSet(L_DELTA);
  st(STATE_PIP_START);
  c.localSet(L_START);
  st(STATE_PIP_END);
  c.localSet(L_END);
  c.loop();
  {
    stSet(STATE_JIT_SLOT, P_SLOT);
    stSet(STATE_JIT_CHAIN, L_TOTAL);
    c.i32Const(0);
    c.i32Const(0);
    c.mem(Op.i32_store, STATE_JIT_DONE, 2);
    // total += run(n + total, left - total, pip - delta - offset in region, tlbR, tlbW, index in region)
    c.localGet(P_SLOT);
    c.i32Const(Math.log2(JIT_DIR_ENTRY));
    c.op(Op.i32_shl);
    c.mem(Op.i32_load, JIT_DIR_BASE + JIT_DIR_KEY, 2);
    c.localSet(L_T);
    c.localGet(P_N);
    c.localGet(L_TOTAL);
    c.op(Op.i32_add);
    c.localGet(P_LEFT);
    c.localGet(L_TOTAL);
    c.op(Op.i32_sub);
    c.localGet(P_SLOT);
    c.i32Const(Math.log2(JIT_DIR_ENTRY));
    c.op(Op.i32_shl);
    c.mem(Op.i32_load, JIT_DIR_BASE + JIT_DIR_PIP, 2);
    c.localGet(L_DELTA);
    c.op(Op.i32_sub);
    c.localGet(L_T);
    c.i32Const(16);
    c.op(Op.i32_shr_u);
    c.op(Op.i32_sub);
    c.localGet(P_TLBR);
    c.localGet(P_TLBW);
    c.localGet(L_T);
    c.i32Const(10);
    c.op(Op.i32_shr_u);
    c.i32Const(63);
    c.op(Op.i32_and);
    c.localGet(P_SLOT);
    c.callIndirect(tBlock);
    c.localGet(L_TOTAL);
    c.op(Op.i32_add);
    c.localSet(L_TOTAL);
    // An event (or a call out that moved the window) ends the chain.
    st(STATE_JIT_EVENTS);
    leaveIf();
    // Where it goes: a fall-through's physical address, or a jump's EIP.
    st(STATE_JIT_EXIT);
    c.localTee(L_T);
    c.i32Const(EXIT_PIP);
    c.op(Op.i32_eq);
    c.if();
    st(STATE_JIT_TARGET);
    c.localTee(L_PIP);
    c.localGet(L_DELTA);
    c.op(Op.i32_sub);
    c.localSet(L_EIP);
    c.else();
    c.localGet(L_T);
    c.i32Const(EXIT_JUMP);
    c.op(Op.i32_ne);
    leaveIf(); // the interpreter moved the fetch pointer itself
    st(STATE_JIT_TARGET);
    c.localTee(L_EIP);
    c.localGet(L_DELTA);
    c.op(Op.i32_add);
    c.localSet(L_PIP);
    c.end();
    // Outside the window: open the target's window as the fetcher would (access.ts
    // fetch8Slow) when the EIP is within the CS limit and the read TLB maps its page; the
    // window moves only if a compiled block is found there.
    c.localGet(L_PIP);
    c.localGet(L_START);
    c.op(Op.i32_lt_u);
    c.localGet(L_PIP);
    c.localGet(L_END);
    c.op(Op.i32_ge_u);
    c.op(Op.i32_or);
    c.if();
    {
      c.localGet(L_EIP);
      st(STATE_SEG_LIMIT + 4 * CS);
      c.op(Op.i32_gt_u);
      leaveIf();
      st(STATE_SEG_BASE + 4 * CS);
      c.localGet(L_EIP);
      c.op(Op.i32_add);
      c.localTee(L_LIN);
      c.i32Const(12);
      c.op(Op.i32_shr_u);
      c.i32Const(2);
      c.op(Op.i32_shl);
      c.localGet(P_TLBR);
      c.op(Op.i32_add);
      c.mem(Op.i32_load, 0, 2);
      c.i32Const(-1); // the tables hold the entry's complement (cpu/access.ts): -1 is none
      c.op(Op.i32_xor);
      c.localTee(L_T);
      c.i32Const(-1);
      c.op(Op.i32_eq);
      leaveIf();
      c.localGet(L_LIN);
      c.localGet(L_T);
      c.op(Op.i32_xor);
      c.localSet(L_PIP);
      // start = pip - min(lin & 0xfff, eip); end = pip + min(0xfff - (lin & 0xfff), limit - eip) + 1
      c.localGet(L_PIP);
      minU(
        () => {
          c.localGet(L_LIN);
          c.i32Const(0xfff);
          c.op(Op.i32_and);
        },
        () => c.localGet(L_EIP),
      );
      c.op(Op.i32_sub);
      c.localSet(L_START);
      c.localGet(L_PIP);
      minU(
        () => {
          c.i32Const(0xfff);
          c.localGet(L_LIN);
          c.i32Const(0xfff);
          c.op(Op.i32_and);
          c.op(Op.i32_sub);
        },
        () => {
          st(STATE_SEG_LIMIT + 4 * CS);
          c.localGet(L_EIP);
          c.op(Op.i32_sub);
        },
      );
      c.op(Op.i32_add);
      c.i32Const(1);
      c.op(Op.i32_add);
      c.localSet(L_END);
      c.localGet(L_PIP);
      c.localGet(L_EIP);
      c.op(Op.i32_sub);
      c.localSet(L_DELTA);
      c.i32Const(1);
      c.localSet(L_MOVED);
    }
    c.end();
    c.localGet(L_PIP);
    c.i32Const(JIT_MASK);
    c.op(Op.i32_and);
    c.localTee(P_SLOT);
    c.i32Const(Math.log2(JIT_DIR_ENTRY));
    c.op(Op.i32_shl);
    c.i32Const(JIT_DIR_BASE);
    c.op(Op.i32_add);
    c.localSet(L_DIR);
    // A compiled block starts there, ends inside the window, fits the budget, and needs nothing the
    // JIT key (params.ts JIT_KEY_*) does not give: its code size, the flat segments it assumes.
    c.localGet(L_DIR);
    c.mem(Op.i32_load, JIT_DIR_PIP, 2);
    c.localGet(L_PIP);
    c.op(Op.i32_ne);
    c.localGet(L_DIR);
    c.mem(Op.i32_load, JIT_DIR_END, 2);
    c.localGet(L_END);
    c.op(Op.i32_gt_u);
    c.op(Op.i32_or);
    c.localGet(L_DIR);
    c.mem(Op.i32_load, JIT_DIR_COUNT, 2);
    c.localGet(P_LEFT);
    c.localGet(L_TOTAL);
    c.op(Op.i32_sub);
    c.op(Op.i32_gt_s);
    c.op(Op.i32_or);
    c.localGet(L_DIR);
    c.mem(Op.i32_load, JIT_DIR_KEY, 2);
    c.i32Const(0x3ff);
    c.op(Op.i32_and);
    st(STATE_JIT_KEY);
    c.i32Const(-1);
    c.op(Op.i32_xor);
    c.op(Op.i32_and);
    c.op(Op.i32_or);
    leaveIf();
    // Chain: commit the window if it moved.
    c.localGet(L_MOVED);
    c.if();
    stSet(STATE_PIP_START, L_START);
    stSet(STATE_PIP_END, L_END);
    stSet(STATE_PIP_DELTA, L_DELTA);
    stSet(STATE_JIT_DELTA, L_DELTA);
    c.i32Const(0);
    c.localSet(L_MOVED);
    c.end();
    c.br(0);
  }
  c.end();
  c.op(Op.unreachable);
  c.end();
  const enter = m.func(tRun, [[10, I32]], c.toBytes());
  m.exportFunc("enter", enter);
  return m.bytes();
}

/** Per CPU: the imports every block module shares, and the instantiation of blocks. */
export class WasmBlocks {
  private readonly st: Int32Array;
  /** The block directory (JIT_DIR_*), as int32s. */
  private readonly dir: Int32Array;
  private readonly table: WasmTable;
  private readonly enterFn: EnterFn;
  /** The Block in each slot of the table, kept after invalidation while a chain may still run it. */
  private readonly slots: (Block | null)[] = new Array<Block | null>(JIT_SLOTS).fill(null);
  private readonly imports: Record<string, Record<string, unknown>>;
  /** Modules made, and their bytes (for --stats). */
  modules = 0;
  moduleBytes = 0;

  constructor(c: Cpu) {
    this.st = new Int32Array(c.stateBuf, 0, 0x1000 >> 2);
    const st = this.st;
    this.dir = new Int32Array(c.mem.vm.buffer, JIT_DIR_BASE, (JIT_DIR_SLOTS * JIT_DIR_ENTRY) >> 2);
    this.clear();
    const wasm = wasmApi!;
    this.table = new wasm.Table({ element: "anyfunc", initial: JIT_SLOTS });
    const hub = new wasm.Instance(new wasm.Module(dispatcherBytes()), {
      c: { mem: c.mem.vm.memory, blocks: this.table },
    });
    this.enterFn = hub.exports.enter as EnterFn;
    // Calls out: the CPU object takes EFLAGS, the lazy mask and the fetch window (which the
    // dispatcher may have moved) from the state block first, and gives them back after. An
    // event, or a window the call moved (a TLB flush, a far jump), ends the chain.
    const sync = () => {
      c.flags = st[F];
      c.lazy = st[L];
      c.pipStart = st[PSTART];
      c.pipEnd = st[PEND];
    };
    const back = () => {
      st[F] = c.flags;
      st[L] = c.lazy;
      if (c.pipEnd !== st[PEND] || c.pipStart !== st[PSTART]) {
        st[PSTART] = c.pipStart;
        st[PEND] = c.pipEnd;
        st[EV] = 1;
      }
      if (!c.jitQuiet() || !c.jitActive) st[EV] = 1;
    };
    this.imports = {
      c: {
        mem: c.mem.vm.memory,
        rd32: (lin: number) => {
          sync();
          const v = c.rd32(lin);
          back();
          return v;
        },
        wr32: (lin: number, v: number) => {
          sync();
          c.wr32(lin, v);
          back();
        },
        segCheck: (s: number, off: number, len: number, write: number) => {
          sync();
          c.segCheck(s, off, len, write !== 0);
        },
        interp: (pip: number, next: number, sliceN: number) => {
          sync();
          const d = st[JDELTA];
          c.setEip((pip - d) | 0);
          if (sliceN >= 0) c.sliceN = sliceN;
          c.ops[c.fetch8() | c.defOsizeBase](c);
          back();
          return c.getEip() === ((next - d) | 0) && c.jitQuiet() ? 1 : 0;
        },
        push32: (v: number) => {
          sync();
          c.push32(v);
          back();
        },
        pop32: () => {
          sync();
          const v = c.pop32();
          back();
          return v;
        },
        rd8: (lin: number) => {
          sync();
          const v = c.rd8(lin);
          back();
          return v;
        },
        wr8: (lin: number, v: number) => {
          sync();
          c.wr8(lin, v);
          back();
        },
        rdw: (lin: number, len: number) => {
          // An operand read, then written (wasm-block.ts read with rmw): its pages checked for writing first.
          sync();
          c.writable(lin, len);
          const v = len === 4 ? c.rd32(lin) : len === 2 ? c.rd16(lin) : c.rd8(lin);
          back();
          return v;
        },
        rd16: (lin: number) => {
          sync();
          const v = c.rd16(lin);
          back();
          return v;
        },
        wr16: (lin: number, v: number) => {
          sync();
          c.wr16(lin, v);
          back();
        },
      },
    };
  }

  /** Instantiates a compiled region's module: its function, for `register`. */
  instantiate(r: WasmRegion): RunFn {
    return this.runs(r, new wasmApi!.Module(r.bytes));
  }

  /** The same, compiling the module off the calling thread (WebAssembly.compile). */
  async instantiateAsync(r: WasmRegion): Promise<RunFn> {
    return this.runs(r, await wasmApi!.compile(r.bytes));
  }

  private runs(r: WasmRegion, module: object): RunFn {
    this.modules++;
    this.moduleBytes += r.bytes.length;
    return new wasmApi!.Instance(module, this.imports).exports.run as RunFn;
  }

  /**
   * Puts a compiled block into its cache slot, where the dispatcher finds it: run, its region's
   * function; index, its index in the region; offset, its distance from the region's base.
   */
  register(slot: number, block: Block, run: RunFn, index: number, offset: number): void {
    this.table.set(slot, run);
    this.slots[slot] = block;
    const d = (slot * JIT_DIR_ENTRY) >> 2;
    this.dir[d + (JIT_DIR_PIP >> 2)] = block.pip;
    this.dir[d + (JIT_DIR_END >> 2)] = block.pip + block.bytes;
    this.dir[d + (JIT_DIR_COUNT >> 2)] = block.count;
    this.dir[d + (JIT_DIR_KEY >> 2)] = block.key | (index << 10) | (offset << 16);
  }

  /** Takes the block out of the dispatcher's reach; a chain running now ends after its current block. */
  drop(slot: number): void {
    this.dir[((slot * JIT_DIR_ENTRY) >> 2) + (JIT_DIR_PIP >> 2)] = -1;
    this.st[EV] = 1;
  }

  /** Empties the directory. */
  clear(): void {
    for (let i = 0; i < this.dir.length; i += JIT_DIR_ENTRY >> 2) this.dir[i + (JIT_DIR_PIP >> 2)] = -1;
  }

  /**
   * Runs the block at the current fetch pointer and the blocks it chains to (the run loop has
   * checked that the first one may run). The BlockFn of every WebAssembly block.
   */
  readonly run: BlockFn = (c: Cpu, n: number, left: number): number => {
    const st = this.st;
    st[F] = c.flags;
    st[L] = c.lazy;
    st[PSTART] = c.pipStart;
    st[PEND] = c.pipEnd;
    st[JDELTA] = c.pipDelta[0];
    st[KEY] = c.jitKey;
    let r: number;
    try {
      r = this.enterFn(c.pip & JIT_MASK, n, left, c.tlbR.byteOffset, c.tlbW.byteOffset);
    } catch (e) {
      // Only a call out throws (a guest fault), and it took the window over first (sync).
      this.locate(c);
      throw e;
    }
    c.flags = st[F];
    c.lazy = st[L];
    c.pipStart = st[PSTART];
    c.pipEnd = st[PEND];
    const exit = st[EXIT];
    if (exit === EXIT_PIP) c.setEip((st[TARGET] - st[JDELTA]) | 0);
    else if (exit === EXIT_JUMP) {
      this.locate(c);
      jumpTo(c, st[TARGET]);
    }
    return r;
  };

  /** Tells the run loop which block of the chain ran last and what retired before it (for a fault there). */
  private locate(c: Cpu): void {
    const b = this.slots[this.st[SLOT]]!;
    c.jitBlock = b;
    c.jitEip0 = (b.pip - this.st[JDELTA]) | 0;
    c.jitDone = this.st[DONE] + this.st[CHAIN];
  }
}
