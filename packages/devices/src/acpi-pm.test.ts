// The ACPI PM registers: the timer counts machine time at 3.579545 MHz through all 32 bits and
// its bit 31 sets TMR_STS (and the SCI when enabled); status bits clear by writing 1; SCI_EN
// always reads 1; SLP_TYP = S5 with SLP_EN powers off, other sleep types do not; byte, word and
// dword accesses agree; the snapshot record round-trips.
import { describe, expect, it } from "vitest";
import { AcpiPm, PM1_CNT, PM1_EN, PM1_STS, PM_TMR, PM_TIMER_HZ, SLP_TYP_S5, STS_GBL, STS_TMR } from "./acpi-pm.ts";
import { IrqPin } from "./irq.ts";

function make() {
  const clock = { t: 0, now: () => clock.t };
  const sci = new IrqPin();
  let offs = 0;
  const pm = new AcpiPm(clock, sci, { powerOff: () => offs++ });
  return { clock, sci, pm, offs: () => offs };
}

describe("ACPI PM timer", () => {
  it("counts machine time at 3.579545 MHz, 32 bits wide", () => {
    const { clock, pm } = make();
    expect(pm.read(PM_TMR, 4)).toBe(0);
    clock.t = 1e9;
    expect(pm.read(PM_TMR, 4)).toBe(PM_TIMER_HZ);
    clock.t = 1e9 + 1000; // 1 us later: 3 or 4 ticks
    expect(pm.read(PM_TMR, 4) - PM_TIMER_HZ).toBeGreaterThanOrEqual(3);
    // Past 2^32 ticks (about 20 minutes) it wraps.
    clock.t = Math.ceil((2 ** 32 * 1e9) / PM_TIMER_HZ) + 1e6;
    expect(pm.read(PM_TMR, 4)).toBeLessThan(PM_TIMER_HZ / 100);
    // Bytes and words read the same count.
    clock.t = 123_456_789;
    const v = pm.read(PM_TMR, 4);
    expect(pm.read(PM_TMR, 2) | (pm.read(PM_TMR + 2, 2) << 16)).toBe(v);
    expect(pm.read(PM_TMR + 3, 1)).toBe(v >>> 24);
    // Writes do nothing.
    pm.write(PM_TMR, 4, 0);
    expect(pm.read(PM_TMR, 4)).toBe(v);
  });

  it("sets TMR_STS when bit 31 changes and raises the SCI when TMR_EN is set", () => {
    const { clock, pm, sci } = make();
    expect(pm.nextDeadline()).toBe(Infinity);
    pm.write(PM1_EN, 2, STS_TMR);
    const flip = pm.nextDeadline();
    expect(flip).toBe(Math.ceil((2 ** 31 * 1e9) / PM_TIMER_HZ));
    clock.t = flip - 1;
    pm.advance();
    expect(pm.read(PM1_STS, 2) & STS_TMR).toBe(0);
    expect(sci.level).toBe(false);
    clock.t = flip;
    pm.advance();
    expect(pm.read(PM1_STS, 2) & STS_TMR).toBe(STS_TMR);
    expect(sci.level).toBe(true);
    // Writing 0 leaves it; writing 1 clears it and drops the SCI.
    pm.write(PM1_STS, 2, 0);
    expect(sci.level).toBe(true);
    pm.write(PM1_STS, 2, STS_TMR);
    expect(pm.read(PM1_STS, 2) & STS_TMR).toBe(0);
    expect(sci.level).toBe(false);
  });

  it("keeps the enables written (the global lock's too) and SCI_EN always on", () => {
    const { pm } = make();
    pm.write(PM1_EN, 2, 0xffff);
    expect(pm.read(PM1_EN, 2) & STS_GBL).toBe(STS_GBL);
    expect(pm.read(PM1_EN, 2) & 0x8000).toBe(0); // no WAK enable bit
    pm.write(PM1_CNT, 2, 0);
    expect(pm.read(PM1_CNT, 2) & 1).toBe(1);
  });
});

describe("ACPI PM1 control: sleep", () => {
  it("powers off on SLP_EN with SLP_TYP S5, whether written as a word or as bytes", () => {
    let m = make();
    m.pm.write(PM1_CNT, 2, SLP_TYP_S5 << 10); // type first, as Linux does
    expect(m.offs()).toBe(0);
    m.pm.write(PM1_CNT, 2, (SLP_TYP_S5 << 10) | 0x2000);
    expect(m.offs()).toBe(1);
    expect(m.pm.read(PM1_CNT, 2) & 0x2000).toBe(0); // SLP_EN reads 0
    m = make();
    m.pm.write(PM1_CNT + 1, 1, ((SLP_TYP_S5 << 10) | 0x2000) >> 8);
    expect(m.offs()).toBe(1);
  });
  it("does not power off for other sleep types", () => {
    const m = make();
    for (const typ of [0, 1, 2, 3, 4, 6, 7]) m.pm.write(PM1_CNT, 2, (typ << 10) | 0x2000);
    expect(m.offs()).toBe(0);
  });
});

describe("ACPI PM snapshot", () => {
  it("round-trips its registers and refuses bits that do not exist", () => {
    const a = make();
    a.pm.write(PM1_EN, 2, STS_TMR);
    a.pm.pressPowerButton();
    const rec = a.pm.saveState();
    const b = make();
    b.pm.loadState(rec, 1);
    expect(b.pm.read(PM1_STS, 2)).toBe(a.pm.read(PM1_STS, 2));
    expect(b.pm.read(PM1_EN, 2)).toBe(STS_TMR);
    expect(() => b.pm.loadState({ ...rec, enable: 0x8000 }, 1)).toThrow();
  });
});
