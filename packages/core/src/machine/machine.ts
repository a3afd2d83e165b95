// A machine: CPU, physical memory, dispatcher and clock, plus the devices that keep time.
// The machine runs the CPU in slices that end at the next device deadline, then lets the
// timed devices catch up to the clock. While the CPU is halted, deterministic mode jumps the
// clock straight to the next deadline (idle costs nothing); realtime mode jumps as far as the
// host's time allows, then returns to the host, which sleeps until the deadline. Realtime mode
// re-draws the clock's line before each run (time/clock.ts: rate and catch-up), so the CPU runs
// up to each device deadline in both modes and no timer event is merged with the next.
// Board-specific wiring (which chips, which ports) lives elsewhere (packages/devices/src/pc);
// this class knows no device by name.

import { Cpu } from "../cpu/cpu.ts";
import { EV_NMI } from "../cpu/regs.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../memory/physical-memory.ts";
import type { VmMemory } from "../memory/layout.ts";
import { MachineClock, type ClockMode } from "../time/clock.ts";

/** A device with timers: catches up to a time, and says when it next needs attention. */
export interface TimedDevice {
  advance(now: number): void;
  /** Absolute machine ns of the next event that may raise an interrupt, or Infinity. */
  nextDeadline(): number;
}

export interface MachineOptions {
  /** The VM memory (memory/layout.ts) the host allocated, or a guest RAM size in bytes. */
  ram: VmMemory | number;
  clock: ClockMode;
  /** Monotonic host milliseconds, required for the realtime clock (performance.now). */
  hostMs?: () => number;
  /** Virtual ns per instruction in deterministic mode (default 10: a 100 MIPS machine). */
  nsPerInstruction?: number;
}

export type RunResult =
  | { kind: "ran" } // the time slice ended
  | { kind: "idle"; untilNs: number } // halted until a device deadline (realtime mode)
  | { kind: "halted-forever" } // HLT with interrupts off (no NMI pending)
  | { kind: "shutdown"; reason: string } // triple fault or similar: the CPU stopped
  | { kind: "reset"; reason: string }; // the board reset the CPU after a shutdown

/** Longest CPU slice between device catch-ups, in instructions. */
const MAX_SLICE = 200_000;

export class Machine {
  readonly mem: PhysicalMemory;
  readonly io: Dispatcher;
  readonly cpu: Cpu;
  readonly clock: MachineClock;
  private readonly timed: TimedDevice[] = [];

  constructor(opts: MachineOptions) {
    this.mem = new PhysicalMemory(opts.ram);
    this.io = new Dispatcher();
    this.cpu = new Cpu(this.mem, this.io);
    this.clock = new MachineClock({
      mode: opts.clock,
      instructions: () => this.cpu.retired(),
      hostMs: opts.hostMs,
      nsPerInstruction: opts.nsPerInstruction,
    });
    // The time-stamp counter follows machine time: one tick per nanosecond (a 1 GHz TSC), so
    // it agrees with the PIT and RTC in both clock modes.
    this.cpu.tsc = () => this.clock.now();
  }

  addTimed(dev: TimedDevice): void {
    this.timed.push(dev);
  }

  /** The earliest device deadline. */
  nextDeadline(): number {
    let t = Infinity;
    for (const d of this.timed) t = Math.min(t, d.nextDeadline());
    return t;
  }

  /** Lets every timed device catch up to the current time. */
  advanceDevices(): void {
    const now = this.clock.now();
    for (const d of this.timed) d.advance(now);
  }

  /**
   * Runs until `untilNs` of machine time has passed, the CPU shuts down, or (realtime mode)
   * it halts and must wait for the host. Returns what stopped it.
   */
  run(untilNs: number, shouldStop: () => boolean = () => false): RunResult {
    const cpu = this.cpu,
      clock = this.clock;
    const realtime = clock.mode === "realtime";
    // Realtime: a run also ends once it has taken as long in host time as it was to last in
    // machine time (a guest slower than the clock's estimate must not keep the host waiting).
    const hostEnd = realtime ? clock.hostNow() + (untilNs - clock.now()) : Infinity;
    while (clock.now() < untilNs) {
      if (cpu.shutdownReason !== null) return { kind: "shutdown", reason: cpu.shutdownReason };
      if (shouldStop()) return { kind: "ran" };
      if (cpu.halted) {
        this.advanceDevices();
        if (cpu.run(1) > 0 || !cpu.halted) continue; // an interrupt woke it
        const next = this.nextDeadline();
        // With interrupts off only an NMI could wake it, and no device of the machine raises
        // one: whatever timers are pending, it stays halted.
        if ((cpu.getFlags() & 0x200) === 0 && (cpu.events & EV_NMI) === 0) return { kind: "halted-forever" };
        // Deterministic: jump to the deadline. Realtime: jump as far as the host's time allows
        // (a guest behind the host catches up without waiting), else the host waits.
        const to = Math.min(next, untilNs);
        if (clock.idleTo(to)) {
          this.advanceDevices();
          continue;
        }
        return { kind: "idle", untilNs: to };
      }
      // Realtime: re-draw the clock's line (rate, catch-up) before each run of the CPU.
      if (realtime) clock.sync();
      // Run up to the next device deadline at the clock's current rate, so that every timer
      // event is delivered at its own time, in both modes.
      const deadline = Math.min(this.nextDeadline(), untilNs);
      const budget = Math.min(MAX_SLICE, Math.max(1, Math.ceil((deadline - clock.now()) / clock.rate)));
      cpu.run(budget);
      this.advanceDevices();
      if (realtime) {
        clock.ran();
        if (clock.lastHost >= hostEnd && clock.now() < untilNs) break;
      }
    }
    if (cpu.shutdownReason !== null) return { kind: "shutdown", reason: cpu.shutdownReason };
    return { kind: "ran" };
  }
}
