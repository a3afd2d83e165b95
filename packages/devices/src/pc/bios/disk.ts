// INT 13h disk services for floppy drives (00h, 01h), hard disks (80h, 81h) and the CD-ROM
// drive (E0h): CHS reads and writes with the geometry the image size implies, the status and
// parameter functions DOS uses, the EDD extensions 41h-48h (2048-byte blocks on the CD), and
// the El Torito boot (no emulation, or a floppy image on the CD emulated as drive 00h) with its
// AH=4Bh status call. Media are reached directly through their DiskImage (the copy-on-write
// overlay keeps the image file untouched).
//
// Key design choice: every call first maps DL to a Drive (image, geometry, sector size, kind).
// Floppy emulation only changes that map: drive 00h becomes the floppy image on the CD and the
// physical drive 0 answers as 01h (El Torito 5.1), so the services themselves do not change.

import {
  SECTOR_SIZE,
  floppyGeometry,
  hardDiskGeometry,
  CS,
  DS,
  EDX,
  ES,
  IF,
  SS,
  type DiskImage,
  type ChsGeometry,
} from "@x86vm/core";
import type { Bios } from "./bios.ts";
import * as B from "./bda.ts";
import { DISKETTE_PARAMS, ROM_SEGMENT } from "./rom.ts";
import {
  CD_DRIVE,
  CD_SECTOR_SIZE,
  DEFAULT_LOAD_SEGMENT,
  DiskWindow,
  ElToritoError,
  EMULATED_FLOPPY_SIZE,
  MEDIA_HARD_DISK,
  MEDIA_NO_EMULATION,
  findBootEntry,
  type BootEntry,
} from "./eltorito.ts";

/** INT 13h status codes (AH). */
export const ST_OK = 0x00,
  ST_BAD_COMMAND = 0x01,
  ST_WRITE_PROTECTED = 0x03,
  ST_NOT_FOUND = 0x04;
export const ST_CHANGED = 0x06,
  ST_TIMEOUT = 0x80;

/** EDD drive parameter flags (INT 13h/48h, offset 2). */
const EDD_CHS_VALID = 0x0002,
  EDD_REMOVABLE = 0x0004,
  EDD_CHANGE_LINE = 0x0010;
/** Size of the INT 13h/4Bh specification packet. */
const SPEC_PACKET_SIZE = 0x13;
/** The CD drive is the master device of the secondary IDE channel (controller index 1). */
const CD_CONTROLLER_INDEX = 1;

type DriveKind = "floppy" | "hdd" | "cdrom";
interface Drive {
  image: DiskImage;
  geometry: ChsGeometry;
  kind: DriveKind;
  driveType: number;
  sectorSize: number;
}

/** How the last CD boot went, for INT 13h/4Bh (kept in the EBDA). */
interface CdBoot {
  media: number;
  drive: number;
  loadRba: number;
  loadSegment: number;
  sectorCount: number;
  emulating: boolean;
}
/** EBDA_CD_FLAGS bits. */
const CD_BOOTED = 0x01,
  CD_EMULATING = 0x02;

/** What INT 19h does with a bootable CD. */
export type CdBootResult = { kind: "absent" } | { kind: "failed"; reason: string } | { kind: "booted" };

export class DiskServices {
  /** Transfer buffers for 512-byte and 2048-byte sectors. */
  private readonly sector = new Uint8Array(SECTOR_SIZE);
  private readonly cdSector = new Uint8Array(CD_SECTOR_SIZE);
  /**
   * Media change latches of the physical floppy drives, bit n for drive n: set on insert and
   * eject, cleared when AH=16h reports them. Saved in the BIOS's snapshot record (Bios.STATE).
   */
  floppyChanged = 0;

  constructor(private readonly bios: Bios) {}

  /** The CD boot recorded in the EBDA, or null. */
  private cdBoot(): CdBoot | null {
    const b = this.bios;
    const flags = b.rb(b.ebda(B.EBDA_CD_FLAGS));
    if (!(flags & CD_BOOTED)) return null;
    return {
      media: b.rb(b.ebda(B.EBDA_CD_MEDIA)),
      drive: b.rb(b.ebda(B.EBDA_CD_DRIVE)),
      loadRba: b.rd(b.ebda(B.EBDA_CD_LOAD_RBA)) >>> 0,
      loadSegment: b.rw(b.ebda(B.EBDA_CD_LOAD_SEGMENT)),
      sectorCount: b.rw(b.ebda(B.EBDA_CD_SECTOR_COUNT)),
      emulating: (flags & CD_EMULATING) !== 0,
    };
  }

  private recordCdBoot(entry: BootEntry, drive: number, emulating: boolean): void {
    const b = this.bios;
    b.wb(b.ebda(B.EBDA_CD_MEDIA), entry.media);
    b.wb(b.ebda(B.EBDA_CD_DRIVE), drive);
    b.wd(b.ebda(B.EBDA_CD_LOAD_RBA), entry.loadRba);
    b.ww(b.ebda(B.EBDA_CD_LOAD_SEGMENT), entry.loadSegment);
    b.ww(b.ebda(B.EBDA_CD_SECTOR_COUNT), entry.sectorCount);
    b.wb(b.ebda(B.EBDA_CD_FLAGS), CD_BOOTED | (emulating ? CD_EMULATING : 0));
  }

  /** The floppy image on the CD that answers as drive 00h while emulation lasts, or null. */
  private emulatedFloppy(): DiskImage | null {
    const boot = this.cdBoot();
    const cd = boot?.emulating ? (this.bios.platform.cdrom?.() ?? null) : null;
    if (!boot || !cd) return null;
    const size = EMULATED_FLOPPY_SIZE[boot.media];
    return size && boot.loadRba * CD_SECTOR_SIZE + size <= cd.size
      ? new DiskWindow(cd, boot.loadRba * CD_SECTOR_SIZE, size)
      : null;
  }

  /** The physical floppy drive behind DL (emulation moves drive 0 to 01h), or -1. */
  private physicalFloppy(dl: number): number {
    if (this.emulatedFloppy()) return dl === 1 ? 0 : -1;
    return dl < 2 ? dl : -1;
  }

  private floppyDrive(image: DiskImage): Drive {
    const g = floppyGeometry(image.size);
    return {
      image,
      kind: "floppy",
      driveType: g.driveType,
      sectorSize: SECTOR_SIZE,
      geometry: {
        cylinders: g.cylinders,
        heads: g.heads,
        sectorsPerTrack: g.sectorsPerTrack,
        sectors: image.size / SECTOR_SIZE,
      },
    };
  }

  /** The drive behind DL, or null. */
  private drive(dl: number): Drive | null {
    const p = this.bios.platform;
    if (dl < 0x80) {
      const emulated = dl === 0 ? this.emulatedFloppy() : null;
      if (emulated) return this.floppyDrive(emulated);
      const phys = this.physicalFloppy(dl);
      const image = phys >= 0 ? p.floppy(phys) : null;
      return image ? this.floppyDrive(image) : null;
    }
    if (dl === CD_DRIVE) {
      const image = p.cdrom?.() ?? null;
      if (!image) return null;
      const blocks = Math.floor(image.size / CD_SECTOR_SIZE);
      return {
        image,
        kind: "cdrom",
        driveType: 0,
        sectorSize: CD_SECTOR_SIZE,
        geometry: { cylinders: 0, heads: 0, sectorsPerTrack: 0, sectors: blocks },
      };
    }
    const image = dl < 0x82 ? p.hardDisk(dl - 0x80) : null;
    if (!image) return null;
    return { image, kind: "hdd", driveType: 0, sectorSize: SECTOR_SIZE, geometry: hardDiskGeometry(image.size) };
  }

  /** The platform tells the BIOS when a floppy is inserted or ejected (physical drive number). */
  mediaChanged(drive: number): void {
    if (drive < 2) this.floppyChanged |= 1 << drive;
  }

  post(): void {
    const b = this.bios;
    b.wb(b.ebda(B.EBDA_CD_FLAGS), 0);
    let hd = 0;
    while (hd < 2 && b.platform.hardDisk(hd)) hd++;
    b.wb(B.BDA_HD_COUNT, hd);
    let fd = 0;
    for (let d = 0; d < 2; d++) if (b.platform.floppy(d)) fd = d + 1;
    this.setFloppyCount(fd);
  }

  /** The equipment word's floppy bits and the BDA media state of drives 0 and 1. */
  private setFloppyCount(fd: number): void {
    const b = this.bios;
    const eq = b.rw(B.BDA_EQUIPMENT) & ~0xc1;
    b.ww(B.BDA_EQUIPMENT, eq | (fd > 0 ? 1 | ((fd - 1) << 6) : 0));
    for (let d = 0; d < 2; d++) {
      const drv = this.drive(d);
      // Media state: 1.44M/2.88M known media at 500 kbps, others double density at 250 kbps.
      b.wb(B.BDA_FLOPPY_MEDIA + d, drv ? (drv.driveType >= 4 || drv.driveType === 2 ? 0x17 : 0x97) : 0);
    }
  }

  private setStatus(dl: number, st: number): void {
    this.bios.wb(dl < 0x80 ? B.BDA_FLOPPY_STATUS : B.BDA_HD_STATUS, st);
  }
  private finish(dl: number, st: number): void {
    this.setStatus(dl, st);
    if (st === ST_OK) {
      this.bios.cpu.r8[1] = 0;
      this.bios.ok();
    } else this.bios.fail(st);
  }

  int13(): void {
    const b = this.bios,
      cpu = b.cpu;
    const ah = b.ah,
      dl = cpu.r8[EDX << 2];
    const d = this.drive(dl);
    // CHS and floppy functions mean nothing to a no-emulation CD (El Torito 4.0).
    if (
      d?.kind === "cdrom" &&
      ((ah >= 0x02 && ah <= 0x05) || ah === 0x08 || ah === 0x0c || (ah >= 0x17 && ah <= 0x18))
    ) {
      this.finish(dl, ST_BAD_COMMAND);
      return;
    }
    switch (ah) {
      case 0x00: // reset
      case 0x0d: // alternate reset
        this.finish(dl, d || dl < 0x80 ? ST_OK : ST_TIMEOUT);
        return;
      case 0x01: {
        // status of last operation
        const st = b.rb(dl < 0x80 ? B.BDA_FLOPPY_STATUS : B.BDA_HD_STATUS);
        cpu.r8[1] = st;
        b.setReturnFlag(1, st !== 0);
        return;
      }
      case 0x02:
      case 0x03:
      case 0x04:
        this.chsTransfer(d, dl, ah);
        return; // read, write, verify sectors
      case 0x05:
        this.formatTrack(d, dl);
        return;
      case 0x08:
        this.parameters(d, dl);
        return;
      case 0x0c:
      case 0x10:
      case 0x11:
      case 0x14: // seek, test ready, recalibrate, diagnostics
        this.finish(dl, d ? ST_OK : ST_TIMEOUT);
        return;
      case 0x15: {
        // disk type
        if (!d) {
          cpu.r8[1] = 0;
          b.ok();
          return;
        }
        // 02h: floppy "or other removable drive" with change-line support (the CD as well).
        if (d.kind !== "hdd") cpu.r8[1] = 0x02;
        else {
          cpu.r8[1] = 0x03;
          const n = d.geometry.sectors;
          cpu.r16[2] = Math.floor(n / 65536);
          cpu.r16[4] = n & 0xffff;
        }
        b.ok();
        return;
      }
      case 0x16: {
        // media change status (floppy)
        if (d?.kind === "cdrom") {
          this.finish(dl, ST_OK);
          return;
        }
        const phys = this.physicalFloppy(dl);
        if (dl === 0 && this.emulatedFloppy()) {
          this.finish(dl, ST_OK);
          return;
        } // the CD's floppy never changes
        if (phys < 0 || !d) {
          this.finish(dl, ST_TIMEOUT);
          return;
        }
        const ch = this.floppyChanged & (1 << phys);
        this.floppyChanged &= ~(1 << phys);
        this.finish(dl, ch ? ST_CHANGED : ST_OK);
        return;
      }
      case 0x17:
      case 0x18: // set media type for format
        if (ah === 0x18 && d) {
          cpu.loadSegReal(ES, ROM_SEGMENT);
          cpu.r16[14] = DISKETTE_PARAMS;
        }
        this.finish(dl, d ? ST_OK : ST_TIMEOUT);
        return;
      case 0x41: // extensions present?
        if (!d || d.kind === "floppy" || cpu.r16[6] !== 0x55aa) {
          this.finish(dl, ST_BAD_COMMAND);
          return;
        }
        cpu.r16[6] = 0xaa55;
        cpu.r8[1] = 0x30; // EDD 3.0
        cpu.r16[2] = 0x0001; // fixed disk access subset (42h-44h, 47h, 48h)
        b.ok();
        return;
      case 0x42:
      case 0x43:
      case 0x44:
      case 0x47:
        this.extendedTransfer(d, dl, ah);
        return;
      case 0x48:
        this.eddParameters(d, dl);
        return;
      case 0x4b:
        this.cdStatus(dl);
        return;
      default:
        b.unsupportedCall(0x13);
        this.setStatus(dl, ST_BAD_COMMAND);
    }
  }

  private chsTransfer(d: Drive | null, dl: number, ah: number): void {
    const b = this.bios,
      cpu = b.cpu;
    if (!d) {
      cpu.r8[0] = 0;
      this.finish(dl, ST_TIMEOUT);
      return;
    }
    const count = b.al;
    const cyl = cpu.r8[5] | ((cpu.r8[4] & 0xc0) << 2); // CH | CL bits 6-7
    const sec = cpu.r8[4] & 0x3f;
    const head = cpu.r8[(EDX << 2) | 1];
    const g = d.geometry;
    if (sec === 0 || sec > g.sectorsPerTrack || head >= g.heads || cyl >= Math.max(g.cylinders, 1024) || count === 0) {
      cpu.r8[0] = 0;
      this.finish(dl, ST_NOT_FOUND);
      return;
    }
    const lba = (cyl * g.heads + head) * g.sectorsPerTrack + sec - 1;
    const done = this.transfer(d, ah, lba, count, b.lin(b.es, cpu.r16[6]));
    cpu.r8[0] = done.count;
    this.finish(dl, done.status);
  }

  /** AH=05h (floppy): fills the track's sectors. */
  private formatTrack(d: Drive | null, dl: number): void {
    const cpu = this.bios.cpu;
    if (!d) {
      this.finish(dl, ST_TIMEOUT);
      return;
    }
    if (d.image.readOnly) {
      this.finish(dl, ST_WRITE_PROTECTED);
      return;
    }
    const g = d.geometry;
    const cyl = cpu.r8[5],
      head = cpu.r8[(EDX << 2) | 1];
    const filler = new Uint8Array(SECTOR_SIZE).fill(0xf6);
    const first = (cyl * g.heads + head) * g.sectorsPerTrack;
    for (let s = 0; s < g.sectorsPerTrack && first + s < g.sectors; s++)
      d.image.write((first + s) * SECTOR_SIZE, filler);
    this.finish(dl, ST_OK);
  }

  /** AH=08h: drive parameters. */
  private parameters(d: Drive | null, dl: number): void {
    const b = this.bios,
      cpu = b.cpu;
    if (!d) {
      if (dl < 0x80) {
        // a floppy controller with an empty drive still answers
        cpu.r16[0] = 0;
        cpu.r16[6] = 0;
        cpu.r16[2] = 0;
        cpu.r16[4] = this.floppyCount();
        b.ok();
      } else this.finish(dl, ST_BAD_COMMAND);
      return;
    }
    const g = d.geometry;
    const maxCyl = Math.min(g.cylinders, 1024) - 1;
    cpu.r16[0] = 0;
    cpu.r8[5] = maxCyl & 0xff;
    cpu.r8[4] = g.sectorsPerTrack | ((maxCyl >> 2) & 0xc0);
    cpu.r8[(EDX << 2) | 1] = g.heads - 1;
    if (d.kind === "floppy") {
      cpu.r8[EDX << 2] = this.floppyCount();
      cpu.r16[6] = d.driveType; // BL
      cpu.loadSegReal(ES, ROM_SEGMENT); // ES:DI -> diskette parameter table
      cpu.r16[14] = DISKETTE_PARAMS;
    } else {
      cpu.r8[EDX << 2] = b.rb(B.BDA_HD_COUNT);
    }
    this.finish(dl, ST_OK);
  }

  /** AH=42h/43h/44h/47h: extended read, write, verify, seek with the disk address packet at DS:SI. */
  private extendedTransfer(d: Drive | null, dl: number, ah: number): void {
    const b = this.bios,
      cpu = b.cpu;
    if (!d || d.kind === "floppy") {
      this.finish(dl, ST_BAD_COMMAND);
      return;
    }
    const dap = b.lin(cpu.sreg[DS], cpu.r16[12]);
    const size = b.rb(dap);
    if (size < 0x10) {
      this.finish(dl, ST_BAD_COMMAND);
      return;
    }
    const count = b.rw(dap + 2);
    let buf = b.lin(b.rw(dap + 6), b.rw(dap + 4));
    if (b.rd(dap + 4) === -1 && size >= 0x18) buf = b.rd(dap + 0x10);
    const lba = (b.rd(dap + 8) >>> 0) + (b.rd(dap + 12) >>> 0) * 4294967296;
    if (ah === 0x47) {
      this.finish(dl, lba < d.geometry.sectors ? ST_OK : ST_NOT_FOUND);
      return;
    }
    const done = this.transfer(d, ah === 0x42 ? 2 : ah === 0x43 ? 3 : 4, lba, count, buf);
    b.ww(dap + 2, done.count);
    this.finish(dl, done.status);
  }

  /** AH=48h: EDD drive parameters at DS:SI (EDD 1.1 result, with the EDD configuration pointer if there is room). */
  private eddParameters(d: Drive | null, dl: number): void {
    const b = this.bios,
      cpu = b.cpu;
    if (!d || d.kind === "floppy") {
      this.finish(dl, ST_BAD_COMMAND);
      return;
    }
    const out = b.lin(cpu.sreg[DS], cpu.r16[12]);
    const size = b.rw(out);
    if (size < 0x1a) {
      this.finish(dl, ST_BAD_COMMAND);
      return;
    }
    const g = d.geometry;
    const cd = d.kind === "cdrom";
    b.ww(out, size >= 0x1e ? 0x1e : 0x1a);
    // A CD has no CHS geometry (El Torito 4.2): removable with a change line, 2048-byte blocks.
    b.ww(out + 2, cd ? EDD_REMOVABLE | EDD_CHANGE_LINE : EDD_CHS_VALID);
    b.wd(out + 4, g.cylinders);
    b.wd(out + 8, g.heads);
    b.wd(out + 12, g.sectorsPerTrack);
    b.wd(out + 16, g.sectors % 4294967296);
    b.wd(out + 20, Math.floor(g.sectors / 4294967296));
    b.ww(out + 24, d.sectorSize);
    if (size >= 0x1e) b.wd(out + 26, -1); // no EDD configuration parameters
    this.finish(dl, ST_OK);
  }

  /** AH=4Bh: AL=00h terminate emulation and return status, AL=01h return status (El Torito 6.2). */
  private cdStatus(dl: number): void {
    const b = this.bios,
      cpu = b.cpu;
    const al = b.al;
    if (al > 1) {
      b.unsupportedCall(0x13);
      return;
    }
    const boot = this.cdBoot();
    // DL names the emulated drive (or the CD for no emulation); 7Fh means "any".
    if (!boot || (dl !== boot.drive && dl !== 0x7f)) {
      this.finish(dl, ST_BAD_COMMAND);
      return;
    }
    const p = b.lin(cpu.sreg[DS], cpu.r16[12]);
    const e = boot;
    const floppy = boot.drive === 0 ? this.emulatedFloppy() : null;
    b.wb(p, SPEC_PACKET_SIZE);
    b.wb(p + 1, e.media);
    b.wb(p + 2, boot.drive);
    b.wb(p + 3, CD_CONTROLLER_INDEX);
    b.wd(p + 4, e.loadRba);
    b.ww(p + 8, 0); // master device
    b.ww(p + 0x0a, 0);
    b.ww(p + 0x0c, e.loadSegment);
    b.ww(p + 0x0e, e.sectorCount);
    const emu = floppy ? this.floppyDrive(floppy).geometry : null;
    const maxCyl = emu ? emu.cylinders - 1 : 0;
    b.wb(p + 0x10, maxCyl & 0xff);
    b.wb(p + 0x11, emu ? emu.sectorsPerTrack | ((maxCyl >> 2) & 0xc0) : 0);
    b.wb(p + 0x12, emu ? emu.heads - 1 : 0);
    if (al === 0 && floppy) {
      // The physical drives get their numbers back.
      b.wb(b.ebda(B.EBDA_CD_FLAGS), CD_BOOTED);
      let fd = 0;
      for (let d = 0; d < 2; d++) if (b.platform.floppy(d)) fd = d + 1;
      this.setFloppyCount(fd);
    }
    this.finish(dl, ST_OK);
  }

  private floppyCount(): number {
    const eq = this.bios.rw(B.BDA_EQUIPMENT);
    return eq & 1 ? ((eq >> 6) & 3) + 1 : 0;
  }

  /** Moves count sectors between the image and guest memory; op 2 read, 3 write, 4 verify. */
  private transfer(d: Drive, op: number, lba: number, count: number, addr: number): { count: number; status: number } {
    const b = this.bios,
      size = d.sectorSize;
    if (op === 3 && d.image.readOnly) return { count: 0, status: ST_WRITE_PROTECTED };
    const buf = size === CD_SECTOR_SIZE ? this.cdSector : this.sector;
    let n = 0;
    for (; n < count; n++) {
      const s = lba + n;
      if (s >= d.geometry.sectors) return { count: n, status: ST_NOT_FOUND };
      if (op === 4) continue;
      const at = addr + n * size;
      if (op === 2) {
        d.image.read(s * size, buf);
        b.copyToGuest(at, buf);
      } else {
        b.copyFromGuest(at, buf);
        d.image.write(s * size, buf);
      }
    }
    return { count: n, status: ST_OK };
  }

  // ---- El Torito boot

  /**
   * INT 19h's CD step: finds the boot entry, loads the initial image and jumps to it with DL =
   * the boot drive (E0h without emulation, 00h for an emulated floppy). Hard disk emulation is
   * refused with a reason, as is a disc that is not bootable.
   */
  bootCdrom(): CdBootResult {
    const b = this.bios;
    const image = b.platform.cdrom?.() ?? null;
    if (!image) return { kind: "absent" };
    let entry: BootEntry;
    try {
      entry = findBootEntry(image);
    } catch (e) {
      if (e instanceof ElToritoError) return { kind: "failed", reason: e.message };
      throw e;
    }
    const dest = entry.loadSegment << 4;
    let drive: number;
    let bytes: Uint8Array;
    if (entry.media === MEDIA_NO_EMULATION) {
      bytes = new Uint8Array(Math.max(1, entry.sectorCount) * SECTOR_SIZE);
      if (entry.loadRba * CD_SECTOR_SIZE + bytes.length > image.size)
        return { kind: "failed", reason: "the boot image is past the end of the disc" };
      image.read(entry.loadRba * CD_SECTOR_SIZE, bytes);
      drive = CD_DRIVE;
    } else if (entry.media === MEDIA_HARD_DISK) {
      return {
        kind: "failed",
        reason: "hard disk emulation is not supported (use a no-emulation or floppy boot image)",
      };
    } else if (EMULATED_FLOPPY_SIZE[entry.media]) {
      let floppy: DiskImage;
      try {
        floppy = new DiskWindow(image, entry.loadRba * CD_SECTOR_SIZE, EMULATED_FLOPPY_SIZE[entry.media]);
      } catch (e) {
        if (e instanceof ElToritoError) return { kind: "failed", reason: e.message };
        throw e;
      }
      bytes = new Uint8Array(Math.max(1, entry.sectorCount) * SECTOR_SIZE);
      floppy.read(0, bytes);
      drive = 0x00;
    } else {
      return { kind: "failed", reason: `unknown boot media type ${entry.media}` };
    }
    if (dest < 0x500 || dest + bytes.length > B.EBDA_SEGMENT << 4) {
      return { kind: "failed", reason: `the boot image does not fit at segment ${entry.loadSegment.toString(16)}h` };
    }
    b.copyToGuest(dest, bytes);
    this.recordCdBoot(entry, drive, drive === 0x00);
    if (drive === 0x00) this.setFloppyCount(b.platform.floppy(0) ? 2 : 1);
    // The default load segment is entered as 0000:7C00, as a boot sector expects; others at seg:0000.
    const seg = entry.loadSegment === DEFAULT_LOAD_SEGMENT ? 0 : entry.loadSegment;
    jumpToBoot(b, seg, dest - (seg << 4), drive);
    return { kind: "booted" };
  }
}

/** Enters a loaded boot image: fresh stack below 7C00h, DS = ES = 0, DL = boot drive, interrupts on. */
export function jumpToBoot(b: Bios, cs: number, ip: number, drive: number): void {
  const cpu = b.cpu;
  cpu.loadSegReal(SS, 0);
  cpu.r16[8] = 0x7c00;
  cpu.loadSegReal(DS, 0);
  cpu.loadSegReal(ES, 0);
  cpu.r32[EDX] = drive;
  cpu.setFlag(IF, true);
  cpu.loadSegReal(CS, cs);
  cpu.setEip(ip);
}
