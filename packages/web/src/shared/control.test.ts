import { Worker } from "node:worker_threads";
import { EXIT_COUNT } from "@x86vm/core";
import { describe, expect, it } from "vitest";
import { clampShare, CNT_EXITS, CONTROL_BYTES, ControlBlock, CTL_DOORBELL, VM_STATE_PAUSED } from "./control.ts";

describe("ControlBlock", () => {
  it("starts at the share it is given, not paused, and clamps shares to 1-100", () => {
    const c = ControlBlock.create(40);
    expect(c.share).toBe(40);
    expect(c.pauseRequested).toBe(false);
    c.share = 250;
    expect(c.share).toBe(100);
    c.share = 0;
    expect(c.share).toBe(1);
    c.share = 33.4;
    expect(c.share).toBe(33);
    expect(clampShare(Number.NaN)).toBe(100);
  });

  it("rings the doorbell on every change, so a sleeping worker wakes", () => {
    const c = ControlBlock.create();
    const d0 = c.doorbell;
    c.pauseRequested = true;
    expect(c.doorbell).toBe(d0 + 1);
    expect(c.pauseRequested).toBe(true);
    c.share = 50;
    expect(c.doorbell).toBe(d0 + 2);
    // A wait on a doorbell value that is already stale returns at once.
    expect(c.waitDoorbell(d0, 1000)).toBe("not-equal");
    expect(c.waitDoorbell(c.doorbell, 1)).toBe("timed-out");
  });

  it("is seen by another thread: a waiting thread wakes on a ring and sees the new share", async () => {
    const c = ControlBlock.create(100);
    const worker = new Worker(
      `
      const { workerData, parentPort } = require("node:worker_threads");
      const i32 = new Int32Array(workerData.buf, 0, 8);
      const seen = Atomics.load(i32, ${CTL_DOORBELL});
      parentPort.postMessage("waiting");
      const t0 = Date.now();
      const r = Atomics.wait(i32, ${CTL_DOORBELL}, seen, 10000);
      parentPort.postMessage({ r, share: Atomics.load(i32, 0), ms: Date.now() - t0 });
    `,
      { eval: true, workerData: { buf: c.buffer } },
    );
    const msgs: unknown[] = [];
    const done = new Promise<{ r: string; share: number; ms: number }>((resolve) => {
      worker.on("message", (m) => {
        msgs.push(m);
        if (typeof m === "object") resolve(m as { r: string; share: number; ms: number });
      });
    });
    while (msgs.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    c.share = 25;
    const res = await done;
    expect(res.share).toBe(25);
    expect(res.r === "ok" || res.r === "not-equal").toBe(true);
    expect(res.ms).toBeLessThan(5000);
    await worker.terminate();
  });

  it("carries the worker's state and counters", () => {
    const c = ControlBlock.create();
    expect(c.stateName).toBe("booting");
    c.state = VM_STATE_PAUSED;
    expect(c.stateName).toBe("paused");
    c.f64[CNT_EXITS + EXIT_COUNT - 1] = 1e12;
    expect(new ControlBlock(c.buffer).f64[CNT_EXITS + EXIT_COUNT - 1]).toBe(1e12);
    expect(() => new ControlBlock(new SharedArrayBuffer(CONTROL_BYTES - 8))).toThrow(RangeError);
  });
});
