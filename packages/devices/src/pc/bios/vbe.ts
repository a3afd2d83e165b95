// INT 10h AX=4Fxxh, the VESA BIOS Extensions (VBE 3.0 specification), over the Bochs VBE
// display interface (vga/vbe.ts) and the VGA PCI function's linear framebuffer: controller
// information (00h), mode information (01h), set and get mode (02h, 03h), bank switching
// (05h), logical scan line length (06h), display start (07h), DAC width (08h) and palette
// data (09h). Save/restore state (04h), the protected-mode interface (0Ah) and DDC (15h)
// answer "function failed" (AX=014Fh), which callers treat as absent.
//
// Key design choices:
//  - Like the rest of the video BIOS it keeps no state: the current VBE mode is read back
//    from the DISPI registers (a mode of VBE_MODES with their size and depth), the LFB flag
//    from ENABLE, and the framebuffer address from the PCI function's BAR0 (configuration
//    space, as a ROM would read it).
//  - The mode list, OEM strings and the window function live in the ROM (vbe-modes.ts), so
//    the far pointers 4F00h returns stay valid whatever the caller does with its buffer.
//  - A VBE mode is set on top of VGA mode 13h (256-colour DAC palette, graphics attribute
//    mode), then DISPI takes over the picture; setting a VGA mode turns DISPI off.

import { EAX, EBX, ECX, EDI, EDX, ES } from "@x86vm/core";
import type { Bios } from "./bios.ts";
import { ROM_SEGMENT } from "./rom.ts";
import {
  VBE_MODES,
  VBE_MODE_LIST,
  VBE_OEM_STRING,
  VBE_PRODUCT_NAME,
  VBE_PRODUCT_REV,
  VBE_VENDOR_NAME,
  VBE_WINDOW_FUNCTION,
  type VbeMode,
} from "./vbe-modes.ts";
import {
  DISPI_ENABLED,
  DISPI_INDEX_BANK,
  DISPI_INDEX_BPP,
  DISPI_INDEX_ENABLE,
  DISPI_INDEX_ID,
  DISPI_INDEX_VIRT_HEIGHT,
  DISPI_INDEX_VIRT_WIDTH,
  DISPI_INDEX_VIDEO_MEMORY_64K,
  DISPI_INDEX_XRES,
  DISPI_INDEX_X_OFFSET,
  DISPI_INDEX_YRES,
  DISPI_INDEX_Y_OFFSET,
  DISPI_ID0,
  DISPI_LFB_ENABLED,
  DISPI_NOCLEARMEM,
  DISPI_PORT_DATA,
  DISPI_PORT_INDEX,
  bytesPerPixel,
} from "../../vga/vbe.ts";
import { PORT_DAC_DATA, PORT_DAC_READ_INDEX, PORT_DAC_WRITE_INDEX } from "../../vga/vga-regs.ts";
import { VGA_PCI_DEVICE_ID, VGA_PCI_VENDOR_ID } from "../../vga/vga-pci.ts";

/** AX on return (VBE 3.0, "VBE return status"). */
export const VBE_OK = 0x004f;
export const VBE_FAILED = 0x014f;
export const VBE_NOT_SUPPORTED = 0x024f;
export const VBE_INVALID_IN_MODE = 0x034f;

/** Version reported by 4F00h (BCD 3.0). */
export const VBE_VERSION = 0x0300;

// 4F02h mode number bits.
export const VBE_MODE_LFB = 0x4000;
export const VBE_MODE_NOCLEAR = 0x8000;
const VBE_MODE_NUMBER = 0x01ff;

// ModeInfoBlock.ModeAttributes: supported, reserved (1), colour, graphics, not VGA compatible
// (no VGA register layout in these modes), linear framebuffer available. Bit 6 stays clear:
// the banked window exists too.
const MODE_ATTRIBUTES = 0x01 | 0x02 | 0x08 | 0x10 | 0x20 | 0x80;
const MEMORY_MODEL_PACKED = 4,
  MEMORY_MODEL_DIRECT = 6;

// Indices in the CPU's 16-bit and 8-bit register views.
const AX = EAX << 1,
  CX = ECX << 1,
  DX = EDX << 1,
  BX = EBX << 1,
  DI = EDI << 1;
const BL = EBX << 2,
  BH = BL + 1;

/** Red, green, blue, reserved: mask size and field position of each depth. */
const COLOUR_FIELDS: Record<number, readonly number[]> = {
  8: [0, 0, 0, 0, 0, 0, 0, 0],
  15: [5, 10, 5, 5, 5, 0, 1, 15],
  16: [5, 11, 6, 5, 5, 0, 0, 0],
  24: [8, 16, 8, 8, 8, 0, 0, 0],
  32: [8, 16, 8, 8, 8, 0, 8, 24],
};

export class VbeServices {
  constructor(private readonly bios: Bios) {}

  /** INT 10h AH=4Fh: the function in AL. */
  int10(): void {
    const b = this.bios,
      cpu = b.cpu;
    if (!this.present()) {
      this.status(VBE_FAILED);
      return;
    }
    switch (b.al) {
      case 0x00:
        this.controllerInfo();
        return;
      case 0x01:
        this.modeInfo(cpu.r16[CX]);
        return;
      case 0x02:
        this.setMode(cpu.r16[BX]);
        return;
      case 0x03:
        cpu.r16[BX] = this.currentMode();
        this.status(VBE_OK);
        return;
      case 0x05:
        this.windowControl();
        return;
      case 0x06:
        this.scanLineLength();
        return;
      case 0x07:
        this.displayStart();
        return;
      case 0x08:
        // DAC palette format: the DAC is 6 bits wide and cannot switch (capabilities bit 0
        // clear), so a set (BL=0) and a get (BL=1) both answer BH = 6.
        if (cpu.r8[BL] > 1) this.status(VBE_FAILED);
        else {
          cpu.r8[BH] = 6;
          this.status(VBE_OK);
        }
        return;
      case 0x09:
        this.paletteData();
        return;
      default:
        // 04h save/restore state, 0Ah protected-mode interface, 15h DDC and the rest.
        b.unsupportedCall(0x10);
        this.status(VBE_FAILED);
    }
  }

  private status(ax: number): void {
    this.bios.cpu.r16[AX] = ax;
  }

  // ---- the adapter, through its ports and PCI configuration space

  private dispiRead(index: number): number {
    const io = this.bios.platform.io.io;
    io.out16(DISPI_PORT_INDEX, index);
    return io.in16(DISPI_PORT_DATA);
  }

  private dispiWrite(index: number, value: number): void {
    const io = this.bios.platform.io.io;
    io.out16(DISPI_PORT_INDEX, index);
    io.out16(DISPI_PORT_DATA, value);
  }

  /** A Bochs VBE interface answers at 1CEh/1CFh. */
  private present(): boolean {
    const id = this.dispiRead(DISPI_INDEX_ID);
    return id >= DISPI_ID0 && id <= DISPI_ID0 + 5;
  }

  /** BAR0 of the VGA PCI function (1234:1111) on bus 0, or 0 if there is none. */
  private lfbAddress(): number {
    const pci = this.bios.platform.pciConfig;
    if (!pci) return 0;
    for (let dev = 0; dev < 32; dev++) {
      if (pci.read(0, dev, 0, 0, 4) >>> 0 === ((VGA_PCI_DEVICE_ID << 16) | VGA_PCI_VENDOR_ID) >>> 0)
        return (pci.read(0, dev, 0, 0x10, 4) & ~0xf) >>> 0;
    }
    return 0;
  }

  private memoryBytes(): number {
    return this.dispiRead(DISPI_INDEX_VIDEO_MEMORY_64K) * 0x10000;
  }

  private find(mode: number): VbeMode | null {
    const n = mode & VBE_MODE_NUMBER;
    return VBE_MODES.find((m) => m.mode === n) ?? null;
  }

  // ---- 00h controller information

  private controllerInfo(): void {
    const b = this.bios,
      cpu = b.cpu;
    const buf = b.lin(cpu.sreg[ES], cpu.r16[DI]);
    // A caller that wants the VBE 2.0+ block writes "VBE2" in the signature first.
    const vbe2 = b.rd(buf) === 0x32454256;
    const size = vbe2 ? 512 : 256;
    for (let i = 0; i < size; i++) b.wb(buf + i, 0);
    [0x56, 0x45, 0x53, 0x41].forEach((c, i) => b.wb(buf + i, c)); // "VESA"
    b.ww(buf + 4, VBE_VERSION);
    const far = (off: number, romOffset: number) => {
      b.ww(buf + off, romOffset);
      b.ww(buf + off + 2, ROM_SEGMENT);
    };
    far(6, VBE_OEM_STRING);
    b.wd(buf + 10, 0); // capabilities: fixed 6-bit DAC, VGA compatible, normal RAMDAC
    far(14, VBE_MODE_LIST);
    b.ww(buf + 18, this.memoryBytes() >> 16);
    if (vbe2) {
      b.ww(buf + 20, 0x0100); // OEM software revision 1.0
      far(22, VBE_VENDOR_NAME);
      far(26, VBE_PRODUCT_NAME);
      far(30, VBE_PRODUCT_REV);
    }
    this.status(VBE_OK);
  }

  // ---- 01h mode information

  private modeInfo(mode: number): void {
    const b = this.bios,
      cpu = b.cpu;
    const m = this.find(mode);
    if (!m) {
      this.status(VBE_FAILED);
      return;
    }
    const buf = b.lin(cpu.sreg[ES], cpu.r16[DI]);
    for (let i = 0; i < 256; i++) b.wb(buf + i, 0);
    const bpl = m.width * bytesPerPixel(m.bpp);
    const pages = Math.min(255, Math.floor(this.memoryBytes() / (bpl * m.height)) - 1);
    const f = COLOUR_FIELDS[m.bpp];
    b.ww(buf + 0, MODE_ATTRIBUTES);
    b.wb(buf + 2, 0x07); // window A: exists, readable, writable
    b.wb(buf + 3, 0x00); // no window B
    b.ww(buf + 4, 64); // granularity, KiB
    b.ww(buf + 6, 64); // window size, KiB
    b.ww(buf + 8, 0xa000);
    b.ww(buf + 10, 0);
    b.ww(buf + 12, VBE_WINDOW_FUNCTION);
    b.ww(buf + 14, ROM_SEGMENT);
    b.ww(buf + 16, bpl);
    b.ww(buf + 18, m.width);
    b.ww(buf + 20, m.height);
    b.wb(buf + 22, 8); // character cell
    b.wb(buf + 23, 16);
    b.wb(buf + 24, 1); // planes
    b.wb(buf + 25, m.bpp);
    b.wb(buf + 26, 1); // banks (not a banked memory model)
    b.wb(buf + 27, m.bpp === 8 ? MEMORY_MODEL_PACKED : MEMORY_MODEL_DIRECT);
    b.wb(buf + 28, 0); // bank size
    b.wb(buf + 29, pages);
    b.wb(buf + 30, 1); // reserved, 1 (VBE 3.0)
    for (let i = 0; i < 8; i++) b.wb(buf + 31 + i, f[i]);
    b.wb(buf + 39, 0); // direct colour mode info: fixed ramp, reserved bits unusable
    b.wd(buf + 40, this.lfbAddress());
    // VBE 3.0: the same for linear modes.
    b.ww(buf + 50, bpl);
    b.wb(buf + 52, pages);
    b.wb(buf + 53, pages);
    for (let i = 0; i < 8; i++) b.wb(buf + 54 + i, f[i]);
    this.status(VBE_OK);
  }

  // ---- 02h, 03h set and get mode

  private setMode(bx: number): void {
    const b = this.bios;
    const n = bx & VBE_MODE_NUMBER;
    if (n < 0x100) {
      // A VGA mode by its VBE number: as AH=00h (bit 15, keep memory, is bit 7 there).
      if (!b.video.setStandardMode(n | (bx & VBE_MODE_NOCLEAR ? 0x80 : 0))) this.status(VBE_FAILED);
      else this.status(VBE_OK);
      return;
    }
    const m = this.find(n);
    if (!m) {
      this.status(VBE_FAILED);
      return;
    }
    if ((bx & VBE_MODE_LFB) !== 0 && this.lfbAddress() === 0) {
      this.status(VBE_NOT_SUPPORTED);
      return;
    }
    // VGA mode 13h first: the default 256-colour palette and the attribute controller's
    // graphics mode; then the Bochs interface takes the picture over.
    b.video.setStandardMode(0x13 | 0x80);
    this.dispiWrite(DISPI_INDEX_ENABLE, 0);
    this.dispiWrite(DISPI_INDEX_XRES, m.width);
    this.dispiWrite(DISPI_INDEX_YRES, m.height);
    this.dispiWrite(DISPI_INDEX_BPP, m.bpp);
    this.dispiWrite(
      DISPI_INDEX_ENABLE,
      DISPI_ENABLED | (bx & VBE_MODE_LFB ? DISPI_LFB_ENABLED : 0) | (bx & VBE_MODE_NOCLEAR ? DISPI_NOCLEARMEM : 0),
    );
    this.status(VBE_OK);
  }

  /** The mode in effect: a VBE mode (bit 14 if linear) read back from DISPI, else the VGA mode. */
  private currentMode(): number {
    const enable = this.dispiRead(DISPI_INDEX_ENABLE);
    if ((enable & DISPI_ENABLED) === 0) return this.bios.rb(0x449) & 0x7f;
    const w = this.dispiRead(DISPI_INDEX_XRES),
      h = this.dispiRead(DISPI_INDEX_YRES),
      bpp = this.dispiRead(DISPI_INDEX_BPP);
    const m = VBE_MODES.find((x) => x.width === w && x.height === h && x.bpp === bpp);
    return (m ? m.mode : 0x1ff) | (enable & DISPI_LFB_ENABLED ? VBE_MODE_LFB : 0);
  }

  /** True while a VBE mode is on (AX=034Fh otherwise for the functions that need one). */
  private inVbeMode(): boolean {
    if ((this.dispiRead(DISPI_INDEX_ENABLE) & DISPI_ENABLED) !== 0) return true;
    this.status(VBE_INVALID_IN_MODE);
    return false;
  }

  // ---- 05h window control

  private windowControl(): void {
    const cpu = this.bios.cpu;
    if (!this.inVbeMode()) return;
    if (cpu.r8[BL] !== 0) {
      this.status(VBE_FAILED); // window B does not exist
      return;
    }
    if (cpu.r8[BH] === 0) {
      this.dispiWrite(DISPI_INDEX_BANK, cpu.r16[DX]);
      this.status(VBE_OK);
    } else if (cpu.r8[BH] === 1) {
      cpu.r16[DX] = this.dispiRead(DISPI_INDEX_BANK);
      this.status(VBE_OK);
    } else this.status(VBE_FAILED);
  }

  // ---- 06h logical scan line length

  private scanLineLength(): void {
    const cpu = this.bios.cpu;
    if (!this.inVbeMode()) return;
    const bytes = bytesPerPixel(this.dispiRead(DISPI_INDEX_BPP));
    const mem = this.memoryBytes(),
      height = this.dispiRead(DISPI_INDEX_YRES);
    switch (cpu.r8[BL]) {
      case 0x00: // set in pixels
      case 0x02: {
        // set in bytes
        const px = cpu.r8[BL] === 0 ? cpu.r16[CX] : Math.ceil(cpu.r16[CX] / bytes);
        if (px < this.dispiRead(DISPI_INDEX_XRES) || px * bytes * height > mem) {
          this.status(VBE_NOT_SUPPORTED);
          return;
        }
        this.dispiWrite(DISPI_INDEX_VIRT_WIDTH, px);
        break;
      }
      case 0x01: // get
        break;
      case 0x03: {
        // get maximum
        const maxPx = Math.min(0xffff, Math.floor(mem / height / bytes));
        cpu.r16[BX] = Math.min(0xffff, maxPx * bytes);
        cpu.r16[CX] = maxPx;
        this.status(VBE_OK);
        return;
      }
      default:
        this.status(VBE_FAILED);
        return;
    }
    const px = this.dispiRead(DISPI_INDEX_VIRT_WIDTH);
    cpu.r16[BX] = px * bytes;
    cpu.r16[CX] = px;
    cpu.r16[DX] = this.dispiRead(DISPI_INDEX_VIRT_HEIGHT);
    this.status(VBE_OK);
  }

  // ---- 07h display start

  private displayStart(): void {
    const cpu = this.bios.cpu;
    if (!this.inVbeMode()) return;
    switch (cpu.r8[BL]) {
      case 0x00: // set
      case 0x80: // set during vertical retrace
        this.dispiWrite(DISPI_INDEX_X_OFFSET, cpu.r16[CX]);
        this.dispiWrite(DISPI_INDEX_Y_OFFSET, cpu.r16[DX]);
        this.status(VBE_OK);
        return;
      case 0x01:
        cpu.r8[BH] = 0;
        cpu.r16[CX] = this.dispiRead(DISPI_INDEX_X_OFFSET);
        cpu.r16[DX] = this.dispiRead(DISPI_INDEX_Y_OFFSET);
        this.status(VBE_OK);
        return;
      case 0x02: // VBE 3.0: schedule display start by byte address in ECX
      case 0x82: {
        const line = this.dispiRead(DISPI_INDEX_VIRT_WIDTH) * bytesPerPixel(this.dispiRead(DISPI_INDEX_BPP));
        const addr = cpu.r32[ECX] >>> 0;
        const y = Math.floor(addr / line);
        this.dispiWrite(
          DISPI_INDEX_X_OFFSET,
          Math.floor((addr - y * line) / bytesPerPixel(this.dispiRead(DISPI_INDEX_BPP))),
        );
        this.dispiWrite(DISPI_INDEX_Y_OFFSET, y);
        this.status(VBE_OK);
        return;
      }
      case 0x04: // scheduled flip status: always done
        cpu.r16[CX] = 1;
        this.status(VBE_OK);
        return;
      default:
        this.status(VBE_FAILED);
    }
  }

  // ---- 09h palette data

  private paletteData(): void {
    const b = this.bios,
      cpu = b.cpu;
    const count = cpu.r16[CX],
      first = cpu.r16[DX];
    if (first + count > 256) {
      this.status(VBE_FAILED);
      return;
    }
    const table = b.lin(cpu.sreg[ES], cpu.r16[DI]);
    switch (cpu.r8[BL]) {
      case 0x00:
      case 0x80:
        // Entries are blue, green, red, alignment, in the DAC's 6 bits.
        b.outb(PORT_DAC_WRITE_INDEX, first);
        for (let i = 0; i < count; i++) {
          const e = table + i * 4;
          b.outb(PORT_DAC_DATA, b.rb(e + 2) & 0x3f);
          b.outb(PORT_DAC_DATA, b.rb(e + 1) & 0x3f);
          b.outb(PORT_DAC_DATA, b.rb(e) & 0x3f);
        }
        this.status(VBE_OK);
        return;
      case 0x01:
        b.outb(PORT_DAC_READ_INDEX, first);
        for (let i = 0; i < count; i++) {
          const e = table + i * 4;
          const r = b.inb(PORT_DAC_DATA),
            g = b.inb(PORT_DAC_DATA),
            bl = b.inb(PORT_DAC_DATA);
          b.wb(e, bl);
          b.wb(e + 1, g);
          b.wb(e + 2, r);
          b.wb(e + 3, 0);
        }
        this.status(VBE_OK);
        return;
      default:
        this.status(VBE_FAILED);
    }
  }
}
