// The reference Linux guest on the realtime clock with a host that stalls: a simulated host
// (the CPU takes 30 host ns an instruction) descheduled for 20-300 ms every 5-100 ms of host
// time, at pseudo-random points, so the boot is the same every run. The kernel must still
// calibrate its TSC against the PIT at the nominal 1000 MHz (docs/time.md, "Host stalls and
// Linux's TSC calibration"); before, the quick calibration always failed and the slow one
// failed under load ("tsc: Unable to calibrate against PIT").
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PcMachine } from "@x86vm/devices";
import { stallingHost } from "../../../devices/src/testing/stalling-host.ts";
import { linuxGuestDir } from "../bench/boot.ts";

describe("the Linux guest on the realtime clock, its host stalling", () => {
  it("calibrates the TSC against the PIT at 1000 MHz", () => {
    const dir = linuxGuestDir();
    const host = stallingHost({ ns: 30, stallMs: [20, 300], everyMs: [5, 100], seed: 5 });
    const pc = new PcMachine({
      memoryMiB: 128,
      clock: "realtime",
      hostMs: () => host.ms(),
      startTimeMs: Date.UTC(2026, 0, 1),
      linux: {
        kernel: new Uint8Array(fs.readFileSync(path.join(dir, "bzImage"))),
        initrd: new Uint8Array(fs.readFileSync(path.join(dir, "initrd.gz"))),
        cmdline: "console=ttyS0",
      },
    });
    host.instructions = () => pc.machine.cpu.retired();
    let serial = "";
    pc.uarts[0].onTransmit = (b) => {
      serial += String.fromCharCode(b);
    };
    const clock = pc.machine.clock;
    // The TSC is calibrated before the delay loop's line.
    while (!serial.includes("Calibrating delay loop") && pc.machine.cpu.retired() < 4e9) {
      const r = pc.run(10e6 * Math.max(1, clock.catchUp));
      if (r.kind === "idle") host.extraMs += Math.max(0, (r.untilNs - clock.hostNow()) / 1e6);
      else if (r.kind !== "ran") throw new Error(`the guest stopped: ${r.kind}`);
    }
    const tsc = serial.split("\n").filter((l) => /tsc/i.test(l));
    expect(host.stalls).toBeGreaterThan(100);
    expect(tsc.join("\n")).toContain("tsc: Fast TSC calibration using PIT");
    const mhz = /tsc: Detected (\d+\.\d+) MHz processor/.exec(serial);
    expect(mhz, tsc.join("\n")).not.toBeNull();
    expect(Math.abs(Number(mhz![1]) - 1000)).toBeLessThan(1);
    expect(serial).not.toContain("Unable to calibrate");
    expect(serial).not.toContain("Marking TSC unstable");
  }, 600_000);
});
