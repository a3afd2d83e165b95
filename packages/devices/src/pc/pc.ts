// The PC board: which chips a PC/AT-compatible machine has, at which ports, on which IRQs,
// and the built-in BIOS on top. Chips come from this package, the CPU, machine loop and
// firmware from @x86vm/core; this file only connects them (STYLE.md 1).
//
//   ports 00-0F, C0-DF, 81-8F  8237 DMA pair and page registers
//   20-21, A0-A1, 4D0-4D1      8259A pair (INTR to the CPU), ELCR
//   40-43, 61                  8254 PIT (OUT0 -> IRQ0), system control port B (speaker, gate 2)
//   60, 64                     8042 keyboard controller (IRQ1, IRQ12), PS/2 keyboard and mouse
//   70-71                      MC146818 RTC/CMOS (IRQ8)
//   80, 92                     POST code, system control port A (fast A20, reset)
//   3B0-3DF, A0000-BFFFF       VGA
//   3F0-3F7                    82077AA floppy controller (IRQ6, DMA 2)
//   3F8, 2F8, 3E8, 2E8         16550A UARTs COM1-COM4 (IRQ4, IRQ3, IRQ4, IRQ3)
//   CF8-CFF                    PCI configuration mechanism #1: i440FX host bridge (00.0),
//                              PIIX3 ISA bridge (01.0) and IDE (01.1)
//   1F0-1F7/3F6, 170-177/376   IDE channels (IRQ14, IRQ15): hard disks, ATAPI CD-ROM;
//                              C000-C00F bus-master DMA
//   F0                         x87 error latch (FERR# -> IRQ13; writing F0h clears it, IGNNE#)

import {
  Bios,
  CowDisk,
  Machine,
  MemoryDisk,
  floppyGeometry,
  parseLinuxHeader,
  type BiosPlatform,
  type BootDevice,
  type ClockMode,
  type DiskImage,
  type LinuxBoot,
  type RunResult,
  type Stateful,
  type VmMemory,
} from "@x86vm/core";
import { Dma8237, PC_DMA1_BASE, PC_DMA2_BASE, PC_DMA_PAGE_BASE } from "../dma8237.ts";
import { Fdc82077, PC_FDC_BASE } from "../fdc82077.ts";
import { I8042 } from "../i8042.ts";
import { Pic8259Pair } from "../pic8259.ts";
import { Pit8254 } from "../pit8254.ts";
import { SystemControlPortB } from "../port61.ts";
import { PostCodePort, SystemControlPortA } from "../port92.ts";
import { Ps2Keyboard } from "../ps2-keyboard.ts";
import { Ps2Mouse } from "../ps2-mouse.ts";
import { Rtc146818 } from "../rtc146818.ts";
import { FONT_8X16 } from "../vga/font8x16.ts";
import { FONT_8X8 } from "../vga/font8x8.ts";
import { programMode, VGA_MODES } from "../vga/modes.ts";
import { Vga } from "../vga/vga.ts";
import { Uart16550 } from "../uart16550.ts";
import { IrqOr } from "../irq.ts";
import { PciBus } from "../pci/pci-bus.ts";
import { I440fx } from "../pci/i440fx.ts";
import { Piix3Ide, Piix3Isa } from "../pci/piix3.ts";
import {
  IdeChannel,
  PC_IDE_PRIMARY_CMD,
  PC_IDE_PRIMARY_CTRL,
  PC_IDE_SECONDARY_CMD,
  PC_IDE_SECONDARY_CTRL,
} from "../ide/ide-channel.ts";
import { IdeBusMaster } from "../ide/bus-master.ts";
import { AtaDisk } from "../ide/ata-disk.ts";
import { AtapiCdrom } from "../ide/atapi-cdrom.ts";
import type { PcImageSlot } from "./board.ts";

/** I/O base of the PIIX IDE bus-master registers (PCI BAR4, set as a BIOS's POST would). */
export const IDE_BUS_MASTER_BASE = 0xc000;

/** COM1-COM4: base port and IRQ. */
export const COM_PORTS: readonly [number, number][] = [
  [0x3f8, 4],
  [0x2f8, 3],
  [0x3e8, 4],
  [0x2e8, 3],
];

export interface PcOptions {
  /**
   * The VM memory the host allocated (core's VmMemory: state block, TLB and RAM) or a RAM size in
   * bytes; else memoryMiB of RAM (default 32).
   */
  ram?: VmMemory | number;
  memoryMiB?: number;
  clock?: ClockMode;
  /** Monotonic host milliseconds (realtime clock). */
  hostMs?: () => number;
  /** Wall-clock time (Unix ms, UTC) of machine time zero for the RTC. Default: 2026-01-01 00:00 UTC. */
  startTimeMs?: number;
  /** Disk images; the machine wraps each in a copy-on-write overlay, so guest writes never reach them. */
  fda?: DiskImage | null;
  fdb?: DiskImage | null;
  hda?: DiskImage | null;
  hdb?: DiskImage | null;
  /** A CD image (2048-byte sectors) in the ATAPI drive on the secondary IDE channel. */
  cdrom?: DiskImage | null;
  /** Devices INT 19h tries in turn (default floppy, CD-ROM, hard disk). */
  bootOrder?: BiosPlatform["bootOrder"];
  /**
   * What a triple fault does: "reset" (the default, as on a PC: the chipset resets the CPU,
   * the BIOS starts again; run() reports it) or "stop" (run() returns the shutdown and the
   * machine stays stopped, for hosts that show it as a failure).
   */
  tripleFault?: "reset" | "stop";
  /** Boot this Linux kernel (bzImage, initrd, command line) instead of a disk. */
  linux?: LinuxBoot | null;
}

/** 8x14 font for INT 10h/11h: the 8x16 glyphs without their top and bottom rows. */
function font8x14(f16: Uint8Array): Uint8Array {
  const out = new Uint8Array(256 * 14);
  for (let c = 0; c < 256; c++) out.set(f16.subarray(c * 16 + 1, c * 16 + 15), c * 14);
  return out;
}

export const DEFAULT_START_TIME_MS = Date.UTC(2026, 0, 1, 0, 0, 0);

/**
 * What PcMachine.run returns: the machine's results, and "no-boot" when the BIOS found nothing
 * to boot and halted (reason: what each drive lacked, e.g. "fda: no boot signature"; it stays
 * halted, and every later run() says so again, until a reset).
 */
export type PcRunResult = RunResult | { kind: "no-boot"; reason: string };

/** The drives INT 19h boots from, as hosts name them (--fda, --hda, --cdrom). */
const BOOT_DRIVE_NAME: Record<BootDevice, string> = { floppy: "fda", hdd: "hda", cdrom: "cdrom" };

export class PcMachine {
  readonly machine: Machine;
  readonly pic: Pic8259Pair;
  readonly pit: Pit8254;
  readonly port61: SystemControlPortB;
  readonly port92: SystemControlPortA;
  readonly post = new PostCodePort();
  readonly rtc: Rtc146818;
  readonly keyboard: Ps2Keyboard;
  readonly mouse: Ps2Mouse;
  readonly kbc: I8042;
  readonly dma: Dma8237;
  readonly fdc: Fdc82077;
  readonly vga: Vga;
  /** COM1-COM4. The host attaches to a UART's onTransmit and receive(). */
  readonly uarts: Uart16550[];
  readonly pci: PciBus;
  readonly pciHost: I440fx;
  readonly pciIsa: Piix3Isa;
  readonly pciIde: Piix3Ide;
  /** Primary and secondary IDE channels. */
  readonly ide: [IdeChannel, IdeChannel];
  readonly ideBusMaster: IdeBusMaster;
  readonly cdromDrive: AtapiCdrom;
  readonly bios: Bios;
  readonly floppies: (CowDisk | null)[] = [null, null];
  readonly hardDisks: (CowDisk | null)[] = [null, null];
  cdrom: DiskImage | null = null;
  /** Triple faults so far, and the last one's description. */
  tripleFaults = 0;
  lastShutdown: string | null = null;
  private readonly tripleFaultAction: "reset" | "stop";
  /** The ATA devices on the primary channel (for hard disks 0 and 1). */
  readonly ataDisks: (AtaDisk | null)[] = [null, null];

  constructor(opts: PcOptions = {}) {
    const ram = opts.ram ?? (opts.memoryMiB ?? 32) * 1024 * 1024;
    const m = (this.machine = new Machine({ ram, clock: opts.clock ?? "deterministic", hostMs: opts.hostMs }));
    this.tripleFaultAction = opts.tripleFault ?? "reset";
    const { cpu, mem, io, clock } = m;
    if (mem.ramSize < 1024 * 1024) throw new RangeError("a PC needs at least 1 MiB of RAM");

    this.pic = new Pic8259Pair((level) => cpu.setIntr(level));
    cpu.intAck = () => this.pic.acknowledge();
    this.pit = new Pit8254(clock, this.pic.irqLine(0));
    this.port61 = new SystemControlPortB(clock, this.pit);
    this.rtc = new Rtc146818(clock, this.pic.irqLine(8), opts.startTimeMs ?? DEFAULT_START_TIME_MS);
    this.keyboard = new Ps2Keyboard(clock);
    this.mouse = new Ps2Mouse();
    const a20 = { setA20: (on: boolean) => mem.setA20(on), a20: () => mem.a20Enabled, resetCpu: () => this.reset() };
    this.kbc = new I8042({
      clock,
      keyboard: this.keyboard,
      mouse: this.mouse,
      kbdIrq: this.pic.irqLine(1),
      auxIrq: this.pic.irqLine(12),
      setA20: a20.setA20,
      resetCpu: a20.resetCpu,
    });
    this.port92 = new SystemControlPortA(a20);
    this.dma = new Dma8237(mem);
    this.fdc = new Fdc82077(clock, this.pic.irqLine(6), this.dma.channel(2));
    this.vga = new Vga(clock);
    this.pci = new PciBus();
    this.pciHost = new I440fx();
    this.pciIsa = new Piix3Isa({ isaIrq: (n) => (n === 2 ? null : this.pic.irqLine(n)), onReset: () => this.reset() });
    this.pciIde = new Piix3Ide({ busMaster: true });
    this.pci.add(0, 0, this.pciHost);
    this.pci.add(1, 0, this.pciIsa);
    this.pci.add(1, 1, this.pciIde);
    this.pciIde.firmwareInit(IDE_BUS_MASTER_BASE);
    this.ide = [new IdeChannel(this.pic.irqLine(14)), new IdeChannel(this.pic.irqLine(15))];
    this.ideBusMaster = new IdeBusMaster(mem, this.ide, {
      decodes: () => this.pciIde.busMasterBase() === IDE_BUS_MASTER_BASE,
      canMaster: () => this.pciIde.busMasterEnabled,
    });
    // The guest may eject the disc itself (START STOP UNIT): the BIOS and snapshots then see none.
    this.cdromDrive = new AtapiCdrom({ onEject: () => (this.cdrom = null) });
    this.ide[1].attach(0, this.cdromDrive);
    // FERR# sets the IRQ13 latch; an OUT to port F0h clears it and asserts IGNNE#.
    cpu.fpu.ferrLine = (level) => {
      if (level) this.pic.setIrq(13, true);
    };
    const irq3 = new IrqOr(this.pic.irqLine(3)),
      irq4 = new IrqOr(this.pic.irqLine(4));
    this.uarts = COM_PORTS.map(
      ([, irq]) => new Uart16550(clock, (irq === 4 ? irq4 : irq3).input(), { irqGatedByOut2: true }),
    );

    const bus = io.io;
    bus.attach(this.dma.ioSurface(PC_DMA1_BASE, PC_DMA2_BASE, PC_DMA_PAGE_BASE));
    bus.attach(this.pic.ioSurface(0x20, 0xa0, 0x4d0));
    bus.attach(this.pit.ioSurface(0x40));
    bus.attach(this.port61.ioSurface(0x61));
    bus.attach(this.kbc.ioSurface(0x60, 0x64));
    bus.attach(this.rtc.ioSurface(0x70));
    bus.attach(this.post.ioSurface(0x80));
    bus.attach(this.port92.ioSurface(0x92));
    bus.attach(this.vga.ioSurface(0x3b0));
    bus.attach(this.fdc.ioSurface(PC_FDC_BASE));
    this.uarts.forEach((u, i) => bus.attach(u.ioSurface(COM_PORTS[i][0], `com${i + 1}`)));
    bus.attach(this.pci.ioSurface(0xcf8, this.pciIsa.resetControl));
    bus.attach(this.ide[0].ioSurface(PC_IDE_PRIMARY_CMD, PC_IDE_PRIMARY_CTRL));
    bus.attach(this.ide[1].ioSurface(PC_IDE_SECONDARY_CMD, PC_IDE_SECONDARY_CTRL));
    bus.attach(this.ideBusMaster.ioSurface(IDE_BUS_MASTER_BASE));
    bus.attach({
      name: "fpu-error",
      ports: [
        {
          base: 0xf0,
          count: 1,
          write8: () => {
            this.pic.setIrq(13, false);
            cpu.fpu.setIgnne(true);
          },
        },
      ],
    });
    mem.mapMmio(0xa0000, 0x20000, "vga", this.vga.memory);
    for (const d of [this.pit, this.rtc, this.kbc, this.fdc, ...this.uarts]) m.addTimed(d);

    if (opts.fda) this.insertFloppy(0, opts.fda);
    if (opts.fdb) this.insertFloppy(1, opts.fdb);
    if (opts.hda) this.hardDisks[0] = new CowDisk(opts.hda);
    if (opts.hdb) this.hardDisks[1] = new CowDisk(opts.hdb);
    this.hardDisks.forEach((d, unit) => {
      if (d) this.ide[0].attach(unit, (this.ataDisks[unit] = new AtaDisk(d)));
    });
    if (opts.cdrom) this.insertCdrom(opts.cdrom);

    const floppyTypes = this.floppies.map((f) => (f ? floppyGeometry(f.size).driveType : 0));
    this.rtc.fillPcDefaults({
      baseMemoryKiB: 640,
      extendedMemoryKiB: Math.max(0, (mem.ramSize >> 10) - 1024),
      floppyTypes: [floppyTypes[0] || 4, floppyTypes[1]] as [number, number],
    });

    if (opts.linux) parseLinuxHeader(opts.linux.kernel); // a bad image is refused before anything runs
    this.bios = new Bios({
      cpu,
      mem,
      io,
      clock,
      floppy: (d) => this.floppies[d] ?? null,
      hardDisk: (i) => this.hardDisks[i] ?? null,
      cdrom: () => this.cdrom,
      pciConfig: {
        read: (bus, dev, fn, off, size) => this.pci.configRead(bus, dev, fn, off, size),
        write: (bus, dev, fn, off, size, value) => this.pci.configWrite(bus, dev, fn, off, size, value),
      },
      setVideoMode: (mode, clear = true) => {
        if (!VGA_MODES.has(mode)) return false;
        programMode(this.vga, mode, { clear });
        return true;
      },
      fonts: { f8x8: FONT_8X8, f8x14: font8x14(FONT_8X16), f8x16: FONT_8X16 },
      reset: () => this.reset(),
      bootOrder: opts.bootOrder,
      linux: opts.linux ?? null,
      comPorts: COM_PORTS.map(([port]) => port),
    });
    this.bios.install();
    // The top of the 4 GiB space aliases the BIOS ROM: the CPU starts at FFFFFFF0h.
    mem.mapRom(0xffff0000 | 0, this.bios.rom.image);
  }

  /**
   * Every chip with snapshot state, in a fixed order (the snapshot format names each by its
   * schema name; the CPU, RAM, clock and disk overlays are saved separately).
   */
  statefulDevices(): Stateful[] {
    return this.namedDevices().map(([, d]) => d);
  }

  /** The stateful chips with a name unique on this board (schema names repeat: four UARTs). */
  namedDevices(): [string, Stateful][] {
    const out: [string, Stateful][] = [
      ["pic", this.pic],
      ["pit", this.pit],
      ["port61", this.port61],
      ["port92", this.port92],
      ["post", this.post],
      ["rtc", this.rtc],
      ["keyboard", this.keyboard],
      ["mouse", this.mouse],
      ["kbc", this.kbc],
      ["dma", this.dma],
      ["fdc", this.fdc],
      ["vga", this.vga],
    ];
    this.uarts.forEach((u, i) => out.push([`com${i + 1}`, u]));
    out.push(["pci", this.pci], ["pci-host", this.pciHost], ["pci-isa", this.pciIsa], ["pci-ide", this.pciIde]);
    out.push(["ide0", this.ide[0]], ["ide1", this.ide[1]], ["ide-bus-master", this.ideBusMaster]);
    this.ataDisks.forEach((d, i) => {
      if (d) out.push([`hd${i}`, d]);
    });
    out.push(["cdrom", this.cdromDrive]);
    return out;
  }

  /** The copy-on-write disk in a writable slot (a floppy or hard disk drive), or null when empty. */
  disk(slot: PcImageSlot): CowDisk | null {
    switch (slot) {
      case "fda":
      case "fdb":
        return this.floppies[slot === "fda" ? 0 : 1];
      case "hda":
      case "hdb":
        return this.hardDisks[slot === "hda" ? 0 : 1];
      default:
        return null;
    }
  }

  /**
   * The image in a media slot (board.ts): its base image, and for writable slots the sectors the
   * guest wrote over it; null when the slot is empty.
   */
  mediaIn(slot: PcImageSlot): { base: DiskImage; overlay: Map<number, Uint8Array> | null } | null {
    const disk = this.disk(slot);
    if (disk) return { base: disk.base, overlay: disk.overlay };
    const linux = this.bios.platform.linux;
    const file = slot === "kernel" ? linux?.kernel : slot === "initrd" ? linux?.initrd : null;
    if (file) return { base: new MemoryDisk(file, true), overlay: null };
    const cd = slot === "cdrom" ? this.cdromDrive.media : null;
    return cd ? { base: cd, overlay: null } : null;
  }

  /** Puts a floppy image in drive 0 or 1 (behind a copy-on-write overlay). */
  insertFloppy(drive: number, image: DiskImage): void {
    const disk = new CowDisk(image);
    floppyGeometry(disk.size); // refuses non-standard sizes with a clear message
    this.floppies[drive] = disk;
    this.fdc.insert(drive, disk);
    this.bios?.disk.mediaChanged(drive);
  }

  /** Puts a CD image in the ATAPI drive (the guest sees a media change). */
  insertCdrom(image: DiskImage): void {
    this.cdrom = image;
    this.cdromDrive.insert(image);
  }

  ejectCdrom(): void {
    this.cdrom = null;
    this.cdromDrive.eject(true);
  }

  ejectFloppy(drive: number): void {
    this.floppies[drive] = null;
    this.fdc.eject(drive);
    this.bios.disk.mediaChanged(drive);
  }

  /** CPU reset (power-on values; the BIOS's POST sets the chips up again). */
  reset(): void {
    this.machine.cpu.reset();
    this.kbc.reset();
  }

  /**
   * Runs for ns of machine time (or until an idle wait in realtime mode). A triple fault
   * resets the machine and returns { kind: "reset" } (or, with tripleFault: "stop", returns
   * the shutdown and stays stopped). When the BIOS halts because nothing can boot, returns
   * { kind: "no-boot" } at once.
   */
  run(ns: number): PcRunResult {
    const r = this.machine.run(this.machine.clock.now() + ns, this.stoppedForNoBoot);
    if (r.kind !== "shutdown") {
      const reason = this.noBootReason();
      return reason === null ? r : { kind: "no-boot", reason };
    }
    this.tripleFaults++;
    this.lastShutdown = r.reason;
    if (this.tripleFaultAction === "stop") return r;
    this.reset();
    return { kind: "reset", reason: r.reason };
  }

  private readonly stoppedForNoBoot = () => this.bios.noBoot() !== null;

  /**
   * When the BIOS has halted because nothing could boot: why, one clause per drive it tried
   * ("fda: no boot signature; hda: no boot signature"); else null.
   */
  noBootReason(): string | null {
    const n = this.bios.noBoot();
    if (n === null) return null;
    const clauses = n.failures.map((f) => `${BOOT_DRIVE_NAME[f.device]}: ${f.reason}`);
    if (n.bootedFrom)
      clauses.push(`${BOOT_DRIVE_NAME[n.bootedFrom]}: its boot program found nothing to start (INT 18h)`);
    return clauses.length > 0 ? clauses.join("; ") : "no disk in any boot drive";
  }

  /** The text screen as rows (trailing blanks trimmed), or null in graphics modes. */
  textRows(): string[] | null {
    return this.vga.textScreen() ? this.vga.textRows() : null;
  }
}
