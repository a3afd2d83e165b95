// `pnpm bench:boot freedos|linux|cd`: wall time and instructions from power-on to the guest's
// prompt, median of several runs on the realtime clock, then a reference engine on the same
// machine in the same run, one JSON line each, and the ratio of the medians.
//
// freedos: the FreeDOS floppy to A:\> (default 5 runs). linux: the reference guest
// (../shared/guests/build-linux-guest.sh, cached in ~/.cache/x86-guests/linux-686) with
// 128 MiB to BOOT-OK and then busybox's "# " on COM1 (default 3 runs). Both beside the v86
// anchor (../shared/bench). cd: the same guest on a GRUB El Torito CD (grub-cd.ts), 128 MiB,
// to the same text on COM1, beside QEMU TCG booting the same ISO (default 3 runs).
//
// --firmware seabios (freedos and cd): the built-in BIOS and SeaBIOS (vm images) instead of an
// anchor, one run of each in turn, each with its process CPU time (user + system) beside the
// wall time, and the ratios of the medians.
//
// v86's instruction counter is 32 bits wide: for a Linux boot (about 6.4 G instructions) the
// anchor's "instructions" is the count modulo 2^32. The anchor line is printed as measured.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PcMachine, type PcFirmware } from "@x86vm/devices";
import { buildPc, parseBootArgs, readFirmware, readImage } from "../commands/boot.ts";
import { SEABIOS_IMAGES, findSeabios } from "../commands/images.ts";
import { Session } from "../session/session.ts";
import { median } from "./cpu.ts";
import { bootQemuOnce, checkCdPackages, ensureGrubIso, grubIsoPath, qemuVersion, shellReady } from "./grub-cd.ts";

/**
 * The Linux workload's command line, the same for both engines: nodhcp, because v86 gives the
 * guest a network card without a DHCP server, and the guest's udhcpc would wait out its timeouts;
 * nodrm, because the benchmark boots to a shell on the serial line, and the display driver
 * (bochs-drm, guest recipe 4) would add ~7% of instructions drawing a console nobody reads, on an
 * emulated card that differs between the engines.
 */
const BENCH_CMDLINE = "console=ttyS0 nodhcp nodrm";

export interface BootBenchResult {
  workload: string;
  engine: string;
  /** With --firmware: which firmware booted. */
  firmware?: string;
  clock: string;
  runs: number;
  wall_ms: number;
  /** With --firmware: the process's CPU time (user + system) over the boot, median. */
  cpu_ms?: number;
  instructions: number;
  mips: number;
}

/** One boot's figures. */
export interface BootRun {
  wall_ms: number;
  instructions: number;
  /** Process CPU time (user + system) over the boot. */
  cpu_ms: number;
}

/** The firmware `vm bench boot --firmware` compares with the built-in BIOS. */
export type BenchFirmware = "seabios";

/** SeaBIOS's images (vm images, else Debian's package), read and checked. */
export function seabiosFirmware(): PcFirmware {
  const dir = findSeabios();
  if (!dir) throw new Error("SeaBIOS not found: run  pnpm images  (it copies Debian's seabios package)");
  return readFirmware(path.join(dir, SEABIOS_IMAGES[0]), path.join(dir, SEABIOS_IMAGES[1]))!;
}

/** Process CPU time so far, ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function sharedDir(): string {
  const dir = path.resolve(process.cwd(), "../shared");
  if (!fs.existsSync(dir)) throw new Error(`../shared not found from ${process.cwd()}: run from the project root`);
  return dir;
}

/** One FreeDOS boot to A:\> on the realtime clock (through `firmware` when given). */
export async function bootFreedosOnce(image: string, firmware: PcFirmware | null = null): Promise<BootRun> {
  const t0 = performance.now(),
    c0 = cpuMs();
  const pc = new PcMachine({
    memoryMiB: 32,
    clock: "realtime",
    hostMs: () => performance.now(),
    startTimeMs: Date.now(),
    fda: readImage(image, "floppy"),
    firmware,
  });
  for (;;) {
    const r = pc.run(1e6); // 1 ms of machine time between screen checks
    if (r.kind === "shutdown" || r.kind === "halted-forever") throw new Error(`FreeDOS did not boot: ${r.kind}`);
    if (r.kind === "idle") await new Promise((res) => setTimeout(res, 0));
    const rows = pc.textRows();
    if (rows && rows.some((row) => row.includes("A:\\>"))) break;
    if (performance.now() - t0 > 120_000) throw new Error("FreeDOS did not reach A:\\> within 120 s");
  }
  return { wall_ms: performance.now() - t0, cpu_ms: cpuMs() - c0, instructions: pc.machine.cpu.instret };
}

/** Where the reference Linux guest is cached (../shared/guests/build-linux-guest.sh). */
export function linuxGuestDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "x86-guests", "linux-686");
}

/** One Linux boot to BOOT-OK and the shell's "# " on COM1, on the realtime clock. */
export async function bootLinuxOnce(kernelFile: string, initrdFile: string): Promise<BootRun> {
  const kernel = new Uint8Array(fs.readFileSync(kernelFile)),
    initrd = new Uint8Array(fs.readFileSync(initrdFile));
  const t0 = performance.now(),
    c0 = cpuMs();
  const pc = new PcMachine({
    memoryMiB: 128,
    clock: "realtime",
    hostMs: () => performance.now(),
    startTimeMs: Date.now(),
    linux: { kernel, initrd, cmdline: BENCH_CMDLINE },
  });
  const session = new Session(pc);
  await session.run(
    [
      { kind: "until", text: "BOOT-OK" },
      { kind: "until", text: "# " },
    ],
    {
      timeoutS: 600,
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
  );
  return { wall_ms: performance.now() - t0, cpu_ms: cpuMs() - c0, instructions: pc.machine.cpu.instret };
}

/**
 * One boot of a CD image to BOOT-OK and the shell's "# " on COM1, on the realtime clock, with
 * the machine `vm boot --cdrom ISO --mem 128 --clock realtime` builds (plus --bios and
 * --vga-bios when `firmware` names SeaBIOS's folder).
 */
export async function bootCdOnce(iso: string, firmware: BenchFirmware | null = null): Promise<BootRun> {
  const t0 = performance.now(),
    c0 = cpuMs();
  const fw = firmware ? findSeabios() : null;
  if (firmware && !fw) throw new Error("SeaBIOS not found: run  pnpm images  (it copies Debian's seabios package)");
  const fwArgs = fw ? ["--bios", path.join(fw, SEABIOS_IMAGES[0]), "--vga-bios", path.join(fw, SEABIOS_IMAGES[1])] : [];
  const pc = buildPc(parseBootArgs(["--cdrom", iso, "--mem", "128", "--clock", "realtime", ...fwArgs]));
  const session = new Session(pc);
  await session.run(
    [
      { kind: "until", text: "BOOT-OK" },
      { kind: "until", text: "# " },
    ],
    {
      timeoutS: 600,
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
  );
  const wall_ms = performance.now() - t0,
    cpu_ms = cpuMs() - c0;
  // The session also reads the screen: the prompt must have come on COM1, as QEMU's does.
  if (!shellReady(session.serial)) throw new Error('the CD boot matched "# " on the screen, not on COM1');
  return { wall_ms, cpu_ms, instructions: pc.machine.cpu.instret };
}

/** Our median line from the runs (with the firmware and CPU time when comparing firmware). */
export function oursLine(workload: string, ours: readonly BootRun[], firmware?: string): BootBenchResult {
  const wall = median(ours.map((r) => r.wall_ms)),
    instr = median(ours.map((r) => r.instructions));
  return {
    workload,
    engine: "x86vm",
    ...(firmware ? { firmware } : {}),
    clock: "realtime",
    runs: ours.length,
    wall_ms: Math.round(wall),
    ...(firmware ? { cpu_ms: Math.round(median(ours.map((r) => r.cpu_ms))) } : {}),
    instructions: instr,
    mips: Math.round((instr / wall / 1000) * 10) / 10,
  };
}

const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

/**
 * `--firmware seabios`: the built-in BIOS and SeaBIOS booting the same workload, one run of
 * each in turn (so both see the same host load), a line each and the ratios of the medians.
 */
export async function runFirmwareBench(
  workload: string,
  runs: number,
  out: (line: string) => void,
  once: (firmware: BenchFirmware | null) => Promise<BootRun>,
): Promise<void> {
  const builtin: BootRun[] = [],
    seabios: BootRun[] = [];
  for (let i = 0; i < runs; i++) {
    builtin.push(await once(null));
    seabios.push(await once("seabios"));
  }
  const a = oursLine(workload, builtin, "builtin"),
    b = oursLine(workload, seabios, "seabios");
  out(JSON.stringify(a));
  out(JSON.stringify(b));
  out(
    JSON.stringify({
      workload,
      ratio_wall: ratio(b.wall_ms, a.wall_ms),
      ratio_cpu: ratio(b.cpu_ms!, a.cpu_ms!),
      ratio_instructions: ratio(b.instructions, a.instructions),
      note: "SeaBIOS over the built-in BIOS, medians of runs taken in turn",
    }),
  );
}

/** `cd`: the GRUB CD in our machine, then in QEMU TCG, and the ratio of the median wall times. */
async function runCdBench(runs: number, out: (line: string) => void, firmware: BenchFirmware | null): Promise<void> {
  checkCdPackages({ qemu: !firmware });
  const dir = linuxGuestDir(),
    kernel = path.join(dir, "bzImage"),
    initrd = path.join(dir, "initrd.gz");
  for (const f of [kernel, initrd]) {
    if (!fs.existsSync(f)) throw new Error(`${f} not found: build the guest with  pnpm images`);
  }
  const iso = ensureGrubIso(kernel, initrd, grubIsoPath(dir), (line) => console.error(`bench boot cd: ${line}`));
  if (firmware) return runFirmwareBench("cd", runs, out, (fw) => bootCdOnce(iso, fw));
  const ours: BootRun[] = [];
  for (let i = 0; i < runs; i++) ours.push(await bootCdOnce(iso));
  const mine = oursLine("cd", ours);
  out(JSON.stringify(mine));
  const qemu: number[] = [];
  for (let i = 0; i < runs; i++) qemu.push((await bootQemuOnce(iso)).wall_ms);
  const qemuWall = median(qemu);
  out(
    JSON.stringify({
      workload: "cd",
      engine: "qemu-tcg",
      version: qemuVersion(),
      runs,
      wall_ms: Math.round(qemuWall),
    }),
  );
  out(
    JSON.stringify({
      workload: "cd",
      ratio_wall: Math.round((median(ours.map((r) => r.wall_ms)) / qemuWall) * 1000) / 1000,
      note: "x86vm wall time over QEMU TCG's, medians of the same run",
    }),
  );
}

export async function runBootBench(
  workload: string,
  runs: number,
  out: (line: string) => void,
  firmware: BenchFirmware | null = null,
): Promise<void> {
  if (workload === "cd") return runCdBench(runs, out, firmware);
  const shared = sharedDir();
  let once: () => Promise<BootRun>;
  let anchorArgs: string[];
  if (workload === "freedos") {
    const image = path.join(shared, "guests", "freedos722.img");
    if (firmware) {
      const seabios = seabiosFirmware();
      return runFirmwareBench("freedos", runs, out, (fw) => bootFreedosOnce(image, fw ? seabios : null));
    }
    once = () => bootFreedosOnce(image);
    anchorArgs = ["freedos"];
  } else if (workload === "linux") {
    if (firmware)
      throw new Error(
        "the linux workload boots a kernel file, which only the built-in BIOS loads: use cd with --firmware",
      );
    const dir = linuxGuestDir(),
      kernel = path.join(dir, "bzImage"),
      initrd = path.join(dir, "initrd.gz");
    for (const f of [kernel, initrd]) {
      if (!fs.existsSync(f)) throw new Error(`${f} not found: build the guest with  pnpm images`);
    }
    once = () => bootLinuxOnce(kernel, initrd);
    anchorArgs = ["linux", "--kernel", kernel, "--initrd", initrd, "--append", BENCH_CMDLINE];
  } else {
    throw new Error(`unknown workload ${JSON.stringify(workload)} (freedos, linux, cd)`);
  }
  const ours: BootRun[] = [];
  for (let i = 0; i < runs; i++) ours.push(await once());
  const wall = median(ours.map((r) => r.wall_ms));
  out(JSON.stringify(oursLine(workload, ours)));
  const anchor: { wall_ms: number; instructions: number }[] = [];
  let last: Record<string, unknown> = {};
  for (let i = 0; i < runs; i++) {
    const line = execFileSync("node", [path.join(shared, "bench", "v86-anchor.mjs"), ...anchorArgs], {
      encoding: "utf8",
    })
      .trim()
      .split("\n")
      .pop()!;
    last = JSON.parse(line);
    anchor.push({ wall_ms: Number(last.wall_ms), instructions: Number(last.instructions) });
  }
  const v86Wall = median(anchor.map((r) => r.wall_ms));
  out(JSON.stringify({ ...last, runs, wall_ms: v86Wall, instructions: median(anchor.map((r) => r.instructions)) }));
  out(
    JSON.stringify({
      workload,
      ratio_wall: Math.round((wall / v86Wall) * 1000) / 1000,
      note: "x86vm wall time over v86's, medians of the same run",
    }),
  );
}
