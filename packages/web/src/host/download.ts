// Transfers with progress: a response body read chunk by chunk, counting the bytes; a body sent
// with XMLHttpRequest, whose upload events count the bytes sent (fetch reports none, and
// Chromium streams a request body only over HTTP/2).

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

/** What a server answered to a request: its status and its body as text. */
export interface Answer {
  status: number;
  statusText: string;
  text: string;
}

/**
 * POSTs `body` to `url`, reporting the bytes sent so far of the body's size; resolves with the
 * answer once the server has given it (after the last byte, the server may still be working).
 * Rejects only when no answer came (the network failed).
 */
export function postWithProgress(
  url: string,
  body: ArrayBuffer,
  contentType: string,
  onProgress: (p: DownloadProgress) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", contentType);
    const total = body.byteLength;
    xhr.upload.onprogress = (e) => onProgress({ loaded: Math.min(e.loaded, total), total });
    xhr.upload.onload = () => onProgress({ loaded: total, total });
    xhr.onload = () => resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText });
    xhr.onerror = () => reject(new Error("the connection failed"));
    xhr.onabort = () => reject(new Error("the upload was stopped"));
    onProgress({ loaded: 0, total });
    xhr.send(body);
  });
}
