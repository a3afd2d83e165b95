import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { FrameRing, MAX_RING_FRAME } from "./frame-ring.ts";

function frame(len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (seed * 31 + i * 7) & 0xff;
  return f;
}

describe("FrameRing", () => {
  it("hands frames over whole and in order, wrapping around the end of its data", () => {
    const r = FrameRing.create(4096);
    const out = new Uint8Array(MAX_RING_FRAME);
    for (let i = 0; i < 200; i++) {
      const a = frame(60 + ((i * 97) % 1455), i),
        b = frame(14 + i, i + 1000);
      expect(r.push(a)).toBe(true);
      expect(r.push(b)).toBe(true);
      expect(r.peekLength()).toBe(a.length);
      expect(out.subarray(0, r.pop(out))).toEqual(a);
      expect(out.subarray(0, r.pop(out))).toEqual(b);
    }
    expect(r.pop(out)).toBe(0);
    expect(r.empty).toBe(true);
    const c = r.counts();
    expect(c.frames).toBe(400);
    expect(c.dropped).toBe(0);
  });

  it("drops a frame that does not fit and counts it; what is in stays whole", () => {
    const r = FrameRing.create(4096);
    const big = frame(1514, 1);
    expect(r.push(big)).toBe(true);
    expect(r.push(big)).toBe(true);
    expect(r.used).toBe(2 * 1516);
    expect(r.push(big)).toBe(false); // 4096 - 3032 < 1516
    expect(r.push(frame(1000, 2))).toBe(true); // a smaller one still fits
    expect(r.push(frame(100, 3))).toBe(false);
    expect(r.counts()).toEqual({ frames: 3, bytes: 1514 * 2 + 1000, dropped: 2, droppedBytes: 1614 });
    const out = new Uint8Array(2048);
    expect(r.pop(out)).toBe(1514);
    expect(r.push(big)).toBe(true); // room again
  });

  it("refuses empty and oversized frames and a buffer too small for the frame", () => {
    const r = FrameRing.create(2048);
    expect(() => r.push(new Uint8Array(0))).toThrow(RangeError);
    expect(() => r.push(new Uint8Array(MAX_RING_FRAME + 1))).toThrow(RangeError);
    r.push(frame(100, 1));
    expect(() => r.pop(new Uint8Array(50))).toThrow(/does not fit/);
    expect(() => FrameRing.create(3000)).toThrow(/power of two/);
  });

  it("survives its byte counts wrapping past 2^32", () => {
    const r = FrameRing.create(2048);
    const hdr = new Int32Array(r.buffer, 0, 8);
    hdr[0] = hdr[1] = -10; // 10 bytes before the counts wrap
    hdr[4] = -100; // the pushed-bytes count 100 before its low word wraps
    const out = new Uint8Array(2048);
    for (let i = 0; i < 50; i++) {
      const f = frame(64 + i, i);
      expect(r.push(f)).toBe(true);
      expect(out.subarray(0, r.pop(out))).toEqual(f);
    }
    expect(r.counts().bytes).toBe(2 ** 32 - 100 + 50 * 64 + (49 * 50) / 2);
  });

  it("carries frames between threads in order with none lost or torn", async () => {
    const r = FrameRing.create(8192);
    const N = 20000;
    // The producer thread pushes N frames (length and contents from the index), retrying when full.
    const src = `
      const { workerData, parentPort } = require("node:worker_threads");
      const hdr = new Int32Array(workerData, 0, 8), data = new Uint8Array(workerData, 32);
      const cap = data.length, m = cap - 1;
      for (let i = 0; i < ${N}; i++) {
        const len = 14 + (i * 131) % 1500;
        for (;;) {
          const tail = Atomics.load(hdr, 1);
          if (cap - ((tail - Atomics.load(hdr, 0)) >>> 0) < 2 + len) continue;
          data[tail & m] = len & 255; data[(tail + 1) & m] = len >> 8;
          for (let k = 0; k < len; k++) data[(tail + 2 + k) & m] = (i + k) & 255;
          Atomics.store(hdr, 1, (tail + 2 + len) | 0);
          break;
        }
      }
      parentPort.postMessage("done");`;
    const w = new Worker(src, { eval: true, workerData: r.buffer });
    const out = new Uint8Array(2048);
    let bad = 0;
    for (let i = 0; i < N;) {
      const len = r.pop(out);
      if (len === 0) {
        await new Promise((res) => setImmediate(res));
        continue;
      }
      if (len !== 14 + ((i * 131) % 1500)) bad++;
      for (let k = 0; k < len; k++) if (out[k] !== ((i + k) & 255)) bad++;
      i++;
    }
    await w.terminate();
    expect(bad).toBe(0);
    expect(r.empty).toBe(true);
  });
});
