// `pnpm bench:cpu`: a CPU-bound real-mode program (cpu-bench.asm) run on a bare CPU with RAM
// only. Reports instructions retired, wall time and MIPS, median of several fresh runs.

import { CS, Cpu, Dispatcher, EDX, PhysicalMemory } from "@x86vm/core";
import { CPU_BENCH_IMAGE, CPU_BENCH_LOAD } from "./cpu-bench-image.ts";

export interface CpuBenchRun { instructions: number; wall_ms: number; checksum: number }

export function runCpuBenchOnce(image: Uint8Array = CPU_BENCH_IMAGE): CpuBenchRun {
  const mem = new PhysicalMemory(new SharedArrayBuffer(1 << 20));
  const cpu = new Cpu(mem, new Dispatcher());
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

export function runCpuBench(runs = 5): { workload: string; instructions: number; wall_ms: number; mips: number; checksum: string } {
  const results: CpuBenchRun[] = [];
  for (let i = 0; i < runs; i++) results.push(runCpuBenchOnce());
  const wall = median(results.map((r) => r.wall_ms));
  const n = results[0].instructions;
  if (results.some((r) => r.instructions !== n || r.checksum !== results[0].checksum)) {
    throw new Error("benchmark runs disagree: the CPU is not deterministic");
  }
  return {
    workload: "real-mode sieve+checksum+copy+muldiv",
    instructions: n,
    wall_ms: Math.round(wall),
    mips: Math.round((n / wall / 1000) * 10) / 10,
    checksum: "0x" + results[0].checksum.toString(16),
  };
}
