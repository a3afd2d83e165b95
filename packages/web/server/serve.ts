// `pnpm start`: builds the web app for production (Vite) and serves it, in one process, with
// the headers cross-origin isolation needs, the guest images (guests.ts) and the snapshot store
// behind share links (snapshot-store.ts), and the network relay for the VMs' NAT (net-relay.ts,
// off unless X86VM_NET_ALLOW or X86VM_NET_CONFIG lists destinations).
//
//   PORT (default 4173), HOST (default 127.0.0.1), X86VM_GUESTS (guest image folder),
//   X86VM_SNAPSHOTS (snapshot folder), X86VM_SNAPSHOT_MAX_BYTES (largest snapshot stored),
//   X86VM_NET_ALLOW, X86VM_NET_RATE, X86VM_NET_MAX_STREAMS, X86VM_NET_CONFIG (the relay)
//   --no-build   serve the existing dist/web without building it again
//
// When neither the guest folder nor Debian's package has SeaBIOS, it is fetched in the
// background (`vm images --seabios`: Debian's seabios package, no root needed); the catalog
// lists it once it is there.

import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import url from "node:url";
import { guestMiddleware, resolveCatalog, setIsolationHeaders } from "./guests.ts";
import { snapshotMiddleware, SnapshotStore, snapshotStoreOptions } from "./snapshot-store.ts";
import { formatAllowEntry, lanLimits, NetRelay, relayConfigFromEnv, type RelayConfig } from "./net-relay.ts";
import { messageOf } from "../src/shared/message.ts";

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "../../..");
const dist = path.join(root, "dist/web");

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

function sendFile(req: http.IncomingMessage, res: http.ServerResponse, file: string, st: fs.Stats): void {
  res.setHeader("Content-Type", MIME[path.extname(file)] ?? "application/octet-stream");
  res.setHeader("Content-Length", st.size);
  // Hashed build outputs never change; the page itself must always be fresh.
  res.setHeader(
    "Cache-Control",
    file.startsWith(path.join(dist, "assets") + path.sep) ? "public, max-age=31536000, immutable" : "no-cache",
  );
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  fs.createReadStream(file)
    .on("error", (e) => res.destroy(e))
    .pipe(res);
}

function statFile(p: string): fs.Stats | null {
  try {
    const s = fs.statSync(p);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

function serveStatic(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.statusCode = 405;
    res.setHeader("Allow", "GET, HEAD");
    res.end();
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  } catch {
    res.statusCode = 400;
    res.end("bad URL\n");
    return;
  }
  const file = path.join(dist, path.normalize(pathname));
  if (file !== dist && !file.startsWith(dist + path.sep)) {
    res.statusCode = 403;
    res.end("forbidden\n");
    return;
  }
  const st = statFile(file) ?? statFile(path.join(file, "index.html"));
  if (st) {
    sendFile(req, res, statFile(file) ? file : path.join(file, "index.html"), st);
    return;
  }
  // A path without an extension is a page of the app: the app routes it.
  const index = path.join(dist, "index.html");
  const ist = statFile(index);
  if (!path.extname(pathname) && ist) {
    sendFile(req, res, index, ist);
    return;
  }
  res.statusCode = 404;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end("not found\n");
}

/** Fetches SeaBIOS in the background (vm images --seabios) when the server has none. */
function provideSeabios(): void {
  if (resolveCatalog(root).catalog.firmware?.every((f) => f.available)) return;
  console.log("x86vm: no SeaBIOS here: fetching Debian's seabios package in the background (pnpm images --seabios)");
  const child = spawn(process.execPath, [path.join(root, "packages/cli/bin/vm.mjs"), "images", "--seabios"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  child.on("error", (e) => console.error(`x86vm: cannot fetch SeaBIOS: ${e.message}`));
  child.on("exit", (code) => {
    if (code === 0) console.log("x86vm: SeaBIOS is ready (the New VM form offers it)");
    else console.error(`x86vm: fetching SeaBIOS failed: ${err.trim().split("\n").pop() ?? `exit ${code}`}`);
  });
}

async function main(): Promise<void> {
  if (!process.argv.includes("--no-build")) {
    const { build } = await import("vite");
    await build({ configFile: path.join(root, "vite.config.ts"), logLevel: "warn" });
  }
  if (!statFile(path.join(dist, "index.html"))) {
    console.error(`x86vm: ${dist}/index.html is missing: build the app first (pnpm build)`);
    process.exit(1);
  }
  const guests = guestMiddleware(root);
  let store: SnapshotStore;
  try {
    store = new SnapshotStore(snapshotStoreOptions());
  } catch (e) {
    console.error(`x86vm: cannot open the snapshot store: ${messageOf(e)}`);
    process.exit(1);
  }
  const snapshots = snapshotMiddleware(store, (line) => console.log(`x86vm: ${line}`));
  let relayConfig: RelayConfig | null;
  try {
    relayConfig = relayConfigFromEnv();
  } catch (e) {
    console.error(`x86vm: the network relay's configuration: ${messageOf(e)}`);
    process.exit(1);
  }
  const relay = new NetRelay(relayConfig, { log: (line) => console.log(`x86vm: ${line}`) });
  const relayInfo = relay.middleware();
  const server = http.createServer((req, res) => {
    setIsolationHeaders(res);
    const fail = (err: unknown) => {
      if (err) {
        res.statusCode = 500;
        res.end();
        return true;
      }
      return false;
    };
    guests(req, res, (err) => {
      if (fail(err)) return;
      snapshots(req, res, (err2) => {
        if (fail(err2)) return;
        relayInfo(req, res, (err3) => {
          if (!fail(err3)) serveStatic(req, res);
        });
      });
    });
  });
  relay.attach(server);
  const port = Number(process.env.PORT ?? 4173);
  const host = process.env.HOST ?? "127.0.0.1";
  server.on("error", (e) => {
    console.error(`x86vm: cannot serve on ${host}:${port}: ${e.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    console.log(
      `x86vm: serving http://${host === "0.0.0.0" ? "localhost" : host}:${port}/ (dist/web, guest images from /guests/, snapshots in ${store.dir})`,
    );
    console.log(
      relayConfig
        ? `x86vm: network relay on at /net: guests may reach ${relayConfig.allow.map(formatAllowEntry).join(", ")} (per VM ${relayConfig.rateBytesPerSecond} bytes/s each way and ${relayConfig.maxStreams} streams; per page ${lanLimits(relayConfig).rate} bytes/s and ${lanLimits(relayConfig).maxStreams} streams)`
        : "x86vm: network relay off (X86VM_NET_ALLOW lists what guests may reach)",
    );
  });
  provideSeabios();
  const stop = () => {
    relay.close();
    server.close(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

await main();
