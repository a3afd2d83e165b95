// Sizes of the JIT's block cache, shared by the run loop (hot.generated.ts) and the JIT.

export const JIT_SLOTS = 1 << 16;
export const JIT_MASK = JIT_SLOTS - 1;
/** Executions of a block's first instruction by the interpreter before it is compiled. */
export const JIT_THRESHOLD = 40;
