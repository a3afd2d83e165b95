import { describe, expect, it } from "vitest";
import { frameSize } from "./scale.ts";

const TEXT = { width: 720, height: 400 };

describe("frameSize", () => {
  it("crisp: the largest whole factor that fits both ways", () => {
    expect(frameSize(TEXT, { width: 1888, height: 870 }, "crisp")).toEqual({ width: 1440, height: 800, factor: 2 });
    expect(frameSize(TEXT, { width: 2200, height: 1300 }, "crisp")).toEqual({ width: 2160, height: 1200, factor: 3 });
    // The height limits: 1.9 fits across, 1.5 down.
    expect(frameSize(TEXT, { width: 1400, height: 600 }, "crisp")).toEqual({ width: 720, height: 400, factor: 1 });
    expect(frameSize({ width: 320, height: 200 }, { width: 1334, height: 870 }, "crisp").factor).toBe(4);
  });

  it("crisp: a space smaller than the picture shrinks it, same shape", () => {
    const f = frameSize(TEXT, { width: 360, height: 900 }, "crisp");
    expect(f).toEqual({ width: 360, height: 200, factor: 0.5 });
  });

  it("fit: a 4:3 picture as large as the space allows", () => {
    expect(frameSize(TEXT, { width: 1888, height: 870 }, "fit")).toEqual({
      width: 1160,
      height: 870,
      factor: 1160 / 720,
    });
    expect(frameSize(TEXT, { width: 766, height: 870 }, "fit")).toEqual({ width: 766, height: 574, factor: 766 / 720 });
  });

  it("never returns an empty frame", () => {
    const f = frameSize({ width: 0, height: 0 }, { width: 0, height: 0 }, "crisp");
    expect(f.width).toBeGreaterThan(0);
    expect(f.height).toBeGreaterThan(0);
  });
});
