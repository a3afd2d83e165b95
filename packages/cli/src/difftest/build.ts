// Builds the difftest programs (programs/*.c) with Debian's i686 cross-compiler into a cache
// folder outside the source tree, so no binary is ever committed. A binary's file name carries
// a hash of everything that went into it (compiler, flags, the program and the shared headers),
// so an edited program is rebuilt and an unchanged one is reused.
//
//   npx tsx packages/cli/src/difftest/build.ts [--clean]     build all, print the paths
//
// The cache is $DIFFTEST_CACHE if set, else node_modules/.cache/x86vm-difftest at the root.

import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

/**
 * The repository's root: the first folder up from this module that holds pnpm-workspace.yaml.
 * (Searched, not counted: `vm` runs this code from a bundle in node_modules/.cache.)
 */
function repoRoot(): string {
  for (let d = path.dirname(url.fileURLToPath(import.meta.url)); ;) {
    if (fs.existsSync(path.join(d, "pnpm-workspace.yaml"))) return d;
    const up = path.dirname(d);
    if (up === d) return process.cwd();
    d = up;
  }
}
const ROOT = repoRoot();
export const PROGRAMS_DIR = path.join(ROOT, "packages/cli/src/difftest/programs");
export const CACHE_DIR = process.env.DIFFTEST_CACHE ?? path.join(ROOT, "node_modules/.cache/x86vm-difftest");

export const CC = "i686-linux-gnu-gcc";
/**
 * Static, non-PIE (Debian's compiler defaults to PIE, which takes EBX for the GOT and moves
 * every global through it), i686 with x87 arithmetic and no SSE, as the issue asks.
 */
export const CFLAGS = [
  "-static",
  "-fno-pie",
  "-no-pie",
  "-O1",
  "-march=i686",
  "-mfpmath=387",
  "-mno-sse",
  "-Wall",
  "-Wextra",
  "-Werror",
];

/**
 * Flags added for one program: mmx.c uses the intrinsics of mmintrin.h, which need -mmmx (still
 * without SSE, so the compiler emits no SSE instruction the emulated CPU lacks). sse_move.c needs
 * -msse for xmmintrin.h and the "x" constraint; at -O1, with x87 floating point, the compiler
 * adds only moves of its own (MOVAPS for the 16-byte copies), all implemented. sse_arith.c and
 * sse_convert.c name their SSE2 instructions in inline assembly, so -msse is enough for them too.
 * sse2_int.c needs -msse2 for its SSE2 inline assembly; sse2_loops.c is compiled with -O3 -msse2
 * -ftree-vectorize so that the compiler turns its integer loops into SSE2 code (floating point
 * stays on the x87). sse_vec.c is compiled with -O2 -msse2 -mfpmath=sse -fno-math-errno: its
 * floating-point loops become scalar and packed SSE/SSE2 code (SQRTSS/SQRTPS inline, no libm).
 */
export const PROGRAM_FLAGS: Readonly<Record<string, readonly string[]>> = {
  mmx: ["-mmmx"],
  sse_move: ["-msse"],
  sse_arith: ["-msse"],
  sse_convert: ["-msse"],
  sse2_int: ["-msse2"],
  sse2_loops: ["-msse2", "-O3", "-ftree-vectorize"],
  sse_vec: ["-O2", "-msse2", "-mfpmath=sse", "-fno-math-errno"],
};

export class ToolchainError extends Error {}

/** The program names (file names without .c), sorted. */
export function programNames(): string[] {
  return fs
    .readdirSync(PROGRAMS_DIR)
    .filter((f) => f.endsWith(".c"))
    .map((f) => f.slice(0, -2))
    .sort();
}

let compilerId: string | null = null;
function compilerVersion(): string {
  if (compilerId === null) {
    try {
      compilerId = execFileSync(CC, ["--version"], { encoding: "utf8" }).split("\n")[0];
    } catch (e) {
      throw new ToolchainError(
        `${CC} is not available (${(e as Error).message.split("\n")[0]}); install Debian's gcc-i686-linux-gnu`,
      );
    }
  }
  return compilerId;
}

/** Builds one program if its cached binary is missing; returns the binary's path. */
export function buildProgram(name: string): string {
  const src = path.join(PROGRAMS_DIR, `${name}.c`);
  if (!fs.existsSync(src)) throw new Error(`no difftest program ${name} (${src})`);
  return buildC(src, name, [...CFLAGS, ...(PROGRAM_FLAGS[name] ?? [])]);
}

/**
 * Builds the C file src (with the headers beside it) as cache entry `name`, unless a build of
 * the same inputs is cached; returns the binary's path.
 */
export function buildC(src: string, name: string, flags: readonly string[]): string {
  const dir = path.dirname(src);
  const h = crypto.createHash("sha256");
  h.update(compilerVersion()).update("\0").update(flags.join(" ")).update("\0").update(fs.readFileSync(src));
  for (const f of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".h"))
    .sort()) {
    h.update("\0")
      .update(f)
      .update("\0")
      .update(fs.readFileSync(path.join(dir, f)));
  }
  const out = path.join(CACHE_DIR, `${name}-${h.digest("hex").slice(0, 12)}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${out}.tmp${process.pid}`;
  try {
    execFileSync(CC, [...flags, "-o", tmp, src], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`building ${name} failed:\n${err.stderr || err.message}`, { cause: e });
  }
  fs.renameSync(tmp, out);
  // Older builds of the same program are stale now.
  for (const f of fs.readdirSync(CACHE_DIR)) {
    if (f !== path.basename(out) && new RegExp(`^${name}-[0-9a-f]{12}$`).test(f))
      fs.rmSync(path.join(CACHE_DIR, f), { force: true });
  }
  return out;
}

/** Builds every program; returns name -> binary path. */
export function buildAll(): Map<string, string> {
  return new Map(programNames().map((n) => [n, buildProgram(n)]));
}

if (process.argv[1] && path.resolve(process.argv[1]) === url.fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--clean")) fs.rmSync(CACHE_DIR, { recursive: true, force: true });
  try {
    for (const [name, bin] of buildAll()) console.log(`${name.padEnd(20)} ${bin}`);
  } catch (e) {
    console.error(`difftest build: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
