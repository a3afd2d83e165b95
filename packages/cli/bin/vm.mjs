#!/usr/bin/env node
// Launcher for `pnpm vm`: bundles the runner (packages/cli/src/main.ts and the workspace
// packages it imports) into one ES module with esbuild, then runs it. One bundle lets V8 treat
// the CPU's module-level constants as constants and inline across modules, which makes the
// interpreter markedly faster than loading each TypeScript file as its own module. The bundle
// is cached under node_modules/.cache and rebuilt when a source file is newer.
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "../../..");
const entry = path.join(root, "packages/cli/src/main.ts");
const out = path.join(root, "node_modules/.cache/x86vm/vm.mjs");

function newestSource(dir) {
  let newest = 0;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (ent.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

const sources = ["core", "devices", "cli"].map((p) => path.join(root, "packages", p, "src"));
const stale = !fs.existsSync(out) || Math.max(...sources.map(newestSource)) > fs.statSync(out).mtimeMs;
if (stale) {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
await import(url.pathToFileURL(out).href);
