// Builds a PC from the images the shell sent. Every image is checked here, before the machine
// exists, so a bad one fails with a message naming the file and what is wrong with it.

import {
  DiskFormatError,
  MemoryDisk,
  floppyGeometry,
  hardDiskGeometry,
  type ClockMode,
  type VmMemory,
} from "@x86vm/core";
import {
  PC_MEDIA_SLOTS,
  PcMachine,
  checkBiosImage,
  mediaSlot,
  type MediaKind,
  type NicModel,
  type PcOptions,
} from "@x86vm/devices";
import { messageOf } from "../shared/message.ts";
import { MEDIA_ROLE_NAMES, type MediaFile, type MediaRole } from "../shared/protocol.ts";

/** A bad or unusable image: shown to the user as it is. */
export class MediaError extends Error {}

/** Refuses an image whose size does not suit the kind of slot it goes in (DiskFormatError). */
const CHECK_SIZE: Record<MediaKind, (size: number) => void> = {
  floppy: (size) => floppyGeometry(size),
  hdd: (size) => hardDiskGeometry(size),
  cdrom: (size) => {
    if (size === 0 || size % 2048 !== 0)
      throw new DiskFormatError(`a CD image must be a non-zero multiple of 2048 bytes, got ${size}`);
  },
  "boot-file": () => {}, // the Linux loader checks the kernel's header when the machine is built
  firmware: () => {}, // the machine checks a BIOS image's size when it is built
};

/** A read-only disk over the file's bytes, after checking that its size suits the drive. */
export function diskFor(file: MediaFile): MemoryDisk {
  const bytes = new Uint8Array(file.bytes);
  try {
    CHECK_SIZE[mediaSlot(file.role)!.kind](bytes.length);
  } catch (e) {
    if (e instanceof DiskFormatError)
      throw new MediaError(`${file.name} cannot be the ${MEDIA_ROLE_NAMES[file.role]}: ${e.message}`);
    throw e;
  }
  return new MemoryDisk(bytes, true);
}

export interface MachineInput {
  ram: VmMemory;
  media: readonly MediaFile[];
  cmdline?: string;
  /** false: the 8259s only (PcOptions.apic; default with APICs). */
  apic?: boolean;
  startTimeMs: number;
  hostMs: () => number;
  /** Default realtime (hostMs). */
  clock?: ClockMode;
  /** A network card with this station address (6 bytes); none when absent. */
  mac?: Uint8Array;
  /** Which card, with `mac` (default "ne2k-pci"). */
  nic?: NicModel;
}

export function buildMachine(input: MachineInput): PcMachine {
  const byRole = new Map<MediaRole, MediaFile>();
  for (const f of input.media) {
    if (byRole.has(f.role))
      throw new MediaError(`two images for the ${MEDIA_ROLE_NAMES[f.role]}: ${byRole.get(f.role)!.name} and ${f.name}`);
    byRole.set(f.role, f);
  }
  const opts: PcOptions = {
    ram: input.ram,
    clock: input.clock ?? "realtime",
    hostMs: input.hostMs,
    startTimeMs: input.startTimeMs,
    apic: input.apic,
  };
  if (input.mac) opts.net = { mac: input.mac, ...(input.nic ? { card: input.nic } : {}) };
  // Each drive slot of the board (fda ... cdrom) takes its image as it is.
  for (const { slot, kind } of PC_MEDIA_SLOTS) {
    const f = byRole.get(slot);
    if (f && kind !== "boot-file" && kind !== "firmware") opts[slot] = diskFor(f);
  }
  const bios = byRole.get("bios"),
    vgaBios = byRole.get("vga-bios");
  if (vgaBios && !bios) throw new MediaError(`a video BIOS (${vgaBios.name}) needs a system BIOS to go with it`);
  if (bios) {
    if (byRole.has("kernel")) throw new MediaError("a Linux kernel boots only with the built-in BIOS");
    try {
      checkBiosImage(new Uint8Array(bios.bytes));
    } catch (e) {
      throw new MediaError(`${bios.name} cannot be the system BIOS: ${messageOf(e)}`);
    }
    opts.firmware = { bios: new Uint8Array(bios.bytes), vgaBios: vgaBios ? new Uint8Array(vgaBios.bytes) : null };
  }

  const kernel = byRole.get("kernel"),
    initrd = byRole.get("initrd");
  if (initrd && !kernel) throw new MediaError(`an initrd (${initrd.name}) needs a kernel to go with it`);
  if (kernel) {
    opts.linux = {
      kernel: new Uint8Array(kernel.bytes),
      initrd: initrd ? new Uint8Array(initrd.bytes) : null,
      cmdline: input.cmdline ?? "",
    };
  }
  if (![...byRole.keys()].some((r) => mediaSlot(r)!.kind !== "firmware"))
    throw new MediaError("nothing to boot: give a floppy, hard disk or CD image, or a kernel");
  if (opts.hda && !opts.fda) opts.bootOrder = ["hdd", "floppy"];
  try {
    const pc = new PcMachine({ ...opts, tripleFault: "stop" }); // the panel shows a triple fault as the VM's failure
    // The worker returns to its event loop between slices: compile WebAssembly off the thread.
    pc.machine.cpu.jit.compileMode = "async";
    return pc;
  } catch (e) {
    // The board checks the kernel's header before anything runs: say which file it refused.
    if (kernel) throw new MediaError(`${kernel.name} cannot be booted: ${messageOf(e)}`);
    throw e;
  }
}
