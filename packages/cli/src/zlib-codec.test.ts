// The node:zlib codec gives the snapshot format the same answers as the streams: round trips,
// and clear refusals of corrupt, truncated and overlong sections.
import { afterEach, describe, expect, it } from "vitest";
import { compressBytes, decompressBytes, installDeflateCodec, SnapshotError } from "@x86vm/core";
import { zlibCodec } from "./zlib-codec.ts";

const data = new Uint8Array(200_000).map((_, i) => (i * 7919) >> 5);

describe("the zlib deflate codec", () => {
  afterEach(() => installDeflateCodec(null));

  it("reads what the streams write and the other way round", async () => {
    const byStream = await compressBytes(data, "deflate-raw");
    installDeflateCodec(zlibCodec);
    expect(await decompressBytes(byStream, "deflate-raw", data.length, "x")).toEqual(data);
    const byZlib = await compressBytes(data, "deflate-raw");
    installDeflateCodec(null);
    expect(await decompressBytes(byZlib, "deflate-raw", data.length, "x")).toEqual(data);
  });

  it("refuses corrupt, truncated and overlong data with a SnapshotError", async () => {
    installDeflateCodec(zlibCodec);
    const packed = await compressBytes(data, "deflate-raw");
    await expect(decompressBytes(packed, "deflate-raw", data.length - 1, "RAM")).rejects.toThrow(/RAM: expands to more than the 199999 bytes/);
    await expect(decompressBytes(packed, "deflate-raw", data.length + 1, "RAM")).rejects.toThrow(/RAM: expands to 200000 bytes, expected 200001/);
    await expect(decompressBytes(packed.subarray(0, packed.length >> 1), "deflate-raw", data.length, "RAM")).rejects.toThrow(SnapshotError);
    await expect(decompressBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff]), "deflate-raw", 10, "RAM")).rejects.toThrow(/RAM: compressed data is corrupt/);
  });
});
