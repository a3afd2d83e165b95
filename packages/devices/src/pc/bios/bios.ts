// The built-in BIOS: IBM PC/AT compatible services written in TypeScript, entered through the
// ROM stubs' traps (rom.ts). Each service reads and writes the CPU's registers directly and
// reports success or failure in the FLAGS image that the stub's IRET restores. It talks to
// the hardware the way a real BIOS does: through I/O ports and memory (the PIC, PIT, RTC,
// keyboard controller, UARTs, VGA), plus a few board facts the platform supplies (disk images, how
// to program a video mode, the fonts). A service it does not implement returns CF=1 with
// AH=86h and is counted, never silently ignored.

import {
  CF,
  CS,
  DS,
  ES,
  IF,
  SS,
  ZF,
  bits,
  defineState,
  field,
  type Cpu,
  type Dispatcher,
  type PhysicalMemory,
  type DiskImage,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import type { LinuxBoot } from "./linux-loader.ts";
import * as B from "./bda.ts";
import { PC_RTC_BASE } from "../board.ts";
import { REG_A_RS_MASK, REG_B_PIE, RTC_REG_A, RTC_REG_B } from "../../rtc146818.ts";
import {
  buildRom,
  ROM_BASE,
  ROM_SEGMENT,
  SVC_FLOPPY_IRQ,
  SVC_KEYBOARD_IRQ,
  SVC_POST,
  SVC_RTC_IRQ,
  SVC_TIMER_TICK,
  type RomLayout,
} from "./rom.ts";
import { DiskServices } from "./disk.ts";
import { buildAcpiTables, RSDP_ADDRESS, type AcpiTables } from "./acpi.ts";
import { hasAcpiArea } from "./memory-map.ts";
import { KeyboardServices } from "./keyboard.ts";
import { SerialServices } from "./serial.ts";
import { SystemServices } from "./system.ts";
import { VideoServices } from "./video.ts";

/** MC146818 register A rate select for a 1024 Hz periodic interrupt. */
const RTC_RATE_1024HZ = 0x06;

/** Devices INT 19h can boot from. */
export type BootDevice = "floppy" | "cdrom" | "hdd";

/** A device INT 19h tried and could not boot from, and why ("no boot signature"). */
export interface BootFailure {
  device: BootDevice;
  reason: string;
}

/** The machine stopped because nothing could boot (see Bios.noBoot). */
export interface NoBoot {
  /** What each device INT 19h tried lacked, in boot order (empty: no drive held media, or one booted). */
  failures: readonly BootFailure[];
  /** Set when INT 19h did boot from this device and its boot program gave up through INT 18h. */
  bootedFrom: BootDevice | null;
}

/** PCI configuration space access (configuration mechanism #1 behind it), for the PCI BIOS. */
export interface PciConfigAccess {
  /** Reads size (1, 2, 4) bytes at offset of bus:device.function; all ones where nothing answers. */
  read(bus: number, device: number, fn: number, offset: number, size: number): number;
  write(bus: number, device: number, fn: number, offset: number, size: number, value: number): void;
}

/** The board as the BIOS sees it. */
export interface BiosPlatform {
  readonly cpu: Cpu;
  readonly mem: PhysicalMemory;
  readonly io: Dispatcher;
  readonly clock: TimeSource;
  /** Media in floppy drive 0 or 1, or null. */
  floppy(drive: number): DiskImage | null;
  /** Hard disk 0 (80h) or 1 (81h), or null. */
  hardDisk(index: number): DiskImage | null;
  /** Programs the video adapter for a standard mode (clearing its memory unless clear is false); false if unknown. */
  setVideoMode(mode: number, clear?: boolean): boolean;
  readonly fonts: { f8x8: Uint8Array; f8x14: Uint8Array; f8x16: Uint8Array };
  /** Ctrl+Alt+Del and INT 19h failures: restart the machine. */
  reset(): void;
  /** APM "off": turn the machine off (absent: the request is refused). */
  powerOff?(): void;
  /** The disc in the CD-ROM drive (2048-byte sectors), or null; absent on boards without one. */
  cdrom?(): DiskImage | null;
  /** Boot order: floppy, CD-ROM, hard disk by default (devices without media are skipped). */
  bootOrder?: readonly BootDevice[];
  /** The PCI bus's configuration space, for the INT 1Ah PCI BIOS; absent on boards without PCI. */
  pciConfig?: PciConfigAccess;
  /** Base ports of the serial ports present (COM1 first), for the BDA and the equipment word. */
  comPorts?: readonly number[];
  /** The board has an I/O APIC and a local APIC (the memory map and the MADT list them). */
  apic?: boolean;
  /** The ACPI power management registers (acpi-pm.ts): the BIOS builds ACPI tables for them. */
  acpi?: { pmBase: number; sciIrq: number };
  /** A Linux kernel to start instead of a boot sector (as qemu -kernel). */
  linux?: LinuxBoot | null;
}

export class Bios implements Stateful {
  readonly cpu: Cpu;
  readonly mem: PhysicalMemory;
  readonly rom: RomLayout;
  readonly disk: DiskServices;
  readonly keyboard: KeyboardServices;
  readonly serial: SerialServices;
  readonly system: SystemServices;
  readonly video: VideoServices;
  /** The ACPI tables (acpi.ts), when the board has ACPI registers and RAM for the tables. */
  readonly acpi: AcpiTables | null;
  /** Calls of services or functions the BIOS does not implement, by "INT xxh AX=yyyy". */
  readonly unsupported = new Map<string, number>();

  constructor(readonly platform: BiosPlatform) {
    this.cpu = platform.cpu;
    this.mem = platform.mem;
    this.rom = buildRom(platform.fonts);
    const acpi = platform.acpi;
    this.acpi =
      acpi && hasAcpiArea(platform.mem.ramSize)
        ? buildAcpiTables({ ramSize: platform.mem.ramSize, ...acpi, apic: platform.apic })
        : null;
    if (this.acpi) {
      const at = RSDP_ADDRESS - ROM_BASE;
      if (this.rom.image.subarray(at, at + this.acpi.rsdp.length).some((x) => x !== 0xff))
        throw new Error("bios: the RSDP's place in the ROM is taken");
      this.rom.image.set(this.acpi.rsdp, at);
    }
    this.disk = new DiskServices(this);
    this.keyboard = new KeyboardServices(this);
    this.serial = new SerialServices(this);
    this.system = new SystemServices(this);
    this.video = new VideoServices(this);
  }

  /**
   * The BIOS's working state outside guest memory. The rest of it (BDA, EBDA, the wait
   * deadlines of INT 15h AH=86h and INT 14h among it) lives in RAM and is saved with it.
   */
  static readonly STATE = defineState<Bios>()({
    name: "bios",
    version: 1,
    minVersion: 1,
    fields: {
      // INT 13h's floppy media-change latches, bit n for drive n (DiskServices.floppyChanged).
      floppyChanged: field(bits(0b11), {
        get: (b) => b.disk.floppyChanged,
        set: (b, v) => {
          b.disk.floppyChanged = v;
        },
      }),
    },
  });
  readonly stateDefinition = Bios.STATE;
  readonly stateName = Bios.STATE.name;
  readonly stateVersion = Bios.STATE.version;
  readonly stateMinVersion = Bios.STATE.minVersion;
  saveState(): StateRecord {
    return Bios.STATE.save(this);
  }
  loadState(fields: StateRecord, version: number): void {
    Bios.STATE.load(this, fields, version);
  }

  /** Maps the ROM into memory and routes the trap to this BIOS. */
  install(): void {
    this.mem.mapRom(ROM_BASE, this.rom.image);
    this.platform.io.handlers.bios = (service) => this.service(service);
  }

  /** Runs service `svc`; false means there is no such service (the CPU raises #UD). */
  service(svc: number): boolean {
    // Output and disk I/O mean the guest is working, not idling at a keyboard poll.
    if (svc === 0x10 || svc === 0x13 || svc === 0x14 || svc === 0x17) this.keyboard.busy();
    switch (svc) {
      case SVC_POST:
        this.post();
        return true;
      case SVC_TIMER_TICK:
        this.system.timerTick();
        return true;
      case SVC_KEYBOARD_IRQ:
        this.keyboard.irq();
        return true;
      case SVC_FLOPPY_IRQ:
        this.wb(B.BDA_FLOPPY_RECAL, this.rb(B.BDA_FLOPPY_RECAL) | 0x80);
        return true;
      case SVC_RTC_IRQ:
        this.system.rtcIrq();
        return true;
      case 0x10:
        this.video.int10();
        return true;
      case 0x11:
        this.cpu.r16[0] = this.rw(B.BDA_EQUIPMENT);
        return true;
      case 0x12:
        this.cpu.r16[0] = this.rw(B.BDA_MEMORY_KIB);
        return true;
      case 0x13:
        this.disk.int13();
        return true;
      case 0x14:
        this.serial.int14();
        return true;
      case 0x15:
        this.system.int15();
        return true;
      case 0x16:
        this.keyboard.int16();
        return true;
      case 0x17:
        this.system.int17();
        return true;
      case 0x18:
        this.system.int18();
        return true;
      case 0x19:
        this.system.int19();
        return true;
      case 0x1a:
        this.system.int1a();
        return true;
      default:
        return false;
    }
  }

  // ---- power-on self test

  private post(): void {
    const { cpu, mem } = this;
    const warm = this.rw(B.BDA_RESET_FLAG) === 0x1234;
    // Interrupt vectors: everything to the dummy IRET, then the BIOS services.
    for (let v = 0; v < 256; v++) this.setVector(v, ROM_SEGMENT, 0xff53);
    for (const [v, off] of this.rom.vectors) this.setVector(v, ROM_SEGMENT, off);
    this.setVector(0x1d, ROM_SEGMENT, 0xf0a4);
    this.setVector(0x1e, ROM_SEGMENT, 0xefc7);
    this.setVector(0x1f, ROM_SEGMENT, 0x9000);
    this.setVector(0x43, ROM_SEGMENT, 0xfa6e);
    // BIOS data area and the extended BIOS data area.
    mem.ram.fill(0, B.BDA, B.BDA + 0x100);
    mem.ram.fill(0, B.EBDA_SEGMENT << 4, (B.EBDA_SEGMENT << 4) + B.EBDA_SIZE_KIB * 1024);
    this.wb(B.EBDA_SEGMENT << 4, B.EBDA_SIZE_KIB);
    this.ww(B.BDA_EBDA_SEGMENT, B.EBDA_SEGMENT);
    this.ww(B.BDA_MEMORY_KIB, 640 - B.EBDA_SIZE_KIB);
    if (warm) this.ww(B.BDA_RESET_FLAG, 0x1234);
    if (this.acpi) this.copyToGuest(this.acpi.base, this.acpi.area);
    this.system.post();
    this.serial.post(Math.min(this.platform.comPorts?.length ?? 0, 4));
    this.disk.post();
    this.keyboard.post();
    this.video.post();
    // Boot with interrupts enabled, from a fresh stack.
    cpu.loadSegReal(SS, 0);
    cpu.r16[4 << 1] = 0x7c00;
    cpu.loadSegReal(DS, 0x40);
    cpu.loadSegReal(ES, 0);
  }

  /**
   * Whether the CPU stands halted in INT 18h's "No bootable device. System halted." stop (real
   * mode, interrupts off, at F000:rom.noBootHalt): then what INT 19h found, else null.
   */
  noBoot(): NoBoot | null {
    const cpu = this.cpu;
    if (!cpu.halted || cpu.getFlags() & IF || cpu.cr[0] & 1) return null;
    if (cpu.sreg[CS] !== ROM_SEGMENT || cpu.getEip() !== this.rom.noBootHalt) return null;
    return { failures: this.system.bootFailures, bootedFrom: this.system.bootedFrom };
  }

  setVector(v: number, seg: number, off: number): void {
    this.ww(v * 4, off);
    this.ww(v * 4 + 2, seg);
  }

  // ---- helpers for the services

  /** Physical memory access (the BIOS runs in real mode with A20 as the guest left it). */
  rb(addr: number): number {
    return this.mem.read8(addr);
  }
  rw(addr: number): number {
    return this.mem.read16(addr);
  }
  rd(addr: number): number {
    return this.mem.read32(addr);
  }
  wb(addr: number, v: number): void {
    this.mem.write8(addr, v);
  }
  ww(addr: number, v: number): void {
    this.mem.write16(addr, v);
  }
  wd(addr: number, v: number): void {
    this.mem.write32(addr, v);
  }
  /** Copies bytes into guest physical memory (RAM directly, anything else byte by byte). */
  copyToGuest(addr: number, src: Uint8Array): void {
    const mem = this.mem;
    if (this.isRamRange(addr, src.length)) {
      const a = (addr & mem.a20Mask) >>> 0; // RAM may reach past 2 GiB
      mem.noteWrite(a, src.length);
      mem.ram.set(src, a);
    } else for (let i = 0; i < src.length; i++) mem.write8(addr + i, src[i]);
  }
  copyFromGuest(addr: number, dst: Uint8Array): void {
    const mem = this.mem;
    const a = (addr & mem.a20Mask) >>> 0;
    if (this.isRamRange(addr, dst.length)) dst.set(mem.ram.subarray(a, a + dst.length));
    else for (let i = 0; i < dst.length; i++) dst[i] = mem.read8(addr + i);
  }
  private isRamRange(addr: number, len: number): boolean {
    const mem = this.mem;
    const a = (addr & mem.a20Mask) >>> 0;
    if ((a ^ ((a + len - 1) & mem.a20Mask)) & ~0xfffff) return false; // wraps at A20
    for (let p = a >>> 12; p <= (a + len - 1) >>> 12; p++) if (!mem.isRam(p)) return false;
    return true;
  }

  /** Physical address of a byte of the EBDA (wherever 40:0Eh says it is now). */
  ebda(offset: number): number {
    return ((this.rw(B.BDA_EBDA_SEGMENT) || B.EBDA_SEGMENT) << 4) + offset;
  }

  /** Physical address of seg:off in real mode. */
  lin(seg: number, off: number): number {
    return ((seg << 4) + (off & 0xffff)) & this.mem.a20Mask;
  }

  get ax(): number {
    return this.cpu.r16[0];
  }
  get bx(): number {
    return this.cpu.r16[6];
  }
  get cx(): number {
    return this.cpu.r16[2];
  }
  get dx(): number {
    return this.cpu.r16[4];
  }
  get ah(): number {
    return this.cpu.r8[1];
  }
  get al(): number {
    return this.cpu.r8[0];
  }
  get es(): number {
    return this.cpu.sreg[ES];
  }
  get ds(): number {
    return this.cpu.sreg[DS];
  }

  /** Address of the FLAGS image the stub's IRET will restore (SS:SP+4). */
  private flagsImage(): number {
    const cpu = this.cpu;
    return (cpu.segBase[SS] + ((cpu.r16[8] + 4) & 0xffff)) | 0;
  }
  /** The caller's FLAGS, as the stub's IRET will restore them. */
  returnFlags(): number {
    return this.mem.read16(this.flagsImage());
  }
  /** Sets or clears a flag in the caller's FLAGS (returned by IRET). */
  setReturnFlag(bit: number, on: boolean): void {
    const a = this.flagsImage();
    const f = this.mem.read16(a);
    this.mem.write16(a, on ? f | bit : f & ~bit);
  }
  /** Success: CF=0 for the caller. */
  ok(): void {
    this.setReturnFlag(CF, false);
  }
  /** Failure: CF=1 and AH=status. */
  fail(status: number): void {
    this.cpu.r8[1] = status;
    this.setReturnFlag(CF, true);
  }
  setZF(on: boolean): void {
    this.setReturnFlag(ZF, on);
  }
  /** Blocking services: ask the stub to halt and call again (live CF=1), or to return (CF=0). */
  retryLater(): void {
    this.cpu.setFlag(CF, true);
  }
  done(): void {
    this.cpu.setFlag(CF, false);
  }

  /**
   * An unimplemented function: counted, then CF=1 and AH=86h ("function not supported", as
   * INT 15h defines it), or the status a service family uses for that (PCI BIOS: 81h).
   */
  unsupportedCall(int: number, status = 0x86): void {
    const key = `INT ${int.toString(16).padStart(2, "0")}h AX=${this.ax.toString(16).padStart(4, "0")}`;
    this.unsupported.set(key, (this.unsupported.get(key) ?? 0) + 1);
    this.fail(status);
  }

  /** Prints text at the cursor through the teletype service (BIOS messages). */
  print(text: string): void {
    for (let i = 0; i < text.length; i++) this.video.teletype(text.charCodeAt(i));
  }

  /** Reads CMOS register i through the RTC's ports. */
  cmos(i: number): number {
    this.platform.io.io.out8(PC_RTC_BASE, i & 0x7f);
    return this.platform.io.io.in8(PC_RTC_BASE + 1);
  }
  setCmos(i: number, v: number): void {
    this.platform.io.io.out8(PC_RTC_BASE, i & 0x7f);
    this.platform.io.io.out8(PC_RTC_BASE + 1, v);
  }
  /**
   * For a blocking service's wait (INT 14h, INT 15h AH=86h): turns the RTC's periodic
   * interrupt on at 1024 Hz, as the AT BIOS does for its waits, unless the guest has it on
   * already, so the halted stub is woken within about a millisecond rather than at the next
   * 55 ms timer tick. True when it turned it on (then endPeriodicWake turns it off again).
   */
  startPeriodicWake(): boolean {
    const regB = this.cmos(RTC_REG_B);
    if (regB & REG_B_PIE) return false;
    const regA = this.cmos(RTC_REG_A);
    if ((regA & REG_A_RS_MASK) === 0) this.setCmos(RTC_REG_A, (regA & ~REG_A_RS_MASK) | RTC_RATE_1024HZ);
    this.setCmos(RTC_REG_B, regB | REG_B_PIE);
    return true;
  }
  endPeriodicWake(): void {
    this.setCmos(RTC_REG_B, this.cmos(RTC_REG_B) & ~REG_B_PIE);
  }
  outb(port: number, v: number): void {
    this.platform.io.io.out8(port, v);
  }
  inb(port: number): number {
    return this.platform.io.io.in8(port);
  }

  /** The code segment the stubs run in (for services that transfer control). */
  static readonly segment = ROM_SEGMENT;
}
