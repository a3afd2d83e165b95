// The JIT: compiles hot basic blocks of 32-bit code to JavaScript functions (compile.ts) and
// keeps them in a direct-mapped cache indexed by the physical address of their first byte.
//
// The run loop (hot.generated.ts) looks a block up at each instruction boundary while the CPU
// runs 32-bit code with no event pending. A miss counts the address's heat; at `threshold`
// the block is compiled. A hit runs the block when it lies inside the current fetch window
// (same page, within the CS limit) and fits the instruction budget, so slices end exactly where
// the interpreter would end them.
//
// Self-modifying code and code pages reused for data: a page that holds compiled code is
// marked in PhysicalMemory.codePages and loses its write translations; a write to it through
// any path drops the blocks it overlaps (codeWritten). A page whose code keeps being rewritten
// is left to the interpreter.

import type { Cpu } from "../cpu.ts";
import { shiftOp } from "../ops/shift.ts";
import { imul1, imul2, mul } from "../ops/muldiv.ts";
import { neg } from "../ops/alu.ts";
import { checkTarget, jumpTo } from "../hot.generated.ts";
import { compileBlock } from "./compile.ts";
import { compileWasmBlock } from "./wasm-block.ts";
import { WasmBlocks, type RunFn } from "./wasm-jit.ts";
import { wasmApi } from "../wasm/api.ts";
import { JIT_MASK, JIT_SLOTS, JIT_THRESHOLD, WASM_JIT_THRESHOLD } from "./params.ts";

/** Invalidations after which a page's code is no longer compiled. */
const MAX_PAGE_INVALIDATIONS = 32;

/** Runs a block; n: instructions retired so far in the slice, left: how many more the slice allows. */
export type BlockFn = (c: Cpu, n: number, left: number) => number;

/** What compiled code may call besides the CPU's own methods. */
const HELPERS = { shiftOp, imul1, imul2, mul, neg, checkTarget, jumpTo };

export class Block {
  constructor(
    readonly pip: number,
    readonly count: number,
    /** Bytes of code; a block that cannot run has a length no window holds. */
    readonly bytes: number,
    readonly fn: BlockFn,
    private readonly offsets: Int32Array,
    /** The code size it was compiled for, as Cpu.defOsizeBase (512: 32-bit, 0: 16-bit). */
    readonly osize = 512,
    /** Bytes of guest code it was compiled from (also for blocks that cannot run, or not yet). */
    readonly span = bytes,
  ) {}

  /** Instructions of this block that start before byte offset off (those retired before a fault there). */
  before(off: number): number {
    let i = 0;
    while (i < this.count && this.offsets[i] < off) i++;
    return i;
  }
}

const NEVER = 0x7fffffff;

/** The 128-byte chunks of a page that bytes [offset, offset + len) touch, as a bit mask. */
function chunksOf(offset: number, len: number): number {
  const first = offset >>> 7,
    last = Math.min(4095, offset + Math.max(len, 1) - 1) >>> 7;
  return last === 31 && first === 0 ? -1 : (((1 << (last - first + 1)) - 1) << first) | 0;
}
const noBlock: BlockFn = () => 0;

export interface JitStats {
  compiled: number;
  specialised: number;
  instructions: number;
  invalidations: number;
}

export class Jit {
  readonly blocks: (Block | null)[] = new Array<Block | null>(JIT_SLOTS).fill(null);
  readonly heat = new Uint32Array(JIT_SLOTS);
  /**
   * What blocks compile to: WebAssembly modules (wasm-block.ts), or JavaScript functions
   * (compile.ts) where the engine has no WebAssembly. Setting it resets the threshold to the
   * backend's default.
   */
  private kind: "js" | "wasm" = wasmApi !== null ? "wasm" : "js";
  /** Heat at which a block is compiled (params.ts); tests lower it. Read when a slice starts. */
  threshold = this.kind === "wasm" ? WASM_JIT_THRESHOLD : JIT_THRESHOLD;
  /**
   * How WebAssembly modules are compiled: "sync" (new WebAssembly.Module, the block runs at
   * once) or "async" (WebAssembly.compile on the engine's compile threads while the
   * interpreter runs on; the block is used from the first slice after the module is ready).
   * Async needs a host that returns to its event loop between slices (the worker, the CLI's
   * session); a loop that never yields would never see its blocks, so sync is the default.
   */
  compileMode: "sync" | "async" = "sync";
  /** Blocks whose modules are being compiled (async). */
  pending = 0;
  private wasmBlocks: WasmBlocks | null = null;
  /** Cache slots that hold (or held) blocks of each physical page. */
  private readonly pageSlots = new Map<number, number[]>();
  private readonly invalidations: Uint8Array;
  /** Per RAM page, which 128-byte chunks hold compiled code (bit i: bytes 128i to 128i+127). */
  private readonly codeChunks: Uint32Array;
  readonly stats: JitStats = { compiled: 0, specialised: 0, instructions: 0, invalidations: 0 };

  constructor(private readonly cpu: Cpu) {
    this.invalidations = new Uint8Array(cpu.mem.codePages.length);
    this.codeChunks = new Uint32Array(cpu.mem.codePages.length);
    cpu.mem.onCodeWrite = (ppn, offset, len) => this.codeWritten(ppn, offset, len);
  }

  get backend(): "js" | "wasm" {
    return this.kind;
  }
  set backend(kind: "js" | "wasm") {
    if (kind === "wasm" && wasmApi === null) throw new Error("this JavaScript engine has no WebAssembly");
    if (kind !== this.kind) this.flush();
    this.kind = kind;
    this.threshold = kind === "wasm" ? WASM_JIT_THRESHOLD : JIT_THRESHOLD;
    this.cpu.updateJitActive();
  }

  /** Compiles the block at physical address pip (inside the current fetch window) into slot. */
  compile(slot: number, pip: number): void {
    const c = this.cpu;
    const ppn = pip >>> 12;
    let block: Block;
    const osize = c.defOsizeBase;
    const allowed = ppn < this.invalidations.length && this.invalidations[ppn] < MAX_PAGE_INVALIDATIONS;
    if (allowed && this.kind === "wasm") {
      const w = compileWasmBlock(c.ram, pip, c.pipEnd, osize !== 0);
      const wb = (this.wasmBlocks ??= new WasmBlocks(c));
      if (w === null) {
        block = new Block(pip, 0, NEVER, noBlock, new Int32Array(0), osize, 0);
        wb.drop(slot);
      } else if (this.compileMode === "async") {
        // The slot holds a placeholder that never runs (and stops the heat count) until the
        // module is ready; a write to the page or a flush replaces it, and the module is dropped.
        const placeholder = new Block(pip, 0, NEVER, noBlock, new Int32Array(0), osize, w.length);
        block = placeholder;
        // Its later instructions are as hot as its first: keep them from compiling as blocks of
        // their own while the interpreter runs them.
        for (let i = 1; i < w.count; i++) this.heat[(pip + w.offsets[i]) & JIT_MASK] = 0;
        wb.drop(slot);
        this.pending++;
        const ready = (run: RunFn | null) => {
          this.pending--;
          if (this.blocks[slot] !== placeholder || run === null) return;
          const b = new Block(pip, w.count, w.length, wb.run, w.offsets, osize);
          this.blocks[slot] = b;
          wb.register(slot, b, run);
          this.count1(w.count, w.specialised);
        };
        wb.instantiateAsync(w).then(ready, () => ready(null));
      } else {
        block = new Block(pip, w.count, w.length, wb.run, w.offsets, osize);
        wb.register(slot, block, wb.instantiate(w));
        this.count1(w.count, w.specialised);
      }
    } else {
      this.wasmBlocks?.drop(slot);
      // The JavaScript blocks are 32-bit code only.
      const compiled = allowed && osize !== 0 ? compileBlock(c.ram, pip, c.pipEnd) : null;
      if (compiled === null) {
        block = new Block(pip, 0, NEVER, noBlock, new Int32Array(0), osize, 0);
      } else {
        const fn = new Function("H", compiled.source)(HELPERS) as BlockFn;
        block = new Block(pip, compiled.count, compiled.bytes, fn, compiled.offsets);
        this.count1(compiled.count, compiled.specialised);
      }
    }
    this.blocks[slot] = block;
    // A block that will never run (nothing decodable, or a page given up on) protects nothing.
    if (block.span === 0) return;
    let slots = this.pageSlots.get(ppn);
    if (slots === undefined) {
      slots = [];
      this.pageSlots.set(ppn, slots);
    }
    if (!slots.includes(slot)) slots.push(slot);
    if (ppn < c.mem.codePages.length) {
      this.codeChunks[ppn] |= chunksOf(pip & 0xfff, block.span);
      if (c.mem.codePages[ppn] === 0) {
        c.mem.codePages[ppn] = 1;
        c.protectCodePage(ppn);
      }
    }
  }

  /**
   * Bytes [offset, offset + len) of page ppn are being written: drops the blocks they overlap.
   * The page stays write-protected (writes take the slow path) while it holds other blocks.
   */
  codeWritten(ppn: number, offset: number, len: number): void {
    if ((this.codeChunks[ppn] & chunksOf(offset, len)) === 0 && this.pageSlots.has(ppn)) return;
    const slots = this.pageSlots.get(ppn);
    const lo = ppn * 4096 + offset,
      hi = lo + len;
    let dropped = false,
      chunks = 0;
    const kept: number[] = [];
    for (const s of slots ?? []) {
      const b = this.blocks[s];
      if (b === null || b.pip >>> 12 !== ppn) continue;
      if (b.pip < hi && b.pip + b.span > lo) {
        this.blocks[s] = null;
        this.wasmBlocks?.drop(s);
        dropped = true;
      } else {
        kept.push(s);
        chunks |= chunksOf(b.pip & 0xfff, b.span);
      }
    }
    this.codeChunks[ppn] = chunks;
    if (kept.length === 0) {
      this.pageSlots.delete(ppn);
      this.cpu.mem.codePages[ppn] = 0;
    } else this.pageSlots.set(ppn, kept);
    if (dropped) {
      if (this.invalidations[ppn] < 255) this.invalidations[ppn]++;
      this.stats.invalidations++;
    }
  }

  private count1(instructions: number, specialised: number): void {
    this.stats.compiled++;
    this.stats.specialised += specialised;
    this.stats.instructions += instructions;
  }

  /** Drops all compiled code (reset, snapshot restore, RAM replaced wholesale). */
  flush(): void {
    this.blocks.fill(null);
    this.wasmBlocks?.clear();
    this.heat.fill(0);
    this.pageSlots.clear();
    this.codeChunks.fill(0);
    this.invalidations.fill(0);
    this.cpu.mem.codePages.fill(0);
  }

  /** Blocks currently cached. */
  count(): number {
    let n = 0;
    for (const b of this.blocks) if (b !== null && b.count > 0) n++;
    return n;
  }
}
