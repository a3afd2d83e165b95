// `pnpm bench:snapshot [freedos] [linux] [--runs N] [--no-v86]`: size, save time and restore
// time of a snapshot of a guest at its prompt, one JSON line per workload (medians of N runs).
// The guest is booted once on the deterministic clock; restores verify the base images'
// SHA-256 as a real restore does (the hash of a read-only image is computed once per process,
// so the first restore pays it: it is reported apart as restore_first_ms). The first restored
// machine must save the very same snapshot again, byte for byte.
//
//   freedos  the FreeDOS floppy (../shared/guests) at A:\> with 32 MiB
//   linux    the reference Linux guest (~/.cache/x86-guests/linux-686, built by
//            ../shared/guests/build-linux-guest.sh) with 128 MiB at the shell's "# " on COM1.
//            Beside it, in the same run, v86's save_state() for the same guest at the same
//            prompt (v86-state.mjs in a child process, with the v86 that
//            ../shared/bench/v86-anchor.mjs installed): its size, save and restore time.
//
// Goals (the snapshot issue): our snapshot smaller than v86's state, restore under 300 ms.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";
import { MemoryDisk, readSnapshotManifest, type DiskImage } from "@x86vm/core";
import { PcMachine, restoreSnapshot, saveSnapshot } from "@x86vm/devices";
import { readImage } from "../commands/boot.ts";
import { Session } from "../session/session.ts";
import { linuxGuestDir } from "./boot.ts";
import { median } from "./cpu.ts";

export interface SnapshotWorkload {
  name: string;
  memoryMiB: number;
  /** What "at its prompt" means, for the report. */
  prompt: string;
  /** Boots the guest to its prompt on the deterministic clock. */
  boot(shared: string): Promise<PcMachine>;
  /** Arguments of v86-state.mjs for the same guest, or null: no v86 comparison. */
  v86?: () => string[];
}

function linuxFiles(): { kernel: string; initrd: string } {
  const dir = linuxGuestDir();
  const files = { kernel: path.join(dir, "bzImage"), initrd: path.join(dir, "initrd.gz") };
  for (const f of Object.values(files)) {
    if (!fs.existsSync(f))
      throw new Error(`${f} not found: build the guest with ../shared/guests/build-linux-guest.sh`);
  }
  return files;
}

/** Boots the reference Linux guest (128 MiB, console on COM1) to BOOT-OK and its shell's "# ". */
export async function bootLinuxToShell(timeoutS = 900): Promise<{ pc: PcMachine; session: Session }> {
  const f = linuxFiles();
  const pc = new PcMachine({
    memoryMiB: 128,
    clock: "deterministic",
    linux: {
      kernel: new Uint8Array(fs.readFileSync(f.kernel)),
      initrd: new Uint8Array(fs.readFileSync(f.initrd)),
      cmdline: "console=ttyS0",
    },
  });
  const session = new Session(pc);
  await session.run(
    [
      { kind: "until", text: "BOOT-OK" },
      { kind: "until", text: "# " },
    ],
    {
      timeoutS,
      serialInput: true,
      nowMs: () => performance.now(),
    },
  );
  // Busybox asks the terminal where the cursor is after the prompt (ESC [6n) and waits a while
  // for the answer: let it give up, so the shell is idle in read() when the snapshot is taken.
  await session.advance(500e6, { timeoutS, nowMs: () => performance.now() });
  return { pc, session };
}

export const WORKLOADS: SnapshotWorkload[] = [
  {
    name: "freedos",
    memoryMiB: 32,
    prompt: "A:\\> on the screen",
    boot: async (shared) => {
      const pc = new PcMachine({
        memoryMiB: 32,
        clock: "deterministic",
        fda: readImage(path.join(shared, "guests", "freedos722.img"), "floppy"),
      });
      const at = () => (pc.textRows() ?? []).some((r) => r.includes("A:\\>"));
      for (let i = 0; i < 100_000 && !at(); i++) {
        const r = pc.run(10e6);
        if (r.kind === "shutdown" || r.kind === "halted-forever")
          throw new Error(`freedos did not reach its prompt: ${r.kind}`);
      }
      if (!at()) throw new Error("freedos did not reach A:\\>");
      return pc;
    },
  },
  {
    name: "linux",
    memoryMiB: 128,
    prompt: '"# " on COM1',
    boot: async () => (await bootLinuxToShell()).pc,
    v86: () => {
      const f = linuxFiles();
      return ["--kernel", f.kernel, "--initrd", f.initrd, "--append", "console=ttyS0", "--mem", "128"];
    },
  },
];

export interface V86State {
  anchor: string;
  state_bytes: number;
  save_ms: number;
  restore_ms: number;
  wall_ms: number;
}

export interface SnapshotBenchResult {
  workload: string;
  memory_mib: number;
  prompt: string;
  runs: number;
  bytes: number;
  ram_nonzero_pages: number;
  save_ms: number;
  restore_ms: number;
  restore_first_ms: number;
  goal_restore_ms: number;
  boot_wall_ms: number;
  /** v86's save_state() for the same guest, measured in the same run; absent for workloads without one. */
  v86?: V86State | { error: string };
  /** bytes / v86 state bytes (the goal is below 1). */
  size_vs_v86?: number;
}

function sharedDir(): string {
  const dir = path.resolve(process.cwd(), "../shared");
  if (!fs.existsSync(dir)) throw new Error(`../shared not found from ${process.cwd()}: run from the project root`);
  return dir;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** The machine's base images by snapshot slot (one object each, so each is hashed once). */
function imagesOf(pc: PcMachine): Map<string, DiskImage> {
  const m = new Map<string, DiskImage>();
  const drives = { fda: pc.floppies[0], fdb: pc.floppies[1], hda: pc.hardDisks[0], hdb: pc.hardDisks[1] };
  for (const [slot, d] of Object.entries(drives)) if (d) m.set(slot, d.base);
  const linux = pc.bios.platform.linux;
  if (linux) {
    m.set("kernel", new MemoryDisk(linux.kernel, true));
    if (linux.initrd) m.set("initrd", new MemoryDisk(linux.initrd, true));
  }
  return m;
}

/** v86's state for a workload, through v86-state.mjs in a child process. */
export function measureV86(args: string[]): V86State | { error: string } {
  const script = path.join(path.dirname(url.fileURLToPath(import.meta.url)), "v86-state.mjs");
  // The CLI runs as a bundle (node_modules/.cache): find the script in the source tree then.
  const file = fs.existsSync(script) ? script : path.resolve(process.cwd(), "packages/cli/src/bench/v86-state.mjs");
  try {
    const out = execFileSync(process.execPath, [file, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 600_000,
    });
    const line = out.trim().split("\n").pop() ?? "";
    return JSON.parse(line) as V86State;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { error: (err.stderr?.trim().split("\n").pop() || err.message).slice(0, 300) };
  }
}

export async function benchSnapshot(
  w: SnapshotWorkload,
  runs: number,
  opts: { shared?: string; v86?: boolean } = {},
): Promise<SnapshotBenchResult> {
  const shared = opts.shared ?? sharedDir();
  const t0 = performance.now();
  const pc = await w.boot(shared);
  const bootMs = performance.now() - t0;
  const images = imagesOf(pc);
  const find = (_sha: string, _size: number, _hint: string | null, slot: string) => images.get(slot) ?? null;
  const screen = (m: PcMachine) => (m.textRows() ?? []).join("\n");
  let bytes: Uint8Array = new Uint8Array(0);
  const save: number[] = [],
    restore: number[] = [];
  let first = 0;
  for (let i = 0; i < runs + 1; i++) {
    let t = performance.now();
    bytes = await saveSnapshot(pc);
    if (i > 0) save.push(performance.now() - t);
    t = performance.now();
    const resumed = await restoreSnapshot(bytes, { images: find });
    const ms = performance.now() - t;
    if (i === 0) {
      first = ms;
      if (Buffer.compare(await saveSnapshot(resumed), bytes) !== 0)
        throw new Error(`${w.name}: the restored machine saves a different snapshot`);
    } else {
      restore.push(ms);
    }
    if (screen(resumed) !== screen(pc)) throw new Error(`${w.name}: restored screen differs`);
  }
  const m = await readSnapshotManifest(bytes);
  const result: SnapshotBenchResult = {
    workload: w.name,
    memory_mib: w.memoryMiB,
    prompt: w.prompt,
    runs,
    bytes: bytes.length,
    ram_nonzero_pages: m.ram.nonZeroPages,
    save_ms: round(median(save)),
    restore_ms: round(median(restore)),
    restore_first_ms: round(first),
    goal_restore_ms: 300,
    boot_wall_ms: Math.round(bootMs),
  };
  if (w.v86 && opts.v86 !== false) {
    const v = measureV86(w.v86());
    result.v86 = v;
    if ("state_bytes" in v) result.size_vs_v86 = Math.round((bytes.length / v.state_bytes) * 1000) / 1000;
  }
  return result;
}

/** Runs the named workloads (all when none is named), `runs` times each, with or without the v86 comparison. */
export async function runSnapshotBench(
  opts: { workloads: readonly string[]; runs: number; v86: boolean },
  out: (line: string) => void,
): Promise<void> {
  const chosen = opts.workloads.length
    ? opts.workloads.map((n) => {
        const w = WORKLOADS.find((x) => x.name === n);
        if (!w) throw new Error(`unknown workload ${JSON.stringify(n)} (${WORKLOADS.map((x) => x.name).join(", ")})`);
        return w;
      })
    : WORKLOADS;
  for (const w of chosen) out(JSON.stringify(await benchSnapshot(w, opts.runs, { v86: opts.v86 })));
}
