// The reference Linux guest on the realtime clock (one boot): its kernel calibrates the TSC
// against the PIT and keeps it as its clocksource, and /proc/cpuinfo shows the nominal 1 GHz
// (docs/time.md). On the old clock (host time read at every RDTSC, timer ticks merged) it
// printed "tsc: Unable to calibrate against PIT ... Marking TSC unstable" and cpu MHz 0.000.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PcMachine } from "@x86vm/devices";
import { linuxGuestDir } from "../bench/boot.ts";
import { Session } from "./session.ts";

const GUEST = linuxGuestDir();
let session: Session;

async function shell(command: string): Promise<string> {
  const before = session.serial.length;
  await session.run(
    [
      { kind: "type", keys: `${command}\n` },
      { kind: "until", text: "# " },
    ],
    {
      timeoutS: 300,
      serialInput: true,
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
  );
  const out = session.serial.slice(before).replace(/\r/g, "");
  return out.slice(out.indexOf("\n") + 1, out.lastIndexOf("\n"));
}

beforeAll(async () => {
  const pc = new PcMachine({
    memoryMiB: 128,
    clock: "realtime",
    hostMs: () => performance.now(),
    startTimeMs: Date.now(),
    linux: {
      kernel: new Uint8Array(fs.readFileSync(path.join(GUEST, "bzImage"))),
      initrd: new Uint8Array(fs.readFileSync(path.join(GUEST, "initrd.gz"))),
      cmdline: "console=ttyS0",
    },
  });
  session = new Session(pc);
  await session.run(
    [
      { kind: "until", text: "BOOT-OK" },
      { kind: "until", text: "# " },
    ],
    {
      timeoutS: 600,
      serialInput: true,
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
  );
}, 700_000);

describe("the Linux guest on the realtime clock", () => {
  it("calibrates the TSC against the PIT and keeps it", async () => {
    const log = await shell("dmesg | grep -i -e tsc -e clocksource");
    expect(log).toMatch(/tsc: Detected \d+\.\d+ MHz processor/);
    expect(log).not.toContain("Unable to calibrate");
    expect(log).not.toContain("Marking TSC unstable");
    expect(log).not.toMatch(/Marking clocksource 'tsc/);
    expect(await shell("cat /sys/devices/system/clocksource/clocksource0/current_clocksource")).toContain("tsc");
  }, 300_000);

  it("/proc/cpuinfo shows the nominal 1000 MHz, within 1%", async () => {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(await shell("grep MHz /proc/cpuinfo"));
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - 1000)).toBeLessThan(10);
  }, 300_000);
});
