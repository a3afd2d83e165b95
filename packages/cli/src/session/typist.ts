// Feeds keys to the guest's keyboard as a person would: one key event (a press or a release) at
// a time, each at least `delayNs` of machine time after the previous one, and each only once
// the keyboard has handed the previous one's bytes to the controller. A key that types a
// character is pressed only when the BIOS keyboard buffer is empty, so a guest that reads
// slowly loses nothing.
//
// Why the pacing: a press and its release queued back to back reach the guest as two IRQ 1s
// in a row, and programs that read the keyboard port in their own IRQ 1 handler (FreeDOS
// EDIT) then miss or garble keys. With about 1 ms between events they get every key; the
// default leaves 10 ms.

import { usKeyForChar, type PcMachine } from "@x86vm/devices";

const BDA_KBD_HEAD = 0x41a,
  BDA_KBD_TAIL = 0x41c;

/** Machine time between key events unless set (--type-delay). */
export const DEFAULT_KEY_DELAY_MS = 10;

interface KeyEvent {
  code: string;
  down: boolean;
  /** A press that types a character: wait for the BIOS buffer to empty first. */
  typesChar: boolean;
}

export class Typist {
  /** Machine time between key events, in ns. */
  delayNs = DEFAULT_KEY_DELAY_MS * 1e6;
  private events: KeyEvent[] = [];
  private nextAt = -Infinity;
  constructor(private readonly pc: PcMachine) {}

  /** Queues the presses and releases that type `text` (US layout; \r, \n and \r\n are Enter). */
  type(text: string): void {
    for (const ch of text.replace(/\r\n/g, "\r")) {
      const key = usKeyForChar(ch);
      if (!key) throw new Error(`cannot type ${JSON.stringify(ch)} on a US keyboard`);
      if (key.shift) this.events.push({ code: "ShiftLeft", down: true, typesChar: false });
      this.events.push({ code: key.code, down: true, typesChar: true });
      this.events.push({ code: key.code, down: false, typesChar: false });
      if (key.shift) this.events.push({ code: "ShiftLeft", down: false, typesChar: false });
    }
  }

  /** Queues a combination: the keys pressed in order, then released in reverse. */
  press(codes: readonly string[]): void {
    codes.forEach((code, i) => this.events.push({ code, down: true, typesChar: i === codes.length - 1 }));
    for (let i = codes.length - 1; i >= 0; i--) this.events.push({ code: codes[i], down: false, typesChar: false });
  }

  get busy(): boolean {
    return this.events.length > 0;
  }

  /** Sends the next key event if its time has come and the guest is ready for it. */
  pump(): void {
    if (this.events.length === 0) return;
    const pc = this.pc;
    const now = pc.machine.clock.now();
    if (now < this.nextAt || pc.keyboard.hasData()) return;
    const ev = this.events[0];
    const mem = pc.machine.mem;
    if (ev.typesChar && mem.read16(BDA_KBD_HEAD) !== mem.read16(BDA_KBD_TAIL)) return;
    this.events.shift();
    const ok = ev.down ? pc.keyboard.pressKey(ev.code) : pc.keyboard.releaseKey(ev.code);
    if (!ok && ev.down) throw new Error(`the keyboard has no key ${JSON.stringify(ev.code)}`);
    this.nextAt = now + this.delayNs;
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
