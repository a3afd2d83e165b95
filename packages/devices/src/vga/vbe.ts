// The Bochs VBE display interface ("DISPI"): the extension of the VGA that Bochs, QEMU's std
// VGA and their VBE BIOSes use for high-resolution packed-pixel modes. Software selects a
// register through the index port (1CEh) and reads or writes it as 16 bits through the data
// port (1CFh): ID, XRES, YRES, BPP, ENABLE, BANK, VIRT_WIDTH, VIRT_HEIGHT, X_OFFSET, Y_OFFSET
// and VIDEO_MEMORY_64K (Bochs vbe.h register list and flags; QEMU's std-vga notes).
// While enabled, the picture is scanned out of a separate video memory, packed pixels of 8, 15,
// 16, 24 or 32 bits, which the CPU reaches through the linear framebuffer (the VGA PCI
// function's BAR0) or 64 KiB at a time through the A0000 window (BANK).
//
// Key design choices:
//  - The video memory (VBE_VRAM_SIZE, 16 MiB) is allocated the first time something needs it
//    (enabling a mode, or a write to the framebuffer), so a VM that stays in text mode costs
//    no host memory for it; before that it reads as zeros.
//  - Mode changes follow Bochs: XRES, YRES and BPP take effect when ENABLE is set, which resets
//    the virtual width to XRES, the offsets to 0 and (unless NOCLEARMEM) clears the memory.
//  - 4-bit planar DISPI modes are not offered: BPP accepts 8, 15, 16, 24 and 32 only.

import type { MmioHandler } from "@x86vm/core";

/** Index and data ports (16-bit registers). */
export const DISPI_PORT_INDEX = 0x1ce;
export const DISPI_PORT_DATA = 0x1cf;

// Register indices.
export const DISPI_INDEX_ID = 0x0;
export const DISPI_INDEX_XRES = 0x1;
export const DISPI_INDEX_YRES = 0x2;
export const DISPI_INDEX_BPP = 0x3;
export const DISPI_INDEX_ENABLE = 0x4;
export const DISPI_INDEX_BANK = 0x5;
export const DISPI_INDEX_VIRT_WIDTH = 0x6;
export const DISPI_INDEX_VIRT_HEIGHT = 0x7;
export const DISPI_INDEX_X_OFFSET = 0x8;
export const DISPI_INDEX_Y_OFFSET = 0x9;
export const DISPI_INDEX_VIDEO_MEMORY_64K = 0xa;
export const DISPI_REGISTER_COUNT = 0xb;

/** Interface versions: ID0 (B0C0h) to ID5 (B0C5h); this one reports ID5. */
export const DISPI_ID0 = 0xb0c0;
export const DISPI_ID5 = 0xb0c5;

// ENABLE bits.
export const DISPI_ENABLED = 0x01;
/** While set, XRES, YRES and BPP read back their maxima. */
export const DISPI_GETCAPS = 0x02;
export const DISPI_8BIT_DAC = 0x20;
export const DISPI_LFB_ENABLED = 0x40;
export const DISPI_NOCLEARMEM = 0x80;

/** The largest mode: what the page's framebuffer holds (1280x1024), at 32 bits a pixel. */
export const DISPI_MAX_XRES = 1280;
export const DISPI_MAX_YRES = 1024;
export const DISPI_MAX_BPP = 32;
export const DISPI_BPPS: readonly number[] = [8, 15, 16, 24, 32];

/** Video memory: 16 MiB, the size of the LFB BAR; allocated on first use. */
export const VBE_VRAM_SIZE = 16 << 20;
/** The bank window's size and granularity (the A0000-AFFFF window). */
export const VBE_BANK_SIZE = 0x10000;

/** Bytes a pixel takes at `bpp` bits (15 bits take 2). */
export function bytesPerPixel(bpp: number): number {
  return (bpp + 7) >> 3;
}

export class BochsVbe implements MmioHandler {
  /** The video memory (empty until first needed; then VBE_VRAM_SIZE bytes). */
  vram = new Uint8Array(0);
  index = 0;
  id = DISPI_ID5;
  xres = 640;
  yres = 480;
  bpp = 8;
  enable = 0;
  bank = 0;
  virtWidth = 640;
  virtHeight = 0;
  xOffset = 0;
  yOffset = 0;
  /** Counts register and memory writes, for viewers (Vga.displayStamp). */
  writes = 0;
  /** Called when ENABLE changes (the VGA re-routes its A0000 window). */
  onEnableChange: () => void = () => {};

  reset(): void {
    this.index = 0;
    this.id = DISPI_ID5;
    this.xres = 640;
    this.yres = 480;
    this.bpp = 8;
    this.enable = 0;
    this.bank = 0;
    this.virtWidth = 640;
    this.virtHeight = 0;
    this.xOffset = this.yOffset = 0;
    if (this.vram.length) this.vram.fill(0);
    this.writes++;
    this.onEnableChange();
  }

  get enabled(): boolean {
    return (this.enable & DISPI_ENABLED) !== 0;
  }

  /** Bytes from one scan line to the next. */
  get lineBytes(): number {
    return this.virtWidth * bytesPerPixel(this.bpp);
  }

  /** Byte offset in video memory of the first pixel shown (X_OFFSET, Y_OFFSET). */
  get displayStart(): number {
    return this.yOffset * this.lineBytes + this.xOffset * bytesPerPixel(this.bpp);
  }

  /** Allocates the video memory if it is not yet. */
  allocate(): Uint8Array {
    if (this.vram.length === 0) this.vram = new Uint8Array(VBE_VRAM_SIZE);
    return this.vram;
  }

  // ---- ports (16-bit; byte accesses reach the low or high half)

  readIndex(): number {
    return this.index;
  }
  writeIndex(v: number): void {
    this.index = v & 0xffff;
  }

  readData(): number {
    const caps = (this.enable & DISPI_GETCAPS) !== 0;
    switch (this.index) {
      case DISPI_INDEX_ID:
        return this.id;
      case DISPI_INDEX_XRES:
        return caps ? DISPI_MAX_XRES : this.xres;
      case DISPI_INDEX_YRES:
        return caps ? DISPI_MAX_YRES : this.yres;
      case DISPI_INDEX_BPP:
        return caps ? DISPI_MAX_BPP : this.bpp;
      case DISPI_INDEX_ENABLE:
        return this.enable;
      case DISPI_INDEX_BANK:
        return this.bank;
      case DISPI_INDEX_VIRT_WIDTH:
        return this.virtWidth;
      case DISPI_INDEX_VIRT_HEIGHT:
        return this.virtHeight;
      case DISPI_INDEX_X_OFFSET:
        return this.xOffset;
      case DISPI_INDEX_Y_OFFSET:
        return this.yOffset;
      case DISPI_INDEX_VIDEO_MEMORY_64K:
        return VBE_VRAM_SIZE / VBE_BANK_SIZE;
      default:
        return 0;
    }
  }

  writeData(v: number): void {
    v &= 0xffff;
    switch (this.index) {
      case DISPI_INDEX_ID:
        if (v >= DISPI_ID0 && v <= DISPI_ID5) this.id = v;
        return;
      case DISPI_INDEX_XRES:
        // Bochs: resolution and depth change only while the interface is disabled.
        if (!this.enabled && v > 0 && v <= DISPI_MAX_XRES) this.xres = v;
        return;
      case DISPI_INDEX_YRES:
        if (!this.enabled && v > 0 && v <= DISPI_MAX_YRES) this.yres = v;
        return;
      case DISPI_INDEX_BPP:
        if (!this.enabled && DISPI_BPPS.includes(v === 0 ? 8 : v)) this.bpp = v === 0 ? 8 : v;
        return;
      case DISPI_INDEX_ENABLE:
        this.setEnable(v);
        return;
      case DISPI_INDEX_BANK:
        // Bank numbers past the memory wrap, as the high address bits are not decoded.
        this.bank = v % (VBE_VRAM_SIZE / VBE_BANK_SIZE);
        this.writes++;
        return;
      case DISPI_INDEX_VIRT_WIDTH:
        if (v >= this.xres && v * bytesPerPixel(this.bpp) * this.yres <= VBE_VRAM_SIZE) {
          this.virtWidth = v;
          this.virtHeight = Math.min(0xffff, Math.floor(VBE_VRAM_SIZE / this.lineBytes));
          this.clampOffsets();
          this.writes++;
        }
        return;
      case DISPI_INDEX_X_OFFSET:
        this.xOffset = v;
        this.clampOffsets();
        this.writes++;
        return;
      case DISPI_INDEX_Y_OFFSET:
        this.yOffset = v;
        this.clampOffsets();
        this.writes++;
        return;
      default:
        // VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only.
        return;
    }
  }

  private setEnable(v: number): void {
    const was = this.enabled;
    this.enable = v & (DISPI_ENABLED | DISPI_GETCAPS | DISPI_8BIT_DAC | DISPI_LFB_ENABLED | DISPI_NOCLEARMEM);
    if (this.enabled && !was) {
      this.virtWidth = this.xres;
      this.virtHeight = Math.min(0xffff, Math.floor(VBE_VRAM_SIZE / this.lineBytes));
      this.xOffset = this.yOffset = 0;
      this.bank = 0;
      const vram = this.allocate();
      if ((v & DISPI_NOCLEARMEM) === 0) vram.fill(0);
    }
    this.writes++;
    if (this.enabled !== was) this.onEnableChange();
  }

  /** Keeps the visible rectangle inside video memory. */
  private clampOffsets(): void {
    const maxY = Math.max(0, this.virtHeight - this.yres);
    if (this.yOffset > maxY) this.yOffset = maxY;
    if (this.xOffset > this.virtWidth - this.xres) this.xOffset = Math.max(0, this.virtWidth - this.xres);
  }

  // ---- the linear framebuffer (offsets from BAR0)

  read8(offset: number): number {
    return offset < this.vram.length ? this.vram[offset] : 0;
  }
  write8(offset: number, value: number): void {
    const vram = this.vram.length ? this.vram : this.allocate();
    if (offset < vram.length) {
      vram[offset] = value;
      this.writes++;
    }
  }
  read16(offset: number): number {
    const m = this.vram;
    return offset + 1 < m.length ? m[offset] | (m[offset + 1] << 8) : 0;
  }
  write16(offset: number, value: number): void {
    const m = this.vram.length ? this.vram : this.allocate();
    if (offset + 1 < m.length) {
      m[offset] = value;
      m[offset + 1] = value >> 8;
      this.writes++;
    }
  }
  read32(offset: number): number {
    const m = this.vram;
    return offset + 3 < m.length ? m[offset] | (m[offset + 1] << 8) | (m[offset + 2] << 16) | (m[offset + 3] << 24) : 0;
  }
  write32(offset: number, value: number): void {
    const m = this.vram.length ? this.vram : this.allocate();
    if (offset + 3 < m.length) {
      m[offset] = value;
      m[offset + 1] = value >> 8;
      m[offset + 2] = value >> 16;
      m[offset + 3] = value >>> 24;
      this.writes++;
    }
  }

  // ---- the bank window (offset 0-FFFFh in A0000-AFFFF)

  bankRead8(offset: number): number {
    return offset < VBE_BANK_SIZE ? this.read8(this.bank * VBE_BANK_SIZE + offset) : 0xff;
  }
  bankWrite8(offset: number, value: number): void {
    if (offset < VBE_BANK_SIZE) this.write8(this.bank * VBE_BANK_SIZE + offset, value);
  }

  // ---- snapshots: the used part of video memory

  /** Video memory up to its last non-zero 4 KiB page (empty if never allocated or all zero). */
  usedVram(): Uint8Array {
    const m = this.vram;
    let end = m.length;
    while (end > 0 && m[end - 1] === 0) end--;
    return m.subarray(0, Math.ceil(end / 4096) * 4096);
  }

  /** Loads video memory saved by usedVram(). */
  loadVram(bytes: Uint8Array): void {
    if (bytes.length === 0) {
      if (this.vram.length) this.vram.fill(0);
      return;
    }
    const m = this.allocate();
    m.set(bytes);
    m.fill(0, bytes.length);
  }
}
