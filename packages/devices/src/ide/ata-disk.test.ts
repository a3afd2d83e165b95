import { describe, it, expect } from "vitest";
import { CowDisk, MemoryDisk, StateError, cloneState, hardDiskGeometry, type DiskImage } from "@x86vm/core";
import { DeviceHarness } from "../testing/harness.ts";
import { IdeChannel } from "./ide-channel.ts";
import { AtaDisk } from "./ata-disk.ts";
import { AtapiCdrom } from "./atapi-cdrom.ts";
import {
  IdeBusMaster,
  BM_CMD_START,
  BM_CMD_WRITE,
  BM_ST_ACTIVE,
  BM_ST_ERROR,
  BM_ST_INTERRUPT,
  PRD_EOT,
} from "./bus-master.ts";
import {
  ATA_SR_BSY,
  ATA_SR_DRDY,
  ATA_SR_DRQ,
  ATA_SR_DSC,
  ATA_SR_ERR,
  ATA_ER_ABRT,
  ATA_ER_IDNF,
  ATA_DC_SRST,
  ATA_DC_NIEN,
  ATA_DC_HOB,
  ATA_CMD_IDENTIFY,
  ATA_CMD_READ_SECTORS,
  ATA_CMD_READ_SECTORS_EXT,
  ATA_CMD_WRITE_SECTORS,
  ATA_CMD_WRITE_SECTORS_EXT,
  ATA_CMD_READ_MULTIPLE,
  ATA_CMD_WRITE_MULTIPLE,
  ATA_CMD_READ_MULTIPLE_EXT,
  ATA_CMD_SET_MULTIPLE,
  ATA_CMD_INITIALIZE_PARAMETERS,
  ATA_CMD_READ_VERIFY,
  ATA_CMD_READ_VERIFY_EXT,
  ATA_CMD_SET_FEATURES,
  ATA_CMD_FLUSH_CACHE,
  ATA_CMD_FLUSH_CACHE_EXT,
  ATA_CMD_STANDBY_IMMEDIATE,
  ATA_CMD_IDLE_IMMEDIATE,
  ATA_CMD_CHECK_POWER_MODE,
  ATA_CMD_READ_DMA,
  ATA_CMD_WRITE_DMA_EXT,
  ATA_CMD_PACKET,
  ATA_CMD_EXECUTE_DIAGNOSTIC,
  ATA_CMD_READ_SECTORS_NORETRY,
  ATA_CMD_WRITE_SECTORS_NORETRY,
  ATA_CMD_IDENTIFY_PACKET,
  ATA_CMD_READ_NATIVE_MAX_EXT,
} from "./ata-regs.ts";

const CMD = 0x1f0,
  CTRL = 0x3f6;
const DATA = CMD,
  ERR = CMD + 1,
  FEAT = CMD + 1,
  COUNT = CMD + 2,
  LBAL = CMD + 3,
  LBAM = CMD + 4,
  LBAH = CMD + 5,
  DEV = CMD + 6,
  STATUS = CMD + 7,
  COMMAND = CMD + 7;
const BM_BASE = 0xc000;
const SECTORS = 4096; // 2 MiB

const sectorByte = (lba: number, i: number) => (lba * 13 + i * 7 + (lba >> 8)) & 0xff;
/** A read-only base image whose bytes are computed, so large disks cost no memory. */
class PatternDisk implements DiskImage {
  readonly readOnly = true;
  constructor(readonly size: number) {}
  read(offset: number, dst: Uint8Array): void {
    for (let i = 0; i < dst.length; i++) {
      const p = offset + i;
      dst[i] = sectorByte(Math.floor(p / 512), p % 512);
    }
  }
  write(): void {
    throw new Error("the base image must never be written");
  }
  bytesAt(offset: number, length: number): Uint8Array {
    const b = new Uint8Array(length);
    this.read(offset, b);
    return b;
  }
}

class FakeMemory {
  readonly bytes = new Uint8Array(1 << 20);
  read8(a: number): number {
    return this.bytes[a & 0xfffff];
  }
  write8(a: number, v: number): void {
    this.bytes[a & 0xfffff] = v;
  }
}

function setup(
  opts: {
    sectors?: number;
    readOnly?: boolean;
    slave?: "ata" | "atapi" | null;
    master?: boolean;
    busMaster?: boolean;
  } = {},
) {
  const h = new DeviceHarness();
  const irq = h.irq("irq14");
  const channel = new IdeChannel(irq);
  const base = new PatternDisk((opts.sectors ?? SECTORS) * 512);
  const image = new CowDisk(base, opts.readOnly ?? false);
  const disk = new AtaDisk(image, { model: "TEST DISK MODEL", serial: "SN12345", firmware: "FW1" });
  if (opts.master !== false) channel.attach(0, disk);
  if (opts.slave === "ata") channel.attach(1, new AtaDisk(new CowDisk(new MemoryDisk(new Uint8Array(512 * 1024)))));
  if (opts.slave === "atapi") channel.attach(1, new AtapiCdrom());
  h.attach(channel.ioSurface(CMD, CTRL));
  const mem = new FakeMemory();
  const bm = opts.busMaster ? new IdeBusMaster(mem, [channel]) : null;
  if (bm) h.attach(bm.ioSurface(BM_BASE));
  return { h, irq, channel, base, image, disk, mem, bm };
}
type Env = ReturnType<typeof setup>;

function lba28(h: DeviceHarness, lba: number, count: number, dev = 0): void {
  h.outb(DEV, 0xe0 | (dev << 4) | ((lba >>> 24) & 0x0f));
  h.outb(COUNT, count & 0xff);
  h.outb(LBAL, lba & 0xff);
  h.outb(LBAM, (lba >>> 8) & 0xff);
  h.outb(LBAH, (lba >>> 16) & 0xff);
}
function lba48(h: DeviceHarness, lba: number, count: number): void {
  h.outb(DEV, 0x40);
  const hi = Math.floor(lba / 0x1000000);
  h.outb(COUNT, count >> 8);
  h.outb(LBAL, hi & 0xff);
  h.outb(LBAM, (hi >> 8) & 0xff);
  h.outb(LBAH, (hi >> 16) & 0xff);
  h.outb(COUNT, count & 0xff);
  h.outb(LBAL, lba & 0xff);
  h.outb(LBAM, (lba >>> 8) & 0xff);
  h.outb(LBAH, (lba >>> 16) & 0xff);
}
function readBlock(h: DeviceHarness, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 2) {
    const w = h.inw(DATA);
    out[i] = w & 0xff;
    out[i + 1] = w >> 8;
  }
  return out;
}
function writeBlock(h: DeviceHarness, data: Uint8Array): void {
  for (let i = 0; i < data.length; i += 2) h.outw(DATA, data[i] | (data[i + 1] << 8));
}
function words(b: Uint8Array): number[] {
  const w: number[] = [];
  for (let i = 0; i < b.length; i += 2) w.push(b[i] | (b[i + 1] << 8));
  return w;
}
/** An ATA string field read back: characters come high byte first in each word. */
function ataString(w: number[], first: number, count: number): string {
  let s = "";
  for (let i = first; i < first + count; i++) s += String.fromCharCode(w[i] >> 8, w[i] & 0xff);
  return s.trimEnd();
}
function expected(lba: number, count = 1): Uint8Array {
  const b = new Uint8Array(count * 512);
  for (let s = 0; s < count; s++) for (let i = 0; i < 512; i++) b[s * 512 + i] = sectorByte(lba + s, i);
  return b;
}

/** Linux's ata_devchk: whether a device answers register writes at `dev`. */
function devchk(h: DeviceHarness, dev: number): boolean {
  h.outb(DEV, 0xa0 | (dev << 4));
  h.outb(COUNT, 0x55);
  h.outb(LBAL, 0xaa);
  h.outb(COUNT, 0xaa);
  h.outb(LBAL, 0x55);
  h.outb(COUNT, 0x55);
  h.outb(LBAL, 0xaa);
  return h.inb(COUNT) === 0x55 && h.inb(LBAL) === 0xaa;
}
/** Software reset as ata_sff_softreset does it. */
function srst(h: DeviceHarness): void {
  h.outb(DEV, 0xa0);
  h.outb(CTRL, ATA_DC_NIEN);
  h.outb(CTRL, ATA_DC_NIEN | ATA_DC_SRST);
  expect(h.inb(CTRL) & ATA_SR_BSY).toBe(ATA_SR_BSY);
  h.outb(CTRL, ATA_DC_NIEN);
}
function signature(h: DeviceHarness, dev: number) {
  h.outb(DEV, 0xa0 | (dev << 4));
  return {
    status: h.inb(STATUS),
    error: h.inb(ERR),
    count: h.inb(COUNT),
    lbal: h.inb(LBAL),
    sig: h.inb(LBAM) | (h.inb(LBAH) << 8),
  };
}

describe("ATA disk: probing", () => {
  it("answers Linux's presence check and reset signatures (disk + ATAPI slave)", () => {
    const { h } = setup({ slave: "atapi" });
    expect(devchk(h, 0)).toBe(true);
    expect(devchk(h, 1)).toBe(true);
    srst(h);
    expect(signature(h, 0)).toEqual({ status: ATA_SR_DRDY | ATA_SR_DSC, error: 0x01, count: 1, lbal: 1, sig: 0x0000 });
    expect(signature(h, 1)).toEqual({ status: 0x00, error: 0x01, count: 1, lbal: 1, sig: 0xeb14 });
  });

  it("has device 0 answer zeros for a missing device 1, and an empty channel float", () => {
    const one = setup();
    expect(devchk(one.h, 1)).toBe(false);
    srst(one.h);
    const s1 = signature(one.h, 1);
    expect(s1.status).toBe(0);
    expect(s1.error).toBe(0);
    one.h.outb(DEV, 0xb0);
    expect(one.h.inb(CTRL)).toBe(0);
    const none = setup({ master: false });
    expect(none.h.inb(STATUS)).toBe(0xff);
    expect(devchk(none.h, 0)).toBe(false);
    expect(none.h.inw(DATA)).toBe(0xffff);
  });

  it("runs EXECUTE DEVICE DIAGNOSTIC on both devices, device 0 interrupting", () => {
    const { h, irq } = setup({ slave: "atapi" });
    h.outb(DEV, 0xb0);
    h.outb(COMMAND, ATA_CMD_EXECUTE_DIAGNOSTIC);
    expect(irq.level).toBe(true);
    expect(signature(h, 1).sig).toBe(0xeb14);
    const s0 = signature(h, 0);
    expect(s0.sig).toBe(0);
    expect(s0.error).toBe(1);
    expect(irq.level).toBe(false);
  });

  it("reports IDENTIFY DEVICE with byte-swapped strings, LBA28/LBA48 counts and the CHS geometry", () => {
    const { h, irq } = setup();
    const g = hardDiskGeometry(SECTORS * 512);
    h.outb(DEV, 0xa0);
    h.outb(COMMAND, ATA_CMD_IDENTIFY);
    expect(irq.level).toBe(true);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    expect(irq.level).toBe(false);
    const raw = readBlock(h, 512);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    expect(irq.level).toBe(false); // no interrupt at the end of a PIO data-in command
    const w = words(raw);
    expect(w[0] & 0x8000).toBe(0);
    expect([w[1], w[3], w[6]]).toEqual([g.cylinders, g.heads, g.sectorsPerTrack]);
    expect(ataString(w, 27, 20)).toBe("TEST DISK MODEL");
    expect(ataString(w, 10, 10)).toBe("SN12345");
    expect(ataString(w, 23, 4)).toBe("FW1");
    expect(raw[54]).toBe("E".charCodeAt(0)); // "TE": 'T' in the high byte of word 27
    expect(raw[55]).toBe("T".charCodeAt(0));
    expect(w[47]).toBe(0x8010);
    expect(w[49] & 0x0200).toBe(0x0200); // LBA
    expect(w[49] & 0x0100).toBe(0); // no DMA without a bus master
    expect(w[60] | (w[61] << 16)).toBe(SECTORS);
    expect(w[83] & 0x0400).toBe(0x0400); // 48-bit feature set
    expect(w[86] & 0x0400).toBe(0x0400);
    expect(w[100] + w[101] * 65536).toBe(SECTORS);
    expect(w[54] * w[55] * w[56]).toBe(w[57] | (w[58] << 16));
    expect(w[255] & 0xff).toBe(0xa5);
    expect(raw.reduce((a, b) => a + b, 0) & 0xff).toBe(0);
  });

  it("aborts IDENTIFY PACKET DEVICE and PACKET, and unknown commands", () => {
    const { h, irq } = setup();
    for (const c of [ATA_CMD_IDENTIFY_PACKET, ATA_CMD_PACKET, 0x5c]) {
      h.outb(DEV, 0xa0);
      h.outb(COMMAND, c);
      expect(irq.level).toBe(true);
      expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
      expect(h.inb(ERR)).toBe(ATA_ER_ABRT);
    }
  });
});

describe("ATA disk: PIO transfers", () => {
  it("reads sectors with LBA28, one interrupt per sector", () => {
    const { h, irq } = setup();
    for (const cmd of [ATA_CMD_READ_SECTORS, ATA_CMD_READ_SECTORS_NORETRY]) {
      lba28(h, 100, 3);
      h.outb(COMMAND, cmd);
      const got: Uint8Array[] = [];
      for (let s = 0; s < 3; s++) {
        expect(irq.level).toBe(true);
        expect(h.inb(STATUS) & (ATA_SR_DRQ | ATA_SR_BSY)).toBe(ATA_SR_DRQ);
        expect(irq.level).toBe(false);
        got.push(readBlock(h, 512));
      }
      expect(irq.level).toBe(false);
      expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
      expect(Uint8Array.from(got.flatMap((g) => [...g]))).toEqual(expected(100, 3));
      // The task file holds the last sector's address.
      expect([h.inb(LBAL), h.inb(LBAM), h.inb(LBAH), h.inb(DEV) & 0x0f]).toEqual([102, 0, 0, 0]);
    }
  });

  it("reads 32 bits at a time from the data port", () => {
    const { h } = setup();
    lba28(h, 7, 1);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    h.inb(STATUS);
    const out = new Uint8Array(512);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 512; i += 4) view.setUint32(i, h.inl(DATA) >>> 0, true);
    expect(out).toEqual(expected(7));
    expect(h.inb(STATUS) & ATA_SR_DRQ).toBe(0);
  });

  it("writes sectors into the copy-on-write overlay, never the base image", () => {
    const { h, irq, base, image } = setup();
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 3 + 1) & 0xff);
    lba28(h, 2000, 2);
    h.outb(COMMAND, ATA_CMD_WRITE_SECTORS);
    expect(irq.level).toBe(false); // the first block is asked for without an interrupt
    expect(h.inb(STATUS) & ATA_SR_DRQ).toBe(ATA_SR_DRQ);
    writeBlock(h, data.subarray(0, 512));
    expect(irq.level).toBe(true);
    expect(h.inb(STATUS) & ATA_SR_DRQ).toBe(ATA_SR_DRQ);
    for (let i = 512; i < 1024; i += 4)
      h.outl(DATA, data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    expect(irq.level).toBe(true); // completion
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    const back = new Uint8Array(1024);
    image.read(2000 * 512, back);
    expect(back).toEqual(data);
    expect(base.bytesAt(2000 * 512, 1024)).toEqual(expected(2000, 2));
    expect(image.overlay.size).toBe(2);
    // And reading through the device gives the new data.
    lba28(h, 2000, 2);
    h.outb(COMMAND, ATA_CMD_WRITE_SECTORS_NORETRY - 0x10); // 21h, read without retry
    h.inb(STATUS);
    const r0 = readBlock(h, 512);
    h.inb(STATUS);
    expect([...r0, ...readBlock(h, 512)]).toEqual([...data]);
  });

  it("reads and writes with 48-bit addresses and HOB readback", () => {
    const sectors = 0x10200; // LBAs above 16 bits
    const { h, irq, image } = setup({ sectors });
    const lba = 0x100ff;
    lba48(h, lba, 2);
    h.outb(CTRL, ATA_DC_HOB);
    expect([h.inb(COUNT), h.inb(LBAL), h.inb(LBAM), h.inb(LBAH)]).toEqual([0, 0, 0, 0]);
    h.outb(CTRL, 0);
    expect([h.inb(COUNT), h.inb(LBAL), h.inb(LBAM), h.inb(LBAH)]).toEqual([2, 0xff, 0x00, 0x01]);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS_EXT);
    h.inb(STATUS);
    expect(readBlock(h, 512)).toEqual(expected(lba));
    expect(irq.level).toBe(true);
    h.inb(STATUS);
    readBlock(h, 512);
    const data = new Uint8Array(512).fill(0x5a);
    lba48(h, sectors - 1, 1);
    h.outb(COMMAND, ATA_CMD_WRITE_SECTORS_EXT);
    writeBlock(h, data);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    const back = new Uint8Array(512);
    image.read((sectors - 1) * 512, back);
    expect(back).toEqual(data);
    // LBA48 count 0 means 65536 sectors: past the end here, so IDNF.
    lba48(h, 0x201, 0);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS_EXT);
    expect(h.inb(ERR)).toBe(ATA_ER_IDNF);
    h.outb(COMMAND, ATA_CMD_READ_NATIVE_MAX_EXT);
    expect([h.inb(LBAL), h.inb(LBAM), h.inb(LBAH)]).toEqual([0xff, 0x01, 0x01]);
  });

  it("moves multiple-sector blocks with one interrupt per block", () => {
    const { h, irq } = setup();
    lba28(h, 10, 4);
    h.outb(COMMAND, ATA_CMD_READ_MULTIPLE);
    expect(h.inb(STATUS) & ATA_SR_ERR).toBe(ATA_SR_ERR); // multiple mode not set yet
    expect(h.inb(ERR)).toBe(ATA_ER_ABRT);
    h.outb(COUNT, 3);
    h.outb(COMMAND, ATA_CMD_SET_MULTIPLE);
    expect(h.inb(ERR)).toBe(ATA_ER_ABRT); // not a power of two
    h.outb(COUNT, 4);
    h.outb(COMMAND, ATA_CMD_SET_MULTIPLE);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    lba28(h, 10, 10); // blocks of 4, 4 and 2 sectors
    let rises = irq.rises;
    h.outb(COMMAND, ATA_CMD_READ_MULTIPLE);
    const got: number[] = [];
    for (const n of [4, 4, 2]) {
      expect(irq.rises).toBe(rises + 1);
      rises = irq.rises;
      h.inb(STATUS);
      got.push(...readBlock(h, n * 512));
    }
    expect(irq.rises).toBe(rises);
    expect(Uint8Array.from(got)).toEqual(expected(10, 10));
    // WRITE MULTIPLE: the first block without interrupt, then one per block and at the end.
    const rises0 = irq.rises;
    lba28(h, 40, 6);
    h.outb(COMMAND, ATA_CMD_WRITE_MULTIPLE);
    expect(irq.rises).toBe(rises0);
    writeBlock(h, new Uint8Array(2048).fill(1));
    expect(irq.rises).toBe(rises0 + 1);
    h.inb(STATUS);
    writeBlock(h, new Uint8Array(1024).fill(2));
    expect(irq.rises).toBe(rises0 + 2);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    // READ MULTIPLE EXT works too; IDENTIFY word 59 shows the setting.
    lba48(h, 3, 4);
    h.outb(COMMAND, ATA_CMD_READ_MULTIPLE_EXT);
    h.inb(STATUS);
    expect(readBlock(h, 2048)).toEqual(expected(3, 4));
    h.outb(DEV, 0xa0);
    h.outb(COMMAND, ATA_CMD_IDENTIFY);
    expect(words(readBlock(h, 512))[59]).toBe(0x0104);
  });

  it("addresses sectors by CHS through the logical geometry", () => {
    const { h, disk } = setup();
    const chs = (c: number, hd: number, s: number) => {
      h.outb(DEV, 0xa0 | hd);
      h.outb(COUNT, 1);
      h.outb(LBAL, s);
      h.outb(LBAM, c & 0xff);
      h.outb(LBAH, c >> 8);
    };
    // Default geometry: 16 heads, 63 sectors.
    chs(2, 3, 5);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    h.inb(STATUS);
    const lba = (2 * disk.heads + 3) * disk.sectorsPerTrack + 4;
    expect(readBlock(h, 512)).toEqual(expected(lba));
    // INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors per track.
    h.outb(DEV, 0xa0 | 3);
    h.outb(COUNT, 17);
    h.outb(COMMAND, ATA_CMD_INITIALIZE_PARAMETERS);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    chs(1, 2, 17);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    h.inb(STATUS);
    expect(readBlock(h, 512)).toEqual(expected((1 * 4 + 2) * 17 + 16));
    expect([h.inb(LBAL), h.inb(LBAM), h.inb(DEV) & 0x0f]).toEqual([17, 1, 2]);
    h.outb(COMMAND, ATA_CMD_IDENTIFY);
    const w = words(readBlock(h, 512));
    expect([w[55], w[56]]).toEqual([4, 17]);
    // Sector 0 and a head beyond the geometry do not exist.
    chs(0, 0, 0);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    expect(h.inb(ERR)).toBe(ATA_ER_IDNF);
    chs(0, 5, 1);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    expect(h.inb(ERR)).toBe(ATA_ER_IDNF);
  });

  it("fails out-of-range and read-only requests", () => {
    const { h, irq } = setup();
    lba28(h, SECTORS - 1, 2);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    expect(irq.level).toBe(true);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR);
    expect(h.inb(ERR)).toBe(ATA_ER_IDNF);
    lba28(h, SECTORS, 1);
    h.outb(COMMAND, ATA_CMD_READ_VERIFY);
    expect(h.inb(ERR)).toBe(ATA_ER_IDNF);
    const ro = setup({ readOnly: true });
    lba28(ro.h, 0, 1);
    ro.h.outb(COMMAND, ATA_CMD_WRITE_SECTORS);
    expect(ro.h.inb(STATUS) & (ATA_SR_ERR | ATA_SR_DRQ)).toBe(ATA_SR_ERR);
    expect(ro.h.inb(ERR)).toBe(ATA_ER_ABRT);
  });

  it("releases the interrupt line with nIEN and follows device selection", () => {
    const { h, irq } = setup({ slave: "ata" });
    h.outb(CTRL, ATA_DC_NIEN);
    lba28(h, 0, 1);
    h.outb(COMMAND, ATA_CMD_READ_VERIFY);
    expect(irq.level).toBe(false);
    h.outb(CTRL, 0);
    expect(irq.level).toBe(true);
    h.outb(DEV, 0xb0); // device 1 has no interrupt pending
    expect(irq.level).toBe(false);
    h.outb(DEV, 0xa0);
    expect(irq.level).toBe(true);
    expect(h.inb(CTRL) & ATA_SR_ERR).toBe(0); // the alternate status does not acknowledge
    expect(irq.level).toBe(true);
    h.inb(STATUS);
    expect(irq.level).toBe(false);
  });

  it("runs verify, flush, SET FEATURES and power management commands", () => {
    const { h, irq } = setup();
    lba48(h, 5, 10);
    h.outb(COMMAND, ATA_CMD_READ_VERIFY_EXT);
    expect(irq.level).toBe(true);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    for (const c of [ATA_CMD_FLUSH_CACHE, ATA_CMD_FLUSH_CACHE_EXT]) {
      h.outb(COMMAND, c);
      expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    }
    const setFeature = (f: number, count = 0) => {
      h.outb(FEAT, f);
      h.outb(COUNT, count);
      h.outb(COMMAND, ATA_CMD_SET_FEATURES);
      return h.inb(STATUS) & ATA_SR_ERR;
    };
    expect(setFeature(0x82)).toBe(0); // write cache off
    expect(setFeature(0x03, 0x0c)).toBe(0); // PIO mode 4
    expect(setFeature(0x03, 0x22)).toBe(ATA_SR_ERR); // MWDMA without a bus master
    expect(setFeature(0x77)).toBe(ATA_SR_ERR);
    h.outb(COMMAND, ATA_CMD_IDENTIFY);
    expect(words(readBlock(h, 512))[85] & 0x20).toBe(0);
    h.outb(COMMAND, ATA_CMD_STANDBY_IMMEDIATE);
    h.outb(COMMAND, ATA_CMD_CHECK_POWER_MODE);
    expect(h.inb(COUNT)).toBe(0x00);
    h.outb(COMMAND, ATA_CMD_IDLE_IMMEDIATE);
    h.outb(COMMAND, ATA_CMD_CHECK_POWER_MODE);
    expect(h.inb(COUNT)).toBe(0x80);
    lba28(h, 0, 1);
    h.outb(COMMAND, ATA_CMD_READ_VERIFY);
    h.outb(COMMAND, ATA_CMD_CHECK_POWER_MODE);
    expect(h.inb(COUNT)).toBe(0x80); // verify does not spin the model up; a read does
    lba28(h, 0, 1);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    readBlock(h, 512);
    h.outb(COMMAND, ATA_CMD_CHECK_POWER_MODE);
    expect(h.inb(COUNT)).toBe(0xff);
  });

  it("returns to power-on settings on a hardware reset of the channel", () => {
    const { h, channel, irq } = setup({ slave: "atapi" });
    h.outb(COUNT, 8);
    h.outb(COMMAND, ATA_CMD_SET_MULTIPLE);
    h.outb(CTRL, ATA_DC_NIEN);
    h.outb(DEV, 0xb0);
    channel.reset();
    expect(irq.level).toBe(false);
    expect(signature(h, 0)).toEqual({ status: ATA_SR_DRDY | ATA_SR_DSC, error: 1, count: 1, lbal: 1, sig: 0 });
    expect(signature(h, 1).sig).toBe(0xeb14);
    h.outb(DEV, 0xa0);
    h.outb(COMMAND, ATA_CMD_IDENTIFY);
    expect(irq.level).toBe(true); // nIEN was cleared by the reset
    expect(words(readBlock(h, 512))[59]).toBe(0);
  });

  it("stops a transfer on SRST and keeps settings across it", () => {
    const { h } = setup();
    h.outb(COUNT, 8);
    h.outb(COMMAND, ATA_CMD_SET_MULTIPLE);
    lba28(h, 0, 4);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    expect(h.inb(STATUS) & ATA_SR_DRQ).toBe(ATA_SR_DRQ);
    srst(h);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    h.outb(COMMAND, ATA_CMD_IDENTIFY);
    expect(words(readBlock(h, 512))[59]).toBe(0x0108);
  });
});

describe("ATA disk: bus master DMA", () => {
  function prd(env: Env, table: number, entries: [number, number, boolean][]): void {
    const v = new DataView(env.mem.bytes.buffer);
    entries.forEach(([addr, count, eot], i) => {
      v.setUint32(table + 8 * i, addr, true);
      v.setUint32(table + 8 * i + 4, (count & 0xffff) | (eot ? PRD_EOT : 0), true);
    });
    env.h.outl(BM_BASE + 4, table);
  }

  it("advertises DMA in IDENTIFY and reads through a PRD table", () => {
    const env = setup({ busMaster: true });
    const { h, irq, mem } = env;
    h.outb(DEV, 0xa0);
    h.outb(COMMAND, ATA_CMD_IDENTIFY);
    const w = words(readBlock(h, 512));
    expect(w[49] & 0x0100).toBe(0x0100);
    expect(w[63] & 7).toBe(7);
    h.outb(FEAT, 0x03);
    h.outb(COUNT, 0x22);
    h.outb(COMMAND, ATA_CMD_SET_FEATURES); // MWDMA2
    expect(h.inb(STATUS) & ATA_SR_ERR).toBe(0);
    // 20 sectors into two regions: 4 KiB at 0x10000 and 6 KiB at 0x20000.
    prd(env, 0x1000, [
      [0x10000, 4096, false],
      [0x20000, 6144, true],
    ]);
    h.outb(BM_BASE, BM_CMD_WRITE); // direction: to memory
    lba28(h, 50, 20);
    h.outb(COMMAND, ATA_CMD_READ_DMA);
    expect(irq.level).toBe(false); // waits for the engine
    h.outb(BM_BASE, BM_CMD_WRITE | BM_CMD_START);
    expect(irq.level).toBe(true);
    expect(h.inb(BM_BASE + 2) & (BM_ST_ACTIVE | BM_ST_INTERRUPT | BM_ST_ERROR)).toBe(BM_ST_INTERRUPT);
    expect(mem.bytes.subarray(0x10000, 0x11000)).toEqual(expected(50, 8));
    expect(mem.bytes.subarray(0x20000, 0x21800)).toEqual(expected(58, 12));
    h.outb(BM_BASE, BM_CMD_WRITE);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DSC);
    h.outb(BM_BASE + 2, BM_ST_INTERRUPT); // write 1 to clear
    expect(h.inb(BM_BASE + 2) & BM_ST_INTERRUPT).toBe(0);
  });

  it("writes with WRITE DMA EXT from memory, the engine started first", () => {
    const env = setup({ busMaster: true });
    const { h, irq, mem, image, base } = env;
    mem.bytes.fill(0xc3, 0x30000, 0x30400);
    prd(env, 0x2000, [[0x30000, 1024, true]]);
    h.outb(BM_BASE, BM_CMD_START);
    expect(h.inb(BM_BASE + 2) & BM_ST_ACTIVE).toBe(BM_ST_ACTIVE);
    lba48(h, 300, 2);
    h.outb(COMMAND, ATA_CMD_WRITE_DMA_EXT);
    expect(irq.level).toBe(true);
    expect(h.inb(BM_BASE + 2) & BM_ST_ACTIVE).toBe(0); // the table ended with the data
    const back = new Uint8Array(1024);
    image.read(300 * 512, back);
    expect(back.every((b) => b === 0xc3)).toBe(true);
    expect(base.bytesAt(300 * 512, 1024)).toEqual(expected(300, 2));
  });

  it("fails the command when the PRD table is too short", () => {
    const env = setup({ busMaster: true });
    const { h, irq } = env;
    prd(env, 0x1000, [[0x10000, 512, true]]);
    lba28(h, 0, 2);
    h.outb(COMMAND, ATA_CMD_READ_DMA);
    h.outb(BM_BASE, BM_CMD_WRITE | BM_CMD_START);
    expect(irq.level).toBe(true);
    expect(h.inb(BM_BASE + 2) & (BM_ST_ACTIVE | BM_ST_ERROR)).toBe(BM_ST_ERROR);
    expect(h.inb(STATUS) & ATA_SR_ERR).toBe(ATA_SR_ERR);
  });

  it("aborts DMA commands when the channel has no bus master", () => {
    const { h } = setup();
    lba28(h, 0, 1);
    h.outb(COMMAND, ATA_CMD_READ_DMA);
    expect(h.inb(ERR)).toBe(ATA_ER_ABRT);
  });
});

describe("ATA disk: snapshots", () => {
  it("saves and restores in the middle of a multiple-sector read and goes on identically", () => {
    const a = setup();
    a.h.outb(COUNT, 2);
    a.h.outb(COMMAND, ATA_CMD_SET_MULTIPLE);
    lba28(a.h, 20, 6);
    a.h.outb(COMMAND, ATA_CMD_READ_MULTIPLE);
    a.h.inb(STATUS);
    readBlock(a.h, 512 + 256); // one and a half sectors of the first block
    const disk = cloneState(a.disk.saveState());
    const chan = cloneState(a.channel.saveState());
    const b = setup();
    b.disk.loadState(disk, 1);
    b.channel.loadState(chan, 1);
    expect(b.disk.saveState()).toEqual(a.disk.saveState());
    const rest = (e: Env) => {
      const out: number[] = [...readBlock(e.h, 256)];
      for (let k = 0; k < 2; k++) {
        expect(e.irq.level).toBe(true);
        e.h.inb(STATUS);
        out.push(...readBlock(e.h, 1024));
      }
      return out;
    };
    const ra = rest(a),
      rb = rest(b);
    expect(rb).toEqual(ra);
    expect(Uint8Array.from(rb)).toEqual(expected(20, 6).subarray(768));
  });

  it("refuses corrupt state and stays unchanged", () => {
    const { h, disk, channel } = setup();
    lba28(h, 0, 2);
    h.outb(COMMAND, ATA_CMD_READ_SECTORS);
    const good = cloneState(disk.saveState());
    const bad = (patch: (s: Record<string, any>) => void) => {
      const s = cloneState(good) as Record<string, any>;
      patch(s);
      return s as typeof good;
    };
    const cases = [
      bad((s) => {
        s.sectors = 1234;
      }),
      bad((s) => {
        s.taskFile.status = 0x50;
      }), // DRQ gone while a transfer runs
      bad((s) => {
        s.pos = 600;
      }),
      bad((s) => {
        s.xfer = 9;
      }),
      bad((s) => {
        s.command.kind = 0;
      }),
      bad((s) => {
        s.command.lba = SECTORS;
      }),
      bad((s) => {
        s.settings.multiple = 3;
      }),
      bad((s) => {
        s.settings.curHeads = 17;
      }),
      bad((s) => {
        s.buffer = new Uint8Array(100);
      }),
      bad((s) => {
        s.taskFile.count = "1";
      }),
    ];
    for (const c of cases) expect(() => disk.loadState(c, 1)).toThrow(StateError);
    expect(disk.saveState()).toEqual(good);
    expect(() => channel.loadState({ deviceControl: 0x01, selected: 0 }, 1)).toThrow(StateError);
    expect(() => channel.loadState({ deviceControl: 0, selected: 2 }, 1)).toThrow(StateError);
    expect(channel.saveState()).toEqual({ deviceControl: 0, selected: 0 });
  });

  it("restores the bus master mid-transfer", () => {
    const make = () => setup({ busMaster: true });
    const a = make();
    const v = new DataView(a.mem.bytes.buffer);
    v.setUint32(0x1000, 0x10000, true);
    v.setUint32(0x1004, 1024 | PRD_EOT, true);
    a.h.outl(BM_BASE + 4, 0x1000);
    a.h.outb(BM_BASE, BM_CMD_WRITE | BM_CMD_START);
    const saved = cloneState(a.bm!.saveState());
    const b = make();
    b.mem.bytes.set(a.mem.bytes);
    b.bm!.loadState(saved, 1);
    expect(b.bm!.saveState()).toEqual(saved);
    for (const e of [a, b]) {
      lba28(e.h, 9, 2);
      e.h.outb(COMMAND, ATA_CMD_READ_DMA);
    }
    expect(b.mem.bytes.subarray(0x10000, 0x10400)).toEqual(a.mem.bytes.subarray(0x10000, 0x10400));
    expect(b.mem.bytes.subarray(0x10000, 0x10400)).toEqual(expected(9, 2));
    expect(() => b.bm!.loadState({ channels: [{ ...(saved.channels as any[])[0], prdTable: 2 }] }, 1)).toThrow(
      StateError,
    );
  });
});
