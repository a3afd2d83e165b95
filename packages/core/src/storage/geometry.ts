// Disk geometry derived from image size: the standard PC floppy formats, and the CHS
// translation a BIOS presents for hard disks (LBA-assisted: up to 255 heads, 63 sectors).

import { SECTOR_SIZE } from "./disk.ts";

export class DiskFormatError extends Error {}

/** A standard PC floppy format. */
export interface FloppyGeometry {
  readonly name: string;
  readonly size: number;
  readonly cylinders: number;
  readonly heads: number;
  readonly sectorsPerTrack: number;
  /** Data rates the media reads at, in kbit/s. */
  readonly rateKbps: readonly number[];
  /** Drive type as CMOS register 10h and INT 13h/08h (BL) report it: 1 = 360K ... 5 = 2.88M. */
  readonly driveType: number;
}

export const FLOPPY_FORMATS: readonly FloppyGeometry[] = [
  { name: "160K", size: 163840, cylinders: 40, heads: 1, sectorsPerTrack: 8, rateKbps: [250, 300], driveType: 1 },
  { name: "180K", size: 184320, cylinders: 40, heads: 1, sectorsPerTrack: 9, rateKbps: [250, 300], driveType: 1 },
  { name: "320K", size: 327680, cylinders: 40, heads: 2, sectorsPerTrack: 8, rateKbps: [250, 300], driveType: 1 },
  { name: "360K", size: 368640, cylinders: 40, heads: 2, sectorsPerTrack: 9, rateKbps: [250, 300], driveType: 1 },
  { name: "720K", size: 737280, cylinders: 80, heads: 2, sectorsPerTrack: 9, rateKbps: [250], driveType: 3 },
  { name: "1.2M", size: 1228800, cylinders: 80, heads: 2, sectorsPerTrack: 15, rateKbps: [500], driveType: 2 },
  { name: "1.44M", size: 1474560, cylinders: 80, heads: 2, sectorsPerTrack: 18, rateKbps: [500], driveType: 4 },
  { name: "2.88M", size: 2949120, cylinders: 80, heads: 2, sectorsPerTrack: 36, rateKbps: [1000], driveType: 5 },
];

/** The standard geometry for a floppy image of `size` bytes; throws DiskFormatError otherwise. */
export function floppyGeometry(size: number): FloppyGeometry {
  const g = FLOPPY_FORMATS.find((f) => f.size === size);
  if (!g) {
    throw new DiskFormatError(
      `a floppy image of ${size} bytes is not a standard format (expected one of ${FLOPPY_FORMATS.map((f) => `${f.name} = ${f.size}`).join(", ")} bytes)`,
    );
  }
  return g;
}

export interface ChsGeometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
  /** Total 512-byte sectors of the image. */
  sectors: number;
}

/**
 * The CHS geometry a BIOS reports for a hard disk: 63 sectors per track and the smallest
 * head count (16, 32, 64, 128, 255) that keeps cylinders within 1024; larger disks are
 * reached through the INT 13h extensions.
 */
export function hardDiskGeometry(size: number): ChsGeometry {
  if (size <= 0 || size % SECTOR_SIZE !== 0) {
    throw new DiskFormatError(`a hard disk image must be a non-zero multiple of ${SECTOR_SIZE} bytes, got ${size}`);
  }
  const sectors = size / SECTOR_SIZE;
  const spt = 63;
  let heads = 16;
  for (const h of [16, 32, 64, 128, 255]) {
    heads = h;
    if (Math.ceil(sectors / (h * spt)) <= 1024) break;
  }
  const cylinders = Math.max(1, Math.min(1024, Math.floor(sectors / (heads * spt))));
  return { cylinders, heads, sectorsPerTrack: spt, sectors };
}
