// FreeDOS's INVADERS.COM, which the floppy's own banner suggests: its title screen, then a key
// starts the game (the first key once stopped it with "Invalid Opcode", when the BIOS's INT 09h
// did not point DS at the BIOS data area before calling INT 15h/4Fh). The game waits on the
// timer, so it runs on the realtime clock; what is checked is the picture's colours.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "@x86vm/devices";
import { capture } from "../report/screenshot.ts";
import { Session } from "./session.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../shared/guests/freedos722.img");

type Picture = ReturnType<typeof capture>;

/** The game's colours (0xRRGGBB): the logo, the table's text, its last lines, the shields. */
const YELLOW = 0xffff00;
const WHITE = 0xffffff;
const MAGENTA = 0xff55ff;
const SHIELD = 0xff5555;

/** How many pixels of each colour (0xRRGGBB) the picture has. */
function histogram(p: Picture): Map<number, number> {
  const h = new Map<number, number>();
  for (let i = 0; i < p.rgba.length; i += 4) {
    const c = (p.rgba[i] << 16) | (p.rgba[i + 1] << 8) | p.rgba[i + 2];
    h.set(c, (h.get(c) ?? 0) + 1);
  }
  return h;
}

function describeColours(h: Map<number, number>): string {
  return [...h].map(([c, n]) => `${c.toString(16)}: ${n}`).join(", ");
}

/** Runs the machine in steps of 250 ms of machine time until `done` holds (90 s of wall time at most). */
async function runUntil(pc: PcMachine, done: () => boolean, what: string): Promise<void> {
  const session = new Session(pc),
    t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > 90_000)
      throw new Error(
        `no ${what} after 90 s; the screen: ${pc.textRows()?.join("\n") ?? describeColours(histogram(capture(pc)))}`,
      );
    await session.run([{ kind: "sleep", ms: 250 }], { timeoutS: 90, nowMs: () => performance.now() });
  }
}

describe("INVADERS.COM on FreeDOS", () => {
  it("shows its title screen, and a key starts the game", async () => {
    const b = fs.readFileSync(FREEDOS);
    const pc = new PcMachine({
      memoryMiB: 32,
      clock: "realtime",
      hostMs: () => performance.now(),
      fda: new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true),
    });
    await new Session(pc).run(
      [
        { kind: "until", text: "A:\\>" },
        { kind: "type", keys: "cd games\rinvaders\r" },
      ],
      { timeoutS: 90, nowMs: () => performance.now() },
    );
    const colours = () => histogram(capture(pc));
    // The title screen: 320x200 (doubled to 640x400), the yellow logo, and the table of points
    // in cyan and white; no shields yet.
    await runUntil(pc, () => (colours().get(YELLOW) ?? 0) > 1000, "title screen");
    // "PRESS ANY KEY TO START GAME" in magenta comes after the table of points.
    await runUntil(pc, () => (colours().get(MAGENTA) ?? 0) > 600, "PRESS ANY KEY");
    const title = colours();
    expect(title.get(SHIELD) ?? 0).toBeLessThan(200);
    await new Session(pc).run([{ kind: "key", codes: ["Enter"] }], { timeoutS: 30, nowMs: () => performance.now() });
    // The game: four red shields, the score line and the invaders; no "Invalid Opcode" stopped it.
    await runUntil(pc, () => (colours().get(SHIELD) ?? 0) > 1000, "shields");
    const game = colours();
    expect(game.get(WHITE) ?? 0).toBeLessThan(500);
    expect(game.get(YELLOW) ?? 0).toBeGreaterThan(1000);
    expect(pc.textRows()).toBeNull();
  }, 240_000);
});
