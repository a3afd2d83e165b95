// FreeDOS with 2 GiB and 3 GiB of RAM: HIMEM finds the extended memory (INT 15h 88h/E801 and
// the CMOS sizes count past 2 GiB without going negative) and the kernel puts its buffers in
// the HMA. Each machine needs its RAM from the host, so there are just these two.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "@x86vm/devices";
import { Session } from "./session.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../shared/guests/freedos722.img");

describe("FreeDOS HIMEM with large memory", () => {
  for (const mib of [2048, 3072]) {
    it(`loads with ${mib} MiB of RAM`, async () => {
      const b = fs.readFileSync(FREEDOS);
      const fda = new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true);
      const pc = new PcMachine({ memoryMiB: mib, clock: "deterministic", fda });
      await new Session(pc).run([{ kind: "until", text: "A:\\>" }], { timeoutS: 60, nowMs: () => performance.now() });
      const screen = (pc.textRows() ?? []).join("\n");
      expect(screen).toMatch(/FreeDOS HIMEM/);
      expect(screen).not.toMatch(/too small or not available/);
      expect(screen).toMatch(/Diskbuffers = \d+ Bytes in HMA/);
    });
  }
});
