// The local APIC and the I/O APIC: the 8259 passes through while the APIC is software-disabled
// or LINT0 is ExtINT; IRR/ISR/PPR priority and EOI; the timer (divider, one-shot, periodic,
// current count on machine time); self-IPIs; the I/O APIC's routing, masks, edge and level
// inputs with remote IRR cleared by EOI; IA32_APIC_BASE; the snapshot records.
import { describe, expect, it } from "vitest";
import {
  APIC_BUS_HZ,
  IoApic,
  LAPIC_EOI,
  LAPIC_DFR,
  LAPIC_ICR_HI,
  LAPIC_ICR_LO,
  LAPIC_IRR,
  LAPIC_ISR,
  LAPIC_LDR,
  LAPIC_LVT_LINT0,
  LAPIC_LVT_TIMER,
  LAPIC_PPR,
  LAPIC_SVR,
  LAPIC_TIMER_CURRENT,
  LAPIC_TIMER_DIVIDE,
  LAPIC_TIMER_INITIAL,
  LAPIC_TPR,
  LocalApic,
  LVT_MASKED,
  LVT_TIMER_PERIODIC,
  RTE_LEVEL,
  RTE_MASKED,
  RTE_REMOTE_IRR,
  SVR_ENABLE,
} from "./apic.ts";

function make(sliceClock?: { now(): number }) {
  const clock = { t: 0, now: () => clock.t };
  const cpu = { intr: false, picVector: 0x08, picAcks: 0 };
  let io: IoApic | null = null;
  const lapic = new LocalApic(
    clock,
    {
      setIntr: (l) => (cpu.intr = l),
      picAck: () => (cpu.picAcks++, cpu.picVector),
      eoi: (v) => io?.eoi(v),
    },
    sliceClock,
  );
  io = new IoApic(lapic);
  const w = (off: number, v: number) => lapic.memory.write32(off, v);
  const r = (off: number) => lapic.memory.read32(off) >>> 0;
  return { clock, cpu, lapic, io, w, r };
}
const enable = (m: ReturnType<typeof make>) => m.w(LAPIC_SVR, SVR_ENABLE | 0xff);
const ioWrite = (io: IoApic, reg: number, v: number) => {
  io.memory.write32(0, reg);
  io.memory.write32(0x10, v);
};
const ioRead = (io: IoApic, reg: number) => {
  io.memory.write32(0, reg);
  return io.memory.read32(0x10) >>> 0;
};

describe("local APIC: the 8259 on LINT0", () => {
  it("passes the 8259 through while software-disabled, blocks it once enabled with LINT0 masked", () => {
    const m = make();
    m.lapic.setPicIntr(true);
    expect(m.cpu.intr).toBe(true);
    expect(m.lapic.acknowledge()).toBe(0x08);
    enable(m); // LINT0 stays masked as at reset
    expect(m.cpu.intr).toBe(false);
    m.w(LAPIC_LVT_LINT0, 0x700); // ExtINT, unmasked: virtual wire
    expect(m.cpu.intr).toBe(true);
    m.lapic.setPicIntr(false);
    expect(m.cpu.intr).toBe(false);
  });
});

describe("local APIC: priorities and EOI", () => {
  it("delivers the highest IRR vector above the PPR, nests by class and retires on EOI", () => {
    const m = make();
    enable(m);
    m.lapic.accept(0x41, false);
    m.lapic.accept(0x62, false);
    expect(m.cpu.intr).toBe(true);
    expect(m.lapic.acknowledge()).toBe(0x62);
    // 0x41 is of a lower class than the one in service: held.
    expect(m.cpu.intr).toBe(false);
    expect(m.r(LAPIC_PPR)).toBe(0x60);
    expect(m.r(LAPIC_ISR + 0x30) & (1 << 2)).not.toBe(0); // vector 0x62: word 3, bit 2
    expect(m.r(LAPIC_IRR + 0x20) & (1 << 1)).not.toBe(0); // vector 0x41 pending
    m.lapic.accept(0x71, false); // a higher class interrupts the handler
    expect(m.lapic.acknowledge()).toBe(0x71);
    m.w(LAPIC_EOI, 0);
    m.w(LAPIC_EOI, 0);
    expect(m.cpu.intr).toBe(true);
    // TPR above the vector's class holds it back.
    m.w(LAPIC_TPR, 0x50);
    expect(m.cpu.intr).toBe(false);
    m.w(LAPIC_TPR, 0);
    expect(m.lapic.acknowledge()).toBe(0x41);
    m.w(LAPIC_EOI, 0);
    expect(m.r(LAPIC_ISR + 0x20)).toBe(0);
  });

  it("delivers a fixed self-IPI; rejects vectors below 16", () => {
    const m = make();
    enable(m);
    m.w(LAPIC_ICR_LO, (1 << 18) | 0xf3); // shorthand self, fixed, vector F3h
    expect(m.lapic.acknowledge()).toBe(0xf3);
    m.lapic.accept(5, false);
    expect(m.cpu.intr).toBe(false);
  });

  it("delivers an IPI whose destination names it: physical ID or FFh, logical flat or cluster LDR bit", () => {
    const m = make();
    enable(m);
    const ipi = (hi: number, lo: number) => {
      m.w(LAPIC_ICR_HI, hi);
      m.w(LAPIC_ICR_LO, lo);
      const v = m.cpu.intr ? m.lapic.acknowledge() : -1;
      if (v >= 0) m.w(LAPIC_EOI, 0);
      return v;
    };
    const LOGICAL = 1 << 11;
    expect(ipi(0x00000000, 0x41)).toBe(0x41); // physical, ID 0
    expect(ipi(0x01000000, 0x42)).toBe(-1); // physical, ID 1: another CPU
    expect(ipi(0xff000000, 0x43)).toBe(0x43); // broadcast
    // Linux (flat logical mode, LDR bit 0): its retrigger of an edge interrupt is such an IPI.
    m.w(LAPIC_DFR, -1);
    m.w(LAPIC_LDR, 0x01000000);
    expect(ipi(0x01000000, LOGICAL | 0x44)).toBe(0x44);
    expect(ipi(0x02000000, LOGICAL | 0x45)).toBe(-1);
    // Cluster model: cluster 2, member bit 1.
    m.w(LAPIC_DFR, 0x0fffffff);
    m.w(LAPIC_LDR, 0x21000000);
    expect(ipi(0x21000000, LOGICAL | 0x46)).toBe(0x46);
    expect(ipi(0x31000000, LOGICAL | 0x47)).toBe(-1);
    expect(ipi(0xf1000000, LOGICAL | 0x48)).toBe(0x48);
  });
});

describe("local APIC timer", () => {
  it("counts down at the bus clock over the divider, one-shot", () => {
    const m = make();
    enable(m);
    m.w(LAPIC_TIMER_DIVIDE, 0x3); // divide by 16
    m.w(LAPIC_LVT_TIMER, 0xec);
    m.w(LAPIC_TIMER_INITIAL, 1000);
    expect(m.r(LAPIC_TIMER_CURRENT)).toBe(1000); // written in this slice: it starts at its end
    m.lapic.advance(0);
    const tick = (16 * 1e9) / APIC_BUS_HZ;
    m.clock.t = 100 * tick;
    expect(m.r(LAPIC_TIMER_CURRENT)).toBe(900);
    expect(m.lapic.nextDeadline()).toBe(1000 * tick);
    m.clock.t = 1000 * tick;
    m.lapic.advance(m.clock.t);
    expect(m.lapic.acknowledge()).toBe(0xec);
    expect(m.r(LAPIC_TIMER_CURRENT)).toBe(0);
    expect(m.lapic.nextDeadline()).toBe(Infinity);
  });

  it("reloads in periodic mode, and a masked timer counts without interrupting", () => {
    const m = make();
    enable(m);
    m.w(LAPIC_TIMER_DIVIDE, 0xb); // divide by 1
    m.w(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0xed);
    m.w(LAPIC_TIMER_INITIAL, 500);
    m.lapic.advance(0);
    const period = (500 * 1e9) / APIC_BUS_HZ;
    for (let i = 1; i <= 3; i++) {
      m.clock.t = i * period + 1;
      m.lapic.advance(m.clock.t);
      expect(m.lapic.acknowledge()).toBe(0xed);
      m.w(LAPIC_EOI, 0);
      expect(m.lapic.nextDeadline()).toBe((i + 1) * period);
    }
    m.w(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_PERIODIC | 0xed);
    m.clock.t = 5 * period;
    m.lapic.advance(m.clock.t);
    expect(m.cpu.intr).toBe(false);
    expect(m.r(LAPIC_TIMER_CURRENT)).toBe(500);
  });
  it("starts a count written in a slice when the slice ends, wherever in it the write came; round-trips it", () => {
    // The same code compiled and interpreted writes the count at the same instruction, but the
    // CPU's count of instructions inside the slice (so the exact time) may differ: the resumed
    // machine interprets what the original ran compiled. Both must start the count alike.
    const slice = { now: () => 1000 };
    const writeAt = (exact: number) => {
      const m = make(slice);
      enable(m);
      m.w(LAPIC_TIMER_DIVIDE, 0xb); // divide by 1: 10 ns a tick
      m.w(LAPIC_LVT_TIMER, 0x30);
      m.clock.t = exact;
      m.w(LAPIC_TIMER_INITIAL, 100);
      expect(m.r(LAPIC_TIMER_CURRENT)).toBe(100);
      return m;
    };
    const compiled = writeAt(1037),
      interpreted = writeAt(1500);
    expect(compiled.lapic.saveState()).toEqual(interpreted.lapic.saveState());
    // A snapshot taken before the slice's end restores the pending count; the copy runs the same.
    const copy = make(slice);
    copy.lapic.loadState(compiled.lapic.saveState(), 1);
    for (const m of [compiled, copy]) {
      m.clock.t = 2000; // the slice ends
      m.lapic.advance(2000);
      expect(m.lapic.nextDeadline()).toBe(3000);
      m.clock.t = 3000;
      m.lapic.advance(3000);
      expect(m.lapic.acknowledge()).toBe(0x30);
    }
    expect(copy.lapic.saveState()).toEqual(compiled.lapic.saveState());
    // The current count reads the time at the slice's start: the same in both machines.
    const running = writeAt(1037);
    running.lapic.advance(1100);
    slice.now = () => 1400;
    running.clock.t = 1433;
    expect(running.r(LAPIC_TIMER_CURRENT)).toBe(70);
  });
});

describe("I/O APIC", () => {
  it("routes an edge input to its vector once per rising edge, not while masked", () => {
    const m = make();
    enable(m);
    expect(ioRead(m.io, 1)).toBe(0x00170011);
    expect(ioRead(m.io, 0x10 + 2 * 4) & RTE_MASKED).toBe(RTE_MASKED);
    m.io.setLevel(4, true);
    expect(m.cpu.intr).toBe(false);
    m.io.setLevel(4, false);
    ioWrite(m.io, 0x10 + 2 * 4, 0x34);
    m.io.setLevel(4, true);
    expect(m.lapic.acknowledge()).toBe(0x34);
    m.w(LAPIC_EOI, 0);
    m.io.setLevel(4, true); // still high: no new edge
    expect(m.cpu.intr).toBe(false);
  });

  it("holds a level input with remote IRR until the EOI, then delivers again if still asserted", () => {
    const m = make();
    enable(m);
    ioWrite(m.io, 0x10 + 2 * 9, RTE_LEVEL | 0x49);
    m.io.setLevel(9, true);
    expect(ioRead(m.io, 0x10 + 2 * 9) & RTE_REMOTE_IRR).toBe(RTE_REMOTE_IRR);
    expect(m.lapic.acknowledge()).toBe(0x49);
    m.w(LAPIC_EOI, 0); // level vector: the I/O APIC hears it, the line is still up
    expect(m.cpu.intr).toBe(true);
    expect(m.lapic.acknowledge()).toBe(0x49);
    m.io.setLevel(9, false);
    m.w(LAPIC_EOI, 0);
    expect(ioRead(m.io, 0x10 + 2 * 9) & RTE_REMOTE_IRR).toBe(0);
    expect(m.cpu.intr).toBe(false);
  });
});

describe("APIC state", () => {
  it("IA32_APIC_BASE reads FEE00000h, BSP, enabled; clearing EN turns the APIC into a pass-through", () => {
    const m = make();
    const out = new Int32Array(2);
    m.lapic.readMsr(out);
    expect(out[0] >>> 0).toBe(0xfee00900);
    enable(m);
    m.lapic.setPicIntr(true);
    expect(m.cpu.intr).toBe(false);
    expect(m.lapic.writeMsr(0xfee00100)).toBe(true);
    expect(m.cpu.intr).toBe(true);
    expect(m.lapic.writeMsr(0xfed00900)).toBe(false); // the base does not move
  });

  it("round-trips both records", () => {
    const a = make();
    enable(a);
    a.w(LAPIC_LVT_TIMER, 0x30);
    a.w(LAPIC_TIMER_INITIAL, 1234);
    a.lapic.accept(0x55, true);
    ioWrite(a.io, 0x10 + 2 * 3, RTE_LEVEL | 0x33);
    const b = make();
    b.lapic.loadState(a.lapic.saveState(), 1);
    b.io.loadState(a.io.saveState(), 1);
    expect(b.r(LAPIC_IRR + 0x20)).toBe(a.r(LAPIC_IRR + 0x20));
    expect(b.r(LAPIC_TIMER_INITIAL)).toBe(1234);
    expect(b.cpu.intr).toBe(true);
    expect(ioRead(b.io, 0x10 + 2 * 3)).toBe(RTE_LEVEL | 0x33);
  });
});
