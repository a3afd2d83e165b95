// Standard VGA mode register tables and the mode-set sequence, for the BIOS (INT 10h AH=00h,
// AX=11xxh) and for tests. The register values are the IBM VGA BIOS parameter values as
// published in the IBM VGA technical reference and reproduced on FreeVGA and the OSDev wiki
// ("VGA Hardware", mode register dumps); the default DAC palettes are generated from their
// documented structure rather than stored.
//
// Key design choice: everything goes through the adapter's own interface, ports (portWrite,
// portRead) and the memory window (vga.memory), in the order a VGA BIOS uses: sequencer held
// in synchronous reset while the clock is changed, CRTC unlocked before its timing registers
// are written, attribute controller addressed after resetting its flip-flop, video enabled
// last. So this module doubles as a test of the register paths it drives.

import type { Vga } from "./vga.ts";
import { FONT_8X16 } from "./font8x16.ts";
import { FONT_8X8 } from "./font8x8.ts";
import {
  ATTR_COUNT,
  ATTR_PAS,
  CRTC_COUNT,
  CRTC_CURSOR_END,
  CRTC_CURSOR_START,
  CRTC_MAX_SCAN_LINE,
  CRTC_V_RETRACE_END,
  GC_BIT_MASK,
  GC_COUNT,
  GC_DATA_ROTATE,
  GC_ENABLE_SET_RESET,
  GC_MISC,
  GC_MODE,
  GC_READ_MAP,
  MSL_MASK,
  MISC_IOAS,
  MISC_RAM_ENABLE,
  PORT_ATTR_INDEX,
  PORT_CRTC_DATA,
  PORT_CRTC_DATA_MONO,
  PORT_CRTC_INDEX,
  PORT_CRTC_INDEX_MONO,
  PORT_DAC_DATA,
  PORT_DAC_PEL_MASK,
  PORT_DAC_WRITE_INDEX,
  PORT_GC_INDEX,
  PORT_MISC_READ,
  PORT_MISC_WRITE,
  PORT_SEQ_INDEX,
  PORT_STATUS1,
  PORT_STATUS1_MONO,
  SEQ_COUNT,
  SEQ_MAP_MASK,
  SEQ_MEMORY_MODE,
  SEQ_RESET,
  VRE_PROTECT,
} from "./vga-regs.ts";

/** Which default DAC palette a mode set loads. */
export type DacPaletteKind =
  /** 64 EGA colours (rgbRGB bits) in entries 0-63: 350/400/480-line 16-colour and text modes. */
  | "ega64"
  /** The 16 CGA colours spread over entries 0-63 (bit 4 = intensity): 200-line modes. */
  | "cga200"
  /** The VGA default 256-colour palette: mode 13h. */
  | "vga256";

export interface VgaModeTable {
  /** BIOS mode number(s) this table serves. */
  modes: readonly number[];
  description: string;
  text: boolean;
  /** Characters (text) or pixels (graphics). */
  cols: number;
  rows: number;
  /** Character cell height of the font loaded at mode set (text modes). */
  charHeight: number;
  /** Real-mode segment of the CPU window the mode uses (0xB800 text, 0xA000 graphics). */
  segment: number;
  misc: number;
  /** Sequencer registers 0-4. */
  seq: readonly number[];
  /** CRTC registers 0x00-0x18. */
  crtc: readonly number[];
  /** Graphics controller registers 0-8. */
  gc: readonly number[];
  /** Attribute controller registers 0x00-0x14. */
  attr: readonly number[];
  palette: DacPaletteKind;
}

const TEXT_ATTR = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f,
  0x08, 0x00,
];
const EGA_ATTR = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f,
  0x00, 0x00,
];
const TEXT_GC = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff];
const PLANAR_GC = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff];

/** 40x25 text, 9x16 cells, 360x400 (modes 00h and 01h). */
const MODE_40X25: VgaModeTable = {
  modes: [0x00, 0x01],
  description: "40x25 text, 16 colours",
  text: true,
  cols: 40,
  rows: 25,
  charHeight: 16,
  segment: 0xb800,
  misc: 0x67,
  seq: [0x03, 0x08, 0x03, 0x00, 0x02],
  crtc: [
    0x2d, 0x27, 0x28, 0x90, 0x2b, 0xa0, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f,
    0x14, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
  ],
  gc: TEXT_GC,
  attr: TEXT_ATTR,
  palette: "ega64",
};

/** 80x25 text, 9x16 cells, 720x400 (modes 02h and 03h). */
const MODE_80X25: VgaModeTable = {
  modes: [0x02, 0x03],
  description: "80x25 text, 16 colours",
  text: true,
  cols: 80,
  rows: 25,
  charHeight: 16,
  segment: 0xb800,
  misc: 0x67,
  seq: [0x03, 0x00, 0x03, 0x00, 0x02],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f,
    0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
  ],
  gc: TEXT_GC,
  attr: TEXT_ATTR,
  palette: "ega64",
};

/** 320x200, 16 colours, planar (mode 0Dh). */
const MODE_0D: VgaModeTable = {
  modes: [0x0d],
  description: "320x200, 16 colours",
  text: false,
  cols: 320,
  rows: 200,
  charHeight: 8,
  segment: 0xa000,
  misc: 0x63,
  seq: [0x03, 0x09, 0x0f, 0x00, 0x06],
  crtc: [
    0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f,
    0x14, 0x00, 0x96, 0xb9, 0xe3, 0xff,
  ],
  gc: PLANAR_GC,
  attr: [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x0f,
    0x00, 0x00,
  ],
  palette: "cga200",
};

/** 640x350, 16 colours, planar (mode 10h). */
const MODE_10: VgaModeTable = {
  modes: [0x10],
  description: "640x350, 16 colours",
  text: false,
  cols: 640,
  rows: 350,
  charHeight: 14,
  segment: 0xa000,
  misc: 0xa3,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x06],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x83, 0x85, 0x5d,
    0x28, 0x0f, 0x63, 0xba, 0xe3, 0xff,
  ],
  gc: PLANAR_GC,
  attr: EGA_ATTR,
  palette: "ega64",
};

/** 640x480, 16 colours, planar (mode 12h). */
const MODE_12: VgaModeTable = {
  modes: [0x12],
  description: "640x480, 16 colours",
  text: false,
  cols: 640,
  rows: 480,
  charHeight: 16,
  segment: 0xa000,
  misc: 0xe3,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x06],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xea, 0x8c, 0xdf,
    0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff,
  ],
  gc: PLANAR_GC,
  attr: EGA_ATTR,
  palette: "ega64",
};

/** 320x200, 256 colours, chain 4 (mode 13h). */
const MODE_13: VgaModeTable = {
  modes: [0x13],
  description: "320x200, 256 colours",
  text: false,
  cols: 320,
  rows: 200,
  charHeight: 8,
  segment: 0xa000,
  misc: 0x63,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x0e],
  crtc: [
    0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f,
    0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff,
  ],
  gc: [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff],
  attr: [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x41, 0x00, 0x0f,
    0x00, 0x00,
  ],
  palette: "vga256",
};

/** The tables by BIOS mode number. */
export const VGA_MODES: ReadonlyMap<number, VgaModeTable> = new Map(
  [MODE_40X25, MODE_80X25, MODE_0D, MODE_10, MODE_12, MODE_13].flatMap((t) => t.modes.map((m) => [m, t] as const)),
);

export interface ProgramModeOptions {
  /** Clear video memory (default true), like INT 10h AH=00h without bit 7 of the mode. */
  clear?: boolean;
}

/**
 * Programs the adapter for a standard BIOS mode through its ports and memory window: all
 * registers, the default DAC palette, the 8x16 font for text modes, and cleared memory.
 * Returns the table used. Throws on a mode number it has no table for.
 */
export function programMode(vga: Vga, mode: number, opts: ProgramModeOptions = {}): VgaModeTable {
  const t = VGA_MODES.get(mode);
  if (!t) throw new RangeError(`no VGA register table for mode 0x${mode.toString(16)}`);
  writeRegisters(vga, t);
  loadDacPalette(vga, defaultDacPalette(t.palette));
  if (opts.clear ?? true) clearMemory(vga, t.text);
  if (t.text) loadFont(vga, FONT_8X16, 16, 0);
  return t;
}

/** Writes a mode table's registers in BIOS order, leaving the video enabled. */
export function writeRegisters(vga: Vga, t: VgaModeTable): void {
  if (
    t.seq.length !== SEQ_COUNT ||
    t.crtc.length !== CRTC_COUNT ||
    t.gc.length !== GC_COUNT ||
    t.attr.length !== ATTR_COUNT
  ) {
    throw new RangeError(`malformed VGA mode table for ${t.description}`);
  }
  // Sequencer in synchronous reset while the clock select in Misc Output changes.
  writeIndexed(vga, PORT_SEQ_INDEX, SEQ_RESET, 0x01);
  vga.portWrite(PORT_MISC_WRITE, t.misc);
  for (let i = 1; i < SEQ_COUNT; i++) writeIndexed(vga, PORT_SEQ_INDEX, i, t.seq[i]);
  writeIndexed(vga, PORT_SEQ_INDEX, SEQ_RESET, t.seq[SEQ_RESET]);
  // CRTC registers 0-7 are write-protected while register 11h bit 7 is set: clear it first.
  const [ci, cd] = crtcPorts(vga);
  vga.portWrite(ci, CRTC_V_RETRACE_END);
  vga.portWrite(cd, vga.portRead(cd) & ~VRE_PROTECT);
  for (let i = 0; i < CRTC_COUNT; i++) {
    vga.portWrite(ci, i);
    vga.portWrite(cd, t.crtc[i]);
  }
  for (let i = 0; i < GC_COUNT; i++) writeIndexed(vga, PORT_GC_INDEX, i, t.gc[i]);
  resetAttrFlipFlop(vga);
  for (let i = 0; i < ATTR_COUNT; i++) {
    vga.portWrite(PORT_ATTR_INDEX, i);
    vga.portWrite(PORT_ATTR_INDEX, t.attr[i]);
  }
  // Palette address source on: the attribute controller drives the display again.
  vga.portWrite(PORT_ATTR_INDEX, ATTR_PAS);
}

/** Loads 256 DAC entries (768 six-bit components) through 0x3C8/0x3C9, pel mask all ones. */
export function loadDacPalette(vga: Vga, rgb: Uint8Array): void {
  vga.portWrite(PORT_DAC_PEL_MASK, 0xff);
  vga.portWrite(PORT_DAC_WRITE_INDEX, 0);
  for (let i = 0; i < rgb.length; i++) vga.portWrite(PORT_DAC_DATA, rgb[i]);
}

/**
 * Loads `count` glyphs of `height` lines, starting at character `first`, into character map
 * `map` (0-7) in plane 2, the way INT 10h AX=1100h does: plane 2 opened at A0000 for the
 * copy, the previous sequencer and graphics controller settings restored afterwards.
 */
export function loadFont(vga: Vga, glyphs: Uint8Array, height: number, map = 0, first = 0, count = 256): void {
  if (height < 1 || height > 32 || map < 0 || map > 7)
    throw new RangeError(`bad font load: height ${height}, map ${map}`);
  const saved = openMemory(vga);
  // Plane 2 alone, sequential addressing, 64 KiB at A0000.
  writeIndexed(vga, PORT_SEQ_INDEX, SEQ_MAP_MASK, 0x04);
  writeIndexed(vga, PORT_SEQ_INDEX, SEQ_MEMORY_MODE, 0x06);
  writeIndexed(vga, PORT_GC_INDEX, GC_READ_MAP, 0x02);
  writeIndexed(vga, PORT_GC_INDEX, GC_MODE, 0x00);
  writeIndexed(vga, PORT_GC_INDEX, GC_MISC, 0x04);
  const base = ((map & 3) << 14) | ((map & 4) << 11);
  for (let c = 0; c < count; c++) {
    const code = first + c;
    for (let line = 0; line < 32; line++) {
      const v = line < height ? (glyphs[c * height + line] ?? 0) : 0;
      vga.memory.write8(base + code * 32 + line, v);
    }
  }
  restoreMemory(vga, saved);
}

/**
 * Loads the built-in 8x8 or 8x16 font into map 0 and makes it the text font: character
 * height, cursor shape (last two lines), as INT 10h AX=1112h / AX=1114h do. In 80x25's 400
 * scan lines the 8x8 font gives 80x50.
 */
export function setTextFont(vga: Vga, height: 8 | 16): void {
  loadFont(vga, height === 8 ? FONT_8X8 : FONT_8X16, height, 0);
  const [ci, cd] = crtcPorts(vga);
  vga.portWrite(ci, CRTC_MAX_SCAN_LINE);
  vga.portWrite(cd, (vga.portRead(cd) & ~MSL_MASK) | (height - 1));
  writeIndexed(vga, ci, CRTC_CURSOR_START, height - 2);
  writeIndexed(vga, ci, CRTC_CURSOR_END, height - 1);
}

/** Clears video memory: blank cells (space, light grey on black) in text modes, zero otherwise. */
export function clearMemory(vga: Vga, text: boolean): void {
  const saved = openMemory(vga);
  // Text: planes 0 and 1 in odd/even through B8000. Graphics: all planes, sequential, A0000.
  writeIndexed(vga, PORT_SEQ_INDEX, SEQ_MAP_MASK, text ? 0x03 : 0x0f);
  writeIndexed(vga, PORT_SEQ_INDEX, SEQ_MEMORY_MODE, text ? 0x02 : 0x06);
  writeIndexed(vga, PORT_GC_INDEX, GC_MODE, text ? 0x10 : 0x00);
  writeIndexed(vga, PORT_GC_INDEX, GC_MISC, text ? 0x0e : 0x05);
  if (text) {
    // Odd/even through B8000: characters to plane 0, attributes to plane 1.
    for (let a = 0; a < 0x8000; a += 2) {
      vga.memory.write8(0x18000 + a, 0x20);
      vga.memory.write8(0x18000 + a + 1, 0x07);
    }
  } else {
    for (let a = 0; a < 0x10000; a++) vga.memory.write8(a, 0);
  }
  restoreMemory(vga, saved);
}

/** The default DAC contents (768 six-bit components) for a palette kind. */
export function defaultDacPalette(kind: DacPaletteKind): Uint8Array {
  const p = new Uint8Array(768);
  const set = (i: number, r: number, g: number, b: number) => {
    p[i * 3] = r;
    p[i * 3 + 1] = g;
    p[i * 3 + 2] = b;
  };
  if (kind === "ega64") {
    // Index bits: 0 blue, 1 green, 2 red at 2/3 intensity; 3 blue, 4 green, 5 red at 1/3.
    for (let i = 0; i < 64; i++) {
      set(
        i,
        ((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15,
        ((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15,
        (i & 1) * 0x2a + ((i >> 3) & 1) * 0x15,
      );
    }
  } else if (kind === "cga200") {
    // In 200-line modes bit 4 of a palette value is the intensity bit of a CGA colour.
    for (let i = 0; i < 64; i++) setCga(set, i, (i & 7) | ((i >> 1) & 8));
  } else {
    for (let i = 0; i < 16; i++) setCga(set, i, i);
    const grey = [0, 5, 8, 11, 14, 17, 20, 24, 28, 32, 36, 40, 45, 50, 56, 63];
    for (let i = 0; i < 16; i++) set(16 + i, grey[i], grey[i], grey[i]);
    // 216 colours: three intensities, each at three saturations, each a wheel of 24 hues.
    const ramps = [
      [0, 16, 31, 47, 63],
      [31, 39, 47, 55, 63],
      [45, 49, 54, 58, 63],
      [0, 7, 14, 21, 28],
      [14, 17, 21, 24, 28],
      [20, 22, 24, 26, 28],
      [0, 4, 8, 12, 16],
      [8, 10, 12, 14, 16],
      [11, 12, 13, 15, 16],
    ];
    let n = 32;
    for (const ramp of ramps) for (const [r, g, b] of hueWheel(ramp)) set(n++, r, g, b);
  }
  return p;
}

/** The 16 CGA colours: 2/3 intensity per primary, plus 1/3 on all three for the bright ones; dark yellow is brown. */
function setCga(set: (i: number, r: number, g: number, b: number) => void, i: number, c: number): void {
  const hi = c & 8 ? 0x15 : 0;
  const r = (c & 4 ? 0x2a : 0) + hi;
  const g = (c === 6 ? 0x15 : c & 2 ? 0x2a : 0) + hi;
  const b = (c & 1 ? 0x2a : 0) + hi;
  set(i, r, g, b);
}

/** 24 hues from blue through magenta, red, yellow, green, cyan, stepping one component at a time. */
function hueWheel(v: number[]): [number, number, number][] {
  const lo = 0,
    hi = 4;
  const out: [number, number, number][] = [];
  let r = lo,
    g = lo,
    b = hi;
  out.push([v[r], v[g], v[b]]);
  const steps: [0 | 1 | 2, number][] = [
    [0, 1],
    [2, -1],
    [1, 1],
    [0, -1],
    [2, 1],
    [1, -1],
  ];
  for (const [comp, dir] of steps) {
    for (let s = 0; s < 4; s++) {
      if (comp === 0) r += dir;
      else if (comp === 1) g += dir;
      else b += dir;
      out.push([v[r], v[g], v[b]]);
    }
  }
  out.pop(); // The last step returns to the starting blue.
  return out;
}

// ---- helpers ----

/** Writes an index/data register pair (the data port is the one after the index port). */
function writeIndexed(vga: Vga, indexPort: number, index: number, value: number): void {
  vga.portWrite(indexPort, index);
  vga.portWrite(indexPort + 1, value);
}

function readIndexed(vga: Vga, indexPort: number, index: number): number {
  vga.portWrite(indexPort, index);
  return vga.portRead(indexPort + 1);
}

/** CRTC index and data ports for the current I/O address select. */
function crtcPorts(vga: Vga): [number, number] {
  return (vga.portRead(PORT_MISC_READ) & MISC_IOAS) !== 0
    ? [PORT_CRTC_INDEX, PORT_CRTC_DATA]
    : [PORT_CRTC_INDEX_MONO, PORT_CRTC_DATA_MONO];
}

function resetAttrFlipFlop(vga: Vga): void {
  vga.portRead((vga.portRead(PORT_MISC_READ) & MISC_IOAS) !== 0 ? PORT_STATUS1 : PORT_STATUS1_MONO);
}

/** Registers that steer CPU accesses to video memory, as [index port, index]. */
const MEMORY_REGS: readonly [number, number][] = [
  [PORT_SEQ_INDEX, SEQ_MAP_MASK],
  [PORT_SEQ_INDEX, SEQ_MEMORY_MODE],
  [PORT_GC_INDEX, GC_ENABLE_SET_RESET],
  [PORT_GC_INDEX, GC_DATA_ROTATE],
  [PORT_GC_INDEX, GC_READ_MAP],
  [PORT_GC_INDEX, GC_MODE],
  [PORT_GC_INDEX, GC_MISC],
  [PORT_GC_INDEX, GC_BIT_MASK],
];

interface MemoryRegs {
  values: number[];
  misc: number;
}

/**
 * Saves the memory-access registers and sets up plain writes: write mode 0, no set/reset, no
 * rotate or logical function, all bits, CPU access on. The caller then picks planes and window.
 */
function openMemory(vga: Vga): MemoryRegs {
  const saved = {
    values: MEMORY_REGS.map(([port, i]) => readIndexed(vga, port, i)),
    misc: vga.portRead(PORT_MISC_READ),
  };
  vga.portWrite(PORT_MISC_WRITE, saved.misc | MISC_RAM_ENABLE);
  writeIndexed(vga, PORT_GC_INDEX, GC_ENABLE_SET_RESET, 0x00);
  writeIndexed(vga, PORT_GC_INDEX, GC_DATA_ROTATE, 0x00);
  writeIndexed(vga, PORT_GC_INDEX, GC_BIT_MASK, 0xff);
  return saved;
}

function restoreMemory(vga: Vga, saved: MemoryRegs): void {
  MEMORY_REGS.forEach(([port, i], n) => writeIndexed(vga, port, i, saved.values[n]));
  vga.portWrite(PORT_MISC_WRITE, saved.misc);
}
