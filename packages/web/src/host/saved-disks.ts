// Saved disks: what the guests wrote to their drives, kept in this browser (IndexedDB) so it
// outlives the page. The worker notes every write to a drive (copy-on-write overlays over the
// images, 512-byte sectors); every few seconds, and before a VM is destroyed or the page is
// hidden or left, the sectors written since the last look are saved under the VM's disk id (a
// VM resumed from saved disks keeps the id, so its record goes on), in chunks of CHUNK_SECTORS
// sectors: a save costs what was written since the last one, not the whole disk. A record names every image
// of the VM by SHA-256: catalog images are fetched again from the server by URL, the user's own
// images are stored once beside the records (by hash). From the list the user can resume a VM
// with its disks as they were, download a drive as an image with the writes applied, or delete
// the record.
//
// Database "x86vm-disks" (version 2): store "vms" (SavedVm by id), store "images" ({ sha256,
// bytes } of the user's own images that records name), store "sectors" (SectorOverlay chunks
// keyed [id, role, chunk]; chunk = sector / CHUNK_SECTORS).

import { sha256Hex } from "@x86vm/core";
import type { DiskWrites, MediaFile, MediaIdentity, SectorOverlay } from "../shared/protocol.ts";
import type { VmHandle, VmManager } from "./vm-host.ts";

/** How often the VMs are asked for their drives' writes. */
export const DISK_SAVE_MS = 2000;
const DB_NAME = "x86vm-disks";
const DB_VERSION = 2;
const SECTOR = 512;
/** Sectors per stored chunk (64 KiB). */
export const CHUNK_SECTORS = 128;

export interface SavedMedia extends MediaIdentity {
  /** How many of its sectors the guest wrote (drives only; the sectors are in "sectors"). */
  sectors: number;
}

export interface SavedVm {
  id: string;
  vmName: string;
  guest: string;
  memoryMiB: number;
  cmdline: string | null;
  /** Unix ms of the last save. */
  savedAt: number;
  media: SavedMedia[];
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
  });
}

function openDb(): Promise<IDBDatabase> {
  const r = indexedDB.open(DB_NAME, DB_VERSION);
  r.onupgradeneeded = (e) => {
    const db = r.result;
    // Version 1 kept each drive's sectors inside its record: start again (it was never released).
    if (e.oldVersion === 1) for (const name of ["vms", "images"]) db.deleteObjectStore(name);
    db.createObjectStore("vms", { keyPath: "id" });
    db.createObjectStore("images", { keyPath: "sha256" });
    db.createObjectStore("sectors");
  };
  return request(r);
}

/** Every chunk key of a drive of a record (or of every drive, without `role`). */
function chunkRange(id: string, role?: string): IDBKeyRange {
  return role === undefined
    ? IDBKeyRange.bound([id], [id, []])
    : IDBKeyRange.bound([id, role, 0], [id, role, Infinity]);
}

/**
 * `old` with `add`'s sectors put in (replacing the same sector numbers); both sorted, and so is
 * the result.
 */
export function mergeOverlays(old: SectorOverlay | null, add: SectorOverlay): SectorOverlay {
  if (!old || old.sectors.length === 0) return add;
  const sectors: number[] = [];
  const parts: Uint8Array[] = [];
  let i = 0,
    j = 0;
  while (i < old.sectors.length || j < add.sectors.length) {
    const a = i < old.sectors.length ? old.sectors[i] : Infinity;
    const b = j < add.sectors.length ? add.sectors[j] : Infinity;
    if (b <= a) {
      sectors.push(b);
      parts.push(add.data.subarray(j * SECTOR, (j + 1) * SECTOR));
      j++;
      if (a === b) i++;
    } else {
      sectors.push(a);
      parts.push(old.data.subarray(i * SECTOR, (i + 1) * SECTOR));
      i++;
    }
  }
  const data = new Uint8Array(sectors.length * SECTOR);
  parts.forEach((p, k) => data.set(p, k * SECTOR));
  return { sectors: Uint32Array.from(sectors), data };
}

/** An overlay cut into chunks of CHUNK_SECTORS sectors, by chunk number. */
export function chunksOf(o: SectorOverlay): Map<number, SectorOverlay> {
  const out = new Map<number, SectorOverlay>();
  let start = 0;
  while (start < o.sectors.length) {
    const chunk = Math.floor(o.sectors[start] / CHUNK_SECTORS);
    let end = start;
    while (end < o.sectors.length && Math.floor(o.sectors[end] / CHUNK_SECTORS) === chunk) end++;
    out.set(chunk, { sectors: o.sectors.slice(start, end), data: o.data.slice(start * SECTOR, end * SECTOR) });
    start = end;
  }
  return out;
}

/** The image's bytes with the overlay's sectors in place. */
export function applyOverlay(base: ArrayBuffer, overlay: SectorOverlay | null): Uint8Array {
  const out = new Uint8Array(base.slice(0));
  if (!overlay) return out;
  overlay.sectors.forEach((n, i) => {
    const at = n * SECTOR;
    if (at + SECTOR <= out.length) out.set(overlay.data.subarray(i * SECTOR, (i + 1) * SECTOR), at);
  });
  return out;
}

/** "dos.img" -> "dos-changed.img". */
export function changedName(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}-changed${name.slice(dot)}` : `${name}-changed`;
}

export class SavedDisks {
  records: SavedVm[] = [];
  /** Records there were when the page loaded: a reload offers to resume them. */
  fromBefore = 0;
  error: string | null = null;
  version = 0;
  private db: Promise<IDBDatabase> | null = null;
  private readonly listeners = new Set<() => void>();
  private saving = false;
  /** No periodic save before this time (performance.now()). */
  private nextSaveAt = 0;

  constructor(private readonly manager: VmManager) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  private database(): Promise<IDBDatabase> {
    this.db ??= openDb();
    return this.db;
  }

  private async store(name: "vms" | "images" | "sectors", mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.database()).transaction(name, mode).objectStore(name);
  }

  /** Reads the records, then saves the VMs' writes every DISK_SAVE_MS and before each destroy. */
  async start(): Promise<void> {
    try {
      await this.reload();
      this.fromBefore = this.records.length;
    } catch (e) {
      this.error = `Saved disks are not available in this browser: ${e instanceof Error ? e.message : String(e)}`;
    }
    this.changed();
    if (this.error) return;
    setInterval(() => void this.saveAll(), DISK_SAVE_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") void this.saveAll(true);
    });
    // Leaving the page asks first while VMs run (App): the last writes are saved meanwhile.
    window.addEventListener("beforeunload", () => void this.saveAll(true));
    this.manager.beforeDestroy = (vm) => this.saveVm(vm);
  }

  private async reload(): Promise<void> {
    const all = await request((await this.store("vms", "readonly")).getAll() as IDBRequest<SavedVm[]>);
    this.records = all.sort((a, b) => b.savedAt - a.savedAt);
  }

  /**
   * Saves what each VM wrote since the last look. A save that takes long (a whole drive after a
   * reset, a guest writing fast) makes the next periodic one wait ten times as long as it took
   * (`force`, as before a destroy or when the page is hidden, does not wait).
   */
  async saveAll(force = false): Promise<void> {
    if (this.saving || (!force && performance.now() < this.nextSaveAt)) return;
    this.saving = true;
    const t0 = performance.now();
    try {
      for (const vm of this.manager.vms) await this.saveVm(vm);
    } finally {
      this.saving = false;
      const took = performance.now() - t0;
      this.nextSaveAt = performance.now() + Math.max(0, 10 * took - DISK_SAVE_MS);
    }
  }

  async saveVm(vm: VmHandle): Promise<void> {
    if (vm.status === "starting" || vm.status === "destroyed") return;
    let w: DiskWrites | null;
    try {
      w = await vm.diskWrites();
    } catch {
      return; // busy or gone: the next look finds the same writes
    }
    if (!w) return;
    try {
      await this.save(vm, w);
      this.error = null;
    } catch (e) {
      this.error = `Could not save the disk writes of "${vm.name}": ${e instanceof Error ? e.message : String(e)}`;
    }
    this.changed();
  }

  private async save(vm: VmHandle, w: DiskWrites): Promise<void> {
    const id = vm.diskId;
    const before = this.records.find((r) => r.id === id);
    // The user's own images are kept once, by hash (catalog images come from the server again).
    for (const m of w.media) {
      if (m.url) continue;
      const images = await this.store("images", "readonly");
      if ((await request(images.count(m.sha256))) > 0) continue;
      const bytes = await vm.mediaBytes(m.role);
      if (!bytes) throw new Error(`the VM no longer has its ${m.role} image`);
      await request((await this.store("images", "readwrite")).put({ sha256: m.sha256, bytes }));
    }
    // The sectors and the record in one transaction: a save is there whole or not at all.
    const tx = (await this.database()).transaction(["vms", "sectors"], "readwrite");
    const sectors = tx.objectStore("sectors");
    const counts = new Map<string, number>();
    for (const m of w.media) {
      const old = before?.media.find((x) => x.role === m.role && x.sha256 === m.sha256);
      counts.set(m.role, old?.sectors ?? 0);
      if (!old && before?.media.some((x) => x.role === m.role)) sectors.delete(chunkRange(id, m.role)); // another image
    }
    for (const gone of before?.media ?? [])
      if (!w.media.some((m) => m.role === gone.role)) sectors.delete(chunkRange(id, gone.role));
    for (const o of w.overlays) {
      if (!counts.has(o.role)) continue;
      let count = o.whole ? 0 : counts.get(o.role)!;
      if (o.whole) sectors.delete(chunkRange(id, o.role));
      for (const [chunk, part] of chunksOf(o)) {
        const key = [id, o.role, chunk];
        const old = o.whole ? null : ((await request(sectors.get(key))) as SectorOverlay | undefined);
        const merged = mergeOverlays(old ?? null, part);
        count += merged.sectors.length - (old?.sectors.length ?? 0);
        sectors.put(merged, key);
      }
      counts.set(o.role, count);
    }
    const record: SavedVm = {
      id,
      vmName: vm.name,
      guest: vm.request.guest,
      memoryMiB: vm.memoryMiB,
      cmdline: vm.request.cmdline ?? null,
      savedAt: Date.now(),
      media: w.media.map((m) => ({ ...m, sectors: counts.get(m.role) ?? 0 })),
    };
    tx.objectStore("vms").put(record);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    });
    this.records = [record, ...this.records.filter((r) => r.id !== record.id)];
  }

  /** The sectors saved for a drive of a record. */
  private async overlayOf(id: string, role: string): Promise<SectorOverlay | null> {
    const chunks = (await request((await this.store("sectors", "readonly")).getAll(chunkRange(id, role)))) as
      SectorOverlay[] | undefined;
    if (!chunks || chunks.length === 0) return null;
    // getAll returns them in key order: by chunk, so the sectors stay sorted.
    const n = chunks.reduce((k, c) => k + c.sectors.length, 0);
    const out = { sectors: new Uint32Array(n), data: new Uint8Array(n * SECTOR) };
    let at = 0;
    for (const c of chunks) {
      out.sectors.set(c.sectors, at);
      out.data.set(c.data, at * SECTOR);
      at += c.sectors.length;
    }
    return out;
  }

  /** Deletes a record, and the user's images no other record names. */
  async remove(id: string): Promise<void> {
    const gone = this.records.find((r) => r.id === id);
    await request((await this.store("vms", "readwrite")).delete(id));
    await request((await this.store("sectors", "readwrite")).delete(chunkRange(id)));
    this.records = this.records.filter((r) => r.id !== id);
    if (gone) {
      const still = new Set(this.records.flatMap((r) => r.media.map((m) => m.sha256)));
      for (const m of gone.media)
        if (!m.url && !still.has(m.sha256)) await request((await this.store("images", "readwrite")).delete(m.sha256));
    }
    this.changed();
  }

  /** An image a record names: from the server (catalog) or this browser, checked by SHA-256. */
  private async imageBytes(m: SavedMedia): Promise<ArrayBuffer> {
    let bytes: ArrayBuffer | null;
    if (m.url) {
      const res = await fetch(m.url);
      if (!res.ok) throw new Error(`${m.url} could not be downloaded (HTTP ${res.status})`);
      bytes = await res.arrayBuffer();
    } else {
      const row = await request(
        (await this.store("images", "readonly")).get(m.sha256) as IDBRequest<{ bytes: ArrayBuffer } | undefined>,
      );
      bytes = row?.bytes ?? null;
      if (!bytes) throw new Error(`${m.name} is no longer stored in this browser`);
    }
    if (bytes.byteLength !== m.bytes || (await sha256Hex(new Uint8Array(bytes))) !== m.sha256)
      throw new Error(`${m.url ?? m.name} is not the image the disk was written on any more (its SHA-256 differs)`);
    return bytes;
  }

  /** A drive's image with the guest's writes in place, as a file name and bytes. */
  async exportImage(id: string, role: string): Promise<{ name: string; bytes: Uint8Array }> {
    const r = this.records.find((x) => x.id === id);
    const m = r?.media.find((x) => x.role === role);
    if (!r || !m) throw new Error("that saved disk is gone");
    return {
      name: changedName(m.name),
      bytes: applyOverlay(await this.imageBytes(m), await this.overlayOf(r.id, m.role)),
    };
  }

  /** Makes the VM again with its images and their saved writes; it keeps saving to this record. */
  async resume(id: string): Promise<VmHandle> {
    const r = this.records.find((x) => x.id === id);
    if (!r) throw new Error("that saved disk is gone");
    const media: MediaFile[] = [];
    for (const m of r.media) {
      const f: MediaFile = { role: m.role, name: m.name, bytes: await this.imageBytes(m) };
      if (m.url) f.url = m.url;
      const overlay = m.sectors > 0 ? await this.overlayOf(r.id, m.role) : null;
      if (overlay) f.overlay = overlay;
      media.push(f);
    }
    const vm = await this.manager.create({
      name: r.vmName,
      guest: r.guest,
      memoryMiB: r.memoryMiB,
      cpuShare: 100,
      media,
      cmdline: r.cmdline ?? undefined,
      diskId: r.id,
    });
    this.changed();
    return vm;
  }

  /** Whether a VM of this page is writing to the record now. */
  inUse(id: string): boolean {
    return this.manager.vms.some((v) => v.diskId === id && v.alive);
  }
}
