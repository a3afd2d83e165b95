// The VGA adapter's PCI function: vendor 1234h, device 1111h, class 030000h (VGA-compatible
// display controller), the identity of the Bochs/QEMU standard VGA that Linux's bochs-drm and
// the VBE BIOSes look for. BAR0 is the linear framebuffer over the Bochs VBE video memory
// (prefetchable, VBE_VRAM_SIZE bytes). The legacy VGA ports and the A0000 window always
// decode, as on a PC the VGA's do whatever the command register says.
//
// Key design choice: the function only says where software put BAR0 and whether memory
// decoding is on (lfbBase()); the board moves the framebuffer's memory window to follow it
// (onLfbChange), as it does nothing else with the address.
//
// With a video BIOS (installRom, for firmware other than the built-in BIOS: docs/firmware.md)
// the function also has an expansion ROM BAR (30h), as a PCI display card does: firmware sizes
// it, places and enables it, copies the image to C0000h and calls its entry. SeaBIOS's
// vgabios-stdvga.bin names 1234h:1111h in its PCI data structure, and firmware runs only a ROM
// whose IDs match the function's. The board maps the ROM window where romAddress() says
// (onRomChange). Without a video BIOS the ROM BAR is absent and reads 0.

import type { MmioHandler } from "@x86vm/core";
import {
  PciFunction,
  PCI_ROM_ADDRESS,
  PCI_BAR0,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_STATUS_DEVSEL_MEDIUM,
} from "../pci/pci-function.ts";
import { VBE_VRAM_SIZE } from "./vbe.ts";

export const VGA_PCI_VENDOR_ID = 0x1234;
export const VGA_PCI_DEVICE_ID = 0x1111;
/** Base class 03h (display), subclass 00h (VGA compatible), programming interface 00h. */
export const VGA_PCI_CLASS = 0x030000;
/** Where the built-in firmware puts the framebuffer (QEMU's SeaBIOS uses the same region). */
export const VGA_LFB_BASE = 0xfd000000;
/** The smallest ROM BAR here (a page, so the window maps whole pages) and the largest video BIOS taken. */
const MIN_ROM_BAR = 0x1000;
export const MAX_VGA_ROM = 0x100000;

export class VgaPciFunction extends PciFunction {
  /** Called when the framebuffer's address or its decoding changes (null: not decoded). */
  onLfbChange: (base: number | null) => void = () => {};

  /** The video BIOS, padded with FFh to the ROM BAR's size; null without one. */
  rom: Uint8Array | null = null;
  /** Called when the expansion ROM's address or its decoding changes (null: not decoded). */
  onRomChange: (base: number | null) => void = () => {};

  /** @param lfbMemory what answers the framebuffer window (the Bochs VBE video memory). */
  constructor(readonly lfbMemory: MmioHandler) {
    super("vga-pci", {
      vendorId: VGA_PCI_VENDOR_ID,
      deviceId: VGA_PCI_DEVICE_ID,
      revision: 0x02,
      classCode: VGA_PCI_CLASS,
      subsystemVendorId: 0x1af4,
      subsystemId: 0x1100,
      command: 0,
      commandWritable: PCI_COMMAND_IO | PCI_COMMAND_MEMORY,
      status: PCI_STATUS_DEVSEL_MEDIUM,
    });
    this.defineMemoryBar(0, VBE_VRAM_SIZE, true);
  }

  /**
   * Gives the function a video BIOS behind an expansion ROM BAR sized to it (a power of two).
   * Only when the machine is built, before software has touched the function.
   */
  installRom(image: Uint8Array): void {
    if (this.rom) throw new Error("the VGA already has a video BIOS");
    if (image.length < 3 || image[0] !== 0x55 || image[1] !== 0xaa)
      throw new RangeError("a video BIOS image starts with the option ROM signature 55h AAh");
    if (image.length > MAX_VGA_ROM)
      throw new RangeError(`a video BIOS image is at most ${MAX_VGA_ROM >> 10} KiB, not ${image.length} bytes`);
    let size = MIN_ROM_BAR;
    while (size < image.length) size *= 2;
    this.rom = new Uint8Array(size).fill(0xff);
    this.rom.set(image);
    this.defineRomBar(size);
  }

  /** Reads of the expansion ROM window (read-only: writes are ignored). */
  romMemory(): MmioHandler {
    const rom = this.rom;
    if (!rom) throw new Error("the VGA has no video BIOS");
    return { read8: (offset) => rom[offset], write8: () => {} };
  }

  /** The expansion ROM's address while it and memory decoding are enabled, else null. */
  romBase(): number | null {
    const a = this.rom ? this.romAddress() : -1;
    return a < 0 ? null : a;
  }

  /** Tells the board where the framebuffer and the ROM decode now. */
  private decodeChanged(): void {
    this.onLfbChange(this.lfbBase());
    if (this.rom) this.onRomChange(this.romBase());
  }

  /** What a BIOS's POST does: BAR0 at `base`, I/O and memory decoding on. */
  firmwareInit(base = VGA_LFB_BASE): void {
    this.write(PCI_BAR0, 4, base);
    this.write(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
  }

  /** The framebuffer's physical address while memory decoding is on and BAR0 is set, else null. */
  lfbBase(): number | null {
    const base = this.barAddress(0);
    return (this.command & PCI_COMMAND_MEMORY) !== 0 && base !== 0 ? base : null;
  }

  /**
   * configProblem for a saved configuration space, leaving the expansion ROM BAR aside: whether
   * a machine has a video BIOS is its firmware's choice (the instance checks it in restoreConfig).
   */
  identityProblem(config: Uint8Array): string | null {
    if (config.length !== this.config.length) return this.configProblem(config);
    const copy = config.slice();
    copy.set(this.config.subarray(PCI_ROM_ADDRESS, PCI_ROM_ADDRESS + 4), PCI_ROM_ADDRESS);
    return this.configProblem(copy);
  }

  /** The configuration space, for the VGA's snapshot record. */
  configBytes(): Uint8Array {
    return this.config.slice();
  }

  /** Restores a configuration space saved by configBytes() (checked with configProblem first). */
  restoreConfig(bytes: Uint8Array): void {
    const problem = this.configProblem(bytes);
    if (problem) throw new RangeError(problem);
    this.config.set(bytes);
    this.decodeChanged();
  }

  protected override configWritten(offset: number, size: number): void {
    const end = offset + size;
    if ((offset < PCI_BAR0 + 4 && end > PCI_COMMAND) || (offset < PCI_ROM_ADDRESS + 4 && end > PCI_ROM_ADDRESS))
      this.decodeChanged();
  }

  protected override configRestored(): void {
    this.decodeChanged();
  }

  override reset(): void {
    super.reset();
    this.decodeChanged();
  }
}
