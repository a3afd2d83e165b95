// The page side of the VMs: the VmManager creates each VM's buffers (after the host allocator
// agreed), starts its worker, and keeps the list the UI and the page API show. A VmHandle is
// one VM: its shared buffers, its worker's comlink proxy, and what the page knows about it.
//
// A VM that fails (bad image, emulator error, triple fault, a crashed worker) keeps its panel
// with the error; nothing it does reaches the other VMs or the shell. A VM resumed from a
// snapshot (restore) joins the list only once its worker has restored it: a snapshot refused
// there takes its VM and worker away and leaves no panel.

import { MAX_RAM_BYTES, RAM_BASE, VmMemory, type ClockMode, type SnapshotManifest } from "@x86vm/core";
import { DEFAULT_START_TIME_MS, NIC_MODELS, type NicModel } from "@x86vm/devices";
import * as Comlink from "comlink";
import { CONTROL_BYTES, ControlBlock, type VmStateName } from "../shared/control.ts";
import { SharedFramebuffer } from "../shared/framebuffer.ts";
import {
  createInputRing,
  IN_KEY_DOWN,
  IN_KEY_UP,
  IN_MOUSE_BUTTONS,
  IN_MOUSE_MOVE,
  IN_RELEASE_ALL,
  IN_SERIAL,
  INPUT_RECORD_INTS,
  INPUT_RING_CAPACITY,
  keyForChar,
  keyIndex,
} from "../shared/input.ts";
import type {
  DiskWrites,
  MediaFile,
  MediaRole,
  SnapshotImage,
  SnapshotResult,
  VmDetails,
  VmEvent,
  VmSetup,
  VmWorkerApi,
} from "../shared/protocol.ts";
import { latin1, readConsoleHistory } from "../shared/console-history.ts";
import { ByteRing, RecordRing } from "../shared/rings.ts";
import { AllocationRefused, formatBytes, HostAllocator, MiB, totalOf, type MemoryParts } from "./allocator.ts";
import { bootStage, type BootStage } from "./boot-stage.ts";
import { mergeWrites } from "./saved-disks.ts";
import type { DownloadProgress } from "./download.ts";
import { ratesBetween, readCounters, ZERO_RATES, type Counters, type Rates } from "./rates.ts";
import { SnapshotRefused, uploadSnapshot, type SnapshotPlan } from "./snapshot-plan.ts";
import { messageOf } from "../shared/message.ts";
import { shareUrl } from "./snapshots.ts";
import { LAN_PORT_BYTES, LanHost } from "./lan-host.ts";
import type { LanWire } from "../shared/lan.ts";
import { relayUrl } from "../shared/net-relay-protocol.ts";

export const SERIAL_RING_BYTES = 64 * 1024;
/** Serial output the page keeps per VM (for the console and serialText()). */
const SERIAL_LOG_LIMIT = 256 * 1024;
const SAMPLE_MS = 1000;
const SERIAL_POLL_MS = 30;
/** A worker that does not answer a control call within this long is stopped by force. */
const CALL_TIMEOUT_MS = 5000;
/** Saving or restoring a snapshot of a large machine takes longer than a control call. */
const SNAPSHOT_TIMEOUT_MS = 120_000;

/**
 * Bytes every VM holds besides its RAM: the VM memory's CPU state block and TLB (RAM_BASE bytes
 * before the RAM, core's memory/layout.ts) and the shared buffers.
 */
export const VM_BUFFER_BYTES =
  RAM_BASE +
  SharedFramebuffer.bytesFor() +
  RecordRing.bytesFor(INPUT_RING_CAPACITY, INPUT_RECORD_INTS) +
  ByteRing.bytesFor(SERIAL_RING_BYTES) +
  CONTROL_BYTES;

export interface VmRequest {
  name: string;
  /** What it boots, for the panel ("FreeDOS 7.22 floppy", "my.img"). */
  guest: string;
  memoryMiB: number;
  cpuShare: number;
  media: MediaFile[];
  cmdline?: string;
  /** false: the 8259s only, no APICs (VmSetup.apic). */
  apic?: boolean;
  /** The saved-disks record its drives' writes go to (a new one when absent). */
  diskId?: string;
  /**
   * The machine clock (VmSetup.clock); a deterministic VM's RTC also starts at a fixed time
   * (DEFAULT_START_TIME_MS, as in the CLI) instead of now.
   */
  clock?: ClockMode;
  /**
   * The network: "lan" gives the machine a network card on the page's LAN (lan-host.ts: a
   * switch shared by the VMs of this page, DHCP and DNS on 10.0.2.0/24); default "none".
   */
  net?: VmNet;
  /**
   * The network card, on the LAN (PcOptions.net.card): "ne2k-pci" (the default, the RTL8029),
   * "ne2k-isa" (an NE2000 at 300h, IRQ 10) or "virtio" (virtio-net); "none": no card, and so no
   * network whatever `net` says.
   */
  nic?: VmNic;
}

export type VmNic = NicModel | "none";

/** The cards the New VM form and x86vm.create() offer, as the page names them. */
export const NIC_LABELS: Record<VmNic, string> = {
  "ne2k-pci": "NE2000 PCI",
  "ne2k-isa": "NE2000 ISA",
  virtio: "virtio-net",
  none: "None",
};

/**
 * "lan": a network card on the page's LAN; "internet": the same, and the LAN's gateway goes out
 * through the server's network relay (server/net-relay.ts), for every VM on the LAN.
 */
export type VmNet = "none" | "lan" | "internet";

export type VmStatus = "starting" | VmStateName | "destroyed";

/** A snapshot the page holds for a VM (the last one taken). */
export interface HeldSnapshot {
  bytes: ArrayBuffer;
  /** Wall-clock time it was taken (Unix ms). */
  takenAt: number;
  saveMs: number;
  images: SnapshotImage[];
  /** Taken with the user's own images embedded. */
  embedUserImages: boolean;
  /** Its id once shared. */
  sharedId: string | null;
}

export interface ShareResult {
  id: string;
  url: string;
  /** The user's own images the link does not carry: a recipient must open them. */
  needs: SnapshotImage[];
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: the VM's worker did not answer within ${ms / 1000} s`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The most guest RAM one VM may have here, in MiB. */
export const MAX_VM_MEMORY_MIB = MAX_RAM_BYTES / MiB;

/** Guest RAM a PC can have here: 1 MiB to 3 GiB, whole MiB. */
function checkMemoryMiB(mib: number): void {
  if (!Number.isInteger(mib) || mib < 1 || mib > MAX_VM_MEMORY_MIB) {
    throw new AllocationRefused(`memory must be a whole number of MiB from 1 to ${MAX_VM_MEMORY_MIB}, got ${mib}`);
  }
}

export class VmHandle {
  status: VmStatus = "starting";
  error: string | null = null;
  notices: string[] = [];
  details: VmDetails | null = null;
  rates: Rates = ZERO_RATES;
  serialLog = "";
  /** How far a Linux guest's boot is (boot-stage.ts); null for other guests. */
  bootStage: BootStage | null = null;
  /** The last snapshot taken, held for Download and Share. */
  snapshot: HeldSnapshot | null = null;
  /** Bumped on every change the UI shows. */
  version = 0;
  /** The saved-disks record (saved-disks.ts) its drives' writes go to. */
  readonly diskId: string;

  readonly control: ControlBlock;
  readonly fb: SharedFramebuffer;
  readonly input: RecordRing;
  readonly serialOut: ByteRing;
  private worker: Worker | null;
  private remote: Comlink.Remote<VmWorkerApi> | null;
  private readonly listeners = new Set<() => void>();
  private readonly serialListeners = new Set<(bytes: Uint8Array) => void>();
  private lastSample: { at: number; c: Counters } | null;
  private detailsPending = false;
  private screenPending = false;
  /** Hears how far a restore is (bytes of the snapshot's sections expanded, of their total). */
  private onRestoreProgress: ((p: DownloadProgress) => void) | null = null;
  /** Hears how far a save is (bytes of the snapshot's sections compressed, of those to compress). */
  private onSaveProgress: ((p: DownloadProgress) => void) | null = null;
  /** Drive writes the worker sent (or was asked for) that saved disks have not stored yet. */
  private unsaved: DiskWrites | null = null;
  /** Where in serialLog the output of the current boot starts (the boot stage reads from there). */
  private stageFrom = 0;
  /** Its rings to the page's LAN (request.net "lan"). */
  private readonly lanWire: LanWire | null;

  constructor(
    readonly id: string,
    readonly request: VmRequest,
    private vmMemory: VmMemory,
    private readonly manager: VmManager,
  ) {
    this.diskId = request.diskId ?? crypto.randomUUID();
    this.bootStage = this.firstStage;
    this.control = ControlBlock.create(request.cpuShare);
    this.fb = SharedFramebuffer.create();
    this.input = createInputRing();
    this.serialOut = ByteRing.create(SERIAL_RING_BYTES);
    const onLan = (request.net === "lan" || request.net === "internet") && request.nic !== "none";
    this.lanWire = onLan ? manager.lan.wire(id, request.name, manager.lan.newMac()) : null;
    if (onLan && request.net === "internet") manager.lan.useRelay(relayUrl(location.href));
    this.worker = new Worker(new URL("../worker/vm-worker.ts", import.meta.url), {
      type: "module",
      name: `x86vm ${request.name}`,
    });
    this.worker.addEventListener("error", (e) => this.fail(`the VM's worker crashed: ${e.message || "script error"}`));
    this.worker.addEventListener("messageerror", () =>
      this.fail("the VM's worker sent a message the page could not read"),
    );
    this.remote = Comlink.wrap<VmWorkerApi>(this.worker);
    // The first rates cover the time since creation (the counters start at zero).
    this.lastSample = { at: performance.now(), c: this.counters() };
  }

  get name(): string {
    return this.request.name;
  }
  /** Guest RAM in MiB. */
  get memoryMiB(): number {
    return this.vmMemory.ramBytes / MiB;
  }
  get cpuShare(): number {
    return this.control.share;
  }
  get paused(): boolean {
    return this.control.pauseRequested;
  }
  get alive(): boolean {
    return this.status !== "destroyed";
  }

  /** Memory this VM holds in the host budget. */
  get held(): MemoryParts {
    return this.manager.allocator.holding(this.id) ?? { ram: 0, buffers: 0, media: 0 };
  }

  counters(): Counters {
    return readCounters(this.control.f64);
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Receives serial output as it arrives (the console). */
  onSerial(fn: (bytes: Uint8Array) => void): () => void {
    this.serialListeners.add(fn);
    return () => this.serialListeners.delete(fn);
  }

  changed(): void {
    this.version++;
    for (const l of this.listeners) l();
    this.manager.changed();
  }

  // ---- Life cycle ----

  private setupFor(snapshot?: ArrayBuffer): VmSetup {
    const r = this.request;
    return {
      id: this.id,
      name: r.name,
      memory: this.vmMemory.memory,
      ramBytes: this.vmMemory.ramBytes,
      control: this.control.buffer,
      framebuffer: this.fb.buffer,
      input: this.input.buffer,
      serialOut: this.serialOut.buffer,
      media: r.media,
      cmdline: r.cmdline,
      apic: r.apic,
      startTimeMs: r.clock === "deterministic" ? DEFAULT_START_TIME_MS : Date.now(),
      clock: r.clock,
      snapshot,
      lan: this.lanWire ?? undefined,
      nic: this.lanWire && r.nic && r.nic !== "none" ? r.nic : undefined,
    };
  }

  async boot(): Promise<void> {
    const remote = this.remote!;
    const setup = this.setupFor();
    try {
      await timeout(
        remote.create(
          Comlink.transfer(
            setup,
            setup.media.map((m) => m.bytes),
          ),
          Comlink.proxy((e: VmEvent) => this.onEvent(e)),
        ),
        30_000,
        "create",
      );
      await remote.start();
      if (this.lanWire) this.manager.lan.join(this.id, this.control.buffer);
      if (this.status === "starting") this.status = "booting";
    } catch (e) {
      this.fail(messageOf(e));
    }
    this.changed();
    void this.refreshDetails();
  }

  /**
   * Resumes a snapshot in this VM's new worker. Rejects with the worker's one-line reason when
   * the snapshot is refused (the caller then destroys this VM).
   */
  async restore(snapshot: ArrayBuffer, onProgress?: (p: DownloadProgress) => void): Promise<void> {
    const remote = this.remote!;
    const setup = this.setupFor(snapshot);
    this.onRestoreProgress = onProgress ?? null;
    try {
      await timeout(
        remote.create(
          Comlink.transfer(setup, [...setup.media.map((m) => m.bytes), snapshot]),
          Comlink.proxy((e: VmEvent) => this.onEvent(e)),
        ),
        SNAPSHOT_TIMEOUT_MS,
        "restore",
      );
    } finally {
      this.onRestoreProgress = null;
    }
    this.error = null;
    // The counters start at the saved machine's: rates count from here, not from zero.
    this.lastSample = { at: performance.now(), c: this.counters() };
    if (this.lanWire) {
      // On the LAN with the card's own station address, if the snapshot's machine has a card.
      const mac = (await timeout(remote.details(), CALL_TIMEOUT_MS, "details")).mac;
      if (mac)
        this.manager.lan.join(
          this.id,
          this.control.buffer,
          mac.split(":").map((h) => parseInt(h, 16)),
        );
      else this.manager.lan.leave(this.id);
    }
    await remote.start();
    if (this.status === "starting") this.status = "booting";
    this.changed();
    void this.refreshDetails();
  }

  // ---- Snapshots ----

  /**
   * Takes a snapshot (the worker captures the state between two slices; the VM runs on).
   * `onProgress`: bytes of its sections compressed so far, of those to compress.
   */
  async takeSnapshot(embedUserImages: boolean, onProgress?: (p: DownloadProgress) => void): Promise<HeldSnapshot> {
    if (!this.remote) throw new Error("the VM is gone");
    if (this.status === "failed") throw new Error("a failed VM cannot be snapshotted");
    this.onSaveProgress = onProgress ?? null;
    let r: SnapshotResult;
    try {
      r = await timeout(this.remote.snapshot({ embedUserImages, note: this.name }), SNAPSHOT_TIMEOUT_MS, "snapshot");
    } finally {
      this.onSaveProgress = null;
    }
    this.snapshot = {
      bytes: r.bytes,
      takenAt: Date.now(),
      saveMs: r.saveMs,
      images: r.images,
      embedUserImages,
      sharedId: null,
    };
    this.changed();
    return this.snapshot;
  }

  /**
   * Stores the last snapshot on the server (taking one first when there is none, or when it
   * was taken with the other image setting) and returns its share link. `progress.save`: the
   * save's progress when one is taken; `progress.upload`: the bytes sent of the snapshot's size,
   * as they go (nothing when it is already stored).
   */
  async share(
    embedUserImages: boolean,
    progress: { save?: (p: DownloadProgress) => void; upload?: (p: DownloadProgress) => void } = {},
  ): Promise<ShareResult> {
    let held = this.snapshot;
    if (!held || held.embedUserImages !== embedUserImages)
      held = await this.takeSnapshot(embedUserImages, progress.save);
    const id = held.sharedId ?? (await uploadSnapshot(held.bytes, progress.upload));
    held.sharedId = id;
    this.changed();
    return { id, url: shareUrl(id), needs: held.images.filter((i) => !i.embedded && !i.url) };
  }

  private onEvent(e: VmEvent): void {
    if (!this.alive) return;
    switch (e.kind) {
      case "failed":
        this.fail(e.message);
        return;
      case "state":
        if (this.status !== "failed" || e.state !== "failed") this.status = e.state;
        break;
      case "notice":
        this.notices = [...this.notices.slice(-4), e.message];
        break;
      case "disk":
        this.unsaved = mergeWrites(this.unsaved, e.writes);
        return;
      case "restore":
        this.onRestoreProgress?.({ loaded: e.loaded, total: e.total });
        return;
      case "save":
        this.onSaveProgress?.({ loaded: e.loaded, total: e.total });
        return;
    }
    if (e.kind === "state" && e.state !== "failed") this.error = null;
    this.changed();
  }

  /** Marks the VM failed; the first message stands (a crash is followed by a timeout). */
  fail(message: string): void {
    if (!this.alive) return;
    this.status = "failed";
    this.error ??= message;
    this.changed();
  }

  /** Stops using the CPU; resolves once the worker has parked. */
  async pause(): Promise<void> {
    this.control.pauseRequested = true;
    this.changed();
    if (this.remote && this.status !== "failed") await timeout(this.remote.pause(), CALL_TIMEOUT_MS, "pause");
  }

  resume(): void {
    this.control.pauseRequested = false;
    this.changed();
  }

  setCpuShare(percent: number): number {
    const p = this.manager.allocator.setShare(this.id, percent);
    this.control.share = p;
    this.changed();
    return p;
  }

  /** Power cycle: a fresh machine with the same memory and media. */
  async reset(): Promise<void> {
    if (!this.remote) return;
    this.error = null;
    this.lastSample = null;
    await timeout(this.remote.reset(), CALL_TIMEOUT_MS, "reset");
    this.bootStage = this.firstStage;
    this.stageFrom = this.serialLog.length;
    this.changed();
  }

  /**
   * Gives the VM another amount of RAM and restarts it. Refused (AllocationRefused, nothing
   * changed) when the growth does not fit the budget or the browser cannot allocate it.
   */
  async resizeMemory(mib: number): Promise<void> {
    if (!this.remote) throw new Error("the VM is gone");
    checkMemoryMiB(mib);
    const old = this.held.ram;
    this.manager.allocator.resize(this.id, { ram: mib * MiB });
    let memory: VmMemory;
    try {
      memory = VmMemory.create(mib * MiB);
    } catch (e) {
      this.manager.allocator.resize(this.id, { ram: old });
      throw new AllocationRefused(
        `the browser could not allocate ${formatBytes(mib * MiB)} for "${this.name}": ${messageOf(e)}`,
      );
    }
    this.vmMemory = memory;
    this.error = null;
    await timeout(this.remote.resize(memory.memory, memory.ramBytes), CALL_TIMEOUT_MS, "resize");
    this.changed();
  }

  async insertMedia(file: MediaFile): Promise<void> {
    if (!this.remote) throw new Error("the VM is gone");
    const current = this.details?.media.find((m) => m.role === file.role)?.bytes ?? 0;
    const held = this.held;
    this.manager.allocator.resize(this.id, { media: Math.max(0, held.media - current) + file.bytes.byteLength });
    try {
      await timeout(this.remote.insertMedia(Comlink.transfer(file, [file.bytes])), CALL_TIMEOUT_MS, "insert");
    } catch (e) {
      this.manager.allocator.resize(this.id, { media: held.media });
      throw e;
    }
    await this.refreshDetails();
    this.changed();
  }

  async ejectMedia(role: MediaRole): Promise<void> {
    if (!this.remote) return;
    const had = this.details?.media.find((m) => m.role === role)?.bytes ?? 0;
    await timeout(this.remote.ejectMedia(role), CALL_TIMEOUT_MS, "eject");
    this.manager.allocator.resize(this.id, { media: Math.max(0, this.held.media - had) });
    await this.refreshDetails();
    this.changed();
  }

  /**
   * Asks the worker for drive writes it has not sent yet (the slice under way), joining them to
   * the unsaved ones.
   */
  async collectWrites(): Promise<void> {
    if (!this.remote || this.status === "failed") return;
    const w = await timeout(this.remote.diskWrites(), SNAPSHOT_TIMEOUT_MS, "disk writes");
    if (w) this.unsaved = mergeWrites(this.unsaved, w);
  }

  /** The drive writes not saved yet (null: none), left in place. */
  unsavedWrites(): DiskWrites | null {
    return this.unsaved;
  }

  /** The drive writes not saved yet, handed over to be saved (null: none). */
  takeWrites(): DiskWrites | null {
    const w = this.unsaved;
    this.unsaved = null;
    return w;
  }

  /** The image in `role` as the machine got it. */
  async mediaBytes(role: MediaRole): Promise<ArrayBuffer | null> {
    if (!this.remote) return null;
    return timeout(this.remote.mediaBytes(role), SNAPSHOT_TIMEOUT_MS, "image");
  }

  /** Stops the VM and its worker and gives its memory back (its disk writes saved first). */
  async destroy(): Promise<void> {
    if (!this.alive) return;
    const before = this.manager.beforeDestroy;
    if (before && this.status !== "failed") await timeout(before(this), 5000, "saving the disks").catch(() => {});
    if (!this.alive) return;
    const remote = this.remote,
      worker = this.worker;
    this.status = "destroyed";
    this.remote = null;
    this.worker = null;
    try {
      if (remote) await timeout(remote.destroy(), 2000, "destroy");
    } catch {
      // A worker that does not answer is terminated all the same.
    }
    remote?.[Comlink.releaseProxy]();
    worker?.terminate();
    this.manager.lan.leave(this.id);
    this.manager.forget(this);
  }

  async screenText(): Promise<string | null> {
    if (!this.remote) return null;
    return timeout(this.remote.screenText(), CALL_TIMEOUT_MS, "screenText");
  }

  async refreshDetails(): Promise<VmDetails | null> {
    if (!this.remote || this.detailsPending) return this.details;
    this.detailsPending = true;
    try {
      this.details = await timeout(this.remote.details(), CALL_TIMEOUT_MS, "details");
      this.changed();
    } catch {
      // Busy or gone: keep the last details.
    } finally {
      this.detailsPending = false;
    }
    return this.details;
  }

  // ---- Input (shared ring) ----

  private send(kind: number, a = 0, b = 0, c = 0): boolean {
    // A paused VM takes no input: keys pressed meanwhile would all arrive at once on resume.
    if (!this.alive || (this.paused && kind !== IN_RELEASE_ALL)) return false;
    const ok = this.input.push([kind, a, b, c]);
    this.control.ring();
    return ok;
  }

  /** Presses a key by KeyboardEvent.code; false for a key the PC keyboard does not have. */
  keyDown(code: string): boolean {
    const i = keyIndex(code);
    return i >= 0 && this.send(IN_KEY_DOWN, i);
  }

  keyUp(code: string): boolean {
    const i = keyIndex(code);
    return i >= 0 && this.send(IN_KEY_UP, i);
  }

  releaseKeys(): void {
    this.send(IN_RELEASE_ALL);
  }

  mouseMove(dx: number, dy: number, wheel = 0): void {
    this.send(IN_MOUSE_MOVE, dx, dy, wheel);
  }
  mouseButtons(mask: number): void {
    this.send(IN_MOUSE_BUTTONS, mask);
  }

  /** Presses and releases Ctrl+Alt+Del. */
  async ctrlAltDel(): Promise<void> {
    for (const c of ["ControlLeft", "AltLeft", "Delete"]) this.keyDown(c);
    await new Promise((r) => setTimeout(r, 100));
    for (const c of ["Delete", "AltLeft", "ControlLeft"]) this.keyUp(c);
  }

  /** Types text on a US keyboard, a key every `delayMs`. Characters without a key are skipped. */
  async typeText(text: string, delayMs = 25): Promise<number> {
    let skipped = 0;
    for (const ch of text.replace(/\r\n/g, "\r")) {
      const k = keyForChar(ch);
      if (!k) {
        skipped++;
        continue;
      }
      if (k.shift) this.keyDown("ShiftLeft");
      this.keyDown(k.code);
      this.keyUp(k.code);
      if (k.shift) this.keyUp("ShiftLeft");
      await new Promise((r) => setTimeout(r, delayMs));
    }
    return skipped;
  }

  /** Sends text to COM1's receiver (the console's keystrokes). */
  sendSerial(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    for (const b of bytes) this.send(IN_SERIAL, b);
  }

  // ---- Periodic work (the manager calls these) ----

  pollSerial(): void {
    if (this.serialOut.size === 0) return;
    const bytes = this.serialOut.read();
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    const log = this.serialLog + s;
    const drop = Math.max(0, log.length - SERIAL_LOG_LIMIT);
    this.serialLog = log.slice(drop);
    this.stageFrom = Math.max(0, this.stageFrom - drop);
    for (const l of this.serialListeners) l(bytes);
    this.updateStage(null);
  }

  /** The VM boots a Linux kernel it was given (directly, or resumed from such a snapshot). */
  private get givenKernel(): boolean {
    return (
      this.request.media.some((m) => m.role === "kernel") ||
      (this.details?.media.some((m) => m.role === "kernel") ?? false)
    );
  }

  /** A guest given a kernel is loading it from the start; others have no stage until a kernel's signs. */
  private get firstStage(): BootStage | null {
    return this.request.media.some((m) => m.role === "kernel") ? "loading" : null;
  }

  /** Moves the boot stage on from COM1's output and, when read, the text screen. */
  private updateStage(screen: string | null): void {
    if (this.bootStage === "ready" || (this.status !== "running" && this.status !== "paused")) return;
    const next = bootStage(this.bootStage, this.givenKernel, this.serialLog.slice(this.stageFrom), screen);
    if (next === this.bootStage) return;
    this.bootStage = next;
    this.changed();
  }

  /** A Linux guest that prints on its screen, not COM1: its text screen is read once a sample. */
  private async stageFromScreen(): Promise<void> {
    if (this.screenPending || this.bootStage === null || this.bootStage === "ready" || this.status !== "running")
      return;
    this.screenPending = true;
    try {
      this.updateStage(await this.screenText());
    } catch {
      /* busy: the next sample reads it */
    } finally {
      this.screenPending = false;
    }
  }

  sample(now: number): void {
    const c = this.counters();
    if (this.lastSample) this.rates = ratesBetween(this.lastSample.c, c, now - this.lastSample.at);
    this.lastSample = { at: now, c };
    const s = this.control.stateName;
    if (this.status !== "failed" && this.status !== "starting" && s !== this.status && s !== "failed") this.status = s;
    this.updateStage(null);
    this.changed();
    void this.refreshDetails();
    void this.stageFromScreen();
  }
}

export class VmManager {
  readonly allocator: HostAllocator;
  readonly vms: VmHandle[] = [];
  /** The LAN of the VMs with a network card. */
  readonly lan = new LanHost();
  /** Runs before a VM is destroyed (saved disks save its last writes). */
  beforeDestroy: ((vm: VmHandle) => Promise<void>) | null = null;
  version = 0;
  private seq = 0;
  private readonly listeners = new Set<() => void>();
  private timers: ReturnType<typeof setInterval>[] = [];

  constructor(budgetBytes: number) {
    this.allocator = new HostAllocator(budgetBytes);
    this.lan.subscribe(() => this.changed());
  }

  /** Starts the periodic sampling and serial polling. */
  startTimers(): void {
    if (this.timers.length) return;
    this.timers.push(
      setInterval(() => {
        const now = performance.now();
        for (const vm of this.vms) vm.sample(now);
      }, SAMPLE_MS),
    );
    this.timers.push(
      setInterval(() => {
        for (const vm of this.vms) vm.pollSerial();
      }, SERIAL_POLL_MS),
    );
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  setBudget(bytes: number): void {
    this.allocator.setBudget(bytes);
    this.changed();
  }

  /**
   * Creates and boots a VM. Throws AllocationRefused, with nothing created, when it does not
   * fit the budget or the browser cannot allocate its memory. A VM that then fails to boot
   * (bad image) stays in the list with its error.
   */
  /**
   * Throws AllocationRefused when a VM for this snapshot (its RAM, the buffers, its images) does
   * not fit the budget now, before any image is downloaded.
   */
  checkRestoreFits(m: SnapshotManifest, label: string, imageBytes: number): void {
    if (m.machine.memoryBytes > MAX_RAM_BYTES)
      throw new AllocationRefused(
        `the snapshot asks for ${formatBytes(m.machine.memoryBytes)} of RAM; a VM here has at most ${formatBytes(MAX_RAM_BYTES)}`,
      );
    this.allocator.check(`the snapshot ${label}`, {
      ram: m.machine.memoryBytes,
      buffers: VM_BUFFER_BYTES,
      media: imageBytes,
    });
  }

  /**
   * Resumes a checked snapshot (snapshots.ts) in a new VM. Throws SnapshotRefused, with no VM
   * left behind, when the budget or the worker refuses it. `onProgress` hears how far the
   * worker's restore is.
   */
  async restore(plan: SnapshotPlan, cpuShare = 100, onProgress?: (p: DownloadProgress) => void): Promise<VmHandle> {
    const m = plan.manifest;
    const media = [...plan.found.values()];
    const id = `vm${++this.seq}`;
    const name = this.freeName(m.meta.note?.trim().slice(0, 40) || "snapshot");
    // A machine saved with a network card joins the LAN, with that card.
    const net: VmNet = m.devices.some((d) => d.id === "nic" || d.id === "nic-link") ? "lan" : "none";
    const nic = (["nic-isa", "virtio-net"] as const).find((r) => m.devices.some((d) => d.id === r));
    const parts: MemoryParts = {
      ram: m.machine.memoryBytes,
      buffers: VM_BUFFER_BYTES + (net === "lan" ? LAN_PORT_BYTES : 0),
      media: media.reduce((n, f) => n + f.bytes.byteLength, 0) + plan.embeddedBytes,
    };
    try {
      this.allocator.reserve(id, `"${name}" (${plan.label})`, parts, cpuShare);
    } catch (e) {
      throw new SnapshotRefused(`Cannot open ${plan.label}: ${messageOf(e)}`);
    }
    let vm: VmHandle;
    try {
      const memory = VmMemory.create(parts.ram);
      const cmdline = typeof m.machine.options.cmdline === "string" ? m.machine.options.cmdline : undefined;
      vm = new VmHandle(
        id,
        {
          name,
          guest: `resumed from ${plan.label}`,
          memoryMiB: parts.ram / MiB,
          cpuShare,
          media,
          cmdline,
          clock: m.machine.clock.mode, // it runs on as it was saved
          net,
          nic: net === "none" ? "none" : nic === "nic-isa" ? "ne2k-isa" : nic ? "virtio" : "ne2k-pci",
        },
        memory,
        this,
      );
    } catch (e) {
      this.allocator.release(id);
      throw new SnapshotRefused(
        `Cannot open ${plan.label}: the browser could not allocate ${formatBytes(totalOf(parts))}: ${messageOf(e)}`,
      );
    }
    const b = plan.bytes;
    // The console as it was (the worker keeps it for its next snapshots too); before the bytes
    // go to the worker. A history that cannot be read costs only the history.
    try {
      const history = await readConsoleHistory(b);
      if (history) vm.serialLog = latin1(history);
    } catch {
      /* the worker says so in a notice */
    }
    const bytes =
      b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer
        ? b.buffer
        : b.slice().buffer;
    try {
      await vm.restore(bytes, onProgress);
    } catch (e) {
      await vm.destroy();
      throw new SnapshotRefused(`Cannot open ${plan.label}: ${messageOf(e)}`);
    }
    this.vms.push(vm);
    this.changed();
    return vm;
  }

  /** `base`, or `base (2)`, `base (3)`... whichever no VM has. */
  private freeName(base: string): string {
    const taken = new Set(this.vms.map((v) => v.name));
    if (!taken.has(base)) return base;
    for (let i = 2; ; i++) if (!taken.has(`${base} (${i})`)) return `${base} (${i})`;
  }

  async create(req: VmRequest): Promise<VmHandle> {
    const name = req.name.trim() || `VM ${this.seq + 1}`;
    if (req.net !== undefined && req.net !== "none" && req.net !== "lan" && req.net !== "internet")
      throw new Error(`the network is "none", "lan" or "internet", not ${JSON.stringify(req.net)}`);
    if (req.nic !== undefined && req.nic !== "none" && !NIC_MODELS.includes(req.nic))
      throw new Error(`the network card is ${[...NIC_MODELS, "none"].join(", ")}, not ${JSON.stringify(req.nic)}`);
    const onLan = (req.net === "lan" || req.net === "internet") && req.nic !== "none";
    checkMemoryMiB(req.memoryMiB);
    const id = `vm${++this.seq}`;
    const parts: MemoryParts = {
      ram: req.memoryMiB * MiB,
      buffers: VM_BUFFER_BYTES + (onLan ? LAN_PORT_BYTES : 0),
      media: req.media.reduce((n, m) => n + m.bytes.byteLength, 0),
    };
    this.allocator.reserve(id, `"${name}"`, parts, req.cpuShare);
    let vm: VmHandle;
    try {
      vm = new VmHandle(id, { ...req, name }, VmMemory.create(parts.ram), this);
    } catch (e) {
      this.allocator.release(id);
      throw new AllocationRefused(
        `the browser could not allocate ${formatBytes(totalOf(parts))} for "${name}": ${messageOf(e)}`,
      );
    }
    this.vms.push(vm);
    this.changed();
    await vm.boot();
    return vm;
  }

  /** Called by a VmHandle once it is destroyed. */
  forget(vm: VmHandle): void {
    const i = this.vms.indexOf(vm);
    if (i >= 0) this.vms.splice(i, 1);
    this.allocator.release(vm.id);
    this.changed();
  }

  byId(id: string): VmHandle | undefined {
    return this.vms.find((v) => v.id === id);
  }
}
