import { PcMachine, UART_FCR, UART_LSR, UART_RBR, UART_THR } from "@x86vm/devices";
import { describe, expect, it } from "vitest";
import { findCom1 } from "./serial-hook.ts";

const COM1 = 0x3f8;

describe("findCom1", () => {
  it("is the PC's first UART: the guest's bytes reach the sink, the console's reach the receiver", () => {
    const pc = new PcMachine({ memoryMiB: 1 });
    const io = pc.machine.io.io;
    const port = findCom1(pc);
    expect(port).not.toBeNull();

    const sent: number[] = [];
    port!.setSink((b) => sent.push(b));
    io.out8(COM1 + UART_THR, 0x41);
    expect(sent).toEqual([0x41]);

    // Without the FIFO the receiver holds one character: send takes only what has room.
    expect(port!.send([0x62, 0x63])).toBe(1);
    expect(io.in8(COM1 + UART_LSR) & 1).toBe(1);
    expect(io.in8(COM1 + UART_RBR)).toBe(0x62);

    io.out8(COM1 + UART_FCR, 0x01); // FIFO on: 16 characters
    expect(port!.send(Array.from({ length: 20 }, (_, i) => 0x30 + i))).toBe(16);
    expect(io.in8(COM1 + UART_RBR)).toBe(0x30);
  });

  it("is null on a board without serial ports", () => {
    const pc = new PcMachine({ memoryMiB: 1 });
    (pc as { uarts: unknown[] }).uarts = [];
    expect(findCom1(pc)).toBeNull();
  });
});
