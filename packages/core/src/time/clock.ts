// The machine clock: one per machine; devices are given its time, never the host's.
//
// Time is virtual nanoseconds since power-on, a double (exact to 2^53 ns, about 104 days).
// Two modes:
//  - deterministic: time advances with executed instructions (a fixed number of nanoseconds
//    per instruction) plus any idle time skipped while the CPU is halted; a boot is the same,
//    instruction for instruction, every run.
//  - realtime: time follows a host time source handed in by the host layer (Node or the
//    worker); this module never reads a host clock itself.
//
// Realtime mode, key design choice: guest time is never read from the host between two
// instructions. It is a straight line in the instruction count, `base + (n - baseN) * rate`,
// and the machine re-draws the line (sync) before each run of the CPU: the rate is the host
// time one instruction has been taking, times a catch-up factor that grows with how far the
// guest is behind the host. So the TSC, the PIT and every other device read one smooth clock
// (two RDTSCs a loop apart always differ by the same amount within a run, which Linux's TSC
// calibration against the PIT needs), the guest's clock follows the host's whatever the
// emulator's speed or CPU share, and each timer event between the guest's time and the host's
// is still delivered, in order, as the guest catches up (the machine runs the CPU up to each
// device deadline). While the CPU is halted the clock jumps ahead to the next deadline or the
// host's time, whichever is first. The lag is capped (MAX_LAG_NS): a guest further behind (a
// stopped debugger, a host that slept) jumps to the host's time, and the time skipped is counted
// in `lostNs` rather than paid back as a storm of timer interrupts. See docs/time.md.

export type ClockMode = "deterministic" | "realtime";

/** What devices see: the current machine time. */
export interface TimeSource {
  now(): number;
}

export const NS_PER_SECOND = 1e9;

/**
 * Whole ticks of an `hz` clock that have occurred by machine time `ns` (a device counter that
 * runs from power-on: the PIT's 1.193182 MHz, the ACPI PM timer's 3.579545 MHz). The one way
 * devices turn machine time into their own counts, so every counter agrees with the TSC.
 */
export function ticksAt(ns: number, hz: number): number {
  return Math.floor((ns * hz) / NS_PER_SECOND);
}

/** The TSC's nominal frequency: one tick per machine nanosecond, in both clock modes. */
export const TSC_HZ = NS_PER_SECOND;

/** Realtime: lag beyond which the clock jumps to the host's time (the time is lost). */
export const MAX_LAG_NS = 1e9;
/** Realtime: the lag is made up over about this much host running time. */
export const CATCHUP_NS = 20e6;
/** Realtime: the guest's clock runs at most this many times its measured speed (catching up). */
export const MAX_CATCHUP = 20;
/** Realtime: ... and at least this fraction of it (when ahead of the host). */
const MIN_CATCHUP = 1 / 16;
/** Realtime: bounds of the measured host ns per instruction. */
const MIN_SPEED_NS = 0.1;
const MAX_SPEED_NS = 20_000;
/** Realtime: host time over which one speed measurement is taken. */
const MEASURE_NS = 2e6;
/** Realtime: runs shorter than this are left out of the speed measurement. */
const MIN_MEASURE_INSTRUCTIONS = 1000;
/** Realtime: the rate changes by at most a factor e per this much guest time. */
export const RAMP_NS = 25e6;
/**
 * Realtime: the guest's clock advances at most this many ns per instruction (its CPU never looks
 * slower than 4 MIPS). Linux calibrates the TSC by counting loops of about 17 instructions
 * against the PIT and wants at least 1000 in 10 ms; an emulator slower than this for a while
 * (code run for the first time, a loaded host, a small CPU share) lets the guest fall behind,
 * and past MAX_LAG_NS its clock jumps to the host's, rather than showing it a slower CPU.
 */
export const MAX_RATE_NS = 250;
/** Realtime: the rate follows its aim at once until this many speed measurements are in. */
export const SETTLE_MEASUREMENTS = 8;

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

  // Realtime: guest time is baseNs + (instructions - baseInstr) * rate.
  private baseNs = 0;
  private baseInstr = 0;
  /** Guest ns per instruction until the next sync. */
  private rateNs: number;
  /** The catch-up factor the rate is moving towards (realtime). */
  factor = 1;
  /** Guest time at the last sync (the rate's ramp counts from there). */
  private syncNs = 0;
  /** Host ns one instruction has been taking (measured while the CPU runs). */
  private speedNs: number;
  /** The run since the last sync: its host start (NaN when none) and instruction count. */
  private chunkHost = NaN;
  private chunkInstr = 0;
  /** Speed measurements taken so far (the first SETTLE_MEASUREMENTS set the rate at once). */
  private measurements = 0;
  /** Host time and instructions of the runs not yet averaged into the speed. */
  private measureHost = 0;
  private measureInstr = 0;
  /** The host's time at the last ran() (realtime). */
  lastHost = 0;
  /** The machine has run since it was built or restored (realtime). */
  private started = false;
  /** Host time skipped by resyncs (the guest was more than MAX_LAG_NS behind). */
  lostNs = 0;
  /** How many times the clock jumped to the host's time. */
  resyncs = 0;
  /** How many runs of the CPU the line was re-drawn for (statistics). */
  syncs = 0;

  constructor(opts: { mode: ClockMode; instructions: () => number; hostMs?: () => number; nsPerInstruction?: number }) {
    this.mode = opts.mode;
    this.instructions = opts.instructions;
    this.nsPerInstruction = opts.nsPerInstruction ?? 10;
    if (opts.mode === "realtime" && !opts.hostMs) throw new Error("a realtime clock needs a host time source");
    this.hostMs = opts.hostMs ?? (() => 0);
    this.hostStartMs = this.hostMs();
    this.rateNs = this.speedNs = this.nsPerInstruction;
    this.baseInstr = this.instructions();
  }

  now(): number {
    if (this.mode === "deterministic") return this.instructions() * this.nsPerInstruction + this.idleNs;
    return this.baseNs + (this.instructions() - this.baseInstr) * this.rateNs;
  }

  /** Realtime: the host's time on the machine's scale (ns since power-on, pauses excluded). */
  hostNow(): number {
    if (!this.started) this.alignHost();
    return (this.hostMs() - this.hostStartMs) * 1e6;
  }

  /** Guest ns per instruction until the next sync (deterministic: nsPerInstruction). */
  get rate(): number {
    return this.mode === "deterministic" ? this.nsPerInstruction : this.rateNs;
  }

  /**
   * How many times faster than its instructions' worth the guest's clock runs now (realtime:
   * above 1 while catching up; 1 in deterministic mode). A host that runs the machine in slices
   * of machine time multiplies them by this, so a slice keeps its length in host time.
   */
  get catchUp(): number {
    return this.mode === "deterministic" ? 1 : this.rateNs / this.speedNs;
  }

  /** Host ns one instruction has been taking, as last measured (realtime). */
  get speed(): number {
    return this.speedNs;
  }

  /** How far the guest's clock is behind the host's, in ns (realtime; 0 in deterministic mode). */
  lag(): number {
    return this.mode === "deterministic" ? 0 : this.hostNow() - this.now();
  }

  /**
   * Realtime, before the CPU runs: re-draws the line from the current time with a new rate (the
   * measured speed times the catch-up factor), first jumping to the host's time if the guest is
   * more than MAX_LAG_NS behind. Deterministic mode: nothing.
   */
  sync(): void {
    if (this.mode === "deterministic") return;
    this.syncs++;
    const n = this.instructions();
    this.rebase(n);
    const host = this.hostNow();
    let lag = host - this.baseNs;
    if (lag > MAX_LAG_NS) {
      this.lostNs += lag;
      this.resyncs++;
      this.baseNs = host;
      lag = 0;
    }
    // Behind: 1 + lag/CATCHUP_NS (twice as fast one horizon behind); ahead: the inverse.
    this.factor =
      lag >= 0 ? Math.min(MAX_CATCHUP, 1 + lag / CATCHUP_NS) : Math.max(MIN_CATCHUP, 1 / (1 - lag / CATCHUP_NS));
    // The rate moves towards speed x factor by at most e per RAMP_NS of guest time since the
    // last sync: the TSC's rate changes less than 1.5x over Linux's 10 ms PIT calibration loop
    // and 7.4x over its 50 ms one, under the 10x the loop tolerates, whatever the host did
    // meanwhile. Host time does not count: a host that stalled (descheduled, a GC pause) changes
    // the aim, never the rate at once, so the guest does not see a stall as its CPU suddenly
    // running many times slower against its own timers. Only while the first measurements of
    // the speed come in (the firmware's first milliseconds) does the rate take its aim at once.
    const target = Math.min(MAX_RATE_NS, this.speedNs * this.factor);
    if (this.measurements < SETTLE_MEASUREMENTS) this.rateNs = target;
    else {
      const step = Math.exp(Math.min(50, (this.baseNs - this.syncNs) / RAMP_NS));
      this.rateNs = Math.min(this.rateNs * step, Math.max(this.rateNs / step, target));
    }
    this.syncNs = this.baseNs;
    this.chunkHost = host;
    this.chunkInstr = n;
  }

  /**
   * Realtime, after the CPU ran since the last sync: adds the run to the speed measurement (host
   * time per instruction, averaged over at least MEASURE_NS of host time). Time the host spends
   * elsewhere (sleeping, paused) falls between a ran() and the next sync(), so it is not counted.
   */
  ran(): void {
    if (this.mode === "deterministic" || this.chunkHost !== this.chunkHost) return;
    const host = (this.lastHost = this.hostNow()),
      n = this.instructions();
    // A run of a few instructions (the CPU halted at once) measures the call, not the CPU.
    if (n - this.chunkInstr >= MIN_MEASURE_INSTRUCTIONS) {
      this.measureHost += host - this.chunkHost;
      this.measureInstr += n - this.chunkInstr;
    }
    this.chunkHost = NaN;
    if (this.measureHost >= MEASURE_NS && this.measureInstr > 0) {
      // One measurement moves the estimate at most 4x (a compile or a GC pause is not the
      // emulator's speed), within bounds no emulator leaves.
      const sample = Math.min(this.speedNs * 4, Math.max(this.speedNs / 4, this.measureHost / this.measureInstr));
      this.speedNs = Math.min(MAX_SPEED_NS, Math.max(MIN_SPEED_NS, (this.speedNs + sample) / 2));
      this.measureHost = 0;
      this.measureInstr = 0;
      this.measurements++;
    }
  }

  /**
   * Realtime, while the CPU is halted (its instructions do not count): the clock goes to `t` or
   * to the host's time, whichever is first, and true is returned if it reached `t` (the host
   * need not wait).
   */
  idleTo(t: number): boolean {
    if (this.mode === "deterministic") {
      this.skipTo(t);
      return true;
    }
    this.chunkHost = NaN;
    this.rebase(this.instructions());
    const host = this.hostNow();
    if (host - this.baseNs > MAX_LAG_NS) {
      this.lostNs += host - this.baseNs;
      this.resyncs++;
      this.baseNs = host;
    }
    const to = Math.min(t, host);
    if (to > this.baseNs) this.baseNs = to;
    return this.baseNs >= t;
  }

  /**
   * The first look at the host's time (the first run): the host's time is counted from here
   * (the time spent building or restoring the machine is not time the guest has lost).
   */
  private alignHost(): void {
    this.started = true;
    this.hostStartMs = this.hostMs() - this.now() / 1e6;
  }

  private rebase(n: number): void {
    this.baseNs += (n - this.baseInstr) * this.rateNs;
    this.baseInstr = n;
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
      this.baseNs = this.syncNs = atNs;
      this.baseInstr = this.instructions();
      this.chunkHost = NaN;
      this.rateNs = this.speedNs;
      this.started = false;
    }
  }
}
