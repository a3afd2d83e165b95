// PCI bus 0 and configuration mechanism #1 (PCI Local Bus Specification 2.1, "Configuration Mechanism #1"):
// the 32-bit CONFIG_ADDRESS register and the 4-byte CONFIG_DATA window, as the i440FX host
// bridge decodes them.
//
// CONFIG_ADDRESS: bit 31 enables, bits 23-16 bus, 15-11 device, 10-8 function, 7-2 register;
// bits 30-24 and 1-0 are reserved and read 0. Only a doubleword access at the address port
// reaches the register: byte and word accesses there pass through to the bus as ordinary I/O
// (82441FX datasheet, CONFADD), which is where the PIIX3's reset control register sits (CF9h).
// A CONFIG_DATA access of any size at any of its four ports reaches the selected doubleword at
// that byte offset. Nothing answers for an absent function, another bus, or a disabled
// CONFIG_ADDRESS: the host bridge's master abort reads all ones and drops writes.
//
// Functions are PciFunction objects added at (device, function); any PciFunction subclass can
// be added, which is the hook for further devices. The machine's PCI BIOS uses configRead and
// configWrite directly.

import { bits, defineState, field, type IoSurface, type StateRecord, type Stateful } from "@x86vm/core";
import type { PciFunction } from "./pci-function.ts";

export const PCI_CONFIG_ADDRESS = 0;
export const PCI_CONFIG_DATA = 4;
export const CONFIG_ADDRESS_ENABLE = 0x80000000;
/** Bits of CONFIG_ADDRESS that hold a value (enable, bus, device, function, register). */
export const CONFIG_ADDRESS_MASK = 0x80fffffc;
export const PCI_DEVICES = 32;
export const PCI_FUNCTIONS = 8;

/** A byte-wide register that an ordinary I/O cycle can reach inside the address port range. */
export interface PassThroughRegister {
  read8(): number;
  write8(value: number): void;
}

const ALL_ONES = [0, 0xff, 0xffff, 0, 0xffffffff];

export class PciBus implements Stateful {
  private configAddress = 0;
  private readonly slots: (PciFunction | null)[] = new Array<PciFunction | null>(PCI_DEVICES * PCI_FUNCTIONS).fill(
    null,
  );

  /** Puts a function at (device, function) on bus 0. */
  add(device: number, fn: number, f: PciFunction): void {
    const i = this.slotIndex(device, fn);
    if (this.slots[i]) throw new RangeError(`PCI ${device}.${fn} is already taken by ${this.slots[i]!.stateName}`);
    this.slots[i] = f;
  }

  /** The function at (device, function), or null. */
  at(device: number, fn: number): PciFunction | null {
    return this.slots[this.slotIndex(device, fn)];
  }

  /** Every function with its address, in device/function order (e.g. for the snapshot list). */
  functions(): { device: number; fn: number; f: PciFunction }[] {
    const out: { device: number; fn: number; f: PciFunction }[] = [];
    this.slots.forEach((f, i) => {
      if (f) out.push({ device: i >> 3, fn: i & 7, f });
    });
    return out;
  }

  private slotIndex(device: number, fn: number): number {
    if (
      !Number.isInteger(device) ||
      device < 0 ||
      device >= PCI_DEVICES ||
      !Number.isInteger(fn) ||
      fn < 0 ||
      fn >= PCI_FUNCTIONS
    ) {
      throw new RangeError(`no PCI slot ${device}.${fn}`);
    }
    return device * PCI_FUNCTIONS + fn;
  }

  private checkAccess(offset: number, size: number): void {
    if ((size !== 1 && size !== 2 && size !== 4) || !Number.isInteger(offset) || offset < 0 || offset + size > 256) {
      throw new RangeError(`bad PCI configuration access of ${size} bytes at 0x${offset.toString(16)}`);
    }
  }

  /** Reads `size` (1, 2, 4) bytes of configuration space; all ones where no function answers. */
  configRead(bus: number, device: number, fn: number, offset: number, size: number): number {
    this.checkAccess(offset, size);
    const f = bus === 0 ? this.slots[((device & 31) << 3) | (fn & 7)] : null;
    return f ? f.read(offset, size) : ALL_ONES[size];
  }

  /** Writes `size` bytes of configuration space; dropped where no function answers. */
  configWrite(bus: number, device: number, fn: number, offset: number, size: number, value: number): void {
    this.checkAccess(offset, size);
    const f = bus === 0 ? this.slots[((device & 31) << 3) | (fn & 7)] : null;
    f?.write(offset, size, value);
  }

  /** The CONFIG_ADDRESS register as software reads it. */
  get address(): number {
    return this.configAddress >>> 0;
  }

  /**
   * Ports base+0..3 (CONFIG_ADDRESS) and base+4..7 (CONFIG_DATA). `passThrough` answers byte
   * accesses at base+1 (the PIIX3 reset control register at CF9h on a PC).
   */
  ioSurface(base: number, passThrough?: PassThroughRegister, name = "pci-config"): IoSurface {
    return {
      name,
      ports: [
        {
          base: base + PCI_CONFIG_ADDRESS,
          count: 4,
          read32: () => this.configAddress,
          write32: (_o, v) => {
            this.configAddress = v & CONFIG_ADDRESS_MASK;
          },
          read8: (o) => (o === 1 && passThrough ? passThrough.read8() : 0xff),
          write8: (o, v) => {
            if (o === 1) passThrough?.write8(v);
          },
        },
        {
          base: base + PCI_CONFIG_DATA,
          count: 4,
          read8: (o) => this.dataRead(o, 1),
          read16: (o) => (o <= 2 ? this.dataRead(o, 2) : this.dataRead(o, 1) | 0xff00),
          read32: (o) => (o === 0 ? this.dataRead(0, 4) : 0xffffffff),
          write8: (o, v) => this.dataWrite(o, 1, v),
          write16: (o, v) => {
            if (o <= 2) this.dataWrite(o, 2, v);
            else this.dataWrite(o, 1, v);
          },
          write32: (o, v) => {
            if (o === 0) this.dataWrite(0, 4, v);
          },
        },
      ],
    };
  }

  private dataRead(offset: number, size: number): number {
    const a = this.configAddress;
    if (!(a & CONFIG_ADDRESS_ENABLE)) return ALL_ONES[size];
    return this.configRead((a >>> 16) & 0xff, (a >>> 11) & 31, (a >>> 8) & 7, (a & 0xfc) + offset, size);
  }

  private dataWrite(offset: number, size: number, value: number): void {
    const a = this.configAddress;
    if (!(a & CONFIG_ADDRESS_ENABLE)) return;
    this.configWrite((a >>> 16) & 0xff, (a >>> 11) & 31, (a >>> 8) & 7, (a & 0xfc) + offset, size, value);
  }

  /** Bus reset: CONFIG_ADDRESS cleared and every function reset. */
  reset(): void {
    this.configAddress = 0;
    for (const f of this.slots) f?.reset();
  }

  static readonly STATE = defineState<PciBus>()({
    name: "pci-bus",
    version: 1,
    minVersion: 1,
    fields: {
      configAddress: field(bits(CONFIG_ADDRESS_MASK), {
        get: (bus) => bus.configAddress >>> 0,
        set: (bus, v) => (bus.configAddress = v),
      }),
    },
  });
  readonly stateDefinition = PciBus.STATE;
  readonly stateName = PciBus.STATE.name;
  readonly stateVersion = PciBus.STATE.version;
  readonly stateMinVersion = PciBus.STATE.minVersion;

  saveState(): StateRecord {
    return PciBus.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    PciBus.STATE.load(this, fields, version);
  }
}
