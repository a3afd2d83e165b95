// An NE2000-compatible Ethernet adapter: a National Semiconductor DP8390 network interface
// controller with 16 KiB of buffer memory and a station-address PROM, reached through the
// remote DMA data port, as on Novell's NE2000 and its PCI clone, the Realtek RTL8029.
//
// Modelled from the DP8390D datasheet ("DP8390D/NS32490D NIC Network Interface Controller",
// National Semiconductor): the command register, the three register pages, the receive buffer
// ring (PSTART, PSTOP, BNRY, CURR) with its 4-byte packet headers, transmit from TPSR, remote
// DMA with its byte count and completion interrupt, and the interrupt status and mask registers.
// The NE2000 board adds the data port (offset 10h), the reset port (offset 1Fh) and the memory
// map of its remote DMA: the PROM at 0000h-001Fh, buffer RAM at 4000h-7FFFh.
//
// Key design choices:
//  - The wire is a callback: a transmitted frame goes to `onTransmit` at once (the chip's 10
//    Mbit/s serialisation time is not modelled), and `receive()` takes a frame from the network
//    as if it had just come off the wire, filtered by the receive configuration exactly as the
//    chip filters (physical address, broadcast, multicast hash, promiscuous). The CRC is neither
//    generated nor stored: a received packet's byte count is its header plus the frame.
//  - A frame that finds the ring full is lost and sets the overwrite warning, as on the chip;
//    the host paces itself with `canReceive()`, which holds frames back while the ring is full
//    only as long as the driver has a receive status pending (else it would never empty it).
//  - The PROM holds each byte twice (word-wide PROM, as NE2000 drivers expect): the station
//    address, then 57h 57h in bytes 14 and 15 ("W": a 16-bit NE2000).
//  - In word mode (DCR.WTS) every data-port access moves a word; a byte read returns its low
//    byte, as drivers that read the PROM with byte reads in word mode expect.
//  - Not modelled: loopback (TCR.LB transmits are looped to the receiver only in modes 1-3, which
//    diagnostics use: here they are sent as usual), the tally counters (they read 0), the
//    "send packet" remote DMA command, and collisions.

import { bytes, defineState, int, u8, type IoSurface, type StateRecord, type Stateful } from "@x86vm/core";
import type { IrqLine } from "../irq.ts";

/** Register offsets (datasheet, "Register Address Assignments"). */
export const NE_CR = 0x00;
export const NE_DATA = 0x10;
export const NE_RESET = 0x1f;
/** Ports the board decodes from its base. */
export const NE2000_PORTS = 0x20;

// Command register.
export const CR_STP = 0x01;
export const CR_STA = 0x02;
export const CR_TXP = 0x04;
const CR_RD_MASK = 0x38;
export const CR_RD_READ = 0x08;
export const CR_RD_WRITE = 0x10;
export const CR_RD_ABORT = 0x20;
// Interrupt status / mask.
export const ISR_PRX = 0x01;
export const ISR_PTX = 0x02;
export const ISR_RXE = 0x04;
export const ISR_TXE = 0x08;
export const ISR_OVW = 0x10;
export const ISR_CNT = 0x20;
export const ISR_RDC = 0x40;
export const ISR_RST = 0x80;
// Receive configuration.
export const RCR_AR = 0x02;
export const RCR_AB = 0x04;
export const RCR_AM = 0x08;
export const RCR_PRO = 0x10;
export const RCR_MON = 0x20;
// Receive status.
export const RSR_PRX = 0x01;
export const RSR_MPA = 0x10;
export const RSR_PHY = 0x20;
// Data configuration.
export const DCR_WTS = 0x01;

/** Buffer memory: 16 KiB at remote DMA addresses 4000h-7FFFh (pages 40h-7Fh). */
export const NE_MEM_START = 0x4000;
export const NE_MEM_SIZE = 0x4000;
const PROM_SIZE = 32;
/** The shortest frame on the wire without its CRC (shorter ones are padded, as a sender's MAC does). */
const MIN_FRAME = 60;
/** The longest frame the chip takes (1,514 bytes without CRC; longer ones are dropped). */
export const MAX_FRAME = 1514;

export interface Ne2000Options {
  /** The station address (6 bytes) the PROM reports. */
  mac: Uint8Array;
  irq: IrqLine;
  /** Gets every transmitted frame (a copy the receiver may keep). */
  onTransmit?: (frame: Uint8Array) => void;
}

export class Ne2000 implements Stateful {
  mac: Uint8Array;
  readonly prom = new Uint8Array(PROM_SIZE);
  /** Buffer RAM, remote DMA addresses NE_MEM_START onwards. */
  readonly mem = new Uint8Array(NE_MEM_SIZE);
  onTransmit: (frame: Uint8Array) => void;

  // Registers.
  cr = CR_STP | CR_RD_ABORT;
  isr = ISR_RST;
  imr = 0;
  dcr = 0;
  rcr = 0;
  tcr = 0;
  tsr = 0;
  rsr = 0;
  pstart = 0x40;
  pstop = 0x80;
  bnry = 0x40;
  curr = 0x40;
  tpsr = 0x40;
  tbcr = 0;
  rsar = 0;
  rbcr = 0;
  /** Physical address (PAR0-5) and multicast hash (MAR0-7). */
  readonly par = new Uint8Array(6);
  readonly mar = new Uint8Array(8);
  /** Frames lost because the ring was full, or filtered out by a stopped chip. */
  framesLost = 0;
  framesSent = 0;
  framesReceived = 0;

  private readonly irq: IrqLine;
  private irqLevel = false;

  constructor(opts: Ne2000Options) {
    if (opts.mac.length !== 6) throw new Error(`NE2000: a station address is 6 bytes, got ${opts.mac.length}`);
    this.mac = opts.mac.slice();
    this.irq = opts.irq;
    this.onTransmit = opts.onTransmit ?? (() => {});
    for (let i = 0; i < 16; i++) {
      const b = i < 6 ? this.mac[i] : i >= 14 ? 0x57 : 0;
      this.prom[2 * i] = b;
      this.prom[2 * i + 1] = b;
    }
  }

  /** The board's ports from base: the 8390's registers, the data port and the reset port. */
  ioSurface(base: number, name = "ne2000"): IoSurface {
    return {
      name,
      ports: [
        { base, count: 0x10, read8: (o) => this.readReg(o), write8: (o, v) => this.writeReg(o, v) },
        {
          base: base + NE_DATA,
          count: 0x0f,
          read8: () => this.dataRead() & 0xff,
          write8: (_o, v) => this.dataWrite(v),
          read16: () => this.dataRead(),
          write16: (_o, v) => this.dataWrite(v),
          read32: () => (this.dataRead() | (this.dataRead() << 16)) >>> 0,
          write32: (_o, v) => {
            this.dataWrite(v & 0xffff);
            this.dataWrite(v >>> 16);
          },
        },
        { base: base + NE_RESET, count: 1, read8: () => this.resetRead(), write8: () => {} },
      ],
    };
  }

  /** A hardware reset (power on, or the PCI/ISA reset line). */
  reset(): void {
    this.cr = CR_STP | CR_RD_ABORT;
    this.isr = ISR_RST;
    this.imr = 0;
    this.dcr = 0;
    this.rcr = 0;
    this.tcr = 0;
    this.tsr = 0;
    this.rsr = 0;
    this.rsar = 0;
    this.rbcr = 0;
    this.updateIrq();
  }

  // ---- the receive side, from the network

  /**
   * Whether a host that paces the wire should hand the chip a frame of len bytes now: the chip
   * is receiving, and the frame fits in the ring, or it does not and no receive status (PRX,
   * RXE, OVW) is pending. In that second case the driver has acknowledged every frame it was told
   * of and will not look at the ring again until the chip tells it something: a frame held back
   * would wait forever. Handed over, it overflows the ring (lost, OVW raised, as a frame off the
   * wire would), and the driver's overflow recovery empties the ring. Drivers get there through
   * a race every DP8390 driver has: Linux's lib8390 reads CURR, finds no new packet, and then
   * acknowledges PRX and RXE; frames that arrive between the two (here: a host's pump that falls
   * there) are in the ring with nothing pending, and with the ring full no later frame comes in
   * to raise PRX again.
   */
  canReceive(len = MAX_FRAME): boolean {
    if (this.cr & CR_STP) return false;
    return this.pagesFor(len) <= this.freePages() || (this.isr & (ISR_PRX | ISR_RXE | ISR_OVW)) === 0;
  }

  /**
   * A frame from the wire (destination address first, no CRC). Returns whether the chip took
   * it into its ring; a frame it ignores (another station's, or while stopped) is not an error.
   */
  receive(frame: Uint8Array): boolean {
    if (this.cr & CR_STP || frame.length < 14 || frame.length > MAX_FRAME) return false;
    const kind = this.accepts(frame);
    if (kind < 0) return false;
    if (this.rcr & RCR_MON) {
      this.framesLost++; // monitor mode: checked, counted, not stored
      return false;
    }
    const len = Math.max(frame.length, MIN_FRAME);
    const pages = this.pagesFor(len);
    if (pages > this.freePages()) {
      this.rsr |= RSR_MPA;
      this.isr |= ISR_OVW;
      this.framesLost++;
      this.updateIrq();
      return false;
    }
    const start = this.curr;
    let next = start + pages;
    if (next >= this.pstop) next -= this.pstop - this.pstart;
    this.rsr = RSR_PRX | (kind === 1 ? RSR_PHY : 0);
    const count = len + 4;
    const header = [this.rsr, next, count & 0xff, count >> 8];
    let at = (start << 8) - NE_MEM_START;
    const put = (b: number) => {
      this.mem[at] = b;
      at++;
      if (at + NE_MEM_START >= this.pstop << 8) at = (this.pstart << 8) - NE_MEM_START;
    };
    for (const b of header) put(b);
    for (let i = 0; i < len; i++) put(i < frame.length ? frame[i] : 0);
    this.curr = next;
    this.framesReceived++;
    this.isr |= ISR_PRX;
    this.updateIrq();
    return true;
  }

  /** -1: not for this station; 0: its physical address (or promiscuous); 1: broadcast or multicast. */
  private accepts(frame: Uint8Array): number {
    const multicast = (frame[0] & 1) !== 0;
    if (!multicast) {
      if (this.rcr & RCR_PRO) return 0;
      for (let i = 0; i < 6; i++) if (frame[i] !== this.par[i]) return -1;
      return 0;
    }
    let broadcast = true;
    for (let i = 0; i < 6; i++) if (frame[i] !== 0xff) broadcast = false;
    if (broadcast) return this.rcr & (RCR_AB | RCR_PRO) ? 1 : -1;
    if (this.rcr & RCR_PRO) return 1;
    if (!(this.rcr & RCR_AM)) return -1;
    const h = multicastBit(frame);
    return this.mar[h >> 3] & (1 << (h & 7)) ? 1 : -1;
  }

  private pagesFor(len: number): number {
    return (Math.max(len, MIN_FRAME) + 4 + 255) >> 8;
  }

  /**
   * Ring pages the receiver may fill from CURR before it would enter the page BNRY points to.
   * CURR reaching BNRY is a full ring (the datasheet's overflow condition): drivers keep BNRY one
   * page behind the next packet to read, so an empty ring has CURR = BNRY + 1.
   */
  private freePages(): number {
    const ring = this.pstop - this.pstart;
    if (ring <= 0) return 0;
    let free = this.bnry - this.curr;
    if (free < 0) free += ring;
    return free;
  }

  // ---- registers

  private readReg(off: number): number {
    if (off === NE_CR) return this.cr;
    const page = this.cr >> 6;
    if (page === 1) {
      if (off <= 6) return this.par[off - 1];
      if (off === 7) return this.curr;
      return this.mar[off - 8];
    }
    if (page === 2) {
      switch (off) {
        case 0x01:
          return this.pstart;
        case 0x02:
          return this.pstop;
        case 0x04:
          return this.tpsr;
        case 0x0c:
          return this.rcr | 0xc0;
        case 0x0d:
          return this.tcr | 0xe0;
        case 0x0e:
          return this.dcr | 0x80;
        case 0x0f:
          return this.imr | 0x80;
        default:
          return 0xff;
      }
    }
    if (page === 3) return 0xff;
    switch (off) {
      case 0x01: // CLDA0/1: the local DMA address (where the receiver writes next)
        return 0;
      case 0x02:
        return this.curr;
      case 0x03:
        return this.bnry;
      case 0x04:
        return this.tsr;
      case 0x05: // NCR: collisions
        return 0;
      case 0x06: // FIFO
        return 0;
      case 0x07:
        return this.isr;
      case 0x08:
        return this.rsar & 0xff;
      case 0x09:
        return this.rsar >> 8;
      case 0x0a: // the RTL8029's ID bytes ("PC"); an NE2000's read as reserved
        return 0x50;
      case 0x0b:
        return 0x43;
      case 0x0c:
        return this.rsr;
      default: // the tally counters CNTR0-2
        return 0;
    }
  }

  private writeReg(off: number, v: number): void {
    if (off === NE_CR) return this.writeCr(v);
    const page = this.cr >> 6;
    if (page === 1) {
      if (off <= 6) this.par[off - 1] = v;
      else if (off === 7) this.curr = v;
      else this.mar[off - 8] = v;
      return;
    }
    if (page !== 0) return; // page 2 is for diagnostics only; page 3 is not decoded
    switch (off) {
      case 0x01:
        this.pstart = v;
        break;
      case 0x02:
        this.pstop = v;
        break;
      case 0x03:
        this.bnry = v;
        break;
      case 0x04:
        this.tpsr = v;
        break;
      case 0x05:
        this.tbcr = (this.tbcr & 0xff00) | v;
        break;
      case 0x06:
        this.tbcr = (this.tbcr & 0xff) | (v << 8);
        break;
      case 0x07: // writing ones clears those status bits (RST only clears by leaving the stopped state)
        this.isr &= ~(v & 0x7f);
        this.updateIrq();
        break;
      case 0x08:
        this.rsar = (this.rsar & 0xff00) | v;
        break;
      case 0x09:
        this.rsar = (this.rsar & 0xff) | (v << 8);
        break;
      case 0x0a:
        this.rbcr = (this.rbcr & 0xff00) | v;
        break;
      case 0x0b:
        this.rbcr = (this.rbcr & 0xff) | (v << 8);
        break;
      case 0x0c:
        this.rcr = v & 0x3f;
        break;
      case 0x0d:
        this.tcr = v & 0x1f;
        break;
      case 0x0e:
        this.dcr = v & 0x7f;
        break;
      case 0x0f:
        this.imr = v & 0x7f;
        this.updateIrq();
        break;
    }
  }

  private writeCr(v: number): void {
    // STP and STA: STP wins; leaving the stopped state clears the reset status.
    let cr = v & ~CR_TXP;
    if (v & CR_STP) cr &= ~CR_STA;
    else if (v & CR_STA) {
      cr &= ~CR_STP;
      this.isr &= ~ISR_RST;
    } else cr = (cr & ~(CR_STP | CR_STA)) | (this.cr & (CR_STP | CR_STA));
    if (cr & CR_STP) this.isr |= ISR_RST;
    // RD: 1xx aborts or completes the remote DMA; 001 read, 010 write; 011 (send packet) is not modelled.
    if ((v & CR_RD_MASK) === 0) cr |= this.cr & CR_RD_MASK;
    this.cr = cr;
    if (v & CR_TXP && !(cr & CR_STP)) this.transmit();
    this.updateIrq();
  }

  private transmit(): void {
    const len = Math.min(this.tbcr, MAX_FRAME);
    const start = (this.tpsr << 8) - NE_MEM_START;
    const frame = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const a = start + i;
      frame[i] = a >= 0 && a < NE_MEM_SIZE ? this.mem[a] : 0xff;
    }
    this.framesSent++;
    this.tsr = 0x01; // PTX
    this.isr |= ISR_PTX;
    this.onTransmit(frame);
  }

  // ---- remote DMA (the data port)

  private dataRead(): number {
    const word = (this.dcr & DCR_WTS) !== 0;
    const lo = this.memRead(this.rsar);
    const v = word ? lo | (this.memRead(this.rsar + 1) << 8) : lo;
    this.advance(word ? 2 : 1);
    return v;
  }

  private dataWrite(v: number): void {
    const word = (this.dcr & DCR_WTS) !== 0;
    this.memWrite(this.rsar, v & 0xff);
    if (word) this.memWrite(this.rsar + 1, (v >> 8) & 0xff);
    this.advance(word ? 2 : 1);
  }

  private advance(n: number): void {
    this.rsar = (this.rsar + n) & 0xffff;
    // The remote DMA wraps from PSTOP to PSTART inside the ring, as the receiver does.
    if (this.rsar === this.pstop << 8 && this.pstop > this.pstart) this.rsar = this.pstart << 8;
    if (this.rbcr === 0) return;
    this.rbcr = Math.max(0, this.rbcr - n);
    if (this.rbcr === 0) {
      this.isr |= ISR_RDC;
      this.updateIrq();
    }
  }

  private memRead(addr: number): number {
    const a = addr & 0xffff;
    if (a < NE_MEM_START) return a < PROM_SIZE ? this.prom[a] : 0xff;
    return a < NE_MEM_START + NE_MEM_SIZE ? this.mem[a - NE_MEM_START] : 0xff;
  }

  private memWrite(addr: number, v: number): void {
    const a = addr & 0xffff;
    if (a >= NE_MEM_START && a < NE_MEM_START + NE_MEM_SIZE) this.mem[a - NE_MEM_START] = v;
  }

  private resetRead(): number {
    this.reset();
    return 0;
  }

  private updateIrq(): void {
    const level = (this.isr & this.imr & 0x7f) !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (level) this.irq.raise();
    else this.irq.lower();
  }

  // ---- snapshot

  static readonly STATE = defineState<Ne2000>()({
    name: "ne2000",
    version: 1,
    minVersion: 1,
    fields: {
      mac: bytes(6),
      mem: bytes(NE_MEM_SIZE),
      par: bytes(6),
      mar: bytes(8),
      cr: u8,
      isr: u8,
      imr: int(0, 0x7f),
      dcr: int(0, 0x7f),
      rcr: int(0, 0x3f),
      tcr: int(0, 0x1f),
      tsr: u8,
      rsr: u8,
      pstart: u8,
      pstop: u8,
      bnry: u8,
      curr: u8,
      tpsr: u8,
      tbcr: int(0, 0xffff),
      rsar: int(0, 0xffff),
      rbcr: int(0, 0xffff),
    },
    postLoad: (nic) => {
      for (let i = 0; i < 16; i++) {
        const b = i < 6 ? nic.mac[i] : i >= 14 ? 0x57 : 0;
        nic.prom[2 * i] = b;
        nic.prom[2 * i + 1] = b;
      }
      // Drive the line from the loaded registers whatever it was.
      nic.irqLevel = (nic.isr & nic.imr & 0x7f) === 0;
      nic.updateIrq();
    },
  });
  readonly stateDefinition = Ne2000.STATE;
  readonly stateName = Ne2000.STATE.name;
  readonly stateVersion = Ne2000.STATE.version;
  readonly stateMinVersion = Ne2000.STATE.minVersion;

  saveState(): StateRecord {
    return Ne2000.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Ne2000.STATE.load(this, fields, version);
  }
}

/**
 * The multicast filter's bit for a destination address: the NIC runs the address's six bytes
 * (each least significant bit first) through its CRC-32 generator (polynomial 04C11DB7h, preset
 * to all ones) and indexes the 64-bit MAR with the register's upper six bits: MAR byte = bits
 * 31-29, bit = bits 28-26 (DP8390D datasheet, "Multicast Address Registers").
 */
export function multicastBit(frame: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < 6; i++) {
    let b = frame[i];
    for (let k = 0; k < 8; k++) {
      const top = crc >>> 31;
      crc <<= 1;
      if ((top ^ (b & 1)) !== 0) crc ^= 0x04c11db7;
      b >>= 1;
    }
  }
  return crc >>> 26;
}
