// The machine loop on the realtime clock against a fake host clock, deterministic in every
// run: the host's time is what the emulated instructions cost (a slow emulator) plus the sleeps
// the test's host loop takes (a CPU share, oversleeping, a long stop). A periodic timer that
// raises one edge per catch-up, as the 8254 does, interrupts a real-mode guest whose handler
// counts the interrupts it gets; the counts and the guest's time must stay right.
import { describe, expect, it } from "vitest";
import { Machine, type TimedDevice } from "./machine.ts";
import { CS, DS, ES, SS } from "../cpu/regs.ts";
import { MAX_LAG_NS } from "../time/clock.ts";

const PERIOD_NS = 4e6; // a 250 Hz tick (Linux's HZ)
const COUNT_AT = 0x600; // the guest's interrupt counter (dword)

/** Like the 8254's counter 0 on its line: one rising edge per catch-up, however many periods passed. */
class Ticker implements TimedDevice {
  periods = 0;
  edges = 0;
  constructor(private readonly m: Machine) {}
  advance(now: number): void {
    const k = Math.floor(now / PERIOD_NS);
    if (k <= this.periods) return;
    this.periods = k;
    this.edges++;
    this.m.cpu.setIntr(true);
  }
  nextDeadline(): number {
    return (this.periods + 1) * PERIOD_NS;
  }
}

interface Host {
  /** Host ns one emulated instruction costs. */
  nsPerInstruction: number;
  /** The VM's CPU share in percent: after a busy B ms the host sleeps B * (100 - share) / share. */
  share: number;
  /** Extra ms every idle sleep lasts (a host timer that fires late). */
  oversleepMs?: number;
  /** Host stops: at host ms `at`, the host does not run the VM for `ms`. */
  stops?: { at: number; ms: number }[];
}

function build(code: number[], host: Host) {
  const h = { sleptMs: 0 };
  let machine: Machine | null = null;
  const hostMs = () => h.sleptMs + (machine ? (machine.cpu.retired() * host.nsPerInstruction) / 1e6 : 0);
  const m = (machine = new Machine({ ram: 1 << 20, clock: "realtime", hostMs }));
  const cpu = m.cpu;
  // IRQ vector 8: inc dword [COUNT_AT]; iret.
  m.mem.ram.set([0x66, 0xff, 0x06, COUNT_AT & 0xff, COUNT_AT >> 8, 0xcf], 0x2000);
  m.mem.ram.set([0x00, 0x20, 0x00, 0x00], 8 * 4);
  m.mem.ram.set(code, 0x1000);
  for (const s of [DS, ES, SS]) cpu.setSegReal(s, 0, 0xffff, 0x93);
  cpu.setSegReal(CS, 0, 0xffff, 0x9b);
  cpu.setEip(0x1000);
  cpu.r16[4 << 1] = 0x9000;
  cpu.intAck = () => {
    cpu.setIntr(false);
    return 8;
  };
  const ticker = new Ticker(m);
  m.addTimed(ticker);
  return { m, h, hostMs, ticker, delivered: () => m.mem.read32(COUNT_AT) };
}

/** The host's loop, as the web worker runs it: 10 ms slices, share sleeps, idle sleeps, stops. */
function drive(b: ReturnType<typeof build>, host: Host, untilMs: number): void {
  const { m, h, hostMs } = b;
  const stops = [...(host.stops ?? [])];
  while (hostMs() < untilMs) {
    const t0 = hostMs();
    const r = m.run(m.clock.now() + 10e6);
    const busy = hostMs() - t0;
    if (host.share < 100) h.sleptMs += (busy * (100 - host.share)) / host.share;
    if (r.kind === "idle") h.sleptMs += (r.untilNs - m.clock.now()) / 1e6 + (host.oversleepMs ?? 0);
    if (stops.length > 0 && hostMs() >= stops[0].at) h.sleptMs += stops.shift()!.ms;
  }
}

const BUSY = [0xfb, 0xeb, 0xfe]; // sti; jmp $
const IDLE = [0xfb, 0xf4, 0xeb, 0xfd]; // sti; hlt; jmp back to the hlt

describe("realtime machine: guest time and timer interrupts follow the host", () => {
  it("a busy guest on a slow emulator (5x slower than the nominal 10 ns) at 100%", () => {
    const host: Host = { nsPerInstruction: 50, share: 100 };
    const b = build(BUSY, host);
    drive(b, host, 5000);
    const g = b.m.clock.now(),
      hNow = b.m.clock.hostNow();
    expect(Math.abs(hNow - g)).toBeLessThan(25e6);
    // Every period of guest time gave the guest one interrupt: none merged, none lost.
    expect(b.ticker.edges).toBe(Math.floor(g / PERIOD_NS));
    expect(b.delivered()).toBeGreaterThanOrEqual(b.ticker.edges - 1);
    expect(b.m.clock.lostNs).toBe(0);
    expect(b.m.clock.speed).toBeCloseTo(50, 0);
  });

  it("a busy guest at a 25% CPU share: the guest's clock runs four times its instructions' worth", () => {
    const host: Host = { nsPerInstruction: 30, share: 25 };
    const b = build(BUSY, host);
    drive(b, host, 8000);
    const g = b.m.clock.now(),
      hNow = b.m.clock.hostNow();
    expect(Math.abs(hNow - g)).toBeLessThan(0.01 * hNow); // within 1% over 8 s
    expect(hNow - g).toBeLessThan(100e6);
    expect(b.ticker.edges).toBe(Math.floor(g / PERIOD_NS));
    expect(b.delivered()).toBeGreaterThanOrEqual(b.ticker.edges - 1);
    expect(b.m.clock.resyncs).toBe(0);
  });

  it("an idle guest whose host oversleeps every wait by 7 ms still gets every tick", () => {
    const host: Host = { nsPerInstruction: 40, share: 100, oversleepMs: 7 };
    const b = build(IDLE, host);
    drive(b, host, 3000);
    const g = b.m.clock.now();
    expect(b.m.clock.hostNow() - g).toBeLessThan(PERIOD_NS + 7e6 + 1e6);
    expect(b.ticker.edges).toBe(Math.floor(g / PERIOD_NS));
    expect(b.delivered()).toBe(b.ticker.edges);
  });

  it("a 600 ms host stop (within the cap) is caught up: the ticks of those 600 ms are all delivered", () => {
    const host: Host = { nsPerInstruction: 30, share: 100, stops: [{ at: 1000, ms: 600 }] };
    const b = build(BUSY, host);
    drive(b, host, 2200);
    const g = b.m.clock.now();
    expect(b.m.clock.lostNs).toBe(0);
    expect(Math.abs(b.m.clock.hostNow() - g)).toBeLessThan(25e6);
    expect(b.ticker.edges).toBe(Math.floor(g / PERIOD_NS));
    expect(b.delivered()).toBeGreaterThanOrEqual(b.ticker.edges - 1);
  });

  it("a 10 s stop (a paused debugger, a background tab) resyncs instead of storming", () => {
    const host: Host = { nsPerInstruction: 30, share: 100, stops: [{ at: 500, ms: 10_000 }] };
    const b = build(BUSY, host);
    drive(b, host, 10_700);
    const clock = b.m.clock;
    expect(clock.resyncs).toBe(1);
    expect(clock.lostNs).toBeGreaterThan(10_000e6 - MAX_LAG_NS);
    expect(clock.lostNs).toBeLessThanOrEqual(10_000e6 + 1);
    const g = clock.now();
    expect(Math.abs(clock.hostNow() - g)).toBeLessThan(25e6); // the clock is back with the host's
    // Ticks: one per period of the time the guest lived, plus at most one for the jump.
    const lived = g - clock.lostNs;
    expect(b.ticker.edges).toBeLessThanOrEqual(Math.floor(lived / PERIOD_NS) + 2);
    expect(b.ticker.edges).toBeGreaterThanOrEqual(Math.floor(lived / PERIOD_NS) - 1);
  });

  it("the TSC is smooth: within a run of the CPU it advances the same amount per instruction", () => {
    const host: Host = { nsPerInstruction: 50, share: 25 };
    const b = build(BUSY, host);
    drive(b, host, 300);
    // The largest ratio between two runs' rates stays far below the 10x Linux's PIT
    // calibration tolerates between loop iterations (arch/x86/kernel/tsc.c).
    const rates: number[] = [];
    const m = b.m;
    const sample: TimedDevice = {
      advance: () => rates.push(m.clock.rate),
      nextDeadline: () => Infinity,
    };
    m.addTimed(sample);
    drive(b, host, 2300);
    let worst = 1;
    for (let i = 1; i < rates.length; i++) worst = Math.max(worst, rates[i] / rates[i - 1], rates[i - 1] / rates[i]);
    expect(worst).toBeLessThan(5);
  });
});

describe("deterministic machine", () => {
  it("ignores the host clock: time is instructions x 10 ns, every tick on time", () => {
    const host: Host = { nsPerInstruction: 50, share: 25 };
    const h = { sleptMs: 0 };
    const m = new Machine({ ram: 1 << 20, clock: "deterministic", hostMs: () => h.sleptMs });
    m.mem.ram.set([0x66, 0xff, 0x06, COUNT_AT & 0xff, COUNT_AT >> 8, 0xcf], 0x2000);
    m.mem.ram.set([0x00, 0x20, 0x00, 0x00], 8 * 4);
    m.mem.ram.set(BUSY, 0x1000);
    for (const s of [DS, ES, SS]) m.cpu.setSegReal(s, 0, 0xffff, 0x93);
    m.cpu.setSegReal(CS, 0, 0xffff, 0x9b);
    m.cpu.setEip(0x1000);
    m.cpu.r16[4 << 1] = 0x9000;
    m.cpu.intAck = () => {
      m.cpu.setIntr(false);
      return 8;
    };
    const t = new Ticker(m);
    m.addTimed(t);
    for (let i = 0; i < 100; i++) {
      m.run(m.clock.now() + 10e6);
      h.sleptMs += 1000 * (100 / host.share);
    }
    expect(m.clock.now()).toBe(m.cpu.instret * 10);
    expect(t.edges).toBe(Math.floor(m.clock.now() / PERIOD_NS));
    expect(m.mem.read32(COUNT_AT)).toBeGreaterThanOrEqual(t.edges - 1);
  });
});
