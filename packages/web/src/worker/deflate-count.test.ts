import { compressBytes, decompressBytes } from "@x86vm/core";
import { describe, expect, it } from "vitest";
import { countDeflated, PIECE_BYTES } from "./deflate-count.ts";

describe("save progress", () => {
  it("counts what core's deflation is given and takes, in pieces, and puts the native stream back", async () => {
    const raw = new Uint8Array(PIECE_BYTES * 2 + 12345).map((_, i) => (i * 13) & 0xff);
    const native = globalThis.CompressionStream;
    const seen: string[] = [];
    let given = 0,
      taken = 0;
    const stored = await countDeflated(
      {
        input: (n) => {
          given += n;
          seen.push(`input ${n}`);
        },
        done: (n) => {
          taken += n;
          seen.push(`done ${n}`);
        },
      },
      async () => {
        const a = await compressBytes(raw, "deflate-raw");
        const b = await compressBytes(Uint8Array.of(1, 2, 3), "deflate-raw");
        return [a, b];
      },
    );
    // The same bytes as the native stream makes: they expand back to the input.
    expect(await decompressBytes(stored[0], "deflate-raw", raw.length, "test")).toEqual(raw);
    expect(await decompressBytes(stored[1], "deflate-raw", 3, "test")).toEqual(Uint8Array.of(1, 2, 3));
    expect(given).toBe(raw.length + 3);
    expect(taken).toBe(given);
    expect(seen).toEqual([
      `input ${raw.length}`,
      `done ${PIECE_BYTES}`,
      `done ${PIECE_BYTES}`,
      "done 12345",
      "input 3",
      "done 3",
    ]);
    expect(globalThis.CompressionStream).toBe(native);
    await compressBytes(raw, "deflate-raw");
    expect(given).toBe(raw.length + 3);
  });
});
