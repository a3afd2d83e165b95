// Restore progress: how many bytes a snapshot's compressed sections have expanded to so far.
// Core inflates snapshot sections with the host's DecompressionStream, which it reaches through
// globalThis (core/src/snapshot/host.ts: the host provides its streams). While a restore runs,
// this worker puts in its place one that counts what the native stream produces, so the page
// can show a bar of bytes restored out of the sections' total (the manifest's section table).
// One VM per worker, one restore at a time: nothing else inflates meanwhile.

// The few stream types used here, as core declares them (the worker's tests compile without
// the DOM and WebWorker libraries).
interface StreamPair {
  readonly readable: { pipeThrough<T>(t: { writable: unknown; readable: T }): T };
  readonly writable: unknown;
}
type DecompressionCtor = new (format: string) => StreamPair;
type TransformCtor = new (t: { transform(chunk: Uint8Array, out: { enqueue(chunk: Uint8Array): void }): void }) => {
  readable: unknown;
  writable: unknown;
};

/** Runs `f` with every DecompressionStream made meanwhile counting its output into `onBytes`. */
export async function countInflated<T>(onBytes: (n: number) => void, f: () => Promise<T>): Promise<T> {
  const host = globalThis as unknown as { DecompressionStream?: DecompressionCtor; TransformStream?: TransformCtor };
  const Native = host.DecompressionStream,
    Transform = host.TransformStream;
  if (!Native || !Transform) return f();
  // A constructor that returns another object: `new` yields the counting pair.
  function Counting(format: string): { readable: unknown; writable: unknown } {
    const inner = new Native!(format);
    const count = new Transform!({
      transform(chunk, out) {
        onBytes(chunk.byteLength);
        out.enqueue(chunk);
      },
    });
    return { readable: inner.readable.pipeThrough(count), writable: inner.writable };
  }
  return withHostStream("DecompressionStream", Counting, f);
}

/** Runs `f` with the host's stream constructor `name` replaced by `stand`; puts it back after. */
export async function withHostStream<T>(
  name: "CompressionStream" | "DecompressionStream",
  stand: unknown,
  f: () => Promise<T>,
): Promise<T> {
  const host = globalThis as unknown as Record<string, unknown>;
  const native = host[name];
  host[name] = stand;
  try {
    return await f();
  } finally {
    host[name] = native;
  }
}

/**
 * The bytes a snapshot's compressed sections expand to, from its manifest's section table (not
 * checked yet: restoreSnapshot checks it; a table that cannot be read gives 0, no bar).
 */
export function inflatedTotal(bytes: Uint8Array): number {
  try {
    const length = new DataView(bytes.buffer, bytes.byteOffset, 32).getUint32(16, true);
    const m = JSON.parse(new TextDecoder().decode(bytes.subarray(32, 32 + length))) as {
      sections?: { codec?: unknown; rawLength?: unknown }[];
    };
    let total = 0;
    for (const s of m.sections ?? [])
      if (s.codec === "deflate-raw" && typeof s.rawLength === "number" && s.rawLength > 0) total += s.rawLength;
    return Number.isSafeInteger(total) ? total : 0;
  } catch {
    return 0;
  }
}
