// The VM's one memory: a single (shared) WebAssembly.Memory holds, at fixed offsets, the CPU
// state block, the TLB and guest RAM. The interpreter, compiled WebAssembly code, snapshots and
// the worker all read and write these bytes in place: nothing is copied between tiers.
//
//   offset       size            what
//   0x0000000    4 KiB           CPU state block (STATE_* below): registers, lazy flags,
//                                segment caches, control, debug and descriptor-table registers
//   0x0001000    4 x 4 MiB       TLB: one int32 per 4 KiB linear page, four tables (read and
//                                write, supervisor and user): ~(physical page ^ linear page), or 0
//                                for none, so untouched tables cost no host memory
//   0x1001000    1 MiB           compiled-block directory: for each of the JIT's 65,536 cache slots,
//                                the block's physical address, end and instruction count (JIT_DIR_*)
//   0x1110000    RAM size        guest RAM, physical address 0 upwards; nothing follows it
//
// Isolation is the layout's job. Compiled code reaches RAM only through a TLB entry, which only
// the page walker writes and only with a RAM page; RAM is last, so an access past its end traps
// (out of bounds) instead of reaching the state block or the TLB.

import { wasmApi, type WasmMemory } from "../cpu/wasm/api.ts";

/**
 * The most guest RAM a VM may have: 3 GiB. VmMemory refuses more; the page, the CLI and the
 * snapshot limits take their bound from here.
 */
export const MAX_RAM_BYTES = 3 * 2 ** 30;

/** Byte offsets inside the state block. */
export const STATE_REGS = 0x000; // 16 x int32: EAX..EDI, [8] unused, [9] START_EIP
export const STATE_LF = 0x040; // 5 x int32: lazy-flag operands, result, kind, size
// EFLAGS, the lazy mask and CPL are still CpuState object fields (docs/wasm-jit.md): EFLAGS and
// the lazy mask are mirrored here while a compiled WebAssembly block runs (cpu/jit/wasm-jit.ts).
export const STATE_FLAGS = 0x054; // int32: EFLAGS but for the lazy status flags
export const STATE_LAZY = 0x058; // int32: mask of status flags held lazily in LF
export const STATE_CPL = 0x05c; // int32
export const STATE_SREG = 0x060; // 8 x uint16: selectors ES CS SS DS FS GS
export const STATE_SEG_BASE = 0x070; // 8 x int32
export const STATE_SEG_LIMIT = 0x090; // 8 x int32
export const STATE_SEG_ATTR = 0x0b0; // 8 x int32
export const STATE_SEG_LIMR = 0x0d0; // 8 x float64: fast read bound
export const STATE_SEG_LIMW = 0x110; // 8 x float64: fast write bound
export const STATE_CR = 0x150; // 8 x int32
export const STATE_DR = 0x170; // 8 x int32
export const STATE_DT = 0x190; // 12 x int32: GDTR, IDTR, LDTR, TR
export const STATE_PIP_DELTA = 0x1c0; // int32: physical fetch pointer minus EIP
// A compiled block's exchange with the run loop (cpu/jit/wasm-block.ts).
export const STATE_JIT_EXIT = 0x1c4; // int32: how it left: 0 fall through to a physical address, 1 jump to an EIP
export const STATE_JIT_TARGET = 0x1c8; // int32: that address or EIP
export const STATE_JIT_DONE = 0x1cc; // int32: instructions of the loop iterations before the current one
export const STATE_JIT_EVENTS = 0x1d0; // int32: non-zero once a call out of the block left an event pending
// Chaining from block to block inside WebAssembly (cpu/jit/wasm-jit.ts).
export const STATE_JIT_SLOT = 0x1d4; // int32: cache slot of the block running now
export const STATE_JIT_CHAIN = 0x1d8; // int32: instructions retired by the blocks run before it in this chain
export const STATE_PIP_START = 0x1dc; // int32: the fetch window [start, end) as physical addresses,
export const STATE_PIP_END = 0x1e0; // int32: copied in when compiled code is entered, out when it leaves
export const STATE_JIT_DELTA = 0x1e4; // int32: the fetch delta of the window the running block lies in
export const STATE_JIT_KEY = 0x1e8; // int32: what compiled code may assume now, as Cpu.jitKey (cpu/jit/params.ts JIT_KEY_*)
export const STATE_TLB_USED = 0x1ec; // int32: non-zero once a CPU has used this memory's TLB tables (cpu/access.ts)
export const STATE_END = 0x1f0;
export const STATE_BYTES = 0x1000;

export const TLB_ENTRIES = 1 << 20;
const TLB_TABLE_BYTES = TLB_ENTRIES * 4;
export const TLB_BASE = STATE_BYTES;
export const TLB_READ_SUPER = TLB_BASE;
export const TLB_WRITE_SUPER = TLB_BASE + TLB_TABLE_BYTES;
export const TLB_READ_USER = TLB_BASE + 2 * TLB_TABLE_BYTES;
export const TLB_WRITE_USER = TLB_BASE + 3 * TLB_TABLE_BYTES;

/**
 * The compiled-block directory: one 16-byte entry per JIT cache slot (cpu/jit/params.ts
 * JIT_SLOTS), read by the WebAssembly dispatcher that chains blocks: the block's physical
 * address (-1: none), its end (address of the byte after it), its instruction count, and where
 * it sits in its region (JIT_DIR_KEY: the JIT key it needs in bits 0-9, cpu/jit/params.ts
 * JIT_KEY_*; its index in the region in bits 10-15; its offset from the region's base in bits
 * 16-31).
 */
export const JIT_DIR_BASE = TLB_BASE + 4 * TLB_TABLE_BYTES;
export const JIT_DIR_SLOTS = 1 << 16;
export const JIT_DIR_ENTRY = 16;
export const JIT_DIR_PIP = 0,
  JIT_DIR_END = 4,
  JIT_DIR_COUNT = 8,
  JIT_DIR_KEY = 12;

const WASM_PAGE = 0x10000;
/** Guest RAM starts here: after the TLB and the block directory, on a WebAssembly page boundary. */
export const RAM_BASE = Math.ceil((JIT_DIR_BASE + JIT_DIR_SLOTS * JIT_DIR_ENTRY) / WASM_PAGE) * WASM_PAGE;

/** Bytes of the whole memory for ramBytes of guest RAM (a whole number of WebAssembly pages). */
export function vmMemoryBytes(ramBytes: number): number {
  return Math.ceil((RAM_BASE + ramBytes) / WASM_PAGE) * WASM_PAGE;
}

export class VmMemoryError extends Error {}

/** The VM's memory: the buffer, the WebAssembly.Memory it belongs to, and the RAM size. */
export class VmMemory {
  private constructor(
    readonly buffer: ArrayBuffer | SharedArrayBuffer,
    /** The WebAssembly.Memory whose buffer this is (what compiled modules import). */
    readonly memory: WasmMemory,
    readonly ramBytes: number,
  ) {}

  /** A new, zeroed memory for ramBytes of RAM; shared (workers can see it) unless shared is false. */
  static create(ramBytes: number, shared = true): VmMemory {
    if (!Number.isInteger(ramBytes) || ramBytes <= 0 || ramBytes % 4096 !== 0) {
      throw new VmMemoryError(`guest RAM must be a non-zero multiple of 4 KiB, got ${ramBytes} bytes`);
    }
    if (ramBytes > MAX_RAM_BYTES) throw new VmMemoryError(`guest RAM of ${ramBytes} bytes is more than 3 GiB`);
    if (!wasmApi) throw new VmMemoryError("this JavaScript engine has no WebAssembly");
    const pages = vmMemoryBytes(ramBytes) / WASM_PAGE;
    const memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared });
    return new VmMemory(memory.buffer, memory, ramBytes);
  }

  /**
   * The memory of another thread's VmMemory: a WebAssembly.Memory passed in a message (its
   * buffer is a SharedArrayBuffer seen by both sides).
   */
  static adopt(memory: WasmMemory, ramBytes: number): VmMemory {
    if (memory.buffer.byteLength < vmMemoryBytes(ramBytes)) {
      throw new VmMemoryError(`a memory of ${memory.buffer.byteLength} bytes cannot hold ${ramBytes} bytes of RAM`);
    }
    return new VmMemory(memory.buffer, memory, ramBytes);
  }
}
