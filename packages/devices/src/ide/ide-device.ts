// What every device on an ATA channel has (ATA/ATAPI-6, T13/1410D): its own copy of the task
// file (each of the 48-bit address registers a two-deep FIFO read back through HOB), status and
// error, its INTRQ, the reset and diagnostic signatures, and the data block engine that PIO and
// bus master DMA share. AtaDisk and AtapiCdrom add their commands.
//
// Key design choices:
//  - Commands complete without machine time: the device is never seen BSY except while SRST
//    is held; data is ready (DRQ, INTRQ) by the end of the port write that asked for it.
//  - A data transfer is a sequence of blocks in one buffer: startBlock() offers buf[pos, end)
//    to the host (PIO, DRQ) or to the bus master (DMA, DMARQ); when the last byte has moved,
//    blockDone() lets the command load the next block or finish. So PIO and DMA differ only in
//    who moves the bytes and where the interrupts fall.

import {
  bool,
  bytes,
  field,
  int,
  record,
  u8,
  type StateRecord,
  type StateSchema,
  type StateValues,
  type Stateful,
} from "@x86vm/core";
import {
  ATA_REG_COUNT,
  ATA_REG_DEVICE,
  ATA_REG_ERROR,
  ATA_REG_FEATURE,
  ATA_REG_LBA_HIGH,
  ATA_REG_LBA_LOW,
  ATA_REG_LBA_MID,
  ATA_REG_STATUS,
  ATA_SR_BSY,
  ATA_SR_DRQ,
  ATA_SR_ERR,
  ATA_ER_ABRT,
  ATA_DIAG_PASSED,
} from "./ata-regs.ts";

/** What a device needs from the channel it is attached to. */
export interface IdeDeviceHost {
  /** The device's INTRQ or DMA request changed. */
  deviceChanged(): void;
  /** Whether a bus master DMA engine serves the channel. */
  readonly dmaCapable: boolean;
}

// Data transfer phase of the block engine.
export const XFER_NONE = 0;
export const XFER_PIO_IN = 1;
export const XFER_PIO_OUT = 2;
export const XFER_DMA_IN = 3;
export const XFER_DMA_OUT = 4;

/** Largest device buffer (ATAPI's); each device checks against its own. */
const MAX_BUFFER = 0x10000;

const TASK_FILE_STATE = record({
  fields: {
    feature: u8,
    hobFeature: u8,
    count: u8,
    hobCount: u8,
    lbaLow: u8,
    hobLbaLow: u8,
    lbaMid: u8,
    hobLbaMid: u8,
    lbaHigh: u8,
    hobLbaHigh: u8,
    device: u8,
    status: u8,
    error: u8,
  },
});

export abstract class IdeDevice implements Stateful {
  abstract readonly stateName: string;
  readonly stateVersion = 1;
  readonly stateMinVersion = 1;
  /** The channel; set when the device is attached. */
  host: IdeDeviceHost | null = null;

  // Task file: current values and the previous writes (HOB).
  feature = 0;
  hobFeature = 0;
  count = 0;
  hobCount = 0;
  lbaLow = 0;
  hobLbaLow = 0;
  lbaMid = 0;
  hobLbaMid = 0;
  lbaHigh = 0;
  hobLbaHigh = 0;
  device = 0;
  status = 0;
  error = 0;
  /** The device's interrupt pending (INTRQ before nIEN and device selection). */
  intrq = false;
  /** Transfer mode set by SET FEATURES 03h (0 = PIO default). */
  transferMode = 0;

  protected readonly buf: Uint8Array;
  protected xfer = XFER_NONE;
  protected pos = 0;
  protected end = 0;
  /** Extent of buf holding data a transfer still needs (saved with the state). */
  protected bufUsed = 0;

  /** Status when idle and ready: DRDY|DSC for ATA, DRDY for ATAPI. */
  protected abstract readonly readyStatus: number;
  /** LBA mid/high after reset and diagnostics. */
  protected abstract readonly signatureMid: number;
  protected abstract readonly signatureHigh: number;
  /** Status right after a reset (ATAPI devices leave DRDY clear). */
  protected abstract readonly resetStatus: number;

  constructor(bufferSize: number) {
    this.buf = new Uint8Array(bufferSize);
  }

  // ---- channel-facing API ----

  /** A write to a command block register other than data and command. */
  writeRegister(reg: number, v: number): void {
    switch (reg) {
      case ATA_REG_FEATURE:
        this.hobFeature = this.feature;
        this.feature = v;
        break;
      case ATA_REG_COUNT:
        this.hobCount = this.count;
        this.count = v;
        break;
      case ATA_REG_LBA_LOW:
        this.hobLbaLow = this.lbaLow;
        this.lbaLow = v;
        break;
      case ATA_REG_LBA_MID:
        this.hobLbaMid = this.lbaMid;
        this.lbaMid = v;
        break;
      case ATA_REG_LBA_HIGH:
        this.hobLbaHigh = this.lbaHigh;
        this.lbaHigh = v;
        break;
      case ATA_REG_DEVICE:
        this.device = v;
        break;
      default:
        break;
    }
  }

  /** A read of a command block register other than data; `hob` reads the previous writes. */
  readRegister(reg: number, hob: boolean): number {
    switch (reg) {
      case ATA_REG_ERROR:
        return this.error;
      case ATA_REG_COUNT:
        return hob ? this.hobCount : this.count;
      case ATA_REG_LBA_LOW:
        return hob ? this.hobLbaLow : this.lbaLow;
      case ATA_REG_LBA_MID:
        return hob ? this.hobLbaMid : this.lbaMid;
      case ATA_REG_LBA_HIGH:
        return hob ? this.hobLbaHigh : this.lbaHigh;
      case ATA_REG_DEVICE:
        return this.device;
      case ATA_REG_STATUS:
        return this.status;
      default:
        return 0xff;
    }
  }

  /** A write to the command register. A new command ends any transfer in progress and clears INTRQ. */
  command(cmd: number): void {
    if (this.status & ATA_SR_BSY) return; // ignored while busy (only SRST ends a reset)
    this.stopTransfer();
    this.setIntrq(false);
    this.error = 0;
    this.status = this.readyStatus;
    this.executeCommand(cmd);
  }

  /** Reading the status register clears a pending interrupt. */
  acknowledgeInterrupt(): void {
    this.setIntrq(false);
  }

  /** SRST set: the device stops what it does and shows BSY. */
  resetAssert(): void {
    this.stopTransfer();
    this.setIntrq(false);
    this.status = ATA_SR_BSY;
  }

  /** SRST cleared: the reset ends with the signature in the task file and the diagnostic code. */
  resetRelease(): void {
    this.softReset();
    this.setSignature();
    this.status = this.resetStatus;
  }

  /** EXECUTE DEVICE DIAGNOSTIC: signature and diagnostic code; device 0 interrupts. */
  diagnose(interrupt: boolean): void {
    this.stopTransfer();
    this.setSignature();
    this.status = this.readyStatus;
    this.setIntrq(interrupt);
  }

  /** Hardware reset (power-on values of the settings too). */
  reset(): void {
    this.stopTransfer();
    this.powerOnDefaults();
    this.setSignature();
    this.status = this.resetStatus;
    this.setIntrq(false);
  }

  readData16(): number {
    if (this.xfer !== XFER_PIO_IN) return 0xffff;
    const p = this.pos;
    const v = this.buf[p] | (this.buf[p + 1] << 8);
    this.pos = p + 2;
    if (this.pos >= this.end) this.endBlock();
    return v;
  }

  readData32(): number {
    const lo = this.readData16();
    return (lo | (this.readData16() << 16)) >>> 0;
  }

  writeData16(v: number): void {
    if (this.xfer !== XFER_PIO_OUT) return;
    const p = this.pos;
    this.buf[p] = v & 0xff;
    this.buf[p + 1] = (v >> 8) & 0xff;
    this.pos = p + 2;
    if (this.pos >= this.end) this.endBlock();
  }

  writeData32(v: number): void {
    this.writeData16(v & 0xffff);
    this.writeData16(v >>> 16);
  }

  // ---- bus master side ----

  /** DMARQ: a DMA data block is waiting for the bus master. */
  get dmaRequest(): boolean {
    return this.xfer === XFER_DMA_IN || this.xfer === XFER_DMA_OUT;
  }
  /** Direction of the waiting DMA block: true when data goes to memory. */
  get dmaToMemory(): boolean {
    return this.xfer === XFER_DMA_IN;
  }
  /** The DMA block: buffer and the window still to move. */
  get dmaBuffer(): Uint8Array {
    return this.buf;
  }
  get dmaPos(): number {
    return this.pos;
  }
  get dmaEnd(): number {
    return this.end;
  }
  /** The bus master moved n bytes of the block. */
  dmaAdvance(n: number): void {
    if (!this.dmaRequest) return;
    this.pos += n;
    if (this.pos >= this.end) this.endBlock();
  }
  /** The bus master could not take the rest of the transfer (its PRD table ran out): the command fails. */
  dmaAbort(): void {
    if (!this.dmaRequest) return;
    this.stopTransfer();
    this.abortCommand(ATA_ER_ABRT);
  }

  // ---- for subclasses ----

  protected abstract executeCommand(cmd: number): void;
  /** The current data block has been moved completely. */
  protected abstract blockDone(): void;
  /** Ends any command state of the subclass (reset, new command). */
  protected abstract resetCommandState(): void;
  /** Settings to their power-on values (hardware reset). */
  protected abstract powerOnDefaults(): void;
  /** Settings a software reset changes (none by default: ATA keeps them, SET FEATURES 66h). */
  protected softReset(): void {}

  protected setIntrq(level: boolean): void {
    if (this.intrq === level) return;
    this.intrq = level;
    this.host?.deviceChanged();
  }

  protected setSignature(): void {
    this.count = 1;
    this.lbaLow = 1;
    this.lbaMid = this.signatureMid;
    this.lbaHigh = this.signatureHigh;
    this.hobCount = 0;
    this.hobLbaLow = 0;
    this.hobLbaMid = 0;
    this.hobLbaHigh = 0;
    this.device = 0;
    this.error = ATA_DIAG_PASSED;
  }

  /**
   * Offers buf[start, start + length) to the host (PIO: DRQ, INTRQ if `interrupt`) or to the
   * bus master (DMA: DMARQ).
   */
  protected startBlock(start: number, length: number, toHost: boolean, dma: boolean, interrupt: boolean): void {
    this.pos = start;
    this.end = start + length;
    if (this.end > this.bufUsed) this.bufUsed = this.end;
    this.xfer = dma ? (toHost ? XFER_DMA_IN : XFER_DMA_OUT) : toHost ? XFER_PIO_IN : XFER_PIO_OUT;
    this.status = this.readyStatus | ATA_SR_DRQ;
    if (interrupt) this.setIntrq(true);
    if (dma) this.host?.deviceChanged();
  }

  private endBlock(): void {
    this.xfer = XFER_NONE;
    this.status &= ~ATA_SR_DRQ;
    this.blockDone();
  }

  private stopTransfer(): void {
    this.xfer = XFER_NONE;
    this.pos = 0;
    this.end = 0;
    this.bufUsed = 0;
    this.status &= ~ATA_SR_DRQ;
    this.resetCommandState();
  }

  /** Successful end of a command: ready, no DRQ; INTRQ unless the protocol has none here. */
  protected completeCommand(interrupt: boolean): void {
    this.xfer = XFER_NONE;
    this.pos = 0;
    this.end = 0;
    this.bufUsed = 0;
    this.status = this.readyStatus;
    this.resetCommandState();
    if (interrupt) this.setIntrq(true);
  }

  /** Error end of a command: ERR in status, `error` in the error register, INTRQ. */
  protected abortCommand(error: number): void {
    this.xfer = XFER_NONE;
    this.pos = 0;
    this.end = 0;
    this.bufUsed = 0;
    this.error = error;
    this.status = this.readyStatus | ATA_SR_ERR;
    this.resetCommandState();
    this.setIntrq(true);
  }

  /** Writes an ATA string field: padded with spaces, two characters per word, first in the high byte. */
  protected static putString(dst: Uint8Array, word: number, words: number, text: string): void {
    for (let i = 0; i < words * 2; i++) {
      const c = i < text.length ? text.charCodeAt(i) & 0x7f : 0x20;
      dst[word * 2 + (i ^ 1)] = c;
    }
  }

  protected static putWord(dst: Uint8Array, word: number, v: number): void {
    dst[word * 2] = v & 0xff;
    dst[word * 2 + 1] = (v >> 8) & 0xff;
  }

  /** Word 255: signature A5h and the checksum that makes the 512 bytes sum to 0 (ATA-6, IDENTIFY DEVICE word 255). */
  protected static putIntegrity(dst: Uint8Array): void {
    dst[510] = 0xa5;
    let sum = 0;
    for (let i = 0; i < 511; i++) sum += dst[i];
    dst[511] = -sum & 0xff;
  }

  // ---- snapshot ----

  /**
   * The fields every device saves (task file, interrupt, transfer mode, block engine); a
   * subclass's definition spreads them before its own and calls checkEngine in its check.
   */
  protected static readonly DEVICE_FIELDS = {
    // The task file registers are the device's own properties of the same names.
    taskFile: field(TASK_FILE_STATE, { get: (d: IdeDevice) => d, set: (d: IdeDevice, tf) => Object.assign(d, tf) }),
    intrq: bool,
    transferMode: u8,
    xfer: int(XFER_NONE, XFER_DMA_OUT),
    pos: int(0, MAX_BUFFER),
    end: int(0, MAX_BUFFER),
    // Only the part of the buffer a transfer still needs; the rest loads as zeros.
    buffer: field(bytes(-1, { maxLength: MAX_BUFFER }), {
      get: (d: IdeDevice) => d.buf.subarray(0, d.bufUsed),
      set: (d: IdeDevice, b) => {
        d.buf.fill(0);
        d.buf.set(b);
        d.bufUsed = b.length;
      },
    }),
  };

  /** Checks the block engine of a record against this device's buffer. */
  protected static checkEngine(
    v: StateValues<typeof IdeDevice.DEVICE_FIELDS>,
    fail: (msg: string) => never,
    d: IdeDevice,
  ): void {
    if (v.buffer.length > d.buf.length)
      fail(`field 'buffer' has ${v.buffer.length} bytes, expected at most ${d.buf.length}`);
    if (v.end > v.buffer.length) fail(`field 'end' is ${v.end}, past the saved buffer`);
    if (v.pos > v.end) fail(`field 'pos' is ${v.pos}, past 'end'`);
    if (v.xfer !== XFER_NONE && v.pos >= v.end) fail("a data transfer with no bytes left in its block");
    if ((v.xfer !== XFER_NONE) !== ((v.taskFile.status & ATA_SR_DRQ) !== 0))
      fail("DRQ and the transfer phase disagree");
  }

  /** The device's schema (a static of each subclass). */
  abstract readonly stateDefinition: StateSchema;
  abstract saveState(): StateRecord;
  abstract loadState(fields: StateRecord, version: number): void;
}
