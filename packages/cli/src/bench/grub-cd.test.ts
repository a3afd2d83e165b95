// The `cd` workload's pure parts (grub.cfg, the stale rule, the shell's prompt on COM1, QEMU's
// command line and version), and one real build: grub-mkrescue around a stand-in kernel and
// initrd (the disc's contents do not matter to its boot record), checked for an El Torito boot
// record and a bootable x86 entry. That build needs Debian's grub-pc-bin, xorriso and mtools
// (scripts/prereqs.mjs installs them for `pnpm test`); without them it fails, naming them.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { findBootEntry, MEDIA_NO_EMULATION } from "../../../devices/src/pc/bios/eltorito.ts";
import {
  CD_NEEDS,
  buildGrubIso,
  grubCfg,
  grubIsoPath,
  missingPackages,
  missingPackagesMessage,
  parseQemuVersion,
  qemuArgs,
  shellReady,
  staleReason,
} from "./grub-cd.ts";

describe("grub.cfg", () => {
  it("boots the one entry at once, with GRUB and the kernel's console on COM1", () => {
    const cfg = grubCfg();
    expect(cfg.split("\n")).toEqual([
      "serial --unit=0 --speed=115200",
      "terminal_input serial",
      "terminal_output serial",
      "set timeout=0",
      "set default=0",
      'menuentry "Linux (x86vm reference guest)" {',
      "  linux /boot/bzImage console=ttyS0",
      "  initrd /boot/initrd.gz",
      "}",
      "",
    ]);
  });

  it("refuses values GRUB's script language would split or expand", () => {
    expect(() => grubCfg({ kernel: "/boot/bzImage", initrd: "/boot/initrd.gz", cmdline: 'a="b c"' })).toThrow(
      /cmdline .* needs quoting/,
    );
    expect(() => grubCfg({ kernel: "/boot/$k", initrd: "/boot/initrd.gz", cmdline: "" })).toThrow(/kernel/);
  });
});

describe("the cached ISO", () => {
  it("sits beside the guest folder", () => {
    expect(grubIsoPath("/c/x86-guests/linux-686")).toBe("/c/x86-guests/linux-686-grub.iso");
  });

  it("is rebuilt when missing, older than an input, or built with another grub.cfg", () => {
    const inputs = [
      { file: "bzImage", mtimeMs: 100 },
      { file: "initrd.gz", mtimeMs: 200 },
    ];
    expect(staleReason(null, inputs, "cfg")).toBe("not built yet");
    expect(staleReason({ mtimeMs: 150, cfg: "cfg" }, inputs, "cfg")).toBe("initrd.gz is newer");
    expect(staleReason({ mtimeMs: 300, cfg: "old" }, inputs, "cfg")).toBe("grub.cfg changed");
    expect(staleReason({ mtimeMs: 300, cfg: null }, inputs, "cfg")).toBe("grub.cfg changed");
    expect(staleReason({ mtimeMs: 200, cfg: "cfg" }, inputs, "cfg")).toBeNull();
  });
});

describe("the Debian packages", () => {
  it("names each missing package once, and the command that installs them", () => {
    const noQemu = missingPackages(
      CD_NEEDS,
      (cmd) => cmd !== "qemu-system-i386",
      () => true,
    );
    expect(noQemu).toEqual(["qemu-system-x86"]);
    const noGrub = missingPackages(
      CD_NEEDS,
      () => true,
      () => false,
    );
    expect(noGrub).toEqual(["grub-pc-bin"]);
    const none = missingPackages(
      CD_NEEDS,
      () => false,
      () => false,
    );
    expect(none).toEqual(["grub-pc-bin", "xorriso", "mtools", "qemu-system-x86"]);
    const msg = missingPackagesMessage(["xorriso", "mtools"]);
    expect(msg).not.toContain("\n");
    expect(msg).toContain("apt-get install -y --no-install-recommends xorriso mtools");
  });
});

describe("the shell's prompt on COM1", () => {
  it("counts only a '# ' after BOOT-OK", () => {
    expect(shellReady("")).toBe(false);
    expect(shellReady("grub# \r\nLinux version")).toBe(false);
    expect(shellReady("# early\r\nBOOT-OK 2.68 0.12\r\n")).toBe(false);
    expect(shellReady("BOOT-OK 2.68 0.12\r\n/ # ")).toBe(true);
    expect(shellReady("BOOT-OK# ")).toBe(true);
  });
});

describe("QEMU", () => {
  it("runs TCG with 128 MiB, the disc, no screen and COM1 on stdout", () => {
    const args = qemuArgs("/c/cd.iso");
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(after("-accel")).toBe("tcg");
    expect(after("-m")).toBe("128");
    expect(after("-cdrom")).toBe("/c/cd.iso");
    expect(after("-display")).toBe("none");
    expect(after("-serial")).toBe("stdio");
    expect(after("-monitor")).toBe("none");
    expect(args).toContain("-no-reboot");
  });

  it("reads its version from --version", () => {
    expect(
      parseQemuVersion(
        "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard\n",
      ),
    ).toBe("7.2.22");
    expect(parseQemuVersion("something else")).toBe("something else");
  });
});

describe("grub-mkrescue", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-grub-cd-test-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("makes an ISO with an El Torito boot record and a bootable no-emulation x86 entry", () => {
    const missing = missingPackages(CD_NEEDS.filter((n) => n.pkg !== "qemu-system-x86"));
    if (missing.length) throw new Error(missingPackagesMessage(missing));
    const kernel = path.join(dir, "bzImage"),
      initrd = path.join(dir, "initrd.gz"),
      iso = path.join(dir, "cd.iso");
    fs.writeFileSync(kernel, "stand-in kernel\n");
    fs.writeFileSync(initrd, "stand-in initrd\n");
    buildGrubIso(kernel, initrd, iso);
    const bytes = fs.readFileSync(iso);
    expect(bytes.length % 2048).toBe(0);
    const entry = findBootEntry(new MemoryDisk(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), true));
    expect(entry.media).toBe(MEDIA_NO_EMULATION);
    expect(entry.loadRba).toBeGreaterThan(17);
    // GRUB's El Torito image loads at 07C0h and is read in whole as 4 virtual sectors at least.
    expect(entry.loadSegment).toBe(0x07c0);
    expect(entry.sectorCount).toBeGreaterThanOrEqual(4);
    // The files are on the disc (ISO 9660 keeps names and contents as they are).
    expect(bytes.includes(Buffer.from("linux /boot/bzImage console=ttyS0"))).toBe(true);
    expect(bytes.includes(Buffer.from("stand-in kernel"))).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(["bzImage", "cd.iso", "initrd.gz"]);
  }, 30_000);
});
