// Snapshots of the PC (docs/snapshot-format.md): which state records, disks and options make
// up a PcMachine, and how to build a fresh one from a snapshot. The format itself, and all
// checking, is @x86vm/core's (packages/core/src/snapshot).
//
// Restore order: the snapshot is checked and its small sections decoded first; then the
// images are found and verified by SHA-256; only then is a new PcMachine built and loaded.
// The caller's machines are never touched, and every failure is a SnapshotError.

import {
  MemoryDisk,
  SnapshotError,
  applySnapshot,
  cpuStatefuls,
  decodeSnapshot,
  encodeSnapshot,
  stateEntries,
  verifyImage,
  type ClockMode,
  type DiskImage,
  type ImageRef,
  type JsonValue,
  type SnapshotDiskInput,
  type SnapshotLimits,
  type StateEntry,
  type Stateful,
  type VmMemory,
} from "@x86vm/core";
import type { BootDevice } from "./bios/bios.ts";
import { PcMachine } from "./pc.ts";
import {
  NIC_MODELS,
  NIC_PARTS,
  PC_BIOS_RECORD,
  PC_MEDIA_SLOTS,
  mediaSlot,
  type NicModel,
  type PcDriveSlot,
  type PcImageSlot,
} from "./board.ts";

export const PC_BOARD = "pc";

/**
 * Records added after snapshots were first written: a snapshot without one loads with that
 * state as the machine built it (for the BIOS: no floppy change pending; for the ACPI PM
 * registers: their power-on values; for the network card's link: no frames waiting).
 */
const LATER_RECORDS: ReadonlySet<string> = new Set([PC_BIOS_RECORD, "acpi-pm", "nic-link"]);

/** The network card a snapshot's records show (each card saves a record of its own), or null. */
function savedNic(ids: ReadonlySet<string>): NicModel | null {
  const cards = NIC_MODELS.filter((m) => ids.has(NIC_PARTS[m]));
  if (cards.length > 1) throw new SnapshotError(`snapshot has records of two network cards (${cards.join(", ")})`);
  return cards[0] ?? null;
}

/** The devices a saved boot order may name. */
const BOOT_DEVICES: readonly BootDevice[] = ["floppy", "cdrom", "hdd"];

export type { PcImageSlot } from "./board.ts";

export interface SaveSnapshotOptions {
  /** Where each image can be found again (a path or URL), recorded in the manifest. */
  hints?: Partial<Record<PcImageSlot, string>>;
  /** Embed the base images themselves (all, or the slots listed); by default they are referenced by hash only. */
  embedImages?: boolean | readonly PcImageSlot[];
  /** Recorded in the manifest only. */
  createdMs?: number;
  note?: string;
}

/**
 * Finds a base image by its SHA-256 and size (hint: where it was when saved; slot: the drive).
 * Return null when it is not available; the image is verified before use.
 */
export type ImageResolver = (
  sha256: string,
  size: number,
  hint: string | null,
  slot: string,
) => DiskImage | null | Promise<DiskImage | null>;

export interface RestoreSnapshotOptions extends SnapshotLimits {
  images?: ImageResolver;
  /** Clock mode of the restored machine (default: the snapshot's). */
  clock?: ClockMode;
  /** Host milliseconds for a realtime clock (performance.now). */
  hostMs?: () => number;
  /** The VM memory the host allocated; its RAM must have the snapshot's RAM size. */
  ram?: VmMemory;
}

/** The machine's media (board.ts) with their base images, in slot order. */
function pcDisks(pc: PcMachine): { slot: PcImageSlot; base: DiskImage; overlay: Map<number, Uint8Array> | null }[] {
  return PC_MEDIA_SLOTS.flatMap(({ slot }) => {
    const m = pc.mediaIn(slot);
    return m ? [{ slot, ...m }] : [];
  });
}

/**
 * State records in load order: the chips, then the parts that latch what other parts raise while
 * loading, so that each ends as its own record says: the IDE bus master (a drive's restored
 * INTRQ sets its interrupt bit) and the interrupt controller (every chip's lines); then the CPU
 * and its FPU (whose INTR and event bits are the saved ones).
 */
function loadOrder(pc: PcMachine): StateEntry[] {
  const named = pc.namedDevices();
  const ids = new Map<Stateful, string>(named.map(([id, d]) => [d, id]));
  const late: Stateful[] = [pc.ideBusMaster, pc.pic];
  const chips = named.map(([, d]) => d).filter((d) => !late.includes(d));
  return stateEntries([...chips, ...late, ...cpuStatefuls(pc.machine.cpu)], ids);
}

/**
 * Runs `f` with the CPU's time-stamp source held at one whole value, taken at its first reading.
 * The CPU record stores the TSC less the machine clock, and both saving and loading it read the
 * clock twice: on a realtime clock (fractional, moving nanoseconds) the two readings differ, and
 * the record would hold a fraction that loading refuses ("tscOffset must be an integer"). The
 * value is taken lazily so that, when loading, it is read after the saved time is restored.
 */
function withTscHeld<T>(pc: PcMachine, f: () => T): T {
  const cpu = pc.machine.cpu;
  const source = cpu.tsc;
  let held: number | null = null;
  cpu.tsc = () => (held ??= Math.floor(source()));
  const release = () => {
    cpu.tsc = source;
  };
  let out: T;
  try {
    out = f();
  } catch (e) {
    release();
    throw e;
  }
  if (out instanceof Promise) return out.finally(release) as T;
  release();
  return out;
}

/** Saves the machine. Its state is captured when this is called; the machine may run on at once. */
export async function saveSnapshot(pc: PcMachine, opts: SaveSnapshotOptions = {}): Promise<Uint8Array> {
  const embed = (slot: PcImageSlot) =>
    opts.embedImages === true || (Array.isArray(opts.embedImages) && opts.embedImages.includes(slot));
  const disks: SnapshotDiskInput[] = pcDisks(pc).map((d) => ({
    ...d,
    hint: opts.hints?.[d.slot] ?? null,
    embed: embed(d.slot),
  }));
  const platform = pc.bios.platform;
  const options: { [key: string]: JsonValue } = {
    bootOrder: platform.bootOrder ? [...platform.bootOrder] : null,
    cmdline: platform.linux ? platform.linux.cmdline : null,
  };
  // Only machines with APICs say so: other snapshots stay as they were before the option.
  if (platform.apic) options.apic = true;
  // encodeSnapshot captures the state before its first await: the TSC is held just for that.
  let encoding!: Promise<Uint8Array>;
  withTscHeld(pc, () => {
    encoding = encodeSnapshot({
      board: PC_BOARD,
      machine: pc.machine,
      states: loadOrder(pc),
      disks,
      options,
      meta: { createdMs: opts.createdMs, note: opts.note },
    });
  });
  return encoding;
}

async function resolveImage(
  ref: ImageRef,
  embedded: Uint8Array | null,
  resolver: ImageResolver | undefined,
): Promise<DiskImage> {
  if (embedded) return new MemoryDisk(embedded, true);
  let img: DiskImage | null = null;
  if (resolver) {
    try {
      img = await resolver(ref.sha256, ref.size, ref.hint, ref.slot);
    } catch (e) {
      throw new SnapshotError(`looking up the image for ${ref.slot} failed: ${(e as Error).message}`, { cause: e });
    }
  }
  if (!img) {
    throw new SnapshotError(
      `the image for ${ref.slot} is not available (SHA-256 ${ref.sha256}, ${ref.size} bytes${ref.hint ? `, was ${ref.hint}` : ""})`,
    );
  }
  await verifyImage(ref, img);
  return img;
}

function allBytes(img: DiskImage): Uint8Array {
  const out = new Uint8Array(img.size);
  img.read(0, out);
  return out;
}

/** Builds a new PcMachine from a snapshot. Throws SnapshotError; nothing else is changed. */
export async function restoreSnapshot(
  bytes: Uint8Array | ArrayBuffer,
  opts: RestoreSnapshotOptions = {},
): Promise<PcMachine> {
  const d = await decodeSnapshot(bytes, opts);
  const { manifest } = d;
  if (manifest.board !== PC_BOARD) throw new SnapshotError(`snapshot is of a '${manifest.board}' machine, not a PC`);
  const o = manifest.machine.options;
  const bootOrder = o.bootOrder ?? null;
  if (
    bootOrder !== null &&
    (!Array.isArray(bootOrder) ||
      bootOrder.length > BOOT_DEVICES.length ||
      bootOrder.some((b, i) => !BOOT_DEVICES.includes(b as BootDevice) || bootOrder.indexOf(b) !== i))
  ) {
    throw new SnapshotError("snapshot manifest: machine.options.bootOrder is not a list of floppy/cdrom/hdd");
  }
  const apic = o.apic ?? false;
  if (typeof apic !== "boolean")
    throw new SnapshotError("snapshot manifest: machine.options.apic is not true or false");
  const cmdline = o.cmdline ?? null;
  if (cmdline !== null && (typeof cmdline !== "string" || cmdline.length > 65536))
    throw new SnapshotError("snapshot manifest: machine.options.cmdline is not a string");
  for (const ref of manifest.images) {
    const spec = mediaSlot(ref.slot);
    if (!spec) throw new SnapshotError(`snapshot names an image slot '${ref.slot}' a PC does not have`);
    if (!spec.writable && ref.overlay)
      throw new SnapshotError(`snapshot has an overlay for ${ref.slot}, which is never written`);
    if (spec.writable && !ref.overlay) throw new SnapshotError(`snapshot has no overlay for drive ${ref.slot}`);
  }
  const slots = new Set(manifest.images.map((r) => r.slot));
  if (slots.has("initrd") && !slots.has("kernel")) throw new SnapshotError("snapshot has an initrd but no kernel");
  if (slots.has("kernel") !== (cmdline !== null))
    throw new SnapshotError("snapshot manifest: a kernel and its command line go together");
  const mode = opts.clock ?? manifest.machine.clock.mode;
  if (mode === "realtime" && !opts.hostMs)
    throw new SnapshotError("restoring with a realtime clock needs the hostMs option");
  if (opts.ram && opts.ram.ramBytes !== manifest.machine.memoryBytes) {
    throw new SnapshotError(
      `the VM memory given has ${opts.ram.ramBytes} bytes of RAM, the snapshot needs ${manifest.machine.memoryBytes}`,
    );
  }

  const nic = savedNic(new Set(d.states.map((s) => s.id)));
  const images = new Map<string, DiskImage>();
  for (const ref of manifest.images)
    images.set(ref.slot, await resolveImage(ref, await d.embeddedImage(ref.slot), opts.images));

  let pc: PcMachine;
  try {
    const kernel = images.get("kernel"),
      initrd = images.get("initrd");
    const drives: Partial<Record<PcDriveSlot, DiskImage>> = {};
    for (const { slot, kind } of PC_MEDIA_SLOTS) {
      const img = images.get(slot);
      if (img && kind !== "boot-file" && kind !== "firmware") drives[slot] = img;
    }
    const bios = images.get("bios"),
      vgaBios = images.get("vga-bios");
    pc = new PcMachine({
      ram: opts.ram ?? manifest.machine.memoryBytes,
      clock: mode,
      hostMs: opts.hostMs,
      ...drives,
      bootOrder: bootOrder ? (bootOrder as BootDevice[]) : undefined,
      // A machine with a network card saved its records (which card: NIC_PARTS); the station
      // address is in them. Snapshots from before the choice of cards have the RTL8029's.
      net: nic ? { card: nic } : null,
      apic,
      linux: kernel
        ? { kernel: allBytes(kernel), initrd: initrd ? allBytes(initrd) : null, cmdline: cmdline as string }
        : null,
      // Firmware is referenced like the kernel (by SHA-256): the restored machine maps the same images.
      firmware: bios ? { bios: allBytes(bios), vgaBios: vgaBios ? allBytes(vgaBios) : null } : null,
    });
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    throw new SnapshotError(`cannot build the machine the snapshot describes: ${(e as Error).message}`, { cause: e });
  }
  const overlays = new Map<string, Map<number, Uint8Array>>();
  for (const { slot } of PC_MEDIA_SLOTS) {
    const disk = pc.disk(slot);
    if (disk) overlays.set(slot, disk.overlay);
  }
  const saved = new Set(d.states.map((s) => s.id));
  const states = loadOrder(pc).filter((e) => saved.has(e.id) || !LATER_RECORDS.has(e.id));
  await withTscHeld(pc, () => applySnapshot(d, { machine: pc.machine, states, overlays, freshRam: !opts.ram }));
  return pc;
}
