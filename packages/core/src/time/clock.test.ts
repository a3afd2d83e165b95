// The machine clock on its own: deterministic time from the instruction count, and the
// realtime clock's line (rate, catch-up, resync, idle jumps) against a fake host clock.
import { describe, expect, it } from "vitest";
import {
  CATCHUP_NS,
  MAX_CATCHUP,
  MAX_LAG_NS,
  MAX_RATE_NS,
  MachineClock,
  RAMP_NS,
  SETTLE_MEASUREMENTS,
  ticksAt,
} from "./clock.ts";

/** A fake machine: an instruction counter and a host clock the test moves. */
function fake() {
  const f = { n: 0, hostMs: 0 };
  const clock = new MachineClock({ mode: "realtime", instructions: () => f.n, hostMs: () => f.hostMs });
  return { f, clock };
}

/** Runs the fake through the clock's first speed measurements at 10 ns an instruction, in step with the host. */
function settle(f: { n: number; hostMs: number }, clock: MachineClock) {
  clock.sync();
  for (let i = 0; i < SETTLE_MEASUREMENTS; i++) {
    f.n += 200_000;
    f.hostMs += 2;
    clock.ran();
    clock.sync();
  }
}

describe("deterministic clock", () => {
  it("is instructions times ns per instruction plus skipped idle time, and ignores the host", () => {
    let n = 0,
      host = 0;
    const clock = new MachineClock({
      mode: "deterministic",
      instructions: () => n,
      hostMs: () => host,
      nsPerInstruction: 10,
    });
    n = 1234;
    host = 99_999;
    clock.sync();
    clock.ran();
    expect(clock.now()).toBe(12_340);
    expect(clock.rate).toBe(10);
    expect(clock.idleTo(50_000)).toBe(true);
    expect(clock.now()).toBe(50_000);
    n = 1334;
    expect(clock.now()).toBe(51_000);
    expect(clock.lag()).toBe(0);
  });
});

describe("realtime clock", () => {
  it("is a straight line in the instruction count between syncs: no host reading in between", () => {
    const { f, clock } = fake();
    clock.sync();
    const r = clock.rate;
    const t0 = clock.now();
    f.n = 1000;
    f.hostMs = 500; // the host's time moves, the guest's follows only its instructions until the next sync
    expect(clock.now()).toBe(t0 + 1000 * r);
    f.n = 1001;
    expect(clock.now()).toBe(t0 + 1001 * r);
  });

  it("never jumps at a sync: only the rate changes", () => {
    const { f, clock } = fake();
    clock.sync();
    f.n = 100_000;
    f.hostMs = 7; // the host is well ahead
    const before = clock.now();
    clock.ran();
    clock.sync();
    expect(clock.now()).toBe(before);
    f.n = 100_001;
    expect(clock.now()).toBeGreaterThan(before);
  });

  it("measures the host's time per instruction while the CPU runs, not while the host sleeps", () => {
    const { f, clock } = fake();
    for (let i = 0; i < 40; i++) {
      clock.sync();
      f.n += 100_000;
      f.hostMs += 5; // 50 ns an instruction
      clock.ran();
      f.hostMs += 15; // a sleep (a 25% CPU share): not instruction time
    }
    expect(clock.speed).toBeCloseTo(50, 3);
  });

  it("aims at the catch-up factor when behind, never past MAX_CATCHUP, and below 1 when ahead", () => {
    const { f, clock } = fake();
    clock.sync();
    f.hostMs = CATCHUP_NS / 1e6; // one catch-up horizon behind
    clock.sync();
    expect(clock.factor).toBeCloseTo(2, 9);
    f.hostMs = (0.9 * MAX_LAG_NS) / 1e6; // far behind, within the cap
    clock.sync();
    expect(clock.factor).toBe(MAX_CATCHUP);
    // Ahead of the host: slower than the measured speed, still moving.
    const { f: g, clock: c2 } = fake();
    c2.sync();
    g.n = 10_000_000; // 100 ms of guest time at 10 ns an instruction
    c2.ran();
    c2.sync();
    expect(c2.factor).toBeLessThan(1);
    expect(c2.rate).toBeLessThan(c2.speed);
    expect(c2.rate).toBeGreaterThan(0);
  });

  it("moves the rate towards its aim by at most e per RAMP_NS of guest time (a smooth TSC)", () => {
    const { f, clock } = fake();
    settle(f, clock);
    const r0 = clock.rate;
    f.hostMs += 0.5; // half a millisecond behind: the aim is 1.025 x the speed
    clock.sync();
    expect(clock.factor).toBeCloseTo(1.025, 9);
    expect(clock.rate).toBe(r0); // no guest time has passed since the last sync
    f.n += 10_000; // 0.1 ms of guest time
    clock.sync();
    expect(clock.rate).toBeCloseTo(r0 * Math.exp(0.1e6 / RAMP_NS), 9);
    expect(clock.rate).toBeLessThan(clock.speed * clock.factor);
    // Guest time passes (the host's clock held): the rate reaches its aim.
    f.n += Math.round(RAMP_NS / clock.rate);
    clock.sync();
    expect(clock.rate).toBeCloseTo(clock.speed * clock.factor, 9);
    // A long stop of the host changes the aim, not the rate: it still moves e per RAMP_NS of guest time.
    const r1 = clock.rate;
    f.hostMs += 600;
    clock.sync();
    expect(clock.factor).toBe(MAX_CATCHUP);
    expect(clock.rate).toBe(r1);
    f.n += Math.round(RAMP_NS / 10 / r1);
    clock.sync();
    expect(clock.rate).toBeCloseTo(r1 * Math.exp(0.1), 6);
  });

  it("takes the measured speed at once while its first measurements come in", () => {
    const { f, clock } = fake();
    clock.sync();
    for (let i = 0; i < SETTLE_MEASUREMENTS; i++) {
      f.n += 100_000;
      f.hostMs += 4; // 40 ns an instruction, not the 10 assumed at first
      clock.ran();
      clock.sync();
    }
    // The estimate moves at most 4x a measurement and halfway each time: close to 40 by now.
    expect(clock.speed).toBeGreaterThan(35);
    expect(clock.rate).toBe(clock.speed * clock.factor);
  });

  it("host stalls never make the guest's rate jump: over any window of guest time W it changes at most e^(W/RAMP_NS)", () => {
    // A host that runs the CPU at 30 ns an instruction and is descheduled for 50-350 ms after
    // every 100-900 ms of host time, at pseudo-random points: during runs (the speed
    // measurement sees them) and between runs.
    const { f, clock } = fake();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let nextStall = 100 + 800 * rnd();
    const maybeStall = () => {
      if (f.hostMs < nextStall) return;
      f.hostMs += 50 + 300 * rnd();
      nextStall = f.hostMs + 100 + 800 * rnd();
    };
    const samples: { t: number; rate: number }[] = [];
    while (f.hostMs < 20_000) {
      clock.sync();
      samples.push({ t: clock.now(), rate: clock.rate });
      const n = Math.max(1, Math.round((4e6 * (0.2 + rnd())) / clock.rate)); // about a 4 ms deadline
      f.n += n;
      f.hostMs += (n * 30) / 1e6;
      if (rnd() < 0.5) maybeStall();
      clock.ran();
      maybeStall();
    }
    expect(clock.resyncs).toBe(0);
    let worst = 0;
    for (let i = SETTLE_MEASUREMENTS * 10; i < samples.length; i++)
      for (let j = i + 1; j < samples.length && samples[j].t - samples[i].t <= 50e6; j++) {
        const ratio = Math.max(samples[j].rate / samples[i].rate, samples[i].rate / samples[j].rate);
        worst = Math.max(worst, ratio / Math.exp((samples[j].t - samples[i].t) / RAMP_NS));
      }
    expect(worst).toBeLessThanOrEqual(1 + 1e-9);
    // ... and the guest's clock still follows the host's: the lag stays well under the resync cap.
    expect(clock.lag()).toBeLessThan(MAX_LAG_NS / 2);
  });

  it("never shows the guest a CPU slower than MAX_RATE_NS an instruction: a host too slow falls behind and resyncs", () => {
    const { f, clock } = fake();
    clock.sync();
    for (let i = 0; i < 2000; i++) {
      f.n += 10_000;
      f.hostMs += 10; // 1000 ns an instruction: code run for the first time on a loaded host
      clock.ran();
      clock.sync();
      expect(clock.rate).toBeLessThanOrEqual(MAX_RATE_NS);
    }
    expect(clock.speed).toBeCloseTo(1000, 0);
    expect(clock.resyncs).toBeGreaterThan(5); // ... and its clock jumps to the host's time now and then
    expect(clock.lag()).toBeLessThanOrEqual(MAX_LAG_NS);
  });

  it("resyncs to the host's time past MAX_LAG_NS and counts the time lost", () => {
    const { f, clock } = fake();
    clock.sync();
    f.hostMs = 10_000; // a 10 s stop
    clock.sync();
    expect(clock.now()).toBe(10_000e6);
    expect(clock.lostNs).toBe(10_000e6);
    expect(clock.resyncs).toBe(1);
    expect(clock.lag()).toBe(0);
    // Within the cap, time is not lost: it is caught up.
    f.hostMs += 900;
    clock.sync();
    expect(clock.resyncs).toBe(1);
    expect(clock.lag()).toBe(900e6);
  });

  it("while halted, goes to the deadline or the host's time, whichever is first", () => {
    const { f, clock } = fake();
    clock.sync(); // the first run: host time counts from here
    f.hostMs = 3;
    expect(clock.idleTo(1e6)).toBe(true); // host at 3 ms, deadline at 1 ms: caught up to the deadline
    expect(clock.now()).toBe(1e6);
    expect(clock.idleTo(5e6)).toBe(false); // the host is at 3 ms: the host waits the rest
    expect(clock.now()).toBe(3e6);
    f.hostMs = 2_000; // a long stop while halted
    expect(clock.idleTo(4e6)).toBe(true);
    expect(clock.now()).toBe(2_000e6); // resynced, not 4 ms
    expect(clock.resyncs).toBe(1);
  });

  it("counts the host's time from the first run, not from when the machine was built", () => {
    const { f, clock } = fake();
    f.hostMs = 250; // building the machine, loading images
    clock.sync();
    expect(clock.lag()).toBe(0);
    f.hostMs = 260;
    expect(clock.lag()).toBe(10e6);
  });

  it("restores at a saved time with no lag", () => {
    const { f, clock } = fake();
    f.hostMs = 123;
    f.n = 777;
    clock.restore(0, 5e9);
    expect(clock.now()).toBe(5e9);
    expect(clock.lag()).toBe(0);
  });
});

describe("ticksAt", () => {
  it("counts whole ticks of a device clock, the same for every device", () => {
    expect(ticksAt(1e9, 1_193_182)).toBe(1_193_182);
    expect(ticksAt(1e9 - 1, 3_579_545)).toBe(3_579_544);
    expect(ticksAt(279.3, 3_579_545)).toBe(0);
    expect(ticksAt(280, 3_579_545)).toBe(1);
  });
});
