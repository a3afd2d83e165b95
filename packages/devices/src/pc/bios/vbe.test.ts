// INT 10h AX=4Fxxh on the real board: real-mode programs ask for the controller and mode
// information, set VBE modes, write pixels through the linear framebuffer (BAR0 of the VGA PCI
// function) and the banked A0000 window, and the test looks at what the adapter draws.

import { describe, it, expect } from "vitest";
import { guestInt, runGuest, runUntilHaltedForever } from "./guest-call.ts";
import { PcMachine } from "../pc.ts";
import { VBE_MODES } from "./vbe-modes.ts";
import { VGA_LFB_BASE } from "../../vga/vga-pci.ts";
import { VBE_VRAM_SIZE } from "../../vga/vbe.ts";
import { ROM_BASE } from "./rom.ts";

function board(): PcMachine {
  const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic", bootOrder: [] });
  runUntilHaltedForever(pc);
  return pc;
}

const BUF = 0x2000; // 0200:0000
const lin = (seg: number, off: number) => (seg << 4) + off;

function farString(pc: PcMachine, ptr: number): string {
  const mem = pc.machine.mem;
  let a = lin(mem.read16(ptr + 2), mem.read16(ptr)),
    s = "";
  for (let c = mem.read8(a); c !== 0; c = mem.read8(++a)) s += String.fromCharCode(c);
  return s;
}

/** The picture the adapter shows, as RGBA words (little-endian: R in the low byte). */
function picture(pc: PcMachine): { width: number; height: number; px: Uint32Array } {
  const { width, height } = pc.vga.displaySize();
  const px = new Uint32Array(width * height);
  pc.vga.render(px);
  return { width, height, px };
}

const rgb = (r: number, g: number, b: number) => (0xff000000 | r | (g << 8) | (b << 16)) >>> 0;

describe("VBE controller and mode information", () => {
  it("4F00h fills a VBE 3.0 block with the mode list, memory size and OEM strings in ROM", () => {
    const pc = board();
    const mem = pc.machine.mem;
    [0x56, 0x42, 0x45, 0x32].forEach((c, i) => mem.write8(BUF + i, c)); // "VBE2"
    const r = guestInt(pc, 0x10, { eax: 0x4f00, es: BUF >> 4, edi: 0 });
    expect(r.ax).toBe(0x004f);
    expect(String.fromCharCode(...[0, 1, 2, 3].map((i) => mem.read8(BUF + i)))).toBe("VESA");
    expect(mem.read16(BUF + 4)).toBe(0x0300);
    expect(mem.read16(BUF + 18)).toBe(VBE_VRAM_SIZE >> 16);
    expect(farString(pc, BUF + 6)).toMatch(/VBE/);
    expect(farString(pc, BUF + 22)).toBe("x86vm");
    // The mode list: far pointer into the ROM, words up to FFFFh.
    const list = lin(mem.read16(BUF + 16), mem.read16(BUF + 14));
    expect(list).toBeGreaterThanOrEqual(ROM_BASE);
    const modes: number[] = [];
    for (let a = list; mem.read16(a) !== 0xffff; a += 2) modes.push(mem.read16(a));
    expect(modes).toEqual(VBE_MODES.map((m) => m.mode));
    for (const [w, h] of [
      [640, 480],
      [800, 600],
      [1024, 768],
    ])
      for (const bpp of [8, 15, 16, 24, 32])
        expect(VBE_MODES.some((m) => m.width === w && m.height === h && m.bpp === bpp)).toBe(true);
    expect(VBE_MODES.some((m) => m.width === 320 && m.height === 200 && m.bpp === 8)).toBe(true);
  });

  it("4F00h without VBE2 fills 256 bytes only", () => {
    const pc = board();
    const mem = pc.machine.mem;
    for (let i = 0; i < 512; i++) mem.write8(BUF + i, 0xaa);
    expect(guestInt(pc, 0x10, { eax: 0x4f00, es: BUF >> 4, edi: 0 }).ax).toBe(0x004f);
    expect(mem.read8(BUF + 255)).toBe(0);
    expect(mem.read8(BUF + 256)).toBe(0xaa);
  });

  it("4F01h describes each depth: pitch, masks, memory model and the LFB at BAR0", () => {
    const pc = board();
    const mem = pc.machine.mem;
    const info = (mode: number) => {
      expect(guestInt(pc, 0x10, { eax: 0x4f01, ecx: mode, es: BUF >> 4, edi: 0 }).ax).toBe(0x004f);
      const b = (o: number) => mem.read8(BUF + o);
      return {
        attr: mem.read16(BUF),
        winSeg: mem.read16(BUF + 8),
        pitch: mem.read16(BUF + 16),
        w: mem.read16(BUF + 18),
        h: mem.read16(BUF + 20),
        bpp: b(25),
        model: b(27),
        masks: [31, 32, 33, 34, 35, 36, 37, 38].map(b),
        lfb: mem.read32(BUF + 40) >>> 0,
      };
    };
    const m8 = info(0x101);
    expect([m8.w, m8.h, m8.bpp, m8.pitch, m8.model, m8.winSeg]).toEqual([640, 480, 8, 640, 4, 0xa000]);
    expect(m8.attr & 0x9b).toBe(0x9b); // supported, colour, graphics, LFB
    expect(m8.lfb).toBe(VGA_LFB_BASE);
    expect(info(0x110).masks).toEqual([5, 10, 5, 5, 5, 0, 1, 15]);
    expect(info(0x111).masks).toEqual([5, 11, 6, 5, 5, 0, 0, 0]);
    const m24 = info(0x112);
    expect([m24.pitch, m24.model, ...m24.masks]).toEqual([1920, 6, 8, 16, 8, 8, 8, 0, 0, 0]);
    const m32 = info(0x143);
    expect([m32.w, m32.h, m32.pitch, ...m32.masks]).toEqual([1024, 768, 4096, 8, 16, 8, 8, 8, 0, 8, 24]);
    // BAR0 moved by software: the mode information follows it.
    pc.pci.configWrite(0, 2, 0, 0x10, 4, 0xe0000000);
    expect(info(0x101).lfb).toBe(0xe0000000);
    expect(guestInt(pc, 0x10, { eax: 0x4f01, ecx: 0x123, es: BUF >> 4, edi: 0 }).ax).toBe(0x014f);
  });

  it("the VGA PCI function is 1234:1111, class 030000h, with a 16 MiB prefetchable BAR0", () => {
    const pc = board();
    const rd = (off: number) => pc.pci.configRead(0, 2, 0, off, 4) >>> 0;
    expect(rd(0)).toBe(0x11111234);
    expect(rd(8) >>> 8).toBe(0x030000);
    expect(rd(0x10)).toBe((VGA_LFB_BASE | 8) >>> 0);
    pc.pci.configWrite(0, 2, 0, 0x10, 4, 0xffffffff);
    expect(rd(0x10)).toBe((0x100000000 - VBE_VRAM_SIZE + 8) >>> 0);
  });
});

describe("VBE modes on the screen", () => {
  it("4F02h sets 640x480x32 with the LFB; pixels written at BAR0 are drawn; 4F03h reads it back", () => {
    const pc = board();
    const mem = pc.machine.mem;
    expect(guestInt(pc, 0x10, { eax: 0x4f02, ebx: 0x4141 }).ax).toBe(0x004f);
    expect(pc.vga.displaySize()).toEqual({ width: 640, height: 480 });
    expect(pc.vga.textScreen()).toBeNull();
    expect(guestInt(pc, 0x10, { eax: 0x4f03 }).bx).toBe(0x4141);
    // Memory is blue, green, red, unused.
    mem.write32(VGA_LFB_BASE, 0x00ff0000); // (0,0) red
    mem.write32(VGA_LFB_BASE + 4 * (10 * 640 + 20), 0x0000ff00); // (20,10) green
    mem.write8(VGA_LFB_BASE + 4 * (479 * 640 + 639), 0xff); // bottom right blue
    const { px } = picture(pc);
    expect(px[0]).toBe(rgb(255, 0, 0));
    expect(px[10 * 640 + 20]).toBe(rgb(0, 255, 0));
    expect(px[479 * 640 + 639]).toBe(rgb(0, 0, 255));
    expect(px[1]).toBe(rgb(0, 0, 0));
    expect(mem.read32(VGA_LFB_BASE + 4 * (10 * 640 + 20)) >>> 0).toBe(0x0000ff00);
    // AH=00h mode 3 turns VBE off: text again.
    guestInt(pc, 0x10, { eax: 0x0003 });
    expect(pc.vga.textScreen()).not.toBeNull();
    expect(guestInt(pc, 0x10, { eax: 0x4f03 }).bx).toBe(0x03);
  });

  it("8 bpp goes through the DAC (4F09h sets it); 15, 16 and 24 bpp decode their fields", () => {
    const pc = board();
    const mem = pc.machine.mem;
    expect(guestInt(pc, 0x10, { eax: 0x4f02, ebx: 0x4101 }).ax).toBe(0x004f);
    // Palette entry 7 = (63, 32, 0) via 4F09h: blue, green, red, pad.
    [0, 32, 63, 0].forEach((v, i) => mem.write8(BUF + i, v));
    expect(guestInt(pc, 0x10, { eax: 0x4f09, ebx: 0, ecx: 1, edx: 7, es: BUF >> 4, edi: 0 }).ax).toBe(0x004f);
    mem.write8(VGA_LFB_BASE + 5, 7);
    expect(picture(pc).px[5]).toBe(rgb(255, 130, 0));
    // Read it back (4F09h BL=1).
    for (let i = 0; i < 4; i++) mem.write8(BUF + 16 + i, 0xee);
    expect(guestInt(pc, 0x10, { eax: 0x4f09, ebx: 1, ecx: 1, edx: 7, es: BUF >> 4, edi: 16 }).ax).toBe(0x004f);
    expect([0, 1, 2, 3].map((i) => mem.read8(BUF + 16 + i))).toEqual([0, 32, 63, 0]);

    expect(guestInt(pc, 0x10, { eax: 0x4f02, ebx: 0x4110 }).ax).toBe(0x004f); // 640x480x15
    mem.write16(VGA_LFB_BASE + 2, (31 << 10) | (0 << 5) | 31); // magenta
    expect(picture(pc).px[1]).toBe(rgb(255, 0, 255));
    expect(guestInt(pc, 0x10, { eax: 0x4f02, ebx: 0x4111 }).ax).toBe(0x004f); // 640x480x16
    mem.write16(VGA_LFB_BASE + 2, 63 << 5); // green
    expect(picture(pc).px[1]).toBe(rgb(0, 255, 0));
    expect(guestInt(pc, 0x10, { eax: 0x4f02, ebx: 0x4112 }).ax).toBe(0x004f); // 640x480x24
    [0x10, 0x20, 0x30].forEach((v, i) => mem.write8(VGA_LFB_BASE + 3 + i, v));
    expect(picture(pc).px[1]).toBe(rgb(0x30, 0x20, 0x10));
  });

  it("a real-mode program draws through the banked window: 4F05h selects the bank", () => {
    const pc = board();
    // mov ax,4F02h; mov bx,0105h (1024x768x8, windowed); int 10h
    // mov ax,4F05h; xor bx,bx; mov dx,3; int 10h        (bank 3: bytes 192 KiB..256 KiB)
    // mov ax,0A000h; mov es,ax; xor di,di; mov al,0Fh; mov cx,400h; rep stosb
    const code = [
      0xb8, 0x02, 0x4f, 0xbb, 0x05, 0x01, 0xcd, 0x10, 0xb8, 0x05, 0x4f, 0x31, 0xdb, 0xba, 0x03, 0x00, 0xcd, 0x10, 0xb8,
      0x00, 0xa0, 0x8e, 0xc0, 0x31, 0xff, 0xb0, 0x0f, 0xb9, 0x00, 0x04, 0xf3, 0xaa,
    ];
    runGuest(pc, code);
    expect(pc.vga.displaySize()).toEqual({ width: 1024, height: 768 });
    const { px } = picture(pc);
    const first = (3 * 0x10000) / 1024; // line 192
    expect(px[first * 1024]).toBe(rgb(255, 255, 255)); // DAC 0Fh: white
    expect(px[first * 1024 + 1023]).toBe(rgb(255, 255, 255));
    expect(px[(first - 1) * 1024 + 1023]).toBe(rgb(0, 0, 0));
    expect(px[(first + 1) * 1024]).toBe(rgb(0, 0, 0));
    expect(guestInt(pc, 0x10, { eax: 0x4f05, ebx: 0x0100 }).dx).toBe(3);
  });

  it("4F06h and 4F07h: a wider logical line and a display start scroll the picture", () => {
    const pc = board();
    const mem = pc.machine.mem;
    expect(guestInt(pc, 0x10, { eax: 0x4f02, ebx: 0x4101 }).ax).toBe(0x004f);
    const r = guestInt(pc, 0x10, { eax: 0x4f06, ebx: 0, ecx: 1024 });
    expect([r.ax, r.bx, r.cx]).toEqual([0x004f, 1024, 1024]);
    expect(r.dx).toBe(VBE_VRAM_SIZE / 1024);
    mem.write8(VGA_LFB_BASE + 100 * 1024 + 50, 0x0f);
    expect(guestInt(pc, 0x10, { eax: 0x4f07, ebx: 0, ecx: 50, edx: 100 }).ax).toBe(0x004f);
    expect(picture(pc).px[0]).toBe(rgb(255, 255, 255));
    const g = guestInt(pc, 0x10, { eax: 0x4f07, ebx: 1 });
    expect([g.cx, g.dx]).toEqual([50, 100]);
    expect(guestInt(pc, 0x10, { eax: 0x4f08, ebx: 0x0801 }).bx >> 8).toBe(6);
  });

  it("the framebuffer follows BAR0 and is gone while memory decoding is off", () => {
    const pc = board();
    const mem = pc.machine.mem;
    guestInt(pc, 0x10, { eax: 0x4f02, ebx: 0x4143 });
    mem.write32(VGA_LFB_BASE, 0x123456);
    pc.pci.configWrite(0, 2, 0, 0x10, 4, 0xe0000000);
    expect(mem.read32(0xe0000000)).toBe(0x123456);
    expect(mem.read32(VGA_LFB_BASE) >>> 0).toBe(0xffffffff);
    pc.pci.configWrite(0, 2, 0, 0x04, 2, 0x0001); // I/O only
    expect(mem.read32(0xe0000000) >>> 0).toBe(0xffffffff);
    pc.pci.configWrite(0, 2, 0, 0x04, 2, 0x0003);
    expect(mem.read32(0xe0000000)).toBe(0x123456);
  });

  it("a snapshot of the machine keeps the mode, the DISPI registers, BAR0 and the pixels", () => {
    const pc = board();
    const mem = pc.machine.mem;
    guestInt(pc, 0x10, { eax: 0x4f02, ebx: 0x4117 }); // 1024x768x16
    guestInt(pc, 0x10, { eax: 0x4f07, ebx: 0, ecx: 0, edx: 4 });
    pc.pci.configWrite(0, 2, 0, 0x10, 4, 0xe0000000);
    mem.write16(0xe0000000 + 5 * 2048 + 8, 0xf800); // red at (4,1) once scrolled by 4 lines
    const rec = pc.vga.saveState();
    const before = picture(pc);
    const other = board();
    other.vga.loadState(rec, pc.vga.stateVersion);
    const after = picture(other);
    expect([after.width, after.height]).toEqual([1024, 768]);
    expect(after.px[1 * 1024 + 4]).toBe(rgb(255, 0, 0));
    expect(after.px).toEqual(before.px);
    expect(other.machine.mem.read16(0xe0000000 + 5 * 2048 + 8)).toBe(0xf800);
    // A record from before VBE (no 'vbe' subsection) loads with VBE off and BAR0 at its default.
    const old = { ...rec };
    delete old.vbe;
    expect(() => other.vga.loadState(old, 2)).toThrow(/vga: a version 2 record lacks the 'vbe' group/);
    other.vga.loadState(old, 1);
    expect(other.vga.vbe.enabled).toBe(false);
    expect(other.pci.configRead(0, 2, 0, 0x10, 4) & ~0xf).toBe(VGA_LFB_BASE | 0);
    expect(other.vga.displaySize()).toEqual({ width: 320, height: 200 }); // the VGA's own mode 13h under it
  });
});
