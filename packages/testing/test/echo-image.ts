// The fixture's test image: test-fixtures/echo-boot.asm assembled with nasm into a 1.44 MB
// floppy (the boot sector, then zeros), in a folder of the caller's.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const FIXTURES = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "../test-fixtures");
const FLOPPY_144 = 1474560;

/** What the echo boot sector prints first, on the screen and COM1. */
export const ECHO_READY = "x86vm testing ready";

/** Assembles the echo boot sector into `dir`/echo.img; returns its path. */
export function echoFloppy(dir: string): string {
  const bin = path.join(dir, "echo-boot.bin");
  execFileSync("nasm", ["-f", "bin", "-o", bin, path.join(FIXTURES, "echo-boot.asm")], { stdio: "pipe" });
  const sector = fs.readFileSync(bin);
  if (sector.length !== 512) throw new Error(`echo-boot.asm assembled to ${sector.length} bytes, not 512`);
  const img = Buffer.alloc(FLOPPY_144);
  sector.copy(img);
  const out = path.join(dir, "echo.img");
  fs.writeFileSync(out, img);
  return out;
}
