// PS/2 (MF II) keyboard: 104/105 keys, scan code sets 1 and 2, LEDs, typematic repeat.
//
// The host presses and releases keys by their KeyboardEvent.code names; the keyboard turns
// them into make/break sequences of the current scan code set (set 2 after reset, which the
// 8042 normally translates to set 1) and queues them for the controller. Key design choice:
// typematic repeat runs on machine time: a held key is repeated at the programmed delay and
// rate, reported through nextDeadline()/advance() like any other timer.
//
// References: IBM PS/2 Hardware Interface Technical Reference, "Keyboards (101- and 102-Key)":
// commands and responses, typematic rate/delay byte, scan code sets 1 and 2.

import {
  bool,
  byteQueue,
  defineState,
  field,
  int,
  list,
  num,
  oneOf,
  timeOrNever,
  u8,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import type { Ps2Device } from "./i8042.ts";

// ---- Commands (host to keyboard) ----
export const KBD_CMD_SET_LEDS = 0xed;
export const KBD_CMD_ECHO = 0xee;
export const KBD_CMD_SCAN_SET = 0xf0;
export const KBD_CMD_IDENTIFY = 0xf2;
export const KBD_CMD_TYPEMATIC = 0xf3;
export const KBD_CMD_ENABLE = 0xf4;
export const KBD_CMD_DISABLE = 0xf5;
export const KBD_CMD_DEFAULTS = 0xf6;
export const KBD_CMD_RESEND = 0xfe;
export const KBD_CMD_RESET = 0xff;

// ---- Responses (keyboard to host) ----
export const KBD_ACK = 0xfa;
export const KBD_RESEND = 0xfe;
export const KBD_BAT_OK = 0xaa;
export const KBD_ECHO = 0xee;
export const KBD_ID = [0xab, 0x83] as const;
/** Overrun codes: the buffer was full (set 1 and set 2). */
export const KBD_OVERRUN_SET1 = 0xff;
export const KBD_OVERRUN_SET2 = 0x00;

// ---- LED bits of the ED argument ----
export const LED_SCROLL_LOCK = 0x01;
export const LED_NUM_LOCK = 0x02;
export const LED_CAPS_LOCK = 0x04;

/** Default typematic byte: 10.9 characters/s after a 500 ms delay. */
export const TYPEMATIC_DEFAULT = 0x2b;

const PREFIX_E0 = 0xe0;
const PREFIX_E1 = 0xe1;
const BREAK_SET2 = 0xf0;
/** Key code flag: the code has an E0 prefix. */
const EXT = 0x100;
/** Bytes the keyboard may hold for the host: large enough for pasted text. */
const QUEUE_LIMIT = 4096;
/** A real keyboard's buffer: repeats are not queued behind more than this. */
const HW_BUFFER = 16;

/** A key position: its KeyboardEvent.code and make codes in sets 1 and 2 (EXT = E0 prefix). */
export interface Ps2Key {
  readonly code: string;
  readonly set1: number;
  readonly set2: number;
}

function k(code: string, set1: number, set2: number): Ps2Key {
  return { code, set1, set2 };
}

/** Every key position except Pause and PrintScreen, whose sequences are special. */
export const PS2_KEYS: readonly Ps2Key[] = [
  k("Escape", 0x01, 0x76),
  k("Digit1", 0x02, 0x16),
  k("Digit2", 0x03, 0x1e),
  k("Digit3", 0x04, 0x26),
  k("Digit4", 0x05, 0x25),
  k("Digit5", 0x06, 0x2e),
  k("Digit6", 0x07, 0x36),
  k("Digit7", 0x08, 0x3d),
  k("Digit8", 0x09, 0x3e),
  k("Digit9", 0x0a, 0x46),
  k("Digit0", 0x0b, 0x45),
  k("Minus", 0x0c, 0x4e),
  k("Equal", 0x0d, 0x55),
  k("Backspace", 0x0e, 0x66),
  k("Tab", 0x0f, 0x0d),
  k("KeyQ", 0x10, 0x15),
  k("KeyW", 0x11, 0x1d),
  k("KeyE", 0x12, 0x24),
  k("KeyR", 0x13, 0x2d),
  k("KeyT", 0x14, 0x2c),
  k("KeyY", 0x15, 0x35),
  k("KeyU", 0x16, 0x3c),
  k("KeyI", 0x17, 0x43),
  k("KeyO", 0x18, 0x44),
  k("KeyP", 0x19, 0x4d),
  k("BracketLeft", 0x1a, 0x54),
  k("BracketRight", 0x1b, 0x5b),
  k("Enter", 0x1c, 0x5a),
  k("ControlLeft", 0x1d, 0x14),
  k("KeyA", 0x1e, 0x1c),
  k("KeyS", 0x1f, 0x1b),
  k("KeyD", 0x20, 0x23),
  k("KeyF", 0x21, 0x2b),
  k("KeyG", 0x22, 0x34),
  k("KeyH", 0x23, 0x33),
  k("KeyJ", 0x24, 0x3b),
  k("KeyK", 0x25, 0x42),
  k("KeyL", 0x26, 0x4b),
  k("Semicolon", 0x27, 0x4c),
  k("Quote", 0x28, 0x52),
  k("Backquote", 0x29, 0x0e),
  k("ShiftLeft", 0x2a, 0x12),
  k("Backslash", 0x2b, 0x5d),
  k("KeyZ", 0x2c, 0x1a),
  k("KeyX", 0x2d, 0x22),
  k("KeyC", 0x2e, 0x21),
  k("KeyV", 0x2f, 0x2a),
  k("KeyB", 0x30, 0x32),
  k("KeyN", 0x31, 0x31),
  k("KeyM", 0x32, 0x3a),
  k("Comma", 0x33, 0x41),
  k("Period", 0x34, 0x49),
  k("Slash", 0x35, 0x4a),
  k("ShiftRight", 0x36, 0x59),
  k("NumpadMultiply", 0x37, 0x7c),
  k("AltLeft", 0x38, 0x11),
  k("Space", 0x39, 0x29),
  k("CapsLock", 0x3a, 0x58),
  k("F1", 0x3b, 0x05),
  k("F2", 0x3c, 0x06),
  k("F3", 0x3d, 0x04),
  k("F4", 0x3e, 0x0c),
  k("F5", 0x3f, 0x03),
  k("F6", 0x40, 0x0b),
  k("F7", 0x41, 0x83),
  k("F8", 0x42, 0x0a),
  k("F9", 0x43, 0x01),
  k("F10", 0x44, 0x09),
  k("NumLock", 0x45, 0x77),
  k("ScrollLock", 0x46, 0x7e),
  k("Numpad7", 0x47, 0x6c),
  k("Numpad8", 0x48, 0x75),
  k("Numpad9", 0x49, 0x7d),
  k("NumpadSubtract", 0x4a, 0x7b),
  k("Numpad4", 0x4b, 0x6b),
  k("Numpad5", 0x4c, 0x73),
  k("Numpad6", 0x4d, 0x74),
  k("NumpadAdd", 0x4e, 0x79),
  k("Numpad1", 0x4f, 0x69),
  k("Numpad2", 0x50, 0x72),
  k("Numpad3", 0x51, 0x7a),
  k("Numpad0", 0x52, 0x70),
  k("NumpadDecimal", 0x53, 0x71),
  k("IntlBackslash", 0x56, 0x61),
  k("F11", 0x57, 0x78),
  k("F12", 0x58, 0x07),
  // E0-prefixed keys: the gray cursor block, right-hand modifiers, keypad Enter and /, Windows keys.
  k("NumpadEnter", EXT | 0x1c, EXT | 0x5a),
  k("ControlRight", EXT | 0x1d, EXT | 0x14),
  k("NumpadDivide", EXT | 0x35, EXT | 0x4a),
  k("AltRight", EXT | 0x38, EXT | 0x11),
  k("Home", EXT | 0x47, EXT | 0x6c),
  k("ArrowUp", EXT | 0x48, EXT | 0x75),
  k("PageUp", EXT | 0x49, EXT | 0x7d),
  k("ArrowLeft", EXT | 0x4b, EXT | 0x6b),
  k("ArrowRight", EXT | 0x4d, EXT | 0x74),
  k("End", EXT | 0x4f, EXT | 0x69),
  k("ArrowDown", EXT | 0x50, EXT | 0x72),
  k("PageDown", EXT | 0x51, EXT | 0x7a),
  k("Insert", EXT | 0x52, EXT | 0x70),
  k("Delete", EXT | 0x53, EXT | 0x71),
  k("MetaLeft", EXT | 0x5b, EXT | 0x1f),
  k("MetaRight", EXT | 0x5c, EXT | 0x27),
  k("ContextMenu", EXT | 0x5d, EXT | 0x2f),
];

/** Older browsers name the Windows keys OSLeft/OSRight. */
const ALIASES: Record<string, string> = { OSLeft: "MetaLeft", OSRight: "MetaRight" };

// Special sequences (PS/2 TR, scan code tables, "Print Screen" and "Pause" notes).
const PRINT_SCREEN_MAKE = [
  [PREFIX_E0, 0x2a, PREFIX_E0, 0x37],
  [PREFIX_E0, 0x12, PREFIX_E0, 0x7c],
];
const PRINT_SCREEN_BREAK = [
  [PREFIX_E0, 0xb7, PREFIX_E0, 0xaa],
  [PREFIX_E0, BREAK_SET2, 0x7c, PREFIX_E0, BREAK_SET2, 0x12],
];
/** Pause sends its make and break together on press, nothing on release, and never repeats. */
const PAUSE_MAKE = [
  [PREFIX_E1, 0x1d, 0x45, PREFIX_E1, 0x9d, 0xc5],
  [PREFIX_E1, 0x14, 0x77, PREFIX_E1, BREAK_SET2, 0x14, BREAK_SET2, 0x77],
];

const KEY_BY_CODE = new Map<string, Ps2Key>(PS2_KEYS.map((key) => [key.code, key]));

/** Every key the host may hold: the table's, and the two whose codes are sequences of their own. */
const HOLDABLE_CODES: readonly string[] = [...PS2_KEYS.map((key) => key.code), "PrintScreen", "Pause"];

function isKnownCode(code: string): boolean {
  return KEY_BY_CODE.has(code) || code === "PrintScreen" || code === "Pause";
}

/** US layout: character -> [key code, needs Shift]. */
const US_CHARS = ((): Map<string, [string, boolean]> => {
  const m = new Map<string, [string, boolean]>();
  for (let i = 0; i < 26; i++) {
    const upper = String.fromCharCode(65 + i);
    m.set(upper.toLowerCase(), [`Key${upper}`, false]);
    m.set(upper, [`Key${upper}`, true]);
  }
  const digitsShifted = ")!@#$%^&*(";
  for (let d = 0; d < 10; d++) {
    m.set(String(d), [`Digit${d}`, false]);
    m.set(digitsShifted[d], [`Digit${d}`, true]);
  }
  const pairs: [string, string, string][] = [
    ["`", "~", "Backquote"],
    ["-", "_", "Minus"],
    ["=", "+", "Equal"],
    ["[", "{", "BracketLeft"],
    ["]", "}", "BracketRight"],
    ["\\", "|", "Backslash"],
    [";", ":", "Semicolon"],
    ["'", '"', "Quote"],
    [",", "<", "Comma"],
    [".", ">", "Period"],
    ["/", "?", "Slash"],
  ];
  for (const [plain, shifted, code] of pairs) {
    m.set(plain, [code, false]);
    m.set(shifted, [code, true]);
  }
  m.set(" ", ["Space", false]);
  m.set("\t", ["Tab", false]);
  m.set("\n", ["Enter", false]);
  m.set("\r", ["Enter", false]);
  m.set("\b", ["Backspace", false]);
  m.set("\x1b", ["Escape", false]);
  return m;
})();

/** The key and whether Shift is needed to type `ch` on a US keyboard, or null (no key types it). */
export function usKeyForChar(ch: string): { code: string; shift: boolean } | null {
  const e = US_CHARS.get(ch);
  return e ? { code: e[0], shift: e[1] } : null;
}

/** Typematic delay (bits 5-6) in ns: 250, 500, 750 or 1000 ms. */
function typematicDelayNs(t: number): number {
  return (((t >> 5) & 3) + 1) * 250e6;
}

/** Typematic period in ns: (8 + A) * 2^B / 240 s, A = bits 0-2, B = bits 3-4 (30 to 2 per second). */
function typematicPeriodNs(t: number): number {
  return ((8 + (t & 7)) * (1 << ((t >> 3) & 3)) * 1e9) / 240;
}

export interface Ps2KeyboardOptions {
  /** Called when the guest sets the LEDs (bits LED_*). */
  onLeds?(leds: number): void;
}

export class Ps2Keyboard implements Ps2Device, Stateful {
  private notify: () => void = () => {};
  private queue: number[] = [];
  private scanning = true;
  private scanSet = 2;
  private typematic = TYPEMATIC_DEFAULT;
  private ledBits = 0;
  /** Command waiting for its argument byte (ED, F0, F3), or 0. */
  private awaiting = 0;
  private lastSent = 0;
  /** Keys the host holds down, in press order. */
  private held: string[] = [];
  /** The key that repeats (the last one pressed while still held), or "". */
  private repeatKey = "";
  private repeatAt = Infinity;
  private lastNs = 0;

  constructor(
    private readonly clock: TimeSource,
    private readonly opts: Ps2KeyboardOptions = {},
  ) {
    this.lastNs = clock.now();
  }

  // ---- State for the host ----

  get leds(): number {
    return this.ledBits;
  }
  get scanCodeSet(): number {
    return this.scanSet;
  }
  get enabled(): boolean {
    return this.scanning;
  }
  /** The typematic rate/delay byte last programmed with F3. */
  get typematicByte(): number {
    return this.typematic;
  }

  // ---- Ps2Device ----

  connect(notify: () => void): void {
    this.notify = notify;
  }

  hasData(): boolean {
    return this.queue.length > 0;
  }

  takeByte(): number {
    const b = this.queue.shift() ?? 0;
    this.lastSent = b;
    return b;
  }

  receive(byte: number): void {
    this.advance(this.clock.now());
    if (this.awaiting !== 0 && this.takeArgument(byte)) {
      this.notify();
      return;
    }
    this.command(byte);
    this.notify();
  }

  /** Handles the argument of ED/F0/F3; false when the byte is a new command instead. */
  private takeArgument(byte: number): boolean {
    const cmd = this.awaiting;
    this.awaiting = 0;
    // A byte with bit 7 set ends an ED or F3 and is taken as the next command (PS/2 TR, ED).
    if (cmd === KBD_CMD_SET_LEDS) {
      if (byte & 0x80) return false;
      this.ledBits = byte & (LED_SCROLL_LOCK | LED_NUM_LOCK | LED_CAPS_LOCK);
      this.reply(KBD_ACK);
      this.opts.onLeds?.(this.ledBits);
      return true;
    }
    if (cmd === KBD_CMD_TYPEMATIC) {
      if (byte & 0x80) return false;
      this.typematic = byte;
      this.reply(KBD_ACK);
      return true;
    }
    // F0: 0 asks for the current set; 1 and 2 select a set. Set 3 is not offered.
    if (byte === 0) {
      this.reply(KBD_ACK);
      this.reply(this.scanSet);
      return true;
    }
    if (byte === 1 || byte === 2) {
      this.scanSet = byte;
      this.reply(KBD_ACK);
      return true;
    }
    this.reply(KBD_RESEND);
    return true;
  }

  private command(byte: number): void {
    switch (byte) {
      case KBD_CMD_SET_LEDS:
      case KBD_CMD_TYPEMATIC:
        this.awaiting = byte;
        this.reply(KBD_ACK);
        break;
      case KBD_CMD_ECHO:
        this.reply(KBD_ECHO);
        break;
      case KBD_CMD_SCAN_SET:
        // Clears the output buffer and the typematic key first (PS/2 TR, F0).
        this.clearOutput();
        this.awaiting = byte;
        this.reply(KBD_ACK);
        break;
      case KBD_CMD_IDENTIFY:
        this.reply(KBD_ACK);
        this.reply(KBD_ID[0]);
        this.reply(KBD_ID[1]);
        break;
      case KBD_CMD_ENABLE:
        this.clearOutput();
        this.scanning = true;
        this.reply(KBD_ACK);
        break;
      case KBD_CMD_DISABLE:
        this.loadDefaults();
        this.scanning = false;
        this.reply(KBD_ACK);
        break;
      case KBD_CMD_DEFAULTS:
        this.loadDefaults();
        this.scanning = true;
        this.reply(KBD_ACK);
        break;
      case 0xf7:
      case 0xf8:
      case 0xf9:
      case 0xfa:
      case 0xfb:
      case 0xfc:
      case 0xfd:
        // Set 3 key-type commands: acknowledged, no effect in sets 1 and 2.
        this.reply(KBD_ACK);
        break;
      case KBD_CMD_RESEND:
        this.reply(this.lastSent);
        break;
      case KBD_CMD_RESET:
        // The self-test (BAT) answer follows the ACK at once instead of after ~500 ms.
        this.loadDefaults();
        this.ledBits = 0;
        this.scanning = true;
        this.reply(KBD_ACK);
        this.reply(KBD_BAT_OK);
        break;
      default:
        this.reply(KBD_RESEND); // not a command this keyboard knows
    }
  }

  private loadDefaults(): void {
    this.clearOutput();
    this.typematic = TYPEMATIC_DEFAULT;
    this.scanSet = 2;
    this.awaiting = 0;
  }

  private clearOutput(): void {
    this.queue = [];
    this.repeatKey = "";
    this.repeatAt = Infinity;
  }

  private reply(b: number): void {
    if (this.queue.length < QUEUE_LIMIT) this.queue.push(b);
  }

  // ---- Timing ----

  advance(now: number): void {
    if (now > this.lastNs) this.lastNs = now;
    if (!(this.repeatAt <= now)) return;
    const period = typematicPeriodNs(this.typematic);
    const due = Math.floor((now - this.repeatAt) / period) + 1;
    this.repeatAt += due * period;
    // A real keyboard stops repeating into a full buffer; send at most what fits in its 16 bytes.
    const key = this.repeatKey;
    let sent = false;
    for (let i = 0; i < due && this.queue.length < HW_BUFFER; i++) {
      this.emit(key, true);
      sent = true;
    }
    if (sent) this.notify();
  }

  nextDeadline(): number {
    return this.repeatAt;
  }

  // ---- Host input ----

  /**
   * Presses a key given by its KeyboardEvent.code ("KeyA", "Enter", "ArrowUp"...). Returns false
   * for an unknown code. A press of a key already held is ignored: the keyboard's own typematic
   * repeat produces the repeats.
   */
  pressKey(code: string): boolean {
    code = ALIASES[code] ?? code;
    if (!isKnownCode(code)) return false;
    this.advance(this.clock.now());
    if (this.held.includes(code)) return true;
    this.held.push(code);
    if (!this.scanning) return true;
    this.emit(code, true);
    if (code === "Pause") {
      this.repeatKey = "";
      this.repeatAt = Infinity;
    } else {
      this.repeatKey = code;
      this.repeatAt = this.lastNs + typematicDelayNs(this.typematic);
    }
    this.notify();
    return true;
  }

  /** Releases a held key. Returns false for an unknown code or a key that is not held. */
  releaseKey(code: string): boolean {
    code = ALIASES[code] ?? code;
    this.advance(this.clock.now());
    const i = this.held.indexOf(code);
    if (i < 0) return false;
    this.held.splice(i, 1);
    if (this.repeatKey === code) {
      this.repeatKey = "";
      this.repeatAt = Infinity;
    }
    if (!this.scanning) return true;
    this.emit(code, false);
    this.notify();
    return true;
  }

  /** Releases every held key (e.g. when the host window loses focus). */
  releaseAll(): void {
    for (const code of this.held.slice().reverse()) this.releaseKey(code);
  }

  /**
   * Types ASCII text on a US layout: each character is pressed and released, with Shift held
   * around upper case letters and shifted symbols; \r, \n and \r\n give Enter. Characters with
   * no key are skipped; the number skipped is returned.
   */
  typeText(text: string): number {
    let skipped = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "\n" && i > 0 && text[i - 1] === "\r") continue;
      const entry = US_CHARS.get(ch);
      if (!entry) {
        skipped++;
        continue;
      }
      const [code, shift] = entry;
      const shiftHeld = this.held.includes("ShiftLeft") || this.held.includes("ShiftRight");
      if (shift && !shiftHeld) this.pressKey("ShiftLeft");
      this.pressKey(code);
      this.releaseKey(code);
      if (shift && !shiftHeld) this.releaseKey("ShiftLeft");
    }
    return skipped;
  }

  /** Queues the make or break sequence of a key in the current scan code set. */
  private emit(code: string, make: boolean): void {
    const s = this.scanSet === 1 ? 0 : 1;
    if (code === "PrintScreen") {
      this.queueKeyBytes(make ? PRINT_SCREEN_MAKE[s] : PRINT_SCREEN_BREAK[s]);
      return;
    }
    if (code === "Pause") {
      if (make) this.queueKeyBytes(PAUSE_MAKE[s]);
      return;
    }
    const key = KEY_BY_CODE.get(code)!;
    const c = s === 0 ? key.set1 : key.set2;
    const bytes: number[] = [];
    if (c & EXT) bytes.push(PREFIX_E0);
    if (s === 0) bytes.push(make ? c & 0xff : (c & 0xff) | 0x80);
    else {
      if (!make) bytes.push(BREAK_SET2);
      bytes.push(c & 0xff);
    }
    this.queueKeyBytes(bytes);
  }

  private queueKeyBytes(bytes: readonly number[]): void {
    const overrun = this.scanSet === 1 ? KBD_OVERRUN_SET1 : KBD_OVERRUN_SET2;
    if (this.queue.length + bytes.length < QUEUE_LIMIT) {
      for (const b of bytes) this.queue.push(b);
    } else if (this.queue.length < QUEUE_LIMIT && this.queue[this.queue.length - 1] !== overrun) {
      this.queue.push(overrun); // buffer full: the overrun code takes the last place
    }
  }

  // ---- Snapshot ----

  static readonly STATE = defineState<Ps2Keyboard>()({
    name: "ps2-keyboard",
    version: 1,
    minVersion: 1,
    fields: {
      queue: byteQueue(QUEUE_LIMIT),
      scanning: bool,
      scanSet: int(1, 2),
      typematic: int(0, 0x7f),
      leds: field(int(0, 7), { key: "ledBits" }),
      awaiting: oneOf([0, KBD_CMD_SET_LEDS, KBD_CMD_TYPEMATIC, KBD_CMD_SCAN_SET]),
      lastSent: u8,
      held: list(oneOf(HOLDABLE_CODES), HOLDABLE_CODES.length),
      repeatKey: oneOf(["", ...HOLDABLE_CODES]),
      repeatAt: timeOrNever(),
      lastNs: num(),
    },
    check(v, fail) {
      if (new Set(v.held).size !== v.held.length) fail("field 'held' names a key twice");
      if (v.repeatKey !== "" && (!v.held.includes(v.repeatKey) || v.repeatKey === "Pause"))
        fail("field 'repeatKey' is not a held key");
      if ((v.repeatKey === "") !== (v.repeatAt === Infinity)) fail("fields 'repeatKey' and 'repeatAt' disagree");
    },
  });
  readonly stateDefinition = Ps2Keyboard.STATE;
  readonly stateName = Ps2Keyboard.STATE.name;
  readonly stateVersion = Ps2Keyboard.STATE.version;
  readonly stateMinVersion = Ps2Keyboard.STATE.minVersion;

  saveState(): StateRecord {
    return Ps2Keyboard.STATE.save(this);
  }

  loadState(fields: StateRecord, version: number): void {
    Ps2Keyboard.STATE.load(this, fields, version);
  }
}
