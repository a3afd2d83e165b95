// INT 10h video services against the real VGA model: a CPU, physical memory with the VGA
// mapped at A0000 and its ports on the bus, the BIOS ROM, and a platform whose mode set is
// the devices package's programMode. Each test calls INT 10h as a guest would (registers in,
// video.int10(), registers and the FLAGS image out) and looks at the result on the screen
// (vga.textScreen(), video memory), in the BIOS data area and in the registers.

import { describe, it, expect } from "vitest";
import { Cpu } from "../../../../core/src/cpu/cpu.ts";
import { CF, ES, SS } from "../../../../core/src/cpu/regs.ts";
import { Dispatcher } from "../../../../core/src/dispatch/dispatcher.ts";
import { PhysicalMemory } from "../../../../core/src/memory/physical-memory.ts";
import { Bios, type BiosPlatform } from "./bios.ts";
import * as B from "./bda.ts";
import { FONT_8X14, FONT_8X16 as ROM_8X16, FONT_8X8 as ROM_8X8, FONT_8X8_HIGH, ROM_SEGMENT } from "./rom.ts";
import { VIDEO_STATIC_TABLE, VIDEO_STATIC_TABLE_EBDA_OFFSET } from "./video.ts";
import { Vga } from "../../vga/vga.ts";
import { VGA_MODES, programMode } from "../../vga/modes.ts";
import { FONT_8X16 } from "../../vga/font8x16.ts";
import { FONT_8X8 } from "../../vga/font8x8.ts";

const STACK = 0x7000;
/** The FLAGS image the ROM stub's IRET would restore (SS:SP+4). */
const FLAGS_IMAGE = STACK + 4;
const SP = 8;

/** An 8x14 font for the ROM: the 8x16 glyphs without their first and last lines. */
function font8x14(): Uint8Array {
  const f = new Uint8Array(256 * 14);
  for (let c = 0; c < 256; c++) f.set(FONT_8X16.subarray(c * 16 + 1, c * 16 + 15), c * 14);
  return f;
}

interface Machine {
  cpu: Cpu;
  mem: PhysicalMemory;
  vga: Vga;
  bios: Bios;
  modeSets: number[];
}

function machine(): Machine {
  const mem = new PhysicalMemory(2 << 20);
  const io = new Dispatcher();
  const cpu = new Cpu(mem, io);
  const clock = { now: () => 0 };
  const vga = new Vga(clock);
  io.io.attach(vga.ioSurface());
  mem.mapMmio(0xa0000, 0x20000, "vga", vga.memory);
  const modeSets: number[] = [];
  const platform: BiosPlatform = {
    cpu,
    mem,
    io,
    clock,
    floppy: () => null,
    hardDisk: () => null,
    setVideoMode: (mode: number, clear = true) => {
      if (!VGA_MODES.has(mode)) return false;
      modeSets.push(mode);
      programMode(vga, mode, { clear });
      return true;
    },
    fonts: { f8x8: FONT_8X8, f8x14: font8x14(), f8x16: FONT_8X16 },
    reset: () => {},
  };
  const bios = new Bios(platform);
  bios.install();
  // What the BIOS's POST does before the video part: vectors 1Fh/43h, the EBDA pointer, a stack.
  bios.setVector(0x1f, ROM_SEGMENT, FONT_8X8_HIGH);
  bios.setVector(0x43, ROM_SEGMENT, ROM_8X8);
  bios.ww(B.BDA_EBDA_SEGMENT, B.EBDA_SEGMENT);
  cpu.loadSegReal(SS, 0);
  cpu.r16[SP] = STACK;
  bios.video.post();
  return { cpu, mem, vga, bios, modeSets };
}

interface Regs {
  ax?: number;
  bx?: number;
  cx?: number;
  dx?: number;
  bp?: number;
  di?: number;
  es?: number;
}
interface Out {
  ax: number;
  bx: number;
  cx: number;
  dx: number;
  bp: number;
  es: number;
  cf: boolean;
  ah: number;
  al: number;
}

function int10(m: Machine, r: Regs): Out {
  const { cpu, mem } = m;
  mem.write16(FLAGS_IMAGE, 0x0202);
  if (r.ax !== undefined) cpu.r16[0] = r.ax;
  if (r.cx !== undefined) cpu.r16[2] = r.cx;
  if (r.dx !== undefined) cpu.r16[4] = r.dx;
  if (r.bx !== undefined) cpu.r16[6] = r.bx;
  if (r.bp !== undefined) cpu.r16[10] = r.bp;
  if (r.di !== undefined) cpu.r16[14] = r.di;
  if (r.es !== undefined) cpu.loadSegReal(ES, r.es);
  m.bios.video.int10();
  const ax = cpu.r16[0];
  return {
    ax,
    ah: ax >> 8,
    al: ax & 0xff,
    bx: cpu.r16[6],
    cx: cpu.r16[2],
    dx: cpu.r16[4],
    bp: cpu.r16[10],
    es: cpu.sreg[ES],
    cf: (mem.read16(FLAGS_IMAGE) & CF) !== 0,
  };
}

function print(m: Machine, s: string, colour = 0x07): void {
  for (const ch of s) int10(m, { ax: 0x0e00 | ch.charCodeAt(0), bx: colour });
}

function cursor(m: Machine): { row: number; col: number; visible: boolean } {
  return m.vga.textScreen()!.cursor;
}

function crtc(m: Machine, i: number): number {
  return m.vga.crtc[i];
}

/** Byte of plane p at plane offset o. */
function plane(m: Machine, p: number, o: number): number {
  return m.vga.memory.vram[o * 4 + p];
}

/** Mode 13h pixel (x, y) as stored (chain 4: address bits 1-0 pick the plane). */
function pixel13(m: Machine, x: number, y: number): number {
  const a = y * 320 + x;
  return m.vga.memory.vram[(a & ~3) * 4 + (a & 3)];
}

/** Mode 12h pixel (x, y) assembled from the four planes. */
function pixel12(m: Machine, x: number, y: number): number {
  const o = y * 80 + (x >> 3),
    bit = 7 - (x & 7);
  let c = 0;
  for (let p = 0; p < 4; p++) c |= ((plane(m, p, o) >> bit) & 1) << p;
  return c;
}

/** Fills text rows with one letter each (row r: 'A' + r), attribute 07h, by writing cells. */
function fillRows(m: Machine): void {
  for (let r = 0; r < 25; r++) {
    int10(m, { ax: 0x0200, bx: 0, dx: r << 8 });
    int10(m, { ax: 0x0900 | (0x41 + r), bx: 0x0007, cx: 80 });
  }
  int10(m, { ax: 0x0200, bx: 0, dx: 0 });
}

describe("post", () => {
  it("sets mode 3 and fills the BDA video fields", () => {
    const m = machine(),
      b = m.bios;
    expect(m.modeSets).toEqual([3]);
    expect(b.rb(B.BDA_VIDEO_MODE)).toBe(3);
    expect(b.rw(B.BDA_VIDEO_COLUMNS)).toBe(80);
    expect(b.rw(B.BDA_VIDEO_PAGE_SIZE)).toBe(0x1000);
    expect(b.rw(B.BDA_VIDEO_PAGE_OFFSET)).toBe(0);
    for (let p = 0; p < 8; p++) expect(b.rw(B.BDA_CURSOR_POS + p * 2)).toBe(0);
    expect(b.rw(B.BDA_CURSOR_SHAPE)).toBe(0x0607);
    expect(b.rb(B.BDA_VIDEO_PAGE)).toBe(0);
    expect(b.rw(B.BDA_CRTC_PORT)).toBe(0x3d4);
    expect(b.rb(B.BDA_VIDEO_ROWS)).toBe(24);
    expect(b.rw(B.BDA_CHAR_HEIGHT)).toBe(16);
    expect(b.rb(B.BDA_VIDEO_EGA_MISC)).toBe(0x60);
    expect(b.rb(B.BDA_VIDEO_EGA_SWITCHES)).toBe(0x09);
    expect(b.rb(B.BDA_VIDEO_VGA_FLAGS)).toBe(0x11);
    expect(b.rw(B.BDA_EQUIPMENT) & 0x30).toBe(0x20);
    // The emulated underline cursor 6-7 lands on lines 13-14 of the 16-line cell.
    expect(crtc(m, 0x0a)).toBe(0x0d);
    expect(crtc(m, 0x0b)).toBe(0x0e);
    const s = m.vga.textScreen()!;
    expect([s.cols, s.rows]).toEqual([80, 25]);
    expect(s.cursor).toEqual({ row: 0, col: 0, visible: true });
    const table = (B.EBDA_SEGMENT << 4) + VIDEO_STATIC_TABLE_EBDA_OFFSET;
    expect(Array.from(m.mem.ram.subarray(table, table + 16))).toEqual(Array.from(VIDEO_STATIC_TABLE));
  });
});

describe("AH=00h set mode, AH=0Fh get mode", () => {
  it("sets mode 13h and reports it", () => {
    const m = machine(),
      b = m.bios;
    const r = int10(m, { ax: 0x0013 });
    expect(r.cf).toBe(false);
    expect(m.vga.textScreen()).toBeNull();
    expect(m.vga.displaySize()).toEqual({ width: 320, height: 200 });
    expect(b.rb(B.BDA_VIDEO_MODE)).toBe(0x13);
    expect(b.rw(B.BDA_VIDEO_COLUMNS)).toBe(40);
    expect(b.rb(B.BDA_VIDEO_ROWS)).toBe(24);
    expect(b.rw(B.BDA_CHAR_HEIGHT)).toBe(8);
    const g = int10(m, { ax: 0x0f00 });
    expect([g.al, g.ah, g.bx >> 8]).toEqual([0x13, 40, 0]);
  });

  it("keeps video memory with AL bit 7 and reports the bit back", () => {
    const m = machine();
    print(m, "kept");
    int10(m, { ax: 0x0083 });
    expect(m.vga.textRows()[0]).toBe("kept");
    expect(int10(m, { ax: 0x0f00 }).al).toBe(0x83);
    int10(m, { ax: 0x0003 });
    expect(m.vga.textRows()[0]).toBe("");
    expect(int10(m, { ax: 0x0f00 }).al).toBe(0x03);
  });

  it("sets the 16-colour planar modes with their geometry", () => {
    const m = machine(),
      b = m.bios;
    int10(m, { ax: 0x0012 });
    expect(m.vga.displaySize()).toEqual({ width: 640, height: 480 });
    expect([b.rw(B.BDA_VIDEO_COLUMNS), b.rb(B.BDA_VIDEO_ROWS), b.rw(B.BDA_CHAR_HEIGHT)]).toEqual([80, 29, 16]);
    // INT 43h follows the mode's cell height.
    expect([b.rw(0x43 * 4 + 2), b.rw(0x43 * 4)]).toEqual([ROM_SEGMENT, ROM_8X16]);
    int10(m, { ax: 0x0010 });
    expect([b.rw(B.BDA_VIDEO_COLUMNS), b.rb(B.BDA_VIDEO_ROWS), b.rw(B.BDA_CHAR_HEIGHT)]).toEqual([80, 24, 14]);
    expect(b.rw(0x43 * 4)).toBe(FONT_8X14);
    int10(m, { ax: 0x000d });
    expect([b.rw(B.BDA_VIDEO_COLUMNS), b.rb(B.BDA_VIDEO_ROWS), b.rw(B.BDA_CHAR_HEIGHT)]).toEqual([40, 24, 8]);
  });

  it("refuses a mode the adapter cannot set, counted, CF=1 AH=86h, mode unchanged", () => {
    const m = machine();
    const r = int10(m, { ax: 0x0004 });
    expect(r.cf).toBe(true);
    expect(r.ah).toBe(0x86);
    expect(m.bios.unsupported.get("INT 10h AX=0004")).toBe(1);
    expect(m.bios.rb(B.BDA_VIDEO_MODE)).toBe(3);
    expect(int10(m, { ax: 0x006a }).cf).toBe(true);
  });
});

describe("teletype (AH=0Eh)", () => {
  it("prints, handles CR, LF, BS and BEL, and moves the hardware cursor", () => {
    const m = machine();
    print(m, "Hello\r\nWorld\x07");
    expect(m.vga.textRows().slice(0, 2)).toEqual(["Hello", "World"]);
    expect(cursor(m)).toEqual({ row: 1, col: 5, visible: true });
    print(m, "\b\bX");
    expect(m.vga.textRows()[1]).toBe("WorXd");
    expect(cursor(m)).toMatchObject({ row: 1, col: 4 });
    expect(m.bios.rw(B.BDA_CURSOR_POS)).toBe(0x0104);
    // Backspace stops at the left edge.
    print(m, "\r\b");
    expect(cursor(m)).toMatchObject({ row: 1, col: 0 });
  });

  it("writes the character only, keeping the cell's attribute", () => {
    const m = machine();
    int10(m, { ax: 0x0920, bx: 0x001e, cx: 80 });
    print(m, "ab", 0x4f);
    expect(Array.from(m.vga.textScreen()!.attrs[0].subarray(0, 3))).toEqual([0x1e, 0x1e, 0x1e]);
  });

  it("wraps at the right edge", () => {
    const m = machine();
    print(m, "a".repeat(85));
    expect(m.vga.textRows().slice(0, 2)).toEqual(["a".repeat(80), "aaaaa"]);
    expect(cursor(m)).toMatchObject({ row: 1, col: 5 });
  });

  it("scrolls at the bottom with the attribute under the cursor", () => {
    const m = machine();
    fillRows(m);
    int10(m, { ax: 0x0200, bx: 0, dx: 0x1800 }); // row 24
    int10(m, { ax: 0x0959, bx: 0x001f, cx: 80 }); // row 24: 'Y' on blue
    print(m, "\n");
    const s = m.vga.textScreen()!;
    expect(s.chars[0]).toBe("B".repeat(80));
    expect(s.chars[22]).toBe("X".repeat(80));
    expect(s.chars[23]).toBe("Y".repeat(80));
    expect(s.chars[24]).toBe(" ".repeat(80));
    expect(s.attrs[24].every((a) => a === 0x1f)).toBe(true);
    expect(s.cursor).toMatchObject({ row: 24, col: 0 });
    // Wrapping past the last cell of the screen scrolls too.
    int10(m, { ax: 0x0200, bx: 0, dx: 0x184f });
    print(m, "!z");
    const t = m.vga.textRows();
    expect(t[23]).toBe(" ".repeat(79) + "!");
    expect(t[24]).toBe("z");
  });

  it("keeps up with long output (scrolling only moves the screen once per line)", () => {
    const m = machine();
    for (let i = 0; i < 300; i++) print(m, `line ${i}\r\n`);
    const rows = m.vga.textRows();
    expect(rows[0]).toBe("line 276");
    expect(rows[23]).toBe("line 299");
    expect(rows[24]).toBe("");
  });

  it("is offered to other services as teletype()", () => {
    const m = machine();
    for (const ch of "No bootable device") m.bios.video.teletype(ch.charCodeAt(0));
    expect(m.vga.textRows()[0]).toBe("No bootable device");
  });
});

describe("cursor (AH=01h-03h) and pages (AH=05h)", () => {
  it("sets and gets the position per page; only the active page moves the hardware cursor", () => {
    const m = machine();
    int10(m, { ax: 0x0200, bx: 0x0000, dx: 0x050a });
    expect(cursor(m)).toEqual({ row: 5, col: 10, visible: true });
    int10(m, { ax: 0x0200, bx: 0x0100, dx: 0x0203 });
    expect(cursor(m)).toMatchObject({ row: 5, col: 10 });
    const r0 = int10(m, { ax: 0x0300, bx: 0x0000 });
    expect([r0.dx, r0.cx]).toEqual([0x050a, 0x0607]);
    expect(int10(m, { ax: 0x0300, bx: 0x0100 }).dx).toBe(0x0203);
  });

  it("sets the cursor shape with emulation, hides it with CH bit 5, and honours 12h/34h", () => {
    const m = machine();
    int10(m, { ax: 0x0100, cx: 0x0007 });
    expect([crtc(m, 0x0a), crtc(m, 0x0b)]).toEqual([0, 14]);
    expect(int10(m, { ax: 0x0300, bx: 0 }).cx).toBe(0x0007);
    int10(m, { ax: 0x0100, cx: 0x2607 });
    expect(crtc(m, 0x0a) & 0x20).toBe(0x20);
    expect(cursor(m).visible).toBe(false);
    int10(m, { ax: 0x0100, cx: 0x0607 });
    expect(cursor(m).visible).toBe(true);
    expect(int10(m, { ax: 0x1201, bx: 0x0034 }).al).toBe(0x12);
    int10(m, { ax: 0x0100, cx: 0x0607 });
    expect([crtc(m, 0x0a), crtc(m, 0x0b)]).toEqual([6, 7]);
    int10(m, { ax: 0x1200, bx: 0x0034 });
    int10(m, { ax: 0x0100, cx: 0x0607 });
    expect([crtc(m, 0x0a), crtc(m, 0x0b)]).toEqual([13, 14]);
  });

  it("shows another page: CRTC start address, page offset, its own cursor", () => {
    const m = machine(),
      b = m.bios;
    print(m, "page zero");
    int10(m, { ax: 0x0501 });
    expect(b.rb(B.BDA_VIDEO_PAGE)).toBe(1);
    expect(b.rw(B.BDA_VIDEO_PAGE_OFFSET)).toBe(0x1000);
    expect((crtc(m, 0x0c) << 8) | crtc(m, 0x0d)).toBe(0x800);
    expect(m.vga.textRows()[0]).toBe("");
    print(m, "page one");
    expect(m.vga.textRows()[0]).toBe("page one");
    expect(cursor(m)).toMatchObject({ row: 0, col: 8 });
    expect(int10(m, { ax: 0x0f00 }).bx >> 8).toBe(1);
    int10(m, { ax: 0x0500 });
    expect(m.vga.textRows()[0]).toBe("page zero");
    expect(cursor(m)).toMatchObject({ row: 0, col: 9 });
    // A page the mode does not have is ignored.
    int10(m, { ax: 0x0508 });
    expect(b.rb(B.BDA_VIDEO_PAGE)).toBe(0);
  });
});

describe("scrolling (AH=06h/07h)", () => {
  it("scrolls a window up, blanking with BH, leaving the rest alone", () => {
    const m = machine();
    fillRows(m);
    int10(m, { ax: 0x0602, bx: 0x1e00, cx: 0x020a, dx: 0x0a14 });
    const s = m.vga.textScreen()!;
    expect(s.chars[2].slice(10, 21)).toBe("E".repeat(11));
    expect(s.chars[8].slice(10, 21)).toBe("K".repeat(11));
    expect(s.chars[9].slice(10, 21)).toBe(" ".repeat(11));
    expect(s.chars[10].slice(10, 21)).toBe(" ".repeat(11));
    expect(s.attrs[10][10]).toBe(0x1e);
    expect(s.attrs[10][21]).toBe(0x07);
    expect(s.chars[2].slice(0, 10)).toBe("C".repeat(10));
    expect(s.chars[2].slice(21)).toBe("C".repeat(59));
    expect(s.chars[11]).toBe("L".repeat(80));
  });

  it("scrolls a window down", () => {
    const m = machine();
    fillRows(m);
    int10(m, { ax: 0x0701, bx: 0x7000, cx: 0x0000, dx: 0x184f });
    const s = m.vga.textScreen()!;
    expect(s.chars[0]).toBe(" ".repeat(80));
    expect(s.attrs[0][0]).toBe(0x70);
    expect(s.chars[1]).toBe("A".repeat(80));
    expect(s.chars[24]).toBe("X".repeat(80));
  });

  it("clears the window with AL=0 and clips it to the screen", () => {
    const m = machine();
    fillRows(m);
    int10(m, { ax: 0x0600, bx: 0x0700, cx: 0x0000, dx: 0xffff });
    expect(m.vga.textRows().every((r) => r === "")).toBe(true);
  });

  it("scrolls in mode 12h by character rows, filling with BH", () => {
    const m = machine();
    int10(m, { ax: 0x0012 });
    int10(m, { ax: 0x0c05, bx: 0, cx: 100, dx: 16 + 3 }); // char row 1, line 3
    int10(m, { ax: 0x0601, bx: 0x0200, cx: 0, dx: 0x1d4f });
    expect(pixel12(m, 100, 3)).toBe(5);
    expect(pixel12(m, 100, 19)).toBe(0);
    expect(pixel12(m, 0, 29 * 16)).toBe(2);
    expect(pixel12(m, 639, 479)).toBe(2);
    // The data-path registers are as the guest left them.
    expect([m.vga.gc[5], m.vga.gc[8], m.vga.seq[2]]).toEqual([0x00, 0xff, 0x0f]);
  });

  it("scrolls in mode 13h", () => {
    const m = machine();
    int10(m, { ax: 0x0013 });
    int10(m, { ax: 0x0c2a, cx: 17, dx: 8 * 5 + 1 });
    int10(m, { ax: 0x0702, bx: 0x0900, cx: 0, dx: 0x1827 });
    expect(pixel13(m, 17, 8 * 7 + 1)).toBe(0x2a);
    expect(pixel13(m, 17, 8 * 5 + 1)).toBe(0);
    expect(pixel13(m, 319, 15)).toBe(9);
  });
});

describe("characters (AH=08h-0Ah) and strings (AH=13h)", () => {
  it("writes a character and attribute CX times without moving the cursor, and reads it back", () => {
    const m = machine();
    int10(m, { ax: 0x0200, bx: 0, dx: 0x0346 });
    int10(m, { ax: 0x092a, bx: 0x004f, cx: 100 });
    const s = m.vga.textScreen()!;
    expect(s.chars[3].slice(70)).toBe("*".repeat(10));
    expect(s.chars[4]).toBe("*".repeat(80));
    expect(s.chars[5].slice(0, 11)).toBe("*".repeat(10) + " ");
    expect(s.attrs[5][9]).toBe(0x4f);
    expect(s.cursor).toMatchObject({ row: 3, col: 70 });
    expect(int10(m, { ax: 0x0800, bx: 0 }).ax).toBe(0x4f2a);
    int10(m, { ax: 0x0a41, bx: 0x0012, cx: 2 });
    expect(m.vga.textScreen()!.chars[3].slice(70, 73)).toBe("AA*");
    expect(int10(m, { ax: 0x0800, bx: 0 }).ax).toBe(0x4f41);
  });

  it("writes strings in all four forms", () => {
    const m = machine(),
      b = m.bios;
    const put = (addr: number, bytes: number[]) => bytes.forEach((v, i) => b.wb(addr + i, v));
    const text = [..."Hi!"].map((c) => c.charCodeAt(0));
    put(0x20000, text);
    put(0x20010, [0x41, 0x1f, 0x42, 0x2e]);
    // AL=0: attribute BL, cursor stays.
    int10(m, { ax: 0x1300, bx: 0x0017, cx: 3, dx: 0x0203, es: 0x2000, bp: 0x0000 });
    let s = m.vga.textScreen()!;
    expect(s.chars[2].slice(3, 6)).toBe("Hi!");
    expect(s.attrs[2][4]).toBe(0x17);
    expect(s.cursor).toMatchObject({ row: 0, col: 0 });
    // AL=1: cursor moves past the string.
    int10(m, { ax: 0x1301, bx: 0x0070, cx: 3, dx: 0x0400, es: 0x2000, bp: 0x0000 });
    expect(cursor(m)).toMatchObject({ row: 4, col: 3 });
    // AL=2: character/attribute pairs, cursor stays.
    int10(m, { ax: 0x1302, bx: 0x0000, cx: 2, dx: 0x0500, es: 0x2000, bp: 0x0010 });
    s = m.vga.textScreen()!;
    expect(s.chars[5].slice(0, 2)).toBe("AB");
    expect([s.attrs[5][0], s.attrs[5][1]]).toEqual([0x1f, 0x2e]);
    expect(s.cursor).toMatchObject({ row: 4, col: 3 });
    // AL=3: pairs and the cursor moves; CR and LF act as in teletype.
    put(0x20020, [0x58, 0x1f, 0x0d, 0x00, 0x0a, 0x00, 0x59, 0x4e]);
    int10(m, { ax: 0x1303, bx: 0x0000, cx: 4, dx: 0x0608, es: 0x2000, bp: 0x0020 });
    s = m.vga.textScreen()!;
    expect(s.chars[6].slice(8, 9)).toBe("X");
    expect(s.chars[7].slice(0, 1)).toBe("Y");
    expect(s.attrs[7][0]).toBe(0x4e);
    expect(s.cursor).toMatchObject({ row: 7, col: 1 });
    // Other forms are not defined.
    expect(int10(m, { ax: 0x1304, cx: 1, es: 0x2000, bp: 0 }).cf).toBe(true);
  });

  it("draws glyphs in mode 13h in the given colour and reads the character back", () => {
    const m = machine();
    int10(m, { ax: 0x0013 });
    int10(m, { ax: 0x0200, bx: 0, dx: 0x0203 });
    int10(m, { ax: 0x0942, bx: 0x000e, cx: 1 });
    const x0 = 3 * 8,
      y0 = 2 * 8;
    for (let l = 0; l < 8; l++) {
      for (let x = 0; x < 8; x++) {
        expect(pixel13(m, x0 + x, y0 + l)).toBe((FONT_8X8[0x42 * 8 + l] << x) & 0x80 ? 0x0e : 0);
      }
    }
    expect(int10(m, { ax: 0x0800, bx: 0 }).al).toBe(0x42);
    // Characters 80h-FFh come from the INT 1Fh half of the font.
    int10(m, { ax: 0x09b1, bx: 0x0003, cx: 1 });
    for (let l = 0; l < 8; l++) {
      for (let x = 0; x < 8; x++) expect(pixel13(m, x0 + x, y0 + l)).toBe((FONT_8X8[0xb1 * 8 + l] << x) & 0x80 ? 3 : 0);
    }
    expect(int10(m, { ax: 0x0800, bx: 0 }).al).toBe(0xb1);
  });

  it("draws glyphs in mode 12h, clears the cell, XORs with colour bit 7, and teletypes", () => {
    const m = machine();
    int10(m, { ax: 0x0012 });
    int10(m, { ax: 0x0c0f, cx: 7, dx: 5 }); // a pixel the glyph does not cover: cleared by AH=09h
    int10(m, { ax: 0x0941, bx: 0x000c, cx: 1 });
    for (let l = 0; l < 16; l++) {
      for (let x = 0; x < 8; x++) {
        expect(pixel12(m, x, l)).toBe((FONT_8X16[0x41 * 16 + l] << x) & 0x80 ? 0x0c : 0);
      }
    }
    expect(int10(m, { ax: 0x0800, bx: 0 }).al).toBe(0x41);
    int10(m, { ax: 0x0941, bx: 0x0089, cx: 1 });
    const on = FONT_8X16.subarray(0x41 * 16, 0x42 * 16).findIndex((v) => v !== 0);
    const bit = Math.clz32(FONT_8X16[0x41 * 16 + on]) - 24;
    expect(pixel12(m, bit, on)).toBe(0x0c ^ 0x09);
    print(m, "ok\r\n", 0x0a);
    expect(pixel12(m, 0, 0)).toBe(0);
    int10(m, { ax: 0x0200, bx: 0, dx: 0 });
    expect(int10(m, { ax: 0x0800, bx: 0 }).al).toBe(0x6f);
    expect(int10(m, { ax: 0x0300, bx: 0 }).dx).toBe(0);
    expect([m.vga.gc[0], m.vga.gc[3], m.vga.gc[5], m.vga.gc[8]]).toEqual([0, 0, 0, 0xff]);
  });
});

describe("pixels (AH=0Ch/0Dh)", () => {
  it("writes and reads mode 13h pixels", () => {
    const m = machine();
    int10(m, { ax: 0x0013 });
    int10(m, { ax: 0x0caa, cx: 100, dx: 50 });
    expect(pixel13(m, 100, 50)).toBe(0xaa);
    expect(int10(m, { ax: 0x0d00, cx: 100, dx: 50 }).al).toBe(0xaa);
    expect(int10(m, { ax: 0x0d00, cx: 101, dx: 50 }).al).toBe(0);
    // Off-screen writes are dropped.
    int10(m, { ax: 0x0c11, cx: 320, dx: 0 });
    expect(pixel13(m, 0, 1)).toBe(0);
  });

  it("writes and reads mode 12h pixels through the planes, XOR with bit 7", () => {
    const m = machine();
    int10(m, { ax: 0x0012 });
    int10(m, { ax: 0x0c0b, cx: 123, dx: 45 });
    const o = 45 * 80 + 15,
      bit = 0x80 >> 3;
    expect([0, 1, 2, 3].map((p) => plane(m, p, o) & bit)).toEqual([bit, bit, 0, bit]);
    expect(pixel12(m, 122, 45)).toBe(0);
    expect(pixel12(m, 124, 45)).toBe(0);
    expect(int10(m, { ax: 0x0d00, cx: 123, dx: 45 }).al).toBe(0x0b);
    int10(m, { ax: 0x0c83, cx: 123, dx: 45 });
    expect(int10(m, { ax: 0x0d00, cx: 123, dx: 45 }).al).toBe(0x08);
    // A neighbour in the same byte keeps its colour when another pixel is written, whatever
    // byte the latches held before.
    int10(m, { ax: 0x0c01, cx: 400, dx: 300 });
    expect(int10(m, { ax: 0x0d00, cx: 400, dx: 300 }).al).toBe(1);
    for (let x = 401; x < 408; x++) expect(pixel12(m, x, 300)).toBe(0);
    int10(m, { ax: 0x0c06, cx: 122, dx: 45 });
    expect([pixel12(m, 122, 45), pixel12(m, 123, 45)]).toEqual([6, 8]);
    expect([m.vga.gc[3], m.vga.gc[4], m.vga.gc[5], m.vga.gc[8]]).toEqual([0, 0, 0, 0xff]);
  });

  it("does nothing to text memory in text modes", () => {
    const m = machine();
    print(m, "abc");
    int10(m, { ax: 0x0c0f, cx: 0, dx: 0 });
    expect(m.vga.textRows()[0]).toBe("abc");
    expect(int10(m, { ax: 0x0d00, cx: 0, dx: 0 }).al).toBe(0);
  });
});

describe("character generator (AH=11h)", () => {
  it("AX=1112h gives 80x50 with 8-line characters", () => {
    const m = machine(),
      b = m.bios;
    int10(m, { ax: 0x1112, bx: 0 });
    const s = m.vga.textScreen()!;
    expect([s.cols, s.rows]).toEqual([80, 50]);
    expect(crtc(m, 0x09) & 0x1f).toBe(7);
    expect([crtc(m, 0x0a), crtc(m, 0x0b)]).toEqual([6, 7]);
    expect(b.rb(B.BDA_VIDEO_ROWS)).toBe(49);
    expect(b.rw(B.BDA_CHAR_HEIGHT)).toBe(8);
    expect(b.rw(B.BDA_VIDEO_PAGE_SIZE)).toBe(0x2000);
    // The 8x8 glyph of 'A' is in map 0 of plane 2 (32 bytes per character).
    for (let l = 0; l < 8; l++) expect(plane(m, 2, 0x41 * 32 + l)).toBe(FONT_8X8[0x41 * 8 + l]);
    // Teletype uses all 50 rows and scrolls at the 50th.
    for (let i = 0; i < 52; i++) print(m, `${i}\r\n`);
    const rows = m.vga.textRows();
    expect(rows[0]).toBe("3");
    expect(rows[48]).toBe("51");
    expect(cursor(m)).toMatchObject({ row: 49, col: 0 });
    const info = int10(m, { ax: 0x1130, bx: 0x0000 });
    expect([info.cx, info.dx & 0xff]).toEqual([8, 49]);
  });

  it("AX=1111h gives 28 rows of 14 lines; AX=1114h returns to 25 of 16", () => {
    const m = machine();
    int10(m, { ax: 0x1111, bx: 0 });
    let s = m.vga.textScreen()!;
    expect(s.rows).toBe(28);
    expect(m.bios.rb(B.BDA_VIDEO_ROWS)).toBe(27);
    expect([crtc(m, 0x0a), crtc(m, 0x0b)]).toEqual([11, 12]);
    int10(m, { ax: 0x1114, bx: 0 });
    s = m.vga.textScreen()!;
    // 28 rows of 14 lines left 392 scan lines: 24 whole 16-line rows.
    expect(s.rows).toBe(24);
    int10(m, { ax: 0x0003 });
    expect(m.vga.textScreen()!.rows).toBe(25);
  });

  it("AX=1100h loads a user font from ES:BP into the chosen block without reprogramming", () => {
    const m = machine(),
      b = m.bios;
    for (let i = 0; i < 32; i++) b.wb(0x30000 + i, 0x80 | i);
    int10(m, { ax: 0x1100, bx: 0x1002, cx: 2, dx: 0x0061, es: 0x3000, bp: 0 });
    // Block 2 starts at 8000h of plane 2.
    for (let i = 0; i < 16; i++) {
      expect(plane(m, 2, 0x8000 + 0x61 * 32 + i)).toBe(0x80 | i);
      expect(plane(m, 2, 0x8000 + 0x62 * 32 + i)).toBe(0x90 | i);
    }
    expect(m.vga.textScreen()!.rows).toBe(25);
    // Text memory and its addressing are intact.
    print(m, "still");
    expect(m.vga.textRows()[0]).toBe("still");
    int10(m, { ax: 0x1103, bx: 0x0012 });
    expect(m.vga.seq[3]).toBe(0x12);
  });

  it("AX=1130h returns the font pointers, height and rows", () => {
    const m = machine();
    const want: [number, number, number][] = [
      [0x00, ROM_SEGMENT, FONT_8X8_HIGH],
      [0x01, ROM_SEGMENT, ROM_8X8],
      [0x02, ROM_SEGMENT, FONT_8X14],
      [0x03, ROM_SEGMENT, ROM_8X8],
      [0x04, ROM_SEGMENT, FONT_8X8_HIGH],
      [0x06, ROM_SEGMENT, ROM_8X16],
    ];
    for (const [bh, seg, off] of want) {
      const r = int10(m, { ax: 0x1130, bx: bh << 8 });
      expect([r.es, r.bp, r.cx, r.dx & 0xff], `BH=${bh}`).toEqual([seg, off, 16, 24]);
    }
    // The ROM holds what the pointers promise.
    expect(m.bios.rb((ROM_SEGMENT << 4) + ROM_8X16 + 0x41 * 16 + 5)).toBe(FONT_8X16[0x41 * 16 + 5]);
    expect(int10(m, { ax: 0x1130, bx: 0x0900 }).cf).toBe(true);
  });

  it("AX=1123h/1121h set the graphics font and rows", () => {
    const m = machine(),
      b = m.bios;
    int10(m, { ax: 0x0012 });
    int10(m, { ax: 0x1123, bx: 0x0002 });
    expect([b.rw(0x43 * 4 + 2), b.rw(0x43 * 4)]).toEqual([ROM_SEGMENT, ROM_8X8]);
    expect([b.rw(B.BDA_CHAR_HEIGHT), b.rb(B.BDA_VIDEO_ROWS)]).toEqual([8, 24]);
    int10(m, { ax: 0x1121, bx: 0x0000, cx: 16, dx: 30, es: 0x1234, bp: 0x5678 });
    expect([b.rw(0x43 * 4 + 2), b.rw(0x43 * 4)]).toEqual([0x1234, 0x5678]);
    expect([b.rw(B.BDA_CHAR_HEIGHT), b.rb(B.BDA_VIDEO_ROWS)]).toEqual([16, 29]);
  });
});

describe("CGA palette (AH=0Bh)", () => {
  it("sets the border in text modes and the background in graphics modes", () => {
    const m = machine(),
      b = m.bios;
    int10(m, { ax: 0x0b00, bx: 0x0001 });
    expect(m.vga.attr[0x11]).toBe(0x01);
    expect(m.vga.attr[0]).toBe(0x00);
    expect(b.rb(B.BDA_VIDEO_PALETTE) & 0x1f).toBe(0x01);
    int10(m, { ax: 0x000d });
    // Bright blue in a 200-line mode: intensity is palette bit 4.
    int10(m, { ax: 0x0b00, bx: 0x0009 });
    expect([m.vga.attr[0], m.vga.attr[0x11]]).toEqual([0x11, 0x11]);
    int10(m, { ax: 0x0b00, bx: 0x0101 });
    expect(b.rb(B.BDA_VIDEO_PALETTE) & 0x20).toBe(0x20);
    expect(int10(m, { ax: 0x0b00, bx: 0x0200 }).cf).toBe(true);
  });
});

describe("palette and DAC (AH=10h)", () => {
  it("sets and reads DAC registers singly and in blocks, and the pel mask", () => {
    const m = machine(),
      b = m.bios;
    int10(m, { ax: 0x1010, bx: 5, dx: 0x0a00, cx: 0x141e });
    expect(Array.from(m.vga.dac.subarray(15, 18))).toEqual([10, 20, 30]);
    const r = int10(m, { ax: 0x1015, bx: 5 });
    expect([r.dx >> 8, r.cx >> 8, r.cx & 0xff]).toEqual([10, 20, 30]);
    for (let i = 0; i < 6; i++) b.wb(0x40000 + i, 40 + i);
    int10(m, { ax: 0x1012, bx: 0x80, cx: 2, es: 0x4000, dx: 0 });
    expect(Array.from(m.vga.dac.subarray(0x80 * 3, 0x80 * 3 + 6))).toEqual([40, 41, 42, 43, 44, 45]);
    int10(m, { ax: 0x1017, bx: 0x80, cx: 2, es: 0x4000, dx: 0x10 });
    expect(Array.from(m.mem.ram.subarray(0x40010, 0x40016))).toEqual([40, 41, 42, 43, 44, 45]);
    int10(m, { ax: 0x1018, bx: 0x0f });
    expect(m.vga.pelMask).toBe(0x0f);
    expect(int10(m, { ax: 0x1019, bx: 0 }).bx & 0xff).toBe(0x0f);
  });

  it("sums to grey levels (AX=101Bh)", () => {
    const m = machine();
    int10(m, { ax: 0x1010, bx: 9, dx: 0x3f00, cx: 0x0000 });
    int10(m, { ax: 0x101b, bx: 9, cx: 1 });
    expect(Array.from(m.vga.dac.subarray(27, 30))).toEqual([19, 19, 19]);
  });

  it("sets and reads palette registers, overscan, all at once, and the blink bit", () => {
    const m = machine(),
      b = m.bios;
    int10(m, { ax: 0x1000, bx: 0x3f01 });
    expect(m.vga.attr[1]).toBe(0x3f);
    // The display is on again afterwards (palette address source set).
    expect(m.vga.attrAddress & 0x20).toBe(0x20);
    expect(int10(m, { ax: 0x1007, bx: 0x0001 }).bx >> 8).toBe(0x3f);
    int10(m, { ax: 0x1001, bx: 0x2a00 });
    expect(int10(m, { ax: 0x1008, bx: 0 }).bx >> 8).toBe(0x2a);
    for (let i = 0; i < 17; i++) b.wb(0x50000 + i, i + 1);
    int10(m, { ax: 0x1002, es: 0x5000, dx: 0 });
    expect(Array.from(m.vga.attr.subarray(0, 16))).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(m.vga.attr[0x11]).toBe(17);
    int10(m, { ax: 0x1009, es: 0x5000, dx: 0x20 });
    expect(Array.from(m.mem.ram.subarray(0x50020, 0x50031))).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    int10(m, { ax: 0x1003, bx: 0x0000 });
    expect(m.vga.attr[0x10] & 0x08).toBe(0);
    expect(b.rb(B.BDA_VIDEO_MODE_CTL) & 0x20).toBe(0);
    int10(m, { ax: 0x1003, bx: 0x0001 });
    expect(m.vga.attr[0x10] & 0x08).toBe(0x08);
    expect(b.rb(B.BDA_VIDEO_MODE_CTL) & 0x20).toBe(0x20);
  });

  it("selects colour pages (AX=1013h) and reports them (AX=101Ah)", () => {
    const m = machine();
    int10(m, { ax: 0x1013, bx: 0x0100 });
    int10(m, { ax: 0x1013, bx: 0x0901 });
    expect(m.vga.attr[0x14]).toBe(9);
    const r = int10(m, { ax: 0x101a });
    expect([r.bx & 0xff, r.bx >> 8]).toEqual([1, 9]);
  });
});

describe("configuration and state (AH=12h, 1Ah, 1Bh)", () => {
  it("AH=12h BL=10h describes a colour VGA with 256 KiB", () => {
    const m = machine();
    const r = int10(m, { ax: 0x1200, bx: 0x0010 });
    expect([r.bx, r.cx]).toEqual([0x0003, 0x0009]);
    expect(int10(m, { ax: 0x1201, bx: 0x0030 }).al).toBe(0x12);
    expect(int10(m, { ax: 0x1201, bx: 0x0033 }).al).toBe(0x12);
    expect(m.bios.rb(B.BDA_VIDEO_VGA_FLAGS) & 0x02).toBe(0);
    expect(int10(m, { ax: 0x1200, bx: 0x0020 }).cf).toBe(true);
  });

  it("AH=12h BL=31h keeps the DAC across a mode set; BL=36h blanks the screen", () => {
    const m = machine();
    int10(m, { ax: 0x1010, bx: 1, dx: 0x0100, cx: 0x0203 });
    expect(int10(m, { ax: 0x1201, bx: 0x0031 }).al).toBe(0x12);
    int10(m, { ax: 0x0003 });
    expect(Array.from(m.vga.dac.subarray(3, 6))).toEqual([1, 2, 3]);
    int10(m, { ax: 0x1200, bx: 0x0031 });
    int10(m, { ax: 0x0003 });
    expect(Array.from(m.vga.dac.subarray(3, 6))).toEqual([0, 0, 0x2a]);
    int10(m, { ax: 0x1201, bx: 0x0036 });
    expect(m.vga.seq[1] & 0x20).toBe(0x20);
    int10(m, { ax: 0x1200, bx: 0x0036 });
    expect(m.vga.seq[1] & 0x20).toBe(0);
  });

  it("AX=1A00h reports a colour VGA; AX=1A01h cannot change it", () => {
    const m = machine();
    const r = int10(m, { ax: 0x1a00 });
    expect([r.al, r.bx, r.cf]).toEqual([0x1a, 0x0008, false]);
    expect(int10(m, { ax: 0x1a01, bx: 0x0007 }).cf).toBe(true);
  });

  it("AH=1Bh fills the 64-byte state table", () => {
    const m = machine();
    int10(m, { ax: 0x0200, bx: 0, dx: 0x0a05 });
    const r = int10(m, { ax: 0x1b00, bx: 0, es: 0x6000, di: 0x0100 });
    expect(r.al).toBe(0x1b);
    const t = m.mem.ram.subarray(0x60100, 0x60140);
    const w = (o: number) => t[o] | (t[o + 1] << 8);
    expect([w(0), w(2)]).toEqual([VIDEO_STATIC_TABLE_EBDA_OFFSET, B.EBDA_SEGMENT]);
    expect([t[4], w(5), w(7), t[0x0b], t[0x0c], t[0x1b], t[0x1c], w(0x1e)]).toEqual([
      3, 80, 0x1000, 5, 10, 7, 6, 0x3d4,
    ]);
    expect([t[0x22], w(0x23), t[0x25], w(0x27), t[0x29], t[0x2a], t[0x31]]).toEqual([25, 16, 8, 16, 8, 2, 3]);
    expect(t[0x2d] & 0x30).toBe(0x30); // cursor emulation, blink
    expect(int10(m, { ax: 0x1b00, bx: 1, es: 0x6000, di: 0 }).cf).toBe(true);
  });
});

describe("functions not offered", () => {
  it("AH=1Ch and unknown functions are counted and fail with CF=1, AH=86h", () => {
    const m = machine();
    let r = int10(m, { ax: 0x1c00, cx: 7 });
    expect([r.cf, r.ah]).toEqual([true, 0x86]);
    int10(m, { ax: 0x1c00, cx: 7 });
    expect(m.bios.unsupported.get("INT 10h AX=1c00")).toBe(2);
    r = int10(m, { ax: 0x10ff });
    expect([r.cf, r.ah]).toEqual([true, 0x86]);
    expect(m.bios.unsupported.get("INT 10h AX=10ff")).toBe(1);
    // Functions that succeed leave the caller's carry alone.
    expect(int10(m, { ax: 0x0f00 }).cf).toBe(false);
  });

  it("VBE functions not offered (AX=4F04h save/restore state) answer AX=014Fh and are counted", () => {
    const m = machine();
    const r = int10(m, { ax: 0x4f04, es: 0x7000, di: 0 });
    expect(r.ax).toBe(0x014f);
    expect(m.bios.unsupported.get("INT 10h AX=4f04")).toBe(1);
  });
});

describe("state", () => {
  it("keeps none of its own: a fresh BIOS over a restored machine continues where the old one was", () => {
    const a = machine();
    print(a, "first\r\nsecond");
    int10(a, { ax: 0x1112, bx: 0 });
    const b = machine();
    b.vga.loadState(a.vga.saveState(), a.vga.stateVersion);
    b.mem.ram.set(a.mem.ram.subarray(0x400, 0x500), 0x400);
    print(b, "!");
    print(a, "!");
    expect(b.vga.textRows().slice(0, 3)).toEqual(["first", "second!", ""]);
    expect(b.vga.textScreen()).toEqual(a.vga.textScreen());
  });
});
