// A scripted session with a PC: the steps of --until/--type or of a --script file (waits,
// typing, keys, sleeps, expectations, screenshots, snapshots), in the order given, with a
// wall-clock timeout. Used by `vm boot` and `vm resume`, and by the boot tests.
//
// Each step's outcome is recorded in `results` (for the JUnit report). A step that fails
// throws SessionError, whose `kind` tells why: "timeout", "expect" (an expectation did not
// hold), "crash" (the guest stopped the CPU or halted with interrupts off), "no-boot", or
// "input" (a file a step writes could not be written). A guest that turns the machine off
// (ACPI soft-off, APM) ends the script without error: GuestPoweredOff.

import type { PcMachine, PcRunResult } from "@x86vm/devices";
import { findAfter, START_MARK, type ScreenMark } from "./screen-watch.ts";
import { Typist } from "./typist.ts";

/**
 * Parts of a chunk (20 ms of machine time by default). A module compiled off the thread joins
 * at the end of the part in which it became ready: deterministic Linux boot, paired runs, 40
 * parts took 0.95x the wall time of 10 (the hot code waited less in the interpreter), 100 parts
 * 1.03x that of 40 and 20 parts the same as 40. Key events are sent between parts.
 */
const CHUNK_PARTS = 40;

/** Where a wait or an expectation looks: the text screen, COM1's output, or either. */
export type Source = "screen" | "serial" | "any";

/** What a wait or an expectation looks for: a literal text or a regular expression. */
export type Pattern = { text: string } | { regex: RegExp };

/** Where a step came from, for messages and reports: its script line, or the option. */
export interface StepOrigin {
  /** "steps.txt:3" or "--until". */
  where: string;
  /** Its line in a script file (messages then start with `where`). */
  line?: number;
  /** The step as written. */
  text: string;
}

export type Step = (
  | { kind: "until"; text: string }
  | { kind: "wait"; pattern: Pattern; source?: Source; timeoutS?: number }
  | { kind: "type"; keys: string }
  | { kind: "key"; codes: string[] }
  | { kind: "sleep"; ms: number }
  | { kind: "expect"; pattern: Pattern; source?: Source; absent?: boolean }
  | { kind: "screenshot"; file: string }
  | { kind: "snapshot"; file: string }
) & { origin?: StepOrigin };

export type FailureKind = "timeout" | "expect" | "crash" | "no-boot" | "input";

export class SessionError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind = "crash",
  ) {
    super(message);
  }
}

/** The guest turned the machine off (ACPI soft-off or APM): the script ends there, without error. */
export class GuestPoweredOff extends Error {
  constructor() {
    super("guest powered off");
  }
}

export interface StepResult {
  step: Step;
  ok: boolean;
  /** Wall time the step took, in ms. */
  wallMs: number;
  /** Machine time the step took, in ms. */
  machineMs: number;
  /** Why it failed. */
  error?: SessionError;
}

/** What the host does for the steps that write files. */
export interface StepActions {
  screenshot(file: string): void | Promise<void>;
  snapshot(file: string): void | Promise<void>;
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
  /** A triple fault (which resets the PC) fails the run as a crash instead of going on. */
  crashOnReset?: boolean;
  /** Screenshot and snapshot steps; without them those steps fail. */
  actions?: StepActions;
}

/** A pattern as the script writes it: "text" or /regex/. */
export function describePattern(p: Pattern): string {
  return "text" in p ? JSON.stringify(p.text) : String(p.regex);
}

export class Session {
  readonly typist: Typist;
  /** Where the last wait matched: later waits look only after it. */
  mark: ScreenMark = START_MARK;
  /** Everything the guest sent to COM1 (bytes as Latin-1 characters), and where the last wait matched in it. */
  serial = "";
  private serialMark = 0;
  /** Bytes waiting to go to COM1's receiver. */
  private serialIn: number[] = [];
  /** Called when a triple fault reset the machine (the session goes on). */
  onReset: ((reason: string) => void) | null = null;
  /** Also called with each byte the guest sends to COM1. */
  onSerial: ((byte: number) => void) | null = null;
  /** Called before each part of a chunk runs (devices fed from the host: the network link). */
  readonly pumps: (() => void)[] = [];
  /**
   * Whether host I/O is under way (the NAT's sockets): then each part of a chunk ends with a
   * return to the event loop, so socket events reach the machine while it runs.
   */
  hostIo: (() => boolean) | null = null;
  /** The outcome of each step run so far, in order (the failed one last). */
  readonly results: StepResult[] = [];

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

  /** Looks for the pattern after the last match on COM1 or the screen; advances the mark. */
  private found(p: Pattern, source: Source): boolean {
    if (source !== "screen") {
      const rest = this.serial.slice(this.serialMark);
      const m = "text" in p ? matchText(rest, p.text, 0) : matchRegex(rest, p.regex, 0);
      if (m) {
        this.serialMark += m[0] + m[1];
        return true;
      }
    }
    if (source === "serial") return false;
    const rows = this.pc.textRows();
    if (!rows) return false;
    const f =
      "text" in p
        ? findAfter(this.mark, rows, (row, from) => matchText(row, p.text, from))
        : findAfter(this.mark, rows, (row, from) => matchRegex(row, p.regex, from));
    if (f) {
      this.mark = f;
      return true;
    }
    return false;
  }

  /** Whether the pattern is anywhere on the screen now, or anywhere in COM1's output so far. */
  private present(p: Pattern, source: Source): boolean {
    const texts: string[] = [];
    if (source !== "serial") texts.push((this.pc.textRows() ?? []).join("\n"));
    if (source !== "screen") texts.push(this.serial);
    return texts.some((t) => ("text" in p ? t.includes(p.text) : p.regex.test(t)));
  }

  /** Runs the steps; throws SessionError with a one-line reason when one fails. */
  async run(steps: readonly Step[], opts: SessionOptions): Promise<void> {
    const deadline = opts.nowMs() + opts.timeoutS * 1000;
    for (const step of steps) {
      const t0 = opts.nowMs(),
        m0 = this.pc.machine.clock.now();
      const record = (error?: SessionError) =>
        this.results.push({
          step,
          ok: !error,
          error,
          wallMs: opts.nowMs() - t0,
          machineMs: (this.pc.machine.clock.now() - m0) / 1e6,
        });
      try {
        await this.runStep(step, opts, deadline);
      } catch (e) {
        if (e instanceof GuestPoweredOff) record();
        if (!(e instanceof SessionError)) throw e;
        const at = step.origin?.line !== undefined ? `${step.origin.where}: ` : "";
        const err = at && !e.message.startsWith(at) ? new SessionError(`${at}${e.message}`, e.kind) : e;
        record(err);
        throw err;
      }
      record();
    }
    // Let serial input that follows the last step finish.
    while (this.serialIn.length > 0) await this.advanceUntil(deadline, opts, "while sending to COM1");
  }

  private async runStep(step: Step, opts: SessionOptions, deadline: number): Promise<void> {
    switch (step.kind) {
      case "type":
      case "key":
        if (step.kind === "type" && opts.serialInput) {
          this.sendSerial(Array.from(step.keys, (ch) => ch.charCodeAt(0) & 0xff));
          while (this.serialIn.length > 0) await this.advanceUntil(deadline, opts, "while sending to COM1");
          return;
        }
        if (step.kind === "type") this.typist.type(step.keys);
        else this.typist.press(step.codes);
        while (this.typist.busy) await this.advanceUntil(deadline, opts, "while typing");
        return;
      case "until":
      case "wait": {
        const pattern = step.kind === "until" ? { text: step.text } : step.pattern;
        const source = step.kind === "wait" ? (step.source ?? "any") : "any";
        const stepTimeout = step.kind === "wait" ? step.timeoutS : undefined;
        const limit = stepTimeout === undefined ? deadline : Math.min(deadline, opts.nowMs() + stepTimeout * 1000);
        const seconds = stepTimeout !== undefined && limit < deadline ? stepTimeout : opts.timeoutS;
        while (!this.found(pattern, source)) {
          if (opts.nowMs() > limit)
            throw new SessionError(
              `timeout after ${seconds} s waiting for ${step.kind === "until" ? JSON.stringify(step.text) : describePattern(pattern)}`,
              "timeout",
            );
          await this.advance(opts.chunkNs ?? 20e6, opts);
        }
        return;
      }
      case "sleep": {
        const until = this.pc.machine.clock.now() + step.ms * 1e6;
        for (;;) {
          const left = until - this.pc.machine.clock.now();
          if (left <= 0) return;
          if (opts.nowMs() > deadline) throw new SessionError(`timeout after ${opts.timeoutS} s in a sleep`, "timeout");
          // At least 1 ms: a run too short for one instruction would not move the clock.
          await this.advance(Math.min(Math.max(left, 1e6), opts.chunkNs ?? 20e6), opts);
        }
      }
      case "expect": {
        const here = this.present(step.pattern, step.source ?? "screen");
        if (here === !step.absent) return;
        const where = step.source === "serial" ? "COM1's output" : step.source === "any" ? "screen or COM1" : "screen";
        throw new SessionError(
          `expected ${describePattern(step.pattern)} ${step.absent ? "not " : ""}on the ${where}${step.absent ? ", and it is there" : ""}`,
          "expect",
        );
      }
      case "screenshot":
      case "snapshot": {
        const act = opts.actions?.[step.kind];
        if (!act) throw new SessionError(`${step.kind} steps are not available here`, "input");
        try {
          await act(step.file);
        } catch (e) {
          throw new SessionError(`cannot write ${step.kind} ${step.file}: ${(e as Error).message}`, "input");
        }
        return;
      }
    }
  }

  /** One chunk of machine time, or a timeout error past the deadline. */
  private async advanceUntil(deadline: number, opts: SessionOptions, doing: string): Promise<void> {
    if (opts.nowMs() > deadline) throw new SessionError(`timeout after ${opts.timeoutS} s ${doing}`, "timeout");
    await this.advance(opts.chunkNs ?? 20e6, opts);
  }

  /** Runs the machine for about `ns` of machine time, feeding keys. */
  async advance(ns: number, opts: SessionOptions): Promise<void> {
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
      this.typist.pump();
      for (const pump of this.pumps) pump();
      r = this.pc.run(ns / CHUNK_PARTS);
      if (this.pc.machine.cpu.jit.pending > 0 || this.hostIo?.()) await new Promise((resolve) => setImmediate(resolve));
    }
    if (r.kind === "shutdown") throw new SessionError(`the guest stopped the machine: ${r.reason}`, "crash");
    if (r.kind === "reset") {
      if (opts.crashOnReset) throw new SessionError(`the guest triple-faulted (${r.reason})`, "crash");
      this.onReset?.(r.reason);
      // A guest that resets over and over would never get anywhere.
      if (this.pc.tripleFaults >= 20)
        throw new SessionError(`the guest triple-faulted ${this.pc.tripleFaults} times (last: ${r.reason})`, "crash");
    }
    if (r.kind === "no-boot") throw new SessionError(`no bootable disk (${r.reason})`, "no-boot");
    if (r.kind === "power-off") throw new GuestPoweredOff();
    if (r.kind === "halted-forever") throw new SessionError("the guest halted with interrupts disabled", "crash");
    if (r.kind === "idle" && opts.sleep) {
      const waitMs = Math.max(0, (r.untilNs - this.pc.machine.clock.now()) / 1e6);
      await opts.sleep(Math.min(waitMs, 20));
    }
  }
}

/** [index, length] of the text in s from `from`, or null. */
function matchText(s: string, text: string, from: number): [number, number] | null {
  const at = s.indexOf(text, from);
  return at < 0 ? null : [at, text.length];
}

/** [index, length] of the first match of re in s from `from`, or null. */
function matchRegex(s: string, re: RegExp, from: number): [number, number] | null {
  const m = re.exec(s.slice(from));
  return m ? [from + m.index, m[0].length] : null;
}
