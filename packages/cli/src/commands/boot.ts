// `vm boot`: builds a PC from image files and runs a script of --until/--type steps.
//
//   vm boot [--fda IMG] [--fdb IMG] [--hda IMG] [--hdb IMG] [--mem MiB]
//           [--clock deterministic|realtime] [--until TEXT] [--type KEYS] ... [--timeout S]
//           [--screen] [--stats]
//
// Images are read from files and wrapped in copy-on-write overlays: the files are never
// written. Exit status: 0 when the script completes, 1 on timeout or guest failure (with a
// one-line message), 2 on bad arguments or unusable images.

import fs from "node:fs";
import { MemoryDisk, floppyGeometry, hardDiskGeometry, EXIT_NAMES, type ClockMode } from "@x86vm/core";
import { PcMachine } from "@x86vm/devices";
import { Session, SessionError, type Step } from "../session/session.ts";
import { decodeKeys } from "../session/typist.ts";

export class UsageError extends Error {}

export interface BootArgs {
  fda?: string; fdb?: string; hda?: string; hdb?: string;
  memMiB: number;
  clock: ClockMode;
  steps: Step[];
  timeoutS: number;
  screen: boolean;
  stats: boolean;
}

const VALUE_FLAGS = new Set(["--fda", "--fdb", "--hda", "--hdb", "--cdrom", "--mem", "--clock", "--until", "--type", "--timeout", "--kernel", "--initrd", "--append"]);

export function parseBootArgs(argv: string[]): BootArgs {
  const a: BootArgs = { memMiB: 32, clock: "deterministic", steps: [], timeoutS: 60, screen: false, stats: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--screen") { a.screen = true; continue; }
    if (flag === "--stats") { a.stats = true; continue; }
    if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case "--fda": a.fda = v; break;
      case "--fdb": a.fdb = v; break;
      case "--hda": a.hda = v; break;
      case "--hdb": a.hdb = v; break;
      case "--mem": {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 3072) throw new UsageError(`--mem must be a whole number of MiB from 1 to 3072, got ${JSON.stringify(v)}`);
        a.memMiB = n;
        break;
      }
      case "--clock":
        if (v !== "deterministic" && v !== "realtime") throw new UsageError(`--clock must be deterministic or realtime, got ${JSON.stringify(v)}`);
        a.clock = v;
        break;
      case "--until": a.steps.push({ kind: "until", text: v }); break;
      case "--type": a.steps.push({ kind: "type", keys: decodeKeys(v) }); break;
      case "--timeout": {
        const n = Number(v);
        if (!(n > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(v)}`);
        a.timeoutS = n;
        break;
      }
      case "--cdrom": case "--kernel": case "--initrd": case "--append":
        throw new UsageError(`${flag} is not supported yet: it arrives with the IDE controller and the Linux loader`);
    }
  }
  if (!a.fda && !a.fdb && !a.hda && !a.hdb) throw new UsageError("nothing to boot: give --fda or --hda");
  return a;
}

/** Reads an image file for a drive, refusing missing, unreadable or wrongly sized ones. */
export function readImage(path: string, kind: "floppy" | "hdd"): MemoryDisk {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read image ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const image = new MemoryDisk(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), true);
  try {
    if (kind === "floppy") floppyGeometry(image.size); else hardDiskGeometry(image.size);
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  return image;
}

export function buildPc(args: BootArgs): PcMachine {
  const realtime = args.clock === "realtime";
  return new PcMachine({
    memoryMiB: args.memMiB,
    clock: args.clock,
    hostMs: realtime ? () => performance.now() : undefined,
    startTimeMs: realtime ? Date.now() : undefined,
    fda: args.fda ? readImage(args.fda, "floppy") : null,
    fdb: args.fdb ? readImage(args.fdb, "floppy") : null,
    hda: args.hda ? readImage(args.hda, "hdd") : null,
    hdb: args.hdb ? readImage(args.hdb, "hdd") : null,
  });
}

export async function bootCommand(argv: string[]): Promise<number> {
  let args: BootArgs;
  let pc: PcMachine;
  try {
    args = parseBootArgs(argv);
    pc = buildPc(args);
  } catch (e) {
    if (e instanceof UsageError) { console.error(`vm boot: ${e.message}`); return 2; }
    throw e;
  }
  const session = new Session(pc);
  const t0 = performance.now();
  let code = 0;
  try {
    await session.run(args.steps, {
      timeoutS: args.timeoutS,
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
  } catch (e) {
    if (!(e instanceof SessionError)) throw e;
    console.error(`vm boot: ${e.message}`);
    code = 1;
  }
  if (args.screen) {
    const rows = pc.textRows();
    console.log(rows ? rows.join("\n").replace(/\n+$/, "") : "(graphics mode)");
  }
  if (args.stats) {
    const m = pc.machine;
    const ms = performance.now() - t0;
    const exits = Object.fromEntries(EXIT_NAMES.map((n, i) => [n, m.io.counts[i]]).filter(([, v]) => v));
    console.log(JSON.stringify({ instructions: m.cpu.instret, wall_ms: Math.round(ms), machine_ms: Math.round(m.clock.now() / 1e6), exits, unsupported_bios: Object.fromEntries(pc.bios.unsupported) }));
  }
  return code;
}
