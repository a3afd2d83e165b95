// The host's terminal as the guest's COM1, for `vm boot --serial` and `vm resume --serial`.

import type { Session } from "../session/session.ts";

/** COM1 to stdout, stdin to COM1 (raw on a terminal, where Ctrl+] leaves). */
export function connectSerialConsole(session: Session): void {
  session.onSerial = (byte) => process.stdout.write(Buffer.of(byte));
  if (!process.stdin.isTTY) {
    process.stdin.on("data", (d: Buffer) => session.sendSerial(d));
    return;
  }
  process.stdin.setRawMode(true);
  process.stdin.on("data", (d: Buffer) => {
    if (d.length === 1 && d[0] === 0x1d) process.exit(0); // Ctrl+] leaves
    session.sendSerial(d);
  });
}
