// Feeds text to the guest's keyboard one key at a time, each only once the guest has taken the
// previous one (the keyboard has nothing queued and the BIOS buffer is empty), so a guest that
// reads slowly loses nothing.

import type { PcMachine } from "@x86vm/devices";

const BDA_KBD_HEAD = 0x41a,
  BDA_KBD_TAIL = 0x41c;

export class Typist {
  private pending: string[] = [];
  constructor(private readonly pc: PcMachine) {}

  type(text: string): void {
    for (const ch of text.replace(/\r\n/g, "\r")) this.pending.push(ch);
  }

  get busy(): boolean {
    return this.pending.length > 0;
  }

  /** Presses the next key if the guest is ready for it. */
  pump(): void {
    if (this.pending.length === 0 || this.pc.keyboard.hasData()) return;
    const mem = this.pc.machine.mem;
    if (mem.read16(BDA_KBD_HEAD) !== mem.read16(BDA_KBD_TAIL)) return;
    const ch = this.pending.shift()!;
    if (this.pc.keyboard.typeText(ch) !== 0) throw new Error(`cannot type ${JSON.stringify(ch)} on a US keyboard`);
  }
}

/** Decodes the escapes of --type KEYS: \r and \n (Enter), \t, \e (Esc), \b, \\, \xHH. */
export function decodeKeys(keys: string): string {
  return keys.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case "r":
      case "n":
        return "\r";
      case "t":
        return "\t";
      case "e":
        return "\x1b";
      case "b":
        return "\b";
      case "x":
        return String.fromCharCode(parseInt(e.slice(1), 16));
      default:
        return e;
    }
  });
}
