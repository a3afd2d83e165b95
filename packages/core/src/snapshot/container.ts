// The snapshot container (docs/snapshot-format.md): a fixed header, a JSON manifest, the
// sections back to back, and a SHA-256 of everything before it.
//
//   offset  size  field
//   0       8     magic 89 58 38 36 53 4E 41 50 ("\x89X86SNAP")
//   8       4     format version, u32 LE (FORMAT_VERSION)
//   12      4     flags, u32 LE (0; any other value is refused)
//   16      4     manifest length in bytes, u32 LE
//   20      4     reserved, 0
//   24      8     payload length in bytes, u64 LE (the sections together)
//   32      m     manifest: UTF-8 JSON object; its "sections" table locates each section
//   32+m    p     payload: the sections, in table order, with no gaps
//   32+m+p  32    SHA-256 of bytes [0, 32+m+p)
//
// This layer knows nothing about machines: it checks lengths, the checksum and the section
// table, and hands out each section's bytes. Every length is checked against the bytes that
// are really there before it is used.

import { SnapshotError } from "./error.ts";
import { CODECS, concat, sha256, utf8Decode, utf8Encode, type Codec } from "./host.ts";

export const SNAPSHOT_MAGIC = Uint8Array.of(0x89, 0x58, 0x38, 0x36, 0x53, 0x4e, 0x41, 0x50);
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 32;
export const TRAILER_SIZE = 32;
/** Largest manifest accepted. */
export const MAX_MANIFEST_BYTES = 1 << 20;
/** Most sections a snapshot may have. */
export const MAX_SECTIONS = 64;
/** Deflate cannot expand data more than about 1032 times: a larger claim is a lie. */
export const MAX_DEFLATE_RATIO = 1032;

/** One entry of the manifest's section table. Offsets are relative to the payload's start. */
export interface SectionEntry {
  kind: string;
  offset: number;
  length: number;
  codec: Codec;
  /** Length once decompressed. */
  rawLength: number;
}

/** A section ready to be written: its stored (possibly compressed) bytes. */
export interface PreparedSection {
  kind: string;
  codec: Codec;
  rawLength: number;
  data: Uint8Array;
}

export interface Container {
  /** The manifest object (its "sections" table checked; the rest is the caller's to check). */
  manifest: Record<string, unknown>;
  sections: SectionEntry[];
  /** The stored bytes of section i (a view into the snapshot). */
  stored(i: number): Uint8Array;
}

/** The section table for sections written back to back. */
export function sectionTable(sections: readonly PreparedSection[]): SectionEntry[] {
  let offset = 0;
  return sections.map((s) => {
    const e = { kind: s.kind, offset, length: s.data.length, codec: s.codec, rawLength: s.rawLength };
    offset += s.data.length;
    return e;
  });
}

/** Writes the container. `manifest` must not have a "sections" key: the table is added here. */
export async function writeContainer(
  manifest: Record<string, unknown>,
  sections: readonly PreparedSection[],
): Promise<Uint8Array> {
  const table = sectionTable(sections);
  const offset = table.reduce((n, e) => n + e.length, 0);
  const json = utf8Encode(JSON.stringify({ ...manifest, sections: table }));
  if (json.length > MAX_MANIFEST_BYTES)
    throw new SnapshotError(`manifest is ${json.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  const header = new Uint8Array(HEADER_SIZE);
  header.set(SNAPSHOT_MAGIC, 0);
  const dv = new DataView(header.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, 0, true);
  dv.setUint32(16, json.length, true);
  dv.setUint32(20, 0, true);
  dv.setUint32(24, offset % 0x100000000, true);
  dv.setUint32(28, Math.floor(offset / 0x100000000), true);
  const body = concat([header, json, ...sections.map((s) => s.data), new Uint8Array(TRAILER_SIZE)]);
  const end = body.length - TRAILER_SIZE;
  body.set(await sha256(body.subarray(0, end)), end);
  return body;
}

/** Recomputes the checksum in place (for tools and tests that edit a snapshot on purpose). */
export async function resealContainer(bytes: Uint8Array): Promise<void> {
  if (bytes.length < HEADER_SIZE + TRAILER_SIZE) return;
  const end = bytes.length - TRAILER_SIZE;
  bytes.set(await sha256(bytes.subarray(0, end)), end);
}

const KIND_RE = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Parses and checks the container: size limit, magic, version, lengths, checksum, manifest
 * JSON and section table. Throws SnapshotError; reads nothing outside `bytes`.
 */
export async function readContainer(bytes: Uint8Array, maxBytes: number): Promise<Container> {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError("snapshot must be given as a Uint8Array");
  if (bytes.length > maxBytes)
    throw new SnapshotError(`snapshot is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
  if (bytes.length < HEADER_SIZE + TRAILER_SIZE)
    throw new SnapshotError(`snapshot is truncated: ${bytes.length} bytes, less than a header and checksum`);
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw new SnapshotError("not an x86vm snapshot (bad magic)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION)
    throw new SnapshotError(
      `snapshot format version ${version} is not supported (this build reads version ${FORMAT_VERSION})`,
    );
  if (dv.getUint32(12, true) !== 0 || dv.getUint32(20, true) !== 0)
    throw new SnapshotError("snapshot header has unknown flags set");
  const manifestLength = dv.getUint32(16, true);
  const payloadLength = dv.getUint32(24, true) + dv.getUint32(28, true) * 0x100000000;
  if (manifestLength === 0 || manifestLength > MAX_MANIFEST_BYTES)
    throw new SnapshotError(`snapshot manifest length ${manifestLength} is outside 1..${MAX_MANIFEST_BYTES}`);
  const expected = HEADER_SIZE + manifestLength + payloadLength + TRAILER_SIZE;
  if (expected > bytes.length)
    throw new SnapshotError(
      `snapshot is truncated: its header describes ${expected} bytes, ${bytes.length} are present`,
    );
  if (expected < bytes.length)
    throw new SnapshotError(`snapshot has ${bytes.length - expected} bytes beyond the end its header describes`);
  const end = bytes.length - TRAILER_SIZE;
  const digest = await sha256(bytes.subarray(0, end));
  for (let i = 0; i < TRAILER_SIZE; i++) {
    if (digest[i] !== bytes[end + i])
      throw new SnapshotError("snapshot checksum mismatch: the file is corrupt or was altered");
  }
  const text = utf8Decode(bytes.subarray(HEADER_SIZE, HEADER_SIZE + manifestLength), "snapshot manifest");
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new SnapshotError("snapshot manifest is not valid JSON");
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest))
    throw new SnapshotError("snapshot manifest is not a JSON object");
  const m = manifest as Record<string, unknown>;
  const sections = checkSectionTable(m.sections, payloadLength);
  const payloadStart = HEADER_SIZE + manifestLength;
  return {
    manifest: m,
    sections,
    stored: (i) => {
      const s = sections[i];
      return bytes.subarray(payloadStart + s.offset, payloadStart + s.offset + s.length);
    },
  };
}

function checkSectionTable(raw: unknown, payloadLength: number): SectionEntry[] {
  if (!Array.isArray(raw)) throw new SnapshotError("snapshot manifest has no section table");
  if (raw.length > MAX_SECTIONS)
    throw new SnapshotError(`snapshot has ${raw.length} sections, more than ${MAX_SECTIONS}`);
  let next = 0;
  const out = raw.map((e: unknown, i): SectionEntry => {
    const bad = (what: string): never => {
      throw new SnapshotError(`snapshot section ${i}: ${what}`);
    };
    if (typeof e !== "object" || e === null || Array.isArray(e)) bad("entry is not an object");
    const o = e as Record<string, unknown>;
    const { kind, offset, length, codec, rawLength } = o;
    if (typeof kind !== "string" || !KIND_RE.test(kind)) bad("has no valid kind");
    if (!CODECS.includes(codec as Codec)) bad(`codec ${JSON.stringify(String(codec).slice(0, 20))} is not known`);
    for (const [name, v] of [
      ["offset", offset],
      ["length", length],
      ["rawLength", rawLength],
    ] as const) {
      if (!Number.isSafeInteger(v) || (v as number) < 0) bad(`${name} is not a non-negative integer`);
    }
    if (offset !== next) bad(`starts at ${offset as number}, expected ${next} (sections are back to back)`);
    if ((offset as number) + (length as number) > payloadLength) bad(`runs past the end of the payload`);
    if (codec === "none" && rawLength !== length)
      bad(`is stored uncompressed but declares ${rawLength as number} bytes raw, ${length as number} stored`);
    if (codec !== "none" && (rawLength as number) > (length as number) * MAX_DEFLATE_RATIO + 1024)
      bad(
        `claims ${rawLength as number} raw bytes from ${length as number} compressed, beyond what deflate can expand`,
      );
    next = (offset as number) + (length as number);
    return {
      kind: kind as string,
      offset: offset as number,
      length: length as number,
      codec: codec as Codec,
      rawLength: rawLength as number,
    };
  });
  if (next !== payloadLength)
    throw new SnapshotError(`snapshot sections cover ${next} bytes, the payload has ${payloadLength}`);
  return out;
}
