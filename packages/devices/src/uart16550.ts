// National Semiconductor PC16550D / 16550A UART: the register set with the divisor latch (DLAB),
// 16-byte receive and transmit FIFOs with the four receive trigger levels, the prioritised
// interrupt identification (line status, data available, character timeout, THR empty, modem
// status), modem control with the local loopback mode, line and modem status with their
// clear-on-read bits, and the scratch register.
//
// Modelled from the PC16550D datasheet (National Semiconductor, "PC16550D Universal Asynchronous
// Receiver/Transmitter with FIFOs"), chapter "Registers". The chip knows its eight registers,
// its INTRPT output and its OUT2 pin; the machine chooses the base port and the IRQ line.
//
// Key design choices:
//  - Time is machine time. A character occupies the transmitter for its character time (start
//    bit, 5-8 data bits, parity, stop bits at the divisor's baud rate) when `txDrainNs` is
//    "baud"; by default (`txDrainNs` 0) a character leaves the moment it is written, which keeps
//    a serial console cheap: no per-character deadline ends a CPU slice. The receiver's character
//    timeout (four character times, "FIFO Interrupt Mode Operation") always follows the programmed baud rate.
//  - Host input arrives whole characters at a time: `receive()` puts bytes into the receiver as
//    if they had just come off the wire, with the overrun rules of the datasheet ("Line Status Register":
//    LSR OE; in FIFO mode the character that finds the FIFO full is lost, in 16450 mode it
//    replaces the holding register's). A host that must not lose input paces itself with
//    `rxFree()`.
//  - INTRPT is the chip's interrupt output. On a PC the board ANDs it with OUT2 (the output pin
//    enables the IRQ driver); `irqGatedByOut2` makes the IrqLine carry that product, or the board
//    reads `interrupt` and `out2` itself. In loopback mode the OUT pins are forced inactive
//    ("Modem Control Register", bit 4), so a PC's IRQ is cut while loopback is on.

import {
  bits,
  bool,
  bytes,
  defineState,
  field,
  int,
  timeOrNever,
  u16,
  u8,
  type IoSurface,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import type { IrqLine } from "./irq.ts";

/** The UART's input clock on a PC: 1.8432 MHz, 16 clocks per bit. */
export const UART_CLOCK_HZ = 1_843_200;

// Register offsets from the base (datasheet, register summary table).
export const UART_RBR = 0; // read, DLAB = 0
export const UART_THR = 0; // write, DLAB = 0
export const UART_DLL = 0; // DLAB = 1
export const UART_IER = 1; // DLAB = 0
export const UART_DLM = 1; // DLAB = 1
export const UART_IIR = 2; // read
export const UART_FCR = 2; // write
export const UART_LCR = 3;
export const UART_MCR = 4;
export const UART_LSR = 5;
export const UART_MSR = 6;
export const UART_SCR = 7;

// Interrupt Enable Register. Bits 4-7 are always 0 on the 16550A.
export const IER_RDA = 0x01; // received data available (and character timeout)
export const IER_THRE = 0x02; // transmitter holding register empty
export const IER_RLS = 0x04; // receiver line status
export const IER_MSI = 0x08; // modem status
export const IER_MASK = 0x0f;

// Interrupt Identification Register (datasheet, interrupt control functions table).
export const IIR_NO_INT = 0x01;
export const IIR_ID_MASK = 0x0e;
export const IIR_RLS = 0x06;
export const IIR_RDA = 0x04;
export const IIR_TIMEOUT = 0x0c;
export const IIR_THRE = 0x02;
export const IIR_MSI = 0x00;
/** Bits 6-7 read 11 while FCR bit 0 is set (a 16550 without the A read 10 here). */
export const IIR_FIFO_ENABLED = 0xc0;

// FIFO Control Register.
export const FCR_ENABLE = 0x01;
export const FCR_CLEAR_RX = 0x02;
export const FCR_CLEAR_TX = 0x04;
export const FCR_DMA_MODE = 0x08;
export const FCR_TRIGGER_SHIFT = 6;
/** Receive FIFO trigger level per FCR bits 7-6. */
export const RX_TRIGGER_LEVELS: readonly number[] = [1, 4, 8, 14];

// Line Control Register.
export const LCR_WORD_LENGTH = 0x03;
export const LCR_STOP_BITS = 0x04;
export const LCR_PARITY = 0x08;
export const LCR_EVEN_PARITY = 0x10;
export const LCR_STICK_PARITY = 0x20;
export const LCR_BREAK = 0x40;
export const LCR_DLAB = 0x80;

// Modem Control Register. Bits 5-7 are always 0.
export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOP = 0x10;
export const MCR_MASK = 0x1f;

// Line Status Register.
export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
export const LSR_PE = 0x04;
export const LSR_FE = 0x08;
export const LSR_BI = 0x10;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
export const LSR_RX_FIFO_ERROR = 0x80;

// Modem Status Register: deltas in bits 0-3, input levels in bits 4-7.
export const MSR_DCTS = 0x01;
export const MSR_DDSR = 0x02;
export const MSR_TERI = 0x04;
export const MSR_DDCD = 0x08;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;
const MSR_DELTAS = 0x0f;
const MSR_INPUTS = 0xf0;

export const UART_FIFO_SIZE = 16;
const FIFO_MASK = UART_FIFO_SIZE - 1;
/** Character times without FIFO activity before the timeout indication ("FIFO Interrupt Mode Operation"). */
const TIMEOUT_CHARS = 4;

export interface Uart16550Options {
  /** Called with every byte that leaves the transmitter (not in loopback mode). */
  onTransmit?: (byte: number) => void;
  /**
   * Machine ns a character spends in the transmit shift register: 0 (default) sends it at once,
   * a number uses that time for every character, "baud" the character time of the programmed
   * baud rate and line format.
   */
  txDrainNs?: number | "baud";
  /** Drive the IrqLine with INTRPT AND OUT2, as the PC's serial ports are wired. Default false. */
  irqGatedByOut2?: boolean;
  /** Initial modem input levels (MSR bits 4-7); default CTS, DSR and DCD asserted. */
  modemInputs?: number;
}

/** Modem input levels the host can drive (outside loopback mode). */
export interface ModemInputs {
  cts?: boolean;
  dsr?: boolean;
  ri?: boolean;
  dcd?: boolean;
}

export class Uart16550 implements Stateful {
  /** Receives every transmitted byte; may be replaced by the machine wiring. */
  onTransmit: ((byte: number) => void) | null;
  private readonly txDrain: number | "baud";
  private readonly gated: boolean;

  private readonly rx = new Uint8Array(UART_FIFO_SIZE);
  /** Break indication per receive FIFO slot (the datasheet keeps error bits with each character). */
  private readonly rxBreak = new Uint8Array(UART_FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private readonly tx = new Uint8Array(UART_FIFO_SIZE);
  private txHead = 0;
  private txCount = 0;
  /** Transmit shift register: the character being sent and when its stop bit ends. */
  private tsr = 0;
  private tsrFull = false;
  private tsrDoneAt = Infinity;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private divisor = 12;
  private fifoEnabled = false;
  private rxTrigger = 0;
  /** FCR bit 3 (DMA mode select): kept for the FCR and the snapshot only (no UART DMA is wired). */
  protected dmaMode = false;
  private overrun = false;
  private msrDeltas = 0;
  /** Modem input pin levels the host drives (MSR bit positions). */
  private modemInputs: number;
  /** Input levels the MSR last saw (the pins, or the MCR outputs in loopback mode). */
  private inputsSeen: number;
  /** THRE interrupt latch: set when the THR (TX FIFO) empties, cleared by an IIR read naming it or a THR write. */
  private thriPending = false;
  private timeoutPending = false;
  private timeoutAt = Infinity;
  private irqLevel = false;

  constructor(
    private readonly clock: TimeSource,
    private readonly irq: IrqLine,
    options: Uart16550Options = {},
  ) {
    this.onTransmit = options.onTransmit ?? null;
    const drain = options.txDrainNs ?? 0;
    if (drain !== "baud" && !(Number.isFinite(drain) && drain >= 0))
      throw new RangeError(`txDrainNs must be "baud" or a time >= 0, not ${drain}`);
    this.txDrain = drain;
    this.gated = options.irqGatedByOut2 ?? false;
    this.modemInputs = (options.modemInputs ?? MSR_CTS | MSR_DSR | MSR_DCD) & MSR_INPUTS;
    this.inputsSeen = this.modemInputs;
  }

  // ---- machine-facing API ----

  /** Ports base+0 .. base+7. */
  ioSurface(base: number, name = "uart16550"): IoSurface {
    return { name, ports: [{ base, count: 8, read8: (o) => this.read(o), write8: (o, v) => this.write(o, v) }] };
  }

  /**
   * Master reset (datasheet, UART reset configuration table): IER, FCR, LCR, MCR and the MSR deltas to 0, FIFOs and
   * shift registers emptied, LSR to THRE|TEMT. The divisor and the scratch register keep their values.
   */
  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.fifoEnabled = false;
    this.rxTrigger = 0;
    this.dmaMode = false;
    this.rxHead = 0;
    this.rxCount = 0;
    this.rxBreak.fill(0);
    this.txHead = 0;
    this.txCount = 0;
    this.tsrFull = false;
    this.tsrDoneAt = Infinity;
    this.overrun = false;
    this.msrDeltas = 0;
    this.inputsSeen = this.modemInputs;
    this.thriPending = false;
    this.timeoutPending = false;
    this.timeoutAt = Infinity;
    this.updateIrq();
  }

  advance(now: number): void {
    this.catchUp(now);
    this.updateIrq();
  }

  nextDeadline(): number {
    return Math.min(this.tsrDoneAt, this.timeoutAt);
  }

  /**
   * Characters arriving on the serial input now. Returns how many found room; the rest overran
   * (LSR OE). Ignored in loopback mode, where the input pin is disconnected.
   */
  receive(bytes: ArrayLike<number> | number): number {
    this.catchUp(this.clock.now());
    let stored = 0;
    if (!(this.mcr & MCR_LOOP)) {
      const now = this.clock.now();
      if (typeof bytes === "number") stored += this.rxPush(bytes & 0xff, 0, now);
      else for (let i = 0; i < bytes.length; i++) stored += this.rxPush(bytes[i] & 0xff, 0, now);
    }
    this.updateIrq();
    return stored;
  }

  /** A break condition on the input: a zero character with LSR BI ("Line Status Register"). */
  receiveBreak(): void {
    this.catchUp(this.clock.now());
    if (!(this.mcr & MCR_LOOP)) this.rxPush(0, 1, this.clock.now());
    this.updateIrq();
  }

  /** How many characters the receiver can take now without overrun. */
  rxFree(): number {
    this.catchUp(this.clock.now());
    return this.rxCapacity() - this.rxCount;
  }

  /** Sets modem input pins; a change sets the MSR delta bits (seen only outside loopback mode). */
  setModemInputs(lines: ModemInputs): void {
    this.catchUp(this.clock.now());
    let v = this.modemInputs;
    const set = (on: boolean | undefined, bit: number) => {
      if (on !== undefined) v = on ? v | bit : v & ~bit;
    };
    set(lines.cts, MSR_CTS);
    set(lines.dsr, MSR_DSR);
    set(lines.ri, MSR_RI);
    set(lines.dcd, MSR_DCD);
    this.modemInputs = v;
    this.refreshModemInputs();
    this.updateIrq();
  }

  /** The INTRPT output (any enabled interrupt pending). */
  get interrupt(): boolean {
    return this.iirId() !== IIR_NO_INT;
  }
  /** Output pins, true when asserted; all inactive in loopback mode. */
  get out2(): boolean {
    return (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2;
  }
  get out1(): boolean {
    return (this.mcr & (MCR_OUT1 | MCR_LOOP)) === MCR_OUT1;
  }
  get dtr(): boolean {
    return (this.mcr & (MCR_DTR | MCR_LOOP)) === MCR_DTR;
  }
  get rts(): boolean {
    return (this.mcr & (MCR_RTS | MCR_LOOP)) === MCR_RTS;
  }
  /** The programmed baud rate (input clock / 16 / divisor). */
  get baud(): number {
    return UART_CLOCK_HZ / 16 / this.divisorValue();
  }

  // ---- registers ----

  private read(offset: number): number {
    this.catchUp(this.clock.now());
    let v: number;
    switch (offset) {
      case UART_RBR:
        v = this.lcr & LCR_DLAB ? this.divisor & 0xff : this.readRbr();
        break;
      case UART_IER:
        v = this.lcr & LCR_DLAB ? this.divisor >> 8 : this.ier;
        break;
      case UART_IIR:
        v = this.readIir();
        break;
      case UART_LCR:
        v = this.lcr;
        break;
      case UART_MCR:
        v = this.mcr;
        break;
      case UART_LSR:
        v = this.readLsr();
        break;
      case UART_MSR:
        v = this.inputsSeen | this.msrDeltas;
        this.msrDeltas = 0;
        break;
      default:
        v = this.scr;
        break;
    }
    this.updateIrq();
    return v;
  }

  private write(offset: number, v: number): void {
    this.catchUp(this.clock.now());
    switch (offset) {
      case UART_THR:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | v;
        else this.writeThr(v);
        break;
      case UART_IER:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff) | (v << 8);
        else this.writeIer(v);
        break;
      case UART_FCR:
        this.writeFcr(v);
        break;
      case UART_LCR:
        this.lcr = v;
        break;
      case UART_MCR:
        this.mcr = v & MCR_MASK;
        this.refreshModemInputs();
        break;
      case UART_LSR:
        break; // the LSR is meant for reading only (datasheet, "Line Status Register")
      case UART_MSR:
        break;
      default:
        this.scr = v;
        break;
    }
    this.updateIrq();
  }

  private readRbr(): number {
    if (this.rxCount === 0) return this.rx[(this.rxHead - 1) & FIFO_MASK]; // the last character again
    const v = this.rx[this.rxHead];
    this.rxBreak[this.rxHead] = 0;
    this.rxHead = (this.rxHead + 1) & FIFO_MASK;
    this.rxCount--;
    // Reading a character clears a timeout indication and restarts the timer ("FIFO Interrupt Mode Operation").
    this.timeoutPending = false;
    this.timeoutAt = this.fifoEnabled && this.rxCount > 0 ? this.clock.now() + TIMEOUT_CHARS * this.charNs() : Infinity;
    return v;
  }

  private readIir(): number {
    const id = this.iirId();
    // Reading the IIR clears a THRE interrupt when it is the one reported (interrupt control functions table).
    if (id === IIR_THRE) this.thriPending = false;
    return id | (this.fifoEnabled ? IIR_FIFO_ENABLED : 0);
  }

  private readLsr(): number {
    let v = this.rxErrors();
    if (this.rxCount > 0) v |= LSR_DR;
    if (this.txCount === 0) v |= LSR_THRE;
    if (this.txCount === 0 && !this.tsrFull) v |= LSR_TEMT;
    if (this.fifoEnabled && this.anyBreakInFifo()) v |= LSR_RX_FIFO_ERROR;
    // The error bits clear on reading; in FIFO mode the break belongs to the top character.
    this.overrun = false;
    if (this.rxCount > 0) this.rxBreak[this.rxHead] = 0;
    return v;
  }

  private writeThr(v: number): void {
    if (this.txCount < this.txCapacity()) {
      this.tx[(this.txHead + this.txCount) & FIFO_MASK] = v;
      this.txCount++;
    } else {
      // A full FIFO (or 16450 holding register) takes the byte in the last slot.
      this.tx[(this.txHead + this.txCount - 1) & FIFO_MASK] = v;
    }
    this.thriPending = false;
    const now = this.clock.now();
    if (!this.tsrFull) this.loadTsr(now);
    this.catchUp(now);
  }

  private writeIer(v: number): void {
    const was = this.ier;
    this.ier = v & IER_MASK;
    // Enabling the THRE interrupt while the THR is empty interrupts at once: software (Linux's
    // 8250 driver among others) relies on this to start transmission.
    if (this.ier & IER_THRE && !(was & IER_THRE) && this.txCount === 0) this.thriPending = true;
  }

  /**
   * FCR ("FIFO Control Register"): bit 0 enables both FIFOs and must be set for the other bits to take
   * effect; changing it clears both FIFOs. Bits 1 and 2 clear a FIFO (not its shift register)
   * and clear themselves.
   */
  private writeFcr(v: number): void {
    const enable = (v & FCR_ENABLE) !== 0;
    if (enable !== this.fifoEnabled) {
      this.clearRx();
      this.clearTx();
      this.fifoEnabled = enable;
    }
    if (!enable) return;
    if (v & FCR_CLEAR_RX) this.clearRx();
    if (v & FCR_CLEAR_TX) this.clearTx();
    this.dmaMode = (v & FCR_DMA_MODE) !== 0;
    this.rxTrigger = v >> FCR_TRIGGER_SHIFT;
  }

  private clearRx(): void {
    this.rxHead = 0;
    this.rxCount = 0;
    this.rxBreak.fill(0);
    this.timeoutPending = false;
    this.timeoutAt = Infinity;
  }

  private clearTx(): void {
    if (this.txCount > 0) this.thriPending = true; // the THR has just become empty
    this.txHead = 0;
    this.txCount = 0;
  }

  // ---- interrupt logic ----

  /** The highest-priority enabled interrupt's IIR bits 0-3 (datasheet, interrupt control functions table). */
  private iirId(): number {
    const ier = this.ier;
    if (ier & IER_RLS && this.rxErrors() !== 0) return IIR_RLS;
    if (ier & IER_RDA) {
      if (this.rxCount > 0 && (!this.fifoEnabled || this.rxCount >= RX_TRIGGER_LEVELS[this.rxTrigger])) return IIR_RDA;
      if (this.timeoutPending && this.fifoEnabled) return IIR_TIMEOUT;
    }
    if (ier & IER_THRE && this.thriPending) return IIR_THRE;
    if (ier & IER_MSI && this.msrDeltas !== 0) return IIR_MSI;
    return IIR_NO_INT;
  }

  private updateIrq(): void {
    let level = this.iirId() !== IIR_NO_INT;
    if (this.gated) level = level && this.out2;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (level) this.irq.raise();
    else this.irq.lower();
  }

  private rxErrors(): number {
    let v = this.overrun ? LSR_OE : 0;
    if (this.rxCount > 0 && this.rxBreak[this.rxHead]) v |= LSR_BI;
    return v;
  }

  private anyBreakInFifo(): boolean {
    for (let i = 0; i < this.rxCount; i++) if (this.rxBreak[(this.rxHead + i) & FIFO_MASK]) return true;
    return false;
  }

  // ---- modem lines ----

  /** The inputs the MSR sees: the pins, or in loopback mode the MCR outputs ("Modem Control Register"). */
  private effectiveInputs(): number {
    const m = this.mcr;
    if (!(m & MCR_LOOP)) return this.modemInputs;
    return (
      (m & MCR_RTS ? MSR_CTS : 0) |
      (m & MCR_DTR ? MSR_DSR : 0) |
      (m & MCR_OUT1 ? MSR_RI : 0) |
      (m & MCR_OUT2 ? MSR_DCD : 0)
    );
  }

  private refreshModemInputs(): void {
    const now = this.effectiveInputs();
    const changed = now ^ this.inputsSeen;
    if (changed & MSR_CTS) this.msrDeltas |= MSR_DCTS;
    if (changed & MSR_DSR) this.msrDeltas |= MSR_DDSR;
    if (changed & MSR_DCD) this.msrDeltas |= MSR_DDCD;
    // TERI flags only the trailing edge of RI (its input going inactive).
    if (changed & MSR_RI && !(now & MSR_RI)) this.msrDeltas |= MSR_TERI;
    this.inputsSeen = now;
  }

  // ---- timing ----

  private divisorValue(): number {
    return this.divisor === 0 ? 0x10000 : this.divisor; // the baud generator counts 65536 for 0
  }

  /** One character's time on the line in ns: start bit, data bits, parity, stop bits. */
  charNs(): number {
    const dataBits = 5 + (this.lcr & LCR_WORD_LENGTH);
    const stopBits = this.lcr & LCR_STOP_BITS ? (dataBits === 5 ? 1.5 : 2) : 1;
    const bits = 1 + dataBits + (this.lcr & LCR_PARITY ? 1 : 0) + stopBits;
    return (bits * 16 * this.divisorValue() * 1e9) / UART_CLOCK_HZ;
  }

  private txCharNs(): number {
    return this.txDrain === "baud" ? this.charNs() : this.txDrain;
  }

  private rxCapacity(): number {
    return this.fifoEnabled ? UART_FIFO_SIZE : 1;
  }
  private txCapacity(): number {
    return this.fifoEnabled ? UART_FIFO_SIZE : 1;
  }

  /** Moves the next THR/FIFO byte into the shift register at time t. */
  private loadTsr(t: number): void {
    if (this.txCount === 0) return;
    this.tsr = this.tx[this.txHead];
    this.txHead = (this.txHead + 1) & FIFO_MASK;
    this.txCount--;
    this.tsrFull = true;
    this.tsrDoneAt = t + this.txCharNs();
    if (this.txCount === 0) this.thriPending = true;
  }

  /** Runs the transmitter and the timeout timer up to `now`, events in time order. */
  private catchUp(now: number): void {
    for (;;) {
      const t = Math.min(this.tsrDoneAt, this.timeoutAt);
      if (t > now) return;
      if (this.tsrDoneAt <= this.timeoutAt) {
        this.tsrFull = false;
        this.tsrDoneAt = Infinity;
        const byte = this.tsr;
        this.loadTsr(t);
        this.emit(byte, t);
      } else {
        this.timeoutAt = Infinity;
        if (this.rxCount > 0) this.timeoutPending = true;
      }
    }
  }

  private emit(byte: number, t: number): void {
    if (this.mcr & MCR_LOOP)
      this.rxPush(byte, 0, t); // the shift register feeds the receiver
    else this.onTransmit?.(byte);
  }

  /** A character completes in the receiver at time t. Returns 1 if stored without overrun. */
  private rxPush(byte: number, brk: number, t: number): number {
    let stored = 1;
    if (this.rxCount < this.rxCapacity()) {
      const i = (this.rxHead + this.rxCount) & FIFO_MASK;
      this.rx[i] = byte;
      this.rxBreak[i] = brk;
      this.rxCount++;
    } else {
      this.overrun = true;
      stored = 0;
      // 16450 mode: the new character replaces the unread one. FIFO mode: it is lost.
      if (!this.fifoEnabled) {
        this.rx[this.rxHead] = byte;
        this.rxBreak[this.rxHead] = brk;
      }
    }
    // A received character restarts the timeout timer unless a timeout is already indicated.
    if (this.fifoEnabled && !this.timeoutPending) this.timeoutAt = t + TIMEOUT_CHARS * this.charNs();
    return stored;
  }

  // ---- snapshot ----

  static readonly STATE = defineState<Uart16550>()({
    name: "uart16550",
    version: 1,
    minVersion: 1,
    fields: {
      rxFifo: field(bytes(UART_FIFO_SIZE), { key: "rx" }),
      rxBreak: bytes(UART_FIFO_SIZE, { maxByte: 1 }),
      rxHead: int(0, FIFO_MASK),
      rxCount: int(0, UART_FIFO_SIZE),
      txFifo: field(bytes(UART_FIFO_SIZE), { key: "tx" }),
      txHead: int(0, FIFO_MASK),
      txCount: int(0, UART_FIFO_SIZE),
      tsr: u8,
      tsrFull: bool,
      tsrDoneAt: timeOrNever(),
      ier: bits(IER_MASK),
      lcr: u8,
      mcr: bits(MCR_MASK),
      scr: u8,
      divisor: u16,
      fifoEnabled: bool,
      rxTrigger: int(0, 3),
      dmaMode: bool,
      overrun: bool,
      msrDeltas: bits(MSR_DELTAS),
      modemInputs: bits(MSR_INPUTS),
      inputsSeen: bits(MSR_INPUTS),
      thriPending: bool,
      timeoutPending: bool,
      timeoutAt: timeOrNever(),
    },
    check(s, fail) {
      const cap = s.fifoEnabled ? UART_FIFO_SIZE : 1;
      if (s.rxCount > cap || s.txCount > cap) fail(`FIFO counts exceed ${cap} characters`);
      if (s.tsrFull !== (s.tsrDoneAt !== Infinity)) fail("tsrFull and tsrDoneAt disagree");
      if (s.txCount > 0 && !s.tsrFull) fail("characters wait in the transmit FIFO while the shift register is idle");
      if (s.timeoutPending && s.timeoutAt !== Infinity) fail("a timeout is both pending and scheduled");
    },
    postLoad: (uart) => uart.updateIrq(),
  });
  readonly stateDefinition = Uart16550.STATE;
  readonly stateName = Uart16550.STATE.name;
  readonly stateVersion = Uart16550.STATE.version;
  readonly stateMinVersion = Uart16550.STATE.minVersion;

  saveState(): StateRecord {
    return Uart16550.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Uart16550.STATE.load(this, fields, version);
  }
}
