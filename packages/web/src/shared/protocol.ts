// The control protocol between the shell and a VM worker, spoken through comlink. Only control
// travels as messages; screen, input, serial output and live counters travel through the
// shared buffers named in VmSetup (see control.ts, framebuffer.ts, rings.ts).

import type { VmStateName } from "./control.ts";

/** Where an image goes: floppy drives, hard disks, CD-ROM, or a Linux kernel and initrd. */
export type MediaRole = "fda" | "fdb" | "hda" | "hdb" | "cdrom" | "kernel" | "initrd";

export const MEDIA_ROLE_NAMES: Record<MediaRole, string> = {
  fda: "floppy A:", fdb: "floppy B:", hda: "hard disk 0", hdb: "hard disk 1", cdrom: "CD-ROM",
  kernel: "Linux kernel", initrd: "initrd",
};

export interface MediaFile {
  role: MediaRole;
  /** The file name, for messages. */
  name: string;
  bytes: ArrayBuffer;
}

export interface VmSetup {
  id: string;
  name: string;
  /** Guest RAM, allocated by the shell's host allocator. */
  ram: SharedArrayBuffer;
  control: SharedArrayBuffer;
  framebuffer: SharedArrayBuffer;
  /** Page -> worker input records (input.ts). */
  input: SharedArrayBuffer;
  /** Worker -> page serial output bytes (COM1). */
  serialOut: SharedArrayBuffer;
  media: MediaFile[];
  /** Kernel command line, when booting a Linux kernel. */
  cmdline?: string;
  /** Wall-clock time the guest's RTC starts from (Unix ms). */
  startTimeMs: number;
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
  /** Media currently in the machine, by role. */
  media: { role: MediaRole; name: string; bytes: number }[];
}

export type VmEvent =
  | { kind: "failed"; message: string }
  | { kind: "state"; state: VmStateName }
  | { kind: "notice"; message: string };

/** The API a VM worker exposes through comlink. */
export interface VmWorkerApi {
  /** Builds the machine; throws (and reports "failed") on a bad image or configuration. */
  create(setup: VmSetup, onEvent: (e: VmEvent) => void): Promise<void>;
  /** Starts the time-slice loop. */
  start(): void;
  /** Stops using the CPU; resolves once the loop has parked. */
  pause(): Promise<void>;
  resume(): void;
  /** Power cycle: a fresh machine on the same RAM buffer and media (also restarts a failed VM). */
  reset(): Promise<void>;
  /** Gives the VM a new RAM buffer (another size) and power-cycles it. */
  resize(ram: SharedArrayBuffer): Promise<void>;
  /** Stops the loop for good and lets go of the machine. */
  destroy(): Promise<void>;
  /** Puts an image in a drive (floppy drives only while running). */
  insertMedia(file: MediaFile): Promise<void>;
  ejectMedia(role: MediaRole): Promise<void>;
  details(): VmDetails;
  /** The text screen as lines (trailing blanks trimmed), or null in a graphics mode. */
  screenText(): string | null;
}
