// Motorola MC146818A real-time clock with the 128-byte CMOS RAM of a PC/AT.
//
// The chip has an index register and a data register (on a PC: ports 0x70 and 0x71; bit 7 of
// the index byte is the board's NMI mask, which the chip ignores and we only keep as a flag).
// Key design choice: the clock is not ticked by a host timer. Every event of the 32.768 kHz
// divider chain (the once-a-second update cycle and the periodic-interrupt taps) falls on a
// fixed grid of machine time, `chainRef + k * period`, so the chip works out what happened
// between two moments by counting grid points, catching up at each access and in advance().
// The calendar is kept in binary fields and converted to BCD or 12-hour form when read, so a
// guest that changes the data mode sees the same time in the new format (the real chip would
// need the time rewritten after such a change; nothing relies on that).
//
// References: Motorola MC146818A datasheet (register A/B/C/D descriptions, "Update cycle",
// Table 6 update cycle times); IBM PC/AT Technical Reference CMOS RAM map (0x0E-0x3F).

import {
  bool,
  bytes,
  defineState,
  field,
  int,
  num,
  u8,
  type IoSurface,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import type { IrqLine } from "./irq.ts";

// ---- Register indices (datasheet "Address map") ----
export const RTC_SECONDS = 0x00;
export const RTC_SECONDS_ALARM = 0x01;
export const RTC_MINUTES = 0x02;
export const RTC_MINUTES_ALARM = 0x03;
export const RTC_HOURS = 0x04;
export const RTC_HOURS_ALARM = 0x05;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
export const RTC_REG_A = 0x0a;
export const RTC_REG_B = 0x0b;
export const RTC_REG_C = 0x0c;
export const RTC_REG_D = 0x0d;

// ---- Register A ----
export const REG_A_UIP = 0x80;
export const REG_A_DV_MASK = 0x70;
/** DV2-0 = 010: 32.768 kHz time base, the only setting that keeps time on a PC. */
export const REG_A_DV_32K = 0x20;
export const REG_A_RS_MASK = 0x0f;

// ---- Register B ----
export const REG_B_SET = 0x80;
export const REG_B_PIE = 0x40;
export const REG_B_AIE = 0x20;
export const REG_B_UIE = 0x10;
export const REG_B_SQWE = 0x08;
/** Data mode: 1 = binary, 0 = BCD. */
export const REG_B_DM = 0x04;
/** 1 = 24-hour mode, 0 = 12-hour mode with the PM flag in bit 7 of the hour. */
export const REG_B_24H = 0x02;
export const REG_B_DSE = 0x01;

// ---- Register C ----
export const REG_C_IRQF = 0x80;
export const REG_C_PF = 0x40;
export const REG_C_AF = 0x20;
export const REG_C_UF = 0x10;

// ---- Register D ----
export const REG_D_VRT = 0x80;

/** PM flag of the hour registers in 12-hour mode. */
export const HOUR_PM = 0x80;
/** Alarm bytes 0xC0-0xFF match any value ("don't care", datasheet "Alarm"). */
export const ALARM_DONT_CARE = 0xc0;

// ---- PC CMOS RAM layout (IBM PC/AT Technical Reference) ----
export const CMOS_DIAGNOSTIC = 0x0e;
export const CMOS_SHUTDOWN = 0x0f;
export const CMOS_FLOPPY_TYPES = 0x10;
export const CMOS_HARD_DISK_TYPES = 0x12;
export const CMOS_EQUIPMENT = 0x14;
export const CMOS_BASE_MEM_LO = 0x15;
export const CMOS_BASE_MEM_HI = 0x16;
export const CMOS_EXT_MEM_LO = 0x17;
export const CMOS_EXT_MEM_HI = 0x18;
export const CMOS_HD0_EXT_TYPE = 0x19;
export const CMOS_HD1_EXT_TYPE = 0x1a;
/** User-defined (type 47) geometry blocks, AMI layout: cyl lo/hi, heads, precomp lo/hi, control, landing lo/hi, sectors. */
export const CMOS_HD0_PARAMS = 0x1b;
export const CMOS_HD1_PARAMS = 0x24;
export const CMOS_CHECKSUM_FIRST = 0x10;
export const CMOS_CHECKSUM_LAST = 0x2d;
export const CMOS_CHECKSUM_HI = 0x2e;
export const CMOS_CHECKSUM_LO = 0x2f;
export const CMOS_EXT_MEM2_LO = 0x30;
export const CMOS_EXT_MEM2_HI = 0x31;
export const CMOS_CENTURY = 0x32;
export const CMOS_MEM_ABOVE_16M_LO = 0x34;
export const CMOS_MEM_ABOVE_16M_HI = 0x35;

/** Floppy drive type codes for CMOS 0x10. */
export const FLOPPY_NONE = 0;
export const FLOPPY_360K = 1;
export const FLOPPY_1200K = 2;
export const FLOPPY_720K = 3;
export const FLOPPY_1440K = 4;
export const FLOPPY_2880K = 5;

/** Hard disk type 47: geometry given in the user-defined block. */
export const HARD_DISK_USER_TYPE = 47;

export const CMOS_SIZE = 128;

const NS_PER_SECOND = 1e9;
/** UIP rises this long before each update cycle (datasheet Table 6, tBUC = 244 us). */
export const UIP_LEAD_NS = 244_000;
/** Released from divider reset, the chain starts half a second before its next update (datasheet, DV bits). */
const DIVIDER_RELEASE_NS = 500_000_000;
const SECONDS_PER_DAY = 86_400;

export interface HardDiskGeometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

export interface PcCmosConfig {
  /** Conventional memory in KiB (usually 640). */
  baseMemoryKiB: number;
  /** Memory above 1 MiB in KiB. */
  extendedMemoryKiB: number;
  /** Drive A and B type codes (FLOPPY_*). */
  floppyTypes?: [number, number];
  /** Up to two hard disks; written as type 47 with their geometry. */
  hardDisks?: (HardDiskGeometry | null)[];
  /** Equipment byte; by default computed from the floppies, with an FPU and an EGA/VGA adapter. */
  equipment?: number;
  /** Century for 0x32; by default the one of the start time. */
  century?: number;
}

/** Periodic interrupt period for rate select 1-15 with the 32.768 kHz time base, in ns. */
function periodicPeriodNs(rs: number): number {
  // Rates 1 and 2 tap the chain at 256 and 128 Hz with a 32.768 kHz crystal, the same taps as
  // rates 8 and 9 (datasheet Table 5 footnote); rate n >= 3 gives 65536 >> n Hz.
  const shift = rs <= 2 ? rs + 7 : rs;
  return (NS_PER_SECOND * (1 << shift)) / 65536;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days in a month as the chip counts them: it knows only the every-fourth-year rule. */
function chipDaysInMonth(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 ? 29 : 28;
  if (month === 4 || month === 6 || month === 9 || month === 11) return 30;
  return 31;
}

function toBcd(v: number): number {
  return ((((v / 10) | 0) % 10) << 4) | (v % 10);
}

function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 0x0f);
}

/** Breaks a Unix time (whole seconds, UTC) into calendar fields. */
function civilFromUnix(seconds: number): {
  year: number;
  month: number;
  day: number;
  dow: number;
  hour: number;
  minute: number;
  second: number;
} {
  let days = Math.floor(seconds / SECONDS_PER_DAY);
  const secOfDay = seconds - days * SECONDS_PER_DAY;
  const dow = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  let year = 1970;
  while (days < 0) {
    year--;
    days += isLeapYear(year) ? 366 : 365;
  }
  for (;;) {
    const len = isLeapYear(year) ? 366 : 365;
    if (days < len) break;
    days -= len;
    year++;
  }
  let month = 1;
  for (;;) {
    const len = month === 2 ? (isLeapYear(year) ? 29 : 28) : chipDaysInMonth(month, year);
    if (days < len) break;
    days -= len;
    month++;
  }
  return {
    year,
    month,
    day: days + 1,
    dow,
    hour: Math.floor(secOfDay / 3600),
    minute: Math.floor(secOfDay / 60) % 60,
    second: secOfDay % 60,
  };
}

export class Rtc146818 implements Stateful {
  /** Registers A, B, C, D, the alarms and the RAM at their indices; the time fields live below. */
  private readonly ram = new Uint8Array(CMOS_SIZE);
  private index = 0;
  private nmi = false;

  // Calendar in binary: hour 0-23, day of week 1-7 (1 = Sunday), year 0-99.
  private second = 0;
  private minute = 0;
  private hour = 0;
  private dayOfWeek = 1;
  private dayOfMonth = 1;
  private month = 1;
  private year = 0;

  /** A machine time on the divider chain's grid: updates happen at chainRef + k seconds. */
  private chainRef = 0;
  /** Machine time the chip has caught up to. */
  private lastNs = 0;
  private irqLevel = false;
  /** Century of the start time, for fillPcDefaults. */
  private readonly startCentury: number;

  constructor(
    private readonly clock: TimeSource,
    private readonly irq: IrqLine,
    startTimeMs: number,
  ) {
    if (!Number.isFinite(startTimeMs)) throw new RangeError("rtc: start time must be a finite number of milliseconds");
    const now = clock.now();
    const wallMs = startTimeMs + now / 1e6;
    const wallSeconds = Math.floor(wallMs / 1000);
    const c = civilFromUnix(wallSeconds);
    this.second = c.second;
    this.minute = c.minute;
    this.hour = c.hour;
    this.dayOfWeek = c.dow + 1;
    this.dayOfMonth = c.day;
    this.month = c.month;
    this.year = c.year % 100;
    this.startCentury = Math.floor(c.year / 100);
    // The last whole wall-clock second began (wallMs - wallSeconds*1000) ms ago: that moment is
    // an update of the chain, so every later second boundary is one too.
    this.chainRef = now - (wallMs - wallSeconds * 1000) * 1e6;
    this.lastNs = now;
    // What a PC BIOS programs: 32.768 kHz time base, 1024 Hz periodic rate; 24-hour BCD.
    this.ram[RTC_REG_A] = REG_A_DV_32K | 0x06;
    this.ram[RTC_REG_B] = REG_B_24H;
    this.ram[RTC_REG_D] = REG_D_VRT;
  }

  /** NMI mask bit of the last index write (bit 7 of port 0x70 on a PC). */
  get nmiMasked(): boolean {
    return this.nmi;
  }

  /** Index port at `base`, data port at `base + 1`. */
  ioSurface(base: number, name = "rtc"): IoSurface {
    return {
      name,
      ports: [
        {
          base,
          count: 2,
          read8: (off) => (off === 0 ? 0xff : this.readRegister(this.index, true)),
          write8: (off, v) => {
            if (off === 0) {
              this.index = v & 0x7f;
              this.nmi = (v & 0x80) !== 0;
            } else this.writeRegister(this.index, v);
          },
        },
      ],
    };
  }

  // ---- Time ----

  private running(): boolean {
    return (this.ram[RTC_REG_A] & REG_A_DV_MASK) === REG_A_DV_32K;
  }

  /** Raises the flags of every chain event in (lastNs, now]. */
  advance(now: number): void {
    if (!(now > this.lastNs)) return;
    const last = this.lastNs;
    this.lastNs = now;
    if (!this.running()) return;
    const ticks =
      Math.floor((now - this.chainRef) / NS_PER_SECOND) - Math.floor((last - this.chainRef) / NS_PER_SECOND);
    // SET stops the update cycles; the divider chain, and with it the periodic flag, keeps running.
    if (ticks > 0 && !(this.ram[RTC_REG_B] & REG_B_SET)) this.runUpdates(ticks);
    const rs = this.ram[RTC_REG_A] & REG_A_RS_MASK;
    if (rs !== 0) {
      const p = periodicPeriodNs(rs);
      if (Math.floor((now - this.chainRef) / p) > Math.floor((last - this.chainRef) / p))
        this.ram[RTC_REG_C] |= REG_C_PF;
    }
    this.updateIrq();
  }

  /** Machine time of the next event that can raise the IRQ, or Infinity. */
  nextDeadline(): number {
    if (!this.running()) return Infinity;
    const b = this.ram[RTC_REG_B];
    let next = Infinity;
    const rs = this.ram[RTC_REG_A] & REG_A_RS_MASK;
    if (b & REG_B_PIE && rs !== 0) {
      const p = periodicPeriodNs(rs);
      next = this.chainRef + (Math.floor((this.lastNs - this.chainRef) / p) + 1) * p;
    }
    if (b & (REG_B_UIE | REG_B_AIE) && !(b & REG_B_SET)) {
      next = Math.min(next, this.nextUpdateNs());
    }
    return next;
  }

  private nextUpdateNs(): number {
    return this.chainRef + (Math.floor((this.lastNs - this.chainRef) / NS_PER_SECOND) + 1) * NS_PER_SECOND;
  }

  private catchUp(): void {
    this.advance(this.clock.now());
  }

  /** Runs `n` update cycles: the time moves on n seconds, UF is set, AF if the alarm matched. */
  private runUpdates(n: number): void {
    // Beyond a day, skip whole days without looking at the alarm: the last day is still run
    // second by second, and any alarm that can match at all matches within a day.
    if (n > SECONDS_PER_DAY) {
      this.skipSeconds(n - SECONDS_PER_DAY);
      n = SECONDS_PER_DAY;
    }
    let alarm = false;
    for (let i = 0; i < n; i++) {
      this.tickSecond();
      if (!alarm && this.alarmMatches()) alarm = true;
    }
    this.ram[RTC_REG_C] |= REG_C_UF | (alarm ? REG_C_AF : 0);
  }

  private tickSecond(): void {
    if (++this.second < 60) return;
    this.second = 0;
    if (++this.minute < 60) return;
    this.minute = 0;
    if (++this.hour < 24) return;
    this.hour = 0;
    this.tickDay();
  }

  private tickDay(): void {
    this.dayOfWeek = this.dayOfWeek >= 7 ? 1 : this.dayOfWeek + 1;
    if (++this.dayOfMonth <= chipDaysInMonth(this.month, this.year)) return;
    this.dayOfMonth = 1;
    if (++this.month <= 12) return;
    this.month = 1;
    this.year = (this.year + 1) % 100;
  }

  private skipSeconds(s: number): void {
    const total = Math.min(this.second, 59) + Math.min(this.minute, 59) * 60 + Math.min(this.hour, 23) * 3600 + s;
    const days = Math.floor(total / SECONDS_PER_DAY);
    const rest = total - days * SECONDS_PER_DAY;
    this.hour = Math.floor(rest / 3600);
    this.minute = Math.floor(rest / 60) % 60;
    this.second = rest % 60;
    for (let d = 0; d < days; d++) this.tickDay();
  }

  private alarmMatches(): boolean {
    return (
      this.alarmByteMatches(this.ram[RTC_SECONDS_ALARM], this.encode(this.second)) &&
      this.alarmByteMatches(this.ram[RTC_MINUTES_ALARM], this.encode(this.minute)) &&
      this.alarmByteMatches(this.ram[RTC_HOURS_ALARM], this.encodeHour(this.hour))
    );
  }

  private alarmByteMatches(alarm: number, current: number): boolean {
    return alarm >= ALARM_DONT_CARE || alarm === current;
  }

  // ---- Data formats ----

  private binary(): boolean {
    return (this.ram[RTC_REG_B] & REG_B_DM) !== 0;
  }

  private encode(v: number): number {
    return this.binary() ? v & 0xff : toBcd(v);
  }

  private decode(v: number): number {
    return this.binary() ? v : fromBcd(v);
  }

  private encodeHour(h: number): number {
    if (this.ram[RTC_REG_B] & REG_B_24H) return this.encode(h);
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return this.encode(h12) | (h >= 12 ? HOUR_PM : 0);
  }

  private decodeHour(v: number): number {
    if (this.ram[RTC_REG_B] & REG_B_24H) return this.decode(v);
    let h = this.decode(v & 0x7f);
    if (h === 12) h = 0;
    return v & HOUR_PM ? h + 12 : h;
  }

  // ---- Register access ----

  /** Value of a register or RAM byte; `sideEffects` = a real read (register C clears its flags). */
  private readRegister(index: number, sideEffects: boolean): number {
    this.catchUp();
    switch (index) {
      case RTC_SECONDS:
        return this.encode(this.second);
      case RTC_MINUTES:
        return this.encode(this.minute);
      case RTC_HOURS:
        return this.encodeHour(this.hour);
      case RTC_DAY_OF_WEEK:
        return this.encode(this.dayOfWeek);
      case RTC_DAY_OF_MONTH:
        return this.encode(this.dayOfMonth);
      case RTC_MONTH:
        return this.encode(this.month);
      case RTC_YEAR:
        return this.encode(this.year);
      case RTC_REG_A:
        return this.ram[RTC_REG_A] | (this.updateInProgress() ? REG_A_UIP : 0);
      case RTC_REG_C: {
        const v = this.ram[RTC_REG_C] | (this.irqLevel ? REG_C_IRQF : 0);
        if (sideEffects) {
          // Reading register C clears all flags and releases the IRQ pin (datasheet, register C).
          this.ram[RTC_REG_C] = 0;
          this.updateIrq();
        }
        return v;
      }
      case RTC_REG_D:
        return REG_D_VRT; // the battery is always good
      default:
        return this.ram[index];
    }
  }

  private updateInProgress(): boolean {
    if (!this.running() || this.ram[RTC_REG_B] & REG_B_SET) return false;
    return this.nextUpdateNs() - this.lastNs <= UIP_LEAD_NS;
  }

  private writeRegister(index: number, v: number): void {
    this.catchUp();
    switch (index) {
      case RTC_SECONDS:
        this.second = this.decode(v);
        break;
      case RTC_MINUTES:
        this.minute = this.decode(v);
        break;
      case RTC_HOURS:
        this.hour = this.decodeHour(v);
        break;
      case RTC_DAY_OF_WEEK:
        this.dayOfWeek = this.decode(v);
        break;
      case RTC_DAY_OF_MONTH:
        this.dayOfMonth = this.decode(v);
        break;
      case RTC_MONTH:
        this.month = this.decode(v);
        break;
      case RTC_YEAR:
        this.year = this.decode(v);
        break;
      case RTC_REG_A:
        this.writeRegA(v);
        break;
      case RTC_REG_B:
        // Setting SET ends any update and clears UIE (datasheet, register B: SET and UIE).
        if (v & REG_B_SET) v &= ~REG_B_UIE;
        this.ram[RTC_REG_B] = v;
        this.updateIrq();
        break;
      case RTC_REG_C:
      case RTC_REG_D:
        break; // read-only
      default:
        this.ram[index] = v;
    }
  }

  private writeRegA(v: number): void {
    const wasRunning = this.running();
    this.ram[RTC_REG_A] = v & ~REG_A_UIP;
    if (!wasRunning && this.running()) {
      // Out of divider reset, the first update comes half a second later (datasheet, DV bits).
      this.chainRef = this.lastNs + DIVIDER_RELEASE_NS - NS_PER_SECOND;
    }
  }

  private updateIrq(): void {
    const c = this.ram[RTC_REG_C];
    const b = this.ram[RTC_REG_B];
    const level =
      ((c & REG_C_PF) !== 0 && (b & REG_B_PIE) !== 0) ||
      ((c & REG_C_AF) !== 0 && (b & REG_B_AIE) !== 0) ||
      ((c & REG_C_UF) !== 0 && (b & REG_B_UIE) !== 0);
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (level) this.irq.raise();
    else this.irq.lower();
  }

  // ---- Host helpers (machine setup and the built-in BIOS) ----

  /**
   * Reads a register or CMOS byte as the guest would see it, without side effects (reading
   * register C this way does not clear its flags).
   */
  getCmos(index: number): number {
    this.checkIndex(index);
    return this.readRegister(index, false);
  }

  /**
   * Writes a register or CMOS byte as the guest would. Writes into the checksummed area
   * 0x10-0x2D also update the checksum at 0x2E/0x2F, so the BIOS never sees a bad one.
   */
  setCmos(index: number, value: number): void {
    this.checkIndex(index);
    this.writeRegister(index, value & 0xff);
    if (index >= CMOS_CHECKSUM_FIRST && index <= CMOS_CHECKSUM_LAST) this.updateChecksum();
  }

  /** Recomputes the checksum of 0x10-0x2D into 0x2E (high) / 0x2F (low). */
  updateChecksum(): void {
    let sum = 0;
    for (let i = CMOS_CHECKSUM_FIRST; i <= CMOS_CHECKSUM_LAST; i++) sum += this.ram[i];
    this.ram[CMOS_CHECKSUM_HI] = (sum >> 8) & 0xff;
    this.ram[CMOS_CHECKSUM_LO] = sum & 0xff;
  }

  /** Writes the standard PC/AT configuration bytes and a matching checksum. */
  fillPcDefaults(cfg: PcCmosConfig): void {
    const floppies = cfg.floppyTypes ?? [FLOPPY_1440K, FLOPPY_NONE];
    for (const t of floppies)
      if (!Number.isInteger(t) || t < 0 || t > 15) throw new RangeError(`rtc: bad floppy type ${t}`);
    const ram = this.ram;
    ram[CMOS_DIAGNOSTIC] = 0;
    ram[CMOS_SHUTDOWN] = 0;
    ram[CMOS_FLOPPY_TYPES] = (floppies[0] << 4) | floppies[1];

    let diskTypes = 0;
    ram[CMOS_HD0_EXT_TYPE] = 0;
    ram[CMOS_HD1_EXT_TYPE] = 0;
    ram.fill(0, CMOS_HD0_PARAMS, CMOS_HD1_PARAMS + 9);
    const disks = cfg.hardDisks ?? [];
    for (let i = 0; i < 2; i++) {
      const g = disks[i];
      if (!g) continue;
      diskTypes |= 0x0f << (i === 0 ? 4 : 0); // 15 = "see the extended type byte"
      ram[i === 0 ? CMOS_HD0_EXT_TYPE : CMOS_HD1_EXT_TYPE] = HARD_DISK_USER_TYPE;
      this.writeDiskParams(i === 0 ? CMOS_HD0_PARAMS : CMOS_HD1_PARAMS, g);
    }
    ram[CMOS_HARD_DISK_TYPES] = diskTypes;

    const nFloppies = (floppies[0] ? 1 : 0) + (floppies[1] ? 1 : 0);
    const equipment =
      cfg.equipment ??
      (nFloppies > 0 ? 0x01 | ((nFloppies - 1) << 6) : 0) | 0x02 /* FPU present */ | 0x00; /* EGA/VGA */
    ram[CMOS_EQUIPMENT] = equipment & 0xff;

    const base = Math.max(0, Math.min(0xffff, Math.floor(cfg.baseMemoryKiB)));
    ram[CMOS_BASE_MEM_LO] = base & 0xff;
    ram[CMOS_BASE_MEM_HI] = base >> 8;
    const ext = Math.max(0, Math.min(0xffff, Math.floor(cfg.extendedMemoryKiB)));
    ram[CMOS_EXT_MEM_LO] = ram[CMOS_EXT_MEM2_LO] = ext & 0xff;
    ram[CMOS_EXT_MEM_HI] = ram[CMOS_EXT_MEM2_HI] = ext >> 8;
    // Memory above 16 MiB in 64 KiB units (the extended-memory words stop at 64 MiB).
    const above16 = Math.max(0, Math.min(0xffff, Math.floor((cfg.extendedMemoryKiB - 15 * 1024) / 64)));
    ram[CMOS_MEM_ABOVE_16M_LO] = above16 & 0xff;
    ram[CMOS_MEM_ABOVE_16M_HI] = above16 >> 8;

    const century = cfg.century ?? this.startCentury;
    ram[CMOS_CENTURY] = this.encode(((century % 100) + 100) % 100);
    this.updateChecksum();
  }

  private writeDiskParams(at: number, g: HardDiskGeometry): void {
    const cyl = g.cylinders & 0xffff;
    this.ram[at] = cyl & 0xff;
    this.ram[at + 1] = cyl >> 8;
    this.ram[at + 2] = g.heads & 0xff;
    this.ram[at + 3] = 0xff; // write precompensation: none (0xFFFF)
    this.ram[at + 4] = 0xff;
    this.ram[at + 5] = g.heads > 8 ? 0x08 : 0x00; // control byte: more than 8 heads
    this.ram[at + 6] = cyl & 0xff; // landing zone: last cylinder + 1, as drive tables give it
    this.ram[at + 7] = cyl >> 8;
    this.ram[at + 8] = g.sectorsPerTrack & 0xff;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= CMOS_SIZE)
      throw new RangeError(`rtc: CMOS index ${index} out of range`);
  }

  // ---- Snapshot ----

  static readonly STATE = defineState<Rtc146818>()({
    name: "mc146818",
    version: 1,
    minVersion: 1,
    fields: {
      ram: bytes(CMOS_SIZE),
      index: int(0, CMOS_SIZE - 1),
      nmiMasked: field(bool, { key: "nmi" }),
      // Calendar fields hold whatever a guest wrote (decoded from a byte), so any byte value is valid.
      second: u8,
      minute: u8,
      hour: u8,
      dayOfWeek: u8,
      dayOfMonth: u8,
      month: u8,
      year: u8,
      chainRef: num(),
      lastNs: num(),
    },
    check(v, fail) {
      if (v.ram[RTC_REG_C] & ~(REG_C_PF | REG_C_AF | REG_C_UF)) fail("field 'ram' has bad register C flags");
      if (v.ram[RTC_REG_A] & REG_A_UIP) fail("field 'ram' has the read-only UIP bit stored");
    },
    postLoad: (rtc) => rtc.updateIrq(),
  });
  readonly stateDefinition = Rtc146818.STATE;
  readonly stateName = Rtc146818.STATE.name;
  readonly stateVersion = Rtc146818.STATE.version;
  readonly stateMinVersion = Rtc146818.STATE.minVersion;

  saveState(): StateRecord {
    return Rtc146818.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Rtc146818.STATE.load(this, fields, version);
  }
}
