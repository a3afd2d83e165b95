// One PCI function's 256-byte configuration space (PCI Local Bus Specification 2.1/2.2,
// chapter 6): the type 0 header, base address registers and device-specific registers.
//
// Key design choice: the configuration space is a byte array with, per byte, a mask of bits
// software may write and a mask of bits that clear when written with 1 (status bits). Every
// register is declared once with its reset value and masks; a write merges through the masks,
// so read-only fields (IDs, class code, hardwired bits, the low bits that give a BAR its size)
// never change and a BAR sized by writing all ones reads back its size mask. A subclass adds
// device registers with defineRegister() and reacts to writes in configWritten(); the machine
// may also listen through onConfigWrite.

import {
  bytes,
  defineState,
  type FieldSpecs,
  type StateDefinition,
  type StateRecord,
  type Stateful,
} from "@x86vm/core";

export const PCI_CONFIG_SIZE = 256;

// Type 00h configuration header offsets (PCI 2.2, chapter 6).
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
export const PCI_PROG_IF = 0x09;
export const PCI_SUBCLASS = 0x0a;
export const PCI_CLASS = 0x0b;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BIST = 0x0f;
export const PCI_BAR0 = 0x10;
export const PCI_BAR_COUNT = 6;
export const PCI_CARDBUS_CIS = 0x28;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;

// Command register.
export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
export const PCI_COMMAND_SPECIAL = 0x0008;
export const PCI_COMMAND_PARITY = 0x0040;
export const PCI_COMMAND_SERR = 0x0100;
export const PCI_COMMAND_FAST_BACK = 0x0200;

// Status register.
export const PCI_STATUS_FAST_BACK = 0x0080;
export const PCI_STATUS_DEVSEL_MEDIUM = 0x0200;
/** Error bits (detected parity error ... master data parity error): cleared by writing 1. */
export const PCI_STATUS_ERROR_BITS = 0xf900;

// Header type.
export const PCI_HEADER_MULTI_FUNCTION = 0x80;

// Base address register flag bits.
export const PCI_BAR_IO = 0x01;
export const PCI_BAR_MEM_PREFETCH = 0x08;
/** Expansion ROM base address register: address decode enable. */
export const PCI_ROM_ENABLE = 0x01;

/** What identifies a function: read-only header fields. */
export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  revision: number;
  /** Base class << 16 | subclass << 8 | programming interface. */
  classCode: number;
  /** Header type byte (0 for a device; bit 7 set on function 0 of a multi-function device). */
  headerType?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** INTx pin the function uses (1 = INTA# ... 4 = INTD#), 0 for none. */
  interruptPin?: number;
  /** Command register value at reset and the bits software may change. */
  command?: number;
  commandWritable?: number;
  /** Status register value at reset. */
  status?: number;
}

export class PciFunction implements Stateful {
  /** One schema per function (its name), with the fields stateFields() lists. */
  readonly stateDefinition: StateDefinition<PciFunction, FieldSpecs<PciFunction>>;
  readonly stateVersion = 1;
  readonly stateMinVersion = 1;

  /** Called after every configuration write that reached this function (offset, size in bytes). */
  onConfigWrite: ((offset: number, size: number) => void) | null = null;

  protected readonly config = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly resetValue = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly writable = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly writeOneToClear = new Uint8Array(PCI_CONFIG_SIZE);

  constructor(
    readonly stateName: string,
    id: PciIdentity,
  ) {
    this.defineRegister(PCI_VENDOR_ID, 2, id.vendorId, 0);
    this.defineRegister(PCI_DEVICE_ID, 2, id.deviceId, 0);
    this.defineRegister(PCI_COMMAND, 2, id.command ?? 0, id.commandWritable ?? 0);
    this.defineRegister(PCI_STATUS, 2, id.status ?? 0, 0, PCI_STATUS_ERROR_BITS);
    this.defineRegister(PCI_REVISION_ID, 1, id.revision, 0);
    this.defineRegister(PCI_PROG_IF, 3, id.classCode, 0);
    this.defineRegister(PCI_HEADER_TYPE, 1, id.headerType ?? 0, 0);
    this.defineRegister(PCI_SUBSYSTEM_VENDOR_ID, 2, id.subsystemVendorId ?? 0, 0);
    this.defineRegister(PCI_SUBSYSTEM_ID, 2, id.subsystemId ?? 0, 0);
    const pin = id.interruptPin ?? 0;
    this.defineRegister(PCI_INTERRUPT_PIN, 1, pin, 0);
    // The interrupt line register is software's scratch for the routing, present with a pin.
    if (pin !== 0) this.defineRegister(PCI_INTERRUPT_LINE, 1, 0, 0xff);
    this.stateDefinition = defineState<PciFunction>()({
      name: stateName,
      version: this.stateVersion,
      minVersion: this.stateMinVersion,
      fields: this.stateFields(),
      check(v, fail, f) {
        const problem = f.configProblem(v.config as Uint8Array);
        if (problem) fail(problem);
      },
      postLoad: (f) => f.configRestored(),
    });
  }

  /**
   * Why a saved configuration space cannot be this function's, or null: its read-only bits must
   * be what this function hardwires (a snapshot cannot change its identity).
   */
  configProblem(config: Uint8Array): string | null {
    if (config.length !== PCI_CONFIG_SIZE) return `configuration space has ${config.length} bytes`;
    for (let o = 0; o < PCI_CONFIG_SIZE; o++) {
      const fixed = ~(this.writable[o] | this.writeOneToClear[o]) & 0xff;
      if (((config[o] ^ this.resetValue[o]) & fixed) !== 0)
        return `configuration byte 0x${o.toString(16)} changes read-only bits`;
    }
    return null;
  }

  /**
   * Declares a register of `size` bytes (little-endian): its reset value, the bits software may
   * write, and the bits a 1 clears. Undeclared bytes read 0 and ignore writes.
   */
  protected defineRegister(offset: number, size: number, reset: number, writable: number, writeOneToClear = 0): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > PCI_CONFIG_SIZE)
      throw new RangeError(`register at 0x${offset.toString(16)} is outside the configuration space`);
    for (let i = 0; i < size; i++) {
      const o = offset + i,
        shift = 8 * i;
      this.resetValue[o] = this.config[o] = (reset >>> shift) & 0xff;
      this.writable[o] = (writable >>> shift) & 0xff;
      this.writeOneToClear[o] = (writeOneToClear >>> shift) & 0xff;
    }
  }

  /**
   * An I/O base address register decoding `size` bytes (a power of two, 4 to 256): bit 0 reads 1,
   * bit 1 reads 0, the bits below the size read 0 and all bits above are writable, so writing
   * all ones reads back FFFFFFFFh less the size plus the I/O flag (PCI 2.2, 6.2.5.1). An address
   * above FFFFh decodes nothing on a PC (barIoAddress).
   */
  protected defineIoBar(index: number, size: number, reset = 0): void {
    this.checkBarSize(size, 4, 256);
    const mask = ~(size - 1) >>> 0;
    this.defineRegister(PCI_BAR0 + 4 * index, 4, ((reset & mask) | PCI_BAR_IO) >>> 0, mask);
  }

  /** A 32-bit memory base address register decoding `size` bytes (a power of two, at least 16). */
  protected defineMemoryBar(index: number, size: number, prefetchable = false, reset = 0): void {
    this.checkBarSize(size, 16, 0x80000000);
    const flags = prefetchable ? PCI_BAR_MEM_PREFETCH : 0;
    this.defineRegister(PCI_BAR0 + 4 * index, 4, ((reset & ~(size - 1)) | flags) >>> 0, ~(size - 1) >>> 0);
  }

  /**
   * The expansion ROM base address register (30h) for a ROM of `size` bytes (a power of two,
   * 2 KiB to 16 MiB): the address bits above the size and the enable bit (bit 0) are writable,
   * so writing FFFFFFFEh reads back the size mask (PCI 2.2, 6.2.5.2).
   */
  protected defineRomBar(size: number): void {
    this.checkBarSize(size, 0x800, 0x1000000);
    this.defineRegister(PCI_ROM_ADDRESS, 4, 0, (~(size - 1) | PCI_ROM_ENABLE) >>> 0);
  }

  /**
   * Where the expansion ROM decodes: its address while the ROM BAR's enable bit and the command
   * register's memory space bit are both set, else -1.
   */
  romAddress(): number {
    const v = this.read(PCI_ROM_ADDRESS, 4);
    if (!(v & PCI_ROM_ENABLE) || !(this.command & PCI_COMMAND_MEMORY)) return -1;
    return (v & ~0x7ff) >>> 0;
  }

  private checkBarSize(size: number, min: number, max: number): void {
    if (!Number.isInteger(size) || size < min || size > max || (size & (size - 1)) !== 0) {
      throw new RangeError(`a BAR size must be a power of two from ${min} to ${max}, not ${size}`);
    }
  }

  /** The address a BAR holds, without its flag bits (whether or not decoding is enabled). */
  barAddress(index: number): number {
    const v = this.read(PCI_BAR0 + 4 * index, 4);
    return (v & PCI_BAR_IO ? v & ~0x3 : v & ~0xf) >>> 0;
  }

  /** An I/O BAR's port base, or -1 when it lies above the PC's 64 KiB I/O space (as while being sized). */
  barIoAddress(index: number): number {
    const a = this.barAddress(index);
    return a > 0xffff ? -1 : a;
  }

  /**
   * What a BIOS's POST does for a function that decodes one I/O BAR: BAR0 at `ioBase`, the
   * interrupt line register set to the ISA IRQ its INTA# is routed to, I/O decoding on.
   */
  postIoBar0(ioBase: number, irq: number): void {
    this.write(PCI_BAR0, 4, ioBase);
    this.write(PCI_INTERRUPT_LINE, 1, irq);
    this.write(PCI_COMMAND, 2, PCI_COMMAND_IO);
  }

  /** The I/O base software gave BAR0 while I/O decoding is on, else -1. */
  ioBar0Base(): number {
    if (!(this.command & PCI_COMMAND_IO)) return -1;
    const base = this.barAddress(0);
    return base === 0 ? -1 : base;
  }

  /** The command register. */
  get command(): number {
    return this.read(PCI_COMMAND, 2);
  }

  /** Reads `size` (1, 2 or 4) bytes at `offset`, little-endian, as an unsigned number. */
  read(offset: number, size: number): number {
    const c = this.config;
    if (size === 1) return c[offset];
    if (size === 2) return c[offset] | (c[offset + 1] << 8);
    return (c[offset] | (c[offset + 1] << 8) | (c[offset + 2] << 16) | (c[offset + 3] << 24)) >>> 0;
  }

  /** A configuration write of `size` bytes: merged through the writable and write-1-to-clear masks. */
  write(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const o = offset + i,
        b = (value >>> (8 * i)) & 0xff;
      const w = this.writable[o];
      this.config[o] = ((this.config[o] & ~w) | (b & w)) & ~(b & this.writeOneToClear[o]);
    }
    this.configWritten(offset, size);
    this.onConfigWrite?.(offset, size);
  }

  /** Subclass hook after a configuration write. */
  protected configWritten(_offset: number, _size: number): void {}

  /** Sets bits a device reports in its status register (e.g. errors), which software clears. */
  protected setStatusBits(bits: number): void {
    this.config[PCI_STATUS] |= bits & 0xff;
    this.config[PCI_STATUS + 1] |= (bits >> 8) & 0xff;
  }

  /** PCI reset: every register to its reset value. */
  reset(): void {
    this.config.set(this.resetValue);
  }

  saveState(): StateRecord {
    return this.stateDefinition.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    this.stateDefinition.load(this, fields, version);
  }

  /** The saved fields: the configuration space, and a subclass's own beyond it. */
  protected stateFields(): FieldSpecs<PciFunction> {
    return { config: bytes(PCI_CONFIG_SIZE) };
  }

  /** Subclass hook after a state load (re-derive outputs from the restored registers). */
  protected configRestored(): void {}
}
