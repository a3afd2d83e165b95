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

export interface Catalog {
  /** Folder the server reads guest images from (for the "how to add images" hint). */
  guestsDir: string;
  entries: CatalogEntry[];
}

export const CATALOG_URL = "/guests/catalog.json";
