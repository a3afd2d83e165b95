// Key chords by name ("Enter", "F1", "Ctrl+C", "Alt+F4", "Ctrl+Alt+Delete"): what scripts and
// test kits write, turned into the KeyboardEvent.code names the PS/2 keyboard takes (PS2_KEYS).
// A chord is names joined by "+": modifiers first, then one key; names are case-insensitive.
//
// Names: any KeyboardEvent.code of the keyboard ("KeyC", "ArrowUp", "NumpadEnter"); a letter or
// digit ("c", "7"); the modifiers Ctrl/Control, Alt, Shift, Meta/Win (the left-hand keys); and
// the short names Esc, Del, Ins, Up, Down, Left, Right, PgUp, PgDn, Return, PrtSc, Break.

import { PS2_KEYS } from "./ps2-keyboard.ts";

const MODIFIERS: Record<string, string> = {
  ctrl: "ControlLeft",
  control: "ControlLeft",
  alt: "AltLeft",
  shift: "ShiftLeft",
  meta: "MetaLeft",
  win: "MetaLeft",
};

const SHORT: Record<string, string> = {
  esc: "Escape",
  del: "Delete",
  ins: "Insert",
  up: "ArrowUp",
  down: "ArrowDown",
  left: "ArrowLeft",
  right: "ArrowRight",
  pgup: "PageUp",
  pgdn: "PageDown",
  return: "Enter",
  prtsc: "PrintScreen",
  break: "Pause",
};

const BY_LOWER = new Map<string, string>(
  [...PS2_KEYS.map((k) => k.code), "PrintScreen", "Pause"].map((c) => [c.toLowerCase(), c]),
);

/** The code a single key name stands for, or null. */
export function keyCodeForName(name: string): string | null {
  const n = name.trim().toLowerCase();
  if (/^[a-z]$/.test(n)) return `Key${n.toUpperCase()}`;
  if (/^[0-9]$/.test(n)) return `Digit${n}`;
  return MODIFIERS[n] ?? SHORT[n] ?? BY_LOWER.get(n) ?? null;
}

/**
 * The keys of a chord, in the order they go down (they come up in reverse): "Ctrl+Alt+F4" ->
 * ["ControlLeft", "AltLeft", "F4"]. Throws on an unknown name or an empty part.
 */
export function parseKeyChord(chord: string): string[] {
  // "+" itself has no name here: the key that types it is "Equal" (with Shift).
  const parts = chord.split("+");
  const codes: string[] = [];
  for (const p of parts) {
    if (p.trim() === "") throw new Error(`bad key chord ${JSON.stringify(chord)}: an empty name`);
    const code = keyCodeForName(p);
    if (!code) throw new Error(`bad key chord ${JSON.stringify(chord)}: no key is named ${JSON.stringify(p.trim())}`);
    codes.push(code);
  }
  return codes;
}
