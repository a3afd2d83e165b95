// A scripted session with a PC: run until text appears, type keys, in the order given, with a
// wall-clock timeout. Used by `vm boot` and `vm resume`, and by the boot tests.

import type { PcMachine, PcRunResult } from "@x86vm/devices";
import { findAfter, START_MARK, type ScreenMark } from "./screen-watch.ts";
import { Typist } from "./typist.ts";

/**
 * Parts of a chunk (20 ms of machine time by default). A module compiled off the thread joins
 * at the end of the part in which it became ready: deterministic Linux boot, paired runs, 40
 * parts took 0.95x the wall time of 10 (the hot code waited less in the interpreter), 100 parts
 * 1.03x that of 40 and 20 parts the same as 40.
 */
const CHUNK_PARTS = 40;

export type Step = { kind: "until"; text: string } | { kind: "type"; keys: string };

export class SessionError extends Error {}

/** The guest turned the machine off (ACPI soft-off or APM): the script ends there, without error. */
export class GuestPoweredOff extends Error {
  constructor() {
    super("guest powered off");
  }
}

export interface SessionOptions {
  /** Keys of --type go to COM1 instead of the keyboard (the guest's console is on the serial port). */
  serialInput?: boolean;
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
  /** Everything the guest sent to COM1 (bytes as Latin-1 characters), and where the last wait matched in it. */
  serial = "";
  private serialMark = 0;
  /** Bytes waiting to go to COM1's receiver. */
  private serialIn: number[] = [];
  /** Called when a triple fault reset the machine (the session goes on). */
  onReset: ((reason: string) => void) | null = null;
  /** Also called with each byte the guest sends to COM1. */
  onSerial: ((byte: number) => void) | null = null;

  constructor(readonly pc: PcMachine) {
    this.typist = new Typist(pc);
    // advance() returns to the event loop while modules compile: compile them off the thread.
    pc.machine.cpu.jit.compileMode = "async";
    pc.uarts[0].onTransmit = (byte) => {
      this.serial += String.fromCharCode(byte);
      this.onSerial?.(byte);
    };
  }

  /** Queues bytes for COM1's receiver (fed as fast as the guest reads them). */
  sendSerial(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.serialIn.push(bytes[i]);
  }

  /** Looks for the text after the last match on the screen or on COM1; advances the mark. */
  private found(text: string): boolean {
    const at = this.serial.indexOf(text, this.serialMark);
    if (at >= 0) {
      this.serialMark = at + text.length;
      return true;
    }
    const rows = this.pc.textRows();
    if (!rows) return false;
    const f = findAfter(this.mark, rows, text);
    if (f) {
      this.mark = f;
      return true;
    }
    return false;
  }

  /** Runs the steps; throws SessionError with a one-line reason on timeout or guest failure. */
  async run(steps: readonly Step[], opts: SessionOptions): Promise<void> {
    const deadline = opts.nowMs() + opts.timeoutS * 1000;
    const chunk = opts.chunkNs ?? 20e6;
    for (const step of steps) {
      if (step.kind === "type") {
        if (opts.serialInput) this.sendSerial(Array.from(step.keys, (ch) => ch.charCodeAt(0) & 0xff));
        else this.typist.type(step.keys);
        continue;
      }
      for (;;) {
        if (this.found(step.text)) break;
        if (opts.nowMs() > deadline) {
          throw new SessionError(`timeout after ${opts.timeoutS} s waiting for ${JSON.stringify(step.text)}`);
        }
        await this.advance(chunk, opts);
      }
    }
    // Let typing that follows the last wait finish.
    while (this.typist.busy || this.serialIn.length > 0) {
      if (opts.nowMs() > deadline) throw new SessionError(`timeout after ${opts.timeoutS} s while typing`);
      await this.advance(chunk, opts);
    }
  }

  /** Runs the machine for about `ns` of machine time, feeding keys. */
  async advance(ns: number, opts: SessionOptions): Promise<void> {
    this.typist.pump();
    if (this.serialIn.length > 0) {
      const n = Math.min(this.serialIn.length, this.pc.uarts[0].rxFree());
      if (n > 0) this.pc.uarts[0].receive(this.serialIn.splice(0, n));
    }
    // The chunk runs in parts; while WebAssembly modules compile, the session returns to the
    // event loop between parts, so that modules join soon after they are ready (their promises
    // settle in event-loop tasks). The parts are the same whatever the JIT does, so a
    // deterministic run retires the same instructions with the JIT on or off.
    let r: PcRunResult = { kind: "ran" };
    for (let part = 0; part < CHUNK_PARTS && r.kind === "ran"; part++) {
      r = this.pc.run(ns / CHUNK_PARTS);
      if (this.pc.machine.cpu.jit.pending > 0) await new Promise((resolve) => setImmediate(resolve));
    }
    if (r.kind === "shutdown") throw new SessionError(`guest stopped: ${r.reason}`);
    if (r.kind === "reset") {
      this.onReset?.(r.reason);
      // A guest that resets over and over would never get anywhere.
      if (this.pc.tripleFaults >= 20)
        throw new SessionError(`the guest triple-faulted ${this.pc.tripleFaults} times (last: ${r.reason})`);
    }
    if (r.kind === "no-boot") throw new SessionError(`no bootable disk (${r.reason})`);
    if (r.kind === "power-off") throw new GuestPoweredOff();
    if (r.kind === "halted-forever") throw new SessionError("guest halted with interrupts disabled");
    if (r.kind === "idle" && opts.sleep) {
      const waitMs = Math.max(0, (r.untilNs - this.pc.machine.clock.now()) / 1e6);
      await opts.sleep(Math.min(waitMs, 20));
    }
  }
}
