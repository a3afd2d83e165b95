// Boot tests through SeaBIOS (docs/firmware.md), with the machine `vm boot --bios --vga-bios`
// builds: FreeDOS from its floppy to A:\>, and the Linux guest from the GRUB CD to its shell on
// COM1. SeaBIOS is Debian's seabios package (scripts/prereqs.mjs installs it for `pnpm test`;
// `pnpm images` copies it to the guest folder). What the firmware and the guests printed is read
// back from the text screen and COM1. Deterministic clock: SeaBIOS's boot-menu wait and the
// guests' idle time pass without host time.
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureGrubIso, grubIsoPath, shellReady } from "../bench/grub-cd.ts";
import { linuxGuestDir } from "../bench/boot.ts";
import { Session, type Step } from "../session/session.ts";
import { buildPc, parseBootArgs } from "./boot.ts";
import { SEABIOS_IMAGES, findSeabios } from "./images.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../shared/guests/freedos722.img");

let firmwareArgs: string[] = [];
beforeAll(() => {
  const dir = findSeabios();
  if (!dir) throw new Error("SeaBIOS is not installed: run  pnpm images  (or apt-get install seabios)");
  firmwareArgs = ["--bios", path.join(dir, SEABIOS_IMAGES[0]), "--vga-bios", path.join(dir, SEABIOS_IMAGES[1])];
});

async function run(argv: string[], steps: Step[], opts: { serialInput?: boolean; timeoutS: number }) {
  const pc = buildPc(parseBootArgs([...argv, ...firmwareArgs]));
  expect(pc.firmware).not.toBeNull();
  const session = new Session(pc);
  await session.run(steps, { ...opts, nowMs: () => performance.now() });
  return { pc, session, screen: pc.textRows()?.join("\n") ?? null };
}

describe("SeaBIOS", () => {
  it("boots FreeDOS from its floppy to A:\\>, and FreeDOS runs on its services", async () => {
    // In this order: SeaBIOS's banner, its boot line, FreeDOS's kernel, the prompt.
    const { screen } = await run(
      ["--fda", FREEDOS, "--mem", "32"],
      [
        { kind: "wait", pattern: { regex: /SeaBIOS \(version 1\.\d+/ } },
        { kind: "until", text: "Booting from Floppy..." },
        { kind: "until", text: "FreeDOS kernel - SVN" },
        { kind: "until", text: "A:\\>" },
        { kind: "type", keys: "ver /r\r" },
        { kind: "until", text: "A:\\>" },
      ],
      { timeoutS: 120 },
    );
    expect(screen).not.toBeNull();
    expect(screen).toContain("FreeDOS HIMEM 2.07"); // HIMEM loaded (it asks SeaBIOS for extended memory)
    expect(screen).toContain("DOS version 7.10");
    expect(screen).toMatch(/FreeDOS kernel version \d+\.\d+\.\d+/); // ver /r typed through SeaBIOS's keyboard
  }, 180_000);

  it("boots the Linux guest from the GRUB CD to its shell on COM1", async () => {
    const dir = linuxGuestDir();
    const kernel = path.join(dir, "bzImage"),
      initrd = path.join(dir, "initrd.gz");
    for (const f of [kernel, initrd]) if (!fs.existsSync(f)) throw new Error(`${f} not found: run  pnpm images`);
    const iso = ensureGrubIso(kernel, initrd, grubIsoPath(dir));
    // The screen, in this order: SeaBIOS, its CD boot, GRUB (the guest's DRM driver then takes
    // the screen into graphics); COM1: the kernel and the shell.
    const { session } = await run(
      ["--cdrom", iso, "--mem", "128"],
      [
        { kind: "wait", pattern: { regex: /SeaBIOS \(version 1\.\d+/ }, source: "screen" },
        { kind: "wait", pattern: { text: "Booting from DVD/CD..." }, source: "screen" },
        { kind: "wait", pattern: { text: "Welcome to GRUB!" }, source: "screen" },
        { kind: "until", text: "BOOT-OK" },
        { kind: "until", text: "# " },
        { kind: "type", keys: "cat /proc/cmdline; echo SUM-$((6*7))\r" },
        { kind: "until", text: "SUM-42" },
      ],
      { serialInput: true, timeoutS: 500 },
    );
    const log = session.serial;
    expect(shellReady(log)).toBe(true);
    expect(log).toContain("Booting `Linux (x86vm reference guest)'");
    expect(log).toMatch(/Linux version 6\.\d+\.\d+-\d+-686/);
    // SeaBIOS's memory map (E820) and its SMBIOS table, as the kernel read them.
    expect(log).toContain("BIOS-e820: [mem 0x0000000000100000-0x0000000007ffffff] usable");
    expect(log).toContain("BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved");
    expect(log).toContain("SMBIOS 2.4 present.");
    expect(log).toMatch(/console=ttyS0\s*\r?\n/); // GRUB's command line reached the kernel
    expect(log).toContain("SUM-42");
  }, 600_000);
});
