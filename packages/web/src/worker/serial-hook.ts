// COM1 as the shell sees it: the board's first 16550A UART (`pc.uarts[0]`), or nothing on a
// board without serial ports. The worker uses three things of it:
//
//   uart.onTransmit = (byte) => ...     the guest sent a byte (to the console's ring)
//   uart.receive(bytes) -> number       bytes from the console arrive at the receiver; returns
//                                       how many found room (the rest would overrun)
//   uart.rxFree() -> number             room in the receiver, to pace input so nothing overruns
//
// This is the only file that knows where the port lives on the machine object, so a change of
// the board's API is a change here.

import type { PcMachine } from "@x86vm/devices";

export interface SerialPort {
  /** Where the guest's output goes. */
  setSink(fn: ((byte: number) => void) | null): void;
  /** Gives the receiver as many of `bytes` as it has room for; returns how many it took. */
  send(bytes: readonly number[]): number;
}

/** COM1 of the machine, or null when the board has no serial port. */
export function findCom1(pc: PcMachine): SerialPort | null {
  const uart = pc.uarts[0];
  if (!uart) return null;
  return {
    setSink: (fn) => {
      uart.onTransmit = fn;
    },
    send: (bytes) => {
      const room = Math.min(bytes.length, uart.rxFree());
      return room > 0 ? uart.receive(bytes.slice(0, room)) : 0;
    },
  };
}
