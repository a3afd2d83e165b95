// Downloads with progress: a response body read chunk by chunk, counting the bytes.

/** How far a download is: bytes received and, when the server said, how many there are in all. */
export interface DownloadProgress {
  loaded: number;
  /** 0 when not known (no Content-Length). */
  total: number;
}

/**
 * A response's body read chunk by chunk, reporting the bytes received so far (of Content-Length,
 * when the server sent one) after each chunk.
 */
export async function readWithProgress(
  res: Response,
  onProgress?: (p: DownloadProgress) => void,
): Promise<ArrayBuffer> {
  const total = Number(res.headers.get("Content-Length")) || 0;
  if (!res.body || !onProgress) return res.arrayBuffer();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress({ loaded, total });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ loaded, total: Math.max(total, total ? loaded : 0) });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}
