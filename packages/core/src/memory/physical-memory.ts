// Physical address space of one machine: guest RAM (in the VM memory, memory/layout.ts),
// read-only ROM windows, MMIO windows owned by devices, and the A20 gate.
//
// The space is described page by page (4 KiB) in one Uint16Array, so the CPU's TLB can ask
// "is this page plain RAM?" in one load and keep a direct pointer for it. Everything that is
// not plain RAM goes through the slow accessors here. Unmapped reads return all ones, as an
// undriven bus does on a PC.

import { RAM_BASE, VmMemory } from "./layout.ts";

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** Page kinds in the page map. Values from MMIO_BASE up name an MMIO window. */
export const PAGE_UNMAPPED = 0;
export const PAGE_RAM = 1;
/** ROM whose bytes are held in the RAM array at the same address: fast reads, writes dropped. */
export const PAGE_ROM = 2;
/** ROM held in a separate buffer (e.g. the BIOS alias at the top of 4 GiB): slow reads. */
export const PAGE_ROM_FAR = 3;
export const PAGE_MMIO_BASE = 4;

/** A device's memory-mapped window. Offsets are relative to the window's base. */
export interface MmioHandler {
  read8(offset: number): number;
  write8(offset: number, value: number): void;
  /** Optional wide accessors; without them a wide access is split into bytes. */
  read16?(offset: number): number;
  write16?(offset: number, value: number): void;
  read32?(offset: number): number;
  write32?(offset: number, value: number): void;
}

interface MmioWindow {
  base: number;
  size: number;
  name: string;
  handler: MmioHandler;
  /** False while moveMmio has taken the window off the map. */
  mapped: boolean;
}
interface FarRom {
  base: number;
  bytes: Uint8Array;
}

export class MemoryConfigError extends Error {}

export class PhysicalMemory {
  /** The VM's one memory: CPU state block, TLB and RAM (memory/layout.ts). */
  readonly vm: VmMemory;
  readonly ram: Uint8Array;
  readonly ramSize: number;
  /** One entry per 4 KiB page of the 32-bit physical space. */
  readonly pageMap = new Uint16Array(1 << (32 - PAGE_SHIFT));
  private readonly mmio: MmioWindow[] = [];
  private readonly farRoms: FarRom[] = [];
  /** AND mask applied to every physical address: bit 20 cleared while the A20 gate is closed. */
  a20Mask = -1;
  /** Called whenever the page map or the A20 gate changes, so the CPU can flush its TLB. */
  onMapChange: () => void = () => {};
  /** Called on every MMIO access, so the dispatcher can count it as an exit. */
  onMmio: (write: boolean) => void = () => {};
  /**
   * One byte per RAM page: non-zero while the CPU holds code compiled from the page. A write
   * to such a page (through any path: the CPU's slow path, a device, the firmware) calls
   * onCodeWrite first with the bytes written (offset and length inside the page), which drops
   * the compiled code they overlap.
   */
  readonly codePages: Uint8Array;
  onCodeWrite: (ppn: number, offset: number, len: number) => void = () => {};

  /** A VM memory (allocated by the host, perhaps shared with other threads), or a RAM size in bytes. */
  constructor(vm: VmMemory | number) {
    if (typeof vm === "number") {
      if (vm % PAGE_SIZE !== 0 || vm <= 0) {
        throw new MemoryConfigError(`guest RAM must be a non-zero multiple of 4 KiB, got ${vm} bytes`);
      }
      vm = VmMemory.create(vm);
    }
    this.vm = vm;
    this.ram = new Uint8Array(vm.buffer, RAM_BASE, vm.ramBytes);
    this.ramSize = vm.ramBytes;
    this.codePages = new Uint8Array(this.ramSize >>> PAGE_SHIFT);
    this.pageMap.fill(PAGE_RAM, 0, this.ramSize >>> PAGE_SHIFT);
  }

  get a20Enabled(): boolean {
    return this.a20Mask === -1;
  }
  setA20(enabled: boolean): void {
    const mask = enabled ? -1 : ~(1 << 20);
    if (mask !== this.a20Mask) {
      this.a20Mask = mask;
      this.onMapChange();
    }
  }

  /** Marks [base, base+size) as ROM backed by the RAM array (contents copied in). */
  mapRom(base: number, bytes: Uint8Array): void {
    this.checkWindow(base, bytes.length, "ROM");
    base >>>= 0;
    if (base + bytes.length <= this.ramSize) {
      this.ram.set(bytes, base);
      this.pageMap.fill(PAGE_ROM, base >>> PAGE_SHIFT, (base + bytes.length) >>> PAGE_SHIFT);
    } else {
      this.farRoms.push({ base, bytes });
      this.pageMap.fill(PAGE_ROM_FAR, base / PAGE_SIZE, (base + bytes.length) / PAGE_SIZE);
    }
    this.onMapChange();
  }

  /** Gives [base, base+size) to a device. Overlapping another window is a wiring error. */
  mapMmio(base: number | null, size: number, name: string, handler: MmioHandler): void {
    if (base === null) {
      // Registered off the map: moveMmio places it (a BAR software has not set yet).
      this.checkWindow(0, size, name);
      this.mmio.push({ base: 0, size, name, handler, mapped: false });
      return;
    }
    this.checkWindow(base, size, name);
    const first = (base >>> 0) / PAGE_SIZE,
      end = ((base >>> 0) + size) / PAGE_SIZE;
    for (let p = first; p < end; p++) {
      if (this.pageMap[p] >= PAGE_MMIO_BASE) {
        const other = this.mmio[this.pageMap[p] - PAGE_MMIO_BASE];
        throw new MemoryConfigError(`MMIO window ${name} overlaps ${other.name} at 0x${(p * PAGE_SIZE).toString(16)}`);
      }
    }
    this.mmio.push({ base: base >>> 0, size, name, handler, mapped: true });
    this.pageMap.fill(PAGE_MMIO_BASE + this.mmio.length - 1, first, end);
    this.onMapChange();
  }

  /**
   * Makes the RAM pages of [base, base+size) writable RAM or read-only (ROM whose bytes are the
   * RAM's), as a chipset's shadow-RAM controls (the i440FX's PAM registers) switch the BIOS and
   * option-ROM areas. Pages that are neither RAM nor ROM backed by RAM are left alone.
   */
  setRamWritable(base: number, size: number, writable: boolean): void {
    this.checkWindow(base, size, "shadow RAM");
    const first = (base >>> 0) / PAGE_SIZE,
      end = Math.min((base >>> 0) + size, this.ramSize) / PAGE_SIZE;
    const kind = writable ? PAGE_RAM : PAGE_ROM;
    let changed = false;
    for (let p = first; p < end; p++) {
      const k = this.pageMap[p];
      if ((k === PAGE_RAM || k === PAGE_ROM) && k !== kind) {
        this.pageMap[p] = kind;
        changed = true;
      }
    }
    if (changed) this.onMapChange();
  }

  /**
   * Moves the window `name` mapped earlier to `base`, or takes it off the map (null), as a PCI
   * device's base address register does. A place where anything else is mapped (RAM, ROM,
   * another window) is refused: the window stays off the map and false is returned, as a BAR
   * that software points at a conflicting address decodes nothing useful there.
   */
  moveMmio(name: string, base: number | null): boolean {
    const index = this.mmio.findIndex((w) => w.name === name);
    if (index < 0) throw new MemoryConfigError(`no MMIO window called ${name}`);
    const w = this.mmio[index],
      kind = PAGE_MMIO_BASE + index;
    const pages = w.size / PAGE_SIZE;
    if (w.mapped) {
      if (base !== null && base >>> 0 === w.base) return true;
      this.pageMap.fill(PAGE_UNMAPPED, w.base / PAGE_SIZE, w.base / PAGE_SIZE + pages);
      w.mapped = false;
    }
    let ok = base === null;
    if (base !== null) {
      const first = (base >>> 0) / PAGE_SIZE;
      ok = (base & (PAGE_SIZE - 1)) === 0 && first + pages <= this.pageMap.length;
      for (let p = first; ok && p < first + pages; p++) ok = this.pageMap[p] === PAGE_UNMAPPED;
      if (ok) {
        w.base = base >>> 0;
        this.pageMap.fill(kind, first, first + pages);
        w.mapped = true;
      }
    }
    this.onMapChange();
    return ok;
  }

  private checkWindow(base: number, size: number, name: string): void {
    if ((base & (PAGE_SIZE - 1)) !== 0 || (size & (PAGE_SIZE - 1)) !== 0 || size <= 0) {
      throw new MemoryConfigError(
        `${name} window must be page aligned and sized: base 0x${(base >>> 0).toString(16)}, size 0x${size.toString(16)}`,
      );
    }
  }

  /**
   * Tells the memory that [addr, addr+len) of RAM was written behind the CPU's back (a device,
   * the firmware, a loader writing the RAM array directly), so compiled code from it is dropped.
   */
  noteWrite(addr: number, len: number): void {
    const a = addr >>> 0;
    const first = a >>> PAGE_SHIFT,
      end = Math.min(this.codePages.length, (a + len + PAGE_SIZE - 1) >>> PAGE_SHIFT);
    for (let p = first; p < end; p++) {
      if (this.codePages[p] === 0) continue;
      const lo = Math.max(a, p * PAGE_SIZE),
        hi = Math.min(a + len, (p + 1) * PAGE_SIZE);
      this.onCodeWrite(p, lo & (PAGE_SIZE - 1), hi - lo);
    }
  }

  /** True when physical page number ppn is ordinary RAM (fast reads and writes). */
  isRam(ppn: number): boolean {
    return this.pageMap[ppn] === PAGE_RAM;
  }
  /** True when reads of page ppn can be served from the RAM array directly. */
  isDirectRead(ppn: number): boolean {
    const k = this.pageMap[ppn];
    return k === PAGE_RAM || k === PAGE_ROM;
  }

  read8(addr: number): number {
    addr = (addr & this.a20Mask) >>> 0; // RAM past 2 GiB: an index, not a negative int32
    const kind = this.pageMap[addr >>> PAGE_SHIFT];
    if (kind === PAGE_RAM || kind === PAGE_ROM) return this.ram[addr];
    if (kind >= PAGE_MMIO_BASE) {
      const w = this.mmio[kind - PAGE_MMIO_BASE];
      this.onMmio(false);
      return w.handler.read8((addr >>> 0) - w.base) & 0xff;
    }
    if (kind === PAGE_ROM_FAR) return this.farRead(addr);
    return 0xff;
  }

  write8(addr: number, value: number): void {
    addr = (addr & this.a20Mask) >>> 0; // RAM past 2 GiB: an index, not a negative int32
    const kind = this.pageMap[addr >>> PAGE_SHIFT];
    if (kind === PAGE_RAM) {
      if (this.codePages[addr >>> PAGE_SHIFT] !== 0) this.onCodeWrite(addr >>> PAGE_SHIFT, addr & (PAGE_SIZE - 1), 1);
      this.ram[addr] = value;
      return;
    }
    if (kind >= PAGE_MMIO_BASE) {
      const w = this.mmio[kind - PAGE_MMIO_BASE];
      this.onMmio(true);
      w.handler.write8((addr >>> 0) - w.base, value & 0xff);
    }
  }

  /** 16-bit read; split into bytes unless the whole access lands in one RAM or MMIO page. */
  read16(addr: number): number {
    addr = (addr & this.a20Mask) >>> 0; // RAM past 2 GiB: an index, not a negative int32
    if ((addr & 0xfff) !== 0xfff) {
      const kind = this.pageMap[addr >>> PAGE_SHIFT];
      if (kind === PAGE_RAM || kind === PAGE_ROM) return this.ram[addr] | (this.ram[addr + 1] << 8);
      if (kind >= PAGE_MMIO_BASE) {
        const w = this.mmio[kind - PAGE_MMIO_BASE];
        if (w.handler.read16) {
          this.onMmio(false);
          return w.handler.read16((addr >>> 0) - w.base) & 0xffff;
        }
      }
    }
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }

  read32(addr: number): number {
    addr = (addr & this.a20Mask) >>> 0; // RAM past 2 GiB: an index, not a negative int32
    if ((addr & 0xfff) <= 0xffc) {
      const kind = this.pageMap[addr >>> PAGE_SHIFT];
      if (kind === PAGE_RAM || kind === PAGE_ROM) {
        const r = this.ram;
        return r[addr] | (r[addr + 1] << 8) | (r[addr + 2] << 16) | (r[addr + 3] << 24);
      }
      if (kind >= PAGE_MMIO_BASE) {
        const w = this.mmio[kind - PAGE_MMIO_BASE];
        if (w.handler.read32) {
          this.onMmio(false);
          return w.handler.read32((addr >>> 0) - w.base) | 0;
        }
      }
    }
    return this.read16(addr) | (this.read16(addr + 2) << 16);
  }

  write16(addr: number, value: number): void {
    addr = (addr & this.a20Mask) >>> 0; // RAM past 2 GiB: an index, not a negative int32
    if ((addr & 0xfff) !== 0xfff) {
      const kind = this.pageMap[addr >>> PAGE_SHIFT];
      if (kind >= PAGE_MMIO_BASE) {
        const w = this.mmio[kind - PAGE_MMIO_BASE];
        if (w.handler.write16) {
          this.onMmio(true);
          w.handler.write16((addr >>> 0) - w.base, value & 0xffff);
          return;
        }
      }
    }
    this.write8(addr, value);
    this.write8(addr + 1, value >> 8);
  }

  write32(addr: number, value: number): void {
    addr = (addr & this.a20Mask) >>> 0; // RAM past 2 GiB: an index, not a negative int32
    if ((addr & 0xfff) <= 0xffc) {
      const kind = this.pageMap[addr >>> PAGE_SHIFT];
      if (kind >= PAGE_MMIO_BASE) {
        const w = this.mmio[kind - PAGE_MMIO_BASE];
        if (w.handler.write32) {
          this.onMmio(true);
          w.handler.write32((addr >>> 0) - w.base, value | 0);
          return;
        }
      }
    }
    this.write16(addr, value);
    this.write16(addr + 2, value >>> 16);
  }

  private farRead(addr: number): number {
    const a = addr >>> 0;
    for (const rom of this.farRoms) {
      if (a >= rom.base && a < rom.base + rom.bytes.length) return rom.bytes[a - rom.base];
    }
    return 0xff;
  }
}
