import { describe, expect, it } from "vitest";
import { crc32, encodePng } from "./png.ts";
import { decodePng } from "../testing/decode-png.ts";

describe("PNG encoder", () => {
  it("computes the standard CRC-32", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("round-trips pixels through node:zlib, with valid chunk CRCs", () => {
    const width = 37,
      height = 23;
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < rgba.length; i++) rgba[i] = (Math.imul(i, 2654435761) >>> 11) & 0xff;
    const back = decodePng(encodePng(width, height, rgba));
    expect(back.chunks).toEqual(["IHDR", "IDAT", "IEND"]);
    expect([back.width, back.height]).toEqual([width, height]);
    expect(Buffer.from(back.rgba).equals(Buffer.from(rgba))).toBe(true);
  });

  it("refuses an empty size and too few pixels", () => {
    expect(() => encodePng(0, 5, new Uint8Array(0))).toThrow(/positive whole size/);
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(/15 bytes of pixels for 2x2/);
  });
});
