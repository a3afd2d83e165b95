// `pnpm bench:snapshot [WORKLOAD...] [--runs N]`: size, save time and restore time of a
// snapshot of a guest at its prompt, one JSON line per workload (medians of N runs). The
// guest is booted once on the deterministic clock; restores verify the base image's SHA-256
// as a real restore does (the hash of a read-only image is computed once per process, so the
// first restore pays it: it is reported apart as restore_first_ms).
//
// A workload is one entry in WORKLOADS: how to build the machine and the text that says it is
// at its prompt. Linux at `# ` with 128 MiB joins when Linux boots.

import fs from "node:fs";
import path from "node:path";
import { readSnapshotManifest } from "@x86vm/core";
import { PcMachine, restoreSnapshot, saveSnapshot } from "@x86vm/devices";
import { readImage } from "../commands/boot.ts";
import { median } from "./cpu.ts";

export interface SnapshotWorkload {
  name: string;
  memoryMiB: number;
  /** Builds the machine from images under the shared directory. */
  build(shared: string): PcMachine;
  /** Text on the screen that says the guest is at its prompt. */
  prompt: string;
}

export const WORKLOADS: SnapshotWorkload[] = [
  {
    name: "freedos",
    memoryMiB: 32,
    build: (shared) => new PcMachine({ memoryMiB: 32, clock: "deterministic", fda: readImage(path.join(shared, "guests", "freedos722.img"), "floppy") }),
    prompt: "A:\\>",
  },
];

export interface SnapshotBenchResult {
  workload: string;
  memory_mib: number;
  runs: number;
  bytes: number;
  ram_nonzero_pages: number;
  save_ms: number;
  restore_ms: number;
  restore_first_ms: number;
  goal_restore_ms: number;
}

function sharedDir(): string {
  const dir = path.resolve(process.cwd(), "../shared");
  if (!fs.existsSync(dir)) throw new Error(`../shared not found from ${process.cwd()}: run from the project root`);
  return dir;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export async function benchSnapshot(w: SnapshotWorkload, runs: number, shared = sharedDir()): Promise<SnapshotBenchResult> {
  const pc = w.build(shared);
  for (let i = 0; i < 100_000 && !(pc.textRows() ?? []).some((r) => r.includes(w.prompt)); i++) {
    const r = pc.run(10e6);
    if (r.kind === "shutdown" || r.kind === "halted-forever") throw new Error(`${w.name} did not reach its prompt: ${r.kind}`);
  }
  if (!(pc.textRows() ?? []).some((r) => r.includes(w.prompt))) throw new Error(`${w.name} did not reach ${JSON.stringify(w.prompt)}`);
  let bytes: Uint8Array = new Uint8Array(0);
  const save: number[] = [], restore: number[] = [];
  let first = 0;
  for (let i = 0; i < runs + 1; i++) {
    let t = performance.now();
    bytes = await saveSnapshot(pc);
    if (i > 0) save.push(performance.now() - t);
    const available = [...pc.floppies, ...pc.hardDisks].filter((d) => d !== null).map((d) => d.base);
    t = performance.now();
    const resumed = await restoreSnapshot(bytes, { images: () => available.shift() ?? null });
    const ms = performance.now() - t;
    if (i === 0) first = ms; else restore.push(ms);
    if ((resumed.textRows() ?? []).join("\n") !== (pc.textRows() ?? []).join("\n")) throw new Error("restored screen differs");
  }
  const m = await readSnapshotManifest(bytes);
  return {
    workload: w.name, memory_mib: w.memoryMiB, runs, bytes: bytes.length, ram_nonzero_pages: m.ram.nonZeroPages,
    save_ms: round(median(save)), restore_ms: round(median(restore)), restore_first_ms: round(first), goal_restore_ms: 300,
  };
}

export async function runSnapshotBench(args: string[], out: (line: string) => void): Promise<void> {
  const runsAt = args.indexOf("--runs");
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive whole number");
  const names = args.filter((a, i) => !a.startsWith("--") && (runsAt < 0 || i !== runsAt + 1));
  const chosen = names.length ? names.map((n) => {
    const w = WORKLOADS.find((x) => x.name === n);
    if (!w) throw new Error(`unknown workload ${JSON.stringify(n)} (${WORKLOADS.map((x) => x.name).join(", ")})`);
    return w;
  }) : WORKLOADS;
  for (const w of chosen) out(JSON.stringify(await benchSnapshot(w, runs)));
}
