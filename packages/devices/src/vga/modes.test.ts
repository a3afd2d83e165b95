import { describe, it, expect } from "vitest";
import { DeviceHarness } from "../testing/harness.ts";
import { Vga } from "./vga.ts";
import { VGA_MODES, defaultDacPalette, loadFont, programMode } from "./modes.ts";
import { FONT_8X16 } from "./font8x16.ts";
import { FONT_8X8 } from "./font8x8.ts";
import { CP437_TO_UNICODE } from "./cp437.ts";
import {
  ATTR_COUNT,
  CRTC_COUNT,
  GC_COUNT,
  GC_MISC,
  GC_MODE,
  GC_READ_MAP,
  PORT_ATTR_DATA_READ,
  PORT_ATTR_INDEX,
  PORT_CRTC_INDEX,
  PORT_DAC_DATA,
  PORT_DAC_READ_INDEX,
  PORT_GC_INDEX,
  PORT_MISC_READ,
  PORT_SEQ_INDEX,
  PORT_STATUS1,
  SEQ_COUNT,
  SEQ_MEMORY_MODE,
} from "./vga-regs.ts";

function setup(): { h: DeviceHarness; vga: Vga } {
  const h = new DeviceHarness();
  const vga = new Vga(h.clock);
  h.attach(vga.ioSurface(), vga);
  return { h, vga };
}

function in2(h: DeviceHarness, indexPort: number, i: number): number {
  h.outb(indexPort, i);
  return h.inb(indexPort + 1);
}

describe("programMode", () => {
  for (const mode of [0x01, 0x03, 0x0d, 0x10, 0x12, 0x13]) {
    it(`leaves mode ${mode.toString(16)}h's register table readable through the ports`, () => {
      const { h, vga } = setup();
      const t = programMode(vga, mode);
      expect(t).toBe(VGA_MODES.get(mode));
      expect(h.inb(PORT_MISC_READ)).toBe(t.misc);
      for (let i = 0; i < SEQ_COUNT; i++) expect(in2(h, PORT_SEQ_INDEX, i), `SR${i}`).toBe(t.seq[i]);
      for (let i = 0; i < CRTC_COUNT; i++) expect(in2(h, PORT_CRTC_INDEX, i), `CR${i.toString(16)}`).toBe(t.crtc[i]);
      for (let i = 0; i < GC_COUNT; i++) expect(in2(h, PORT_GC_INDEX, i), `GR${i}`).toBe(t.gc[i]);
      h.inb(PORT_STATUS1);
      for (let i = 0; i < ATTR_COUNT; i++) {
        h.outb(PORT_ATTR_INDEX, 0x20 | i);
        expect(h.inb(PORT_ATTR_DATA_READ), `AR${i.toString(16)}`).toBe(t.attr[i]);
        h.inb(PORT_STATUS1);
      }
      // Video enabled at the end.
      expect(h.inb(PORT_ATTR_INDEX) & 0x20).toBe(0x20);
    });
  }

  it("refuses modes it has no table for", () => {
    expect(() => programMode(setup().vga, 0x6a)).toThrow(RangeError);
  });

  it("loads the 8x16 font into plane 2 in text modes and clears the screen to grey blanks", () => {
    const { h, vga } = setup();
    programMode(vga, 3);
    const s = vga.textScreen()!;
    expect(s.chars.every((r) => r === " ".repeat(80))).toBe(true);
    expect(s.attrs.every((r) => r.every((a) => a === 0x07))).toBe(true);
    // Look at plane 2 the way a font reader does.
    h.outb(PORT_SEQ_INDEX, SEQ_MEMORY_MODE);
    h.outb(PORT_SEQ_INDEX + 1, 0x06);
    h.outb(PORT_GC_INDEX, GC_READ_MAP);
    h.outb(PORT_GC_INDEX + 1, 2);
    h.outb(PORT_GC_INDEX, GC_MODE);
    h.outb(PORT_GC_INDEX + 1, 0x00);
    h.outb(PORT_GC_INDEX, GC_MISC);
    h.outb(PORT_GC_INDEX + 1, 0x04);
    for (let line = 0; line < 32; line++) {
      expect(vga.memory.read8(0x41 * 32 + line)).toBe(line < 16 ? FONT_8X16[0x41 * 16 + line] : 0);
    }
  });

  it("loads fonts into the character map asked for and restores the memory registers", () => {
    const { h, vga } = setup();
    programMode(vga, 3);
    loadFont(vga, FONT_8X8, 8, 1, 0x30, 10);
    expect(in2(h, PORT_SEQ_INDEX, SEQ_MEMORY_MODE)).toBe(0x02);
    expect(in2(h, PORT_GC_INDEX, GC_MISC)).toBe(0x0e);
    expect(vga.memory.vram[((0x4000 + 0x31 * 32 + 2) << 2) | 2]).toBe(FONT_8X8[1 * 8 + 2]);
  });

  it("loads the default DAC palettes", () => {
    const { h, vga } = setup();
    const entry = (i: number) => {
      h.outb(PORT_DAC_READ_INDEX, i);
      return [h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA), h.inb(PORT_DAC_DATA)];
    };
    programMode(vga, 3);
    expect(entry(0x14)).toEqual([0x2a, 0x15, 0x00]); // brown
    expect(entry(0x3f)).toEqual([0x3f, 0x3f, 0x3f]);
    expect(entry(0x38)).toEqual([0x15, 0x15, 0x15]);
    programMode(vga, 0x13);
    expect(entry(6)).toEqual([0x2a, 0x15, 0x00]);
    expect(entry(16)).toEqual([0, 0, 0]);
    expect(entry(31)).toEqual([63, 63, 63]);
    expect(entry(32)).toEqual([0, 0, 63]);
    expect(entry(36)).toEqual([63, 0, 63]);
    expect(entry(40)).toEqual([63, 0, 0]);
    expect(entry(44)).toEqual([63, 63, 0]);
    expect(entry(48)).toEqual([0, 63, 0]);
    expect(entry(52)).toEqual([0, 63, 63]);
    expect(entry(104)).toEqual([0, 0, 28]);
    expect(entry(247)).toEqual([11, 12, 16]);
    expect(entry(248)).toEqual([0, 0, 0]);
    programMode(vga, 0x0d);
    expect(entry(0x10)).toEqual([0x15, 0x15, 0x15]); // bit 4 = intensity: dark grey
    expect(entry(0x14)).toEqual([0x3f, 0x15, 0x15]); // light red
  });

  it("keeps every palette component within 6 bits", () => {
    for (const kind of ["ega64", "cga200", "vga256"] as const) {
      expect(defaultDacPalette(kind).every((c) => c <= 63)).toBe(true);
    }
  });
});

describe("built-in fonts", () => {
  it("hold 256 glyphs each, distinct for every printable code", () => {
    expect(FONT_8X16.length).toBe(256 * 16);
    expect(FONT_8X8.length).toBe(256 * 8);
    for (const [font, hgt] of [
      [FONT_8X16, 16],
      [FONT_8X8, 8],
    ] as const) {
      const seen = new Set<string>();
      for (let c = 1; c < 255; c++) {
        if (c === 0x20) continue;
        const key = font.slice(c * hgt, (c + 1) * hgt).join(",");
        expect(seen.has(key), `glyph 0x${c.toString(16)}`).toBe(false);
        seen.add(key);
      }
      expect(font.slice(0x20 * hgt, 0x21 * hgt).every((b) => b === 0)).toBe(true);
      expect(font.slice(0xdb * hgt, 0xdc * hgt).every((b) => b === 0xff)).toBe(true);
    }
  });

  it("map CP437 to Unicode", () => {
    expect(CP437_TO_UNICODE.length).toBe(256);
    expect(CP437_TO_UNICODE[0x41]).toBe("A");
    expect(CP437_TO_UNICODE[0x01]).toBe("☺");
    expect(CP437_TO_UNICODE[0xc9]).toBe("╔");
    expect(CP437_TO_UNICODE[0xe1]).toBe("ß");
  });
});
