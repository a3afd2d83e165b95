// The PC board as data (STYLE.md 13), as a machine config names a board's parts: each part of
// a PC/AT-compatible machine with its id, its factory, the I/O ports and memory window it
// answers, the IRQ and DMA lines it drives, whether it keeps time (the machine loop advances
// it), the id of its snapshot record, and the media slots it holds. PcMachine builds itself
// from PC_PARTS (wirePcBoard), snapshots take their record ids and image slots from here, and
// the CLI's image options and the page's slot lists read PC_MEDIA_SLOTS: adding a chip is one
// entry in PC_PARTS (and its type in PcParts).
//
// Chips know nothing of this (STYLE.md 1): a part's factory hands a chip its clock, its lines
// and the parts it talks to; its `io` binds the chip's register file to the ports listed here.
// Lines that two parts declare (COM1 and COM3 on IRQ4) are shared through an IrqOr.
//
// Snapshot record ids are a file format: never rename a `state` id (old snapshots name them).

import type { Cpu, CowDisk, IoSurface, Machine, MmioHandler, Stateful, TimedDevice } from "@x86vm/core";
import { AcpiPm } from "../acpi-pm.ts";
import { IoApic, LocalApic, MSR_APIC_BASE } from "../apic.ts";
import { IOAPIC_BASE, LAPIC_BASE } from "./bios/memory-map.ts";
import { Dma8237, PC_DMA1_BASE, PC_DMA2_BASE, PC_DMA_PAGE_BASE, type DmaChannel } from "../dma8237.ts";
import { Fdc82077, PC_FDC_BASE } from "../fdc82077.ts";
import { I8042 } from "../i8042.ts";
import { IrqOr, type IrqLine } from "../irq.ts";
import { Pic8259Pair } from "../pic8259.ts";
import { Pit8254 } from "../pit8254.ts";
import { SystemControlPortB } from "../port61.ts";
import { PostCodePort, SystemControlPortA } from "../port92.ts";
import { Ps2Keyboard } from "../ps2-keyboard.ts";
import { Ps2Mouse } from "../ps2-mouse.ts";
import { Rtc146818 } from "../rtc146818.ts";
import { Uart16550 } from "../uart16550.ts";
import { Vga } from "../vga/vga.ts";
import { VGA_PORT_BASE, VGA_WINDOW_BASE, VGA_WINDOW_SIZE } from "../vga/vga-regs.ts";
import { DISPI_PORT_INDEX, VBE_VRAM_SIZE } from "../vga/vbe.ts";
import { VGA_LFB_BASE, type VgaPciFunction } from "../vga/vga-pci.ts";
import { PciBus } from "../pci/pci-bus.ts";
import { I440fx } from "../pci/i440fx.ts";
import { PIIX3_PIRQRC, Piix3Ide, Piix3Isa } from "../pci/piix3.ts";
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
import { Ne2000 } from "../net/ne2000.ts";
import { NicLink } from "../net/nic-link.ts";
import { Rtl8029, gatedSurface } from "../net/rtl8029.ts";
import { VirtioNet } from "../net/virtio-net.ts";

/** What a slot takes: how its image is checked, and which drive or loader holds it. */
export type MediaKind = "floppy" | "hdd" | "cdrom" | "boot-file" | "firmware";

export interface MediaSlotSpec {
  /** The slot's name: the PcOptions key, the snapshot manifest's image slot, the CLI's --option. */
  readonly slot: string;
  readonly kind: MediaKind;
  /** What people call it, for messages and labels: "floppy A:", "CD-ROM". */
  readonly title: string;
  /** What goes in it, in a line for option help: "floppy image in drive A:". */
  readonly help: string;
  /** The board part that holds the image (its id in the board table). */
  readonly part: string;
  /** Which of its part's drives it is: floppy drive 0 or 1, hard disk 0 or 1 (0 for the rest). */
  readonly unit: number;
  /** Whether an image goes in and out while the machine runs (a floppy, a CD); the rest are built in. */
  readonly removable: boolean;
  /**
   * Whether the guest writes to it: written sectors go to a copy-on-write overlay that a
   * snapshot saves. CDs and boot files are read-only, and a snapshot holds no overlay for them.
   */
  readonly writable: boolean;
}

/** Every image slot of a PC, in the order snapshots list them. */
export const PC_MEDIA_SLOTS = [
  {
    slot: "fda",
    title: "floppy A:",
    help: "floppy image in drive A:",
    kind: "floppy",
    part: "fdc",
    unit: 0,
    removable: true,
    writable: true,
  },
  {
    slot: "fdb",
    title: "floppy B:",
    help: "floppy image in drive B:",
    kind: "floppy",
    part: "fdc",
    unit: 1,
    removable: true,
    writable: true,
  },
  {
    slot: "hda",
    title: "hard disk 0",
    help: "first hard disk image (80h)",
    kind: "hdd",
    part: "hd0",
    unit: 0,
    removable: false,
    writable: true,
  },
  {
    slot: "hdb",
    title: "hard disk 1",
    help: "second hard disk image (81h)",
    kind: "hdd",
    part: "hd1",
    unit: 1,
    removable: false,
    writable: true,
  },
  {
    slot: "cdrom",
    title: "CD-ROM",
    help: "CD image in the ATAPI drive (boots through El Torito)",
    kind: "cdrom",
    part: "cdrom",
    unit: 0,
    removable: true,
    writable: false,
  },
  {
    slot: "kernel",
    title: "Linux kernel",
    help: "Linux kernel (bzImage) to start instead of a boot sector",
    kind: "boot-file",
    part: "bios",
    unit: 0,
    removable: false,
    writable: false,
  },
  {
    slot: "initrd",
    title: "initrd",
    help: "initial RAM disk for the kernel",
    kind: "boot-file",
    part: "bios",
    unit: 0,
    removable: false,
    writable: false,
  },
  {
    slot: "bios",
    title: "system BIOS",
    help: "system BIOS to run instead of the built-in one (SeaBIOS: bios-256k.bin)",
    kind: "firmware",
    part: "bios",
    unit: 0,
    removable: false,
    writable: false,
  },
  {
    slot: "vga-bios",
    title: "video BIOS",
    help: "video BIOS for the VGA's option ROM (SeaBIOS: vgabios-stdvga.bin)",
    kind: "firmware",
    part: "vga-pci",
    unit: 0,
    removable: false,
    writable: false,
  },
] as const satisfies readonly MediaSlotSpec[];

/**
 * The snapshot record of the built-in BIOS (pc/bios), which PcMachine builds beside the parts
 * and which holds the kernel and initrd slots' loader.
 */
export const PC_BIOS_RECORD = "bios";

/** A drive or boot file of a PC that an image goes in. */
export type PcImageSlot = (typeof PC_MEDIA_SLOTS)[number]["slot"];

/** The slots that are drives (PcOptions keys taking a DiskImage). */
export type PcDriveSlot = Exclude<PcImageSlot, "kernel" | "initrd" | "bios" | "vga-bios">;

/** The firmware slots (PcOptions.firmware). */
export type PcFirmwareSlot = "bios" | "vga-bios";

/** The slot names, in table order. */
export const PC_IMAGE_SLOTS: readonly PcImageSlot[] = PC_MEDIA_SLOTS.map((s) => s.slot);

const BY_SLOT = new Map<string, MediaSlotSpec>(PC_MEDIA_SLOTS.map((s) => [s.slot, s]));

/** The slot called `name`, or null when a PC has no such slot. */
export function mediaSlot(name: string): MediaSlotSpec | null {
  return BY_SLOT.get(name) ?? null;
}

export function isPcImageSlot(name: string): name is PcImageSlot {
  return BY_SLOT.has(name);
}

// ---- The parts ----

// The AT's port map: where this board puts each chip's register block (the chips take their
// base from the table below; the built-in BIOS programs them at the same addresses). Chips that
// only ever sit at one address on a PC export their own PC_* base (PC_FDC_BASE, PC_DMA1_BASE,
// PC_IDE_PRIMARY_CMD) and VGA's block is vga-regs.ts's VGA_PORT_BASE.

/** 8259A master (ICW1/OCW2/OCW3 at +0, ICW2-4/OCW1 at +1), and the slave. */
export const PC_PIC_MASTER_BASE = 0x20;
export const PC_PIC_SLAVE_BASE = 0xa0;
/** The PIIX3's edge/level control registers for the two PICs. */
export const PC_ELCR_BASE = 0x4d0;
/** 8254: counters 0-2 at +0..+2, the control word at +3 (PIT_CONTROL). */
export const PC_PIT_BASE = 0x40;
export const PC_PORT_B = 0x61;
export const PC_PORT_A = 0x92;
export const PC_POST_PORT = 0x80;
/** MC146818: register index (bit 7 masks NMI) at +0, data at +1. */
export const PC_RTC_BASE = 0x70;
export const PC_KBC_DATA = 0x60;
export const PC_KBC_COMMAND = 0x64;
/** PCI configuration mechanism #1 (address at +0, data at +4), with the reset control at CF9h. */
export const PC_PCI_CONFIG_BASE = 0xcf8;
export const PC_FPU_ERROR_PORT = 0xf0;
/** The ACPI power management registers (PM1a event and control blocks, PM timer: acpi-pm.ts). */
export const PC_ACPI_PM_BASE = 0x600;
/** The ISA line of the ACPI SCI (the FADT's SCI_INT). */
export const PC_SCI_IRQ = 9;

/** I/O base of the PIIX IDE bus-master registers (PCI BAR4, set as a BIOS's POST would). */
export const IDE_BUS_MASTER_BASE = 0xc000;

/**
 * The network card on PCI (the RTL8029, an NE2000 on PCI, or virtio-net), when the machine has
 * one: its PCI slot, the I/O base the firmware gives its BAR0, and the ISA IRQ its INTA# is
 * routed to. On this board INTA# of PCI device d is PIRQ (d + pin - 1) mod 4 of the PIIX3; POST
 * steers that PIRQ to NIC_IRQ and sets the line level-triggered in the ELCR.
 */
export const NIC_PCI_DEVICE = 3;
export const NIC_IO_BASE = 0xc100;
export const NIC_IRQ = 11;
const NIC_PIRQ = NIC_PCI_DEVICE & 3; // INTA#: pin 1
/**
 * The NE2000 on ISA: 300h, the first address NE2000 drivers try (Linux's ne among them), and
 * IRQ 10, which nothing else on this board uses (an ISA line is edge-triggered and not shared;
 * 3 is COM2's and 9 the ACPI SCI). Drivers are told both: `ne io=0x300 irq=10`, `NE2000 0x60 10 0x300`.
 */
export const NIC_ISA_IO_BASE = 0x300;
export const NIC_ISA_IRQ = 10;
/** The station address a card gets when the machine's options name none (a locally administered one). */
export const DEFAULT_NIC_MAC: readonly number[] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

/** The network cards a PC may have. */
export const NIC_MODELS = ["ne2k-pci", "ne2k-isa", "virtio"] as const;
export type NicModel = (typeof NIC_MODELS)[number];

/** A machine's network card: present when the options have one. */
export interface PcNetOptions {
  /**
   * Which card: "ne2k-pci" (the default: the RTL8029, an NE2000 on PCI), "ne2k-isa" (an
   * NE2000 at 300h, IRQ 10) or "virtio" (virtio-net on PCI, the legacy interface).
   */
  card?: NicModel;
  /** Its station address (6 bytes); default DEFAULT_NIC_MAC. */
  mac?: Uint8Array;
}

/** The card the options name, or null for none; throws on an unknown one. */
export function nicModel(net: PcNetOptions | null | undefined): NicModel | null {
  if (!net) return null;
  const card = net.card ?? "ne2k-pci";
  if (!NIC_MODELS.includes(card)) throw new RangeError(`no network card called ${JSON.stringify(card)}`);
  return card;
}

/** The board part that is each card (the one whose object has the wire), and its snapshot record. */
export const NIC_PARTS = { "ne2k-pci": "nic", "ne2k-isa": "nic-isa", virtio: "virtio-net" } as const satisfies Record<
  NicModel,
  PartId
>;

function nicMac(b: BoardContext): Uint8Array {
  return b.net?.mac ?? Uint8Array.from(DEFAULT_NIC_MAC);
}

/** POST's routing of the PCI card's INTA#: the PIRQ steered to NIC_IRQ, that IRQ level-triggered. */
function routeNicPirq(b: BoardContext): void {
  b.part("pci-isa").write(PIIX3_PIRQRC + NIC_PIRQ, 1, NIC_IRQ);
  const io = b.machine.io.io;
  const elcr = PC_ELCR_BASE + (NIC_IRQ >> 3);
  io.out8(elcr, io.in8(elcr) | (1 << (NIC_IRQ & 7)));
}

/** COM1-COM4: base port and IRQ. */
export const COM_PORTS: readonly (readonly [number, number])[] = [
  [0x3f8, 4],
  [0x2f8, 3],
  [0x3e8, 4],
  [0x2e8, 3],
];

/**
 * The x87 error latch of the AT (port F0h): FERR# from the FPU raises IRQ13 and the line stays
 * up; an OUT to F0h lowers it and asserts IGNNE#, so the handler's next FPU instruction runs.
 */
export class FpuErrorPort {
  constructor(
    private readonly fpu: Pick<Cpu["fpu"], "ferrLine" | "setIgnne">,
    private readonly irq: IrqLine,
  ) {
    // The FPU calls this on changes only; its falling edge does not clear the latch.
    fpu.ferrLine = (level) => {
      if (level) irq.raise();
    };
  }

  ioSurface(base: number, name = "fpu-error"): IoSurface {
    return {
      name,
      ports: [
        {
          base,
          count: 1,
          write8: () => {
            this.irq.lower();
            this.fpu.setIgnne(true);
          },
        },
      ],
    };
  }
}

/** CPUID leaf 1 EDX bit 9: the processor has a local APIC (set only on boards with one). */
const CPUID_APIC = 1 << 9;

/** Every part of the board by id, with its type. Hard disks are there only with an image. */
export interface PcParts {
  pic: Pic8259Pair;
  pit: Pit8254;
  port61: SystemControlPortB;
  port92: SystemControlPortA;
  post: PostCodePort;
  rtc: Rtc146818;
  keyboard: Ps2Keyboard;
  mouse: Ps2Mouse;
  kbc: I8042;
  dma: Dma8237;
  fdc: Fdc82077;
  vga: Vga;
  "vga-pci": VgaPciFunction;
  com1: Uart16550;
  com2: Uart16550;
  com3: Uart16550;
  com4: Uart16550;
  pci: PciBus;
  "pci-host": I440fx;
  "pci-isa": Piix3Isa;
  "pci-ide": Piix3Ide;
  ide0: IdeChannel;
  ide1: IdeChannel;
  "ide-bus-master": IdeBusMaster;
  hd0: AtaDisk | null;
  hd1: AtaDisk | null;
  cdrom: AtapiCdrom;
  "fpu-error": FpuErrorPort;
  "acpi-pm": AcpiPm;
  /** The RTL8029's PCI function and its NE2000, only on a machine with that card. */
  "nic-pci": Rtl8029 | null;
  nic: Ne2000 | null;
  /** The NE2000 on ISA, only on a machine with that card. */
  "nic-isa": Ne2000 | null;
  /** virtio-net, only on a machine with that card. */
  "virtio-net": VirtioNet | null;
  /** The cable to the card (frames waiting for it), on a machine with any card. */
  "nic-link": NicLink | null;
  lapic: LocalApic | null;
  ioapic: IoApic | null;
}

export type PartId = keyof PcParts;

/** What a part's factory and wiring may use. */
export interface BoardContext {
  readonly machine: Machine;
  /** Wall-clock time (Unix ms, UTC) of machine time zero, for the RTC. */
  readonly startTimeMs: number;
  /** A part listed earlier in PC_PARTS (the table is in dependency order). */
  part<K extends PartId>(id: K): NonNullable<PcParts[K]>;
  /** The copy-on-write disk in a drive slot, or null when the slot is empty. */
  disk(slot: PcImageSlot): CowDisk | null;
  /** The network card's options, or null/absent for a machine without one. */
  readonly net?: PcNetOptions | null;
  /** The interrupt controller's own input n (PCI interrupt routing picks lines at run time). */
  isaIrq(n: number): IrqLine | null;
  /** Resets the CPU as the board's reset lines do (8042 output port, port 92h, CF9h). */
  resetCpu(): void;
  /** Turns the machine off (ACPI soft-off, APM "off"): it stops and stays stopped. */
  powerOff(): void;
  /** The board has a local APIC and an I/O APIC. */
  readonly apic: boolean;
  /** Where the 8259's INTR output goes: the CPU, or (redirected) the local APIC's LINT0. */
  picOutput(level: boolean): void;
  redirectPicOutput(to: (level: boolean) => void): void;
  /** The video BIOS image the VGA's expansion ROM holds, or null (the built-in BIOS needs none). */
  readonly vgaBios: Uint8Array | null;
}

/** The lines a part declared, in the order declared. */
export interface PartWires {
  irq: IrqLine[];
  dma: DmaChannel[];
}

export interface BoardPart<K extends PartId = PartId> {
  readonly id: K;
  /** I/O port bases, in the order the part's `io` takes them. */
  readonly ports?: readonly number[];
  /** A memory-mapped window: base and size. */
  readonly mmio?: readonly [number, number];
  /** ISA interrupt lines it drives (8259 inputs). */
  readonly irq?: readonly number[];
  /** 8237 DMA channels it uses. */
  readonly dma?: readonly number[];
  /** PCI device and function number on bus 0. */
  readonly pci?: readonly [number, number];
  /** It keeps time: the machine loop advances it and honours its deadlines (TimedDevice). */
  readonly timed?: boolean;
  /** The id of its snapshot record (a Stateful); absent when it keeps no state of its own. */
  readonly state?: string;
  /** Builds it (null: absent from this machine, e.g. a hard disk without an image). */
  create(b: BoardContext, wires: PartWires): PcParts[K];
  /** Its I/O surface at `ports`. */
  io?(part: NonNullable<PcParts[K]>, ports: readonly number[], b: BoardContext): IoSurface;
  /** What answers its memory window. */
  memory?(part: NonNullable<PcParts[K]>): MmioHandler;
  /** Wiring beyond ports, lines and PCI slot (IDE units, the CPU's acknowledge cycle), once all parts exist. */
  connect?(part: NonNullable<PcParts[K]>, b: BoardContext): void;
}

/** One entry of the table, typed by its id. */
function part<K extends PartId>(p: BoardPart<K>): BoardPart {
  return p as unknown as BoardPart;
}

/** The A20 gate and CPU reset, as port 92h and the 8042's output port drive them. */
function a20Hooks(b: BoardContext) {
  const mem = b.machine.mem;
  return { setA20: (on: boolean) => mem.setA20(on), a20: () => mem.a20Enabled, resetCpu: () => b.resetCpu() };
}

function uart(i: number): BoardPart {
  const [base, irq] = COM_PORTS[i];
  const id = `com${i + 1}` as "com1";
  return part({
    id,
    ports: [base],
    irq: [irq],
    timed: true,
    state: id,
    create: (b, w) => new Uart16550(b.machine.clock, w.irq[0], { irqGatedByOut2: true }),
    io: (u, [port]) => u.ioSurface(port, id),
  });
}

function hardDisk(unit: 0 | 1): BoardPart {
  const id = unit === 0 ? "hd0" : "hd1";
  return part({
    id,
    state: id,
    create: (b) => {
      const disk = b.disk(unit === 0 ? "hda" : "hdb");
      return disk ? new AtaDisk(disk) : null;
    },
    connect: (d, b) => b.part("ide0").attach(unit, d),
  });
}

/**
 * The PC's parts in dependency order (a factory uses only parts above it), which is also the
 * order of their snapshot records.
 */
export const PC_PARTS: readonly BoardPart[] = [
  part({
    id: "pic",
    ports: [PC_PIC_MASTER_BASE, PC_PIC_SLAVE_BASE, PC_ELCR_BASE],
    state: "pic",
    create: (b) => new Pic8259Pair((level) => b.picOutput(level)),
    io: (pic, [master, slave, elcr]) => pic.ioSurface(master, slave, elcr),
    connect: (pic, b) => (b.machine.cpu.intAck = () => pic.acknowledge()),
  }),
  // Only with PcOptions.apic. Right after the 8259s: the ISA lines of the parts below reach
  // the I/O APIC too (isaIrq).
  part({
    id: "lapic",
    mmio: [LAPIC_BASE, 0x1000],
    timed: true,
    state: "lapic",
    create: (b) => {
      if (!b.apic) return null;
      const { cpu, clock } = b.machine;
      return new LocalApic(
        clock,
        {
          setIntr: (level) => cpu.setIntr(level),
          picAck: () => b.part("pic").acknowledge(),
          eoi: (vector) => b.part("ioapic").eoi(vector),
        },
        // Register accesses count from the start of the CPU's slice (the same time whether
        // the code runs compiled or interpreted: resumed snapshots run as the original).
        { now: () => clock.now() - cpu.sliceN * clock.rate },
      );
    },
    memory: (lapic) => lapic.memory,
    connect: (lapic, b) => {
      const { cpu, io } = b.machine;
      b.redirectPicOutput((level) => lapic.setPicIntr(level));
      cpu.intAck = () => lapic.acknowledge();
      cpu.cpuidModel.features |= CPUID_APIC;
      const rd = io.handlers.rdmsr,
        wr = io.handlers.wrmsr;
      io.handlers.rdmsr = (i, out) => (i === MSR_APIC_BASE ? (lapic.readMsr(out), true) : (rd?.(i, out) ?? false));
      io.handlers.wrmsr = (i, lo, hi) => (i === MSR_APIC_BASE ? lapic.writeMsr(lo) : (wr?.(i, lo, hi) ?? false));
    },
  }),
  part({
    id: "ioapic",
    mmio: [IOAPIC_BASE, 0x1000],
    state: "ioapic",
    create: (b) => (b.apic ? new IoApic(b.part("lapic")) : null),
    memory: (ioapic) => ioapic.memory,
  }),
  part({
    id: "pit",
    ports: [PC_PIT_BASE],
    irq: [0], // OUT0
    timed: true,
    state: "pit",
    create: (b, w) => new Pit8254(b.machine.clock, w.irq[0]),
    io: (pit, [base]) => pit.ioSurface(base),
    // Realtime: ticks merged while one waits are re-delivered as the CPU takes IRQ0 (docs/time.md).
    connect: (pit, b) => {
      pit.reinject = b.machine.clock.mode === "realtime";
      b.part("pic").onAcknowledge = (irq) => {
        if (irq === 0) pit.timerAcknowledged();
      };
    },
  }),
  part({
    id: "port61",
    ports: [PC_PORT_B],
    state: "port61",
    create: (b) => new SystemControlPortB(b.machine.clock, b.part("pit")),
    io: (p, [base]) => p.ioSurface(base),
  }),
  part({
    id: "port92",
    ports: [PC_PORT_A],
    state: "port92",
    create: (b) => new SystemControlPortA(a20Hooks(b)),
    io: (p, [base]) => p.ioSurface(base),
  }),
  part({
    id: "post",
    ports: [PC_POST_PORT],
    state: "post",
    create: () => new PostCodePort(),
    io: (p, [base]) => p.ioSurface(base),
  }),
  part({
    id: "rtc",
    ports: [PC_RTC_BASE],
    irq: [8],
    timed: true,
    state: "rtc",
    create: (b, w) => new Rtc146818(b.machine.clock, w.irq[0], b.startTimeMs),
    io: (rtc, [base]) => rtc.ioSurface(base),
  }),
  part({ id: "keyboard", state: "keyboard", create: (b) => new Ps2Keyboard(b.machine.clock) }),
  part({ id: "mouse", state: "mouse", create: () => new Ps2Mouse() }),
  part({
    id: "kbc",
    ports: [PC_KBC_DATA, PC_KBC_COMMAND],
    irq: [1, 12], // keyboard, mouse
    timed: true,
    state: "kbc",
    create: (b, w) => {
      const { setA20, resetCpu } = a20Hooks(b);
      return new I8042({
        clock: b.machine.clock,
        keyboard: b.part("keyboard"),
        mouse: b.part("mouse"),
        kbdIrq: w.irq[0],
        auxIrq: w.irq[1],
        setA20,
        resetCpu,
      });
    },
    io: (kbc, [data, command]) => kbc.ioSurface(data, command),
  }),
  part({
    id: "dma",
    ports: [PC_DMA1_BASE, PC_DMA2_BASE, PC_DMA_PAGE_BASE],
    state: "dma",
    create: (b) => new Dma8237(b.machine.mem),
    io: (dma, [dma1, dma2, page]) => dma.ioSurface(dma1, dma2, page),
  }),
  part({
    id: "fdc",
    ports: [PC_FDC_BASE],
    irq: [6],
    dma: [2],
    timed: true,
    state: "fdc",
    create: (b, w) => new Fdc82077(b.machine.clock, w.irq[0], w.dma[0]),
    io: (fdc, [base]) => fdc.ioSurface(base),
  }),
  part({
    id: "vga",
    ports: [VGA_PORT_BASE, DISPI_PORT_INDEX],
    mmio: [VGA_WINDOW_BASE, VGA_WINDOW_SIZE],
    state: "vga",
    create: (b) => new Vga(b.machine.clock),
    io: (vga, [base, dispi]) => vga.ioSurface(base, "vga", dispi),
    memory: (vga) => vga.memory,
  }),
  uart(0),
  uart(1),
  uart(2),
  uart(3),
  part({
    id: "pci",
    ports: [PC_PCI_CONFIG_BASE],
    state: "pci",
    create: () => new PciBus(),
    io: (pci, [base], b) => pci.ioSurface(base, b.part("pci-isa").resetControl),
  }),
  part({ id: "pci-host", pci: [0, 0], state: "pci-host", create: () => new I440fx() }),
  part({
    id: "pci-isa",
    pci: [1, 0],
    state: "pci-isa",
    create: (b) => new Piix3Isa({ isaIrq: (n) => b.isaIrq(n), onReset: () => b.resetCpu() }),
  }),
  part({
    // The VGA's PCI face; its configuration is saved in the vga record. BAR0, the linear
    // framebuffer, is a memory window that follows wherever software puts the BAR.
    id: "vga-pci",
    pci: [2, 0],
    mmio: [VGA_LFB_BASE, VBE_VRAM_SIZE],
    create: (b) => {
      const fn = b.part("vga").pci;
      if (b.vgaBios) fn.installRom(b.vgaBios); // the video BIOS behind the ROM BAR, for firmware that runs it
      return fn;
    },
    memory: (fn) => fn.lfbMemory,
    connect: (fn, b) => {
      // BAR0 where the window is first mapped (wiring maps it after connect), then follow it.
      fn.firmwareInit(VGA_LFB_BASE);
      fn.onLfbChange = (base) => b.machine.mem.moveMmio("vga-pci", base);
      if (fn.rom) {
        // The expansion ROM: off the map until software places and enables the ROM BAR.
        b.machine.mem.mapMmio(null, fn.rom.length, "vga-rom", fn.romMemory());
        fn.onRomChange = (base) => b.machine.mem.moveMmio("vga-rom", base);
      }
    },
  }),
  part({
    id: "pci-ide",
    pci: [1, 1],
    state: "pci-ide",
    create: () => new Piix3Ide({ busMaster: true }),
    connect: (ide) => ide.firmwareInit(IDE_BUS_MASTER_BASE),
  }),
  part({
    id: "ide0",
    ports: [PC_IDE_PRIMARY_CMD, PC_IDE_PRIMARY_CTRL],
    irq: [14],
    state: "ide0",
    create: (_b, w) => new IdeChannel(w.irq[0]),
    io: (ch, [cmd, ctrl]) => ch.ioSurface(cmd, ctrl),
  }),
  part({
    id: "ide1",
    ports: [PC_IDE_SECONDARY_CMD, PC_IDE_SECONDARY_CTRL],
    irq: [15],
    state: "ide1",
    create: (_b, w) => new IdeChannel(w.irq[0]),
    io: (ch, [cmd, ctrl]) => ch.ioSurface(cmd, ctrl),
  }),
  part({
    id: "ide-bus-master",
    ports: [IDE_BUS_MASTER_BASE],
    state: "ide-bus-master",
    create: (b) => {
      const fn = b.part("pci-ide");
      return new IdeBusMaster(b.machine.mem, [b.part("ide0"), b.part("ide1")], {
        decodes: () => fn.busMasterBase() === IDE_BUS_MASTER_BASE,
        canMaster: () => fn.busMasterEnabled,
      });
    },
    io: (bm, [base]) => bm.ioSurface(base),
  }),
  hardDisk(0),
  hardDisk(1),
  part({
    id: "cdrom", // the ATAPI drive, secondary master
    state: "cdrom",
    create: () => new AtapiCdrom(),
    connect: (cd, b) => b.part("ide1").attach(0, cd),
  }),
  part({
    id: "fpu-error",
    ports: [PC_FPU_ERROR_PORT],
    irq: [13],
    create: (b, w) => new FpuErrorPort(b.machine.cpu.fpu, w.irq[0]),
    io: (latch, [base]) => latch.ioSurface(base),
  }),
  part({
    id: "acpi-pm",
    ports: [PC_ACPI_PM_BASE],
    irq: [PC_SCI_IRQ],
    timed: true,
    state: "acpi-pm",
    create: (b, w) => new AcpiPm(b.machine.clock, w.irq[0], { powerOff: () => b.powerOff() }),
    io: (pm, [base]) => pm.ioSurface(base),
  }),
  part({
    id: "nic-pci",
    pci: [NIC_PCI_DEVICE, 0],
    state: "nic-pci",
    create: (b) => (nicModel(b.net) === "ne2k-pci" ? new Rtl8029() : null),
    connect: (fn, b) => {
      // POST: BAR0 and the interrupt line, the PIRQ routed to NIC_IRQ, that IRQ level-triggered.
      fn.postIoBar0(NIC_IO_BASE, NIC_IRQ);
      routeNicPirq(b);
    },
  }),
  part({
    id: "nic",
    ports: [NIC_IO_BASE],
    state: "nic",
    create: (b) =>
      nicModel(b.net) === "ne2k-pci" ? new Ne2000({ mac: nicMac(b), irq: b.part("pci-isa").pirqLine(NIC_PIRQ) }) : null,
    io: (nic, [base], b) => {
      const fn = b.part("nic-pci");
      return gatedSurface(nic.ioSurface(base, "nic"), () => fn.ioBar0Base() === base);
    },
  }),
  part({
    id: "nic-isa",
    ports: [NIC_ISA_IO_BASE],
    irq: [NIC_ISA_IRQ],
    state: "nic-isa",
    create: (b, w) => (nicModel(b.net) === "ne2k-isa" ? new Ne2000({ mac: nicMac(b), irq: w.irq[0] }) : null),
    io: (nic, [base]) => nic.ioSurface(base, "nic-isa"),
  }),
  part({
    // Configuration space, transport and device in one record. Same slot and ports as the RTL8029.
    id: "virtio-net",
    pci: [NIC_PCI_DEVICE, 0],
    ports: [NIC_IO_BASE],
    state: "virtio-net",
    create: (b) =>
      nicModel(b.net) === "virtio"
        ? new VirtioNet({ mac: nicMac(b), mem: b.machine.mem, irq: b.part("pci-isa").pirqLine(NIC_PIRQ) })
        : null,
    connect: (fn, b) => {
      fn.postIoBar0(NIC_IO_BASE, NIC_IRQ);
      routeNicPirq(b);
    },
    io: (fn, [base]) => gatedSurface(fn.ioSurface(base, "virtio-net"), () => fn.ioBar0Base() === base),
  }),
  part({
    id: "nic-link",
    state: "nic-link",
    create: (b) => {
      const card = nicModel(b.net);
      return card ? new NicLink(b.part(NIC_PARTS[card])) : null;
    },
  }),
];

/** A board built from a table: its parts by id, and the stateful ones under their record ids. */
export interface WiredBoard {
  parts: PcParts;
  /** In table order. */
  states: [string, Stateful][];
}

/**
 * Builds every part of `table` on `machine` and wires it: lines, I/O surfaces, memory windows,
 * PCI slots, timed devices. Throws on a table that uses a part before building it, and (the
 * I/O bus) on ports two parts claim.
 */
export function wireBoard(
  table: readonly BoardPart[],
  machine: Machine,
  env: Omit<BoardContext, "machine" | "part" | "isaIrq" | "picOutput" | "redirectPicOutput">,
): WiredBoard {
  const built = new Map<string, unknown>();
  let picSink = (level: boolean) => machine.cpu.setIntr(level);
  const b: BoardContext = {
    ...env,
    machine,
    part: <K extends PartId>(id: K) => {
      const p = built.get(id);
      if (p === undefined) throw new Error(`board: part '${id}' is used before it is built`);
      if (p === null) throw new Error(`board: part '${id}' is not on this machine`);
      return p as NonNullable<PcParts[K]>;
    },
    picOutput: (level) => picSink(level),
    redirectPicOutput: (to) => (picSink = to),
    isaIrq: (n) => {
      if (n === 2) return null; // the cascade
      const pic = b.part("pic").irqLine(n);
      const ioapic = built.get("ioapic") as IoApic | null | undefined;
      if (!ioapic) return pic;
      // ISA IRQ n reaches I/O APIC input n, but IRQ0 (the PIT) input 2 (the MADT says so).
      const pin = ioapic.line(n === 0 ? 2 : n);
      return {
        raise: () => {
          pic.raise();
          pin.raise();
        },
        lower: () => {
          pic.lower();
          pin.lower();
        },
      };
    },
    disk: env.disk,
    resetCpu: env.resetCpu,
    powerOff: env.powerOff,
    apic: env.apic,
  };
  // A line that several parts declare is the OR of their outputs.
  const users = new Map<number, number>();
  for (const p of table) for (const n of p.irq ?? []) users.set(n, (users.get(n) ?? 0) + 1);
  const shared = new Map<number, IrqOr>();
  const line = (n: number): IrqLine => {
    const input = b.isaIrq(n);
    if (!input) throw new Error(`board: IRQ ${n} cannot be driven`);
    if (users.get(n)! < 2) return input;
    let or = shared.get(n);
    if (!or) shared.set(n, (or = new IrqOr(input)));
    return or.input();
  };
  for (const p of table) {
    if (built.has(p.id)) throw new Error(`board: two parts are called '${p.id}'`);
    const wires = { irq: (p.irq ?? []).map(line), dma: (p.dma ?? []).map((n) => b.part("dma").channel(n)) };
    built.set(p.id, p.create(b, wires));
  }
  const states: [string, Stateful][] = [];
  for (const p of table) {
    const dev = built.get(p.id);
    if (dev === null) continue;
    if (p.pci) b.part("pci").add(p.pci[0], p.pci[1], dev as Parameters<PciBus["add"]>[2]);
    p.connect?.(dev as never, b);
    if (p.ports) machine.io.io.attach(p.io!(dev as never, p.ports, b));
    if (p.mmio) machine.mem.mapMmio(p.mmio[0], p.mmio[1], p.id, p.memory!(dev as never));
    if (p.timed) machine.addTimed(dev as TimedDevice);
    if (p.state) states.push([p.state, dev as Stateful]);
  }
  return { parts: Object.fromEntries(built) as unknown as PcParts, states };
}
