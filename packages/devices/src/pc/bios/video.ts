// INT 10h video services of the built-in BIOS, for a VGA: mode set, cursor, pages, scrolling,
// character and pixel output in text and graphics modes, teletype, write string, palette and
// DAC, character generator, alternate select, display combination and state information.
// Written from the IBM VGA BIOS interface as Ralf Brown's Interrupt List and the IBM PS/2
// and EGA technical references describe it (function numbers, registers, BIOS data area).
//
// Key design choices:
//  - No state of its own: everything lives where a ROM BIOS keeps it, in the BIOS data area
//    (mode, geometry, cursor positions, active page) and in the adapter's registers. So a
//    snapshot needs nothing from this module, and a guest that edits the BDA is honoured.
//  - The adapter is driven only through its ports and its memory window, as a ROM would:
//    text cells are bytes at B8000, planar pixels go through the graphics controller's write
//    modes, palettes through the attribute controller and the DAC. Only programming a whole
//    mode (register tables, default palette, font, clearing) is the platform's job.
//  - Each operation touches only the cells or bytes it changes: teletype writes one cell and
//    the cursor; only a scroll moves the window.

import { EAX, EBP, EBX, ECX, EDI, EDX, ES } from "@x86vm/core";
import type { Bios } from "./bios.ts";
import * as B from "./bda.ts";
import {
  ATTRMODE_BLINK,
  ATTRMODE_P54S,
  ATTR_COLOR_SELECT,
  ATTR_MODE,
  ATTR_OVERSCAN,
  ATTR_PALETTE_COUNT,
  ATTR_PAS,
  CRTC_CURSOR_END,
  CRTC_CURSOR_LOC_HI,
  CRTC_CURSOR_LOC_LO,
  CRTC_CURSOR_START,
  CRTC_MAX_SCAN_LINE,
  CRTC_OVERFLOW,
  CRTC_START_ADDR_HI,
  CRTC_START_ADDR_LO,
  CRTC_V_DISPLAY_END,
  CRTC_V_RETRACE_END,
  CURSOR_DISABLE,
  CURSOR_LINE_MASK,
  FUNC_XOR,
  GCMODE_READ_COMPARE,
  GCMODE_SHIFT256,
  GCMODE_SHIFT_INTERLEAVE,
  GC_BIT_MASK,
  GC_DATA_ROTATE,
  GC_ENABLE_SET_RESET,
  GC_MISC,
  GC_MODE,
  GC_READ_MAP,
  GC_SET_RESET,
  MISC_RAM_ENABLE,
  MSL_DOUBLE_SCAN,
  MSL_MASK,
  OVERFLOW_VDE8,
  OVERFLOW_VDE9,
  PORT_ATTR_DATA_READ,
  PORT_ATTR_INDEX,
  PORT_CRTC_INDEX,
  PORT_CRTC_INDEX_MONO,
  PORT_DAC_DATA,
  PORT_DAC_PEL_MASK,
  PORT_DAC_READ_INDEX,
  PORT_DAC_WRITE_INDEX,
  PORT_GC_INDEX,
  PORT_MISC_READ,
  PORT_MISC_WRITE,
  PORT_SEQ_INDEX,
  PORT_STATUS1,
  ROTATE_FUNC_SHIFT,
  SEQ_CHAR_MAP,
  SEQ_CLOCKING,
  SEQ_CLOCKING_SCREEN_OFF,
  SEQ_MAP_MASK,
  SEQ_MEMORY_MODE,
  VRE_PROTECT,
} from "../../vga/vga-regs.ts";
import { FONT_8X14, FONT_8X16, FONT_8X8, FONT_8X8_HIGH, ROM_SEGMENT } from "./rom.ts";
import { VbeServices } from "./vbe.ts";
import { DISPI_INDEX_ENABLE, DISPI_PORT_DATA, DISPI_PORT_INDEX } from "../../vga/vbe.ts";

// ---- CPU register file indices (the byte and word views of the CPU's registers)
const AL = EAX << 2,
  AH = AL + 1,
  CL = ECX << 2,
  CH = CL + 1,
  DL = EDX << 2,
  DH = DL + 1,
  BL = EBX << 2,
  BH = BL + 1;
const AX = EAX << 1,
  CX = ECX << 1,
  DX = EDX << 1,
  BX = EBX << 1,
  BP = EBP << 1,
  DI = EDI << 1;

// ---- VGA ports and registers: vga-regs.ts (IBM VGA technical reference; FreeVGA register pages)
/** Input Status 1 sits 6 above the CRTC index port; reading it resets the attribute flip-flop. */
const STATUS1_OFFSET = PORT_STATUS1 - PORT_CRTC_INDEX;
/** Data rotate register: logical function XOR. */
const ROTATE_XOR = FUNC_XOR << ROTATE_FUNC_SHIFT;
/** Graphics mode register values: write mode 1 (latch copy), 2 (colour per bit), 3 (set/reset through a mask). */
const GCMODE_WRITE0 = 0x00,
  GCMODE_WRITE1 = 0x01,
  GCMODE_WRITE2 = 0x02,
  GCMODE_WRITE3 = 0x03;
/** Graphics mode register: the shift-register control bits. */
const GCMODE_SHIFT_BITS = GCMODE_SHIFT_INTERLEAVE | GCMODE_SHIFT256;
/** The last attribute controller register a save or restore covers. */
const ATTR_LAST = ATTR_COLOR_SELECT;

// ---- BIOS data area bits (Ralf Brown's memory map, 40:65 and 40:87-40:89; IBM VGA BIOS)
/** 40:65 CGA mode select image: blink enable. */
const MODE_CTL_BLINK = 0x20;
/** 40:87: bit 7 = last mode set kept memory; bits 6-5 = 256 KiB; bit 1 = mono display; bit 0 = cursor emulation off. */
const EGA_NO_CLEAR = 0x80,
  EGA_MEM_256K = 0x60,
  EGA_MONO = 0x02,
  EGA_NO_CURSOR_EMULATION = 0x01;
/** 40:88: no feature connector bits, adapter switches 1001b = VGA with a colour display. */
const EGA_SWITCHES = 0x09;
/** 40:89: VGA active, grey summing, mono monitor, default palette loading disabled, 400/200-line text. */
const VGA_ACTIVE = 0x01,
  VGA_GREY_SUMMING = 0x02,
  VGA_MONO_MONITOR = 0x04,
  VGA_NO_DEFAULT_PALETTE = 0x08;
const VGA_LINES_400 = 0x10,
  VGA_LINES_200 = 0x80,
  VGA_LINES_MASK = 0x90;
/** Equipment word bits 5-4: initial video mode (10b = 80x25 colour, 11b = monochrome). */
const EQUIP_VIDEO_MASK = 0x30,
  EQUIP_VIDEO_COLOUR80 = 0x20,
  EQUIP_VIDEO_MONO = 0x30;

/** Display combination code of a VGA with an analog colour display (INT 10h AX=1A00h). */
const DCC_VGA_COLOUR = 0x08;
/** The value AH=12h subfunctions and AH=1Ah/1Bh return in AL to say "supported". */
const ALT_SELECT_OK = 0x12,
  DCC_OK = 0x1a,
  STATE_OK = 0x1b;

const VEC_1F = 0x1f * 4,
  VEC_43 = 0x43 * 4;
const ROM = ROM_SEGMENT << 4;

/** Memory organisation of a mode, as the BIOS must address it. */
type Layout =
  /** Character/attribute pairs (odd/even), pages of BDA page size. */
  | "text"
  /** CGA 2 or 1 bit per pixel, even scan lines at +0, odd ones at +2000h (modes 4-6). */
  | "cga"
  /** Four planes, one bit per pixel per plane, through the graphics controller (0Dh-12h). */
  | "planar"
  /** One byte per pixel, chain 4 (13h). */
  | "linear";

interface ModeInfo {
  layout: Layout;
  /** Character columns and rows at mode set. */
  cols: number;
  rows: number;
  /** Pixels (graphics modes). */
  width: number;
  height: number;
  /** Character cell height at mode set (text: the VGA's 400-line font). */
  charHeight: number;
  /** Physical address of the mode's memory window. */
  base: number;
  /** Regen buffer length per page, and the number of pages. */
  pageSize: number;
  pages: number;
  /** Bits per pixel in CGA layouts. */
  bpp: number;
  /** Displayed colours (0 = monochrome), for AH=1Bh. */
  colours: number;
  /** Scan lines shown (200, 350, 400, 480). */
  lines: number;
  /** Image of the CGA mode select register kept at 40:65 (Ralf Brown); modes above 7 have none. */
  modeSelect: number;
}

function textMode(cols: number, mono: boolean, modeSelect: number): ModeInfo {
  return {
    layout: "text",
    cols,
    rows: 25,
    width: cols * 9,
    height: 400,
    charHeight: 16,
    base: mono ? 0xb0000 : 0xb8000,
    pageSize: cols === 40 ? 0x800 : 0x1000,
    pages: 8,
    bpp: 0,
    colours: mono ? 0 : 16,
    lines: 400,
    modeSelect,
  };
}

function graphicsMode(
  layout: Layout,
  width: number,
  height: number,
  charHeight: number,
  pageSize: number,
  pages: number,
  colours: number,
  bpp = 0,
  modeSelect = 0x08,
): ModeInfo {
  return {
    layout,
    cols: width >> 3,
    rows: Math.floor(height / charHeight),
    width,
    height,
    charHeight,
    base: layout === "cga" ? 0xb8000 : 0xa0000,
    pageSize,
    pages,
    bpp,
    colours,
    lines: height,
    modeSelect,
  };
}

/** The standard modes (IBM VGA BIOS mode list). Which of them can be set is up to the platform. */
const MODES: ReadonlyMap<number, ModeInfo> = new Map<number, ModeInfo>([
  [0x00, textMode(40, false, 0x2c)],
  [0x01, textMode(40, false, 0x28)],
  [0x02, textMode(80, false, 0x2d)],
  [0x03, textMode(80, false, 0x29)],
  [0x04, graphicsMode("cga", 320, 200, 8, 0x4000, 1, 4, 2, 0x2a)],
  [0x05, graphicsMode("cga", 320, 200, 8, 0x4000, 1, 4, 2, 0x2e)],
  [0x06, graphicsMode("cga", 640, 200, 8, 0x4000, 1, 2, 1, 0x1e)],
  [0x07, textMode(80, true, 0x29)],
  [0x0d, graphicsMode("planar", 320, 200, 8, 0x2000, 8, 16)],
  [0x0e, graphicsMode("planar", 640, 200, 8, 0x4000, 4, 16)],
  [0x0f, graphicsMode("planar", 640, 350, 14, 0x8000, 2, 0)],
  [0x10, graphicsMode("planar", 640, 350, 14, 0x8000, 2, 16)],
  [0x11, graphicsMode("planar", 640, 480, 16, 0xa000, 1, 2)],
  [0x12, graphicsMode("planar", 640, 480, 16, 0xa000, 1, 16)],
  [0x13, graphicsMode("linear", 320, 200, 8, 0xfa00, 1, 256)],
]);
const MODE_03 = MODES.get(0x03)!;

/**
 * The modes the board's VGA register tables can program today (packages/devices modes.ts),
 * as bits of the static functionality table (bit n of byte n>>3 = mode n).
 */
const SUPPORTED_MODE_BITS = [0x0f, 0x20, 0x0d];

/**
 * Video BIOS static functionality table (INT 10h AH=1Bh points at it; Ralf Brown #00039):
 * modes, 400 text scan lines, 8 font blocks of which 2 active, and the functions offered
 * (all modes on all displays, grey summing, font loading, default palette control, cursor
 * emulation, EGA palette, DAC, colour paging, intensity/blink, display combination code).
 */
export const VIDEO_STATIC_TABLE = Uint8Array.of(...SUPPORTED_MODE_BITS, 0, 0, 0, 0, 0x04, 8, 2, 0xff, 0x0c, 0, 0, 0, 0);
/**
 * Where post() stores the static table: the last 16 bytes of the 1 KiB EBDA (the ROM image
 * has no room reserved for it). The pointer AH=1Bh returns follows BDA 40:0E.
 */
export const VIDEO_STATIC_TABLE_EBDA_OFFSET = 0x3f0;

export class VideoServices {
  /** Scratch for saving the data-path registers around a graphics operation (not state). */
  private readonly saved = new Uint8Array(8);
  /** AH=4Fh, the VESA BIOS Extensions over the Bochs VBE interface. */
  readonly vbe: VbeServices;

  constructor(private readonly bios: Bios) {
    this.vbe = new VbeServices(bios);
  }

  // ---- entry points

  /** Power-on: the EGA/VGA BDA bytes, the static functionality table, then mode 3. */
  post(): void {
    const b = this.bios;
    b.wb(B.BDA_VIDEO_EGA_MISC, EGA_MEM_256K);
    b.wb(B.BDA_VIDEO_EGA_SWITCHES, EGA_SWITCHES);
    b.wb(B.BDA_VIDEO_VGA_FLAGS, VGA_ACTIVE | VGA_LINES_400);
    // No video save pointer table: software treats a null pointer as "none".
    b.ww(B.BDA_VIDEO_SAVE_PTR, 0);
    b.ww(B.BDA_VIDEO_SAVE_PTR + 2, 0);
    const table = b.lin(this.ebdaSegment(), VIDEO_STATIC_TABLE_EBDA_OFFSET);
    for (let i = 0; i < VIDEO_STATIC_TABLE.length; i++) b.wb(table + i, VIDEO_STATIC_TABLE[i]);
    this.setMode(0x03);
  }

  /** INT 10h: the function in AH. */
  int10(): void {
    const b = this.bios,
      r8 = b.cpu.r8;
    switch (r8[AH]) {
      case 0x00:
        this.fnSetMode();
        return;
      case 0x01:
        this.setCursorShape(b.cpu.r16[CX]);
        return;
      case 0x02:
        this.setCursor(r8[BH] & 7, r8[DH], r8[DL]);
        return;
      case 0x03:
        this.fnGetCursor();
        return;
      // Light pen: a VGA has no light pen input, so it is never triggered (AH=0).
      case 0x04:
        r8[AH] = 0;
        return;
      case 0x05:
        this.selectPage(r8[AL]);
        return;
      case 0x06:
      case 0x07:
        this.fnScroll(r8[AH] === 0x06);
        return;
      case 0x08:
        this.fnReadChar();
        return;
      case 0x09:
        this.writeChars(r8[BH] & 7, r8[AL], r8[BL], b.cpu.r16[CX], true);
        return;
      case 0x0a:
        this.writeChars(r8[BH] & 7, r8[AL], r8[BL], b.cpu.r16[CX], false);
        return;
      case 0x0b:
        this.fnCgaPalette();
        return;
      case 0x0c:
        this.writePixel(r8[BH] & 7, b.cpu.r16[CX], b.cpu.r16[DX], r8[AL]);
        return;
      case 0x0d:
        r8[AL] = this.readPixel(r8[BH] & 7, b.cpu.r16[CX], b.cpu.r16[DX]);
        return;
      case 0x0e:
        this.put(r8[AL], this.activePage(), r8[BL], false);
        return;
      case 0x0f:
        this.fnGetMode();
        return;
      case 0x10:
        this.fnPalette();
        return;
      case 0x11:
        this.fnFont();
        return;
      case 0x12:
        this.fnAlternateSelect();
        return;
      case 0x13:
        this.fnWriteString();
        return;
      case 0x1a:
        this.fnDisplayCombination();
        return;
      case 0x1b:
        this.fnState();
        return;
      case 0x4f:
        this.vbe.int10();
        return;
      default:
        b.unsupportedCall(0x10); // includes 1Ch save/restore state
    }
  }

  /** Teletype output on the active page (for other BIOS services' messages). */
  teletype(ch: number): void {
    this.put(ch & 0xff, this.activePage(), 0x07, false);
  }

  // ---- BDA views

  private mode(): ModeInfo {
    return MODES.get(this.bios.rb(B.BDA_VIDEO_MODE) & 0x7f) ?? MODE_03;
  }
  private cols(): number {
    return this.bios.rw(B.BDA_VIDEO_COLUMNS) || 80;
  }
  private rows(): number {
    return this.bios.rb(B.BDA_VIDEO_ROWS) + 1;
  }
  private charHeight(): number {
    return this.bios.rw(B.BDA_CHAR_HEIGHT) || 16;
  }
  private pageSize(): number {
    return this.bios.rw(B.BDA_VIDEO_PAGE_SIZE);
  }
  private activePage(): number {
    return this.bios.rb(B.BDA_VIDEO_PAGE) & 7;
  }
  private cursorOf(page: number): number {
    return this.bios.rw(B.BDA_CURSOR_POS + page * 2);
  }
  private ebdaSegment(): number {
    return this.bios.rw(B.BDA_EBDA_SEGMENT) || B.EBDA_SEGMENT;
  }
  private crtcPort(): number {
    return this.bios.rw(B.BDA_CRTC_PORT) === PORT_CRTC_INDEX_MONO ? PORT_CRTC_INDEX_MONO : PORT_CRTC_INDEX;
  }

  /** Pages the current mode offers (text: as many pages of the current size as fit in 32 KiB). */
  private pageCount(m: ModeInfo): number {
    if (m.layout !== "text") return m.pages;
    return Math.max(1, Math.min(8, Math.floor(0x8000 / Math.max(1, this.pageSize()))));
  }

  // ---- register access

  private idxWrite(port: number, index: number, v: number): void {
    this.bios.outb(port, index);
    this.bios.outb(port + 1, v);
  }
  private idxRead(port: number, index: number): number {
    this.bios.outb(port, index);
    return this.bios.inb(port + 1);
  }
  private crtcWrite(index: number, v: number): void {
    this.idxWrite(this.crtcPort(), index, v);
  }
  private crtcRead(index: number): number {
    return this.idxRead(this.crtcPort(), index);
  }

  /** Writes attribute controller register i; the palette is detached meanwhile, as the VGA requires. */
  private attrWrite(i: number, v: number): void {
    const b = this.bios;
    b.inb(this.crtcPort() + STATUS1_OFFSET);
    b.outb(PORT_ATTR_INDEX, i);
    b.outb(PORT_ATTR_INDEX, v);
    b.outb(PORT_ATTR_INDEX, ATTR_PAS);
  }
  private attrRead(i: number): number {
    const b = this.bios;
    b.inb(this.crtcPort() + STATUS1_OFFSET);
    b.outb(PORT_ATTR_INDEX, i | ATTR_PAS);
    const v = b.inb(PORT_ATTR_DATA_READ);
    b.inb(this.crtcPort() + STATUS1_OFFSET);
    return v;
  }

  /** Saves the registers that steer CPU access to the planes (restored by restoreDataPath). */
  private saveDataPath(): void {
    const s = this.saved;
    s[0] = this.idxRead(PORT_SEQ_INDEX, SEQ_MAP_MASK);
    s[1] = this.idxRead(PORT_GC_INDEX, GC_SET_RESET);
    s[2] = this.idxRead(PORT_GC_INDEX, GC_ENABLE_SET_RESET);
    s[3] = this.idxRead(PORT_GC_INDEX, GC_DATA_ROTATE);
    s[4] = this.idxRead(PORT_GC_INDEX, GC_READ_MAP);
    s[5] = this.idxRead(PORT_GC_INDEX, GC_MODE);
    s[6] = this.idxRead(PORT_GC_INDEX, GC_BIT_MASK);
  }
  private restoreDataPath(): void {
    const s = this.saved;
    this.idxWrite(PORT_SEQ_INDEX, SEQ_MAP_MASK, s[0]);
    this.idxWrite(PORT_GC_INDEX, GC_SET_RESET, s[1]);
    this.idxWrite(PORT_GC_INDEX, GC_ENABLE_SET_RESET, s[2]);
    this.idxWrite(PORT_GC_INDEX, GC_DATA_ROTATE, s[3]);
    this.idxWrite(PORT_GC_INDEX, GC_READ_MAP, s[4]);
    this.idxWrite(PORT_GC_INDEX, GC_MODE, s[5]);
    this.idxWrite(PORT_GC_INDEX, GC_BIT_MASK, s[6]);
  }
  /**
   * All four planes writable, no set/reset, no rotation or logical function, all bits, read
   * mode 0 and the given write mode (the shift-register bits 6-5 stay, they only affect the
   * display). Call after saveDataPath.
   */
  private plainDataPath(writeMode: number): void {
    this.idxWrite(PORT_SEQ_INDEX, SEQ_MAP_MASK, 0x0f);
    this.idxWrite(PORT_GC_INDEX, GC_ENABLE_SET_RESET, 0x00);
    this.idxWrite(PORT_GC_INDEX, GC_DATA_ROTATE, 0x00);
    this.idxWrite(PORT_GC_INDEX, GC_MODE, (this.saved[5] & GCMODE_SHIFT_BITS) | writeMode);
    this.idxWrite(PORT_GC_INDEX, GC_BIT_MASK, 0xff);
  }

  // ---- AH=00h set mode

  private fnSetMode(): void {
    const b = this.bios,
      al = b.cpu.r8[AL];
    if (!this.setMode(al)) {
      b.unsupportedCall(0x10);
      return;
    }
    // Phoenix-compatible return value (Ralf Brown): 20h above mode 7, 3Fh for mode 6, else 30h.
    const mode = al & 0x7f;
    b.cpu.r8[AL] = mode > 7 ? 0x20 : mode === 6 ? 0x3f : 0x30;
  }

  /** Sets VGA mode AL (bit 7: keep video memory) as AH=00h does, for the VBE mode set. */
  setStandardMode(al: number): boolean {
    return this.setMode(al);
  }

  /** Sets mode AL (bit 7: keep video memory) and the BDA; false if the mode cannot be set. */
  private setMode(al: number): boolean {
    const b = this.bios;
    const mode = al & 0x7f,
      clear = (al & 0x80) === 0;
    const m = MODES.get(mode);
    if (!m) return false;
    // A VGA mode turns the Bochs VBE interface off (its ports are unclaimed on boards without it).
    b.platform.io.io.out16(DISPI_PORT_INDEX, DISPI_INDEX_ENABLE);
    b.platform.io.io.out16(DISPI_PORT_DATA, 0);
    const flags = b.rb(B.BDA_VIDEO_VGA_FLAGS);
    // 12h/31h disabled default palette loading: the DAC keeps its colours across the mode set.
    const keepDac = (flags & VGA_NO_DEFAULT_PALETTE) !== 0 ? this.readDac(0, 256) : null;
    if (!b.platform.setVideoMode(mode, clear)) return false;
    if (keepDac) this.writeDac(0, keepDac);
    else if ((flags & VGA_GREY_SUMMING) !== 0) this.greySum(0, 256);

    const mono = m.layout === "text" && m.base === 0xb0000;
    b.wb(B.BDA_VIDEO_MODE, mode);
    b.ww(B.BDA_VIDEO_COLUMNS, m.cols);
    b.ww(B.BDA_VIDEO_PAGE_SIZE, m.pageSize);
    b.ww(B.BDA_VIDEO_PAGE_OFFSET, 0);
    for (let p = 0; p < 8; p++) b.ww(B.BDA_CURSOR_POS + p * 2, 0);
    b.wb(B.BDA_VIDEO_PAGE, 0);
    b.ww(B.BDA_CRTC_PORT, mono ? PORT_CRTC_INDEX_MONO : PORT_CRTC_INDEX);
    b.wb(B.BDA_VIDEO_MODE_CTL, m.modeSelect);
    b.wb(B.BDA_VIDEO_PALETTE, mode === 6 ? 0x3f : 0x30);
    b.wb(B.BDA_VIDEO_ROWS, m.rows - 1);
    b.ww(B.BDA_CHAR_HEIGHT, m.charHeight);
    b.wb(
      B.BDA_VIDEO_EGA_MISC,
      (b.rb(B.BDA_VIDEO_EGA_MISC) & ~(EGA_NO_CLEAR | EGA_MONO)) | (clear ? 0 : EGA_NO_CLEAR) | (mono ? EGA_MONO : 0),
    );
    b.ww(
      B.BDA_EQUIPMENT,
      (b.rw(B.BDA_EQUIPMENT) & ~EQUIP_VIDEO_MASK) | (mono ? EQUIP_VIDEO_MONO : EQUIP_VIDEO_COLOUR80),
    );
    // INT 43h: the graphics character set of the mode's cell height (8x8: its first half;
    // characters 80h-FFh come from INT 1Fh, as on the CGA).
    this.setVector(
      VEC_43,
      m.charHeight === 14 ? FONT_8X14 : m.charHeight === 16 && m.layout !== "text" ? FONT_8X16 : FONT_8X8,
    );
    b.ww(B.BDA_CURSOR_SHAPE, 0x0607);
    if (m.layout === "text") {
      this.programCursorShape(0x0607);
      this.updateHardwareCursor();
    }
    return true;
  }

  private setVector(vec: number, romOffset: number): void {
    this.bios.ww(vec, romOffset);
    this.bios.ww(vec + 2, ROM_SEGMENT);
  }

  // ---- AH=01h-03h, 05h cursor and pages

  /** AH=01h: CH = start line (bit 5: hidden), CL = end line, in 8-line units when emulating. */
  private setCursorShape(cx: number): void {
    this.bios.ww(B.BDA_CURSOR_SHAPE, cx);
    this.programCursorShape(cx);
  }

  private programCursorShape(cx: number): void {
    let start = (cx >> 8) & CURSOR_LINE_MASK,
      end = cx & CURSOR_LINE_MASK;
    // Ralf Brown, AH=01h: CH bits 6-5 other than 00 make the cursor invisible on EGA/VGA.
    const hidden = (cx & 0x6000) !== 0;
    const h = this.charHeight();
    const emulate = (this.bios.rb(B.BDA_VIDEO_EGA_MISC) & EGA_NO_CURSOR_EMULATION) === 0;
    if (!hidden && emulate && h > 8 && start <= 7 && end <= 7 && start <= end) {
      start = emulatedLine(start, h, false);
      end = emulatedLine(end, h, true);
    }
    this.crtcWrite(CRTC_CURSOR_START, (hidden ? CURSOR_DISABLE : 0) | start);
    this.crtcWrite(CRTC_CURSOR_END, end);
  }

  /** AH=02h (and internal moves): remembers the position; moves the hardware cursor on the active page. */
  private setCursor(page: number, row: number, col: number): void {
    this.bios.ww(B.BDA_CURSOR_POS + page * 2, ((row & 0xff) << 8) | (col & 0xff));
    if (page === this.activePage()) this.updateHardwareCursor();
  }

  private updateHardwareCursor(): void {
    if (this.mode().layout !== "text") return;
    const pos = this.cursorOf(this.activePage());
    const loc = (this.bios.rw(B.BDA_VIDEO_PAGE_OFFSET) >> 1) + (pos >> 8) * this.cols() + (pos & 0xff);
    this.crtcWrite(CRTC_CURSOR_LOC_HI, (loc >> 8) & 0xff);
    this.crtcWrite(CRTC_CURSOR_LOC_LO, loc & 0xff);
  }

  /** AH=03h: DH, DL = row, column of page BH; CH, CL = cursor shape. */
  private fnGetCursor(): void {
    const cpu = this.bios.cpu;
    cpu.r16[DX] = this.cursorOf(cpu.r8[BH] & 7);
    cpu.r16[CX] = this.bios.rw(B.BDA_CURSOR_SHAPE);
  }

  /** AH=05h: shows page AL (ignored when the mode has no such page). */
  private selectPage(page: number): void {
    const b = this.bios,
      m = this.mode();
    if (page >= this.pageCount(m)) return;
    const offset = page * this.pageSize();
    b.wb(B.BDA_VIDEO_PAGE, page);
    b.ww(B.BDA_VIDEO_PAGE_OFFSET, offset);
    // The CRTC counts character cells in text modes (word addressing), bytes in planar modes.
    const start = m.layout === "text" ? offset >> 1 : offset;
    this.crtcWrite(CRTC_START_ADDR_HI, (start >> 8) & 0xff);
    this.crtcWrite(CRTC_START_ADDR_LO, start & 0xff);
    this.updateHardwareCursor();
  }

  // ---- AH=06h/07h scrolling

  private fnScroll(up: boolean): void {
    const r8 = this.bios.cpu.r8;
    this.scroll(this.activePage(), up, r8[AL], r8[BH], r8[CH], r8[CL], r8[DH], r8[DL]);
  }

  /** Scrolls a window of a page by `lines` character rows (0 or more than its height: clears it). */
  private scroll(
    page: number,
    up: boolean,
    lines: number,
    attr: number,
    top: number,
    left: number,
    bottom: number,
    right: number,
  ): void {
    const m = this.mode();
    bottom = Math.min(bottom, this.rows() - 1);
    right = Math.min(right, this.cols() - 1);
    if (top > bottom || left > right) return;
    const height = bottom - top + 1;
    if (lines === 0 || lines > height) lines = height;
    const graphics = m.layout !== "text",
      planar = m.layout === "planar";
    // Planar modes copy all four planes at once through the latches (write mode 1) and fill
    // with write mode 2 (each CPU bit 3-0 feeds one plane).
    if (planar) {
      this.saveDataPath();
      this.plainDataPath(GCMODE_WRITE1);
    }
    const rowCopy = (dst: number, src: number) =>
      graphics ? this.copyGraphicsRow(m, page, dst, src, left, right) : this.copyTextRow(page, dst, src, left, right);
    if (up) for (let r = top; r + lines <= bottom; r++) rowCopy(r, r + lines);
    else for (let r = bottom; r - lines >= top; r--) rowCopy(r, r - lines);
    const first = up ? bottom - lines + 1 : top;
    if (planar) this.plainDataPath(GCMODE_WRITE2);
    for (let r = first; r < first + lines; r++) {
      if (graphics) this.fillGraphicsRow(m, page, r, left, right, attr);
      else this.fillTextRow(page, r, left, right, attr);
    }
    if (planar) this.restoreDataPath();
  }

  private textAddress(page: number, row: number, col: number): number {
    return this.mode().base + page * this.pageSize() + (row * this.cols() + col) * 2;
  }

  private copyTextRow(page: number, dst: number, src: number, left: number, right: number): void {
    const b = this.bios;
    let d = this.textAddress(page, dst, left),
      s = this.textAddress(page, src, left);
    for (let c = left; c <= right; c++, d += 2, s += 2) b.ww(d, b.rw(s));
  }

  private fillTextRow(page: number, row: number, left: number, right: number, attr: number): void {
    const b = this.bios,
      cell = (attr << 8) | 0x20;
    let a = this.textAddress(page, row, left);
    for (let c = left; c <= right; c++, a += 2) b.ww(a, cell);
  }

  /** Address of pixel row y's first byte in a graphics layout. */
  private lineAddress(m: ModeInfo, page: number, y: number): number {
    switch (m.layout) {
      case "planar":
        return m.base + page * this.pageSize() + y * (m.width >> 3);
      case "linear":
        return m.base + y * m.width;
      default:
        return m.base + (y & 1) * 0x2000 + (y >> 1) * ((m.width * m.bpp) >> 3);
    }
  }

  /** Bytes per character column in a graphics layout. */
  private static charBytes(m: ModeInfo): number {
    return m.layout === "planar" ? 1 : m.layout === "linear" ? 8 : m.bpp;
  }

  /** Copies character row src to dst (planar: through the latches, in write mode 1). */
  private copyGraphicsRow(m: ModeInfo, page: number, dst: number, src: number, left: number, right: number): void {
    const b = this.bios,
      h = this.cellHeight(m),
      cb = VideoServices.charBytes(m);
    const from = left * cb,
      to = (right + 1) * cb;
    for (let line = 0; line < h; line++) {
      const d = this.lineAddress(m, page, dst * h + line),
        s = this.lineAddress(m, page, src * h + line);
      for (let x = from; x < to; x++) b.wb(d + x, b.rb(s + x));
    }
  }

  /** Fills character row `row` with colour `attr` (planar: write mode 2 is active). */
  private fillGraphicsRow(m: ModeInfo, page: number, row: number, left: number, right: number, attr: number): void {
    const b = this.bios,
      h = this.cellHeight(m),
      cb = VideoServices.charBytes(m);
    const from = left * cb,
      to = (right + 1) * cb;
    const v = m.layout === "cga" ? (m.bpp === 2 ? (attr & 3) * 0x55 : attr & 1 ? 0xff : 0) : attr;
    for (let line = 0; line < h; line++) {
      const d = this.lineAddress(m, page, row * h + line);
      for (let x = from; x < to; x++) b.wb(d + x, v);
    }
  }

  /** Character cell height in a graphics mode (CGA layouts are always 8 lines). */
  private cellHeight(m: ModeInfo): number {
    return m.layout === "cga" ? 8 : this.charHeight();
  }

  // ---- AH=08h-0Ah, 0Eh, 13h characters

  /** AH=08h: AL = character, AH = attribute at the cursor of page BH (graphics: matched glyph, AH=0). */
  private fnReadChar(): void {
    const cpu = this.bios.cpu,
      page = cpu.r8[BH] & 7,
      m = this.mode();
    const pos = this.cursorOf(page),
      row = pos >> 8,
      col = pos & 0xff;
    if (m.layout === "text") {
      cpu.r16[AX] = this.bios.rw(this.textAddress(page, row, col));
      return;
    }
    cpu.r8[AL] = this.matchGlyph(m, page, row, col);
    cpu.r8[AH] = 0;
  }

  /**
   * AH=09h (withAttr) / 0Ah: `count` copies of a character from the cursor of `page`, the
   * cursor unmoved. Graphics modes draw the glyph in colour `attr` (bit 7: XOR) for both.
   */
  private writeChars(page: number, ch: number, attr: number, count: number, withAttr: boolean): void {
    const m = this.mode(),
      pos = this.cursorOf(page);
    let row = pos >> 8,
      col = pos & 0xff;
    if (m.layout === "text") {
      const b = this.bios;
      const end = m.base + (page + 1) * this.pageSize();
      let a = this.textAddress(page, row, col);
      for (let i = 0; i < count && a < end; i++, a += 2) {
        b.wb(a, ch);
        if (withAttr) b.wb(a + 1, attr);
      }
      return;
    }
    const cols = this.cols(),
      rows = this.rows();
    for (let i = 0; i < count && row < rows; i++) {
      this.drawGlyph(m, page, ch, row, col, attr);
      if (++col >= cols) {
        col = 0;
        row++;
      }
    }
  }

  /**
   * Teletype: control characters BEL (ignored: no beep), BS, LF, CR act on the cursor; others
   * are written (text: the character only, or with `attr` when withAttr; graphics: in colour
   * `attr`) and the cursor advances, wrapping at the right edge and scrolling at the bottom.
   */
  private put(ch: number, page: number, attr: number, withAttr: boolean): void {
    const pos = this.cursorOf(page);
    let row = pos >> 8,
      col = pos & 0xff;
    switch (ch) {
      case 0x07:
        return;
      case 0x08:
        if (col > 0) col--;
        break;
      case 0x0a:
        row++;
        break;
      case 0x0d:
        col = 0;
        break;
      default: {
        const m = this.mode();
        if (m.layout === "text") {
          const a = this.textAddress(page, row, col);
          this.bios.wb(a, ch);
          if (withAttr) this.bios.wb(a + 1, attr);
        } else {
          this.drawGlyph(m, page, ch, row, col, attr);
        }
        if (++col >= this.cols()) {
          col = 0;
          row++;
        }
      }
    }
    const last = this.rows() - 1;
    if (row > last) {
      row = last;
      this.scrollForNewLine(page, row, col);
    }
    this.setCursor(page, row, col);
  }

  /** Scrolls a page up one line; the new line takes the attribute under the cursor (graphics: colour 0). */
  private scrollForNewLine(page: number, row: number, col: number): void {
    const m = this.mode();
    const attr = m.layout === "text" ? this.bios.rb(this.textAddress(page, row, col) + 1) : 0;
    this.scroll(page, true, 1, attr, 0, 0, row, this.cols() - 1);
  }

  /** AH=13h: write string ES:BP, CX characters, at DH, DL of page BH; AL bit 0 moves the cursor, bit 1 = attributes inline. */
  private fnWriteString(): void {
    const b = this.bios,
      cpu = b.cpu,
      r8 = cpu.r8;
    const flags = r8[AL];
    if (flags > 3) {
      b.unsupportedCall(0x10);
      return;
    }
    const page = r8[BH] & 7,
      count = cpu.r16[CX],
      es = cpu.sreg[ES];
    let attr = r8[BL],
      off = cpu.r16[BP];
    const saved = this.cursorOf(page);
    this.setCursor(page, r8[DH], r8[DL]);
    for (let i = 0; i < count; i++) {
      const ch = b.rb(b.lin(es, off++));
      if ((flags & 2) !== 0) attr = b.rb(b.lin(es, off++));
      // The control characters act as in teletype; the others are written with their attribute.
      this.put(ch, page, attr, true);
    }
    if ((flags & 1) === 0) this.setCursor(page, saved >> 8, saved & 0xff);
  }

  // ---- glyphs in graphics modes

  /** Address of a character's glyph: INT 43h's table (8-line cells: 80h-FFh via INT 1Fh while INT 43h is the ROM's first half). */
  private glyphAddress(ch: number, h: number): number {
    const b = this.bios;
    const seg43 = b.rw(VEC_43 + 2),
      off43 = b.rw(VEC_43);
    if (h === 8 && ch >= 0x80 && seg43 === ROM_SEGMENT && off43 === FONT_8X8) {
      return b.lin(b.rw(VEC_1F + 2), b.rw(VEC_1F)) + (ch - 0x80) * 8;
    }
    return (b.lin(seg43, 0) + off43 + ch * h) & b.mem.a20Mask;
  }

  private drawGlyph(m: ModeInfo, page: number, ch: number, row: number, col: number, colour: number): void {
    if (col >= this.cols() || row >= this.rows()) return;
    const h = this.cellHeight(m),
      glyph = this.glyphAddress(ch, h);
    if (m.layout === "planar") this.drawPlanarGlyph(m, page, glyph, h, row, col, colour);
    else if (m.layout === "linear") this.drawLinearGlyph(m, glyph, h, row, col, colour);
    else this.drawCgaGlyph(m, glyph, row, col, colour);
  }

  /**
   * Planar glyph in write mode 3 (the set/reset colour through a mask of the CPU byte): the
   * cell is first cleared to colour 0, then the glyph's bits take the colour; with bit 7 of
   * the colour the glyph's bits are XORed onto the cell instead (logical function XOR).
   */
  private drawPlanarGlyph(
    m: ModeInfo,
    page: number,
    glyph: number,
    h: number,
    row: number,
    col: number,
    colour: number,
  ): void {
    const b = this.bios,
      xor = (colour & 0x80) !== 0;
    this.saveDataPath();
    this.plainDataPath(GCMODE_WRITE3);
    const bpl = m.width >> 3,
      start = this.lineAddress(m, page, row * h) + col;
    if (!xor) {
      this.idxWrite(PORT_GC_INDEX, GC_SET_RESET, 0);
      for (let l = 0, a = start; l < h; l++, a += bpl) b.wb(a, 0xff);
    } else {
      this.idxWrite(PORT_GC_INDEX, GC_DATA_ROTATE, ROTATE_XOR);
    }
    this.idxWrite(PORT_GC_INDEX, GC_SET_RESET, colour & 0x0f);
    for (let l = 0, a = start; l < h; l++, a += bpl) {
      b.rb(a); // loads the latches: the bits outside the glyph keep the cell's pixels
      b.wb(a, b.rb(glyph + l));
    }
    this.restoreDataPath();
  }

  /** Mode 13h: one byte per pixel, the colour on the glyph and 0 around it. */
  private drawLinearGlyph(m: ModeInfo, glyph: number, h: number, row: number, col: number, colour: number): void {
    const b = this.bios;
    let a = m.base + row * h * m.width + col * 8;
    for (let l = 0; l < h; l++, a += m.width) {
      const bits = b.rb(glyph + l);
      for (let x = 0; x < 8; x++) b.wb(a + x, (bits << x) & 0x80 ? colour : 0);
    }
  }

  /** CGA layouts: 2 or 1 bits per pixel, XOR with colour bit 7. */
  private drawCgaGlyph(m: ModeInfo, glyph: number, row: number, col: number, colour: number): void {
    const b = this.bios,
      xor = (colour & 0x80) !== 0;
    for (let l = 0; l < 8; l++) {
      const bits = b.rb(glyph + l),
        a = this.lineAddress(m, 0, row * 8 + l) + col * m.bpp;
      if (m.bpp === 2) {
        const wide = expand2bpp(bits, colour & 3);
        this.cgaWrite(a, wide >> 8, xor);
        this.cgaWrite(a + 1, wide & 0xff, xor);
      } else {
        this.cgaWrite(a, colour & 1 ? bits : 0, xor);
      }
    }
  }

  private cgaWrite(a: number, v: number, xor: boolean): void {
    this.bios.wb(a, xor ? this.bios.rb(a) ^ v : v);
  }

  /** The character whose glyph matches a graphics cell (any non-zero pixel is "on"), or 0. */
  private matchGlyph(m: ModeInfo, page: number, row: number, col: number): number {
    const h = this.cellHeight(m),
      cell = new Uint8Array(h);
    if (m.layout === "planar") {
      const b = this.bios,
        saveMap = this.idxRead(PORT_GC_INDEX, GC_READ_MAP),
        saveMode = this.idxRead(PORT_GC_INDEX, GC_MODE);
      this.idxWrite(PORT_GC_INDEX, GC_MODE, saveMode & ~GCMODE_READ_COMPARE);
      for (let p = 0; p < 4; p++) {
        this.idxWrite(PORT_GC_INDEX, GC_READ_MAP, p);
        for (let l = 0; l < h; l++) cell[l] |= b.rb(this.lineAddress(m, page, row * h + l) + col);
      }
      this.idxWrite(PORT_GC_INDEX, GC_READ_MAP, saveMap);
      this.idxWrite(PORT_GC_INDEX, GC_MODE, saveMode);
    } else {
      for (let l = 0; l < h; l++) {
        let bits = 0;
        for (let x = 0; x < 8; x++) if (this.readPixel(page, col * 8 + x, row * h + l) !== 0) bits |= 0x80 >> x;
        cell[l] = bits;
      }
    }
    for (let ch = 0; ch < 256; ch++) {
      const g = this.glyphAddress(ch, h);
      let l = 0;
      while (l < h && this.bios.rb(g + l) === cell[l]) l++;
      if (l === h) return ch;
    }
    return 0;
  }

  // ---- AH=0Ch/0Dh pixels

  /** AH=0Ch: pixel (x, y) of page to colour (bit 7: XOR, except in mode 13h). */
  private writePixel(page: number, x: number, y: number, colour: number): void {
    const m = this.mode(),
      b = this.bios;
    if (m.layout === "text" || x >= m.width || y >= m.height) return;
    if (m.layout === "linear") {
      b.wb(m.base + y * m.width + x, colour);
      return;
    }
    if (m.layout === "cga") {
      const a = this.lineAddress(m, 0, y) + ((x * m.bpp) >> 3);
      const shift = 8 - m.bpp - ((x * m.bpp) & 7),
        mask = ((1 << m.bpp) - 1) << shift;
      const v = ((colour & ((1 << m.bpp) - 1)) << shift) & mask,
        old = b.rb(a);
      b.wb(a, (colour & 0x80) !== 0 ? old ^ v : (old & ~mask) | v);
      return;
    }
    // Planar: write mode 2 puts the colour's bit p into plane p, only at the bit-mask position.
    const a = this.lineAddress(m, page, y) + (x >> 3);
    this.saveDataPath();
    this.plainDataPath(GCMODE_WRITE2);
    this.idxWrite(PORT_GC_INDEX, GC_BIT_MASK, 0x80 >> (x & 7));
    if ((colour & 0x80) !== 0) this.idxWrite(PORT_GC_INDEX, GC_DATA_ROTATE, ROTATE_XOR);
    b.rb(a); // latches: the other seven pixels are written back unchanged
    b.wb(a, colour & 0x0f);
    this.restoreDataPath();
  }

  /** AH=0Dh: the colour of pixel (x, y) of page (0 outside the screen or in text modes). */
  private readPixel(page: number, x: number, y: number): number {
    const m = this.mode(),
      b = this.bios;
    if (m.layout === "text" || x >= m.width || y >= m.height) return 0;
    if (m.layout === "linear") return b.rb(m.base + y * m.width + x);
    if (m.layout === "cga") {
      const a = this.lineAddress(m, 0, y) + ((x * m.bpp) >> 3);
      return (b.rb(a) >> (8 - m.bpp - ((x * m.bpp) & 7))) & ((1 << m.bpp) - 1);
    }
    const a = this.lineAddress(m, page, y) + (x >> 3),
      shift = 7 - (x & 7);
    const saveMap = this.idxRead(PORT_GC_INDEX, GC_READ_MAP),
      saveMode = this.idxRead(PORT_GC_INDEX, GC_MODE);
    this.idxWrite(PORT_GC_INDEX, GC_MODE, saveMode & ~GCMODE_READ_COMPARE); // read mode 0: one plane's byte
    let colour = 0;
    for (let p = 0; p < 4; p++) {
      this.idxWrite(PORT_GC_INDEX, GC_READ_MAP, p);
      colour |= ((b.rb(a) >> shift) & 1) << p;
    }
    this.idxWrite(PORT_GC_INDEX, GC_READ_MAP, saveMap);
    this.idxWrite(PORT_GC_INDEX, GC_MODE, saveMode);
    return colour;
  }

  // ---- AH=0Bh, 0Fh

  /**
   * AH=0Bh (CGA palette): BH=00h: BL = background (graphics) or border (text) colour, bit 4
   * intensity; BH=01h: BL = palette 0 (green/red/brown) or 1 (cyan/magenta/white) of modes 4/5.
   */
  private fnCgaPalette(): void {
    const b = this.bios,
      r8 = b.cpu.r8,
      m = this.mode();
    let pal = b.rb(B.BDA_VIDEO_PALETTE);
    if (r8[BH] === 0x00) {
      pal = (pal & ~0x1f) | (r8[BL] & 0x1f);
      // Bits 3-0: the border (text) or background (graphics) colour; bit 4: bright palette in modes 4/5.
      const colour = egaColour(r8[BL] & 0x0f, m.lines === 200);
      this.attrWrite(ATTR_OVERSCAN, colour);
      if (m.layout !== "text") this.attrWrite(0, colour);
    } else if (r8[BH] === 0x01) {
      pal = (pal & ~0x20) | ((r8[BL] & 1) << 5);
    } else {
      b.unsupportedCall(0x10);
      return;
    }
    b.wb(B.BDA_VIDEO_PALETTE, pal);
    if (m.layout === "cga" && m.bpp === 2) {
      // Colours 1-3: green, red, brown (palette 0) or cyan, magenta, white (palette 1), intensity from bit 4.
      const base = (pal & 0x20) !== 0 ? 3 : 2,
        bright = (pal & 0x10) !== 0 ? 8 : 0;
      for (let i = 1; i <= 3; i++) this.attrWrite(i, egaColour((base + (i - 1) * 2) | bright, true));
    }
  }

  /** AH=0Fh: AL = mode (bit 7: last set kept memory), AH = columns, BH = active page. */
  private fnGetMode(): void {
    const b = this.bios,
      r8 = b.cpu.r8;
    r8[AL] = (b.rb(B.BDA_VIDEO_MODE) & 0x7f) | (b.rb(B.BDA_VIDEO_EGA_MISC) & EGA_NO_CLEAR);
    r8[AH] = this.cols();
    r8[BH] = this.activePage();
  }

  // ---- AH=10h palette registers and DAC

  private fnPalette(): void {
    const b = this.bios,
      cpu = b.cpu,
      r8 = cpu.r8;
    const es = cpu.sreg[ES],
      dx = cpu.r16[DX];
    switch (r8[AL]) {
      case 0x00: // set palette register BL (00h-0Fh; 10h-14h reach the other attribute registers) to BH
        if (r8[BL] <= ATTR_LAST) this.attrWrite(r8[BL], r8[BH]);
        return;
      case 0x01:
        this.attrWrite(ATTR_OVERSCAN, r8[BH]);
        return;
      case 0x02: // 16 palette registers and the overscan register from ES:DX
        for (let i = 0; i <= ATTR_PALETTE_COUNT; i++) {
          this.attrWrite(i < ATTR_PALETTE_COUNT ? i : ATTR_OVERSCAN, b.rb(b.lin(es, dx + i)));
        }
        return;
      case 0x03:
        this.setBlink(r8[BL]);
        return;
      case 0x07:
        if (r8[BL] <= ATTR_LAST) r8[BH] = this.attrRead(r8[BL]);
        return;
      case 0x08:
        r8[BH] = this.attrRead(ATTR_OVERSCAN);
        return;
      case 0x09:
        for (let i = 0; i <= ATTR_PALETTE_COUNT; i++) {
          b.wb(b.lin(es, dx + i), this.attrRead(i < ATTR_PALETTE_COUNT ? i : ATTR_OVERSCAN));
        }
        return;
      case 0x10: // DAC register BX = DH red, CH green, CL blue
        this.writeDac(cpu.r16[BX] & 0xff, Uint8Array.of(r8[DH], r8[CH], r8[CL]));
        if (this.greySumming()) this.greySum(cpu.r16[BX] & 0xff, 1);
        return;
      case 0x12: {
        // CX DAC registers from BX, three bytes each at ES:DX
        const first = cpu.r16[BX] & 0xff,
          count = Math.min(cpu.r16[CX], 256 - first);
        const rgb = new Uint8Array(count * 3);
        for (let i = 0; i < rgb.length; i++) rgb[i] = b.rb(b.lin(es, dx + i));
        this.writeDac(first, rgb);
        if (this.greySumming()) this.greySum(first, count);
        return;
      }
      case 0x13:
        this.colourPaging(r8[BL], r8[BH]);
        return;
      case 0x15: {
        const rgb = this.readDac(cpu.r16[BX] & 0xff, 1);
        r8[DH] = rgb[0];
        r8[CH] = rgb[1];
        r8[CL] = rgb[2];
        return;
      }
      case 0x17: {
        const first = cpu.r16[BX] & 0xff,
          count = Math.min(cpu.r16[CX], 256 - first);
        const rgb = this.readDac(first, count);
        for (let i = 0; i < rgb.length; i++) b.wb(b.lin(es, dx + i), rgb[i]);
        return;
      }
      case 0x18:
        b.outb(PORT_DAC_PEL_MASK, r8[BL]);
        return;
      case 0x19:
        r8[BL] = b.inb(PORT_DAC_PEL_MASK);
        return;
      case 0x1a: {
        // BL = paging mode, BH = current colour page
        const paging16 = (this.attrRead(ATTR_MODE) & ATTRMODE_P54S) !== 0,
          select = this.attrRead(ATTR_COLOR_SELECT);
        r8[BL] = paging16 ? 1 : 0;
        r8[BH] = paging16 ? select & 0x0f : (select >> 2) & 3;
        return;
      }
      case 0x1b:
        this.greySum(cpu.r16[BX] & 0xff, Math.min(cpu.r16[CX], 256 - (cpu.r16[BX] & 0xff)));
        return;
      default:
        b.unsupportedCall(0x10);
    }
  }

  /** AX=1003h: BL=00h makes attribute bit 7 a bright background, 01h makes it blink. */
  private setBlink(bl: number): void {
    const b = this.bios;
    if (bl > 1) {
      b.unsupportedCall(0x10);
      return;
    }
    const mode = this.attrRead(ATTR_MODE);
    this.attrWrite(ATTR_MODE, bl ? mode | ATTRMODE_BLINK : mode & ~ATTRMODE_BLINK);
    const ctl = b.rb(B.BDA_VIDEO_MODE_CTL);
    b.wb(B.BDA_VIDEO_MODE_CTL, bl ? ctl | MODE_CTL_BLINK : ctl & ~MODE_CTL_BLINK);
  }

  /** AX=1013h: BL=00h selects paging (BH=0: 4 pages of 64 colours, 1: 16 of 16), BL=01h the page BH. */
  private colourPaging(bl: number, bh: number): void {
    const mode = this.attrRead(ATTR_MODE);
    if (bl === 0) {
      this.attrWrite(ATTR_MODE, bh & 1 ? mode | ATTRMODE_P54S : mode & ~ATTRMODE_P54S);
    } else if (bl === 1) {
      this.attrWrite(ATTR_COLOR_SELECT, (mode & ATTRMODE_P54S) !== 0 ? bh & 0x0f : (bh & 3) << 2);
    } else {
      this.bios.unsupportedCall(0x10);
    }
  }

  private greySumming(): boolean {
    return (this.bios.rb(B.BDA_VIDEO_VGA_FLAGS) & VGA_GREY_SUMMING) !== 0;
  }

  private readDac(first: number, count: number): Uint8Array {
    const b = this.bios,
      rgb = new Uint8Array(count * 3);
    b.outb(PORT_DAC_READ_INDEX, first);
    for (let i = 0; i < rgb.length; i++) rgb[i] = b.inb(PORT_DAC_DATA);
    return rgb;
  }

  private writeDac(first: number, rgb: Uint8Array): void {
    const b = this.bios;
    b.outb(PORT_DAC_WRITE_INDEX, first);
    for (let i = 0; i < rgb.length; i++) b.outb(PORT_DAC_DATA, rgb[i] & 0x3f);
  }

  /** Replaces DAC entries by their luminance, 30% red, 59% green, 11% blue (IBM's weights). */
  private greySum(first: number, count: number): void {
    const rgb = this.readDac(first, count);
    for (let i = 0; i < rgb.length; i += 3) {
      const y = Math.min(63, Math.round((30 * rgb[i] + 59 * rgb[i + 1] + 11 * rgb[i + 2]) / 100));
      rgb[i] = rgb[i + 1] = rgb[i + 2] = y;
    }
    this.writeDac(first, rgb);
  }

  // ---- AH=11h character generator

  private fnFont(): void {
    const b = this.bios,
      cpu = b.cpu,
      r8 = cpu.r8;
    const al = r8[AL],
      block = r8[BL] & 7,
      fonts = b.platform.fonts;
    switch (al) {
      case 0x00:
      case 0x10: {
        // user font ES:BP: CX characters from DX, BH bytes each, into block BL
        const h = r8[BH],
          es = cpu.sreg[ES],
          bp = cpu.r16[BP];
        if (h === 0 || h > 32) {
          b.unsupportedCall(0x10);
          return;
        }
        this.loadGlyphs((i) => b.rb(b.lin(es, bp + i)), h, block, cpu.r16[DX] & 0xff, Math.min(cpu.r16[CX], 256));
        if (al === 0x10) this.useTextFont(h);
        return;
      }
      case 0x01:
      case 0x11:
        this.loadRomFont(fonts.f8x14, 14, block, al === 0x11);
        return;
      case 0x02:
      case 0x12:
        this.loadRomFont(fonts.f8x8, 8, block, al === 0x12);
        return;
      case 0x04:
      case 0x14:
        this.loadRomFont(fonts.f8x16, 16, block, al === 0x14);
        return;
      case 0x03:
        this.idxWrite(PORT_SEQ_INDEX, SEQ_CHAR_MAP, r8[BL] & 0x3f);
        return;
      case 0x20:
        b.ww(VEC_1F, cpu.r16[BP]);
        b.ww(VEC_1F + 2, cpu.sreg[ES]);
        return;
      case 0x21: // graphics font ES:BP, CX bytes per character
        b.ww(VEC_43, cpu.r16[BP]);
        b.ww(VEC_43 + 2, cpu.sreg[ES]);
        this.setGraphicsRows(cpu.r16[CX]);
        return;
      case 0x22:
        this.setVector(VEC_43, FONT_8X14);
        this.setGraphicsRows(14);
        return;
      case 0x23:
        this.setVector(VEC_43, FONT_8X8);
        this.setGraphicsRows(8);
        return;
      case 0x24:
        this.setVector(VEC_43, FONT_8X16);
        this.setGraphicsRows(16);
        return;
      case 0x30:
        this.fontInfo();
        return;
      default:
        b.unsupportedCall(0x10);
    }
  }

  private loadRomFont(glyphs: Uint8Array, h: number, block: number, recalc: boolean): void {
    this.loadGlyphs((i) => glyphs[i] ?? 0, h, block, 0, 256);
    if (recalc) this.useTextFont(h);
  }

  /**
   * Writes glyphs into character map `block` of plane 2 (32 bytes per character; maps 4-7 sit
   * 8 KiB above maps 0-3, IBM VGA sequencer register 3), with plane 2 opened at A0000 for the
   * copy and the previous addressing restored.
   */
  private loadGlyphs(byte: (i: number) => number, h: number, block: number, first: number, count: number): void {
    const b = this.bios;
    const memMode = this.idxRead(PORT_SEQ_INDEX, SEQ_MEMORY_MODE),
      gcMisc = this.idxRead(PORT_GC_INDEX, GC_MISC);
    const misc = b.inb(PORT_MISC_READ);
    this.saveDataPath();
    this.plainDataPath(GCMODE_WRITE0);
    b.outb(PORT_MISC_WRITE, misc | MISC_RAM_ENABLE);
    this.idxWrite(PORT_SEQ_INDEX, SEQ_MAP_MASK, 0x04);
    this.idxWrite(PORT_SEQ_INDEX, SEQ_MEMORY_MODE, 0x06); // more than 64 KiB, sequential, no chain 4
    this.idxWrite(PORT_GC_INDEX, GC_READ_MAP, 0x02);
    this.idxWrite(PORT_GC_INDEX, GC_MISC, 0x04); // A0000, 64 KiB, alphanumeric
    const base = 0xa0000 + ((block & 3) << 14) + ((block & 4) << 11);
    for (let c = 0; c < count && first + c < 256; c++) {
      const a = base + (first + c) * 32;
      for (let l = 0; l < h; l++) b.wb(a + l, byte(c * h + l));
    }
    this.restoreDataPath();
    this.idxWrite(PORT_SEQ_INDEX, SEQ_MEMORY_MODE, memMode);
    this.idxWrite(PORT_GC_INDEX, GC_MISC, gcMisc);
    b.outb(PORT_MISC_WRITE, misc);
  }

  /**
   * AX=1110h-1114h: makes the text screen use h-line characters: CRTC max scan line, rows in
   * the displayed scan lines (vertical display end trimmed to whole rows), the BDA geometry
   * and the cursor (8x8 in 400 lines gives 80x50).
   */
  private useTextFont(h: number): void {
    const b = this.bios;
    const msl = this.crtcRead(CRTC_MAX_SCAN_LINE);
    this.crtcWrite(CRTC_MAX_SCAN_LINE, (msl & ~MSL_MASK) | (h - 1));
    const ov = this.crtcRead(CRTC_OVERFLOW);
    const vde = this.crtcRead(CRTC_V_DISPLAY_END) | ((ov & OVERFLOW_VDE8) << 7) | ((ov & OVERFLOW_VDE9) << 3);
    const scale = (msl & MSL_DOUBLE_SCAN) !== 0 ? 2 : 1;
    const rows = Math.max(1, Math.floor((vde + 1) / (h * scale)));
    this.setDisplayEnd(rows * h * scale - 1);
    const cols = this.cols();
    b.wb(B.BDA_VIDEO_ROWS, rows - 1);
    b.ww(B.BDA_CHAR_HEIGHT, h);
    b.ww(B.BDA_VIDEO_PAGE_SIZE, (rows * cols * 2 + 0xff) & ~0xff);
    b.ww(B.BDA_CURSOR_SHAPE, 0x0607);
    this.programCursorShape(0x0607);
    this.updateHardwareCursor();
  }

  /** Vertical display end (10 bits: CRTC 12h and overflow bits 1, 6), with the write protection lifted. */
  private setDisplayEnd(vde: number): void {
    const vre = this.crtcRead(CRTC_V_RETRACE_END);
    this.crtcWrite(CRTC_V_RETRACE_END, vre & ~VRE_PROTECT);
    const ov = this.crtcRead(CRTC_OVERFLOW) & ~(OVERFLOW_VDE8 | OVERFLOW_VDE9);
    this.crtcWrite(CRTC_OVERFLOW, ov | ((vde >> 7) & OVERFLOW_VDE8) | ((vde >> 3) & OVERFLOW_VDE9));
    this.crtcWrite(CRTC_V_DISPLAY_END, vde & 0xff);
    this.crtcWrite(CRTC_V_RETRACE_END, vre);
  }

  /** AX=1121h-1124h: the graphics character height and rows (BL=00h: DL rows, 01h: 14, 02h: 25, 03h: 43). */
  private setGraphicsRows(h: number): void {
    const b = this.bios,
      r8 = b.cpu.r8;
    const rows = [r8[DL], 14, 25, 43][r8[BL]] ?? 25;
    b.ww(B.BDA_CHAR_HEIGHT, h);
    b.wb(B.BDA_VIDEO_ROWS, Math.max(1, rows) - 1);
  }

  /** AX=1130h: ES:BP = font pointer BH, CX = character height, DL = rows - 1. */
  private fontInfo(): void {
    const b = this.bios,
      cpu = b.cpu;
    let seg = ROM_SEGMENT,
      off: number;
    switch (cpu.r8[BH]) {
      case 0x00:
        seg = b.rw(VEC_1F + 2);
        off = b.rw(VEC_1F);
        break;
      case 0x01:
        seg = b.rw(VEC_43 + 2);
        off = b.rw(VEC_43);
        break;
      case 0x02:
        off = FONT_8X14;
        break;
      case 0x03:
        off = FONT_8X8;
        break;
      case 0x04:
        off = FONT_8X8_HIGH;
        break;
      case 0x06:
        off = FONT_8X16;
        break;
      // The 9-dot alternate tables (list of character, glyph; 0 ends): there are none. The
      // ROM's 8x14/8x16 fonts start with the blank glyph of character 0, an empty list.
      case 0x05:
        off = FONT_8X14;
        break;
      case 0x07:
        off = FONT_8X16;
        break;
      default:
        b.unsupportedCall(0x10);
        return;
    }
    if ((cpu.r8[BH] === 0x05 || cpu.r8[BH] === 0x07) && b.rb(ROM + off) !== 0) {
      b.unsupportedCall(0x10);
      return;
    }
    cpu.loadSegReal(ES, seg);
    cpu.r16[BP] = off;
    cpu.r16[CX] = this.charHeight();
    cpu.r8[DL] = b.rb(B.BDA_VIDEO_ROWS);
  }

  // ---- AH=12h alternate select, 1Ah display combination, 1Bh state

  private fnAlternateSelect(): void {
    const b = this.bios,
      r8 = b.cpu.r8,
      al = r8[AL];
    const setFlag = (addr: number, bit: number, on: boolean) => b.wb(addr, on ? b.rb(addr) | bit : b.rb(addr) & ~bit);
    switch (r8[BL]) {
      case 0x10: {
        // BH = colour (0) or mono (1) addressing, BL = 256 KiB, CH = feature bits, CL = switches
        const sw = b.rb(B.BDA_VIDEO_EGA_SWITCHES);
        r8[BH] = this.crtcPort() === PORT_CRTC_INDEX_MONO ? 1 : 0;
        r8[BL] = 3;
        r8[CH] = sw >> 4;
        r8[CL] = sw & 0x0f;
        return;
      }
      case 0x30: {
        // text scan lines for the next mode set: AL = 0 (200), 1 (350), 2 (400)
        if (al > 2) break;
        const lines = al === 0 ? VGA_LINES_200 : al === 2 ? VGA_LINES_400 : 0;
        b.wb(B.BDA_VIDEO_VGA_FLAGS, (b.rb(B.BDA_VIDEO_VGA_FLAGS) & ~VGA_LINES_MASK) | lines);
        // (The board's text modes are 400-line modes: the choice is recorded, not applied.)
        r8[AL] = ALT_SELECT_OK;
        return;
      }
      case 0x31:
        setFlag(B.BDA_VIDEO_VGA_FLAGS, VGA_NO_DEFAULT_PALETTE, (al & 1) !== 0);
        r8[AL] = ALT_SELECT_OK;
        return;
      case 0x32: {
        // CPU access to video memory: AL = 0 on, 1 off
        const misc = b.inb(PORT_MISC_READ);
        b.outb(PORT_MISC_WRITE, al & 1 ? misc & ~MISC_RAM_ENABLE : misc | MISC_RAM_ENABLE);
        r8[AL] = ALT_SELECT_OK;
        return;
      }
      case 0x33:
        setFlag(B.BDA_VIDEO_VGA_FLAGS, VGA_GREY_SUMMING, (al & 1) === 0);
        r8[AL] = ALT_SELECT_OK;
        return;
      case 0x34:
        setFlag(B.BDA_VIDEO_EGA_MISC, EGA_NO_CURSOR_EMULATION, (al & 1) !== 0);
        r8[AL] = ALT_SELECT_OK;
        return;
      case 0x36: {
        // screen refresh: AL = 0 on, 1 off (sequencer clocking mode, screen off bit)
        const clk = this.idxRead(PORT_SEQ_INDEX, SEQ_CLOCKING);
        this.idxWrite(
          PORT_SEQ_INDEX,
          SEQ_CLOCKING,
          al & 1 ? clk | SEQ_CLOCKING_SCREEN_OFF : clk & ~SEQ_CLOCKING_SCREEN_OFF,
        );
        r8[AL] = ALT_SELECT_OK;
        return;
      }
      default:
        break;
    }
    b.unsupportedCall(0x10); // 20h alternate print screen, 35h display switching, others
  }

  /**
   * AH=1Ah: AL=00h reads the display combination (VGA colour, no alternate). AL=01h (set it)
   * is refused: the one adapter cannot become another display.
   */
  private fnDisplayCombination(): void {
    const b = this.bios,
      r8 = b.cpu.r8;
    if (r8[AL] !== 0x00) {
      b.unsupportedCall(0x10);
      return;
    }
    r8[BL] = DCC_VGA_COLOUR;
    r8[BH] = 0x00;
    r8[AL] = DCC_OK;
  }

  /** AH=1Bh, BX=0000h: the 64-byte dynamic state table at ES:DI (Ralf Brown #00040). */
  private fnState(): void {
    const b = this.bios,
      cpu = b.cpu;
    if (cpu.r16[BX] !== 0) {
      b.unsupportedCall(0x10);
      return;
    }
    const m = this.mode(),
      es = cpu.sreg[ES],
      di = cpu.r16[DI];
    const t = new Uint8Array(64);
    const w16 = (o: number, v: number) => {
      t[o] = v & 0xff;
      t[o + 1] = (v >> 8) & 0xff;
    };
    w16(0x00, VIDEO_STATIC_TABLE_EBDA_OFFSET);
    w16(0x02, this.ebdaSegment());
    t[0x04] = b.rb(B.BDA_VIDEO_MODE);
    w16(0x05, this.cols());
    w16(0x07, this.pageSize());
    w16(0x09, b.rw(B.BDA_VIDEO_PAGE_OFFSET));
    for (let i = 0; i < 16; i++) t[0x0b + i] = b.rb(B.BDA_CURSOR_POS + i);
    t[0x1b] = b.rb(B.BDA_CURSOR_SHAPE);
    t[0x1c] = b.rb(B.BDA_CURSOR_SHAPE + 1);
    t[0x1d] = this.activePage();
    w16(0x1e, this.crtcPort());
    t[0x20] = b.rb(B.BDA_VIDEO_MODE_CTL);
    t[0x21] = b.rb(B.BDA_VIDEO_PALETTE);
    t[0x22] = this.rows();
    w16(0x23, this.charHeight());
    t[0x25] = DCC_VGA_COLOUR;
    t[0x26] = 0;
    w16(0x27, m.colours);
    t[0x29] = this.pageCount(m);
    t[0x2a] = m.lines === 200 ? 0 : m.lines === 350 ? 1 : m.lines === 400 ? 2 : 3;
    // Character maps for attribute bit 3 = 0 (map B: SR03 bits 4,1,0) and = 1 (map A: bits 5,3,2).
    const sr3 = this.idxRead(PORT_SEQ_INDEX, SEQ_CHAR_MAP);
    t[0x2b] = (sr3 & 3) | ((sr3 >> 2) & 4);
    t[0x2c] = ((sr3 >> 2) & 3) | ((sr3 >> 3) & 4);
    const vga = b.rb(B.BDA_VIDEO_VGA_FLAGS),
      ega = b.rb(B.BDA_VIDEO_EGA_MISC);
    t[0x2d] =
      0x01 |
      (vga & VGA_GREY_SUMMING) |
      (vga & VGA_MONO_MONITOR) |
      (vga & VGA_NO_DEFAULT_PALETTE) |
      ((ega & EGA_NO_CURSOR_EMULATION) === 0 ? 0x10 : 0) |
      ((this.attrRead(ATTR_MODE) & ATTRMODE_BLINK) !== 0 ? 0x20 : 0);
    t[0x31] = 3; // 256 KiB
    for (let i = 0; i < 64; i++) b.wb(b.lin(es, di + i), t[i]);
    cpu.r8[AL] = STATE_OK;
  }
}

/**
 * Cursor emulation (AH=12h/34h): a line 0-7 given for an 8-line CGA cell, placed in an h-line
 * cell. Lines 5-7 keep their distance from the cell's bottom (less one line, so the standard
 * underline 6-7 lands where the VGA's mode tables put it, h-3..h-2); lines 0-4 scale.
 */
function emulatedLine(v: number, h: number, end: boolean): number {
  if (v >= 5) return h - 9 + v;
  return end ? Math.floor(((v + 1) * h) / 8) - 1 : Math.floor((v * h) / 8);
}

/** Attribute palette value for CGA colour c (0-15): 200-line modes use rgbI in bits 4, 2-0, others the EGA's rgbRGB. */
function egaColour(c: number, lines200: boolean): number {
  if (lines200) return (c & 7) | ((c & 8) << 1);
  const base = c === 6 ? 0x14 : c & 7;
  return c & 8 ? base | 0x38 : base;
}

/** A glyph row in 2-bit pixels: each set bit becomes colour c (16 bits, leftmost pixel highest). */
function expand2bpp(bits: number, c: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) v = (v << 2) | ((bits << i) & 0x80 ? c : 0);
  return v;
}
