// Disk images as the platform sees them: a byte-addressed block store. Guest writes never
// reach the base image: CowDisk keeps every written 512-byte sector in an overlay, which is
// what a snapshot saves (only the sectors written).

export const SECTOR_SIZE = 512;

export interface DiskImage {
  /** Size in bytes. */
  readonly size: number;
  /** Reads dst.length bytes at byte offset. Out-of-range reads are the caller's error. */
  read(offset: number, dst: Uint8Array): void;
  write(offset: number, src: Uint8Array): void;
  readonly readOnly: boolean;
}

export class DiskRangeError extends Error {}

function checkRange(disk: DiskImage, offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > disk.size) {
    throw new DiskRangeError(`access of ${length} bytes at ${offset} is outside the ${disk.size}-byte disk`);
  }
}

/** A disk whose bytes are all in memory (a base image, or a blank disk). */
export class MemoryDisk implements DiskImage {
  readonly readOnly: boolean;
  constructor(
    readonly bytes: Uint8Array,
    readOnly = false,
  ) {
    this.readOnly = readOnly;
  }
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, dst: Uint8Array): void {
    checkRange(this, offset, dst.length);
    dst.set(this.bytes.subarray(offset, offset + dst.length));
  }
  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new DiskRangeError("disk is read-only");
    checkRange(this, offset, src.length);
    this.bytes.set(src, offset);
  }
}

/** Copy-on-write overlay: reads fall through to the base for sectors never written. */
export class CowDisk implements DiskImage {
  /** Written sectors by sector number. */
  readonly overlay = new Map<number, Uint8Array>();
  constructor(
    readonly base: DiskImage,
    readonly readOnly = false,
  ) {}
  get size(): number {
    return this.base.size;
  }

  read(offset: number, dst: Uint8Array): void {
    checkRange(this, offset, dst.length);
    let done = 0;
    while (done < dst.length) {
      const pos = offset + done;
      const sector = Math.floor(pos / SECTOR_SIZE),
        within = pos % SECTOR_SIZE;
      const n = Math.min(SECTOR_SIZE - within, dst.length - done);
      const s = this.overlay.get(sector);
      if (s) dst.set(s.subarray(within, within + n), done);
      else this.base.read(pos, dst.subarray(done, done + n));
      done += n;
    }
  }

  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new DiskRangeError("disk is read-only");
    checkRange(this, offset, src.length);
    let done = 0;
    while (done < src.length) {
      const pos = offset + done;
      const sector = Math.floor(pos / SECTOR_SIZE),
        within = pos % SECTOR_SIZE;
      const n = Math.min(SECTOR_SIZE - within, src.length - done);
      let s = this.overlay.get(sector);
      if (!s) {
        s = new Uint8Array(SECTOR_SIZE);
        const baseLen = Math.min(SECTOR_SIZE, this.base.size - sector * SECTOR_SIZE);
        this.base.read(sector * SECTOR_SIZE, s.subarray(0, baseLen));
        this.overlay.set(sector, s);
      }
      s.set(src.subarray(done, done + n), within);
      done += n;
    }
  }
}
