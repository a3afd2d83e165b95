import { describe, expect, it } from "vitest";
import { keyCodeForName, parseKeyChord } from "./key-names.ts";
import { PS2_KEYS } from "./ps2-keyboard.ts";

describe("key chords by name", () => {
  it("names single keys by code, letter, digit and short name, in any case", () => {
    expect(parseKeyChord("Enter")).toEqual(["Enter"]);
    expect(parseKeyChord("f1")).toEqual(["F1"]);
    expect(parseKeyChord("c")).toEqual(["KeyC"]);
    expect(parseKeyChord("7")).toEqual(["Digit7"]);
    expect(parseKeyChord("Esc")).toEqual(["Escape"]);
    expect(parseKeyChord("PgDn")).toEqual(["PageDown"]);
    expect(parseKeyChord("numpadenter")).toEqual(["NumpadEnter"]);
    expect(parseKeyChord("PrintScreen")).toEqual(["PrintScreen"]);
  });

  it("puts modifiers first, in the order written", () => {
    expect(parseKeyChord("Ctrl+C")).toEqual(["ControlLeft", "KeyC"]);
    expect(parseKeyChord("Alt+F4")).toEqual(["AltLeft", "F4"]);
    expect(parseKeyChord("Ctrl+Alt+Del")).toEqual(["ControlLeft", "AltLeft", "Delete"]);
    expect(parseKeyChord(" shift + tab ")).toEqual(["ShiftLeft", "Tab"]);
  });

  it("knows every key of the keyboard by its code", () => {
    for (const k of PS2_KEYS) expect(keyCodeForName(k.code)).toBe(k.code);
  });

  it("refuses unknown names and empty parts with the chord in the message", () => {
    expect(() => parseKeyChord("Ctrl+Foo")).toThrow('bad key chord "Ctrl+Foo": no key is named "Foo"');
    expect(() => parseKeyChord("Ctrl+")).toThrow("an empty name");
    expect(() => parseKeyChord("")).toThrow("an empty name");
    expect(keyCodeForName("Hyper")).toBeNull();
  });
});
