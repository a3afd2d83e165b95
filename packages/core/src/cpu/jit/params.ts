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
 * The same for WebAssembly blocks (wasm-block.ts), the default backend. Entering one costs a few
 * nanoseconds, so lukewarm code gains too; what limits the threshold is the synchronous compile
 * of one module per block (about 10% of the boot's time at 1,000). Deterministic Linux boot to
 * the shell, one run each, same machine: 40.6 s at 1,000, 36.8 s at 10,000, 34.2 s at 20,000,
 * 35.8 s at 50,000 (JavaScript blocks at 50,000: 36.2 s); the user32 benchmark runs at 486 MIPS at
 * 2,000 and 433 at 20,000 (JavaScript blocks: 238).
 */
export const WASM_JIT_THRESHOLD = 20_000;
