// The VGA adapter's PCI function: vendor 1234h, device 1111h, class 030000h (VGA-compatible
// display controller), the identity of the Bochs/QEMU standard VGA that Linux's bochs-drm and
// the VBE BIOSes look for. BAR0 is the linear framebuffer over the Bochs VBE video memory
// (prefetchable, VBE_VRAM_SIZE bytes). The legacy VGA ports and the A0000 window always
// decode, as on a PC the VGA's do whatever the command register says.
//
// Key design choice: the function only says where software put BAR0 and whether memory
// decoding is on (lfbBase()); the board moves the framebuffer's memory window to follow it
// (onLfbChange), as it does nothing else with the address.

import type { MmioHandler } from "@x86vm/core";
import {
  PciFunction,
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

export class VgaPciFunction extends PciFunction {
  /** Called when the framebuffer's address or its decoding changes (null: not decoded). */
  onLfbChange: (base: number | null) => void = () => {};

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

  /** The configuration space, for the VGA's snapshot record. */
  configBytes(): Uint8Array {
    return this.config.slice();
  }

  /** Restores a configuration space saved by configBytes() (checked with configProblem first). */
  restoreConfig(bytes: Uint8Array): void {
    const problem = this.configProblem(bytes);
    if (problem) throw new RangeError(problem);
    this.config.set(bytes);
    this.onLfbChange(this.lfbBase());
  }

  protected override configWritten(offset: number, size: number): void {
    if (offset < PCI_BAR0 + 4 && offset + size > PCI_COMMAND) this.onLfbChange(this.lfbBase());
  }

  protected override configRestored(): void {
    this.onLfbChange(this.lfbBase());
  }

  override reset(): void {
    super.reset();
    this.onLfbChange(this.lfbBase());
  }
}
