// INT 14h on the real board, called by guest programs: initialising COM1 (divisor and line
// format as the UART sees them), sending bytes (as they leave the UART), receiving bytes fed
// into it (with their errors), the line and modem status, the timeouts of a port that never
// becomes ready, and ports that are not there.

import { describe, it, expect } from "vitest";
import { guestInt, runGuest, runUntilHaltedForever } from "./guest-call.ts";
import * as B from "./bda.ts";
import { COM_PORTS } from "../board.ts";
import { PcMachine } from "../pc.ts";
import {
  LCR_BREAK,
  LCR_DLAB,
  LCR_EVEN_PARITY,
  LCR_PARITY,
  LCR_STICK_PARITY,
  LCR_STOP_BITS,
  LCR_WORD_LENGTH,
  MCR_DTR,
  MCR_OUT2,
  LSR_OE,
  LSR_TEMT,
  LSR_THRE,
  MSR_CTS,
  MSR_DCD,
  MSR_DDSR,
  MSR_DSR,
  UART_LCR,
  UART_MCR,
} from "../../uart16550.ts";
import { REG_B_PIE, RTC_REG_B } from "../../rtc146818.ts";

function board(): PcMachine {
  const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic", bootOrder: [] });
  runUntilHaltedForever(pc);
  return pc;
}
const int14 = (pc: PcMachine, ah: number, al = 0, port = 0) => guestInt(pc, 0x14, { eax: (ah << 8) | al, edx: port });
const COM1 = COM_PORTS[0][0];
const inb = (pc: PcMachine, port: number) => pc.machine.io.io.in8(port);

describe("INT 14h", () => {
  it("POST gives every serial port in the BDA a timeout of 1", () => {
    const pc = board();
    for (let i = 0; i < 4; i++) {
      expect(pc.machine.mem.read16(B.BDA_COM_PORTS + 2 * i)).toBe(COM_PORTS[i][0]);
      expect(pc.machine.mem.read8(B.BDA_COM_TIMEOUT + i)).toBe(1);
    }
  });

  it("a program initialises COM1 at 9600 8N1 and sends bytes that leave the UART", () => {
    const pc = board();
    const sent: number[] = [];
    pc.uarts[0].onTransmit = (b) => sent.push(b);
    // xor dx,dx; mov ax,00E3h; int 14h; mov [500h],ax
    // mov si,msg; l: mov ah,1; lodsb; or al,al; jz done; int 14h; mov [502h],ax; jmp l; done:
    const msg = 0x620;
    const code = [
      0x31,
      0xd2,
      0xb8,
      0xe3,
      0x00,
      0xcd,
      0x14,
      0xa3,
      0x00,
      0x05,
      0xbe,
      msg & 0xff,
      msg >> 8,
      0xb4,
      0x01,
      0xac,
      0x08,
      0xc0,
      0x74,
      0x07,
      0xcd,
      0x14,
      0xa3,
      0x02,
      0x05,
      0xeb,
      0xf2,
    ];
    [..."Hi\r\n"].forEach((ch, i) => pc.machine.mem.write8(msg + i, ch.charCodeAt(0)));
    pc.machine.mem.write8(msg + 4, 0);
    runGuest(pc, code);
    expect(String.fromCharCode(...sent)).toBe("Hi\r\n");
    const uart = pc.uarts[0];
    expect(uart.baud).toBe(9600);
    expect(inb(pc, COM1 + UART_LCR)).toBe(0x03); // 8 bits, 1 stop bit, no parity, DLAB off
    expect(inb(pc, COM1 + UART_MCR)).toBe(0x03); // DTR and RTS raised for sending
    // Init returns the status: transmitter empty, CTS, DSR, DCD (the host side is ready).
    const init = pc.machine.mem.read16(0x500);
    expect(init >> 8).toBe(LSR_THRE | LSR_TEMT);
    expect(init & 0xff).toBe(MSR_CTS | MSR_DSR | MSR_DCD);
    // A send returns AL and the line status without the timeout bit.
    const last = pc.machine.mem.read16(0x502);
    expect(last & 0xff).toBe(0x0a);
    expect(last >> 8).toBe(LSR_THRE | LSR_TEMT);
  });

  it("AL bits 7-5 choose the baud rate, bits 4-0 the line format", () => {
    const pc = board();
    int14(pc, 0x00, (0b000 << 5) | 0b11010, 1); // COM2: 110 baud, even parity, 1 stop bit, 7 bits
    expect(pc.uarts[1].baud).toBeCloseTo(110, 0);
    expect(inb(pc, COM_PORTS[1][0] + UART_LCR)).toBe(0x1a);
    int14(pc, 0x00, (0b100 << 5) | 0b01111, 1); // 1200 baud, odd parity, 2 stop bits, 8 bits
    expect(pc.uarts[1].baud).toBe(1200);
    expect(inb(pc, COM_PORTS[1][0] + UART_LCR) & ~LCR_DLAB).toBe(0x0f);
  });

  it("receives bytes fed into the UART, with their receive errors", () => {
    const pc = board();
    int14(pc, 0x00, 0xe3);
    pc.uarts[0].receive(0x41);
    let r = int14(pc, 0x02);
    expect([r.ah, r.al]).toEqual([0, 0x41]);
    expect(inb(pc, COM1 + UART_MCR)).toBe(0x01); // DTR only while receiving
    pc.uarts[0].receive(0x42);
    r = int14(pc, 0x02);
    expect([r.ah, r.al]).toEqual([0, 0x42]);
    // Without the FIFO a second byte overruns the first: the newer one is read, with OE.
    pc.uarts[0].receive([0x43, 0x44]);
    r = int14(pc, 0x02);
    expect([r.ah, r.al]).toEqual([LSR_OE, 0x44]);
    expect(r.elapsedNs).toBeLessThan(1e6);
  });

  it("a receive waits in guest time: a byte that arrives during the wait is taken at once", () => {
    const pc = board();
    int14(pc, 0x00, 0xe3);
    // A host line that delivers one byte 300 ms from now (machine time).
    const at = pc.machine.clock.now() + 300e6;
    let fed = false;
    pc.machine.addTimed({
      nextDeadline: () => (fed ? Infinity : at),
      advance: (now) => {
        if (!fed && now >= at) {
          fed = true;
          pc.uarts[0].receive(0x5a);
        }
      },
    });
    const r = int14(pc, 0x02);
    expect([r.ah, r.al]).toEqual([0, 0x5a]);
    expect(r.elapsedNs).toBeGreaterThanOrEqual(300e6);
    expect(r.elapsedNs).toBeLessThan(305e6); // the RTC's 1024 Hz interrupt wakes the stub
    expect(pc.bios.cmos(RTC_REG_B) & REG_B_PIE).toBe(0); // and is off again
  });

  it("a receive with nothing coming times out after the BDA's timeout, with AH bit 7", () => {
    const pc = board();
    int14(pc, 0x00, 0xe3);
    const r = int14(pc, 0x02);
    expect(r.ah & 0x80).toBe(0x80);
    expect(r.ah & 0x7f).toBe(LSR_THRE | LSR_TEMT);
    expect(r.elapsedNs).toBeGreaterThanOrEqual(1e9);
    expect(r.elapsedNs).toBeLessThan(1.01e9);
    expect(pc.bios.cmos(RTC_REG_B) & REG_B_PIE).toBe(0);
    // A timeout of 0: at once.
    pc.machine.mem.write8(B.BDA_COM_TIMEOUT, 0);
    const now = int14(pc, 0x02);
    expect(now.ah & 0x80).toBe(0x80);
    expect(now.elapsedNs).toBeLessThan(1e6);
  });

  it("status reports the line status in AH and the modem status in AL; a send without DSR times out", () => {
    const pc = board();
    int14(pc, 0x00, 0xe3);
    let r = int14(pc, 0x03);
    expect([r.ah, r.al]).toEqual([LSR_THRE | LSR_TEMT, MSR_CTS | MSR_DSR | MSR_DCD]);
    pc.uarts[0].setModemInputs({ dsr: false });
    r = int14(pc, 0x03);
    expect(r.al).toBe(MSR_CTS | MSR_DCD | MSR_DDSR);
    const sent: number[] = [];
    pc.uarts[0].onTransmit = (b) => sent.push(b);
    r = int14(pc, 0x01, 0x55);
    expect(r.ah & 0x80).toBe(0x80);
    expect(r.al).toBe(0x55);
    expect(sent).toEqual([]);
    pc.uarts[0].receive(0x31);
    r = int14(pc, 0x02);
    expect(r.ah & 0x80).toBe(0x80); // no DSR: nothing is received either
  });

  it("AH=04h sets the line from separate registers, up to 19200 baud with stick parity and break", () => {
    const pc = board();
    // AL break off, BH even parity, BL two stop bits, CH 8 bits, CL 19200
    let r = guestInt(pc, 0x14, { eax: 0x0400, ebx: 0x0201, ecx: 0x0308, edx: 0 });
    expect(pc.uarts[0].baud).toBe(19200);
    expect(inb(pc, COM1 + UART_LCR)).toBe(LCR_WORD_LENGTH | LCR_STOP_BITS | LCR_PARITY | LCR_EVEN_PARITY);
    expect([r.ah, r.al]).toEqual([LSR_THRE | LSR_TEMT, MSR_CTS | MSR_DSR | MSR_DCD]);
    // break on, stick parity "odd" (the parity bit sent as 1), one stop bit, 7 bits, 300 baud
    guestInt(pc, 0x14, { eax: 0x0401, ebx: 0x0300, ecx: 0x0202, edx: 0 });
    expect(pc.uarts[0].baud).toBe(300);
    expect(inb(pc, COM1 + UART_LCR)).toBe(0x02 | LCR_PARITY | LCR_STICK_PARITY | LCR_BREAK);
    // A rate past 19200: refused and counted, the line left as it was.
    r = guestInt(pc, 0x14, { eax: 0x0400, ecx: 0x0309, edx: 0 });
    expect(r.cf).toBe(true);
    expect(pc.uarts[0].baud).toBe(300);
    expect(pc.bios.unsupported.get("INT 14h AX=0400")).toBe(1);
  });

  it("AH=05h reads and writes the modem control register", () => {
    const pc = board();
    guestInt(pc, 0x14, { eax: 0x0501, ebx: MCR_DTR | MCR_OUT2, edx: 1 });
    expect(inb(pc, COM_PORTS[1][0] + UART_MCR)).toBe(MCR_DTR | MCR_OUT2);
    const r = guestInt(pc, 0x14, { eax: 0x0500, edx: 1 });
    expect(r.bx & 0xff).toBe(MCR_DTR | MCR_OUT2);
    expect(r.ah).toBe(LSR_THRE | LSR_TEMT);
  });

  it("a port that is not there times out at once; functions past 05h are counted as unsupported", () => {
    const pc = board();
    expect(int14(pc, 0x01, 0x41, 4).ah).toBe(0x80);
    pc.machine.mem.write16(B.BDA_COM_PORTS + 2, 0); // the guest removed COM2
    const r = int14(pc, 0x03, 0, 1);
    expect(r.ah).toBe(0x80);
    expect(r.elapsedNs).toBeLessThan(1e6);
    const u = int14(pc, 0x06);
    expect(u.cf).toBe(true);
    expect(pc.bios.unsupported.get("INT 14h AX=0600")).toBe(1);
  });
});
