// For tests that alter snapshots on purpose: unpacks a snapshot into its manifest, decoded
// device records and RAM sections, lets the caller edit them, and packs a well-formed container
// again (fresh section table and checksum), so that what is tested is the meaning-level
// validation, not the checksum.

import {
  compressBytes,
  decodeStateSection,
  decompressBytes,
  encodeStateSection,
  readContainer,
  repackSnapshot,
  resealContainer,
  unpackSnapshot,
  utf8Encode,
  writeContainer,
  type PreparedSection,
  type SnapshotManifest,
  type StateRecord,
  type UnpackedSection,
} from "@x86vm/core";

export interface EditableSnapshot {
  manifest: SnapshotManifest;
  /** Device records in manifest order. */
  records: StateRecord[];
  /** The record of one device instance, by id. */
  record(id: string): StateRecord;
  ramMap: Uint8Array;
  ramPages: Uint8Array;
  sections: UnpackedSection[];
}

export async function rebuildSnapshot(bytes: Uint8Array, edit: (s: EditableSnapshot) => void): Promise<Uint8Array> {
  const u = await unpackSnapshot(bytes);
  const m = u.manifest as unknown as SnapshotManifest;
  const { states, ram } = m;
  const s: EditableSnapshot = {
    manifest: m,
    records: decodeStateSection(u.sections[states].raw, m.devices.length),
    ramMap: u.sections[ram.map].raw,
    ramPages: u.sections[ram.data].raw,
    sections: u.sections,
    record: (id) => {
      const i = s.manifest.devices.findIndex((d) => d.id === id);
      if (i < 0) throw new Error(`no record '${id}'`);
      return s.records[i];
    },
  };
  edit(s);
  u.sections[states].raw = encodeStateSection(
    s.records,
    s.manifest.devices.map((d) => d.id),
  );
  u.sections[ram.map].raw = s.ramMap;
  u.sections[ram.data].raw = s.ramPages;
  return repackSnapshot(u);
}

/** Header fields (docs/snapshot-format.md). */
const HEADER = 32,
  TRAILER = 32;

/**
 * Rewrites the manifest JSON as given (section table included, nothing recomputed) around the
 * same payload, and reseals the checksum: for section tables and manifests that lie.
 */
export async function replaceManifest(
  bytes: Uint8Array,
  edit: (m: Record<string, unknown>) => void,
): Promise<Uint8Array> {
  const m = JSON.parse(JSON.stringify((await readContainer(bytes, Infinity)).manifest)) as Record<string, unknown>;
  edit(m);
  return withManifestText(bytes, JSON.stringify(m));
}

/** The snapshot with its manifest replaced by `text` verbatim (header length fixed, resealed). */
export async function withManifestText(bytes: Uint8Array, text: string): Promise<Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mlen = dv.getUint32(16, true);
  const json = utf8Encode(text);
  const rest = bytes.subarray(HEADER + mlen);
  const out = new Uint8Array(HEADER + json.length + rest.length);
  out.set(bytes.subarray(0, HEADER));
  out.set(json, HEADER);
  out.set(rest, HEADER + json.length);
  new DataView(out.buffer).setUint32(16, json.length, true);
  await resealContainer(out);
  return out;
}

/** Replaces the decompressed bytes of one section, compressing only that one again. */
export async function replaceSection(bytes: Uint8Array, index: number, raw: Uint8Array): Promise<Uint8Array> {
  const c = await readContainer(bytes, Infinity);
  const prepared: PreparedSection[] = [];
  for (let i = 0; i < c.sections.length; i++) {
    const s = c.sections[i];
    prepared.push(
      i === index
        ? { kind: s.kind, codec: s.codec, rawLength: raw.length, data: await compressBytes(raw, s.codec) }
        : { kind: s.kind, codec: s.codec, rawLength: s.rawLength, data: c.stored(i) },
    );
  }
  const { sections: _table, ...manifest } = c.manifest;
  return writeContainer(manifest, prepared);
}

/** Decompressed bytes of section i of a well-formed snapshot. */
export async function sectionRaw(bytes: Uint8Array, index: number): Promise<Uint8Array> {
  const c = await readContainer(bytes, Infinity);
  const s = c.sections[index];
  return decompressBytes(c.stored(index), s.codec, s.rawLength, `section ${index}`);
}

export { HEADER as SNAPSHOT_HEADER_SIZE, TRAILER as SNAPSHOT_TRAILER_SIZE };
