import { EXIT_COUNT } from "@x86vm/core";
import { describe, expect, it } from "vitest";
import { ratesBetween, ZERO_RATES, type Counters } from "./rates.ts";

const counters = (instret: number, guestNs: number, busyMs: number, exit0: number): Counters => ({
  instret,
  guestNs,
  busyMs,
  runMs: 0,
  updatedAt: 0,
  exits: [exit0, ...new Array<number>(EXIT_COUNT - 1).fill(0)],
  clockLagMs: guestNs / 1e7,
  clockLostMs: busyMs * 2,
});

describe("ratesBetween", () => {
  it("turns two samples into MIPS, time ratio, CPU use and exits per second", () => {
    const r = ratesBetween(counters(1e6, 0, 0, 10), counters(51e6, 500e6, 250, 110), 1000);
    expect(r.mips).toBeCloseTo(50);
    expect(r.timeRatio).toBeCloseTo(0.5);
    expect(r.cpuPercent).toBeCloseTo(25);
    expect(r.exitsPerSecond[0]).toBeCloseTo(100);
    expect(r.intervalMs).toBe(1000);
    expect(r.clockLagMs).toBe(50); // the clock's state at the end of the interval
    expect(r.clockLostMs).toBe(500);
  });

  it("gives zeros for an empty interval", () => {
    expect(ratesBetween(counters(0, 0, 0, 0), counters(5, 5, 5, 5), 0)).toBe(ZERO_RATES);
  });
});
