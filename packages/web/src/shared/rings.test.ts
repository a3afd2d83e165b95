import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { ByteRing, RecordRing } from "./rings.ts";

describe("RecordRing", () => {
  it("hands records over in order and refuses (and counts) what does not fit", () => {
    const r = RecordRing.create(4, 3);
    expect(r.capacity).toBe(4);
    for (let i = 0; i < 4; i++) expect(r.push([i, i * 10, i * 100])).toBe(true);
    expect(r.push([9, 9, 9])).toBe(false);
    expect(r.dropped).toBe(1);
    expect(r.size).toBe(4);
    const out = new Int32Array(3);
    for (let i = 0; i < 4; i++) {
      expect(r.pop(out)).toBe(true);
      expect([...out]).toEqual([i, i * 10, i * 100]);
    }
    expect(r.pop(out)).toBe(false);
    expect(r.size).toBe(0);
  });

  it("fills missing values with 0 and keeps going across many wraps", () => {
    const r = RecordRing.create(8, 2);
    const out = new Int32Array(2);
    for (let i = 0; i < 1000; i++) {
      expect(r.push([i])).toBe(true);
      if (i % 3 === 0) expect(r.push([i, -i | 0])).toBe(true);
      expect(r.pop(out)).toBe(true);
      expect([...out]).toEqual([i, 0]);
      if (i % 3 === 0) {
        expect(r.pop(out)).toBe(true);
        expect([...out]).toEqual([i, -i | 0]);
      }
    }
  });

  it("survives its counters wrapping past 2^32", () => {
    const r = RecordRing.create(4, 1);
    const hdr = new Int32Array(r.buffer, 0, 2);
    hdr[0] = hdr[1] = -2; // 0xFFFFFFFE: two pushes from wrapping
    const out = new Int32Array(1);
    for (let i = 0; i < 4; i++) expect(r.push([i])).toBe(true);
    expect(r.push([4])).toBe(false);
    expect(r.size).toBe(4);
    for (let i = 0; i < 4; i++) {
      expect(r.pop(out)).toBe(true);
      expect(out[0]).toBe(i);
    }
    expect(r.size).toBe(0);
  });

  it("refuses a capacity that is not a power of two", () => {
    expect(() => RecordRing.bytesFor(3, 4)).toThrow(/power of two/);
    expect(() => new RecordRing(new SharedArrayBuffer(16 + 12 * 4), 4)).toThrow(/power of two/);
  });

  it("carries 50000 records from a producer thread to a consumer in order", async () => {
    const r = RecordRing.create(64, 2);
    const n = 50_000;
    const worker = new Worker(
      `
      const { workerData } = require("node:worker_threads");
      const hdr = new Int32Array(workerData.buf, 0, 4);
      const slots = new Int32Array(workerData.buf, 16);
      const cap = slots.length / 2;
      for (let i = 0; i < workerData.n; ) {
        const tail = Atomics.load(hdr, 1);
        if (((tail - Atomics.load(hdr, 0)) >>> 0) >= cap) continue;
        const at = (tail & (cap - 1)) * 2;
        slots[at] = i; slots[at + 1] = ~i;
        Atomics.store(hdr, 1, (tail + 1) | 0);
        i++;
      }
    `,
      { eval: true, workerData: { buf: r.buffer, n } },
    );
    const out = new Int32Array(2);
    let next = 0,
      wrong = -1;
    const deadline = Date.now() + 60_000;
    while (next < n && wrong < 0 && Date.now() < deadline) {
      if (!r.pop(out)) continue;
      if (out[0] !== next || out[1] !== ~next) wrong = next;
      next++;
    }
    expect(wrong).toBe(-1);
    expect(next).toBe(n);
    await worker.terminate();
  });
});

describe("ByteRing", () => {
  it("writes what fits, counts the rest as dropped, and reads in order", () => {
    const r = ByteRing.create(8);
    expect(r.write([1, 2, 3, 4, 5])).toBe(5);
    expect(r.write([6, 7, 8, 9, 10])).toBe(3);
    expect(r.dropped).toBe(2);
    expect([...r.read(3)]).toEqual([1, 2, 3]);
    expect(r.writeByte(11)).toBe(true);
    expect([...r.read()]).toEqual([4, 5, 6, 7, 8, 11]);
    expect(r.read().length).toBe(0);
  });

  it("wraps around its buffer", () => {
    const r = ByteRing.create(16);
    const text = "the quick brown fox jumps over the lazy dog, again and again";
    let got = "";
    for (let i = 0; i < text.length; i += 5) {
      r.write([...text.slice(i, i + 5)].map((c) => c.charCodeAt(0)));
      got += String.fromCharCode(...r.read(7));
    }
    got += String.fromCharCode(...r.read());
    expect(got).toBe(text);
    expect(r.dropped).toBe(0);
  });

  it("refuses bytes when full, one at a time too", () => {
    const r = ByteRing.create(2);
    expect(r.writeByte(1)).toBe(true);
    expect(r.writeByte(2)).toBe(true);
    expect(r.writeByte(3)).toBe(false);
    expect(r.dropped).toBe(1);
    expect([...r.read()]).toEqual([1, 2]);
  });
});
