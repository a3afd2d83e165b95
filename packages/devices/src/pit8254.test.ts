import { describe, it, expect } from "vitest";
import { StateError, cloneState, type StateRecord } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import { Pit8254, PIT_HZ, pitTickTime, pitTicksAt } from "./pit8254.ts";

// The PC wiring, chosen by the test as the machine would.
const BASE = 0x40;
const CH0 = 0x40,
  CH2 = 0x42,
  CTRL = 0x43;
// Control words: counter << 6 | rw << 4 | mode << 1 | bcd.
const cw = (counter: number, mode: number, rw = 3, bcd = 0) => (counter << 6) | (rw << 4) | (mode << 1) | bcd;
const STATUS_OUT = 0x80,
  STATUS_NULL = 0x40;

function setup(startNs = 0) {
  const h = new DeviceHarness();
  h.clock.t = startNs;
  const irq = h.irq("irq0");
  const pit = new Pit8254(h.clock, irq);
  h.attach(pit.ioSurface(BASE), pit);
  /** Moves machine time to the middle of input-clock tick k (away from any edge). */
  const goto = (k: number) => {
    const t = Math.floor((pitTickTime(k) + pitTickTime(k + 1)) / 2);
    expect(t).toBeGreaterThanOrEqual(h.clock.t);
    h.clockStep(t - h.clock.t);
  };
  const write16 = (port: number, v: number) => {
    h.outb(port, v & 0xff);
    h.outb(port, v >> 8);
  };
  /** Latches and reads a counter's count (in LSB-then-MSB mode). */
  const count = (counter: number) => {
    h.outb(CTRL, counter << 6);
    const lo = h.inb(BASE + counter);
    return lo | (h.inb(BASE + counter) << 8);
  };
  /** Read-back of a counter's status byte. */
  const status = (counter: number) => {
    h.outb(CTRL, 0xe0 | (2 << counter));
    return h.inb(BASE + counter);
  };
  const out = (counter: number) => (status(counter) & STATUS_OUT) !== 0;
  return { h, irq, pit, goto, write16, count, status, out };
}

describe("8254: time base", () => {
  it("converts between machine time and input-clock ticks", () => {
    expect(pitTicksAt(1e9)).toBe(PIT_HZ);
    expect(pitTickTime(PIT_HZ)).toBe(1e9);
    for (const k of [1, 2, 18, 65536, 123456789]) {
      const t = pitTickTime(k);
      expect(pitTicksAt(t)).toBe(k);
      expect(pitTicksAt(t - 1)).toBe(k - 1);
    }
  });
});

describe("8254: modes", () => {
  it("mode 0: OUT rises N+1 clocks after the write, then the count wraps", () => {
    const { h, irq, pit, goto, write16, count, out } = setup();
    h.outb(CTRL, cw(0, 0));
    expect(out(0)).toBe(false);
    write16(CH0, 100);
    expect(pit.nextDeadline()).toBe(pitTickTime(1)); // the load on the next clock
    goto(1);
    expect(count(0)).toBe(100);
    expect(pit.nextDeadline()).toBe(pitTickTime(101));
    goto(50);
    expect(count(0)).toBe(51);
    goto(100);
    expect(count(0)).toBe(1);
    expect(out(0)).toBe(false);
    expect(irq.level).toBe(false);
    goto(101);
    expect(count(0)).toBe(0);
    expect(out(0)).toBe(true);
    expect(irq.level).toBe(true);
    expect(irq.rises).toBe(1);
    goto(102);
    expect(count(0)).toBe(0xffff);
    expect(out(0)).toBe(true);
    expect(pit.nextDeadline()).toBe(Infinity);
  });

  it("mode 0: writing the first byte of a new count stops counting and drops OUT", () => {
    const { h, irq, goto, count } = setup();
    h.outb(CTRL, cw(0, 0));
    h.outb(CH0, 5);
    h.outb(CH0, 0);
    goto(10);
    expect(irq.level).toBe(true);
    h.outb(CH0, 20);
    expect(irq.level).toBe(false);
    goto(15);
    expect(count(0) & 0xff).toBe(0xfc); // frozen where the first byte stopped it (0xfffc at tick 10)
    h.outb(CH0, 0); // MSB written at tick 15: 20 is loaded at tick 16
    goto(36);
    expect(irq.level).toBe(true);
    expect(irq.rises).toBe(2);
  });

  it("mode 1: a GATE rising edge starts a retriggerable N-clock low pulse", () => {
    const { h, pit, goto, write16, count, out } = setup();
    h.outb(CTRL, cw(2, 1));
    write16(CH2, 5);
    expect(out(2)).toBe(true);
    goto(10);
    expect(out(2)).toBe(true); // no trigger yet
    pit.setGate(2, false);
    goto(20);
    pit.setGate(2, true); // trigger at tick 20
    expect(out(2)).toBe(true);
    goto(21);
    expect(out(2)).toBe(false);
    expect(count(2)).toBe(5);
    goto(25);
    expect(out(2)).toBe(false);
    goto(26);
    expect(out(2)).toBe(true);
    // Retrigger in the middle of a pulse: it starts over.
    pit.setGate(2, false);
    goto(30);
    pit.setGate(2, true);
    goto(33);
    pit.setGate(2, false);
    pit.setGate(2, true); // retrigger at tick 33: low from 34 to 38
    goto(38);
    expect(out(2)).toBe(false);
    goto(39);
    expect(out(2)).toBe(true);
  });

  it("mode 2: OUT low for one clock every N, the count reloads", () => {
    const { h, irq, goto, write16, count, out } = setup();
    h.outb(CTRL, cw(0, 2));
    expect(irq.rises).toBe(1); // a control word sets OUT high in mode 2
    write16(CH0, 4);
    const outs: boolean[] = [],
      counts: number[] = [];
    for (let k = 1; k <= 9; k++) {
      goto(k);
      outs.push(out(0));
      counts.push(count(0));
    }
    expect(counts).toEqual([4, 3, 2, 1, 4, 3, 2, 1, 4]);
    expect(outs).toEqual([true, true, true, false, true, true, true, false, true]);
    expect(irq.rises).toBe(3);
  });

  it("mode 2: a new count takes effect at the end of the current period", () => {
    const { h, irq, pit, goto, write16, status } = setup();
    h.outb(CTRL, cw(0, 2));
    write16(CH0, 10); // period from tick 1: rises at 11, 21, ...
    goto(5);
    write16(CH0, 4);
    expect(status(0) & STATUS_NULL).toBe(STATUS_NULL);
    expect(pit.nextDeadline()).toBe(pitTickTime(11));
    goto(10);
    expect(irq.level).toBe(false);
    goto(11);
    expect(status(0) & STATUS_NULL).toBe(0);
    expect(pit.nextDeadline()).toBe(pitTickTime(15));
    goto(14);
    expect(irq.level).toBe(false);
    goto(15);
    expect(irq.level).toBe(true);
    expect(irq.rises).toBe(3);
  });

  it("mode 3: square wave with an even count, counting by two", () => {
    const { h, goto, write16, count, out } = setup();
    h.outb(CTRL, cw(2, 3));
    write16(CH2, 6);
    const outs: boolean[] = [],
      counts: number[] = [];
    for (let k = 1; k <= 7; k++) {
      goto(k);
      outs.push(out(2));
      counts.push(count(2));
    }
    expect(counts).toEqual([6, 4, 2, 6, 4, 2, 6]);
    expect(outs).toEqual([true, true, true, false, false, false, true]);
  });

  it("mode 3: an odd count is high (N+1)/2 clocks and low (N-1)/2", () => {
    const { h, goto, write16, out } = setup();
    h.outb(CTRL, cw(2, 3));
    write16(CH2, 5);
    const outs: boolean[] = [];
    for (let k = 1; k <= 11; k++) {
      goto(k);
      outs.push(out(2));
    }
    expect(outs).toEqual([true, true, true, false, false, true, true, true, false, false, true]);
  });

  it("mode 3: a new count takes effect at the end of the current half-cycle", () => {
    const { h, goto, write16, out } = setup();
    h.outb(CTRL, cw(2, 3));
    write16(CH2, 10); // high ticks 1-5, low 6-10
    goto(3);
    write16(CH2, 20); // from tick 6: low for 10 clocks, then high for 10
    goto(15);
    expect(out(2)).toBe(false);
    goto(16);
    expect(out(2)).toBe(true);
    goto(25);
    expect(out(2)).toBe(true);
    goto(26);
    expect(out(2)).toBe(false);
  });

  it("mode 4: one clock low N+1 clocks after the write", () => {
    const { h, irq, goto, write16, out } = setup();
    h.outb(CTRL, cw(0, 4));
    const risesBefore = irq.rises;
    write16(CH0, 3);
    goto(3);
    expect(out(0)).toBe(true);
    goto(4);
    expect(out(0)).toBe(false);
    goto(5);
    expect(out(0)).toBe(true);
    expect(irq.rises).toBe(risesBefore + 1);
    goto(70000);
    expect(out(0)).toBe(true); // no strobe when the count wraps
    expect(irq.rises).toBe(risesBefore + 1);
  });

  it("mode 5: one clock low N+1 clocks after a GATE trigger", () => {
    const { h, pit, goto, write16, out, status } = setup();
    h.outb(CTRL, cw(2, 5));
    write16(CH2, 3);
    goto(10);
    expect(out(2)).toBe(true);
    expect(status(2) & STATUS_NULL).toBe(STATUS_NULL); // not loaded until triggered
    pit.setGate(2, false);
    pit.setGate(2, true);
    goto(11);
    expect(status(2) & STATUS_NULL).toBe(0);
    goto(13);
    expect(out(2)).toBe(true);
    goto(14);
    expect(out(2)).toBe(false);
    goto(15);
    expect(out(2)).toBe(true);
  });

  it("modes 6 and 7 are modes 2 and 3", () => {
    const { h, goto, write16, out, status } = setup();
    h.outb(CTRL, cw(2, 7));
    write16(CH2, 4);
    expect(status(2) & 0x0e).toBe(0x0e); // the status reports M2-M0 as written
    goto(3);
    expect(out(2)).toBe(false); // square wave: low half from tick 3
  });
});

describe("8254: counting and access", () => {
  it("counts in BCD", () => {
    const { h, goto, write16, count } = setup();
    h.outb(CTRL, cw(0, 0, 3, 1));
    write16(CH0, 0x0100);
    goto(1);
    expect(count(0)).toBe(0x0100);
    goto(2);
    expect(count(0)).toBe(0x0099);
    goto(12);
    expect(count(0)).toBe(0x0089);
    h.outb(CTRL, cw(0, 0, 3, 1));
    write16(CH0, 0); // 10000 in BCD
    goto(13);
    expect(count(0)).toBe(0x0000);
    goto(14);
    expect(count(0)).toBe(0x9999);
  });

  it("LSB-only and MSB-only read/write modes", () => {
    const { h, goto } = setup();
    h.outb(CTRL, cw(0, 0, 1));
    h.outb(CH0, 50);
    goto(1);
    expect(h.inb(CH0)).toBe(50);
    expect(h.inb(CH0)).toBe(50); // no byte pointer: LSB every time
    h.outb(CTRL, cw(0, 0, 2));
    h.outb(CH0, 0x02); // 0x0200
    goto(2);
    expect(h.inb(CH0)).toBe(0x02);
    goto(3);
    expect(h.inb(CH0)).toBe(0x01); // 0x01ff
  });

  it("the latch command holds the count until read; later latches are ignored", () => {
    const { h, goto, write16 } = setup();
    h.outb(CTRL, cw(0, 0));
    write16(CH0, 1000);
    goto(10);
    h.outb(CTRL, 0x00); // latch counter 0: 991
    goto(20);
    h.outb(CTRL, 0x00); // ignored: a count is already latched
    goto(30);
    expect(h.inb(CH0) | (h.inb(CH0) << 8)).toBe(991);
    // Unlatched reads follow the counter.
    expect(h.inb(CH0) | (h.inb(CH0) << 8)).toBe(971);
  });

  it("read-back latches status and count; status is read first", () => {
    const { h, goto, write16 } = setup();
    h.outb(CTRL, cw(0, 2));
    write16(CH0, 300);
    h.outb(CTRL, 0xc2); // read-back: count and status of counter 0
    expect(h.inb(CH0)).toBe(STATUS_OUT | STATUS_NULL | 0x34); // not loaded yet: null count
    h.inb(CH0);
    h.inb(CH0); // the count latched with it (undefined before the load)
    goto(5);
    h.outb(CTRL, 0xc2);
    expect(h.inb(CH0)).toBe(STATUS_OUT | 0x34);
    expect(h.inb(CH0) | (h.inb(CH0) << 8)).toBe(296);
    // Read-back for several counters at once.
    h.outb(CTRL, cw(2, 0, 1));
    h.outb(CTRL, 0xea); // status only, of counters 0 and 2
    expect(h.inb(CH0) & 0x3f).toBe(0x34);
    expect(h.inb(CH2)).toBe(STATUS_NULL | 0x10);
  });

  it("a count written but not yet loaded reads as that count (Linux's quick TSC calibration reads it at once)", () => {
    const { h, goto, write16 } = setup();
    goto(10);
    h.outb(CTRL, cw(2, 0)); // counter 2, mode 0, as quick_pit_calibrate does
    write16(CH2, 0xffff);
    expect(h.inb(CH2)).toBe(0xff); // the same tick: the load is still due at the next CLK pulse
    expect(h.inb(CH2)).toBe(0xff);
    goto(12);
    expect(h.inb(CH2) | (h.inb(CH2) << 8)).toBe(0xffff - 1);
    // Mode 3 with an odd count: the CE starts at N - 1.
    h.outb(CTRL, cw(2, 3));
    write16(CH2, 301);
    expect(h.inb(CH2) | (h.inb(CH2) << 8)).toBe(300);
  });

  it("reads and writes of the same counter interleave with their own byte pointers", () => {
    const { h, goto, write16 } = setup();
    h.outb(CTRL, cw(0, 0));
    write16(CH0, 0x1234);
    goto(1);
    h.outb(CTRL, 0x00);
    const lo = h.inb(CH0);
    h.outb(CH0, 0x78); // first byte of a new count
    const hi = h.inb(CH0);
    h.outb(CH0, 0x56);
    expect(lo | (hi << 8)).toBe(0x1234);
    goto(2);
    h.outb(CTRL, 0x00);
    expect(h.inb(CH0) | (h.inb(CH0) << 8)).toBe(0x5678);
  });

  it("the control port reads as all ones", () => {
    const { h } = setup();
    expect(h.inb(CTRL)).toBe(0xff);
  });
});

describe("8254: gates", () => {
  it("mode 0: GATE low suspends counting", () => {
    const { h, pit, goto, write16, count, out } = setup();
    h.outb(CTRL, cw(2, 0));
    write16(CH2, 10);
    goto(5);
    expect(count(2)).toBe(6);
    pit.setGate(2, false);
    goto(100);
    expect(count(2)).toBe(6);
    expect(out(2)).toBe(false);
    pit.setGate(2, true);
    goto(105);
    expect(count(2)).toBe(1);
    goto(106);
    expect(out(2)).toBe(true);
  });

  it("mode 0: a count written while GATE is low waits, loaded, for GATE", () => {
    const { h, pit, goto, write16, count, out } = setup();
    pit.setGate(2, false);
    h.outb(CTRL, cw(2, 0));
    write16(CH2, 4);
    goto(50);
    expect(count(2)).toBe(4);
    pit.setGate(2, true); // OUT rises N clocks later
    goto(53);
    expect(out(2)).toBe(false);
    goto(54);
    expect(out(2)).toBe(true);
  });

  it("mode 2: GATE low forces OUT high; its rising edge restarts the period", () => {
    const { h, pit, goto, write16, out, count } = setup();
    h.outb(CTRL, cw(2, 2));
    write16(CH2, 5); // low at ticks 5, 10, ...
    goto(5);
    expect(out(2)).toBe(false);
    pit.setGate(2, false);
    expect(out(2)).toBe(true);
    goto(40);
    expect(out(2)).toBe(true);
    expect(count(2)).toBe(1);
    pit.setGate(2, true); // reload at 41: low at 45
    goto(44);
    expect(out(2)).toBe(true);
    expect(count(2)).toBe(2);
    goto(45);
    expect(out(2)).toBe(false);
  });

  it("mode 3: a gate-held counter reports no speaker frequency", () => {
    const { h, pit, write16, goto } = setup();
    h.outb(CTRL, cw(2, 3));
    write16(CH2, 1193);
    goto(2);
    expect(pit.frequencyHz(2)).toBeCloseTo(1000.15, 1);
    pit.setGate(2, false);
    expect(pit.frequencyHz(2)).toBe(0);
  });
});

describe("8254: counter 0 interrupts", () => {
  function countRises(mode: number, step: (pit: Pit8254, t: number) => number) {
    const s = setup();
    s.h.outb(CTRL, cw(0, mode));
    s.write16(CH0, 0);
    const before = s.irq.rises;
    while (s.h.clock.t < 1e9) s.h.clockStep(Math.min(step(s.pit, s.h.clock.t), 1e9) - s.h.clock.t);
    return s.irq.rises - before;
  }

  it("mode 2 with reload 0 gives about 18.2 edges per second, stepping to each deadline", () => {
    expect(countRises(2, (pit) => pit.nextDeadline())).toBe(Math.floor((PIT_HZ - 1) / 65536));
  });

  it("mode 3 with reload 0 gives the same edges in fixed 1 ms slices", () => {
    expect(countRises(3, (_pit, t) => t + 1e6)).toBe(18);
  });

  it("every edge reaches the line even when OUT fell again within the slice", () => {
    const { h, irq, write16 } = setup();
    h.outb(CTRL, cw(0, 3));
    write16(CH0, 0); // high 32768 clocks (27.5 ms), low 27.5 ms; rises every 54.9 ms
    h.clockStep(30e6);
    expect(irq.level).toBe(false);
    const before = irq.rises;
    h.clockStep(60e6); // at 90 ms: passed the rise at 54.9 ms and the fall at 82.4 ms
    expect(irq.rises).toBe(before + 1);
    expect(irq.level).toBe(true); // the fall waits for the next advance
    h.clockStep(1e6);
    expect(irq.level).toBe(false);
  });

  it("nextDeadline follows the edges of a running rate generator", () => {
    const { h, pit, write16, goto } = setup(5_000_000);
    const k0 = pitTicksAt(5_000_000);
    h.outb(CTRL, cw(0, 2));
    write16(CH0, 100);
    goto(k0 + 1);
    expect(pit.nextDeadline()).toBe(pitTickTime(k0 + 101));
    goto(k0 + 150);
    expect(pit.nextDeadline()).toBe(pitTickTime(k0 + 201));
  });
});

describe("8254: timer catch-up (realtime mode)", () => {
  // Linux's tick: mode 2, reload 4773 (250 Hz). The test plays the interrupt controller: an edge
  // on the line is a request, timerAcknowledged() the CPU taking it.
  const RELOAD = 4773;
  const periodNs = (RELOAD * 1e9) / PIT_HZ;
  function ticking(reinject: boolean) {
    const s = setup();
    s.pit.reinject = reinject;
    s.h.outb(CTRL, cw(0, 2));
    s.write16(CH0, RELOAD);
    s.h.clockStep(1000); // the count is loaded; OUT is high
    const base = s.irq.rises;
    return { ...s, edges: () => s.irq.rises - base };
  }

  it("edges merged in one catch-up are re-delivered one per acknowledge, not at once", () => {
    const { h, edges, pit } = ticking(true);
    h.clockStep(10 * periodNs); // ten periods pass in one step (a slow slice)
    expect(edges()).toBe(1);
    expect(pit.backlog).toBe(9);
    for (let i = 0; i < 9; i++) pit.timerAcknowledged();
    expect(edges()).toBe(10); // every tick reached the guest
    expect(pit.backlog).toBe(0);
    pit.timerAcknowledged(); // the last one taken: nothing more owed
    expect(edges()).toBe(10);
    expect(pit.reinjected).toBe(9);
  });

  it("an edge raised while the previous one waits (interrupts off) joins the backlog", () => {
    const { h, edges, pit } = ticking(true);
    for (let i = 0; i < 5; i++) h.clockStep(periodNs); // five edges, none taken: the controller keeps one
    expect(edges()).toBe(5);
    pit.timerAcknowledged(); // the CPU takes the one the controller held; four were merged into it
    expect(pit.backlog).toBe(3);
    expect(edges()).toBe(6);
    for (let i = 0; i < 3; i++) pit.timerAcknowledged();
    expect(pit.backlog).toBe(0);
    expect(edges()).toBe(9);
  });

  it("caps the backlog at a second's worth of ticks: a long stop does not storm", () => {
    const { h, edges, pit } = ticking(true);
    h.clockStep(60e9); // a minute in one step
    expect(edges()).toBe(1);
    expect(pit.backlog).toBe(Math.floor(1e9 / periodNs)); // 249 at 250 Hz
  });

  it("re-delivers nothing for one-shot counts (Linux's tick in one-shot mode)", () => {
    const s = setup();
    s.pit.reinject = true;
    s.h.outb(CTRL, cw(0, 4)); // mode 4, as Linux's i8253 clockevent in one-shot mode
    const base = s.irq.rises;
    for (let i = 0; i < 5; i++) {
      s.write16(CH0, 100); // an event 100 clocks away, programmed again before the last was taken
      s.h.clockStep(200e3);
    }
    expect(s.irq.rises - base).toBe(5);
    s.pit.timerAcknowledged();
    expect(s.irq.rises - base).toBe(5);
    expect(s.pit.backlog).toBe(0);
  });

  it("is off in deterministic mode: merged edges stay merged, as before", () => {
    const { h, edges, pit } = ticking(false);
    h.clockStep(10 * periodNs);
    pit.timerAcknowledged();
    expect(edges()).toBe(1);
    expect(pit.backlog).toBe(0);
  });
});

describe("8254: state", () => {
  function busy() {
    const s = setup();
    s.h.outb(CTRL, cw(0, 2));
    s.write16(CH0, 1000);
    s.h.outb(CTRL, cw(1, 0, 3, 1));
    s.write16(BASE + 1, 0x2500);
    s.h.outb(CTRL, cw(2, 3));
    s.write16(CH2, 77);
    s.pit.setGate(2, false);
    s.goto(3000);
    s.pit.setGate(2, true);
    s.goto(3010);
    s.h.outb(CTRL, 0x80); // latch counter 2, leave it unread
    s.h.outb(CH0, 0x10); // half a count write on counter 0 (mode 2: takes effect later)
    s.goto(3500);
    return s;
  }

  it("round-trips mid-count and continues identically", () => {
    const a = busy();
    const saved = cloneState(a.pit.saveState());
    const b = setup(a.h.clock.t);
    b.pit.loadState(saved, 1);
    expect(b.pit.saveState()).toEqual(a.pit.saveState());
    expect(b.irq.level).toBe(a.irq.level);
    const risesA = a.irq.rises,
      risesB = b.irq.rises;
    const trace = (s: typeof a) => {
      const base = s.irq.rises;
      const r: number[] = [s.h.inb(CH2), s.h.inb(CH2)]; // the latched count
      s.h.outb(CH0, 0x02); // completes 0x0210 = 528
      for (const k of [3600, 3650, 4001, 5000, 6003, 9999]) {
        s.goto(k);
        r.push(s.count(0), s.count(1), s.count(2), s.status(0), s.status(2), s.irq.rises - base, s.pit.nextDeadline());
      }
      return r;
    };
    const ta = trace(a),
      tb = trace(b);
    expect(tb).toEqual(ta);
    expect(a.irq.rises - risesA).toBeGreaterThan(3);
    expect(b.irq.rises - risesB).toBe(a.irq.rises - risesA);
  });

  it("refuses corrupt state and stays unchanged", () => {
    const a = busy();
    const good = a.pit.saveState();
    const before = cloneState(good);
    const corrupt = (f: (s: any) => void): StateRecord => {
      const s = cloneState(good) as any;
      f(s);
      return s;
    };
    const bad: StateRecord[] = [
      corrupt((s) => {
        s.counters[0].control = 0x04;
      }), // no read/write mode
      corrupt((s) => {
        s.counters[0].n = 0;
      }), // loaded with no count
      corrupt((s) => {
        s.counters[1].n = 20000;
      }), // above the BCD modulus
      corrupt((s) => {
        s.counters[2].lastTick = "3500";
      }),
      corrupt((s) => {
        s.counters[0].pendingTick = 5;
      }), // a load in the past
      corrupt((s) => {
        s.counters[1].latchedCount = 0x10000;
      }),
      corrupt((s) => {
        s.counters.pop();
      }),
      corrupt((s) => {
        s.out0 = null;
      }),
      corrupt((s) => {
        s.counters[2].gate = 1;
      }),
    ];
    for (const s of bad) expect(() => a.pit.loadState(s, 1)).toThrow(StateError);
    expect(() => a.pit.loadState(cloneState(good), 2)).toThrow(StateError);
    expect(a.pit.saveState()).toEqual(before);
  });
});
