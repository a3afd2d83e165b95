#!/usr/bin/env node
// `pnpm test`: the prerequisites first (scripts/prereqs.mjs: Debian packages, Chromium, the Linux
// guest; it stops at once with one line if they cannot be had), then every check in turn. A
// failing step does not hide the later ones: all run, a summary lists each, and the exit code is
// non-zero if any failed.
import { spawnSync } from "node:child_process";
import path from "node:path";
import url from "node:url";

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

const prereqs = spawnSync(process.execPath, [path.join(root, "scripts/prereqs.mjs")], { stdio: "inherit", cwd: root });
if (prereqs.status !== 0) process.exit(prereqs.status ?? 1);

const STEPS = [
  ["lint", bin("eslint"), ["--max-warnings", "0", "."]],
  ["format", bin("prettier"), ["--check", "--log-level", "warn", "."]],
  ["typecheck", "pnpm", ["typecheck"]],
  ["unit, device, CPU and boot tests (vitest)", bin("vitest"), ["run"]],
  ["browser tests (Playwright)", bin("playwright"), ["test", "-c", "e2e/playwright.config.ts"]],
];

const results = [];
for (const [name, cmd, args] of STEPS) {
  console.log(`\n== ${name}`);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  const ok = r.status === 0;
  results.push({ name, ok, s: (performance.now() - t0) / 1000 });
  if (!ok) console.log(`== ${name}: FAILED (exit ${r.status ?? r.signal})`);
}
console.log("\n== summary");
for (const r of results) console.log(`${r.ok ? "ok    " : "FAILED"}  ${r.name} (${r.s.toFixed(1)} s)`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
