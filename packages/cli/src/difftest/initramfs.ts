// A cpio archive in the "newc" format the Linux initramfs unpacker reads. The kernel accepts
// several archives one after the other, compressed or not, so extra files are added to the
// reference initrd by appending an uncompressed archive: no repacking, no decompression cost.

const enc = new TextEncoder();

export interface CpioEntry {
  path: string;
  /** File contents, or null for a directory. */
  data: Uint8Array | null;
  mode?: number;
}

function hex8(v: number): string {
  return v.toString(16).padStart(8, "0");
}
function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1000;
  const add = (name: string, mode: number, data: Uint8Array) => {
    const nameBytes = enc.encode(name + "\0");
    const header =
      "070701" + [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0].map(hex8).join("");
    parts.push(
      enc.encode(header),
      nameBytes,
      new Uint8Array(pad4(110 + nameBytes.length)),
      data,
      new Uint8Array(pad4(data.length)),
    );
  };
  for (const e of entries) add(e.path, e.data ? (e.mode ?? 0o100755) : 0o040755, e.data ?? new Uint8Array(0));
  add("TRAILER!!!", 0, new Uint8Array(0));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total + pad4(total));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads one file out of a (decompressed) newc archive, or null. */
export function cpioRead(archive: Uint8Array, wanted: string): Uint8Array | null {
  const dec = new TextDecoder();
  let at = 0;
  while (at + 110 <= archive.length) {
    const h = dec.decode(archive.subarray(at, at + 110));
    if (!h.startsWith("070701")) return null;
    const field = (i: number) => parseInt(h.slice(6 + i * 8, 14 + i * 8), 16);
    const size = field(6),
      nameSize = field(11);
    const name = dec.decode(archive.subarray(at + 110, at + 110 + nameSize - 1));
    const dataAt = at + 110 + nameSize + pad4(110 + nameSize);
    if (name === "TRAILER!!!") return null;
    if (name === wanted || name === `./${wanted}`) return archive.slice(dataAt, dataAt + size);
    at = dataAt + size + pad4(size);
  }
  return null;
}
