// The app server the fixture boots in: X86VM_URL when set, else this repository's production
// server (packages/web/server/serve.ts) started on a free port, built first when dist/web is
// missing or older than the sources. One build at a time: workers that start together take
// turns through a lock folder beside the build.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import url from "node:url";

/** This repository's root. */
export const REPO_ROOT = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "../../..");
const DIST_INDEX = path.join(REPO_ROOT, "dist/web/index.html");
const SOURCES = ["packages/web/src", "packages/web/index.html", "packages/core/src", "packages/devices/src"];
const BUILD_LOCK = path.join(REPO_ROOT, "dist/.x86vm-testing-build");
const START_TIMEOUT_MS = 180_000;

export interface AppServer {
  url: string;
  stop(): Promise<void>;
}

function newestMtime(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) {
    if (e === "node_modules") continue;
    newest = Math.max(newest, newestMtime(path.join(p, e)));
  }
  return newest;
}

/** Whether dist/web is missing or older than a source file of the page or the emulator. */
export function buildIsStale(): boolean {
  const built = newestMtime(DIST_INDEX);
  return built === 0 || SOURCES.some((s) => newestMtime(path.join(REPO_ROOT, s)) > built);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the page if it is stale, one process at a time. */
async function buildOnce(): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  fs.mkdirSync(path.dirname(BUILD_LOCK), { recursive: true });
  for (;;) {
    if (!buildIsStale()) return;
    try {
      fs.mkdirSync(BUILD_LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // A lock left by a build that died long ago does not hold anyone up.
      if (Date.now() - newestMtime(BUILD_LOCK) > START_TIMEOUT_MS)
        fs.rmSync(BUILD_LOCK, { recursive: true, force: true });
    }
    if (Date.now() > deadline) throw new Error(`x86vm testing: waited too long for another build (${BUILD_LOCK})`);
    await sleep(500);
  }
  try {
    if (!buildIsStale()) return;
    const { build } = await import("vite");
    await build({ configFile: path.join(REPO_ROOT, "vite.config.ts"), logLevel: "warn" });
  } finally {
    fs.rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** Waits for the child's "serving http://..." line; rejects with its output if it exits first. */
function waitServing(child: ChildProcess, urlWanted: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => fail(new Error(`did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(new Error(`x86vm testing: the app server ${e.message}\n${out}`));
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(`serving ${urlWanted}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => fail(new Error(`exited (status ${code}) before serving`)));
  });
}

/** X86VM_URL, or this repository's server started for the caller (stop() ends it). */
export async function startAppServer(): Promise<AppServer> {
  const given = process.env.X86VM_URL;
  if (given) return { url: given.endsWith("/") ? given : `${given}/`, stop: async () => {} };
  await buildOnce();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const snapshots = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-testing-snapshots-"));
  const child = spawn(process.execPath, ["--import", "tsx", "packages/web/server/serve.ts", "--no-build"], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", X86VM_SNAPSHOTS: snapshots },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    await waitServing(child, base);
  } catch (e) {
    child.kill();
    throw e;
  }
  return {
    url: base,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) resolve();
        else {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }
        fs.rmSync(snapshots, { recursive: true, force: true });
      }),
  };
}
