// The ACPI tables the built-in BIOS provides (ACPI 6.4 chapter 5; docs/acpi.md): an ACPI 2.0
// RSDP in the ROM (E0000h-FFFFFh, where operating systems search for it) pointing at an RSDT and
// an XSDT; a revision 3 FADT describing the fixed power management registers (acpi-pm.ts:
// PM1a event and control blocks, the PM timer, SCI on IRQ 9, no SMI command port since the
// board is always in ACPI mode, reset through port CF9h); a FACS; a DSDT in AML (aml.ts) with
// the \_S5 soft-off package and the PCI host bridge; and, on boards with APICs, a MADT.
//
// The tables live in the 64 KiB ACPI area at the top of RAM (memory-map.ts), which the E820 map
// reports as ACPI reclaim memory; the BIOS writes them there at every POST.

import { ACPI_PM_PORTS, PM1_CNT, PM1_STS, PM_TMR, SLP_TYP_S5 } from "../../acpi-pm.ts";
import { cat, device, eisaId, integer, name, pkg, scope } from "./aml.ts";
import { ACPI_AREA_SIZE, IOAPIC_BASE, LAPIC_BASE, usableRamTop } from "./memory-map.ts";
import { IOAPIC_ID } from "../../apic.ts";

export const OEM_ID = "X86VM ";
/** Where the RSDP sits: in the ROM, on a 16-byte boundary of E0000h-FFFFFh as the search wants. */
export const RSDP_ADDRESS = 0xf6000;
const OEM_TABLE_ID = "X86VMPC ";
const CREATOR_ID = "X86V";

/** Offsets of the tables in the ACPI area. */
const FACS_AT = 0x000,
  RSDT_AT = 0x040,
  XSDT_AT = 0x080,
  FADT_AT = 0x100,
  MADT_AT = 0x200,
  DSDT_AT = 0x400;

/** FADT fields (ACPI 6.4 table 5.9): flags and boot architecture flags. */
const FADT_WBINVD = 1 << 0,
  FADT_PROC_C1 = 1 << 2,
  FADT_PWR_BUTTON = 1 << 4, // no fixed-feature power button
  FADT_SLP_BUTTON = 1 << 5, // no sleep button
  FADT_TMR_VAL_EXT = 1 << 8, // the PM timer counts 32 bits
  FADT_RESET_REG_SUP = 1 << 10;
const BOOT_LEGACY_DEVICES = 1 << 0,
  BOOT_8042 = 1 << 1;
const GAS_SYSTEM_IO = 1;
/** CMOS index of the century, for the FADT's CENTURY field. */
const CMOS_CENTURY_INDEX = 0x32;
/** The reset register: the PIIX's reset control at CF9h, value 6 (hard reset). */
const RESET_PORT = 0xcf9,
  RESET_VALUE = 0x06;

/** MADT structure types and flags (ACPI 6.4 section 5.2.12). */
const MADT_LAPIC = 0,
  MADT_IOAPIC = 1,
  MADT_ISO = 2,
  MADT_PCAT_COMPAT = 1 << 0;
/** MPS INTI flags: polarity active high (1) / low (3), trigger edge (1 << 2) / level (3 << 2). */
const INTI_HIGH = 1,
  INTI_LOW = 3,
  INTI_EDGE = 1 << 2,
  INTI_LEVEL = 3 << 2;

export interface AcpiConfig {
  /** Guest RAM size in bytes (the tables go in the ACPI area at its top). */
  ramSize: number;
  /** I/O base of the power management register block (acpi-pm.ts). */
  pmBase: number;
  /** ISA IRQ of the SCI. */
  sciIrq: number;
  /** Describe a local APIC and an I/O APIC in a MADT. */
  apic?: boolean;
}

export interface AcpiTables {
  /** The RSDP's 36 bytes, for the ROM. */
  rsdp: Uint8Array;
  /** Where the ACPI area starts, and its contents (written there at POST). */
  base: number;
  area: Uint8Array;
}

/** The 8-bit sum of bytes [from, to) of b. */
export function checksum(b: Uint8Array, from = 0, to = b.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s = (s + b[i]) & 0xff;
  return s;
}

class Table {
  readonly b: Uint8Array;
  private readonly v: DataView;
  constructor(length: number) {
    this.b = new Uint8Array(length);
    this.v = new DataView(this.b.buffer);
  }
  u8(at: number, x: number): this {
    this.b[at] = x;
    return this;
  }
  u16(at: number, x: number): this {
    this.v.setUint16(at, x, true);
    return this;
  }
  u32(at: number, x: number): this {
    this.v.setUint32(at, x >>> 0, true);
    return this;
  }
  u64(at: number, x: number): this {
    this.v.setUint32(at, x % 4294967296, true);
    this.v.setUint32(at + 4, Math.floor(x / 4294967296), true);
    return this;
  }
  ascii(at: number, s: string): this {
    for (let i = 0; i < s.length; i++) this.b[at + i] = s.charCodeAt(i);
    return this;
  }
  /** A Generic Address Structure (system I/O). */
  gas(at: number, port: number, bits: number, accessSize: number): this {
    if (port === 0) return this;
    return this.u8(at, GAS_SYSTEM_IO)
      .u8(at + 1, bits)
      .u8(at + 2, 0)
      .u8(at + 3, accessSize)
      .u64(at + 4, port);
  }
  /** The standard header (the checksum is set by seal). */
  header(signature: string, revision: number): this {
    return this.ascii(0, signature)
      .u32(4, this.b.length)
      .u8(8, revision)
      .ascii(10, OEM_ID)
      .ascii(16, OEM_TABLE_ID)
      .u32(24, 1)
      .ascii(28, CREATOR_ID)
      .u32(32, 1);
  }
  seal(): Uint8Array {
    this.b[9] = 0;
    this.b[9] = (256 - checksum(this.b)) & 0xff;
    return this.b;
  }
}

/** The DSDT's AML: soft-off and the PCI host bridge. */
export function dsdtAml(): Uint8Array {
  return cat(
    // \_S5: SLP_TYP values for PM1a and PM1b control, and two reserved entries.
    name("\\_S5", pkg(integer(SLP_TYP_S5), integer(SLP_TYP_S5), integer(0), integer(0))),
    scope("\\_SB", device("PCI0", name("_HID", eisaId("PNP0A03")), name("_ADR", integer(0)), name("_UID", integer(0)))),
  );
}

function buildFadt(cfg: AcpiConfig, base: number): Uint8Array {
  const pm = cfg.pmBase;
  const t = new Table(244).header("FACP", 3);
  t.u32(36, base + FACS_AT)
    .u32(40, base + DSDT_AT)
    .u8(45, 0) // preferred PM profile: unspecified
    .u16(46, cfg.sciIrq)
    .u32(48, 0) // SMI_CMD: none, the machine is always in ACPI mode
    .u32(56, pm + PM1_STS)
    .u32(64, pm + PM1_CNT)
    .u32(76, pm + PM_TMR)
    .u8(88, 4) // PM1_EVT_LEN
    .u8(89, 2) // PM1_CNT_LEN
    .u8(91, 4) // PM_TMR_LEN
    .u16(96, 101) // P_LVL2_LAT > 100: no C2
    .u16(98, 1001) // P_LVL3_LAT > 1000: no C3
    .u8(108, CMOS_CENTURY_INDEX)
    .u16(109, BOOT_LEGACY_DEVICES | BOOT_8042)
    .u32(112, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP)
    .gas(116, RESET_PORT, 8, 1)
    .u8(128, RESET_VALUE)
    .u64(132, base + FACS_AT)
    .u64(140, base + DSDT_AT)
    .gas(148, pm + PM1_STS, 32, 2)
    .gas(172, pm + PM1_CNT, 16, 2)
    .gas(208, pm + PM_TMR, 32, 3);
  return t.seal();
}

function buildMadt(cfg: AcpiConfig): Uint8Array {
  const entries: number[][] = [];
  entries.push([MADT_LAPIC, 8, 0, 0, 1, 0, 0, 0]); // processor 0, APIC ID 0, enabled
  entries.push([MADT_IOAPIC, 12, IOAPIC_ID, 0, ...le32(IOAPIC_BASE), ...le32(0)]); // GSI base 0
  // IRQ0 (the PIT) arrives at I/O APIC input 2; the SCI is level-triggered, active low.
  entries.push([MADT_ISO, 10, 0, 0, ...le32(2), ...le16(INTI_HIGH | INTI_EDGE)]);
  entries.push([MADT_ISO, 10, 0, cfg.sciIrq, ...le32(cfg.sciIrq), ...le16(INTI_LOW | INTI_LEVEL)]);
  const body = entries.flat();
  const t = new Table(44 + body.length).header("APIC", 3);
  t.u32(36, LAPIC_BASE).u32(40, MADT_PCAT_COMPAT);
  t.b.set(body, 44);
  return t.seal();
}

function le16(x: number): number[] {
  return [x & 0xff, (x >> 8) & 0xff];
}
function le32(x: number): number[] {
  return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24];
}

/** Builds every table for a machine; the RSDP goes in the ROM, the rest in the ACPI area. */
export function buildAcpiTables(cfg: AcpiConfig): AcpiTables {
  if (cfg.pmBase <= 0 || cfg.pmBase + ACPI_PM_PORTS > 0x10000) throw new RangeError("ACPI: bad PM register base");
  const base = usableRamTop(cfg.ramSize);
  const area = new Uint8Array(ACPI_AREA_SIZE);

  const facs = new Table(64).ascii(0, "FACS").u32(4, 64).u8(32, 1); // version 1
  area.set(facs.b, FACS_AT);

  const aml = dsdtAml();
  const dsdt = new Table(36 + aml.length).header("DSDT", 1);
  dsdt.b.set(aml, 36);
  area.set(dsdt.seal(), DSDT_AT);

  area.set(buildFadt(cfg, base), FADT_AT);
  const pointers = [base + FADT_AT];
  if (cfg.apic) {
    area.set(buildMadt(cfg), MADT_AT);
    pointers.push(base + MADT_AT);
  }

  const rsdt = new Table(36 + 4 * pointers.length).header("RSDT", 1);
  pointers.forEach((p, i) => rsdt.u32(36 + 4 * i, p));
  area.set(rsdt.seal(), RSDT_AT);
  const xsdt = new Table(36 + 8 * pointers.length).header("XSDT", 1);
  pointers.forEach((p, i) => xsdt.u64(36 + 8 * i, p));
  area.set(xsdt.seal(), XSDT_AT);

  // RSDP (ACPI 6.4 section 5.2.5.3): the first checksum covers the ACPI 1.0 part (20 bytes),
  // the extended checksum all 36.
  const rsdp = new Table(36);
  rsdp
    .ascii(0, "RSD PTR ")
    .ascii(9, OEM_ID)
    .u8(15, 2)
    .u32(16, base + RSDT_AT)
    .u32(20, 36)
    .u64(24, base + XSDT_AT);
  rsdp.b[8] = (256 - checksum(rsdp.b, 0, 20)) & 0xff;
  rsdp.b[32] = (256 - checksum(rsdp.b, 0, 36)) & 0xff;
  return { rsdp: rsdp.b, base, area };
}
