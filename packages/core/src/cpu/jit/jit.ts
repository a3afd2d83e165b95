// The JIT: compiles hot code to WebAssembly regions (wasm-block.ts, several blocks of a page in
// one module) or, where the engine has no WebAssembly, blocks of 32-bit code to JavaScript
// functions (compile.ts), and keeps the blocks in a direct-mapped cache indexed by the physical
// address of their first byte.
//
// The run loop (hot.generated.ts) looks a block up, while no event is pending, at each
// instruction boundary that a jump, a new fetch window, a block's exit or the slice's start led
// to. A miss counts the address's heat; at `threshold` its region is compiled. A hit
// runs the block when it lies inside the current fetch window (same page, within the CS limit),
// was compiled for what the CPU is now (Cpu.jitKey: code size, flat segments; else the address
// heats again and is compiled anew) and fits the instruction budget, so slices end exactly where
// the interpreter would end them.
//
// Self-modifying code and code pages reused for data: a page that holds compiled code is
// marked in PhysicalMemory.codePages and loses its write translations; a write to it through
// any path drops the regions it overlaps (codeWritten). A page whose code keeps being rewritten
// is left to the interpreter.

import type { Cpu } from "../cpu.ts";
import { imul1, imul2, mul } from "../ops/muldiv.ts";
import { neg } from "../ops/alu.ts";
import { checkTarget, jumpTo } from "../hot.generated.ts";
import { compileBlock } from "./compile.ts";
import { COLD, COMPILED, compileWasmRegion, WARM } from "./wasm-block.ts";
import { WasmBlocks, type RunFn } from "./wasm-jit.ts";
import { wasmApi } from "../wasm/api.ts";
import {
  JIT_KEY_16,
  JIT_KEY_32,
  JIT_KEY_FLAT_ALL,
  JIT_MASK,
  JIT_SLOTS,
  JIT_THRESHOLD,
  WASM_JIT_MAX_BYTES,
  WASM_JIT_THRESHOLD,
} from "./params.ts";

/** Invalidations after which a page's code is no longer compiled. */
const MAX_PAGE_INVALIDATIONS = 32;

/** Runs a block; n: instructions retired so far in the slice, left: how many more the slice allows. */
export type BlockFn = (c: Cpu, n: number, left: number) => number;

/** What compiled code may call besides the CPU's own methods. */
const HELPERS = { imul1, imul2, mul, neg, checkTarget, jumpTo };

export class Block {
  /** The region it was compiled in (blocks of a region are installed and dropped together). */
  region: Region | null = null;
  constructor(
    readonly pip: number,
    readonly count: number,
    /** Bytes of code; a block that cannot run has a length no window holds. */
    readonly bytes: number,
    readonly fn: BlockFn,
    private readonly offsets: Int32Array,
    /** What it assumes of the CPU (params.ts JIT_KEY_*): it runs while key & ~Cpu.jitKey is 0. */
    readonly key = JIT_KEY_32,
  ) {}

  /** Instructions of this block that start before byte offset off (those retired before a fault there). */
  before(off: number): number {
    let i = 0;
    while (i < this.count && this.offsets[i] < off) i++;
    return i;
  }
}

/**
 * Blocks of one page compiled together (one WebAssembly module, wasm-block.ts; a JavaScript
 * block is a region of its own). All of them are in the cache, or none: a write to any of
 * their bytes, or another block taking one of their slots, drops them all, since the region's
 * code goes from one to another without asking the cache.
 */
class Region {
  /** Which 128-byte chunks of the page its blocks cover. */
  chunks = 0;
  constructor(
    readonly ppn: number,
    readonly blocks: Block[],
    /** Bytes of its WebAssembly module (0 for a JavaScript block). */
    readonly bytes = 0,
  ) {
    for (const b of blocks) {
      b.region = this;
      this.chunks |= chunksOf(b.pip & 0xfff, b.bytes);
    }
  }
  overlaps(lo: number, hi: number): boolean {
    return this.blocks.some((b) => b.pip < hi && b.pip + b.bytes > lo);
  }
}

/** A region being compiled off the thread: the bytes it was compiled from, and whether they were written since. */
interface PendingRegion {
  ppn: number;
  chunks: number;
  ranges: [number, number][];
  stale: boolean;
}

const NEVER = 0x7fffffff;
/**
 * A block that a region's code reaches joins the region when the interpreter has run its first
 * instruction this fraction of the threshold (the heat of the region's hot entry). Deterministic
 * Linux boot, one run each on a loaded machine: 20.3 s at 0.01, 17.8 s at 0.05, 21.6 s at 0.3;
 * with every reachable block (no warmth) 155 s, compiling 30 times the code.
 */
const REGION_WARMTH = 0.05;

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
  /** Modules (WebAssembly regions) or functions (JavaScript blocks) made. */
  regions: number;
  /** Regions dropped to keep the live modules within maxBytes. */
  evictions: number;
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
  /** Regions whose modules are being compiled (async). */
  pending = 0;
  private wasmBlocks: WasmBlocks | null = null;
  /** The regions of each physical page, and those being compiled. */
  private readonly pageRegions = new Map<number, Region[]>();
  private readonly pagePending = new Map<number, PendingRegion[]>();
  private readonly invalidations: Uint8Array;
  /** Per RAM page, which 128-byte chunks hold compiled code (bit i: bytes 128i to 128i+127). */
  private readonly codeChunks: Uint32Array;
  readonly stats: JitStats = {
    compiled: 0,
    specialised: 0,
    instructions: 0,
    invalidations: 0,
    regions: 0,
    evictions: 0,
  };
  /** The bound on the live modules' bytes (params.ts WASM_JIT_MAX_BYTES). */
  maxBytes = WASM_JIT_MAX_BYTES;
  /** Bytes of the regions in the cache, and the regions with modules, oldest first. */
  private liveBytes = 0;
  private readonly byAge = new Set<Region>();

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

  /**
   * The block at physical address pip (inside the current fetch window) is hot: compiles it,
   * into slot. WebAssembly: the region of the page around it, with the page's compiled blocks
   * of the same code size as further entries, so that the new region replaces the old.
   */
  compile(slot: number, pip: number): void {
    const c = this.cpu;
    const ppn = pip >>> 12;
    const mode32 = c.defOsizeBase !== 0;
    const sizeKey = mode32 ? JIT_KEY_32 : JIT_KEY_16;
    const allowed = ppn < this.invalidations.length && this.invalidations[ppn] < MAX_PAGE_INVALIDATIONS;
    if (!allowed) return this.never(slot, pip, sizeKey);
    if (this.kind === "js") {
      // The JavaScript blocks are 32-bit code only.
      const compiled = mode32 ? compileBlock(c.ram, pip, c.pipEnd) : null;
      if (compiled === null) return this.never(slot, pip, sizeKey);
      const fn = new Function("H", compiled.source)(HELPERS) as BlockFn;
      this.install(new Region(ppn, [new Block(pip, compiled.count, compiled.bytes, fn, compiled.offsets)]));
      this.count1(compiled.count, compiled.specialised);
      return;
    }
    if (this.pagePending.has(ppn)) return; // its page's region is being compiled
    const { heat, blocks } = this,
      warmth = Math.max(1, (this.threshold * REGION_WARMTH) | 0);
    const w = compileWasmRegion(
      c.ram,
      [pip],
      c.pipStart,
      c.pipEnd,
      mode32,
      (p) => {
        const b = blocks[p & JIT_MASK];
        if (b !== null && b.pip === p && b.count > 0) return COMPILED;
        return heat[p & JIT_MASK] >= warmth ? WARM : COLD;
      },
      c.jitKey & JIT_KEY_FLAT_ALL,
    );
    if (w === null) return this.never(slot, pip, sizeKey);
    const wb = (this.wasmBlocks ??= new WasmBlocks(c));
    const key = sizeKey | w.flat;
    // Straight-line code past the region's bounds compiles at its next entry, not a threshold later.
    if (w.next >= 0) heat[w.next & JIT_MASK] = Math.max(heat[w.next & JIT_MASK], this.threshold - 1);
    const make = (run: RunFn) => {
      const blocks = w.blocks.map((b) => new Block(b.pip, b.count, b.length, wb.run, b.offsets, key));
      const region = new Region(ppn, blocks, w.bytes.length);
      this.install(region, (slot, b, k) => wb.register(slot, b, run, k, b.pip - w.base));
      this.count1(
        w.blocks.reduce((n, b) => n + b.count, 0),
        w.specialised,
        blocks.length,
      );
    };
    if (this.compileMode === "sync") return make(wb.instantiate(w));
    // Off the thread: the interpreter runs the code meanwhile. Writes to its bytes make the
    // module stale (the page is write-protected for them now); no other region of the page
    // starts compiling until this one is done.
    const p: PendingRegion = { ppn, chunks: 0, ranges: [], stale: false };
    for (const b of w.blocks) {
      p.ranges.push([b.pip, b.pip + b.length]);
      p.chunks |= chunksOf(b.pip & 0xfff, b.length);
      this.heat[b.pip & JIT_MASK] = 0;
    }
    this.pagePending.set(ppn, [...(this.pagePending.get(ppn) ?? []), p]);
    this.protect(ppn, p.chunks);
    this.pending++;
    const ready = (runs: RunFn | null) => {
      this.pending--;
      const list = this.pagePending.get(ppn);
      if (list === undefined || !list.includes(p)) return; // flushed meanwhile
      const rest = list.filter((q) => q !== p);
      if (rest.length === 0) this.pagePending.delete(ppn);
      else this.pagePending.set(ppn, rest);
      if (runs !== null && !p.stale) make(runs);
      else this.recount(ppn);
    };
    wb.instantiateAsync(w).then(ready, () => ready(null));
  }

  /** A block that never runs (nothing decodable, or a page given up on): stops the heat count; protects nothing. */
  private never(slot: number, pip: number, key: number): void {
    this.evict(slot);
    this.blocks[slot] = new Block(pip, 0, NEVER, noBlock, new Int32Array(0), key);
  }

  /** Takes slot's block out of the cache, with the rest of its region. */
  private evict(slot: number): void {
    const old = this.blocks[slot];
    if (old === null) return;
    if (old.region !== null) this.dropRegion(old.region);
    else this.blocks[slot] = null;
  }

  /** Puts a region's blocks into their slots (and, with register, into the WebAssembly directory), evicting the regions there. */
  private install(region: Region, register?: (slot: number, b: Block, index: number) => void): void {
    for (const b of region.blocks) this.evict(b.pip & JIT_MASK);
    region.blocks.forEach((b, k) => {
      const slot = b.pip & JIT_MASK;
      this.blocks[slot] = b;
      register?.(slot, b, k);
    });
    const list = this.pageRegions.get(region.ppn);
    if (list === undefined) this.pageRegions.set(region.ppn, [region]);
    else list.push(region);
    this.protect(region.ppn, region.chunks);
    if (region.bytes === 0) return;
    this.byAge.add(region);
    this.liveBytes += region.bytes;
    // Over the bound: the oldest regions leave (a chain running one ends after its current block).
    for (const old of this.byAge) {
      if (this.liveBytes <= this.maxBytes || old === region) break;
      this.dropRegion(old);
      this.stats.evictions++;
    }
  }

  /** Bytes of WebAssembly in the cache's regions. */
  get bytes(): number {
    return this.liveBytes;
  }

  private dropRegion(r: Region): void {
    if (this.byAge.delete(r)) this.liveBytes -= r.bytes;
    for (const b of r.blocks) {
      const slot = b.pip & JIT_MASK;
      if (this.blocks[slot] !== b) continue;
      this.blocks[slot] = null;
      this.wasmBlocks?.drop(slot);
    }
    const list = this.pageRegions.get(r.ppn);
    if (list !== undefined) {
      const i = list.indexOf(r);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.pageRegions.delete(r.ppn);
    }
    this.recount(r.ppn);
  }

  /** Marks chunks of page ppn as holding code: writes there take the slow path (codeWritten). */
  private protect(ppn: number, chunks: number): void {
    const mem = this.cpu.mem;
    if (ppn >= mem.codePages.length) return;
    this.codeChunks[ppn] |= chunks;
    if (mem.codePages[ppn] === 0) {
      mem.codePages[ppn] = 1;
      this.cpu.protectCodePage(ppn);
    }
  }

  /** Recomputes page ppn's code chunks from what it still holds; a page with none is writable again. */
  private recount(ppn: number): void {
    if (ppn >= this.codeChunks.length) return;
    let chunks = 0;
    for (const r of this.pageRegions.get(ppn) ?? []) chunks |= r.chunks;
    for (const p of this.pagePending.get(ppn) ?? []) chunks |= p.chunks;
    this.codeChunks[ppn] = chunks;
    if (chunks === 0) this.cpu.mem.codePages[ppn] = 0;
  }

  /**
   * Bytes [offset, offset + len) of page ppn are being written: drops the regions they overlap.
   * The page stays write-protected (writes take the slow path) while it holds other code.
   */
  codeWritten(ppn: number, offset: number, len: number): void {
    if ((this.codeChunks[ppn] & chunksOf(offset, len)) === 0 && this.codeChunks[ppn] !== 0) return;
    const lo = ppn * 4096 + offset,
      hi = lo + len;
    let dropped = false;
    for (const p of this.pagePending.get(ppn) ?? []) if (p.ranges.some(([a, b]) => a < hi && b > lo)) p.stale = true;
    for (const r of [...(this.pageRegions.get(ppn) ?? [])]) {
      if (!r.overlaps(lo, hi)) continue;
      this.dropRegion(r);
      dropped = true;
    }
    this.recount(ppn);
    if (dropped) {
      if (this.invalidations[ppn] < 255) this.invalidations[ppn]++;
      this.stats.invalidations++;
    }
  }

  private count1(instructions: number, specialised: number, blocks = 1): void {
    this.stats.compiled += blocks;
    this.stats.regions++;
    this.stats.specialised += specialised;
    this.stats.instructions += instructions;
  }

  /** Drops all compiled code (reset, snapshot restore, RAM replaced wholesale). */
  flush(): void {
    this.blocks.fill(null);
    this.wasmBlocks?.clear();
    this.heat.fill(0);
    this.pageRegions.clear();
    this.pagePending.clear();
    this.byAge.clear();
    this.liveBytes = 0;
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
