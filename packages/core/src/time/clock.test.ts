// The machine clock on its own: deterministic time from the instruction count, and the
// realtime clock's line (rate, catch-up, resync, idle jumps) against a fake host clock.
import { describe, expect, it } from "vitest";
import { CATCHUP_NS, MAX_CATCHUP, MAX_LAG_NS, MachineClock, RAMP_NS, ticksAt } from "./clock.ts";

/** A fake machine: an instruction counter and a host clock the test moves. */
function fake() {
  const f = { n: 0, hostMs: 0 };
  const clock = new MachineClock({ mode: "realtime", instructions: () => f.n, hostMs: () => f.hostMs });
  return { f, clock };
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

  it("moves the rate towards its aim by at most e per RAMP_NS of guest or host time (a smooth TSC)", () => {
    const { f, clock } = fake();
    clock.sync();
    const r0 = clock.rate;
    f.hostMs = 0.5; // half a millisecond behind: the aim is 1.025 x the speed
    clock.sync();
    expect(clock.factor).toBeCloseTo(1.025, 9);
    expect(clock.rate).toBeCloseTo(r0 * Math.exp(0.5e6 / RAMP_NS), 9); // limited by the 0.5 ms that passed
    expect(clock.rate).toBeLessThan(clock.speed * clock.factor);
    // Guest time passes (the host's clock held): the rate reaches its aim.
    f.n += Math.round(RAMP_NS / clock.rate);
    clock.sync();
    expect(clock.rate).toBeCloseTo(clock.speed * clock.factor, 9);
    // A long stop of the host: the rate may move at once.
    f.hostMs += 600;
    clock.sync();
    expect(clock.rate).toBeCloseTo(clock.speed * MAX_CATCHUP, 9);
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
