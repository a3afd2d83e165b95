// Sleeping and yielding in a VM worker.
//
// Two kinds of wait, for two purposes:
//  - short sleeps (the rest of a CPU-share quantum, or an idle guest waiting for its next
//    timer) block in Atomics.wait on the control block's doorbell with a timeout of at most
//    a few tens of ms; the page's ring ends them at once. Afterwards the worker gives queued
//    messages a turn, so a comlink call waits at most one sleep.
//  - parking (paused, failed, stopped) may last for hours and must still answer comlink calls
//    (reset, destroy, details) at once, so it waits with Atomics.waitAsync, which keeps the
//    event loop running and uses no CPU at all. Without waitAsync it blocks in short steps.

type WaitAsyncResult =
  { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
type WaitAsync = (ta: Int32Array, index: number, value: number, timeoutMs?: number) => WaitAsyncResult;

const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** Longest blocking step of a park without waitAsync. */
const FALLBACK_STEP_MS = 20;

/** The sending end of a MessageChannel whose receiving end resolves `pending` in turn. */
let port: { postMessage(v: unknown): void } | null = null;
const pending: (() => void)[] = [];

/**
 * Lets queued tasks (comlink messages) run, then continues: a macrotask turn without the
 * clamping that setTimeout applies to nested timers. Node (unit tests) has setImmediate,
 * which also lets timers run; a MessageChannel turn there would starve them.
 */
export function yieldToEvents(): Promise<void> {
  const g = globalThis as unknown as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((r) => g.setImmediate!(r));
  if (typeof MessageChannel === "undefined") return new Promise((r) => setTimeout(r, 0));
  if (port === null) {
    const ch = new MessageChannel();
    // (Typed by shape: Node's MessagePort declares no onmessage; only browsers get here.)
    (ch.port1 as unknown as { onmessage: (() => void) | null }).onmessage = () => pending.shift()?.();
    port = ch.port2;
  }
  const p = port;
  return new Promise((resolve) => {
    pending.push(resolve);
    p.postMessage(0);
  });
}

/**
 * Blocks until i32[index] differs from `seen` or `timeoutMs` (finite, short) passes, then
 * gives queued messages a turn.
 */
export async function sleepOn(i32: Int32Array, index: number, seen: number, timeoutMs: number): Promise<void> {
  if (timeoutMs > 0) Atomics.wait(i32, index, seen, timeoutMs);
  await yieldToEvents();
}

/**
 * Waits, with the event loop free, until i32[index] differs from `seen` or `timeoutMs`
 * passes (Infinity: no limit).
 */
export async function parkOn(i32: Int32Array, index: number, seen: number, timeoutMs: number): Promise<void> {
  if (waitAsync) {
    const r = waitAsync(i32, index, seen, timeoutMs);
    if (r.async) await r.value;
    await yieldToEvents();
    return;
  }
  const end = performance.now() + timeoutMs;
  for (;;) {
    const left = end - performance.now();
    const res = left > 0 ? Atomics.wait(i32, index, seen, Math.min(left, FALLBACK_STEP_MS)) : "timed-out";
    await yieldToEvents();
    if (res !== "timed-out" || performance.now() >= end || Atomics.load(i32, index) !== seen) return;
  }
}
