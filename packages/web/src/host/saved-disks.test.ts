import { describe, expect, it } from "vitest";
import { applyOverlay, changedName } from "./saved-disks.ts";

describe("saved disks", () => {
  it("puts the written sectors over the image, and leaves the image itself alone", () => {
    const base = new Uint8Array(4 * 512).fill(1).buffer;
    const data = new Uint8Array(2 * 512);
    data.fill(7, 0, 512);
    data.fill(9, 512);
    const out = applyOverlay(base, { sectors: Uint32Array.of(1, 3), data });
    expect([out[0], out[512], out[1024], out[1536], out[2047]]).toEqual([1, 7, 1, 9, 9]);
    expect(new Uint8Array(base)[512]).toBe(1);
  });

  it("ignores sectors past the end of the image", () => {
    const out = applyOverlay(new ArrayBuffer(512), { sectors: Uint32Array.of(5), data: new Uint8Array(512).fill(3) });
    expect(out.length).toBe(512);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  it("names the downloaded image after the original", () => {
    expect(changedName("freedos722.img")).toBe("freedos722-changed.img");
    expect(changedName("disk")).toBe("disk-changed");
  });
});
