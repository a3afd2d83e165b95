// Input events from the page to a VM's worker, as fixed records in a RecordRing:
// [kind, a, b, c]. Keys travel as indexes into KEY_CODES (KeyboardEvent.code names, the same
// names the PS/2 keyboard takes), so a record is four integers and no string crosses threads.

import { PS2_KEYS } from "@x86vm/devices";
import { RecordRing } from "./rings.ts";

export const IN_KEY_DOWN = 1; // a = key index
export const IN_KEY_UP = 2; // a = key index
export const IN_RELEASE_ALL = 3; // the page lost focus: let go of every held key
export const IN_MOUSE_MOVE = 4; // a = dx, b = dy (right, down positive, as MouseEvent.movementX/Y), c = wheel
export const IN_MOUSE_BUTTONS = 5; // a = button mask (MouseEvent.buttons order: 1 left, 2 right, 4 middle)
export const IN_SERIAL = 6; // a = byte for COM1's receiver

export const INPUT_RECORD_INTS = 4;
export const INPUT_RING_CAPACITY = 1024;

/** Every key the PS/2 keyboard knows, by KeyboardEvent.code. */
export const KEY_CODES: readonly string[] = [...PS2_KEYS.map((k) => k.code), "PrintScreen", "Pause"];

const KEY_INDEX = new Map<string, number>(KEY_CODES.map((c, i) => [c, i]));
KEY_INDEX.set("OSLeft", KEY_INDEX.get("MetaLeft")!);
KEY_INDEX.set("OSRight", KEY_INDEX.get("MetaRight")!);

/** Index of a KeyboardEvent.code in KEY_CODES, or -1 for a key the PC keyboard lacks. */
export function keyIndex(code: string): number {
  return KEY_INDEX.get(code) ?? -1;
}

export function createInputRing(): RecordRing {
  return RecordRing.create(INPUT_RING_CAPACITY, INPUT_RECORD_INTS);
}

/** US layout: the keys that type a printable ASCII character, and whether Shift is needed. */
const SHIFTED = `~!@#$%^&*()_+{}|:"<>?`;
const PLAIN = "`1234567890-=[]\\;',./";
const PUNCT_CODES = [
  "Backquote",
  "Digit1",
  "Digit2",
  "Digit3",
  "Digit4",
  "Digit5",
  "Digit6",
  "Digit7",
  "Digit8",
  "Digit9",
  "Digit0",
  "Minus",
  "Equal",
  "BracketLeft",
  "BracketRight",
  "Backslash",
  "Semicolon",
  "Quote",
  "Comma",
  "Period",
  "Slash",
];

/** The key and Shift state that type `ch` on a US keyboard, or null. */
export function keyForChar(ch: string): { code: string; shift: boolean } | null {
  if (ch >= "a" && ch <= "z") return { code: `Key${ch.toUpperCase()}`, shift: false };
  if (ch >= "A" && ch <= "Z") return { code: `Key${ch}`, shift: true };
  if (ch === " ") return { code: "Space", shift: false };
  if (ch === "\r" || ch === "\n") return { code: "Enter", shift: false };
  if (ch === "\t") return { code: "Tab", shift: false };
  if (ch === "\b") return { code: "Backspace", shift: false };
  if (ch === "\x1b") return { code: "Escape", shift: false };
  const p = PLAIN.indexOf(ch);
  if (p >= 0) return { code: PUNCT_CODES[p], shift: false };
  const s = SHIFTED.indexOf(ch);
  if (s >= 0) return { code: PUNCT_CODES[s], shift: true };
  return null;
}
