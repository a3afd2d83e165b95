import { describe, expect, it } from "vitest";
import { SharedFramebuffer } from "./framebuffer.ts";

describe("SharedFramebuffer", () => {
  it("publishes a frame that the reader copies once", () => {
    const fb = SharedFramebuffer.create(64, 32);
    const px = fb.beginWrite(4, 2);
    expect(px.length).toBe(4 * 2 * 4);
    px.fill(7);
    fb.endWrite(true);
    const target = new Uint8ClampedArray(64 * 32 * 4);
    const info = fb.readInto(target, -1);
    expect(info).toEqual({ frame: 1, width: 4, height: 2, text: true });
    expect(target.subarray(0, 32).every((v) => v === 7)).toBe(true);
    expect(fb.readInto(target, info!.frame)).toBeNull(); // nothing new
  });

  it("gives the reader nothing while a frame is being written", () => {
    const fb = SharedFramebuffer.create(16, 16);
    fb.beginWrite(8, 8);
    expect(fb.readInto(new Uint8Array(16 * 16 * 4), -1)).toBeNull();
    fb.endWrite(false);
    expect(fb.readInto(new Uint8Array(16 * 16 * 4), -1)?.text).toBe(false);
  });

  it("refuses a picture larger than its capacity, and a reader target too small", () => {
    const fb = SharedFramebuffer.create(16, 16);
    expect(fb.fits(16, 16)).toBe(true);
    expect(fb.fits(17, 16)).toBe(false);
    expect(() => fb.beginWrite(17, 1)).toThrow(RangeError);
    fb.beginWrite(16, 16);
    fb.endWrite(false);
    expect(fb.readInto(new Uint8Array(10), -1)).toBeNull();
  });

  it("is rebuilt from its buffer on the other side with the same capacity", () => {
    const fb = SharedFramebuffer.create(32, 8);
    const other = new SharedFramebuffer(fb.buffer);
    expect([other.maxWidth, other.maxHeight]).toEqual([32, 8]);
    other.beginWrite(2, 2).fill(1);
    other.endWrite(false);
    expect(fb.frames).toBe(1);
    expect(fb.size()).toEqual({ width: 2, height: 2 });
  });
});
