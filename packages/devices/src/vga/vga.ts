// The VGA adapter (IBM VGA technical reference; FreeVGA register pages): Miscellaneous Output,
// Input Status 0/1, sequencer, CRT controller, graphics controller, attribute controller, DAC,
// 256 KiB of planar video memory, and the views the screen front ends draw from.
//
// Key design choices:
//  - Registers are stored raw, as the guest wrote them (so reads return them and snapshots
//    are simple); the memory data path gets a decoded copy on every change (memory.ts), and
//    the renderer decodes the display registers once per frame (render.ts).
//  - Display timing is a pure function of machine time (60 Hz frames of 525 lines at
//    31.5 kHz): retrace and display-enable status, cursor blink and character blink are
//    derived from clock.now() when asked, so the adapter needs no timers and no deadlines.
//  - Ports are handled by standard number (0x3B0-0x3DF); the CRTC and Input Status 1 answer
//    at 0x3Bx or 0x3Dx as the Misc Output I/O address select bit says, and the other block is
//    not decoded (reads all ones), as on the IBM VGA.

import {
  bits,
  bool,
  bytes,
  defineState,
  field,
  int,
  ints,
  oneOf,
  u16,
  u32,
  u8,
  type FieldKind,
  type IoSurface,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import { VgaMemory } from "./memory.ts";
import {
  displayGeometry,
  renderFrame,
  renderVbe,
  readTextScreen,
  type DisplaySize,
  type TextScreen,
} from "./render.ts";
import { BochsVbe, DISPI_BPPS, DISPI_MAX_XRES, DISPI_MAX_YRES, DISPI_PORT_INDEX, VBE_VRAM_SIZE } from "./vbe.ts";
import { VgaPciFunction } from "./vga-pci.ts";
import { PCI_CONFIG_SIZE } from "../pci/pci-function.ts";
import {
  ATTR_COLOR_SELECT,
  ATTR_COUNT,
  ATTR_INDEX_MASK,
  ATTR_MODE,
  ATTR_OVERSCAN,
  ATTR_PALETTE_MASK,
  ATTR_PAS,
  ATTR_PEL_PAN,
  ATTR_PLANE_ENABLE,
  ACTIVE_LINE_FRACTION,
  ACTIVE_LINES,
  CHAR_BLINK_FRAMES,
  CRTC_COUNT,
  CRTC_INDEX_MASK,
  CRTC_OVERFLOW,
  CRTC_V_RETRACE_END,
  CURSOR_BLINK_FRAMES,
  DAC_ENTRIES,
  DAC_STATE_READ,
  DAC_STATE_WRITE,
  FRAME_NS,
  GC_COUNT,
  GC_INDEX_MASK,
  LINE_NS,
  MISC_IOAS,
  OVERFLOW_LC8,
  PORT_ATTR_DATA_READ,
  PORT_ATTR_INDEX,
  PORT_CRTC_DATA,
  PORT_CRTC_DATA_MONO,
  PORT_CRTC_INDEX,
  PORT_CRTC_INDEX_MONO,
  PORT_DAC_DATA,
  PORT_DAC_PEL_MASK,
  PORT_DAC_READ_INDEX,
  PORT_DAC_WRITE_INDEX,
  PORT_FEATURE_READ,
  PORT_GC_DATA,
  PORT_GC_INDEX,
  PORT_MISC_READ,
  PORT_MISC_WRITE,
  PORT_SEQ_DATA,
  PORT_SEQ_INDEX,
  PORT_STATUS1,
  PORT_STATUS1_MONO,
  SEQ_COUNT,
  SEQ_INDEX_MASK,
  STATUS1_DISPLAY_DISABLED,
  STATUS1_VRETRACE,
  VGA_PORT_BASE,
  VRAM_SIZE,
  VRE_PROTECT,
  VRETRACE_FIRST_LINE,
  VRETRACE_LINES,
} from "./vga-regs.ts";

/** Port blocks the adapter decodes, as (first standard port, count). 0x3BC-0x3BF is left free
 *  for the parallel port that PCs put there. */
const PORT_BLOCKS: readonly [number, number][] = [
  [0x3b0, 12],
  [0x3c0, 16],
  [0x3d0, 16],
];

/** Writable bits of each attribute controller register (palette entries are 6 bits wide). */
const ATTR_WRITE_MASK = new Uint8Array(ATTR_COUNT).fill(ATTR_PALETTE_MASK);
ATTR_WRITE_MASK[ATTR_MODE] = 0xff;
ATTR_WRITE_MASK[ATTR_OVERSCAN] = 0xff;
ATTR_WRITE_MASK[ATTR_PLANE_ENABLE] = 0x3f;
ATTR_WRITE_MASK[ATTR_PEL_PAN] = 0x0f;
ATTR_WRITE_MASK[ATTR_COLOR_SELECT] = 0x0f;

/** The used part of the Bochs VBE memory as BochsVbe.usedVram() saves it: whole 4 KiB pages, the last one not all zero. */
const VRAM_KIND = checkedBytes(
  bytes(-1, { maxLength: VBE_VRAM_SIZE }),
  (v) => {
    if (v.length % 4096 !== 0) return "is not whole 4 KiB pages";
    return v.length > 0 && v.subarray(v.length - 4096).every((x) => x === 0) ? "ends in a page of zeros" : null;
  },
  () => [new Uint8Array(0), new Uint8Array(8192).fill(0x5a)],
);
/** The VGA PCI function's configuration space, its identity bits as the function hardwires them. */
const PCI_IDENTITY = new VgaPciFunction(new BochsVbe());
const PCI_CONFIG_KIND = checkedBytes(
  bytes(PCI_CONFIG_SIZE),
  (v) => PCI_IDENTITY.identityProblem(v),
  () => [PCI_IDENTITY.configBytes()],
);

/** A byte-block kind with a further check on the block (a message when it is refused). */
function checkedBytes(
  kind: FieldKind<Uint8Array>,
  problem: (v: Uint8Array) => string | null,
  samples: () => Uint8Array[],
): FieldKind<Uint8Array> {
  return {
    ...kind,
    samples,
    read(saved, fail, path) {
      const v = kind.read(saved, fail, path);
      const p = problem(v);
      return p ? fail(p) : v;
    },
    corruptions: () => kind.corruptions(),
  };
}

export class Vga implements Stateful {
  /** Video memory as the machine maps it at A0000 (128 KiB window; offsets from A0000). */
  readonly memory = new VgaMemory();
  /** The Bochs VBE extension (DISPI registers, its video memory and linear framebuffer). */
  readonly vbe = new BochsVbe();
  /** The adapter's PCI face (1234:1111), whose BAR0 is the linear framebuffer. */
  readonly pci = new VgaPciFunction(this.vbe);

  // Registers, as the guest wrote them. Read by the renderer; written only through ports.
  misc = 0;
  featureControl = 0;
  seqIndex = 0;
  readonly seq = new Uint8Array(SEQ_COUNT);
  crtcIndex = 0;
  readonly crtc = new Uint8Array(CRTC_COUNT);
  gcIndex = 0;
  readonly gc = new Uint8Array(GC_COUNT);
  /** Attribute address register: index in bits 4-0, palette address source in bit 5. */
  attrAddress = 0;
  /** Attribute flip-flop: false = the next 0x3C0 write is an address, true = data. */
  attrDataNext = false;
  readonly attr = new Uint8Array(ATTR_COUNT);
  /** DAC palette: 256 entries of red, green, blue, 6 bits each. */
  readonly dac = new Uint8Array(DAC_ENTRIES * 3);
  pelMask = 0xff;
  dacReadIndex = 0;
  dacWriteIndex = 0;
  /** Which of the three colour components the next 0x3C9 access is (0 red, 1 green, 2 blue). */
  dacComponent = 0;
  /** True after a write to the read index (0x3C7), false after one to the write index. */
  dacReading = false;
  /** Components of a DAC entry being written, stored together on the third write. */
  readonly dacLatch = new Uint8Array(3);

  /** Counts register writes that may change the picture (viewers compare displayStamp()). */
  private regWrites = 0;

  constructor(private readonly clock: TimeSource) {
    this.vbe.onEnableChange = () => (this.memory.banked = this.vbe.enabled ? this.vbe : null);
    this.reset();
  }

  /** Power-on state: all registers clear (CPU access to video memory off), memory cleared. */
  reset(): void {
    this.misc = 0;
    this.featureControl = 0;
    this.seqIndex = this.crtcIndex = this.gcIndex = this.attrAddress = 0;
    this.seq.fill(0);
    this.crtc.fill(0);
    this.gc.fill(0);
    this.attr.fill(0);
    this.attrDataNext = false;
    this.dac.fill(0);
    this.pelMask = 0xff;
    this.dacReadIndex = this.dacWriteIndex = this.dacComponent = 0;
    this.dacReading = false;
    this.dacLatch.fill(0);
    this.memory.vram.fill(0);
    this.memory.latch = 0;
    this.vbe.reset();
    this.changed();
  }

  /**
   * The adapter's ports (0x3B0-0x3BB, 0x3C0-0x3DF), placed at `base` instead of 0x3B0 if asked,
   * and the Bochs VBE index and data ports (16 bits each) at `dispi` (0x1CE).
   */
  ioSurface(base = VGA_PORT_BASE, name = "vga", dispi = DISPI_PORT_INDEX): IoSurface {
    const v = this.vbe;
    const reg = (off: number) => (off === 0 ? v.readIndex() : v.readData());
    return {
      name,
      ports: [
        ...PORT_BLOCKS.map(([first, count]) => ({
          base: base + (first - VGA_PORT_BASE),
          count,
          read8: (off: number) => this.portRead(first + off),
          write8: (off: number, v: number) => this.portWrite(first + off, v),
        })),
        {
          // Three ports so that the bus takes a 16-bit access at the odd data port whole.
          base: dispi,
          count: 3,
          read16: (off: number) => (off < 2 ? reg(off) : 0xffff),
          write16: (off: number, x: number) => (off === 0 ? v.writeIndex(x) : off === 1 ? v.writeData(x) : undefined),
          // A byte access reaches the register's low byte.
          read8: (off: number) => (off < 2 ? reg(off) & 0xff : 0xff),
          write8: (off: number, x: number) => (off === 0 ? v.writeIndex(x) : off === 1 ? v.writeData(x) : undefined),
        },
      ],
    };
  }

  /** Nothing runs on its own: status and blink are computed from the clock when read. */
  advance(_now: number): void {}
  nextDeadline(): number {
    return Infinity;
  }

  // ---- Ports ----

  /** Reads a register port by its standard number (0x3B0-0x3DF). */
  portRead(port: number): number {
    switch (port) {
      case PORT_CRTC_INDEX:
      case PORT_CRTC_INDEX_MONO:
        return this.crtcDecoded(port) ? this.crtcIndex : 0xff;
      case PORT_CRTC_DATA:
      case PORT_CRTC_DATA_MONO:
        if (!this.crtcDecoded(port)) return 0xff;
        return this.crtcIndex < CRTC_COUNT ? this.crtc[this.crtcIndex] : 0xff;
      case PORT_STATUS1:
      case PORT_STATUS1_MONO:
        return this.crtcDecoded(port) ? this.readStatus1() : 0xff;
      case PORT_ATTR_INDEX:
        return this.attrAddress;
      case PORT_ATTR_DATA_READ: {
        const i = this.attrAddress & ATTR_INDEX_MASK;
        return i < ATTR_COUNT ? this.attr[i] : 0;
      }
      // Input Status 0: no switch sense, no pending retrace interrupt.
      case PORT_MISC_WRITE:
        return 0x00;
      case PORT_SEQ_INDEX:
        return this.seqIndex;
      case PORT_SEQ_DATA:
        return this.seqIndex < SEQ_COUNT ? this.seq[this.seqIndex] : 0xff;
      case PORT_DAC_PEL_MASK:
        return this.pelMask;
      case PORT_DAC_READ_INDEX:
        return this.dacReading ? DAC_STATE_READ : DAC_STATE_WRITE;
      case PORT_DAC_WRITE_INDEX:
        return this.dacWriteIndex;
      case PORT_DAC_DATA:
        return this.readDacData();
      case PORT_FEATURE_READ:
        return this.featureControl;
      case PORT_MISC_READ:
        return this.misc;
      case PORT_GC_INDEX:
        return this.gcIndex;
      case PORT_GC_DATA:
        return this.gcIndex < GC_COUNT ? this.gc[this.gcIndex] : 0xff;
      default:
        return 0xff;
    }
  }

  /** Writes a register port by its standard number (0x3B0-0x3DF). */
  portWrite(port: number, value: number): void {
    value &= 0xff;
    switch (port) {
      case PORT_CRTC_INDEX:
      case PORT_CRTC_INDEX_MONO:
        if (this.crtcDecoded(port)) this.crtcIndex = value & CRTC_INDEX_MASK;
        return;
      case PORT_CRTC_DATA:
      case PORT_CRTC_DATA_MONO:
        if (this.crtcDecoded(port)) this.writeCrtc(value);
        return;
      case PORT_STATUS1:
      case PORT_STATUS1_MONO:
        if (this.crtcDecoded(port)) this.featureControl = value;
        return;
      // Many VGA-compatible chips accept attribute writes at 0x3C1 too, which makes a 16-bit
      // OUT to 0x3C0 (index in AL, data in AH) work; the IBM VGA documents 0x3C1 as read-only.
      case PORT_ATTR_INDEX:
      case PORT_ATTR_DATA_READ:
        this.writeAttr(value);
        return;
      case PORT_MISC_WRITE:
        this.misc = value;
        this.changed();
        return;
      case PORT_SEQ_INDEX:
        this.seqIndex = value & SEQ_INDEX_MASK;
        return;
      case PORT_SEQ_DATA:
        if (this.seqIndex < SEQ_COUNT) {
          this.seq[this.seqIndex] = value;
          this.changed();
        }
        return;
      case PORT_DAC_PEL_MASK:
        this.pelMask = value;
        this.regWrites++;
        return;
      case PORT_DAC_READ_INDEX:
        this.dacReadIndex = value;
        this.dacComponent = 0;
        this.dacReading = true;
        return;
      case PORT_DAC_WRITE_INDEX:
        this.dacWriteIndex = value;
        this.dacComponent = 0;
        this.dacReading = false;
        return;
      case PORT_DAC_DATA:
        this.writeDacData(value);
        return;
      case PORT_GC_INDEX:
        this.gcIndex = value & GC_INDEX_MASK;
        return;
      case PORT_GC_DATA:
        if (this.gcIndex < GC_COUNT) {
          this.gc[this.gcIndex] = value;
          this.changed();
        }
        return;
    }
  }

  /** The CRTC and Input Status 1 answer only at the block Misc Output bit 0 selects. */
  private crtcDecoded(port: number): boolean {
    const colour = (this.misc & MISC_IOAS) !== 0;
    return port >= 0x3d0 === colour;
  }

  private writeCrtc(value: number): void {
    const i = this.crtcIndex;
    if (i >= CRTC_COUNT) return;
    // VGA reference, CRTC register 11h bit 7: while set, registers 0-7 ignore writes, except
    // the line compare bit 8 in the overflow register.
    if (i <= CRTC_OVERFLOW && (this.crtc[CRTC_V_RETRACE_END] & VRE_PROTECT) !== 0) {
      if (i !== CRTC_OVERFLOW) return;
      value = (this.crtc[i] & ~OVERFLOW_LC8) | (value & OVERFLOW_LC8);
    }
    this.crtc[i] = value;
    this.regWrites++;
  }

  private writeAttr(value: number): void {
    if (!this.attrDataNext) {
      this.attrAddress = value & (ATTR_INDEX_MASK | ATTR_PAS);
      this.regWrites++;
    } else {
      const i = this.attrAddress & ATTR_INDEX_MASK;
      if (i < ATTR_COUNT) {
        this.attr[i] = value & ATTR_WRITE_MASK[i];
        this.regWrites++;
      }
    }
    this.attrDataNext = !this.attrDataNext;
  }

  private readDacData(): number {
    const v = this.dac[this.dacReadIndex * 3 + this.dacComponent];
    if (++this.dacComponent === 3) {
      this.dacComponent = 0;
      this.dacReadIndex = (this.dacReadIndex + 1) & 0xff;
    }
    return v;
  }

  private writeDacData(value: number): void {
    // Components are 6 bits; the entry changes only when all three have been written.
    this.dacLatch[this.dacComponent] = value & 0x3f;
    if (++this.dacComponent === 3) {
      this.dac.set(this.dacLatch, this.dacWriteIndex * 3);
      this.dacComponent = 0;
      this.dacWriteIndex = (this.dacWriteIndex + 1) & 0xff;
      this.regWrites++;
    }
  }

  /** A register the memory path depends on changed. */
  private changed(): void {
    this.regWrites++;
    this.configureMemory();
  }

  private configureMemory(): void {
    this.memory.configure(this.seq, this.gc, this.misc);
  }

  // ---- Timing ----

  private readStatus1(): number {
    // Reading Input Status 1 resets the attribute controller flip-flop to "address".
    this.attrDataNext = false;
    const t = this.clock.now() % FRAME_NS;
    const line = Math.floor(t / LINE_NS);
    let v = 0;
    if (line >= VRETRACE_FIRST_LINE && line < VRETRACE_FIRST_LINE + VRETRACE_LINES) v |= STATUS1_VRETRACE;
    if (line >= ACTIVE_LINES || t - line * LINE_NS >= ACTIVE_LINE_FRACTION * LINE_NS) v |= STATUS1_DISPLAY_DISABLED;
    return v;
  }

  /** Frames shown since power-on (60 per second of machine time). */
  frameNumber(): number {
    return Math.floor(this.clock.now() / FRAME_NS);
  }

  /** Blink phases at the current time: the cursor and blinking characters are shown when true. */
  blinkPhase(): { cursorOn: boolean; charsOn: boolean } {
    const f = this.frameNumber();
    return {
      cursorOn: f % CURSOR_BLINK_FRAMES < CURSOR_BLINK_FRAMES / 2,
      charsOn: f % CHAR_BLINK_FRAMES < CHAR_BLINK_FRAMES / 2,
    };
  }

  // ---- Views for screen front ends ----

  /** Pixel size of what render() draws for the current mode. */
  displaySize(): DisplaySize {
    if (this.vbe.enabled) return { width: this.vbe.xres, height: this.vbe.yres };
    const g = displayGeometry(this);
    return { width: g.width, height: g.height };
  }

  /**
   * Draws the current picture into `target`, RGBA bytes in memory order (a canvas ImageData's
   * data, or a Uint32Array over such bytes), at least width*height pixels of displaySize().
   */
  render(target: Uint8ClampedArray | Uint8Array | Uint32Array): DisplaySize {
    return this.vbe.enabled ? renderVbe(this, target) : renderFrame(this, target);
  }

  /** The text screen when the adapter shows a text mode, else null. */
  textScreen(): TextScreen | null {
    return this.vbe.enabled ? null : readTextScreen(this);
  }

  /** The text screen's rows with trailing blanks removed ([] in a graphics mode). */
  textRows(): string[] {
    const s = this.textScreen();
    return s ? s.chars.map((r) => r.replace(/[\s\u00a0]+$/u, "")) : [];
  }

  /**
   * A number that changes whenever what render() would draw may have changed: video memory
   * and register writes, and the blink phases in text modes. Viewers redraw when it differs.
   */
  displayStamp(): number {
    const writes = this.memory.writes + this.regWrites + this.vbe.writes;
    if (this.vbe.enabled || displayGeometry(this).graphics) return writes * 4;
    const { cursorOn, charsOn } = this.blinkPhase();
    return writes * 4 + (cursorOn ? 1 : 0) + (charsOn ? 2 : 0);
  }

  // ---- Snapshot ----

  static readonly STATE = defineState<Vga>()({
    name: "vga",
    // 2: the vbe group is always there (version 1 records from before VBE lack it).
    version: 2,
    minVersion: 1,
    fields: {
      misc: u8,
      featureControl: u8,
      seqIndex: int(0, SEQ_INDEX_MASK),
      seq: ints(SEQ_COUNT, 0, 0xff),
      crtcIndex: int(0, CRTC_INDEX_MASK),
      crtc: ints(CRTC_COUNT, 0, 0xff),
      gcIndex: int(0, GC_INDEX_MASK),
      gc: ints(GC_COUNT, 0, 0xff),
      attrAddress: int(0, ATTR_INDEX_MASK | ATTR_PAS),
      attrDataNext: bool,
      attr: ints(ATTR_COUNT, 0, 0xff),
      dac: bytes(DAC_ENTRIES * 3, { maxByte: 0x3f }),
      pelMask: u8,
      dacReadIndex: u8,
      dacWriteIndex: u8,
      dacComponent: int(0, 2),
      dacReading: bool,
      dacLatch: ints(3, 0, 0x3f),
      latch: field(u32, { get: (vga) => vga.memory.latch >>> 0, set: (vga, v) => (vga.memory.latch = v | 0) }),
      vram: field(bytes(VRAM_SIZE), { get: (vga) => vga.memory.vram, set: (vga, v) => vga.memory.vram.set(v) }),
    },
    check(v, fail) {
      v.attr.forEach((x, i) => {
        if ((x & ~ATTR_WRITE_MASK[i]) !== 0) fail(`attribute register ${i} holds 0x${x.toString(16)}, beyond its bits`);
      });
    },
    subsections: {
      // Added with the Bochs VBE extension; a version 1 record without it loads with VBE off,
      // its memory empty and the PCI function as the firmware set it up.
      vbe: {
        needed: () => true,
        requiredFrom: 2,
        absent: (vga) => {
          vga.vbe.reset();
          vga.pci.reset();
          vga.pci.firmwareInit();
        },
        fields: {
          index: field(int(0, 0xffff), { get: (vga) => vga.vbe.index, set: (vga, x) => (vga.vbe.index = x) }),
          id: field(int(0xb0c0, 0xb0c5), { get: (vga) => vga.vbe.id, set: (vga, x) => (vga.vbe.id = x) }),
          xres: field(int(1, DISPI_MAX_XRES), { get: (vga) => vga.vbe.xres, set: (vga, x) => (vga.vbe.xres = x) }),
          yres: field(int(1, DISPI_MAX_YRES), { get: (vga) => vga.vbe.yres, set: (vga, x) => (vga.vbe.yres = x) }),
          bpp: field(oneOf(DISPI_BPPS), { get: (vga) => vga.vbe.bpp, set: (vga, x) => (vga.vbe.bpp = x) }),
          enable: field(bits(0xe3), { get: (vga) => vga.vbe.enable, set: (vga, x) => (vga.vbe.enable = x) }),
          bank: field(int(0, VBE_VRAM_SIZE / 0x10000 - 1), {
            get: (vga) => vga.vbe.bank,
            set: (vga, x) => (vga.vbe.bank = x),
          }),
          virtWidth: field(int(1, 0xffff), {
            get: (vga) => vga.vbe.virtWidth,
            set: (vga, x) => (vga.vbe.virtWidth = x),
          }),
          virtHeight: field(u16, { get: (vga) => vga.vbe.virtHeight, set: (vga, x) => (vga.vbe.virtHeight = x) }),
          xOffset: field(u16, { get: (vga) => vga.vbe.xOffset, set: (vga, x) => (vga.vbe.xOffset = x) }),
          yOffset: field(u16, { get: (vga) => vga.vbe.yOffset, set: (vga, x) => (vga.vbe.yOffset = x) }),
          vram: field(VRAM_KIND, {
            get: (vga) => vga.vbe.usedVram(),
            set: (vga, x) => vga.vbe.loadVram(x),
          }),
          pciConfig: field(PCI_CONFIG_KIND, {
            get: (vga) => vga.pci.configBytes(),
            set: (vga, x) => vga.pci.restoreConfig(x),
          }),
        },
      },
    },
    postLoad: (vga) => {
      vga.vbe.onEnableChange();
      vga.changed();
    },
  });
  readonly stateDefinition = Vga.STATE;
  readonly stateName = Vga.STATE.name;
  readonly stateVersion = Vga.STATE.version;
  readonly stateMinVersion = Vga.STATE.minVersion;

  saveState(): StateRecord {
    return Vga.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Vga.STATE.load(this, fields, version);
  }
}

export type { DisplaySize, TextScreen };
