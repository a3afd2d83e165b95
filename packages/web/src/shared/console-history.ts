// COM1's output history, kept by the VM's worker and carried inside its snapshots, so that a VM
// resumed from a snapshot file or a share link shows the console as it was (the Linux guest's
// boot log and shell session), not an empty terminal.
//
// Where it goes in the snapshot: the container (docs/snapshot-format.md) refuses a section the
// manifest does not use, and every section kind is core's; but readers ignore unknown top-level
// manifest keys. The history is the manifest key "console":
//
//   "console": { "port": "com1", "codec": "deflate-raw", "rawLength": 1234, "data": "<base64>" }
//
// the last CONSOLE_HISTORY_BYTES bytes the guest sent, compressed, in base64 (within the
// manifest's 1 MiB limit). Snapshots without the key (older ones, the CLI's) resume with an empty
// console; older pages and the CLI resume snapshots with it and ignore it. Adding it rewrites the
// header's manifest length and the trailing SHA-256; the sections do not move relative to the
// payload, so the section table stays as it is.

import { compressBytes, decompressBytes, type Codec } from "@x86vm/core";

/** Console bytes a VM keeps and a snapshot carries: the last 256 KiB of COM1 output. */
export const CONSOLE_HISTORY_BYTES = 256 * 1024;
/** The manifest key. */
export const CONSOLE_KEY = "console";
const HEADER = 32;
const TRAILER = 32;
/** Base64 of the deflated history is far below this; a larger one is refused unread. */
const MAX_DATA_CHARS = 4 * Math.ceil((CONSOLE_HISTORY_BYTES + 1024) / 3);

/** The last CONSOLE_HISTORY_BYTES bytes written, in order. */
export class ConsoleHistory {
  private buf = new Uint8Array(CONSOLE_HISTORY_BYTES);
  private end = 0;
  private full = false;

  push(byte: number): void {
    this.buf[this.end] = byte;
    this.end = (this.end + 1) % this.buf.length;
    if (this.end === 0) this.full = true;
  }

  get length(): number {
    return this.full ? this.buf.length : this.end;
  }

  /** A copy of what it holds, oldest first. */
  bytes(): Uint8Array {
    if (!this.full) return this.buf.slice(0, this.end);
    const out = new Uint8Array(this.buf.length);
    out.set(this.buf.subarray(this.end), 0);
    out.set(this.buf.subarray(0, this.end), this.buf.length - this.end);
    return out;
  }

  /** Replaces what it holds (the history of a resumed snapshot); keeps the last bytes. */
  set(bytes: Uint8Array): void {
    this.end = 0;
    this.full = false;
    for (const b of bytes.subarray(Math.max(0, bytes.length - this.buf.length))) this.push(b);
  }
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The manifest's length and JSON text of a snapshot whose container was already checked. */
function manifestOf(snapshot: Uint8Array): { length: number; json: Record<string, unknown> } {
  if (snapshot.length < HEADER + TRAILER) throw new Error("the snapshot is too short");
  const length = new DataView(snapshot.buffer, snapshot.byteOffset, HEADER).getUint32(16, true);
  if (HEADER + length + TRAILER > snapshot.length) throw new Error("the snapshot's manifest is cut short");
  const json = JSON.parse(new TextDecoder().decode(snapshot.subarray(HEADER, HEADER + length))) as unknown;
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error("the snapshot's manifest is not an object");
  return { length, json: json as Record<string, unknown> };
}

/**
 * The snapshot with `history` (the last CONSOLE_HISTORY_BYTES of it) in its manifest, resealed.
 * An empty history leaves the snapshot as it is.
 */
export async function addConsoleHistory(snapshot: Uint8Array, history: Uint8Array): Promise<Uint8Array> {
  if (history.length === 0) return snapshot;
  const raw = history.subarray(Math.max(0, history.length - CONSOLE_HISTORY_BYTES));
  const codec: Codec = "deflate-raw";
  const data = toBase64(await compressBytes(raw, codec));
  const { length, json } = manifestOf(snapshot);
  const text = new TextEncoder().encode(
    JSON.stringify({ ...json, [CONSOLE_KEY]: { port: "com1", codec, rawLength: raw.length, data } }),
  );
  const payload = snapshot.subarray(HEADER + length, snapshot.length - TRAILER);
  const out = new Uint8Array(HEADER + text.length + payload.length + TRAILER);
  out.set(snapshot.subarray(0, HEADER), 0);
  new DataView(out.buffer).setUint32(16, text.length, true);
  out.set(text, HEADER);
  out.set(payload, HEADER + text.length);
  const end = out.length - TRAILER;
  out.set(new Uint8Array(await crypto.subtle.digest("SHA-256", out.subarray(0, end))), end);
  return out;
}

/**
 * The console history a snapshot (its container already checked) carries, or null when it has
 * none. Throws on a history that is malformed or larger than a VM keeps.
 */
export async function readConsoleHistory(snapshot: Uint8Array): Promise<Uint8Array | null> {
  const entry = manifestOf(snapshot).json[CONSOLE_KEY];
  if (entry === undefined) return null;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry))
    throw new Error("the console history is not an object");
  const { port, codec, rawLength, data } = entry as Record<string, unknown>;
  if (port !== "com1") throw new Error("the console history is not of COM1");
  if (codec !== "deflate-raw" && codec !== "none") throw new Error("the console history's codec is not known");
  if (
    typeof rawLength !== "number" ||
    !Number.isInteger(rawLength) ||
    rawLength < 0 ||
    rawLength > CONSOLE_HISTORY_BYTES
  )
    throw new Error(`the console history's length is not a whole number up to ${CONSOLE_HISTORY_BYTES}`);
  if (typeof data !== "string" || data.length > MAX_DATA_CHARS)
    throw new Error("the console history's data is too long");
  let stored: Uint8Array;
  try {
    stored = fromBase64(data);
  } catch {
    throw new Error("the console history's data is not base64");
  }
  return decompressBytes(stored, codec, rawLength, "console history");
}

/** Bytes as the page's serial log holds them (one character per byte). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}
