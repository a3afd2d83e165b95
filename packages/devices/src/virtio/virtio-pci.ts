// A virtio device on PCI through the legacy interface (OASIS "Virtual I/O Device (VIRTIO)
// Version 1.1", 4.1.4.8 "Legacy Interfaces: A Note on PCI Device Layout", and 4.1.2.1 for the
// transitional IDs): vendor 1AF4h, device 1000h + (virtio device ID - 1), revision 0, the
// subsystem device ID naming the virtio device, and one I/O BAR holding
//
//   00h host (device) features   u32 R     0Ch queue size    u16 R     12h device status u8 RW
//   04h guest (driver) features  u32 RW    0Eh queue select  u16 RW    13h ISR status    u8 R (read clears)
//   08h queue address (page no.) u32 RW    10h queue notify  u16 W     14h device configuration
//
// A subclass is the device (net/virtio-net.ts): its features, its queues' sizes, its
// configuration bytes and what a notification of each queue does.
//
// Key design choices:
//  - Legacy only: Linux's virtio_pci drives a transitional device (1000h-103Fh) without
//    virtio capabilities through this interface, as do older drivers; the modern interface
//    (capabilities, a memory BAR, device 1040h + ID) is not offered. Only the low 32 feature
//    bits exist here, so VIRTIO_F_VERSION_1 is never negotiated and all fields are the guest's
//    byte order (little-endian on x86).
//  - Interrupts through INTx only (no MSI-X capability, so the configuration starts at 14h):
//    the line is up while the ISR status is nonzero, and reading the ISR clears it.
//  - The device works the queues synchronously, when the driver notifies a queue or when the
//    host hands it data: there are no requests in flight between instructions, so a snapshot
//    holds only the queues' positions.
//  - Devices do DMA only while the command register's bus master bit is on.
//  - A broken ring (VirtioError) sets DEVICE_NEEDS_RESET and the device ignores its queues
//    until the driver writes 0 to the status (reset).

import { bits, records, u16, u8, type FieldSpecs, type IoSurface } from "@x86vm/core";
import type { IrqLine } from "../irq.ts";
import { PciFunction, PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_STATUS_DEVSEL_MEDIUM } from "../pci/pci-function.ts";
import { VirtioError, Virtqueue, virtqueueState, type GuestMemory } from "./virtqueue.ts";

export const VIRTIO_PCI_VENDOR_ID = 0x1af4;
/** Transitional PCI device IDs: 1000h + virtio device ID - 1. */
export const VIRTIO_PCI_LEGACY_DEVICE_BASE = 0x1000;

// Legacy register offsets.
export const VIRTIO_PCI_HOST_FEATURES = 0x00;
export const VIRTIO_PCI_GUEST_FEATURES = 0x04;
export const VIRTIO_PCI_QUEUE_PFN = 0x08;
export const VIRTIO_PCI_QUEUE_NUM = 0x0c;
export const VIRTIO_PCI_QUEUE_SEL = 0x0e;
export const VIRTIO_PCI_QUEUE_NOTIFY = 0x10;
export const VIRTIO_PCI_STATUS = 0x12;
export const VIRTIO_PCI_ISR = 0x13;
/** The device configuration, without MSI-X. */
export const VIRTIO_PCI_CONFIG = 0x14;

// Device status bits (2.1).
export const VIRTIO_STATUS_ACKNOWLEDGE = 0x01;
export const VIRTIO_STATUS_DRIVER = 0x02;
export const VIRTIO_STATUS_DRIVER_OK = 0x04;
export const VIRTIO_STATUS_FEATURES_OK = 0x08;
export const VIRTIO_STATUS_DEVICE_NEEDS_RESET = 0x40;
export const VIRTIO_STATUS_FAILED = 0x80;

// ISR status bits.
export const VIRTIO_ISR_QUEUE = 0x01;
export const VIRTIO_ISR_CONFIG = 0x02;

export interface VirtioPciIdentity {
  /** The snapshot schema's name. */
  stateName: string;
  /** The virtio device ID (1 network, 2 block). */
  virtioId: number;
  /** PCI class code (base << 16 | sub << 8 | interface). */
  classCode: number;
  /** Feature bits the device offers (the legacy interface has 32). */
  features: number;
  /** Each queue's size. */
  queueSizes: readonly number[];
  /** Bytes of device configuration. */
  configSize: number;
}

/** The saved fields of the transport, for a device with `queues` queues of at most `maxNum` entries. */
export function virtioTransportState(features: number, queues: number, maxNum: number) {
  return {
    guestFeatures: bits(features),
    queueSel: u16,
    status: u8,
    isr: bits(VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG),
    queues: records(queues, virtqueueState(maxNum)),
  } as const;
}

export abstract class VirtioPciFunction extends PciFunction {
  readonly queues: Virtqueue[];
  readonly hostFeatures: number;
  /** The I/O BAR's size: the registers and the configuration, rounded up to a power of two. */
  readonly barSize: number;
  guestFeatures = 0;
  queueSel = 0;
  status = 0;
  isr = 0;
  /** What broke the device (a VirtioError's message) until the driver resets it. */
  lastError: string | null = null;
  private irqLevel = false;

  constructor(
    id: VirtioPciIdentity,
    protected readonly mem: GuestMemory,
    private readonly irq: IrqLine,
  ) {
    const deviceId = VIRTIO_PCI_LEGACY_DEVICE_BASE + id.virtioId - 1;
    super(id.stateName, {
      vendorId: VIRTIO_PCI_VENDOR_ID,
      deviceId,
      revision: 0, // the legacy interface's ABI version
      classCode: id.classCode,
      subsystemVendorId: VIRTIO_PCI_VENDOR_ID,
      subsystemId: id.virtioId,
      interruptPin: 1,
      command: 0,
      commandWritable: PCI_COMMAND_IO | PCI_COMMAND_MASTER,
      status: PCI_STATUS_DEVSEL_MEDIUM,
    });
    this.hostFeatures = id.features >>> 0;
    this.queues = id.queueSizes.map((n) => new Virtqueue(mem, n));
    let size = 4;
    while (size < VIRTIO_PCI_CONFIG + id.configSize) size *= 2;
    this.barSize = size;
    this.defineIoBar(0, size);
  }

  /** The registers at `base` (the board gates them on BAR0's decoding). */
  ioSurface(base: number, name: string): IoSurface {
    return {
      name,
      ports: [
        {
          base,
          count: this.barSize,
          read8: (o) => this.readReg(o, 1),
          read16: (o) => this.readReg(o, 2),
          read32: (o) => this.readReg(o, 4),
          write8: (o, v) => this.writeReg(o, 1, v),
          write16: (o, v) => this.writeReg(o, 2, v),
          write32: (o, v) => this.writeReg(o, 4, v),
        },
      ],
    };
  }

  /** The driver has finished setting up (DRIVER_OK), the device is not broken, and it may do DMA. */
  get running(): boolean {
    return (
      (this.status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)) ===
        VIRTIO_STATUS_DRIVER_OK && (this.command & PCI_COMMAND_MASTER) !== 0
    );
  }

  /** Whether the driver accepted feature `bit`. */
  negotiated(bit: number): boolean {
    return ((this.guestFeatures >>> bit) & 1) !== 0;
  }

  /** Device reset (status 0 written, or the PCI reset): features, queues, ISR and status cleared. */
  resetDevice(): void {
    this.guestFeatures = 0;
    this.queueSel = 0;
    this.status = 0;
    this.isr = 0;
    this.lastError = null;
    for (const q of this.queues) q.reset();
    this.deviceReset();
    this.updateIrq();
  }

  override reset(): void {
    super.reset();
    this.resetDevice();
  }

  /** Reads `size` bytes of the registers at `off` (little-endian). */
  readReg(off: number, size: number): number {
    if (off === VIRTIO_PCI_ISR) {
      const v = this.isr; // reading acknowledges the interrupt
      this.isr = 0;
      this.updateIrq();
      return v;
    }
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.regByte(off + i);
    return v >>> 0;
  }

  private regByte(off: number): number {
    const sel = this.queues[this.queueSel];
    const byte = (value: number, at: number) => (value >>> (8 * (off - at))) & 0xff;
    if (off < VIRTIO_PCI_GUEST_FEATURES) return byte(this.hostFeatures, VIRTIO_PCI_HOST_FEATURES);
    if (off < VIRTIO_PCI_QUEUE_PFN) return byte(this.guestFeatures, VIRTIO_PCI_GUEST_FEATURES);
    if (off < VIRTIO_PCI_QUEUE_NUM) return byte(sel ? sel.legacyPfn() : 0, VIRTIO_PCI_QUEUE_PFN);
    if (off < VIRTIO_PCI_QUEUE_SEL) return byte(sel ? sel.num : 0, VIRTIO_PCI_QUEUE_NUM);
    if (off < VIRTIO_PCI_QUEUE_NOTIFY) return byte(this.queueSel, VIRTIO_PCI_QUEUE_SEL);
    if (off < VIRTIO_PCI_STATUS) return 0; // queue notify reads 0
    if (off === VIRTIO_PCI_STATUS) return this.status;
    if (off === VIRTIO_PCI_ISR) return this.isr;
    return this.readConfig(off - VIRTIO_PCI_CONFIG);
  }

  /** Writes `size` bytes at `off`: a register written in part keeps its other bytes. */
  writeReg(off: number, size: number, value: number): void {
    const merge = (old: number, at: number, width: number) => {
      let v = old;
      for (let i = 0; i < size; i++) {
        const b = off + i - at;
        if (b < 0 || b >= width) continue;
        v = (v & ~(0xff << (8 * b))) | (((value >>> (8 * i)) & 0xff) << (8 * b));
      }
      return v >>> 0;
    };
    const covers = (at: number, width: number) => off < at + width && off + size > at;
    if (off >= VIRTIO_PCI_CONFIG) {
      for (let i = 0; i < size; i++) this.writeConfig(off + i - VIRTIO_PCI_CONFIG, (value >>> (8 * i)) & 0xff);
      return;
    }
    if (covers(VIRTIO_PCI_GUEST_FEATURES, 4))
      this.guestFeatures = merge(this.guestFeatures, VIRTIO_PCI_GUEST_FEATURES, 4) & this.hostFeatures;
    if (covers(VIRTIO_PCI_QUEUE_PFN, 4)) {
      const q = this.queues[this.queueSel];
      if (q) this.guard(() => q.setLegacyPfn(merge(q.legacyPfn(), VIRTIO_PCI_QUEUE_PFN, 4)));
    }
    if (covers(VIRTIO_PCI_QUEUE_SEL, 2)) this.queueSel = merge(this.queueSel, VIRTIO_PCI_QUEUE_SEL, 2);
    if (covers(VIRTIO_PCI_QUEUE_NOTIFY, 2)) {
      const q = merge(0, VIRTIO_PCI_QUEUE_NOTIFY, 2);
      if (q < this.queues.length && this.running) this.guard(() => this.queueNotified(q));
    }
    if (covers(VIRTIO_PCI_STATUS, 1)) {
      const v = merge(this.status, VIRTIO_PCI_STATUS, 1);
      if (v === 0) this.resetDevice();
      else {
        const wasRunning = this.running;
        this.status = v;
        if (!wasRunning && this.running) this.guard(() => this.driverReady());
      }
    }
  }

  /**
   * Runs queue work, turning a broken ring into DEVICE_NEEDS_RESET (and returning false) instead
   * of an exception in the CPU's port access.
   */
  protected guard(work: () => void): boolean {
    try {
      work();
      return true;
    } catch (e) {
      if (!(e instanceof VirtioError)) throw e;
      this.lastError = e.message;
      this.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
      return false;
    }
  }

  /** A queue interrupt for queue `q`, unless its driver suppressed them. */
  protected queueInterrupt(q: Virtqueue): void {
    if (q.interruptSuppressed()) return;
    this.isr |= VIRTIO_ISR_QUEUE;
    this.updateIrq();
  }

  /** A configuration change interrupt (the device changed its configuration bytes). */
  protected configInterrupt(): void {
    if (!(this.status & VIRTIO_STATUS_DRIVER_OK)) return;
    this.isr |= VIRTIO_ISR_CONFIG;
    this.updateIrq();
  }

  protected updateIrq(): void {
    const level = this.isr !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (level) this.irq.raise();
    else this.irq.lower();
  }

  protected override configRestored(): void {
    this.irqLevel = !(this.isr !== 0);
    this.updateIrq();
  }

  /** The transport's saved fields; a device adds its own (see virtio-net.ts). */
  protected static transportFields(features: number, queues: number, maxNum: number): FieldSpecs<PciFunction> {
    return virtioTransportState(features, queues, maxNum) as unknown as FieldSpecs<PciFunction>;
  }

  /** Byte `off` of the device configuration. */
  protected abstract readConfig(off: number): number;
  /** The driver wrote byte `off` of the device configuration. */
  protected abstract writeConfig(off: number, value: number): void;
  /** The driver notified queue `q` (only while running). */
  protected abstract queueNotified(q: number): void;
  /** The driver set DRIVER_OK: work that waited for it (may throw VirtioError). */
  protected abstract driverReady(): void;
  /** The device's own state back to its reset values. */
  protected abstract deviceReset(): void;
}
