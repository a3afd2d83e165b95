// The node:zlib codec gives the snapshot format the same answers as the streams: round trips,
// clear refusals of corrupt, truncated and overlong sections, and a real snapshot whose
// compressed payload is mutated behind a valid checksum either restores or is refused with a
// SnapshotError (the streams face the same cases in devices/src/pc/snapshot-fuzz.test.ts).
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  compressBytes,
  decompressBytes,
  installDeflateCodec,
  MemoryDisk,
  resealContainer,
  SnapshotError,
  StateError,
} from "@x86vm/core";
import { PcMachine, restoreSnapshot, saveSnapshot } from "@x86vm/devices";
import { zlibCodec } from "./zlib-codec.ts";

const FREEDOS = path.resolve(__dirname, "../../../../shared/guests/freedos722.img");

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
    await expect(decompressBytes(packed, "deflate-raw", data.length - 1, "RAM")).rejects.toThrow(
      /RAM: expands to more than the 199999 bytes/,
    );
    await expect(decompressBytes(packed, "deflate-raw", data.length + 1, "RAM")).rejects.toThrow(
      /RAM: expands to 200000 bytes, expected 200001/,
    );
    await expect(
      decompressBytes(packed.subarray(0, packed.length >> 1), "deflate-raw", data.length, "RAM"),
    ).rejects.toThrow(SnapshotError);
    await expect(decompressBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff]), "deflate-raw", 10, "RAM")).rejects.toThrow(
      /RAM: compressed data is corrupt/,
    );
  });

  it("restores or refuses (SnapshotError) a FreeDOS snapshot with its payload mutated 300 times", async () => {
    installDeflateCodec(zlibCodec);
    const b = fs.readFileSync(FREEDOS);
    const disk = new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true);
    const pc = new PcMachine({ memoryMiB: 4, clock: "deterministic", fda: disk });
    pc.run(30e6);
    const base = await saveSnapshot(pc);
    const mlen = new DataView(base.buffer, base.byteOffset).getUint32(16, true);
    let seed = 0x2026;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let refused = 0,
      restored = 0;
    for (let i = 0; i < 300; i++) {
      const m = base.slice();
      for (let k = 1 + rand(4); k > 0; k--) m[32 + mlen + rand(m.length - 64 - mlen)] ^= 1 << rand(8);
      await resealContainer(m);
      try {
        await restoreSnapshot(m, { images: () => disk });
        restored++;
      } catch (e) {
        if (!(e instanceof SnapshotError) || (e.cause !== undefined && !(e.cause instanceof StateError)))
          throw new Error(`case ${i}: ${String(e)}`, { cause: e });
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
    expect(restored + refused).toBe(300);
  }, 120_000);
});
