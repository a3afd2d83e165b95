// The machine clock: one per machine; devices are given its time, never the host's.
//
// Time is virtual nanoseconds since power-on, a double (exact to 2^53 ns, about 104 days).
// Two modes:
//  - deterministic: time advances with executed instructions (a fixed number of nanoseconds
//    per instruction) plus any idle time skipped while the CPU is halted; a boot is the same,
//    instruction for instruction, every run.
//  - realtime: time follows a host time source handed in by the host layer (Node or the
//    worker); this module never reads a host clock itself.

export type ClockMode = "deterministic" | "realtime";

/** What devices see: the current machine time. */
export interface TimeSource {
  now(): number;
}

export const NS_PER_SECOND = 1e9;

export class MachineClock implements TimeSource {
  readonly mode: ClockMode;
  /** Virtual nanoseconds per executed instruction in deterministic mode. */
  readonly nsPerInstruction: number;
  /** Returns the number of instructions executed so far (deterministic mode). */
  private readonly instructions: () => number;
  /** Host milliseconds, monotonic (realtime mode). */
  private readonly hostMs: () => number;
  private idleNs = 0;
  private hostStartMs = 0;

  constructor(opts: { mode: ClockMode; instructions: () => number; hostMs?: () => number; nsPerInstruction?: number }) {
    this.mode = opts.mode;
    this.instructions = opts.instructions;
    this.nsPerInstruction = opts.nsPerInstruction ?? 10;
    if (opts.mode === "realtime" && !opts.hostMs) throw new Error("a realtime clock needs a host time source");
    this.hostMs = opts.hostMs ?? (() => 0);
    this.hostStartMs = this.hostMs();
  }

  now(): number {
    if (this.mode === "deterministic") return this.instructions() * this.nsPerInstruction + this.idleNs;
    return (this.hostMs() - this.hostStartMs) * 1e6 + this.idleNs;
  }

  /**
   * While the CPU is halted: in deterministic mode jump straight to `t` (idle costs nothing);
   * in realtime mode the host sleeps instead, so nothing changes here.
   */
  skipTo(t: number): void {
    if (this.mode !== "deterministic") return;
    const now = this.now();
    if (t > now) this.idleNs += t - now;
  }

  /** Saved with snapshots so time goes on from where it was. */
  get offset(): number {
    return this.idleNs;
  }
  restore(offsetNs: number, atNs: number): void {
    if (this.mode === "deterministic") this.idleNs = offsetNs;
    else {
      this.idleNs = 0;
      this.hostStartMs = this.hostMs() - atNs / 1e6;
    }
  }
}
