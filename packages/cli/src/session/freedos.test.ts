// Boot tests: the FreeDOS floppy from ../shared/guests, headless, deterministic clock. The
// guest's own output is read back from the VGA text screen.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, beforeAll } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "@x86vm/devices";
import { Session, type Step } from "./session.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../shared/guests/freedos722.img");

function disk(file: string): MemoryDisk {
  const b = fs.readFileSync(file);
  return new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true);
}
function sha256(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** A 1.44 MB FAT12 floppy holding MEM.COM, built with nasm and mtools. */
function buildToolsFloppy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-tools-"));
  const com = path.join(dir, "MEM.COM"),
    img = path.join(dir, "tools.img");
  execFileSync("nasm", ["-f", "bin", "-o", com, path.join(__dirname, "testdata", "mem.asm")]);
  execFileSync("mformat", ["-C", "-f", "1440", "-i", img, "::"]);
  execFileSync("mcopy", ["-i", img, com, "::MEM.COM"]);
  return img;
}

async function boot(steps: Step[], fdb?: string): Promise<PcMachine> {
  const pc = new PcMachine({ memoryMiB: 32, clock: "deterministic", fda: disk(FREEDOS), fdb: fdb ? disk(fdb) : null });
  await new Session(pc).run(steps, { timeoutS: 90, nowMs: () => performance.now() });
  return pc;
}

function screen(pc: PcMachine): string {
  return pc.textRows()!.join("\n");
}

describe("FreeDOS from its floppy", () => {
  let tools = "";
  beforeAll(() => {
    tools = buildToolsFloppy();
  });

  it("boots to A:\\> and runs ver, dir, mem, echo and type; the image file is unchanged", async () => {
    const before = sha256(FREEDOS);
    const pc = await boot(
      [
        { kind: "until", text: "A:\\>" },
        { kind: "type", keys: "ver /r\r" },
        { kind: "until", text: "A:\\>" },
      ],
      tools,
    );
    expect(screen(pc)).toMatch(/FreeDOS kernel version \d+\.\d+\.\d+/);
    const s = new Session(pc);
    const run = (steps: Step[]) => s.run(steps, { timeoutS: 90, nowMs: () => performance.now() });

    await run([
      { kind: "type", keys: "dir\r" },
      { kind: "until", text: "bytes free" },
    ]);
    expect(screen(pc)).toMatch(/COMMAND\s+COM\s+66,090/);
    expect(screen(pc)).toMatch(/\d+ file\(s\)/);

    await run([
      { kind: "type", keys: "B:MEM\r" },
      { kind: "until", text: "Largest free block" },
      { kind: "until", text: "A:\\>" },
    ]);
    expect(screen(pc)).toMatch(/Conventional memory: 639 KiB/);
    const free = Number(/Largest free block: (\d+) KiB/.exec(screen(pc))?.[1]);
    expect(free).toBeGreaterThan(400);
    expect(free).toBeLessThan(639);

    await run([
      { kind: "type", keys: "echo hello> T.TXT\r" },
      { kind: "until", text: "A:\\>" },
      { kind: "type", keys: "type T.TXT\r" },
      { kind: "until", text: "hello" },
      { kind: "until", text: "A:\\>" },
    ]);
    const rows = pc.textRows()!;
    const typed = rows.findIndex((r) => r.includes("A:\\>type T.TXT"));
    expect(typed).toBeGreaterThanOrEqual(0);
    expect(rows[typed + 1]).toBe("hello");
    // The guest wrote to its floppy: the overlay holds the sectors, the file is untouched.
    expect(pc.floppies[0]!.overlay.size).toBeGreaterThan(0);
    expect(sha256(FREEDOS)).toBe(before);
  });

  it("boots the same way twice in deterministic mode: same instruction count, same screen", async () => {
    const steps: Step[] = [
      { kind: "until", text: "A:\\>" },
      { kind: "type", keys: "dir\r" },
      { kind: "until", text: "bytes free" },
    ];
    const a = await boot(steps);
    const b = await boot(steps);
    expect(a.machine.cpu.instret).toBe(b.machine.cpu.instret);
    expect(a.machine.cpu.instret).toBeGreaterThan(1_000_000);
    expect(screen(a)).toBe(screen(b));
  });
});
