// The real-mode PCI BIOS (PCI BIOS Specification 2.1, chapter 3: INT 1Ah AH=B1h): installation
// check, find device by ID or by class code, and configuration space reads and writes of
// bytes, words and dwords. It works through the board's configuration access (platform
// pciConfig), the same space that ports CF8h/CFCh reach.
//
// Key design choice: the device search walks bus 0 as software would (function 0 first, the
// other functions only behind a multi-function header type), so the order of results is the
// order of the slots. The 32-bit BIOS32 service directory is not provided: protected-mode
// systems use configuration mechanism #1 directly.

import { ECX, EDX } from "@x86vm/core";
import type { Bios, PciConfigAccess } from "./bios.ts";

/** Return codes in AH (PCI BIOS 2.1, table 3-1). */
export const PCI_SUCCESSFUL = 0x00,
  PCI_FUNC_NOT_SUPPORTED = 0x81,
  PCI_BAD_VENDOR_ID = 0x83;
export const PCI_DEVICE_NOT_FOUND = 0x86,
  PCI_BAD_REGISTER_NUMBER = 0x87;

/** "PCI " in EDX after the installation check. */
const PCI_SIGNATURE = 0x20494350;
/** AL of the installation check: configuration mechanism #1 only, no special cycles. */
const HW_MECHANISM_1 = 0x01;
/** Interface level 2.10 (BH major, BL minor, BCD). */
const VERSION_BCD = 0x0210;
const CFG_VENDOR_ID = 0x00,
  CFG_CLASS_REV = 0x08,
  CFG_HEADER_TYPE = 0x0e;
const MULTI_FUNCTION = 0x80;

export class PciBiosServices {
  constructor(private readonly bios: Bios) {}

  /** INT 1Ah AH=B1h. */
  int1a(): void {
    const b = this.bios,
      cpu = b.cpu;
    const pci = b.platform.pciConfig;
    if (!pci) {
      b.unsupportedCall(0x1a);
      return;
    }
    switch (b.al) {
      case 0x01: // installation check
        cpu.r8[1] = PCI_SUCCESSFUL;
        cpu.r8[0] = HW_MECHANISM_1;
        cpu.r16[6] = VERSION_BCD;
        cpu.r8[4] = 0; // CL: last bus number
        cpu.r32[EDX] = PCI_SIGNATURE;
        b.ok();
        return;
      case 0x02: {
        // find device: CX device ID, DX vendor ID, SI index
        const vendor = cpu.r16[4];
        if (vendor === 0xffff) {
          b.fail(PCI_BAD_VENDOR_ID);
          return;
        }
        const id = ((cpu.r16[2] << 16) | vendor) >>> 0;
        this.answer(this.find(pci, cpu.r16[12], (f) => pci.read(0, f >> 3, f & 7, CFG_VENDOR_ID, 4) >>> 0 === id));
        return;
      }
      case 0x03: {
        // find class: ECX bits 23-0 class, subclass, programming interface; SI index
        const cls = cpu.r32[ECX] & 0xffffff;
        this.answer(this.find(pci, cpu.r16[12], (f) => pci.read(0, f >> 3, f & 7, CFG_CLASS_REV, 4) >>> 8 === cls));
        return;
      }
      case 0x08:
      case 0x09:
      case 0x0a:
        this.configRead(pci, 1 << (b.al - 0x08));
        return;
      case 0x0b:
      case 0x0c:
      case 0x0d:
        this.configWrite(pci, 1 << (b.al - 0x0b));
        return;
      default:
        // Special cycles (06h) and interrupt routing (0Eh, 0Fh) are not provided.
        b.unsupportedCall(0x1a, PCI_FUNC_NOT_SUPPORTED);
    }
  }

  /** The index-th function on bus 0 (as device << 3 | function) that matches, or -1. */
  private find(pci: PciConfigAccess, index: number, match: (devfn: number) => boolean): number {
    for (let dev = 0; dev < 32; dev++) {
      if ((pci.read(0, dev, 0, CFG_VENDOR_ID, 2) & 0xffff) === 0xffff) continue;
      const fns = pci.read(0, dev, 0, CFG_HEADER_TYPE, 1) & MULTI_FUNCTION ? 8 : 1;
      for (let fn = 0; fn < fns; fn++) {
        const devfn = (dev << 3) | fn;
        if ((pci.read(0, dev, fn, CFG_VENDOR_ID, 2) & 0xffff) === 0xffff) continue;
        if (match(devfn) && index-- === 0) return devfn;
      }
    }
    return -1;
  }

  /** BH = bus, BL = device/function on success; DEVICE_NOT_FOUND otherwise. */
  private answer(devfn: number): void {
    const b = this.bios,
      cpu = b.cpu;
    if (devfn < 0) {
      b.fail(PCI_DEVICE_NOT_FOUND);
      return;
    }
    cpu.r16[6] = devfn; // BH = bus 0
    cpu.r8[1] = PCI_SUCCESSFUL;
    b.ok();
  }

  /** BH bus, BL device/function, DI register, checked for the access size's alignment. */
  private target(size: number): { bus: number; dev: number; fn: number; reg: number } | null {
    const cpu = this.bios.cpu;
    const reg = cpu.r16[14];
    if (reg > 0xff || reg & (size - 1)) {
      this.bios.fail(PCI_BAD_REGISTER_NUMBER);
      return null;
    }
    const bl = cpu.r8[12];
    return { bus: cpu.r8[13], dev: bl >> 3, fn: bl & 7, reg };
  }

  private configRead(pci: PciConfigAccess, size: number): void {
    const b = this.bios,
      cpu = b.cpu;
    const t = this.target(size);
    if (!t) return;
    const v = pci.read(t.bus, t.dev, t.fn, t.reg, size);
    if (size === 1)
      cpu.r8[4] = v; // CL
    else if (size === 2)
      cpu.r16[2] = v; // CX
    else cpu.r32[ECX] = v; // ECX
    cpu.r8[1] = PCI_SUCCESSFUL;
    b.ok();
  }

  private configWrite(pci: PciConfigAccess, size: number): void {
    const b = this.bios,
      cpu = b.cpu;
    const t = this.target(size);
    if (!t) return;
    const v = size === 1 ? cpu.r8[4] : size === 2 ? cpu.r16[2] : cpu.r32[ECX] >>> 0;
    pci.write(t.bus, t.dev, t.fn, t.reg, size, v);
    cpu.r8[1] = PCI_SUCCESSFUL;
    b.ok();
  }
}
