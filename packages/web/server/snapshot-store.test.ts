// The snapshot store of `pnpm start` (snapshot-store.ts) over real HTTP on a temporary folder:
// POST and GET by content hash, id validation, atomic writes, the size limit, refusal of bytes
// that are not a snapshot, and no way for a request to name a file.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine, saveSnapshot } from "@x86vm/devices";
import {
  snapshotMiddleware,
  SnapshotStore,
  snapshotStoreOptions,
  type SnapshotStoreOptions,
} from "./snapshot-store.ts";

/** A real snapshot: a 1 MiB PC that ran a boot sector printing a line. */
async function makeSnapshot(): Promise<Uint8Array> {
  const img = new Uint8Array(1474560);
  // xor ax,ax / mov ds,ax / mov si,msg / mov ah,0Eh / mov bx,7 / next: lodsb / test al,al / jz $ / int 10h / jmp next
  const code = "31c08ed8be1a7cb40ebb0700ac84c07404cd10ebf7ebfe" + Buffer.from("store test\0").toString("hex");
  Buffer.from(code, "hex").forEach((b, i) => {
    img[i] = b;
  });
  img[510] = 0x55;
  img[511] = 0xaa;
  const pc = new PcMachine({ memoryMiB: 1, clock: "deterministic", fda: new MemoryDisk(img, true) });
  for (let i = 0; i < 50; i++) pc.run(10e6);
  return saveSnapshot(pc);
}

const sha256 = (b: Uint8Array) => crypto.createHash("sha256").update(b).digest("hex");

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: () => Record<string, unknown>;
}

let snap: Uint8Array;
const servers: http.Server[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  snap = await makeSnapshot();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-store-"));
  dirs.push(d);
  return d;
}

async function serve(opts: Partial<SnapshotStoreOptions> = {}): Promise<{
  store: SnapshotStore;
  request: (
    method: string,
    p: string,
    body?: Uint8Array | Uint8Array[],
    headers?: http.OutgoingHttpHeaders,
  ) => Promise<Reply>;
}> {
  const store = new SnapshotStore({ dir: path.join(tempDir(), "snapshots"), maxBytes: 64 << 20, ...opts });
  const mw = snapshotMiddleware(store);
  const server = http.createServer((req, res) =>
    mw(req, res, () => {
      res.statusCode = 404;
      res.end("static");
    }),
  );
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const request = (
    method: string,
    p: string,
    body?: Uint8Array | Uint8Array[],
    headers: http.OutgoingHttpHeaders = {},
  ) =>
    new Promise<Reply>((resolve, reject) => {
      // A list of chunks goes out chunked (no Content-Length).
      const chunked = Array.isArray(body);
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method,
          path: p,
          headers: body && !chunked ? { "Content-Length": body.length, ...headers } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const buf = Buffer.concat(chunks);
            resolve({
              status: res.statusCode!,
              headers: res.headers,
              body: buf,
              json: () => JSON.parse(buf.toString()) as Record<string, unknown>,
            });
          });
        },
      );
      req.on("error", reject);
      if (chunked) for (const c of body) req.write(c);
      else if (body) req.write(body);
      req.end();
    });
  return { store, request };
}

const files = (store: SnapshotStore) => fs.readdirSync(store.dir).sort();

describe("snapshot store", () => {
  it("stores a POSTed snapshot under its SHA-256 and serves it back", async () => {
    const { store, request } = await serve();
    const id = sha256(snap);
    const r = await request("POST", "/snapshots", snap, { "Content-Type": "application/octet-stream" });
    expect(r.status).toBe(201);
    expect(r.json()).toEqual({ id, bytes: snap.length, url: `/?snapshot=${id}` });
    expect(r.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(r.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    expect(r.headers["cross-origin-resource-policy"]).toBe("same-origin");
    expect(files(store)).toEqual([`${id}.x86snap`]);
    expect(Buffer.compare(fs.readFileSync(path.join(store.dir, `${id}.x86snap`)), snap)).toBe(0);

    // The same bytes again: the same id, nothing written.
    const again = await request("POST", "/snapshots", snap);
    expect(again.status).toBe(200);
    expect(again.json().id).toBe(id);
    expect(files(store)).toEqual([`${id}.x86snap`]);

    const g = await request("GET", `/snapshots/${id}`);
    expect(g.status).toBe(200);
    expect(Buffer.compare(g.body, snap)).toBe(0);
    expect(g.headers["content-type"]).toBe("application/octet-stream");
    expect(g.headers["content-length"]).toBe(String(snap.length));
    expect(g.headers["cache-control"]).toContain("immutable");
    expect(g.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    expect(g.headers["cross-origin-resource-policy"]).toBe("same-origin");
    const h = await request("HEAD", `/snapshots/${id}`);
    expect(h.status).toBe(200);
    expect(h.headers["content-length"]).toBe(String(snap.length));
    expect(h.body.length).toBe(0);
    expect((await request("GET", "/snapshots")).json()).toEqual({ maxBytes: 64 << 20 });
    // Other paths are not the store's.
    expect((await request("GET", "/snapshotsx")).body.toString()).toBe("static");
  });

  it("accepts only 64 lowercase hex digits as an id, and answers 404 for an unknown one", async () => {
    const { request } = await serve();
    await request("POST", "/snapshots", snap);
    const id = sha256(snap);
    for (const bad of [id.toUpperCase(), id.slice(1), `${id}0`, "zz", "", `${id}.x86snap`, `${id.slice(0, 63)}g`]) {
      const r = await request("GET", `/snapshots/${bad}`);
      expect(r.status, bad).toBe(bad === "" ? 200 : 400); // "/snapshots/" is the store itself
      if (bad !== "") expect(r.json().error).toMatch(/64 lowercase hex digits/);
    }
    const missing = await request("GET", `/snapshots/${"0".repeat(64)}`);
    expect(missing.status).toBe(404);
    expect(missing.json().error).toMatch(/no snapshot 0{64}/);
  });

  it("never lets a request name a file: traversal, other methods, and client-sent names go nowhere", async () => {
    const { store, request } = await serve();
    const outside = path.join(path.dirname(store.dir), "secret.x86snap");
    fs.writeFileSync(outside, snap);
    for (const p of [
      "/snapshots/..%2fsecret",
      "/snapshots/..%2F..%2Fsecret.x86snap",
      "/snapshots/%2e%2e/secret",
      "/snapshots/../secret.x86snap",
      "/snapshots/a/../../secret",
      "/snapshots/%00",
      `/snapshots/${sha256(snap)}%00`,
    ]) {
      const r = await request("GET", p);
      expect([400, 404], p).toContain(r.status);
      expect(Buffer.compare(r.body, snap), p).not.toBe(0);
    }
    expect((await request("POST", "/snapshots/evil", snap)).status).toBe(405);
    expect((await request("PUT", `/snapshots/${sha256(snap)}`, snap)).status).toBe(405);
    expect((await request("DELETE", `/snapshots/${sha256(snap)}`)).status).toBe(405);
    expect((await request("PUT", "/snapshots", snap)).status).toBe(405);
    const r = await request("POST", "/snapshots?name=../../evil", snap, {
      "X-File-Name": "../../evil",
      "Content-Disposition": 'attachment; filename="../evil"',
    });
    expect(r.status).toBe(201);
    expect(files(store)).toEqual([`${sha256(snap)}.x86snap`]);
    expect(fs.readdirSync(path.dirname(store.dir)).sort()).toEqual(["secret.x86snap", "snapshots"]);
  });

  it("refuses bytes that are not a well-formed snapshot, and stores nothing", async () => {
    const { store, request } = await serve();
    const corrupt = snap.slice();
    corrupt[200] ^= 1;
    const version = snap.slice();
    version[8] = 9;
    const cases: [Uint8Array, RegExp][] = [
      [new TextEncoder().encode("hello, this is not a snapshot at all; it is long enough for a header."), /bad magic/],
      [snap.slice(0, snap.length - 10), /truncated/],
      [corrupt, /checksum mismatch/],
      [version, /format version 9 is not supported/],
      [new Uint8Array(0), /truncated/],
    ];
    for (const [bytes, re] of cases) {
      const r = await request("POST", "/snapshots", bytes);
      expect(r.status).toBe(400);
      expect(r.json().error).toMatch(/^not a snapshot this server stores: /);
      expect(r.json().error).toMatch(re);
    }
    expect(files(store)).toEqual([]);
  });

  it("refuses a snapshot over the size limit with 413 and a message, declared or streamed", async () => {
    const { store, request } = await serve({ maxBytes: snap.length - 1 });
    const r = await request("POST", "/snapshots", snap);
    expect(r.status).toBe(413);
    expect(r.json().error).toMatch(/more than the .* this server stores/);
    // Without a Content-Length: counted as it arrives.
    const half = snap.length >> 1;
    const s = await request("POST", "/snapshots", [snap.subarray(0, half), snap.subarray(half)]);
    expect(s.status).toBe(413);
    expect(files(store)).toEqual([]);
    // At the limit exactly, it is stored.
    const { request: ok } = await serve({ maxBytes: snap.length });
    expect((await ok("POST", "/snapshots", [snap.subarray(0, half), snap.subarray(half)])).status).toBe(201);
  });

  it("writes atomically: the whole file under a temporary name, then a rename; a failed write leaves nothing", async () => {
    const seen: { tmp: string; final: string; tmpBytes: number; finalExists: boolean }[] = [];
    let failNext = false;
    const { store, request } = await serve({
      beforeRename: (tmp, final) => {
        seen.push({ tmp, final, tmpBytes: fs.statSync(tmp).size, finalExists: fs.existsSync(final) });
        if (failNext) throw new Error("disk full (simulated)");
      },
    });
    failNext = true;
    const r = await request("POST", "/snapshots", snap);
    expect(r.status).toBe(500);
    expect(r.json().error).toMatch(/store failed/);
    expect(files(store)).toEqual([]); // neither the snapshot nor the temporary file
    failNext = false;
    expect((await request("POST", "/snapshots", snap)).status).toBe(201);
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(path.dirname(s.tmp)).toBe(store.dir);
      expect(path.basename(s.tmp)).toMatch(/^\.tmp-/);
      expect(s.tmpBytes).toBe(snap.length);
      expect(s.finalExists).toBe(false);
      expect(s.final).toBe(path.join(store.dir, `${sha256(snap)}.x86snap`));
    }
    expect(files(store)).toEqual([`${sha256(snap)}.x86snap`]);
    // Temporary files a crash left behind are cleared when the store opens.
    fs.writeFileSync(path.join(store.dir, ".tmp-left-behind"), "x");
    expect(files(new SnapshotStore({ dir: store.dir, maxBytes: 1 << 20 }))).toEqual([`${sha256(snap)}.x86snap`]);
  });

  it("takes its folder and size limit from the environment", () => {
    const home = os.homedir();
    expect(snapshotStoreOptions({})).toEqual({
      dir: path.join(home, ".cache", "x86vm", "snapshots"),
      maxBytes: 256 << 20,
    });
    expect(snapshotStoreOptions({ XDG_CACHE_HOME: "/c" })).toEqual({ dir: "/c/x86vm/snapshots", maxBytes: 256 << 20 });
    expect(snapshotStoreOptions({ X86VM_SNAPSHOTS: "/s", X86VM_SNAPSHOT_MAX_BYTES: "1048576" })).toEqual({
      dir: "/s",
      maxBytes: 1 << 20,
    });
    expect(() => snapshotStoreOptions({ X86VM_SNAPSHOT_MAX_BYTES: "lots" })).toThrow(/X86VM_SNAPSHOT_MAX_BYTES/);
  });
});
