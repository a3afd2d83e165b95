// The reference Linux guest's DRM driver for our VGA: /init loads bochs-drm (recipe 4), which
// binds to PCI 1234:1111, programs the Bochs DISPI registers for 1024x768x32 and gives fbcon
// its framebuffer (fb0 "bochs-drmdrmfb"); text written to the console's tty is drawn into the
// LFB and shows in the picture the page would show.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PcMachine } from "@x86vm/devices";
import { defaultGuestsDir, GUEST_RECIPE, guestIsCurrent } from "../commands/images.ts";
import { capture } from "../report/screenshot.ts";
import { Session } from "./session.ts";

const GUEST = path.join(defaultGuestsDir(), "linux-686");

let pc: PcMachine;
let session: Session;

/** A shell command's output: after the line its marker prints (the echoed line, wrapped or not, holds the unexpanded $((...))), before the next prompt. */
async function shell(command: string): Promise<string> {
  const before = session.serial.length;
  await session.run(
    [
      { kind: "type", keys: `echo OUT-$((6*7)); ${command}\n` },
      { kind: "until", text: "# " },
    ],
    { timeoutS: 120, serialInput: true, nowMs: () => performance.now() },
  );
  const out = session.serial.slice(before).replace(/\r/g, "");
  const start = out.indexOf("OUT-42\n");
  expect(start, out).toBeGreaterThanOrEqual(0);
  return out.slice(start + "OUT-42\n".length, out.lastIndexOf("/ # "));
}

/** Pixels of the picture that are not black, in rows [y0, y1). */
function lit(y0: number, y1: number): number {
  const p = capture(pc);
  let n = 0;
  for (let i = y0 * p.width * 4; i < y1 * p.width * 4; i += 4) if (p.rgba[i] | p.rgba[i + 1] | p.rgba[i + 2]) n++;
  return n;
}

beforeAll(async () => {
  expect(guestIsCurrent(GUEST), `${GUEST} must be built by recipe ${GUEST_RECIPE}: run pnpm images`).toBe(true);
  pc = new PcMachine({
    memoryMiB: 128,
    clock: "deterministic",
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
    { timeoutS: 400, serialInput: true, nowMs: () => performance.now() },
  );
}, 450_000);

describe("bochs-drm in the Linux guest", () => {
  it("binds to the VGA and is the console's framebuffer", async () => {
    const log = await shell("dmesg | grep -iE 'drm|fbcon|frame buffer'");
    expect(log).toContain("[drm] Found bochs VGA, ID 0xb0c5.");
    expect(log).toContain("[drm] Framebuffer size 16384 kB @ 0xfd000000, ioports @ 0x1ce.");
    expect(log).toMatch(/\[drm\] Initialized bochs-drm [\d.]+ \d+ for 0000:00:02\.0 on minor 0/);
    expect(log).toContain("fbcon: bochs-drmdrmfb (fb0) is primary device");
    expect(log).toContain("Console: switching to colour frame buffer device 128x48");
    expect((await shell("cat /proc/fb")).trim()).toBe("0 bochs-drmdrmfb");
    expect(
      (await shell("cat /sys/class/drm/card0/device/vendor /sys/class/drm/card0/device/device")).trim().split("\n"),
    ).toEqual(["0x1234", "0x1111"]);
    expect(
      (await shell("cat /sys/class/graphics/fb0/virtual_size /sys/class/graphics/fb0/bits_per_pixel")).trim(),
    ).toBe("1024,768\n32");
    expect(await shell("dmesg")).not.toMatch(/Oops|BUG:|Kernel panic|Call Trace|WARNING:/);
  }, 300_000);

  it("draws the console in a DISPI mode: text sent to tty1 shows in the picture", async () => {
    const v = pc.vga.vbe;
    expect({ enabled: v.enabled, xres: v.xres, yres: v.yres, bpp: v.bpp }).toEqual({
      enabled: true,
      xres: 1024,
      yres: 768,
      bpp: 32,
    });
    expect(pc.textRows()).toBeNull();
    const before = lit(0, 768);
    await shell("printf '\\033[2J\\033[H'X86VM-FRAMEBUFFER-CONSOLE-TEXT > /dev/tty1");
    await session.run([{ kind: "sleep", ms: 200 }], { timeoutS: 60, nowMs: () => performance.now() });
    const p = capture(pc);
    expect([p.width, p.height]).toEqual([1024, 768]);
    // 31 characters of the 8x16 font on the first text row; nothing much elsewhere (cursor).
    const top = lit(0, 16);
    expect(top).toBeGreaterThan(31 * 20);
    expect(lit(16, 768)).toBeLessThan(200);
    expect(top).not.toBe(before);
  }, 300_000);
});
