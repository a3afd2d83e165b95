// Where a difftest program runs. A runner takes the path of a static i386 executable and
// returns what it printed; the test compares runners line by line. Two exist here: the host
// CPU itself (this machine executes i386 binaries natively) and the emulator's user-mode
// runner. A third, the reference Linux guest booted with a test initramfs, can implement the
// same interface later.
//
// The user-mode runner runs in a child process: the emulator is bundled into one module with
// esbuild first (as bin/vm.mjs does, so V8 inlines across the CPU's modules), runs can proceed
// in parallel on several cores, and a run that hangs is killed by its timeout.

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";
import { CACHE_DIR } from "./build.ts";

export interface RunOutput {
  stdout: string;
  exitCode: number | null;
  /** Why the run did not end normally (signal, timeout, guest exception, emulator error). */
  error: string | null;
  /** Anything else worth reporting: stderr, unknown system calls, instruction count. */
  notes: string[];
}

export interface ProgramRunner {
  readonly name: string;
  run(programPath: string): Promise<RunOutput>;
}

interface Spawned {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

function spawnCollect(cmd: string, args: string[], timeoutMs: number): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: {}, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [],
      err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString("latin1"),
        stderr: Buffer.concat(err).toString("utf8"),
        code,
        signal,
        timedOut,
      });
    });
  });
}

/** The host CPU: the program runs as a normal process with an empty environment. */
export class NativeRunner implements ProgramRunner {
  readonly name = "native";
  constructor(private readonly timeoutMs = 120_000) {}

  async run(programPath: string): Promise<RunOutput> {
    const r = await spawnCollect(programPath, [], this.timeoutMs);
    const notes = r.stderr ? [`stderr: ${r.stderr.trim()}`] : [];
    let error: string | null = null;
    if (r.timedOut) error = `timed out after ${this.timeoutMs} ms`;
    else if (r.signal) error = `killed by ${r.signal}`;
    else if (r.code !== 0) error = `exit status ${r.code}`;
    return { stdout: r.stdout, exitCode: r.code, error, notes };
  }
}

const HERE = path.dirname(url.fileURLToPath(import.meta.url));
const USERMODE_ENTRY = path.resolve(HERE, "../usermode/main.ts");
const BUNDLE = path.join(CACHE_DIR, "usermode.mjs");

function newestSource(dir: string): number {
  let newest = 0;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (ent.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

let bundling: Promise<string> | null = null;
/** Bundles the user-mode runner when a source of core or cli is newer than the bundle. */
export function bundleUserMode(): Promise<string> {
  bundling ??= (async () => {
    const sources = ["core", "cli"].map((p) => path.resolve(HERE, "../../..", p, "src"));
    const stale = !fs.existsSync(BUNDLE) || Math.max(...sources.map(newestSource)) > fs.statSync(BUNDLE).mtimeMs;
    if (stale) {
      const { build } = await import("esbuild");
      await build({
        entryPoints: [USERMODE_ENTRY],
        outfile: BUNDLE,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        sourcemap: "linked",
        logLevel: "warning",
        banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      });
    }
    return BUNDLE;
  })();
  return bundling;
}

/** The emulator: the flat-machine user-mode runner (usermode/main.ts) in a child process. */
/**
 * Runs of a block before the JIT compiles it, in difftests: far below the default, so that
 * nearly every loop of a test program runs as compiled code and is checked against the host.
 */
export const DIFFTEST_JIT_THRESHOLD = 40;

export class UserModeRunner implements ProgramRunner {
  readonly name = "emulator";
  constructor(
    private readonly timeoutMs = 600_000,
    private readonly maxInstructions = 3e9,
    /** What blocks compile to, and after how many runs (default: JavaScript, DIFFTEST_JIT_THRESHOLD). */
    private readonly jit: { backend: "js" | "wasm"; threshold: number } = {
      backend: "js",
      threshold: DIFFTEST_JIT_THRESHOLD,
    },
  ) {}

  async run(programPath: string): Promise<RunOutput> {
    const bundle = await bundleUserMode();
    const r = await spawnCollect(
      process.execPath,
      [
        bundle,
        "--max-instructions",
        String(this.maxInstructions),
        "--jit-threshold",
        String(this.jit.threshold),
        "--jit",
        this.jit.backend,
        programPath,
      ],
      this.timeoutMs,
    );
    const notes: string[] = [];
    let status: {
      exitCode: number | null;
      error: string | null;
      unknownSyscalls: string[];
      instructions: number;
      ms: number;
    } | null = null;
    const other: string[] = [];
    for (const line of r.stderr.split("\n")) {
      if (line.startsWith("usermode-status: ")) status = JSON.parse(line.slice(17));
      else if (line && !line.startsWith("usermode: ")) other.push(line);
    }
    if (other.length) notes.push(`guest stderr: ${other.join(" | ")}`);
    if (status?.unknownSyscalls.length)
      notes.push(`unknown system calls (answered -ENOSYS): ${status.unknownSyscalls.join(", ")}`);
    if (status) notes.push(`${(status.instructions / 1e6).toFixed(1)} M instructions in ${status.ms} ms`);
    let error: string | null = null;
    if (r.timedOut) error = `timed out after ${this.timeoutMs} ms`;
    else if (status === null)
      error = `runner crashed (exit ${r.code ?? r.signal}): ${r.stderr.trim().split("\n").slice(-5).join(" | ")}`;
    else if (status.error) error = status.error;
    else if (status.exitCode !== 0) error = `exit status ${status.exitCode}`;
    return { stdout: r.stdout, exitCode: status?.exitCode ?? null, error, notes };
  }
}
