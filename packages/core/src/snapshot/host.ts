// The few host services the snapshot format needs, reached through globalThis so that core
// keeps compiling with ES libraries only (no DOM, no Node types): deflate streams
// (CompressionStream / DecompressionStream, in browsers, workers and Node >= 20), SHA-256
// (crypto.subtle), and UTF-8 (TextEncoder / TextDecoder). The types below describe only what
// this module uses; no global declarations, so a package compiled with the DOM library sees no
// conflict.
//
// Decompression is bounded: the caller states how many bytes the stream must produce, reading
// stops (and the stream is cancelled) as soon as it produces more, so a hostile stream can cost
// at most that much work.

import { SnapshotError } from "./error.ts";

interface ChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}
interface ChunkWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
interface TransformPair {
  readonly readable: { getReader(): ChunkReader };
  readonly writable: { getWriter(): ChunkWriter };
}
type TransformCtor = new (format: string) => TransformPair;
interface HostGlobals {
  CompressionStream?: TransformCtor;
  DecompressionStream?: TransformCtor;
  crypto?: { subtle?: { digest(alg: string, data: Uint8Array): Promise<ArrayBuffer> } };
  TextEncoder?: new () => { encode(s: string): Uint8Array };
  TextDecoder?: new (label: string, opts: { fatal: boolean }) => { decode(b: Uint8Array): string };
}

const host = globalThis as unknown as HostGlobals;

/** Section codecs: stored as is, or raw deflate (RFC 1951). */
export type Codec = "none" | "deflate-raw";
export const CODECS: readonly Codec[] = ["none", "deflate-raw"];

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`this host lacks ${what}, which snapshots need`);
  return v;
}

/** Feeds `input` to a transform stream without awaiting (reading drives it); errors surface on the read side. */
function feed(pair: TransformPair, input: Uint8Array): ChunkReader {
  const writer = pair.writable.getWriter();
  // The write and close promises reject when the stream fails or is cancelled; the reader
  // reports that failure, so these rejections are expected and must not go unhandled.
  writer.write(input).catch(() => {});
  writer.close().catch(() => {});
  return pair.readable.getReader();
}

/**
 * A synchronous raw deflate codec the embedder may install in place of the streams (Node's web
 * streams cost tens of microseconds per 16 KiB chunk: restoring 40 MB of guest RAM through
 * them takes five times as long as zlib itself). Node's CLI installs one built on node:zlib;
 * browsers keep their native streams.
 */
export interface DeflateCodec {
  deflateRaw(input: Uint8Array): Uint8Array;
  /**
   * Inflates input, producing at most maxOutput bytes: returns "too-long" when the data would
   * produce more, throws when it is corrupt or truncated.
   */
  inflateRaw(input: Uint8Array, maxOutput: number): Uint8Array | "too-long";
}
let installed: DeflateCodec | null = null;

/** Installs (or, with null, removes) a synchronous deflate codec for all snapshot work. */
export function installDeflateCodec(codec: DeflateCodec | null): void {
  installed = codec;
}

/** Compresses bytes with `codec` ("none" returns them as they are). */
export async function compress(input: Uint8Array, codec: Codec): Promise<Uint8Array> {
  if (codec === "none") return input;
  if (installed) return installed.deflateRaw(input);
  const Ctor = need(host.CompressionStream, "CompressionStream");
  const reader = feed(new Ctor(codec), input);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value) {
      chunks.push(value);
      total += value.length;
    }
  }
  return concat(chunks, total);
}

/**
 * Decompresses `input` that must expand to exactly `expected` bytes, handing the output to
 * `sink` in order (chunks are only valid during the call). Throws SnapshotError naming `what`
 * when the data is corrupt, too short or too long; stops reading as soon as it is too long.
 */
export async function decompressTo(
  input: Uint8Array,
  codec: Codec,
  expected: number,
  what: string,
  sink: (chunk: Uint8Array, offset: number) => void,
): Promise<void> {
  if (codec === "none") {
    if (input.length !== expected)
      throw new SnapshotError(`${what}: holds ${input.length} bytes, expected ${expected}`);
    sink(input, 0);
    return;
  }
  if (installed) {
    let out: Uint8Array | "too-long";
    try {
      out = installed.inflateRaw(input, expected);
    } catch {
      throw new SnapshotError(`${what}: compressed data is corrupt`);
    }
    if (out === "too-long")
      throw new SnapshotError(`${what}: expands to more than the ${expected} bytes its entry declares`);
    if (out.length !== expected)
      throw new SnapshotError(`${what}: expands to ${out.length} bytes, expected ${expected}`);
    sink(out, 0);
    return;
  }
  const Ctor = need(host.DecompressionStream, "DecompressionStream");
  const reader = feed(new Ctor(codec), input);
  let got = 0;
  for (;;) {
    let r: { done: boolean; value?: Uint8Array };
    try {
      r = await reader.read();
    } catch {
      throw new SnapshotError(`${what}: compressed data is corrupt`);
    }
    if (r.done) break;
    const chunk = r.value;
    if (!chunk || chunk.length === 0) continue;
    if (got + chunk.length > expected) {
      reader.cancel().catch(() => {});
      throw new SnapshotError(`${what}: expands to more than the ${expected} bytes its entry declares`);
    }
    sink(chunk, got);
    got += chunk.length;
  }
  if (got !== expected) throw new SnapshotError(`${what}: expands to ${got} bytes, expected ${expected}`);
}

/** Decompresses into a new buffer of exactly `expected` bytes. */
export async function decompress(input: Uint8Array, codec: Codec, expected: number, what: string): Promise<Uint8Array> {
  if (codec === "none") {
    await decompressTo(input, codec, expected, what, () => {});
    return input;
  }
  const out = allocate(expected, what);
  await decompressTo(input, codec, expected, what, (chunk, at) => out.set(chunk, at));
  return out;
}

/** A zeroed buffer, or a SnapshotError when the host cannot provide that much memory. */
export function allocate(length: number, what: string): Uint8Array {
  try {
    return new Uint8Array(length);
  } catch {
    throw new SnapshotError(`${what}: cannot allocate ${length} bytes`);
  }
}

/** SHA-256 of bytes as 64 lowercase hex digits. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = need(host.crypto?.subtle, "crypto.subtle");
  const digest = new Uint8Array(await subtle.digest("SHA-256", bytes));
  return hex(digest);
}

/** SHA-256 of bytes as 32 raw bytes. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  const subtle = need(host.crypto?.subtle, "crypto.subtle");
  return new Uint8Array(await subtle.digest("SHA-256", bytes));
}

export function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, "0");
  return s;
}

export function utf8Encode(s: string): Uint8Array {
  const Ctor = need(host.TextEncoder, "TextEncoder");
  return new Ctor().encode(s);
}

/** Strict UTF-8 decoding: malformed bytes are an error, not replacement characters. */
export function utf8Decode(b: Uint8Array, what: string): string {
  const Ctor = need(host.TextDecoder, "TextDecoder");
  try {
    return new Ctor("utf-8", { fatal: true }).decode(b);
  } catch {
    throw new SnapshotError(`${what} is not valid UTF-8`);
  }
}

export function concat(chunks: readonly Uint8Array[], total = chunks.reduce((n, c) => n + c.length, 0)): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
