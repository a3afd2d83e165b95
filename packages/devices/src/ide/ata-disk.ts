// An ATA hard disk on a DiskImage (ATA/ATAPI-6, T13/1410D): IDENTIFY DEVICE, PIO reads and
// writes by sector, by multiple-sector block and with 48-bit addresses, bus master DMA reads and
// writes when the channel has a bus master, CHS addressing through the current logical geometry
// (INITIALIZE DEVICE PARAMETERS), read verify, SET FEATURES, flush and power management.
//
// Key design choices:
//  - The image is what the board hands over (a CowDisk on a PC, so the base image is never
//    written); it is not part of the snapshot: the board attaches the same image again, and the
//    saved sector count must match it.
//  - A command whose range leaves the disk fails before any data moves (IDNF), instead of
//    transferring the sectors up to the end first.
//  - The default CHS geometry is the standard 16 heads and 63 sectors per track with up to 16383
//    cylinders (hardDiskGeometry gives the same for disks up to 504 MiB; larger disks are
//    reached through LBA, while the BIOS presents its own translated geometry to INT 13h).

import {
  SECTOR_SIZE,
  bool,
  defineState,
  field,
  fieldAt,
  hardDiskGeometry,
  int,
  oneOf,
  record,
  type DiskImage,
  type StateRecord,
  type StateSchema,
} from "@x86vm/core";
import { IdeDevice, XFER_DMA_IN, XFER_DMA_OUT, XFER_NONE, XFER_PIO_IN, XFER_PIO_OUT } from "./ide-device.ts";
import {
  ATA_CMD_CHECK_POWER_MODE,
  ATA_CMD_CHECK_POWER_MODE_OLD,
  ATA_CMD_FLUSH_CACHE,
  ATA_CMD_FLUSH_CACHE_EXT,
  ATA_CMD_IDENTIFY,
  ATA_CMD_IDLE,
  ATA_CMD_IDLE_IMMEDIATE,
  ATA_CMD_IDLE_IMMEDIATE_OLD,
  ATA_CMD_IDLE_OLD,
  ATA_CMD_INITIALIZE_PARAMETERS,
  ATA_CMD_READ_DMA,
  ATA_CMD_READ_DMA_EXT,
  ATA_CMD_READ_DMA_NORETRY,
  ATA_CMD_READ_MULTIPLE,
  ATA_CMD_READ_MULTIPLE_EXT,
  ATA_CMD_READ_NATIVE_MAX,
  ATA_CMD_READ_NATIVE_MAX_EXT,
  ATA_CMD_READ_SECTORS,
  ATA_CMD_READ_SECTORS_EXT,
  ATA_CMD_READ_SECTORS_NORETRY,
  ATA_CMD_READ_VERIFY,
  ATA_CMD_READ_VERIFY_EXT,
  ATA_CMD_READ_VERIFY_NORETRY,
  ATA_CMD_SET_FEATURES,
  ATA_CMD_SET_MULTIPLE,
  ATA_CMD_SLEEP,
  ATA_CMD_SLEEP_OLD,
  ATA_CMD_STANDBY,
  ATA_CMD_STANDBY_IMMEDIATE,
  ATA_CMD_STANDBY_IMMEDIATE_OLD,
  ATA_CMD_STANDBY_OLD,
  ATA_CMD_WRITE_DMA,
  ATA_CMD_WRITE_DMA_EXT,
  ATA_CMD_WRITE_DMA_NORETRY,
  ATA_CMD_WRITE_MULTIPLE,
  ATA_CMD_WRITE_MULTIPLE_EXT,
  ATA_CMD_WRITE_SECTORS,
  ATA_CMD_WRITE_SECTORS_EXT,
  ATA_CMD_WRITE_SECTORS_NORETRY,
  ATA_CMD_RECALIBRATE,
  ATA_CMD_SEEK,
  ATA_DEV_HEAD,
  ATA_DEV_LBA,
  ATA_ER_ABRT,
  ATA_ER_IDNF,
  ATA_SIGNATURE_HIGH,
  ATA_SIGNATURE_MID,
  ATA_SR_DRDY,
  ATA_SR_DSC,
  POWER_ACTIVE,
  POWER_IDLE,
  POWER_STANDBY,
  SETF_LOOKAHEAD_OFF,
  SETF_LOOKAHEAD_ON,
  SETF_REVERT_OFF,
  SETF_REVERT_ON,
  SETF_TRANSFER_MODE,
  SETF_WRITE_CACHE_OFF,
  SETF_WRITE_CACHE_ON,
  XFER_MWDMA,
  XFER_PIO_DEFAULT,
  XFER_PIO_DEFAULT_NO_IORDY,
  XFER_PIO_FLOW,
  XFER_UDMA,
} from "./ata-regs.ts";

/** Most sectors per DRQ block in READ/WRITE MULTIPLE (IDENTIFY word 47). */
export const ATA_MAX_MULTIPLE = 16;
/** Largest sector count an LBA28 address reaches. */
export const LBA28_LIMIT = 0x0fffffff;
/** Sectors a DMA block moves at a time (the buffer size). */
const DMA_BLOCK_SECTORS = 16;

// Addressing mode of the running command (for the task file after completion).
const ADDR_CHS = 0;
const ADDR_LBA28 = 1;
const ADDR_LBA48 = 2;

// What the running command is doing.
const X_NONE = 0;
const X_READ = 1;
const X_WRITE = 2;
const X_IDENTIFY = 3;

export interface AtaDiskOptions {
  model?: string;
  serial?: string;
  firmware?: string;
}

const SETTINGS_STATE = record({
  fields: {
    multiple: int(0, ATA_MAX_MULTIPLE),
    curHeads: int(1, 16),
    curSpt: int(1, 255),
    writeCache: bool,
    lookAhead: bool,
    powerMode: oneOf([POWER_ACTIVE, POWER_IDLE, POWER_STANDBY]),
  },
  check(st, fail) {
    if ((st.multiple & (st.multiple - 1)) !== 0) fail("multiple count is not a power of two");
  },
});

const COMMAND_STATE = record({
  fields: {
    kind: int(X_NONE, X_IDENTIFY),
    lba: int(0, Number.MAX_SAFE_INTEGER),
    remaining: int(0, 0x10000),
    block: int(1, DMA_BLOCK_SECTORS),
    addressing: int(ADDR_CHS, ADDR_LBA48),
    dma: bool,
  },
});

export class AtaDisk extends IdeDevice {
  readonly stateName = "ata-disk";
  protected readonly readyStatus = ATA_SR_DRDY | ATA_SR_DSC;
  protected readonly signatureMid = ATA_SIGNATURE_MID;
  protected readonly signatureHigh = ATA_SIGNATURE_HIGH;
  protected readonly resetStatus = ATA_SR_DRDY | ATA_SR_DSC;

  /** Total 512-byte sectors. */
  readonly sectors: number;
  /** Default (power-on) CHS geometry. */
  readonly cylinders: number;
  readonly heads: number;
  readonly sectorsPerTrack: number;
  private readonly model: string;
  private readonly serial: string;
  private readonly firmware: string;

  // Settings.
  private multiple = 0;
  private curHeads = 0;
  private curSpt = 0;
  private writeCache = true;
  private lookAhead = true;
  private powerMode = POWER_ACTIVE;

  // The running command.
  private xKind = X_NONE;
  private xLba = 0;
  private xRemaining = 0;
  private xBlock = 1;
  private xAddr = ADDR_LBA28;
  private xDma = false;

  constructor(
    readonly image: DiskImage,
    options: AtaDiskOptions = {},
  ) {
    super(DMA_BLOCK_SECTORS * SECTOR_SIZE);
    const g = hardDiskGeometry(image.size);
    this.sectors = g.sectors;
    if (g.heads <= 16) {
      this.heads = g.heads;
      this.sectorsPerTrack = g.sectorsPerTrack;
      this.cylinders = g.cylinders;
    } else {
      this.heads = 16;
      this.sectorsPerTrack = 63;
      this.cylinders = Math.max(1, Math.min(16383, Math.floor(g.sectors / (16 * 63))));
    }
    this.model = options.model ?? "X86VM HARDDISK";
    this.serial = options.serial ?? "XV0000000001";
    this.firmware = options.firmware ?? "1.0";
    this.reset();
  }

  protected powerOnDefaults(): void {
    this.multiple = 0;
    this.curHeads = this.heads;
    this.curSpt = this.sectorsPerTrack;
    this.writeCache = true;
    this.lookAhead = true;
    this.powerMode = POWER_ACTIVE;
    this.transferMode = 0;
  }

  protected resetCommandState(): void {
    this.xKind = X_NONE;
    this.xLba = 0;
    this.xRemaining = 0;
    this.xBlock = 1;
    this.xAddr = ADDR_LBA28;
    this.xDma = false;
  }

  /** Cylinders of the current logical geometry (IDENTIFY word 54). */
  private get curCylinders(): number {
    const reachable = Math.min(this.sectors, 16383 * 16 * 63);
    return Math.min(65535, Math.floor(reachable / (this.curHeads * this.curSpt)));
  }

  protected executeCommand(cmd: number): void {
    if (cmd >= ATA_CMD_RECALIBRATE && cmd <= ATA_CMD_RECALIBRATE + 0x0f) {
      this.completeCommand(true);
      return;
    }
    if (cmd >= ATA_CMD_SEEK && cmd <= ATA_CMD_SEEK + 0x0f) {
      this.seek();
      return;
    }
    switch (cmd) {
      case ATA_CMD_READ_SECTORS:
      case ATA_CMD_READ_SECTORS_NORETRY:
        this.startRead(false, 1, false);
        break;
      case ATA_CMD_READ_SECTORS_EXT:
        this.startRead(true, 1, false);
        break;
      case ATA_CMD_READ_MULTIPLE:
        this.startMultiple(false, false);
        break;
      case ATA_CMD_READ_MULTIPLE_EXT:
        this.startMultiple(true, false);
        break;
      case ATA_CMD_WRITE_SECTORS:
      case ATA_CMD_WRITE_SECTORS_NORETRY:
        this.startWrite(false, 1, false);
        break;
      case ATA_CMD_WRITE_SECTORS_EXT:
        this.startWrite(true, 1, false);
        break;
      case ATA_CMD_WRITE_MULTIPLE:
        this.startMultiple(false, true);
        break;
      case ATA_CMD_WRITE_MULTIPLE_EXT:
        this.startMultiple(true, true);
        break;
      case ATA_CMD_READ_DMA:
      case ATA_CMD_READ_DMA_NORETRY:
        this.startDma(false, false);
        break;
      case ATA_CMD_READ_DMA_EXT:
        this.startDma(true, false);
        break;
      case ATA_CMD_WRITE_DMA:
      case ATA_CMD_WRITE_DMA_NORETRY:
        this.startDma(false, true);
        break;
      case ATA_CMD_WRITE_DMA_EXT:
        this.startDma(true, true);
        break;
      case ATA_CMD_READ_VERIFY:
      case ATA_CMD_READ_VERIFY_NORETRY:
        this.verify(false);
        break;
      case ATA_CMD_READ_VERIFY_EXT:
        this.verify(true);
        break;
      case ATA_CMD_IDENTIFY:
        this.identify();
        break;
      case ATA_CMD_INITIALIZE_PARAMETERS:
        this.initializeParameters();
        break;
      case ATA_CMD_SET_MULTIPLE:
        this.setMultiple();
        break;
      case ATA_CMD_SET_FEATURES:
        this.setFeatures();
        break;
      case ATA_CMD_FLUSH_CACHE:
      case ATA_CMD_FLUSH_CACHE_EXT:
        this.completeCommand(true);
        break;
      case ATA_CMD_READ_NATIVE_MAX:
        this.setAddress(Math.min(this.sectors, LBA28_LIMIT) - 1, ADDR_LBA28);
        this.completeCommand(true);
        break;
      case ATA_CMD_READ_NATIVE_MAX_EXT:
        this.setAddress(this.sectors - 1, ADDR_LBA48);
        this.completeCommand(true);
        break;
      case ATA_CMD_STANDBY_IMMEDIATE:
      case ATA_CMD_STANDBY:
      case ATA_CMD_STANDBY_IMMEDIATE_OLD:
      case ATA_CMD_STANDBY_OLD:
      // falls through: SLEEP is taken as STANDBY: the device answers the next command instead of waiting for a reset.
      case ATA_CMD_SLEEP:
      case ATA_CMD_SLEEP_OLD:
        this.powerMode = POWER_STANDBY;
        this.completeCommand(true);
        break;
      case ATA_CMD_IDLE_IMMEDIATE:
      case ATA_CMD_IDLE:
      case ATA_CMD_IDLE_IMMEDIATE_OLD:
      case ATA_CMD_IDLE_OLD:
        this.powerMode = POWER_IDLE;
        this.completeCommand(true);
        break;
      case ATA_CMD_CHECK_POWER_MODE:
      case ATA_CMD_CHECK_POWER_MODE_OLD:
        this.count = this.powerMode;
        this.completeCommand(true);
        break;
      default:
        this.abortCommand(ATA_ER_ABRT);
        break; // includes PACKET, IDENTIFY PACKET DEVICE, DEVICE RESET, NOP
    }
  }

  // ---- addressing ----

  private addressMode(ext: boolean): number {
    if (ext) return ADDR_LBA48;
    return this.device & ATA_DEV_LBA ? ADDR_LBA28 : ADDR_CHS;
  }

  /** The command's starting sector, or -1 for a CHS address outside the logical geometry. */
  private commandLba(mode: number): number {
    if (mode === ADDR_LBA48) {
      return (
        this.lbaLow +
        this.lbaMid * 0x100 +
        this.lbaHigh * 0x10000 +
        (this.hobLbaLow + this.hobLbaMid * 0x100 + this.hobLbaHigh * 0x10000) * 0x1000000
      );
    }
    if (mode === ADDR_LBA28)
      return (((this.device & ATA_DEV_HEAD) << 24) | (this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow) >>> 0;
    const cylinder = this.lbaMid | (this.lbaHigh << 8),
      head = this.device & ATA_DEV_HEAD,
      sector = this.lbaLow;
    if (sector === 0 || sector > this.curSpt || head >= this.curHeads) return -1;
    return (cylinder * this.curHeads + head) * this.curSpt + sector - 1;
  }

  private commandCount(ext: boolean): number {
    if (ext) return this.count | (this.hobCount << 8) || 0x10000;
    return this.count || 0x100;
  }

  /** Puts a sector address in the task file (after completion: the last sector moved). */
  private setAddress(lba: number, mode: number): void {
    if (mode === ADDR_LBA48) {
      this.lbaLow = lba & 0xff;
      this.lbaMid = (lba >>> 8) & 0xff;
      this.lbaHigh = (lba >>> 16) & 0xff;
      const high = Math.floor(lba / 0x1000000);
      this.hobLbaLow = high & 0xff;
      this.hobLbaMid = (high >>> 8) & 0xff;
      this.hobLbaHigh = (high >>> 16) & 0xff;
    } else if (mode === ADDR_LBA28) {
      this.lbaLow = lba & 0xff;
      this.lbaMid = (lba >>> 8) & 0xff;
      this.lbaHigh = (lba >>> 16) & 0xff;
      this.device = (this.device & ~ATA_DEV_HEAD) | ((lba >>> 24) & ATA_DEV_HEAD);
    } else {
      const spt = this.curSpt,
        heads = this.curHeads;
      const cylinder = Math.floor(lba / (spt * heads)),
        rest = lba % (spt * heads);
      this.lbaLow = (rest % spt) + 1;
      this.lbaMid = cylinder & 0xff;
      this.lbaHigh = (cylinder >> 8) & 0xff;
      this.device = (this.device & ~ATA_DEV_HEAD) | Math.floor(rest / spt);
    }
  }

  /** Validates the command's range; on failure aborts with IDNF and returns -1. */
  private rangeStart(mode: number, n: number): number {
    const lba = this.commandLba(mode);
    if (lba < 0 || lba + n > this.sectors) {
      this.abortCommand(ATA_ER_IDNF);
      return -1;
    }
    return lba;
  }

  // ---- data commands ----

  private startMultiple(ext: boolean, write: boolean): void {
    if (this.multiple === 0) {
      this.abortCommand(ATA_ER_ABRT);
      return;
    }
    if (write) this.startWrite(ext, this.multiple, false);
    else this.startRead(ext, this.multiple, false);
  }

  private startDma(ext: boolean, write: boolean): void {
    if (!this.host?.dmaCapable) {
      this.abortCommand(ATA_ER_ABRT);
      return;
    }
    if (write) this.startWrite(ext, DMA_BLOCK_SECTORS, true);
    else this.startRead(ext, DMA_BLOCK_SECTORS, true);
  }

  private begin(kind: number, ext: boolean, block: number, dma: boolean): boolean {
    const mode = this.addressMode(ext);
    const n = this.commandCount(ext);
    const lba = this.rangeStart(mode, n);
    if (lba < 0) return false;
    this.powerMode = POWER_ACTIVE;
    this.xKind = kind;
    this.xLba = lba;
    this.xRemaining = n;
    this.xBlock = block;
    this.xAddr = mode;
    this.xDma = dma;
    return true;
  }

  private startRead(ext: boolean, block: number, dma: boolean): void {
    if (this.begin(X_READ, ext, block, dma)) this.loadReadBlock();
  }

  private startWrite(ext: boolean, block: number, dma: boolean): void {
    if (this.image.readOnly) {
      this.abortCommand(ATA_ER_ABRT);
      return;
    }
    // The first block of a PIO write is requested without an interrupt (PIO data-out protocol).
    if (this.begin(X_WRITE, ext, block, dma)) this.startBlock(0, this.blockSectors() * SECTOR_SIZE, false, dma, false);
  }

  private blockSectors(): number {
    return Math.min(this.xBlock, this.xRemaining);
  }

  /** Reads the next block from the image and offers it, with INTRQ for PIO. */
  private loadReadBlock(): void {
    const bytes = this.blockSectors() * SECTOR_SIZE;
    this.image.read(this.xLba * SECTOR_SIZE, this.buf.subarray(0, bytes));
    this.startBlock(0, bytes, true, this.xDma, !this.xDma);
  }

  protected blockDone(): void {
    if (this.xKind === X_IDENTIFY) {
      this.completeCommand(false);
      return;
    }
    const n = this.end / SECTOR_SIZE;
    if (this.xKind === X_WRITE) this.image.write(this.xLba * SECTOR_SIZE, this.buf.subarray(0, n * SECTOR_SIZE));
    this.xLba += n;
    this.xRemaining -= n;
    if (this.xRemaining > 0) {
      if (this.xKind === X_READ) this.loadReadBlock();
      else this.startBlock(0, this.blockSectors() * SECTOR_SIZE, false, this.xDma, !this.xDma);
      return;
    }
    this.setAddress(this.xLba - 1, this.xAddr);
    // PIO data-in ends without an interrupt (the last block's DRQ had one); writes and DMA interrupt.
    this.completeCommand(this.xKind === X_WRITE || this.xDma);
  }

  private verify(ext: boolean): void {
    const mode = this.addressMode(ext);
    const n = this.commandCount(ext);
    const lba = this.rangeStart(mode, n);
    if (lba < 0) return;
    this.setAddress(lba + n - 1, mode);
    this.completeCommand(true);
  }

  private seek(): void {
    const lba = this.commandLba(this.addressMode(false));
    if (lba < 0 || lba >= this.sectors) {
      this.abortCommand(ATA_ER_IDNF);
      return;
    }
    this.completeCommand(true);
  }

  // ---- settings ----

  /** INITIALIZE DEVICE PARAMETERS: sectors per track from the count, heads from the device register. */
  private initializeParameters(): void {
    if (this.count === 0) {
      this.abortCommand(ATA_ER_ABRT);
      return;
    }
    this.curSpt = this.count;
    this.curHeads = (this.device & ATA_DEV_HEAD) + 1;
    this.completeCommand(true);
  }

  /** SET MULTIPLE MODE: a power of two up to the maximum, or 0 to disable. */
  private setMultiple(): void {
    const n = this.count;
    if (n > ATA_MAX_MULTIPLE || (n & (n - 1)) !== 0) {
      this.abortCommand(ATA_ER_ABRT);
      return;
    }
    this.multiple = n;
    this.completeCommand(true);
  }

  private setFeatures(): void {
    switch (this.feature) {
      case SETF_WRITE_CACHE_ON:
        this.writeCache = true;
        break;
      case SETF_WRITE_CACHE_OFF:
        this.writeCache = false;
        break;
      case SETF_LOOKAHEAD_ON:
        this.lookAhead = true;
        break;
      case SETF_LOOKAHEAD_OFF:
        this.lookAhead = false;
        break;
      case SETF_REVERT_ON:
      case SETF_REVERT_OFF:
        break;
      case SETF_TRANSFER_MODE:
        if (!this.validTransferMode(this.count)) {
          this.abortCommand(ATA_ER_ABRT);
          return;
        }
        this.transferMode = this.count;
        break;
      default:
        this.abortCommand(ATA_ER_ABRT);
        return;
    }
    this.completeCommand(true);
  }

  /** PIO modes 0-4 always; multiword DMA 0-2 and Ultra DMA 0-5 with a bus master. */
  private validTransferMode(v: number): boolean {
    if (v === XFER_PIO_DEFAULT || v === XFER_PIO_DEFAULT_NO_IORDY) return true;
    if ((v & 0xf8) === XFER_PIO_FLOW) return (v & 7) <= 4;
    if (!this.host?.dmaCapable) return false;
    if ((v & 0xf8) === XFER_MWDMA) return (v & 7) <= 2;
    if ((v & 0xf8) === XFER_UDMA) return (v & 7) <= 5;
    return false;
  }

  // ---- IDENTIFY DEVICE ----

  private identify(): void {
    this.buildIdentify(this.buf);
    this.xKind = X_IDENTIFY;
    this.startBlock(0, SECTOR_SIZE, true, false, true);
  }

  /** The 256 IDENTIFY DEVICE words (ATA/ATAPI-6, IDENTIFY DEVICE). */
  buildIdentify(d: Uint8Array): void {
    const w = (i: number, v: number) => IdeDevice.putWord(d, i, v);
    d.fill(0, 0, SECTOR_SIZE);
    const dma = this.host?.dmaCapable ?? false;
    const lba28 = Math.min(this.sectors, LBA28_LIMIT);
    const curCyl = this.curCylinders;
    const curCapacity = curCyl * this.curHeads * this.curSpt;
    w(0, 0x0040); // ATA device, fixed
    w(1, this.cylinders);
    w(3, this.heads);
    w(6, this.sectorsPerTrack);
    IdeDevice.putString(d, 10, 10, this.serial);
    w(20, 3);
    w(21, 512);
    w(22, 4); // buffer type and size (retired), ECC bytes (obsolete)
    IdeDevice.putString(d, 23, 4, this.firmware);
    IdeDevice.putString(d, 27, 20, this.model);
    w(47, 0x8000 | ATA_MAX_MULTIPLE);
    w(48, 0x0001); // doubleword PIO (ATA-1's meaning; reserved later)
    w(49, 0x0a00 | (dma ? 0x0100 : 0)); // IORDY supported, LBA supported, DMA supported
    w(50, 0x4000);
    w(51, 0x0200);
    w(52, 0x0200); // PIO / DMA timing mode (obsolete)
    w(53, 0x0003 | (dma ? 0x0004 : 0)); // words 54-58, 64-70 (and 88) valid
    w(54, curCyl);
    w(55, this.curHeads);
    w(56, this.curSpt);
    w(57, curCapacity & 0xffff);
    w(58, curCapacity >>> 16);
    w(59, this.multiple ? 0x0100 | this.multiple : 0);
    w(60, lba28 & 0xffff);
    w(61, lba28 >>> 16);
    if (dma) w(63, 0x0007 | this.selectedMode(XFER_MWDMA));
    w(64, 0x0003); // PIO modes 3 and 4
    w(65, 120);
    w(66, 120);
    w(67, 120);
    w(68, 120);
    w(80, 0x007e); // ATA-1 .. ATA-6
    w(82, 0x4068); // NOP, look-ahead, write cache, power management
    w(83, 0x7400); // FLUSH CACHE EXT, FLUSH CACHE, 48-bit address
    w(84, 0x4000);
    w(85, 0x4008 | (this.writeCache ? 0x20 : 0) | (this.lookAhead ? 0x40 : 0));
    w(86, 0x3400);
    w(87, 0x4000);
    if (dma) w(88, 0x003f | this.selectedMode(XFER_UDMA));
    const s = this.sectors;
    w(100, s & 0xffff);
    w(101, (s >>> 16) & 0xffff);
    w(102, Math.floor(s / 0x100000000) & 0xffff);
    w(103, 0);
    IdeDevice.putIntegrity(d);
  }

  /** Bit 8+n when SET FEATURES selected mode n of the given DMA kind (words 63 and 88). */
  private selectedMode(kind: number): number {
    return (this.transferMode & 0xf8) === kind ? 0x100 << (this.transferMode & 7) : 0;
  }

  // ---- snapshot ----

  static readonly STATE = defineState<AtaDisk>()({
    name: "ata-disk",
    version: 1,
    minVersion: 1,
    fields: {
      ...IdeDevice.DEVICE_FIELDS,
      // The disk's size, saved to check that the record belongs to the disk attached.
      sectors: field(int(0, Number.MAX_SAFE_INTEGER), { get: (d) => d.sectors }),
      settings: fieldAt(SETTINGS_STATE, {
        multiple: "multiple",
        curHeads: "curHeads",
        curSpt: "curSpt",
        writeCache: "writeCache",
        lookAhead: "lookAhead",
        powerMode: "powerMode",
      }),
      command: fieldAt(COMMAND_STATE, {
        kind: "xKind",
        lba: "xLba",
        remaining: "xRemaining",
        block: "xBlock",
        addressing: "xAddr",
        dma: "xDma",
      }),
    },
    check(v, fail, disk) {
      IdeDevice.checkEngine(v, fail, disk);
      if (v.sectors !== disk.sectors)
        fail(`saved for a disk of ${v.sectors} sectors, attached to one of ${disk.sectors}`);
      const cmd = v.command;
      if (cmd.lba > disk.sectors) fail(`field 'command.lba' is ${cmd.lba}, past the disk's end`);
      // The command and the block on offer must fit together, so the transfer can go on.
      const expected =
        cmd.kind === X_NONE
          ? XFER_NONE
          : cmd.kind === X_IDENTIFY
            ? XFER_PIO_IN
            : cmd.kind === X_READ
              ? cmd.dma
                ? XFER_DMA_IN
                : XFER_PIO_IN
              : cmd.dma
                ? XFER_DMA_OUT
                : XFER_PIO_OUT;
      if (v.xfer !== expected) fail("command state and transfer phase disagree");
      if (cmd.kind === X_IDENTIFY && v.end !== SECTOR_SIZE) fail("IDENTIFY data is not one sector");
      if (cmd.kind === X_READ || cmd.kind === X_WRITE) {
        if (cmd.remaining === 0 || cmd.lba + cmd.remaining > disk.sectors) fail("transfer range leaves the disk");
        if (v.end !== Math.min(cmd.block, cmd.remaining) * SECTOR_SIZE) fail("data block does not match the command");
      }
    },
    postLoad: (d) => d.host?.deviceChanged(),
  });
  readonly stateDefinition: StateSchema = AtaDisk.STATE;

  saveState(): StateRecord {
    return AtaDisk.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    AtaDisk.STATE.load(this, fields, version);
  }
}
