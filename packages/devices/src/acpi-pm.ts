// ACPI fixed-hardware power management registers (ACPI 6.4 section 4.8): the PM1a event block
// (PM1_STS, PM1_EN), the PM1a control block (PM1_CNT) and the power management timer, as the
// FADT describes them (pc/bios/acpi.ts). One register block of 12 ports:
//
//   +0  PM1_STS  16 bits  TMR_STS (bit 0), GBL_STS (5), PWRBTN_STS (8), SLPBTN_STS (9),
//                         RTC_STS (10), WAK_STS (15); write 1 to clear
//   +2  PM1_EN   16 bits  the matching enables (the global lock, sleep button and RTC alarm
//                         never signal: their enables only hold what the OS writes)
//   +4  PM1_CNT  16 bits  SCI_EN (bit 0, always 1: the board is always in ACPI mode, the FADT's
//                         SMI command port is 0), SLP_TYP (bits 12:10), SLP_EN (bit 13, write-only)
//   +8  PM_TMR   32 bits  3.579545 MHz count of machine time (TMR_VAL_EXT: all 32 bits count)
//
// Writing SLP_EN with SLP_TYP = S5 (the value the DSDT's \_S5 package names) powers the machine
// off through the hook. The SCI (level, on the ISA line the FADT names) is high while a status
// bit and its enable are both set; TMR_STS sets when bit 31 of the timer changes.
//
// The timer reads the machine clock (deterministic or realtime: never the host's own clock).

import { defineState, bits, int, type IoSurface, type StateRecord, type Stateful, type TimeSource } from "@x86vm/core";
import type { IrqLine } from "./irq.ts";

/** The PM timer's rate in Hz. */
export const PM_TIMER_HZ = 3_579_545;
/** Register offsets in the block. */
export const PM1_STS = 0,
  PM1_EN = 2,
  PM1_CNT = 4,
  PM_TMR = 8;
/** The block's size in ports. */
export const ACPI_PM_PORTS = 12;

export const STS_TMR = 0x0001,
  STS_GBL = 0x0020,
  STS_PWRBTN = 0x0100,
  STS_SLPBTN = 0x0200,
  STS_RTC = 0x0400,
  STS_WAK = 0x8000;
const STS_MASK = STS_TMR | STS_GBL | STS_PWRBTN | STS_SLPBTN | STS_RTC | STS_WAK;
/** The enable bits sit where their status bits do; all hold what is written, only TMR and PWRBTN ever fire. */
const EN_MASK = STS_TMR | STS_GBL | STS_PWRBTN | STS_SLPBTN | STS_RTC;
export const CNT_SCI_EN = 0x0001,
  CNT_SLP_TYP_SHIFT = 10,
  CNT_SLP_EN = 0x2000;
/** Bits of PM1_CNT that hold their value (SCI_EN, BM_RLD, GBL_RLS, SLP_TYP). */
const CNT_MASK = 0x1c07;
/** SLP_TYP for soft-off (S5), as the DSDT's \_S5 package gives it. */
export const SLP_TYP_S5 = 5;

export interface AcpiPmHooks {
  /** The machine was told to enter soft-off (S5). */
  powerOff(): void;
}

export class AcpiPm implements Stateful {
  status = 0;
  enable = 0;
  control = CNT_SCI_EN;
  /** Bit 31 of the timer when TMR_STS was last brought up to date (0 or 1). */
  timerMsb = 0;

  constructor(
    private readonly clock: TimeSource,
    private readonly sci: IrqLine,
    private readonly hooks: AcpiPmHooks,
  ) {}

  /** The timer's count now (32 bits). */
  timer(): number {
    return Math.floor((this.clock.now() * PM_TIMER_HZ) / 1e9) % 4294967296;
  }

  /** Machine ns at which the timer's bit 31 next changes. */
  private nextMsbFlip(): number {
    const ticks = Math.floor((this.clock.now() * PM_TIMER_HZ) / 1e9);
    const next = (Math.floor(ticks / 2 ** 31) + 1) * 2 ** 31;
    return Math.ceil((next * 1e9) / PM_TIMER_HZ);
  }

  /** Notes a change of the timer's bit 31 in TMR_STS. */
  private syncTimer(): void {
    const msb = this.timer() >= 2 ** 31 ? 1 : 0;
    if (msb !== this.timerMsb) {
      this.timerMsb = msb;
      this.status |= STS_TMR;
    }
  }

  advance(): void {
    this.syncTimer();
    this.updateSci();
  }

  nextDeadline(): number {
    return this.enable & STS_TMR ? this.nextMsbFlip() : Infinity;
  }

  /** The power button was pressed: PWRBTN_STS, and the SCI if enabled. */
  pressPowerButton(): void {
    this.status |= STS_PWRBTN;
    this.updateSci();
  }

  private updateSci(): void {
    if (this.status & this.enable & EN_MASK) this.sci.raise();
    else this.sci.lower();
  }

  /** Reads `size` bytes at offset (unaligned accesses read the bytes they cover). */
  read(offset: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readByte(offset + i) << (8 * i);
    return v >>> 0;
  }

  private readByte(offset: number): number {
    switch (offset & ~1) {
      case PM1_STS:
        this.syncTimer();
        return (this.status >> (8 * (offset & 1))) & 0xff;
      case PM1_EN:
        return (this.enable >> (8 * (offset & 1))) & 0xff;
      case PM1_CNT:
        return (this.control >> (8 * (offset & 1))) & 0xff;
      case PM_TMR:
      case PM_TMR + 2:
        return (this.timer() >>> (8 * (offset - PM_TMR))) & 0xff;
      default:
        return 0xff;
    }
  }

  write(offset: number, size: number, value: number): void {
    // Whole registers are written at once, so that SLP_TYP and SLP_EN arrive together.
    for (let i = 0; i < size;) {
      const at = offset + i;
      if ((at & 1) === 0 && i + 2 <= size) {
        this.writeReg(at, (value >>> (8 * i)) & 0xffff, 0xffff);
        i += 2;
      } else {
        const shift = 8 * (at & 1);
        this.writeReg(at & ~1, ((value >>> (8 * i)) & 0xff) << shift, 0xff << shift);
        i += 1;
      }
    }
  }

  private writeReg(reg: number, v: number, mask: number): void {
    switch (reg) {
      case PM1_STS:
        this.syncTimer();
        this.status &= ~(v & mask & STS_MASK);
        break;
      case PM1_EN:
        this.enable = ((this.enable & ~mask) | (v & mask)) & EN_MASK;
        break;
      case PM1_CNT: {
        this.control = (((this.control & ~mask) | (v & mask)) & CNT_MASK) | CNT_SCI_EN;
        if (v & mask & CNT_SLP_EN) {
          const type = (this.control >> CNT_SLP_TYP_SHIFT) & 7;
          if (type === SLP_TYP_S5) this.hooks.powerOff();
        }
        break;
      }
      default:
        break; // the timer is read-only
    }
    this.updateSci();
  }

  ioSurface(base: number, name = "acpi-pm"): IoSurface {
    return {
      name,
      ports: [
        {
          base,
          count: ACPI_PM_PORTS,
          read8: (o) => this.read(o, 1),
          read16: (o) => this.read(o, 2),
          read32: (o) => this.read(o, 4),
          write8: (o, v) => this.write(o, 1, v),
          write16: (o, v) => this.write(o, 2, v),
          write32: (o, v) => this.write(o, 4, v),
        },
      ],
    };
  }

  static readonly STATE = defineState<AcpiPm>()({
    name: "acpi-pm",
    version: 1,
    minVersion: 1,
    fields: {
      status: bits(STS_MASK),
      enable: bits(EN_MASK),
      control: bits(CNT_MASK),
      timerMsb: int(0, 1),
    },
    postLoad: (pm) => pm.updateSci(),
  });
  readonly stateDefinition = AcpiPm.STATE;
  readonly stateName = AcpiPm.STATE.name;
  readonly stateVersion = AcpiPm.STATE.version;
  readonly stateMinVersion = AcpiPm.STATE.minVersion;
  saveState(): StateRecord {
    return AcpiPm.STATE.save(this);
  }
  loadState(fields: StateRecord, version: number): void {
    AcpiPm.STATE.load(this, fields, version);
  }
}
