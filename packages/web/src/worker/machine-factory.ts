// Builds a PC from the images the shell sent. Every image is checked here, before the machine
// exists, so a bad one fails with a message naming the file and what is wrong with it.

import { DiskFormatError, MemoryDisk, floppyGeometry, hardDiskGeometry, type VmMemory } from "@x86vm/core";
import { PcMachine, type PcOptions } from "@x86vm/devices";
import { FEATURES } from "../shared/features.ts";
import { MEDIA_ROLE_NAMES, type MediaFile, type MediaRole } from "../shared/protocol.ts";

/** A bad or unusable image: shown to the user as it is. */
export class MediaError extends Error {}

const MiB = 1024 * 1024;

function sizeText(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`;
}

/** A read-only disk over the file's bytes, after checking that its size suits the drive. */
export function diskFor(file: MediaFile): MemoryDisk {
  const bytes = new Uint8Array(file.bytes);
  try {
    if (file.role === "fda" || file.role === "fdb") floppyGeometry(bytes.length);
    else if (file.role === "hda" || file.role === "hdb") hardDiskGeometry(bytes.length);
    else if (bytes.length === 0 || bytes.length % 2048 !== 0) {
      throw new DiskFormatError(`a CD image must be a non-zero multiple of 2048 bytes, got ${bytes.length}`);
    }
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
  startTimeMs: number;
  hostMs: () => number;
}

/** Options this build of PcMachine may not declare yet (see shared/features.ts). */
interface FutureOptions {
  cdrom?: MemoryDisk | null;
  linux?: { kernel: Uint8Array; initrd: Uint8Array | null; cmdline: string };
}

export function buildMachine(input: MachineInput): PcMachine {
  const byRole = new Map<MediaRole, MediaFile>();
  for (const f of input.media) {
    if (byRole.has(f.role))
      throw new MediaError(`two images for the ${MEDIA_ROLE_NAMES[f.role]}: ${byRole.get(f.role)!.name} and ${f.name}`);
    byRole.set(f.role, f);
  }
  const opts: PcOptions & FutureOptions = {
    ram: input.ram,
    clock: "realtime",
    hostMs: input.hostMs,
    startTimeMs: input.startTimeMs,
  };
  const fda = byRole.get("fda"),
    fdb = byRole.get("fdb"),
    hda = byRole.get("hda"),
    hdb = byRole.get("hdb");
  if (fda) opts.fda = diskFor(fda);
  if (fdb) opts.fdb = diskFor(fdb);
  if (hda) opts.hda = diskFor(hda);
  if (hdb) opts.hdb = diskFor(hdb);

  const cd = byRole.get("cdrom");
  if (cd) {
    const disk = diskFor(cd);
    if (!FEATURES.cdrom) {
      throw new MediaError(
        `${cd.name} (${sizeText(disk.size)}) is a CD image, and this build has no CD-ROM drive yet: it comes with the IDE controller`,
      );
    }
    opts.cdrom = disk;
  }

  const kernel = byRole.get("kernel"),
    initrd = byRole.get("initrd");
  if (initrd && !kernel) throw new MediaError(`an initrd (${initrd.name}) needs a kernel to go with it`);
  if (kernel) {
    if (!FEATURES.linuxLoader) {
      throw new MediaError(
        `cannot boot the Linux kernel ${kernel.name} (${sizeText(kernel.bytes.byteLength)}): this build of the emulator has no Linux loader yet ` +
          "(bzImage boot protocol); it arrives with Linux support in @x86vm/core",
      );
    }
    opts.linux = {
      kernel: new Uint8Array(kernel.bytes),
      initrd: initrd ? new Uint8Array(initrd.bytes) : null,
      cmdline: input.cmdline ?? "",
    };
  }
  if (!fda && !fdb && !hda && !hdb && !cd && !kernel)
    throw new MediaError("nothing to boot: give a floppy, hard disk or CD image, or a kernel");
  if (opts.hda && !opts.fda) opts.bootOrder = ["hdd", "floppy"];
  try {
    const pc = new PcMachine({ ...opts, tripleFault: "stop" }); // the panel shows a triple fault as the VM's failure
    // The worker returns to its event loop between slices: compile WebAssembly off the thread.
    pc.machine.cpu.jit.compileMode = "async";
    return pc;
  } catch (e) {
    // The board checks the kernel's header before anything runs: say which file it refused.
    if (kernel) throw new MediaError(`${kernel.name} cannot be booted: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}
