// Guest images for new VMs: the server's catalog, or files from the user's own disk.

import { FLOPPY_FORMATS } from "@x86vm/core";
import { CATALOG_URL, type Catalog, type CatalogEntry, type FirmwareEntry } from "../shared/catalog.ts";
import type { MediaFile, MediaRole } from "../shared/protocol.ts";
import { readWithProgress, type DownloadProgress } from "./download.ts";

export type { DownloadProgress } from "./download.ts";

export async function fetchCatalog(): Promise<Catalog> {
  const res = await fetch(CATALOG_URL, { cache: "no-store" });
  if (!res.ok) throw new Error(`the guest catalog is not available (${res.status} ${res.statusText})`);
  return (await res.json()) as Catalog;
}

/** Files of the catalog to download together: a guest's, a firmware's, or both (joinDownloads). */
export type DownloadSet = Pick<CatalogEntry, "title" | "available" | "missing" | "files">;

/** Several sets as one download (one progress over all of their files). */
export function joinDownloads(...sets: DownloadSet[]): DownloadSet {
  return {
    title: sets.map((s) => s.title).join(" + "),
    available: sets.every((s) => s.available),
    missing: sets.flatMap((s) => (s.available ? [] : [`${s.title}: ${s.missing.join("; ")}`])),
    files: sets.flatMap((s) => s.files),
  };
}

/** The firmware a new VM can run: the built-in BIOS, or one the server offers (FirmwareEntry ids). */
export type FirmwareChoice = "builtin" | "seabios";

export const FIRMWARE_CHOICES: readonly FirmwareChoice[] = ["builtin", "seabios"];

/**
 * Why a VM cannot run `id` (one sentence), or null when it can: the server lacks it, or the
 * guest is a Linux kernel given as a file, which only the built-in BIOS loads.
 */
export function firmwareProblem(catalog: Catalog | null, id: FirmwareChoice, bootsKernel: boolean): string | null {
  if (id === "builtin") return null;
  const fw = catalog?.firmware?.find((f) => f.id === id);
  if (!catalog) return "the server's catalog is not loaded";
  if (!fw) return `this server offers no ${id}`;
  if (!fw.available) return `it is not on this server: ${fw.missing.join("; ")}`;
  if (bootsKernel)
    return "it loads no Linux kernel given as a file (the built-in BIOS does): boot a disk or CD with it";
  return null;
}

/** The catalog's firmware `id`, available, or an error naming what is wrong. */
export function firmwareEntry(catalog: Catalog, id: Exclude<FirmwareChoice, "builtin">): FirmwareEntry {
  const fw = catalog.firmware?.find((f) => f.id === id);
  if (!fw) throw new Error(`this server offers no ${id}`);
  if (!fw.available) throw new Error(`${fw.title} is not on this server: ${fw.missing.join("; ")}`);
  return fw;
}

/**
 * The firmware a VM runs, as its panel names it, from its media: "Built-in BIOS" without a
 * system BIOS image, "SeaBIOS" for the server's, else the image's file name.
 */
export function firmwareLabel(media: readonly { role: string; name: string; url?: string | null }[]): string {
  const bios = media.find((m) => m.role === "bios");
  if (!bios) return "Built-in BIOS";
  if (bios.url?.startsWith("/guests/seabios/")) return "SeaBIOS";
  return `BIOS ${bios.name}`;
}

/** Downloads a catalog guest's files, reporting the bytes received over all of them. */
export async function fetchGuestMedia(
  entry: DownloadSet,
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
