// VGA register map: port numbers, register indices and bit fields, named as in the IBM VGA
// technical reference (and FreeVGA's register pages), shared by the adapter, the mode tables
// and the tests (STYLE 9).
//
// Ports are the standard absolute numbers (0x3B0-0x3DF). The adapter's ioSurface(base) places
// the block elsewhere if a machine wants to, by offsetting all of them from VGA_PORT_BASE.

/** First port of the VGA register block; ports below are given as standard absolute numbers. */
export const VGA_PORT_BASE = 0x3b0;

export const PORT_CRTC_INDEX_MONO = 0x3b4;
export const PORT_CRTC_DATA_MONO = 0x3b5;
/** Read: Input Status 1 (mono addressing). Write: Feature Control (mono addressing). */
export const PORT_STATUS1_MONO = 0x3ba;
/** Write: attribute address or data (flip-flop). Read: attribute address register. */
export const PORT_ATTR_INDEX = 0x3c0;
/** Read: attribute data register at the current index. */
export const PORT_ATTR_DATA_READ = 0x3c1;
/** Write: Miscellaneous Output. Read: Input Status 0. */
export const PORT_MISC_WRITE = 0x3c2;
export const PORT_STATUS0 = 0x3c2;
export const PORT_SEQ_INDEX = 0x3c4;
export const PORT_SEQ_DATA = 0x3c5;
export const PORT_DAC_PEL_MASK = 0x3c6;
/** Write: DAC read index. Read: DAC state. */
export const PORT_DAC_READ_INDEX = 0x3c7;
export const PORT_DAC_STATE = 0x3c7;
export const PORT_DAC_WRITE_INDEX = 0x3c8;
export const PORT_DAC_DATA = 0x3c9;
/** Read: Feature Control. */
export const PORT_FEATURE_READ = 0x3ca;
/** Read: Miscellaneous Output. */
export const PORT_MISC_READ = 0x3cc;
export const PORT_GC_INDEX = 0x3ce;
export const PORT_GC_DATA = 0x3cf;
export const PORT_CRTC_INDEX = 0x3d4;
export const PORT_CRTC_DATA = 0x3d5;
/** Read: Input Status 1 (colour addressing). Write: Feature Control (colour addressing). */
export const PORT_STATUS1 = 0x3da;

// ---- Miscellaneous Output register (0x3C2 write, 0x3CC read) ----
/** I/O address select: 1 = CRTC and Input Status 1 at 0x3Dx (colour), 0 = 0x3Bx (mono). */
export const MISC_IOAS = 0x01;
/** Enables CPU access to video memory. */
export const MISC_RAM_ENABLE = 0x02;
/** Clock select (bits 3-2): 0 = 25 MHz (640 dots), 1 = 28 MHz (720 dots). */
export const MISC_CLOCK_MASK = 0x0c;
/** Odd/even page select. */
export const MISC_OE_PAGE = 0x20;
export const MISC_HSYNC_NEG = 0x40;
export const MISC_VSYNC_NEG = 0x80;

// ---- Input Status 1 (0x3DA / 0x3BA) ----
/** Display disabled: set while the beam is in horizontal or vertical blanking. */
export const STATUS1_DISPLAY_DISABLED = 0x01;
/** Vertical retrace in progress. */
export const STATUS1_VRETRACE = 0x08;

// ---- Sequencer (0x3C4 index, 0x3C5 data) ----
export const SEQ_RESET = 0x00;
export const SEQ_CLOCKING = 0x01;
export const SEQ_MAP_MASK = 0x02;
export const SEQ_CHAR_MAP = 0x03;
export const SEQ_MEMORY_MODE = 0x04;
export const SEQ_COUNT = 5;
/** The sequencer address register decodes 3 bits. */
export const SEQ_INDEX_MASK = 0x07;

/** Clocking mode: 8 dots per character (0 = 9 dots). */
export const SEQ_CLOCKING_DOT8 = 0x01;
/** Clocking mode: dot clock divided by 2 (320- and 360-dot modes). */
export const SEQ_CLOCKING_DCR = 0x08;
/** Clocking mode: screen off. */
export const SEQ_CLOCKING_SCREEN_OFF = 0x20;

/** Memory mode: more than 64 KiB installed. */
export const SEQ_MEM_EXTENDED = 0x02;
/** Memory mode: odd/even host write addressing disabled (1 = sequential). */
export const SEQ_MEM_OE_DISABLE = 0x04;
/** Memory mode: chain 4 (CPU address bits 1-0 select the plane). */
export const SEQ_MEM_CHAIN4 = 0x08;

// ---- CRT controller (0x3D4/0x3B4 index, 0x3D5/0x3B5 data) ----
export const CRTC_H_TOTAL = 0x00;
export const CRTC_H_DISPLAY_END = 0x01;
export const CRTC_H_BLANK_START = 0x02;
export const CRTC_H_BLANK_END = 0x03;
export const CRTC_H_RETRACE_START = 0x04;
export const CRTC_H_RETRACE_END = 0x05;
export const CRTC_V_TOTAL = 0x06;
export const CRTC_OVERFLOW = 0x07;
export const CRTC_PRESET_ROW_SCAN = 0x08;
export const CRTC_MAX_SCAN_LINE = 0x09;
export const CRTC_CURSOR_START = 0x0a;
export const CRTC_CURSOR_END = 0x0b;
export const CRTC_START_ADDR_HI = 0x0c;
export const CRTC_START_ADDR_LO = 0x0d;
export const CRTC_CURSOR_LOC_HI = 0x0e;
export const CRTC_CURSOR_LOC_LO = 0x0f;
export const CRTC_V_RETRACE_START = 0x10;
export const CRTC_V_RETRACE_END = 0x11;
export const CRTC_V_DISPLAY_END = 0x12;
export const CRTC_OFFSET = 0x13;
export const CRTC_UNDERLINE = 0x14;
export const CRTC_V_BLANK_START = 0x15;
export const CRTC_V_BLANK_END = 0x16;
export const CRTC_MODE = 0x17;
export const CRTC_LINE_COMPARE = 0x18;
export const CRTC_COUNT = 0x19;
/** The CRTC address register decodes 5 bits. */
export const CRTC_INDEX_MASK = 0x1f;

/** Overflow bits: bit 8 of vertical display end, bit 8 of line compare, bit 9 of display end. */
export const OVERFLOW_VDE8 = 0x02;
export const OVERFLOW_LC8 = 0x10;
export const OVERFLOW_VDE9 = 0x40;
/** Max scan line: bits 4-0 scan lines per character row minus one. */
export const MSL_MASK = 0x1f;
/** Max scan line: bit 9 of line compare. */
export const MSL_LC9 = 0x40;
/** Max scan line: scan doubling (each line shown twice). */
export const MSL_DOUBLE_SCAN = 0x80;
/** Preset row scan: bits 4-0 starting row scan. */
export const PRESET_ROW_SCAN_MASK = 0x1f;
/** Cursor start: cursor disable. */
export const CURSOR_DISABLE = 0x20;
export const CURSOR_LINE_MASK = 0x1f;
/** Vertical retrace end: protect registers 0-7 (bit 4 of the overflow register stays writable). */
export const VRE_PROTECT = 0x80;
/** Underline location: double-word addressing. */
export const UNDERLINE_DW = 0x40;
export const UNDERLINE_LINE_MASK = 0x1f;
/** CRTC mode control: MA13 is replaced by row scan bit 0 when this bit is clear (CGA). */
export const CRTC_MODE_MAP13 = 0x01;
/** CRTC mode control: MA14 is replaced by row scan bit 1 when this bit is clear (Hercules). */
export const CRTC_MODE_MAP14 = 0x02;
/** CRTC mode control: word mode puts MA15 (1) or MA13 (0) into address bit 0. */
export const CRTC_MODE_AW = 0x20;
/** CRTC mode control: 1 = byte addressing, 0 = word addressing. */
export const CRTC_MODE_BYTE = 0x40;

// ---- Graphics controller (0x3CE index, 0x3CF data) ----
export const GC_SET_RESET = 0x00;
export const GC_ENABLE_SET_RESET = 0x01;
export const GC_COLOR_COMPARE = 0x02;
export const GC_DATA_ROTATE = 0x03;
export const GC_READ_MAP = 0x04;
export const GC_MODE = 0x05;
export const GC_MISC = 0x06;
export const GC_COLOR_DONT_CARE = 0x07;
export const GC_BIT_MASK = 0x08;
export const GC_COUNT = 9;
/** The graphics controller address register decodes 4 bits. */
export const GC_INDEX_MASK = 0x0f;

/** Data rotate: bits 2-0 rotate count; bits 4-3 logical function. */
export const ROTATE_COUNT_MASK = 0x07;
export const ROTATE_FUNC_SHIFT = 3;
export const FUNC_NONE = 0;
export const FUNC_AND = 1;
export const FUNC_OR = 2;
export const FUNC_XOR = 3;

/** GC mode: bits 1-0 write mode. */
export const GCMODE_WRITE_MASK = 0x03;
/** GC mode: read mode 1 (colour compare). */
export const GCMODE_READ_COMPARE = 0x08;
/** GC mode: host odd/even read addressing. */
export const GCMODE_ODD_EVEN = 0x10;
/** GC mode: shift register interleave (CGA 4-colour modes). */
export const GCMODE_SHIFT_INTERLEAVE = 0x20;
/** GC mode: 256-colour shift mode. */
export const GCMODE_SHIFT256 = 0x40;

/** GC misc: graphics mode (character generator addressing off). */
export const GCMISC_GRAPHICS = 0x01;
/** GC misc: chain odd/even. */
export const GCMISC_CHAIN_OE = 0x02;
/** GC misc: bits 3-2 memory map select. */
export const GCMISC_MAP_SHIFT = 2;
export const GCMISC_MAP_MASK = 0x0c;
/** Memory map select values: which part of A0000-BFFFF the planes answer in. */
export const MAP_A0000_128K = 0;
export const MAP_A0000_64K = 1;
export const MAP_B0000_32K = 2;
export const MAP_B8000_32K = 3;

// ---- Attribute controller (0x3C0 address/data, 0x3C1 data read) ----
export const ATTR_PALETTE_COUNT = 16;
/** Palette registers 0-15 hold 6-bit colour values. */
export const ATTR_PALETTE_MASK = 0x3f;
export const ATTR_MODE = 0x10;
export const ATTR_OVERSCAN = 0x11;
export const ATTR_PLANE_ENABLE = 0x12;
export const ATTR_PEL_PAN = 0x13;
export const ATTR_COLOR_SELECT = 0x14;
export const ATTR_COUNT = 0x15;
/** Attribute address: bits 4-0 index. */
export const ATTR_INDEX_MASK = 0x1f;
/** Attribute address: palette address source (1 = the display uses the palette; video on). */
export const ATTR_PAS = 0x20;

/** Attribute mode control: graphics (1) or alphanumeric (0) display. */
export const ATTRMODE_GRAPHICS = 0x01;
/** Attribute mode control: monochrome emulation. */
export const ATTRMODE_MONO = 0x02;
/** Attribute mode control: line graphics enable (9th dot of codes C0-DF copies the 8th). */
export const ATTRMODE_LINE_GRAPHICS = 0x04;
/** Attribute mode control: attribute bit 7 blinks (1) or selects bright background (0). */
export const ATTRMODE_BLINK = 0x08;
/** Attribute mode control: pel panning applies only above the line compare split. */
export const ATTRMODE_PAN_COMPAT = 0x20;
/** Attribute mode control: 8-bit colour (256-colour modes). */
export const ATTRMODE_8BIT = 0x40;
/** Attribute mode control: palette bits 5-4 come from the colour select register. */
export const ATTRMODE_P54S = 0x80;

// ---- DAC ----
export const DAC_ENTRIES = 256;
/** DAC state register values: which of read or write index was set last. */
export const DAC_STATE_WRITE = 0x00;
export const DAC_STATE_READ = 0x03;

// ---- Memory ----
/** Each of the four planes holds 64 KiB. */
export const PLANE_SIZE = 0x10000;
export const VRAM_SIZE = 4 * PLANE_SIZE;
/** The adapter answers the 128 KiB window A0000-BFFFF; MMIO offsets are relative to A0000. */
export const VGA_WINDOW_BASE = 0xa0000;
export const VGA_WINDOW_SIZE = 0x20000;

// ---- Display timing (fixed, as the brief's 60 Hz / 31.5 kHz) ----
/** Horizontal scan rate 31.5 kHz. */
export const LINE_NS = 1e9 / 31500;
/** 525 lines per frame: 60 frames per second. */
export const LINES_PER_FRAME = 525;
export const FRAME_NS = LINE_NS * LINES_PER_FRAME;
/** Lines 0-479 are displayed; 480-524 are vertical blanking. */
export const ACTIVE_LINES = 480;
/** Vertical sync pulse: lines 490-491 (as in the 640x480 timing). */
export const VRETRACE_FIRST_LINE = 490;
export const VRETRACE_LINES = 2;
/** Fraction of each line that is displayed (640 of 800 dot clocks). */
export const ACTIVE_LINE_FRACTION = 640 / 800;
/** Cursor blinks with a 16-frame period, character blink with 32 (IBM VGA reference). */
export const CURSOR_BLINK_FRAMES = 16;
export const CHAR_BLINK_FRAMES = 32;
