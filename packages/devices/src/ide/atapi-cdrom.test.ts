import { describe, it, expect } from "vitest";
import { MemoryDisk, StateError, cloneState } from "@x86vm/core";
import { DeviceHarness } from "../testing/harness.ts";
import { IdeChannel } from "./ide-channel.ts";
import { AtapiCdrom, MEDIA_EVENT_EJECT_REQUEST } from "./atapi-cdrom.ts";
import { IdeBusMaster, BM_CMD_START, BM_CMD_WRITE, BM_ST_INTERRUPT, PRD_EOT } from "./bus-master.ts";
import {
  ATA_SR_DRDY,
  ATA_SR_DRQ,
  ATA_SR_ERR,
  ATA_SR_BSY,
  ATA_ER_ABRT,
  ATA_DC_SRST,
  ATA_CMD_IDENTIFY,
  ATA_CMD_IDENTIFY_PACKET,
  ATA_CMD_PACKET,
  ATA_CMD_DEVICE_RESET,
  ATA_CMD_READ_SECTORS,
  ATAPI_IR_COD,
  ATAPI_IR_IO,
  SCSI_TEST_UNIT_READY,
  SCSI_REQUEST_SENSE,
  SCSI_INQUIRY,
  SCSI_READ_CAPACITY,
  SCSI_READ_10,
  SCSI_READ_12,
  SCSI_READ_TOC,
  SCSI_MODE_SENSE_10,
  SCSI_MODE_SENSE_6,
  SCSI_GET_CONFIGURATION,
  SCSI_GET_EVENT_STATUS,
  SCSI_PREVENT_ALLOW,
  SCSI_START_STOP_UNIT,
  SENSE_NOT_READY,
  SENSE_UNIT_ATTENTION,
  SENSE_ILLEGAL_REQUEST,
} from "./ata-regs.ts";

const CMD = 0x170,
  CTRL = 0x376;
const DATA = CMD,
  ERR = CMD + 1,
  FEAT = CMD + 1,
  COUNT = CMD + 2,
  LBAM = CMD + 4,
  LBAH = CMD + 5,
  DEV = CMD + 6,
  STATUS = CMD + 7;
const BM_BASE = 0xc008;
const ISO_SECTORS = 40;

const isoByte = (lba: number, i: number) => (lba * 29 + i * 5 + (i >> 9)) & 0xff;
function isoImage(sectors = ISO_SECTORS): MemoryDisk {
  const b = new Uint8Array(sectors * 2048);
  for (let lba = 0; lba < sectors; lba++) for (let i = 0; i < 2048; i++) b[lba * 2048 + i] = isoByte(lba, i);
  b.set(
    [1, ..."CD001"].map((c) => (typeof c === "number" ? c : c.charCodeAt(0))),
    16 * 2048,
  ); // primary volume descriptor
  return new MemoryDisk(b, true);
}
function isoBytes(lba: number, count: number): Uint8Array {
  return isoImage().bytes.slice(lba * 2048, (lba + count) * 2048);
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

function setup(opts: { media?: boolean; busMaster?: boolean } = {}) {
  const h = new DeviceHarness();
  const irq = h.irq("irq15");
  const channel = new IdeChannel(irq);
  const ejected: number[] = [];
  const cd = new AtapiCdrom({ onEject: () => ejected.push(1) });
  channel.attach(0, cd);
  h.attach(channel.ioSurface(CMD, CTRL));
  const mem = new FakeMemory();
  const bm = opts.busMaster ? new IdeBusMaster(mem, [new IdeChannel(h.irq("unused")), channel]) : null;
  if (bm) h.attach(bm.ioSurface(BM_BASE - 8));
  if (opts.media !== false) {
    cd.insert(isoImage());
    // Clear the unit attention of the insertion, as a driver's first TEST UNIT READY does.
    packet(h, [SCSI_TEST_UNIT_READY]);
  }
  return { h, irq, channel, cd, ejected, mem, bm };
}
type Env = ReturnType<typeof setup>;

interface PacketResult {
  data: number[];
  status: number;
  error: number;
  reason: number;
  blocks: number[];
  interrupts: number;
}

/** Issues a packet command in PIO mode and runs it to completion the way a driver's interrupt handler would. */
function packet(h: DeviceHarness, cdbBytes: number[], byteLimit = 0xfffe): PacketResult {
  const cdb = [...cdbBytes, ...new Array(12).fill(0)].slice(0, 12);
  h.outb(DEV, 0xa0);
  h.outb(FEAT, 0);
  h.outb(LBAM, byteLimit & 0xff);
  h.outb(LBAH, byteLimit >> 8);
  h.outb(STATUS, ATA_CMD_PACKET);
  const st = h.inb(CTRL);
  expect(st & (ATA_SR_BSY | ATA_SR_DRQ)).toBe(ATA_SR_DRQ);
  expect(h.inb(COUNT) & 3).toBe(ATAPI_IR_COD);
  const irq = h.irq("irq15");
  expect(irq.level).toBe(false); // the packet is asked for without an interrupt
  for (let i = 0; i < 12; i += 2) h.outw(DATA, cdb[i] | (cdb[i + 1] << 8));
  const data: number[] = [],
    blocks: number[] = [];
  let interrupts = 0;
  for (;;) {
    expect(irq.level).toBe(true);
    interrupts++;
    const status = h.inb(STATUS);
    const reason = h.inb(COUNT) & 3;
    if (!(status & ATA_SR_DRQ)) return { data, status, error: h.inb(ERR), reason, blocks, interrupts };
    expect(reason).toBe(ATAPI_IR_IO);
    const n = h.inb(LBAM) | (h.inb(LBAH) << 8);
    blocks.push(n);
    for (let i = 0; i < n; i += 2) {
      const w = h.inw(DATA);
      data.push(w & 0xff);
      if (i + 1 < n) data.push(w >> 8);
    }
  }
}
const ok = (r: PacketResult) => {
  expect(r.status & (ATA_SR_ERR | ATA_SR_DRQ)).toBe(0);
  expect(r.reason).toBe(ATAPI_IR_IO | ATAPI_IR_COD);
  return r.data;
};
function sense(h: DeviceHarness): [number, number, number] {
  const d = ok(packet(h, [SCSI_REQUEST_SENSE, 0, 0, 0, 18]));
  expect(d[0]).toBe(0x70);
  return [d[2] & 0x0f, d[12], d[13]];
}
/** Expects CHECK CONDITION with a sense key (error register bits 7-4) and the sense data. */
function checkCondition(h: DeviceHarness, r: PacketResult, key: number, asc: number, ascq = 0): void {
  expect(r.status & ATA_SR_ERR).toBe(ATA_SR_ERR);
  expect(r.error >> 4).toBe(key);
  expect(r.reason).toBe(ATAPI_IR_IO | ATAPI_IR_COD);
  expect(sense(h)).toEqual([key, asc, ascq]);
}
const be16 = (d: number[], i: number) => (d[i] << 8) | d[i + 1];
const be32 = (d: number[], i: number) => ((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) >>> 0;

describe("ATAPI CD-ROM: identification", () => {
  it("shows the packet signature after SRST and aborts IDENTIFY DEVICE with it", () => {
    const { h, irq } = setup();
    h.outb(CTRL, ATA_DC_SRST);
    h.outb(CTRL, 0);
    expect([h.inb(COUNT), h.inb(CMD + 3), h.inb(LBAM), h.inb(LBAH)]).toEqual([1, 1, 0x14, 0xeb]);
    expect(h.inb(STATUS)).toBe(0);
    h.outb(LBAM, 0);
    h.outb(LBAH, 0);
    h.outb(STATUS, ATA_CMD_IDENTIFY);
    expect(irq.level).toBe(true);
    expect(h.inb(STATUS) & ATA_SR_ERR).toBe(ATA_SR_ERR);
    expect(h.inb(ERR)).toBe(ATA_ER_ABRT);
    expect([h.inb(LBAM), h.inb(LBAH)]).toEqual([0x14, 0xeb]);
    h.outb(STATUS, ATA_CMD_READ_SECTORS);
    expect(h.inb(ERR)).toBe(ATA_ER_ABRT);
    h.outb(STATUS, ATA_CMD_DEVICE_RESET);
    expect([h.inb(LBAM), h.inb(LBAH), h.inb(STATUS)]).toEqual([0x14, 0xeb, 0]);
  });

  it("answers IDENTIFY PACKET DEVICE", () => {
    const { h, irq } = setup();
    h.outb(STATUS, ATA_CMD_IDENTIFY_PACKET);
    expect(irq.level).toBe(true);
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY | ATA_SR_DRQ);
    const w: number[] = [];
    for (let i = 0; i < 256; i++) w.push(h.inw(DATA));
    expect(h.inb(STATUS)).toBe(ATA_SR_DRDY);
    expect(irq.level).toBe(false);
    expect(w[0]).toBe(0x85c0); // ATAPI, CD-ROM, removable, 12-byte packets
    let model = "";
    for (let i = 27; i < 47; i++) model += String.fromCharCode(w[i] >> 8, w[i] & 0xff);
    expect(model.trimEnd()).toBe("X86VM CD-ROM");
    expect(w[49] & 0x0200).toBe(0x0200);
    expect(w[82] & 0x0010).toBe(0x0010); // PACKET feature set
    let sum = 0;
    for (const x of w) sum += (x & 0xff) + (x >> 8);
    expect(sum & 0xff).toBe(0);
  });

  it("answers INQUIRY even with a unit attention pending", () => {
    const { h, cd } = setup();
    cd.insert(isoImage());
    const d = ok(packet(h, [SCSI_INQUIRY, 0, 0, 0, 36]));
    expect(d.length).toBe(36);
    expect(d[0]).toBe(0x05);
    expect(d[1] & 0x80).toBe(0x80);
    expect(String.fromCharCode(...d.slice(8, 16))).toBe("X86VM   ");
    expect(String.fromCharCode(...d.slice(16, 32)).trimEnd()).toBe("CD-ROM");
    // Allocation length cuts the reply.
    expect(ok(packet(h, [SCSI_INQUIRY, 0, 0, 0, 5])).length).toBe(5);
    checkCondition(h, packet(h, [SCSI_INQUIRY, 1, 0x80, 0, 36]), SENSE_ILLEGAL_REQUEST, 0x24);
  });
});

describe("ATAPI CD-ROM: reading a disc", () => {
  it("reports READ CAPACITY of the ISO", () => {
    const { h } = setup();
    const d = ok(packet(h, [SCSI_READ_CAPACITY]));
    expect([be32(d, 0), be32(d, 4)]).toEqual([ISO_SECTORS - 1, 2048]);
  });

  it("reads sectors with READ(10), in DRQ blocks no longer than the byte count limit", () => {
    const { h } = setup();
    const r = packet(h, [SCSI_READ_10, 0, 0, 0, 0, 16, 0, 0, 2], 0x1000);
    expect(ok(r)).toEqual([...isoBytes(16, 2)]);
    expect(String.fromCharCode(...r.data.slice(1, 6))).toBe("CD001");
    expect(r.blocks).toEqual([4096]);
    const r2 = packet(h, [SCSI_READ_10, 0, 0, 0, 0, 3, 0, 0, 3], 5000); // not a multiple of the sector size
    expect(ok(r2)).toEqual([...isoBytes(3, 3)]);
    expect(r2.blocks).toEqual([5000, 1144]);
    expect(r2.interrupts).toBe(3); // one per block and one for the status
    const r3 = packet(h, [SCSI_READ_12, 0, 0, 0, 0, 38, 0, 0, 0, 2], 0x800);
    expect(ok(r3)).toEqual([...isoBytes(38, 2)]);
    expect(r3.blocks).toEqual([2048, 2048]);
    expect(ok(packet(h, [SCSI_READ_10, 0, 0, 0, 0, 5, 0, 0, 0]))).toEqual([]); // no sectors: just status
  });

  it("refuses reads past the end with ILLEGAL REQUEST / LBA out of range", () => {
    const { h } = setup();
    checkCondition(h, packet(h, [SCSI_READ_10, 0, 0, 0, 0, ISO_SECTORS - 1, 0, 0, 2]), SENSE_ILLEGAL_REQUEST, 0x21);
    expect(sense(h)).toEqual([0, 0, 0]); // REQUEST SENSE cleared it
    checkCondition(h, packet(h, [0xd8]), SENSE_ILLEGAL_REQUEST, 0x20);
  });

  it("reads the TOC in LBA and MSF form, session info and the raw TOC", () => {
    const { h } = setup();
    const lba = ok(packet(h, [SCSI_READ_TOC, 0, 0, 0, 0, 0, 0, 0, 100]));
    expect(lba).toEqual([0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0, 0, 0x14, 0xaa, 0, 0, 0, 0, ISO_SECTORS]);
    const msf = ok(packet(h, [SCSI_READ_TOC, 2, 0, 0, 0, 0, 0, 0, 100]));
    const leadOut = ISO_SECTORS + 150;
    expect(msf.slice(8, 12)).toEqual([0, 0, 2, 0]); // track 1 at 00:02:00
    expect(msf.slice(16, 20)).toEqual([0, Math.floor(leadOut / 4500), Math.floor(leadOut / 75) % 60, leadOut % 75]);
    // Starting at the lead-out gives only the lead-out; track 2 does not exist.
    expect(ok(packet(h, [SCSI_READ_TOC, 0, 0, 0, 0, 0, 0xaa, 0, 100])).length).toBe(12);
    checkCondition(h, packet(h, [SCSI_READ_TOC, 0, 0, 0, 0, 0, 2, 0, 100]), SENSE_ILLEGAL_REQUEST, 0x24);
    // Allocation length 4: just the header, which still gives the full length.
    expect(ok(packet(h, [SCSI_READ_TOC, 0, 0, 0, 0, 0, 0, 0, 4]))).toEqual([0, 18, 1, 1]);
    const session = ok(packet(h, [SCSI_READ_TOC, 0, 1, 0, 0, 0, 0, 0, 12]));
    expect(session).toEqual([0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
    const raw = ok(packet(h, [SCSI_READ_TOC, 2, 2, 0, 0, 0, 0, 0, 100]));
    expect(be16(raw, 0)).toBe(2 + 4 * 11);
    expect(raw.slice(4 + 3, 4 + 4)).toEqual([0xa0]);
    expect(raw.slice(4 + 22 + 8, 4 + 22 + 11)).toEqual([
      Math.floor(leadOut / 4500),
      Math.floor(leadOut / 75) % 60,
      leadOut % 75,
    ]);
    // The old format field in the control byte (bits 7-6 of byte 9) selects session info.
    expect(ok(packet(h, [SCSI_READ_TOC, 0, 0, 0, 0, 0, 0, 0, 12, 0x40]))).toEqual(session);
  });

  it("reads through the bus master with the packet's DMA bit", () => {
    const env = setup({ busMaster: true });
    const { h, irq, mem } = env;
    const v = new DataView(mem.bytes.buffer);
    v.setUint32(0x800, 0x40000, true);
    v.setUint32(0x804, (3 * 2048) | PRD_EOT, true);
    h.outl(BM_BASE + 4, 0x800);
    h.outb(BM_BASE, BM_CMD_WRITE | BM_CMD_START);
    h.outb(DEV, 0xa0);
    h.outb(FEAT, 1); // DMA
    h.outb(STATUS, ATA_CMD_PACKET);
    const cdb = [SCSI_READ_10, 0, 0, 0, 0, 10, 0, 0, 3, 0, 0, 0];
    for (let i = 0; i < 12; i += 2) h.outw(DATA, cdb[i] | (cdb[i + 1] << 8));
    expect(irq.level).toBe(true);
    expect(h.inb(BM_BASE + 2) & BM_ST_INTERRUPT).toBe(BM_ST_INTERRUPT);
    expect(h.inb(STATUS) & (ATA_SR_DRQ | ATA_SR_ERR)).toBe(0);
    expect(h.inb(COUNT) & 3).toBe(ATAPI_IR_IO | ATAPI_IR_COD);
    expect(mem.bytes.subarray(0x40000, 0x40000 + 3 * 2048)).toEqual(isoBytes(10, 3));
  });
});

describe("ATAPI CD-ROM: media changes", () => {
  it("is NOT READY without a disc, then reports a unit attention once after insertion", () => {
    const { h, cd } = setup({ media: false });
    checkCondition(h, packet(h, [SCSI_TEST_UNIT_READY]), SENSE_NOT_READY, 0x3a);
    checkCondition(h, packet(h, [SCSI_READ_CAPACITY]), SENSE_NOT_READY, 0x3a);
    checkCondition(h, packet(h, [SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1]), SENSE_NOT_READY, 0x3a);
    cd.insert(isoImage());
    checkCondition(h, packet(h, [SCSI_READ_CAPACITY]), SENSE_UNIT_ATTENTION, 0x28);
    ok(packet(h, [SCSI_TEST_UNIT_READY]));
    expect(be32(ok(packet(h, [SCSI_READ_CAPACITY])), 0)).toBe(ISO_SECTORS - 1);
    // REQUEST SENSE as the first command after a change reports (and clears) the attention itself.
    cd.insert(isoImage(20));
    expect(sense(h)).toEqual([SENSE_UNIT_ATTENTION, 0x28, 0]);
    expect(be32(ok(packet(h, [SCSI_READ_CAPACITY])), 0)).toBe(19);
    cd.eject();
    checkCondition(h, packet(h, [SCSI_TEST_UNIT_READY]), SENSE_NOT_READY, 0x3a);
  });

  it("reports media events through GET EVENT STATUS NOTIFICATION", () => {
    const { h, cd } = setup({ media: false });
    const gesn = () => ok(packet(h, [SCSI_GET_EVENT_STATUS, 1, 0, 0, 0x10, 0, 0, 0, 8]));
    expect(gesn()).toEqual([0, 6, 4, 0x10, 0, 0, 0, 0]);
    cd.insert(isoImage());
    expect(gesn()).toEqual([0, 6, 4, 0x10, 2, 2, 0, 0]); // NewMedia, media present
    expect(gesn()[4]).toBe(0); // reported once
    cd.eject();
    expect(gesn()).toEqual([0, 6, 4, 0x10, 3, 0, 0, 0]); // MediaRemoval
    expect(ok(packet(h, [SCSI_GET_EVENT_STATUS, 1, 0, 0, 0x02, 0, 0, 0, 8]))).toEqual([0, 2, 0x80, 0x10]);
    checkCondition(h, packet(h, [SCSI_GET_EVENT_STATUS, 0, 0, 0, 0x10, 0, 0, 0, 8]), SENSE_ILLEGAL_REQUEST, 0x24);
  });

  it("locks the tray with PREVENT ALLOW and ejects with START STOP UNIT", () => {
    const { h, cd, ejected } = setup();
    ok(packet(h, [SCSI_PREVENT_ALLOW, 0, 0, 0, 1]));
    expect(cd.removalPrevented).toBe(true);
    checkCondition(h, packet(h, [SCSI_START_STOP_UNIT, 0, 0, 0, 0x02]), SENSE_ILLEGAL_REQUEST, 0x53, 0x02);
    expect(cd.eject(false)).toBe(false); // the user's button: refused, posted as an event
    expect(cd.media).not.toBeNull();
    expect(ok(packet(h, [SCSI_GET_EVENT_STATUS, 1, 0, 0, 0x10, 0, 0, 0, 8]))[4]).toBe(MEDIA_EVENT_EJECT_REQUEST);
    ok(packet(h, [SCSI_PREVENT_ALLOW, 0, 0, 0, 0]));
    ok(packet(h, [SCSI_START_STOP_UNIT, 0, 0, 0, 0x02]));
    expect(cd.media).toBeNull();
    expect(ejected).toEqual([1]);
    checkCondition(h, packet(h, [SCSI_TEST_UNIT_READY]), SENSE_NOT_READY, 0x3a);
  });
});

describe("ATAPI CD-ROM: configuration pages", () => {
  it("returns MODE SENSE pages, the capabilities page with the lock state", () => {
    const { h } = setup();
    const d = ok(packet(h, [SCSI_MODE_SENSE_10, 0, 0x2a, 0, 0, 0, 0, 0x01, 0]));
    expect(be16(d, 0)).toBe(d.length - 2);
    expect(d[8]).toBe(0x2a);
    expect(d[9]).toBe(0x14);
    expect(d[8 + 6] & 0x08).toBe(0x08); // eject supported
    expect(d[8 + 6] >> 5).toBe(1); // tray
    ok(packet(h, [SCSI_PREVENT_ALLOW, 0, 0, 0, 1]));
    expect(ok(packet(h, [SCSI_MODE_SENSE_10, 0, 0x2a, 0, 0, 0, 0, 0x01, 0]))[8 + 6] & 0x02).toBe(0x02);
    const all = ok(packet(h, [SCSI_MODE_SENSE_10, 0, 0x3f, 0, 0, 0, 0, 0x01, 0]));
    expect(all[8]).toBe(0x01);
    expect(be16(all, 0)).toBe(all.length - 2);
    const six = ok(packet(h, [SCSI_MODE_SENSE_6, 0, 0x01, 0, 0xff]));
    expect([six[0], six[4], six[5]]).toEqual([six.length - 1, 0x01, 0x06]);
    const changeable = ok(packet(h, [SCSI_MODE_SENSE_10, 0, 0x40 | 0x2a, 0, 0, 0, 0, 0x01, 0]));
    expect(changeable.slice(10).every((b) => b === 0)).toBe(true);
    checkCondition(h, packet(h, [SCSI_MODE_SENSE_10, 0, 0x05, 0, 0, 0, 0, 0x01, 0]), SENSE_ILLEGAL_REQUEST, 0x24);
    checkCondition(
      h,
      packet(h, [SCSI_MODE_SENSE_10, 0, 0xc0 | 0x2a, 0, 0, 0, 0, 0x01, 0]),
      SENSE_ILLEGAL_REQUEST,
      0x39,
    );
  });

  it("lists the CD-ROM profile and features in GET CONFIGURATION", () => {
    const { h, cd } = setup();
    const d = ok(packet(h, [SCSI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0x01, 0]));
    expect(be32(d, 0)).toBe(d.length - 4);
    expect(be16(d, 6)).toBe(0x0008); // current profile: CD-ROM
    expect(be16(d, 8)).toBe(0x0000); // profile list first
    expect(be16(d, 12)).toBe(0x0008);
    const only = ok(packet(h, [SCSI_GET_CONFIGURATION, 2, 0, 0x1e, 0, 0, 0, 0x01, 0]));
    expect(only.length).toBe(16);
    expect(be16(only, 8)).toBe(0x001e);
    cd.eject();
    const empty = ok(packet(h, [SCSI_GET_CONFIGURATION, 1, 0, 0, 0, 0, 0, 0x01, 0]));
    expect(be16(empty, 6)).toBe(0);
    const codes: number[] = [];
    for (let i = 8; i < empty.length; i += 4 + empty[i + 3]) codes.push(be16(empty, i));
    expect(codes).toEqual([0x0000, 0x0001, 0x0003]); // current features only: no disc, no reading
  });
});

describe("ATAPI CD-ROM: snapshots", () => {
  it("saves and restores in the middle of a read and goes on identically", () => {
    const a = setup();
    a.h.outb(DEV, 0xa0);
    a.h.outb(FEAT, 0);
    a.h.outb(LBAM, 0x00);
    a.h.outb(LBAH, 0x08); // 2048-byte blocks
    a.h.outb(STATUS, ATA_CMD_PACKET);
    const cdb = [SCSI_READ_10, 0, 0, 0, 0, 20, 0, 0, 3, 0, 0, 0];
    for (let i = 0; i < 12; i += 2) a.h.outw(DATA, cdb[i] | (cdb[i + 1] << 8));
    a.h.inb(STATUS);
    for (let i = 0; i < 300; i++) a.h.inw(DATA);
    const saved = [cloneState(a.cd.saveState()), cloneState(a.channel.saveState())];
    const b = setup();
    b.cd.loadState(saved[0], 1);
    b.channel.loadState(saved[1], 1);
    expect(b.cd.saveState()).toEqual(a.cd.saveState());
    const rest = (e: Env) => {
      const out: number[] = [];
      for (let i = 300; i < 1024; i++) {
        const w = e.h.inw(DATA);
        out.push(w & 0xff, w >> 8);
      }
      for (let k = 0; k < 2; k++) {
        expect(e.irq.level).toBe(true);
        e.h.inb(STATUS);
        for (let i = 0; i < 1024; i++) {
          const w = e.h.inw(DATA);
          out.push(w & 0xff, w >> 8);
        }
      }
      expect(e.irq.level).toBe(true);
      expect(e.h.inb(STATUS)).toBe(ATA_SR_DRDY);
      return out;
    };
    const ra = rest(a);
    expect(rest(b)).toEqual(ra);
    expect(ra).toEqual([...isoBytes(20, 3).subarray(600)]);
  });

  it("keeps the unit attention and lock across a restore, and refuses mismatched or corrupt state", () => {
    const a = setup();
    ok(packet(a.h, [SCSI_PREVENT_ALLOW, 0, 0, 0, 1]));
    a.cd.eject();
    a.cd.insert(isoImage());
    const saved = cloneState(a.cd.saveState());
    const b = setup({ media: false });
    expect(() => b.cd.loadState(saved, 1)).toThrow(StateError); // no disc inserted
    b.cd.insert(isoImage(20));
    expect(() => b.cd.loadState(saved, 1)).toThrow(StateError); // another disc
    b.cd.insert(isoImage());
    const before = cloneState(b.cd.saveState());
    const bad = (patch: (s: Record<string, any>) => void) => {
      const s = cloneState(saved) as Record<string, any>;
      patch(s);
      return s as typeof saved;
    };
    for (const c of [
      bad((s) => {
        s.command.kind = 3;
      }),
      bad((s) => {
        s.mediaEvent = 7;
      }),
      bad((s) => {
        s.sense.key = 16;
      }),
      bad((s) => {
        s.command.cdb = new Uint8Array(6);
      }),
      bad((s) => {
        s.locked = 1;
      }),
    ])
      expect(() => b.cd.loadState(c, 1)).toThrow(StateError);
    expect(b.cd.saveState()).toEqual(before);
    b.cd.loadState(saved, 1);
    expect(b.cd.removalPrevented).toBe(true);
    checkCondition(b.h, packet(b.h, [SCSI_TEST_UNIT_READY]), SENSE_UNIT_ATTENTION, 0x28);
  });
});
