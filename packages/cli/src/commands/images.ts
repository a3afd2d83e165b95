// `vm images [--out DIR] [--force] [--seabios]`: makes the guest images the web server's catalog offers and
// the boot tests use, in the folder the server reads (packages/web/server/guests.ts):
//
//   DIR/linux-686/bzImage     Debian's linux-image-686 kernel (i386 package)
//   DIR/linux-686/initrd.gz   a gzip-compressed newc cpio: busybox-static (i386), the network
//                             card's kernel modules, the VGA's DRM driver (bochs) and what it
//                             needs, and an /init that mounts proc, sys and dev, loads the
//                             modules (the DRM ones unless the command line says nodrm),
//                             runs udhcpc when there is an eth0,
//                             prints "BOOT-OK <uptime>" and starts a shell (boot with
//                             console=ttyS0 for it on COM1)
//   DIR/linux-686/VERSION     the kernel package it came from
//   DIR/linux-686/RECIPE      GUEST_RECIPE: a guest built by an older recipe is built again
//   DIR/freedos722.img        the FreeDOS floppy, copied from ../shared/guests if it is there
//   DIR/seabios/              SeaBIOS (docs/firmware.md): bios-256k.bin and vgabios-stdvga.bin
//                             from Debian's seabios package, copied from /usr/share/seabios when
//                             it is installed, else downloaded (apt-get download) and unpacked;
//                             VERSION names where they came from. --seabios does only this.
//
// DIR is --out, else $X86VM_GUESTS, else $XDG_CACHE_HOME/x86-guests (~/.cache/x86-guests).
// The packages come from Debian's archive through apt-get, with package lists for the i386
// architecture kept in a private temporary folder (the host's apt state is not touched); dpkg
// unpacks them. The initramfs is written here (cpio newc + gzip), so no cpio tool is needed.
// An existing Linux guest of the current recipe is kept unless --force. At the end every file is listed with its
// size and SHA-256.

import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { parseArgs, usageLines, UsageError, type CommandSpec } from "../args.ts";

export interface ImagesArgs {
  out: string;
  force: boolean;
  /** Only SeaBIOS (what `pnpm start` runs when the server has none). */
  seabiosOnly: boolean;
}

export function defaultGuestsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.X86VM_GUESTS) return path.resolve(env.X86VM_GUESTS);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "x86-guests");
}

export const IMAGES_COMMAND: CommandSpec = {
  name: "images",
  summary: "build the Linux guest; copy SeaBIOS and FreeDOS to the guest folder",
  options: [
    { flag: "--out", value: "DIR", help: "the guest folder (default $X86VM_GUESTS, else ~/.cache/x86-guests)" },
    { flag: "--force", help: "build the Linux guest and copy SeaBIOS again even if they are there" },
    { flag: "--seabios", help: "only SeaBIOS (DIR/seabios)" },
  ],
  notes: [
    "Writes DIR/linux-686/bzImage, initrd.gz and VERSION (apt-get fetches the packages; the",
    "host's apt state is not touched), DIR/seabios/bios-256k.bin and vgabios-stdvga.bin (Debian's",
    "seabios package: /usr/share/seabios, else downloaded) and DIR/freedos722.img (from",
    "../shared/guests), the folder the web server's catalog reads, then lists each file with its",
    "size and SHA-256.",
  ],
};

export function parseImagesArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ImagesArgs {
  const a: ImagesArgs = { out: defaultGuestsDir(env), force: false, seabiosOnly: false };
  for (const { flag, value } of parseArgs(IMAGES_COMMAND, argv).options) {
    if (flag === "--force") a.force = true;
    else if (flag === "--seabios") a.seabiosOnly = true;
    else if (flag === "--out") {
      if (!value) throw new UsageError("--out needs a folder");
      a.out = path.resolve(value);
    } else throw new Error(`vm images: ${flag} is in the option table but not handled`);
  }
  return a;
}

// ---- the initramfs archive

/** A file, folder or device node for the archive (paths relative, without a leading slash). */
export type CpioEntry =
  | { path: string; kind: "dir"; mode?: number }
  | { path: string; kind: "file"; data: Uint8Array; mode?: number }
  | { path: string; kind: "chardev"; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000,
  S_IFREG = 0o100000,
  S_IFCHR = 0o020000;
const NEWC_MAGIC = "070701";

/** A cpio archive in the "new ASCII" (newc) format the kernel unpacks as an initramfs. */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
  };
  const pad = () => {
    if (size % 4) push(new Uint8Array(4 - (size % 4)));
  };
  const hex = (v: number) => (v >>> 0).toString(16).padStart(8, "0");
  const record = (
    name: string,
    mode: number,
    data: Uint8Array,
    ino: number,
    rdev: [number, number] = [0, 0],
    nlink = 1,
  ) => {
    const nameBytes = Buffer.from(`${name}\0`, "utf8");
    const fields = [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
    push(Buffer.from(NEWC_MAGIC + fields.map(hex).join(""), "ascii"));
    push(nameBytes);
    pad();
    push(data);
    pad();
  };
  entries.forEach((e, i) => {
    const name = e.path.replace(/^\/+/, "") || ".";
    if (e.kind === "dir") record(name, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0), i + 1, [0, 0], 2);
    else if (e.kind === "file") record(name, S_IFREG | (e.mode ?? 0o644), e.data, i + 1);
    else record(name, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(0), i + 1, [e.major, e.minor]);
  });
  record("TRAILER!!!", 0, new Uint8Array(0), 0, [0, 0], 1);
  return Buffer.concat(parts, size);
}

/**
 * What the guest is made of: bump it when the initramfs or the packages taken change, and an
 * existing guest built by an older recipe is built again (the RECIPE file beside it).
 * 2: the network card's modules, udhcpc at boot.
 * 3: no DHCP when the kernel command line says nodhcp (benchmarks: an engine whose machine has
 *    a card but no DHCP server would otherwise wait for udhcpc's timeouts).
 * 4: the VGA's DRM driver (bochs-drm and the DRM core, KMS and TTM helpers it needs), loaded
 *    unless the command line says nodrm.
 * 5: virtio-net (virtio_pci, virtio_net and what they need) and the ISA NE2000 (ne, loaded with
 *    io=0x300 irq=10, or ne.io= and ne.irq= from the kernel command line, when no other card
 *    gave an eth0).
 * 6: ne is loaded only when the command line names ne.io= or ne.irq=, or something answers at
 *    300h (a byte read through /dev/port that is not FFh): no probe on machines without the card.
 */
export const GUEST_RECIPE = 6;

/**
 * Kernel modules the initramfs carries (with what modules.dep says they need), for the
 * network cards (the RTL8029: ne2k-pci on the 8390 core; virtio-net: virtio_net on virtio_pci;
 * the NE2000 on ISA: ne) and udhcpc's packet socket. One that the kernel has built in, or does
 * not have, is left out. /init loads them all in order but `ne`, which needs its port and IRQ.
 */
export const GUEST_MODULES = ["8390", "ne2k-pci", "af_packet", "virtio_pci", "virtio_net", "ne"];

/**
 * The display's modules: bochs-drm for the VGA (PCI 1234:1111, the Bochs DISPI interface), with
 * the DRM core and helpers it needs; fbcon (built in) then puts the console on its framebuffer
 * (fb0 "bochs-drmdrmfb", 1024x768x32). Listed apart (/etc/modules.display) so that /init can
 * skip them when the command line says nodrm: loading them costs the boot about 7% more
 * instructions.
 */
export const GUEST_DISPLAY_MODULES = ["bochs"];

/** The guest's /init: a busybox shell script. */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in $(cat /etc/modules); do [ "$m" = ne.ko ] || insmod /lib/modules/$m; done
if [ ! -e /sys/class/net/eth0 ] && [ -e /lib/modules/ne.ko ]; then
  io= irq=
  for a in $(cat /proc/cmdline); do
    case "$a" in ne.io=*) io="\${a#ne.io=}" ;; ne.irq=*) irq="\${a#ne.irq=}" ;; esac
  done
  at=$(dd if=/dev/port bs=1 skip=768 count=1 2>/dev/null | od -An -tx1 | tr -d ' ')
  if [ -n "$io$irq" ] || [ "$at" != ff ]; then
    insmod /lib/modules/ne.ko io=\${io:-0x300} irq=\${irq:-10} 2>/dev/null
  fi
fi
if ! grep -qw nodrm /proc/cmdline; then
  for m in $(cat /etc/modules.display); do insmod /lib/modules/$m; done
fi
ip link set lo up
if [ -e /sys/class/net/eth0 ] && ! grep -qw nodhcp /proc/cmdline; then
  udhcpc -i eth0 -s /etc/udhcpc.script -n -q -t 4 -T 2
fi
echo "BOOT-OK $(cat /proc/uptime)"
exec setsid cttyhack sh -l
`;

/** udhcpc's script (busybox passes the lease in the environment): address, route, resolver. */
export const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig)
    ifconfig "$interface" 0.0.0.0 up
    ;;
  bound|renew)
    ifconfig "$interface" "$ip" netmask "\${subnet:-255.255.255.0}" up
    if [ -n "$router" ]; then
      while route del default gw 0.0.0.0 dev "$interface" 2>/dev/null; do :; done
      for r in $router; do route add default gw "$r" dev "$interface"; break; done
    fi
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "NET-OK $interface $ip router $router"
    ;;
esac
exit 0
`;

/** A kernel module for the initramfs: its file name there and its bytes (uncompressed). */
export interface GuestModule {
  name: string;
  data: Uint8Array;
  /** Listed in /etc/modules.display (GUEST_DISPLAY_MODULES and what they need), not /etc/modules. */
  display?: boolean;
}

/** A module's name as modprobe takes it ("ne2k-pci" and "ne2k_pci" alike), from a name or path. */
export function moduleKey(p: string): string {
  return path
    .basename(p)
    .replace(/\.ko(\.(xz|zst|gz))?$/, "")
    .replace(/-/g, "_");
}

/**
 * The modules a module needs: the "depends=" entry of its .modinfo section (NUL-separated
 * key=value strings), as depmod reads it.
 */
export function modinfoDepends(ko: Uint8Array): string[] {
  const text = Buffer.from(ko.buffer, ko.byteOffset, ko.byteLength).toString("latin1");
  const at = text.indexOf("\0depends=");
  if (at < 0) return [];
  const end = text.indexOf("\0", at + 1);
  return text
    .slice(at + "\0depends=".length, end < 0 ? undefined : end)
    .split(",")
    .filter(Boolean)
    .map(moduleKey);
}

/**
 * The modules to load, dependencies first, for `wanted`: `index` maps each module's key to its
 * file and the modules it needs; names neither there nor in `builtin` (modules.builtin's
 * lines) are an error, built-in ones are skipped.
 */
export function moduleLoadOrder(
  index: ReadonlyMap<string, { file: string; needs: readonly string[] }>,
  builtin: string,
  wanted: readonly string[],
): string[] {
  const builtIn = new Set(builtin.split("\n").filter(Boolean).map(moduleKey));
  const order: string[] = [];
  const visit = (name: string, chain: string[]) => {
    const d = index.get(name);
    if (!d) {
      if (builtIn.has(name)) return;
      throw new Error(`the kernel has no module ${name}${chain.length ? ` (needed by ${chain.join(" <- ")})` : ""}`);
    }
    if (order.includes(d.file)) return;
    if (chain.includes(name)) throw new Error(`modules depend on each other in a cycle through ${name}`);
    for (const n of d.needs) visit(moduleKey(n), [name, ...chain]);
    order.push(d.file);
  };
  for (const w of wanted) visit(moduleKey(w), []);
  return order;
}

function loadList(modules: readonly GuestModule[]): Uint8Array {
  return Buffer.from(modules.map((m) => `${m.name}\n`).join(""), "utf8");
}

/** The initramfs: busybox, /init, the mount points, a console node, and kernel modules with their load list. */
export function buildInitramfs(busybox: Uint8Array, modules: readonly GuestModule[] = []): Uint8Array {
  const dirs = ["bin", "dev", "etc", "lib", "lib/modules", "proc", "root", "sbin", "sys", "tmp"];
  const entries: CpioEntry[] = [
    { path: ".", kind: "dir" },
    ...dirs.map((d): CpioEntry => ({ path: d, kind: "dir", mode: d === "tmp" ? 0o1777 : 0o755 })),
    { path: "bin/busybox", kind: "file", data: busybox, mode: 0o755 },
    { path: "dev/console", kind: "chardev", major: 5, minor: 1 },
    { path: "init", kind: "file", data: Buffer.from(INIT_SCRIPT, "utf8"), mode: 0o755 },
    { path: "etc/udhcpc.script", kind: "file", data: Buffer.from(UDHCPC_SCRIPT, "utf8"), mode: 0o755 },
    { path: "etc/modules", kind: "file", data: loadList(modules.filter((m) => !m.display)) },
    { path: "etc/modules.display", kind: "file", data: loadList(modules.filter((m) => m.display)) },
    ...modules.map((m): CpioEntry => ({ path: `lib/modules/${m.name}`, kind: "file", data: m.data })),
  ];
  return zlib.gzipSync(cpioNewc(entries), { level: 9 });
}

// ---- Debian packages

function hasCommand(cmd: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs a command; its error output's last lines make the message when it fails. */
function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd: opts.cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const detail =
      (err.stderr ?? "")
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("E:"))
        .slice(-2)
        .join(" / ") ||
      (err.stderr ?? "").trim().split("\n").slice(-2).join(" / ") ||
      err.message;
    const shown = args.filter((x, i) => x !== "-o" && args[i - 1] !== "-o");
    throw new Error(`${cmd} ${shown.join(" ")} failed: ${detail}`, { cause: e });
  }
}

/** Options that give apt private i386 package lists and cache under `work`. */
function aptOptions(work: string): string[] {
  const o = [
    "APT::Architecture=i386",
    "APT::Architectures=i386",
    `Dir::State::Lists=${path.join(work, "lists")}`,
    `Dir::Cache=${path.join(work, "cache")}`,
  ];
  // As root, apt downloads as the _apt user, who cannot write the private folders.
  if (process.getuid?.() === 0) o.push("APT::Sandbox::User=root");
  return o.flatMap((x) => ["-o", x]);
}

/** The versioned kernel package linux-image-686 depends on (linux-image-6.1.0-NN-686). */
export function kernelPackage(dependsOutput: string): string {
  const m = /Depends:\s*(linux-image-[0-9][^\s<>]*)/.exec(dependsOutput);
  if (!m) throw new Error("apt-cache could not resolve linux-image-686 to a kernel package");
  return m[1];
}

/** Refuses a host without apt-get, apt-cache and dpkg, saying what `what` needs them for. */
function needApt(what: string): void {
  for (const cmd of ["apt-get", "apt-cache", "dpkg"]) {
    if (!hasCommand(cmd)) {
      throw new UsageError(
        `${cmd} is not available: ${what} from Debian's packages, which needs a Debian or Ubuntu host with apt-get and dpkg`,
      );
    }
  }
}

/** Private i386 package lists and cache under `work` (a fresh temporary folder); apt's options for them. */
function privateApt(work: string, log: (line: string) => void): string[] {
  fs.mkdirSync(path.join(work, "lists", "partial"), { recursive: true });
  fs.mkdirSync(path.join(work, "cache", "archives", "partial"), { recursive: true });
  fs.mkdirSync(path.join(work, "debs"));
  const o = aptOptions(work);
  log("reading Debian's package lists for i386 (private copy)...");
  try {
    run("apt-get", [...o, "update"]);
  } catch (e) {
    // One index failing (a mirror in the middle of a sync) need not matter: the main
    // archive's list is enough, and apt-cache or apt-get download say so if it is missing.
    log(`warning: ${(e as Error).message}`);
  }
  return o;
}

function buildLinux(dest: string, log: (line: string) => void): void {
  needApt("the Linux guest is built");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-images-"));
  try {
    const o = privateApt(work, log);
    const kpkg = kernelPackage(run("apt-cache", [...o, "depends", "linux-image-686"]));
    log(`downloading ${kpkg} and busybox-static (i386)...`);
    run("apt-get", [...o, "download", kpkg, "busybox-static"], { cwd: path.join(work, "debs") });
    const debs = fs.readdirSync(path.join(work, "debs"));
    const kdeb = debs.find((f) => f.startsWith("linux-image-"));
    const bdeb = debs.find((f) => f.startsWith("busybox-static"));
    if (!kdeb || !bdeb)
      throw new Error(`apt-get download did not fetch both packages (got ${debs.join(", ") || "nothing"})`);
    run("dpkg", ["-x", path.join(work, "debs", kdeb), path.join(work, "k")]);
    run("dpkg", ["-x", path.join(work, "debs", bdeb), path.join(work, "bb")]);
    const vmlinuz = fs.readdirSync(path.join(work, "k", "boot")).find((f) => f.startsWith("vmlinuz-"));
    if (!vmlinuz) throw new Error(`${kdeb} has no /boot/vmlinuz-*`);
    const busybox = fs.readFileSync(path.join(work, "bb", "bin", "busybox"));
    const modules = kernelModules(path.join(work, "k"), vmlinuz.slice("vmlinuz-".length));
    log(`modules in the initramfs: ${modules.map((m) => m.name).join(", ") || "none"}`);
    fs.mkdirSync(dest, { recursive: true });
    // Write beside, then rename: a half-written guest never looks complete.
    const put = (name: string, data: Uint8Array | string) => {
      fs.writeFileSync(path.join(dest, `${name}.tmp`), data);
      fs.renameSync(path.join(dest, `${name}.tmp`), path.join(dest, name));
    };
    put("initrd.gz", buildInitramfs(busybox, modules));
    put("VERSION", `${kdeb}\n`);
    put("bzImage", fs.readFileSync(path.join(work, "k", "boot", vmlinuz)));
    put(RECIPE_FILE, `${GUEST_RECIPE}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * GUEST_MODULES, then GUEST_DISPLAY_MODULES (marked display), each with the dependencies not
 * already taken, from an unpacked kernel package, decompressed (xz or zstd).
 */
function kernelModules(root: string, release: string): GuestModule[] {
  const dir = path.join(root, "lib", "modules", release);
  const load = (file: string): Uint8Array => {
    if (file.endsWith(".xz")) return execFileSync("xz", ["-dc", file], { maxBuffer: 64 << 20 });
    if (file.endsWith(".zst")) return execFileSync("zstd", ["-dc", file], { maxBuffer: 64 << 20 });
    if (file.endsWith(".gz")) return zlib.gunzipSync(fs.readFileSync(file));
    return fs.readFileSync(file);
  };
  // The package has no modules.dep (depmod makes it on install): the needs are read from each
  // candidate's .modinfo, loading only the modules asked for and what they need.
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (/\.ko(\.(xz|zst|gz))?$/.test(e.name)) files.set(moduleKey(e.name), f);
    }
  };
  walk(path.join(dir, "kernel"));
  const data = new Map<string, Uint8Array>();
  const index = new Map<string, { file: string; needs: string[] }>();
  const pending = [...GUEST_MODULES, ...GUEST_DISPLAY_MODULES].map(moduleKey);
  while (pending.length > 0) {
    const name = pending.pop()!;
    const file = files.get(name);
    if (!file || index.has(name)) continue;
    const bytes = load(file);
    data.set(file, bytes);
    const needs = modinfoDepends(bytes);
    index.set(name, { file, needs });
    pending.push(...needs);
  }
  const builtinFile = path.join(dir, "modules.builtin");
  const builtin = fs.existsSync(builtinFile) ? fs.readFileSync(builtinFile, "utf8") : "";
  const base = moduleLoadOrder(index, builtin, GUEST_MODULES);
  const display = moduleLoadOrder(index, builtin, GUEST_DISPLAY_MODULES).filter((f) => !base.includes(f));
  return [...base, ...display].map((file) => ({
    name: path.basename(file).replace(/\.(xz|zst|gz)$/, ""),
    data: data.get(file)!,
    display: display.includes(file),
  }));
}

// ---- SeaBIOS

/** Where Debian's seabios package installs its images. */
export const SYSTEM_SEABIOS_DIR = "/usr/share/seabios";

/** The SeaBIOS files the page and the boot tests use: the system BIOS, and the video BIOS of our VGA (1234:1111). */
export const SEABIOS_IMAGES = ["bios-256k.bin", "vgabios-stdvga.bin"] as const;

/** SeaBIOS's folder under the guest folder. */
export function seabiosDir(guests: string = defaultGuestsDir()): string {
  return path.join(guests, "seabios");
}

/** Whether `dir` holds both SeaBIOS files. */
function hasSeabios(dir: string): boolean {
  return SEABIOS_IMAGES.every((f) => (fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 0);
}

/** The folder with both SeaBIOS files: the guest folder's copy, else Debian's package; null when neither has them. */
export function findSeabios(guests: string = defaultGuestsDir(), system = SYSTEM_SEABIOS_DIR): string | null {
  return [seabiosDir(guests), system].find(hasSeabios) ?? null;
}

/**
 * Copies SeaBIOS into DIR/seabios: from `system` (Debian's seabios package) when it is
 * installed, else from the package downloaded with apt-get (private lists, no root) and
 * unpacked with dpkg. Kept when already there, unless `force`. Returns the files' paths.
 */
export function provideSeabios(
  out: string,
  log: (line: string) => void,
  opts: { force?: boolean; system?: string } = {},
): string[] {
  const dest = seabiosDir(out);
  const files = SEABIOS_IMAGES.map((f) => path.join(dest, f));
  if (!opts.force && hasSeabios(dest)) {
    log(`${dest} is already there (--force copies it again)`);
    return files;
  }
  const system = opts.system ?? SYSTEM_SEABIOS_DIR;
  let from: string;
  let version: string;
  let work: string | null = null;
  try {
    if (hasSeabios(system)) {
      from = system;
      version = `${system} (Debian's seabios package, installed)`;
    } else {
      needApt("SeaBIOS comes");
      work = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-seabios-"));
      const o = privateApt(work, log);
      log("downloading Debian's seabios package...");
      run("apt-get", [...o, "download", "seabios"], { cwd: path.join(work, "debs") });
      const deb = fs.readdirSync(path.join(work, "debs")).find((f) => f.startsWith("seabios_"));
      if (!deb) throw new Error("apt-get download seabios fetched nothing");
      run("dpkg", ["-x", path.join(work, "debs", deb), path.join(work, "x")]);
      from = path.join(work, "x", "usr", "share", "seabios");
      for (const f of SEABIOS_IMAGES)
        if (!fs.existsSync(path.join(from, f))) throw new Error(`${deb} has no /usr/share/seabios/${f}`);
      version = deb;
    }
    fs.mkdirSync(dest, { recursive: true });
    for (const f of SEABIOS_IMAGES) {
      fs.copyFileSync(path.join(from, f), path.join(dest, `${f}.tmp`));
      fs.renameSync(path.join(dest, `${f}.tmp`), path.join(dest, f));
    }
    fs.writeFileSync(path.join(dest, "VERSION"), `${version}\n`);
    log(`SeaBIOS copied from ${version}`);
  } finally {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
  return files;
}

/** The file beside a built guest that names the recipe it was built by (GUEST_RECIPE). */
export const RECIPE_FILE = "RECIPE";

/** Whether the Linux guest in `dir` is complete and built by the current recipe. */
export function guestIsCurrent(dir: string): boolean {
  const complete = ["bzImage", "initrd.gz"].every(
    (f) => (fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 0,
  );
  let recipe = "";
  try {
    recipe = fs.readFileSync(path.join(dir, RECIPE_FILE), "utf8").trim();
  } catch {
    /* built before recipes were recorded */
  }
  return complete && recipe === String(GUEST_RECIPE);
}

/** The repository's root (where ../shared sits beside it): up from the working folder. */
function repoRoot(): string {
  for (let d = process.cwd(); ; d = path.dirname(d)) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8")).name === "x86vm") return d;
    } catch {
      /* not here */
    }
    if (path.dirname(d) === d) return process.cwd();
  }
}

function sha256(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

export async function imagesCommand(argv: string[]): Promise<number> {
  const log = (line: string) => console.error(`vm images: ${line}`);
  let args: ImagesArgs;
  try {
    args = parseImagesArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    for (const line of usageLines("images", e.message)) console.error(line);
    return 2;
  }
  try {
    fs.mkdirSync(args.out, { recursive: true });
    const made: string[] = [];
    if (!args.seabiosOnly) {
      const linux = path.join(args.out, "linux-686");
      if (guestIsCurrent(linux) && !args.force) log(`${linux} is already there (--force builds it again)`);
      else buildLinux(linux, log);
      made.push(path.join(linux, "bzImage"), path.join(linux, "initrd.gz"));
    }
    made.push(...provideSeabios(args.out, log, { force: args.force }));
    const freedos = path.resolve(repoRoot(), "../shared/guests/freedos722.img");
    if (args.seabiosOnly) {
      /* only SeaBIOS */
    } else if (fs.existsSync(freedos)) {
      const to = path.join(args.out, "freedos722.img");
      if (path.resolve(freedos) !== path.resolve(to)) fs.copyFileSync(freedos, to);
      made.push(to);
    } else {
      log(`no FreeDOS floppy at ${freedos}: skipped`);
    }
    console.log(`${"file".padEnd(48)} ${"bytes".padStart(10)}  sha256`);
    for (const f of made)
      console.log(`${path.relative(args.out, f).padEnd(48)} ${String(fs.statSync(f).size).padStart(10)}  ${sha256(f)}`);
    console.log(`(in ${args.out})`);
    return 0;
  } catch (e) {
    console.error(`vm images: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
