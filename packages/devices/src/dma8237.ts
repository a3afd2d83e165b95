// Intel 8237A DMA controller pair as wired in the PC/AT, with the 74LS612 page registers.
//
// DMA1 serves channels 0-3 (8-bit transfers, byte addresses); DMA2 serves channels 4-7 (16-bit
// transfers: its address and count registers count words, and the AT feeds its address lines
// in shifted left by one). DMA1's hold request is cascaded into DMA2's channel 4, so DMA1 can
// only transfer while channel 4 is unmasked and DMA2 is enabled, as a BIOS leaves it.
//
// Key design choice: the emulated devices do not raise DREQ and wait for bus cycles. A device
// calls transfer() (or a DmaChannel from channel()) with a buffer and the controller moves as
// many bytes as the channel allows in one call, honouring the programmed mode: direction,
// address increment/decrement, 64 KiB (128 KiB for 16-bit channels) page wrap, terminal count,
// auto-initialize and masking. Demand, single and block modes therefore behave alike.
// Memory-to-memory transfers (command bit 0) are not modelled.

import {
  bits,
  bool,
  bytes,
  defineState,
  field,
  int,
  record,
  records,
  u16,
  u8,
  type IoSurface,
  type StateRecord,
  type Stateful,
} from "@x86vm/core";

/** Guest physical memory as the DMA controller sees it; PhysicalMemory satisfies it. */
export interface DmaMemory {
  read8(addr: number): number;
  write8(addr: number, value: number): void;
}

/** One DMA channel as a device sees it (the device does not know its channel number). */
export interface DmaChannel {
  /**
   * Moves up to `length` bytes between buf[offset..] and guest memory in the direction the
   * channel is programmed for (a "write" transfer fills memory from buf, a "read" transfer fills
   * buf from memory, "verify" touches neither). Returns the number of bytes moved: 0 when the
   * channel is masked, disabled or in cascade mode; fewer than asked when terminal count ends it.
   */
  transfer(buf: Uint8Array, offset: number, length: number): number;
  /** Whether the last transfer() reached terminal count (the 8237's EOP# to the device). */
  readonly terminalCount: boolean;
}

// PC/AT port bases, for the machine wiring (chip apart from board, STYLE 1).
export const PC_DMA1_BASE = 0x00;
export const PC_DMA2_BASE = 0xc0;
/** The page register block: the surface claims base+1..base+15 (base itself is the POST port). */
export const PC_DMA_PAGE_BASE = 0x80;

// Register numbers within one 8237A (address lines A3..A0). DMA2 sits on A4..A1 in the AT.
export const DMA_REG_STATUS = 0x08; // read
export const DMA_REG_COMMAND = 0x08; // write
export const DMA_REG_REQUEST = 0x09;
export const DMA_REG_SINGLE_MASK = 0x0a;
export const DMA_REG_MODE = 0x0b;
export const DMA_REG_CLEAR_FLIPFLOP = 0x0c;
export const DMA_REG_TEMPORARY = 0x0d; // read
export const DMA_REG_MASTER_CLEAR = 0x0d; // write
export const DMA_REG_CLEAR_MASK = 0x0e;
export const DMA_REG_ALL_MASK = 0x0f;

// Mode register (8237A datasheet, "Mode Register").
export const DMA_MODE_CHANNEL = 0x03;
export const DMA_MODE_TYPE = 0x0c;
export const DMA_TYPE_VERIFY = 0x00;
/** Device to memory. */
export const DMA_TYPE_WRITE = 0x04;
/** Memory to device. */
export const DMA_TYPE_READ = 0x08;
export const DMA_MODE_AUTOINIT = 0x10;
export const DMA_MODE_DECREMENT = 0x20;
export const DMA_MODE_MODE = 0xc0;
export const DMA_MODE_DEMAND = 0x00;
export const DMA_MODE_SINGLE = 0x40;
export const DMA_MODE_BLOCK = 0x80;
export const DMA_MODE_CASCADE = 0xc0;

// Command register.
export const DMA_CMD_MEM_TO_MEM = 0x01;
export const DMA_CMD_DISABLE = 0x04;

// Request / single mask register: channel in bits 0-1, set/clear in bit 2.
export const DMA_REQ_SET = 0x04;
export const DMA_MASK_SET = 0x04;

/** Offset of each channel's page register in the page block (AT wiring: 0x87, 0x83, 0x81, ...). */
export const DMA_PAGE_OFFSET: readonly number[] = [0x7, 0x3, 0x1, 0x2, 0xf, 0xb, 0x9, 0xa];

const CHANNELS = 8;

const CONTROLLER_STATE = record({
  fields: {
    command: u8,
    tcStatus: int(0, 0x0f),
    request: int(0, 0x0f),
    dreq: int(0, 0x0f),
    mask: int(0, 0x0f),
    flipFlop: bool,
    temporary: u8,
  },
});
const CHANNEL_STATE = record({
  fields: {
    baseAddress: u16,
    baseCount: u16,
    currentAddress: u16,
    currentCount: u16,
    // The channel bits of a mode write select the channel; they are not stored.
    mode: bits(0xff & ~DMA_MODE_CHANNEL),
  },
});

class BoundChannel implements DmaChannel {
  constructor(
    private readonly dma: Dma8237,
    private readonly n: number,
  ) {}
  transfer(buf: Uint8Array, offset: number, length: number): number {
    return this.dma.transfer(this.n, buf, offset, length);
  }
  get terminalCount(): boolean {
    return this.dma.terminalCount;
  }
}

export class Dma8237 implements Stateful {
  // Per channel (0-7).
  private readonly baseAddr = new Uint16Array(CHANNELS);
  private readonly baseCount = new Uint16Array(CHANNELS);
  private readonly curAddr = new Uint16Array(CHANNELS);
  private readonly curCount = new Uint16Array(CHANNELS);
  private readonly mode = new Uint8Array(CHANNELS);
  // Per controller (0 = DMA1, 1 = DMA2); channel bits are numbered 0-3 within a controller.
  private readonly command = new Uint8Array(2);
  private readonly tcStatus = new Uint8Array(2);
  private readonly request = new Uint8Array(2);
  private readonly dreq = new Uint8Array(2);
  private readonly mask = new Uint8Array(2);
  private readonly flipFlop = new Uint8Array(2);
  private readonly temporary = new Uint8Array(2);
  /** The 16-byte page register file at base+0..15 (offset 0 is never claimed by the surface). */
  private readonly pages = new Uint8Array(16);
  private lastTc = false;

  constructor(private readonly memory: DmaMemory) {
    this.reset();
  }

  /** Hardware reset of both controllers (the page registers are not reset on the AT). */
  reset(): void {
    this.masterClear(0);
    this.masterClear(1);
  }

  /** A device-side view of one channel (0-7). */
  channel(n: number): DmaChannel {
    if (!Number.isInteger(n) || n < 0 || n >= CHANNELS) throw new RangeError(`no DMA channel ${n}`);
    return new BoundChannel(this, n);
  }

  /** Whether the last transfer() on any channel reached terminal count. */
  get terminalCount(): boolean {
    return this.lastTc;
  }

  /** A device's DREQ line, shown in the status register's request bits. */
  setDreq(channel: number, active: boolean): void {
    const c = channel >> 2,
      bit = 1 << (channel & 3);
    this.dreq[c] = active ? this.dreq[c] | bit : this.dreq[c] & ~bit;
  }

  /** Ports: DMA1's 16 registers, DMA2's 16 registers on even addresses, and the page block. */
  ioSurface(dma1Base: number, dma2Base: number, pageBase: number, name = "i8237"): IoSurface {
    return {
      name,
      ports: [
        { base: dma1Base, count: 16, read8: (o) => this.readReg(0, o), write8: (o, v) => this.writeReg(0, o, v) },
        // The AT connects DMA2's A0-A3 to SA1-SA4, so odd ports alias the even register below.
        {
          base: dma2Base,
          count: 32,
          read8: (o) => this.readReg(1, o >> 1),
          write8: (o, v) => this.writeReg(1, o >> 1, v),
        },
        // Offsets 4-6, 8 and 0xC-0xE are unused page registers that still hold what is written.
        {
          base: pageBase + 1,
          count: 15,
          read8: (o) => this.pages[o + 1],
          write8: (o, v) => {
            this.pages[o + 1] = v;
          },
        },
      ],
    };
  }

  /**
   * Moves bytes for a device on `channel` (see DmaChannel.transfer). On a 16-bit channel whole
   * words are moved (low byte first), so an odd length leaves its last byte untouched.
   */
  transfer(channel: number, buf: Uint8Array, offset: number, length: number): number {
    this.lastTc = false;
    if (!(channel >= 0 && channel < CHANNELS)) throw new RangeError(`no DMA channel ${channel}`);
    if (!this.ready(channel)) return 0;
    const mode = this.mode[channel];
    if ((mode & DMA_MODE_MODE) === DMA_MODE_CASCADE) return 0;
    const type = mode & DMA_MODE_TYPE;
    const wide = channel >= 4;
    const unit = wide ? 2 : 1;
    const step = (mode & DMA_MODE_DECREMENT) !== 0 ? -1 : 1;
    // 8-bit: page gives A23-A16 and the address A15-A0. 16-bit: page bits 7-1 give A23-A17 and the
    // word address A16-A1; page bit 0 is not used (AT technical reference, DMA channels).
    const high = wide
      ? (this.pages[DMA_PAGE_OFFSET[channel]] & 0xfe) << 16
      : this.pages[DMA_PAGE_OFFSET[channel]] << 16;
    const shift = wide ? 1 : 0;
    let addr = this.curAddr[channel],
      count = this.curCount[channel];
    const end = Math.min(length, buf.length - offset);
    let moved = 0;
    while (moved + unit <= end) {
      const phys = high | (addr << shift);
      for (let i = 0; i < unit; i++) {
        const b = offset + moved + i;
        if (type === DMA_TYPE_WRITE) this.memory.write8(phys + i, buf[b]);
        else if (type === DMA_TYPE_READ) buf[b] = this.memory.read8(phys + i) & 0xff;
        // Verify (and the illegal type 3) generate addresses but no memory cycles.
      }
      moved += unit;
      // The address counter is 16 bits: it wraps within the page, the page register never changes.
      addr = (addr + step) & 0xffff;
      count = (count - 1) & 0xffff;
      if (count === 0xffff) break;
    }
    this.curAddr[channel] = addr;
    this.curCount[channel] = count;
    if (count === 0xffff && moved > 0) this.terminalCountReached(channel);
    return moved;
  }

  private ready(channel: number): boolean {
    const c = channel >> 2;
    if ((this.mask[c] >> (channel & 3)) & 1 || (this.command[c] & DMA_CMD_DISABLE) !== 0) return false;
    // DMA1 reaches the bus through DMA2's channel 4 (cascade).
    if (c === 0 && ((this.mask[1] & 1) !== 0 || (this.command[1] & DMA_CMD_DISABLE) !== 0)) return false;
    return true;
  }

  /** The count went from 0 to 0xFFFF (8237A datasheet, "Transfer Count" and "Autoinitialize"). */
  private terminalCountReached(channel: number): void {
    const c = channel >> 2,
      bit = 1 << (channel & 3);
    this.lastTc = true;
    this.tcStatus[c] |= bit;
    this.request[c] &= ~bit;
    if ((this.mode[channel] & DMA_MODE_AUTOINIT) !== 0) {
      this.curAddr[channel] = this.baseAddr[channel];
      this.curCount[channel] = this.baseCount[channel];
    } else {
      // "Each mask bit is set when its channel produces an EOP if not programmed for autoinitialize."
      this.mask[c] |= bit;
    }
  }

  private masterClear(c: number): void {
    this.command[c] = 0;
    this.tcStatus[c] = 0;
    this.request[c] = 0;
    this.temporary[c] = 0;
    this.flipFlop[c] = 0;
    this.mask[c] = 0x0f;
  }

  private readReg(c: number, reg: number): number {
    if (reg < 8) {
      const ch = c * 4 + (reg >> 1);
      const v = (reg & 1) === 0 ? this.curAddr[ch] : this.curCount[ch];
      const b = this.flipFlop[c] === 0 ? v & 0xff : v >> 8;
      this.flipFlop[c] ^= 1;
      return b;
    }
    switch (reg) {
      case DMA_REG_STATUS: {
        // TC bits clear on each status read (8237A datasheet, "Status Register").
        const v = this.tcStatus[c] | ((this.request[c] | this.dreq[c]) << 4);
        this.tcStatus[c] = 0;
        return v;
      }
      case DMA_REG_TEMPORARY:
        return this.temporary[c];
      default:
        return 0xff; // write-only registers
    }
  }

  private writeReg(c: number, reg: number, v: number): void {
    if (reg < 8) {
      const ch = c * 4 + (reg >> 1);
      const base = (reg & 1) === 0 ? this.baseAddr : this.baseCount;
      const cur = (reg & 1) === 0 ? this.curAddr : this.curCount;
      // Writes load both the base and the current register, one byte at a time.
      const nv = this.flipFlop[c] === 0 ? (base[ch] & 0xff00) | v : (base[ch] & 0xff) | (v << 8);
      base[ch] = nv;
      cur[ch] = nv;
      this.flipFlop[c] ^= 1;
      return;
    }
    const bit = 1 << (v & 3);
    switch (reg) {
      case DMA_REG_COMMAND:
        this.command[c] = v;
        break;
      case DMA_REG_REQUEST:
        this.request[c] = (v & DMA_REQ_SET) !== 0 ? this.request[c] | bit : this.request[c] & ~bit;
        break;
      case DMA_REG_SINGLE_MASK:
        this.mask[c] = (v & DMA_MASK_SET) !== 0 ? this.mask[c] | bit : this.mask[c] & ~bit;
        break;
      case DMA_REG_MODE:
        this.mode[c * 4 + (v & DMA_MODE_CHANNEL)] = v & ~DMA_MODE_CHANNEL;
        break;
      case DMA_REG_CLEAR_FLIPFLOP:
        this.flipFlop[c] = 0;
        break;
      case DMA_REG_MASTER_CLEAR:
        this.masterClear(c);
        break;
      case DMA_REG_CLEAR_MASK:
        this.mask[c] = 0;
        break;
      case DMA_REG_ALL_MASK:
        this.mask[c] = v & 0x0f;
        break;
    }
  }

  // Saved per controller and per channel; held as one typed array per register.
  static readonly STATE = defineState<Dma8237>()({
    name: "i8237",
    version: 1,
    minVersion: 1,
    fields: {
      controllers: field(records(2, CONTROLLER_STATE), {
        get: (d) =>
          [0, 1].map((c) => ({
            command: d.command[c],
            tcStatus: d.tcStatus[c],
            request: d.request[c],
            dreq: d.dreq[c],
            mask: d.mask[c],
            flipFlop: d.flipFlop[c] === 1,
            temporary: d.temporary[c],
          })),
        set: (d, ctl) =>
          ctl.forEach((c, i) => {
            d.command[i] = c.command;
            d.tcStatus[i] = c.tcStatus;
            d.request[i] = c.request;
            d.dreq[i] = c.dreq;
            d.mask[i] = c.mask;
            d.flipFlop[i] = c.flipFlop ? 1 : 0;
            d.temporary[i] = c.temporary;
          }),
      }),
      channels: field(records(CHANNELS, CHANNEL_STATE), {
        get: (d) =>
          Array.from({ length: CHANNELS }, (_, ch) => ({
            baseAddress: d.baseAddr[ch],
            baseCount: d.baseCount[ch],
            currentAddress: d.curAddr[ch],
            currentCount: d.curCount[ch],
            mode: d.mode[ch],
          })),
        set: (d, chs) =>
          chs.forEach((c, i) => {
            d.baseAddr[i] = c.baseAddress;
            d.baseCount[i] = c.baseCount;
            d.curAddr[i] = c.currentAddress;
            d.curCount[i] = c.currentCount;
            d.mode[i] = c.mode;
          }),
      }),
      pageRegisters: field(bytes(16), { key: "pages" }),
    },
    postLoad(d) {
      d.lastTc = false;
    },
  });
  readonly stateDefinition = Dma8237.STATE;
  readonly stateName = Dma8237.STATE.name;
  readonly stateVersion = Dma8237.STATE.version;
  readonly stateMinVersion = Dma8237.STATE.minVersion;

  saveState(): StateRecord {
    return Dma8237.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Dma8237.STATE.load(this, fields, version);
  }
}
