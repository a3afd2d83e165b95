import os from "node:os";
import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

// The files that take minutes (Linux boots, the guest networks, the long conformance runs), in
// the order to start them when no earlier run's timings are cached (a clean clone, as in CI):
// with the slowest started first, the other files fill the remaining workers around them and the
// run ends with short files, not with one long boot on a single core.
const SLOW_FIRST = [
  "packages/cli/src/commands/net-linux.test.ts",
  "packages/cli/src/commands/seabios-boot.test.ts",
  "packages/cli/src/difftest/difftest.test.ts",
  "packages/cli/src/session/linux-realtime.test.ts",
  "packages/cli/src/session/linux.test.ts",
  "packages/cli/src/commands/net-nat-linux.test.ts",
  "packages/cli/src/session/linux-acpi.test.ts",
  "packages/cli/src/commands/resume-linux.test.ts",
  "packages/devices/src/pc/snapshot-fuzz.test.ts",
  "packages/cli/src/session/jit-equivalence.test.ts",
  "packages/core/src/cpu/hot.test.ts",
  "packages/core/src/cpu/jit/jit.test.ts",
  "packages/cli/src/session/linux-tsc-stalls.test.ts",
  "packages/core/src/conformance/conformance.test.ts",
  "packages/web/src/worker/deflate-count.test.ts",
  "packages/cli/src/commands/conformance.test.ts",
  "packages/cli/src/session/grub-gfxterm.test.ts",
];

class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // With every file's duration cached, the base order (longest first) is already the one wanted.
    const key = (f: TestSpecification) => `${f.project.name}:${path.relative(this.ctx.config.root, f.moduleId)}`;
    if (sorted.every((f) => this.ctx.cache.getFileTestResults(key(f)))) return sorted;
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    return sorted
      .map((f, i) => [f, i] as const)
      .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
      .map(([f]) => f);
  }
}

// Unit, device, conformance and boot tests run in Node; the Playwright specs in e2e/ are separate.
export default defineConfig({
  test: {
    // (packages/web/server: the production server's snapshot store, in Node; scripts: the check
    // that generated files match their generators.)
    include: ["packages/*/src/**/*.test.ts", "packages/web/server/**/*.test.ts", "scripts/**/*.test.ts"],
    // Two files run at once on a 2-core host, beside whatever else the host runs: a CPU-bound
    // test that takes 30 s alone (hot.test.ts, the JIT's Linux equivalence) can take four times
    // that on a loaded host.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    // One test file per core: Vitest's default in a run is one core fewer (a single worker on a
    // 2-core host), which leaves a core idle while the CPU-bound boot tests run.
    maxWorkers: os.availableParallelism(),
    sequence: { sequencer: SlowFirstSequencer },
  },
});
