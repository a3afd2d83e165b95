// One VM's life inside its worker: builds the PC, runs it in time slices, and talks to the page
// through the shared buffers (control block, framebuffer, input and serial rings).
//
// The loop, one turn at a time:
//   - paused, failed or stopped: wait on the doorbell with no timeout (no CPU use at all);
//   - owing sleep for its CPU share: sleep it off (the doorbell cuts a sleep short);
//   - otherwise drain input, run SLICE_NS of machine time, publish counters and, at most
//     60 times a second and only when the picture changed, a frame; then sleep if the guest
//     is idle (HLT until a timer), else give queued messages a turn.
// A VM capped at S percent that ran B ms owes B * (100 - S) / S ms of sleep; idle sleep pays
// the debt too, so an idle guest is never put to sleep twice.
//
// The machine runs on the realtime clock; the host time it sees stops while the VM is paused,
// so a paused guest does not find its timers hours late when it resumes. A VM created with
// setup.clock "deterministic" runs on guest time instead (instructions, idle time skipped):
// its slices are of guest time, and it never sleeps for the guest's timers.
//
// Snapshots: comlink calls are handled only between time slices, or between the parts of one
// while modules compile (the loop awaits a sleep or a yield), so a snapshot request finds the
// machine at an instruction boundary and not running:
// the state is captured there, synchronously, after the input the page queued before the
// request is delivered; the loop then runs on while the snapshot is compressed and hashed. A VM
// created with setup.snapshot resumes it (restoreSnapshot checks everything before a machine
// exists) on setup.clock (the page passes the clock it was saved with), from the machine time it
// was saved at.
//
// COM1's output history (the last 256 KiB) is kept here, across resets, and goes into each
// snapshot with the state (console-history.ts): a resumed VM's console starts where it was.

import {
  EXIT_COUNT,
  MemoryDisk,
  sha256Hex,
  type CowDisk,
  SnapshotError,
  VmMemory,
  type DiskImage,
  type SnapshotManifest,
  type WasmMemory,
} from "@x86vm/core";
import {
  PC_MEDIA_SLOTS,
  isPcImageSlot,
  mediaSlot,
  restoreSnapshot,
  saveSnapshot,
  type PcImageSlot,
  type PcMachine,
  type PcRunResult,
} from "@x86vm/devices";
import {
  CNT_BUSY_MS,
  CNT_CLOCK_LAG_MS,
  CNT_CLOCK_LOST_MS,
  CNT_EXITS,
  CNT_GUEST_NS,
  CNT_INSTRET,
  CNT_RUN_MS,
  CNT_UPDATED_AT,
  CTL_DOORBELL,
  ControlBlock,
  VM_STATE_BOOTING,
  VM_STATE_FAILED,
  VM_STATE_NAMES,
  VM_STATE_PAUSED,
  VM_STATE_RUNNING,
  VM_STATE_STOPPED,
} from "../shared/control.ts";
import { SharedFramebuffer } from "../shared/framebuffer.ts";
import {
  IN_KEY_DOWN,
  IN_KEY_UP,
  IN_MOUSE_BUTTONS,
  IN_MOUSE_MOVE,
  IN_RELEASE_ALL,
  IN_SERIAL,
  INPUT_RECORD_INTS,
  KEY_CODES,
} from "../shared/input.ts";
import type {
  DiskWrites,
  MediaFile,
  MediaIdentity,
  MediaRole,
  SnapshotRequest,
  SnapshotResult,
  VmDetails,
  VmEvent,
  VmSetup,
} from "../shared/protocol.ts";
import { ByteRing, RecordRing } from "../shared/rings.ts";
import { SNAPSHOT_LIMITS } from "../shared/snapshot-limits.ts";
import { buildMachine, diskFor, MediaError } from "./machine-factory.ts";
import { addConsoleHistory, ConsoleHistory, readConsoleHistory } from "../shared/console-history.ts";
import { countDeflated, PIECE_BYTES } from "./deflate-count.ts";
import { countInflated, inflatedTotal } from "./inflate-count.ts";
import { findCom1, type SerialPort } from "./serial-hook.ts";
import { LanLink } from "./lan-link.ts";
import { NIC_MODELS, NIC_PARTS, macText, type NicModel } from "@x86vm/devices";
import { parkOn, sleepOn, yieldToEvents } from "./wait.ts";

/** Machine time run between looks at the control block and the input ring. */
export const SLICE_NS = 10e6;
/** Parts of a slice (as the CLI session's chunks: packages/cli/src/session/session.ts). */
const SLICE_PARTS = 4;
const FRAME_INTERVAL_MS = 1000 / 60;
/** Longest single sleep: frames (cursor blink) and counters stay fresh while idle. */
const MAX_SLEEP_MS = 50;
/** Sleep owed is capped, so a share raised from 1% takes effect within a second. */
const MAX_DEBT_MS = 1000;
/** Serial bytes held for a receiver that is full. */
const SERIAL_IN_LIMIT = 4096;
/** How often a restore tells the page how far it is. */
const RESTORE_REPORT_MS = 50;

function describe(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** The bytes of a base image, without a copy where the image is already in memory. */
function imageBuffer(img: DiskImage): ArrayBuffer {
  const b = img instanceof MemoryDisk ? img.bytes : null;
  if (b && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer)
    return b.buffer;
  const out = new Uint8Array(img.size);
  img.read(0, out);
  return out.buffer;
}

/** A base image of the restored machine, by snapshot slot. */
function machineImage(pc: PcMachine, slot: string): ArrayBuffer | null {
  const m = isPcImageSlot(slot) ? pc.mediaIn(slot) : null;
  return m ? imageBuffer(m.base) : null;
}

/**
 * The manifest of a snapshot already checked: one this worker just saved, or one
 * restoreSnapshot just accepted (readSnapshotManifest would hash the whole file once more).
 */
function checkedManifest(bytes: Uint8Array): SnapshotManifest {
  const length = new DataView(bytes.buffer, bytes.byteOffset, 32).getUint32(16, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(32, 32 + length))) as SnapshotManifest;
}

/** The last part of a hint (a path or URL), for naming an image. */
function baseName(hint: string | null): string | null {
  if (!hint) return null;
  const n = hint.split(/[\\/]/).pop();
  return n ? n.slice(0, 120) : null;
}

/** The slots whose drives the guest writes (the board's writable media slots). */
const DRIVE_ROLES: readonly MediaRole[] = PC_MEDIA_SLOTS.filter((s) => s.writable).map((s) => s.slot);

/** The drive in `role`, if the machine has one there. */
function driveOf(pc: PcMachine, role: MediaRole): CowDisk | null {
  return pc.disk(role);
}

export class VmRunner {
  private setup: VmSetup | null = null;
  private pc: PcMachine | null = null;
  private ctl!: ControlBlock;
  private fb!: SharedFramebuffer;
  private input!: RecordRing;
  private serialOut!: ByteRing;
  private serial: SerialPort | null = null;
  /** The machine's end of the page's LAN (setup.lan). */
  private lan: LanLink | null = null;
  /** What the guest sent on COM1, the last CONSOLE_HISTORY_BYTES of it. */
  private readonly history = new ConsoleHistory();
  private readonly serialIn: number[] = [];
  private onEvent: (e: VmEvent) => void = () => {};
  private media: MediaFile[] = [];
  /** The media in the machine now (this.media may hold a disk waiting for the next reset). */
  private machineMedia: MediaFile[] = [];
  /** The machine was resumed from a snapshot (until the next reset). */
  private restored = false;
  /**
   * Sectors the guest wrote since the page last asked (saved disks), by drive; "all" for a drive
   * whose whole overlay the page must take again (a new floppy, a machine reset).
   */
  private readonly written = new Map<MediaRole, Set<number> | "all">();
  /** A "disk" event is being prepared (the first one hashes the images). */
  private pushing = false;
  /** Drives whose writes are being watched. */
  private readonly watched = new WeakSet<CowDisk>();
  /** SHA-256 of each image, by its bytes. */
  private readonly hashes = new WeakMap<ArrayBuffer, string>();

  private loopDone: Promise<void> | null = null;
  private destroyed = false;
  private error: string | null = null;
  /** Why the guest stopped on its own (HLT with interrupts off), or null. */
  private stopped: string | null = null;
  private readonly parkWaiters: (() => void)[] = [];
  /** True while the loop is not running the machine (parked, failed, stopped, ended). */
  private parked = true;

  // Host time as the VM sees it: wall time less the time spent paused.
  private readonly bornAt = performance.now();
  private pausedTotalMs = 0;
  private pausedAt = -1;

  private debtMs = 0;
  private busyMs = 0;
  /** Counters of machines before the last reset, so the page's counters never go back. */
  private baseInstret = 0;
  private baseGuestNs = 0;
  private baseLostMs = 0;
  private readonly baseExits = new Float64Array(EXIT_COUNT);

  private lastFrameAt = -Infinity;
  private lastStamp = NaN;
  private lastWidth = 0;
  private lastHeight = 0;
  private textMode = true;
  private warnedSize = false;
  private readonly rec = new Int32Array(INPUT_RECORD_INTS);

  /** COM1 output: to the page's ring and the history. */
  private readonly serialSink = (b: number): void => {
    this.serialOut.writeByte(b);
    this.history.push(b);
  };

  /** Host ms since the VM was created, not counting pauses. */
  readonly runClock = (): number => {
    const now = performance.now();
    return now - this.bornAt - this.pausedTotalMs - (this.pausedAt >= 0 ? now - this.pausedAt : 0);
  };

  /**
   * Runs `f` with the VM's host time stopped (as while paused), unless it is stopped already.
   * Saving and restoring read the machine clock many times (the clock itself, each device's
   * deadlines, the CPU's TSC): with the clock held, every reading is of the same instant, and
   * a restore's own duration is not time the guest sees pass.
   */
  private async withClockHeld<T>(f: () => Promise<T>): Promise<T> {
    if (this.pausedAt >= 0) return f();
    this.pausedAt = performance.now();
    try {
      return await f();
    } finally {
      this.pausedTotalMs += performance.now() - this.pausedAt;
      this.pausedAt = -1;
    }
  }

  // ---- Control (called through comlink) ----

  async create(setup: VmSetup, onEvent: (e: VmEvent) => void): Promise<void> {
    if (this.setup) throw new Error("this worker already has a VM");
    this.setup = setup;
    this.onEvent = onEvent;
    this.ctl = new ControlBlock(setup.control);
    this.fb = new SharedFramebuffer(setup.framebuffer);
    this.input = new RecordRing(setup.input, INPUT_RECORD_INTS);
    this.serialOut = new ByteRing(setup.serialOut);
    if (setup.lan) this.lan = new LanLink(setup.lan);
    this.media = [...setup.media];
    this.ctl.state = VM_STATE_BOOTING;
    if (setup.snapshot) {
      await this.restore(setup, setup.snapshot);
      return;
    }
    try {
      this.powerOn();
    } catch (e) {
      const msg = e instanceof MediaError ? e.message : `cannot build the machine: ${describe(e)}`;
      this.fail(msg);
      throw new Error(msg, { cause: e });
    }
  }

  start(): void {
    if (!this.setup) throw new Error("create the VM first");
    this.loopDone ??= this.loop();
  }

  async pause(): Promise<void> {
    if (!this.setup) return;
    this.ctl.pauseRequested = true;
    if (this.parked) return;
    await new Promise<void>((resolve) => this.parkWaiters.push(resolve));
  }

  resume(): void {
    if (this.setup) this.ctl.pauseRequested = false;
  }

  async reset(): Promise<void> {
    if (!this.setup || this.destroyed) return;
    // A power cycle keeps what the guest wrote to its disks, as a PC's disks do: each drive
    // whose image stays goes on with its written sectors.
    const kept = new Map<MediaRole, Map<number, Uint8Array>>();
    const old = this.pc;
    if (old)
      for (const role of DRIVE_ROLES) {
        const d = driveOf(old, role);
        const m = this.machineMedia.find((x) => x.role === role);
        if (d && m && this.media.includes(m)) kept.set(role, d.overlay);
      }
    this.account();
    this.error = null;
    this.stopped = null;
    try {
      this.powerOn();
      for (const role of DRIVE_ROLES) {
        const d = driveOf(this.pc!, role);
        if (!d) continue;
        const o = kept.get(role);
        if (o) {
          d.overlay.clear();
          for (const [n, sector] of o) d.overlay.set(n, sector);
        } else this.written.set(role, "all"); // another image: saved disks take it whole
      }
      this.setState(VM_STATE_BOOTING);
      this.publishFrame(true);
    } catch (e) {
      this.fail(e instanceof MediaError ? e.message : `cannot build the machine: ${describe(e)}`);
    }
    this.loopDone ??= this.loop(); // a VM whose first power-on failed has no loop yet
    this.ctl.ring();
  }

  async resize(memory: WasmMemory, ramBytes: number): Promise<void> {
    if (!this.setup || this.destroyed) return;
    this.setup = { ...this.setup, memory, ramBytes };
    await this.reset();
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    if (!this.setup) return;
    this.ctl.ring();
    await this.loopDone;
    this.pc = null;
    this.ctl.state = VM_STATE_STOPPED;
  }

  async insertMedia(file: MediaFile): Promise<void> {
    const disk = diskFor(file); // refuses a bad image before anything changes
    this.media = this.media.filter((m) => m.role !== file.role);
    this.media.push(file);
    const pc = this.pc;
    const slot = mediaSlot(file.role);
    // A floppy or a CD goes in at once (the guest sees a media change); other slots at the next reset.
    if (pc && slot?.removable) {
      pc.insertMedia(file.role, disk);
      this.machineMedia = [...this.machineMedia.filter((m) => m.role !== file.role), file];
      if (slot.writable) {
        if (file.overlay) this.applyOverlay(pc, file.role, file.overlay);
        this.watchDrives(pc);
        this.written.set(file.role, "all");
      }
      this.onEvent({ kind: "notice", message: `${file.name} inserted in ${slot.title}` });
    } else {
      this.onEvent({ kind: "notice", message: `${file.name} will be attached at the next reset` });
    }
  }

  async ejectMedia(role: MediaRole): Promise<void> {
    const had = this.media.find((m) => m.role === role);
    this.media = this.media.filter((m) => m.role !== role);
    const pc = this.pc;
    if (pc && mediaSlot(role)?.removable) {
      pc.ejectMedia(role);
      this.machineMedia = this.machineMedia.filter((m) => m.role !== role);
    }
    if (had) this.onEvent({ kind: "notice", message: `${had.name} ejected` });
  }

  details(): VmDetails {
    const pc = this.pc;
    let overlayBytes = 0;
    if (pc) for (const d of [...pc.floppies, ...pc.hardDisks]) if (d) overlayBytes += d.overlay.size * 512;
    const size = pc ? pc.vga.displaySize() : { width: 0, height: 0 };
    return {
      state: this.setup ? this.ctl.stateName : "booting",
      error: this.error ?? this.stopped,
      machine: pc !== null,
      display: { ...size, text: pc ? pc.vga.textScreen() !== null : false },
      overlayBytes,
      mediaBytes: this.media.reduce((n, m) => n + m.bytes.byteLength, 0),
      unsupportedBios: pc ? Object.fromEntries(pc.bios.unsupported) : {},
      serial: this.serial !== null,
      media: this.media.map((m) => ({ role: m.role, name: m.name, bytes: m.bytes.byteLength, url: m.url ?? null })),
      restored: this.restored,
      mac: pc?.nic ? macText(pc.nic.mac) : null,
      nic: pc ? machineNic(pc) : null,
    };
  }

  screenText(): string | null {
    const rows = this.pc?.textRows();
    return rows ? rows.join("\n") : null;
  }

  async snapshot(req: SnapshotRequest): Promise<SnapshotResult> {
    const pc = this.pc;
    if (!pc || this.destroyed) throw new Error("this VM has no machine to snapshot");
    if (this.error !== null) throw new Error(`a failed VM cannot be snapshotted (${this.error})`);
    const t0 = performance.now();
    this.drainInput(pc);
    const hints: Partial<Record<PcImageSlot, string>> = {};
    const embed: PcImageSlot[] = [];
    for (const m of this.machineMedia) {
      const slot: PcImageSlot = m.role;
      hints[slot] = m.url ?? m.name;
      if (!m.url && req.embedUserImages) embed.push(slot);
    }
    // The page's bar: bytes compressed of those to compress (the sections handed in so far, and
    // the images to embed, whose sections come last), sent at most every RESTORE_REPORT_MS, and
    // only once the large sections are in (RAM pages come third, after two small ones: a total
    // of those alone would be far from the end). An image's section is known by its size.
    const toEmbed = this.machineMedia.filter((m) => embed.includes(m.role)).map((m) => m.bytes.byteLength);
    let given = 0,
      taken = 0,
      sentAt = -Infinity;
    const report = (force: boolean) => {
      if (!force && given < PIECE_BYTES) return;
      const total = given + toEmbed.reduce((a, b) => a + b, 0);
      const now = performance.now();
      if (force || now - sentAt >= RESTORE_REPORT_MS) {
        sentAt = now;
        this.onEvent({ kind: "save", loaded: Math.min(taken, total), total });
      }
    };
    const counter = {
      input: (n: number) => {
        const i = toEmbed.indexOf(n);
        if (i >= 0) toEmbed.splice(i, 1);
        given += n;
        report(false);
      },
      done: (n: number) => {
        taken += n;
        report(false);
      },
    };
    const bytes = await countDeflated(counter, async () => {
      // saveSnapshot captures the whole state before its first await: the machine may run on.
      let saving!: Promise<Uint8Array>;
      let history!: Uint8Array;
      await this.withClockHeld(async () => {
        saving = saveSnapshot(pc, { hints, embedImages: embed, createdMs: Date.now(), note: req.note?.slice(0, 200) });
        history = this.history.bytes();
      });
      return addConsoleHistory(await saving, history);
    });
    report(true);
    const manifest = checkedManifest(bytes);
    const images = manifest.images.map((ref) => {
      const m = this.machineMedia.find((x) => x.role === ref.slot);
      return {
        slot: ref.slot,
        name: m?.name ?? baseName(ref.hint) ?? ref.slot,
        bytes: ref.size,
        sha256: ref.sha256,
        embedded: ref.embedded !== null,
        url: m?.url ?? null,
      };
    });
    const buffer =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
        ? bytes.buffer
        : bytes.slice().buffer;
    return { bytes: buffer, saveMs: performance.now() - t0, images };
  }

  // ---- Saved disks ----

  /**
   * Sends what the slice wrote to the page at once: the page then holds every write but those
   * of the slice running now, and can store them while it is being left (saved-disks.ts).
   */
  private async pushWrites(): Promise<void> {
    if (this.pushing) return;
    this.pushing = true;
    try {
      const writes = await this.diskWrites();
      if (writes && !this.destroyed) this.onEvent({ kind: "disk", writes });
    } finally {
      this.pushing = false;
    }
  }

  async diskWrites(): Promise<DiskWrites | null> {
    const pc = this.pc;
    if (!pc || this.written.size === 0) return null;
    const written = [...this.written];
    this.written.clear();
    const overlays: DiskWrites["overlays"] = [];
    for (const [role, w] of written) {
      const d = driveOf(pc, role);
      if (!d) continue;
      const numbers = w === "all" ? [...d.overlay.keys()] : [...w].filter((n) => d.overlay.has(n));
      const sectors = Uint32Array.from(numbers.sort((a, b) => a - b));
      const data = new Uint8Array(sectors.length * 512);
      sectors.forEach((n, i) => data.set(d.overlay.get(n)!, i * 512));
      overlays.push({ role, whole: w === "all", sectors, data });
    }
    const media: MediaIdentity[] = [];
    for (const m of this.machineMedia) {
      let sha = this.hashes.get(m.bytes);
      if (!sha) {
        sha = await sha256Hex(new Uint8Array(m.bytes));
        this.hashes.set(m.bytes, sha);
      }
      media.push({ role: m.role, name: m.name, url: m.url ?? null, sha256: sha, bytes: m.bytes.byteLength });
    }
    return { media, overlays };
  }

  mediaBytes(role: MediaRole): ArrayBuffer | null {
    const m = this.machineMedia.find((x) => x.role === role);
    return m ? m.bytes.slice(0) : null;
  }

  /** Notes each write to the machine's drives (the page saves the written drives). */
  private watchDrives(pc: PcMachine): void {
    for (const role of DRIVE_ROLES) {
      const d = driveOf(pc, role);
      if (!d || this.watched.has(d)) continue;
      this.watched.add(d);
      const write = d.write.bind(d);
      d.write = (offset, src) => {
        write(offset, src);
        const w = this.written.get(role);
        if (w === "all" || src.length === 0) return;
        const set = w ?? new Set<number>();
        for (let n = Math.floor(offset / 512); n <= Math.floor((offset + src.length - 1) / 512); n++) set.add(n);
        if (!w) this.written.set(role, set);
      };
    }
  }

  /** Puts sectors written before (a saved disk) over the drive's image. */
  private applyOverlay(pc: PcMachine, role: MediaRole, o: { sectors: Uint32Array; data: Uint8Array }): void {
    const d = driveOf(pc, role);
    if (!d) return;
    const last = Math.ceil(d.size / 512);
    o.sectors.forEach((n, i) => {
      if (n < last && (i + 1) * 512 <= o.data.length) d.overlay.set(n, o.data.slice(i * 512, (i + 1) * 512));
    });
  }

  // ---- The machine ----

  /** Builds the machine from a snapshot (create with setup.snapshot). */
  private async restore(setup: VmSetup, snapshot: ArrayBuffer): Promise<void> {
    const given = new Map(setup.media.map((m) => [m.role as string, m]));
    const bytes = new Uint8Array(snapshot);
    let pc: PcMachine;
    // The page's bar: bytes of the sections expanded, sent at most every RESTORE_REPORT_MS.
    const total = inflatedTotal(bytes);
    let loaded = 0,
      sentAt = -Infinity;
    const counted = (n: number) => {
      loaded += n;
      const now = performance.now();
      if (total > 0 && (now - sentAt >= RESTORE_REPORT_MS || loaded >= total)) {
        sentAt = now;
        this.onEvent({ kind: "restore", loaded: Math.min(loaded, total), total });
      }
    };
    try {
      pc = await countInflated(counted, () =>
        this.withClockHeld(() =>
          restoreSnapshot(bytes, {
            ...SNAPSHOT_LIMITS,
            // restoreSnapshot checks each image's size and SHA-256 against the snapshot.
            images: (_sha, _size, _hint, slot) => {
              const f = given.get(slot);
              return f ? new MemoryDisk(new Uint8Array(f.bytes), true) : null;
            },
            clock: setup.clock ?? "realtime",
            hostMs: this.runClock,
            ram: VmMemory.adopt(setup.memory, setup.ramBytes),
          }),
        ),
      );
    } catch (e) {
      const msg = e instanceof SnapshotError ? e.message : `cannot resume the snapshot: ${describe(e)}`;
      this.fail(msg);
      throw new Error(msg, { cause: e });
    }
    // The console as it was. A history that cannot be read costs only the history.
    try {
      const history = await readConsoleHistory(bytes);
      if (history) this.history.set(history);
    } catch (e) {
      this.onEvent({ kind: "notice", message: `the snapshot's console history was not restored: ${describe(e)}` });
    }
    // What a reset boots again: the images the snapshot names (given, or embedded in it).
    const manifest = checkedManifest(bytes);
    const media: MediaFile[] = [];
    for (const ref of manifest.images) {
      const g = given.get(ref.slot);
      if (g) {
        media.push(g);
        continue;
      }
      const b = machineImage(pc, ref.slot);
      if (b) media.push({ role: ref.slot as MediaRole, name: baseName(ref.hint) ?? ref.slot, bytes: b });
    }
    this.media = media;
    this.machineMedia = [...media];
    this.setup = {
      ...setup,
      snapshot: undefined,
      media: [],
      cmdline: pc.bios.platform.linux?.cmdline ?? setup.cmdline,
    };
    // A reset keeps the snapshot's card and its station address: the guest and its peers know it.
    if (this.setup.lan && pc.nic) {
      this.setup.lan = { ...this.setup.lan, mac: [...pc.nic.mac] };
      this.setup.nic = machineNic(pc) ?? undefined;
    }
    this.restored = true;
    this.pc = pc;
    this.joinLan(pc);
    this.watchDrives(pc);
    this.serial = findCom1(pc);
    this.serial?.setSink(this.serialSink);
    this.lastStamp = NaN;
    this.debtMs = 0;
    this.updateCounters(pc);
    this.publishFrame(true);
  }

  private powerOn(): void {
    const setup = this.setup!;
    new Uint8Array(setup.memory.buffer).fill(0);
    this.pc = buildMachine({
      ram: VmMemory.adopt(setup.memory, setup.ramBytes),
      media: this.media,
      cmdline: setup.cmdline,
      apic: setup.apic,
      startTimeMs: setup.startTimeMs,
      hostMs: this.runClock,
      clock: setup.clock,
      mac: setup.lan ? Uint8Array.from(setup.lan.mac) : undefined,
      nic: setup.nic,
    });
    this.joinLan(this.pc);
    this.machineMedia = [...this.media];
    this.restored = false;
    this.written.clear();
    for (const m of this.media) if (m.overlay) this.applyOverlay(this.pc, m.role, m.overlay);
    this.watchDrives(this.pc);
    this.serial = findCom1(this.pc);
    this.serial?.setSink(this.serialSink);
    this.lastStamp = NaN;
    this.debtMs = 0;
  }

  /** Joins the machine's network card, if it has one, to the page's LAN. */
  private joinLan(pc: PcMachine): void {
    if (!this.lan) return;
    if (pc.nic) this.lan.attach(pc.nic, pc.nicLink);
    else this.lan.detach();
  }

  /** Adds the current machine's counters to the base before it is replaced. */
  private account(): void {
    const pc = this.pc;
    if (!pc) return;
    this.baseInstret += pc.machine.cpu.instret;
    this.baseGuestNs += pc.machine.clock.now();
    this.baseLostMs += pc.machine.clock.lostNs / 1e6;
    const c = pc.machine.io.counts;
    for (let i = 0; i < EXIT_COUNT; i++) this.baseExits[i] += c[i];
    this.pc = null;
  }

  private setState(s: number): void {
    if (this.ctl.state === s) return;
    this.ctl.state = s;
    this.onEvent({ kind: "state", state: VM_STATE_NAMES[s] });
  }

  private fail(message: string): void {
    this.error = message;
    this.ctl.state = VM_STATE_FAILED;
    this.onEvent({ kind: "failed", message });
  }

  private async loop(): Promise<void> {
    while (!this.destroyed) {
      this.ctl.beat();
      try {
        await this.turn();
      } catch (e) {
        // Anything the machine throws outside pc.run (drawing the screen, a device callback)
        // stops this VM like an emulator error inside it would.
        this.fail(`emulator error: ${describe(e)}`);
      }
    }
    this.park();
  }

  /** One turn of the loop (see the top of the file). */
  private async turn(): Promise<void> {
    const ctl = this.ctl;
    if (this.pc === null || this.error !== null || this.stopped !== null) {
      this.park();
      await this.waitWhile(() => this.pc === null || this.error !== null || this.stopped !== null);
      return;
    }
    if (ctl.pauseRequested) {
      await this.parkPaused();
      return;
    }
    if (this.debtMs >= 1) {
      this.debtMs -= await this.sleep(Math.min(this.debtMs, MAX_SLEEP_MS), ctl.doorbell);
      this.publishFrame(false);
      return;
    }
    this.parked = false;
    await this.slice(this.pc);
  }

  /** One time slice of the running machine, then a sleep or a turn for messages. */
  private async slice(pc: PcMachine): Promise<void> {
    const ctl = this.ctl;
    this.setState(VM_STATE_RUNNING);
    const seen = ctl.doorbell;
    this.drainInput(pc);
    const t0 = performance.now();
    let r: PcRunResult = { kind: "ran" };
    try {
      // In parts; between them, while WebAssembly modules compile, a turn of the event loop lets
      // finished ones join (their promises settle in event-loop tasks) instead of a slice later.
      for (let part = 0; part < SLICE_PARTS && r.kind === "ran"; part++) {
        if (part > 0 && pc.machine.cpu.jit.pending > 0) {
          await yieldToEvents();
          // A message handled meanwhile may have replaced the machine, or asked it to stop.
          if (this.pc !== pc || this.destroyed) return;
          if (this.error !== null || this.stopped !== null || ctl.pauseRequested) break;
        }
        this.lan?.pump();
        // A guest catching up on its clock runs its slice faster than the host's time: the slice
        // grows by as much, so it lasts about SLICE_NS of host time and the turn's overhead
        // stays small beside it.
        r = pc.run((SLICE_NS / SLICE_PARTS) * Math.max(1, pc.machine.clock.catchUp));
      }
    } catch (e) {
      this.updateCounters(pc);
      this.publishFrame(true);
      this.fail(`emulator error: ${describe(e)}`);
      return;
    }
    const t1 = performance.now();
    const busy = t1 - t0;
    this.busyMs += busy;
    this.updateCounters(pc);
    this.publishFrame(false, t1);
    if (this.written.size > 0) void this.pushWrites();
    if (r.kind === "shutdown") {
      this.publishFrame(true);
      this.fail(`the guest stopped the machine: ${r.reason}`);
      return;
    }
    if (r.kind === "no-boot") {
      this.publishFrame(true);
      this.fail(`no bootable disk (${r.reason})`);
      return;
    }
    if (r.kind === "power-off") {
      this.publishFrame(true);
      this.stopped = "powered off: the guest turned the machine off (reset to start again)";
      this.setState(VM_STATE_STOPPED);
      this.onEvent({ kind: "notice", message: this.stopped });
      return;
    }
    if (r.kind === "halted-forever") {
      this.publishFrame(true);
      this.stopped = "the guest halted with interrupts disabled; nothing can wake it (reset to start again)";
      this.setState(VM_STATE_STOPPED);
      this.onEvent({ kind: "notice", message: this.stopped });
      return;
    }
    const share = ctl.share;
    if (share < 100) this.debtMs = Math.min(MAX_DEBT_MS, this.debtMs + (busy * (100 - share)) / share);
    // A guest idle with frames from the LAN waiting for its card runs again at once: frames its
    // card had no room for at the last pump (the switch's doorbell rang before this slice).
    if (r.kind === "idle" && !this.lan?.ready) {
      const waitMs = Math.min((r.untilNs - pc.machine.clock.now()) / 1e6, MAX_SLEEP_MS);
      if (waitMs > 0.25) {
        this.debtMs = Math.max(0, this.debtMs - (await this.sleep(waitMs, seen)));
        return;
      }
    }
    await yieldToEvents();
  }

  /** Sleeps up to `ms`, less if the doorbell rings (or rang since `seen`). Returns ms slept. */
  private async sleep(ms: number, seen: number): Promise<number> {
    const t0 = performance.now();
    await sleepOn(this.ctl.i32, CTL_DOORBELL, seen, ms);
    return performance.now() - t0;
  }

  /** Waits on the doorbell, without a timeout, for as long as `cond` holds. */
  private async waitWhile(cond: () => boolean): Promise<void> {
    for (;;) {
      const seen = this.ctl.doorbell;
      if (this.destroyed || !cond()) return;
      await parkOn(this.ctl.i32, CTL_DOORBELL, seen, Infinity);
    }
  }

  private async parkPaused(): Promise<void> {
    this.pausedAt = performance.now();
    if (this.pc) this.updateCounters(this.pc);
    this.publishFrame(true);
    this.setState(VM_STATE_PAUSED);
    this.park();
    if (this.pc) this.pc.keyboard.releaseAll();
    await this.waitWhile(() => this.ctl.pauseRequested && this.pc !== null && this.error === null);
    this.pausedTotalMs += performance.now() - this.pausedAt;
    this.pausedAt = -1;
    this.debtMs = 0;
  }

  /** The machine is not running: answer every pause() waiting for that. */
  private park(): void {
    this.parked = true;
    for (const r of this.parkWaiters.splice(0)) r();
  }

  // ---- Shared buffers ----

  private drainInput(pc: PcMachine): void {
    const rec = this.rec;
    while (this.input.pop(rec)) {
      switch (rec[0]) {
        case IN_KEY_DOWN: {
          const c = KEY_CODES[rec[1]];
          if (c) pc.keyboard.pressKey(c);
          break;
        }
        case IN_KEY_UP: {
          const c = KEY_CODES[rec[1]];
          if (c) pc.keyboard.releaseKey(c);
          break;
        }
        case IN_RELEASE_ALL:
          pc.keyboard.releaseAll();
          break;
        case IN_MOUSE_MOVE:
          pc.mouse.move(rec[1], rec[2], rec[3]);
          break;
        case IN_MOUSE_BUTTONS:
          pc.mouse.setButtons(rec[1]);
          break;
        case IN_SERIAL:
          if (this.serial && this.serialIn.length < SERIAL_IN_LIMIT) this.serialIn.push(rec[1] & 0xff);
          break;
      }
    }
    if (this.serial && this.serialIn.length > 0) {
      const n = this.serial.send(this.serialIn);
      if (n > 0) this.serialIn.splice(0, n);
    }
  }

  private updateCounters(pc: PcMachine): void {
    const f = this.ctl.f64,
      m = pc.machine;
    f[CNT_INSTRET] = this.baseInstret + m.cpu.instret;
    // The guest's own clock (the one its TSC, PIT and RTC read), not the host's: the page's
    // guest/host ratio is what the guest sees.
    f[CNT_GUEST_NS] = this.baseGuestNs + m.clock.now();
    f[CNT_CLOCK_LAG_MS] = m.clock.lag() / 1e6;
    f[CNT_CLOCK_LOST_MS] = this.baseLostMs + m.clock.lostNs / 1e6;
    f[CNT_BUSY_MS] = this.busyMs;
    f[CNT_RUN_MS] = this.runClock();
    f[CNT_UPDATED_AT] = performance.timeOrigin + performance.now();
    const c = m.io.counts;
    for (let i = 0; i < EXIT_COUNT; i++) f[CNT_EXITS + i] = this.baseExits[i] + c[i];
  }

  /** Draws the VGA picture into the shared framebuffer if it changed (or `force`). */
  private publishFrame(force: boolean, now = performance.now()): void {
    const pc = this.pc;
    if (!pc) return;
    if (!force && now - this.lastFrameAt < FRAME_INTERVAL_MS) return;
    const vga = pc.vga;
    const stamp = vga.displayStamp();
    const { width, height } = vga.displaySize();
    const resized = width !== this.lastWidth || height !== this.lastHeight;
    if (stamp === this.lastStamp && !resized) return;
    this.lastFrameAt = now;
    this.lastStamp = stamp;
    if (resized) {
      this.lastWidth = width;
      this.lastHeight = height;
      this.textMode = vga.textScreen() !== null;
    }
    if (!this.fb.fits(width, height)) {
      if (!this.warnedSize)
        this.onEvent({
          kind: "notice",
          message: `the guest's ${width}x${height} picture is larger than the screen buffer`,
        });
      this.warnedSize = true;
      return;
    }
    vga.render(this.fb.beginWrite(width, height));
    this.fb.endWrite(this.textMode);
  }
}

/** The network card a machine has (made, or resumed from a snapshot's records), or null. */
function machineNic(pc: PcMachine): NicModel | null {
  return NIC_MODELS.find((m) => pc.parts[NIC_PARTS[m]]) ?? null;
}
