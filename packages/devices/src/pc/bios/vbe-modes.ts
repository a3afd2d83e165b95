// The VESA modes the built-in BIOS offers over the Bochs VBE interface: the VBE 1.2 numbers
// for 8, 15, 16 and 24 bits a pixel (VBE 3.0 specification, "VESA video modes"), and OEM
// numbers from 140h for the 32-bit modes and 320x200 at 8 bits, which VBE 1.2 has no number for.
// Data only: the ROM (mode list) and INT 10h AX=4Fxxh (vbe.ts) both read it.

export interface VbeMode {
  readonly mode: number;
  readonly width: number;
  readonly height: number;
  readonly bpp: number;
}

const m = (mode: number, width: number, height: number, bpp: number): VbeMode => ({ mode, width, height, bpp });

export const VBE_MODES: readonly VbeMode[] = [
  m(0x100, 640, 400, 8),
  m(0x101, 640, 480, 8),
  m(0x103, 800, 600, 8),
  m(0x105, 1024, 768, 8),
  m(0x107, 1280, 1024, 8),
  m(0x10d, 320, 200, 15),
  m(0x10e, 320, 200, 16),
  m(0x10f, 320, 200, 24),
  m(0x110, 640, 480, 15),
  m(0x111, 640, 480, 16),
  m(0x112, 640, 480, 24),
  m(0x113, 800, 600, 15),
  m(0x114, 800, 600, 16),
  m(0x115, 800, 600, 24),
  m(0x116, 1024, 768, 15),
  m(0x117, 1024, 768, 16),
  m(0x118, 1024, 768, 24),
  m(0x119, 1280, 1024, 15),
  m(0x11a, 1280, 1024, 16),
  m(0x11b, 1280, 1024, 24),
  m(0x140, 320, 200, 32),
  m(0x141, 640, 480, 32),
  m(0x142, 800, 600, 32),
  m(0x143, 1024, 768, 32),
  m(0x144, 1280, 1024, 32),
  m(0x145, 320, 200, 8),
];

/** Where the VBE tables sit in the ROM segment (F000:xxxx; the ACPI RSDP is at 6000h). */
export const VBE_MODE_LIST = 0x5000;
export const VBE_OEM_STRING = 0x5100;
export const VBE_VENDOR_NAME = 0x5120;
export const VBE_PRODUCT_NAME = 0x5130;
export const VBE_PRODUCT_REV = 0x5150;
/** The far routine ModeInfoBlock.WinFuncPtr names: AX=4F05h through INT 10h, then RETF. */
export const VBE_WINDOW_FUNCTION = 0x5160;

export const VBE_OEM_TEXT = "x86vm VBE over Bochs DISPI";
export const VBE_VENDOR_TEXT = "x86vm";
export const VBE_PRODUCT_TEXT = "Bochs VBE adapter";
export const VBE_REV_TEXT = "1.0";

/** The ROM bytes of the tables: (offset in the ROM segment, bytes) pairs. */
export function vbeRomTables(): [number, number[]][] {
  const list: number[] = [];
  for (const { mode } of VBE_MODES) list.push(mode & 0xff, mode >> 8);
  list.push(0xff, 0xff);
  const str = (s: string) => [...s].map((c) => c.charCodeAt(0)).concat(0);
  return [
    [VBE_MODE_LIST, list],
    [VBE_OEM_STRING, str(VBE_OEM_TEXT)],
    [VBE_VENDOR_NAME, str(VBE_VENDOR_TEXT)],
    [VBE_PRODUCT_NAME, str(VBE_PRODUCT_TEXT)],
    [VBE_PRODUCT_REV, str(VBE_REV_TEXT)],
    // push ax; mov ax,4F05h; int 10h; pop ax; retf
    [VBE_WINDOW_FUNCTION, [0x50, 0xb8, 0x05, 0x4f, 0xcd, 0x10, 0x58, 0xcb]],
  ];
}
