// INT 11h, 12h, 15h, 19h and 1Ah on the real board, called by guest programs: the memory map
// (E820 walk, E801, 88h), the configuration table, the A20 gate and what it does to memory,
// block moves, waits, the tick count and the RTC, booting from floppy and hard disk images
// made here, the PCI BIOS, and the unsupported functions.

import { describe, it, expect } from "vitest";
import { MemoryDisk } from "../../../../core/src/storage/disk.ts";
import { guestInt, runGuest, runUntilHaltedForever, type GuestRegs } from "./guest-call.ts";
import { CONFIG_TABLE, ROM_SEGMENT } from "./rom.ts";
import { PcMachine, type PcOptions } from "../pc.ts";

function board(opts: PcOptions = {}): PcMachine {
  const pc = new PcMachine({ memoryMiB: 8, clock: "deterministic", bootOrder: [], ...opts });
  runUntilHaltedForever(pc);
  return pc;
}
const int15 = (pc: PcMachine, r: GuestRegs) => guestInt(pc, 0x15, r);
const int1a = (pc: PcMachine, r: GuestRegs) => guestInt(pc, 0x1a, r);
const SMAP = 0x534d4150;

describe("INT 11h and INT 12h", () => {
  it("report the equipment word and 639 KiB of conventional memory", () => {
    const pc = board();
    const eq = guestInt(pc, 0x11).ax;
    expect((eq >> 4) & 3).toBe(2); // 80x25 colour
    expect((eq >> 9) & 7).toBe(4); // four serial ports
    expect(eq & 1).toBe(0); // no floppy
    expect(guestInt(pc, 0x12).ax).toBe(639);
  });
});

describe("INT 15h memory size", () => {
  it("E820 walks the whole map with EBX as the continuation", () => {
    const pc = board({ memoryMiB: 64 });
    const mem = pc.machine.mem;
    const entries: [number, number, number][] = [];
    let ebx = 0;
    do {
      const r = int15(pc, { eax: 0xe820, ebx, ecx: 24, edx: SMAP, es: 0x1000, edi: 0x20 });
      expect(r.cf).toBe(false);
      expect(r.eax).toBe(SMAP);
      expect(r.ecx).toBe(20);
      expect(mem.read32(0x10024)).toBe(0); // base high
      entries.push([mem.read32(0x10020) >>> 0, mem.read32(0x10028) >>> 0, mem.read32(0x10030)]);
      ebx = r.ebx;
    } while (ebx !== 0 && entries.length < 10);
    expect(entries).toEqual([
      [0, 0x9fc00, 1],
      [0x9fc00, 0x400, 2],
      [0xe0000, 0x20000, 2],
      [0x100000, (63 << 20) - 0x10000, 1],
      [(64 << 20) - 0x10000, 0x10000, 3], // the ACPI tables
      [0xfec00000, 0x1000, 2], // the I/O APIC
      [0xfee00000, 0x1000, 2], // the local APIC
      [0xffff0000, 0x10000, 2], // the ROM alias at the top of the 4 GiB space
    ]);
    // Past the end, or with a buffer under 20 bytes: CF=1.
    expect(int15(pc, { eax: 0xe820, ebx: 9, ecx: 20, edx: SMAP, es: 0x1000 }).cf).toBe(true);
    expect(int15(pc, { eax: 0xe820, ebx: 0, ecx: 16, edx: SMAP, es: 0x1000 }).cf).toBe(true);
  });

  it("E801 splits memory at 16 MiB; 88h counts KiB above 1 MiB", () => {
    const small = board({ memoryMiB: 8 });
    let r = int15(small, { eax: 0xe801 });
    expect(r.cf).toBe(false);
    // The top 64 KiB hold the ACPI tables.
    expect([r.ax, r.cx, r.bx, r.dx]).toEqual([7104, 7104, 0, 0]);
    expect(int15(small, { eax: 0x8800 }).ax).toBe(7104);
    const big = board({ memoryMiB: 96 });
    r = int15(big, { eax: 0xe801 });
    expect([r.ax, r.cx, r.bx, r.dx]).toEqual([15360, 15360, 80 * 16 - 1, 80 * 16 - 1]);
    expect(int15(big, { eax: 0x8800 }).ax).toBe(0xfc00); // capped at 63 MiB, as AT BIOSes do
    expect(int15(big, { eax: 0x8800 }).cf).toBe(false);
  });

  it("counts 2 GiB and 3 GiB without going negative (E801, 88h, E820, CMOS)", () => {
    for (const mib of [2048, 3072]) {
      const pc = board({ memoryMiB: mib });
      const r = int15(pc, { eax: 0xe801 });
      expect(r.cf).toBe(false);
      expect([r.ax, r.bx]).toEqual([15360, (mib - 16) * 16 - 1]);
      expect(int15(pc, { eax: 0x8800 }).ax).toBe(0xfc00);
      // The RAM entry above 1 MiB and the ACPI area end at the top of RAM, below the PCI hole.
      const entries: [number, number, number][] = [];
      let ebx = 0;
      do {
        const e = int15(pc, { eax: 0xe820, ebx, ecx: 20, edx: SMAP, es: 0x1000, edi: 0 });
        const mem = pc.machine.mem;
        entries.push([mem.read32(0x10000) >>> 0, mem.read32(0x10008) >>> 0, mem.read32(0x10010)]);
        ebx = e.ebx;
      } while (ebx !== 0 && entries.length < 10);
      expect(entries[3]).toEqual([0x100000, mib * 2 ** 20 - 0x110000, 1]);
      expect(entries[4]).toEqual([mib * 2 ** 20 - 0x10000, 0x10000, 3]);
      // CMOS 30h/31h: 63 MiB at most; 34h/35h: 64 KiB blocks above 16 MiB.
      expect(pc.rtc.getCmos(0x30) | (pc.rtc.getCmos(0x31) << 8)).toBe(0xffff);
      expect(pc.rtc.getCmos(0x34) | (pc.rtc.getCmos(0x35) << 8)).toBe((mib - 16) * 16);
    }
  });

  it("C0h points ES:BX at the configuration table", () => {
    const pc = board();
    const r = int15(pc, { eax: 0xc000 });
    expect(r.cf).toBe(false);
    expect(r.ah).toBe(0);
    expect([r.es, r.bx]).toEqual([ROM_SEGMENT, CONFIG_TABLE]);
    const at = (ROM_SEGMENT << 4) + CONFIG_TABLE,
      mem = pc.machine.mem;
    expect(mem.read16(at)).toBe(8);
    expect(mem.read8(at + 2)).toBe(0xfc);
    expect(mem.read8(at + 5) & 0x70).toBe(0x70); // second PIC, RTC, INT 15h/4Fh
    expect(mem.read8(at + 6) & 0x40).toBe(0x40); // INT 16h/09h
  });
});

describe("INT 15h A20 gate", () => {
  /** mov bx,0FFFFh; mov es,bx; mov al,[es:0510h]: reads physical 100500h (or 500h with A20 off). */
  const readHigh = (pc: PcMachine) => runGuest(pc, [0xbb, 0xff, 0xff, 0x8e, 0xc3, 0x26, 0xa0, 0x10, 0x05]).al;

  it("2400h/2401h turn the gate off and on; 2402h reports it; 2403h names the methods", () => {
    const pc = board();
    pc.machine.mem.write8(0x500, 0x11);
    expect(int15(pc, { eax: 0x2401 }).cf).toBe(false);
    pc.machine.mem.write8(0x100500, 0x22);
    expect(readHigh(pc)).toBe(0x22);
    expect(int15(pc, { eax: 0x2402 }).al).toBe(1);
    const off = int15(pc, { eax: 0x2400 });
    expect(off.cf).toBe(false);
    expect(off.ah).toBe(0);
    expect(readHigh(pc)).toBe(0x11); // wraps at 1 MiB
    expect(int15(pc, { eax: 0x2402 }).al).toBe(0);
    int15(pc, { eax: 0x2401 });
    expect(readHigh(pc)).toBe(0x22);
    const methods = int15(pc, { eax: 0x2403 });
    expect(methods.cf).toBe(false);
    expect(methods.bx).toBe(3); // keyboard controller and port 92h
  });

  it("87h moves a block between the addresses of the GDT at ES:SI, with A20 left as it was", () => {
    const pc = board();
    const mem = pc.machine.mem;
    for (let i = 0; i < 256; i++) mem.write8(0x200000 + i, i ^ 0x5a);
    // GDT at 0000:0800: descriptors at +10h (source) and +18h (destination): limit, base 0-23, access, base 24-31.
    const desc = (at: number, base: number) => {
      mem.write16(at, 0xffff);
      mem.write16(at + 2, base & 0xffff);
      mem.write8(at + 4, (base >> 16) & 0xff);
      mem.write8(at + 5, 0x93);
      mem.write8(at + 7, (base >>> 24) & 0xff);
    };
    desc(0x810, 0x200000);
    desc(0x818, 0x30000);
    int15(pc, { eax: 0x2400 });
    const r = int15(pc, { eax: 0x8700, ecx: 128, es: 0, esi: 0x800 });
    expect(r.cf).toBe(false);
    expect(r.ah).toBe(0);
    for (const i of [0, 1, 100, 255]) expect(mem.read8(0x30000 + i)).toBe(i ^ 0x5a);
    expect(int15(pc, { eax: 0x2402 }).al).toBe(0);
  });
});

describe("INT 15h waits", () => {
  it("86h waits CX:DX microseconds of machine time", () => {
    const pc = board();
    const r = int15(pc, { eax: 0x8600, ecx: 0x0001, edx: 0x86a0 }); // 100 000 us
    expect(r.cf).toBe(false);
    expect(r.elapsedNs).toBeGreaterThanOrEqual(100e6);
    expect(r.elapsedNs).toBeLessThan(102e6);
  });

  it("a 2 ms wait ends within a millisecond of its time, not at the next 55 ms tick", () => {
    const pc = board();
    for (let i = 0; i < 3; i++) {
      const r = int15(pc, { eax: 0x8600, ecx: 0, edx: 2000 });
      expect(r.elapsedNs).toBeGreaterThanOrEqual(2e6);
      expect(r.elapsedNs).toBeLessThan(3.1e6);
    }
    // The periodic interrupt the wait used is off again.
    pc.machine.io.io.out8(0x70, 0x0b);
    expect(pc.machine.io.io.in8(0x71) & 0x40).toBe(0);
  });
});

describe("INT 1Ah time of day", () => {
  const START = Date.UTC(2026, 4, 17, 13, 45, 30);

  it("00h counts timer ticks, 01h sets them", () => {
    const pc = board({ startTimeMs: START });
    const ticks = (r: { cx: number; dx: number }) => (r.cx << 16) | r.dx;
    const t0 = ticks(int1a(pc, { eax: 0 }));
    const atPost = Math.floor(((13 * 3600 + 45 * 60 + 30) * 0x1800b0) / 86400);
    expect(t0 - atPost).toBeGreaterThanOrEqual(0);
    expect(t0 - atPost).toBeLessThanOrEqual(1);
    int15(pc, { eax: 0x8600, ecx: 0x000f, edx: 0x4240 }); // one second
    const t1 = ticks(int1a(pc, { eax: 0 }));
    expect(t1 - t0).toBeGreaterThanOrEqual(18);
    expect(t1 - t0).toBeLessThanOrEqual(19);
    expect(int1a(pc, { eax: 0x0100, ecx: 0x0012, edx: 0x3456 }).cf).toBe(false);
    expect(ticks(int1a(pc, { eax: 0 }))).toBe(0x123456);
  });

  it("02h/04h read the RTC in BCD; 03h/05h set it; DL carries daylight saving", () => {
    const pc = board({ startTimeMs: START });
    let r = int1a(pc, { eax: 0x0200 });
    expect(r.cf).toBe(false);
    expect([r.cx, r.dx >> 8]).toEqual([0x1345, 0x30]);
    r = int1a(pc, { eax: 0x0400 });
    expect([r.cx, r.dx]).toEqual([0x2026, 0x0517]);
    expect(int1a(pc, { eax: 0x0300, ecx: 0x2359, edx: 0x5801 }).cf).toBe(false);
    r = int1a(pc, { eax: 0x0200 });
    expect([r.cx, r.dx]).toEqual([0x2359, 0x5801]);
    expect(int1a(pc, { eax: 0x0500, ecx: 0x1999, edx: 0x1231 }).cf).toBe(false);
    r = int1a(pc, { eax: 0x0400 });
    expect([r.cx, r.dx]).toEqual([0x1999, 0x1231]);
  });

  it("answers in BCD when the RTC counts in binary", () => {
    const pc = board({ startTimeMs: START });
    const io = pc.machine.io.io;
    io.out8(0x70, 0x0b);
    const regB = io.in8(0x71);
    io.out8(0x70, 0x0b);
    io.out8(0x71, regB | 0x04);
    const r = int1a(pc, { eax: 0x0200 });
    expect([r.cx, r.dx >> 8]).toEqual([0x1345, 0x30]);
    int1a(pc, { eax: 0x0300, ecx: 0x0809, edx: 0x1000 });
    io.out8(0x70, 0x04);
    expect(io.in8(0x71)).toBe(8); // stored in binary
  });
});

describe("INT 1Ah PCI BIOS", () => {
  it("B101h: installed, mechanism #1, version 2.10, bus 0 only", () => {
    const pc = board();
    const r = int1a(pc, { eax: 0xb101 });
    expect(r.cf).toBe(false);
    expect(r.ah).toBe(0);
    expect(r.al & 1).toBe(1);
    expect(r.bx).toBe(0x0210);
    expect(r.cx & 0xff).toBe(0);
    expect(r.edx).toBe(0x20494350);
  });

  it("B102h finds devices by ID and index; B103h by class code", () => {
    const pc = board();
    const find = (dev: number, index = 0) => int1a(pc, { eax: 0xb102, ecx: dev, edx: 0x8086, esi: index });
    expect(find(0x1237).bx).toBe(0x0000);
    expect(find(0x7000).bx).toBe(0x0008);
    const ide = find(0x7010);
    expect(ide.cf).toBe(false);
    expect(ide.bx).toBe(0x0009);
    const second = find(0x1237, 1);
    expect(second.cf).toBe(true);
    expect(second.ah).toBe(0x86);
    const bad = int1a(pc, { eax: 0xb102, ecx: 0x1234, edx: 0xffff });
    expect(bad.ah).toBe(0x83);
    expect(int1a(pc, { eax: 0xb103, ecx: 0x010180 }).bx).toBe(0x0009);
    expect(int1a(pc, { eax: 0xb103, ecx: 0x060100 }).bx).toBe(0x0008);
    expect(int1a(pc, { eax: 0xb103, ecx: 0x030000 }).bx).toBe(0x0010); // the VGA, device 2
    expect(int1a(pc, { eax: 0xb103, ecx: 0x040100 }).ah).toBe(0x86);
  });

  it("B108h-B10Dh read and write configuration space by byte, word and dword", () => {
    const pc = board();
    const at = (reg: number, ecx = 0) => ({ ebx: 0x0008, edi: reg, ecx });
    expect(int1a(pc, { eax: 0xb108, ...at(0) }).cx & 0xff).toBe(0x86);
    expect(int1a(pc, { eax: 0xb109, ...at(2) }).cx).toBe(0x7000);
    expect(int1a(pc, { eax: 0xb10a, ...at(0) }).ecx).toBe(0x70008086);
    // PIRQA route (60h) is a byte register; the IDE function's BAR4 (20h) a dword.
    expect(int1a(pc, { eax: 0xb10b, ...at(0x60, 0x0b) }).cf).toBe(false);
    expect(pc.pci.configRead(0, 1, 0, 0x60, 1)).toBe(0x0b);
    expect(int1a(pc, { eax: 0xb10d, ebx: 0x0009, edi: 0x20, ecx: 0xd001 }).cf).toBe(false);
    expect(int1a(pc, { eax: 0xb10a, ebx: 0x0009, edi: 0x20 }).ecx).toBe(0xd001);
    expect(int1a(pc, { eax: 0xb10c, ebx: 0x0009, edi: 0x3c, ecx: 0x0105 }).cf).toBe(false);
    // Misaligned registers are refused (87h).
    const odd = int1a(pc, { eax: 0xb109, ...at(1) });
    expect(odd.cf).toBe(true);
    expect(odd.ah).toBe(0x87);
    expect(int1a(pc, { eax: 0xb10d, ...at(2) }).ah).toBe(0x87);
    // No function there: all ones.
    expect(int1a(pc, { eax: 0xb10a, ebx: 0x00f8, edi: 0 }).ecx).toBe(0xffffffff);
  });

  it("counts the functions it does not provide (81h)", () => {
    const pc = board();
    const r = int1a(pc, { eax: 0xb10e });
    expect(r.cf).toBe(true);
    expect(r.ah).toBe(0x81);
    expect(pc.bios.unsupported.get("INT 1ah AX=b10e")).toBe(1);
  });
});

describe("INT 19h bootstrap", () => {
  /** mov ax,0E42h ('B'); int 10h; mov [0500h],dl; cli; hlt */
  const BOOT = [0xb8, 0x42, 0x0e, 0xcd, 0x10, 0x88, 0x16, 0x00, 0x05, 0xfa, 0xf4];
  function disk(size: number, signature: boolean, marker = 0x42): MemoryDisk {
    const bytes = new Uint8Array(size);
    bytes.set(BOOT);
    bytes[1] = marker;
    if (signature) bytes.set([0x55, 0xaa], 510);
    return new MemoryDisk(bytes);
  }
  function boot(opts: PcOptions): PcMachine {
    const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic", ...opts });
    runUntilHaltedForever(pc);
    return pc;
  }
  const screen = (pc: PcMachine) => pc.textRows()!.join("\n");

  it("loads a floppy's first sector at 0000:7C00 and enters it with DL = 00h, if it has the signature", () => {
    const pc = boot({ fda: disk(1474560, true) });
    expect(screen(pc)).toContain("B");
    expect(pc.machine.mem.read8(0x500)).toBe(0x00);
    expect(pc.machine.mem.read8(0x7c00)).toBe(0xb8);
    const none = boot({ fda: disk(1474560, false) });
    expect(screen(none)).toContain("Boot from floppy failed: not a bootable disk (no boot signature)");
    expect(screen(none)).toContain("No bootable device. System halted.");
  });

  it("boots a hard disk with DL = 80h only when it carries the 55AAh signature", () => {
    const pc = boot({ hda: disk(1 << 20, true, 0x48) });
    expect(screen(pc)).toContain("H");
    expect(pc.machine.mem.read8(0x500)).toBe(0x80);
    const none = boot({ hda: disk(1 << 20, false) });
    expect(screen(none)).toContain("No bootable device");
  });

  it("follows the boot order it is given", () => {
    const pc = boot({ fda: disk(737280, true, 0x46), hda: disk(1 << 20, true, 0x48), bootOrder: ["hdd", "floppy"] });
    expect(screen(pc)).toMatch(/^H/);
    const def = boot({ fda: disk(737280, true, 0x46), hda: disk(1 << 20, true, 0x48) });
    expect(screen(def)).toMatch(/^F/);
  });

  it("says so when nothing can boot", () => {
    const pc = boot({});
    expect(screen(pc)).toContain("No bootable device");
  });
});

describe("unsupported functions", () => {
  it("INT 15h and INT 1Ah answer CF=1, AH=86h and are counted", () => {
    const pc = board();
    for (const [vec, ax] of [
      [0x15, 0x9900],
      [0x15, 0x9900],
      [0x1a, 0x7700],
    ]) {
      const r = guestInt(pc, vec, { eax: ax });
      expect(r.cf).toBe(true);
      expect(r.ah).toBe(0x86);
    }
    expect(pc.bios.unsupported.get("INT 15h AX=9900")).toBe(2);
    expect(pc.bios.unsupported.get("INT 1ah AX=7700")).toBe(1);
  });
});
