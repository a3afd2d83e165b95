// @x86vm/devices: PC chipset and peripherals, one file per chip. No DOM, no Node APIs.
export { IrqOr, IrqPin, type IrqLine } from "./irq.ts";
export * from "./pic8259.ts";
export * from "./pit8254.ts";
export * from "./port61.ts";
export * from "./rtc146818.ts";
export * from "./i8042.ts";
export * from "./ps2-keyboard.ts";
export { keyCodeForName, parseKeyChord } from "./key-names.ts";
export * from "./ps2-mouse.ts";
export * from "./dma8237.ts";
export * from "./fdc82077.ts";
export { Vga, type DisplaySize, type TextScreen } from "./vga/vga.ts";
export { VgaMemory } from "./vga/memory.ts";
export * from "./vga/modes.ts";
export { CP437_TO_UNICODE } from "./vga/cp437.ts";
export { FONT_8X16 } from "./vga/font8x16.ts";
export { FONT_8X8 } from "./vga/font8x8.ts";
export { SystemControlPortA, PostCodePort } from "./port92.ts";
export { Bios, type BiosPlatform, type BootDevice, type BootFailure, type NoBoot } from "./pc/bios/bios.ts";
export { LinuxImageError, loadLinux, parseLinuxHeader, type LinuxBoot } from "./pc/bios/linux-loader.ts";
export {
  PcMachine,
  COM_PORTS,
  DEFAULT_START_TIME_MS,
  checkBiosImage,
  type PcFirmware,
  type PcOptions,
  type PcRunResult,
} from "./pc/pc.ts";
export * from "./uart16550.ts";
export * from "./net/ne2000.ts";
export * from "./net/rtl8029.ts";
export * from "./net/user-net.ts";
export * from "./net/nic-link.ts";
export * from "./net/virtio-net.ts";
export * from "./virtio/virtio-pci.ts";
export * from "./virtio/virtqueue.ts";
export type * from "./net/host-sockets.ts";
export { ip4, ip4Text, type Ip4 } from "./net/packets.ts";
export { DhcpLeases, macText, type DhcpLeaseOptions } from "./net/dhcp.ts";
export {
  DEFAULT_NIC_MAC,
  NIC_IO_BASE,
  NIC_IRQ,
  NIC_PCI_DEVICE,
  type PcNetOptions,
  FpuErrorPort,
  IDE_BUS_MASTER_BASE,
  PC_IMAGE_SLOTS,
  PC_MEDIA_SLOTS,
  PC_PARTS,
  NIC_MODELS,
  NIC_PARTS,
  NIC_ISA_IO_BASE,
  NIC_ISA_IRQ,
  nicModel,
  type NicModel,
  wireBoard,
  type BoardContext,
  type BoardPart,
  type PartId,
  type PartWires,
  type PcParts,
  type WiredBoard,
  isPcImageSlot,
  mediaSlot,
  type MediaKind,
  type MediaSlotSpec,
  type PcDriveSlot,
  type PcFirmwareSlot,
  type PcImageSlot,
} from "./pc/board.ts";
export {
  PC_BOARD,
  restoreSnapshot,
  saveSnapshot,
  type ImageResolver,
  type RestoreSnapshotOptions,
  type SaveSnapshotOptions,
} from "./pc/snapshot.ts";
