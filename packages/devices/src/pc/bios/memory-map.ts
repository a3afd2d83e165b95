// The PC's physical memory map as the BIOS reports it (INT 15h E820, E801, 88h) and as the
// ACPI tables and the Linux loader use it.
//
// Guest RAM is one block from address 0 up to the RAM size, at most 3 GiB (MAX_RAM_BYTES), so
// it always ends at or below C0000000h: the space from there to 4 GiB is the PCI/MMIO hole and
// is never RAM. No RAM is mapped above 4 GiB (that would need PAE or long mode guests and a
// remap of RAM around the hole; the VM refuses more than 3 GiB instead).
//
//   0 .. EBDA               RAM (conventional memory, 639 KiB)
//   EBDA .. A0000h          reserved: the extended BIOS data area
//   E0000h .. 100000h       reserved: the BIOS area (the ROM at F0000h, the ACPI RSDP)
//   100000h .. top - 64 KiB RAM
//   top - 64 KiB .. top     ACPI reclaim (type 3): the ACPI tables (acpi.ts)
//   FEC00000h .. +4 KiB     reserved: the I/O APIC's registers, when there is one
//   FEE00000h .. +4 KiB     reserved: the local APIC's registers, when there is one
//   FFFF0000h .. 4 GiB      reserved: the BIOS ROM alias the CPU starts in
//
// Between the top of RAM and FEC00000h nothing is listed: that gap is where PCI memory BARs go
// (Linux prints it as "available for PCI devices").

import * as B from "./bda.ts";

export const E820_RAM = 1,
  E820_RESERVED = 2,
  E820_ACPI = 3;

/** The ACPI tables' area at the top of RAM (present when RAM reaches ACPI_MIN_RAM). */
export const ACPI_AREA_SIZE = 0x10000;
/** Below this much RAM there are no ACPI tables (1 MiB machines have no RAM above 1 MiB). */
export const ACPI_MIN_RAM = 0x200000;

/** Where the high BIOS ROM alias starts (the CPU's reset vector is at FFFFFFF0h). */
export const HIGH_ROM_BASE = 0xffff0000;
export const IOAPIC_BASE = 0xfec00000;
export const LAPIC_BASE = 0xfee00000;

export interface E820Entry {
  base: number;
  length: number;
  type: number;
}

export interface MemoryMapOptions {
  /** The board has an I/O APIC and a local APIC at their standard addresses. */
  apic?: boolean;
}

/** Whether a machine with this much RAM gets ACPI tables. */
export function hasAcpiArea(ramSize: number): boolean {
  return ramSize >= ACPI_MIN_RAM;
}

/** The first byte above the RAM an operating system may use freely (the ACPI area follows). */
export function usableRamTop(ramSize: number): number {
  return hasAcpiArea(ramSize) ? ramSize - ACPI_AREA_SIZE : ramSize;
}

/** The E820 map for a machine with `ramSize` bytes of RAM, in address order. */
export function memoryMap(ramSize: number, opts: MemoryMapOptions = {}): E820Entry[] {
  const ebda = B.EBDA_SEGMENT << 4;
  const map: E820Entry[] = [
    { base: 0, length: ebda, type: E820_RAM },
    { base: ebda, length: 0xa0000 - ebda, type: E820_RESERVED },
    { base: 0xe0000, length: 0x20000, type: E820_RESERVED },
  ];
  const top = usableRamTop(ramSize);
  if (top > 0x100000) map.push({ base: 0x100000, length: top - 0x100000, type: E820_RAM });
  if (hasAcpiArea(ramSize)) map.push({ base: top, length: ACPI_AREA_SIZE, type: E820_ACPI });
  if (opts.apic) {
    map.push({ base: IOAPIC_BASE, length: 0x1000, type: E820_RESERVED });
    map.push({ base: LAPIC_BASE, length: 0x1000, type: E820_RESERVED });
  }
  map.push({ base: HIGH_ROM_BASE, length: 0x10000, type: E820_RESERVED });
  return map;
}

/** KiB of RAM from 1 MiB up to the usable top (what INT 15h E801/88h count). */
export function extendedKiB(ramSize: number): number {
  return Math.max(0, Math.floor((usableRamTop(ramSize) - 0x100000) / 1024));
}
