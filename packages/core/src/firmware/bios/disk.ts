// INT 13h disk services for floppy drives (00h, 01h) and hard disks (80h, 81h): CHS reads and
// writes with the geometry the image size implies, the status and parameter functions DOS
// uses, and the EDD extensions 41h-48h for hard disks. Media are reached directly through
// their DiskImage (the copy-on-write overlay keeps the image file untouched).

import { SECTOR_SIZE, type DiskImage } from "../../storage/disk.ts";
import { floppyGeometry, hardDiskGeometry, type ChsGeometry } from "../../storage/geometry.ts";
import { DS, EDX } from "../../cpu/regs.ts";
import type { Bios } from "./bios.ts";
import * as B from "./bda.ts";
import { DISKETTE_PARAMS, ROM_SEGMENT } from "./rom.ts";

/** INT 13h status codes (AH). */
export const ST_OK = 0x00, ST_BAD_COMMAND = 0x01, ST_WRITE_PROTECTED = 0x03, ST_NOT_FOUND = 0x04;
export const ST_CHANGED = 0x06, ST_TIMEOUT = 0x80;

interface Drive { image: DiskImage; geometry: ChsGeometry; floppy: boolean; driveType: number }

export class DiskServices {
  private readonly sector = new Uint8Array(SECTOR_SIZE);
  /** Media change flags for the floppy drives (set on insert/eject, cleared by AH=16h). */
  private readonly changed = [false, false];

  constructor(private readonly bios: Bios) {}

  /** The drive behind DL, or null. */
  private drive(dl: number): Drive | null {
    const p = this.bios.platform;
    if (dl < 0x80) {
      const image = dl < 2 ? p.floppy(dl) : null;
      if (!image) return null;
      const g = floppyGeometry(image.size);
      return { image, floppy: true, driveType: g.driveType, geometry: { cylinders: g.cylinders, heads: g.heads, sectorsPerTrack: g.sectorsPerTrack, sectors: image.size / SECTOR_SIZE } };
    }
    const image = dl < 0x82 ? p.hardDisk(dl - 0x80) : null;
    if (!image) return null;
    return { image, floppy: false, driveType: 0, geometry: hardDiskGeometry(image.size) };
  }

  /** The platform tells the BIOS when a floppy is inserted or ejected. */
  mediaChanged(drive: number): void { if (drive < 2) this.changed[drive] = true; }

  post(): void {
    const b = this.bios;
    let hd = 0;
    while (hd < 2 && b.platform.hardDisk(hd)) hd++;
    b.wb(B.BDA_HD_COUNT, hd);
    let fd = 0;
    for (let d = 0; d < 2; d++) if (b.platform.floppy(d)) fd = d + 1;
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
    if (st === ST_OK) { this.bios.cpu.r8[1] = 0; this.bios.ok(); } else this.bios.fail(st);
  }

  int13(): void {
    const b = this.bios, cpu = b.cpu;
    const ah = b.ah, dl = cpu.r8[EDX << 2];
    const d = this.drive(dl);
    switch (ah) {
      case 0x00: // reset
      case 0x0d: // alternate reset
        this.finish(dl, d || dl < 0x80 ? ST_OK : ST_TIMEOUT);
        return;
      case 0x01: { // status of last operation
        const st = b.rb(dl < 0x80 ? B.BDA_FLOPPY_STATUS : B.BDA_HD_STATUS);
        cpu.r8[1] = st;
        b.setReturnFlag(1, st !== 0);
        return;
      }
      case 0x02: case 0x03: case 0x04: { // read, write, verify sectors (CHS)
        if (!d) { this.finish(dl, ST_TIMEOUT); return; }
        const count = b.al;
        const cyl = cpu.r8[5] | ((cpu.r8[4] & 0xc0) << 2); // CH | CL bits 6-7
        const sec = cpu.r8[4] & 0x3f;
        const head = cpu.r8[EDX << 2 | 1];
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
        return;
      }
      case 0x05: { // format track (floppy): fill the track's sectors
        if (!d) { this.finish(dl, ST_TIMEOUT); return; }
        if (d.image.readOnly) { this.finish(dl, ST_WRITE_PROTECTED); return; }
        const g = d.geometry;
        const cyl = cpu.r8[5], head = cpu.r8[EDX << 2 | 1];
        const filler = new Uint8Array(SECTOR_SIZE).fill(0xf6);
        const first = (cyl * g.heads + head) * g.sectorsPerTrack;
        for (let s = 0; s < g.sectorsPerTrack && first + s < g.sectors; s++) d.image.write((first + s) * SECTOR_SIZE, filler);
        this.finish(dl, ST_OK);
        return;
      }
      case 0x08: { // drive parameters
        if (!d) {
          if (dl < 0x80) { // a floppy controller with an empty drive still answers
            cpu.r16[0] = 0; cpu.r16[6] = 0; cpu.r16[2] = 0; cpu.r16[4] = this.floppyCount();
            b.ok();
          } else this.finish(dl, ST_BAD_COMMAND);
          return;
        }
        const g = d.geometry;
        const maxCyl = Math.min(g.cylinders, 1024) - 1;
        cpu.r16[0] = 0;
        cpu.r8[5] = maxCyl & 0xff;
        cpu.r8[4] = g.sectorsPerTrack | ((maxCyl >> 2) & 0xc0);
        cpu.r8[EDX << 2 | 1] = g.heads - 1;
        if (d.floppy) {
          cpu.r8[EDX << 2] = this.floppyCount();
          cpu.r16[6] = d.driveType; // BL
          cpu.loadSegReal(0, ROM_SEGMENT); // ES:DI -> diskette parameter table
          cpu.r16[14] = DISKETTE_PARAMS;
        } else {
          cpu.r8[EDX << 2] = b.rb(B.BDA_HD_COUNT);
        }
        this.finish(dl, ST_OK);
        return;
      }
      case 0x0c: case 0x10: case 0x11: case 0x14: // seek, test ready, recalibrate, diagnostics
        this.finish(dl, d ? ST_OK : ST_TIMEOUT);
        return;
      case 0x15: { // disk type
        if (!d) { cpu.r8[1] = 0; b.ok(); return; }
        if (d.floppy) cpu.r8[1] = 0x02; // floppy with change line
        else {
          cpu.r8[1] = 0x03;
          const n = d.geometry.sectors;
          cpu.r16[2] = Math.floor(n / 65536); cpu.r16[4] = n & 0xffff;
        }
        b.ok();
        return;
      }
      case 0x16: { // media change status (floppy)
        if (dl >= 2 || !d) { this.finish(dl, ST_TIMEOUT); return; }
        const ch = this.changed[dl];
        this.changed[dl] = false;
        this.finish(dl, ch ? ST_CHANGED : ST_OK);
        return;
      }
      case 0x17: case 0x18: // set media type for format
        if (ah === 0x18 && d) { cpu.loadSegReal(0, ROM_SEGMENT); cpu.r16[14] = DISKETTE_PARAMS; }
        this.finish(dl, d ? ST_OK : ST_TIMEOUT);
        return;
      case 0x41: // extensions present?
        if (!d || d.floppy || cpu.r16[6] !== 0x55aa) { this.finish(dl, ST_BAD_COMMAND); return; }
        cpu.r16[6] = 0xaa55;
        cpu.r8[1] = 0x30;      // EDD 3.0
        cpu.r16[2] = 0x0001;   // fixed disk access subset (42h-44h, 47h, 48h)
        b.ok();
        return;
      case 0x42: case 0x43: case 0x44: case 0x47: { // extended read/write/verify/seek
        if (!d || d.floppy) { this.finish(dl, ST_BAD_COMMAND); return; }
        const dap = b.lin(cpu.sreg[DS], cpu.r16[12]);
        const size = b.rb(dap);
        if (size < 0x10) { this.finish(dl, ST_BAD_COMMAND); return; }
        const count = b.rw(dap + 2);
        let buf = b.lin(b.rw(dap + 6), b.rw(dap + 4));
        if (b.rd(dap + 4) === -1 && size >= 0x18) buf = b.rd(dap + 0x10);
        const lba = (b.rd(dap + 8) >>> 0) + (b.rd(dap + 12) >>> 0) * 4294967296;
        if (ah === 0x47) { this.finish(dl, lba < d.geometry.sectors ? ST_OK : ST_NOT_FOUND); return; }
        const done = this.transfer(d, ah === 0x42 ? 2 : ah === 0x43 ? 3 : 4, lba, count, buf);
        b.ww(dap + 2, done.count);
        this.finish(dl, done.status);
        return;
      }
      case 0x48: { // drive parameters (EDD)
        if (!d || d.floppy) { this.finish(dl, ST_BAD_COMMAND); return; }
        const out = b.lin(cpu.sreg[DS], cpu.r16[12]);
        const size = b.rw(out);
        if (size < 0x1a) { this.finish(dl, ST_BAD_COMMAND); return; }
        const g = d.geometry;
        b.ww(out, 0x1a);
        b.ww(out + 2, 0x0002); // CHS information valid
        b.wd(out + 4, g.cylinders); b.wd(out + 8, g.heads); b.wd(out + 12, g.sectorsPerTrack);
        b.wd(out + 16, g.sectors % 4294967296); b.wd(out + 20, Math.floor(g.sectors / 4294967296));
        b.ww(out + 24, SECTOR_SIZE);
        this.finish(dl, ST_OK);
        return;
      }
      default:
        b.unsupportedCall(0x13);
        this.setStatus(dl, ST_BAD_COMMAND);
    }
  }

  private floppyCount(): number {
    const eq = this.bios.rw(B.BDA_EQUIPMENT);
    return eq & 1 ? ((eq >> 6) & 3) + 1 : 0;
  }

  /** Moves count sectors between the image and guest memory; op 2 read, 3 write, 4 verify. */
  private transfer(d: Drive, op: number, lba: number, count: number, addr: number): { count: number; status: number } {
    const b = this.bios, buf = this.sector;
    if (op === 3 && d.image.readOnly) return { count: 0, status: ST_WRITE_PROTECTED };
    let n = 0;
    for (; n < count; n++) {
      const s = lba + n;
      if (s >= d.geometry.sectors) return { count: n, status: ST_NOT_FOUND };
      if (op === 4) continue;
      const at = addr + n * SECTOR_SIZE;
      if (op === 2) {
        d.image.read(s * SECTOR_SIZE, buf);
        b.copyToGuest(at, buf);
      } else {
        b.copyFromGuest(at, buf);
        d.image.write(s * SECTOR_SIZE, buf);
      }
    }
    return { count: n, status: ST_OK };
  }
}
