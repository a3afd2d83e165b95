// The dispatcher: every exit of the interpreter (port I/O, MMIO, HLT, CPUID, MSR, control
// register writes, BIOS service traps, shutdown) goes through here to the module that
// emulates it, and is counted by reason. Port I/O is routed by the IoBus; MMIO by the
// physical memory map (which reports each access here); the rest by registered handlers.

import { IoBus } from "./io-bus.ts";
import {
  EXIT_BIOS,
  EXIT_COUNT,
  EXIT_CPUID,
  EXIT_CR_WRITE,
  EXIT_EXCEPTION,
  EXIT_HLT,
  EXIT_INTERRUPT,
  EXIT_IO_IN,
  EXIT_IO_OUT,
  EXIT_MMIO_READ,
  EXIT_MMIO_WRITE,
  EXIT_MSR_READ,
  EXIT_MSR_WRITE,
  EXIT_NAMES,
  EXIT_SHUTDOWN,
  type ExitName,
} from "./exits.ts";

/** Handlers for the exits that are not port or memory accesses. All are optional. */
export interface ExitHandlers {
  /** CPUID: fill out[0..3] with EAX, EBX, ECX, EDX for the leaf. */
  cpuid?(leaf: number, subleaf: number, out: Int32Array): void;
  /** RDMSR: write the value into out[0] (low) and out[1] (high); return false for #GP. */
  rdmsr?(index: number, out: Int32Array): boolean;
  /** WRMSR: return false for #GP. */
  wrmsr?(index: number, lo: number, hi: number): boolean;
  /** A BIOS service trap from the ROM; return false if the service id is unknown. */
  bios?(service: number): boolean;
  /** The CPU can no longer run (triple fault or shutdown): the machine decides what follows. */
  shutdown?(reason: string): void;
  /** Control register written (n = 0, 2, 3, 4). */
  crWrite?(n: number, value: number): void;
}

export class Dispatcher {
  readonly io = new IoBus();
  /** Exit counts by reason (indices are the EXIT_* constants). */
  readonly counts = new Float64Array(EXIT_COUNT);
  handlers: ExitHandlers = {};

  in8(port: number): number {
    this.counts[EXIT_IO_IN]++;
    return this.io.in8(port);
  }
  in16(port: number): number {
    this.counts[EXIT_IO_IN]++;
    return this.io.in16(port);
  }
  in32(port: number): number {
    this.counts[EXIT_IO_IN]++;
    return this.io.in32(port);
  }
  out8(port: number, v: number): void {
    this.counts[EXIT_IO_OUT]++;
    this.io.out8(port, v);
  }
  out16(port: number, v: number): void {
    this.counts[EXIT_IO_OUT]++;
    this.io.out16(port, v);
  }
  out32(port: number, v: number): void {
    this.counts[EXIT_IO_OUT]++;
    this.io.out32(port, v);
  }

  mmio(write: boolean): void {
    this.counts[write ? EXIT_MMIO_WRITE : EXIT_MMIO_READ]++;
  }
  hlt(): void {
    this.counts[EXIT_HLT]++;
  }
  interrupt(): void {
    this.counts[EXIT_INTERRUPT]++;
  }
  exception(): void {
    this.counts[EXIT_EXCEPTION]++;
  }

  cpuid(leaf: number, subleaf: number, out: Int32Array): void {
    this.counts[EXIT_CPUID]++;
    out.fill(0);
    this.handlers.cpuid?.(leaf, subleaf, out);
  }
  rdmsr(index: number, out: Int32Array): boolean {
    this.counts[EXIT_MSR_READ]++;
    return this.handlers.rdmsr?.(index, out) ?? false;
  }
  wrmsr(index: number, lo: number, hi: number): boolean {
    this.counts[EXIT_MSR_WRITE]++;
    return this.handlers.wrmsr?.(index, lo, hi) ?? false;
  }
  crWrite(n: number, value: number): void {
    this.counts[EXIT_CR_WRITE]++;
    this.handlers.crWrite?.(n, value);
  }
  bios(service: number): boolean {
    this.counts[EXIT_BIOS]++;
    return this.handlers.bios?.(service) ?? false;
  }
  shutdown(reason: string): void {
    this.counts[EXIT_SHUTDOWN]++;
    this.handlers.shutdown?.(reason);
  }

  /** Exit counts by name, for statistics. */
  stats(): Record<ExitName, number> {
    const out = {} as Record<ExitName, number>;
    EXIT_NAMES.forEach((name, i) => {
      out[name] = this.counts[i];
    });
    return out;
  }
}
