// A scripted session with a PC: run until text appears, type keys, in the order given, with a
// wall-clock timeout. Used by `vm boot` and `vm resume`, and by the boot tests.

import type { PcMachine } from "@x86vm/devices";
import { findAfter, START_MARK, type ScreenMark } from "./screen-watch.ts";
import { Typist } from "./typist.ts";

export type Step = { kind: "until"; text: string } | { kind: "type"; keys: string };

export class SessionError extends Error {}

export interface SessionOptions {
  /** Wall-clock limit for the whole script, in seconds. */
  timeoutS: number;
  /** Machine time run between checks, in ns (default 20 ms). */
  chunkNs?: number;
  /** Host wait for realtime idle periods (Node: a setTimeout promise). */
  sleep?: (ms: number) => Promise<void>;
  /** Wall clock in ms (performance.now). */
  nowMs: () => number;
}

export class Session {
  readonly typist: Typist;
  /** Where the last wait matched: later waits look only after it. */
  private mark: ScreenMark = START_MARK;
  constructor(readonly pc: PcMachine) { this.typist = new Typist(pc); }

  /** Runs the steps; throws SessionError with a one-line reason on timeout or guest failure. */
  async run(steps: readonly Step[], opts: SessionOptions): Promise<void> {
    const deadline = opts.nowMs() + opts.timeoutS * 1000;
    const chunk = opts.chunkNs ?? 20e6;
    for (const step of steps) {
      if (step.kind === "type") { this.typist.type(step.keys); continue; }
      for (;;) {
        const found = this.pc.textRows() ? findAfter(this.mark, this.pc.vga.textRows(), step.text) : null;
        if (found) { this.mark = found; break; }
        if (opts.nowMs() > deadline) {
          throw new SessionError(`timeout after ${opts.timeoutS} s waiting for ${JSON.stringify(step.text)}`);
        }
        await this.advance(chunk, opts);
      }
    }
    // Let typing that follows the last wait finish.
    while (this.typist.busy) {
      if (opts.nowMs() > deadline) throw new SessionError(`timeout after ${opts.timeoutS} s while typing`);
      await this.advance(chunk, opts);
    }
  }

  /** Runs the machine for about `ns` of machine time, feeding keys. */
  async advance(ns: number, opts: SessionOptions): Promise<void> {
    this.typist.pump();
    const r = this.pc.run(ns);
    if (r.kind === "shutdown") throw new SessionError(`guest stopped: ${r.reason}`);
    if (r.kind === "halted-forever") throw new SessionError("guest halted with interrupts disabled");
    if (r.kind === "idle" && opts.sleep) {
      const waitMs = Math.max(0, (r.untilNs - this.pc.machine.clock.now()) / 1e6);
      await opts.sleep(Math.min(waitMs, 20));
    }
  }
}
