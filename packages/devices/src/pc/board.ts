// The PC board as data (STYLE.md 13): the media slots a PC has, each with the part that holds
// it, what kind of image it takes and whether the guest writes to it. PcMachine, the snapshot
// manifest's image slots, the CLI's image options and the page's slot lists all read this
// table, so a new drive is one entry here.

/** What a slot takes: how its image is checked, and which drive or loader holds it. */
export type MediaKind = "floppy" | "hdd" | "cdrom" | "boot-file";

export interface MediaSlotSpec {
  /** The slot's name: the PcOptions key, the snapshot manifest's image slot, the CLI's --option. */
  readonly slot: string;
  readonly kind: MediaKind;
  /** What people call it, for messages and labels: "floppy A:", "CD-ROM". */
  readonly title: string;
  /** The board part that holds the image (its id in the board table). */
  readonly part: string;
  /**
   * Whether the guest writes to it: written sectors go to a copy-on-write overlay that a
   * snapshot saves. CDs and boot files are read-only, and a snapshot holds no overlay for them.
   */
  readonly writable: boolean;
}

/** Every image slot of a PC, in the order snapshots list them. */
export const PC_MEDIA_SLOTS = [
  { slot: "fda", title: "floppy A:", kind: "floppy", part: "fdc", writable: true },
  { slot: "fdb", title: "floppy B:", kind: "floppy", part: "fdc", writable: true },
  { slot: "hda", title: "hard disk 0", kind: "hdd", part: "ide0", writable: true },
  { slot: "hdb", title: "hard disk 1", kind: "hdd", part: "ide0", writable: true },
  { slot: "cdrom", title: "CD-ROM", kind: "cdrom", part: "cdrom", writable: false },
  { slot: "kernel", title: "Linux kernel", kind: "boot-file", part: "bios", writable: false },
  { slot: "initrd", title: "initrd", kind: "boot-file", part: "bios", writable: false },
] as const satisfies readonly MediaSlotSpec[];

/** A drive or boot file of a PC that an image goes in. */
export type PcImageSlot = (typeof PC_MEDIA_SLOTS)[number]["slot"];

/** The slots that are drives (PcOptions keys taking a DiskImage). */
export type PcDriveSlot = Exclude<PcImageSlot, "kernel" | "initrd">;

/** The slot names, in table order. */
export const PC_IMAGE_SLOTS: readonly PcImageSlot[] = PC_MEDIA_SLOTS.map((s) => s.slot);

const BY_SLOT = new Map<string, MediaSlotSpec>(PC_MEDIA_SLOTS.map((s) => [s.slot, s]));

/** The slot called `name`, or null when a PC has no such slot. */
export function mediaSlot(name: string): MediaSlotSpec | null {
  return BY_SLOT.get(name) ?? null;
}

export function isPcImageSlot(name: string): name is PcImageSlot {
  return BY_SLOT.has(name);
}
