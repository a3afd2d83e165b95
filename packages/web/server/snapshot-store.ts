// The snapshot store behind share links (`pnpm start`): snapshots kept on local disk under their
// content hash, so a link names exactly one snapshot and two shares of the same bytes are one file.
//
//   POST /snapshots            body: the snapshot's bytes -> 201 { id, bytes, url } (200 when
//                              the same bytes were stored before). id is their SHA-256 (hex).
//   GET  /snapshots/<id>       the snapshot; HEAD too. <id> is 64 lowercase hex digits.
//   GET  /snapshots            { maxBytes }: what the store accepts.
//
// Refusals are JSON { error } with a one-line message: 413 over the size limit, 400 for bytes
// that are not a well-formed snapshot (readSnapshotManifest: container, checksum, manifest) or an
// id that is not hex, 404 for an unknown id, 405 for other methods.
//
// File names come only from the hash the server computes, never from the request (no name,
// header or path the client sends reaches the file system). Writes are atomic: the bytes go to
// a temporary file in the same folder (created exclusively, flushed), which is then renamed to
// `<id>.x86snap`; a reader sees the whole file or none. Temporary files a crash left behind are
// removed when the store opens.
//
//   X86VM_SNAPSHOTS              the folder (default $XDG_CACHE_HOME/x86vm/snapshots, i.e.
//                                ~/.cache/x86vm/snapshots)
//   X86VM_SNAPSHOT_MAX_BYTES     largest snapshot accepted (default 256 MiB)

import crypto from "node:crypto";
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import { MAX_RAM_BYTES, readSnapshotManifest, SnapshotError } from "@x86vm/core";
import { setIsolationHeaders } from "./guests.ts";
import { messageOf } from "../src/shared/message.ts";

export const DEFAULT_SNAPSHOT_MAX_BYTES = 256 * 1024 * 1024;
/** Limits of the manifest check beyond the file size: as large as the emulator allows anywhere (`vm resume`). */
const MANIFEST_LIMITS = { maxMemoryBytes: MAX_RAM_BYTES, maxImageBytes: 64 * 2 ** 30 };
const ID_RE = /^[0-9a-f]{64}$/;
const SUFFIX = ".x86snap";
const TMP_PREFIX = ".tmp-";

export interface SnapshotStoreOptions {
  dir: string;
  maxBytes: number;
  /** Tests: called between writing the temporary file and renaming it into place. */
  beforeRename?: (tmp: string, final: string) => void | Promise<void>;
}

/** The store's folder and size limit from the environment. */
export function snapshotStoreOptions(env: NodeJS.ProcessEnv = process.env): SnapshotStoreOptions {
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  const dir = env.X86VM_SNAPSHOTS ? path.resolve(env.X86VM_SNAPSHOTS) : path.join(cache, "x86vm", "snapshots");
  let maxBytes = DEFAULT_SNAPSHOT_MAX_BYTES;
  if (env.X86VM_SNAPSHOT_MAX_BYTES) {
    maxBytes = Number(env.X86VM_SNAPSHOT_MAX_BYTES);
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) {
      throw new Error(
        `X86VM_SNAPSHOT_MAX_BYTES must be a whole number of bytes (at least 1024), got ${JSON.stringify(env.X86VM_SNAPSHOT_MAX_BYTES)}`,
      );
    }
  }
  return { dir, maxBytes };
}

/** A refusal with its HTTP status. */
export class StoreError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function isSnapshotId(id: string): boolean {
  return ID_RE.test(id);
}

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export class SnapshotStore {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly beforeRename?: SnapshotStoreOptions["beforeRename"];

  constructor(opts: SnapshotStoreOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.beforeRename = opts.beforeRename;
    fs.mkdirSync(this.dir, { recursive: true });
    for (const name of fs.readdirSync(this.dir)) {
      if (name.startsWith(TMP_PREFIX)) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  /** The file of a snapshot id; throws StoreError(400) for anything but 64 lowercase hex digits. */
  fileOf(id: string): string {
    if (!isSnapshotId(id)) throw new StoreError(400, "a snapshot id is 64 lowercase hex digits (its SHA-256)");
    return path.join(this.dir, id + SUFFIX);
  }

  tooLarge(bytes: number): StoreError {
    return new StoreError(
      413,
      `the snapshot is ${formatBytes(bytes)}, more than the ${formatBytes(this.maxBytes)} this server stores`,
    );
  }

  /**
   * Checks that `bytes` is a well-formed snapshot and stores it under its SHA-256. Returns the
   * id, and whether a new file was written (false: those bytes were already stored).
   */
  async put(bytes: Uint8Array): Promise<{ id: string; created: boolean }> {
    if (bytes.length > this.maxBytes) throw this.tooLarge(bytes.length);
    try {
      await readSnapshotManifest(bytes, { maxBytes: this.maxBytes, ...MANIFEST_LIMITS });
    } catch (e) {
      if (e instanceof SnapshotError) throw new StoreError(400, `not a snapshot this server stores: ${e.message}`);
      throw e;
    }
    const id = crypto.createHash("sha256").update(bytes).digest("hex");
    const final = this.fileOf(id);
    if (fs.existsSync(final)) return { id, created: false };
    const tmp = path.join(
      this.dir,
      `${TMP_PREFIX}${id.slice(0, 16)}-${process.pid}-${crypto.randomBytes(6).toString("hex")}`,
    );
    try {
      const fh = await fs.promises.open(tmp, "wx", 0o644);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.beforeRename?.(tmp, final);
      await fs.promises.rename(tmp, final);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
    return { id, created: true };
  }

  /** The stored file and its size, or null. */
  stat(id: string): { file: string; size: number } | null {
    const file = this.fileOf(id);
    try {
      const st = fs.statSync(file);
      return st.isFile() ? { file, size: st.size } : null;
    } catch {
      return null;
    }
  }
}

/** Reads a request body of at most `max` bytes; StoreError(413) past that. */
function readBody(req: IncomingMessage, max: number, tooLarge: (n: number) => StoreError): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) {
      reject(tooLarge(declared));
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      total += chunk.length;
      if (total > max) {
        done = true;
        req.pause();
        reject(tooLarge(total));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      const buf = Buffer.concat(chunks, total);
      resolve(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    });
    req.on("error", (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
    // A client that goes away mid-upload: nothing to answer, nothing kept.
    req.on("close", () => {
      if (!done) {
        done = true;
        reject(new StoreError(400, "the upload was cut short"));
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.setHeader("Cache-Control", "no-store");
  res.end(text);
}

type Next = (err?: unknown) => void;

/** Connect-style middleware for /snapshots (the production server; see the header). */
export function snapshotMiddleware(
  store: SnapshotStore,
  log: (line: string) => void = () => {},
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  return (req, res, next) => {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    if (pathname !== "/snapshots" && !pathname.startsWith("/snapshots/")) {
      next();
      return;
    }
    setIsolationHeaders(res);
    void handle(store, req, res, pathname, log).catch((e: unknown) => {
      log(`snapshot store: ${messageOf(e)}`);
      if (!res.headersSent) sendJson(res, 500, { error: "the snapshot store failed; see the server's log" });
      else res.destroy();
    });
  };
}

async function handle(
  store: SnapshotStore,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  log: (line: string) => void,
): Promise<void> {
  const method = req.method ?? "GET";
  if (pathname === "/snapshots" || pathname === "/snapshots/") {
    if (method === "POST") {
      let bytes: Uint8Array;
      try {
        bytes = await readBody(req, store.maxBytes, (n) => store.tooLarge(n));
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
        // The rest of the upload is not read: answer, then close the connection.
        res.setHeader("Connection", "close");
        sendJson(res, e.status, { error: e.message });
        return;
      }
      try {
        const { id, created } = await store.put(bytes);
        if (created) log(`snapshot store: stored ${id} (${bytes.length} bytes)`);
        sendJson(res, created ? 201 : 200, { id, bytes: bytes.length, url: `/?snapshot=${id}` });
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
        sendJson(res, e.status, { error: e.message });
      }
      return;
    }
    if (method === "GET" || method === "HEAD") {
      sendJson(res, 200, { maxBytes: store.maxBytes });
      return;
    }
    res.setHeader("Allow", "GET, HEAD, POST");
    sendJson(res, 405, { error: `${method} is not allowed on /snapshots` });
    return;
  }
  if (method !== "GET" && method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    sendJson(res, 405, { error: `${method} is not allowed on a stored snapshot` });
    return;
  }
  const id = pathname.slice("/snapshots/".length);
  let found: { file: string; size: number } | null;
  try {
    found = store.stat(id);
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    sendJson(res, e.status, { error: e.message });
    return;
  }
  if (!found) {
    sendJson(res, 404, { error: `no snapshot ${id} on this server` });
    return;
  }
  res.statusCode = 200;
  res.setHeader("Content-Type", "application/octet-stream");
  res.setHeader("Content-Length", found.size);
  // Content-addressed: the bytes behind an id never change.
  res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
  res.setHeader("ETag", `"${id}"`);
  if (method === "HEAD") {
    res.end();
    return;
  }
  fs.createReadStream(found.file)
    .on("error", (e) => res.destroy(e))
    .pipe(res);
}
