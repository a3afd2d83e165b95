// Intel 82077AA floppy disk controller in PC-AT mode, with up to two 3.5"/5.25" drives.
//
// The chip knows its registers (DOR, MSR/DSR, FIFO, DIR/CCR), the command/execution/result
// phases, its INT output and one DMA channel; the machine chooses the ports, the IRQ and the
// channel. Media are DiskImages whose size selects a standard geometry; sector IDs on the media
// are always the standard ones (C = track, H = side, R = 1..SPT, N = 2, i.e. 512 bytes).
//
// Key design choice: execution is not byte-timed. When a data command starts executing, every
// sector moves through the DMA controller in one go (or, in non-DMA mode, through the FIFO as the
// host reads or writes it), then the result phase is entered and INT is raised. Execution,
// seeks and resets may take a configurable machine-time delay (nextDeadline/advance); with the
// default of 0 they complete at the end of the port write that started them, never in the middle
// of a command byte sequence.

import {
  SECTOR_SIZE,
  bool,
  bytes,
  defineState,
  field,
  fieldAt,
  int,
  record,
  records,
  timeOrNever,
  u8,
  floppyGeometry,
  type FloppyGeometry,
  type DiskImage,
  type IoSurface,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import type { IrqLine } from "./irq.ts";
import type { DmaChannel } from "./dma8237.ts";

/** Port base of the primary controller on a PC (the surface claims base+2, +4, +5, +7). */
export const PC_FDC_BASE = 0x3f0;

// Register offsets from the base (82077AA datasheet, Table 1, PC-AT mode).
export const FDC_DOR = 2;
export const FDC_MSR = 4; // read
export const FDC_DSR = 4; // write
export const FDC_FIFO = 5;
export const FDC_DIR = 7; // read
export const FDC_CCR = 7; // write

// Digital Output Register.
export const DOR_DRIVE_SELECT = 0x03;
/** 0 holds the controller in reset. */
export const DOR_NRESET = 0x04;
/** In PC-AT mode, 0 tri-states INT and DRQ. */
export const DOR_DMA_GATE = 0x08;
export const DOR_MOTOR0 = 0x10;

// Main Status Register.
export const MSR_RQM = 0x80;
/** 1 = data goes from the controller to the host. */
export const MSR_DIO = 0x40;
export const MSR_NON_DMA = 0x20;
export const MSR_CMD_BUSY = 0x10;
export const MSR_DRIVE_BUSY = 0x0f;

// Data rate select / configuration control.
export const DSR_SW_RESET = 0x80;
export const DSR_PRECOMP = 0x1c;
export const DSR_RATE = 0x03;
export const RATE_500K = 0;
export const RATE_300K = 1;
export const RATE_250K = 2;
export const RATE_1M = 3;

// Digital Input Register (PC-AT mode: only bit 7 is driven by the controller).
export const DIR_DISK_CHANGE = 0x80;

// Status register 0.
export const ST0_IC_NORMAL = 0x00;
export const ST0_IC_ABNORMAL = 0x40;
export const ST0_IC_INVALID = 0x80;
/** Abnormal termination caused by polling: the drive's ready state changed (after reset). */
export const ST0_IC_READY_CHANGE = 0xc0;
export const ST0_SEEK_END = 0x20;
export const ST0_EQUIPMENT_CHECK = 0x10;
export const ST0_NOT_READY = 0x08;
export const ST0_HEAD = 0x04;
// Status register 1.
export const ST1_END_OF_CYLINDER = 0x80;
export const ST1_CRC_ERROR = 0x20;
export const ST1_OVERRUN = 0x10;
export const ST1_NO_DATA = 0x04;
export const ST1_NOT_WRITABLE = 0x02;
export const ST1_MISSING_AM = 0x01;
// Status register 2.
export const ST2_CONTROL_MARK = 0x40;
export const ST2_WRONG_CYLINDER = 0x10;
export const ST2_BAD_CYLINDER = 0x02;
// Status register 3.
export const ST3_WRITE_PROTECT = 0x40;
/** Bits 5 and 3 of ST3 read as 1 on the 82077AA. */
export const ST3_ONES = 0x28;
export const ST3_TRACK0 = 0x10;
export const ST3_HEAD = 0x04;

// Command opcodes (low five bits) and modifier bits.
export const CMD_READ_TRACK = 0x02;
export const CMD_SPECIFY = 0x03;
export const CMD_SENSE_DRIVE_STATUS = 0x04;
export const CMD_WRITE_DATA = 0x05;
export const CMD_READ_DATA = 0x06;
export const CMD_RECALIBRATE = 0x07;
export const CMD_SENSE_INTERRUPT = 0x08;
export const CMD_READ_ID = 0x0a;
export const CMD_FORMAT_TRACK = 0x0d;
export const CMD_DUMPREG = 0x0e;
export const CMD_SEEK = 0x0f;
export const CMD_VERSION = 0x10;
export const CMD_PERPENDICULAR = 0x12;
export const CMD_CONFIGURE = 0x13;
export const CMD_LOCK = 0x14;
export const CMD_VERIFY = 0x16;
export const CMD_MT = 0x80;
export const CMD_MFM = 0x40;
export const CMD_SK = 0x20;
export const SEEK_RELATIVE = 0x80;
export const SEEK_INWARD = 0x40;
export const LOCK_BIT = 0x80;
/** VERSION result of an 82077AA (an 8272A/765 answers 0x80, i.e. invalid). */
export const FDC_VERSION_82077 = 0x90;

// CONFIGURE second parameter byte.
const CONF_EIS = 0x40;
const CONF_EFIFO_OFF = 0x20;
const CONF_POLL_OFF = 0x10;
const CONF_FIFOTHR = 0x0f;

/** Data rates (bit per RATE_* code) a format reads at. */
function ratesOf(g: FloppyGeometry): number {
  let bits = 0;
  for (const kbps of g.rateKbps)
    bits |= 1 << (kbps === 500 ? RATE_500K : kbps === 300 ? RATE_300K : kbps === 250 ? RATE_250K : RATE_1M);
  return bits;
}

/** Total command length (bytes, opcode included) per first byte; 0 = invalid command. */
const COMMAND_LENGTH = new Uint8Array(256);
function defineCommand(op: number, modifiers: number, length: number): void {
  // Every combination of the allowed modifier bits is the same command.
  for (let m = 0; m < 256; m++) if ((m & ~modifiers) === 0) COMMAND_LENGTH[op | m] = length;
}
defineCommand(CMD_READ_DATA, CMD_MT | CMD_MFM | CMD_SK, 9);
defineCommand(CMD_WRITE_DATA, CMD_MT | CMD_MFM, 9);
defineCommand(CMD_READ_TRACK, CMD_MFM | CMD_SK, 9);
defineCommand(CMD_VERIFY, CMD_MT | CMD_MFM | CMD_SK, 9);
defineCommand(CMD_READ_ID, CMD_MFM, 2);
defineCommand(CMD_FORMAT_TRACK, CMD_MFM, 6);
defineCommand(CMD_RECALIBRATE, 0, 2);
defineCommand(CMD_SENSE_INTERRUPT, 0, 1);
defineCommand(CMD_SPECIFY, 0, 3);
defineCommand(CMD_SENSE_DRIVE_STATUS, 0, 2);
defineCommand(CMD_SEEK, SEEK_RELATIVE | SEEK_INWARD, 3); // DIR is ignored when RS = 0
defineCommand(CMD_VERSION, 0, 1);
defineCommand(CMD_CONFIGURE, 0, 4);
defineCommand(CMD_DUMPREG, 0, 1);
defineCommand(CMD_LOCK, LOCK_BIT, 1);
defineCommand(CMD_PERPENDICULAR, 0, 2);

// Controller phases.
const PHASE_COMMAND = 0;
/** Command bytes all received; execution starts at eventAt. */
const PHASE_EXEC_WAIT = 1;
/** Non-DMA execution: the host moves the sector buffer through the FIFO. */
const PHASE_EXEC_PIO = 2;
const PHASE_RESULT = 3;

// Timed controller events.
const EV_NONE = 0;
const EV_RESET = 1;
const EV_EXECUTE = 2;

// What the execution phase is doing.
const X_NONE = 0;
const X_READ = 1;
const X_WRITE = 2;
const X_VERIFY = 3;
const X_FORMAT = 4;

const MAX_DRIVES = 4;
const RESULT_MAX = 10;
const COMMAND_MAX = 9;

class Drive {
  media: DiskImage | null = null;
  geometry: FloppyGeometry | null = null;
  /** Present cylinder number (the controller's PCN for this drive; heads never lose track). */
  cylinder = 0;
  /** Next sector ID to pass under the head, for READ ID. */
  sectorPointer = 1;
  /** The drive's disk change latch (DIR bit 7). */
  changed = true;
  /** MSR drive busy bit: set by SEEK/RECALIBRATE, cleared by the SENSE INTERRUPT STATUS that reports it. */
  busy = false;
  sensePending = false;
  senseSt0 = 0;
  seekAt = Infinity;
  seekTarget = 0;
  seekHead = 0;
  seekRecalibrate = false;
  constructor(readonly present: boolean) {}
}

export interface Fdc82077Options {
  /** Number of drives attached (0-2; default 2). */
  drives?: number;
  /** Machine ns from the last command byte to the end of execution, and from reset release to its interrupt. */
  commandDelayNs?: number;
  /** Machine ns a SEEK or RECALIBRATE takes. */
  seekDelayNs?: number;
  /** Refuse media read at the wrong data rate (missing address mark), as the hardware does. Default true. */
  checkDataRate?: boolean;
}

/** A non-DMA transfer in progress (kind X_NONE when there is none). */
const EXEC_STATE = record({
  fields: {
    kind: int(X_NONE, X_FORMAT),
    drive: int(0, 3),
    head: int(0, 1),
    c: u8,
    h: u8,
    r: u8,
    n: u8,
    eot: u8,
    multiTrack: bool,
    count: u8,
    limit: u8,
    fill: u8,
    pos: int(0, SECTOR_SIZE),
    length: int(0, SECTOR_SIZE),
    toHost: bool,
  },
});

const DRIVE_STATE = record({
  fields: {
    cylinder: u8,
    sectorPointer: int(1, 0xff),
    changed: bool,
    busy: bool,
    sensePending: bool,
    senseSt0: u8,
    seekAt: timeOrNever(),
    seekTarget: u8,
    seekHead: int(0, 1),
    seekRecalibrate: bool,
  },
});

export class Fdc82077 implements Stateful {
  private readonly drives: Drive[] = [];
  private readonly commandDelayNs: number;
  private readonly seekDelayNs: number;
  private readonly checkDataRate: boolean;

  private dor = 0;
  private dataRate = RATE_500K;
  /** Write precompensation (DSR bits 2-4): kept for the snapshot only, it has no effect on emulated media. */
  protected precomp = 0;
  private specifySrtHut = 0;
  private specifyHltNd = 0;
  private eis = false;
  private fifoDisabled = true;
  private pollDisabled = false;
  private fifoThreshold = 0;
  private pretrack = 0;
  private locked = false;
  /** PERPENDICULAR MODE settings as DUMPREG shows them: D3-D0 in bits 5-2, GAP bit 1, WGATE bit 0. */
  private perpendicular = 0;
  private lastEot = 0;

  private phase = PHASE_COMMAND;
  private readonly command = new Uint8Array(COMMAND_MAX);
  private commandLength = 0;
  private commandNeeded = 0;
  private readonly result = new Uint8Array(RESULT_MAX);
  private resultLength = 0;
  private resultPos = 0;

  /** The chip's INT output before the DMA gate; irqLevel is what the line shows. */
  private intPending = false;
  private irqLevel = false;
  /** SENSE INTERRUPT STATUS results still owed after a reset (4 down to 0). */
  private resetSense = 0;
  private eventKind = EV_NONE;
  private eventAt = Infinity;

  // Execution state of a data command.
  private xKind = X_NONE;
  private xDrive = 0;
  private xHead = 0;
  private xC = 0;
  private xH = 0;
  private xR = 0;
  private xN = 0;
  private xEot = 0;
  private xMultiTrack = false;
  /** Sectors done (FORMAT, VERIFY with EC) and the number wanted. */
  private xCount = 0;
  private xLimit = 0;
  private xFill = 0;
  private xPos = 0;
  private xLength = 0;
  private xToHost = false;
  private readonly buffer = new Uint8Array(SECTOR_SIZE);
  private readonly fillBuffer = new Uint8Array(SECTOR_SIZE);

  constructor(
    private readonly clock: TimeSource,
    private readonly irq: IrqLine,
    private readonly dma: DmaChannel | null,
    options: Fdc82077Options = {},
  ) {
    const n = options.drives ?? 2;
    if (!Number.isInteger(n) || n < 0 || n > 2) throw new RangeError(`the 82077AA model drives 0-2 drives, not ${n}`);
    for (let d = 0; d < MAX_DRIVES; d++) this.drives.push(new Drive(d < n));
    this.commandDelayNs = options.commandDelayNs ?? 0;
    this.seekDelayNs = options.seekDelayNs ?? 0;
    this.checkDataRate = options.checkDataRate ?? true;
    this.reset();
  }

  // ---- machine-facing API ----

  /**
   * Hardware reset: DOR = 0 (controller held in reset until the host sets DOR bit 2, as a BIOS
   * POST does), configuration to defaults, LOCK released. The data rate starts at 500 kb/s, the
   * rate a BIOS leaves selected for a 1.44M drive. Drives keep their heads and media.
   */
  reset(): void {
    this.dor = 0;
    this.dataRate = RATE_500K;
    this.precomp = 0;
    this.specifySrtHut = 0;
    this.specifyHltNd = 0;
    this.locked = false;
    this.perpendicular = 0;
    this.lastEot = 0;
    this.softReset();
  }

  /** Puts media in a drive (sets the disk change line). Throws DiskFormatError for a non-standard size. */
  insert(drive: number, image: DiskImage): void {
    const d = this.presentDrive(drive);
    const g = floppyGeometry(image.size);
    d.media = image;
    d.geometry = g;
    d.sectorPointer = 1;
    d.changed = true;
  }

  /** Removes the media (sets the disk change line). */
  eject(drive: number): void {
    const d = this.presentDrive(drive);
    d.media = null;
    d.geometry = null;
    d.changed = true;
  }

  /** The media in a drive, or null. */
  media(drive: number): DiskImage | null {
    return this.presentDrive(drive).media;
  }

  /** Ports at base+2 (DOR), +4 (MSR/DSR), +5 (FIFO), +7 (DIR/CCR). */
  ioSurface(base: number, name = "fdc82077"): IoSurface {
    return {
      name,
      ports: [
        { base: base + FDC_DOR, count: 1, read8: () => this.readDor(), write8: (_o, v) => this.writeDor(v) },
        {
          base: base + FDC_MSR,
          count: 2,
          read8: (o) => (o === 0 ? this.readMsr() : this.readFifo()),
          write8: (o, v) => (o === 0 ? this.writeDsr(v) : this.writeFifo(v)),
        },
        { base: base + FDC_DIR, count: 1, read8: () => this.readDir(), write8: (_o, v) => this.writeCcr(v) },
      ],
    };
  }

  advance(now: number): void {
    this.catchUp(now);
  }

  nextDeadline(): number {
    let t = this.eventAt;
    for (const d of this.drives) if (d.seekAt < t) t = d.seekAt;
    return t;
  }

  private presentDrive(drive: number): Drive {
    const d = this.drives[drive];
    if (!Number.isInteger(drive) || !d || !d.present) throw new RangeError(`no floppy drive ${drive}`);
    return d;
  }

  // ---- timed events ----

  private catchUp(now: number): void {
    for (;;) {
      let at = this.eventAt,
        which = -1;
      for (let i = 0; i < MAX_DRIVES; i++)
        if (this.drives[i].seekAt < at) {
          at = this.drives[i].seekAt;
          which = i;
        }
      if (at > now) return;
      if (which >= 0) this.completeSeek(which);
      else this.fireEvent();
    }
  }

  private schedule(kind: number, delay: number): void {
    this.eventKind = kind;
    this.eventAt = this.clock.now() + delay;
  }

  private fireEvent(): void {
    const kind = this.eventKind;
    this.eventKind = EV_NONE;
    this.eventAt = Infinity;
    if (kind === EV_RESET) {
      // After reset the polling routine finds every drive's ready line "changed": INT is raised
      // and four SENSE INTERRUPT STATUS commands collect ST0 = 0xC0..0xC3 (82077AA datasheet,
      // "Reset" and "Polling"). This model reports them whether or not polling is enabled.
      this.resetSense = 4;
      this.setInt();
    } else if (kind === EV_EXECUTE) {
      this.execute();
    }
  }

  // ---- registers ----

  private get inReset(): boolean {
    return (this.dor & DOR_NRESET) === 0;
  }

  private readDor(): number {
    this.catchUp(this.clock.now());
    return this.dor;
  }

  private writeDor(v: number): void {
    this.catchUp(this.clock.now());
    const wasReset = this.inReset;
    this.dor = v & 0xff;
    if (this.inReset) {
      if (!wasReset) this.softReset();
    } else if (wasReset) {
      this.schedule(EV_RESET, this.commandDelayNs);
    }
    this.updateIrq();
    this.catchUp(this.clock.now());
  }

  private writeDsr(v: number): void {
    this.catchUp(this.clock.now());
    this.dataRate = v & DSR_RATE;
    this.precomp = (v & DSR_PRECOMP) >> 2;
    // The DSR software reset clears itself; a reset held by the DOR takes precedence.
    if ((v & DSR_SW_RESET) !== 0 && !this.inReset) {
      this.softReset();
      this.schedule(EV_RESET, this.commandDelayNs);
    }
    this.catchUp(this.clock.now());
  }

  private writeCcr(v: number): void {
    this.catchUp(this.clock.now());
    this.dataRate = v & DSR_RATE;
  }

  private readDir(): number {
    this.catchUp(this.clock.now());
    const d = this.drives[this.dor & DOR_DRIVE_SELECT];
    return d.present && d.changed ? DIR_DISK_CHANGE : 0;
  }

  private readMsr(): number {
    this.catchUp(this.clock.now());
    if (this.inReset) return 0;
    let v = 0;
    for (let i = 0; i < MAX_DRIVES; i++) if (this.drives[i].busy) v |= 1 << i;
    switch (this.phase) {
      case PHASE_COMMAND:
        return v | MSR_RQM | (this.commandLength > 0 ? MSR_CMD_BUSY : 0);
      case PHASE_EXEC_WAIT:
        return v | MSR_CMD_BUSY;
      case PHASE_EXEC_PIO:
        return v | MSR_RQM | MSR_NON_DMA | MSR_CMD_BUSY | (this.xToHost ? MSR_DIO : 0);
      default:
        return v | MSR_RQM | MSR_DIO | MSR_CMD_BUSY;
    }
  }

  private readFifo(): number {
    this.catchUp(this.clock.now());
    if (this.inReset) return 0xff;
    if (this.phase === PHASE_RESULT) {
      const v = this.result[this.resultPos++];
      // Reading the first result byte clears INT.
      if (this.resultPos === 1) this.clearInt();
      if (this.resultPos >= this.resultLength) this.toCommandPhase();
      return v;
    }
    if (this.phase === PHASE_EXEC_PIO && this.xToHost) {
      if (this.xPos === 0) this.clearInt();
      const v = this.buffer[this.xPos++];
      if (this.xPos >= this.xLength) this.pioBufferDone();
      return v;
    }
    return 0xff;
  }

  private writeFifo(v: number): void {
    this.catchUp(this.clock.now());
    if (this.inReset) return;
    if (this.phase === PHASE_COMMAND) {
      if (this.commandLength === 0) {
        this.commandNeeded = COMMAND_LENGTH[v];
        if (this.commandNeeded === 0) {
          this.setResult1(ST0_IC_INVALID);
          return;
        }
      }
      this.command[this.commandLength++] = v;
      if (this.commandLength === this.commandNeeded) {
        this.commandLength = 0;
        this.startCommand();
      }
    } else if (this.phase === PHASE_EXEC_PIO && !this.xToHost) {
      if (this.xPos === 0) this.clearInt();
      this.buffer[this.xPos++] = v;
      if (this.xPos >= this.xLength) this.pioBufferDone();
    }
    // Bytes written in other phases are ignored.
    this.catchUp(this.clock.now());
  }

  // ---- interrupt, phases, reset ----

  private setInt(): void {
    this.intPending = true;
    this.updateIrq();
  }
  private clearInt(): void {
    this.intPending = false;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.intPending && (this.dor & DOR_DMA_GATE) !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (level) this.irq.raise();
    else this.irq.lower();
  }

  private toCommandPhase(): void {
    this.phase = PHASE_COMMAND;
    this.resultLength = 0;
    this.resultPos = 0;
  }

  private setResult1(v: number): void {
    this.result[0] = v;
    this.resultLength = 1;
    this.resultPos = 0;
    this.phase = PHASE_RESULT;
  }

  /** DOR or DSR reset: stops everything; CONFIGURE survives only when LOCKed. SPECIFY and the data rate survive. */
  private softReset(): void {
    this.phase = PHASE_COMMAND;
    this.commandLength = 0;
    this.commandNeeded = 0;
    this.resultLength = 0;
    this.resultPos = 0;
    this.resetSense = 0;
    this.eventKind = EV_NONE;
    this.eventAt = Infinity;
    this.xKind = X_NONE;
    for (const d of this.drives) {
      d.busy = false;
      d.sensePending = false;
      d.seekAt = Infinity;
    }
    this.eis = false;
    this.pollDisabled = false;
    if (!this.locked) {
      this.fifoDisabled = true;
      this.fifoThreshold = 0;
      this.pretrack = 0;
    }
    this.perpendicular &= ~0x03; // GAP and WGATE clear on reset, D3-D0 stay
    this.intPending = false;
    this.updateIrq();
  }

  // ---- command phase ----

  private startCommand(): void {
    const c = this.command;
    const drive = c[1] & 3,
      head = (c[1] >> 2) & 1;
    switch (c[0] & 0x1f) {
      case CMD_SPECIFY:
        this.specifySrtHut = c[1];
        this.specifyHltNd = c[2];
        this.toCommandPhase();
        return;
      case CMD_SENSE_DRIVE_STATUS:
        this.setResult1(this.st3(drive, head));
        return;
      case CMD_RECALIBRATE:
        this.startSeek(drive, 0, 0, true);
        return;
      case CMD_SEEK: {
        const d = this.drives[drive];
        let target = c[2];
        if ((c[0] & SEEK_RELATIVE) !== 0) {
          target = (c[0] & SEEK_INWARD) !== 0 ? Math.min(255, d.cylinder + c[2]) : Math.max(0, d.cylinder - c[2]);
        }
        this.startSeek(drive, head, target, false);
        return;
      }
      case CMD_SENSE_INTERRUPT:
        this.senseInterrupt();
        return;
      case CMD_VERSION:
        this.setResult1(FDC_VERSION_82077);
        return;
      case CMD_CONFIGURE:
        this.eis = (c[2] & CONF_EIS) !== 0;
        this.fifoDisabled = (c[2] & CONF_EFIFO_OFF) !== 0;
        this.pollDisabled = (c[2] & CONF_POLL_OFF) !== 0;
        this.fifoThreshold = c[2] & CONF_FIFOTHR;
        this.pretrack = c[3];
        this.toCommandPhase();
        return;
      case CMD_DUMPREG:
        this.dumpreg();
        return;
      case CMD_LOCK:
        this.locked = (c[0] & LOCK_BIT) !== 0;
        this.setResult1(this.locked ? 0x10 : 0x00);
        return;
      case CMD_PERPENDICULAR:
        // OW (bit 7) gates the update of D3-D0; GAP and WGATE are always written.
        this.perpendicular = ((c[1] & 0x80) !== 0 ? c[1] & 0x3c : this.perpendicular & 0x3c) | (c[1] & 0x03);
        this.toCommandPhase();
        return;
      default:
        // READ/WRITE/VERIFY/READ TRACK/READ ID/FORMAT: execution phase.
        this.phase = PHASE_EXEC_WAIT;
        this.schedule(EV_EXECUTE, this.commandDelayNs);
    }
  }

  private st3(drive: number, head: number): number {
    const d = this.drives[drive];
    let v = (head << 2) | drive;
    if (!d.present) return v;
    v |= ST3_ONES;
    if (d.cylinder === 0) v |= ST3_TRACK0;
    // A drive without a disk reports write protect, like one with a protected disk.
    if (!d.media || d.media.readOnly) v |= ST3_WRITE_PROTECT;
    return v;
  }

  private dumpreg(): void {
    const r = this.result;
    for (let i = 0; i < MAX_DRIVES; i++) r[i] = this.drives[i].cylinder;
    r[4] = this.specifySrtHut;
    r[5] = this.specifyHltNd;
    r[6] = this.lastEot;
    r[7] = (this.locked ? 0x80 : 0) | this.perpendicular;
    r[8] =
      (this.eis ? CONF_EIS : 0) |
      (this.fifoDisabled ? CONF_EFIFO_OFF : 0) |
      (this.pollDisabled ? CONF_POLL_OFF : 0) |
      this.fifoThreshold;
    r[9] = this.pretrack;
    this.resultLength = 10;
    this.resultPos = 0;
    this.phase = PHASE_RESULT;
  }

  private senseInterrupt(): void {
    if (this.resetSense > 0) {
      const d = MAX_DRIVES - this.resetSense--;
      this.setResult2(ST0_IC_READY_CHANGE | d, this.drives[d].cylinder);
      this.clearInt();
      return;
    }
    for (let i = 0; i < MAX_DRIVES; i++) {
      const d = this.drives[i];
      if (!d.sensePending) continue;
      d.sensePending = false;
      d.busy = false;
      this.setResult2(d.senseSt0, d.cylinder);
      this.clearInt();
      return;
    }
    // Nothing to report: the command is answered as invalid.
    this.setResult1(ST0_IC_INVALID);
  }

  private setResult2(a: number, b: number): void {
    this.result[0] = a;
    this.result[1] = b;
    this.resultLength = 2;
    this.resultPos = 0;
    this.phase = PHASE_RESULT;
  }

  // ---- seek ----

  /** SEEK and RECALIBRATE have no result phase: the controller is free again at once. */
  private startSeek(drive: number, head: number, target: number, recalibrate: boolean): void {
    const d = this.drives[drive];
    d.busy = true;
    d.sensePending = false;
    d.seekTarget = target;
    d.seekHead = head;
    d.seekRecalibrate = recalibrate;
    d.seekAt = this.clock.now() + this.seekDelayNs;
    this.toCommandPhase();
  }

  private completeSeek(drive: number): void {
    const d = this.drives[drive];
    d.seekAt = Infinity;
    let st0 = ST0_SEEK_END | (d.seekHead << 2) | drive;
    if (d.seekRecalibrate && !d.present) {
      // No TRK0 signal after the step pulses: equipment check.
      st0 |= ST0_IC_ABNORMAL | ST0_EQUIPMENT_CHECK;
      d.cylinder = 0;
    } else {
      this.moveHead(d, d.seekTarget);
    }
    d.senseSt0 = st0;
    d.sensePending = true;
    this.setInt();
  }

  /** Steps the head; a step pulse with a disk present resets the disk change latch. */
  private moveHead(d: Drive, cylinder: number): void {
    if (cylinder !== d.cylinder && d.media) d.changed = false;
    d.cylinder = cylinder;
  }

  // ---- execution phase ----

  private execute(): void {
    const c = this.command;
    const op = c[0] & 0x1f;
    this.xDrive = c[1] & 3;
    this.xHead = (c[1] >> 2) & 1;
    this.xMultiTrack = false;
    this.xCount = 0;
    this.xLimit = 0;
    if (op === CMD_READ_ID) {
      this.readId();
      return;
    }
    if (op === CMD_FORMAT_TRACK) {
      this.startFormat();
      return;
    }

    this.xKind = op === CMD_WRITE_DATA ? X_WRITE : op === CMD_VERIFY ? X_VERIFY : X_READ;
    this.xC = c[2];
    this.xH = c[3];
    this.xR = c[4];
    this.xN = c[5];
    this.xEot = c[6];
    this.lastEot = c[6];
    this.xMultiTrack = (c[0] & CMD_MT) !== 0;
    if (op === CMD_READ_TRACK) {
      // READ TRACK reads from the first sector after the index hole, on one side only.
      this.xR = 1;
      this.xMultiTrack = false;
    }
    if (op === CMD_VERIFY && (c[1] & 0x80) !== 0) this.xLimit = c[8]; // EC = 1: DTL holds the sector count
    const err = this.checkMedia(this.xKind === X_WRITE);
    if (err !== 0) {
      this.finish(err >> 8, err & 0xff, 0);
      return;
    }
    // Implied seek (CONFIGURE EIS): the head moves to C before the sector search.
    if (this.eis) this.moveHead(this.drives[this.xDrive], this.xC);
    this.pump();
  }

  /**
   * Drive, density and write-protect checks shared by the data commands. Returns 0 or
   * (extra ST0 bits << 8) | ST1 bits.
   */
  private checkMedia(write: boolean): number {
    const d = this.drives[this.xDrive];
    if (!d.present || !d.media || !d.geometry) return (ST0_IC_ABNORMAL | ST0_NOT_READY) << 8;
    // FM encoding or the wrong data rate: the controller never finds an address mark.
    if ((this.command[0] & CMD_MFM) === 0) return (ST0_IC_ABNORMAL << 8) | ST1_MISSING_AM;
    if (this.checkDataRate && ((ratesOf(d.geometry) >> this.dataRate) & 1) === 0)
      return (ST0_IC_ABNORMAL << 8) | ST1_MISSING_AM;
    if (write && d.media.readOnly) return (ST0_IC_ABNORMAL << 8) | ST1_NOT_WRITABLE;
    return 0;
  }

  /** Whether the physical track under the head exists on the media (has sector IDs). */
  private trackExists(d: Drive): boolean {
    const g = d.geometry;
    return g !== null && d.cylinder < g.cylinders && this.xHead < g.heads;
  }

  private sectorOffset(d: Drive, r: number): number {
    const g = d.geometry!;
    return ((d.cylinder * g.heads + this.xHead) * g.sectorsPerTrack + r - 1) * SECTOR_SIZE;
  }

  /** Finds sector xC/xH/xR/xN on the current track. Returns 0 or ST1 | (ST2 << 8). */
  private locate(): number {
    const d = this.drives[this.xDrive];
    if (!this.trackExists(d)) return ST1_MISSING_AM;
    if (this.xC !== d.cylinder) return ST1_NO_DATA | ((this.xC === 0xff ? ST2_BAD_CYLINDER : ST2_WRONG_CYLINDER) << 8);
    if (this.xH !== this.xHead || this.xN !== 2 || this.xR < 1 || this.xR > d.geometry!.sectorsPerTrack)
      return ST1_NO_DATA;
    return 0;
  }

  /** Runs sector after sector until the host must move data (non-DMA) or the command ends. */
  private pump(): void {
    const d = this.drives[this.xDrive];
    for (;;) {
      const err = this.locate();
      if (err !== 0) {
        this.finish(ST0_IC_ABNORMAL, err & 0xff, err >> 8);
        return;
      }
      if (this.xKind !== X_WRITE) d.media!.read(this.sectorOffset(d, this.xR), this.buffer);
      let tc = false;
      if (this.xKind !== X_VERIFY) {
        if (this.nonDma) {
          this.waitHost(SECTOR_SIZE, this.xKind === X_READ);
          return;
        }
        const moved = this.dmaMove(SECTOR_SIZE);
        tc = this.dmaTc;
        if (moved < SECTOR_SIZE && !tc) {
          this.finish(ST0_IC_ABNORMAL, ST1_OVERRUN, 0);
          return;
        }
        // TC in mid-sector: the rest of a written sector is filled with zeros.
        if (this.xKind === X_WRITE) this.buffer.fill(0, moved);
      }
      if (!this.sectorDone(tc)) return;
    }
  }

  private get nonDma(): boolean {
    return (this.specifyHltNd & 1) !== 0;
  }

  /** Moves through DMA; DRQ is tri-stated when the DOR's DMA gate is off, so nothing moves. */
  private dmaMove(length: number): number {
    this.dmaTc = false;
    if (!this.dma || (this.dor & DOR_DMA_GATE) === 0) return 0;
    const moved = this.dma.transfer(this.buffer, 0, length);
    this.dmaTc = this.dma.terminalCount;
    return moved;
  }
  /** TC input sampled during the last dmaMove(). */
  private dmaTc = false;

  private waitHost(length: number, toHost: boolean): void {
    this.xPos = 0;
    this.xLength = length;
    this.xToHost = toHost;
    this.phase = PHASE_EXEC_PIO;
    // In non-DMA mode INT signals that the FIFO wants service.
    this.setInt();
  }

  private pioBufferDone(): void {
    this.phase = PHASE_EXEC_WAIT;
    if (this.xKind === X_FORMAT) {
      if (this.formatSectorDone(false)) this.formatPump();
    } else if (this.sectorDone(false)) {
      this.pump();
    }
  }

  /**
   * Finishes one sector and steps to the next ID (82077AA datasheet, result phase table: after
   * EOT, MT=0 gives C+1, R=1; MT=1 on side 0 continues on side 1; MT=1 on side 1 gives C+1,
   * H complemented, R=1). Returns false when the command has ended.
   */
  private sectorDone(tc: boolean): boolean {
    const d = this.drives[this.xDrive];
    if (this.xKind === X_WRITE) d.media!.write(this.sectorOffset(d, this.xR), this.buffer);
    d.sectorPointer = (this.xR % d.geometry!.sectorsPerTrack) + 1;
    let cylinderEnd = false;
    if (this.xR !== this.xEot) {
      this.xR = (this.xR + 1) & 0xff;
    } else {
      this.xR = 1;
      if (this.xMultiTrack && this.xHead === 0) {
        this.xHead = 1;
        this.xH ^= 1;
      } else {
        this.xC = (this.xC + 1) & 0xff;
        if (this.xMultiTrack) this.xH ^= 1;
        cylinderEnd = true;
      }
    }
    this.xCount++;
    if (tc || (this.xLimit > 0 && this.xCount >= this.xLimit)) {
      this.finish(ST0_IC_NORMAL, 0, 0);
      return false;
    }
    // Without TC the controller runs off the end of the cylinder: that is reported as an error.
    if (cylinderEnd) {
      if (this.xKind === X_VERIFY && this.xLimit === 0) this.finish(ST0_IC_NORMAL, 0, 0);
      else this.finish(ST0_IC_ABNORMAL, ST1_END_OF_CYLINDER, 0);
      return false;
    }
    return true;
  }

  private finish(ic: number, st1: number, st2: number): void {
    const r = this.result;
    r[0] = ic | (this.xHead << 2) | this.xDrive;
    r[1] = st1;
    r[2] = st2;
    r[3] = this.xC;
    r[4] = this.xH;
    r[5] = this.xR;
    r[6] = this.xN;
    this.resultLength = 7;
    this.resultPos = 0;
    this.phase = PHASE_RESULT;
    this.xKind = X_NONE;
    this.setInt();
  }

  private readId(): void {
    const d = this.drives[this.xDrive];
    this.xC = d.cylinder;
    this.xH = this.xHead;
    this.xR = d.sectorPointer;
    this.xN = 2;
    const err = this.checkMedia(false);
    if (err !== 0) {
      this.finish(err >> 8, err & 0xff, 0);
      return;
    }
    if (!this.trackExists(d)) {
      this.finish(ST0_IC_ABNORMAL, ST1_MISSING_AM, 0);
      return;
    }
    const spt = d.geometry!.sectorsPerTrack;
    if (this.xR > spt) this.xR = 1;
    d.sectorPointer = (this.xR % spt) + 1;
    this.finish(ST0_IC_NORMAL, 0, 0);
  }

  private startFormat(): void {
    const c = this.command;
    this.xKind = X_FORMAT;
    this.xN = c[2];
    this.xLimit = c[3];
    this.xFill = c[5];
    this.lastEot = c[3];
    const d = this.drives[this.xDrive];
    this.xC = d.cylinder;
    this.xH = this.xHead;
    this.xR = 0;
    const err = this.checkMedia(true);
    if (err !== 0) {
      this.finish(err >> 8, err & 0xff, 0);
      return;
    }
    if (this.xLimit === 0) {
      this.finish(ST0_IC_NORMAL, 0, 0);
      return;
    }
    this.fillBuffer.fill(this.xFill);
    this.formatPump();
  }

  /** FORMAT TRACK takes a 4-byte ID (C, H, R, N) per sector from the host. */
  private formatPump(): void {
    for (;;) {
      if (this.nonDma) {
        this.waitHost(4, false);
        return;
      }
      const moved = this.dmaMove(4);
      const tc = this.dmaTc;
      if (moved < 4) {
        this.finish(ST0_IC_ABNORMAL, ST1_OVERRUN, 0);
        return;
      }
      if (!this.formatSectorDone(tc)) return;
    }
  }

  /**
   * Writes one formatted sector. The media keep the standard layout, so an ID is honoured only
   * when it names a sector of that layout on the track under the head; other IDs are dropped.
   */
  private formatSectorDone(tc: boolean): boolean {
    const d = this.drives[this.xDrive];
    const b = this.buffer;
    this.xC = b[0];
    this.xH = b[1];
    this.xR = b[2];
    this.xN = b[3];
    if (
      this.trackExists(d) &&
      b[0] === d.cylinder &&
      b[1] === this.xHead &&
      b[3] === 2 &&
      this.command[2] === 2 &&
      b[2] >= 1 &&
      b[2] <= d.geometry!.sectorsPerTrack
    ) {
      d.media!.write(this.sectorOffset(d, b[2]), this.fillBuffer);
    }
    this.xCount++;
    if (tc || this.xCount >= this.xLimit) {
      this.finish(ST0_IC_NORMAL, 0, 0);
      return false;
    }
    return true;
  }

  // ---- snapshot ----

  /**
   * Controller and drive state. The media are not part of it: the machine inserts them again
   * before loading, and the saved disk change latches then replace what insert() set.
   */
  static readonly STATE = defineState<Fdc82077>()({
    name: "fdc82077",
    version: 1,
    minVersion: 1,
    fields: {
      dor: u8,
      dataRate: int(0, 3),
      precomp: int(0, 7),
      specifySrtHut: u8,
      specifyHltNd: u8,
      impliedSeek: field(bool, { key: "eis" }),
      fifoDisabled: bool,
      pollDisabled: bool,
      fifoThreshold: int(0, 15),
      pretrack: u8,
      locked: bool,
      perpendicular: int(0, 0x3f),
      lastEot: u8,
      phase: int(PHASE_COMMAND, PHASE_RESULT),
      command: bytes(COMMAND_MAX),
      commandLength: int(0, COMMAND_MAX - 1),
      commandNeeded: int(0, COMMAND_MAX),
      result: bytes(RESULT_MAX),
      resultLength: int(0, RESULT_MAX),
      resultPos: int(0, RESULT_MAX),
      intPending: bool,
      resetSense: int(0, 4),
      eventKind: int(EV_NONE, EV_EXECUTE),
      eventAt: timeOrNever(),
      // The execution state of a non-DMA transfer, held in the controller's x* fields.
      exec: fieldAt(EXEC_STATE, {
        kind: "xKind",
        drive: "xDrive",
        head: "xHead",
        c: "xC",
        h: "xH",
        r: "xR",
        n: "xN",
        eot: "xEot",
        multiTrack: "xMultiTrack",
        count: "xCount",
        limit: "xLimit",
        fill: "xFill",
        pos: "xPos",
        length: "xLength",
        toHost: "xToHost",
      }),
      buffer: bytes(SECTOR_SIZE),
      drives: records(MAX_DRIVES, DRIVE_STATE),
    },
    // Cross-field consistency, so a loaded controller can always make progress.
    check(s, fail, fdc) {
      const ex = s.exec;
      if (s.resultPos > s.resultLength) fail("resultPos is past resultLength");
      if (s.phase === PHASE_RESULT && s.resultPos >= s.resultLength) fail("result phase without result bytes");
      if (
        s.commandLength > 0 &&
        (s.commandNeeded <= s.commandLength || COMMAND_LENGTH[s.command[0]] !== s.commandNeeded)
      )
        fail("partial command is inconsistent");
      if ((s.eventKind === EV_NONE) !== (s.eventAt === Infinity)) fail("eventKind and eventAt disagree");
      if ((s.phase === PHASE_EXEC_WAIT) !== (s.eventKind === EV_EXECUTE))
        fail("execution phase and pending execution disagree");
      if (s.eventKind === EV_RESET && s.phase !== PHASE_COMMAND) fail("reset pending outside the command phase");
      if ((s.phase === PHASE_EXEC_PIO) !== (ex.kind !== X_NONE)) fail("execution state outside a non-DMA transfer");
      if (s.phase === PHASE_EXEC_PIO && (ex.kind === X_VERIFY || ex.pos >= ex.length))
        fail("non-DMA transfer state is inconsistent");
      if (ex.kind !== X_NONE && !fdc.drives[ex.drive].media)
        fail(`non-DMA transfer on drive ${ex.drive}, which has no media inserted`);
    },
    postLoad(fdc) {
      fdc.fillBuffer.fill(fdc.xFill);
      fdc.updateIrq();
    },
  });
  readonly stateDefinition = Fdc82077.STATE;
  readonly stateName = Fdc82077.STATE.name;
  readonly stateVersion = Fdc82077.STATE.version;
  readonly stateMinVersion = Fdc82077.STATE.minVersion;

  saveState(): StateRecord {
    return Fdc82077.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Fdc82077.STATE.load(this, fields, version);
  }
}
