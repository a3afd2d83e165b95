// The guest catalog as the server describes it at /guests/catalog.json. Images are served from
// a local folder (see packages/web/server/guests.ts); the page fetches them like any file.

import type { MediaRole } from "./protocol.ts";

export interface CatalogFile {
  role: MediaRole;
  name: string;
  /** Same-origin URL of the file. */
  url: string;
  bytes: number;
  /** SHA-256 of the file (64 lowercase hex digits): how snapshots name their base images. */
  sha256: string;
}

export interface CatalogEntry {
  id: string;
  title: string;
  description: string;
  /** Every file is on the server. */
  available: boolean;
  /** Files that are not, and how to get them. */
  missing: string[];
  files: CatalogFile[];
  /** Memory the guest wants, MiB. */
  memoryMiB: number;
  /** Kernel command line (Linux guests). */
  cmdline?: string;
  /** Text that shows the guest is ready (e.g. the prompt). */
  ready?: string;
}

/**
 * Firmware the server offers instead of the built-in BIOS (docs/firmware.md): a system BIOS
 * and the video BIOS that goes with the page's VGA.
 */
export interface FirmwareEntry {
  /** "seabios". */
  id: string;
  /** "SeaBIOS 1.16.2-debian-1.16.2-1": the version read from the image when it says one. */
  title: string;
  available: boolean;
  /** Why it is not, and how to get it. */
  missing: string[];
  /** The "bios" file, then the "vga-bios" one. */
  files: CatalogFile[];
}

export interface Catalog {
  /** Folder the server reads guest images from (for the "how to add images" hint). */
  guestsDir: string;
  entries: CatalogEntry[];
  /** Firmware images (absent from an older server: none). */
  firmware?: FirmwareEntry[];
}

/** Every file the catalog lists, guests' and firmware's: where a snapshot's base images are looked for. */
export function catalogFiles(catalog: Catalog): CatalogFile[] {
  return [...catalog.entries, ...(catalog.firmware ?? [])].flatMap((e) => e.files);
}

export const CATALOG_URL = "/guests/catalog.json";
