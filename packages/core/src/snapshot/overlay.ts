// Copy-on-write disk overlays in a snapshot: only the sectors the guest wrote.
//
//   u32 LE  n, the number of sectors
//   n x u32 LE sector numbers, strictly increasing
//   n x 512 the sectors' bytes, in the same order
//
// The section is deflated; the base image is referenced by its SHA-256 in the manifest.

import { SECTOR_SIZE } from "../storage/disk.ts";
import { SnapshotError } from "./error.ts";

/** Encodes an overlay (sector number -> 512 bytes). Copies, so the disk may change afterwards. */
export function encodeOverlay(overlay: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const sectors = [...overlay.keys()].sort((a, b) => a - b);
  const n = sectors.length;
  const out = new Uint8Array(4 + n * 4 + n * SECTOR_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n, true);
  sectors.forEach((s, i) => {
    dv.setUint32(4 + i * 4, s, true);
    out.set(overlay.get(s)!.subarray(0, SECTOR_SIZE), 4 + n * 4 + i * SECTOR_SIZE);
  });
  return out;
}

/** Raw size of an overlay section holding n sectors. */
export function overlayLength(n: number): number {
  return 4 + n * (4 + SECTOR_SIZE);
}

/**
 * Decodes an overlay section for a disk of diskSize bytes, expecting `count` sectors. Every
 * sector number must lie on the disk and appear once.
 */
export function decodeOverlay(raw: Uint8Array, count: number, diskSize: number, what: string): Map<number, Uint8Array> {
  if (raw.length !== overlayLength(count))
    throw new SnapshotError(`${what}: ${raw.length} bytes, ${overlayLength(count)} expected for ${count} sectors`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dv.getUint32(0, true) !== count)
    throw new SnapshotError(`${what}: holds ${dv.getUint32(0, true)} sectors, the manifest declares ${count}`);
  const diskSectors = Math.ceil(diskSize / SECTOR_SIZE);
  const out = new Map<number, Uint8Array>();
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const s = dv.getUint32(4 + i * 4, true);
    if (s <= prev) throw new SnapshotError(`${what}: sector numbers are not strictly increasing (${s} after ${prev})`);
    if (s >= diskSectors) throw new SnapshotError(`${what}: sector ${s} lies beyond the ${diskSectors}-sector disk`);
    prev = s;
    const at = 4 + count * 4 + i * SECTOR_SIZE;
    out.set(s, raw.slice(at, at + SECTOR_SIZE));
  }
  return out;
}
