// `vm boot`: builds a PC from image files and runs a script of --until/--type steps.
//
//   vm boot [--fda IMG] [--fdb IMG] [--hda IMG] [--hdb IMG] [--cdrom ISO] [--mem MiB]
//           [--kernel BZIMAGE [--initrd FILE] [--append CMDLINE]] [--serial]
//           [--clock deterministic|realtime] [--until TEXT] [--type KEYS] ... [--timeout S]
//           [--screen] [--stats] [--trace-faults] [--no-jit] [--save-snapshot FILE]
//
// --until waits for TEXT on the text screen or in COM1's output, after the previous match.
// --serial copies COM1 to stdout and stdin to COM1, and sends --type keys to COM1.
//
// Images are read from files and wrapped in copy-on-write overlays: the files are never
// written. Exit status: 0 when the script completes, 1 on timeout or guest failure (with a
// one-line message), 2 on bad arguments or unusable images.

import fs from "node:fs";
import {
  MemoryDisk,
  floppyGeometry,
  hardDiskGeometry,
  parseLinuxHeader,
  EXIT_NAMES,
  type ClockMode,
  type LinuxBoot,
} from "@x86vm/core";
import { PcMachine } from "@x86vm/devices";
import { Session, SessionError, type Step } from "../session/session.ts";
import { decodeKeys } from "../session/typist.ts";
import { saveSnapshotFile } from "./resume.ts";

export class UsageError extends Error {}

/** ISO 9660 logical block size. */
const CD_SECTOR_SIZE = 2048;

export interface BootArgs {
  fda?: string;
  fdb?: string;
  hda?: string;
  hdb?: string;
  /** A CD image (ISO 9660, 2048-byte sectors) in the ATAPI drive; the BIOS boots it (El Torito). */
  cdrom?: string;
  kernel?: string;
  initrd?: string;
  append: string;
  memMiB: number;
  clock: ClockMode;
  steps: Step[];
  timeoutS: number;
  screen: boolean;
  stats: boolean;
  /** Print every guest exception to stderr (diagnostics). */
  traceFaults: boolean;
  /** Interpret every instruction (no compiled blocks): for comparisons and diagnostics. */
  noJit?: boolean;
  /** COM1 to stdout and stdin to COM1; --type goes to COM1. */
  serial: boolean;
  /** Sample CS:EIP at every run slice and print the most frequent (diagnostics). */
  profile: boolean;
  /** Save a snapshot here when the script completes (`vm resume` continues from it). */
  saveSnapshot?: string;
}

const VALUE_FLAGS = new Set([
  "--fda",
  "--fdb",
  "--hda",
  "--hdb",
  "--cdrom",
  "--mem",
  "--clock",
  "--until",
  "--type",
  "--timeout",
  "--kernel",
  "--initrd",
  "--append",
  "--save-snapshot",
]);

export function parseBootArgs(argv: string[]): BootArgs {
  const a: BootArgs = {
    memMiB: 32,
    clock: "deterministic",
    steps: [],
    timeoutS: 60,
    screen: false,
    stats: false,
    append: "",
    traceFaults: false,
    serial: false,
    profile: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--screen") {
      a.screen = true;
      continue;
    }
    if (flag === "--stats") {
      a.stats = true;
      continue;
    }
    if (flag === "--trace-faults") {
      a.traceFaults = true;
      continue;
    }
    if (flag === "--no-jit") {
      a.noJit = true;
      continue;
    }
    if (flag === "--serial") {
      a.serial = true;
      continue;
    }
    if (flag === "--profile-eip") {
      a.profile = true;
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case "--fda":
        a.fda = v;
        break;
      case "--fdb":
        a.fdb = v;
        break;
      case "--hda":
        a.hda = v;
        break;
      case "--hdb":
        a.hdb = v;
        break;
      case "--mem": {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 3072)
          throw new UsageError(`--mem must be a whole number of MiB from 1 to 3072, got ${JSON.stringify(v)}`);
        a.memMiB = n;
        break;
      }
      case "--clock":
        if (v !== "deterministic" && v !== "realtime")
          throw new UsageError(`--clock must be deterministic or realtime, got ${JSON.stringify(v)}`);
        a.clock = v;
        break;
      case "--until":
        a.steps.push({ kind: "until", text: v });
        break;
      case "--type":
        a.steps.push({ kind: "type", keys: decodeKeys(v) });
        break;
      case "--timeout": {
        const n = Number(v);
        if (!(n > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(v)}`);
        a.timeoutS = n;
        break;
      }
      case "--kernel":
        a.kernel = v;
        break;
      case "--initrd":
        a.initrd = v;
        break;
      case "--append":
        a.append = v;
        break;
      case "--save-snapshot":
        a.saveSnapshot = v;
        break;
      case "--cdrom":
        a.cdrom = v;
        break;
    }
  }
  if (!a.fda && !a.fdb && !a.hda && !a.hdb && !a.cdrom && !a.kernel)
    throw new UsageError("nothing to boot: give --fda, --hda, --cdrom or --kernel");
  if (a.initrd && !a.kernel) throw new UsageError("--initrd needs --kernel");
  // The snapshot manifest names floppy, hard disk and kernel images only: a CD would be lost.
  if (a.cdrom && a.saveSnapshot) throw new UsageError("--save-snapshot cannot record a --cdrom image yet");
  return a;
}

/** Reads an image file for a drive, refusing missing, unreadable or wrongly sized ones. */
export function readImage(path: string, kind: "floppy" | "hdd" | "cdrom"): MemoryDisk {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read image ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const image = new MemoryDisk(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), true);
  try {
    if (kind === "floppy") floppyGeometry(image.size);
    else if (kind === "hdd") hardDiskGeometry(image.size);
    else if (image.size === 0 || image.size % CD_SECTOR_SIZE !== 0) {
      throw new Error(`a CD image must be a non-zero multiple of ${CD_SECTOR_SIZE} bytes, got ${image.size}`);
    }
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  return image;
}

function readFile(path: string, what: string): Uint8Array {
  try {
    const b = fs.readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function buildPc(args: BootArgs): PcMachine {
  const realtime = args.clock === "realtime";
  let linux: LinuxBoot | null = null;
  if (args.kernel) {
    linux = {
      kernel: readFile(args.kernel, "kernel"),
      initrd: args.initrd ? readFile(args.initrd, "initrd") : null,
      cmdline: args.append,
    };
    try {
      parseLinuxHeader(linux.kernel);
    } catch (e) {
      throw new UsageError(`${args.kernel}: ${(e as Error).message}`);
    }
  }
  return new PcMachine({
    linux,
    memoryMiB: args.memMiB,
    clock: args.clock,
    hostMs: realtime ? () => performance.now() : undefined,
    startTimeMs: realtime ? Date.now() : undefined,
    fda: args.fda ? readImage(args.fda, "floppy") : null,
    fdb: args.fdb ? readImage(args.fdb, "floppy") : null,
    hda: args.hda ? readImage(args.hda, "hdd") : null,
    hdb: args.hdb ? readImage(args.hdb, "hdd") : null,
    cdrom: args.cdrom ? readImage(args.cdrom, "cdrom") : null,
  });
}

/** COM1 to stdout, stdin to COM1 (raw on a terminal, where Ctrl+] leaves). */
export function connectSerialConsole(session: Session): void {
  session.onSerial = (byte) => process.stdout.write(Buffer.of(byte));
  if (!process.stdin.isTTY) {
    process.stdin.on("data", (d: Buffer) => session.sendSerial(d));
    return;
  }
  process.stdin.setRawMode(true);
  process.stdin.on("data", (d: Buffer) => {
    if (d.length === 1 && d[0] === 0x1d) process.exit(0); // Ctrl+] leaves
    session.sendSerial(d);
  });
}

export async function bootCommand(argv: string[]): Promise<number> {
  let args: BootArgs;
  let pc: PcMachine;
  try {
    args = parseBootArgs(argv);
    pc = buildPc(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`vm boot: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.noJit) pc.machine.cpu.setJitEnabled(false);
  if (args.traceFaults) {
    const cpu = pc.machine.cpu;
    cpu.onFault = (vec, code) =>
      console.error(`fault ${vec} code=${code.toString(16)} cr2=${(cpu.cr[2] >>> 0).toString(16)} ${cpu.describe()}`);
  }
  const session = new Session(pc);
  session.onReset = (reason) => console.error(`vm boot: the guest triple-faulted (${reason}); the machine was reset`);
  if (args.serial) connectSerialConsole(session);
  const samples = new Map<number, number>();
  if (args.profile) {
    const cpu = pc.machine.cpu;
    const run = cpu.run.bind(cpu);
    cpu.run = (budget: number) => {
      const n = run(Math.min(budget, 20_000));
      const eip = (cpu.segBase[1] + cpu.getEip()) >>> 0;
      samples.set(eip, (samples.get(eip) ?? 0) + 1);
      return n;
    };
  }
  const t0 = performance.now();
  let code = 0;
  try {
    await session.run(args.steps, {
      serialInput: args.serial,
      timeoutS: args.timeoutS,
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
  } catch (e) {
    if (!(e instanceof SessionError)) throw e;
    console.error(`vm boot: ${e.message}`);
    code = 1;
  }
  if (args.serial) process.stdin.pause();
  if (args.saveSnapshot) {
    if (code === 0) {
      const n = await saveSnapshotFile(pc, args.saveSnapshot, {
        fda: args.fda,
        fdb: args.fdb,
        hda: args.hda,
        hdb: args.hdb,
        kernel: args.kernel,
        initrd: args.initrd,
      });
      console.error(`vm boot: saved ${args.saveSnapshot} (${n} bytes)`);
    } else {
      console.error(`vm boot: no snapshot saved: the script did not complete`);
    }
  }
  if (args.screen) {
    const rows = pc.textRows();
    console.log(rows ? rows.join("\n").replace(/\n+$/, "") : "(graphics mode)");
  }
  if (args.profile) {
    const top = [...samples.entries()].sort((x, y) => y[1] - x[1]).slice(0, 40);
    for (const [eip, n] of top) console.error(`${eip.toString(16).padStart(8, "0")} ${n}`);
  }
  if (args.stats) {
    const m = pc.machine;
    const ms = performance.now() - t0;
    const exits = Object.fromEntries(EXIT_NAMES.map((n, i) => [n, m.io.counts[i]]).filter(([, v]) => v));
    console.log(
      JSON.stringify({
        instructions: m.cpu.instret,
        wall_ms: Math.round(ms),
        machine_ms: Math.round(m.clock.now() / 1e6),
        exits,
        jit: m.cpu.jit.stats,
        unsupported_bios: Object.fromEntries(pc.bios.unsupported),
      }),
    );
  }
  return code;
}
