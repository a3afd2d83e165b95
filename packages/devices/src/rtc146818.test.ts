import { describe, it, expect } from "vitest";
import { StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "./testing/harness.ts";
import {
  Rtc146818,
  RTC_SECONDS,
  RTC_SECONDS_ALARM,
  RTC_MINUTES,
  RTC_MINUTES_ALARM,
  RTC_HOURS,
  RTC_HOURS_ALARM,
  RTC_DAY_OF_WEEK,
  RTC_DAY_OF_MONTH,
  RTC_MONTH,
  RTC_YEAR,
  RTC_REG_A,
  RTC_REG_B,
  RTC_REG_C,
  RTC_REG_D,
  REG_A_UIP,
  REG_B_SET,
  REG_B_PIE,
  REG_B_AIE,
  REG_B_UIE,
  REG_B_DM,
  REG_B_24H,
  REG_C_IRQF,
  REG_C_PF,
  REG_C_AF,
  REG_C_UF,
  REG_D_VRT,
  UIP_LEAD_NS,
  CMOS_FLOPPY_TYPES,
  CMOS_HARD_DISK_TYPES,
  CMOS_EQUIPMENT,
  CMOS_BASE_MEM_LO,
  CMOS_BASE_MEM_HI,
  CMOS_EXT_MEM_LO,
  CMOS_EXT_MEM_HI,
  CMOS_EXT_MEM2_LO,
  CMOS_EXT_MEM2_HI,
  CMOS_MEM_ABOVE_16M_LO,
  CMOS_MEM_ABOVE_16M_HI,
  CMOS_CENTURY,
  CMOS_CHECKSUM_HI,
  CMOS_CHECKSUM_LO,
  CMOS_HD0_EXT_TYPE,
  CMOS_HD0_PARAMS,
  FLOPPY_1440K,
  FLOPPY_1200K,
} from "./rtc146818.ts";

const INDEX = 0x70;
const DATA = 0x71;
const MS = 1e6;
const SECOND = 1e9;

/** Unix milliseconds of a UTC date, counted here by days so the test does not use Date. */
function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const leap = (yy: number) => (yy % 4 === 0 && yy % 100 !== 0) || yy % 400 === 0;
  let days = 0;
  for (let yy = 1970; yy < y; yy++) days += leap(yy) ? 366 : 365;
  const monthLen = [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  for (let m = 1; m < mo; m++) days += monthLen[m - 1];
  days += d - 1;
  return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000;
}

function setup(startMs: number) {
  const h = new DeviceHarness();
  const pin = h.irq("irq8");
  const rtc = new Rtc146818(h.clock, pin, startMs);
  h.attach(rtc.ioSurface(INDEX), rtc);
  const read = (i: number) => {
    h.outb(INDEX, i);
    return h.inb(DATA);
  };
  const write = (i: number, v: number) => {
    h.outb(INDEX, i);
    h.outb(DATA, v);
  };
  const time = () => [RTC_YEAR, RTC_MONTH, RTC_DAY_OF_MONTH, RTC_HOURS, RTC_MINUTES, RTC_SECONDS].map(read);
  return { h, pin, rtc, read, write, time };
}

describe("MC146818 time of day", () => {
  it("reads the start time in BCD by default", () => {
    const { read, time } = setup(utcMs(2024, 2, 28, 23, 59, 58));
    expect(time()).toEqual([0x24, 0x02, 0x28, 0x23, 0x59, 0x58]);
    expect(read(RTC_DAY_OF_WEEK)).toBe(4); // Wednesday, with Sunday = 1
    expect(read(RTC_REG_B) & REG_B_24H).toBe(REG_B_24H);
    expect(read(RTC_REG_D)).toBe(REG_D_VRT);
  });

  it("reads binary values when DM is set", () => {
    const { read, write, time } = setup(utcMs(2031, 11, 19, 17, 42, 9));
    write(RTC_REG_B, REG_B_24H | REG_B_DM);
    expect(time()).toEqual([31, 11, 19, 17, 42, 9]);
    write(RTC_HOURS, 5);
    write(RTC_REG_B, REG_B_24H);
    expect(read(RTC_HOURS)).toBe(0x05);
  });

  it("shows 12-hour mode with the PM bit and accepts 12-hour writes", () => {
    const { read, write, h } = setup(utcMs(2020, 6, 1, 15, 4, 5));
    write(RTC_REG_B, 0); // 12-hour, BCD
    expect(read(RTC_HOURS)).toBe(0x83); // 3 PM
    write(RTC_HOURS, 0x12); // 12 AM = midnight
    write(RTC_REG_B, REG_B_24H);
    expect(read(RTC_HOURS)).toBe(0x00);
    write(RTC_REG_B, 0);
    write(RTC_HOURS, 0x92); // 12 PM = noon
    expect(read(RTC_HOURS)).toBe(0x92);
    write(RTC_HOURS, 0x91); // 11 PM
    write(RTC_MINUTES, 0x59);
    write(RTC_SECONDS, 0x59);
    h.clockStep(SECOND);
    expect(read(RTC_HOURS)).toBe(0x12); // rolled to 12 AM
    write(RTC_REG_B, REG_B_24H | REG_B_DM);
    expect(read(RTC_HOURS)).toBe(0);
    expect(read(RTC_DAY_OF_MONTH)).toBe(2);
  });

  it("carries across minute, hour and day, into a leap day", () => {
    const { h, read, time } = setup(utcMs(2024, 2, 28, 23, 59, 58));
    h.clockStep(999 * MS);
    expect(read(RTC_SECONDS)).toBe(0x58);
    h.clockStep(1 * MS);
    expect(time()).toEqual([0x24, 0x02, 0x28, 0x23, 0x59, 0x59]);
    h.clockStep(SECOND);
    expect(time()).toEqual([0x24, 0x02, 0x29, 0x00, 0x00, 0x00]);
    expect(read(RTC_DAY_OF_WEEK)).toBe(5);
    h.clockStep(SECONDS_TO_NS(24 * 3600));
    expect(time()).toEqual([0x24, 0x03, 0x01, 0x00, 0x00, 0x00]);
    expect(read(RTC_DAY_OF_WEEK)).toBe(6);
  });

  it("skips February 29 in a common year and rolls the year from 99 to 00", () => {
    const a = setup(utcMs(2023, 2, 28, 23, 59, 59));
    a.h.clockStep(SECOND);
    expect(a.time()).toEqual([0x23, 0x03, 0x01, 0x00, 0x00, 0x00]);
    const b = setup(utcMs(1999, 12, 31, 23, 59, 59));
    b.h.clockStep(SECOND);
    expect(b.time()).toEqual([0x00, 0x01, 0x01, 0x00, 0x00, 0x00]);
  });

  it("keeps the sub-second phase of the start time", () => {
    const { h, read } = setup(utcMs(2024, 1, 1, 0, 0, 10) + 700);
    h.clockStep(299 * MS);
    expect(read(RTC_SECONDS)).toBe(0x10);
    h.clockStep(1 * MS);
    expect(read(RTC_SECONDS)).toBe(0x11);
  });

  it("catches up over a long gap in one step", () => {
    const { h, time } = setup(utcMs(2024, 12, 30, 12, 0, 0));
    h.clockStep(SECONDS_TO_NS(3 * 86400 + 3661));
    expect(time()).toEqual([0x25, 0x01, 0x02, 0x13, 0x01, 0x01]);
  });
});

function SECONDS_TO_NS(s: number): number {
  return s * SECOND;
}

describe("MC146818 SET bit and divider", () => {
  it("freezes the time while SET and keeps the written time", () => {
    const { h, read, write, time } = setup(utcMs(2024, 5, 5, 10, 20, 30));
    write(RTC_REG_B, REG_B_24H | REG_B_SET);
    h.clockStep(5 * SECOND);
    expect(time()).toEqual([0x24, 0x05, 0x05, 0x10, 0x20, 0x30]);
    write(RTC_YEAR, 0x99);
    write(RTC_MONTH, 0x12);
    write(RTC_DAY_OF_MONTH, 0x31);
    write(RTC_HOURS, 0x23);
    write(RTC_MINUTES, 0x59);
    write(RTC_SECONDS, 0x58);
    h.clockStep(3 * SECOND);
    expect(time()).toEqual([0x99, 0x12, 0x31, 0x23, 0x59, 0x58]);
    write(RTC_REG_B, REG_B_24H);
    expect(read(RTC_SECONDS)).toBe(0x58);
    h.clockStep(SECOND); // the chain kept its phase: the next update is one second on
    expect(read(RTC_SECONDS)).toBe(0x59);
    h.clockStep(SECOND);
    expect(time()).toEqual([0x00, 0x01, 0x01, 0x00, 0x00, 0x00]);
  });

  it("clears UIE when SET is written", () => {
    const { read, write } = setup(0);
    write(RTC_REG_B, REG_B_24H | REG_B_UIE | REG_B_SET);
    expect(read(RTC_REG_B)).toBe(REG_B_24H | REG_B_SET);
  });

  it("stops during divider reset and updates half a second after release", () => {
    const { h, read, write } = setup(utcMs(2024, 1, 1, 0, 0, 0));
    write(RTC_REG_A, 0x76); // DV = 111: divider chain held in reset
    h.clockStep(5 * SECOND + 123 * MS);
    expect(read(RTC_SECONDS)).toBe(0x00);
    write(RTC_REG_A, 0x26);
    h.clockStep(499 * MS);
    expect(read(RTC_SECONDS)).toBe(0x00);
    h.clockStep(1 * MS);
    expect(read(RTC_SECONDS)).toBe(0x01);
    h.clockStep(SECOND);
    expect(read(RTC_SECONDS)).toBe(0x02);
  });
});

describe("MC146818 UIP", () => {
  it("is high only for the 244 us before each update", () => {
    const { h, read, write } = setup(utcMs(2024, 1, 1, 0, 0, 0));
    expect(read(RTC_REG_A)).toBe(0x26);
    h.clockStep(SECOND - UIP_LEAD_NS - 1000);
    expect(read(RTC_REG_A) & REG_A_UIP).toBe(0);
    h.clockStep(1000);
    expect(read(RTC_REG_A) & REG_A_UIP).toBe(REG_A_UIP);
    h.clockStep(UIP_LEAD_NS - 1000);
    expect(read(RTC_REG_A) & REG_A_UIP).toBe(REG_A_UIP);
    expect(read(RTC_SECONDS)).toBe(0x00);
    h.clockStep(1000);
    expect(read(RTC_REG_A) & REG_A_UIP).toBe(0);
    expect(read(RTC_SECONDS)).toBe(0x01);
    h.clockStep(SECOND - 1000);
    expect(read(RTC_REG_A) & REG_A_UIP).toBe(REG_A_UIP);
    write(RTC_REG_B, REG_B_24H | REG_B_SET);
    expect(read(RTC_REG_A) & REG_A_UIP).toBe(0);
  });
});

describe("MC146818 interrupts", () => {
  /** Counts IRQ edges over one second, acknowledging each by reading register C. */
  function countPeriodic(rate: number, stepNs: number): number {
    const { h, pin, write, read } = setup(utcMs(2024, 1, 1));
    write(RTC_REG_A, 0x20 | rate);
    write(RTC_REG_B, REG_B_24H | REG_B_PIE);
    let edges = 0;
    for (let t = 0; t < SECOND; t += stepNs) {
      h.clockStep(stepNs);
      if (pin.level) {
        edges++;
        const c = read(RTC_REG_C);
        expect(c & (REG_C_IRQF | REG_C_PF)).toBe(REG_C_IRQF | REG_C_PF);
        expect(pin.level).toBe(false);
      }
    }
    expect(pin.rises).toBe(edges);
    return edges;
  }

  it("raises the periodic interrupt at the selected rate", () => {
    expect(countPeriodic(6, 100_000)).toBe(1024);
    expect(countPeriodic(15, 10 * MS)).toBe(2);
    expect(countPeriodic(3, 50_000)).toBe(8192);
    expect(countPeriodic(1, MS)).toBe(256);
  });

  it("reports the periodic deadline so a machine can step straight to it", () => {
    const { h, pin, rtc, write, read } = setup(utcMs(2024, 1, 1));
    write(RTC_REG_A, 0x2a); // 64 Hz
    expect(rtc.nextDeadline()).toBe(Infinity); // PIE off
    write(RTC_REG_B, REG_B_24H | REG_B_PIE);
    let edges = 0;
    for (;;) {
      const d = rtc.nextDeadline();
      if (d > SECOND) break;
      h.clockStep(d - h.clock.t);
      expect(pin.level).toBe(true);
      edges++;
      read(RTC_REG_C);
    }
    expect(edges).toBe(64);
    expect(rtc.nextDeadline()).toBeCloseTo(SECOND + SECOND / 64, 3);
  });

  it("sets PF without raising the IRQ when PIE is off, and raises it once PIE is set", () => {
    const { h, pin, write, read } = setup(0);
    h.clockStep(2 * MS);
    expect(pin.level).toBe(false);
    write(RTC_REG_B, REG_B_24H | REG_B_PIE);
    expect(pin.level).toBe(true);
    expect(read(RTC_REG_C)).toBe(REG_C_IRQF | REG_C_PF);
    expect(read(RTC_REG_C)).toBe(0);
  });

  it("raises the update-ended interrupt once a second; reading C clears it", () => {
    const { h, pin, rtc, write, read } = setup(utcMs(2024, 1, 1) + 250);
    write(RTC_REG_A, 0x20); // no periodic flag in the way
    write(RTC_REG_B, REG_B_24H | REG_B_UIE);
    expect(rtc.nextDeadline()).toBe(750 * MS);
    h.clockStep(749 * MS);
    expect(pin.level).toBe(false);
    h.clockStep(1 * MS);
    expect(pin.level).toBe(true);
    expect(read(RTC_REG_C)).toBe(REG_C_IRQF | REG_C_UF);
    expect(pin.level).toBe(false);
    expect(read(RTC_REG_C)).toBe(0);
    expect(rtc.nextDeadline()).toBe(1750 * MS);
  });

  it("fires the alarm at the exact time", () => {
    const { h, pin, write, read } = setup(utcMs(2024, 1, 1, 7, 30, 0));
    write(RTC_REG_A, 0x20);
    write(RTC_HOURS_ALARM, 0x07);
    write(RTC_MINUTES_ALARM, 0x30);
    write(RTC_SECONDS_ALARM, 0x05);
    write(RTC_REG_B, REG_B_24H | REG_B_AIE);
    h.clockStep(4 * SECOND);
    expect(pin.level).toBe(false);
    expect(read(RTC_REG_C)).toBe(REG_C_UF); // updates happened, no alarm yet
    h.clockStep(SECOND);
    expect(pin.level).toBe(true);
    expect(read(RTC_REG_C)).toBe(REG_C_IRQF | REG_C_AF | REG_C_UF);
    h.clockStep(60 * SECOND); // with all three bytes given, once a day only
    expect(pin.level).toBe(false);
    expect(read(RTC_REG_C) & REG_C_AF).toBe(0);
  });

  it("treats alarm bytes 0xC0-0xFF as don't care", () => {
    const { h, pin, write, read } = setup(utcMs(2024, 1, 1, 7, 30, 0));
    write(RTC_REG_A, 0x20);
    write(RTC_HOURS_ALARM, 0xff);
    write(RTC_MINUTES_ALARM, 0xc0);
    write(RTC_SECONDS_ALARM, 0x30);
    write(RTC_REG_B, REG_B_24H | REG_B_AIE);
    let alarms = 0;
    for (let s = 0; s < 180; s++) {
      h.clockStep(SECOND);
      if (pin.level) {
        alarms++;
        expect(read(RTC_REG_C) & REG_C_AF).toBe(REG_C_AF);
      }
    }
    expect(alarms).toBe(3); // 07:30:30, 07:31:30, 07:32:30
    // All don't care: an alarm every second.
    write(RTC_SECONDS_ALARM, 0xc5);
    read(RTC_REG_C);
    h.clockStep(SECOND);
    expect(read(RTC_REG_C)).toBe(REG_C_IRQF | REG_C_AF | REG_C_UF);
  });

  it("compares the hour alarm in 12-hour form", () => {
    const { h, pin, write } = setup(utcMs(2024, 1, 1, 14, 59, 59));
    write(RTC_REG_B, 0); // 12-hour BCD
    write(RTC_HOURS_ALARM, 0x83); // 3 PM
    write(RTC_MINUTES_ALARM, 0x00);
    write(RTC_SECONDS_ALARM, 0x00);
    write(RTC_REG_B, REG_B_AIE);
    h.clockStep(SECOND);
    expect(pin.level).toBe(true);
  });
});

describe("MC146818 CMOS RAM", () => {
  it("stores RAM bytes through the ports and keeps the NMI mask bit as a flag", () => {
    const { h, rtc, read } = setup(0);
    h.outb(INDEX, 0x80 | 0x40);
    h.outb(DATA, 0xa5);
    expect(rtc.nmiMasked).toBe(true);
    h.outb(INDEX, 0x40);
    expect(rtc.nmiMasked).toBe(false);
    expect(h.inb(DATA)).toBe(0xa5);
    expect(rtc.getCmos(0x40)).toBe(0xa5);
    rtc.setCmos(0x7f, 0x5a);
    expect(read(0x7f)).toBe(0x5a);
    expect(() => rtc.setCmos(0x80, 1)).toThrow(RangeError);
  });

  it("ignores writes to registers C and D", () => {
    const { write, read } = setup(0);
    write(RTC_REG_C, 0xff);
    write(RTC_REG_D, 0x00);
    expect(read(RTC_REG_C)).toBe(0);
    expect(read(RTC_REG_D)).toBe(REG_D_VRT);
  });

  it("fills the PC layout with a correct checksum", () => {
    const { rtc, read } = setup(utcMs(2024, 3, 1));
    rtc.fillPcDefaults({
      baseMemoryKiB: 640,
      extendedMemoryKiB: 127 * 1024, // 128 MiB machine
      floppyTypes: [FLOPPY_1440K, FLOPPY_1200K],
      hardDisks: [{ cylinders: 1024, heads: 16, sectorsPerTrack: 63 }],
    });
    expect(read(CMOS_FLOPPY_TYPES)).toBe(0x42);
    expect(read(CMOS_HARD_DISK_TYPES)).toBe(0xf0);
    expect(read(CMOS_HD0_EXT_TYPE)).toBe(47);
    expect([0, 1, 2, 8].map((i) => read(CMOS_HD0_PARAMS + i))).toEqual([0x00, 0x04, 16, 63]);
    expect(read(CMOS_EQUIPMENT)).toBe(0x43); // two floppies, FPU, VGA
    expect(read(CMOS_BASE_MEM_LO) | (read(CMOS_BASE_MEM_HI) << 8)).toBe(640);
    expect(read(CMOS_EXT_MEM_LO) | (read(CMOS_EXT_MEM_HI) << 8)).toBe(0xffff); // capped
    expect(read(CMOS_EXT_MEM2_LO) | (read(CMOS_EXT_MEM2_HI) << 8)).toBe(0xffff);
    expect(read(CMOS_MEM_ABOVE_16M_LO) | (read(CMOS_MEM_ABOVE_16M_HI) << 8)).toBe((112 * 1024) / 64);
    expect(read(CMOS_CENTURY)).toBe(0x20);
    const checksum = () => {
      let sum = 0;
      for (let i = 0x10; i <= 0x2d; i++) sum += read(i);
      return sum;
    };
    expect((read(CMOS_CHECKSUM_HI) << 8) | read(CMOS_CHECKSUM_LO)).toBe(checksum());
    rtc.setCmos(CMOS_FLOPPY_TYPES, 0x40);
    expect((read(CMOS_CHECKSUM_HI) << 8) | read(CMOS_CHECKSUM_LO)).toBe(checksum());
  });

  it("writes small extended memory sizes exactly", () => {
    const { rtc } = setup(0);
    rtc.fillPcDefaults({ baseMemoryKiB: 640, extendedMemoryKiB: 15 * 1024, floppyTypes: [0, 0] });
    expect(rtc.getCmos(CMOS_EXT_MEM_LO) | (rtc.getCmos(CMOS_EXT_MEM_HI) << 8)).toBe(15 * 1024);
    expect(rtc.getCmos(CMOS_MEM_ABOVE_16M_LO)).toBe(0);
    expect(rtc.getCmos(CMOS_EQUIPMENT)).toBe(0x02);
    expect(rtc.getCmos(CMOS_CENTURY)).toBe(0x19);
  });

  it("getCmos peeks at register C without clearing it", () => {
    const { h, rtc, read } = setup(0);
    h.clockStep(SECOND);
    expect(rtc.getCmos(RTC_REG_C)).toBe(REG_C_UF | REG_C_PF);
    expect(read(RTC_REG_C)).toBe(REG_C_UF | REG_C_PF);
    expect(rtc.getCmos(RTC_REG_C)).toBe(0);
  });
});

describe("MC146818 state", () => {
  it("round-trips and continues identically", () => {
    const a = setup(utcMs(2024, 2, 28, 23, 59, 50) + 300);
    a.rtc.fillPcDefaults({ baseMemoryKiB: 640, extendedMemoryKiB: 31 * 1024 });
    a.write(RTC_REG_A, 0x2b); // 32 Hz
    a.write(RTC_REG_B, REG_B_24H | REG_B_PIE | REG_B_UIE);
    a.write(RTC_SECONDS_ALARM, 0x05);
    a.write(RTC_MINUTES_ALARM, 0xc0);
    a.write(RTC_HOURS_ALARM, 0xc0);
    a.h.outb(INDEX, 0x80 | 0x33);
    a.h.clockStep(2 * SECOND + 10 * MS);
    expect(a.pin.level).toBe(true);

    const saved = cloneState(a.rtc.saveState());
    const b = setup(0);
    b.h.clock.t = a.h.clock.t;
    b.rtc.loadState(saved, 1);
    expect(b.pin.level).toBe(true);
    expect(b.rtc.nmiMasked).toBe(true);
    expect(b.h.inb(DATA)).toBe(a.h.inb(DATA)); // same index selected
    for (const x of [a, b]) x.h.clockStep(0);
    for (let step = 0; step < 40; step++) {
      for (const x of [a, b]) x.h.clockStep(250 * MS);
      expect(b.time()).toEqual(a.time());
      expect(b.read(RTC_REG_C)).toBe(a.read(RTC_REG_C));
      expect(b.pin.rises > 0).toBe(true);
      expect(b.rtc.nextDeadline()).toBe(a.rtc.nextDeadline());
    }
    for (let i = 0x0e; i < 0x80; i++) expect(b.rtc.getCmos(i)).toBe(a.rtc.getCmos(i));
    expect(b.time()).toEqual([0x24, 0x02, 0x29, 0x00, 0x00, 0x02]);
  });

  it("refuses corrupt state and stays unchanged", () => {
    const { h, rtc, time, read } = setup(utcMs(2024, 1, 1, 1, 2, 3));
    rtc.setCmos(0x40, 0x77);
    const before = time();
    const good = rtc.saveState();
    const bad = [
      { ...good, ram: new Uint8Array(64) },
      { ...good, ram: [1, 2, 3] },
      { ...good, second: "3" },
      { ...good, hour: 300 },
      { ...good, chainRef: Infinity },
      { ...good, nmiMasked: 1 },
      { ...good, index: 128 },
      {
        ...good,
        ram: (() => {
          const r = (good.ram as Uint8Array).slice();
          r[RTC_REG_C] = 0x80;
          return r;
        })(),
      },
      (() => {
        const r = { ...good };
        delete r.lastNs;
        return r;
      })(),
    ];
    for (const b of bad) expect(() => rtc.loadState(b, 1)).toThrow(StateError);
    expect(time()).toEqual(before);
    expect(read(0x40)).toBe(0x77);
    h.clockStep(SECOND);
    expect(read(RTC_SECONDS)).toBe(0x04);
  });
});
