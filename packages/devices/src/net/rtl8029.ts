// The Realtek RTL8029(AS): an NE2000 on the PCI bus, vendor 10ECh, device 8029h, class 020000h
// (network controller, Ethernet). Its configuration space has one I/O BAR (BAR0) decoding the
// NE2000's 32 ports and uses interrupt pin INTA#; the chip behind the ports is ne2000.ts.
// Linux's ne2k-pci, and the packet drivers of other systems, look for this identity.
//
// Key design choice: the ports sit where the firmware puts BAR0 (firmwareInit) and the board
// wires them there, as it does the IDE bus master block: software that moves BAR0 elsewhere
// is not followed (no PC operating system does it to a BAR its firmware assigned).

import type { IoSurface, PortRange } from "@x86vm/core";
import { PciFunction, PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_STATUS_DEVSEL_MEDIUM } from "../pci/pci-function.ts";
import { NE2000_PORTS } from "./ne2000.ts";

export const RTL8029_VENDOR_ID = 0x10ec;
export const RTL8029_DEVICE_ID = 0x8029;
/** Base class 02h (network controller), subclass 00h (Ethernet), programming interface 00h. */
export const RTL8029_CLASS = 0x020000;

export class Rtl8029 extends PciFunction {
  constructor() {
    super("rtl8029", {
      vendorId: RTL8029_VENDOR_ID,
      deviceId: RTL8029_DEVICE_ID,
      revision: 0x00,
      classCode: RTL8029_CLASS,
      subsystemVendorId: RTL8029_VENDOR_ID,
      subsystemId: RTL8029_DEVICE_ID,
      interruptPin: 1,
      command: 0,
      commandWritable: PCI_COMMAND_IO | PCI_COMMAND_MASTER,
      status: PCI_STATUS_DEVSEL_MEDIUM,
    });
    this.defineIoBar(0, NE2000_PORTS);
  }
}

/**
 * `surface` answering only while `decodes()` holds (reads return all ones, writes are dropped
 * otherwise), for ports a PCI function decodes at its BAR.
 */
export function gatedSurface(surface: IoSurface, decodes: () => boolean): IoSurface {
  return {
    name: surface.name,
    ports: surface.ports.map((r) => {
      const g: PortRange = { base: r.base, count: r.count };
      const { read8, write8, read16, write16, read32, write32 } = r;
      if (read8) g.read8 = (o) => (decodes() ? read8(o) : 0xff);
      if (write8) g.write8 = (o, v) => (decodes() ? write8(o, v) : undefined);
      if (read16) g.read16 = (o) => (decodes() ? read16(o) : 0xffff);
      if (write16) g.write16 = (o, v) => (decodes() ? write16(o, v) : undefined);
      if (read32) g.read32 = (o) => (decodes() ? read32(o) : 0xffffffff);
      if (write32) g.write32 = (o, v) => (decodes() ? write32(o, v) : undefined);
      return g;
    }),
  };
}
