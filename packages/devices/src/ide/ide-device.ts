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

import { StateError, StateReader, type StateRecord, type Stateful } from "@x86vm/core";
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

/** The block engine as a state being loaded has it, for the subclass's consistency checks. */
export interface RestoredEngine {
  xfer: number;
  pos: number;
  end: number;
  bufferLength: number;
}

// Data transfer phase of the block engine.
export const XFER_NONE = 0;
export const XFER_PIO_IN = 1;
export const XFER_PIO_OUT = 2;
export const XFER_DMA_IN = 3;
export const XFER_DMA_OUT = 4;

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

  saveState(): StateRecord {
    return {
      taskFile: {
        feature: this.feature,
        hobFeature: this.hobFeature,
        count: this.count,
        hobCount: this.hobCount,
        lbaLow: this.lbaLow,
        hobLbaLow: this.hobLbaLow,
        lbaMid: this.lbaMid,
        hobLbaMid: this.hobLbaMid,
        lbaHigh: this.lbaHigh,
        hobLbaHigh: this.hobLbaHigh,
        device: this.device,
        status: this.status,
        error: this.error,
      },
      intrq: this.intrq,
      transferMode: this.transferMode,
      xfer: this.xfer,
      pos: this.pos,
      end: this.end,
      buffer: this.buf.slice(0, this.bufUsed),
      ...this.saveExtra(),
    };
  }

  loadState(fields: StateRecord, version: number): void {
    if (version < this.stateMinVersion || version > this.stateVersion) {
      throw new StateError(`${this.stateName}: state version ${version} is not supported`);
    }
    const r = new StateReader(fields, this.stateName);
    const t = r.record("taskFile");
    const byte = (rd: StateReader, f: string) => rd.int(f, 0, 0xff);
    const tf = {
      feature: byte(t, "feature"),
      hobFeature: byte(t, "hobFeature"),
      count: byte(t, "count"),
      hobCount: byte(t, "hobCount"),
      lbaLow: byte(t, "lbaLow"),
      hobLbaLow: byte(t, "hobLbaLow"),
      lbaMid: byte(t, "lbaMid"),
      hobLbaMid: byte(t, "hobLbaMid"),
      lbaHigh: byte(t, "lbaHigh"),
      hobLbaHigh: byte(t, "hobLbaHigh"),
      device: byte(t, "device"),
      status: byte(t, "status"),
      error: byte(t, "error"),
    };
    const intrq = r.bool("intrq");
    const transferMode = byte(r, "transferMode");
    const xfer = r.int("xfer", XFER_NONE, XFER_DMA_OUT);
    const buffer = r.bytes("buffer", -1, this.buf.length);
    const end = r.int("end", 0, buffer.length);
    const pos = r.int("pos", 0, end);
    const fail = (msg: string): never => {
      throw new StateError(`${this.stateName}: ${msg}`);
    };
    if (xfer !== XFER_NONE && pos >= end) fail("a data transfer with no bytes left in its block");
    if ((xfer !== XFER_NONE) !== ((tf.status & ATA_SR_DRQ) !== 0)) fail("DRQ and the transfer phase disagree");
    const applyExtra = this.parseExtra(r, { xfer, pos, end, bufferLength: buffer.length }, fail);

    Object.assign(this, tf);
    this.intrq = intrq;
    this.transferMode = transferMode;
    this.xfer = xfer;
    this.pos = pos;
    this.end = end;
    this.buf.fill(0);
    this.buf.set(buffer);
    this.bufUsed = buffer.length;
    applyExtra();
    this.host?.deviceChanged();
  }

  /** Subclass state beyond the task file and the block engine. */
  protected abstract saveExtra(): StateRecord;
  /** Validates subclass state (given the restored block engine); returns a function applying it. */
  protected abstract parseExtra(r: StateReader, engine: RestoredEngine, fail: (msg: string) => never): () => void;
}
