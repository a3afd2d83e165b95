// The catalog a fresh machine serves: FreeDOS from ../shared/guests, the Linux guest listed as
// missing with one line that names the command that builds it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveCatalog } from "./guests.ts";

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
