// INT 13h as a guest calls it, on the real board (PcMachine): CHS
// reads and writes on floppy and hard disk images made here, geometry for every floppy size,
// disk type and change line, the EDD extensions, and the error paths. Each sector of a test
// image starts with its own LBA, so a read shows which sector it fetched.

import { describe, it, expect } from "vitest";
import { CowDisk, MemoryDisk } from "../../../../core/src/storage/disk.ts";
import { FLOPPY_FORMATS } from "../../../../core/src/storage/geometry.ts";
import { guestInt, runUntilHaltedForever, type GuestRegs } from "./guest-call.ts";
import { DISKETTE_PARAMS, ROM_SEGMENT } from "./rom.ts";
import * as B from "./bda.ts";
import { PcMachine, type PcOptions } from "../pc.ts";

/** An image whose 512-byte sector n begins with the dword n and the text "LBA". */
function image(size: number): MemoryDisk {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  for (let s = 0; s < size / 512; s++) {
    view.setUint32(s * 512, s, true);
    bytes.set([0x4c, 0x42, 0x41], s * 512 + 4);
  }
  return new MemoryDisk(bytes);
}

/** A board that has booted nothing (empty boot order) and halted: ready for guest calls. */
function board(opts: PcOptions): PcMachine {
  const pc = new PcMachine({ memoryMiB: 8, clock: "deterministic", bootOrder: [], ...opts });
  runUntilHaltedForever(pc);
  return pc;
}

const int13 = (pc: PcMachine, r: GuestRegs) => guestInt(pc, 0x13, r);
const lbaAt = (pc: PcMachine, addr: number) => pc.machine.mem.read32(addr);
const chs = (c: number, h: number, s: number, drive: number) => ({
  ecx: ((c & 0xff) << 8) | ((c >> 2) & 0xc0) | s,
  edx: (h << 8) | drive,
});

describe("INT 13h CHS reads and writes", () => {
  it("reads sectors of a 1.44M floppy by cylinder, head and sector", () => {
    const pc = board({ fda: image(1474560) });
    const r = int13(pc, { eax: 0x0203, ebx: 0, es: 0x1000, ...chs(1, 1, 5, 0) });
    expect(r.cf).toBe(false);
    expect(r.ah).toBe(0);
    expect(r.al).toBe(3);
    const first = (1 * 2 + 1) * 18 + 4;
    expect([lbaAt(pc, 0x10000), lbaAt(pc, 0x10200), lbaAt(pc, 0x10400)]).toEqual([first, first + 1, first + 2]);
    expect(pc.machine.mem.read8(B.BDA_FLOPPY_STATUS)).toBe(0);
  });

  it("writes hard disk sectors into the overlay and reads them back; the base image is untouched", () => {
    const base = image(4 << 20);
    const pc = board({ hda: base });
    for (let i = 0; i < 1024; i++) pc.machine.mem.write8(0x20000 + i, (i * 7) & 0xff);
    const at = chs(2, 3, 10, 0x80);
    const w = int13(pc, { eax: 0x0302, ebx: 0, es: 0x2000, ...at });
    expect(w.cf).toBe(false);
    expect(w.al).toBe(2);
    const lba = (2 * 16 + 3) * 63 + 9;
    const back = new Uint8Array(1024);
    pc.hardDisks[0]!.read(lba * 512, back);
    expect(Array.from(back.subarray(0, 8))).toEqual([0, 7, 14, 21, 28, 35, 42, 49]);
    expect(base.bytes[lba * 512]).toBe(lba & 0xff); // the file's bytes stay as they were
    const r = int13(pc, { eax: 0x0202, ebx: 0, es: 0x3000, ...at });
    expect(r.cf).toBe(false);
    expect(pc.machine.mem.read8(0x30000 + 1023)).toBe((1023 * 7) & 0xff);
  });

  it("reads cylinders above 255 through CL bits 6-7", () => {
    const pc = board({ hda: image(64 << 20) }); // 130 cylinders of 16 x 63
    const big = board({ hda: image(300 * 16 * 63 * 512) });
    const r = int13(big, { eax: 0x0201, ebx: 0, es: 0x1000, ...chs(290, 0, 1, 0x80) });
    expect(r.cf).toBe(false);
    expect(lbaAt(big, 0x10000)).toBe(290 * 16 * 63);
    expect(int13(pc, { eax: 0x0201, ebx: 0, es: 0x1000, ...chs(129, 15, 63, 0x80) }).cf).toBe(false);
  });

  it("refuses sector 0, sectors past the track, heads past the disk and reads past the end with 04h", () => {
    const pc = board({ fda: image(1474560) });
    for (const at of [chs(0, 0, 0, 0), chs(0, 0, 19, 0), chs(0, 2, 1, 0), chs(80, 0, 1, 0)]) {
      const r = int13(pc, { eax: 0x0201, ebx: 0, es: 0x1000, ...at });
      expect(r.cf).toBe(true);
      expect(r.ah).toBe(0x04);
      expect(r.al).toBe(0);
    }
    // AH=01h reports the last status (with CF=1), and AH=00h clears it.
    const st = int13(pc, { eax: 0x0100, edx: 0 });
    expect(st.ah).toBe(0x04);
    expect(st.cf).toBe(true);
    expect(int13(pc, { eax: 0x0000, edx: 0 }).cf).toBe(false);
    expect(int13(pc, { eax: 0x0100, edx: 0 }).ah).toBe(0);
  });

  it("stops a multi-sector read at the end of the disk and says how many it moved", () => {
    const pc = board({ fda: image(1474560) });
    const r = int13(pc, { eax: 0x0205, ebx: 0, es: 0x1000, ...chs(79, 1, 16, 0) });
    expect(r.cf).toBe(true);
    expect(r.ah).toBe(0x04);
    expect(r.al).toBe(3);
    expect(lbaAt(pc, 0x10400)).toBe(2879);
  });

  it("refuses writes to a write-protected floppy with 03h and leaves it unchanged", () => {
    const pc = board({ fda: image(737280) });
    const ro = new CowDisk(image(737280), true);
    pc.floppies[0] = ro;
    const r = int13(pc, { eax: 0x0301, ebx: 0, es: 0x1000, ...chs(0, 0, 1, 0) });
    expect(r.cf).toBe(true);
    expect(r.ah).toBe(0x03);
    expect(r.al).toBe(0);
    expect(ro.overlay.size).toBe(0);
    expect(int13(pc, { eax: 0x0501, ...chs(0, 0, 1, 0) }).ah).toBe(0x03); // format too
  });

  it("answers 80h (timeout) for an empty drive and a missing hard disk", () => {
    const pc = board({ fda: image(1474560) });
    expect(int13(pc, { eax: 0x0201, ebx: 0, es: 0x1000, ...chs(0, 0, 1, 1) }).ah).toBe(0x80);
    const hd = int13(pc, { eax: 0x0201, ebx: 0, es: 0x1000, ...chs(0, 0, 1, 0x81) });
    expect(hd.cf).toBe(true);
    expect(hd.ah).toBe(0x80);
  });
});

describe("INT 13h drive parameters and type", () => {
  for (const f of FLOPPY_FORMATS.filter((x) => x.size >= 368640)) {
    it(`AH=08h describes a ${f.name} floppy`, () => {
      const pc = board({ fda: image(f.size) });
      const r = int13(pc, { eax: 0x0800, edx: 0 });
      expect(r.cf).toBe(false);
      expect(r.ah).toBe(0);
      expect(r.cx >> 8).toBe(f.cylinders - 1);
      expect(r.cx & 0x3f).toBe(f.sectorsPerTrack);
      expect(r.dx >> 8).toBe(f.heads - 1);
      expect(r.dx & 0xff).toBe(1);
      expect(r.bx & 0xff).toBe(f.driveType);
      expect(r.es).toBe(ROM_SEGMENT);
      expect(r.di).toBe(DISKETTE_PARAMS);
    });
  }

  it("AH=08h describes a hard disk and counts the disks", () => {
    const pc = board({ hda: image(4 << 20), hdb: image(1 << 20) });
    const r = int13(pc, { eax: 0x0800, edx: 0x80 });
    expect(r.cf).toBe(false);
    expect(r.cx >> 8).toBe(7); // 8192 sectors = 8 cylinders of 16 x 63 (and a part)
    expect(r.cx & 0x3f).toBe(63);
    expect(r.dx >> 8).toBe(15);
    expect(r.dx & 0xff).toBe(2);
    const none = int13(pc, { eax: 0x0800, edx: 0x82 });
    expect(none.cf).toBe(true);
    expect(none.ah).toBe(0x01);
  });

  it("AH=15h: floppy with change line, hard disk with its sector count, no drive", () => {
    const pc = board({ fda: image(1474560), hda: image(3 << 20) });
    expect(int13(pc, { eax: 0x1500, edx: 0 }).ah).toBe(0x02);
    const hd = int13(pc, { eax: 0x1500, edx: 0x80 });
    expect(hd.ah).toBe(0x03);
    expect(hd.cf).toBe(false);
    expect((hd.cx << 16) | hd.dx).toBe(6144);
    const none = int13(pc, { eax: 0x1500, edx: 0x81 });
    expect(none.ah).toBe(0);
    expect(none.cf).toBe(false);
  });

  it("AH=16h reports a media change once, after a floppy is inserted", () => {
    const pc = board({ fda: image(1474560) });
    expect(int13(pc, { eax: 0x1600, edx: 0 }).ah).toBe(0);
    pc.insertFloppy(0, image(737280));
    const changed = int13(pc, { eax: 0x1600, edx: 0 });
    expect(changed.ah).toBe(0x06);
    expect(changed.cf).toBe(true);
    const again = int13(pc, { eax: 0x1600, edx: 0 });
    expect(again.ah).toBe(0);
    expect(again.cf).toBe(false);
    // The new medium's geometry is what AH=08h reports now.
    expect(int13(pc, { eax: 0x0800, edx: 0 }).cx & 0x3f).toBe(9);
  });

  it("the equipment word and the BDA count the drives", () => {
    const pc = board({ fda: image(1474560), fdb: image(737280), hda: image(1 << 20) });
    expect(guestInt(pc, 0x11).ax & 0xc1).toBe(0x41); // floppies present, two drives
    expect(pc.machine.mem.read8(B.BDA_HD_COUNT)).toBe(1);
  });
});

describe("INT 13h extensions", () => {
  const DAP = 0x0500;
  function dap(pc: PcMachine, count: number, lba: number, seg: number, off: number): void {
    const mem = pc.machine.mem;
    mem.write8(DAP, 0x10);
    mem.write8(DAP + 1, 0);
    mem.write16(DAP + 2, count);
    mem.write16(DAP + 4, off);
    mem.write16(DAP + 6, seg);
    mem.write32(DAP + 8, lba);
    mem.write32(DAP + 12, 0);
  }

  it("AH=41h reports EDD 3.0 for hard disks and not for floppies", () => {
    const pc = board({ fda: image(1474560), hda: image(1 << 20) });
    const r = int13(pc, { eax: 0x4100, ebx: 0x55aa, edx: 0x80 });
    expect(r.cf).toBe(false);
    expect(r.bx).toBe(0xaa55);
    expect(r.ah).toBe(0x30);
    expect(r.cx & 1).toBe(1);
    const f = int13(pc, { eax: 0x4100, ebx: 0x55aa, edx: 0 });
    expect(f.cf).toBe(true);
    expect(f.ah).toBe(0x01);
  });

  it("AH=42h reads and AH=43h writes by LBA through the disk address packet", () => {
    const pc = board({ hda: image(4 << 20) });
    dap(pc, 2, 5000, 0x1000, 0x10);
    const r = int13(pc, { eax: 0x4200, edx: 0x80, esi: DAP });
    expect(r.cf).toBe(false);
    expect([lbaAt(pc, 0x10010), lbaAt(pc, 0x10210)]).toEqual([5000, 5001]);
    pc.machine.mem.write32(0x10010, 0xdeadbeef);
    dap(pc, 1, 7, 0x1000, 0x10);
    expect(int13(pc, { eax: 0x4300, edx: 0x80, esi: DAP }).cf).toBe(false);
    const back = new Uint8Array(4);
    pc.hardDisks[0]!.read(7 * 512, back);
    expect(new DataView(back.buffer).getUint32(0, true)).toBe(0xdeadbeef);
    // Verify and seek within the disk succeed.
    expect(int13(pc, { eax: 0x4400, edx: 0x80, esi: DAP }).cf).toBe(false);
    expect(int13(pc, { eax: 0x4700, edx: 0x80, esi: DAP }).cf).toBe(false);
  });

  it("AH=42h past the end fails with 04h and writes back the count it moved", () => {
    const pc = board({ hda: image(1 << 20) });
    dap(pc, 4, 2046, 0x1000, 0);
    const r = int13(pc, { eax: 0x4200, edx: 0x80, esi: DAP });
    expect(r.cf).toBe(true);
    expect(r.ah).toBe(0x04);
    expect(pc.machine.mem.read16(DAP + 2)).toBe(2);
  });

  it("AH=48h fills the drive parameter buffer", () => {
    const pc = board({ hda: image(4 << 20) });
    const out = 0x0800,
      mem = pc.machine.mem;
    mem.write16(out, 0x1e);
    const r = int13(pc, { eax: 0x4800, edx: 0x80, esi: out });
    expect(r.cf).toBe(false);
    expect(mem.read16(out)).toBe(0x1e);
    expect(mem.read16(out + 2) & 2).toBe(2);
    expect([mem.read32(out + 4), mem.read32(out + 8), mem.read32(out + 12)]).toEqual([8, 16, 63]);
    expect(mem.read32(out + 16)).toBe(8192);
    expect(mem.read16(out + 24)).toBe(512);
    expect(mem.read32(out + 26)).toBe(-1);
    mem.write16(out, 0x10);
    expect(int13(pc, { eax: 0x4800, edx: 0x80, esi: out }).cf).toBe(true); // buffer too small
  });

  it("counts unsupported functions and fails them with CF=1, AH=86h", () => {
    const pc = board({ hda: image(1 << 20) });
    const r = int13(pc, { eax: 0x5000, edx: 0x80 });
    expect(r.cf).toBe(true);
    expect(r.ah).toBe(0x86);
    expect(pc.bios.unsupported.get("INT 13h AX=5000")).toBe(1);
  });
});
