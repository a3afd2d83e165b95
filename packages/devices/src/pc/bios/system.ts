// System services: the timer tick (INT 08h's work), RTC interrupt, INT 11h/12h data, INT 15h
// (memory map E820/E801/88h, A20, block move, waits, configuration table, keyboard intercept),
// INT 1Ah (tick count and RTC time/date; the PCI BIOS is in pci.ts), INT 14h/17h (no serial or
// parallel port services yet), INT 18h/19h (boot: floppy, El Torito CD, hard disk, or a Linux
// kernel), and the POST work for the PIC, PIT and RTC.
//
// Booting: INT 19h tries the devices of the boot order that hold media. A floppy or hard disk
// boots only if its first sector ends in the 55h AAh boot signature (offset 510), a CD only if
// it has an El Torito boot record with a usable entry. Each device that cannot boot gets a line
// on the screen ("Boot from floppy failed: not a bootable disk (no boot signature)"). When none
// boots, INT 18h prints "No bootable device. System halted." and the CPU halts with interrupts
// off at a known place in the ROM; Bios.noBoot() then says so, with what each device lacked,
// for the board to report (PcMachine.run returns { kind: "no-boot" }).

import { CS, DS, ES, SS } from "@x86vm/core";
import type { Bios } from "./bios.ts";
import * as B from "./bda.ts";
import { CONFIG_TABLE, ROM_SEGMENT } from "./rom.ts";
import { loadLinux } from "./linux-loader.ts";
import { extendedKiB, memoryMap, usableRamTop } from "./memory-map.ts";
import type { BootDevice, BootFailure } from "./bios.ts";
import { jumpToBoot } from "./disk.ts";
import { PciBiosServices } from "./pci.ts";
import { ApmServices } from "./apm.ts";
import { PC_PIC_MASTER_BASE, PC_PIC_SLAVE_BASE, PC_PIT_BASE } from "../board.ts";
import { CASCADE_IR, ICW1_IC4, ICW1_INIT, ICW4_UPM } from "../../pic8259.ts";
import { CW_MODE_SHIFT, CW_RW_SHIFT, PitMode, PIT_CONTROL, PIT_COUNTER0, RW_LSB_MSB } from "../../pit8254.ts";
import { DMA_MODE_CASCADE, DMA_REG_COMMAND, DMA_REG_MODE, DMA_REG_SINGLE_MASK, PC_DMA2_BASE } from "../../dma8237.ts";
import { DOR_DMA_GATE, DOR_NRESET, FDC_CCR, FDC_DOR, PC_FDC_BASE, RATE_500K } from "../../fdc82077.ts";
import {
  CMOS_CENTURY,
  REG_B_24H,
  REG_B_DM,
  REG_B_DSE,
  REG_B_SET,
  RTC_DAY_OF_MONTH,
  RTC_HOURS,
  RTC_MINUTES,
  RTC_MONTH,
  RTC_REG_B,
  RTC_REG_C,
  RTC_SECONDS,
  RTC_YEAR,
} from "../../rtc146818.ts";

/** The 8259As' A0 = 0 (ICW1, OCW2, OCW3) and A0 = 1 (ICW2-4, the mask) ports. */
const PIC1_COMMAND = PC_PIC_MASTER_BASE,
  PIC1_DATA = PC_PIC_MASTER_BASE + 1,
  PIC2_COMMAND = PC_PIC_SLAVE_BASE,
  PIC2_DATA = PC_PIC_SLAVE_BASE + 1;

/** Floppy first, then a bootable CD, then the first hard disk (absent devices are skipped). */
const DEFAULT_BOOT_ORDER: readonly BootDevice[] = ["floppy", "cdrom", "hdd"];
/** How the boot failure lines name each device. */
const DEVICE_LABEL: Record<BootDevice, string> = { floppy: "floppy", cdrom: "CD-ROM", hdd: "hard disk" };
/** EBDA_WAIT_FLAGS bits. */
const WAIT_ACTIVE = 0x01,
  WAIT_OWNS_PIE = 0x02;

const SMAP = 0x534d4150;

function bcd(v: number): number {
  return (v >> 4) * 10 + (v & 15);
}
function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

export class SystemServices {
  private readonly pci: PciBiosServices;
  private readonly apm: ApmServices;
  /** The devices the last INT 19h tried and could not boot, in boot order. */
  bootFailures: BootFailure[] = [];
  /** Where the last INT 19h booted from (null: nothing, or a Linux kernel). */
  bootedFrom: BootDevice | null = null;

  constructor(private readonly bios: Bios) {
    this.pci = new PciBiosServices(bios);
    this.apm = new ApmServices(bios);
  }

  post(): void {
    const b = this.bios;
    this.bootFailures = [];
    this.bootedFrom = null;
    // 8259A pair: edge triggered, cascade, vectors 08h and 70h, 8086 mode.
    b.outb(PIC1_COMMAND, ICW1_INIT | ICW1_IC4);
    b.outb(PIC2_COMMAND, ICW1_INIT | ICW1_IC4);
    b.outb(PIC1_DATA, 0x08);
    b.outb(PIC2_DATA, 0x70);
    b.outb(PIC1_DATA, 1 << CASCADE_IR);
    b.outb(PIC2_DATA, CASCADE_IR);
    b.outb(PIC1_DATA, ICW4_UPM);
    b.outb(PIC2_DATA, ICW4_UPM);
    // Unmask the timer, keyboard, cascade and floppy; RTC, mouse, FPU and primary IDE on the slave.
    b.outb(PIC1_DATA, 0xb8);
    b.outb(PIC2_DATA, 0x8e);
    // 8254 counter 0: mode 3, count 65536 -> 18.2 Hz.
    b.outb(PC_PIT_BASE + PIT_CONTROL, (RW_LSB_MSB << CW_RW_SHIFT) | (PitMode.SquareWave << CW_MODE_SHIFT));
    b.outb(PC_PIT_BASE + PIT_COUNTER0, 0);
    b.outb(PC_PIT_BASE + PIT_COUNTER0, 0);
    // 8237: enable DMA2 and unmask channel 4 (the cascade from DMA1). DMA2's registers sit on
    // even ports (its A0-A3 on SA1-SA4).
    b.outb(PC_DMA2_BASE + (DMA_REG_COMMAND << 1), 0x00);
    b.outb(PC_DMA2_BASE + (DMA_REG_MODE << 1), DMA_MODE_CASCADE);
    b.outb(PC_DMA2_BASE + (DMA_REG_SINGLE_MASK << 1), 0x00);
    // 82077AA: out of reset, DMA and interrupts on, 500 kbit/s.
    b.outb(PC_FDC_BASE + FDC_DOR, DOR_NRESET | DOR_DMA_GATE);
    b.outb(PC_FDC_BASE + FDC_CCR, RATE_500K);
    // RTC: 24-hour BCD, periodic interrupt off; clear pending flags.
    b.setCmos(RTC_REG_B, REG_B_24H);
    b.cmos(RTC_REG_C);
    // Timer ticks since midnight from the RTC.
    const h = bcd(b.cmos(RTC_HOURS)),
      m = bcd(b.cmos(RTC_MINUTES)),
      s = bcd(b.cmos(RTC_SECONDS));
    b.wd(B.BDA_TICKS, Math.floor(((h * 3600 + m * 60 + s) * B.TICKS_PER_DAY) / 86400));
    // Serial ports in the BDA; equipment word: their count, 80x25 colour video (the disk
    // services set the floppy bits).
    const com = (b.platform.comPorts ?? []).slice(0, 4);
    com.forEach((port, i) => b.ww(B.BDA_COM_PORTS + 2 * i, port));
    b.ww(B.BDA_EQUIPMENT, (b.rw(B.BDA_EQUIPMENT) & ~0xe30) | 0x20 | (com.length << 9));
  }

  /** INT 08h: count the tick; at midnight wrap and set the rollover flag. */
  timerTick(): void {
    const b = this.bios;
    let t = (b.rd(B.BDA_TICKS) >>> 0) + 1;
    if (t >= B.TICKS_PER_DAY) {
      t = 0;
      b.wb(B.BDA_MIDNIGHT, 1);
    }
    b.wd(B.BDA_TICKS, t);
    const motor = b.rb(B.BDA_FLOPPY_MOTOR_TIMEOUT);
    if (motor > 0) {
      b.wb(B.BDA_FLOPPY_MOTOR_TIMEOUT, motor - 1);
      if (motor === 1) {
        b.wb(B.BDA_FLOPPY_MOTOR, b.rb(B.BDA_FLOPPY_MOTOR) & 0xf0);
        b.outb(PC_FDC_BASE + FDC_DOR, DOR_NRESET | DOR_DMA_GATE);
      }
    }
  }

  /** INT 70h: acknowledge the RTC by reading register C. */
  rtcIrq(): void {
    this.bios.cmos(RTC_REG_C);
  }

  int17(): void {
    this.bios.cpu.r8[1] = 0x01;
    this.bios.ok();
  } // no printer: timeout

  /** INT 18h, where INT 19h goes when nothing boots (and boot sectors that give up): report it; the stub halts. */
  int18(): void {
    this.bios.print("No bootable device. System halted.\r\n");
  }

  /** INT 19h: load the first sector of the first bootable drive at 0000:7C00 and jump there. */
  int19(): void {
    const b = this.bios,
      cpu = b.cpu;
    if (b.platform.linux) {
      const e = loadLinux(
        { ramSize: usableRamTop(b.mem.ramSize), write: (addr, bytes) => b.copyToGuest(addr, bytes) },
        b.platform.linux,
      );
      for (const s of [DS, ES, 4, 5]) cpu.loadSegReal(s, e.ds);
      cpu.loadSegReal(SS, e.ss);
      cpu.r16[8] = e.sp;
      cpu.setFlag(0x200, false);
      cpu.loadSegReal(CS, e.cs);
      cpu.setEip(e.ip);
      return;
    }
    const order = b.platform.bootOrder ?? DEFAULT_BOOT_ORDER;
    const sector = new Uint8Array(512);
    this.bootFailures = [];
    this.bootedFrom = null;
    const failed = (device: BootDevice, reason: string, shown = reason) => {
      this.bootFailures.push({ device, reason });
      b.print(`Boot from ${DEVICE_LABEL[device]} failed: ${shown}\r\n`);
    };
    for (const kind of order) {
      if (kind === "cdrom") {
        const r = b.disk.bootCdrom();
        if (r.kind === "booted") {
          this.bootedFrom = kind;
          return;
        }
        if (r.kind === "failed") failed(kind, r.reason);
        continue;
      }
      const dl = kind === "floppy" ? 0x00 : 0x80;
      const image = kind === "floppy" ? b.platform.floppy(0) : b.platform.hardDisk(0);
      if (!image) continue;
      if (image.size < sector.length) {
        failed(kind, "the image is smaller than one sector");
        continue;
      }
      image.read(0, sector);
      // A boot sector ends in 55h AAh (as SeaBIOS and Bochs check, floppies included).
      if (sector[510] !== 0x55 || sector[511] !== 0xaa) {
        failed(kind, "no boot signature", "not a bootable disk (no boot signature)");
        continue;
      }
      b.copyToGuest(0x7c00, sector);
      this.bootedFrom = kind;
      jumpToBoot(b, 0, 0x7c00, dl);
      return;
    }
    // Nothing to boot: continue at the INT 18h stub, which reports it and halts.
    cpu.loadSegReal(CS, ROM_SEGMENT);
    cpu.setEip(b.rom.vectors.get(0x18)!);
  }

  int1a(): void {
    const b = this.bios,
      cpu = b.cpu;
    switch (b.ah) {
      case 0xb1:
        this.pci.int1a();
        return;
      case 0x00: {
        // tick count; AL = midnight flag (cleared on read)
        const t = b.rd(B.BDA_TICKS) >>> 0;
        cpu.r16[2] = t >>> 16;
        cpu.r16[4] = t & 0xffff;
        cpu.r8[0] = b.rb(B.BDA_MIDNIGHT);
        b.wb(B.BDA_MIDNIGHT, 0);
        b.ok();
        return;
      }
      case 0x01:
        b.wd(B.BDA_TICKS, (cpu.r16[2] << 16) | cpu.r16[4]);
        b.wb(B.BDA_MIDNIGHT, 0);
        b.ok();
        return;
      case 0x02: // RTC time: CH hours, CL minutes, DH seconds (BCD), DL daylight saving
        cpu.r8[5] = this.rtcBcd(RTC_HOURS);
        cpu.r8[4] = this.rtcBcd(RTC_MINUTES);
        cpu.r8[9] = this.rtcBcd(RTC_SECONDS);
        cpu.r8[8] = b.cmos(RTC_REG_B) & REG_B_DSE;
        b.ok();
        return;
      case 0x03: // set RTC time; DL bit 0 = daylight saving (register B's DSE)
        this.rtcSet([
          [RTC_HOURS, cpu.r8[5]],
          [RTC_MINUTES, cpu.r8[4]],
          [RTC_SECONDS, cpu.r8[9]],
        ]);
        b.setCmos(RTC_REG_B, (b.cmos(RTC_REG_B) & ~REG_B_DSE) | (cpu.r8[8] & REG_B_DSE));
        b.ok();
        return;
      case 0x04: // RTC date: CH century, CL year, DH month, DL day (BCD)
        cpu.r8[5] = this.rtcBcd(CMOS_CENTURY);
        cpu.r8[4] = this.rtcBcd(RTC_YEAR);
        cpu.r8[9] = this.rtcBcd(RTC_MONTH);
        cpu.r8[8] = this.rtcBcd(RTC_DAY_OF_MONTH);
        b.ok();
        return;
      case 0x05:
        this.rtcSet([
          [CMOS_CENTURY, cpu.r8[5]],
          [RTC_YEAR, cpu.r8[4]],
          [RTC_MONTH, cpu.r8[9]],
          [RTC_DAY_OF_MONTH, cpu.r8[8]],
        ]);
        b.ok();
        return;
      default:
        b.unsupportedCall(0x1a);
    }
  }

  /** An RTC field in BCD whatever the RTC's data mode. */
  private rtcBcd(reg: number): number {
    const v = this.bios.cmos(reg);
    return reg === CMOS_CENTURY || (this.bios.cmos(RTC_REG_B) & REG_B_DM) === 0 ? v : toBcd(v);
  }
  private rtcSet(fields: [number, number][]): void {
    const b = this.bios;
    const regB = b.cmos(RTC_REG_B);
    b.setCmos(RTC_REG_B, regB | REG_B_SET); // stop updates while writing
    for (const [reg, v] of fields) b.setCmos(reg, reg === CMOS_CENTURY || (regB & REG_B_DM) === 0 ? v : bcd(v));
    b.setCmos(RTC_REG_B, regB & ~REG_B_SET);
  }

  int15(): void {
    const b = this.bios,
      cpu = b.cpu;
    b.done(); // the INT 15h stub retries only for waits
    const ax = b.ax,
      ah = b.ah;
    if (ax === 0xe820 && cpu.r32[2] === SMAP) {
      this.e820();
      return;
    }
    switch (ah) {
      case 0x4f:
        b.setReturnFlag(1, true);
        return; // keyboard intercept: let the key through
      case 0x24: {
        // A20 gate
        const mem = b.mem;
        if (ax === 0x2400) {
          mem.setA20(false);
          cpu.r8[1] = 0;
          b.ok();
          return;
        }
        if (ax === 0x2401) {
          mem.setA20(true);
          cpu.r8[1] = 0;
          b.ok();
          return;
        }
        if (ax === 0x2402) {
          cpu.r8[0] = mem.a20Enabled ? 1 : 0;
          cpu.r8[1] = 0;
          b.ok();
          return;
        }
        if (ax === 0x2403) {
          cpu.r16[6] = 0x0003;
          cpu.r8[1] = 0;
          b.ok();
          return;
        } // keyboard controller and port 92h
        break;
      }
      case 0x53:
        this.apm.int15();
        return;
      case 0x86:
        this.wait();
        return;
      case 0x87:
        this.moveBlock();
        return;
      case 0x88: {
        // extended memory in KiB (1 MiB up to 64 MiB)
        cpu.r16[0] = Math.min(0xfc00, extendedKiB(b.mem.ramSize));
        b.ok();
        return;
      }
      case 0x90:
      case 0x91:
        cpu.r8[1] = 0;
        b.ok();
        return; // device busy / interrupt complete
      case 0xc0: // configuration table at ES:BX
        cpu.loadSegReal(ES, ROM_SEGMENT);
        cpu.r16[6] = CONFIG_TABLE;
        cpu.r8[1] = 0;
        b.ok();
        return;
      case 0xe9:
        // E980h: the Intel SpeedStep (IST) query Linux's setup code makes. There is no
        // SpeedStep here: "function not supported" as BIOSes without it answer, not counted.
        if (ax === 0xe980) {
          b.fail(0x86);
          return;
        }
        break;
      case 0xe8:
        if (ax === 0xe801) {
          // KiB 1M-16M (max 15 MiB) in AX/CX, 64 KiB blocks above 16M in BX/DX
          // (RAM up to the ACPI tables)
          const ext = extendedKiB(b.mem.ramSize);
          const low = Math.min(15 * 1024, ext);
          const high = Math.max(0, Math.floor((ext - 15 * 1024) / 64));
          cpu.r16[0] = low;
          cpu.r16[2] = low;
          cpu.r16[6] = high;
          cpu.r16[4] = high;
          b.ok();
          return;
        }
        break;
      default:
        break;
    }
    b.unsupportedCall(0x15);
  }

  /**
   * INT 15h/86h: wait CX:DX microseconds. The stub halts between calls; the RTC's periodic
   * interrupt (1024 Hz, turned on for the wait as the AT BIOS does) wakes it, so the wait ends
   * within about a millisecond of its time, not at the next 55 ms timer tick.
   */
  private wait(): void {
    const b = this.bios,
      cpu = b.cpu;
    const now = b.platform.clock.now();
    const flagsAt = b.ebda(B.EBDA_WAIT_FLAGS),
      untilAt = b.ebda(B.EBDA_WAIT_UNTIL);
    let flags = b.rb(flagsAt);
    if (!(flags & WAIT_ACTIVE)) {
      const us = ((cpu.r16[2] << 16) | cpu.r16[4]) >>> 0;
      const until = Math.floor(now + us * 1000);
      b.wd(untilAt, until % 4294967296);
      b.wd(untilAt + 4, Math.floor(until / 4294967296));
      flags = WAIT_ACTIVE | (b.startPeriodicWake() ? WAIT_OWNS_PIE : 0);
      b.wb(flagsAt, flags);
    }
    const until = (b.rd(untilAt) >>> 0) + (b.rd(untilAt + 4) >>> 0) * 4294967296;
    if (now < until) {
      b.retryLater();
      return;
    }
    if (flags & WAIT_OWNS_PIE) b.endPeriodicWake();
    b.wb(flagsAt, 0);
    cpu.r8[1] = 0;
    b.ok();
  }

  /** The memory map (memory-map.ts), one entry per call, EBX the continuation. */
  private e820(): void {
    const b = this.bios,
      cpu = b.cpu;
    const map = memoryMap(b.mem.ramSize, { apic: b.platform.apic === true });
    const i = cpu.r32[3];
    if (i < 0 || i >= map.length || cpu.r32[1] >>> 0 < 20) {
      b.fail(0x86);
      return;
    }
    const { base, length, type } = map[i];
    const out = b.lin(b.es, cpu.r16[14]);
    b.wd(out, base);
    b.wd(out + 4, 0);
    b.wd(out + 8, length);
    b.wd(out + 12, 0);
    b.wd(out + 16, type);
    cpu.r32[0] = SMAP;
    cpu.r32[1] = 20;
    cpu.r32[3] = i + 1 < map.length ? i + 1 : 0;
    b.ok();
  }

  /** INT 15h/87h: copy CX words between the 24-bit addresses of the GDT at ES:SI (+10h source, +18h destination). */
  private moveBlock(): void {
    const b = this.bios,
      cpu = b.cpu;
    const gdt = b.lin(b.es, cpu.r16[12]);
    const base = (d: number) => (b.rb(d + 2) | (b.rb(d + 3) << 8) | (b.rb(d + 4) << 16) | (b.rb(d + 7) << 24)) >>> 0;
    const src = base(gdt + 0x10),
      dst = base(gdt + 0x18);
    const bytes = cpu.r16[2] * 2;
    const buf = new Uint8Array(bytes);
    // The move runs in protected mode on a real BIOS: A20 is on for its duration.
    const a20 = b.mem.a20Enabled;
    b.mem.setA20(true);
    b.copyFromGuest(src, buf);
    b.copyToGuest(dst, buf);
    b.mem.setA20(a20);
    cpu.r8[1] = 0;
    b.ok();
  }
}
