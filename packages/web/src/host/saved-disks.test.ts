import { describe, expect, it } from "vitest";
import { applyOverlay, changedName, chunksOf, CHUNK_SECTORS, mergeOverlays, mergeWrites } from "./saved-disks.ts";

function overlay(pairs: [number, number][]) {
  const data = new Uint8Array(pairs.length * 512);
  pairs.forEach(([, v], i) => data.fill(v, i * 512, (i + 1) * 512));
  return { sectors: Uint32Array.from(pairs.map(([n]) => n)), data };
}

function pairsOf(o: { sectors: Uint32Array; data: Uint8Array }): [number, number][] {
  return [...o.sectors].map((n, i) => [n, o.data[i * 512]]);
}

describe("saved disks", () => {
  it("puts the written sectors over the image, and leaves the image itself alone", () => {
    const base = new Uint8Array(4 * 512).fill(1).buffer;
    const data = new Uint8Array(2 * 512);
    data.fill(7, 0, 512);
    data.fill(9, 512);
    const out = applyOverlay(base, { sectors: Uint32Array.of(1, 3), data });
    expect([out[0], out[512], out[1024], out[1536], out[2047]]).toEqual([1, 7, 1, 9, 9]);
    expect(new Uint8Array(base)[512]).toBe(1);
  });

  it("ignores sectors past the end of the image", () => {
    const out = applyOverlay(new ArrayBuffer(512), { sectors: Uint32Array.of(5), data: new Uint8Array(512).fill(3) });
    expect(out.length).toBe(512);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  it("names the downloaded image after the original", () => {
    expect(changedName("freedos722.img")).toBe("freedos722-changed.img");
    expect(changedName("disk")).toBe("disk-changed");
  });

  it("merges newly written sectors into the saved ones, the new bytes winning, in order", () => {
    const merged = mergeOverlays(
      overlay([
        [1, 1],
        [5, 5],
        [9, 9],
      ]),
      overlay([
        [0, 10],
        [5, 50],
        [7, 70],
      ]),
    );
    expect(pairsOf(merged)).toEqual([
      [0, 10],
      [1, 1],
      [5, 50],
      [7, 70],
      [9, 9],
    ]);
    expect(pairsOf(mergeOverlays(null, overlay([[3, 3]])))).toEqual([[3, 3]]);
  });

  it("cuts an overlay into chunks by sector number", () => {
    const c = chunksOf(
      overlay([
        [0, 1],
        [CHUNK_SECTORS - 1, 2],
        [CHUNK_SECTORS, 3],
        [5 * CHUNK_SECTORS + 7, 4],
      ]),
    );
    expect([...c.keys()]).toEqual([0, 1, 5]);
    expect(pairsOf(c.get(0)!)).toEqual([
      [0, 1],
      [CHUNK_SECTORS - 1, 2],
    ]);
    expect(pairsOf(c.get(5)!)).toEqual([[5 * CHUNK_SECTORS + 7, 4]]);
  });

  it("joins the writes a worker sends before they are saved: sectors merged, a whole drive replacing", () => {
    const media = (sha: string) => [{ role: "hda" as const, name: "a.img", url: null, sha256: sha, bytes: 4096 }];
    const first = {
      media: media("1"),
      overlays: [
        {
          role: "hda" as const,
          whole: false,
          ...overlay([
            [1, 1],
            [5, 1],
          ]),
        },
        { role: "fda" as const, whole: false, ...overlay([[0, 4]]) },
      ],
    };
    const second = {
      media: media("2"),
      overlays: [
        {
          role: "hda" as const,
          whole: false,
          ...overlay([
            [5, 2],
            [7, 2],
          ]),
        },
      ],
    };
    const both = mergeWrites(first, second);
    expect(both.media[0].sha256).toBe("2");
    const hda = both.overlays.find((o) => o.role === "hda")!;
    expect(pairsOf(hda)).toEqual([
      [1, 1],
      [5, 2],
      [7, 2],
    ]);
    expect(hda.whole).toBe(false);
    expect(pairsOf(both.overlays.find((o) => o.role === "fda")!)).toEqual([[0, 4]]);
    const reset = { media: media("2"), overlays: [{ role: "hda" as const, whole: true, ...overlay([[9, 3]]) }] };
    const after = mergeWrites(both, reset).overlays.find((o) => o.role === "hda")!;
    expect([after.whole, pairsOf(after)]).toEqual([true, [[9, 3]]]);
    const more = mergeWrites(mergeWrites(both, reset), second).overlays.find((o) => o.role === "hda")!;
    expect([more.whole, pairsOf(more)]).toEqual([
      true,
      [
        [5, 2],
        [7, 2],
        [9, 3],
      ],
    ]);
    expect(mergeWrites(null, second)).toBe(second);
  });
});
