import { describe, it, expect } from "vitest";
import { DeviceHarness } from "../testing/harness.ts";
import { Vga } from "./vga.ts";
import { programMode, setTextFont } from "./modes.ts";
import { FONT_8X16 } from "./font8x16.ts";
import {
  CRTC_CURSOR_LOC_HI,
  CRTC_CURSOR_LOC_LO,
  CRTC_CURSOR_START,
  CRTC_LINE_COMPARE,
  CRTC_MAX_SCAN_LINE,
  CRTC_OVERFLOW,
  CRTC_START_ADDR_HI,
  CRTC_START_ADDR_LO,
  FRAME_NS,
  GC_MODE,
  PORT_ATTR_INDEX,
  PORT_CRTC_INDEX,
  PORT_DAC_DATA,
  PORT_DAC_WRITE_INDEX,
  PORT_GC_INDEX,
  PORT_SEQ_INDEX,
  PORT_STATUS1,
  SEQ_CLOCKING,
} from "./vga-regs.ts";

function setup(mode: number): { h: DeviceHarness; vga: Vga } {
  const h = new DeviceHarness();
  const vga = new Vga(h.clock);
  h.attach(vga.ioSurface(), vga);
  programMode(vga, mode);
  return { h, vga };
}

function crtc(h: DeviceHarness, i: number, v: number): void {
  h.outb(PORT_CRTC_INDEX, i);
  h.outb(PORT_CRTC_INDEX + 1, v);
}
function crtcRead(h: DeviceHarness, i: number): number {
  h.outb(PORT_CRTC_INDEX, i);
  return h.inb(PORT_CRTC_INDEX + 1);
}

/** Writes text with one attribute at a cell of an 80-column screen at B8000. */
function put(vga: Vga, row: number, col: number, text: string, attr: number, cols = 80): void {
  for (let i = 0; i < text.length; i++) {
    const off = 0x18000 + (row * cols + col + i) * 2;
    vga.memory.write8(off, text.charCodeAt(i));
    vga.memory.write8(off + 1, attr);
  }
}

function frame(vga: Vga): { px: Uint32Array; width: number; height: number } {
  const { width, height } = vga.displaySize();
  const px = new Uint32Array(width * height);
  vga.render(px);
  return { px, width, height };
}

function rgba(r: number, g: number, b: number): number {
  return (r | (g << 8) | (b << 16) | 0xff000000) >>> 0;
}

/** 6-bit DAC value as the 8-bit value the renderer produces. */
const c8 = (v: number) => (v << 2) | (v >> 4);

describe("text modes", () => {
  it("shows characters and attributes written at B8000 in textScreen", () => {
    const { vga } = setup(3);
    put(vga, 0, 0, "Hello", 0x1f);
    put(vga, 24, 75, "\xc9\xcd\xbb\x01\xb1", 0x4e);
    const s = vga.textScreen()!;
    expect(s.cols).toBe(80);
    expect(s.rows).toBe(25);
    expect(s.chars[0].slice(0, 6)).toBe("Hello ");
    expect(s.chars[24].slice(75)).toBe("╔═╗☺▒");
    expect(Array.from(s.attrs[0].slice(0, 6))).toEqual([0x1f, 0x1f, 0x1f, 0x1f, 0x1f, 0x07]);
    expect(s.attrs[24][79]).toBe(0x4e);
    expect(vga.textRows()[0]).toBe("Hello");
    expect(vga.textRows()[1]).toBe("");
  });

  it("follows the start address", () => {
    const { h, vga } = setup(3);
    put(vga, 1, 0, "second", 0x07);
    crtc(h, CRTC_START_ADDR_HI, 0);
    crtc(h, CRTC_START_ADDR_LO, 80);
    expect(vga.textRows()[0]).toBe("second");
  });

  it("reports the cursor position from CRTC registers 0Eh/0Fh and its disable bit", () => {
    const { h, vga } = setup(3);
    const loc = 12 * 80 + 34;
    crtc(h, CRTC_CURSOR_LOC_HI, loc >> 8);
    crtc(h, CRTC_CURSOR_LOC_LO, loc & 0xff);
    expect(vga.textScreen()!.cursor).toEqual({ row: 12, col: 34, visible: true });
    crtc(h, CRTC_CURSOR_START, 0x20 | 0x0d);
    expect(vga.textScreen()!.cursor.visible).toBe(false);
  });

  it("gives 80x50 with the 8x8 font (max scan line 7)", () => {
    const { h, vga } = setup(3);
    setTextFont(vga, 8);
    expect(crtcRead(h, CRTC_MAX_SCAN_LINE) & 0x1f).toBe(7);
    const s = vga.textScreen()!;
    expect([s.cols, s.rows]).toEqual([80, 50]);
    put(vga, 49, 0, "last", 0x07);
    expect(vga.textRows()[49]).toBe("last");
    expect(vga.displaySize()).toEqual({ width: 720, height: 400 });
  });

  it("gives 80x50 from a max scan line write alone", () => {
    const { h, vga } = setup(3);
    crtc(h, CRTC_MAX_SCAN_LINE, (crtcRead(h, CRTC_MAX_SCAN_LINE) & 0xe0) | 7);
    expect(vga.textScreen()!.rows).toBe(50);
  });

  it("gives 40x25 in mode 1", () => {
    const { vga } = setup(1);
    put(vga, 1, 0, "forty", 0x07, 40);
    const s = vga.textScreen()!;
    expect([s.cols, s.rows]).toEqual([40, 25]);
    expect(vga.textRows()[1]).toBe("forty");
    expect(vga.displaySize()).toEqual({ width: 360, height: 400 });
  });

  it("is not a text screen in graphics modes", () => {
    const { vga } = setup(0x13);
    expect(vga.textScreen()).toBeNull();
    expect(vga.textRows()).toEqual([]);
  });

  it("draws glyphs from plane 2 in the attribute's colours, with the 9th dot of line-drawing characters", () => {
    const { h, vga } = setup(3);
    crtc(h, CRTC_CURSOR_START, 0x20); // no cursor over the cells
    put(vga, 0, 0, "A\xdb", 0x1e); // yellow on blue
    const { px, width } = frame(vga);
    const yellow = rgba(255, 255, 85),
      blue = rgba(0, 0, 170);
    for (let line = 0; line < 16; line++) {
      const bits = FONT_8X16[0x41 * 16 + line];
      for (let d = 0; d < 8; d++) expect(px[line * width + d]).toBe(bits & (0x80 >> d) ? yellow : blue);
      expect(px[line * width + 8]).toBe(blue); // 9th dot of 'A' is background
      expect(px[line * width + 9 + 8]).toBe(yellow); // 9th dot of a full block repeats the 8th
    }
  });

  it("blinks attribute bit 7 characters every 32 frames and the cursor every 16, from machine time", () => {
    const { h, vga } = setup(3);
    put(vga, 0, 0, "\xdb", 0x8e); // blinking yellow block on black
    crtc(h, CRTC_CURSOR_LOC_HI, 0);
    crtc(h, CRTC_CURSOR_LOC_LO, 2);
    const yellow = rgba(255, 255, 85),
      grey = rgba(170, 170, 170),
      black = rgba(0, 0, 0);
    const cursorPixel = 14 * 720 + 2 * 9; // cursor lines 13-14 of cell (0,2)
    let f = frame(vga);
    expect(f.px[0]).toBe(yellow);
    expect(f.px[cursorPixel]).toBe(grey);
    const stamp = vga.displayStamp();
    h.clockStep(8 * FRAME_NS);
    f = frame(vga);
    expect(f.px[0]).toBe(yellow);
    expect(f.px[cursorPixel]).toBe(black);
    expect(vga.displayStamp()).not.toBe(stamp);
    h.clockStep(8 * FRAME_NS);
    f = frame(vga);
    expect(f.px[0]).toBe(black);
    expect(f.px[cursorPixel]).toBe(grey);
    // With blink disabled, bit 7 selects a bright background instead.
    h.inb(PORT_STATUS1);
    h.outb(PORT_ATTR_INDEX, 0x30);
    h.outb(PORT_ATTR_INDEX, 0x04);
    f = frame(vga);
    expect(f.px[0]).toBe(yellow);
    put(vga, 0, 0, " ", 0x8e);
    expect(frame(vga).px[0]).toBe(rgba(85, 85, 85));
  });

  it("changes displayStamp on video memory writes", () => {
    const { vga } = setup(3);
    const s0 = vga.displayStamp();
    put(vga, 3, 3, "x", 0x07);
    expect(vga.displayStamp()).not.toBe(s0);
  });
});

describe("graphics modes", () => {
  it("mode 13h: a chain-4 pixel write renders the DAC colour", () => {
    const { h, vga } = setup(0x13);
    h.outb(PORT_DAC_WRITE_INDEX, 0x42);
    h.outb(PORT_DAC_DATA, 63);
    h.outb(PORT_DAC_DATA, 32);
    h.outb(PORT_DAC_DATA, 0);
    vga.memory.write8(320 * 10 + 7, 0x42);
    const { px, width, height } = frame(vga);
    expect([width, height]).toEqual([320, 200]);
    expect(px[10 * 320 + 7]).toBe(rgba(255, c8(32), 0));
    expect(px[10 * 320 + 6]).toBe(rgba(0, 0, 0));
    expect(px[10 * 320 + 8]).toBe(rgba(0, 0, 0));
    expect(px[11 * 320 + 7]).toBe(rgba(0, 0, 0));
    // The default palette: entry 1 is CGA blue, 40 is pure red.
    vga.memory.write8(0, 1);
    vga.memory.write8(1, 40);
    const f = frame(vga);
    expect(f.px[0]).toBe(rgba(0, 0, c8(0x2a)));
    expect(f.px[1]).toBe(rgba(255, 0, 0));
  });

  it("renders Uint8ClampedArray targets as RGBA bytes, aligned or not", () => {
    const { vga } = setup(0x13);
    vga.memory.write8(3, 40);
    const bytes = new Uint8ClampedArray(320 * 200 * 4);
    expect(vga.render(bytes)).toEqual({ width: 320, height: 200 });
    expect(Array.from(bytes.slice(12, 16))).toEqual([255, 0, 0, 255]);
    const unaligned = new Uint8ClampedArray(new ArrayBuffer(320 * 200 * 4 + 1), 1);
    vga.render(unaligned);
    expect(Array.from(unaligned.slice(8, 16))).toEqual([0, 0, 0, 255, 255, 0, 0, 255]);
  });

  it("mode 12h: a write mode 2 pixel renders through the attribute palette and the DAC", () => {
    const { h, vga } = setup(0x12);
    h.outb(PORT_GC_INDEX, GC_MODE);
    h.outb(PORT_GC_INDEX + 1, 0x02);
    h.outb(PORT_GC_INDEX, 8);
    h.outb(PORT_GC_INDEX + 1, 0x80 >> 3); // bit mask: pixel 3 of the byte
    const off = 100 * 80 + 2; // y 100, x 16..23
    vga.memory.read8(off);
    vga.memory.write8(off, 0x0c); // light red
    const { px, width, height } = frame(vga);
    expect([width, height]).toEqual([640, 480]);
    expect(px[100 * 640 + 19]).toBe(rgba(255, 85, 85));
    expect(px[100 * 640 + 18]).toBe(rgba(0, 0, 0));
    expect(px[100 * 640 + 20]).toBe(rgba(0, 0, 0));
  });

  it("modes 10h and 0Dh have their pixel sizes, and 0Dh uses the 200-line colours", () => {
    expect(setup(0x10).vga.displaySize()).toEqual({ width: 640, height: 350 });
    const { vga } = setup(0x0d);
    expect(vga.displaySize()).toEqual({ width: 320, height: 200 });
    vga.memory.write8(40 * 5, 0x80); // plane writes all four: colour 15 at (0, 5)
    const { px } = frame(vga);
    expect(px[5 * 320]).toBe(rgba(255, 255, 255));
    expect(px[5 * 320 + 1]).toBe(rgba(0, 0, 0));
  });

  it("splits the screen at the line compare: lines below it start at address 0", () => {
    const { h, vga } = setup(0x12);
    vga.memory.write8(0, 0xff); // white at (0..7, 0)
    crtc(h, CRTC_START_ADDR_HI, 0);
    crtc(h, CRTC_START_ADDR_LO, 80); // line 1 on top
    let { px } = frame(vga);
    expect(px[0]).toBe(rgba(0, 0, 0));
    // Line compare 99: bit 8 in the overflow register, bit 9 in max scan line (set by mode 12h).
    crtc(h, CRTC_LINE_COMPARE, 99);
    crtc(h, CRTC_OVERFLOW, crtcRead(h, CRTC_OVERFLOW) & ~0x10);
    crtc(h, CRTC_MAX_SCAN_LINE, 0x00);
    ({ px } = frame(vga));
    expect(px[100 * 640]).toBe(rgba(255, 255, 255));
    expect(px[99 * 640]).toBe(rgba(0, 0, 0));
  });

  it("draws black while the screen is off", () => {
    const { h, vga } = setup(0x13);
    vga.memory.write8(0, 40);
    h.outb(PORT_SEQ_INDEX, SEQ_CLOCKING);
    h.outb(PORT_SEQ_INDEX + 1, 0x21);
    expect(frame(vga).px[0]).toBe(rgba(0, 0, 0));
  });
});
