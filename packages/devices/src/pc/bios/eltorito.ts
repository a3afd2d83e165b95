// El Torito bootable CD-ROM format ("El Torito" Bootable CD-ROM Format Specification 1.0,
// Phoenix/IBM 1995): the boot record volume descriptor at sector 17, the boot catalog it points
// to (validation entry, initial/default entry, section headers and entries), and the window
// onto the CD image that floppy emulation presents as drive 00h.
//
// Key design choice: parsing is separate from booting. findBootEntry() only reads the image
// and explains in one sentence why a disc cannot boot; the disk services (disk.ts) decide what
// to load and how INT 13h then maps drive numbers.

import type { DiskImage } from "@x86vm/core";

/** Logical block size of a CD (ISO 9660 sectors). */
export const CD_SECTOR_SIZE = 2048;
/** Sector of the boot record volume descriptor (El Torito 2.0, figure 7). */
export const BOOT_RECORD_SECTOR = 17;
/** Drive number the BIOS gives the CD drive for no-emulation boots and the INT 13h extensions. */
export const CD_DRIVE = 0xe0;
/** Default load segment when the catalog says 0 (El Torito 2.2). */
export const DEFAULT_LOAD_SEGMENT = 0x07c0;

/** Boot media types (initial/default entry byte 1, bits 3-0). */
export const MEDIA_NO_EMULATION = 0,
  MEDIA_FLOPPY_1200K = 1,
  MEDIA_FLOPPY_1440K = 2,
  MEDIA_FLOPPY_2880K = 3,
  MEDIA_HARD_DISK = 4;

/** Platform IDs (validation entry byte 1, section header byte 1). */
const PLATFORM_X86 = 0x00;
const HEADER_VALIDATION = 0x01,
  HEADER_MORE = 0x90,
  HEADER_FINAL = 0x91,
  BOOTABLE = 0x88;
const ENTRY_SIZE = 32;
const EL_TORITO_ID = "EL TORITO SPECIFICATION";

/** Sizes of the emulated floppies, by media type. */
export const EMULATED_FLOPPY_SIZE: Readonly<Record<number, number>> = {
  [MEDIA_FLOPPY_1200K]: 1228800,
  [MEDIA_FLOPPY_1440K]: 1474560,
  [MEDIA_FLOPPY_2880K]: 2949120,
};

/** A bootable entry of the boot catalog. */
export interface BootEntry {
  /** Media type (MEDIA_*). */
  media: number;
  /** Segment the initial image is loaded at (07C0h when the catalog says 0). */
  loadSegment: number;
  /** Partition type byte (hard disk emulation). */
  systemType: number;
  /** Number of 512-byte virtual sectors to load. */
  sectorCount: number;
  /** First CD sector of the image (2048-byte blocks). */
  loadRba: number;
  /** CD sector of the boot catalog. */
  catalogRba: number;
}

/** Why a CD cannot boot, in words for the screen. */
export class ElToritoError extends Error {}

function readSector(image: DiskImage, lba: number, what: string): Uint8Array {
  const buf = new Uint8Array(CD_SECTOR_SIZE);
  if ((lba + 1) * CD_SECTOR_SIZE > image.size)
    throw new ElToritoError(`the ${what} (sector ${lba}) is past the end of the disc`);
  image.read(lba * CD_SECTOR_SIZE, buf);
  return buf;
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** Reads the boot record and the catalog; returns the x86 entry to boot or throws ElToritoError. */
export function findBootEntry(image: DiskImage): BootEntry {
  if (image.size % CD_SECTOR_SIZE !== 0)
    throw new ElToritoError(`the image is not a whole number of ${CD_SECTOR_SIZE}-byte sectors`);
  const brvd = readSector(image, BOOT_RECORD_SECTOR, "boot record volume descriptor");
  const id = String.fromCharCode(...brvd.subarray(7, 7 + EL_TORITO_ID.length));
  if (
    brvd[0] !== 0 ||
    String.fromCharCode(...brvd.subarray(1, 6)) !== "CD001" ||
    brvd[6] !== 1 ||
    id !== EL_TORITO_ID
  ) {
    throw new ElToritoError("no El Torito boot record (not a bootable CD)");
  }
  const catalogRba = u32(brvd, 0x47);
  const cat = readSector(image, catalogRba, "boot catalog");
  // Validation entry: header 01h, key bytes 55h AAh, and the words of the entry sum to zero.
  let sum = 0;
  for (let o = 0; o < ENTRY_SIZE; o += 2) sum = (sum + u16(cat, o)) & 0xffff;
  if (cat[0] !== HEADER_VALIDATION || cat[30] !== 0x55 || cat[31] !== 0xaa || sum !== 0) {
    throw new ElToritoError("the boot catalog's validation entry is invalid");
  }
  const entry = (o: number): BootEntry => ({
    media: cat[o + 1] & 0x0f,
    loadSegment: u16(cat, o + 2) || DEFAULT_LOAD_SEGMENT,
    systemType: cat[o + 4],
    sectorCount: u16(cat, o + 6),
    loadRba: u32(cat, o + 8),
    catalogRba,
  });
  // The initial/default entry serves the platform the validation entry names.
  if (cat[1] === PLATFORM_X86 && cat[ENTRY_SIZE] === BOOTABLE) return entry(ENTRY_SIZE);
  // Otherwise the first bootable entry of an x86 section (El Torito 2.3, 2.4).
  for (let o = 2 * ENTRY_SIZE; o + ENTRY_SIZE <= CD_SECTOR_SIZE;) {
    const header = cat[o];
    if (header !== HEADER_MORE && header !== HEADER_FINAL) break;
    const platform = cat[o + 1],
      count = u16(cat, o + 2);
    o += ENTRY_SIZE;
    for (let i = 0; i < count && o + ENTRY_SIZE <= CD_SECTOR_SIZE; i++, o += ENTRY_SIZE) {
      // Section entry extensions (44h) belong to the entry before them.
      while (cat[o] === 0x44 && o + ENTRY_SIZE <= CD_SECTOR_SIZE) o += ENTRY_SIZE;
      if (platform === PLATFORM_X86 && cat[o] === BOOTABLE) return entry(o);
    }
    if (header === HEADER_FINAL) break;
  }
  throw new ElToritoError("the boot catalog has no bootable entry for x86 PCs");
}

/** A read-only window of `size` bytes at byte `offset` of a disc: the emulated floppy. */
export class DiskWindow implements DiskImage {
  readonly readOnly = true;
  constructor(
    private readonly base: DiskImage,
    private readonly offset: number,
    readonly size: number,
  ) {
    if (offset + size > base.size)
      throw new ElToritoError(`the ${size}-byte emulated disk runs past the end of the disc`);
  }
  read(offset: number, dst: Uint8Array): void {
    if (offset < 0 || offset + dst.length > this.size)
      throw new RangeError(`read of ${dst.length} bytes at ${offset} is outside the emulated disk`);
    this.base.read(this.offset + offset, dst);
  }
  write(): void {
    throw new RangeError("the emulated disk is on a CD: read-only");
  }
}
