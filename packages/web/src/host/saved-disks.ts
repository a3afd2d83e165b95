// Saved disks: what the guests wrote to their drives, kept in this browser (IndexedDB) so it
// outlives the page. The worker notes every write to a drive (copy-on-write overlays over the
// images, 512-byte sectors); every few seconds, and before a VM is destroyed or the page is
// hidden, left or unloaded (a save asked for while another runs follows it), the sectors written since the last look are saved under the VM's disk id (a
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
import { messageOf } from "../shared/message.ts";

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

/**
 * Writes `add` joined to the writes `old` not saved yet: the latest media, each drive's sectors
 * merged (a drive sent `whole` replaces what was there, and stays whole).
 */
export function mergeWrites(old: DiskWrites | null, add: DiskWrites): DiskWrites {
  if (!old) return add;
  const overlays = old.overlays.filter((o) => !add.overlays.some((a) => a.role === o.role));
  for (const a of add.overlays) {
    const o = old.overlays.find((x) => x.role === a.role);
    overlays.push(a.whole || !o ? a : { role: a.role, whole: o.whole, ...mergeOverlays(o, a) });
  }
  return { media: add.media, overlays };
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
  /** The database once open (a page being left saves without waiting for anything). */
  private openDb: IDBDatabase | null = null;
  /** The user's own images stored in the "images" store, by SHA-256. */
  private readonly storedImages = new Set<string>();
  /**
   * The stored chunks of the records this page's VMs write to, by key: a save merges new sectors
   * into them without reading first, so it goes out in one go (a record written here was made
   * here, or resumed, which read its chunks).
   */
  private readonly chunks = new Map<string, SectorOverlay>();
  private readonly listeners = new Set<() => void>();
  /** The save under way, and the one that follows it (asked for while it ran). */
  private saving: Promise<void> | null = null;
  private following: Promise<void> | null = null;
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
    this.db ??= openDb().then((db) => (this.openDb = db));
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
      for (const r of this.records) for (const m of r.media) if (!m.url) this.storedImages.add(m.sha256);
    } catch (e) {
      this.error = `Saved disks are not available in this browser: ${messageOf(e)}`;
    }
    this.changed();
    if (this.error) return;
    setInterval(() => void this.saveAll(), DISK_SAVE_MS);
    // The last writes are saved as the page goes: hidden (another tab, a phone's home screen,
    // often the last event a page gets), left (beforeunload; App's "Leave this page?" prompt
    // may follow) and unloaded or put in the back-forward cache (pagehide). A page being left
    // may be gone a few milliseconds later: what the workers sent is written at once, in the
    // event itself (an IndexedDB transaction made and committed there completes), then the
    // workers are asked for the rest.
    const going = () => {
      this.saveSent();
      void this.saveAll(true);
    };
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") going();
    });
    window.addEventListener("beforeunload", going);
    window.addEventListener("pagehide", going);
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
  saveAll(force = false): Promise<void> {
    if (this.saving) {
      if (!force) return this.saving;
      // The save under way may have asked the VMs for their writes before the last ones: one
      // more pass once it is done (a single one however often it is asked for meanwhile).
      const again = () => {
        this.following = null;
        return this.saveAll(true);
      };
      this.following ??= this.saving.then(again, again);
      return this.following;
    }
    if (!force && performance.now() < this.nextSaveAt) return Promise.resolve();
    this.saving = this.saveEach().finally(() => {
      this.saving = null;
    });
    return this.saving;
  }

  private async saveEach(): Promise<void> {
    const t0 = performance.now();
    try {
      for (const vm of this.manager.vms) await this.saveVm(vm);
    } finally {
      const took = performance.now() - t0;
      this.nextSaveAt = performance.now() + Math.max(0, 10 * took - DISK_SAVE_MS);
    }
  }

  /** Writes what every VM sent, without waiting for anything (the page is being left). */
  saveSent(): void {
    for (const vm of this.manager.vms) {
      try {
        void this.write(vm)?.catch(() => {});
      } catch {
        /* saved with the next look, if there is one */
      }
    }
  }

  async saveVm(vm: VmHandle): Promise<void> {
    if (vm.status === "starting" || vm.status === "destroyed") return;
    try {
      await vm.collectWrites();
    } catch {
      // Busy or gone: what it sent is saved, the next look finds the rest.
    }
    const w = vm.unsavedWrites();
    if (!w) return;
    try {
      await this.storeImages(vm, w.media);
      await this.write(vm);
      this.error = null;
    } catch (e) {
      this.error = `Could not save the disk writes of "${vm.name}": ${messageOf(e)}`;
    }
    this.changed();
  }

  /** The user's own images of the VM, kept once by hash (catalog images come from the server again). */
  private async storeImages(vm: VmHandle, media: MediaIdentity[]): Promise<void> {
    for (const m of media) {
      if (m.url || this.storedImages.has(m.sha256)) continue;
      const images = await this.store("images", "readonly");
      if ((await request(images.count(m.sha256))) === 0) {
        const bytes = await vm.mediaBytes(m.role);
        if (!bytes) throw new Error(`the VM no longer has its ${m.role} image`);
        await request((await this.store("images", "readwrite")).put({ sha256: m.sha256, bytes }));
      }
      this.storedImages.add(m.sha256);
    }
  }

  private forgetChunks(id: string, role?: string): void {
    const prefix = role === undefined ? `${id}\0` : `${id}\0${role}\0`;
    for (const k of [...this.chunks.keys()]) if (k.startsWith(prefix)) this.chunks.delete(k);
  }

  /**
   * Writes the VM's unsaved drive writes, the sectors and the record in one transaction, made
   * and committed before this returns (null: nothing to write, the database not open yet, or an
   * image of the user's still to be stored). The promise settles when it is on disk.
   */
  private write(vm: VmHandle): Promise<void> | null {
    const db = this.openDb;
    const pending = vm.unsavedWrites();
    if (!db || !pending || pending.media.some((m) => !m.url && !this.storedImages.has(m.sha256))) return null;
    const w = vm.takeWrites()!;
    const id = vm.diskId;
    const before = this.records.find((r) => r.id === id);
    const tx = db.transaction(["vms", "sectors"], "readwrite");
    const sectors = tx.objectStore("sectors");
    const counts = new Map<string, number>();
    for (const m of w.media) {
      const old = before?.media.find((x) => x.role === m.role && x.sha256 === m.sha256);
      counts.set(m.role, old?.sectors ?? 0);
      if (!old && before?.media.some((x) => x.role === m.role)) {
        sectors.delete(chunkRange(id, m.role)); // another image
        this.forgetChunks(id, m.role);
      }
    }
    for (const gone of before?.media ?? []) {
      if (w.media.some((m) => m.role === gone.role)) continue;
      sectors.delete(chunkRange(id, gone.role));
      this.forgetChunks(id, gone.role);
    }
    for (const o of w.overlays) {
      if (!counts.has(o.role)) continue;
      let count = o.whole ? 0 : counts.get(o.role)!;
      if (o.whole) {
        sectors.delete(chunkRange(id, o.role));
        this.forgetChunks(id, o.role);
      }
      for (const [chunk, part] of chunksOf(o)) {
        const key = `${id}\0${o.role}\0${chunk}`;
        const old = this.chunks.get(key) ?? null;
        const merged = mergeOverlays(old, part);
        count += merged.sectors.length - (old?.sectors.length ?? 0);
        sectors.put(merged, [id, o.role, chunk]);
        this.chunks.set(key, merged);
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
    tx.commit();
    this.records = [record, ...this.records.filter((r) => r.id !== record.id)];
    return new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    });
  }

  /** The sectors saved for a drive of a record (`keep`: and keep its chunks for the saves to come). */
  private async overlayOf(id: string, role: string, keep = false): Promise<SectorOverlay | null> {
    const range = chunkRange(id, role);
    const chunks = (await request((await this.store("sectors", "readonly")).getAll(range))) as
      SectorOverlay[] | undefined;
    if (!chunks || chunks.length === 0) return null;
    if (keep) {
      const keys = (await request((await this.store("sectors", "readonly")).getAllKeys(range))) as [
        string,
        string,
        number,
      ][];
      this.forgetChunks(id, role);
      keys.forEach((k, i) => this.chunks.set(`${id}\0${role}\0${k[2]}`, chunks[i]));
    }
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
    this.forgetChunks(id);
    this.records = this.records.filter((r) => r.id !== id);
    if (gone) {
      const still = new Set(this.records.flatMap((r) => r.media.map((m) => m.sha256)));
      for (const m of gone.media)
        if (!m.url && !still.has(m.sha256)) {
          await request((await this.store("images", "readwrite")).delete(m.sha256));
          this.storedImages.delete(m.sha256);
        }
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
      const overlay = m.sectors > 0 ? await this.overlayOf(r.id, m.role, true) : null;
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
