import { readContainer, writeContainer } from "@x86vm/core";
import { describe, expect, it } from "vitest";
import { addConsoleHistory, CONSOLE_HISTORY_BYTES, ConsoleHistory, readConsoleHistory } from "./console-history.ts";

async function container(manifest: Record<string, unknown> = { board: "pc" }): Promise<Uint8Array> {
  const data = Uint8Array.of(1, 2, 3, 4, 5);
  return writeContainer(manifest, [{ kind: "states", codec: "none", rawLength: data.length, data }]);
}

describe("console history in a snapshot", () => {
  it("goes into the manifest and comes back; the container stays valid with the same sections", async () => {
    const snap = await container();
    const log = new TextEncoder().encode("Linux version 6.1\r\n# echo hi\r\nhi\r\n\x1b[6n");
    const out = await addConsoleHistory(snap, log);
    const c = await readContainer(out, 1 << 30);
    expect(c.manifest.board).toBe("pc");
    expect([...c.stored(0)]).toEqual([1, 2, 3, 4, 5]);
    expect(await readConsoleHistory(out)).toEqual(log);
  });

  it("a snapshot without it (an older one, the CLI's) has none; an empty history adds nothing", async () => {
    const snap = await container();
    expect(await readConsoleHistory(snap)).toBeNull();
    expect(await addConsoleHistory(snap, new Uint8Array(0))).toBe(snap);
  });

  it("keeps only the last CONSOLE_HISTORY_BYTES", async () => {
    const big = new Uint8Array(CONSOLE_HISTORY_BYTES + 100).map((_, i) => i & 0x7f);
    const back = (await readConsoleHistory(await addConsoleHistory(await container(), big)))!;
    expect(back.length).toBe(CONSOLE_HISTORY_BYTES);
    expect(back[0]).toBe(100 & 0x7f);
  });

  it("refuses a malformed or oversized history", async () => {
    const bad = async (console: unknown) => readConsoleHistory(await container({ board: "pc", console }));
    await expect(bad(7)).rejects.toThrow(/not an object/);
    await expect(bad({ port: "com2", codec: "none", rawLength: 0, data: "" })).rejects.toThrow(/COM1/);
    await expect(bad({ port: "com1", codec: "zstd", rawLength: 0, data: "" })).rejects.toThrow(/codec/);
    await expect(bad({ port: "com1", codec: "none", rawLength: CONSOLE_HISTORY_BYTES + 1, data: "" })).rejects.toThrow(
      /length/,
    );
    // Declared 3 bytes, holds 2.
    await expect(bad({ port: "com1", codec: "none", rawLength: 3, data: btoa("ab") })).rejects.toThrow();
    await expect(bad({ port: "com1", codec: "none", rawLength: 2, data: "!!" })).rejects.toThrow(/base64/);
  });
});

describe("ConsoleHistory", () => {
  it("holds the last bytes in order once it wraps", () => {
    const h = new ConsoleHistory();
    for (let i = 0; i < CONSOLE_HISTORY_BYTES + 3; i++) h.push(i & 0xff);
    const b = h.bytes();
    expect(b.length).toBe(CONSOLE_HISTORY_BYTES);
    expect(b[0]).toBe(3);
    expect(b[b.length - 1]).toBe((CONSOLE_HISTORY_BYTES + 2) & 0xff);
    h.set(Uint8Array.of(9, 8));
    expect([...h.bytes()]).toEqual([9, 8]);
  });
});
