// `vm bench cpu|boot|snapshot|micro`: the benchmarks' command lines (one option table each,
// read by the parser and by `vm bench <name> --help`), and the runs they start.

import { parseArgs, UsageError, type CommandSpec, type OptionSpec } from "../args.ts";
import { runBootBench, type BenchFirmware } from "./boot.ts";
import { runCpu32Bench, runCpuBench } from "./cpu.ts";
import { runMicro } from "./micro.ts";
import { runSnapshotBench, WORKLOADS } from "./snapshot.ts";
import { runTimeBench } from "./time.ts";

const runsOption = (dflt: string): OptionSpec => ({
  flag: "--runs",
  value: "N",
  help: `runs to take the median of (default ${dflt})`,
});

export const BENCH_CPU: CommandSpec = {
  name: "bench cpu",
  summary: "CPU-bound benchmark: instructions, wall time and MIPS",
  options: [
    runsOption("5"),
    {
      flag: "--mode",
      value: "user32",
      help: "a 32-bit C program: wasm blocks, JS blocks, interpreter (default: real mode)",
    },
  ],
  notes: [
    "Real mode runs cpu-bench.asm on a bare CPU with RAM only; user32 builds cpu32.c with",
    "i686-linux-gnu-gcc (Debian's gcc-i686-linux-gnu) and runs it on the user-mode machine.",
  ],
};

/** The workloads of `vm bench boot`, the first the default. */
export const BOOT_WORKLOADS: readonly string[] = ["freedos", "linux", "cd"];

export const BENCH_BOOT: CommandSpec = {
  name: "bench boot",
  operands: "[freedos|linux|cd]",
  maxOperands: 1,
  summary: "boot time to the prompt, beside the v86 anchor, QEMU or SeaBIOS",
  options: [
    runsOption("5 for freedos, 3 for linux and cd"),
    {
      flag: "--firmware",
      value: "seabios",
      help: "freedos, cd: built-in BIOS and SeaBIOS in turn, with CPU time (no anchor)",
    },
  ],
  notes: [
    "freedos (the default): the FreeDOS floppy (../shared/guests) to A:\\>. linux: the Linux guest",
    "(vm images) with 128 MiB to its shell on COM1. Both beside the v86 anchor.",
    "cd: the same guest on an El Torito CD that GRUB boots (built with grub-mkrescue and cached in",
    "~/.cache/x86-guests/linux-686-grub.iso), 128 MiB, to its shell on COM1, beside QEMU TCG",
    "booting the same ISO. Needs Debian's grub-pc-bin, xorriso, mtools and qemu-system-x86.",
    "Prints one JSON line for each engine, and the ratio of the median wall times.",
    "--firmware seabios: SeaBIOS (vm images) boots the workload in turn with the built-in BIOS; one",
    "line each with wall time, process CPU time (user + system) and instructions, then the ratios.",
  ],
};

export const BENCH_SNAPSHOT: CommandSpec = {
  name: "bench snapshot",
  operands: "[WORKLOAD...]",
  maxOperands: WORKLOADS.length,
  summary: "snapshot size, save and restore time at the guest's prompt",
  options: [runsOption("5"), { flag: "--no-v86", help: "skip the comparison with v86's save_state() (Linux)" }],
  notes: [
    `WORKLOAD: ${WORKLOADS.map((w) => w.name).join(" or ")}; without one, all of them. freedos: the FreeDOS floppy at A:\\>`,
    "(32 MiB). linux: the Linux guest (vm images) at its shell's # (128 MiB). One JSON line each.",
  ],
};

export const BENCH_MICRO: CommandSpec = {
  name: "bench micro",
  summary: "per-instruction costs of a few instruction forms (interpreter work)",
  options: [],
};

export const BENCH_TIME: CommandSpec = {
  name: "bench time",
  summary: "a busy Linux guest's date drift from the host's clock, by CPU share",
  options: [
    { flag: "--seconds", value: "N", help: "host seconds each share is measured over (default 30)" },
    { flag: "--shares", value: "LIST", help: "CPU shares in percent, comma-separated (default 100,25)" },
  ],
  notes: [
    "Boots the Linux guest (vm images) with 128 MiB on the realtime clock, prints its TSC lines from",
    "dmesg and cpu MHz, starts a busy loop in its shell, then one JSON line per share: the drift of",
    "the guest's date and /proc/uptime from the host's clock, the clock's lag and lost time, and the",
    "timer ticks re-delivered. The share is applied as the web worker applies it.",
  ],
};

export const BENCH_COMMANDS: readonly CommandSpec[] = [BENCH_CPU, BENCH_BOOT, BENCH_SNAPSHOT, BENCH_MICRO, BENCH_TIME];

function positiveRuns(value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--runs must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

export interface BenchArgs {
  runs?: number;
  firmware?: BenchFirmware;
  mode?: "user32";
  v86: boolean;
  operands: string[];
  seconds?: number;
  shares?: number[];
}

/** The arguments of `vm bench <spec.name>`, checked against its table. */
export function parseBenchArgs(spec: CommandSpec, argv: readonly string[]): BenchArgs {
  const parsed = parseArgs(spec, argv);
  const a: BenchArgs = { v86: true, operands: parsed.operands };
  for (const { flag, value } of parsed.options) {
    if (flag === "--runs") a.runs = positiveRuns(value);
    else if (flag === "--firmware") {
      if (value !== "seabios") throw new UsageError(`--firmware must be seabios, got ${JSON.stringify(value)}`);
      a.firmware = value;
    } else if (flag === "--mode") {
      if (value !== "user32") throw new UsageError(`--mode must be user32, got ${JSON.stringify(value)}`);
      a.mode = value;
    } else if (flag === "--no-v86") a.v86 = false;
    else if (flag === "--seconds") {
      const n = Number(value);
      if (!(n > 0 && n <= 3600))
        throw new UsageError(`--seconds must be a number of seconds up to 3600, got ${JSON.stringify(value)}`);
      a.seconds = n;
    } else if (flag === "--shares") {
      const list = (value ?? "").split(",").map(Number);
      if (list.some((x) => !Number.isInteger(x) || x < 1 || x > 100))
        throw new UsageError(
          `--shares must be percentages from 1 to 100, comma-separated, got ${JSON.stringify(value)}`,
        );
      a.shares = list;
    } else throw new Error(`vm ${spec.name}: ${flag} is in the option table but not handled`);
  }
  if (spec === BENCH_BOOT) {
    const w = a.operands[0];
    if (w !== undefined && !BOOT_WORKLOADS.includes(w))
      throw new UsageError(`unknown workload ${JSON.stringify(w)} (${BOOT_WORKLOADS.join(", ")})`);
    if (a.firmware && w === "linux")
      throw new UsageError(
        "--firmware: the linux workload boots a kernel file, which only the built-in BIOS loads; use cd",
      );
  }
  if (spec === BENCH_SNAPSHOT) {
    for (const name of a.operands) {
      if (!WORKLOADS.some((w) => w.name === name))
        throw new UsageError(`unknown workload ${JSON.stringify(name)} (${WORKLOADS.map((w) => w.name).join(", ")})`);
    }
  }
  return a;
}

/** Runs `vm bench <spec.name>` with argv (its options and operands); exit status. */
export async function benchCommand(spec: CommandSpec, argv: readonly string[]): Promise<number> {
  const out = (line: string) => console.log(line);
  const { runs, mode, v86, operands, seconds, shares, firmware } = parseBenchArgs(spec, argv);
  switch (spec) {
    case BENCH_CPU:
      if (mode === "user32") for (const line of runCpu32Bench(runs ?? 5)) out(JSON.stringify(line));
      else for (const jit of [true, false]) out(JSON.stringify(runCpuBench(runs ?? 5, jit)));
      return 0;
    case BENCH_BOOT: {
      const workload = operands[0] ?? "freedos";
      await runBootBench(workload, runs ?? (workload === "freedos" ? 5 : 3), out, firmware ?? null);
      return 0;
    }
    case BENCH_SNAPSHOT:
      await runSnapshotBench({ workloads: operands, runs: runs ?? 5, v86 }, out);
      return 0;
    case BENCH_MICRO:
      for (const line of runMicro()) out(line);
      return 0;
    case BENCH_TIME:
      await runTimeBench({ seconds: seconds ?? 30, shares: shares ?? [100, 25] }, out);
      return 0;
    default:
      throw new Error(`vm ${spec.name}: not a bench command`);
  }
}
