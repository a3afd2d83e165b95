// The snapshot format's raw deflate sections through node:zlib, synchronous, in place of the
// CompressionStream/DecompressionStream that core uses by default: Node's web streams spend
// most of a 40 MB restore handing 16 KiB chunks around (core/src/snapshot/host.ts).
// Installed by the `vm` entry point; browsers keep their native streams.

import zlib from "node:zlib";
import { installDeflateCodec, type DeflateCodec } from "@x86vm/core";

export const zlibCodec: DeflateCodec = {
  deflateRaw: (input) => zlib.deflateRawSync(input),
  inflateRaw: (input, maxOutput) => {
    try {
      return zlib.inflateRawSync(input, { maxOutputLength: Math.max(maxOutput, 1) });
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") return "too-long";
      throw e;
    }
  },
};

export function installZlibCodec(): void {
  installDeflateCodec(zlibCodec);
}
