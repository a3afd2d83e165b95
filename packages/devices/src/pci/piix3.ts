// Intel 82371SB PIIX3 PCI-to-ISA bridge: function 0 (the ISA bridge, with the PIRQ routing
// registers and the reset control register) and function 1 (the IDE controller's configuration
// face). Register layout and reset values from the 82371FB/82371SB datasheet, the
// PCI configuration register chapters of function 0 and function 1.
//
// Key design choices:
//  - PIRQ routing is live: a PCI device's INTx# (after the board's swizzle) is one of the four
//    PIRQ lines from pirqLine(n); each PIRQ is steered to the ISA IRQ its PIRQRC register names
//    (60h-63h: bit 7 disables, bits 3-0 the IRQ). Several PIRQs on one IRQ are wire-ORed, as the
//    shared, level-triggered PCI interrupts are. The ELCR (4D0h/4D1h) is the PIC pair's; PCI
//    interrupts need their IRQs set to level there (datasheet, "ELCR"), and
//    levelTriggeredIrqs() says which IRQs those are so firmware can program it.
//  - The other function 0 registers (ISA clocks, motherboard IRQ/DMA, APIC base, SMI control)
//    are storage with their reset values and approximate write masks: nothing here acts on them.
//  - Function 1 keeps the IDE registers (IDETIM decode enables, BMIBA); the channels themselves
//    are in ../ide. The legacy ports are wired by the board and always decode; channelDecodes()
//    and busMasterBase() tell the board what software has enabled.

import type { IrqLine } from "../irq.ts";
import { bits, field, int, type FieldSpecs } from "@x86vm/core";
import {
  PciFunction,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_SPECIAL,
  PCI_HEADER_MULTI_FUNCTION,
  PCI_LATENCY_TIMER,
  PCI_STATUS_DEVSEL_MEDIUM,
  PCI_STATUS_FAST_BACK,
} from "./pci-function.ts";
import type { PassThroughRegister } from "./pci-bus.ts";

export const PIIX3_VENDOR_ID = 0x8086;
export const PIIX3_ISA_DEVICE_ID = 0x7000;
export const PIIX3_IDE_DEVICE_ID = 0x7010;
/** Base class 06h (bridge), subclass 01h (ISA bridge). */
export const PIIX3_ISA_CLASS = 0x060100;
/** Base class 01h (mass storage), subclass 01h (IDE), programming interface 80h (bus master, both channels in legacy mode). */
export const PIIX3_IDE_CLASS = 0x010180;

// Function 0 registers.
export const PIIX3_IORT = 0x4c;
export const PIIX3_XBCS = 0x4e;
/** PIRQRC[A] (60h) .. PIRQRC[D] (63h). */
export const PIIX3_PIRQRC = 0x60;
export const PIIX3_TOM = 0x69;
export const PIIX3_MSTAT = 0x6a;
export const PIIX3_MBIRQ0 = 0x70;
export const PIIX3_MBIRQ1 = 0x71;
export const PIIX3_MBDMA0 = 0x76;
export const PIIX3_MBDMA1 = 0x77;
export const PIIX3_PCSC = 0x78;
export const PIIX3_APICBASE = 0x80;
export const PIIX3_DLC = 0x82;
export const PIIX3_SMICNTL = 0xa0;
export const PIIX3_SMIEN = 0xa2;
export const PIIX3_SEE = 0xa4;
export const PIIX3_FTMR = 0xa8;
export const PIIX3_SMIREQ = 0xaa;
export const PIIX3_CTLTMR = 0xac;
export const PIIX3_CTHTMR = 0xae;

/** PIRQRC: routing disabled. */
export const PIRQ_DISABLE = 0x80;
export const PIRQ_IRQ_MASK = 0x0f;
/** ISA IRQs a PIRQ may be steered to (3-7, 9-12, 14, 15); others leave it unrouted. */
export const PIRQ_VALID_IRQS = 0xdef8;

// Reset control register (I/O port CF9h).
export const RCR_SYSTEM_RESET = 0x02;
export const RCR_RESET_CPU = 0x04;

// Function 1 registers.
export const PIIX3_BMIBA = 0x20;
/** IDETIM for the primary (40h) and secondary (42h) channel. */
export const PIIX3_IDETIM = 0x40;
export const PIIX3_SIDETIM = 0x44;
/** IDETIM bit 15: the channel's legacy ports decode. */
export const IDETIM_DECODE_ENABLE = 0x8000;
/** Bus master IDE register block size (BMIBA decodes 16 bytes). */
export const BMIDE_SIZE = 16;

export interface Piix3IsaOptions {
  /** The ISA IRQ input a PIRQ may drive (e.g. the PIC pair's irqLine); null for IRQs not wired. */
  isaIrq?: (irq: number) => IrqLine | null;
  /** Called when software resets through CF9h: hard (SRST set) or CPU-only. */
  onReset?: (hard: boolean) => void;
}

/** PIIX3 function 0: the PCI-to-ISA bridge. */
export class Piix3Isa extends PciFunction {
  private readonly isaIrq: (irq: number) => IrqLine | null;
  private readonly onReset: (hard: boolean) => void;
  /** Levels of PIRQA#-PIRQD# (bit n = PIRQ n asserted). */
  private pirqLevels = 0;
  /** ISA IRQs this bridge currently drives high. */
  private driven = 0;
  private rcr = 0;
  private readonly pirqLines: IrqLine[] = [];

  /** The reset control register, for PciBus.ioSurface's pass-through byte at CF9h. */
  readonly resetControl: PassThroughRegister = {
    read8: () => this.rcr,
    write8: (v) => this.writeRcr(v),
  };

  constructor(options: Piix3IsaOptions = {}) {
    super("piix3-isa", {
      vendorId: PIIX3_VENDOR_ID,
      deviceId: PIIX3_ISA_DEVICE_ID,
      revision: 0x00,
      classCode: PIIX3_ISA_CLASS,
      headerType: PCI_HEADER_MULTI_FUNCTION,
      // I/O, memory and bus master enables are hardwired on; special cycles are settable.
      command: PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
      commandWritable: PCI_COMMAND_SPECIAL,
      status: PCI_STATUS_DEVSEL_MEDIUM,
    });
    this.isaIrq = options.isaIrq ?? (() => null);
    this.onReset = options.onReset ?? (() => {});
    this.defineRegister(PIIX3_IORT, 1, 0x4d, 0x7f);
    this.defineRegister(PIIX3_XBCS, 2, 0x0003, 0x07ff);
    for (let i = 0; i < 4; i++) this.defineRegister(PIIX3_PIRQRC + i, 1, PIRQ_DISABLE, PIRQ_DISABLE | PIRQ_IRQ_MASK);
    this.defineRegister(PIIX3_TOM, 1, 0x02, 0xfe);
    this.defineRegister(PIIX3_MSTAT, 2, 0x0000, 0x0cff);
    this.defineRegister(PIIX3_MBIRQ0, 1, 0x80, 0xcf);
    this.defineRegister(PIIX3_MBIRQ1, 1, 0x80, 0xcf);
    this.defineRegister(PIIX3_MBDMA0, 1, 0x04, 0x87);
    this.defineRegister(PIIX3_MBDMA1, 1, 0x04, 0x87);
    this.defineRegister(PIIX3_PCSC, 2, 0x0002, 0xffff);
    this.defineRegister(PIIX3_APICBASE, 1, 0x00, 0x7f);
    this.defineRegister(PIIX3_DLC, 1, 0x00, 0x0f);
    this.defineRegister(PIIX3_SMICNTL, 1, 0x08, 0x1f);
    this.defineRegister(PIIX3_SMIEN, 2, 0x0000, 0x00ff);
    this.defineRegister(PIIX3_SEE, 4, 0, 0xc000ffff);
    this.defineRegister(PIIX3_FTMR, 1, 0x0f, 0xff);
    this.defineRegister(PIIX3_SMIREQ, 2, 0x0000, 0x01ff);
    this.defineRegister(PIIX3_CTLTMR, 1, 0x00, 0xff);
    this.defineRegister(PIIX3_CTHTMR, 1, 0x00, 0xff);
    for (let n = 0; n < 4; n++) {
      this.pirqLines.push({ raise: () => this.setPirq(n, true), lower: () => this.setPirq(n, false) });
    }
  }

  /** The input line of PIRQA# (0) .. PIRQD# (3), for PCI devices' INTx# outputs. */
  pirqLine(n: number): IrqLine {
    if (!Number.isInteger(n) || n < 0 || n > 3) throw new RangeError(`no PIRQ ${n}`);
    return this.pirqLines[n];
  }

  /** The ISA IRQ PIRQ n is routed to, or -1 when its routing is disabled or names a reserved IRQ. */
  pirqRoute(n: number): number {
    const v = this.read(PIIX3_PIRQRC + n, 1);
    if (v & PIRQ_DISABLE) return -1;
    const irq = v & PIRQ_IRQ_MASK;
    return (PIRQ_VALID_IRQS >> irq) & 1 ? irq : -1;
  }

  /** ISA IRQs fed by a PIRQ: the ones the ELCR must set to level triggering. */
  levelTriggeredIrqs(): number {
    let mask = 0;
    for (let n = 0; n < 4; n++) {
      const irq = this.pirqRoute(n);
      if (irq >= 0) mask |= 1 << irq;
    }
    return mask;
  }

  private setPirq(n: number, level: boolean): void {
    const bit = 1 << n;
    const was = this.pirqLevels;
    this.pirqLevels = level ? was | bit : was & ~bit;
    if (this.pirqLevels !== was) this.drive();
  }

  /** Drives each ISA IRQ with the OR of the PIRQs routed to it, on real edges only. */
  private drive(): void {
    let want = 0;
    for (let n = 0; n < 4; n++) {
      const irq = this.pirqRoute(n);
      if (irq >= 0 && (this.pirqLevels >> n) & 1) want |= 1 << irq;
    }
    const changed = want ^ this.driven;
    this.driven = want;
    for (let irq = 0; irq < 16; irq++) {
      if (!((changed >> irq) & 1)) continue;
      const line = this.isaIrq(irq);
      if (!line) continue;
      if ((want >> irq) & 1) line.raise();
      else line.lower();
    }
  }

  /** RCR (CF9h): a 0-to-1 write of RCPU resets; SRST selects a hard (system) reset. */
  private writeRcr(v: number): void {
    const trigger = (v & RCR_RESET_CPU) !== 0 && (this.rcr & RCR_RESET_CPU) === 0;
    this.rcr = v & (RCR_SYSTEM_RESET | RCR_RESET_CPU);
    if (trigger) {
      const hard = (v & RCR_SYSTEM_RESET) !== 0;
      this.rcr &= ~RCR_RESET_CPU; // the reset clears it
      this.onReset(hard);
    }
  }

  protected override configWritten(offset: number, size: number): void {
    if (offset < PIIX3_PIRQRC + 4 && offset + size > PIIX3_PIRQRC) this.drive();
  }

  override reset(): void {
    super.reset();
    this.rcr = 0;
    this.drive();
  }

  protected override stateFields(): FieldSpecs<PciFunction> {
    return {
      ...super.stateFields(),
      pirqLevels: int(0, 15),
      // Of the reset control register only SRST stays set (RCPU clears with the reset it starts).
      resetControl: field(bits(RCR_SYSTEM_RESET), { key: "rcr" }),
    };
  }

  protected override configRestored(): void {
    this.drive();
  }
}

export interface Piix3IdeOptions {
  /** Implement BMIBA (BAR4) for bus master IDE. Default true. */
  busMaster?: boolean;
}

/** PIIX3 function 1: the IDE controller's configuration registers. */
export class Piix3Ide extends PciFunction {
  readonly hasBusMaster: boolean;

  constructor(options: Piix3IdeOptions = {}) {
    super("piix3-ide", {
      vendorId: PIIX3_VENDOR_ID,
      deviceId: PIIX3_IDE_DEVICE_ID,
      revision: 0x00,
      classCode: PIIX3_IDE_CLASS,
      command: 0,
      commandWritable: PCI_COMMAND_IO | PCI_COMMAND_MASTER,
      status: PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK,
    });
    this.hasBusMaster = options.busMaster ?? true;
    this.defineRegister(PCI_LATENCY_TIMER, 1, 0, 0xf0);
    if (this.hasBusMaster) this.defineIoBar(4, BMIDE_SIZE);
    this.defineRegister(PIIX3_IDETIM, 2, 0, 0xffff);
    this.defineRegister(PIIX3_IDETIM + 2, 2, 0, 0xffff);
    this.defineRegister(PIIX3_SIDETIM, 1, 0, 0xff);
  }

  /** Whether software enabled channel 0 (primary) or 1 (secondary): PCICMD I/O space and IDETIM IDE decode. */
  channelDecodes(channel: number): boolean {
    return (
      (this.command & PCI_COMMAND_IO) !== 0 && (this.read(PIIX3_IDETIM + 2 * channel, 2) & IDETIM_DECODE_ENABLE) !== 0
    );
  }

  /** The bus master register block's I/O base when software has placed and enabled it, else -1. */
  busMasterBase(): number {
    if (!this.hasBusMaster || !(this.command & PCI_COMMAND_IO)) return -1;
    const base = this.barIoAddress(4);
    return base <= 0 ? -1 : base;
  }

  /** Whether the controller may master the bus (PCICMD BME). */
  get busMasterEnabled(): boolean {
    return (this.command & PCI_COMMAND_MASTER) !== 0;
  }

  /**
   * What a BIOS's POST does for this function: BMIBA at `busMasterBase` (if given), I/O and bus
   * master enabled, both channels' decode on. For a built-in BIOS that does not run PCI setup code.
   */
  firmwareInit(busMasterBase?: number): void {
    if (busMasterBase !== undefined && this.hasBusMaster) this.write(0x20, 4, busMasterBase);
    this.write(PIIX3_IDETIM, 2, IDETIM_DECODE_ENABLE);
    this.write(PIIX3_IDETIM + 2, 2, IDETIM_DECODE_ENABLE);
    this.write(0x04, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
  }
}
