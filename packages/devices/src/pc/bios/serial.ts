// INT 14h, the BIOS's serial port services (IBM PC/AT BIOS interface; Ralf Brown's interrupt
// list, INT 14h AH=00h-05h): set a port's baud rate and line format, send and receive a
// character with a timeout, and read its line and modem status; and the PS/2 extensions,
// AH=04h (the line set up from separate registers, up to 19200 baud, stick parity and break)
// and AH=05h (read or write the modem control register). DX selects the port (0 = COM1)
// and its base address is the one the BDA holds at 40:00h, so a guest that swaps or removes a
// port there is served as it says; the UART is driven through its registers, as a real BIOS
// drives it (PC16550D datasheet register names, from uart16550.ts).
//
// Key design choice: sending and receiving wait in guest time, not in a host loop. INT 14h has
// a blocking stub (it halts and calls again), and while a call waits the RTC's periodic
// interrupt runs at 1024 Hz (as for INT 15h AH=86h), so a character is taken within about a
// millisecond of its arrival and an idle guest costs the host nothing. A wait gives up after
// the port's timeout byte in the BDA (40:7Ch + port), counted here in seconds of machine time
// (POST sets 1, as the AT BIOS does; its count of polling loops lasted about that long). The
// wait's deadline lives in the EBDA, so a snapshot taken during it resumes it.

import { EAX, EBX, ECX } from "@x86vm/core";
import {
  LCR_BREAK,
  LCR_DLAB,
  LCR_EVEN_PARITY,
  LCR_PARITY,
  LCR_STICK_PARITY,
  MCR_MASK,
  LSR_DR,
  LSR_THRE,
  MCR_DTR,
  MCR_RTS,
  MSR_CTS,
  MSR_DSR,
  UART_CLOCK_HZ,
  UART_DLL,
  UART_DLM,
  UART_IER,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RBR,
  UART_THR,
} from "../../uart16550.ts";
import type { Bios } from "./bios.ts";
import * as B from "./bda.ts";

// Byte registers in the CPU's r8 view.
const AL = EAX << 2,
  CL = ECX << 2,
  CH = CL + 1,
  BL = EBX << 2,
  BH = BL + 1;

/** AL bits 7-5 of AH=00h: the baud rate (110 to 9600). */
const INIT_BAUDS = [110, 150, 300, 600, 1200, 2400, 4800, 9600];
/** The divisor latch counts 16 UART clocks per bit. */
const BAUD_CLOCK = UART_CLOCK_HZ / 16;
/**
 * AL bits 4-0 of AH=00h are the line control register's bits 4-0 (word length, stop bits,
 * parity enable, even parity): the AT BIOS writes them as they are.
 */
const INIT_LINE_BITS = 0x1f;
/** AH=04h: CL selects the baud rate (110 to 19200). */
const EXT_BAUDS = [...INIT_BAUDS, 19200];
/** AH=04h: BH selects the parity (none, odd, even, stick odd, stick even) as LCR bits. */
const EXT_PARITY = [
  0,
  LCR_PARITY,
  LCR_PARITY | LCR_EVEN_PARITY,
  LCR_PARITY | LCR_STICK_PARITY,
  LCR_PARITY | LCR_EVEN_PARITY | LCR_STICK_PARITY,
];
/** AH=04h: BL = 01h asks for two stop bits (LCR bit 2). */
const LCR_TWO_STOP_BITS = 0x04;
/** AH bit 7 of every function: the port did not become ready in time. */
const STATUS_TIMEOUT = 0x80;
/** AH=02h returns only the receive error bits of the line status (overrun, parity, framing, break). */
const RX_ERROR_BITS = 0x1e;
const NS_PER_SECOND = 1e9;

/** EBDA_SERIAL_FLAGS bits. */
const WAIT_ACTIVE = 0x01,
  WAIT_OWNS_PIE = 0x02;

export class SerialServices {
  constructor(private readonly bios: Bios) {}

  /** POST: each present port's timeout (1), as the AT BIOS sets 40:7Ch-7Fh. */
  post(ports: number): void {
    for (let i = 0; i < 4; i++) this.bios.wb(B.BDA_COM_TIMEOUT + i, i < ports ? 1 : 0);
  }

  int14(): void {
    const b = this.bios,
      cpu = b.cpu;
    const ah = b.ah,
      port = b.dx;
    const base = port < 4 ? b.rw(B.BDA_COM_PORTS + 2 * port) : 0;
    if (ah > 0x05) {
      b.done();
      b.unsupportedCall(0x14);
      return;
    }
    if (base === 0) {
      // No such port: every function times out at once.
      b.done();
      cpu.r8[1] = STATUS_TIMEOUT;
      return;
    }
    switch (ah) {
      case 0x00:
        this.init(base, b.al);
        this.status(base);
        b.done();
        return;
      case 0x01:
        this.send(base, port);
        return;
      case 0x02:
        this.receive(base, port);
        return;
      case 0x03:
        this.status(base);
        b.done();
        return;
      case 0x04:
        b.done();
        if (this.extendedInit(base)) this.status(base);
        else b.unsupportedCall(0x14);
        return;
      case 0x05:
        b.done();
        if (b.al === 0x00) cpu.r8[BL] = b.inb(base + UART_MCR);
        else if (b.al === 0x01) b.outb(base + UART_MCR, cpu.r8[BL] & MCR_MASK);
        else {
          b.unsupportedCall(0x14);
          return;
        }
        this.status(base);
        return;
    }
  }

  /**
   * AH=04h: AL = break (0 off, 1 on), BH = parity, BL = stop bits (0 one, 1 two), CH = word
   * length (0-3: 5-8 bits), CL = baud rate (0-8: 110-19200). False (nothing programmed) for a
   * value outside those.
   */
  private extendedInit(base: number): boolean {
    const b = this.bios,
      r8 = b.cpu.r8;
    const brk = r8[AL],
      parity = r8[BH],
      stop = r8[BL],
      length = r8[CH],
      rate = r8[CL];
    if (brk > 1 || parity >= EXT_PARITY.length || stop > 1 || length > 3 || rate >= EXT_BAUDS.length) return false;
    this.setLine(
      base,
      EXT_BAUDS[rate],
      length | (stop ? LCR_TWO_STOP_BITS : 0) | EXT_PARITY[parity] | (brk ? LCR_BREAK : 0),
    );
    return true;
  }

  /** AH=00h: baud rate from AL bits 7-5, the line format from bits 4-0. */
  private init(base: number, al: number): void {
    this.setLine(base, INIT_BAUDS[al >> 5], al & INIT_LINE_BITS);
  }

  /** The baud rate into the divisor latch, the line control register, interrupts off (as the AT BIOS leaves them). */
  private setLine(base: number, baud: number, lcr: number): void {
    const b = this.bios;
    const divisor = Math.round(BAUD_CLOCK / baud);
    b.outb(base + UART_LCR, LCR_DLAB);
    b.outb(base + UART_DLL, divisor & 0xff);
    b.outb(base + UART_DLM, divisor >> 8);
    b.outb(base + UART_LCR, lcr);
    b.outb(base + UART_IER, 0);
  }

  /** AH=03h (and the end of 00h): AH = line status, AL = modem status. */
  private status(base: number): void {
    const b = this.bios;
    b.cpu.r8[1] = b.inb(base + UART_LSR);
    b.cpu.r8[0] = b.inb(base + UART_MSR);
  }

  /** AH=01h: raise DTR and RTS, wait for DSR, CTS and an empty holding register, send AL. */
  private send(base: number, port: number): void {
    const b = this.bios;
    b.outb(base + UART_MCR, MCR_DTR | MCR_RTS);
    const msr = b.inb(base + UART_MSR);
    const lsr = b.inb(base + UART_LSR);
    const ready = (msr & (MSR_DSR | MSR_CTS)) === (MSR_DSR | MSR_CTS) && (lsr & LSR_THRE) !== 0;
    if (!ready) {
      this.waitOrTimeOut(base, port);
      return;
    }
    this.endWait();
    b.outb(base + UART_THR, b.al);
    b.cpu.r8[1] = lsr;
    b.done();
  }

  /** AH=02h: raise DTR (RTS off), wait for DSR and a received character; AL = it, AH = its errors. */
  private receive(base: number, port: number): void {
    const b = this.bios;
    b.outb(base + UART_MCR, MCR_DTR);
    const msr = b.inb(base + UART_MSR);
    const lsr = b.inb(base + UART_LSR);
    if (!(msr & MSR_DSR) || !(lsr & LSR_DR)) {
      this.waitOrTimeOut(base, port);
      return;
    }
    this.endWait();
    b.cpu.r8[0] = b.inb(base + UART_RBR);
    b.cpu.r8[1] = lsr & RX_ERROR_BITS;
    b.done();
  }

  /**
   * Not ready yet: start the wait on the first call (deadline from the port's timeout byte),
   * then halt and call again until the deadline, when AH = line status with bit 7 set.
   */
  private waitOrTimeOut(base: number, port: number): void {
    const b = this.bios;
    const now = b.platform.clock.now();
    const flagsAt = b.ebda(B.EBDA_SERIAL_FLAGS),
      untilAt = b.ebda(B.EBDA_SERIAL_UNTIL);
    let flags = b.rb(flagsAt);
    if (!(flags & WAIT_ACTIVE)) {
      const until = Math.floor(now + b.rb(B.BDA_COM_TIMEOUT + port) * NS_PER_SECOND);
      b.wd(untilAt, until % 4294967296);
      b.wd(untilAt + 4, Math.floor(until / 4294967296));
      flags = WAIT_ACTIVE | (b.startPeriodicWake() ? WAIT_OWNS_PIE : 0);
      b.wb(flagsAt, flags);
    }
    const until = (b.rd(untilAt) >>> 0) + (b.rd(untilAt + 4) >>> 0) * 4294967296;
    if (now < until) {
      b.retryLater();
      return;
    }
    this.endWait();
    b.cpu.r8[1] = b.inb(base + UART_LSR) | STATUS_TIMEOUT;
    b.done();
  }

  /** Ends a wait, if one was running: the RTC's periodic interrupt goes back off if the wait turned it on. */
  private endWait(): void {
    const b = this.bios;
    const flagsAt = b.ebda(B.EBDA_SERIAL_FLAGS);
    const flags = b.rb(flagsAt);
    if (!(flags & WAIT_ACTIVE)) return;
    if (flags & WAIT_OWNS_PIE) b.endPeriodicWake();
    b.wb(flagsAt, 0);
  }
}
