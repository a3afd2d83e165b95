// `pnpm bench:boot freedos`: wall time and instructions from power-on to the guest's prompt,
// median of several runs on the realtime clock, then the v86 anchor (../shared/bench) on the
// same machine in the same run, one JSON line each, and the ratio of the medians.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PcMachine } from "@x86vm/devices";
import { readImage } from "../commands/boot.ts";
import { median } from "./cpu.ts";

export interface BootBenchResult { workload: string; engine: string; clock: string; runs: number; wall_ms: number; instructions: number; mips: number }

function sharedDir(): string {
  const dir = path.resolve(process.cwd(), "../shared");
  if (!fs.existsSync(dir)) throw new Error(`../shared not found from ${process.cwd()}: run from the project root`);
  return dir;
}

/** One FreeDOS boot to A:\> on the realtime clock. */
export async function bootFreedosOnce(image: string): Promise<{ wall_ms: number; instructions: number }> {
  const t0 = performance.now();
  const pc = new PcMachine({ memoryMiB: 32, clock: "realtime", hostMs: () => performance.now(), startTimeMs: Date.now(), fda: readImage(image, "floppy") });
  for (;;) {
    const r = pc.run(1e6); // 1 ms of machine time between screen checks
    if (r.kind === "shutdown" || r.kind === "halted-forever") throw new Error(`FreeDOS did not boot: ${r.kind}`);
    if (r.kind === "idle") await new Promise((res) => setTimeout(res, 0));
    const rows = pc.textRows();
    if (rows && rows.some((row) => row.includes("A:\\>"))) break;
    if (performance.now() - t0 > 120_000) throw new Error("FreeDOS did not reach A:\\> within 120 s");
  }
  return { wall_ms: performance.now() - t0, instructions: pc.machine.cpu.instret };
}

export async function runBootBench(workload: string, runs: number, out: (line: string) => void): Promise<void> {
  if (workload !== "freedos") throw new Error(`unknown workload ${JSON.stringify(workload)} (freedos)`);
  const shared = sharedDir();
  const image = path.join(shared, "guests", "freedos722.img");
  const ours: { wall_ms: number; instructions: number }[] = [];
  for (let i = 0; i < runs; i++) ours.push(await bootFreedosOnce(image));
  const wall = median(ours.map((r) => r.wall_ms)), instr = median(ours.map((r) => r.instructions));
  const mine: BootBenchResult = {
    workload, engine: "x86vm", clock: "realtime", runs, wall_ms: Math.round(wall), instructions: instr,
    mips: Math.round((instr / wall / 1000) * 10) / 10,
  };
  out(JSON.stringify(mine));
  const anchor: { wall_ms: number; instructions: number }[] = [];
  let last: Record<string, unknown> = {};
  for (let i = 0; i < runs; i++) {
    const line = execFileSync("node", [path.join(shared, "bench", "v86-anchor.mjs"), workload], { encoding: "utf8" }).trim().split("\n").pop()!;
    last = JSON.parse(line);
    anchor.push({ wall_ms: Number(last.wall_ms), instructions: Number(last.instructions) });
  }
  const v86Wall = median(anchor.map((r) => r.wall_ms));
  out(JSON.stringify({ ...last, runs, wall_ms: v86Wall, instructions: median(anchor.map((r) => r.instructions)) }));
  out(JSON.stringify({ workload, ratio_wall: Math.round((wall / v86Wall) * 1000) / 1000, note: "x86vm wall time over v86's, medians of the same run" }));
}
