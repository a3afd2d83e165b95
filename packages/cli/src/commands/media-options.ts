// The image options of `vm boot` and `vm resume`: one per media slot of the board
// (PC_MEDIA_SLOTS in packages/devices/src/pc/board.ts), named after the slot (--fda ... --cdrom,
// --kernel, --initrd), so a slot added to the board is an option of both.

import { PC_MEDIA_SLOTS, isPcImageSlot, type MediaKind, type MediaSlotSpec, type PcImageSlot } from "@x86vm/devices";
import type { OptionSpec } from "../args.ts";

/** The name of an image option's value in the help, by what the slot takes. */
const VALUE_NAME: Record<MediaKind, string> = {
  floppy: "IMG",
  hdd: "IMG",
  cdrom: "ISO",
  "boot-file": "FILE",
  firmware: "FILE",
};

/** One option per media slot, in the board's order; `help` gives each its line. */
export function mediaOptions(help: (slot: MediaSlotSpec, index: number) => string): OptionSpec[] {
  return PC_MEDIA_SLOTS.map((s, i) => ({ flag: `--${s.slot}`, value: VALUE_NAME[s.kind], help: help(s, i) }));
}

/** The slot an option names ("--fda" -> "fda"), or null when it is not an image option. */
export function mediaOptionSlot(flag: string): PcImageSlot | null {
  const slot = flag.slice(2);
  return flag.startsWith("--") && isPcImageSlot(slot) ? slot : null;
}
