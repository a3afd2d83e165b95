import { PS2_KEYS } from "@x86vm/devices";
import { describe, expect, it } from "vitest";
import { KEY_CODES, keyForChar, keyIndex } from "./input.ts";

describe("input encoding", () => {
  it("numbers every PS/2 key, PrintScreen and Pause, and knows the old Windows key names", () => {
    for (const k of PS2_KEYS) expect(KEY_CODES[keyIndex(k.code)]).toBe(k.code);
    expect(KEY_CODES[keyIndex("Pause")]).toBe("Pause");
    expect(KEY_CODES[keyIndex("PrintScreen")]).toBe("PrintScreen");
    expect(KEY_CODES[keyIndex("OSLeft")]).toBe("MetaLeft");
    expect(keyIndex("BrowserBack")).toBe(-1);
  });

  it("has a key for every printable ASCII character on a US keyboard", () => {
    for (let c = 0x20; c < 0x7f; c++) {
      const k = keyForChar(String.fromCharCode(c));
      expect(k, String.fromCharCode(c)).not.toBeNull();
      expect(keyIndex(k!.code)).toBeGreaterThanOrEqual(0);
    }
    expect(keyForChar("A")).toEqual({ code: "KeyA", shift: true });
    expect(keyForChar("?")).toEqual({ code: "Slash", shift: true });
    expect(keyForChar("\r")).toEqual({ code: "Enter", shift: false });
    expect(keyForChar("é")).toBeNull();
  });
});
