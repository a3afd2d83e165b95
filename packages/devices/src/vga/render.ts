// Turns the VGA's registers and planes into a picture (RGBA pixels) or a text screen, the way
// the CRT controller, sequencer and attribute controller scan memory out (IBM VGA reference;
// FreeVGA "CRTC Registers", "Attribute Controller Registers").
//
// Key design choice: the renderer follows the CRTC's memory address counter rather than
// hard-coding mode layouts. Each output line is mapped to its scan line, character row and row
// scan (with preset row scan, scan doubling and the line compare split), the row's start
// address is start + row * 2 * offset, and each character clock's address goes through the
// byte / word / double-word mapping and the row-scan substitution of MA13/MA14. Text modes,
// the 16-colour planar modes, chain-4 mode 13h and unchained 256-colour "mode X" layouts all
// fall out of the same walk. The output size is the mode's logical pixel grid (e.g. 320x200
// for mode 13h, 720x400 for 80x25 text): lines that only repeat (scan doubling, or max scan
// line in graphics modes) are drawn once, and dot-clock halving is not applied; viewers scale
// the picture to a 4:3 frame.
//
// Not modelled: cursor skew, horizontal pel panning of the 9th dot in text modes beyond a
// whole-dot shift, the count-by-2/count-by-4 address clocking, CGA shift-register interleave
// (modes 4/5/6) and blinking in graphics modes.

import type { Vga } from "./vga.ts";
import { bytesPerPixel, type BochsVbe } from "./vbe.ts";
import { CP437_TO_UNICODE } from "./cp437.ts";
import {
  ATTR_COLOR_SELECT,
  ATTR_MODE,
  ATTR_PAS,
  ATTR_PEL_PAN,
  ATTR_PLANE_ENABLE,
  ATTRMODE_8BIT,
  ATTRMODE_BLINK,
  ATTRMODE_GRAPHICS,
  ATTRMODE_LINE_GRAPHICS,
  ATTRMODE_P54S,
  ATTRMODE_PAN_COMPAT,
  CRTC_CURSOR_END,
  CRTC_CURSOR_LOC_HI,
  CRTC_CURSOR_LOC_LO,
  CRTC_CURSOR_START,
  CRTC_H_DISPLAY_END,
  CRTC_LINE_COMPARE,
  CRTC_MAX_SCAN_LINE,
  CRTC_MODE,
  CRTC_MODE_AW,
  CRTC_MODE_BYTE,
  CRTC_MODE_MAP13,
  CRTC_MODE_MAP14,
  CRTC_OFFSET,
  CRTC_OVERFLOW,
  CRTC_PRESET_ROW_SCAN,
  CRTC_START_ADDR_HI,
  CRTC_START_ADDR_LO,
  CRTC_UNDERLINE,
  CRTC_V_DISPLAY_END,
  CURSOR_DISABLE,
  CURSOR_LINE_MASK,
  MSL_DOUBLE_SCAN,
  MSL_LC9,
  MSL_MASK,
  OVERFLOW_LC8,
  OVERFLOW_VDE8,
  OVERFLOW_VDE9,
  PRESET_ROW_SCAN_MASK,
  SEQ_CHAR_MAP,
  SEQ_CLOCKING,
  SEQ_CLOCKING_DOT8,
  SEQ_CLOCKING_SCREEN_OFF,
  UNDERLINE_DW,
  UNDERLINE_LINE_MASK,
} from "./vga-regs.ts";

export interface DisplaySize {
  width: number;
  height: number;
}

export interface TextScreen {
  cols: number;
  rows: number;
  /** One string per row, `cols` characters, CP437 codes shown as the Unicode characters they draw. */
  chars: string[];
  /** One array per row: the attribute byte of each cell. */
  attrs: Uint8Array[];
  /** Cursor cell; visible is false when the cursor is disabled, empty or off screen (blink ignored). */
  cursor: { row: number; col: number; visible: boolean };
}

const ADDR_BYTE = 0;
const ADDR_WORD = 1;
const ADDR_DWORD = 2;

/** The display registers decoded for one frame. */
export interface Geometry {
  /** Attribute controller in graphics mode. */
  graphics: boolean;
  /** 8-bit colour (256-colour modes): four pixels per character clock. */
  mode256: boolean;
  width: number;
  height: number;
  /** Character clocks per line (CRTC horizontal display end + 1). */
  cols: number;
  /** Output pixels per character clock: 8 or 9 in text, 8 planar, 4 in 256-colour. */
  charWidth: number;
  /** Scan lines per character row (max scan line + 1). */
  cellHeight: number;
  /** Displayed scan lines (vertical display end + 1). */
  scanLines: number;
  /** 1 when scan doubling is on (each line shown twice), else 0. */
  doubleShift: number;
  /** Physical scan lines per output line. */
  lineScale: number;
  addressing: number;
  /** Word mode's address bit 0 source: MA15 (true) or MA13. */
  wordBit15: boolean;
  /** Row scan bits replace MA13 / MA14 (CGA / Hercules layouts). */
  rowScanMA13: boolean;
  rowScanMA14: boolean;
  /** Memory address counter units per character row (2 * offset register). */
  stride: number;
  start: number;
  presetRowScan: number;
  lineCompare: number;
}

export function displayGeometry(vga: Vga): Geometry {
  const c = vga.crtc;
  const graphics = (vga.attr[ATTR_MODE] & ATTRMODE_GRAPHICS) !== 0;
  const mode256 = graphics && (vga.attr[ATTR_MODE] & ATTRMODE_8BIT) !== 0;
  const cols = c[CRTC_H_DISPLAY_END] + 1;
  const charWidth = !graphics ? ((vga.seq[SEQ_CLOCKING] & SEQ_CLOCKING_DOT8) !== 0 ? 8 : 9) : mode256 ? 4 : 8;
  const cellHeight = (c[CRTC_MAX_SCAN_LINE] & MSL_MASK) + 1;
  const ov = c[CRTC_OVERFLOW];
  const scanLines = (c[CRTC_V_DISPLAY_END] | (ov & OVERFLOW_VDE8 ? 0x100 : 0) | (ov & OVERFLOW_VDE9 ? 0x200 : 0)) + 1;
  const doubleShift = (c[CRTC_MAX_SCAN_LINE] & MSL_DOUBLE_SCAN) !== 0 ? 1 : 0;
  const mode = c[CRTC_MODE];
  const rowScanMA13 = (mode & CRTC_MODE_MAP13) === 0;
  const rowScanMA14 = (mode & CRTC_MODE_MAP14) === 0;
  // In graphics modes whose addresses do not depend on the row scan, the lines of a
  // character row are identical: draw each once.
  const repeat = graphics && !rowScanMA13 && !rowScanMA14 ? cellHeight : 1;
  const lineScale = (1 << doubleShift) * repeat;
  const addressing =
    (c[CRTC_UNDERLINE] & UNDERLINE_DW) !== 0 ? ADDR_DWORD : (mode & CRTC_MODE_BYTE) !== 0 ? ADDR_BYTE : ADDR_WORD;
  return {
    graphics,
    mode256,
    cols,
    charWidth,
    cellHeight,
    scanLines,
    doubleShift,
    lineScale,
    addressing,
    width: cols * charWidth,
    height: Math.max(1, Math.floor(scanLines / lineScale)),
    wordBit15: (mode & CRTC_MODE_AW) !== 0,
    rowScanMA13,
    rowScanMA14,
    stride: c[CRTC_OFFSET] * 2,
    start: (c[CRTC_START_ADDR_HI] << 8) | c[CRTC_START_ADDR_LO],
    presetRowScan: c[CRTC_PRESET_ROW_SCAN] & PRESET_ROW_SCAN_MASK,
    lineCompare: c[CRTC_LINE_COMPARE] | (ov & OVERFLOW_LC8 ? 0x100 : 0) | (c[CRTC_MAX_SCAN_LINE] & MSL_LC9 ? 0x200 : 0),
  };
}

/** Plane offset the CRTC fetches for memory address counter value `ma` at row scan `rs`. */
function planeAddress(g: Geometry, ma: number, rs: number): number {
  let a: number;
  // VGA reference, CRTC mode control: word mode rotates MA left by one (bit 0 from MA13 or
  // MA15), double-word mode rotates it left by two (bits 1-0 from MA15-14).
  if (g.addressing === ADDR_DWORD) a = (ma << 2) | ((ma >> 14) & 3);
  else if (g.addressing === ADDR_WORD) a = (ma << 1) | ((ma >> (g.wordBit15 ? 15 : 13)) & 1);
  else a = ma;
  if (g.rowScanMA13) a = (a & ~0x2000) | ((rs & 1) << 13);
  if (g.rowScanMA14) a = (a & ~0x4000) | ((rs & 2) << 13);
  return a & 0xffff;
}

/** Where the CRTC is on physical scan line `s`: row start address, row scan, below the split. */
class LineState {
  rowStart = 0;
  rowScan = 0;
  split = false;

  at(g: Geometry, s: number): void {
    let l: number, base: number;
    // Line compare: after the scan line that matches it, the address counter and the row scan
    // restart from zero (split screen); preset row scan applies only above the split.
    if (s > g.lineCompare) {
      l = (s - g.lineCompare - 1) >> g.doubleShift;
      base = 0;
      this.split = true;
    } else {
      l = (s >> g.doubleShift) + g.presetRowScan;
      base = g.start;
      this.split = false;
    }
    const row = Math.floor(l / g.cellHeight);
    this.rowScan = l - row * g.cellHeight;
    this.rowStart = base + row * g.stride;
  }
}

/** RGBA (as a little-endian 32-bit value) of every DAC entry, after the pel mask. */
function dacColours(vga: Vga): Uint32Array {
  const out = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const e = (i & vga.pelMask) * 3;
    out[i] =
      (expand6(vga.dac[e]) | (expand6(vga.dac[e + 1]) << 8) | (expand6(vga.dac[e + 2]) << 16) | 0xff000000) >>> 0;
  }
  return out;
}

function expand6(v: number): number {
  return (v << 2) | (v >> 4);
}

/** RGBA of each 4-bit attribute colour: plane enable, palette, colour select, then the DAC. */
function attributeColours(vga: Vga, dac: Uint32Array): Uint32Array {
  const out = new Uint32Array(16);
  const a = vga.attr,
    cs = a[ATTR_COLOR_SELECT];
  for (let i = 0; i < 16; i++) {
    let v = a[i & a[ATTR_PLANE_ENABLE] & 0x0f];
    v = (a[ATTR_MODE] & ATTRMODE_P54S) !== 0 ? (v & 0x0f) | ((cs & 0x03) << 4) : v & 0x3f;
    out[i] = dac[v | ((cs & 0x0c) << 4)];
  }
  return out;
}

const BLACK = 0xff000000;

export function renderFrame(vga: Vga, target: Uint8ClampedArray | Uint8Array | Uint32Array): DisplaySize {
  const g = displayGeometry(vga);
  const n = g.width * g.height;
  const out = target instanceof Uint32Array ? target : asPixels(target);
  if (out.length < n)
    throw new RangeError(`render target holds ${out.length} pixels, the display needs ${g.width}x${g.height}`);
  const off = (vga.seq[SEQ_CLOCKING] & SEQ_CLOCKING_SCREEN_OFF) !== 0 || (vga.attrAddress & ATTR_PAS) === 0;
  if (off) out.fill(BLACK, 0, n);
  else if (!g.graphics) renderText(vga, g, out);
  else if (g.mode256) render256(vga, g, out);
  else renderPlanar(vga, g, out);
  if (out.buffer !== target.buffer) target.set(new Uint8Array(out.buffer, 0, n * 4));
  return { width: g.width, height: g.height };
}

/** A 32-bit view of an RGBA byte array (a copy buffer if it is not 4-byte aligned). */
function asPixels(bytes: Uint8ClampedArray | Uint8Array): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  return new Uint32Array(bytes.length >> 2);
}

/** Horizontal pel panning in output pixels for the current mode (FreeVGA, register 13h). */
function panShift(vga: Vga, g: Geometry): number {
  const p = vga.attr[ATTR_PEL_PAN] & 0x0f;
  if (!g.graphics) return g.charWidth === 9 ? (p >= 8 ? 0 : p + 1) : p & 7;
  return g.mode256 ? (p >> 1) & 3 : p & 7;
}

function renderText(vga: Vga, g: Geometry, out: Uint32Array): void {
  const vram = vga.memory.vram,
    c = vga.crtc;
  const colours = attributeColours(vga, dacColours(vga));
  const { cursorOn, charsOn } = vga.blinkPhase();
  const blink = (vga.attr[ATTR_MODE] & ATTRMODE_BLINK) !== 0;
  const lineGraphics = (vga.attr[ATTR_MODE] & ATTRMODE_LINE_GRAPHICS) !== 0;
  const cm = vga.seq[SEQ_CHAR_MAP];
  // Sequencer register 3: map A (attribute bit 3 set) from bits 5,3,2; map B from bits 4,1,0.
  const mapA = fontMapBase(((cm >> 3) & 4) | ((cm >> 2) & 3));
  const mapB = fontMapBase(((cm >> 2) & 4) | (cm & 3));
  const cursorLoc = (c[CRTC_CURSOR_LOC_HI] << 8) | c[CRTC_CURSOR_LOC_LO];
  const cStart = c[CRTC_CURSOR_START] & CURSOR_LINE_MASK,
    cEnd = c[CRTC_CURSOR_END] & CURSOR_LINE_MASK;
  const cursorShown = cursorOn && (c[CRTC_CURSOR_START] & CURSOR_DISABLE) === 0;
  const underline = c[CRTC_UNDERLINE] & UNDERLINE_LINE_MASK;
  const cw = g.charWidth,
    width = g.width;
  const basePan = panShift(vga, g);
  const compatPan = (vga.attr[ATTR_MODE] & ATTRMODE_PAN_COMPAT) !== 0;
  const ls = new LineState();
  for (let y = 0; y < g.height; y++) {
    ls.at(g, y * g.lineScale);
    const rs = ls.rowScan;
    const shift = ls.split && compatPan ? 0 : basePan;
    const cursorRow = cursorShown && rs >= cStart && rs <= cEnd;
    const lineOff = y * width;
    const clocks = shift > 0 ? g.cols + 1 : g.cols;
    for (let k = 0; k < clocks; k++) {
      const ma = ls.rowStart + k;
      const i = planeAddress(g, ma, rs) << 2;
      const ch = vram[i],
        at = vram[i + 1];
      const glyph = ((at & 8 ? mapA : mapB) + ch * 32 + rs) & 0xffff;
      let bits = vram[(glyph << 2) | 2];
      let bg = at >> 4;
      if (blink) {
        bg &= 7;
        if ((at & 0x80) !== 0 && !charsOn) bits = 0;
      }
      // The underline shows on its scan line for attributes with foreground 1, background 0.
      if (rs === underline && (at & 0x77) === 0x01) bits = 0xff;
      let ninth = lineGraphics && ch >= 0xc0 && ch <= 0xdf ? bits & 1 : 0;
      if (cursorRow && (ma & 0xffff) === cursorLoc) {
        bits = 0xff;
        ninth = 1;
      }
      const fgc = colours[at & 0x0f],
        bgc = colours[bg];
      const x0 = lineOff + k * cw - shift;
      for (let d = 0; d < 8; d++) {
        const x = k * cw - shift + d;
        if (x >= 0 && x < width) out[x0 + d] = (bits << d) & 0x80 ? fgc : bgc;
      }
      if (cw === 9) {
        const x = k * cw - shift + 8;
        if (x >= 0 && x < width) out[x0 + 8] = ninth ? fgc : bgc;
      }
    }
  }
}

/** Offset in plane 2 of character map `sel` (0-7): maps 0-3 at 16 KiB steps, 4-7 between. */
function fontMapBase(sel: number): number {
  return ((sel & 3) << 14) | ((sel & 4) << 11);
}

function renderPlanar(vga: Vga, g: Geometry, out: Uint32Array): void {
  const vram = vga.memory.vram;
  const colours = attributeColours(vga, dacColours(vga));
  const basePan = panShift(vga, g);
  const compatPan = (vga.attr[ATTR_MODE] & ATTRMODE_PAN_COMPAT) !== 0;
  const width = g.width;
  const ls = new LineState();
  for (let y = 0; y < g.height; y++) {
    ls.at(g, y * g.lineScale);
    const shift = ls.split && compatPan ? 0 : basePan;
    const lineOff = y * width;
    const clocks = shift > 0 ? g.cols + 1 : g.cols;
    for (let k = 0; k < clocks; k++) {
      const i = planeAddress(g, ls.rowStart + k, ls.rowScan) << 2;
      const p0 = vram[i],
        p1 = vram[i + 1],
        p2 = vram[i + 2],
        p3 = vram[i + 3];
      for (let d = 0; d < 8; d++) {
        const x = k * 8 - shift + d;
        if (x < 0 || x >= width) continue;
        const b = 7 - d;
        const idx = ((p0 >> b) & 1) | (((p1 >> b) & 1) << 1) | (((p2 >> b) & 1) << 2) | (((p3 >> b) & 1) << 3);
        out[lineOff + x] = colours[idx];
      }
    }
  }
}

function render256(vga: Vga, g: Geometry, out: Uint32Array): void {
  const vram = vga.memory.vram;
  // In 8-bit colour mode the pixel byte goes to the DAC; the mode sets leave the attribute
  // palette as the identity, so its per-nibble lookup is not applied here.
  const dac = dacColours(vga);
  const basePan = panShift(vga, g);
  const compatPan = (vga.attr[ATTR_MODE] & ATTRMODE_PAN_COMPAT) !== 0;
  const width = g.width;
  const ls = new LineState();
  for (let y = 0; y < g.height; y++) {
    ls.at(g, y * g.lineScale);
    const shift = ls.split && compatPan ? 0 : basePan;
    const lineOff = y * width;
    const clocks = shift > 0 ? g.cols + 1 : g.cols;
    for (let k = 0; k < clocks; k++) {
      const i = planeAddress(g, ls.rowStart + k, ls.rowScan) << 2;
      for (let d = 0; d < 4; d++) {
        const x = k * 4 - shift + d;
        if (x >= 0 && x < width) out[lineOff + x] = dac[vram[i + d]];
      }
    }
  }
}

export function readTextScreen(vga: Vga): TextScreen | null {
  const g = displayGeometry(vga);
  if (g.graphics) return null;
  const rows = Math.floor((g.scanLines >> g.doubleShift) / g.cellHeight);
  if (rows <= 0) return null;
  const vram = vga.memory.vram,
    c = vga.crtc;
  const chars: string[] = [];
  const attrs: Uint8Array[] = [];
  for (let r = 0; r < rows; r++) {
    let line = "";
    const at = new Uint8Array(g.cols);
    for (let col = 0; col < g.cols; col++) {
      const i = planeAddress(g, g.start + r * g.stride + col, 0) << 2;
      line += CP437_TO_UNICODE[vram[i]];
      at[col] = vram[i + 1];
    }
    chars.push(line);
    attrs.push(at);
  }
  const loc = (c[CRTC_CURSOR_LOC_HI] << 8) | c[CRTC_CURSOR_LOC_LO];
  const pos = loc - g.start;
  const row = g.stride > 0 ? Math.floor(pos / g.stride) : 0;
  const col = pos - row * g.stride;
  const cStart = c[CRTC_CURSOR_START] & CURSOR_LINE_MASK,
    cEnd = c[CRTC_CURSOR_END] & CURSOR_LINE_MASK;
  const enabled = (c[CRTC_CURSOR_START] & CURSOR_DISABLE) === 0 && cStart <= cEnd && cStart < g.cellHeight;
  const visible = enabled && pos >= 0 && row < rows && col < g.cols;
  return { cols: g.cols, rows, chars, attrs, cursor: { row, col, visible } };
}

/**
 * Draws a Bochs VBE mode: XRES x YRES packed pixels from the display start, VIRT_WIDTH pixels a
 * line. 8 bits index the DAC; 15 and 16 bits are 5:5:5 and 5:6:5 RGB, 24 and 32 bits blue,
 * green, red (and an unused byte) in memory order.
 */
export function renderVbe(vga: Vga, target: Uint8ClampedArray | Uint8Array | Uint32Array): DisplaySize {
  const v: BochsVbe = vga.vbe;
  const width = v.xres,
    height = v.yres,
    n = width * height;
  const out = target instanceof Uint32Array ? target : asPixels(target);
  if (out.length < n)
    throw new RangeError(`render target holds ${out.length} pixels, the display needs ${width}x${height}`);
  const m = v.vram,
    bpp = v.bpp,
    bytes = bytesPerPixel(bpp),
    line = v.lineBytes;
  const dac = bpp === 8 ? dacColours(vga) : null;
  let row = v.displayStart;
  for (let y = 0; y < height; y++, row += line) {
    const o = y * width;
    if (row + width * bytes > m.length) {
      out.fill(BLACK, o, o + width);
      continue;
    }
    let a = row;
    if (bpp === 8) {
      for (let x = 0; x < width; x++) out[o + x] = dac![m[a++]];
    } else if (bpp === 32 || bpp === 24) {
      for (let x = 0; x < width; x++, a += bytes)
        out[o + x] = (m[a + 2] | (m[a + 1] << 8) | (m[a] << 16) | BLACK) >>> 0;
    } else {
      const six = bpp === 16;
      for (let x = 0; x < width; x++, a += 2) {
        const p = m[a] | (m[a + 1] << 8);
        const r = six ? p >> 11 : (p >> 10) & 0x1f,
          g = six ? (p >> 5) & 0x3f : (p >> 5) & 0x1f,
          b = p & 0x1f;
        const g8 = six ? (g << 2) | (g >> 4) : (g << 3) | (g >> 2);
        out[o + x] = ((r << 3) | (r >> 2) | (g8 << 8) | (((b << 3) | (b >> 2)) << 16) | BLACK) >>> 0;
      }
    }
  }
  if (out.buffer !== target.buffer) target.set(new Uint8Array(out.buffer, 0, n * 4));
  return { width, height };
}
