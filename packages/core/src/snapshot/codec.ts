// Encoding of device state records (StateRecord, snapshot/state.ts) in a snapshot section:
// JSON for the structure, with every byte block moved out to a binary area after it and
// referenced by offset and length, so video memory or a sector buffer costs its size, not
// four times its size in a JSON array.
//
//   u32 LE  length of the JSON text
//   ...     JSON text (UTF-8): an array with one encoded record per device
//   ...     binary area: the byte blocks, back to back
//
// In the JSON a byte block is the object {"$bytes": [offset, length]} (offset into the binary
// area). Record keys that begin with "$" are written with one more "$" in front, so no key a
// device chooses can be mistaken for a block. Decoding checks every reference, number, key and
// the nesting depth; it never trusts the text.

import { SnapshotError } from "./error.ts";
import { concat, utf8Decode, utf8Encode } from "./host.ts";
import type { StateRecord, StateValue } from "./state.ts";

const BYTES_KEY = "$bytes";
/** Deepest nesting of arrays and records accepted (devices use three or four levels). */
export const MAX_STATE_DEPTH = 32;

/** Encodes records (one per device) into the raw bytes of a state section. */
export function encodeStateSection(records: readonly StateRecord[], names: readonly string[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  let blobLength = 0;
  const enc = (v: StateValue, path: string, depth: number): unknown => {
    if (depth > MAX_STATE_DEPTH) throw new SnapshotError(`${path}: state nests deeper than ${MAX_STATE_DEPTH} levels`);
    if (v === null || typeof v === "boolean" || typeof v === "string") return v;
    if (typeof v === "number") {
      if (!Number.isFinite(v))
        throw new SnapshotError(`${path}: ${v} is not a finite number (state fields must be JSON numbers)`);
      return v;
    }
    if (v instanceof Uint8Array) {
      const ref = { [BYTES_KEY]: [blobLength, v.length] };
      blocks.push(v.slice());
      blobLength += v.length;
      return ref;
    }
    if (Array.isArray(v)) return v.map((x, i) => enc(x, `${path}[${i}]`, depth + 1));
    if (typeof v === "object" && !ArrayBuffer.isView(v)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        if (key === "__proto__") throw new SnapshotError(`${path}: a state field may not be named __proto__`);
        out[key.startsWith("$") ? `$${key}` : key] = enc(v[key], `${path}.${key}`, depth + 1);
      }
      return out;
    }
    throw new SnapshotError(
      `${path}: a ${typeof v === "object" ? "typed array other than Uint8Array" : typeof v} cannot be saved`,
    );
  };
  const json = utf8Encode(JSON.stringify(records.map((r, i) => enc(r, names[i] ?? `record ${i}`, 0))));
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, json.length, true);
  return concat([head, json, ...blocks]);
}

/**
 * Decodes a state section into `count` records. Throws SnapshotError for anything that is not
 * exactly what encodeStateSection writes: bad lengths, malformed JSON, references outside the
 * binary area, non-finite numbers, unknown "$" keys, excessive nesting.
 */
export function decodeStateSection(raw: Uint8Array, count: number, what = "device state section"): StateRecord[] {
  if (raw.length < 4) throw new SnapshotError(`${what}: too short (${raw.length} bytes)`);
  const jsonLength = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(0, true);
  if (jsonLength > raw.length - 4)
    throw new SnapshotError(`${what}: JSON length ${jsonLength} runs past the section's ${raw.length} bytes`);
  const text = utf8Decode(raw.subarray(4, 4 + jsonLength), `${what}: JSON text`);
  const blob = raw.subarray(4 + jsonLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SnapshotError(`${what}: JSON text is malformed`);
  }
  if (!Array.isArray(parsed) || parsed.length !== count) {
    throw new SnapshotError(
      `${what}: holds ${Array.isArray(parsed) ? parsed.length : "no array of"} records, the manifest lists ${count}`,
    );
  }
  const dec = (v: unknown, path: string, depth: number): StateValue => {
    if (depth > MAX_STATE_DEPTH)
      throw new SnapshotError(`${what}: ${path} nests deeper than ${MAX_STATE_DEPTH} levels`);
    if (v === null || typeof v === "boolean" || typeof v === "string") return v;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new SnapshotError(`${what}: ${path} is not a finite number`);
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => dec(x, `${path}[${i}]`, depth + 1));
    if (typeof v !== "object") throw new SnapshotError(`${what}: ${path} has an unexpected value`);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (Object.prototype.hasOwnProperty.call(o, BYTES_KEY)) {
      const ref = o[BYTES_KEY];
      if (keys.length !== 1 || !Array.isArray(ref) || ref.length !== 2)
        throw new SnapshotError(`${what}: ${path} is a malformed byte block reference`);
      const [off, len] = ref as unknown[];
      if (
        !Number.isSafeInteger(off) ||
        !Number.isSafeInteger(len) ||
        (off as number) < 0 ||
        (len as number) < 0 ||
        (off as number) + (len as number) > blob.length
      ) {
        throw new SnapshotError(
          `${what}: ${path} refers to bytes outside the section's ${blob.length}-byte binary area`,
        );
      }
      return blob.slice(off as number, (off as number) + (len as number));
    }
    const out: StateRecord = {};
    for (const k of keys) {
      if (k.startsWith("$") && !k.startsWith("$$"))
        throw new SnapshotError(`${what}: ${path} has an unknown marker key ${JSON.stringify(k.slice(0, 40))}`);
      const key = k.startsWith("$") ? k.slice(1) : k;
      if (key === "__proto__") throw new SnapshotError(`${what}: ${path} has a field named __proto__`);
      out[key] = dec(o[k], `${path}.${key}`, depth + 1);
    }
    return out;
  };
  return parsed.map((rec, i) => {
    if (typeof rec !== "object" || rec === null || Array.isArray(rec))
      throw new SnapshotError(`${what}: record ${i} is not a record`);
    return dec(rec, `record ${i}`, 0) as StateRecord;
  });
}
