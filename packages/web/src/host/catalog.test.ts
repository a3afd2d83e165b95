// The New VM form's firmware choice without a browser: when SeaBIOS can be chosen and why not,
// the panel's name for a VM's firmware, and a guest's and a firmware's files as one download.
import { describe, expect, it } from "vitest";
import type { Catalog, FirmwareEntry } from "../shared/catalog.ts";
import { firmwareEntry, firmwareLabel, firmwareProblem, joinDownloads } from "./catalog.ts";

const seabios: FirmwareEntry = {
  id: "seabios",
  title: "SeaBIOS 1.16.2",
  available: true,
  missing: [],
  files: [
    {
      role: "bios",
      name: "bios-256k.bin",
      url: "/guests/seabios/bios-256k.bin",
      bytes: 262144,
      sha256: "a".repeat(64),
    },
    {
      role: "vga-bios",
      name: "vgabios-stdvga.bin",
      url: "/guests/seabios/vgabios-stdvga.bin",
      bytes: 39936,
      sha256: "b".repeat(64),
    },
  ],
};
const dos = {
  id: "freedos",
  title: "FreeDOS",
  description: "",
  available: true,
  missing: [],
  memoryMiB: 32,
  files: [
    {
      role: "fda" as const,
      name: "freedos722.img",
      url: "/guests/freedos/freedos722.img",
      bytes: 737280,
      sha256: "c".repeat(64),
    },
  ],
};
const withSeabios: Catalog = { guestsDir: "/g", entries: [dos], firmware: [seabios] };

describe("the firmware setting", () => {
  it("offers SeaBIOS when the server has it, and says why not otherwise", () => {
    expect(firmwareProblem(withSeabios, "builtin", true)).toBeNull();
    expect(firmwareProblem(withSeabios, "seabios", false)).toBeNull();
    expect(firmwareProblem(null, "seabios", false)).toMatch(/catalog is not loaded/);
    expect(firmwareProblem({ guestsDir: "/g", entries: [dos] }, "seabios", false)).toBe(
      "this server offers no seabios",
    );
    const missing = { ...seabios, available: false, files: [], missing: ["run  pnpm images"] };
    expect(firmwareProblem({ ...withSeabios, firmware: [missing] }, "seabios", false)).toBe(
      "it is not on this server: run  pnpm images",
    );
    expect(() => firmwareEntry({ ...withSeabios, firmware: [missing] }, "seabios")).toThrow(
      "SeaBIOS 1.16.2 is not on this server: run  pnpm images",
    );
    expect(firmwareProblem(withSeabios, "seabios", true)).toMatch(/loads no Linux kernel given as a file/);
    expect(firmwareEntry(withSeabios, "seabios")).toBe(seabios);
  });

  it("names a VM's firmware from its media", () => {
    expect(firmwareLabel(dos.files)).toBe("Built-in BIOS");
    expect(firmwareLabel([...dos.files, ...seabios.files])).toBe("SeaBIOS");
    expect(firmwareLabel([{ role: "bios", name: "coreboot.rom", url: null }])).toBe("BIOS coreboot.rom");
  });

  it("downloads a guest and its firmware as one set", () => {
    const both = joinDownloads(dos, seabios);
    expect(both.title).toBe("FreeDOS + SeaBIOS 1.16.2");
    expect(both.available).toBe(true);
    expect(both.files.map((f) => f.role)).toEqual(["fda", "bios", "vga-bios"]);
    const gone = joinDownloads(dos, { ...seabios, available: false, missing: ["not installed"] });
    expect(gone.available).toBe(false);
    expect(gone.missing).toEqual(["SeaBIOS 1.16.2: not installed"]);
  });
});
