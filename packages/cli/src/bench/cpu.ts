// `pnpm bench:cpu`: a CPU-bound real-mode program (cpu-bench.asm) run on a bare CPU with RAM
// only, with hot code compiled to WebAssembly and with every instruction interpreted. Reports
// instructions retired, wall time and MIPS, median of several fresh runs, a line per engine.
// `--mode user32` runs a 32-bit C program instead, compiled to wasm or JS blocks and interpreted (below).

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CS, Cpu, Dispatcher, EDX, PhysicalMemory } from "@x86vm/core";
import { CPU_BENCH_IMAGE, CPU_BENCH_LOAD } from "./cpu-bench-image.ts";
import { buildC } from "../difftest/build.ts";
import { runUserMode } from "../usermode/runner.ts";

export interface CpuBenchRun {
  instructions: number;
  wall_ms: number;
  checksum: number;
}

export function runCpuBenchOnce(image: Uint8Array = CPU_BENCH_IMAGE, jit = true): CpuBenchRun {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = new Cpu(mem, new Dispatcher());
  cpu.setJitEnabled(jit);
  mem.ram.set(image, CPU_BENCH_LOAD);
  cpu.setSegReal(CS, 0, 0xffff, 0x9b);
  cpu.eip = CPU_BENCH_LOAD;
  const t0 = performance.now();
  let instructions = 0;
  while (!cpu.halted) {
    instructions += cpu.run(10_000_000);
    if (cpu.shutdownReason) throw new Error(`benchmark CPU shut down: ${cpu.shutdownReason}`);
  }
  const wall = performance.now() - t0;
  return { instructions, wall_ms: wall, checksum: cpu.r32[EDX] >>> 0 };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function runCpuBench(
  runs = 5,
  jit = true,
): {
  workload: string;
  engine: string;
  instructions: number;
  wall_ms: number;
  mips: number;
  checksum: string;
} {
  const results: CpuBenchRun[] = [];
  for (let i = 0; i < runs; i++) results.push(runCpuBenchOnce(CPU_BENCH_IMAGE, jit));
  const wall = median(results.map((r) => r.wall_ms));
  const n = results[0].instructions;
  if (results.some((r) => r.instructions !== n || r.checksum !== results[0].checksum)) {
    throw new Error("benchmark runs disagree: the CPU is not deterministic");
  }
  return {
    workload: "real-mode sieve+checksum+copy+muldiv",
    engine: jit ? "jit-wasm" : "interpreter",
    instructions: n,
    wall_ms: Math.round(wall),
    mips: Math.round((n / wall / 1000) * 10) / 10,
    checksum: "0x" + results[0].checksum.toString(16),
  };
}

/**
 * `pnpm bench:cpu --mode user32`: cpu32.c (multi-precision arithmetic, sieve, CRC, sort, hash
 * table) built with the i686 cross-compiler at -O2 and run as a 32-bit Linux program on the
 * flat user-mode machine, with hot blocks compiled to WebAssembly (the default), to JavaScript,
 * and with every instruction interpreted. Its output must
 * be the host CPU's. One JSON line per engine, median of several runs; besides wall time, the
 * process's user CPU time (less disturbed by other load on a shared machine).
 */
export function runCpu32Bench(runs = 5): object[] {
  // From the project root (the runner is bundled elsewhere, so not relative to this module).
  const src = path.resolve("packages/cli/src/bench/cpu32.c");
  if (!fs.existsSync(src)) throw new Error(`${src} not found: run from the project root`);
  const bin = buildC(src, "bench-cpu32", [
    "-static",
    "-fno-pie",
    "-no-pie",
    "-O2",
    "-march=i686",
    "-mfpmath=387",
    "-mno-sse",
    "-Wall",
    "-Wextra",
    "-Werror",
  ]);
  const expected = execFileSync(bin, { encoding: "utf8" });
  const image = new Uint8Array(fs.readFileSync(bin));
  const lines: object[] = [];
  const engines = [
    { engine: "jit-wasm", jit: true, jitBackend: "wasm" },
    { engine: "jit-js", jit: true, jitBackend: "js" },
    { engine: "interpreter", jit: false, jitBackend: "js" },
  ] as const;
  for (const { engine, jit, jitBackend } of engines) {
    const walls: number[] = [],
      cpus: number[] = [];
    let instructions = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now(),
        u0 = process.cpuUsage().user;
      const r = runUserMode(image, { jit, jitBackend });
      walls.push(performance.now() - t0);
      cpus.push((process.cpuUsage().user - u0) / 1000);
      const out = Buffer.from(r.stdout).toString();
      if (r.error || out !== expected)
        throw new Error(
          `cpu32 (${engine}): ${r.error ?? `printed ${JSON.stringify(out)}, the host ${JSON.stringify(expected)}`}`,
        );
      instructions = r.instructions;
    }
    const wall = median(walls),
      cpu = median(cpus);
    lines.push({
      workload: "user32 mpi+sieve+crc+sort+hash",
      engine,
      instructions,
      wall_ms: Math.round(wall),
      mips: Math.round((instructions / wall / 1000) * 10) / 10,
      cpu_ms: Math.round(cpu),
      mips_cpu: Math.round((instructions / cpu / 1000) * 10) / 10,
      runs,
    });
  }
  return lines;
}
