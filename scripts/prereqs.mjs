#!/usr/bin/env node
// What `pnpm test` needs beyond npm, checked (and installed where it can be) before any test runs:
//
//   nasm, mtools, xorriso          build the small boot programs, floppies and El Torito CDs of the boot tests
//   grub-pc-bin                    grub-mkrescue and GRUB's BIOS images: the GRUB CD of `bench:boot cd` (its test builds one)
//   gcc-i686-linux-gnu + libc      build the differential test programs (run natively and in the emulator)
//   seabios                        SeaBIOS and its VGA BIOS (/usr/share/seabios): the firmware boot tests
//                                  and the page's SeaBIOS setting (docs/firmware.md)
//   chromium                       the browser the Playwright specs drive (browser downloads are impossible here)
//   binutils, console-setup-linux  objdump and the VGA console fonts, from which checked-in files are generated
//                                  (a test regenerates them and compares)
//   the Linux guest                ~/.cache/x86-guests/linux-686, built by `pnpm images` from Debian's packages
//                                  (again when its RECIPE file is not images.ts's GUEST_RECIPE)
//
// Missing Debian packages are installed with apt-get when this process is root or has
// password-less sudo; otherwise it stops at once with one line naming the exact command.
// Run alone: `node scripts/prereqs.mjs [--check]` (--check installs nothing).
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import url from "node:url";

const root = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), "..");

/** Each need: the Debian package that provides it and how to tell it is there. */
const PACKAGES = [
  { pkg: "nasm", have: () => onPath("nasm") },
  { pkg: "mtools", have: () => onPath("mformat") && onPath("mcopy") },
  { pkg: "xorriso", have: () => onPath("xorriso") },
  { pkg: "grub-pc-bin", have: () => onPath("grub-mkrescue") && fs.existsSync("/usr/lib/grub/i386-pc/cdboot.img") },
  { pkg: "gcc-i686-linux-gnu", have: () => onPath("i686-linux-gnu-gcc") },
  { pkg: "libc6-dev-i386-cross", have: () => fs.existsSync("/usr/i686-linux-gnu/include/stdio.h") },
  {
    pkg: "seabios",
    have: () => ["bios-256k.bin", "vgabios-stdvga.bin"].every((f) => fs.existsSync(path.join("/usr/share/seabios", f))),
  },
  { pkg: "chromium", have: () => fs.existsSync(process.env.CHROMIUM ?? "/usr/bin/chromium") },
  { pkg: "binutils", have: () => onPath("objdump") },
  { pkg: "console-setup-linux", have: () => fs.existsSync("/usr/share/consolefonts/Lat15-VGA16.psf.gz") },
];

function onPath(cmd) {
  return (process.env.PATH ?? "").split(path.delimiter).some((d) => d && isExecutable(path.join(d, cmd)));
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function guestsDir() {
  if (process.env.X86VM_GUESTS) return path.resolve(process.env.X86VM_GUESTS);
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "x86-guests");
}

function stop(line) {
  console.error(`pnpm test: ${line}`);
  process.exit(1);
}

/** "" when root, "sudo" when password-less sudo works, else null. */
function privilege() {
  if (process.getuid?.() === 0) return "";
  if (onPath("sudo") && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0) return "sudo";
  return null;
}

/** Runs a command quietly; when it fails, its last lines of output become the error. */
function run(argv) {
  const [cmd, ...args] = argv.filter(Boolean);
  try {
    execFileSync(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const out = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim().split("\n").slice(-3).join(" / ");
    throw new Error(out || e.message, { cause: e });
  }
}

const checkOnly = process.argv.includes("--check");
const missing = PACKAGES.filter((p) => !p.have()).map((p) => p.pkg);
if (missing.length) {
  const install = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (!onPath("apt-get"))
    stop(
      `needs ${missing.join(", ")} (Debian package names) and this host has no apt-get: install them with your package manager`,
    );
  const sudo = checkOnly ? null : privilege();
  if (sudo === null)
    stop(`missing Debian packages: run  sudo apt-get update && sudo ${install}  and then pnpm test again`);
  console.log(`pnpm test: installing Debian packages once: ${missing.join(" ")}`);
  const t0 = performance.now();
  try {
    run([sudo, "apt-get", "update", "-qq"]);
    run([sudo, ...install.split(" "), "-qq"]);
  } catch (e) {
    stop(`${install} failed: ${e.message}`);
  }
  const still = PACKAGES.filter((p) => !p.have()).map((p) => p.pkg);
  if (still.length) stop(`${still.join(", ")} still missing after apt-get install`);
  console.log(`pnpm test: Debian packages installed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** GUEST_RECIPE of the images command (its source names it once): a guest built by another is rebuilt. */
function guestRecipe() {
  const src = fs.readFileSync(path.join(root, "packages/cli/src/commands/images.ts"), "utf8");
  const m = /export const GUEST_RECIPE = (\d+);/.exec(src);
  if (!m) stop("packages/cli/src/commands/images.ts does not say its GUEST_RECIPE");
  return m[1];
}

function readRecipe(dir) {
  try {
    return fs.readFileSync(path.join(dir, "RECIPE"), "utf8").trim();
  } catch {
    return "";
  }
}

const linux = path.join(guestsDir(), "linux-686");
const guestMissing = !fs.existsSync(path.join(linux, "bzImage")) || !fs.existsSync(path.join(linux, "initrd.gz"));
if (guestMissing || readRecipe(linux) !== guestRecipe()) {
  const what = guestMissing ? "missing" : "built by an older recipe";
  if (checkOnly) stop(`the Linux guest in ${linux} is ${what}: run  pnpm images  and then pnpm test again`);
  console.log(`pnpm test: building the Linux guest (${what}; pnpm images, into ${linux})`);
  const r = spawnSync(process.execPath, [path.join(root, "packages/cli/bin/vm.mjs"), "images"], { stdio: "inherit" });
  if (r.status !== 0) stop(`pnpm images failed (exit ${r.status}): the Linux boot tests need ${linux}`);
}
