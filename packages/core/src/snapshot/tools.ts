// Taking a snapshot apart and putting it back together, for tools (an inspector, a converter)
// and for tests that alter snapshots on purpose. Unpacking checks the container (lengths,
// checksum, section table) and decompresses every section within its declared size; it does
// not check the manifest's meaning: decodeSnapshot does that.

import { readContainer, writeContainer, type PreparedSection } from "./container.ts";
import { compress, decompress, type Codec } from "./host.ts";
import { DEFAULT_LIMITS } from "./snapshot.ts";

export interface UnpackedSection {
  kind: string;
  codec: Codec;
  /** Decompressed bytes. */
  raw: Uint8Array;
}

export interface UnpackedSnapshot {
  /** The manifest as parsed JSON, without its section table. */
  manifest: Record<string, unknown>;
  sections: UnpackedSection[];
}

export async function unpackSnapshot(bytes: Uint8Array, maxBytes = DEFAULT_LIMITS.maxBytes): Promise<UnpackedSnapshot> {
  const c = await readContainer(bytes, maxBytes);
  const sections: UnpackedSection[] = [];
  for (let i = 0; i < c.sections.length; i++) {
    const s = c.sections[i];
    sections.push({
      kind: s.kind,
      codec: s.codec,
      raw: await decompress(c.stored(i), s.codec, s.rawLength, `section ${i}`),
    });
  }
  const { sections: _table, ...manifest } = c.manifest;
  return { manifest, sections };
}

/** Compresses the sections again and writes a container with a fresh table and checksum. */
export async function repackSnapshot(u: UnpackedSnapshot): Promise<Uint8Array> {
  const prepared: PreparedSection[] = [];
  for (const s of u.sections)
    prepared.push({ kind: s.kind, codec: s.codec, rawLength: s.raw.length, data: await compress(s.raw, s.codec) });
  return writeContainer(u.manifest, prepared);
}
