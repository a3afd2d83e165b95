// The control block: one small SharedArrayBuffer per VM, seen by the page and by the VM's
// worker. It carries what must reach a running worker without a message, because a worker
// busy in a time slice reads no messages and a paused one sleeps in Atomics.wait:
//
//   Int32 slots (Atomics)   SHARE     CPU share cap in percent, 1-100 (page writes)
//                           PAUSE     1 = the page asks the worker to stop using the CPU
//                           DOORBELL  bumped by the page after any change, input, or message:
//                                     the worker's sleeps wait on it, so they end at once
//                           STATE     the worker's state (VM_STATE_*), for the page to show
//                           BEAT      bumped by the worker once per loop turn (liveness)
//   Float64 counters        instructions retired, guest ns, busy and running host ms, the
//                           time of the last update, and the dispatcher's exit counts by
//                           reason: written by the worker after every slice, read by the page
//                           for the stats panel without a round trip.
//
// Float64 counters are written with plain stores: an aligned 8-byte store is not torn on the
// 64-bit hosts browsers run on, and a counter read one slice late is harmless.

import { EXIT_COUNT } from "@x86vm/core";

export const CTL_SHARE = 0;
export const CTL_PAUSE = 1;
export const CTL_DOORBELL = 2;
export const CTL_STATE = 3;
export const CTL_BEAT = 4;
const INT32_SLOTS = 8;

export const CNT_INSTRET = 0;
export const CNT_GUEST_NS = 1;
/** Host ms spent inside the emulator (pc.run), the VM's CPU use. */
export const CNT_BUSY_MS = 2;
/** Host ms during which the VM was not paused. */
export const CNT_RUN_MS = 3;
/** Wall-clock ms (Unix epoch, fractional) of the last counter update. */
export const CNT_UPDATED_AT = 4;
/** First of EXIT_COUNT exit counters, in EXIT_NAMES order. */
export const CNT_EXITS = 5;
/** How far the guest's clock is behind the host's now, ms (realtime clock: docs/time.md). */
export const CNT_CLOCK_LAG_MS = CNT_EXITS + EXIT_COUNT;
/** Host time the guest's clock skipped (it fell more than a second behind), ms, all told. */
export const CNT_CLOCK_LOST_MS = CNT_CLOCK_LAG_MS + 1;
const FLOAT64_SLOTS = CNT_CLOCK_LOST_MS + 1;

export const VM_STATE_BOOTING = 0;
export const VM_STATE_RUNNING = 1;
export const VM_STATE_PAUSED = 2;
export const VM_STATE_FAILED = 3;
export const VM_STATE_STOPPED = 4;
export const VM_STATE_NAMES = ["booting", "running", "paused", "failed", "stopped"] as const;
export type VmStateName = (typeof VM_STATE_NAMES)[number];

export const CONTROL_BYTES = INT32_SLOTS * 4 + FLOAT64_SLOTS * 8;

/** CPU share as the allocator grants it: a whole percent from 1 to 100. */
export function clampShare(percent: number): number {
  if (!Number.isFinite(percent)) return 100;
  return Math.min(100, Math.max(1, Math.round(percent)));
}

export class ControlBlock {
  readonly i32: Int32Array;
  readonly f64: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (buffer.byteLength < CONTROL_BYTES)
      throw new RangeError(`a control block needs ${CONTROL_BYTES} bytes, got ${buffer.byteLength}`);
    this.i32 = new Int32Array(buffer, 0, INT32_SLOTS);
    this.f64 = new Float64Array(buffer, INT32_SLOTS * 4, FLOAT64_SLOTS);
  }

  /** A new block: full share, not paused, booting. */
  static create(sharePercent = 100): ControlBlock {
    const c = new ControlBlock(new SharedArrayBuffer(CONTROL_BYTES));
    Atomics.store(c.i32, CTL_SHARE, clampShare(sharePercent));
    return c;
  }

  // ---- Page side ----

  get share(): number {
    return Atomics.load(this.i32, CTL_SHARE);
  }
  set share(percent: number) {
    Atomics.store(this.i32, CTL_SHARE, clampShare(percent));
    this.ring();
  }

  get pauseRequested(): boolean {
    return Atomics.load(this.i32, CTL_PAUSE) !== 0;
  }
  set pauseRequested(on: boolean) {
    Atomics.store(this.i32, CTL_PAUSE, on ? 1 : 0);
    this.ring();
  }

  /** Wakes the worker from any sleep (something changed, input or a message is waiting). */
  ring(): void {
    Atomics.add(this.i32, CTL_DOORBELL, 1);
    Atomics.notify(this.i32, CTL_DOORBELL);
  }

  // ---- Worker side ----

  get doorbell(): number {
    return Atomics.load(this.i32, CTL_DOORBELL);
  }

  get state(): number {
    return Atomics.load(this.i32, CTL_STATE);
  }
  set state(s: number) {
    Atomics.store(this.i32, CTL_STATE, s);
  }
  get stateName(): VmStateName {
    return VM_STATE_NAMES[this.state] ?? "failed";
  }

  beat(): void {
    Atomics.add(this.i32, CTL_BEAT, 1);
  }
  get beats(): number {
    return Atomics.load(this.i32, CTL_BEAT);
  }

  /**
   * Blocks until the doorbell differs from `seen` or `timeoutMs` passes (Infinity: no limit).
   * Only for workers: the page's main thread may not block.
   */
  waitDoorbell(seen: number, timeoutMs: number): "ok" | "not-equal" | "timed-out" {
    return Atomics.wait(this.i32, CTL_DOORBELL, seen, timeoutMs);
  }
}
