// Machine snapshots (docs/snapshot-format.md), independent of the board: what a machine is
// made of (RAM size, clock, board options), the state records of its CPU and devices, guest
// RAM, the disks' copy-on-write overlays, and the base images by SHA-256. A board module
// (packages/devices/src/pc/snapshot.ts for the PC) says which devices and disks its machine
// has and builds a fresh machine from the manifest; this module does the rest.
//
// Saving captures everything synchronously (the machine may run on as soon as the promise
// exists), then compresses and hashes asynchronously. Restoring is in two steps:
// decodeSnapshot() checks the whole container and manifest and decodes every small section
// without any machine; applySnapshot() then loads a freshly built machine. Nothing here
// touches a machine the caller still uses, and every failure is a SnapshotError.

import type { Machine } from "../machine/machine.ts";
import { PAGE_RAM } from "../memory/physical-memory.ts";
import type { DiskImage } from "../storage/disk.ts";
import { SECTOR_SIZE } from "../storage/disk.ts";
import type { ClockMode } from "../time/clock.ts";
import { decodeStateSection, encodeStateSection } from "./codec.ts";
import { readContainer, sectionTable, writeContainer, type Container, type PreparedSection } from "./container.ts";
import { SnapshotError } from "./error.ts";
import { allocate, compress, decompress, sha256Hex, type Codec } from "./host.ts";
import { decodeOverlay, encodeOverlay, overlayLength } from "./overlay.ts";
import { captureRam, checkRamMap, restoreRam, RAM_PAGE_SIZE } from "./ram.ts";
import { checkStateVersion, StateError, type SavedState, type StateRecord, type Stateful } from "./state.ts";

export const SNAPSHOT_FORMAT = "x86vm-snapshot";

/** Size limits a restore enforces; each has a default. */
export interface SnapshotLimits {
  /** Largest snapshot accepted, in bytes (default 1 GiB). */
  maxBytes?: number;
  /** Largest guest RAM a snapshot may ask for (default 1 GiB). */
  maxMemoryBytes?: number;
  /** Largest base image a snapshot may reference or embed (default 8 GiB). */
  maxImageBytes?: number;
}
export const DEFAULT_LIMITS: Required<SnapshotLimits> = {
  maxBytes: 1 << 30,
  maxMemoryBytes: 1 << 30,
  maxImageBytes: 8 * 2 ** 30,
};
/** Largest state section (all device records together), decompressed. */
export const MAX_STATE_SECTION = 64 << 20;
const MAX_DEVICES = 256;
const MAX_IMAGES = 16;
const MAX_HINT = 4096;

/** JSON values allowed in board options and metadata. */
export type JsonValue = number | boolean | string | null | JsonValue[] | { [key: string]: JsonValue };

/** A base image the snapshot refers to, and the overlay of guest writes on top of it. */
export interface ImageRef {
  /** Board-defined drive name, e.g. "fda", "hda", "kernel". */
  slot: string;
  sha256: string;
  size: number;
  /** Where the image was found when saved (a path or URL), or null. */
  hint: string | null;
  /** Section holding the image itself, when embedded. */
  embedded: number | null;
  /** Section holding the written sectors, for disks behind a copy-on-write overlay. */
  overlay: { section: number; sectors: number } | null;
}

export interface ClockInfo {
  mode: ClockMode;
  nsPerInstruction: number;
  /** Machine time when saved. */
  nowNs: number;
  /** The clock's idle offset (time skipped while halted) when saved. */
  idleNs: number;
  /** Instructions retired when saved. */
  instructions: number;
}

export interface SnapshotManifest {
  format: typeof SNAPSHOT_FORMAT;
  board: string;
  machine: {
    memoryBytes: number;
    a20: boolean;
    clock: ClockInfo;
    /** Board options needed to build the same machine again (boot order, command line...). */
    options: { [key: string]: JsonValue };
  };
  /**
   * State records in the order of the state section: the instance (unique), its schema name
   * and the schema version it was saved with.
   */
  devices: { id: string; name: string; version: number }[];
  /** Section indices. */
  states: number;
  ram: { map: number; pages: number; nonZeroPages: number; data: number };
  images: ImageRef[];
  meta: { createdMs: number | null; note: string | null };
}

// ---- saving

export interface SnapshotDiskInput {
  slot: string;
  /** The base image (never embedded unless `embed`). */
  base: DiskImage;
  /** Sectors written by the guest, or null for images that are never written (a kernel). */
  overlay: ReadonlyMap<number, Uint8Array> | null;
  hint?: string | null;
  embed?: boolean;
}

/** A stateful part of the machine under a name unique in the machine. */
export interface StateEntry {
  id: string;
  device: Stateful;
}

/**
 * Names state records: by schema name, with "#2", "#3"... for further instances of a schema in
 * list order, unless `ids` names a device (e.g. "com2" for the second UART).
 */
export function stateEntries(devices: readonly Stateful[], ids?: ReadonlyMap<Stateful, string>): StateEntry[] {
  const seen = new Map<string, number>();
  return devices.map((device) => {
    const given = ids?.get(device);
    if (given) return { id: given, device };
    const n = (seen.get(device.stateName) ?? 0) + 1;
    seen.set(device.stateName, n);
    return { id: n === 1 ? device.stateName : `${device.stateName}#${n}`, device };
  });
}

export interface MachineSnapshotInput {
  board: string;
  machine: Machine;
  /** Everything with state, CPU included, each under a unique id. */
  states: readonly StateEntry[];
  disks: readonly SnapshotDiskInput[];
  options: { [key: string]: JsonValue };
  meta?: { createdMs?: number; note?: string };
}

/**
 * Encodes a machine. The state is captured synchronously, before this function first awaits:
 * the caller may let the machine run on at once.
 */
export async function encodeSnapshot(input: MachineSnapshotInput): Promise<Uint8Array> {
  const { machine } = input;
  const cpu = machine.cpu;
  // ---- synchronous capture
  const ids = input.states.map((s) => s.id);
  if (new Set(ids).size !== ids.length) throw new SnapshotError(`two state records share an id: ${ids.join(", ")}`);
  let records: StateRecord[];
  try {
    records = input.states.map((s) => s.device.saveState());
  } catch (e) {
    throw new SnapshotError(`cannot save state: ${(e as Error).message}`, { cause: e });
  }
  const stateRaw = encodeStateSection(records, ids);
  const ram = captureRam(machine.mem.ram);
  const overlays = input.disks.map((d) =>
    d.overlay ? { raw: encodeOverlay(d.overlay), sectors: d.overlay.size } : null,
  );
  const clock: ClockInfo = {
    mode: machine.clock.mode,
    nsPerInstruction: machine.clock.nsPerInstruction,
    nowNs: machine.clock.now(),
    idleNs: machine.clock.offset,
    instructions: cpu.instret,
  };
  const a20 = machine.mem.a20Enabled;

  // ---- compression and hashing
  const sections: PreparedSection[] = [];
  const add = async (kind: string, raw: Uint8Array, codec: Codec = "deflate-raw"): Promise<number> => {
    sections.push({ kind, codec, rawLength: raw.length, data: await compress(raw, codec) });
    return sections.length - 1;
  };
  const states = await add("states", stateRaw);
  const ramMap = await add("ram-map", ram.map);
  const ramData = await add("ram-pages", ram.data);
  const images: ImageRef[] = [];
  for (let i = 0; i < input.disks.length; i++) {
    const d = input.disks[i];
    const ov = overlays[i];
    images.push({
      slot: d.slot,
      sha256: await imageSha256(d.base),
      size: d.base.size,
      hint: d.hint ?? null,
      embedded: d.embed ? await add("image", imageBytes(d.base)) : null,
      overlay: ov ? { section: await add("overlay", ov.raw), sectors: ov.sectors } : null,
    });
  }
  const manifest: SnapshotManifest = {
    format: SNAPSHOT_FORMAT,
    board: input.board,
    machine: { memoryBytes: machine.mem.ramSize, a20, clock, options: input.options },
    devices: input.states.map((s) => ({ id: s.id, name: s.device.stateName, version: s.device.stateVersion })),
    states,
    ram: { map: ramMap, pages: ram.pages, nonZeroPages: ram.nonZeroPages, data: ramData },
    images,
    meta: { createdMs: input.meta?.createdMs ?? null, note: input.meta?.note ?? null },
  };
  // What restoring will check, checked now: a snapshot that saves is one that restores (names,
  // hints, notes and options within their rules), whatever the size limits of the reader.
  const m = manifest as unknown as Record<string, unknown>;
  const table = sectionTable(sections);
  checkManifest(
    { manifest: { ...m, sections: table }, sections: table, stored: (j) => sections[j].data },
    { maxBytes: Infinity, maxMemoryBytes: Infinity, maxImageBytes: Infinity },
  );
  return writeContainer(m, sections);
}

/** All bytes of an image (without a copy for in-memory images). */
function imageBytes(img: DiskImage): Uint8Array {
  const mem = (img as { bytes?: unknown }).bytes;
  if (mem instanceof Uint8Array && mem.length === img.size) return mem;
  const out = allocate(img.size, "disk image");
  img.read(0, out);
  return out;
}

/** Hashes of read-only images, which cannot change (a base image is hashed once per process). */
const hashCache = new WeakMap<DiskImage, string>();

async function imageSha256(img: DiskImage, bytes?: Uint8Array): Promise<string> {
  const cached = hashCache.get(img);
  if (cached) return cached;
  const h = await sha256Hex(bytes ?? imageBytes(img));
  if (img.readOnly) hashCache.set(img, h);
  return h;
}

// ---- reading the manifest

/** Path-aware checks of manifest values; each failure is a SnapshotError. */
class Check {
  constructor(
    private readonly o: Record<string, unknown>,
    private readonly path: string,
  ) {}
  static object(v: unknown, path: string): Check {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new SnapshotError(`snapshot manifest: ${path} is not an object`);
    return new Check(v as Record<string, unknown>, path);
  }
  private fail(key: string, what: string): never {
    throw new SnapshotError(`snapshot manifest: ${this.path}.${key} ${what}`);
  }
  raw(key: string): unknown {
    return this.o[key];
  }
  int(key: string, min: number, max: number): number {
    const v = this.o[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v)) this.fail(key, "is not an integer");
    if (v < min || v > max) this.fail(key, `is ${v}, outside ${min}..${max}`);
    return v;
  }
  num(key: string, min: number, max: number): number {
    const v = this.o[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
      this.fail(key, `is not a number in ${min}..${max}`);
    return v;
  }
  bool(key: string): boolean {
    const v = this.o[key];
    if (typeof v !== "boolean") this.fail(key, "is not a boolean");
    return v;
  }
  str(key: string, maxLength: number, re?: RegExp): string {
    const v = this.o[key];
    if (typeof v !== "string" || v.length > maxLength || (re && !re.test(v))) this.fail(key, "is not a valid string");
    return v;
  }
  nullableStr(key: string, maxLength: number): string | null {
    return this.o[key] === null ? null : this.str(key, maxLength);
  }
  nullableInt(key: string, min: number, max: number): number | null {
    return this.o[key] === null ? null : this.int(key, min, max);
  }
  object(key: string): Check {
    return Check.object(this.o[key], `${this.path}.${key}`);
  }
  array(key: string, maxLength: number): unknown[] {
    const v = this.o[key];
    if (!Array.isArray(v) || v.length > maxLength) this.fail(key, `is not an array of at most ${maxLength} entries`);
    return v;
  }
}

function checkJson(v: unknown, path: string, depth = 0): JsonValue {
  if (depth > 16) throw new SnapshotError(`snapshot manifest: ${path} nests too deeply`);
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (Array.isArray(v)) return v.map((x, i) => checkJson(x, `${path}[${i}]`, depth + 1));
  if (typeof v === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v as object)) {
      if (k === "__proto__") throw new SnapshotError(`snapshot manifest: ${path} has a key named __proto__`);
      out[k] = checkJson(x, `${path}.${k}`, depth + 1);
    }
    return out;
  }
  throw new SnapshotError(`snapshot manifest: ${path} holds an unexpected value`);
}

const NAME_RE = /^[a-z0-9][a-z0-9.#-]{0,63}$/;
const SLOT_RE = /^[a-z][a-z0-9-]{0,15}$/;
const SHA_RE = /^[0-9a-f]{64}$/;

/** Checks the manifest's fields and their agreement with the section table. */
function checkManifest(c: Container, limits: Required<SnapshotLimits>): SnapshotManifest {
  const m = Check.object(c.manifest, "manifest");
  if (m.raw("format") !== SNAPSHOT_FORMAT)
    throw new SnapshotError(`snapshot manifest: format is not ${JSON.stringify(SNAPSHOT_FORMAT)}`);
  const board = m.str("board", 32, NAME_RE);

  const mc = m.object("machine");
  const memoryBytes = mc.int("memoryBytes", RAM_PAGE_SIZE, Number.MAX_SAFE_INTEGER);
  if (memoryBytes % RAM_PAGE_SIZE !== 0)
    throw new SnapshotError(
      `snapshot manifest: machine.memoryBytes ${memoryBytes} is not a whole number of 4 KiB pages`,
    );
  if (memoryBytes > limits.maxMemoryBytes)
    throw new SnapshotError(
      `snapshot asks for ${memoryBytes} bytes of RAM, over the ${limits.maxMemoryBytes}-byte limit`,
    );
  const a20 = mc.bool("a20");
  const ck = mc.object("clock");
  const mode = ck.raw("mode");
  if (mode !== "deterministic" && mode !== "realtime")
    throw new SnapshotError("snapshot manifest: machine.clock.mode is neither deterministic nor realtime");
  const clock: ClockInfo = {
    mode,
    nsPerInstruction: ck.num("nsPerInstruction", 1e-3, 1e6),
    nowNs: ck.num("nowNs", 0, 2 ** 62),
    idleNs: ck.num("idleNs", -(2 ** 62), 2 ** 62),
    instructions: ck.int("instructions", 0, Number.MAX_SAFE_INTEGER),
  };
  if (mode === "deterministic" && clock.instructions * clock.nsPerInstruction + clock.idleNs !== clock.nowNs) {
    throw new SnapshotError("snapshot manifest: machine.clock fields disagree (time is not instructions x ns + idle)");
  }
  const options = checkJson(mc.raw("options"), "machine.options");
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw new SnapshotError("snapshot manifest: machine.options is not an object");

  const used = new Set<number>();
  const section = (index: unknown, kind: string, path: string): number => {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= c.sections.length) {
      throw new SnapshotError(`snapshot manifest: ${path} does not name a section`);
    }
    if (c.sections[index].kind !== kind)
      throw new SnapshotError(`snapshot manifest: ${path} names a '${c.sections[index].kind}' section, not '${kind}'`);
    if (used.has(index)) throw new SnapshotError(`snapshot manifest: section ${index} is used twice`);
    used.add(index);
    return index;
  };
  const rawLengthIs = (index: number, n: number, what: string): void => {
    if (c.sections[index].rawLength !== n)
      throw new SnapshotError(
        `snapshot section ${index} (${what}) declares ${c.sections[index].rawLength} bytes, ${n} expected`,
      );
  };

  const devices = m.array("devices", MAX_DEVICES).map((d, i) => {
    const dc = Check.object(d, `devices[${i}]`);
    return { id: dc.str("id", 64, NAME_RE), name: dc.str("name", 64, NAME_RE), version: dc.int("version", 0, 0xffff) };
  });
  if (new Set(devices.map((d) => d.id)).size !== devices.length)
    throw new SnapshotError("snapshot manifest: a device is listed twice");
  const states = section(m.raw("states"), "states", "states");
  if (c.sections[states].rawLength > MAX_STATE_SECTION)
    throw new SnapshotError(`snapshot device state section is over ${MAX_STATE_SECTION} bytes`);

  const rc = m.object("ram");
  const pages = rc.int("pages", 1, memoryBytes / RAM_PAGE_SIZE);
  if (pages * RAM_PAGE_SIZE !== memoryBytes)
    throw new SnapshotError(`snapshot manifest: ram.pages ${pages} does not match ${memoryBytes} bytes of RAM`);
  const nonZeroPages = rc.int("nonZeroPages", 0, pages);
  const ram = {
    map: section(rc.raw("map"), "ram-map", "ram.map"),
    pages,
    nonZeroPages,
    data: section(rc.raw("data"), "ram-pages", "ram.data"),
  };
  rawLengthIs(ram.map, Math.ceil(pages / 8), "RAM page map");
  rawLengthIs(ram.data, nonZeroPages * RAM_PAGE_SIZE, "RAM pages");

  const images = m.array("images", MAX_IMAGES).map((x, i): ImageRef => {
    const ic = Check.object(x, `images[${i}]`);
    const size = ic.int("size", 0, limits.maxImageBytes);
    const ref: ImageRef = {
      slot: ic.str("slot", 16, SLOT_RE),
      sha256: ic.str("sha256", 64, SHA_RE),
      size,
      hint: ic.nullableStr("hint", MAX_HINT),
      embedded: ic.raw("embedded") === null ? null : section(ic.raw("embedded"), "image", `images[${i}].embedded`),
      overlay: null,
    };
    if (ref.embedded !== null) rawLengthIs(ref.embedded, size, `image ${ref.slot}`);
    if (ic.raw("overlay") !== null) {
      const oc = ic.object("overlay");
      const sectors = oc.int("sectors", 0, Math.ceil(size / SECTOR_SIZE));
      ref.overlay = { section: section(oc.raw("section"), "overlay", `images[${i}].overlay.section`), sectors };
      rawLengthIs(ref.overlay.section, overlayLength(sectors), `overlay of ${ref.slot}`);
    }
    return ref;
  });
  if (new Set(images.map((x) => x.slot)).size !== images.length)
    throw new SnapshotError("snapshot manifest: an image slot is listed twice");
  if (used.size !== c.sections.length)
    throw new SnapshotError(`snapshot has ${c.sections.length - used.size} section(s) the manifest does not use`);

  const mt = m.object("meta");
  const meta = {
    createdMs: mt.raw("createdMs") === null ? null : mt.num("createdMs", -8.64e15, 8.64e15),
    note: mt.nullableStr("note", 1000),
  };
  return {
    format: SNAPSHOT_FORMAT,
    board,
    machine: { memoryBytes, a20, clock, options: options as { [key: string]: JsonValue } },
    devices,
    states,
    ram,
    images,
    meta,
  };
}

function limitsOf(l: SnapshotLimits | undefined): Required<SnapshotLimits> {
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(DEFAULT_LIMITS) as (keyof SnapshotLimits)[]) {
    const v = l?.[k];
    if (v !== undefined) {
      if (typeof v !== "number" || !(v >= 0)) throw new SnapshotError(`limit ${k} must be a non-negative number`);
      out[k] = v;
    }
  }
  return out;
}

/** Checks the container and manifest only (nothing is decompressed): what a page needs to fetch the images. */
export async function readSnapshotManifest(
  bytes: Uint8Array | ArrayBuffer,
  limits?: SnapshotLimits,
): Promise<SnapshotManifest> {
  const l = limitsOf(limits);
  return checkManifest(await readContainer(asBytes(bytes), l.maxBytes), l);
}

function asBytes(b: Uint8Array | ArrayBuffer): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : b;
}

// ---- decoding

export interface DecodedSnapshot {
  manifest: SnapshotManifest;
  /** The state records, checked for structure (each device checks its own fields on load). */
  states: (SavedState & { id: string })[];
  /** Written sectors by image slot (absent for images without an overlay). */
  overlays: Map<string, Map<number, Uint8Array>>;
  /** The embedded image for a slot, decompressed on demand, or null when it is referenced only. */
  embeddedImage(slot: string): Promise<Uint8Array | null>;
  /**
   * Writes guest RAM (zero pages and the saved pages) into `ram` of the manifest's size.
   * knownZero(page) may vouch that a page of `ram` is already zero.
   */
  restoreRam(ram: Uint8Array, knownZero?: (page: number) => boolean): Promise<void>;
}

/**
 * Checks a snapshot and decodes its small sections (device states, RAM page map, overlays)
 * without touching any machine. Throws SnapshotError.
 */
export async function decodeSnapshot(
  bytes: Uint8Array | ArrayBuffer,
  limits?: SnapshotLimits,
): Promise<DecodedSnapshot> {
  const l = limitsOf(limits);
  const c = await readContainer(asBytes(bytes), l.maxBytes);
  const manifest = checkManifest(c, l);
  const section = (i: number, what: string) =>
    decompress(c.stored(i), c.sections[i].codec, c.sections[i].rawLength, what);

  const records = decodeStateSection(await section(manifest.states, "device state section"), manifest.devices.length);
  const states = manifest.devices.map((d, i) => ({ id: d.id, name: d.name, version: d.version, fields: records[i] }));
  const map = await section(manifest.ram.map, "RAM page map");
  const pageList = checkRamMap(map, manifest.ram.pages, manifest.ram.nonZeroPages);
  const overlays = new Map<string, Map<number, Uint8Array>>();
  for (const img of manifest.images) {
    if (!img.overlay) continue;
    const raw = await section(img.overlay.section, `overlay of ${img.slot}`);
    overlays.set(img.slot, decodeOverlay(raw, img.overlay.sectors, img.size, `overlay of ${img.slot}`));
  }
  return {
    manifest,
    states,
    overlays,
    embeddedImage: async (slot) => {
      const img = manifest.images.find((x) => x.slot === slot);
      if (!img || img.embedded === null) return null;
      const bytes = await section(img.embedded, `embedded image ${slot}`);
      const h = await sha256Hex(bytes);
      if (h !== img.sha256)
        throw new SnapshotError(`embedded image ${slot} has SHA-256 ${h}, the manifest says ${img.sha256}`);
      return bytes;
    },
    restoreRam: async (ram, knownZero) => {
      if (ram.length !== manifest.machine.memoryBytes)
        throw new SnapshotError(
          `target RAM is ${ram.length} bytes, the snapshot holds ${manifest.machine.memoryBytes}`,
        );
      await restoreRam(ram, pageList, c.stored(manifest.ram.data), c.sections[manifest.ram.data].codec, knownZero);
    },
  };
}

/** Checks that an image the caller found is the one the snapshot names (size and SHA-256). */
export async function verifyImage(ref: ImageRef, img: DiskImage): Promise<void> {
  if (typeof img !== "object" || img === null || typeof img.read !== "function")
    throw new SnapshotError(`image for ${ref.slot} is not a disk image`);
  if (img.size !== ref.size)
    throw new SnapshotError(`image for ${ref.slot} has ${img.size} bytes, the snapshot needs ${ref.size}`);
  let h: string;
  try {
    h = await imageSha256(img);
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    throw new SnapshotError(`image for ${ref.slot} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  if (h !== ref.sha256)
    throw new SnapshotError(`image for ${ref.slot} has SHA-256 ${h}, the snapshot needs ${ref.sha256}`);
}

// ---- applying to a fresh machine

export interface SnapshotTarget {
  machine: Machine;
  /**
   * The machine's state records in load order: devices whose outputs feed others first, the
   * interrupt controller after them, the CPU last (its INTR and event bits are authoritative).
   */
  states: readonly StateEntry[];
  /** Copy-on-write overlays by image slot; their maps are filled from the snapshot. */
  overlays: ReadonlyMap<string, Map<number, Uint8Array>>;
  /**
   * The machine's RAM buffer was newly allocated for it: zero everywhere except in ROM pages
   * (which the machine copied its firmware into). Spares checking the rest for stale data.
   */
  freshRam?: boolean;
}

/**
 * Loads a decoded snapshot into a machine built for it (right RAM size, images attached).
 * Throws SnapshotError; the target is then in an undefined state and must be discarded.
 */
export async function applySnapshot(d: DecodedSnapshot, t: SnapshotTarget): Promise<void> {
  const { manifest } = d;
  const { machine } = t;
  if (machine.mem.ramSize !== manifest.machine.memoryBytes)
    throw new SnapshotError(
      `machine has ${machine.mem.ramSize} bytes of RAM, the snapshot ${manifest.machine.memoryBytes}`,
    );
  // Every record must find its device, and every device its record, with a version it reads.
  const byId = new Map(d.states.map((s) => [s.id, s]));
  const targetIds = new Set(t.states.map((s) => s.id));
  for (const s of d.states)
    if (!targetIds.has(s.id))
      throw new SnapshotError(`snapshot has state for '${s.id}', which this machine does not have`);
  for (const { id, device } of t.states) {
    const s = byId.get(id);
    if (!s) throw new SnapshotError(`snapshot has no state for '${id}'`);
    if (s.name !== device.stateName)
      throw new SnapshotError(`snapshot has '${s.name}' state for '${id}', which is a '${device.stateName}'`);
    // The version rule and its message are state.ts's, as when the device loads the record.
    try {
      checkStateVersion(`'${id}'`, s.version, device.stateMinVersion, device.stateVersion);
    } catch (e) {
      throw new SnapshotError((e as Error).message, { cause: e });
    }
  }
  for (const slot of d.overlays.keys())
    if (!t.overlays.has(slot))
      throw new SnapshotError(`snapshot has an overlay for ${slot}, which this machine has no disk for`);

  // Time first, so devices that look at the clock while loading see the saved time.
  const ck = manifest.machine.clock,
    clock = machine.clock;
  machine.cpu.instret = ck.instructions;
  if (clock.mode === "deterministic") {
    const sameRate = ck.mode === "deterministic" && ck.nsPerInstruction === clock.nsPerInstruction;
    clock.restore(sameRate ? ck.idleNs : ck.nowNs - ck.instructions * clock.nsPerInstruction, ck.nowNs);
  } else {
    clock.restore(0, ck.nowNs);
  }
  for (const [slot, sectors] of d.overlays) {
    const target = t.overlays.get(slot)!;
    target.clear();
    for (const [n, bytes] of sectors) target.set(n, bytes);
  }
  for (const { id, device } of t.states) {
    const s = byId.get(id)!;
    try {
      device.loadState(s.fields, s.version);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new SnapshotError(
        e instanceof StateError ? `device state refused (${id}): ${msg}` : `loading '${id}' failed: ${msg}`,
        { cause: e },
      );
    }
  }
  if (machine.cpu.instret !== ck.instructions)
    throw new SnapshotError("CPU state and clock disagree on the instruction count");
  const pageMap = machine.mem.pageMap;
  await d.restoreRam(machine.mem.ram, t.freshRam ? (p) => pageMap[p] === PAGE_RAM : undefined);
  machine.mem.setA20(manifest.machine.a20);
  machine.cpu.flushTlb();
}
