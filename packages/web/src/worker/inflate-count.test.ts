import { compressBytes, decompressBytes, writeContainer } from "@x86vm/core";
import { describe, expect, it } from "vitest";
import { countInflated, inflatedTotal } from "./inflate-count.ts";

describe("restore progress", () => {
  it("counts the bytes core's inflation produces while it runs, and puts the native stream back", async () => {
    const raw = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const stored = await compressBytes(raw, "deflate-raw");
    const native = globalThis.DecompressionStream;
    let counted = 0;
    const out = await countInflated(
      (n) => (counted += n),
      () => decompressBytes(stored, "deflate-raw", raw.length, "test"),
    );
    expect(out).toEqual(raw);
    expect(counted).toBe(raw.length);
    expect(globalThis.DecompressionStream).toBe(native);
    await decompressBytes(stored, "deflate-raw", raw.length, "test");
    expect(counted).toBe(raw.length);
  });

  it("passes a corrupt stream's failure on", async () => {
    const bad = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
    await expect(
      countInflated(
        () => {},
        () => decompressBytes(bad, "deflate-raw", 100, "test"),
      ),
    ).rejects.toThrow(/corrupt/);
  });

  it("reads the total from the section table: the deflated sections' lengths once expanded", async () => {
    const data = Uint8Array.of(1, 2, 3);
    const snap = await writeContainer({ board: "pc" }, [
      { kind: "states", codec: "deflate-raw", rawLength: 1000, data },
      { kind: "ram", codec: "deflate-raw", rawLength: 4096, data },
      { kind: "misc", codec: "none", rawLength: 3, data },
    ]);
    expect(inflatedTotal(snap)).toBe(5096);
    expect(inflatedTotal(Uint8Array.of(1, 2, 3))).toBe(0);
  });
});
