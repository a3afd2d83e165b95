// Snapshot files with an image in every media slot of the board: `vm boot`'s image options
// (one per slot) build the machine, saveSnapshotFile records where each image was, and the
// images are found again, by the recorded paths or by the files given for their slots, and
// restored into the same slots with the sectors the guest wrote.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSnapshotManifest } from "@x86vm/core";
import { PC_MEDIA_SLOTS, restoreSnapshot, type MediaKind, type PcImageSlot } from "@x86vm/devices";
import { buildPc, parseBootArgs } from "./boot.ts";
import { imageFinder, saveSnapshotFile } from "./snapshot-files.ts";

/** The smallest bzImage header the Linux loader accepts (nothing runs it). */
function tinyKernel(): Uint8Array {
  const kernel = new Uint8Array(0x3000);
  kernel[0x1f1] = 4;
  kernel[0x1fe] = 0x55;
  kernel[0x1ff] = 0xaa;
  kernel.set([0x48, 0x64, 0x72, 0x53], 0x202); // "HdrS"
  kernel[0x206] = 0x0c;
  kernel[0x207] = 0x02; // protocol 2.12
  kernel[0x211] = 1; // loaded high
  return kernel;
}

/** An image for a slot, different for every slot. */
function imageFor(slot: PcImageSlot, kind: MediaKind, seed: number): Uint8Array {
  if (slot === "kernel") return tinyKernel();
  const size = { floppy: 1474560, hdd: 2 * 1024 * 1024, cdrom: 64 * 2048, "boot-file": 5000, firmware: 0x10000 }[kind];
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i += 509) b[i] = (i * seed + seed) & 0xff;
  if (kind === "firmware") b.set([0x55, 0xaa, 0x80]); // an option ROM's signature (a system BIOS does not care)
  return b;
}

describe("snapshot files with every media slot", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-slots-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // A kernel boots only with the built-in BIOS: every slot but the firmware's, then every slot but the kernel's.
  it.each([
    ["a kernel", PC_MEDIA_SLOTS.filter((s) => s.kind !== "firmware")],
    ["firmware", PC_MEDIA_SLOTS.filter((s) => s.kind !== "boot-file")],
  ])("save where each image was and restore each into its slot, with the sectors written (%s)", async (_, slots) => {
    const files = new Map<PcImageSlot, string>();
    slots.forEach(({ slot, kind }, i) => {
      const file = path.join(dir, `${slot}.bin`);
      fs.writeFileSync(file, imageFor(slot, kind, i + 3));
      files.set(slot, file);
    });
    const args = parseBootArgs([...files].flatMap(([slot, file]) => [`--${slot}`, file]));
    const pc = buildPc(args);
    const written = new Uint8Array(512).fill(0x5a);
    for (const { slot, writable } of slots) if (writable) pc.disk(slot)!.write(512 * 7, written);
    const snapFile = path.join(dir, "all.snap");
    await saveSnapshotFile(pc, snapFile, args.images);
    const snap = new Uint8Array(fs.readFileSync(snapFile));
    const m = await readSnapshotManifest(snap);
    expect(m.images.map((r) => [r.slot, r.hint])).toEqual(slots.map((s) => [s.slot, `${s.slot}.bin`]));

    const check = async (finder: ReturnType<typeof imageFinder>) => {
      const back = await restoreSnapshot(snap, { images: finder });
      for (const { slot, writable } of slots) {
        const base = back.mediaIn(slot)!.base;
        const bytes = new Uint8Array(base.size);
        base.read(0, bytes);
        expect(Buffer.compare(bytes, fs.readFileSync(files.get(slot)!)), slot).toBe(0);
        if (!writable) continue;
        const sector = new Uint8Array(512);
        back.disk(slot)!.read(512 * 7, sector);
        expect(sector, slot).toEqual(written);
      }
    };
    // Found where they were...
    const found = new Map<string, string>();
    await check(imageFinder(snapFile, {}, found));
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries(files));
    // ... or, moved, given by the option of each slot (vm resume --fda ... --initrd).
    const moved = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-slots-moved-"));
    try {
      fs.copyFileSync(snapFile, path.join(moved, "all.snap"));
      const given = Object.fromEntries(files);
      await check(imageFinder(path.join(moved, "all.snap"), given));
    } finally {
      fs.rmSync(moved, { recursive: true, force: true });
    }
  });
});
