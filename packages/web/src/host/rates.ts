// Rates from the live counters in a VM's control block: MIPS, guest/host time ratio, CPU use
// and exits per second by reason, over the interval between two samples.

import { EXIT_COUNT } from "@x86vm/core";
import {
  CNT_BUSY_MS,
  CNT_CLOCK_LAG_MS,
  CNT_CLOCK_LOST_MS,
  CNT_EXITS,
  CNT_GUEST_NS,
  CNT_INSTRET,
  CNT_RUN_MS,
  CNT_UPDATED_AT,
} from "../shared/control.ts";

export interface Counters {
  instret: number;
  guestNs: number;
  busyMs: number;
  runMs: number;
  /** Wall-clock ms (Unix epoch) when the worker last wrote them. */
  updatedAt: number;
  exits: number[];
  /** How far the guest's clock is behind the host's, ms. */
  clockLagMs: number;
  /** Host time the guest's clock skipped, ms, all told. */
  clockLostMs: number;
}

export interface Rates {
  /** Millions of guest instructions per host second. */
  mips: number;
  /** Guest time that passed per host second, by the guest's own clock (1 = real time, 0 = stopped). */
  timeRatio: number;
  /** At the end of the interval: how far the guest's clock is behind the host's, and the time it skipped, ms. */
  clockLagMs: number;
  clockLostMs: number;
  /** Share of one host core the VM used, percent. */
  cpuPercent: number;
  exitsPerSecond: number[];
  /** Length of the interval, host ms. */
  intervalMs: number;
}

export function readCounters(f64: Float64Array): Counters {
  const exits: number[] = [];
  for (let i = 0; i < EXIT_COUNT; i++) exits.push(f64[CNT_EXITS + i]);
  return {
    instret: f64[CNT_INSTRET],
    guestNs: f64[CNT_GUEST_NS],
    busyMs: f64[CNT_BUSY_MS],
    runMs: f64[CNT_RUN_MS],
    updatedAt: f64[CNT_UPDATED_AT],
    exits,
    clockLagMs: f64[CNT_CLOCK_LAG_MS],
    clockLostMs: f64[CNT_CLOCK_LOST_MS],
  };
}

export const ZERO_RATES: Rates = {
  mips: 0,
  timeRatio: 0,
  clockLagMs: 0,
  clockLostMs: 0,
  cpuPercent: 0,
  exitsPerSecond: new Array<number>(EXIT_COUNT).fill(0),
  intervalMs: 0,
};

/** Rates between two samples taken `intervalMs` of host time apart. */
export function ratesBetween(a: Counters, b: Counters, intervalMs: number): Rates {
  if (!(intervalMs > 0)) return ZERO_RATES;
  const perSec = 1000 / intervalMs;
  return {
    mips: ((b.instret - a.instret) * perSec) / 1e6,
    timeRatio: (b.guestNs - a.guestNs) / 1e6 / intervalMs,
    clockLagMs: b.clockLagMs,
    clockLostMs: b.clockLostMs,
    cpuPercent: ((b.busyMs - a.busyMs) / intervalMs) * 100,
    exitsPerSecond: b.exits.map((v, i) => (v - a.exits[i]) * perSec),
    intervalMs,
  };
}
