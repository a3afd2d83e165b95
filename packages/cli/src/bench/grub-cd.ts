// The `cd` workload of `pnpm bench:boot`: the reference Linux guest on a bootable El Torito CD
// that GRUB starts, and QEMU TCG booting the same disc beside us. The CD exercises what the
// kernel workload skips: the BIOS's El Torito boot, INT 13h reads of 2048-byte sectors, and
// GRUB's 16-bit and 32-bit code before the kernel.
//
// The ISO is built from Debian packages only: grub-mkrescue (grub-common, which grub-pc-bin
// brings, with the i386-pc modules of grub-pc-bin) stages GRUB and the guest into an ISO 9660
// image through xorriso (mtools is on its list of needs for the EFI image it makes when EFI
// modules are installed). It is cached beside the guest, ~/.cache/x86-guests/linux-686-grub.iso,
// and rebuilt when the kernel or initrd is newer or when the grub.cfg written here changes (the
// cfg it was built with is kept beside it). Nothing here writes into the repository.
//
// GRUB talks on COM1 only (terminal_output serial): its screen output would cost both engines
// BIOS video calls that the benchmark does not care about, and the shell's "# " is then found
// on COM1 alone, as in the linux workload.

import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where Debian's grub-pc-bin puts GRUB's BIOS images and modules. */
export const GRUB_I386_PC = "/usr/lib/grub/i386-pc";

/** A Debian package the workload needs, and how to tell it is installed. */
export interface CdNeed {
  pkg: string;
  /** Commands on PATH that it provides. */
  commands: readonly string[];
  /** Files it installs. */
  files: readonly string[];
}

export const CD_NEEDS: readonly CdNeed[] = [
  { pkg: "grub-pc-bin", commands: ["grub-mkrescue"], files: [path.join(GRUB_I386_PC, "cdboot.img")] },
  { pkg: "xorriso", commands: ["xorriso"], files: [] },
  { pkg: "mtools", commands: ["mformat", "mcopy"], files: [] },
  { pkg: "qemu-system-x86", commands: ["qemu-system-i386"], files: [] },
];

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function onPath(cmd: string, envPath = process.env.PATH ?? ""): boolean {
  return envPath.split(path.delimiter).some((d) => d !== "" && isExecutable(path.join(d, cmd)));
}

/** The packages of `needs` that are not installed, by the tests given (PATH and the file system by default). */
export function missingPackages(
  needs: readonly CdNeed[] = CD_NEEDS,
  hasCommand: (cmd: string) => boolean = (cmd) => onPath(cmd),
  hasFile: (file: string) => boolean = (file) => fs.existsSync(file),
): string[] {
  return needs.filter((n) => !n.commands.every(hasCommand) || !n.files.every(hasFile)).map((n) => n.pkg);
}

/** The one line that stops the benchmark when packages are missing. */
export function missingPackagesMessage(missing: readonly string[]): string {
  return (
    `the cd workload needs Debian packages that are missing (${missing.join(", ")}): ` +
    `run  apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`
  );
}

/** Throws the one-line message when any of the workload's packages is missing (QEMU only when it runs). */
export function checkCdPackages(opts: { qemu?: boolean } = {}): void {
  const needs = opts.qemu === false ? CD_NEEDS.filter((n) => n.pkg !== "qemu-system-x86") : CD_NEEDS;
  const missing = missingPackages(needs);
  if (missing.length) throw new Error(missingPackagesMessage(missing));
}

export interface GrubEntry {
  /** Paths on the disc. */
  kernel: string;
  initrd: string;
  cmdline: string;
}

/** The guest's entry: console=ttyS0 puts the kernel's console and the shell on COM1. */
export const CD_ENTRY: GrubEntry = { kernel: "/boot/bzImage", initrd: "/boot/initrd.gz", cmdline: "console=ttyS0" };

/** grub.cfg for a disc that boots one entry at once, with GRUB on COM1. */
export function grubCfg(entry: GrubEntry = CD_ENTRY): string {
  for (const [what, value] of Object.entries(entry)) {
    // GRUB's script language would split or expand these; the paths and cmdline here never need it.
    if (/["'\\$\n;{}]/.test(value)) throw new Error(`grub.cfg: ${what} ${JSON.stringify(value)} needs quoting`);
  }
  return [
    "serial --unit=0 --speed=115200",
    "terminal_input serial",
    "terminal_output serial",
    "set timeout=0",
    "set default=0",
    'menuentry "Linux (x86vm reference guest)" {',
    `  linux ${entry.kernel} ${entry.cmdline}`,
    `  initrd ${entry.initrd}`,
    "}",
    "",
  ].join("\n");
}

/** The cached ISO beside the guest folder (…/x86-guests/linux-686 -> …/x86-guests/linux-686-grub.iso). */
export function grubIsoPath(guestDir: string): string {
  return path.join(path.dirname(guestDir), `${path.basename(guestDir)}-grub.iso`);
}

/** Why the cached ISO must be built again, or null when it is current. */
export function staleReason(
  iso: { mtimeMs: number; cfg: string | null } | null,
  inputs: readonly { file: string; mtimeMs: number }[],
  cfg: string,
): string | null {
  if (!iso) return "not built yet";
  const newer = inputs.find((i) => i.mtimeMs > iso.mtimeMs);
  if (newer) return `${newer.file} is newer`;
  if (iso.cfg !== cfg) return "grub.cfg changed";
  return null;
}

function runTool(cmd: string, args: readonly string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    const out = `${err.stdout ?? ""}${err.stderr ?? ""}`.trim().split("\n").slice(-3).join(" / ");
    throw new Error(`${cmd} failed: ${out || err.message}`, { cause: e });
  }
}

/** Builds the ISO at `out` (written beside it and renamed, so a failed build leaves no half file). */
export function buildGrubIso(kernel: string, initrd: string, out: string, cfg = grubCfg()): void {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-grub-cd-"));
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.join(stage, "boot", "grub"), { recursive: true });
    fs.copyFileSync(kernel, path.join(stage, CD_ENTRY.kernel));
    fs.copyFileSync(initrd, path.join(stage, CD_ENTRY.initrd));
    fs.writeFileSync(path.join(stage, "boot", "grub", "grub.cfg"), cfg);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    // -d: the BIOS platform only, whatever other GRUB platforms the host has installed.
    runTool("grub-mkrescue", ["-d", GRUB_I386_PC, "-o", tmp, stage]);
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
    fs.rmSync(tmp, { force: true });
  }
}

/** The cached ISO for the guest's kernel and initrd, built first when missing or stale. */
export function ensureGrubIso(
  kernel: string,
  initrd: string,
  iso: string,
  log: (line: string) => void = () => {},
): string {
  const cfg = grubCfg();
  const cfgFile = `${iso}.cfg`;
  const have = fs.existsSync(iso)
    ? { mtimeMs: fs.statSync(iso).mtimeMs, cfg: fs.existsSync(cfgFile) ? fs.readFileSync(cfgFile, "utf8") : null }
    : null;
  const inputs = [kernel, initrd].map((file) => ({ file, mtimeMs: fs.statSync(file).mtimeMs }));
  const why = staleReason(have, inputs, cfg);
  if (why) {
    log(`building ${iso} (${why})`);
    buildGrubIso(kernel, initrd, iso, cfg);
    fs.writeFileSync(cfgFile, cfg);
  }
  return iso;
}

/** True once COM1's text holds the marker and, after it, the shell's prompt. */
export function shellReady(serial: string, marker = "BOOT-OK", prompt = "# "): boolean {
  const at = serial.indexOf(marker);
  return at >= 0 && serial.indexOf(prompt, at + marker.length) >= 0;
}

/** QEMU's command line: TCG, 128 MiB, the disc, no screen, COM1 on stdout, no monitor. */
export function qemuArgs(iso: string, memMiB = 128): string[] {
  return [
    "-accel",
    "tcg",
    "-m",
    String(memMiB),
    "-cdrom",
    iso,
    "-boot",
    "d",
    "-display",
    "none",
    "-serial",
    "stdio",
    "-monitor",
    "none",
    "-no-reboot",
  ];
}

/** "7.2.22" from `qemu-system-i386 --version`'s first line, or the line itself when it has no version. */
export function parseQemuVersion(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return /version (\S+)/.exec(line)?.[1] ?? line;
}

export const QEMU = "qemu-system-i386";

export function qemuVersion(): string {
  return parseQemuVersion(execFileSync(QEMU, ["--version"], { encoding: "utf8" }));
}

/**
 * Boots the ISO in QEMU TCG until shellReady on its COM1, then kills it. The wall time runs
 * from the spawn (QEMU's own start-up included, as our machine's construction is in ours).
 */
export function bootQemuOnce(iso: string, timeoutMs = 600_000): Promise<{ wall_ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(QEMU, qemuArgs(iso), { stdio: ["ignore", "pipe", "pipe"] });
    let serial = "",
      stderr = "",
      settled = false;
    const finish = (err: Error | null, wall?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      if (err) reject(err);
      else resolve({ wall_ms: wall! });
    };
    const timer = setTimeout(
      () => finish(new Error(`QEMU did not reach the shell within ${timeoutMs / 1000} s: ${tail(serial)}`)),
      timeoutMs,
    );
    child.stdout.on("data", (d: Buffer) => {
      serial += d.toString("latin1");
      if (shellReady(serial)) finish(null, performance.now() - t0);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => finish(new Error(`cannot start ${QEMU}: ${e.message}`)));
    child.on("exit", (code, signal) =>
      finish(new Error(`QEMU exited (${signal ?? code}) before the shell: ${tail(stderr || serial)}`)),
    );
  });
}

function tail(text: string): string {
  const lines = text.replace(/\r/g, "").trim().split("\n");
  return lines.slice(-2).join(" / ") || "(no output)";
}
