// VGA video memory and the graphics controller's data path: four 64 KiB planes as seen by the
// CPU through the A0000-BFFFF window (IBM VGA technical reference, "Graphics Controller
// Registers"; FreeVGA "VGA Memory Organization", "Read/Write Modes").
//
// Key design choice: the planes are stored interleaved, byte (offset * 4 + plane), so one
// 32-bit load fetches all four planes at an offset: that is exactly the latch register, and
// write modes 0-3 become a handful of 32-bit mask operations. (This relies on a little-endian
// host, checked at load: every browser and Node platform the project targets is one.)
//
// The adapter decodes its registers into plain fields here (configure()) whenever a sequencer,
// graphics controller or misc output register changes, so the per-access paths read no
// register arrays and allocate nothing. Text-mode and chain-4 writes with the mode-set
// defaults (write mode 0, no rotate, no logical function, no set/reset, bit mask FF) take a
// fast path that skips the latch arithmetic.
//
// Not modelled: the graphics controller's chain odd/even bit and the Misc Output odd/even page
// bit (odd/even addressing always clears address bit 0, which is what the standard text modes
// need), and memory sizes other than 256 KiB.

import type { MmioHandler } from "@x86vm/core";
import type { BochsVbe } from "./vbe.ts";
import {
  GC_BIT_MASK,
  GC_COLOR_COMPARE,
  GC_COLOR_DONT_CARE,
  GC_DATA_ROTATE,
  GC_ENABLE_SET_RESET,
  GC_MISC,
  GC_MODE,
  GC_READ_MAP,
  GC_SET_RESET,
  GCMISC_MAP_MASK,
  GCMISC_MAP_SHIFT,
  GCMODE_ODD_EVEN,
  GCMODE_READ_COMPARE,
  GCMODE_WRITE_MASK,
  FUNC_AND,
  FUNC_NONE,
  FUNC_OR,
  MISC_RAM_ENABLE,
  ROTATE_COUNT_MASK,
  ROTATE_FUNC_SHIFT,
  SEQ_MAP_MASK,
  SEQ_MEM_CHAIN4,
  SEQ_MEM_OE_DISABLE,
  SEQ_MEMORY_MODE,
  VRAM_SIZE,
} from "./vga-regs.ts";

if (new Uint8Array(new Uint32Array([0x04030201]).buffer)[0] !== 0x01) {
  throw new Error("the VGA memory model needs a little-endian host");
}

/** How a CPU address selects a plane and an offset within it. */
const ADDR_PLANAR = 0;
/** Odd/even: address bit 0 picks planes 0/2 or 1/3; the offset is the address with bit 0 clear. */
const ADDR_ODD_EVEN = 1;
/** Chain 4: address bits 1-0 pick the plane; the offset is the address with bits 1-0 clear. */
const ADDR_CHAIN4 = 2;

/** PLANE_BYTES[m]: a 32-bit mask with byte p all ones for each plane p set in the 4-bit mask m. */
const PLANE_BYTES = new Int32Array(16);
for (let m = 0; m < 16; m++) {
  PLANE_BYTES[m] = (m & 1 ? 0xff : 0) | (m & 2 ? 0xff00 : 0) | (m & 4 ? 0xff0000 : 0) | (m & 8 ? 0xff000000 : 0);
}

/** Window start and end (offsets from A0000) for each memory map select value (MAP_*). */
const WINDOW_START = [0x00000, 0x00000, 0x10000, 0x18000];
const WINDOW_END = [0x20000, 0x10000, 0x18000, 0x20000];

function replicate(b: number): number {
  return b | (b << 8) | (b << 16) | (b << 24);
}

export class VgaMemory implements MmioHandler {
  /** The four planes interleaved: plane p's byte at offset o is vram[o * 4 + p]. */
  readonly vram = new Uint8Array(VRAM_SIZE);
  private readonly vram32 = new Int32Array(this.vram.buffer);
  /** The four latch bytes (plane p in bits 8p+7..8p), loaded by every CPU read. */
  latch = 0;
  /** Counts CPU writes, so viewers can tell that the picture may have changed. */
  writes = 0;
  /** While a Bochs VBE mode is on: A0000-AFFFF is a 64 KiB bank of its memory instead. */
  banked: BochsVbe | null = null;

  // Decoded register state (see configure()).
  private winStart = 0;
  private winEnd = 0;
  private enabled = false;
  private writeAddr = ADDR_PLANAR;
  private readAddr = ADDR_PLANAR;
  private mapMask = 0;
  private readMap = 0;
  private readCompare = false;
  private writeMode = 0;
  private rotate = 0;
  private func = FUNC_NONE;
  private bitMask = 0xff;
  private setReset32 = 0;
  private enableSetReset32 = 0;
  private compare32 = 0;
  private care32 = 0;
  /** Write mode 0 with no rotate, function, set/reset or bit mask: bytes go straight in. */
  private simpleWrite = false;

  /** Re-decodes the registers that steer CPU accesses. Called by the adapter on each change. */
  configure(seq: Uint8Array, gc: Uint8Array, misc: number): void {
    const map = (gc[GC_MISC] & GCMISC_MAP_MASK) >> GCMISC_MAP_SHIFT;
    this.winStart = WINDOW_START[map];
    this.winEnd = WINDOW_END[map];
    this.enabled = (misc & MISC_RAM_ENABLE) !== 0;
    const memMode = seq[SEQ_MEMORY_MODE];
    const chain4 = (memMode & SEQ_MEM_CHAIN4) !== 0;
    // Write addressing follows the sequencer's odd/even bit; read addressing follows the
    // graphics controller's (IBM VGA reference: SR04 bit 2 and GR05 bit 4 are separate).
    this.writeAddr = chain4 ? ADDR_CHAIN4 : (memMode & SEQ_MEM_OE_DISABLE) === 0 ? ADDR_ODD_EVEN : ADDR_PLANAR;
    this.readAddr = chain4 ? ADDR_CHAIN4 : (gc[GC_MODE] & GCMODE_ODD_EVEN) !== 0 ? ADDR_ODD_EVEN : ADDR_PLANAR;
    this.mapMask = seq[SEQ_MAP_MASK] & 0x0f;
    this.readMap = gc[GC_READ_MAP] & 3;
    this.readCompare = (gc[GC_MODE] & GCMODE_READ_COMPARE) !== 0;
    this.writeMode = gc[GC_MODE] & GCMODE_WRITE_MASK;
    this.rotate = gc[GC_DATA_ROTATE] & ROTATE_COUNT_MASK;
    this.func = (gc[GC_DATA_ROTATE] >> ROTATE_FUNC_SHIFT) & 3;
    this.bitMask = gc[GC_BIT_MASK];
    this.setReset32 = PLANE_BYTES[gc[GC_SET_RESET] & 0x0f];
    this.enableSetReset32 = PLANE_BYTES[gc[GC_ENABLE_SET_RESET] & 0x0f];
    this.compare32 = PLANE_BYTES[gc[GC_COLOR_COMPARE] & 0x0f];
    this.care32 = PLANE_BYTES[gc[GC_COLOR_DONT_CARE] & 0x0f];
    this.simpleWrite =
      this.writeMode === 0 &&
      this.rotate === 0 &&
      this.func === FUNC_NONE &&
      (gc[GC_ENABLE_SET_RESET] & 0x0f) === 0 &&
      this.bitMask === 0xff;
  }

  read8(offset: number): number {
    if (this.banked !== null) return this.banked.bankRead8(offset);
    if (!this.enabled || offset < this.winStart || offset >= this.winEnd) return 0xff;
    const a = offset - this.winStart;
    let addr: number, plane: number;
    if (this.readAddr === ADDR_CHAIN4) {
      addr = a & 0xfffc;
      plane = a & 3;
    } else if (this.readAddr === ADDR_ODD_EVEN) {
      addr = a & 0xfffe;
      plane = (this.readMap & 2) | (a & 1);
    } else {
      addr = a & 0xffff;
      plane = this.readMap;
    }
    const latch = this.vram32[addr];
    this.latch = latch;
    if (!this.readCompare) return (latch >>> (plane << 3)) & 0xff;
    // Read mode 1: a bit is 1 where every plane that takes part matches the colour compare.
    const diff = (latch ^ this.compare32) & this.care32;
    return ~(diff | (diff >>> 8) | (diff >>> 16) | (diff >>> 24)) & 0xff;
  }

  write8(offset: number, value: number): void {
    if (this.banked !== null) {
      this.banked.bankWrite8(offset, value);
      return;
    }
    if (!this.enabled || offset < this.winStart || offset >= this.winEnd) return;
    const a = offset - this.winStart;
    let addr: number, planes: number;
    if (this.writeAddr === ADDR_CHAIN4) {
      addr = a & 0xfffc;
      planes = this.mapMask & (1 << (a & 3));
    } else if (this.writeAddr === ADDR_ODD_EVEN) {
      addr = a & 0xfffe;
      planes = this.mapMask & (a & 1 ? 0x0a : 0x05);
    } else {
      addr = a & 0xffff;
      planes = this.mapMask;
    }
    this.writes++;
    if (planes === 0) return;
    if (this.simpleWrite) {
      const i = addr << 2,
        v = this.vram;
      if (planes & 1) v[i] = value;
      if (planes & 2) v[i + 1] = value;
      if (planes & 4) v[i + 2] = value;
      if (planes & 8) v[i + 3] = value;
      return;
    }
    const keep = PLANE_BYTES[planes];
    this.vram32[addr] = (this.vram32[addr] & ~keep) | (this.writeData(value) & keep);
  }

  /** The four plane bytes write modes 0-3 produce for one CPU byte (before the map mask). */
  private writeData(value: number): number {
    const latch = this.latch;
    if (this.writeMode === 1) return latch; // Write mode 1 stores the latches unchanged.
    let data: number,
      mask = this.bitMask;
    const rotated = ((value >>> this.rotate) | (value << (8 - this.rotate))) & 0xff;
    if (this.writeMode === 0) {
      data = (replicate(rotated) & ~this.enableSetReset32) | (this.setReset32 & this.enableSetReset32);
    } else if (this.writeMode === 2) {
      // Write mode 2: CPU bits 3-0 are the colour, one bit per plane; no rotation.
      data = PLANE_BYTES[value & 0x0f];
    } else {
      // Write mode 3: set/reset is the colour; the rotated CPU byte ANDs the bit mask.
      data = this.setReset32;
      mask &= rotated;
    }
    if (this.func === FUNC_AND) data &= latch;
    else if (this.func === FUNC_OR) data |= latch;
    else if (this.func !== FUNC_NONE) data ^= latch;
    const mask32 = replicate(mask);
    return (data & mask32) | (latch & ~mask32);
  }
}
