// window.x86vm: the page's scripting API, for tests (Playwright) and the browser console.
//
//   x86vm.vms                      the VMs, in creation order (a fresh array each time)
//   x86vm.vm(idOrName)             one VM
//   x86vm.create(opts)             creates a VM: { guest: "freedos" } from the catalog, or
//                                  { media: [{ role: "fda", name, bytes }] } (roles: the
//                                  board's slots, fda ... cdrom, kernel, initrd) and cmdline
//                                  (a kernel's); plus name, memoryMiB (default 32), cpuShare
//                                  (default 100), clock ("deterministic": guest time follows
//                                  the instructions, idle skipped, RTC from 2026-01-01; default
//                                  "realtime"), firmware ("seabios": the server's SeaBIOS;
//                                  default "builtin"), net ("lan": a network card on the
//                                  page's LAN; "internet": the same, and the LAN's gateway
//                                  goes out through the server's relay; default "none"), nic
//                                  (the card on the LAN: "ne2k-pci", the default, "ne2k-isa",
//                                  "virtio" or "none"), apic
//                                  (false: the 8259s only, no local APIC or I/O APIC; default
//                                  true). Rejects with the allocator's message when it does not fit.
//   x86vm.lan()                    the VMs on the LAN: [{ id, name, mac, ip, out, in }] (out/in:
//                                  { frames, bytes, dropped, droppedBytes } of the VM's rings)
//   x86vm.catalog()                the server's guest catalog
//   x86vm.budget()                 { budgetBytes, usedBytes, freeBytes, totalShare }
//   x86vm.setBudgetMiB(n)
//   x86vm.features                 { linuxBoot, cdrom }: what this build can boot
//   x86vm.mediaSlots               the media roles create() takes (the board's slots: "fda" ...)
//   x86vm.isolated                 crossOriginIsolated
//   x86vm.openSnapshot(bytes, { label?, images? })
//                                  resumes a snapshot in a new VM (images: the user's own base
//                                  images it references, { name, bytes }); rejects with the
//                                  one-line refusal the Snapshots panel shows
//   x86vm.openShared(id)           the same for a snapshot in the server's store (a share link)
//   x86vm.savedDisks()             the saved disks (the guests' writes kept in this browser):
//                                  [{ id, vmName, savedAt, drives: [{ role, sectors }] }]
//   x86vm.saveDisks()              saves the VMs' disk writes now (they are saved every 2 s)
//
// A VM (PageVm):
//   id, name, state(), error(), firmware(), screenText() -> Promise<string | null> (null in graphics modes),
//   stats() -> { instructions, guestMs, busyMs, runMs, mips, timeRatio, cpuPercent, cpuShare,
//                memoryBytes, exits, exitsPerSecond } (rates over the last second),
//   pause(), resume(), reset(), destroy(), setCpuShare(percent), resizeMemory(mib), memoryMiB(), typeText(text),
//   pressKey(code), releaseKey(code), pressChord("Ctrl+C" | "F1" | "Alt+F4": names as in
//   devices/key-names.ts; down in order, up in reverse), ctrlAltDel(), serialText(), sendSerial(text),
//   snapshot({ includeImages }) -> Promise<Uint8Array> (also held for the panel's Download),
//   share({ includeImages }) -> Promise<{ id, url, needs }> (needs: the user's images the link lacks)

import { EXIT_NAMES, type ClockMode } from "@x86vm/core";
import { PC_MEDIA_SLOTS, parseKeyChord } from "@x86vm/devices";
import type { Catalog } from "../shared/catalog.ts";
import { FEATURES, type Features } from "../shared/features.ts";
import type { MediaFile, MediaRole } from "../shared/protocol.ts";
import { totalOf } from "./allocator.ts";
import {
  FIRMWARE_CHOICES,
  fetchCatalog,
  fetchGuestMedia,
  firmwareEntry,
  firmwareLabel,
  type FirmwareChoice,
} from "./catalog.ts";
import type { SavedDisks } from "./saved-disks.ts";
import { ImagesNeeded, type SnapshotOpener } from "./snapshots.ts";
import type { VmHandle, VmManager, VmNet, VmNic, VmStatus } from "./vm-host.ts";
import type { LanPortInfo } from "./lan-host.ts";

export interface PageVmStats {
  instructions: number;
  guestMs: number;
  busyMs: number;
  runMs: number;
  mips: number;
  timeRatio: number;
  cpuPercent: number;
  cpuShare: number;
  memoryBytes: number;
  exits: Record<string, number>;
  exitsPerSecond: Record<string, number>;
}

export interface PageVm {
  readonly id: string;
  readonly name: string;
  state(): VmStatus;
  error(): string | null;
  /** The firmware it runs, as its panel names it: "Built-in BIOS", "SeaBIOS". */
  firmware(): string;
  screenText(): Promise<string | null>;
  stats(): PageVmStats;
  pause(): Promise<void>;
  resume(): void;
  reset(): Promise<void>;
  destroy(): Promise<void>;
  setCpuShare(percent: number): number;
  /** Another amount of RAM (MiB): restarts the VM; rejects with the allocator's message if it does not fit. */
  resizeMemory(mib: number): Promise<void>;
  memoryMiB(): number;
  typeText(text: string): Promise<number>;
  pressKey(code: string): boolean;
  releaseKey(code: string): boolean;
  /** Presses a chord by name ("Ctrl+C"); throws on an unknown name. */
  pressChord(chord: string): void;
  ctrlAltDel(): Promise<void>;
  serialText(): string;
  sendSerial(text: string): void;
  snapshot(opts?: { includeImages?: boolean }): Promise<Uint8Array>;
  share(opts?: { includeImages?: boolean }): Promise<{ id: string; url: string; needs: string[] }>;
}

export interface SavedDiskInfo {
  id: string;
  vmName: string;
  savedAt: number;
  drives: { role: MediaRole; sectors: number }[];
}

type Bytes = ArrayBuffer | Uint8Array | number[];

export interface CreateOptions {
  guest?: string;
  media?: { role: MediaRole; name: string; bytes: ArrayBuffer | Uint8Array | number[] }[];
  /** A kernel's command line. */
  cmdline?: string;
  name?: string;
  memoryMiB?: number;
  cpuShare?: number;
  clock?: ClockMode;
  /** The server's SeaBIOS instead of the built-in BIOS. */
  firmware?: FirmwareChoice;
  net?: VmNet;
  /** The network card on the LAN (default "ne2k-pci"; "none": no card, no network). */
  nic?: VmNic;
  /** false: no local APIC and I/O APIC, the 8259s only (default: with them). */
  apic?: boolean;
}

export interface PageApi {
  readonly version: 1;
  readonly vms: PageVm[];
  vm(idOrName: string): PageVm | undefined;
  create(opts: CreateOptions): Promise<PageVm>;
  catalog(): Promise<Catalog>;
  budget(): { budgetBytes: number; usedBytes: number; freeBytes: number; totalShare: number };
  setBudgetMiB(mib: number): void;
  readonly features: Features;
  readonly mediaSlots: readonly MediaRole[];
  readonly isolated: boolean;
  openSnapshot(bytes: Bytes, opts?: { label?: string; images?: { name: string; bytes: Bytes }[] }): Promise<PageVm>;
  openShared(id: string): Promise<PageVm>;
  savedDisks(): SavedDiskInfo[];
  saveDisks(): Promise<void>;
  lan(): LanPortInfo[];
}

function named(values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  EXIT_NAMES.forEach((n, i) => {
    out[n] = values[i];
  });
  return out;
}

function toBuffer(b: ArrayBuffer | Uint8Array | number[]): ArrayBuffer {
  if (b instanceof ArrayBuffer) return b;
  const u = b instanceof Uint8Array ? b : Uint8Array.from(b);
  return u.slice().buffer;
}

const views = new WeakMap<VmHandle, PageVm>();

function pageVm(vm: VmHandle): PageVm {
  let v = views.get(vm);
  if (v) return v;
  v = {
    id: vm.id,
    name: vm.name,
    state: () => vm.status,
    error: () => vm.error,
    firmware: () => firmwareLabel(vm.details?.media ?? vm.request.media),
    screenText: () => vm.screenText(),
    stats: () => {
      const c = vm.counters(),
        r = vm.rates;
      return {
        instructions: c.instret,
        guestMs: c.guestNs / 1e6,
        busyMs: c.busyMs,
        runMs: c.runMs,
        mips: r.mips,
        timeRatio: r.timeRatio,
        cpuPercent: r.cpuPercent,
        cpuShare: vm.cpuShare,
        memoryBytes: totalOf(vm.held) + (vm.details?.overlayBytes ?? 0),
        exits: named(c.exits),
        exitsPerSecond: named(r.exitsPerSecond),
      };
    },
    pause: () => vm.pause(),
    resume: () => vm.resume(),
    reset: () => vm.reset(),
    destroy: () => vm.destroy(),
    setCpuShare: (p) => vm.setCpuShare(p),
    resizeMemory: (mib) => vm.resizeMemory(mib),
    memoryMiB: () => vm.memoryMiB,
    typeText: (t) => vm.typeText(t),
    pressKey: (c) => vm.keyDown(c),
    releaseKey: (c) => vm.keyUp(c),
    pressChord: (chord) => {
      const codes = parseKeyChord(chord);
      for (const c of codes) vm.keyDown(c);
      for (const c of codes.reverse()) vm.keyUp(c);
    },
    ctrlAltDel: () => vm.ctrlAltDel(),
    serialText: () => vm.serialLog,
    sendSerial: (t) => vm.sendSerial(t),
    snapshot: async (o) => new Uint8Array((await vm.takeSnapshot(o?.includeImages ?? false)).bytes.slice(0)),
    share: async (o) => {
      const r = await vm.share(o?.includeImages ?? false);
      return { id: r.id, url: r.url, needs: r.needs.map((n) => n.name) };
    },
  };
  views.set(vm, v);
  return v;
}

export function createPageApi(manager: VmManager, opener: SnapshotOpener, saved?: SavedDisks): PageApi {
  return {
    version: 1,
    get vms() {
      return manager.vms.map(pageVm);
    },
    vm: (key) => {
      const vm = manager.vms.find((v) => v.id === key || v.name === key);
      return vm ? pageVm(vm) : undefined;
    },
    async create(opts) {
      let media: MediaFile[];
      let guest: string;
      let memoryMiB = opts.memoryMiB;
      let cmdline: string | undefined;
      const firmware = opts.firmware ?? "builtin";
      if (!FIRMWARE_CHOICES.includes(firmware))
        throw new Error(`firmware must be ${FIRMWARE_CHOICES.join(" or ")}, got ${JSON.stringify(firmware)}`);
      const catalog = opts.guest || firmware !== "builtin" ? await fetchCatalog() : null;
      if (opts.guest) {
        const entry = catalog!.entries.find((e) => e.id === opts.guest);
        if (!entry) throw new Error(`no guest ${JSON.stringify(opts.guest)} in the catalog`);
        media = await fetchGuestMedia(entry);
        guest = entry.title;
        memoryMiB ??= entry.memoryMiB;
        cmdline = entry.cmdline;
      } else if (opts.media?.length) {
        media = opts.media.map((m) => ({ role: m.role, name: m.name, bytes: toBuffer(m.bytes) }));
        guest = media.map((m) => m.name).join(" + ");
        cmdline = opts.cmdline;
      } else {
        throw new Error("give a catalog guest or media");
      }
      if (firmware !== "builtin") media.push(...(await fetchGuestMedia(firmwareEntry(catalog!, firmware))));
      const vm = await manager.create({
        name: opts.name ?? "",
        guest,
        memoryMiB: memoryMiB ?? 32,
        cpuShare: opts.cpuShare ?? 100,
        media,
        cmdline,
        clock: opts.clock,
        net: opts.net,
        nic: opts.nic,
        apic: opts.apic,
      });
      return pageVm(vm);
    },
    catalog: () => fetchCatalog(),
    budget: () => {
      const a = manager.allocator;
      return { budgetBytes: a.budget, usedBytes: a.used, freeBytes: a.free, totalShare: a.totalShare };
    },
    setBudgetMiB: (mib) => manager.setBudget(mib * 1024 * 1024),
    features: FEATURES,
    mediaSlots: PC_MEDIA_SLOTS.map((s) => s.slot),
    isolated: globalThis.crossOriginIsolated === true,
    async openSnapshot(bytes, opts) {
      const b = new Uint8Array(toBuffer(bytes));
      let need: unknown;
      try {
        return pageVm(await opener.openBytes(b, opts?.label ?? "the snapshot"));
      } catch (e) {
        if (!(e instanceof ImagesNeeded)) throw e;
        need = e;
      }
      for (const img of opts?.images ?? []) {
        try {
          return pageVm(await opener.provide({ name: img.name, bytes: toBuffer(img.bytes) }));
        } catch (e) {
          if (!(e instanceof ImagesNeeded)) throw e;
          need = e;
        }
      }
      throw need;
    },
    openShared: async (id) => pageVm(await opener.openLink(id)),
    savedDisks: () =>
      (saved?.records ?? []).map((r) => ({
        id: r.id,
        vmName: r.vmName,
        savedAt: r.savedAt,
        drives: r.media.filter((m) => m.sectors > 0).map((m) => ({ role: m.role, sectors: m.sectors })),
      })),
    saveDisks: async () => saved?.saveAll(true),
    lan: () => manager.lan.info(),
  };
}
