// Save progress: how many bytes of a snapshot's sections the compressor has taken so far. Core
// deflates each section with the host's CompressionStream, reached through globalThis
// (core/src/snapshot/host.ts), handing it a section whole in one write. While a save runs, this
// worker puts in its place a stream that counts each section's bytes as they come in
// (`input`: the work to do grows) and hands them to the native stream in pieces of PIECE_BYTES,
// counting each piece once the native stream has taken it (`done`), so the page can show a bar
// of bytes compressed out of those to compress. One VM per worker, one save at a time: nothing
// else deflates meanwhile (the console history added to the snapshot is part of the save).

import { withHostStream } from "./inflate-count.ts";

/** The bytes handed to the native compressor at a time: small enough for a bar that moves. */
export const PIECE_BYTES = 1 << 20;

// The few stream types used here (the worker's tests compile without the DOM and WebWorker
// libraries, as in inflate-count.ts).
interface Writer {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}
interface StreamPair {
  readonly readable: unknown;
  readonly writable: { getWriter(): Writer };
}
type CompressionCtor = new (format: string) => StreamPair;
type WritableCtor = new (sink: {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}) => unknown;

export interface DeflateCounter {
  /** A section of `n` bytes was handed to the compressor. */
  input(n: number): void;
  /** The compressor has taken `n` more bytes. */
  done(n: number): void;
}

/** Runs `f` with every CompressionStream made meanwhile counting what it is given and takes. */
export async function countDeflated<T>(count: DeflateCounter, f: () => Promise<T>): Promise<T> {
  const host = globalThis as unknown as { CompressionStream?: CompressionCtor; WritableStream?: WritableCtor };
  const Native = host.CompressionStream,
    Writable = host.WritableStream;
  if (!Native || !Writable) return f();
  // A constructor that returns another object: `new` yields the counting pair.
  function Counting(format: string): { readable: unknown; writable: unknown } {
    const inner = new Native!(format);
    const writer = inner.writable.getWriter();
    const writable = new Writable!({
      async write(chunk) {
        count.input(chunk.byteLength);
        for (let at = 0; at < chunk.byteLength; at += PIECE_BYTES) {
          const piece = chunk.subarray(at, Math.min(at + PIECE_BYTES, chunk.byteLength));
          // Resolves once the native stream has taken the piece (the reader drains its output).
          await writer.write(piece);
          count.done(piece.byteLength);
        }
      },
      close: () => writer.close(),
      abort: (reason) => writer.abort(reason),
    });
    return { readable: inner.readable, writable };
  }
  return withHostStream("CompressionStream", Counting, f);
}
