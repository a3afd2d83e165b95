// `vm images`: the initramfs it writes (newc cpio, gzip) read back entry by entry, the argument
// and folder rules, the kernel package name taken from apt-cache's answer, and the clear error
// when apt-get is missing. (The download itself needs Debian's archive: run `pnpm images`.)

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import {
  GUEST_RECIPE,
  INIT_SCRIPT,
  RECIPE_FILE,
  UDHCPC_SCRIPT,
  buildInitramfs,
  guestIsCurrent,
  modinfoDepends,
  moduleLoadOrder,
  cpioNewc,
  defaultGuestsDir,
  imagesCommand,
  kernelPackage,
  parseImagesArgs,
  provideSeabios,
  findSeabios,
} from "./images.ts";

interface Entry {
  name: string;
  mode: number;
  data: Buffer;
  rdevMajor: number;
  rdevMinor: number;
}

/** Reads a newc archive as the kernel's initramfs unpacker does. */
function readNewc(buf: Buffer): Entry[] {
  const out: Entry[] = [];
  let at = 0;
  const align = () => {
    at = (at + 3) & ~3;
  };
  for (;;) {
    expect(buf.toString("ascii", at, at + 6)).toBe("070701");
    const f = (i: number) => parseInt(buf.toString("ascii", at + 6 + i * 8, at + 14 + i * 8), 16);
    const mode = f(1),
      size = f(6),
      rdevMajor = f(9),
      rdevMinor = f(10),
      nameSize = f(11);
    at += 110;
    const name = buf.toString("utf8", at, at + nameSize - 1);
    expect(buf[at + nameSize - 1]).toBe(0);
    at += nameSize;
    align();
    const data = buf.subarray(at, at + size);
    at += size;
    align();
    if (name === "TRAILER!!!") break;
    out.push({ name, mode, data, rdevMajor, rdevMinor });
  }
  expect(at).toBe(buf.length);
  return out;
}

describe("the initramfs", () => {
  it("is a gzip-compressed newc archive with busybox, /init, the mount points and /dev/console", () => {
    const busybox = Buffer.from("\x7fELF fake busybox of odd length");
    const entries = readNewc(zlib.gunzipSync(buildInitramfs(busybox)));
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const d of [".", "bin", "dev", "proc", "sys", "tmp"]) expect(byName.get(d)!.mode & 0o170000).toBe(0o040000);
    const bb = byName.get("bin/busybox")!;
    expect(bb.data.equals(busybox)).toBe(true);
    expect(bb.mode).toBe(0o100755);
    const init = byName.get("init")!;
    expect(init.data.toString()).toBe(INIT_SCRIPT);
    expect(init.mode & 0o111).toBe(0o111);
    expect(INIT_SCRIPT).toMatch(/^#!\/bin\/busybox sh\n/);
    expect(INIT_SCRIPT).toContain('echo "BOOT-OK $(cat /proc/uptime)"');
    const console = byName.get("dev/console")!;
    expect(console.mode & 0o170000).toBe(0o020000);
    expect([console.rdevMajor, console.rdevMinor]).toEqual([5, 1]);
  });

  it("carries kernel modules, their load list, and udhcpc's script", () => {
    const mods = [
      { name: "8390.ko", data: Buffer.from("core") },
      { name: "ne2k-pci.ko", data: Buffer.from("card") },
      { name: "drm.ko", data: Buffer.from("drm"), display: true },
      { name: "bochs.ko", data: Buffer.from("vga"), display: true },
    ];
    const byName = new Map(readNewc(zlib.gunzipSync(buildInitramfs(Buffer.from("bb"), mods))).map((e) => [e.name, e]));
    expect(byName.get("etc/modules")!.data.toString()).toBe("8390.ko\nne2k-pci.ko\n");
    expect(byName.get("etc/modules.display")!.data.toString()).toBe("drm.ko\nbochs.ko\n");
    expect(byName.get("lib/modules/bochs.ko")!.data.toString()).toBe("vga");
    expect(INIT_SCRIPT).toContain("grep -qw nodrm /proc/cmdline");
    expect(INIT_SCRIPT).toContain("for m in $(cat /etc/modules.display)");
    expect(byName.get("lib/modules/ne2k-pci.ko")!.data.toString()).toBe("card");
    expect(byName.get("etc/udhcpc.script")!.data.toString()).toBe(UDHCPC_SCRIPT);
    expect(byName.get("etc/udhcpc.script")!.mode & 0o111).toBe(0o111);
    expect(INIT_SCRIPT).toContain("insmod /lib/modules/$m");
    expect(INIT_SCRIPT).toContain("udhcpc -i eth0 -s /etc/udhcpc.script");
    // ne (ISA: it probes its port) only for a card that answers at 300h or one the command line names.
    expect(INIT_SCRIPT).toContain("dd if=/dev/port bs=1 skip=768 count=1");
    expect(INIT_SCRIPT).toMatch(
      /if \[ -n "\$io\$irq" \] \|\| \[ "\$at" != ff \]; then\n\s+insmod \/lib\/modules\/ne\.ko/,
    );
    expect(UDHCPC_SCRIPT).toContain('route add default gw "$r"');
  });

  it("orders modules after what their .modinfo says they need, skipping built-in ones", () => {
    const ko = (info: string) => Buffer.from(`\x7fELF...\0license=GPL\0${info}\0vermagic=6.1\0`, "latin1");
    expect(modinfoDepends(ko("depends=8390"))).toEqual(["8390"]);
    expect(modinfoDepends(ko("depends=mii,crc-ccitt"))).toEqual(["mii", "crc_ccitt"]);
    expect(modinfoDepends(ko("depends="))).toEqual([]);
    expect(modinfoDepends(ko("alias=pci:v10ECd8029"))).toEqual([]);
    const index = new Map([
      ["ne2k_pci", { file: "k/ne2k-pci.ko", needs: ["8390"] }],
      ["8390", { file: "k/8390.ko", needs: [] }],
    ]);
    const builtin = "kernel/net/packet/af_packet.ko\n";
    expect(moduleLoadOrder(index, builtin, ["ne2k-pci", "8390", "af_packet"])).toEqual(["k/8390.ko", "k/ne2k-pci.ko"]);
    expect(() => moduleLoadOrder(index, builtin, ["e1000"])).toThrow(/the kernel has no module e1000/);
    const broken = new Map([["ne2k_pci", { file: "k/ne2k-pci.ko", needs: ["8390"] }]]);
    expect(() => moduleLoadOrder(broken, "", ["ne2k-pci"])).toThrow(/no module 8390 \(needed by ne2k_pci\)/);
  });

  it("takes a guest as current only when complete and built by this recipe", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-recipe-"));
    try {
      fs.writeFileSync(path.join(dir, "bzImage"), "k");
      fs.writeFileSync(path.join(dir, "initrd.gz"), "i");
      expect(guestIsCurrent(dir)).toBe(false); // built before recipes were recorded
      fs.writeFileSync(path.join(dir, RECIPE_FILE), `${GUEST_RECIPE - 1}\n`);
      expect(guestIsCurrent(dir)).toBe(false);
      fs.writeFileSync(path.join(dir, RECIPE_FILE), `${GUEST_RECIPE}\n`);
      expect(guestIsCurrent(dir)).toBe(true);
      fs.writeFileSync(path.join(dir, "initrd.gz"), "");
      expect(guestIsCurrent(dir)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("pads every header and body to four bytes", () => {
    const archive = Buffer.from(
      cpioNewc([
        { path: "a", kind: "file", data: Buffer.from("xyz") },
        { path: "/b/", kind: "dir" },
      ]),
    );
    expect(archive.length % 4).toBe(0);
    const e = readNewc(archive);
    expect(e.map((x) => x.name)).toEqual(["a", "b/"]);
    expect(e[0].data.toString()).toBe("xyz");
  });
});

describe("vm images arguments", () => {
  it("takes the folder from --out, else X86VM_GUESTS, else the XDG cache", () => {
    expect(parseImagesArgs(["--out", "/tmp/g"]).out).toBe("/tmp/g");
    expect(parseImagesArgs([], { X86VM_GUESTS: "/srv/g" }).out).toBe("/srv/g");
    expect(defaultGuestsDir({ XDG_CACHE_HOME: "/c" })).toBe("/c/x86-guests");
    expect(defaultGuestsDir({})).toBe(path.join(os.homedir(), ".cache", "x86-guests"));
    expect(parseImagesArgs(["--force"], {}).force).toBe(true);
    expect(parseImagesArgs(["--seabios"], {}).seabiosOnly).toBe(true);
    expect(parseImagesArgs([], {}).seabiosOnly).toBe(false);
    expect(() => parseImagesArgs(["--bogus"])).toThrow(/unknown argument/);
    expect(() => parseImagesArgs(["--out"])).toThrow(/--out needs a value/);
    expect(() => parseImagesArgs(["--out", ""])).toThrow(/needs a folder/);
  });

  it("finds the kernel package in apt-cache depends output", () => {
    const out = "linux-image-686\n  Depends: linux-image-6.1.0-50-686 (= 6.1.158-1)\n  Recommends: firmware-linux\n";
    expect(kernelPackage(out)).toBe("linux-image-6.1.0-50-686");
    expect(() => kernelPackage("linux-image-686\n")).toThrow(/could not resolve/);
  });

  it("says clearly that apt-get is needed when it is missing", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-images-test-"));
    const errors: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((m: string) => {
      errors.push(m);
    });
    const savedPath = process.env.PATH;
    process.env.PATH = out; // a folder without apt-get
    try {
      expect(await imagesCommand(["--out", out])).toBe(2);
    } finally {
      process.env.PATH = savedPath;
      spy.mockRestore();
    }
    expect(errors.join("\n")).toMatch(/apt-get is not available: .*Debian/);
    expect(fs.existsSync(path.join(out, "linux-686", "bzImage"))).toBe(false);
    fs.rmSync(out, { recursive: true, force: true });
  });
});

describe("SeaBIOS in the guest folder", () => {
  it("is copied from Debian's package folder, named in VERSION, and kept unless --force", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-seabios-test-"));
    const system = path.join(tmp, "usr-share-seabios"),
      out = path.join(tmp, "guests");
    fs.mkdirSync(system);
    fs.writeFileSync(path.join(system, "bios-256k.bin"), Buffer.alloc(0x40000, 1));
    fs.writeFileSync(path.join(system, "vgabios-stdvga.bin"), Buffer.alloc(0x9c00, 2));
    expect(findSeabios(out, path.join(tmp, "none"))).toBeNull();
    expect(findSeabios(out, system)).toBe(system);
    const log: string[] = [];
    const files = provideSeabios(out, (l) => log.push(l), { system });
    expect(files).toEqual([
      path.join(out, "seabios", "bios-256k.bin"),
      path.join(out, "seabios", "vgabios-stdvga.bin"),
    ]);
    expect(fs.readFileSync(files[0])).toEqual(Buffer.alloc(0x40000, 1));
    expect(fs.readFileSync(files[1]).length).toBe(0x9c00);
    expect(fs.readFileSync(path.join(out, "seabios", "VERSION"), "utf8")).toMatch(
      /usr-share-seabios \(Debian's seabios package/,
    );
    expect(findSeabios(out, system)).toBe(path.join(out, "seabios"));

    // Already there: kept (the package's files changing does not matter) unless forced.
    fs.writeFileSync(path.join(system, "bios-256k.bin"), Buffer.alloc(0x40000, 3));
    provideSeabios(out, (l) => log.push(l), { system });
    expect(fs.readFileSync(files[0])[0]).toBe(1);
    expect(log.at(-1)).toMatch(/already there/);
    provideSeabios(out, (l) => log.push(l), { system, force: true });
    expect(fs.readFileSync(files[0])[0]).toBe(3);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
