// The control protocol between the shell and a VM worker, spoken through comlink. Only control
// travels as messages; screen, input, serial output and live counters travel through the
// shared buffers named in VmSetup (see control.ts, framebuffer.ts, rings.ts).

import type { ClockMode, WasmMemory } from "@x86vm/core";
import { PC_MEDIA_SLOTS, type NicModel, type PcImageSlot } from "@x86vm/devices";
import type { VmStateName } from "./control.ts";
import type { LanWire } from "./lan.ts";

/**
 * Where an image goes: floppy drives, hard disks, CD-ROM, or a Linux kernel and initrd: the
 * board's media slots (packages/devices/src/pc/board.ts), which snapshots name the same way.
 */
export type MediaRole = PcImageSlot;

export const MEDIA_ROLE_NAMES = Object.fromEntries(PC_MEDIA_SLOTS.map((s) => [s.slot, s.title])) as Record<
  MediaRole,
  string
>;

export interface MediaFile {
  role: MediaRole;
  /** The file name, for messages. */
  name: string;
  bytes: ArrayBuffer;
  /**
   * Where this server serves the file (a catalog image), or absent for the user's own file.
   * Snapshots record it as the image's hint; images without it are the ones a recipient must
   * open themselves unless they are embedded.
   */
  url?: string;
  /** For a drive: sectors the guest wrote before (a saved disk resumed), applied over the image. */
  overlay?: SectorOverlay;
}

/** Sectors of a drive, each 512 bytes: sector numbers (increasing) and their bytes back to back. */
export interface SectorOverlay {
  sectors: Uint32Array;
  data: Uint8Array;
}

/** A medium of the machine as saved disks record it: which image, by SHA-256. */
export interface MediaIdentity {
  role: MediaRole;
  name: string;
  url: string | null;
  sha256: string;
  bytes: number;
}

/** What the guest wrote to its drives: every drive written since the last look, whole. */
export interface DiskWrites {
  /** All the media of the machine (to make it again). */
  media: MediaIdentity[];
  /**
   * The drives written since the last look: the sectors written since then, or (`whole`) every
   * sector written since power-on, which replaces what was saved before.
   */
  overlays: ({ role: MediaRole; whole: boolean } & SectorOverlay)[];
}

export interface VmSetup {
  id: string;
  name: string;
  /**
   * The VM memory (core's memory/layout.ts: CPU state block, TLB, then ramBytes of guest RAM), a
   * shared WebAssembly.Memory allocated by the shell's host allocator.
   */
  memory: WasmMemory;
  ramBytes: number;
  control: SharedArrayBuffer;
  framebuffer: SharedArrayBuffer;
  /** Page -> worker input records (input.ts). */
  input: SharedArrayBuffer;
  /** Worker -> page serial output bytes (COM1). */
  serialOut: SharedArrayBuffer;
  media: MediaFile[];
  /** Kernel command line, when booting a Linux kernel. */
  cmdline?: string;
  /** false: no local APIC and I/O APIC, the 8259s only (default: with them, PcOptions.apic). */
  apic?: boolean;
  /** Wall-clock time the guest's RTC starts from (Unix ms). */
  startTimeMs: number;
  /**
   * The machine clock (default realtime: host time). "deterministic": guest time advances with
   * executed instructions (10 ns each), idle time is skipped, so a run's timing does not depend
   * on the host; a resumed snapshot keeps the clock it was saved with.
   */
  clock?: ClockMode;
  /**
   * A snapshot to resume instead of booting: `media` then holds the base images it references
   * (by slot as role; embedded ones come from the snapshot), and `ramBytes` is its RAM size.
   */
  snapshot?: ArrayBuffer;
  /**
   * The page's LAN (lan.ts): the machine gets a network card (the RTL8029) with this station
   * address, joined to the LAN's switch. A resumed snapshot's card (if it has one) joins it.
   */
  lan?: LanWire;
  /** The card on the LAN (PcOptions.net.card; default "ne2k-pci", the RTL8029). */
  nic?: NicModel;
}

export interface SnapshotRequest {
  /** Embed the user's own images (those without a url) in the snapshot. */
  embedUserImages: boolean;
  /** Recorded in the snapshot (the VM's name). */
  note?: string;
}

/** A base image as a snapshot names it. */
export interface SnapshotImage {
  slot: string;
  name: string;
  bytes: number;
  sha256: string;
  /** Inside the snapshot. */
  embedded: boolean;
  /** A catalog image of this server (its url is the hint). */
  url: string | null;
}

export interface SnapshotResult {
  bytes: ArrayBuffer;
  /** Host ms from the request to the finished snapshot (capture, compression, hashing). */
  saveMs: number;
  images: SnapshotImage[];
}

/** What the worker reports on request (live counters are in the control block instead). */
export interface VmDetails {
  state: VmStateName;
  error: string | null;
  /** A machine exists (false when building it failed). */
  machine: boolean;
  display: { width: number; height: number; text: boolean };
  /** Bytes of guest writes held in the disks' copy-on-write overlays. */
  overlayBytes: number;
  /** Bytes of the disk images and kernel files the worker holds. */
  mediaBytes: number;
  /** BIOS services the guest called that the BIOS does not implement ("INT 15h AH=C0h": count). */
  unsupportedBios: Record<string, number>;
  /** Whether the machine has a serial port wired to the console ring. */
  serial: boolean;
  /** Media the VM has (in the machine, or waiting for the next reset), by role; url for catalog images. */
  media: { role: MediaRole; name: string; bytes: number; url: string | null }[];
  /** The VM was resumed from a snapshot (until its next reset). */
  restored: boolean;
  /** The network card's station address ("52:54:00:12:34:56"), or null without a card. */
  mac: string | null;
  /** Which network card the machine has, or null without one. */
  nic: NicModel | null;
}

export type VmEvent =
  | { kind: "failed"; message: string }
  | { kind: "state"; state: VmStateName }
  | { kind: "notice"; message: string }
  /** What the guest wrote to its drives, sent as soon as a time slice wrote (saved disks). */
  | { kind: "disk"; writes: DiskWrites }
  /** A snapshot being resumed: bytes of its compressed sections expanded so far, of their total. */
  | { kind: "restore"; loaded: number; total: number }
  /** A snapshot being saved: bytes of its sections compressed so far, of those to compress. */
  | { kind: "save"; loaded: number; total: number };

/** The API a VM worker exposes through comlink. */
export interface VmWorkerApi {
  /**
   * Builds the machine, or resumes setup.snapshot; throws (and reports "failed") on a bad image,
   * configuration or snapshot.
   */
  create(setup: VmSetup, onEvent: (e: VmEvent) => void): Promise<void>;
  /** Starts the time-slice loop. */
  start(): void;
  /** Stops using the CPU; resolves once the loop has parked. */
  pause(): Promise<void>;
  resume(): void;
  /**
   * Power cycle: a fresh machine on the same RAM buffer and media, its drives keeping what the
   * guest wrote (also restarts a failed VM).
   */
  reset(): Promise<void>;
  /** Gives the VM a new memory (another RAM size) and power-cycles it. */
  resize(memory: WasmMemory, ramBytes: number): Promise<void>;
  /** Stops the loop for good and lets go of the machine. */
  destroy(): Promise<void>;
  /** Puts an image in a drive (floppy drives only while running). */
  insertMedia(file: MediaFile): Promise<void>;
  ejectMedia(role: MediaRole): Promise<void>;
  details(): VmDetails;
  /** The text screen as lines (trailing blanks trimmed), or null in a graphics mode. */
  screenText(): string | null;
  /**
   * Saves the machine's state (docs/snapshot-format.md). The state is captured between two time
   * slices, with pending input delivered first; the VM runs on while it is compressed.
   */
  snapshot(req: SnapshotRequest): Promise<SnapshotResult>;
  /**
   * The sectors the guest wrote to its drives since the last call or "disk" event (null: none),
   * for saved disks.
   */
  diskWrites(): Promise<DiskWrites | null>;
  /** The bytes of the image in `role` as the machine got it (without the guest's writes). */
  mediaBytes(role: MediaRole): ArrayBuffer | null;
}
