// Opening snapshots on the page side, without a browser: the checks before any VM exists, the
// search for base images (catalog by hash, the user's files by hash), share-link fetching, and
// the store client; fetch is stubbed.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine, saveSnapshot } from "@x86vm/devices";
import type { Catalog } from "../shared/catalog.ts";
import { AllocationRefused } from "./allocator.ts";
import {
  fetchSharedSnapshot,
  inspectSnapshot,
  missingMessage,
  planRestore,
  provideImage,
  snapshotFileName,
  uploadSnapshot,
} from "./snapshot-plan.ts";

const crypto = globalThis.crypto;
async function sha256(b: Uint8Array): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(b))), (x) =>
    x.toString(16).padStart(2, "0"),
  ).join("");
}

/** A floppy whose boot sector prints `text` and halts. */
function floppy(text: string): Uint8Array {
  const img = new Uint8Array(1474560);
  const code = "31c08ed8be1a7cb40ebb0700ac84c07404cd10ebf7ebfe";
  for (let i = 0; i < code.length / 2; i++) img[i] = parseInt(code.slice(i * 2, i * 2 + 2), 16);
  for (let i = 0; i < text.length; i++) img[0x1a + i] = text.charCodeAt(i);
  img[510] = 0x55;
  img[511] = 0xaa;
  return img;
}

let image: Uint8Array;
let imageSha: string;
let snap: Uint8Array;
const noBudget = () => {};

function catalog(files: { url: string; sha256: string; bytes: number }[]): Catalog {
  return {
    guestsDir: "/g",
    entries: [
      {
        id: "x",
        title: "X",
        description: "",
        available: true,
        missing: [],
        memoryMiB: 1,
        files: files.map((f) => ({ role: "fda" as const, name: f.url.split("/").pop()!, ...f })),
      },
    ],
  };
}

function stubFetch(routes: Record<string, () => Response>): string[] {
  const seen: string[] = [];
  vi.stubGlobal("fetch", async (url: string) => {
    seen.push(String(url));
    const r = routes[String(url)];
    return r ? r() : new Response("not found", { status: 404 });
  });
  return seen;
}

beforeAll(async () => {
  image = floppy("plan test");
  imageSha = await sha256(image);
  const pc = new PcMachine({ memoryMiB: 1, clock: "deterministic", fda: new MemoryDisk(image, true) });
  for (let i = 0; i < 20; i++) pc.run(10e6);
  snap = await saveSnapshot(pc, { hints: { fda: "/guests/x/plan.img" }, note: "planner" });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("opening a snapshot in the page", () => {
  it("refuses what is not a snapshot with one line naming the file", async () => {
    await expect(inspectSnapshot(new TextEncoder().encode("x".repeat(100)), "a.x86snap")).rejects.toThrow(
      /^Cannot open a\.x86snap: not an x86vm snapshot \(bad magic\)$/,
    );
    await expect(inspectSnapshot(snap.subarray(0, 100), "b.x86snap")).rejects.toThrow(
      /^Cannot open b\.x86snap: snapshot is truncated/,
    );
    expect((await inspectSnapshot(snap, "ok")).meta.note).toBe("planner");
  });

  it("finds a catalog image by SHA-256 (wherever the server has it) and downloads it", async () => {
    const seen = stubFetch({ "/guests/y/renamed.img": () => new Response(image.slice()) });
    const plan = await planRestore(
      snap,
      "s",
      catalog([{ url: "/guests/y/renamed.img", sha256: imageSha, bytes: image.length }]),
      noBudget,
    );
    expect(plan.missing).toEqual([]);
    expect(seen).toEqual(["/guests/y/renamed.img"]);
    const f = plan.found.get("fda")!;
    expect(f).toMatchObject({ role: "fda", name: "renamed.img", url: "/guests/y/renamed.img" });
    expect(Buffer.compare(new Uint8Array(f.bytes), image)).toBe(0);
  });

  it("finds the firmware a snapshot references among the catalog's firmware, by SHA-256", async () => {
    // A system BIOS whose reset vector halts: enough for a snapshot that references it.
    const bios = new Uint8Array(0x10000);
    bios.set([0xf4], 0xfff0);
    const biosSha = await sha256(bios);
    const pc = new PcMachine({
      memoryMiB: 1,
      clock: "deterministic",
      fda: new MemoryDisk(image, true),
      firmware: { bios },
    });
    pc.run(1e5);
    const fwSnap = await saveSnapshot(pc, {
      hints: { fda: "/guests/x/plan.img", bios: "/guests/seabios/bios-256k.bin" },
    });
    const withFirmware: Catalog = {
      ...catalog([{ url: "/guests/x/plan.img", sha256: imageSha, bytes: image.length }]),
      firmware: [
        {
          id: "seabios",
          title: "SeaBIOS",
          available: true,
          missing: [],
          files: [
            {
              role: "bios",
              name: "bios-256k.bin",
              url: "/guests/seabios/bios-256k.bin",
              bytes: bios.length,
              sha256: biosSha,
            },
          ],
        },
      ],
    };
    stubFetch({
      "/guests/x/plan.img": () => new Response(image.slice()),
      "/guests/seabios/bios-256k.bin": () => new Response(bios.slice()),
    });
    const plan = await planRestore(fwSnap, "s", withFirmware, noBudget);
    expect(plan.missing).toEqual([]);
    expect(plan.found.get("bios")).toMatchObject({ role: "bios", url: "/guests/seabios/bios-256k.bin" });
    expect(Buffer.compare(new Uint8Array(plan.found.get("bios")!.bytes), bios)).toBe(0);

    // A server without that firmware: the image is missing, and the message says where it was.
    const without = await planRestore(fwSnap, "s", { ...withFirmware, firmware: [] }, noBudget);
    expect(without.missing.map((n) => [n.slot, n.reason])).toEqual([
      ["bios", "/guests/seabios/bios-256k.bin is not on this server"],
    ]);
  });

  it("lists what it cannot find, says why, and takes the user's file only when its hash matches", async () => {
    stubFetch({});
    const other = await planRestore(
      snap,
      "s",
      catalog([{ url: "/guests/x/plan.img", sha256: "ab".repeat(32), bytes: image.length }]),
      noBudget,
    );
    expect(other.missing).toEqual([
      {
        slot: "fda",
        name: "plan.img",
        size: image.length,
        sha256: imageSha,
        reason: expect.stringMatching(
          /^the server's \/guests\/x\/plan\.img is another image \(SHA-256 abababababab…\)/,
        ),
      },
    ]);
    const none = await planRestore(snap, "my.x86snap", null, noBudget);
    expect(none.missing[0].reason).toBe("/guests/x/plan.img is not on this server");
    expect(missingMessage(none)).toBe(
      `my.x86snap needs an image this page does not have: plan.img (floppy A:, 1.4 MiB, SHA-256 ${imageSha.slice(0, 12)}…). Open it below (/guests/x/plan.img is not on this server).`,
    );

    await expect(provideImage(none, { name: "small.img", bytes: new ArrayBuffer(512) })).rejects.toThrow(
      /small\.img \(512 bytes\) is not an image this snapshot needs/,
    );
    await expect(provideImage(none, { name: "same-size.img", bytes: new ArrayBuffer(image.length) })).rejects.toThrow(
      /same-size\.img has SHA-256 [0-9a-f]{12}…: it is not the image the snapshot needs/,
    );
    expect(none.missing).toHaveLength(1);
    expect(await provideImage(none, { name: "mine.img", bytes: image.slice().buffer })).toBe("fda");
    expect(none.missing).toEqual([]);
    expect(none.found.get("fda")).toMatchObject({ name: "mine.img" });
    expect(none.found.get("fda")!.url).toBeUndefined();
  });

  it("checks the budget before downloading any image", async () => {
    const seen = stubFetch({});
    await expect(
      planRestore(
        snap,
        "big.x86snap",
        catalog([{ url: "/guests/x/plan.img", sha256: imageSha, bytes: image.length }]),
        () => {
          throw new AllocationRefused("Not enough memory in the host budget");
        },
      ),
    ).rejects.toThrow(/^Cannot open big\.x86snap: Not enough memory in the host budget$/);
    expect(seen).toEqual([]);
  });

  it("fetches a share link's snapshot and checks that its bytes are the id", async () => {
    const id = await sha256(snap);
    stubFetch({
      [`/snapshots/${id}`]: () => new Response(snap.slice()),
      [`/snapshots/${"1".repeat(64)}`]: () => new Response(snap.slice()),
    });
    expect(Buffer.compare(await fetchSharedSnapshot(id), snap)).toBe(0);
    await expect(fetchSharedSnapshot("../../etc/passwd")).rejects.toThrow(
      /^Cannot open the share link: "\.\.\/\.\.\/etc\/passwd" is not a snapshot id/,
    );
    await expect(fetchSharedSnapshot(id.toUpperCase())).rejects.toThrow(/is not a snapshot id/);
    await expect(fetchSharedSnapshot("0".repeat(64))).rejects.toThrow(/this server has no snapshot 0{64}$/);
    await expect(fetchSharedSnapshot("1".repeat(64))).rejects.toThrow(
      /the server sent bytes whose SHA-256 is [0-9a-f]{12}…, not the id of the link/,
    );
  });

  it("uploads a snapshot and reports the store's refusal in one line", async () => {
    const id = "c".repeat(64);
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      const n = (init.body as ArrayBuffer).byteLength;
      return n > 10
        ? new Response(JSON.stringify({ id }), { status: 201 })
        : new Response(
            JSON.stringify({ error: "the snapshot is 5 bytes,\nmore than the 4 bytes this server stores" }),
            { status: 413 },
          );
    });
    expect(await uploadSnapshot(new ArrayBuffer(100))).toBe(id);
    await expect(uploadSnapshot(new ArrayBuffer(5))).rejects.toThrow(
      /^Share failed: the snapshot is 5 bytes, more than the 4 bytes this server stores$/,
    );
  });

  it("reports an upload's bytes sent of the snapshot's size, as the page's XMLHttpRequest sends them", async () => {
    const id = "d".repeat(64);
    const sent: string[] = [];
    class FakeXhr {
      status = 0;
      statusText = "";
      responseText = "";
      readonly upload: { onprogress?: (e: { loaded: number; total: number }) => void; onload?: () => void } = {};
      onload?: () => void;
      onerror?: () => void;
      onabort?: () => void;
      private url = "";
      open(method: string, url: string): void {
        this.url = `${method} ${url}`;
      }
      setRequestHeader(): void {}
      send(body: ArrayBuffer): void {
        sent.push(`${this.url} ${body.byteLength}`);
        setTimeout(() => {
          for (const loaded of [4096, 8192, body.byteLength])
            this.upload.onprogress?.({ loaded, total: body.byteLength });
          this.upload.onload?.();
          this.status = 201;
          this.responseText = JSON.stringify({ id });
          this.onload?.();
        }, 1);
      }
    }
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    const seen: string[] = [];
    expect(await uploadSnapshot(new ArrayBuffer(10000), (p) => seen.push(`${p.loaded}/${p.total}`))).toBe(id);
    expect(sent).toEqual(["POST /snapshots 10000"]);
    expect(seen).toEqual(["0/10000", "4096/10000", "8192/10000", "10000/10000", "10000/10000"]);
    vi.unstubAllGlobals();
  });

  it("names downloads after the VM and the time", () => {
    expect(snapshotFileName("dos (2)", new Date(2026, 10, 26, 9, 5, 7))).toBe("dos-2-2026-11-26-090507.x86snap");
    expect(snapshotFileName("../../", new Date(2026, 0, 1, 0, 0, 0))).toBe("vm-2026-01-01-000000.x86snap");
  });
});
