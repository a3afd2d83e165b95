// Firmware other than the built-in BIOS (PcOptions.firmware, docs/firmware.md): where the system
// BIOS image answers, the i440FX's PAM registers opening and closing shadow RAM over it, the
// VGA's expansion ROM behind its ROM BAR, the CMOS boot order, and all of it through a snapshot.
// The images here are made up; the CLI's tests boot FreeDOS and Linux through SeaBIOS itself.
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "./pc.ts";
import { restoreSnapshot, saveSnapshot } from "./snapshot.ts";

/** A system BIOS of `size` bytes whose reset vector writes 5Ah to the POST port and halts; byte i is i >> 12 elsewhere. */
function biosImage(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = i >> 12;
  // F000:FFF0: mov al, 5Ah; out 80h, al; hlt
  b.set([0xb0, 0x5a, 0xe6, 0x80, 0xf4], size - 16);
  return b;
}

function vgaRom(): Uint8Array {
  const r = new Uint8Array(40000);
  r.set([0x55, 0xaa, 78]);
  r[39999] = 0x77;
  return r;
}

/** A configuration read of bus 0, function 0 of `dev`, or a write when a value is given (then 0). */
function cfg(pc: PcMachine, dev: number, off: number, size: number, value?: number): number {
  if (value === undefined) return pc.pci.configRead(0, dev, 0, off, size);
  pc.pci.configWrite(0, dev, 0, off, size, value);
  return 0;
}

describe("firmware instead of the built-in BIOS", () => {
  it("maps the image below 4 GiB and its last 128 KiB at E0000h, and starts at its reset vector", () => {
    const bios = biosImage(0x40000);
    const pc = new PcMachine({ memoryMiB: 4, firmware: { bios } });
    const mem = pc.machine.mem;
    expect(mem.read8(0xfffc0000)).toBe(bios[0]);
    expect(mem.read8(0xfffe1000)).toBe(bios[0x21000]);
    expect(mem.read8(0xe0000)).toBe(bios[0x20000]);
    expect(mem.read8(0xfffff)).toBe(bios[0x3ffff]);
    expect(mem.read8(0xc0000)).toBe(0); // no option ROM there: RAM, read-only until PAM opens it
    pc.run(1e6);
    expect(pc.post.last).toBe(0x5a);
    expect(pc.machine.cpu.halted).toBe(true);
    // The built-in BIOS is not installed: nothing of it at F000:E05B, no INT 19h "no boot".
    expect(pc.noBootReason()).toBeNull();
  });

  it("maps a 64 KiB image at F0000h only", () => {
    const bios = biosImage(0x10000);
    const pc = new PcMachine({ memoryMiB: 2, firmware: { bios } });
    expect(pc.machine.mem.read8(0xf3000)).toBe(3);
    expect(pc.machine.mem.read8(0xffff3000)).toBe(3);
    pc.run(1e6);
    expect(pc.post.last).toBe(0x5a);
  });

  it("opens and closes shadow RAM where the PAM registers say", () => {
    const pc = new PcMachine({ memoryMiB: 4, firmware: { bios: biosImage(0x20000) } });
    const mem = pc.machine.mem;
    mem.write8(0xf0000, 0xaa);
    expect(mem.read8(0xf0000)).toBe(0x10); // ROM: the write is dropped
    cfg(pc, 0, 0x59, 1, 0x30); // PAM0: F0000h-FFFFFh read/write
    mem.write8(0xf0000, 0xaa);
    expect(mem.read8(0xf0000)).toBe(0xaa);
    cfg(pc, 0, 0x59, 1, 0x10); // read only again: RAM keeps what was written
    mem.write8(0xf0000, 0xbb);
    expect(mem.read8(0xf0000)).toBe(0xaa);
    // PAM1's halves: C0000h-C3FFFh (bits 1-0) and C4000h-C7FFFh (bits 5-4).
    cfg(pc, 0, 0x5a, 1, 0x03);
    mem.write8(0xc0000, 1);
    mem.write8(0xc4000, 1);
    expect([mem.read8(0xc0000), mem.read8(0xc4000)]).toEqual([1, 0]);
    // PAM6's high half ends at EFFFFh.
    cfg(pc, 0, 0x5f, 1, 0x30);
    mem.write8(0xeffff, 9);
    mem.write8(0xe8000, 9);
    expect([mem.read8(0xeffff), mem.read8(0xe8000)]).toEqual([9, 0x08]);
  });

  it("offers the video BIOS through the VGA's expansion ROM BAR", () => {
    const rom = vgaRom();
    const pc = new PcMachine({ memoryMiB: 2, firmware: { bios: biosImage(0x20000), vgaBios: rom } });
    expect(cfg(pc, 2, 0, 4)).toBe(0x11111234);
    expect(cfg(pc, 2, 0x08, 4) >>> 8).toBe(0x030000);
    cfg(pc, 2, 0x30, 4, 0xfffffffe);
    expect(cfg(pc, 2, 0x30, 4)).toBe(0xffff0000); // 64 KiB for a 40000-byte image
    cfg(pc, 2, 0x04, 2, 0x0000); // memory space off
    cfg(pc, 2, 0x30, 4, 0xfebf0001);
    const mem = pc.machine.mem;
    expect(mem.read8(0xfebf0000)).toBe(0xff);
    cfg(pc, 2, 0x04, 2, 0x0002);
    expect([mem.read8(0xfebf0000), mem.read8(0xfebf0001), mem.read8(0xfebf0000 + 39999)]).toEqual([0x55, 0xaa, 0x77]);
    expect(mem.read8(0xfebf0000 + 40000)).toBe(0xff);
    mem.write8(0xfebf0000, 0);
    expect(mem.read8(0xfebf0000)).toBe(0x55); // read-only
    cfg(pc, 2, 0x30, 4, 0xfebe0001); // moved
    expect(mem.read8(0xfebe0000)).toBe(0x55);
    expect(mem.read8(0xfebf0000)).toBe(0xff);
    cfg(pc, 2, 0x30, 4, 0xfebe0000); // disabled
    expect(mem.read8(0xfebe0000)).toBe(0xff);
    // Without a video BIOS the BAR is absent, with the built-in BIOS too.
    for (const other of [new PcMachine({ memoryMiB: 2, firmware: { bios: biosImage(0x20000) } }), new PcMachine()]) {
      cfg(other, 2, 0x30, 4, 0xffffffff);
      expect(cfg(other, 2, 0x30, 4)).toBe(0);
    }
  });

  it("writes the boot order where SeaBIOS reads it (CMOS 3Dh and 38h)", () => {
    const bios = biosImage(0x20000);
    const pc = new PcMachine({ memoryMiB: 2, firmware: { bios } });
    expect([pc.rtc.getCmos(0x3d), pc.rtc.getCmos(0x38)]).toEqual([0x31, 0x20]); // floppy, CD, hard disk
    const hd = new PcMachine({ memoryMiB: 2, firmware: { bios }, bootOrder: ["hdd", "cdrom"] });
    expect([hd.rtc.getCmos(0x3d), hd.rtc.getCmos(0x38)]).toEqual([0x32, 0x00]);
    // RAM size: above 16 MiB in 64 KiB units at 34h/35h.
    const big = new PcMachine({ memoryMiB: 64, firmware: { bios } });
    expect(big.rtc.getCmos(0x34) | (big.rtc.getCmos(0x35) << 8)).toBe(48 * 16);
  });

  it("keeps shadow RAM and the ROM window through a snapshot, and references the images", async () => {
    const bios = biosImage(0x40000),
      rom = vgaRom();
    const pc = new PcMachine({ memoryMiB: 4, firmware: { bios, vgaBios: rom } });
    cfg(pc, 0, 0x59, 1, 0x30);
    pc.machine.mem.write8(0xf1234, 0xcd);
    cfg(pc, 0, 0x59, 1, 0x10);
    cfg(pc, 0, 0x5a, 1, 0x33);
    cfg(pc, 2, 0x30, 4, 0xfebf0001);
    cfg(pc, 2, 0x04, 2, 0x0002);
    const snap = await saveSnapshot(pc);
    const asked: string[] = [];
    const back = await restoreSnapshot(snap, {
      images: (_sha, _size, _hint, slot) => {
        asked.push(slot);
        return new MemoryDisk(slot === "bios" ? bios : rom, true);
      },
    });
    expect(asked).toEqual(["bios", "vga-bios"]);
    const mem = back.machine.mem;
    expect(mem.read8(0xf1234)).toBe(0xcd);
    mem.write8(0xf1234, 0);
    expect(mem.read8(0xf1234)).toBe(0xcd); // still read-only
    mem.write8(0xc0000, 0x42);
    expect(mem.read8(0xc0000)).toBe(0x42); // still writable
    expect(mem.read8(0xfebf0001)).toBe(0xaa);
    expect(mem.read8(0xfffc0000 + 0x21000)).toBe(bios[0x21000]);
  });

  it("refuses images it cannot map, and a kernel with firmware", () => {
    expect(() => new PcMachine({ firmware: { bios: new Uint8Array(100000) } })).toThrow(/multiple of 64 KiB/);
    expect(() => new PcMachine({ firmware: { bios: new Uint8Array(0) } })).toThrow(/multiple of 64 KiB/);
    const bios = biosImage(0x20000);
    expect(() => new PcMachine({ firmware: { bios, vgaBios: new Uint8Array(4096) } })).toThrow(/55h AAh/);
    expect(
      () => new PcMachine({ firmware: { bios }, linux: { kernel: new Uint8Array(4096), initrd: null, cmdline: "" } }),
    ).toThrow(/only with the built-in BIOS/);
  });
});
