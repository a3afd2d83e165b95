// Guest RAM in a snapshot: a page map (one bit per 4 KiB page, set when the page holds any
// non-zero byte) and the non-zero pages back to back in page order; both sections are
// deflated. An idle DOS machine with 32 MiB has a few hundred non-zero pages, so the map is
// most of what is left of the rest.
//
// Capture is synchronous (a consistent copy at one instant); the restore streams the
// decompressed pages straight into the target RAM, so no second copy of guest memory is held.

import { SnapshotError } from "./error.ts";
import { decompressTo, type Codec } from "./host.ts";

export const RAM_PAGE_SIZE = 4096;

export interface CapturedRam {
  pages: number;
  nonZeroPages: number;
  /** One bit per page, LSB first: bit (i & 7) of map[i >> 3]. */
  map: Uint8Array;
  /** The non-zero pages in page order. */
  data: Uint8Array;
}

function isZeroPage(words: Int32Array, page: number): boolean {
  const start = page * (RAM_PAGE_SIZE >> 2),
    end = start + (RAM_PAGE_SIZE >> 2);
  for (let i = start; i < end; i++) if (words[i] !== 0) return false;
  return true;
}

function wordsOf(ram: Uint8Array): Int32Array {
  if (ram.byteOffset % 4 !== 0 || ram.length % RAM_PAGE_SIZE !== 0)
    throw new SnapshotError("guest RAM must be page aligned and sized");
  return new Int32Array(ram.buffer, ram.byteOffset, ram.length >> 2);
}

/** Copies the non-zero pages of ram. */
export function captureRam(ram: Uint8Array): CapturedRam {
  const words = wordsOf(ram);
  const pages = ram.length / RAM_PAGE_SIZE;
  const map = new Uint8Array(Math.ceil(pages / 8));
  let nonZero = 0;
  for (let p = 0; p < pages; p++) {
    if (!isZeroPage(words, p)) {
      map[p >> 3] |= 1 << (p & 7);
      nonZero++;
    }
  }
  const data = new Uint8Array(nonZero * RAM_PAGE_SIZE);
  let at = 0;
  for (let p = 0; p < pages; p++) {
    if (map[p >> 3] & (1 << (p & 7))) {
      data.set(ram.subarray(p * RAM_PAGE_SIZE, (p + 1) * RAM_PAGE_SIZE), at);
      at += RAM_PAGE_SIZE;
    }
  }
  return { pages, nonZeroPages: nonZero, map, data };
}

/**
 * Checks a decoded page map against the page counts the manifest states; returns the numbers
 * of the non-zero pages in order.
 */
export function checkRamMap(map: Uint8Array, pages: number, nonZeroPages: number): Uint32Array {
  if (map.length !== Math.ceil(pages / 8))
    throw new SnapshotError(
      `RAM page map has ${map.length} bytes, ${Math.ceil(pages / 8)} expected for ${pages} pages`,
    );
  const list = new Uint32Array(nonZeroPages);
  let n = 0;
  for (let i = 0; i < map.length; i++) {
    let b = map[i];
    while (b !== 0) {
      const bit = 31 - Math.clz32(b & -b);
      b &= b - 1;
      const page = i * 8 + bit;
      if (page >= pages)
        throw new SnapshotError(`RAM page map marks page ${page}, beyond the ${pages} pages of the machine`);
      if (n >= nonZeroPages)
        throw new SnapshotError(
          `RAM page map marks more than the ${nonZeroPages} non-zero pages the manifest declares`,
        );
      list[n++] = page;
    }
  }
  if (n !== nonZeroPages)
    throw new SnapshotError(`RAM page map marks ${n} pages, the manifest declares ${nonZeroPages}`);
  return list;
}

/**
 * Writes RAM from a snapshot: pages not in the list become zero, the listed pages come from
 * the (compressed) page data, which must expand to exactly their size. `knownZero(page)` may
 * vouch that a page is already zero (a newly allocated buffer), sparing the check.
 */
export async function restoreRam(
  ram: Uint8Array,
  list: Uint32Array,
  stored: Uint8Array,
  codec: Codec,
  knownZero: (page: number) => boolean = () => false,
): Promise<void> {
  const words = wordsOf(ram);
  const pages = ram.length / RAM_PAGE_SIZE;
  let k = 0;
  for (let p = 0; p < pages; p++) {
    if (k < list.length && list[k] === p) {
      k++;
      continue;
    }
    if (!knownZero(p) && !isZeroPage(words, p)) ram.fill(0, p * RAM_PAGE_SIZE, (p + 1) * RAM_PAGE_SIZE);
  }
  await decompressTo(stored, codec, list.length * RAM_PAGE_SIZE, "RAM pages", (chunk, offset) => {
    let done = 0;
    while (done < chunk.length) {
      const pos = offset + done;
      const idx = Math.floor(pos / RAM_PAGE_SIZE),
        within = pos % RAM_PAGE_SIZE;
      const n = Math.min(RAM_PAGE_SIZE - within, chunk.length - done);
      ram.set(chunk.subarray(done, done + n), list[idx] * RAM_PAGE_SIZE + within);
      done += n;
    }
  });
}
