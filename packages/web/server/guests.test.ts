// The catalog a fresh machine serves: FreeDOS from ../shared/guests, the Linux guest listed as
// missing with one line that names the command that builds it; SeaBIOS from the guest folder or
// Debian's package, or missing with the command that provides it.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveCatalog, seabiosVersion } from "./guests.ts";

const repoRoot = path.resolve(__dirname, "../../..");
const empty = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-guests-"));
afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));

describe("the guest catalog on a fresh machine", () => {
  const { catalog, files } = resolveCatalog(repoRoot, empty);
  const byId = new Map(catalog.entries.map((g) => [g.id, g]));

  it("offers FreeDOS from ../shared/guests", () => {
    const dos = byId.get("freedos")!;
    expect(dos.available).toBe(true);
    expect(files.get(dos.files[0].url)).toBe(path.resolve(repoRoot, "../shared/guests/freedos722.img"));
  });

  it("lists Linux as missing, in one line that says how to build it", () => {
    const linux = byId.get("linux")!;
    expect(linux.available).toBe(false);
    expect(linux.missing).toHaveLength(1);
    expect(linux.missing[0]).toMatch(/not built yet .*: run {2}pnpm images {2}/);
  });
});

describe("the catalog's firmware", () => {
  /** A folder holding made-up SeaBIOS files (the BIOS carries a version string as SeaBIOS's does). */
  function fakeSeabios(dir: string, version: string): string {
    fs.mkdirSync(dir, { recursive: true });
    const bios = Buffer.alloc(0x20000);
    bios.write(`SeaBIOS (version %s)\0${version}\0`, 0x1000, "latin1");
    fs.writeFileSync(path.join(dir, "bios-256k.bin"), bios);
    fs.writeFileSync(path.join(dir, "vgabios-stdvga.bin"), Buffer.from([0x55, 0xaa, 1, 0xcb]));
    return dir;
  }

  it("lists SeaBIOS as missing, naming the command that provides it", () => {
    const { catalog } = resolveCatalog(repoRoot, empty, path.join(empty, "no-system"));
    const fw = catalog.firmware!;
    expect(fw.map((f) => f.id)).toEqual(["seabios"]);
    expect(fw[0].available).toBe(false);
    expect(fw[0].files).toEqual([]);
    expect(fw[0].missing[0]).toMatch(/SeaBIOS is in neither .*seabios nor .*no-system: run {2}pnpm images {2}/);
  });

  it("serves Debian's package, with the version the image carries, and prefers the guest folder's copy", () => {
    const system = fakeSeabios(path.join(empty, "usr-share-seabios"), "1.16.2-debian-1.16.2-1");
    let r = resolveCatalog(repoRoot, empty, system);
    let fw = r.catalog.firmware![0];
    expect(fw.available).toBe(true);
    expect(fw.title).toBe("SeaBIOS 1.16.2-debian-1.16.2-1");
    expect(fw.files.map((f) => [f.role, f.url, f.bytes])).toEqual([
      ["bios", "/guests/seabios/bios-256k.bin", 0x20000],
      ["vga-bios", "/guests/seabios/vgabios-stdvga.bin", 4],
    ]);
    expect(fw.files[1].sha256).toBe(
      crypto
        .createHash("sha256")
        .update(Buffer.from([0x55, 0xaa, 1, 0xcb]))
        .digest("hex"),
    );
    expect(r.files.get("/guests/seabios/bios-256k.bin")).toBe(path.join(system, "bios-256k.bin"));

    fakeSeabios(path.join(empty, "seabios"), "1.17.0");
    r = resolveCatalog(repoRoot, empty, system);
    fw = r.catalog.firmware![0];
    expect(fw.title).toBe("SeaBIOS 1.17.0");
    expect(r.files.get("/guests/seabios/vgabios-stdvga.bin")).toBe(path.join(empty, "seabios", "vgabios-stdvga.bin"));
  });

  it("reads no version from an image without one", () => {
    expect(seabiosVersion(new Uint8Array(64))).toBeNull();
    expect(seabiosVersion(new TextEncoder().encode("x\u00001.16.3\u0000y"))).toBe("1.16.3");
  });
});
