// Snapshot files on the host, for `vm boot --save-snapshot` and `vm resume`: saving a machine
// with hints to where its images are, and finding those images again by SHA-256 when resuming
// (the file given for the slot, the recorded hint, then any file of the right size beside the
// snapshot). The image slots are the board's (PC_IMAGE_SLOTS).

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { MemoryDisk } from "@x86vm/core";
import { PC_IMAGE_SLOTS, saveSnapshot, type PcImageSlot, type PcMachine } from "@x86vm/devices";
import { UsageError } from "../args.ts";

function sha256File(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

export function readBytes(file: string): Uint8Array | null {
  try {
    const b = fs.readFileSync(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch {
    return null;
  }
}

/**
 * Finds base images for a snapshot at `snapshotFile`: the files given for each slot, else the
 * recorded hint, else a file of the same size and SHA-256 beside the snapshot. Records the
 * file used for each slot in `found`.
 */
export function imageFinder(
  snapshotFile: string,
  given: Partial<Record<PcImageSlot, string>>,
  found = new Map<string, string>(),
) {
  const dir = path.dirname(path.resolve(snapshotFile));
  return (sha256: string, size: number, hint: string | null, slot: string): MemoryDisk | null => {
    const explicit = given[slot as PcImageSlot];
    if (explicit) {
      const bytes = readBytes(explicit);
      if (!bytes) throw new UsageError(`cannot read image ${explicit} for ${slot}`);
      found.set(slot, explicit);
      return new MemoryDisk(bytes, true); // restoreSnapshot checks size and hash, and says which differs
    }
    const candidates: string[] = [];
    if (hint && !/^[a-z][a-z0-9+.-]*:\/\//i.test(hint)) candidates.push(path.resolve(dir, hint), path.resolve(hint));
    try {
      for (const name of fs.readdirSync(dir).sort()) candidates.push(path.join(dir, name));
    } catch {
      /* no directory listing: hints only */
    }
    const tried = new Set<string>();
    for (const file of candidates) {
      if (tried.has(file)) continue;
      tried.add(file);
      try {
        const st = fs.statSync(file);
        if (!st.isFile() || st.size !== size) continue;
      } catch {
        continue;
      }
      const bytes = readBytes(file);
      if (bytes && sha256File(bytes) === sha256) {
        found.set(slot, file);
        return new MemoryDisk(bytes, true);
      }
    }
    return null;
  };
}

/** Where each image of a machine came from, as hints relative to the snapshot's directory. */
export function imageHints(
  snapshotFile: string,
  images: Partial<Record<PcImageSlot, string | undefined>>,
): Partial<Record<PcImageSlot, string>> {
  const dir = path.dirname(path.resolve(snapshotFile));
  const out: Partial<Record<PcImageSlot, string>> = {};
  for (const slot of PC_IMAGE_SLOTS) {
    const p = images[slot];
    if (p) out[slot] = path.relative(dir, path.resolve(p)) || path.basename(p);
  }
  return out;
}

/** Saves a snapshot of pc to file (written whole, then renamed into place). Returns its size. */
export async function saveSnapshotFile(
  pc: PcMachine,
  file: string,
  images: Partial<Record<PcImageSlot, string | undefined>>,
): Promise<number> {
  const bytes = await saveSnapshot(pc, { hints: imageHints(file, images), createdMs: Date.now() });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
  return bytes.length;
}
