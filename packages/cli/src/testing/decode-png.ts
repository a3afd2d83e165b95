// Reads back the PNG files encodePng writes (8-bit RGBA, filter type None), for tests: checks
// the signature, every chunk's CRC and each line's filter byte, and inflates the pixels with
// node:zlib. Not a general PNG decoder.

import zlib from "node:zlib";
import { crc32 } from "../report/png.ts";

const SIGNATURE = "89504e470d0a1a0a";

export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8Array;
  /** The chunk types in file order. */
  chunks: string[];
}

export function decodePng(file: Uint8Array): DecodedPng {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (b.subarray(0, 8).toString("hex") !== SIGNATURE) throw new Error("not a PNG signature");
  let pos = 8,
    width = 0,
    height = 0;
  const idat: Buffer[] = [];
  const chunks: string[] = [];
  while (pos < b.length) {
    const len = b.readUInt32BE(pos);
    const type = b.toString("latin1", pos + 4, pos + 8);
    const data = b.subarray(pos + 8, pos + 8 + len);
    if (b.readUInt32BE(pos + 8 + len) !== crc32(b.subarray(pos + 4, pos + 8 + len)))
      throw new Error(`bad CRC in ${type}`);
    chunks.push(type);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data.subarray(8).toString("hex") !== "0806000000") throw new Error("not 8-bit RGBA, deflate, no interlace");
    } else if (type === "IDAT") idat.push(data);
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  if (raw.length !== (stride + 1) * height) throw new Error(`${raw.length} bytes of scan lines for ${width}x${height}`);
  const rgba = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    if (raw[y * (stride + 1)] !== 0) throw new Error(`line ${y} has filter type ${raw[y * (stride + 1)]}`);
    rgba.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, rgba, chunks };
}
