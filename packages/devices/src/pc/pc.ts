// The PC: the board's parts (board.ts, PC_PARTS: which chips, at which ports, on which IRQ
// and DMA lines; docs/board.md has the map) built and wired on a core Machine, the drives'
// images, and the built-in BIOS (bios/) on top. Chips and firmware come from this package, the
// CPU and machine loop from @x86vm/core; this file only puts them together (STYLE.md 1, 13).

import {
  CowDisk,
  Machine,
  MemoryDisk,
  floppyGeometry,
  type ClockMode,
  type DiskImage,
  type RunResult,
  type Stateful,
  type VmMemory,
} from "@x86vm/core";
import { Bios, type BiosPlatform, type BootDevice } from "./bios/bios.ts";
import { parseLinuxHeader, type LinuxBoot } from "./bios/linux-loader.ts";
import { FONT_8X16 } from "../vga/font8x16.ts";
import { FONT_8X8 } from "../vga/font8x8.ts";
import { programMode, VGA_MODES } from "../vga/modes.ts";
import { PAM_REGIONS, PAM_WRITE_ENABLE } from "../pci/i440fx.ts";
import {
  COM_PORTS,
  PC_ACPI_PM_BASE,
  PC_BIOS_RECORD,
  PC_MEDIA_SLOTS,
  PC_PARTS,
  PC_SCI_IRQ,
  mediaSlot,
  wireBoard,
  type MediaSlotSpec,
  type PcImageSlot,
  type PcNetOptions,
  type PcParts,
} from "./board.ts";

export { COM_PORTS, IDE_BUS_MASTER_BASE } from "./board.ts";

export interface PcOptions {
  /**
   * A local APIC (FEE00000h) and an I/O APIC (FEC00000h), in CPUID, the memory map and the
   * MADT (default on; false leaves the board with only the 8259s, as snapshots saved before
   * the APICs existed restore). Software that never touches them sees the 8259s through the
   * local APIC's virtual wire.
   */
  apic?: boolean;
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
  /**
   * A network card (`card`: the RTL8029, an NE2000 on PCI, by default; an NE2000 on ISA; or
   * virtio-net: board.ts's NIC_PARTS); none by default. The host connects its wire through
   * `pc.nicLink` (or `pc.nic.onTransmit` and `pc.nic.receive()`).
   */
  net?: PcNetOptions | null;
  /**
   * Firmware to run instead of the built-in BIOS (docs/firmware.md): a system BIOS image mapped
   * below 4 GiB and, for its last 128 KiB, at E0000h-FFFFFh (SeaBIOS's bios.bin or
   * bios-256k.bin), and a video BIOS the VGA's PCI function offers as its expansion ROM.
   */
  firmware?: PcFirmware | null;
}

/** Firmware images (PcOptions.firmware). */
export interface PcFirmware {
  bios: Uint8Array;
  vgaBios?: Uint8Array | null;
}

/** The part of a system BIOS image that also answers below 1 MiB (E0000h-FFFFFh). */
const LOW_BIOS_ALIAS = 0x20000;
const MAX_BIOS_IMAGE = 16 << 20;

/** Refuses a system BIOS image that cannot be mapped: its size must be a multiple of 64 KiB, up to 16 MiB. */
export function checkBiosImage(bios: Uint8Array): void {
  if (bios.length === 0 || bios.length % 0x10000 !== 0 || bios.length > MAX_BIOS_IMAGE)
    throw new RangeError(
      `a system BIOS image is a multiple of 64 KiB up to 16 MiB (SeaBIOS's are 128 or 256 KiB), not ${bios.length} bytes`,
    );
}

/** CMOS bytes SeaBIOS (built for QEMU) reads its boot order from: 3Dh (first, second), 38h bits 7-4 (third). */
const CMOS_BOOT_ORDER_12 = 0x3d;
const CMOS_BOOT_ORDER_3 = 0x38;
const CMOS_BOOT_DEVICE: Record<BootDevice, number> = { floppy: 1, hdd: 2, cdrom: 3 };
const DEFAULT_BOOT_ORDER: readonly BootDevice[] = ["floppy", "cdrom", "hdd"];

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
export type PcRunResult = RunResult | { kind: "no-boot"; reason: string } | { kind: "power-off" };

/** The drive INT 19h boots from for a boot device, by its media slot (fda, hda, cdrom): unit 0 of its kind. */
const bootDriveName = (device: BootDevice): string =>
  PC_MEDIA_SLOTS.find((s) => s.kind === device && s.unit === 0)!.slot;

/** The slot called `slot` when it is removable (board.ts), else throws. */
function removableSlot(slot: PcImageSlot): MediaSlotSpec {
  const s = mediaSlot(slot);
  if (!s?.removable) throw new RangeError(`${s?.title ?? slot} takes its image when the machine is built`);
  return s;
}

export class PcMachine {
  readonly machine: Machine;
  /** Every part of the board (board.ts) by id; the fields below name the ones hosts use. */
  readonly parts: PcParts;
  readonly pic: PcParts["pic"];
  readonly pit: PcParts["pit"];
  readonly port61: PcParts["port61"];
  readonly port92: PcParts["port92"];
  readonly post: PcParts["post"];
  readonly rtc: PcParts["rtc"];
  readonly keyboard: PcParts["keyboard"];
  readonly mouse: PcParts["mouse"];
  readonly kbc: PcParts["kbc"];
  readonly dma: PcParts["dma"];
  readonly fdc: PcParts["fdc"];
  readonly vga: PcParts["vga"];
  /** COM1-COM4. The host attaches to a UART's onTransmit and receive(). */
  readonly uarts: PcParts["com1"][];
  readonly pci: PcParts["pci"];
  readonly pciHost: PcParts["pci-host"];
  readonly pciIsa: PcParts["pci-isa"];
  readonly pciIde: PcParts["pci-ide"];
  /** Primary and secondary IDE channels. */
  readonly ide: [PcParts["ide0"], PcParts["ide1"]];
  readonly ideBusMaster: PcParts["ide-bus-master"];
  readonly cdromDrive: PcParts["cdrom"];
  /**
   * The built-in BIOS. With PcOptions.firmware it is built but never installed (no ROM, no
   * services): the firmware given runs instead.
   */
  readonly bios: Bios;
  /** The firmware the machine runs instead of the built-in BIOS, or null. */
  readonly firmware: PcFirmware | null;
  readonly floppies: (CowDisk | null)[] = [null, null];
  readonly hardDisks: (CowDisk | null)[] = [null, null];
  /** Triple faults so far, and the last one's description. */
  tripleFaults = 0;
  lastShutdown: string | null = null;
  private readonly tripleFaultAction: "reset" | "stop";
  /** The ATA devices on the primary channel (for hard disks 0 and 1). */
  readonly ataDisks: [PcParts["hd0"], PcParts["hd1"]];
  /** The network card (the host's end of its wire: an NE2000 or virtio-net), or null on a machine without one. */
  readonly nic: NonNullable<PcParts["nic" | "nic-isa" | "virtio-net"]> | null;
  /** The cable to the card, whose queue of frames for the card snapshots keep; null without a card. */
  readonly nicLink: PcParts["nic-link"];
  /** The stateful parts under their snapshot record ids, in board order. */
  private readonly states: [string, Stateful][];

  constructor(opts: PcOptions = {}) {
    const ram = opts.ram ?? (opts.memoryMiB ?? 32) * 1024 * 1024;
    const m = (this.machine = new Machine({ ram, clock: opts.clock ?? "deterministic", hostMs: opts.hostMs }));
    this.tripleFaultAction = opts.tripleFault ?? "reset";
    const { cpu, mem, io, clock } = m;
    if (mem.ramSize < 1024 * 1024) throw new RangeError("a PC needs at least 1 MiB of RAM");

    const firmware = (this.firmware = opts.firmware ?? null);
    if (firmware) {
      checkBiosImage(firmware.bios);
      if (opts.linux) throw new RangeError("a Linux kernel boots only with the built-in BIOS (give a boot disk or CD)");
    }
    if (opts.hda) this.hardDisks[0] = new CowDisk(opts.hda);
    if (opts.hdb) this.hardDisks[1] = new CowDisk(opts.hdb);
    const board = wireBoard(PC_PARTS, m, {
      startTimeMs: opts.startTimeMs ?? DEFAULT_START_TIME_MS,
      disk: (slot) => this.disk(slot),
      resetCpu: () => this.reset(),
      powerOff: () => this.powerOff(),
      net: opts.net ?? null,
      apic: opts.apic !== false,
      vgaBios: firmware?.vgaBios ?? null,
    });
    const p = (this.parts = board.parts);
    this.states = board.states;
    this.pic = p.pic;
    this.pit = p.pit;
    this.port61 = p.port61;
    this.port92 = p.port92;
    this.post = p.post;
    this.rtc = p.rtc;
    this.keyboard = p.keyboard;
    this.mouse = p.mouse;
    this.kbc = p.kbc;
    this.dma = p.dma;
    this.fdc = p.fdc;
    this.vga = p.vga;
    this.uarts = [p.com1, p.com2, p.com3, p.com4];
    this.pci = p.pci;
    this.pciHost = p["pci-host"];
    this.pciIsa = p["pci-isa"];
    this.pciIde = p["pci-ide"];
    this.ide = [p.ide0, p.ide1];
    this.ideBusMaster = p["ide-bus-master"];
    this.cdromDrive = p.cdrom;
    this.ataDisks = [p.hd0, p.hd1];
    this.nic = p.nic ?? p["nic-isa"] ?? p["virtio-net"];
    this.nicLink = p["nic-link"];

    if (opts.fda) this.insertFloppy(0, opts.fda);
    if (opts.fdb) this.insertFloppy(1, opts.fdb);
    if (opts.cdrom) this.insertCdrom(opts.cdrom);

    const floppyTypes = this.floppies.map((f) => (f ? floppyGeometry(f.size).driveType : 0));
    this.rtc.fillPcDefaults({
      baseMemoryKiB: 640,
      extendedMemoryKiB: Math.max(0, mem.ramSize / 1024 - 1024),
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
      powerOff: () => this.powerOff(),
      bootOrder: opts.bootOrder,
      linux: opts.linux ?? null,
      comPorts: COM_PORTS.map(([port]) => port),
      acpi: { pmBase: PC_ACPI_PM_BASE, sciIrq: PC_SCI_IRQ },
      apic: opts.apic !== false,
    });
    this.states.push([PC_BIOS_RECORD, this.bios]);
    if (firmware) {
      this.installFirmware(firmware.bios, opts.bootOrder ?? DEFAULT_BOOT_ORDER);
      return;
    }
    this.bios.install();
    // The top of the 4 GiB space aliases the BIOS ROM: the CPU starts at FFFFFFF0h.
    mem.mapRom(0xffff0000 | 0, this.bios.rom.image);
  }

  /**
   * Maps a system BIOS image as a PC's firmware hub does: the whole image ends at 4 GiB (the
   * CPU starts at FFFFFFF0h), its last 128 KiB also at E0000h-FFFFFh, read-only until the
   * firmware opens shadow RAM there through the i440FX's PAM registers. The read-enable bits
   * are not modelled: a region reads its RAM, which holds the ROM's bytes until written.
   */
  private installFirmware(bios: Uint8Array, bootOrder: readonly BootDevice[]): void {
    const mem = this.machine.mem;
    mem.mapRom((0x100000000 - bios.length) | 0, bios);
    const low = Math.min(LOW_BIOS_ALIAS, bios.length);
    mem.mapRom(0x100000 - low, bios.subarray(bios.length - low));
    const host = this.pciHost;
    host.onPamChange = () => {
      for (const [index, shift, base, size] of PAM_REGIONS)
        mem.setRamWritable(base, size, ((host.pam(index) >> shift) & PAM_WRITE_ENABLE) !== 0);
    };
    host.onPamChange();
    // The boot order where SeaBIOS looks for it without QEMU's fw_cfg.
    const code = bootOrder.map((d) => CMOS_BOOT_DEVICE[d]);
    this.rtc.setCmos(CMOS_BOOT_ORDER_12, (code[0] ?? 0) | ((code[1] ?? 0) << 4));
    this.rtc.setCmos(CMOS_BOOT_ORDER_3, (code[2] ?? 0) << 4);
  }

  /**
   * Every chip with snapshot state, in a fixed order (the snapshot format names each by its
   * schema name; the CPU, RAM, clock and disk overlays are saved separately).
   */
  statefulDevices(): Stateful[] {
    return this.namedDevices().map(([, d]) => d);
  }

  /** The stateful chips under their snapshot record ids (board.ts), in board order, then the BIOS. */
  namedDevices(): [string, Stateful][] {
    return [...this.states];
  }

  /** The copy-on-write disk in a writable slot (a floppy or hard disk drive), or null when empty. */
  disk(slot: PcImageSlot): CowDisk | null {
    const s = mediaSlot(slot);
    if (!s?.writable) return null;
    return (s.kind === "floppy" ? this.floppies : this.hardDisks)[s.unit] ?? null;
  }

  /**
   * Puts an image in a removable slot (board.ts: a floppy drive or the CD drive); the guest sees
   * a media change. Other slots take their image when the machine is built.
   */
  insertMedia(slot: PcImageSlot, image: DiskImage): void {
    const s = removableSlot(slot);
    if (s.kind === "cdrom") this.insertCdrom(image);
    else this.insertFloppy(s.unit, image);
  }

  /** Takes the image out of a removable slot; the guest sees a media change. */
  ejectMedia(slot: PcImageSlot): void {
    const s = removableSlot(slot);
    if (s.kind === "cdrom") this.ejectCdrom();
    else this.ejectFloppy(s.unit);
  }

  /**
   * The image in a media slot (board.ts): its base image, and for writable slots the sectors the
   * guest wrote over it; null when the slot is empty.
   */
  mediaIn(slot: PcImageSlot): { base: DiskImage; overlay: Map<number, Uint8Array> | null } | null {
    const disk = this.disk(slot);
    if (disk) return { base: disk.base, overlay: disk.overlay };
    if (slot === "bios" || slot === "vga-bios") {
      const rom = slot === "bios" ? this.firmware?.bios : this.firmware?.vgaBios;
      return rom ? { base: new MemoryDisk(rom, true), overlay: null } : null;
    }
    const linux = this.bios.platform.linux;
    const file = slot === "kernel" ? linux?.kernel : slot === "initrd" ? linux?.initrd : null;
    if (file) return { base: new MemoryDisk(file, true), overlay: null };
    const cd = slot === "cdrom" ? this.cdrom : null;
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

  /** The disc in the ATAPI drive, or null (the guest may have ejected it). */
  get cdrom(): DiskImage | null {
    return this.cdromDrive.media;
  }

  /** Puts a CD image in the ATAPI drive (the guest sees a media change). */
  insertCdrom(image: DiskImage): void {
    this.cdromDrive.insert(image);
  }

  ejectCdrom(): void {
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
    this.parts.lapic?.reset();
    this.parts.ioapic?.reset();
  }

  /**
   * Runs for ns of machine time (or until an idle wait in realtime mode). A triple fault
   * resets the machine and returns { kind: "reset" } (or, with tripleFault: "stop", returns
   * the shutdown and stays stopped). When the BIOS halts because nothing can boot, returns
   * { kind: "no-boot" } at once.
   */
  run(ns: number): PcRunResult {
    if (this.poweredOff) return { kind: "power-off" };
    const r = this.machine.run(this.machine.clock.now() + ns, this.stoppedForNoBoot);
    if (this.poweredOff) return { kind: "power-off" };
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

  private readonly stoppedForNoBoot = () => this.poweredOff || this.bios.noBoot() !== null;

  /**
   * The guest turned the machine off (ACPI S5 or APM "off"): the CPU stops at once and run()
   * returns { kind: "power-off" } from then on. Not saved in snapshots: a machine is saved
   * while it runs.
   */
  poweredOff = false;
  powerOff(): void {
    this.poweredOff = true;
    this.machine.cpu.requestStop();
  }

  /**
   * When the BIOS has halted because nothing could boot: why, one clause per drive it tried
   * ("fda: no boot signature; hda: no boot signature"); else null.
   */
  noBootReason(): string | null {
    const n = this.bios.noBoot();
    if (n === null) return null;
    const clauses = n.failures.map((f) => `${bootDriveName(f.device)}: ${f.reason}`);
    if (n.bootedFrom) clauses.push(`${bootDriveName(n.bootedFrom)}: its boot program found nothing to start (INT 18h)`);
    return clauses.length > 0 ? clauses.join("; ") : "no disk in any boot drive";
  }

  /** The text screen as rows (trailing blanks trimmed), or null in graphics modes. */
  textRows(): string[] | null {
    return this.vga.textScreen() ? this.vga.textRows() : null;
  }
}
