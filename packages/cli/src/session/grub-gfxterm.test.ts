// GRUB's graphical menu: a small El Torito CD (grub-mkrescue from Debian's grub-pc-bin, built
// in a temporary folder) whose grub.cfg sets gfxmode=800x600x32 and terminal_output gfxterm,
// once with GRUB's native Bochs driver (video_bochs: the DISPI ports, the LFB from the VGA's
// PCI BAR0) and once with its VESA driver (vbe: INT 10h AX=4F00h-4F02h). The machine ends in
// a VBE mode of that size, has no text screen, and the picture is GRUB's menu: the frame, the
// highlighted entry's bar in the colour grub.cfg asks for, with text in it; a Down key moves
// the bar one entry down.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "@x86vm/devices";
import { CD_NEEDS, GRUB_I386_PC, missingPackages, missingPackagesMessage } from "../bench/grub-cd.ts";
import { capture } from "../report/screenshot.ts";
import { Session } from "./session.ts";

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-grub-gfxterm-"));
afterAll(() => fs.rmSync(DIR, { recursive: true, force: true }));

function grubCfg(driver: "video_bochs" | "vbe"): string {
  return [
    `insmod ${driver}`,
    "insmod gfxterm",
    "set gfxmode=800x600x32",
    "loadfont unicode",
    "terminal_output gfxterm",
    "set menu_color_normal=white/black",
    "set menu_color_highlight=yellow/blue",
    "set timeout=-1",
    'menuentry "x86vm gfxterm menu" {',
    "  echo first",
    "}",
    'menuentry "second entry" {',
    "  echo second",
    "}",
    "",
  ].join("\n");
}

function buildIso(driver: "video_bochs" | "vbe"): string {
  const missing = missingPackages(CD_NEEDS.filter((n) => n.pkg !== "qemu-system-x86"));
  if (missing.length) throw new Error(missingPackagesMessage(missing));
  const stage = path.join(DIR, `stage-${driver}`);
  fs.mkdirSync(path.join(stage, "boot", "grub"), { recursive: true });
  fs.writeFileSync(path.join(stage, "boot", "grub", "grub.cfg"), grubCfg(driver));
  const iso = path.join(DIR, `${driver}.iso`);
  execFileSync("grub-mkrescue", ["-d", GRUB_I386_PC, "-o", iso, stage], { stdio: ["ignore", "pipe", "pipe"] });
  return iso;
}

type Picture = ReturnType<typeof capture>;

/** GRUB's "blue", "yellow" and "white" (its standard colours 1, 14 and 15) as 0xRRGGBB. */
const BLUE = 0x0000a8;
const YELLOW = 0xfefe54;
const WHITE = 0xfefefe;

function rgb(p: Picture, x: number, y: number): number {
  const i = (y * p.width + x) * 4;
  return (p.rgba[i] << 16) | (p.rgba[i + 1] << 8) | p.rgba[i + 2];
}

/** The rows where more than half the pixels are `colour`. */
function rowsOf(p: Picture, colour: number): number[] {
  const rows: number[] = [];
  for (let y = 0; y < p.height; y++) {
    let n = 0;
    for (let x = 0; x < p.width; x++) if (rgb(p, x, y) === colour) n++;
    if (n > p.width / 2) rows.push(y);
  }
  return rows;
}

function count(p: Picture, colour: number, rows: readonly number[]): number {
  let n = 0;
  for (const y of rows) for (let x = 0; x < p.width; x++) if (rgb(p, x, y) === colour) n++;
  return n;
}

async function run(pc: PcMachine, steps: Parameters<Session["run"]>[0]): Promise<void> {
  await new Session(pc).run(steps, { timeoutS: 120, nowMs: () => performance.now() });
}

describe.each(["video_bochs", "vbe"] as const)("GRUB's gfxterm menu through %s", (driver) => {
  it("sets 800x600x32 and draws the menu; Down moves the highlight", async () => {
    const iso = fs.readFileSync(buildIso(driver));
    const pc = new PcMachine({
      memoryMiB: 64,
      clock: "deterministic",
      cdrom: new MemoryDisk(new Uint8Array(iso.buffer, iso.byteOffset, iso.byteLength), true),
    });
    await run(pc, [{ kind: "sleep", ms: 6000 }]);
    const v = pc.vga.vbe;
    expect({ enabled: v.enabled, xres: v.xres, yres: v.yres, bpp: v.bpp }).toEqual({
      enabled: true,
      xres: 800,
      yres: 600,
      bpp: 32,
    });
    expect(pc.textRows()).toBeNull();

    const menu = capture(pc);
    expect([menu.width, menu.height]).toEqual([800, 600]);
    // The highlight bar: one entry's height of blue rows, with yellow text on them.
    const bar = rowsOf(menu, BLUE);
    expect(bar.length).toBeGreaterThanOrEqual(12);
    expect(bar.length).toBeLessThanOrEqual(24);
    expect(bar[bar.length - 1] - bar[0]).toBe(bar.length - 1);
    expect(count(menu, YELLOW, bar)).toBeGreaterThan(200);
    // The menu's frame: white lines across, above and below the bar.
    const frame = rowsOf(menu, WHITE);
    expect(frame.some((y) => y < bar[0])).toBe(true);
    expect(frame.some((y) => y > bar[bar.length - 1])).toBe(true);
    // Text below the bar (the second entry, the help lines) in white on black.
    const below = Array.from({ length: menu.height - bar[bar.length - 1] - 1 }, (_, i) => bar[bar.length - 1] + 1 + i);
    expect(count(menu, WHITE, below)).toBeGreaterThan(2000);

    await run(pc, [
      { kind: "key", codes: ["ArrowDown"] },
      { kind: "sleep", ms: 1000 },
    ]);
    const moved = rowsOf(capture(pc), BLUE);
    expect(moved.length).toBe(bar.length);
    expect(moved[0] - bar[0]).toBe(bar.length);
  }, 180_000);
});
