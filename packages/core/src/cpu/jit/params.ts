// Sizes of the JIT's block cache, shared by the run loop (hot.generated.ts) and the JIT.

export const JIT_SLOTS = 1 << 16;
export const JIT_MASK = JIT_SLOTS - 1;
/**
 * Executions of a block's first instruction by the interpreter before it is compiled (the
 * default of Jit.threshold). High on purpose: V8 runs a new function in its bytecode
 * interpreter until the function has executed a lot of bytecode, and there a block is slower
 * than our own (optimised) interpreter. Compiling only truly hot blocks pays: the Linux boot
 * took 57.8 s at 40, 49.2 s at 1,000, 42.4 s at 16,000, 38.4 s at 60,000, 43.3 s at 250,000
 * (deterministic boot to the shell, one run each, same machine).
 */
export const JIT_THRESHOLD = 50_000;

/**
 * The same for WebAssembly regions (wasm-block.ts), the default backend. Entering one costs a
 * few nanoseconds and blocks chain inside WebAssembly, so lukewarm code gains too; what limits
 * the threshold is compiling modules. Deterministic Linux boot to the shell, modules compiled
 * off the thread (Jit.compileMode "async", as the worker and the CLI do), paired runs on one
 * machine, since the run loop heats only addresses that jumps lead to: 2,000 took 0.92x the
 * wall time of 5,000, and 1,000 1.04x that of 2,000. (When every instruction boundary heated
 * its address: 20.0 s at 500, 18.0 s at 1,000, 17.9 s at 2,000, 17.4 s at 5,000, 18.5 s at
 * 20,000.)
 */
export const WASM_JIT_THRESHOLD = 2_000;

/**
 * The bytes of WebAssembly the cache keeps in live modules; past it, the oldest regions leave
 * (besides the slots, which bound the blocks). The Linux guest's boot to its shell makes ~4.3 MB
 * in ~800 modules, so this is room for several such working sets.
 */
export const WASM_JIT_MAX_BYTES = 16 << 20;

/**
 * What compiled code assumes of the CPU, as bits of a key (Cpu.jitKey holds the current one;
 * a block's key holds what it needs, and runs only when block key & ~Cpu.jitKey is 0): the
 * code size, and which segment registers are flat (base 0, limit 4 GiB, readable and writable),
 * so that their accesses skip the segment base and limit (wasm-block.ts segLinear).
 */
export const JIT_KEY_32 = 512;
export const JIT_KEY_16 = 256;
/** Segment register s (ES CS SS DS FS GS) is flat. */
export const jitKeyFlat = (s: number) => 1 << s;
export const JIT_KEY_FLAT_ALL = 0x3f;
