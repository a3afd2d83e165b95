// Keyboard: the INT 09h handler's work (scan code set 1 from the 8042, as translated by it,
// turned into shift states and (scan code, character) pairs in the BDA's 16-entry buffer) and
// the INT 16h services that read that buffer. The tables follow the IBM PC/AT enhanced
// keyboard BIOS: normal, Shift, Ctrl and Alt columns per key.
//
// Idle: programs that wait for a key by polling INT 16h AH=01h/11h in a tight loop (a DOS
// prompt does) would keep the CPU busy forever. After IDLE_POLLS empty polls in a row, each
// within IDLE_POLL_GAP instructions of the one before and with no video, disk, serial or
// printer service called in between, one poll halts until the next interrupt (a timer tick or
// the key itself) before it answers; while that streak lasts, every IDLE_POLLS_IDLING-th poll
// halts again. The long first count spares short delay loops that poll a fixed number of
// times (the FreeDOS kernel has one of about 600 polls at boot). DOS also polls the keyboard
// for Ctrl+C after every character it writes: those polls are separated by INT 10h output and
// never halt, so output stays immediate. A program that polls once per frame of a game loop is
// not slowed either: its polls are too far apart to count. A caller with interrupts disabled is
// never halted. The streak's state lives in the EBDA, so snapshots carry it.

import { IF } from "@x86vm/core";
import type { Bios } from "./bios.ts";
import * as B from "./bda.ts";
import { PC_KBC_COMMAND, PC_KBC_DATA } from "../board.ts";
import { CMDBYTE_AFTER_POST, CMD_ENABLE_KBD, CMD_WRITE_RAM } from "../../i8042.ts";
import { KBD_CMD_SET_LEDS } from "../../ps2-keyboard.ts";

// BDA 417h shift flags
const RSHIFT = 0x01,
  LSHIFT = 0x02,
  CTRL = 0x04,
  ALT = 0x08;
const SCROLL_ON = 0x10,
  NUM_ON = 0x20,
  CAPS_ON = 0x40,
  INSERT_ON = 0x80;
// BDA 418h keys held
const LCTRL_DOWN = 0x01,
  LALT_DOWN = 0x02,
  SYSREQ_DOWN = 0x04,
  SCROLL_DOWN = 0x10,
  NUM_DOWN = 0x20,
  CAPS_DOWN = 0x40,
  INSERT_DOWN = 0x80;
// BDA 496h
const E1_SEEN = 0x01,
  E0_SEEN = 0x02,
  RCTRL_DOWN = 0x04,
  RALT_DOWN = 0x08,
  KBD_101 = 0x10;

/** Empty polls in a row (each soon after the last) before one of them halts... */
export const IDLE_POLLS = 1000;
/** ...and after that, while the polls go on the same way, between halts. */
export const IDLE_POLLS_IDLING = 32;
/** Polls further apart than this many instructions are not a tight polling loop. */
export const IDLE_POLL_GAP = 2000;

/** Keypad make codes and the digit each gives for Alt+keypad character entry. */
const KEYPAD_DIGIT: Readonly<Record<number, number>> = {
  0x47: 7,
  0x48: 8,
  0x49: 9,
  0x4b: 4,
  0x4c: 5,
  0x4d: 6,
  0x4f: 1,
  0x50: 2,
  0x51: 3,
  0x52: 0,
};

/**
 * Per make code 01h-58h: [normal, shift, ctrl, alt] as (scan << 8) | char; 0 = no key.
 * Letters are marked so Caps Lock applies; keypad keys so Num Lock applies.
 */
const K: Record<number, [number, number, number, number]> = {};
function key(code: number, n: number, s: number, c: number, a: number): void {
  K[code] = [n, s, c, a];
}
key(0x01, 0x011b, 0x011b, 0x011b, 0x0100);
const DIGITS = "1234567890-=",
  SHIFTED_DIGITS = "!@#$%^&*()_+";
for (let i = 0; i < 12; i++) {
  const code = 0x02 + i;
  const ctrl = code === 0x03 ? 0x0300 : code === 0x07 ? 0x071e : code === 0x0c ? 0x0c1f : 0;
  key(code, (code << 8) | DIGITS.charCodeAt(i), (code << 8) | SHIFTED_DIGITS.charCodeAt(i), ctrl, (0x78 + i) << 8);
}
key(0x0e, 0x0e08, 0x0e08, 0x0e7f, 0x0e00);
key(0x0f, 0x0f09, 0x0f00, 0x9400, 0xa500);
const LETTER_ROWS: [number, string][] = [
  [0x10, "qwertyuiop"],
  [0x1e, "asdfghjkl"],
  [0x2c, "zxcvbnm"],
];
const LETTERS = new Set<number>();
for (const [start, row] of LETTER_ROWS) {
  for (let i = 0; i < row.length; i++) {
    const code = start + i,
      ch = row.charCodeAt(i);
    LETTERS.add(code);
    key(code, (code << 8) | ch, (code << 8) | (ch - 32), (code << 8) | (ch - 96), code << 8);
  }
}
key(0x1a, 0x1a5b, 0x1a7b, 0x1a1b, 0x1a00);
key(0x1b, 0x1b5d, 0x1b7d, 0x1b1d, 0x1b00);
key(0x1c, 0x1c0d, 0x1c0d, 0x1c0a, 0x1c00);
key(0x27, 0x273b, 0x273a, 0, 0x2700);
key(0x28, 0x2827, 0x2822, 0, 0x2800);
key(0x29, 0x2960, 0x297e, 0, 0x2900);
key(0x2b, 0x2b5c, 0x2b7c, 0x2b1c, 0x2b00);
key(0x33, 0x332c, 0x333c, 0, 0x3300);
key(0x34, 0x342e, 0x343e, 0, 0x3400);
key(0x35, 0x352f, 0x353f, 0, 0x3500);
key(0x37, 0x372a, 0x372a, 0x9600, 0x3700);
key(0x39, 0x3920, 0x3920, 0x3920, 0x3920);
for (let i = 0; i < 10; i++) key(0x3b + i, (0x3b + i) << 8, (0x54 + i) << 8, (0x5e + i) << 8, (0x68 + i) << 8);
key(0x57, 0x8500, 0x8700, 0x8900, 0x8b00);
key(0x58, 0x8600, 0x8800, 0x8a00, 0x8c00);
// Keypad: [code, digit/char with Num Lock, ctrl]
const KEYPAD: [number, number, number][] = [
  [0x47, 0x37, 0x7700],
  [0x48, 0x38, 0x8d00],
  [0x49, 0x39, 0x8400],
  [0x4b, 0x34, 0x7300],
  [0x4c, 0x35, 0x8f00],
  [0x4d, 0x36, 0x7400],
  [0x4f, 0x31, 0x7500],
  [0x50, 0x32, 0x9100],
  [0x51, 0x33, 0x7600],
  [0x52, 0x30, 0x9200],
  [0x53, 0x2e, 0x9300],
];
const KEYPAD_CODES = new Set<number>();
for (const [code, ch, ctrl] of KEYPAD) {
  KEYPAD_CODES.add(code);
  key(code, code << 8, (code << 8) | ch, ctrl, 0);
}
key(0x4a, 0x4a2d, 0x4a2d, 0x8e00, 0x4a00);
key(0x4e, 0x4e2b, 0x4e2b, 0x9000, 0x4e00);

/** Gray keys behind an E0 prefix: [normal, ctrl, alt]; character E0h marks them for INT 16h/10h. */
const GRAY: Record<number, [number, number, number]> = {
  0x47: [0x47e0, 0x77e0, 0x9700],
  0x48: [0x48e0, 0x8de0, 0x9800],
  0x49: [0x49e0, 0x84e0, 0x9900],
  0x4b: [0x4be0, 0x73e0, 0x9b00],
  0x4d: [0x4de0, 0x74e0, 0x9d00],
  0x4f: [0x4fe0, 0x75e0, 0x9f00],
  0x50: [0x50e0, 0x91e0, 0xa000],
  0x51: [0x51e0, 0x76e0, 0xa100],
  0x52: [0x52e0, 0x92e0, 0xa200],
  0x53: [0x53e0, 0x93e0, 0xa300],
  0x1c: [0xe00d, 0xe00a, 0xa600],
  0x35: [0xe02f, 0x9500, 0xa400],
};

/** EBDA_KBD_IDLE_FLAGS bits. */
const IDLE_STREAK_HALTED = 0x01,
  IDLE_RETRY = 0x02;

export class KeyboardServices {
  constructor(private readonly bios: Bios) {}

  post(): void {
    const b = this.bios;
    b.ww(B.BDA_KBD_START, 0x1e);
    b.ww(B.BDA_KBD_END, 0x3e);
    b.ww(B.BDA_KBD_HEAD, 0x1e);
    b.ww(B.BDA_KBD_TAIL, 0x1e);
    b.wb(B.BDA_KBD_FLAGS1, NUM_ON);
    b.wb(B.BDA_KBD_FLAGS3, KBD_101);
    // 8042: keyboard interrupt on, system flag, translation to set 1; keyboard scanning on.
    b.outb(PC_KBC_COMMAND, CMD_WRITE_RAM);
    b.outb(PC_KBC_DATA, CMDBYTE_AFTER_POST);
    b.outb(PC_KBC_COMMAND, CMD_ENABLE_KBD);
    this.sendLeds();
  }

  /** Called from the INT 09h stub with the scan code in AL (after INT 15h/4Fh let it through). */
  irq(): void {
    const b = this.bios;
    const code = b.al;
    if (code === 0xfa || code === 0xfe || code === 0xee || code === 0x00 || code === 0xff) return; // acks, errors
    let f3 = b.rb(B.BDA_KBD_FLAGS3);
    if (code === 0xe0) {
      b.wb(B.BDA_KBD_FLAGS3, f3 | E0_SEEN);
      return;
    }
    if (code === 0xe1) {
      b.wb(B.BDA_KBD_FLAGS3, f3 | E1_SEEN);
      return;
    }
    const e0 = (f3 & E0_SEEN) !== 0;
    f3 &= ~(E0_SEEN | E1_SEEN);
    b.wb(B.BDA_KBD_FLAGS3, f3);
    const make = code & 0x7f,
      brk = (code & 0x80) !== 0;
    let f1 = b.rb(B.BDA_KBD_FLAGS1),
      f2 = b.rb(B.BDA_KBD_FLAGS2);

    // Shift keys (fake shifts E0 2A / E0 36 around gray keys are ignored).
    if (make === 0x2a || make === 0x36) {
      if (e0) return;
      const bit = make === 0x2a ? LSHIFT : RSHIFT;
      b.wb(B.BDA_KBD_FLAGS1, brk ? f1 & ~bit : f1 | bit);
      return;
    }
    if (make === 0x1d || make === 0x38) {
      const isCtrl = make === 0x1d;
      if (e0) f3 = brk ? f3 & ~(isCtrl ? RCTRL_DOWN : RALT_DOWN) : f3 | (isCtrl ? RCTRL_DOWN : RALT_DOWN);
      else f2 = brk ? f2 & ~(isCtrl ? LCTRL_DOWN : LALT_DOWN) : f2 | (isCtrl ? LCTRL_DOWN : LALT_DOWN);
      const held = isCtrl ? (f2 & LCTRL_DOWN) | (f3 & RCTRL_DOWN) : (f2 & LALT_DOWN) | (f3 & RALT_DOWN);
      const bit = isCtrl ? CTRL : ALT;
      f1 = held ? f1 | bit : f1 & ~bit;
      b.wb(B.BDA_KBD_FLAGS1, f1);
      b.wb(B.BDA_KBD_FLAGS2, f2);
      b.wb(B.BDA_KBD_FLAGS3, f3);
      if (!isCtrl) {
        // Alt+keypad digits: releasing Alt enters the character whose code they spelt.
        const code = b.rb(B.BDA_KBD_ALT_NUMPAD);
        b.wb(B.BDA_KBD_ALT_NUMPAD, 0);
        if (brk && !held && code !== 0) this.enqueue(code);
      }
      return;
    }
    // Lock keys toggle on make; the "held" bits stop auto-repeat from toggling again.
    const lock =
      make === 0x3a
        ? [CAPS_ON, CAPS_DOWN]
        : make === 0x45 && !e0
          ? [NUM_ON, NUM_DOWN]
          : make === 0x46 && !e0
            ? [SCROLL_ON, SCROLL_DOWN]
            : null;
    if (lock && !(make === 0x45 && f1 & CTRL)) {
      if (brk) {
        b.wb(B.BDA_KBD_FLAGS2, f2 & ~lock[1]);
        return;
      }
      if (f2 & lock[1]) return;
      b.wb(B.BDA_KBD_FLAGS2, f2 | lock[1]);
      b.wb(B.BDA_KBD_FLAGS1, f1 ^ lock[0]);
      this.sendLeds();
      return;
    }
    if (brk) {
      if (make === 0x52) b.wb(B.BDA_KBD_FLAGS2, f2 & ~INSERT_DOWN);
      return;
    }
    // Ctrl+Alt+Del restarts the machine (warm boot).
    if (make === 0x53 && f1 & CTRL && f1 & ALT) {
      b.ww(B.BDA_RESET_FLAG, 0x1234);
      b.platform.reset();
      return;
    }
    if (f1 & ALT && !(f1 & CTRL) && !e0 && KEYPAD_DIGIT[make] !== undefined) {
      b.wb(B.BDA_KBD_ALT_NUMPAD, (b.rb(B.BDA_KBD_ALT_NUMPAD) * 10 + KEYPAD_DIGIT[make]) & 0xff);
      return;
    }
    // Insert toggles its state when the key is Ins: the gray key, or keypad 0 while Num Lock
    // and Shift together make it a cursor key.
    const shifted = (f1 & (LSHIFT | RSHIFT)) !== 0;
    if (make === 0x52 && !(f1 & (CTRL | ALT)) && (e0 || ((f1 & NUM_ON) !== 0) === shifted)) {
      if (!(f2 & INSERT_DOWN)) b.wb(B.BDA_KBD_FLAGS1, f1 ^ INSERT_ON);
      b.wb(B.BDA_KBD_FLAGS2, f2 | INSERT_DOWN);
    }
    const value = this.translate(make, e0, f1);
    if (value !== 0) this.enqueue(value);
  }

  private translate(make: number, e0: boolean, f1: number): number {
    const shift = (f1 & (LSHIFT | RSHIFT)) !== 0;
    if (e0 && GRAY[make]) {
      const g = GRAY[make];
      return f1 & ALT ? g[2] : f1 & CTRL ? g[1] : g[0];
    }
    const k = K[make];
    if (!k) return 0;
    if (f1 & ALT) return k[3];
    if (f1 & CTRL) return k[2];
    if (LETTERS.has(make)) return ((f1 & CAPS_ON) !== 0) !== shift ? k[1] : k[0];
    if (KEYPAD_CODES.has(make)) return ((f1 & NUM_ON) !== 0) !== shift ? k[1] : k[0];
    return shift ? k[1] : k[0];
  }

  /** Appends a key to the BDA ring buffer; false when it is full. */
  enqueue(value: number): boolean {
    const b = this.bios;
    const start = b.rw(B.BDA_KBD_START),
      end = b.rw(B.BDA_KBD_END);
    const tail = b.rw(B.BDA_KBD_TAIL);
    let next = tail + 2;
    if (next >= end) next = start;
    if (next === b.rw(B.BDA_KBD_HEAD)) return false; // full (a real BIOS beeps)
    b.ww(B.BDA + tail, value);
    b.ww(B.BDA_KBD_TAIL, next);
    return true;
  }

  private peek(): number {
    const b = this.bios;
    const head = b.rw(B.BDA_KBD_HEAD);
    return head === b.rw(B.BDA_KBD_TAIL) ? -1 : b.rw(B.BDA + head);
  }
  private dequeue(): void {
    const b = this.bios;
    let head = b.rw(B.BDA_KBD_HEAD) + 2;
    if (head >= b.rw(B.BDA_KBD_END)) head = b.rw(B.BDA_KBD_START);
    b.ww(B.BDA_KBD_HEAD, head);
  }

  /**
   * Called for an empty poll: true when this poll should halt until the next interrupt first
   * (the stub halts and calls again; that retry answers without halting).
   */
  private idleHalt(): boolean {
    const b = this.bios;
    // A caller with interrupts off (an interrupt handler) is not waiting for one: never halt it.
    if (!(b.returnFlags() & IF)) return false;
    const now = b.cpu.retired() | 0;
    const at = b.ebda(B.EBDA_KBD_IDLE_POLLS),
      flagsAt = b.ebda(B.EBDA_KBD_IDLE_FLAGS),
      lastAt = b.ebda(B.EBDA_KBD_LAST_POLL);
    let flags = b.rb(flagsAt);
    const gap = (now - b.rd(lastAt)) >>> 0;
    b.wd(lastAt, now);
    if (flags & IDLE_RETRY) {
      b.wb(flagsAt, flags & ~IDLE_RETRY);
      return false;
    } // the streak goes on
    let polls = b.rw(at);
    if (gap > IDLE_POLL_GAP) {
      polls = 0;
      flags = 0;
    }
    polls++;
    if (polls < (flags & IDLE_STREAK_HALTED ? IDLE_POLLS_IDLING : IDLE_POLLS)) {
      b.ww(at, polls);
      b.wb(flagsAt, flags);
      return false;
    }
    b.ww(at, 0);
    b.wb(flagsAt, IDLE_STREAK_HALTED | IDLE_RETRY);
    return true;
  }

  /** The guest did other work (output, disk I/O, a key read): the polling streak ends. */
  busy(): void {
    const b = this.bios;
    b.ww(b.ebda(B.EBDA_KBD_IDLE_POLLS), 0);
    b.wb(b.ebda(B.EBDA_KBD_IDLE_FLAGS), 0);
  }

  private sendLeds(): void {
    const b = this.bios;
    const f1 = b.rb(B.BDA_KBD_FLAGS1);
    const leds = (f1 & SCROLL_ON ? 1 : 0) | (f1 & NUM_ON ? 2 : 0) | (f1 & CAPS_ON ? 4 : 0);
    b.wb(B.BDA_KBD_LEDS, (b.rb(B.BDA_KBD_LEDS) & ~7) | leds);
    b.outb(PC_KBC_DATA, KBD_CMD_SET_LEDS);
    b.outb(PC_KBC_DATA, leds);
  }

  /**
   * Keys as the original functions (00h/01h) return them: extended keys that the old
   * keyboard did not have are skipped, and the E0h marker of gray keys becomes 00h.
   */
  private compatible(v: number): number {
    const ch = v & 0xff,
      scan = v >> 8;
    if (scan === 0xe0) return ch === 0x0d ? 0x1c0d : ch === 0x0a ? 0x1c0a : 0x352f; // keypad Enter, /
    if (ch === 0xe0 && scan !== 0) return v & 0xff00;
    if (scan >= 0x85) return -1; // F11, F12 and the enhanced Ctrl/Alt combinations
    return v;
  }

  int16(): void {
    const b = this.bios,
      cpu = b.cpu;
    const ah = b.ah;
    switch (ah) {
      case 0x00:
      case 0x10: {
        // read key, waiting for one
        for (;;) {
          const v = this.peek();
          if (v < 0) {
            b.retryLater();
            return;
          }
          this.dequeue();
          const r = ah === 0x00 ? this.compatible(v) : v;
          if (r < 0) continue;
          cpu.r16[0] = r;
          b.done();
          return;
        }
      }
      case 0x01:
      case 0x11: {
        // key available?
        for (;;) {
          const v = this.peek();
          if (v < 0) {
            if (this.idleHalt()) {
              b.retryLater();
              return;
            }
            b.setZF(true);
            b.done();
            return;
          }
          const r = ah === 0x01 ? this.compatible(v) : v;
          if (r < 0) {
            this.dequeue();
            continue;
          }
          this.busy();
          cpu.r16[0] = r;
          b.setZF(false);
          b.done();
          return;
        }
      }
      case 0x02:
        cpu.r8[0] = b.rb(B.BDA_KBD_FLAGS1);
        b.done();
        return;
      case 0x12: {
        // AH: left Ctrl, left Alt, right Ctrl, right Alt, Scroll/Num/Caps Lock held, SysReq held.
        const f2 = b.rb(B.BDA_KBD_FLAGS2),
          f3 = b.rb(B.BDA_KBD_FLAGS3);
        cpu.r8[0] = b.rb(B.BDA_KBD_FLAGS1);
        cpu.r8[1] =
          (f2 & (LCTRL_DOWN | LALT_DOWN)) |
          (f3 & RCTRL_DOWN ? 0x04 : 0) |
          (f3 & RALT_DOWN ? 0x08 : 0) |
          (f2 & (SCROLL_DOWN | NUM_DOWN | CAPS_DOWN)) |
          (f2 & SYSREQ_DOWN ? 0x80 : 0);
        b.done();
        return;
      }
      case 0x03:
        b.done();
        return; // typematic rate: accepted
      case 0x05:
        cpu.r8[0] = this.enqueue(cpu.r16[2]) ? 0 : 1;
        b.done();
        return;
      case 0x09:
        cpu.r8[0] = 0x20;
        b.done();
        return; // functions 10h-12h supported
      case 0x0a:
        cpu.r16[6] = 0x41ab;
        b.done();
        return; // MF2 keyboard ID
      default:
        b.unsupportedCall(0x16);
        b.done();
        return;
    }
  }
}
