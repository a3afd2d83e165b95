// Snapshots in the page: the "Open snapshot" flow (files and share links) as state for the
// Snapshots panel, and the browser-only helpers (share URL, download, reading a File). The
// checks and the image search are in snapshot-plan.ts.

import type { SnapshotManifest } from "@x86vm/core";
import type { Catalog } from "../shared/catalog.ts";
import { SNAPSHOT_ID_RE, SNAPSHOT_LIMITS } from "../shared/snapshot-limits.ts";
import { formatBytes } from "./allocator.ts";
import { fetchCatalog } from "./catalog.ts";
import type { DownloadProgress } from "./download.ts";
import { messageOf } from "../shared/message.ts";
import {
  fetchSharedSnapshot,
  ImagesNeeded,
  linkLabel,
  missingMessage,
  planRestore,
  provideImage,
  SnapshotRefused,
  type SnapshotPlan,
} from "./snapshot-plan.ts";
import type { VmHandle, VmManager } from "./vm-host.ts";

export {
  describeNeed,
  ImagesNeeded,
  SnapshotRefused,
  snapshotFileName,
  type ImageNeed,
  type SnapshotPlan,
} from "./snapshot-plan.ts";

/**
 * Reads a snapshot file the user opened, refusing one over the size limit before reading it;
 * `onProgress` hears the bytes read (a file on a slow disk or a network share takes a while).
 */
export async function readSnapshotFile(file: File, onProgress?: (p: DownloadProgress) => void): Promise<Uint8Array> {
  if (file.size > SNAPSHOT_LIMITS.maxBytes) {
    throw new SnapshotRefused(
      `Cannot open ${file.name}: it is ${formatBytes(file.size)}, more than the ${formatBytes(SNAPSHOT_LIMITS.maxBytes)} a snapshot may have here`,
    );
  }
  if (!onProgress) return new Uint8Array(await file.arrayBuffer());
  const out = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let loaded = 0;
  onProgress({ loaded, total: file.size });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.byteLength > out.length)
      throw new SnapshotRefused(`Cannot open ${file.name}: it changed while read`);
    out.set(value, loaded);
    loaded += value.byteLength;
    onProgress({ loaded, total: file.size });
  }
  if (loaded !== out.length) throw new SnapshotRefused(`Cannot open ${file.name}: it changed while read`);
  return out;
}

/** The page's URL with the snapshot id: opening it resumes the VM. */
export function shareUrl(id: string): string {
  const u = new URL(location.href);
  u.search = "";
  u.hash = "";
  u.searchParams.set("snapshot", id);
  return u.toString();
}

/** Saves bytes as a file through the browser's download. */
export function downloadBytes(bytes: ArrayBuffer, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export type OpeningStage = "read" | "download" | "check" | "restore";

/**
 * The page's "Open snapshot" flow (files and share links) as state the Snapshots panel shows:
 * what is being opened, the last refusal, and the images a pending snapshot still needs.
 */
export class SnapshotOpener {
  busy = false;
  status: string | null = null;
  error: string | null = null;
  pending: SnapshotPlan | null = null;
  /** The step under way while busy: "read" (a file), "download" (a link), "check" or "restore". */
  stage: OpeningStage | null = null;
  /**
   * How far the step is, in bytes: of the file read, of the share link's snapshot received, of
   * the machine state the worker has restored.
   */
  progress: DownloadProgress | null = null;
  /** While checking: the base image being downloaded from the server, and how far it is. */
  image: { name: string; progress: DownloadProgress } | null = null;
  /** Where the snapshot comes from: a file read here, a share link downloaded, or bytes given (page API). */
  source: "file" | "link" | null = null;
  /** What is being opened ("share link 796bc9fc…", "dos.x86snap"), while busy or waiting for images. */
  label: string | null = null;
  version = 0;
  private readonly listeners = new Set<() => void>();
  /** When the current opening began (host ms), for the time it took. */
  private startedAt = 0;

  constructor(private readonly manager: VmManager) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  private async run<T>(status: string, f: () => Promise<T>): Promise<T> {
    if (!this.busy) {
      this.startedAt = performance.now();
      this.source = null;
    }
    this.busy = true;
    this.status = status;
    this.progress = null;
    this.image = null;
    this.error = null;
    this.changed();
    try {
      return await f();
    } catch (e) {
      if (e instanceof ImagesNeeded) {
        this.status = e.message;
        throw e;
      }
      this.status = null;
      this.error = e instanceof SnapshotRefused ? e.message : `Cannot open the snapshot: ${messageOf(e)}`;
      throw e instanceof SnapshotRefused ? e : new SnapshotRefused(this.error);
    } finally {
      this.busy = false;
      this.stage = null;
      this.progress = null;
      this.image = null;
      if (!this.pending) this.label = null;
      this.changed();
    }
  }

  /**
   * Opens snapshot bytes into a new VM. With images still missing, the plan waits in `pending`
   * (the panel asks for them) and this rejects with the list.
   */
  openBytes(bytes: Uint8Array, label: string): Promise<VmHandle> {
    return this.run(`Opening ${label.replace(/…$/, "")}…`, async () => {
      this.pending = null;
      this.label = label;
      this.setStage("check");
      let catalog: Catalog | null = null;
      try {
        catalog = await fetchCatalog();
      } catch {
        /* no catalog: every referenced image must be opened by hand */
      }
      const plan = await planRestore(
        bytes,
        label,
        catalog,
        (m) => this.manager.checkRestoreFits(m, label, imageBytes(m)),
        (name, progress) => {
          this.image = { name, progress };
          this.changed();
        },
      );
      this.image = null;
      return this.finish(plan);
    });
  }

  openFile(file: File): Promise<VmHandle> {
    return this.run(`Opening ${file.name}…`, async () => {
      this.label = file.name;
      this.source = "file";
      const bytes = await readSnapshotFile(file, (p) => {
        this.stage = "read";
        this.progress = p;
        this.changed();
      });
      this.progress = null;
      return this.openBytes(bytes, file.name);
    });
  }

  openLink(id: string): Promise<VmHandle> {
    return this.run(
      `Fetching ${SNAPSHOT_ID_RE.test(id) ? linkLabel(id).replace(/…$/, "") : "the share link"}…`,
      async () => {
        this.label = SNAPSHOT_ID_RE.test(id) ? linkLabel(id) : "the share link";
        this.source = "link";
        return this.openBytes(
          await fetchSharedSnapshot(id, (p) => {
            this.stage = "download";
            this.progress = p;
            this.changed();
          }),
          linkLabel(id),
        );
      },
    );
  }

  private setStage(stage: OpeningStage): void {
    this.stage = stage;
    this.progress = null;
    this.changed();
  }

  /** A file the user opened for the pending snapshot; resumes it once nothing is missing. */
  provide(file: { name: string; bytes: ArrayBuffer }): Promise<VmHandle> {
    const plan = this.pending;
    if (!plan) return Promise.reject(new SnapshotRefused("no snapshot is waiting for images"));
    return this.run(`Checking ${file.name}…`, async () => {
      this.setStage("check");
      try {
        await provideImage(plan, file);
      } catch (e) {
        // The plan still waits: the user may open another file.
        this.pending = plan;
        throw e;
      }
      return this.finish(plan);
    });
  }

  cancel(): void {
    this.pending = null;
    this.label = null;
    this.status = null;
    this.error = null;
    this.changed();
  }

  private async finish(plan: SnapshotPlan): Promise<VmHandle> {
    if (plan.missing.length) {
      this.pending = plan;
      throw new ImagesNeeded(missingMessage(plan));
    }
    this.pending = null;
    this.status = `Resuming ${plan.label.replace(/…$/, "")}…`;
    this.setStage("restore");
    const vm = await this.manager.restore(plan, undefined, (p) => {
      this.progress = p;
      this.changed();
    });
    this.status = `Resumed ${plan.label} as "${vm.name}" in ${((performance.now() - this.startedAt) / 1000).toFixed(1)} s`;
    return vm;
  }
}

/** Memory the images of a snapshot take (all of them: found, embedded, or still to be opened). */
function imageBytes(m: SnapshotManifest): number {
  return m.images.reduce((n, r) => n + r.size, 0);
}
