// Intel 8254 programmable interval timer: three 16-bit down counters on a 1.193182 MHz clock,
// modes 0-5, binary or BCD counting, LSB/MSB access, the counter latch and read-back commands,
// gate inputs and outputs.
//
// Modelled from the Intel 8254/82C54 datasheet (order 231164). Key design choice: no per-tick
// work. Each counter remembers the input-clock tick at which its counting element (CE) was last
// loaded and how many ticks it has counted since; its count and OUT level at any later tick
// follow in closed form from the mode. Every access first catches up to the machine time it
// is given, and the only stored events are loads that the datasheet defers to a later clock
// (the next CLK pulse after a write or trigger, or the end of the current period). Counter 0's
// OUT drives an IrqLine; `advance(now)` raises it for every rising edge that happened, and
// `nextDeadline()` tells the machine when the next one is due.

import {
  MAX_LAG_NS,
  NS_PER_SECOND,
  bool,
  defineState,
  field,
  int,
  record,
  records,
  u16,
  u8,
  type IoSurface,
  type StateRecord,
  type Stateful,
  type TimeSource,
  ticksAt,
} from "@x86vm/core";
import type { IrqLine } from "./irq.ts";

/** The input clock of all three counters on the PC (14.31818 MHz / 12). */
export const PIT_HZ = 1_193_182;

/** Input-clock ticks that have occurred by machine time `ns`. */
export function pitTicksAt(ns: number): number {
  return ticksAt(ns, PIT_HZ);
}

/** The first machine nanosecond (an integer) at which tick number `tick` has occurred. */
export function pitTickTime(tick: number): number {
  let t = Math.ceil((tick * NS_PER_SECOND) / PIT_HZ);
  while (pitTicksAt(t) < tick) t++; // guard against rounding of the division
  return t;
}

// Port offsets from the base the machine chooses.
export const PIT_COUNTER0 = 0;
export const PIT_COUNTER1 = 1;
export const PIT_COUNTER2 = 2;
export const PIT_CONTROL = 3;

// Control word: SC1 SC0 RW1 RW0 M2 M1 M0 BCD.
export const CW_SC_SHIFT = 6;
export const CW_SC_READ_BACK = 3;
export const CW_RW_SHIFT = 4;
export const CW_MODE_SHIFT = 1;
export const CW_BCD = 0x01;
/** Read/write modes (RW1 RW0); 0 in a control word is the counter latch command. */
export const RW_LATCH = 0;
export const RW_LSB = 1;
export const RW_MSB = 2;
export const RW_LSB_MSB = 3;
// Read-back command: 11 COUNT STATUS CNT2 CNT1 CNT0 0, COUNT and STATUS active low.
export const RB_NO_COUNT = 0x20;
export const RB_NO_STATUS = 0x10;
export const RB_COUNTER0 = 0x02;
// Status byte: OUTPUT NULL-COUNT RW1 RW0 M2 M1 M0 BCD.
export const STATUS_OUTPUT = 0x80;
export const STATUS_NULL_COUNT = 0x40;
const STATUS_PROGRAM_MASK = 0x3f;

export const PitMode = {
  InterruptOnTerminalCount: 0,
  HardwareRetriggerableOneShot: 1,
  RateGenerator: 2,
  SquareWave: 3,
  SoftwareTriggeredStrobe: 4,
  HardwareTriggeredStrobe: 5,
} as const;

const NONE = -1;
const MAX_TICK = Number.MAX_SAFE_INTEGER;

function toBcd(v: number): number {
  return (
    (v % 10) |
    ((Math.floor(v / 10) % 10) << 4) |
    ((Math.floor(v / 100) % 10) << 8) |
    ((Math.floor(v / 1000) % 10) << 12)
  );
}

/** BCD digits to a value; digits above 9 are not valid BCD and count as their binary value. */
function fromBcd(raw: number): number {
  return (raw & 0xf) + ((raw >> 4) & 0xf) * 10 + ((raw >> 8) & 0xf) * 100 + ((raw >> 12) & 0xf) * 1000;
}

/** Decodes M2 M1 M0: modes 6 and 7 are 2 and 3 (M2 is "don't care" for them). */
function modeOf(control: number): number {
  const m = (control >> CW_MODE_SHIFT) & 7;
  return m >= 6 ? m - 4 : m;
}

/**
 * One counter. Ticks are absolute input-clock tick numbers; `lastTick` is the tick it has been
 * caught up to. While loaded and running, the elapsed ticks since the load are `tick - start`;
 * while its gate holds it, the elapsed ticks are frozen in `pausedElapsed`.
 */
class PitCounter {
  /** Low six bits of the last control word, as the status byte reports them. */
  control = RW_LSB_MSB << CW_RW_SHIFT;
  mode = 0;
  /** Count register: the last complete count written, in clocks (1..modulus); 0 = none. */
  cr = 0;
  /** The LSB of a two-byte count waiting for its MSB. */
  lsb = 0;
  writeMsbNext = false;
  readMsbNext = false;
  latchedCount = NONE;
  latchedStatus = NONE;
  nullCount = true;
  gate = true;
  /** The CE holds a loaded count and follows the mode's waveform. */
  loaded = false;
  /** The CE value while not loaded and no load is due (undefined on real hardware; kept from before). */
  idleCe = 0;
  /** The count loaded in the CE (1..modulus). */
  n = 0;
  start = 0;
  paused = false;
  pausedElapsed = 0;
  /** A deferred CR-to-CE load: at pendingTick the CE takes pendingN, counting from pendingStart. */
  pendingTick = NONE;
  pendingN = 0;
  pendingStart = 0;
  lastTick = 0;

  private rw(): number {
    return (this.control >> CW_RW_SHIFT) & 3;
  }
  private bcd(): boolean {
    return (this.control & CW_BCD) !== 0;
  }
  modulus(): number {
    return this.bcd() ? 10000 : 0x10000;
  }
  private isPeriodic(): boolean {
    return this.mode === 2 || this.mode === 3;
  }

  // --- waveform, closed form in the ticks elapsed since the load

  private elapsed(tick: number): number {
    return this.paused ? this.pausedElapsed : tick - this.start;
  }

  private ceForElapsed(e: number): number {
    const n = this.n,
      m = this.modulus();
    switch (this.mode) {
      case 2:
        return (n - (e % n)) % m;
      case 3: {
        // Counts down by two in each half; an odd count starts each half at N-1
        // (datasheet, Mode 3), so the high half lasts (N+1)/2 clocks and the low half (N-1)/2.
        const half = (n + 1) >> 1;
        let p = e % n;
        if (p >= half) p -= half;
        return ((n & 1 ? n - 1 : n) - 2 * p) % m;
      }
      default:
        return (n - (e % m) + m) % m; // keeps wrapping past zero (datasheet, modes 0, 1, 4, 5)
    }
  }

  private outForElapsed(e: number): boolean {
    const n = this.n;
    switch (this.mode) {
      case 0:
      case 1:
        return e >= n;
      // Counts of 1 are illegal in modes 2 and 3 (datasheet, minimum counts); we keep OUT high.
      case 2:
        return n < 2 || e % n !== n - 1;
      case 3:
        return n < 2 || e % n < (n + 1) >> 1;
      default:
        return e !== n; // 4, 5: one clock low when the count reaches zero
    }
  }

  ceAt(tick: number): number {
    if (this.loaded) return this.ceForElapsed(this.elapsed(tick));
    // Written but not yet loaded (until the next CLK pulse, 838 ns): the CE is undefined on real
    // hardware, where the I/O read itself takes about a microsecond and so always sees the
    // loaded count. An emulated IN takes one instruction, so the count about to be loaded is
    // read, as the CE shows it at once: Linux's quick TSC calibration programs counter 2 with
    // 0xFFFF and reads its MSB right away, expecting 0xFF.
    if (this.pendingTick !== NONE)
      return (this.mode === 3 && this.pendingN & 1 ? this.pendingN - 1 : this.pendingN) % this.modulus();
    return this.idleCe;
  }

  outAt(tick: number): boolean {
    if (!this.loaded) return this.mode !== 0; // a control word sets OUT low in mode 0, high otherwise
    if (this.paused && this.isPeriodic()) return true; // GATE low forces OUT high in modes 2 and 3
    return this.outForElapsed(this.elapsed(tick));
  }

  /** The first tick after `after` at which OUT rises, for the waveform as it stands. */
  nextRiseAfter(after: number): number {
    if (!this.loaded || this.paused) return Infinity;
    const n = this.n;
    let t: number;
    switch (this.mode) {
      case 0:
      case 1:
        t = this.start + n;
        break;
      case 4:
      case 5:
        t = this.start + n + 1;
        break;
      default: {
        if (n < 2) return Infinity;
        const j = Math.max(1, Math.floor((after - this.start) / n) + 1);
        return this.start + j * n;
      }
    }
    return t > after ? t : Infinity;
  }

  /** Rising edges of OUT after tick `after` up to tick `upTo`, for the waveform as it stands. */
  private risesIn(after: number, upTo: number): number {
    const t = this.nextRiseAfter(after);
    if (t > upTo) return 0;
    return this.isPeriodic() ? 1 + Math.floor((upTo - t) / this.n) : 1;
  }

  /** Catches up to `tick`, applying a deferred load on the way; returns how many times OUT rose meanwhile. */
  catchUp(tick: number): number {
    if (tick <= this.lastTick) return 0;
    let rises = 0;
    while (this.pendingTick !== NONE && this.pendingTick <= tick) {
      const p = this.pendingTick;
      rises += this.risesIn(this.lastTick, p - 1);
      const before = this.outAt(p - 1);
      this.applyPending();
      if (!before && this.outAt(p)) rises++;
      this.lastTick = p;
    }
    rises += this.risesIn(this.lastTick, tick);
    this.lastTick = tick;
    return rises;
  }

  /** OUT's period in machine ns in modes 2 and 3 while running, else Infinity. */
  periodNs(): number {
    return this.frequencyHz() > 0 ? (this.n * NS_PER_SECOND) / PIT_HZ : Infinity;
  }

  private gateEnablesCounting(): boolean {
    return this.mode === 1 || this.mode === 5 || this.gate; // modes 1 and 5 use GATE only as a trigger
  }

  private applyPending(): void {
    const p = this.pendingTick;
    this.n = this.pendingN;
    this.start = this.pendingStart;
    this.pendingTick = NONE;
    this.loaded = true;
    this.nullCount = false;
    this.paused = !this.gateEnablesCounting();
    this.pausedElapsed = p - this.start;
  }

  private schedule(tick: number, n: number, start: number): void {
    this.pendingTick = tick;
    this.pendingN = n;
    this.pendingStart = start;
  }

  // --- programming, all at the tick the counter has been caught up to

  writeControl(cw: number, tick: number): void {
    this.idleCe = this.ceAt(tick);
    this.control = cw & STATUS_PROGRAM_MASK;
    this.mode = modeOf(cw);
    this.loaded = false;
    this.paused = false;
    this.pendingTick = NONE;
    this.cr = 0;
    this.nullCount = true;
    this.writeMsbNext = false;
    this.readMsbNext = false;
    this.latchedCount = NONE;
    this.latchedStatus = NONE;
  }

  writeCount(v: number, tick: number): void {
    switch (this.rw()) {
      case RW_LSB:
        this.countWritten(v, tick);
        return;
      case RW_MSB:
        this.countWritten(v << 8, tick);
        return;
      default:
        if (!this.writeMsbNext) {
          this.lsb = v;
          this.writeMsbNext = true;
          // Mode 0: writing the first byte stops counting and sets OUT low at once (datasheet, Mode 0).
          if (this.mode === 0) this.unload(tick);
          return;
        }
        this.writeMsbNext = false;
        this.countWritten(this.lsb | (v << 8), tick);
    }
  }

  private unload(tick: number): void {
    if (this.loaded) this.idleCe = this.ceAt(tick);
    this.loaded = false;
    this.paused = false;
    this.pendingTick = NONE;
  }

  private countWritten(raw: number, tick: number): void {
    const m = this.modulus();
    let n = (this.bcd() ? fromBcd(raw) : raw) % m;
    if (n === 0) n = m; // 0 is the largest count: 2^16 binary, 10^4 BCD
    this.cr = n;
    this.nullCount = true;
    switch (this.mode) {
      case 0:
        this.unload(tick);
        this.schedule(tick + 1, n, tick + 1); // loaded on the next CLK pulse
        break;
      case 4:
        this.schedule(tick + 1, n, tick + 1); // takes effect on the next CLK pulse, OUT untouched
        break;
      case 2:
      case 3:
        if (this.pendingTick !== NONE && (!this.loaded || this.paused))
          this.pendingN = n; // a next-clock load is due
        else if (!this.loaded) this.schedule(tick + 1, n, tick + 1);
        else if (!this.paused) this.scheduleAtCycleEnd(n, tick);
        // paused: the next GATE rising edge loads the new count
        break;
      default:
        break; // modes 1 and 5 wait for a trigger on GATE
    }
  }

  /**
   * Modes 2 and 3: a count written while counting takes effect at the end of the current
   * period (mode 2) or half-period (mode 3) (datasheet, Modes 2 and 3).
   */
  private scheduleAtCycleEnd(n: number, tick: number): void {
    const e = tick - this.start;
    const periodStart = tick - (e % this.n);
    if (this.mode === 2) {
      const at = periodStart + this.n;
      this.schedule(at, n, at);
      return;
    }
    const half = (this.n + 1) >> 1;
    if (e % this.n < half) {
      // End of the high half: the new count starts with its low half.
      const at = periodStart + half;
      this.schedule(at, n, at - ((n + 1) >> 1));
    } else {
      const at = periodStart + this.n;
      this.schedule(at, n, at);
    }
  }

  setGate(level: boolean, tick: number): void {
    if (level === this.gate) return;
    this.gate = level;
    switch (this.mode) {
      case 1:
      case 5:
        // A rising edge triggers: the CE is loaded on the next CLK pulse (datasheet, Modes 1 and 5).
        if (level && this.cr > 0) this.schedule(tick + 1, this.cr, tick + 1);
        break;
      case 2:
      case 3:
        if (!level) {
          if (this.loaded && !this.paused) {
            this.pausedElapsed = tick - this.start;
            this.paused = true;
          }
          if (this.loaded) this.pendingTick = NONE;
        } else if (this.cr > 0) {
          this.schedule(tick + 1, this.cr, tick + 1); // a rising edge reloads the count: synchronization
        }
        break;
      default: // 0, 4: GATE low suspends counting, high resumes it
        if (!this.loaded) break;
        if (!level) {
          this.pausedElapsed = tick - this.start;
          this.paused = true;
        } else if (this.paused) {
          this.start = tick - this.pausedElapsed;
          this.paused = false;
        }
    }
  }

  frequencyHz(): number {
    return this.loaded && !this.paused && this.isPeriodic() && this.n >= 2 ? PIT_HZ / this.n : 0;
  }

  // --- reading

  private rawCount(tick: number): number {
    const v = this.ceAt(tick);
    return this.bcd() ? toBcd(v % 10000) : v & 0xffff;
  }

  /** Counter latch command; ignored while an earlier latched count is unread. */
  latchCount(tick: number): void {
    if (this.latchedCount === NONE) this.latchedCount = this.rawCount(tick);
  }

  latchStatus(tick: number): void {
    if (this.latchedStatus !== NONE) return;
    this.latchedStatus =
      (this.outAt(tick) ? STATUS_OUTPUT : 0) | (this.nullCount ? STATUS_NULL_COUNT : 0) | this.control;
  }

  read(tick: number): number {
    if (this.latchedStatus !== NONE) {
      const s = this.latchedStatus;
      this.latchedStatus = NONE;
      return s;
    }
    const latched = this.latchedCount !== NONE;
    const v = latched ? this.latchedCount : this.rawCount(tick);
    let msb: boolean;
    switch (this.rw()) {
      case RW_LSB:
        msb = false;
        break;
      case RW_MSB:
        msb = true;
        break;
      default:
        msb = this.readMsbNext;
        this.readMsbNext = !msb;
    }
    // A latched count stays until read completely (datasheet, "Counter Latch Command").
    if (latched && (msb || this.rw() === RW_LSB)) this.latchedCount = NONE;
    return msb ? v >> 8 : v & 0xff;
  }
}

/** A counter's saved fields (its mode is derived from the control word on load). */
const COUNTER_STATE = record({
  fields: {
    control: int(0, STATUS_PROGRAM_MASK),
    cr: int(0, 0x10000),
    lsb: u8,
    writeMsbNext: bool,
    readMsbNext: bool,
    latchedCount: int(NONE, 0xffff),
    latchedStatus: int(NONE, 0xff),
    nullCount: bool,
    gate: bool,
    loaded: bool,
    idleCe: u16,
    n: int(0, 0x10000),
    start: int(-MAX_TICK, MAX_TICK),
    paused: bool,
    pausedElapsed: int(0, MAX_TICK),
    pendingTick: int(NONE, MAX_TICK),
    pendingN: int(0, 0x10000),
    pendingStart: int(-MAX_TICK, MAX_TICK),
    lastTick: int(0, MAX_TICK),
  },
  check(c, fail) {
    if (((c.control >> CW_RW_SHIFT) & 3) === RW_LATCH) fail("field 'control' has no read/write mode");
    const modulus = c.control & CW_BCD ? 10000 : 0x10000;
    if (c.cr > modulus) fail(`field 'cr' is ${c.cr}, above the modulus ${modulus}`);
    if (c.loaded && (c.n < 1 || c.n > modulus)) fail(`field 'n' is ${c.n}, outside 1..${modulus} in a loaded counter`);
    if (c.pendingTick !== NONE && (c.pendingN < 1 || c.pendingN > modulus || c.pendingTick <= c.lastTick))
      fail(`pending load (tick ${c.pendingTick}, count ${c.pendingN}) is inconsistent`);
  },
});

/**
 * The 8254 as the PC uses it: counter 0's OUT on an IRQ line, gates set by the board.
 *
 * Timer catch-up (realtime mode only; see docs/time.md): a rising edge of OUT0 that comes while
 * the previous one is still waiting at the interrupt controller, or several that pass in one
 * catch-up, would merge into one interrupt and the guest's tick count (Linux's jiffies while
 * its tick is periodic) would fall behind its clock. The PIT counts them instead (`backlog`,
 * capped at MAX_LAG_NS worth of periods, as the clock's own catch-up is) and raises one more
 * edge each time the controller reports that the CPU took IRQ0 (`timerAcknowledged`), as
 * KVM's PIT re-injects ticks on acknowledge. Only periodic counts (modes 2 and 3) owe ticks: a
 * one-shot count that came while another waited is not re-delivered (an OS that programs one-shot
 * events reads its clock, it does not count them). Deterministic mode leaves this off: a boot there
 * stays the same, instruction for instruction. The backlog is not saved in snapshots.
 */
export class Pit8254 implements Stateful {
  private readonly counters = [new PitCounter(), new PitCounter(), new PitCounter()];
  /** The level last driven on the counter 0 line. */
  private irqLevel = false;
  /** Re-deliver merged ticks (the board turns this on in realtime mode). */
  reinject = false;
  /** Ticks merged and not yet re-delivered. */
  backlog = 0;
  /** Edges raised on the line since the controller last reported IRQ0 taken. */
  private outstanding = 0;
  /** Ticks re-delivered so far (statistics). */
  reinjected = 0;

  constructor(
    private readonly clock: TimeSource,
    private readonly out0: IrqLine,
  ) {
    const tick = pitTicksAt(clock.now());
    for (const c of this.counters) c.lastTick = tick;
  }

  /** The four ports: counters 0-2 at base+0..2, the control word at base+3. */
  ioSurface(base: number, name = "i8254"): IoSurface {
    return {
      name,
      ports: [{ base, count: 4, read8: (o) => this.readPort(o), write8: (o, v) => this.writePort(o, v) }],
    };
  }

  /**
   * Catches up to machine time `now`. Every rising edge of counter 0's OUT since the last call
   * is given to the line as a rising edge, even when OUT has fallen again since (a mode 3 low
   * half that passed within the same slice): the line's fall then waits for the next call, so
   * an edge-triggered controller never loses the tick.
   */
  advance(now: number): void {
    const tick = pitTicksAt(now);
    const rises = this.counters[0].catchUp(tick);
    this.counters[1].catchUp(tick);
    this.counters[2].catchUp(tick);
    if (rises > 0) {
      this.edge();
      if (this.reinject) {
        this.outstanding++;
        this.addBacklog(rises - 1);
      }
    } else {
      this.driveOut0();
    }
  }

  /**
   * The interrupt controller reports that the CPU took IRQ0: edges raised since the last report
   * beyond this one were merged, so they join the backlog; then one backlog tick is raised.
   */
  timerAcknowledged(): void {
    if (!this.reinject) return;
    if (this.counters[0].periodNs() === Infinity) {
      // A one-shot count (Linux's tick in one-shot mode reprograms it after each event) is not
      // a tick that was owed: nothing is re-delivered, and nothing is kept from before.
      this.backlog = this.outstanding = 0;
      return;
    }
    this.addBacklog(this.outstanding - 1);
    this.outstanding = 0;
    if (this.backlog === 0) return;
    this.backlog--;
    this.reinjected++;
    this.outstanding = 1;
    this.edge();
  }

  private addBacklog(n: number): void {
    if (n <= 0) return;
    const cap = Math.floor(MAX_LAG_NS / this.counters[0].periodNs()); // 0 for a one-shot count
    this.backlog = Math.min(cap, this.backlog + n);
  }

  /** A rising edge on the counter 0 line, even if it is high already. */
  private edge(): void {
    if (this.irqLevel) this.out0.lower();
    this.out0.raise();
    this.irqLevel = true;
  }

  /** Machine time of counter 0's next OUT rising edge (or deferred load), Infinity if none. */
  nextDeadline(): number {
    const c = this.counters[0];
    let tick = c.nextRiseAfter(c.lastTick);
    if (c.pendingTick !== NONE && c.pendingTick < tick) tick = c.pendingTick;
    return tick === Infinity ? Infinity : pitTickTime(tick);
  }

  /** Sets a counter's GATE input (counter 2's comes from port 61h on the PC; 0 and 1 are tied high). */
  setGate(counter: number, level: boolean): void {
    const tick = this.sync();
    this.counters[counter].setGate(level, tick);
    if (counter === 0) this.driveOut0();
  }

  /** A counter's OUT level now. */
  outLevel(counter: number): boolean {
    return this.counters[counter].outAt(this.sync());
  }

  /** The frequency a counter's OUT toggles at in modes 2 and 3 while running, else 0 (for audio). */
  frequencyHz(counter: number): number {
    this.sync();
    return this.counters[counter].frequencyHz();
  }

  private sync(): number {
    this.advance(this.clock.now());
    return this.counters[0].lastTick;
  }

  private driveOut0(): void {
    this.driveLine(this.counters[0].outAt(this.counters[0].lastTick));
  }

  private driveLine(level: boolean): void {
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (level) this.out0.raise();
    else this.out0.lower();
  }

  private readPort(offset: number): number {
    const tick = this.sync();
    if (offset === PIT_CONTROL) return 0xff; // the control word register cannot be read
    return this.counters[offset].read(tick);
  }

  private writePort(offset: number, v: number): void {
    const tick = this.sync();
    if (offset !== PIT_CONTROL) {
      this.counters[offset].writeCount(v, tick);
      if (offset === PIT_COUNTER0) this.driveOut0();
      return;
    }
    const sc = v >> CW_SC_SHIFT;
    if (sc === CW_SC_READ_BACK) {
      this.readBack(v, tick);
      return;
    }
    const c = this.counters[sc];
    if (((v >> CW_RW_SHIFT) & 3) === RW_LATCH) c.latchCount(tick);
    else c.writeControl(v, tick);
    if (sc === 0) this.driveOut0();
  }

  private readBack(v: number, tick: number): void {
    for (let i = 0; i < 3; i++) {
      if (!(v & (RB_COUNTER0 << i))) continue;
      const c = this.counters[i];
      if (!(v & RB_NO_COUNT)) c.latchCount(tick);
      if (!(v & RB_NO_STATUS)) c.latchStatus(tick);
    }
  }

  static readonly STATE = defineState<Pit8254>()({
    name: "i8254",
    version: 1,
    minVersion: 1,
    fields: {
      counters: records(3, COUNTER_STATE),
      // Brings the line to the saved level if this instance last drove it otherwise.
      out0: field(bool, { get: (pit) => pit.irqLevel, set: (pit, level) => pit.driveLine(level) }),
    },
    postLoad(pit) {
      for (const c of pit.counters) c.mode = modeOf(c.control);
    },
  });
  readonly stateDefinition = Pit8254.STATE;
  readonly stateName = Pit8254.STATE.name;
  readonly stateVersion = Pit8254.STATE.version;
  readonly stateMinVersion = Pit8254.STATE.minVersion;

  saveState(): StateRecord {
    return Pit8254.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Pit8254.STATE.load(this, fields, version);
  }
}
