// Serves the guest catalog and its images, for every server of the page (Vite dev and preview
// through a plugin, and the production server of `pnpm start`).
//
// Images live in one local folder that `pnpm images` fills: $X86VM_GUESTS if set, else
// $XDG_CACHE_HOME/x86-guests (~/.cache/x86-guests). Until that command exists, the FreeDOS
// floppy is also found in ../shared/guests/ beside the repository, and the Linux guest in
// <folder>/linux-686/{bzImage,initrd.gz} as `pnpm images` (or ../shared/guests/build-linux-guest.sh) writes it.
// Firmware: SeaBIOS from <folder>/seabios/ (where `pnpm images` copies it), else from Debian's
// seabios package in /usr/share/seabios/: bios-256k.bin and vgabios-stdvga.bin (the video BIOS
// of the page's VGA, PCI 1234:1111). It is listed under the catalog's `firmware`.
// The catalog is worked out again on every request, so images that appear later are listed
// without a restart. Each file is listed with its SHA-256 (hashed once per size and mtime), by
// which a page finds the base images a snapshot names.
//
//   GET /guests/catalog.json        the Catalog (src/shared/catalog.ts)
//   GET /guests/<id>/<file>         one image file (firmware too: /guests/seabios/bios-256k.bin)
//
// Every response carries the cross-origin isolation headers and CORP same-origin.

import crypto from "node:crypto";
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import os from "node:os";
import path from "node:path";
import type { Catalog, CatalogEntry, CatalogFile, FirmwareEntry } from "../src/shared/catalog.ts";
import type { MediaRole } from "../src/shared/protocol.ts";

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** The folder guest images are read from. */
export function guestsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.X86VM_GUESTS) return path.resolve(env.X86VM_GUESTS);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(cache, "x86-guests");
}

interface GuestFileDef {
  role: MediaRole;
  name: string;
  candidates: string[];
  hint: string;
}
interface GuestDef {
  id: string;
  title: string;
  description: string;
  memoryMiB: number;
  cmdline?: string;
  ready?: string;
  files: GuestFileDef[];
}

export function guestDefs(repoRoot: string, dir: string): GuestDef[] {
  const linux = path.join(dir, "linux-686");
  const build = "run  pnpm images  (about 20 s) to build it, then reload the page";
  return [
    {
      id: "freedos",
      title: "FreeDOS (720 KiB boot floppy)",
      description: "FreeDOS with FreeCOM, a few tools, demos and games. Boots to A:\\> in about a second.",
      memoryMiB: 32,
      ready: "A:\\>",
      files: [
        {
          role: "fda",
          name: "freedos722.img",
          candidates: [path.join(dir, "freedos722.img"), path.resolve(repoRoot, "../shared/guests/freedos722.img")],
          hint: `freedos722.img is not in ${dir}`,
        },
      ],
    },
    {
      id: "linux",
      title: "Linux 6.1 (Debian 686 kernel, busybox initrd)",
      description: "The reference Linux guest: kernel and initrd booted directly; its shell is on COM1.",
      memoryMiB: 128,
      cmdline: "console=ttyS0",
      ready: "# ",
      files: [
        {
          role: "kernel",
          name: "bzImage",
          candidates: [path.join(linux, "bzImage")],
          hint: `the Linux guest is not built yet (${linux}): ${build}`,
        },
        {
          role: "initrd",
          name: "initrd.gz",
          candidates: [path.join(linux, "initrd.gz")],
          hint: `the Linux guest is not built yet (${linux}): ${build}`,
        },
      ],
    },
  ];
}

/** Where Debian's seabios package installs its images. */
export const SYSTEM_SEABIOS_DIR = "/usr/share/seabios";

/** SeaBIOS's files: the system BIOS, and the video BIOS for a Bochs/QEMU standard VGA (1234:1111). */
export const SEABIOS_FILES = [
  { role: "bios", name: "bios-256k.bin" },
  { role: "vga-bios", name: "vgabios-stdvga.bin" },
] as const satisfies readonly { role: MediaRole; name: string }[];

/** The version a SeaBIOS image carries ("1.16.2-debian-1.16.2-1"), or null. */
export function seabiosVersion(image: Uint8Array): string | null {
  const text = Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString("latin1");
  // The build's version string sits NUL-terminated near the "SeaBIOS (version %s)" format.
  const m = /\0(\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.+~-]+)?)\0/.exec(text);
  return m ? m[1] : null;
}

function statFile(p: string): fs.Stats | null {
  try {
    const s = fs.statSync(p);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

/** SHA-256 of image files, by path; recomputed when a file's size or time changes. */
const hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

function fileSha256(p: string, st: fs.Stats): string {
  const c = hashes.get(p);
  if (c && c.size === st.size && c.mtimeMs === st.mtimeMs) return c.sha256;
  const sha256 = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
  hashes.set(p, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

export interface ResolvedCatalog {
  catalog: Catalog;
  /** URL path -> file on disk. */
  files: Map<string, string>;
}

const versions = new Map<string, { size: number; mtimeMs: number; version: string | null }>();

function fileVersion(p: string, st: fs.Stats): string | null {
  const c = versions.get(p);
  if (c && c.size === st.size && c.mtimeMs === st.mtimeMs) return c.version;
  const version = seabiosVersion(fs.readFileSync(p));
  versions.set(p, { size: st.size, mtimeMs: st.mtimeMs, version });
  return version;
}

/**
 * SeaBIOS, from the first folder that has both of its files: <dir>/seabios, then `system`
 * (Debian's package). Adds its URLs to `files`.
 */
function seabiosEntry(dir: string, system: string, files: Map<string, string>): FirmwareEntry {
  const folders = [path.join(dir, "seabios"), system];
  for (const folder of folders) {
    const found = SEABIOS_FILES.map((f) => ({
      ...f,
      p: path.join(folder, f.name),
      s: statFile(path.join(folder, f.name)),
    }));
    if (!found.every((f) => f.s)) continue;
    const out: CatalogFile[] = found.map((f) => {
      const url = `/guests/seabios/${f.name}`;
      files.set(url, f.p);
      return { role: f.role, name: f.name, url, bytes: f.s!.size, sha256: fileSha256(f.p, f.s!) };
    });
    const version = fileVersion(found[0].p, found[0].s!);
    return {
      id: "seabios",
      title: version ? `SeaBIOS ${version}` : "SeaBIOS",
      available: true,
      missing: [],
      files: out,
    };
  }
  return {
    id: "seabios",
    title: "SeaBIOS",
    available: false,
    missing: [
      `SeaBIOS is in neither ${folders.join(" nor ")}: run  pnpm images  (it copies Debian's seabios package there), then reload the page`,
    ],
    files: [],
  };
}

export function resolveCatalog(
  repoRoot: string,
  dir = guestsDir(),
  seabiosSystem = SYSTEM_SEABIOS_DIR,
): ResolvedCatalog {
  const files = new Map<string, string>();
  const entries: CatalogEntry[] = guestDefs(repoRoot, dir).map((g) => {
    const missing: string[] = [];
    const out: CatalogEntry["files"] = [];
    for (const f of g.files) {
      const found = f.candidates.map((p) => ({ p, s: statFile(p) })).find((x) => x.s);
      if (!found) {
        if (!missing.includes(f.hint)) missing.push(f.hint);
        continue;
      }
      const url = `/guests/${g.id}/${encodeURIComponent(f.name)}`;
      files.set(url, found.p);
      out.push({ role: f.role, name: f.name, url, bytes: found.s!.size, sha256: fileSha256(found.p, found.s!) });
    }
    return {
      id: g.id,
      title: g.title,
      description: g.description,
      available: missing.length === 0,
      missing,
      files: out,
      memoryMiB: g.memoryMiB,
      cmdline: g.cmdline,
      ready: g.ready,
    };
  });
  const firmware = [seabiosEntry(dir, seabiosSystem, files)];
  return { catalog: { guestsDir: dir, entries, firmware }, files };
}

export function setIsolationHeaders(res: ServerResponse): void {
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
}

type Next = (err?: unknown) => void;

/** Connect-style middleware for /guests/ (Vite's servers and the production server). */
export function guestMiddleware(repoRoot: string): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  return (req, res, next) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith("/guests/")) {
      next();
      return;
    }
    setIsolationHeaders(res);
    res.setHeader("Cache-Control", "no-cache");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.statusCode = 405;
      res.setHeader("Allow", "GET, HEAD");
      res.end();
      return;
    }
    const { catalog, files } = resolveCatalog(repoRoot);
    if (url.pathname === "/guests/catalog.json") {
      const body = JSON.stringify(catalog);
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Content-Length", Buffer.byteLength(body));
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    const file = files.get(url.pathname);
    const st = file ? statFile(file) : null;
    if (!file || !st) {
      res.statusCode = 404;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end(`no guest image at ${url.pathname}\n`);
      return;
    }
    res.setHeader("Content-Type", "application/octet-stream");
    res.setHeader("Content-Length", st.size);
    res.setHeader("Last-Modified", st.mtime.toUTCString());
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const stream = fs.createReadStream(file);
    stream.on("error", (e) => {
      res.destroy(e);
    });
    stream.pipe(res);
  };
}
