// The ACPI tables parsed back: the RSDP's two checksums and where it points, every table's
// checksum and length, the FADT's register blocks and flags, the FACS, the DSDT's AML, the MADT;
// then the tables as a booted PC holds them (RSDP found by the E0000h-FFFFFh search, tables in
// the E820 ACPI area).
import { describe, expect, it } from "vitest";
import { buildAcpiTables, checksum, dsdtAml, RSDP_ADDRESS } from "./acpi.ts";
import { pkgLength, nameString, eisaId, integer, AmlError } from "./aml.ts";
import { PcMachine } from "../pc.ts";
import { runUntilHaltedForever } from "./guest-call.ts";
import { PC_ACPI_PM_BASE, PC_SCI_IRQ } from "../board.ts";

const MIB = 1 << 20;
const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) => (u16(b, at) | (u16(b, at + 2) << 16)) >>> 0;

/** Reads physical memory as bytes. */
function bytes(pc: PcMachine, at: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = pc.machine.mem.read8(at + i);
  return out;
}
/** A table at a physical address, checked: its checksum sums to zero. */
function table(read: (at: number, n: number) => Uint8Array, at: number, signature: string): Uint8Array {
  const head = read(at, 36);
  expect(ascii(head, 0, 4)).toBe(signature);
  const t = read(at, u32(head, 4));
  expect(checksum(t), `${signature} checksum`).toBe(0);
  return t;
}

describe("AML encoding", () => {
  it("encodes package lengths in one to four bytes", () => {
    expect([...pkgLength(10)]).toEqual([11]);
    expect([...pkgLength(62)]).toEqual([63]);
    // 63 bytes of content plus a two-byte length: 65 = 0x41 -> 0x41 & 0xF, 0x41 >> 4.
    expect([...pkgLength(63)]).toEqual([0x40 | 0x1, 0x4]);
    expect([...pkgLength(4000)]).toEqual([0x40 | (4002 & 0xf), 4002 >> 4]);
    // Two bytes hold up to 4095: 5000 bytes need three (5003 = 138Bh).
    expect([...pkgLength(5000)]).toEqual([0x80 | 0xb, 0x38, 0x01]);
    expect([...pkgLength(0x10000)]).toEqual([0x80 | (0x10003 & 0xf), (0x10003 >> 4) & 0xff, 0x10003 >> 12]);
  });
  it("encodes names, integers and EISA IDs", () => {
    expect([...nameString("\\_S5")]).toEqual([0x5c, 0x5f, 0x53, 0x35, 0x5f]);
    expect([...nameString("\\_SB.PCI0")]).toEqual([0x5c, 0x2e, ...Buffer.from("_SB_PCI0")]);
    expect([...integer(0)]).toEqual([0]);
    expect([...integer(1)]).toEqual([1]);
    expect([...integer(5)]).toEqual([0x0a, 5]);
    expect([...integer(0x1234)]).toEqual([0x0b, 0x34, 0x12]);
    expect([...integer(0x12345678)]).toEqual([0x0c, 0x78, 0x56, 0x34, 0x12]);
    expect([...eisaId("PNP0A03")]).toEqual([0x0c, 0x41, 0xd0, 0x0a, 0x03]);
    expect(() => nameString("\\_SB.TOOLONG")).toThrow(AmlError);
    expect(() => integer(-1)).toThrow(AmlError);
  });
  it("gives the DSDT a \\_S5 package of SLP_TYP 5 and a PNP0A03 host bridge", () => {
    const aml = dsdtAml();
    // NameOp \_S5_ PackageOp len 4 elements: 5, 5, 0, 0
    expect([...aml.subarray(0, 14)]).toEqual([0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 8, 4, 0x0a, 5, 0x0a, 5, 0]);
    expect([...aml.subarray(14, 15)]).toEqual([0]);
    expect(Buffer.from(aml).includes(Buffer.from([0x5b, 0x82]))).toBe(true); // DeviceOp
    expect(Buffer.from(aml).includes(Buffer.from([0x41, 0xd0, 0x0a, 0x03]))).toBe(true);
  });
});

describe("the ACPI tables", () => {
  const cfg = { ramSize: 64 * MIB, pmBase: 0x600, sciIrq: 9 };
  const t = buildAcpiTables(cfg);
  const read = (at: number, n: number) => {
    expect(at).toBeGreaterThanOrEqual(t.base);
    return t.area.subarray(at - t.base, at - t.base + n);
  };

  it("has an ACPI 2.0 RSDP with both checksums, pointing at an RSDT and an XSDT", () => {
    const r = t.rsdp;
    expect(ascii(r, 0, 8)).toBe("RSD PTR ");
    expect(checksum(r, 0, 20)).toBe(0);
    expect(checksum(r, 0, 36)).toBe(0);
    expect(r[15]).toBe(2);
    expect(u32(r, 20)).toBe(36);
    expect(t.base).toBe(64 * MIB - 0x10000);
    const rsdt = table(read, u32(r, 16), "RSDT");
    const xsdt = table(read, u32(r, 24), "XSDT");
    expect(u32(r, 28)).toBe(0); // XSDT address high
    expect(rsdt.length).toBe(40); // one entry: the FADT (no APIC, no MADT)
    expect(u32(xsdt, 36)).toBe(u32(rsdt, 36));
    table(read, u32(rsdt, 36), "FACP");
  });

  it("describes the PM registers, SCI 9, no SMI port, the 32-bit timer and the CF9h reset in the FADT", () => {
    const rsdt = table(read, u32(t.rsdp, 16), "RSDT");
    const f = table(read, u32(rsdt, 36), "FACP");
    expect(f.length).toBe(244);
    expect(f[8]).toBe(3);
    expect(u16(f, 46)).toBe(9);
    expect(u32(f, 48)).toBe(0);
    expect([u32(f, 56), u32(f, 64), u32(f, 76)]).toEqual([0x600, 0x604, 0x608]);
    expect([f[88], f[89], f[91]]).toEqual([4, 2, 4]);
    expect(u32(f, 112) & (1 << 8)).not.toBe(0); // TMR_VAL_EXT
    expect(u16(f, 109) & 3).toBe(3); // legacy devices, 8042
    expect(f[116]).toBe(1); // reset register in I/O space
    expect(u32(f, 120)).toBe(0xcf9);
    expect(f[128]).toBe(6);
    // The 64-bit addresses agree with the 32-bit ones.
    expect(u32(f, 208 + 4)).toBe(0x608);
    expect(f[208 + 3]).toBe(3); // dword access to the timer
    const facs = read(u32(f, 36), 64);
    expect(ascii(facs, 0, 4)).toBe("FACS");
    expect(u32(facs, 4)).toBe(64);
    expect(u32(f, 36) % 64).toBe(0);
    expect(u32(f, 132)).toBe(u32(f, 36));
    const dsdt = table(read, u32(f, 40), "DSDT");
    expect([...dsdt.subarray(36)]).toEqual([...dsdtAml()]);
    expect(u32(f, 140)).toBe(u32(f, 40));
  });

  it("lists the local APIC, the I/O APIC and the IRQ0 and SCI overrides in a MADT when asked", () => {
    const a = buildAcpiTables({ ...cfg, apic: true });
    const rd = (at: number, n: number) => a.area.subarray(at - a.base, at - a.base + n);
    const rsdt = table(rd, u32(a.rsdp, 16), "RSDT");
    expect(rsdt.length).toBe(44);
    const m = table(rd, u32(rsdt, 40), "APIC");
    expect(u32(m, 36)).toBe(0xfee00000);
    const types: number[][] = [];
    for (let at = 44; at < m.length; at += m[at + 1]) types.push([...m.subarray(at, at + m[at + 1])]);
    expect(types.map((e) => e[0])).toEqual([0, 1, 2, 2]);
    expect(types[1][2]).toBe(1); // I/O APIC ID 1 (the CPU is 0)
    expect(u32(Uint8Array.from(types[1]), 4)).toBe(0xfec00000);
    expect(types[2].slice(3, 8)).toEqual([0, 2, 0, 0, 0]); // IRQ0 -> GSI 2
    expect(types[3].slice(3, 10)).toEqual([9, 9, 0, 0, 0, 0x0f, 0]); // SCI: level, active low
  });

  it("are where a booted PC's guest finds them", () => {
    const pc = new PcMachine({ memoryMiB: 16, clock: "deterministic", bootOrder: [] });
    runUntilHaltedForever(pc);
    // The search: 16-byte boundaries of E0000h-FFFFFh.
    let found = -1;
    for (let a = 0xe0000; a < 0x100000 && found < 0; a += 16)
      if (ascii(bytes(pc, a, 8), 0, 8) === "RSD PTR " && checksum(bytes(pc, a, 20)) === 0) found = a;
    expect(found).toBe(RSDP_ADDRESS);
    const rsdp = bytes(pc, found, 36);
    const rsdt = table((at, n) => bytes(pc, at, n), u32(rsdp, 16), "RSDT");
    const fadt = table((at, n) => bytes(pc, at, n), u32(rsdt, 36), "FACP");
    expect(u32(fadt, 56)).toBe(PC_ACPI_PM_BASE);
    expect(u16(fadt, 46)).toBe(PC_SCI_IRQ);
    expect(u32(rsdp, 16)).toBeGreaterThanOrEqual(16 * MIB - 0x10000);
  });
});
