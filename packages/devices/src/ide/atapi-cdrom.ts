// An ATAPI CD-ROM drive (ATA/ATAPI-6 PACKET feature set; commands from SPC-3 and MMC-3) on a
// DiskImage of 2048-byte sectors, such as an ISO 9660 file: IDENTIFY PACKET DEVICE, the PACKET
// command with its byte count limit and interrupt reason, and the SCSI commands an operating
// system's CD driver uses to probe and read a data disc: TEST UNIT READY, REQUEST SENSE,
// INQUIRY, READ CAPACITY, READ(10), READ(12), READ TOC (formats 0, 1 and 2, LBA or MSF), MODE
// SENSE(6/10), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, PREVENT ALLOW MEDIUM REMOVAL,
// START STOP UNIT and a few that only need to succeed.
//
// Key design choices:
//  - The disc is a single data track (track 1 at LBA 0, MSF 00:02:00) in one session; audio,
//    sub-channel and raw reads are refused as illegal requests.
//  - Media changes follow SPC/MMC: inserting a disc arms a UNIT ATTENTION (06h/28h, "not ready
//    to ready change, medium may have changed") reported by the next command other than INQUIRY,
//    REQUEST SENSE, GET CONFIGURATION and GET EVENT STATUS NOTIFICATION, plus a NewMedia event;
//    without a disc, media commands fail NOT READY (02h/3Ah).
//  - The image is not part of the snapshot: the board inserts the same disc again before
//    loading (the saved unit attention and event then replace what insert() armed).

import {
  bool,
  bytes,
  defineState,
  field,
  fieldAt,
  int,
  record,
  u8,
  type DiskImage,
  type StateRecord,
  type StateSchema,
} from "@x86vm/core";
import { IdeDevice, XFER_DMA_IN, XFER_NONE, XFER_PIO_IN, XFER_PIO_OUT } from "./ide-device.ts";
import {
  ATA_CMD_CHECK_POWER_MODE,
  ATA_CMD_DEVICE_RESET,
  ATA_CMD_IDENTIFY,
  ATA_CMD_IDENTIFY_PACKET,
  ATA_CMD_IDLE_IMMEDIATE,
  ATA_CMD_PACKET,
  ATA_CMD_SET_FEATURES,
  ATA_CMD_SLEEP,
  ATA_CMD_STANDBY_IMMEDIATE,
  ATA_CMD_FLUSH_CACHE,
  ATA_ER_ABRT,
  ATAPI_ER_SENSE_SHIFT,
  ATAPI_IR_COD,
  ATAPI_IR_IO,
  ATAPI_SIGNATURE_HIGH,
  ATAPI_SIGNATURE_MID,
  ATA_SR_DRDY,
  ATA_SR_ERR,
  POWER_ACTIVE,
  SETF_TRANSFER_MODE,
  XFER_MWDMA,
  XFER_PIO_FLOW,
  XFER_UDMA,
  SCSI_TEST_UNIT_READY,
  SCSI_REQUEST_SENSE,
  SCSI_INQUIRY,
  SCSI_MODE_SENSE_6,
  SCSI_MODE_SENSE_10,
  SCSI_START_STOP_UNIT,
  SCSI_PREVENT_ALLOW,
  SCSI_READ_CAPACITY,
  SCSI_READ_10,
  SCSI_READ_12,
  SCSI_SEEK_10,
  SCSI_VERIFY_10,
  SCSI_SYNCHRONIZE_CACHE,
  SCSI_READ_TOC,
  SCSI_GET_CONFIGURATION,
  SCSI_GET_EVENT_STATUS,
  SCSI_SET_CD_SPEED,
  SENSE_NONE,
  SENSE_NOT_READY,
  SENSE_ILLEGAL_REQUEST,
  SENSE_UNIT_ATTENTION,
  ASC_INVALID_COMMAND,
  ASC_LBA_OUT_OF_RANGE,
  ASC_INVALID_FIELD_IN_CDB,
  ASC_MEDIUM_CHANGED,
  ASC_SAVING_NOT_SUPPORTED,
  ASC_MEDIUM_NOT_PRESENT,
  ASC_MEDIUM_REMOVAL_PREVENTED,
} from "./ata-regs.ts";

export const CD_SECTOR_SIZE = 2048;
export const ATAPI_PACKET_SIZE = 12;
/** Data block buffer: the largest PIO block (byte count limit FFFEh) and DMA chunk. */
const BUFFER_SIZE = 0x10000;
/** A byte count limit of 0 is taken as the largest even count. */
const DEFAULT_BYTE_LIMIT = 0xfffe;
/** Frames before LBA 0 (the 2-second pregap): MSF 00:02:00. */
const MSF_OFFSET = 150;

// GET EVENT STATUS NOTIFICATION media event codes (MMC-3, media event descriptor).
export const MEDIA_EVENT_NONE = 0;
export const MEDIA_EVENT_EJECT_REQUEST = 1;
export const MEDIA_EVENT_NEW_MEDIA = 2;
export const MEDIA_EVENT_REMOVAL = 3;

// MMC profile and feature numbers.
const PROFILE_CD_ROM = 0x0008;
const FEATURE_PROFILE_LIST = 0x0000;
const FEATURE_CORE = 0x0001;
const FEATURE_REMOVABLE_MEDIUM = 0x0003;
const FEATURE_RANDOM_READABLE = 0x0010;
const FEATURE_CD_READ = 0x001e;

// What the running command is doing.
const X_NONE = 0;
const X_PACKET = 1; // receiving the 12-byte command packet
const X_RESPONSE = 2; // sending a reply built in the buffer
const X_MEDIA = 3; // sending sectors read from the disc
const X_IDENTIFY = 4;

/** Commands a pending unit attention does not fail (SPC-3 unit attention rules, as MMC-3 drives apply them). */
const PASS_UNIT_ATTENTION = new Set([SCSI_INQUIRY, SCSI_REQUEST_SENSE, SCSI_GET_CONFIGURATION, SCSI_GET_EVENT_STATUS]);
/** Commands that need a disc. */
const NEED_MEDIA = new Set([
  SCSI_TEST_UNIT_READY,
  SCSI_READ_CAPACITY,
  SCSI_READ_10,
  SCSI_READ_12,
  SCSI_READ_TOC,
  SCSI_SEEK_10,
  SCSI_VERIFY_10,
]);

export interface AtapiCdromOptions {
  model?: string;
  serial?: string;
  firmware?: string;
  /** Called when the guest ejects the disc (START STOP UNIT with LoEj); the board drops its image. */
  onEject?: () => void;
}

const SENSE_STATE = record({ fields: { key: int(0, 15), asc: u8, ascq: u8 } });

const PACKET_COMMAND_STATE = record({
  fields: {
    cdb: bytes(ATAPI_PACKET_SIZE),
    kind: int(X_NONE, X_IDENTIFY),
    dma: bool,
    byteLimit: int(1, 0xffff),
    offset: int(0, Number.MAX_SAFE_INTEGER),
    remaining: int(0, Number.MAX_SAFE_INTEGER),
  },
});

export class AtapiCdrom extends IdeDevice {
  readonly stateName = "atapi-cdrom";
  protected readonly readyStatus = ATA_SR_DRDY;
  protected readonly signatureMid = ATAPI_SIGNATURE_MID;
  protected readonly signatureHigh = ATAPI_SIGNATURE_HIGH;
  protected readonly resetStatus = 0;

  private readonly model: string;
  private readonly serial: string;
  private readonly firmware: string;
  private readonly onEject: () => void;

  private disc: DiskImage | null = null;
  private discSectors = 0;

  // Sense data of the last command, and the drive's conditions.
  private senseKey = SENSE_NONE;
  private asc = 0;
  private ascq = 0;
  private unitAttention = false;
  private locked = false;
  private mediaEvent = MEDIA_EVENT_NONE;

  // The running command.
  private readonly cdb = new Uint8Array(ATAPI_PACKET_SIZE);
  private xKind = X_NONE;
  private xDma = false;
  private xLimit = DEFAULT_BYTE_LIMIT;
  /** Next media byte offset, or next reply offset in the buffer. */
  private xOffset = 0;
  /** Bytes still to send after the current block. */
  private xRemaining = 0;

  constructor(options: AtapiCdromOptions = {}) {
    super(BUFFER_SIZE);
    this.model = options.model ?? "X86VM CD-ROM";
    this.serial = options.serial ?? "XV0000000002";
    this.firmware = options.firmware ?? "1.0";
    this.onEject = options.onEject ?? (() => {});
    this.reset();
  }

  // ---- media (host side) ----

  /** Puts a disc in the drive: a unit attention and a NewMedia event follow. */
  insert(image: DiskImage): void {
    this.disc = image;
    this.discSectors = Math.floor(image.size / CD_SECTOR_SIZE);
    this.unitAttention = true;
    this.mediaEvent = MEDIA_EVENT_NEW_MEDIA;
  }

  /**
   * Takes the disc out. While the guest prevents removal, a request (`force` false) is refused
   * and posted as an EjectRequest event instead; returns whether the disc came out.
   */
  eject(force = true): boolean {
    if (this.locked && !force) {
      this.mediaEvent = MEDIA_EVENT_EJECT_REQUEST;
      return false;
    }
    this.removeDisc();
    return true;
  }

  /** The disc in the drive, or null. */
  get media(): DiskImage | null {
    return this.disc;
  }

  /** Whether the guest has locked the tray (PREVENT ALLOW MEDIUM REMOVAL). */
  get removalPrevented(): boolean {
    return this.locked;
  }

  private removeDisc(): void {
    if (!this.disc) return;
    // A transfer from the disc cannot go on.
    if (this.xKind === X_MEDIA) this.checkCondition(SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0);
    this.disc = null;
    this.discSectors = 0;
    this.mediaEvent = MEDIA_EVENT_REMOVAL;
  }

  protected powerOnDefaults(): void {
    this.senseKey = SENSE_NONE;
    this.asc = 0;
    this.ascq = 0;
    this.locked = false;
    this.transferMode = 0;
  }

  protected resetCommandState(): void {
    this.xKind = X_NONE;
    this.xDma = false;
    this.xLimit = DEFAULT_BYTE_LIMIT;
    this.xOffset = 0;
    this.xRemaining = 0;
  }

  // ---- ATA commands ----

  protected executeCommand(cmd: number): void {
    switch (cmd) {
      case ATA_CMD_PACKET:
        this.packet();
        break;
      case ATA_CMD_IDENTIFY_PACKET:
        this.identify();
        break;
      case ATA_CMD_DEVICE_RESET:
        // DEVICE RESET: the device resets itself and posts its signature, without an interrupt.
        this.resetCommandState();
        this.setSignature();
        this.status = 0;
        break;
      case ATA_CMD_IDENTIFY:
        // A packet device aborts IDENTIFY DEVICE and shows its signature (ATA/ATAPI-6 8.15).
        this.abortCommand(ATA_ER_ABRT);
        this.count = 1;
        this.lbaLow = 1;
        this.lbaMid = ATAPI_SIGNATURE_MID;
        this.lbaHigh = ATAPI_SIGNATURE_HIGH;
        break;
      case ATA_CMD_SET_FEATURES:
        if (this.feature === SETF_TRANSFER_MODE) {
          if (!this.validTransferMode(this.count)) {
            this.abortCommand(ATA_ER_ABRT);
            return;
          }
          this.transferMode = this.count;
        }
        this.completeCommand(true);
        break;
      case ATA_CMD_CHECK_POWER_MODE:
        this.count = POWER_ACTIVE;
        this.completeCommand(true);
        break;
      case ATA_CMD_IDLE_IMMEDIATE:
      case ATA_CMD_STANDBY_IMMEDIATE:
      case ATA_CMD_SLEEP:
      case ATA_CMD_FLUSH_CACHE:
        this.completeCommand(true);
        break;
      default:
        this.abortCommand(ATA_ER_ABRT);
        break;
    }
  }

  private validTransferMode(v: number): boolean {
    if (v <= 1) return true;
    if ((v & 0xf8) === XFER_PIO_FLOW) return (v & 7) <= 4;
    if (!this.host?.dmaCapable) return false;
    if ((v & 0xf8) === XFER_MWDMA) return (v & 7) <= 2;
    if ((v & 0xf8) === XFER_UDMA) return (v & 7) <= 5;
    return false;
  }

  /** PACKET: the features register chooses DMA, LBA mid/high the byte count limit for PIO. */
  private packet(): void {
    const dma = (this.feature & 1) !== 0;
    if (dma && !this.host?.dmaCapable) {
      this.abortCommand(ATA_ER_ABRT);
      return;
    }
    this.xDma = dma;
    this.xLimit = this.lbaMid | (this.lbaHigh << 8) || DEFAULT_BYTE_LIMIT;
    this.xKind = X_PACKET;
    this.count = ATAPI_IR_COD; // command packet, host to device
    // The packet is requested without an interrupt (DRQ within 3 ms, IDENTIFY word 0 bits 6-5).
    this.startBlock(0, ATAPI_PACKET_SIZE, false, false, false);
  }

  private identify(): void {
    this.buildIdentify(this.buf);
    this.xKind = X_IDENTIFY;
    this.startBlock(0, 512, true, false, true);
  }

  /** The 256 IDENTIFY PACKET DEVICE words (ATA/ATAPI-6, IDENTIFY PACKET DEVICE). */
  buildIdentify(d: Uint8Array): void {
    const w = (i: number, v: number) => IdeDevice.putWord(d, i, v);
    d.fill(0, 0, 512);
    const dma = this.host?.dmaCapable ?? false;
    w(0, 0x85c0); // ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets
    IdeDevice.putString(d, 10, 10, this.serial);
    IdeDevice.putString(d, 23, 4, this.firmware);
    IdeDevice.putString(d, 27, 20, this.model);
    w(49, 0x0a00 | (dma ? 0x0100 : 0)); // IORDY, LBA, DMA
    w(50, 0x4000);
    w(51, 0x0200);
    w(53, 0x0003 | (dma ? 0x0004 : 0));
    if (dma) w(63, 0x0007 | this.selectedMode(XFER_MWDMA));
    w(64, 0x0003);
    w(65, 120);
    w(66, 120);
    w(67, 120);
    w(68, 120);
    w(80, 0x007e);
    w(82, 0x0210); // DEVICE RESET, PACKET feature set
    w(83, 0x4000);
    w(84, 0x4000);
    w(85, 0x0210);
    w(87, 0x4000);
    if (dma) w(88, 0x003f | this.selectedMode(XFER_UDMA));
    IdeDevice.putIntegrity(d);
  }

  private selectedMode(kind: number): number {
    return (this.transferMode & 0xf8) === kind ? 0x100 << (this.transferMode & 7) : 0;
  }

  protected blockDone(): void {
    switch (this.xKind) {
      case X_PACKET:
        this.cdb.set(this.buf.subarray(0, ATAPI_PACKET_SIZE));
        this.executePacket();
        break;
      case X_IDENTIFY:
        this.completeCommand(false);
        break;
      default:
        if (this.xRemaining > 0) this.nextDataBlock();
        else this.completePacket();
        break;
    }
  }

  // ---- packet command phases ----

  /** Sends the next block of the reply or of the disc data (byte count limited in PIO). */
  private nextDataBlock(): void {
    let n = Math.min(this.xRemaining, BUFFER_SIZE - (this.xKind === X_RESPONSE ? this.xOffset : 0));
    // An odd limit is rounded down to whole words (a limit of 1 to one word).
    if (!this.xDma && n > this.xLimit) n = Math.max(2, this.xLimit & ~1);
    let start = 0;
    if (this.xKind === X_MEDIA) {
      this.disc!.read(this.xOffset, this.buf.subarray(0, n));
    } else {
      start = this.xOffset;
    }
    this.xOffset += n;
    this.xRemaining -= n;
    if (!this.xDma) {
      this.count = ATAPI_IR_IO; // data, device to host
      this.lbaMid = n & 0xff;
      this.lbaHigh = (n >> 8) & 0xff;
    }
    this.startBlock(start, n, true, this.xDma, !this.xDma);
  }

  /** Sends buf[0, length) cut to the allocation length, then completes. */
  private reply(length: number, allocation: number): void {
    const n = Math.min(length, allocation);
    if (n === 0) {
      this.completePacket();
      return;
    }
    this.xKind = X_RESPONSE;
    this.xOffset = 0;
    this.xRemaining = n;
    this.bufUsed = n;
    this.nextDataBlock();
  }

  private sendSectors(lba: number, count: number): void {
    if (count === 0) {
      this.completePacket();
      return;
    }
    this.xKind = X_MEDIA;
    this.xOffset = lba * CD_SECTOR_SIZE;
    this.xRemaining = count * CD_SECTOR_SIZE;
    this.nextDataBlock();
  }

  /** Status phase of a good command: interrupt reason I/O and C/D, sense cleared. */
  private completePacket(): void {
    this.senseKey = SENSE_NONE;
    this.asc = 0;
    this.ascq = 0;
    this.count = ATAPI_IR_IO | ATAPI_IR_COD;
    this.completeCommand(true);
  }

  /** CHECK CONDITION: the sense key goes to the error register, ERR to status. */
  private checkCondition(key: number, asc: number, ascq: number): void {
    this.senseKey = key;
    this.asc = asc;
    this.ascq = ascq;
    this.abortCommand(key << ATAPI_ER_SENSE_SHIFT);
    this.count = ATAPI_IR_IO | ATAPI_IR_COD;
    this.status = ATA_SR_DRDY | ATA_SR_ERR;
  }

  private invalidField(): void {
    this.checkCondition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
  }

  private executePacket(): void {
    const c = this.cdb;
    const op = c[0];
    if (this.unitAttention && !PASS_UNIT_ATTENTION.has(op)) {
      this.unitAttention = false;
      this.checkCondition(SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
      return;
    }
    if (NEED_MEDIA.has(op) && !this.disc) {
      this.checkCondition(SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0);
      return;
    }
    switch (op) {
      case SCSI_TEST_UNIT_READY:
      case SCSI_SEEK_10:
      case SCSI_VERIFY_10:
      case SCSI_SET_CD_SPEED:
      case SCSI_SYNCHRONIZE_CACHE:
        this.completePacket();
        break;
      case SCSI_REQUEST_SENSE:
        this.requestSense(c[4]);
        break;
      case SCSI_INQUIRY:
        this.inquiry();
        break;
      case SCSI_READ_CAPACITY:
        this.readCapacity();
        break;
      case SCSI_READ_10:
        this.read(be32(c, 2), be16(c, 7));
        break;
      case SCSI_READ_12:
        this.read(be32(c, 2), be32(c, 6));
        break;
      case SCSI_READ_TOC:
        this.readToc();
        break;
      case SCSI_MODE_SENSE_6:
        this.modeSense(false);
        break;
      case SCSI_MODE_SENSE_10:
        this.modeSense(true);
        break;
      case SCSI_GET_CONFIGURATION:
        this.getConfiguration();
        break;
      case SCSI_GET_EVENT_STATUS:
        this.getEventStatus();
        break;
      case SCSI_PREVENT_ALLOW:
        this.locked = (c[4] & 1) !== 0;
        this.completePacket();
        break;
      case SCSI_START_STOP_UNIT:
        this.startStop();
        break;
      default:
        this.checkCondition(SENSE_ILLEGAL_REQUEST, ASC_INVALID_COMMAND, 0);
        break;
    }
  }

  private requestSense(allocation: number): void {
    // The sense of the last failed command comes first; without one, a pending unit attention
    // is reported (and thereby cleared).
    let key = this.senseKey,
      asc = this.asc,
      ascq = this.ascq;
    if (key === SENSE_NONE && this.unitAttention) {
      key = SENSE_UNIT_ATTENTION;
      asc = ASC_MEDIUM_CHANGED;
      ascq = 0;
      this.unitAttention = false;
    }
    const d = this.buf;
    d.fill(0, 0, 18);
    d[0] = 0x70; // current error, fixed format
    d[2] = key;
    d[7] = 10; // additional sense length
    d[12] = asc;
    d[13] = ascq;
    this.reply(18, allocation);
  }

  private inquiry(): void {
    const c = this.cdb;
    if (c[1] & 1) {
      this.invalidField();
      return;
    } // no vital product data pages
    const d = this.buf;
    d.fill(0, 0, 36);
    d[0] = 0x05; // CD/DVD device
    d[1] = 0x80; // removable
    d[2] = 0x05; // SPC-3
    d[3] = 0x02; // response data format
    d[4] = 31; // additional length
    putAscii(d, 8, 8, "X86VM");
    putAscii(d, 16, 16, this.model.replace(/^X86VM /, ""));
    putAscii(d, 32, 4, this.firmware);
    this.reply(36, be16(c, 3));
  }

  private readCapacity(): void {
    const d = this.buf;
    putBe32(d, 0, this.discSectors - 1);
    putBe32(d, 4, CD_SECTOR_SIZE);
    this.reply(8, 8);
  }

  private read(lba: number, count: number): void {
    if (lba + count > this.discSectors) {
      this.checkCondition(SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
      return;
    }
    this.sendSectors(lba, count);
  }

  /** Writes an address as LBA or as MSF (with the 2-second pregap). */
  private putAddress(d: number, lba: number, msf: boolean): void {
    const b = this.buf;
    if (!msf) {
      putBe32(b, d, lba);
      return;
    }
    const f = lba + MSF_OFFSET;
    b[d] = 0;
    b[d + 1] = Math.floor(f / (75 * 60));
    b[d + 2] = Math.floor(f / 75) % 60;
    b[d + 3] = f % 75;
  }

  /** READ TOC/PMA/ATIP (MMC-3): formats 0 (TOC), 1 (session info), 2 (raw TOC). */
  private readToc(): void {
    const c = this.cdb,
      d = this.buf;
    const msf = (c[1] & 2) !== 0;
    let format = c[2] & 0x0f;
    if (format === 0) format = c[9] >> 6; // the older place of the format field, in the control byte
    const track = c[6];
    const allocation = be16(c, 7);
    let n = 4;
    if (format === 0) {
      if (track > 1 && track !== 0xaa) {
        this.invalidField();
        return;
      }
      if (track <= 1) n = this.tocEntry(n, 1, 0, msf);
      n = this.tocEntry(n, 0xaa, this.discSectors, msf);
      d[2] = 1;
      d[3] = 1; // first and last track
    } else if (format === 1) {
      n = this.tocEntry(n, 1, 0, msf);
      d[2] = 1;
      d[3] = 1; // first and last session
    } else if (format === 2) {
      n = this.rawTocEntry(n, 0xa0, 1, 0x00, 0); // first track, disc type CD-ROM
      n = this.rawTocEntry(n, 0xa1, 1, 0, 0); // last track
      const lead = this.discSectors + MSF_OFFSET;
      n = this.rawTocEntry(n, 0xa2, Math.floor(lead / 4500), Math.floor(lead / 75) % 60, lead % 75);
      n = this.rawTocEntry(n, 0x01, 0, 2, 0);
      d[2] = 1;
      d[3] = 1;
    } else {
      this.invalidField();
      return;
    }
    putBe16(d, 0, n - 2);
    this.reply(n, allocation);
  }

  private tocEntry(n: number, track: number, lba: number, msf: boolean): number {
    const d = this.buf;
    d[n] = 0;
    d[n + 1] = 0x14;
    d[n + 2] = track;
    d[n + 3] = 0; // ADR 1, control: data track
    this.putAddress(n + 4, lba, msf);
    return n + 8;
  }

  private rawTocEntry(n: number, point: number, pmin: number, psec: number, pframe: number): number {
    const d = this.buf;
    d.fill(0, n, n + 11);
    d[n] = 1;
    d[n + 1] = 0x14;
    d[n + 3] = point;
    d[n + 8] = pmin;
    d[n + 9] = psec;
    d[n + 10] = pframe;
    return n + 11;
  }

  /** MODE SENSE(6/10): pages 01h, 0Dh, 0Eh, 2Ah and 3Fh (all), current/changeable/default values. */
  private modeSense(ten: boolean): void {
    const c = this.cdb,
      d = this.buf;
    const control = c[2] >> 6,
      page = c[2] & 0x3f;
    if (control === 3) {
      this.checkCondition(SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
      return;
    }
    const header = ten ? 8 : 4;
    d.fill(0, 0, 256);
    let n = header;
    const pages = page === 0x3f ? [0x01, 0x0d, 0x0e, 0x2a] : [page];
    for (const p of pages) {
      const len = this.modePage(n, p, control === 1);
      if (len < 0) {
        this.invalidField();
        return;
      }
      n += len;
    }
    const mediumType = this.disc ? 0x01 : 0x70; // 120 mm data disc; no disc, door closed
    if (ten) {
      putBe16(d, 0, n - 2);
      d[2] = mediumType;
    } else {
      d[0] = n - 1;
      d[1] = mediumType;
    }
    this.reply(n, ten ? be16(c, 7) : c[4]);
  }

  /** Writes a mode page at n; returns its length, or -1 for an unknown page. */
  private modePage(n: number, page: number, changeable: boolean): number {
    const d = this.buf;
    const put = (bytes: number[]) => {
      d[n] = page;
      d[n + 1] = bytes.length;
      if (!changeable) d.set(bytes, n + 2);
      return bytes.length + 2;
    };
    switch (page) {
      case 0x01:
        return put([0x00, 0x05, 0, 0, 0, 0]); // read error recovery: 5 retries
      case 0x0d:
        return put([0, 0, 0x00, 0x3c, 0x00, 0x4b]); // CD parameters: 60 s/min, 75 frames/s
      case 0x0e:
        return put([0x04, 0, 0, 0, 0, 0, 0x01, 0xff, 0x02, 0xff, 0, 0, 0, 0]); // audio control
      case 0x2a: // capabilities and mechanical status
        return put([
          0x03,
          0x00,
          0x70,
          0x00,
          0x29 | (this.locked ? 0x02 : 0),
          0x00, // reads CD-R/RW; mode 2, multisession; tray, eject, lock
          0x0b,
          0x00,
          0x01,
          0x00,
          0x00,
          0x00,
          0x0b,
          0x00, // 2816 kB/s (16x), 256 volume levels, current speed
          0,
          0,
          0,
          0,
          0,
          0,
        ]);
      default:
        return -1;
    }
  }

  /** GET CONFIGURATION (MMC-3): the profile list and a few features, filtered by RT. */
  private getConfiguration(): void {
    const c = this.cdb,
      d = this.buf;
    const rt = c[1] & 3,
      start = be16(c, 2);
    if (rt === 3) {
      this.invalidField();
      return;
    }
    const has = this.disc !== null;
    const features: [number, boolean, number[]][] = [
      [FEATURE_PROFILE_LIST, true, [PROFILE_CD_ROM >> 8, PROFILE_CD_ROM & 0xff, has ? 1 : 0, 0]],
      [FEATURE_CORE, true, [0, 0, 0, 2]], // ATAPI physical interface
      [FEATURE_REMOVABLE_MEDIUM, true, [0x29, 0, 0, 0]], // tray, eject, lock
      [FEATURE_RANDOM_READABLE, has, [0, 0, CD_SECTOR_SIZE >> 8, 0, 0, 1, 0, 0]],
      [FEATURE_CD_READ, has, [0, 0, 0, 0]],
    ];
    d.fill(0, 0, 8);
    let n = 8;
    for (const [code, current, data] of features) {
      if (rt === 2 ? code !== start : code < start || (rt === 1 && !current)) continue;
      d[n] = code >> 8;
      d[n + 1] = code & 0xff;
      d[n + 2] =
        (code === FEATURE_PROFILE_LIST || code === FEATURE_CORE || code === FEATURE_REMOVABLE_MEDIUM ? 0x02 : 0) |
        (current ? 1 : 0);
      d[n + 3] = data.length;
      d.set(data, n + 4);
      n += 4 + data.length;
    }
    putBe32(d, 0, n - 4);
    putBe16(d, 6, has ? PROFILE_CD_ROM : 0);
    this.reply(n, be16(c, 7));
  }

  /** GET EVENT STATUS NOTIFICATION (MMC-3), polled, media class only. */
  private getEventStatus(): void {
    const c = this.cdb,
      d = this.buf;
    if (!(c[1] & 1)) {
      this.invalidField();
      return;
    } // asynchronous operation is not supported
    const allocation = be16(c, 7);
    if (c[4] & 0x10) {
      d[0] = 0;
      d[1] = 6;
      d[2] = 0x04;
      d[3] = 0x10; // media class; supported: media
      d[4] = this.mediaEvent;
      d[5] = this.disc ? 0x02 : 0x00; // media present (the door is never reported open)
      d[6] = 0;
      d[7] = 0;
      this.mediaEvent = MEDIA_EVENT_NONE;
      this.reply(8, allocation);
    } else {
      d[0] = 0;
      d[1] = 2;
      d[2] = 0x80;
      d[3] = 0x10; // no event available for the classes asked
      this.reply(4, allocation);
    }
  }

  /** START STOP UNIT: LoEj with Start = 0 ejects unless removal is prevented. */
  private startStop(): void {
    const c = this.cdb;
    const loej = (c[4] & 2) !== 0,
      start = (c[4] & 1) !== 0;
    if (loej && !start) {
      if (this.locked) {
        this.checkCondition(SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED, 2);
        return;
      }
      const had = this.disc !== null;
      this.removeDisc();
      this.completePacket();
      if (had) this.onEject();
      return;
    }
    this.completePacket();
  }

  // ---- snapshot ----

  static readonly STATE = defineState<AtapiCdrom>()({
    name: "atapi-cdrom",
    version: 1,
    minVersion: 1,
    fields: {
      ...IdeDevice.DEVICE_FIELDS,
      // The inserted disc, saved to check that the record belongs to the drive as it is now.
      mediaPresent: field(bool, { get: (d) => d.disc !== null }),
      mediaSectors: field(int(0, Number.MAX_SAFE_INTEGER), { get: (d) => d.discSectors }),
      sense: fieldAt(SENSE_STATE, { key: "senseKey", asc: "asc", ascq: "ascq" }),
      unitAttention: bool,
      locked: bool,
      mediaEvent: int(MEDIA_EVENT_NONE, MEDIA_EVENT_REMOVAL),
      command: field(PACKET_COMMAND_STATE, {
        get: (d) => ({
          cdb: d.cdb,
          kind: d.xKind,
          dma: d.xDma,
          byteLimit: d.xLimit,
          offset: d.xOffset,
          remaining: d.xRemaining,
        }),
        set: (d, cmd) => {
          d.cdb.set(cmd.cdb);
          d.xKind = cmd.kind;
          d.xDma = cmd.dma;
          d.xLimit = cmd.byteLimit;
          d.xOffset = cmd.offset;
          d.xRemaining = cmd.remaining;
        },
      }),
    },
    check(v, fail, drive) {
      IdeDevice.checkEngine(v, fail, drive);
      if (v.mediaPresent !== (drive.disc !== null))
        fail(v.mediaPresent ? "saved with a disc, but none is inserted" : "saved without a disc, but one is inserted");
      if (v.mediaSectors !== drive.discSectors)
        fail(`saved with a disc of ${v.mediaSectors} sectors, the inserted one has ${drive.discSectors}`);
      // The command and the block on offer must fit together, so the transfer can go on.
      const cmd = v.command;
      const ok =
        cmd.kind === X_NONE
          ? v.xfer === XFER_NONE
          : cmd.kind === X_PACKET
            ? v.xfer === XFER_PIO_OUT && v.end === ATAPI_PACKET_SIZE
            : cmd.kind === X_IDENTIFY
              ? v.xfer === XFER_PIO_IN && v.end === 512
              : v.xfer === (cmd.dma ? XFER_DMA_IN : XFER_PIO_IN);
      if (!ok) fail("command state and transfer phase disagree");
      if (cmd.kind === X_RESPONSE && (cmd.offset + cmd.remaining > v.buffer.length || v.end !== cmd.offset))
        fail("reply extends beyond the saved buffer");
      if (cmd.kind === X_MEDIA && cmd.offset + cmd.remaining > v.mediaSectors * CD_SECTOR_SIZE)
        fail("read extends beyond the disc");
    },
    postLoad: (d) => d.host?.deviceChanged(),
  });
  readonly stateDefinition: StateSchema = AtapiCdrom.STATE;

  saveState(): StateRecord {
    return AtapiCdrom.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    AtapiCdrom.STATE.load(this, fields, version);
  }
}

function be16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}
function be32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}
function putBe16(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >> 8) & 0xff;
  b[i + 1] = v & 0xff;
}
function putBe32(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 24) & 0xff;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}
/** A space-padded ASCII field (SCSI strings are not byte-swapped). */
function putAscii(b: Uint8Array, i: number, length: number, text: string): void {
  for (let k = 0; k < length; k++) b[i + k] = k < text.length ? text.charCodeAt(k) & 0x7f : 0x20;
}
