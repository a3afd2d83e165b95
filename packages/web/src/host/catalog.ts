// Guest images for new VMs: the server's catalog, or files from the user's own disk.

import { FLOPPY_FORMATS } from "@x86vm/core";
import { CATALOG_URL, type Catalog, type CatalogEntry } from "../shared/catalog.ts";
import type { MediaFile, MediaRole } from "../shared/protocol.ts";
import { readWithProgress, type DownloadProgress } from "./download.ts";

export type { DownloadProgress } from "./download.ts";

export async function fetchCatalog(): Promise<Catalog> {
  const res = await fetch(CATALOG_URL, { cache: "no-store" });
  if (!res.ok) throw new Error(`the guest catalog is not available (${res.status} ${res.statusText})`);
  return (await res.json()) as Catalog;
}

/** Downloads a catalog guest's files, reporting the bytes received over all of them. */
export async function fetchGuestMedia(
  entry: CatalogEntry,
  onProgress?: (p: DownloadProgress) => void,
): Promise<MediaFile[]> {
  if (!entry.available) throw new Error(`${entry.title} is not on this server: ${entry.missing.join("; ")}`);
  const each = entry.files.map(() => ({ loaded: 0, total: 0 }));
  const report = () => {
    if (!onProgress) return;
    const loaded = each.reduce((n, p) => n + p.loaded, 0);
    // The total is known once every file's is.
    const total = each.every((p) => p.total > 0) ? each.reduce((n, p) => n + p.total, 0) : 0;
    onProgress({ loaded, total });
  };
  return Promise.all(
    entry.files.map(async (f, i) => {
      const res = await fetch(f.url);
      if (!res.ok) throw new Error(`cannot download ${f.name}: ${res.status} ${res.statusText}`);
      const bytes = await readWithProgress(res, (p) => {
        each[i] = p;
        report();
      });
      return { role: f.role, name: f.name, bytes, url: f.url };
    }),
  );
}

export async function readUserFile(file: File, role: MediaRole): Promise<MediaFile> {
  return { role, name: file.name, bytes: await file.arrayBuffer() };
}

export type OwnImageKind = "floppy" | "hdd" | "cdrom" | "linux";

/** A first guess at what an image is, from its name and size; the user can change it. */
export function guessImageKind(name: string, bytes: number): OwnImageKind {
  const n = name.toLowerCase();
  if (n.endsWith(".iso")) return "cdrom";
  if (/(bzimage|vmlinuz)/.test(n)) return "linux";
  if (FLOPPY_FORMATS.some((f) => f.size === bytes)) return "floppy";
  return "hdd";
}
