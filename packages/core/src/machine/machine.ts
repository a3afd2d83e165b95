// A machine: CPU, physical memory, dispatcher and clock, plus the devices that keep time.
// The machine runs the CPU in slices that end at the next device deadline, then lets the
// timed devices catch up to the clock. While the CPU is halted, deterministic mode jumps the
// clock straight to the next deadline (idle costs nothing); realtime mode returns to the host,
// which sleeps until then. Board-specific wiring (which chips, which ports) lives elsewhere
// (packages/devices/src/pc); this class knows no device by name.

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
    const nsPer = clock.nsPerInstruction;
    while (clock.now() < untilNs) {
      if (cpu.shutdownReason !== null) return { kind: "shutdown", reason: cpu.shutdownReason };
      if (shouldStop()) return { kind: "ran" };
      const deadline = Math.min(this.nextDeadline(), untilNs);
      if (cpu.halted) {
        this.advanceDevices();
        if (cpu.run(1) > 0 || !cpu.halted) continue; // an interrupt woke it
        const next = this.nextDeadline();
        // With interrupts off only an NMI could wake it, and no device of the machine raises
        // one: whatever timers are pending, it stays halted.
        if ((cpu.getFlags() & 0x200) === 0 && (cpu.events & EV_NMI) === 0) return { kind: "halted-forever" };
        if (clock.mode === "deterministic") {
          clock.skipTo(Math.min(next, untilNs));
          this.advanceDevices();
          continue;
        }
        return { kind: "idle", untilNs: Math.min(next, untilNs) };
      }
      let budget = MAX_SLICE;
      if (clock.mode === "deterministic") {
        budget = Math.min(MAX_SLICE, Math.max(1, Math.ceil((deadline - clock.now()) / nsPer)));
      }
      cpu.run(budget);
      this.advanceDevices();
    }
    if (cpu.shutdownReason !== null) return { kind: "shutdown", reason: cpu.shutdownReason };
    return { kind: "ran" };
  }
}
