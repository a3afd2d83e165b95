// The reference Linux guest (../shared/guests/build-linux-guest.sh) boots headless in
// deterministic mode to its shell on COM1; then the shell runs the checks the issue names, and
// the differential test programs (difftest/programs) run inside the guest: their output must
// be the host CPU's, as in the user-mode runner. The same boot serves the DRM driver's checks:
// /init loads bochs-drm (recipe 4), which binds to PCI 1234:1111, programs the Bochs DISPI
// registers for 1024x768x32 and gives fbcon its framebuffer (fb0 "bochs-drmdrmfb"); text
// written to the console's tty is drawn into the LFB and shows in the picture the page would
// show.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { PcMachine } from "@x86vm/devices";
import { defaultGuestsDir, GUEST_RECIPE, guestIsCurrent } from "../commands/images.ts";
import { capture } from "../report/screenshot.ts";
import { Session, type Step } from "./session.ts";
import { buildAll } from "../difftest/build.ts";
import { cpioNewc, cpioRead, type CpioEntry } from "../difftest/initramfs.ts";

const GUEST = path.join(defaultGuestsDir(), "linux-686");
const EXACT = [
  "int_arith",
  "muldiv",
  "shift",
  "bitops",
  "bcd",
  "string",
  "cond",
  "atomic",
  "misc",
  "x87_arith",
  "x87_compare",
  "x87_convert",
  "x87_ext",
  "mmx",
  "fxsr",
];
/** The transcendentals differ from the chip in the last bit of some results (see difftest.test.ts): bounded. */
const EXTENDED: Record<string, number> = { x87_transcendental: 1_100 };

let pc: PcMachine;
let session: Session;
let busybox: Uint8Array;

async function shell(command: string, timeoutS = 300): Promise<string> {
  const before = session.serial.length;
  await session.run(
    [
      { kind: "type", keys: `${command}\n` },
      { kind: "until", text: "# " },
    ],
    {
      timeoutS,
      serialInput: true,
      nowMs: () => performance.now(),
    },
  );
  // The command's output: after the echoed command line, before the next prompt.
  const out = session.serial.slice(before);
  const start = out.indexOf("\n");
  const end = out.lastIndexOf("/ # ");
  return out.slice(start + 1, end >= 0 ? end : undefined).replace(/\r/g, "");
}

/** A shell command's output: after the line its marker prints (the echoed line, wrapped or not, holds the unexpanded $((...))), before the next prompt. */
async function markedShell(command: string): Promise<string> {
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
  const kernel = new Uint8Array(fs.readFileSync(path.join(GUEST, "bzImage")));
  const initrd = new Uint8Array(fs.readFileSync(path.join(GUEST, "initrd.gz")));
  busybox = cpioRead(new Uint8Array(zlib.gunzipSync(initrd)), "bin/busybox")!;
  // The difftest programs and their native output, appended as a second archive.
  const bins = buildAll();
  const files: CpioEntry[] = [{ path: "difftest", data: null }];
  for (const name of [...EXACT, ...Object.keys(EXTENDED)]) {
    const bin = bins.get(name)!;
    files.push({ path: `difftest/${name}`, data: new Uint8Array(fs.readFileSync(bin)) });
    files.push({
      path: `difftest/${name}.out`,
      data: new Uint8Array(execFileSync(bin, { maxBuffer: 1 << 26 })),
      mode: 0o100644,
    });
  }
  const extra = cpioNewc(files);
  const combined = new Uint8Array(initrd.length + 3 + extra.length);
  combined.set(initrd);
  combined.set(extra, (initrd.length + 3) & ~3); // archives start 4-byte aligned
  pc = new PcMachine({
    memoryMiB: 192,
    clock: "deterministic",
    linux: { kernel, initrd: combined, cmdline: "console=ttyS0" },
  });
  session = new Session(pc);
  const steps: Step[] = [
    { kind: "until", text: "BOOT-OK" },
    { kind: "until", text: "# " },
  ];
  await session.run(steps, { timeoutS: 600, serialInput: true, nowMs: () => performance.now() });
}, 700_000);

describe("the reference Linux guest", () => {
  it("boots to its shell on COM1", () => {
    expect(session.serial).toMatch(/BOOT-OK [\d.]+/);
    expect(session.serial).toContain("Linux version 6.1");
  });

  it("runs uname -a, /proc/cpuinfo shows our CPUID, and the shell computes", async () => {
    expect(await shell("uname -a")).toMatch(/^Linux \(none\) 6\.1\.\S+ #1 SMP .* i686 GNU\/Linux/);
    const cpuinfo = await shell("cat /proc/cpuinfo");
    expect(cpuinfo).toMatch(/vendor_id\s*: GenuineIntel/);
    expect(cpuinfo).toMatch(/cpu family\s*: 6/);
    expect(cpuinfo).toMatch(/model name\s*: x86vm P6-class TypeScript CPU/);
    expect(cpuinfo).toMatch(/flags\s*: fpu pse tsc msr cx8 apic pge cmov clflush mmx fxsr sse sse2( |\n)/);
    expect((await shell("echo $((6*7))")).trim()).toBe("42");
  }, 300_000);

  it("md5sum /bin/busybox equals the host's md5 of the same binary", async () => {
    const host = crypto.createHash("md5").update(busybox).digest("hex");
    expect((await shell("md5sum /bin/busybox")).trim()).toBe(`${host}  /bin/busybox`);
  }, 300_000);

  it("dmesg has no oops, BUG, panic or call trace", async () => {
    const log = await shell("dmesg");
    expect(log).toContain("Run /init as init process");
    expect(log).not.toMatch(/Oops|BUG:|Kernel panic|Call Trace|WARNING:/);
  }, 300_000);

  for (const name of EXACT) {
    it(`difftest ${name}: the guest's output equals the host CPU's`, async () => {
      const out = await shell(
        `/difftest/${name} > /tmp/o; cmp /tmp/o /difftest/${name}.out && echo SAME; rm /tmp/o`,
        600,
      );
      expect(out).toContain("SAME");
    }, 600_000);
  }
  for (const [name, limit] of Object.entries(EXTENDED)) {
    it(`difftest ${name}: differing lines within the bound set for the transcendentals`, async () => {
      const out = await shell(
        `/difftest/${name} > /tmp/o; echo LINES $(wc -l < /tmp/o) DIFFER $(diff /tmp/o /difftest/${name}.out | grep -c '^-[^-]'); rm /tmp/o`,
        600,
      );
      const m = /LINES (\d+) DIFFER (\d+)/.exec(out);
      expect(m, out).not.toBeNull();
      console.log(`${name} in the Linux guest: ${m![1]} lines, ${m![2]} differ (limit ${limit})`);
      expect(Number(m![1])).toBeGreaterThan(10_000);
      expect(Number(m![2])).toBeLessThanOrEqual(limit);
    }, 600_000);
  }
});

describe("bochs-drm in the Linux guest", () => {
  it("binds to the VGA and is the console's framebuffer", async () => {
    const log = await markedShell("dmesg | grep -iE 'drm|fbcon|frame buffer'");
    expect(log).toContain("[drm] Found bochs VGA, ID 0xb0c5.");
    expect(log).toContain("[drm] Framebuffer size 16384 kB @ 0xfd000000, ioports @ 0x1ce.");
    expect(log).toMatch(/\[drm\] Initialized bochs-drm [\d.]+ \d+ for 0000:00:02\.0 on minor 0/);
    expect(log).toContain("fbcon: bochs-drmdrmfb (fb0) is primary device");
    expect(log).toContain("Console: switching to colour frame buffer device 128x48");
    expect((await markedShell("cat /proc/fb")).trim()).toBe("0 bochs-drmdrmfb");
    expect(
      (await markedShell("cat /sys/class/drm/card0/device/vendor /sys/class/drm/card0/device/device"))
        .trim()
        .split("\n"),
    ).toEqual(["0x1234", "0x1111"]);
    expect(
      (await markedShell("cat /sys/class/graphics/fb0/virtual_size /sys/class/graphics/fb0/bits_per_pixel")).trim(),
    ).toBe("1024,768\n32");
    expect(await markedShell("dmesg")).not.toMatch(/Oops|BUG:|Kernel panic|Call Trace|WARNING:/);
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
    await markedShell("printf '\\033[2J\\033[H'X86VM-FRAMEBUFFER-CONSOLE-TEXT > /dev/tty1");
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
