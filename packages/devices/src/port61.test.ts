import { describe, it, expect } from "vitest";
import { StateError, cloneState, type StateRecord } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import { Pit8254, PIT_HZ, pitTickTime } from "./pit8254.ts";
import {
  SystemControlPortB,
  PORTB_TIMER2_GATE,
  PORTB_SPEAKER_DATA,
  PORTB_REFRESH_TOGGLE,
  PORTB_TIMER2_OUT,
  REFRESH_TOGGLE_NS,
} from "./port61.ts";

const PIT_BASE = 0x40,
  CH2 = 0x42,
  CTRL = 0x43,
  PORTB = 0x61;

function setup(startNs = 0) {
  const h = new DeviceHarness();
  h.clock.t = startNs;
  const pit = new Pit8254(h.clock, h.irq("irq0"));
  const portb = new SystemControlPortB(h.clock, pit);
  h.attach(pit.ioSurface(PIT_BASE), pit);
  h.attach(portb.ioSurface(PORTB));
  const goto = (k: number) => h.clockStep(Math.floor((pitTickTime(k) + pitTickTime(k + 1)) / 2) - h.clock.t);
  /** Counter 2 in a mode with a 16-bit count, as a BIOS beep or delay routine sets it. */
  const program2 = (mode: number, count: number) => {
    h.outb(CTRL, 0xb0 | (mode << 1));
    h.outb(CH2, count & 0xff);
    h.outb(CH2, count >> 8);
  };
  return { h, pit, portb, goto, program2 };
}

describe("port 61h", () => {
  it("bit 0 gates counter 2 and bit 5 shows its OUT", () => {
    const { h, goto, program2 } = setup();
    program2(0, 10); // loaded at tick 1, but the gate is low after reset
    goto(50);
    expect(h.inb(PORTB) & PORTB_TIMER2_OUT).toBe(0);
    h.outb(PORTB, PORTB_TIMER2_GATE); // counting from tick 50: OUT rises at 60
    goto(59);
    expect(h.inb(PORTB) & PORTB_TIMER2_OUT).toBe(0);
    goto(60);
    expect(h.inb(PORTB) & PORTB_TIMER2_OUT).toBe(PORTB_TIMER2_OUT);
    expect(h.inb(PORTB) & 0x0f).toBe(PORTB_TIMER2_GATE);
  });

  it("the gate's rising edge restarts a square wave, which bit 5 follows", () => {
    const { h, goto, program2 } = setup();
    program2(3, 8);
    h.outb(PORTB, PORTB_TIMER2_GATE); // reload at tick 1: high 1-4, low 5-8
    const seen: number[] = [];
    for (let k = 1; k <= 9; k++) {
      goto(k);
      seen.push((h.inb(PORTB) & PORTB_TIMER2_OUT) >> 5);
    }
    expect(seen).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1]);
  });

  it("only bits 0-3 are written; error bits read as zero", () => {
    const { h } = setup();
    h.outb(PORTB, 0xff);
    expect(h.inb(PORTB) & 0xcf).toBe(0x0f);
    h.outb(PORTB, 0x00);
    expect(h.inb(PORTB) & 0xcf).toBe(0x00);
  });

  it("bit 4 toggles every 15.085 us of machine time", () => {
    const { h } = setup();
    expect(REFRESH_TOGGLE_NS).toBeCloseTo(15085.7, 0);
    const bit = () => h.inb(PORTB) & PORTB_REFRESH_TOGGLE;
    expect(bit()).toBe(0);
    h.clockStep(15_000);
    expect(bit()).toBe(0);
    h.clockStep(200);
    expect(bit()).toBe(PORTB_REFRESH_TOGGLE);
    h.clockStep(15_000);
    expect(bit()).toBe(0);
    // Over one millisecond, as a BIOS delay loop counts them: 66 toggles.
    let toggles = 0,
      last = bit();
    const t0 = h.clock.t;
    while (h.clock.t < t0 + 1e6) {
      h.clockStep(1000);
      const b = bit();
      if (b !== last) toggles++;
      last = b;
    }
    expect(toggles).toBeGreaterThanOrEqual(65);
    expect(toggles).toBeLessThanOrEqual(67);
  });

  it("reports the speaker frequency only when gated and enabled", () => {
    const { h, portb, goto, program2 } = setup();
    program2(3, 1193); // about 1 kHz
    goto(2);
    expect(portb.speakerFrequency()).toBe(0);
    h.outb(PORTB, PORTB_TIMER2_GATE);
    goto(4);
    expect(portb.speakerFrequency()).toBe(0); // data enable off: the speaker does not move
    h.outb(PORTB, PORTB_TIMER2_GATE | PORTB_SPEAKER_DATA);
    expect(portb.speakerFrequency()).toBeCloseTo(PIT_HZ / 1193, 6);
    goto(10);
    expect(portb.speakerLevel()).toBe(true);
    h.outb(PORTB, PORTB_SPEAKER_DATA); // gate low: OUT held high, no tone
    expect(portb.speakerFrequency()).toBe(0);
  });

  it("round-trips its state and refuses corrupt state", () => {
    const a = setup(123_456);
    a.h.outb(PORTB, 0x0b);
    const saved = cloneState(a.portb.saveState());
    const b = setup(123_456);
    b.portb.loadState(saved, 1);
    expect(b.portb.saveState()).toEqual(a.portb.saveState());
    expect(b.h.inb(PORTB) & 0x1f).toBe(a.h.inb(PORTB) & 0x1f);
    const bads: StateRecord[] = [{ control: 0x10 }, { control: -1 }, { control: "3" }, {}];
    for (const bad of bads) {
      expect(() => a.portb.loadState(bad, 1)).toThrow(StateError);
    }
    expect(() => a.portb.loadState(cloneState(saved), 2)).toThrow(StateError);
    expect(a.portb.saveState()).toEqual({ control: 0x0b });
  });
});
