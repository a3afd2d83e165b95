// The snapshot format's layers on their own: the container, the state record encoding, guest
// RAM with zero pages elided, disk overlays, and bounded decompression.
import { describe, expect, it } from "vitest";
import { decodeStateSection, encodeStateSection, MAX_STATE_DEPTH } from "./codec.ts";
import {
  FORMAT_VERSION,
  HEADER_SIZE,
  readContainer,
  resealContainer,
  writeContainer,
  type PreparedSection,
} from "./container.ts";
import { SnapshotError } from "./error.ts";
import { compress, decompress, utf8Encode } from "./host.ts";
import { decodeOverlay, encodeOverlay } from "./overlay.ts";
import { captureRam, checkRamMap, restoreRam, RAM_PAGE_SIZE } from "./ram.ts";
import type { StateRecord } from "./state.ts";

async function refused(p: Promise<unknown> | (() => unknown), message: RegExp): Promise<void> {
  let err: unknown = null;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SnapshotError);
  expect((err as Error).message).toMatch(message);
}

async function sample(): Promise<Uint8Array> {
  const a = utf8Encode("hello, sections");
  const b = new Uint8Array(10000).fill(7);
  const sections: PreparedSection[] = [
    { kind: "alpha", codec: "none", rawLength: a.length, data: a },
    { kind: "beta", codec: "deflate-raw", rawLength: b.length, data: await compress(b, "deflate-raw") },
  ];
  return writeContainer({ format: "test", note: "x" }, sections);
}

/** Rewrites the manifest of a container (header lengths fixed, checksum resealed). */
async function withManifest(bytes: Uint8Array, edit: (m: Record<string, unknown>) => void): Promise<Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const mlen = dv.getUint32(16, true);
  const m = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_SIZE, HEADER_SIZE + mlen)));
  edit(m);
  const json = utf8Encode(JSON.stringify(m));
  const rest = bytes.subarray(HEADER_SIZE + mlen);
  const out = new Uint8Array(HEADER_SIZE + json.length + rest.length);
  out.set(bytes.subarray(0, HEADER_SIZE));
  out.set(json, HEADER_SIZE);
  out.set(rest, HEADER_SIZE + json.length);
  new DataView(out.buffer).setUint32(16, json.length, true);
  await resealContainer(out);
  return out;
}

describe("container", () => {
  it("round-trips the manifest and sections", async () => {
    const bytes = await sample();
    const c = await readContainer(bytes, 1 << 20);
    expect(c.manifest.format).toBe("test");
    expect(c.sections.map((s) => s.kind)).toEqual(["alpha", "beta"]);
    expect(new TextDecoder().decode(c.stored(0))).toBe("hello, sections");
    expect(await decompress(c.stored(1), "deflate-raw", 10000, "beta")).toEqual(new Uint8Array(10000).fill(7));
  });

  it("refuses bad magic, other versions, flags, truncation, trailing bytes, size limit and checksum mismatch", async () => {
    const good = await sample();
    const edit = async (f: (b: Uint8Array) => void, reseal = true) => {
      const b = good.slice();
      f(b);
      if (reseal) await resealContainer(b);
      return b;
    };
    await refused(
      readContainer(
        await edit((b) => {
          b[1] = 0x59;
        }),
        1 << 20,
      ),
      /bad magic/,
    );
    await refused(
      readContainer(
        await edit((b) => {
          b[8] = FORMAT_VERSION + 1;
        }),
        1 << 20,
      ),
      /format version 2 is not supported/,
    );
    await refused(
      readContainer(
        await edit((b) => {
          b[12] = 1;
        }),
        1 << 20,
      ),
      /unknown flags/,
    );
    await refused(readContainer(good.subarray(0, good.length - 1), 1 << 20), /truncated/);
    await refused(readContainer(good.subarray(0, 40), 1 << 20), /truncated/);
    await refused(readContainer(new Uint8Array([...good, 0]), 1 << 20), /beyond the end/);
    await refused(readContainer(good, 100), /over the 100-byte limit/);
    await refused(
      readContainer(
        await edit((b) => {
          b[b.length - 40] ^= 1;
        }, false),
        1 << 20,
      ),
      /checksum mismatch/,
    );
    await refused(
      readContainer(
        await edit((b) => {
          new DataView(b.buffer).setUint32(16, 0xffffffff, true);
        }),
        1 << 20,
      ),
      /manifest length/,
    );
    await refused(
      readContainer(
        await edit((b) => {
          new DataView(b.buffer).setUint32(28, 0xffffffff, true);
        }),
        1 << 20,
      ),
      /truncated/,
    );
  });

  it("refuses section tables that lie", async () => {
    const good = await sample();
    type S = { kind: string; offset: number; length: number; codec: string; rawLength: number }[];
    const cases: [(s: S) => void, RegExp][] = [
      [
        (s) => {
          s[1].offset += 1;
        },
        /back to back/,
      ],
      [
        (s) => {
          s[1].length += 1;
        },
        /runs past the end|cover/,
      ],
      [
        (s) => {
          s[1].length -= 1;
        },
        /cover/,
      ],
      [
        (s) => {
          s[0].rawLength = 3;
        },
        /uncompressed but declares/,
      ],
      [
        (s) => {
          s[1].rawLength = 1e12;
        },
        /beyond what deflate can expand/,
      ],
      [
        (s) => {
          s[1].codec = "lzma";
        },
        /codec "lzma" is not known/,
      ],
      [
        (s) => {
          s[1].kind = "../etc";
        },
        /no valid kind/,
      ],
      [
        (s) => {
          s[1].offset = -1;
        },
        /non-negative integer/,
      ],
      [
        (s) => {
          s.pop();
        },
        /cover/,
      ],
    ];
    for (const [edit, msg] of cases) {
      await refused(readContainer(await withManifest(good, (m) => edit(m.sections as S)), 1 << 20), msg);
    }
    await refused(
      readContainer(
        await withManifest(good, (m) => {
          m.sections = "x";
        }),
        1 << 20,
      ),
      /no section table/,
    );
  });

  it("refuses a manifest that is not JSON or not UTF-8", async () => {
    const good = await sample();
    const b = good.slice();
    b[HEADER_SIZE] = 0x7b;
    b[HEADER_SIZE + 1] = 0xff;
    await resealContainer(b);
    await refused(readContainer(b, 1 << 20), /not valid UTF-8/);
    const c = good.slice();
    c[HEADER_SIZE] = 0x5b;
    await resealContainer(c);
    await refused(readContainer(c, 1 << 20), /not valid JSON/);
  });
});

describe("bounded decompression", () => {
  it("refuses data that expands to more or less than declared, or is corrupt", async () => {
    const raw = new Uint8Array(100000).fill(1);
    const z = await compress(raw, "deflate-raw");
    expect(z.length).toBeLessThan(1000);
    await refused(decompress(z, "deflate-raw", 5000, "bomb"), /bomb: expands to more than the 5000 bytes/);
    await refused(decompress(z, "deflate-raw", 200000, "short"), /short: expands to 100000 bytes, expected 200000/);
    const bad = z.slice();
    bad[0] ^= 0xff;
    bad[3] ^= 0x55;
    await refused(decompress(bad, "deflate-raw", 100000, "junk"), /junk: /);
    await refused(decompress(new Uint8Array([1, 2, 3]), "none", 4, "plain"), /holds 3 bytes, expected 4/);
  });
});

describe("state record encoding", () => {
  const recs: StateRecord[] = [
    {
      a: 1,
      b: -2.5,
      c: true,
      d: null,
      e: "text",
      f: new Uint8Array([1, 2, 3]),
      g: [1, [2, new Uint8Array(0)]],
      h: { i: new Uint8Array(300).fill(9) },
    },
    { $weird: 1, $bytes: "not a block", $$x: [new Uint8Array([4])] },
    {},
  ];

  it("round-trips values, byte blocks and keys beginning with $", () => {
    const raw = encodeStateSection(recs, ["one", "two", "three"]);
    expect(decodeStateSection(raw, 3)).toEqual(recs);
    // The blocks are stored once, in binary, not as JSON arrays.
    expect(raw.length).toBeLessThan(600);
  });

  it("refuses non-finite numbers, other typed arrays and __proto__ when saving", () => {
    expect(() => encodeStateSection([{ t: Infinity }], ["dev"])).toThrow(/dev\.t: Infinity is not a finite number/);
    expect(() => encodeStateSection([{ t: new Int32Array(2) as unknown as Uint8Array }], ["dev"])).toThrow(
      /typed array/,
    );
    expect(() => encodeStateSection([JSON.parse('{"__proto__": 1}')], ["dev"])).toThrow(/__proto__/);
  });

  const section = (json: string, blob = new Uint8Array(0)) => {
    const j = utf8Encode(json);
    const out = new Uint8Array(4 + j.length + blob.length);
    new DataView(out.buffer).setUint32(0, j.length, true);
    out.set(j, 4);
    out.set(blob, 4 + j.length);
    return out;
  };

  it("refuses malformed sections", async () => {
    const bad: [Uint8Array, number, RegExp][] = [
      [new Uint8Array(2), 1, /too short/],
      [section("[{}]").subarray(0, 5), 1, /runs past/],
      [section("[{"), 1, /malformed/],
      [section("[{}]"), 2, /holds 1 records, the manifest lists 2/],
      [section("[1]"), 1, /record 0 is not a record/],
      [section('[{"a":{"$bytes":[0,5]}}]', new Uint8Array(4)), 1, /outside the section's 4-byte binary area/],
      [section('[{"a":{"$bytes":[-1,1]}}]', new Uint8Array(4)), 1, /outside/],
      [section('[{"a":{"$bytes":[0,1],"b":2}}]', new Uint8Array(4)), 1, /malformed byte block/],
      [section('[{"a":{"$bytes":[0.5,1]}}]', new Uint8Array(4)), 1, /outside/],
      [section('[{"$evil":1}]'), 1, /unknown marker key/],
      [section('[{"__proto__":{"x":1}}]'), 1, /__proto__/],
      [section('[{"a":1e400}]'), 1, /not a finite number/],
      [section(`[{"a":${"[".repeat(MAX_STATE_DEPTH + 2)}${"]".repeat(MAX_STATE_DEPTH + 2)}}]`), 1, /nests deeper/],
    ];
    for (const [raw, count, msg] of bad) await refused(() => decodeStateSection(raw, count), msg);
  });

  it("survives deeply nested hostile JSON without a stack overflow", async () => {
    const deep = "[".repeat(200000) + "]".repeat(200000);
    await refused(() => decodeStateSection(section(`[{"a":${deep}}]`), 1), /nests deeper|malformed/);
  });
});

describe("guest RAM", () => {
  it("keeps only non-zero pages and restores exactly, zeroing what the target had", async () => {
    const ram = new Uint8Array(64 * RAM_PAGE_SIZE);
    ram[5] = 1;
    ram[3 * RAM_PAGE_SIZE + 4095] = 2;
    ram.fill(0xab, 40 * RAM_PAGE_SIZE, 42 * RAM_PAGE_SIZE);
    const cap = captureRam(ram);
    expect(cap.nonZeroPages).toBe(4);
    expect(cap.data.length).toBe(4 * RAM_PAGE_SIZE);
    const list = checkRamMap(cap.map, 64, 4);
    expect([...list]).toEqual([0, 3, 40, 41]);
    const target = new Uint8Array(64 * RAM_PAGE_SIZE).fill(0x55);
    await restoreRam(target, list, await compress(cap.data, "deflate-raw"), "deflate-raw");
    expect(Buffer.compare(target, ram)).toBe(0);
  });

  it("refuses maps that disagree with the manifest and page data longer than declared", async () => {
    const map = new Uint8Array([0b101, 0]);
    expect(() => checkRamMap(map, 16, 1)).toThrow(SnapshotError);
    expect(() => checkRamMap(map, 16, 3)).toThrow(/marks 2 pages/);
    expect(() => checkRamMap(map, 8, 2)).toThrow(/page map has 2 bytes/);
    expect(() => checkRamMap(new Uint8Array([0x80]), 7, 1)).toThrow(/beyond the 7 pages/);
    const list = checkRamMap(map, 16, 2);
    const tooMuch = await compress(new Uint8Array(3 * RAM_PAGE_SIZE), "deflate-raw");
    await refused(
      restoreRam(new Uint8Array(16 * RAM_PAGE_SIZE), list, tooMuch, "deflate-raw"),
      /more than the 8192 bytes/,
    );
  });
});

describe("disk overlays", () => {
  it("round-trips written sectors and refuses bad sector lists", () => {
    const ov = new Map<number, Uint8Array>([
      [7, new Uint8Array(512).fill(7)],
      [2, new Uint8Array(512).fill(2)],
    ]);
    const raw = encodeOverlay(ov);
    const back = decodeOverlay(raw, 2, 8 * 512, "ov");
    expect([...back.keys()]).toEqual([2, 7]);
    expect(back.get(7)).toEqual(ov.get(7));
    expect(() => decodeOverlay(raw, 2, 7 * 512, "ov")).toThrow(/sector 7 lies beyond the 7-sector disk/);
    expect(() => decodeOverlay(raw, 1, 8 * 512, "ov")).toThrow(/expected for 1 sectors/);
    const swapped = raw.slice();
    new DataView(swapped.buffer).setUint32(4, 7, true);
    expect(() => decodeOverlay(swapped, 2, 8 * 512, "ov")).toThrow(/not strictly increasing/);
  });
});
