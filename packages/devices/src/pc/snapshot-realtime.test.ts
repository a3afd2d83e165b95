// Snapshots of a PC on the realtime clock (the browser's, and `vm boot --clock realtime`): the
// machine time moves between any two readings, in fractions of a nanosecond. Saving and
// loading must still record and apply a whole TSC offset, so that a snapshot restores, and a
// snapshot of the restored machine restores again.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryDisk, readSnapshotManifest } from "@x86vm/core";
import { PcMachine } from "./pc.ts";
import { restoreSnapshot, saveSnapshot } from "./snapshot.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../shared/guests/freedos722.img");

/** Host milliseconds that move by an odd fraction at every reading. */
function jitteryHost(start = 1000.123456): () => number {
  let t = start;
  return () => (t += 0.0123456789);
}

describe("realtime snapshots", () => {
  it("record a whole TSC offset, restore, and restore again after another save", async () => {
    const b = fs.readFileSync(FREEDOS);
    const disk = new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true);
    const pc = new PcMachine({ memoryMiB: 32, clock: "realtime", hostMs: jitteryHost(), fda: disk });
    for (let i = 0; i < 200; i++) pc.run(1e6);
    expect(pc.machine.cpu.instret).toBeGreaterThan(0);
    const snap = await saveSnapshot(pc);
    const m = await readSnapshotManifest(snap);
    expect(m.machine.clock.mode).toBe("realtime");
    expect(Number.isInteger(m.machine.clock.nowNs)).toBe(false); // the clock really is fractional here

    const again = await restoreSnapshot(snap, { images: () => disk, hostMs: jitteryHost(5000.5) });
    const tsc = again.machine.cpu.readTsc();
    expect(Math.abs(tsc - m.machine.clock.nowNs)).toBeLessThan(1e6); // the TSC goes on from the saved time
    for (let i = 0; i < 50; i++) again.run(1e6);
    const third = await restoreSnapshot(await saveSnapshot(again), {
      images: () => disk,
      hostMs: jitteryHost(9000.25),
    });
    for (let i = 0; i < 50; i++) third.run(1e6);
    expect(third.machine.cpu.instret).toBeGreaterThan(again.machine.cpu.instret - 1);
    // And onto the deterministic clock.
    await expect(restoreSnapshot(snap, { images: () => disk, clock: "deterministic" })).resolves.toBeInstanceOf(
      PcMachine,
    );
  });
});
