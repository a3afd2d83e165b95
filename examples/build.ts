// Builds the test kit's example guests from their sources in this folder, into a cache folder
// outside the repository (nothing built goes into git):
//
//   hello-boot.img     a 1.44 MB floppy whose boot sector is boot-sector/hello.asm
//   vbe-boot.img       a 1.44 MB floppy whose boot sector is boot-sector/vbe.asm (a VESA mode)
//   HELLO.COM          dos/hello.asm, assembled
//   freedos-hello.img  a copy of the FreeDOS floppy with HELLO.COM added (mtools)
//   NE2KPKT.COM        dos/ne2kpkt.asm: a packet driver for the NE2000 (ISA or the RTL8029)
//   PKTTEST.COM        dos/pkttest.asm: DHCP, ARP and ping through a packet driver
//   dos-net.img        a blank 1.44 MB FAT12 floppy (mtools) with NE2KPKT.COM and PKTTEST.COM,
//                      for drive B: beside the FreeDOS floppy
//
// Run it as `pnpm examples` (node --import tsx examples/build.ts [--out DIR] [--freedos IMG]);
// it prints each file it built. Tests and specs import buildExamples(). Needs nasm, and
// mtools for the DOS floppies.
//
// The folder is --out, else $X86VM_EXAMPLES, else ~/.cache/x86vm-examples. The FreeDOS floppy
// is --freedos, else $X86VM_FREEDOS, else ../shared/guests/freedos722.img beside the
// repository, else freedos722.img in the guest folder of `pnpm images` ($X86VM_GUESTS or
// ~/.cache/x86-guests). Without one, the DOS floppy is not built (dosFloppy is null). Each
// file is written under a temporary name and renamed, so runs in parallel do not see half
// a file.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import url from "node:url";

const HERE = path.dirname(url.fileURLToPath(import.meta.url));
const FLOPPY_BYTES = 1474560;

export interface ExampleImages {
  /** The folder the files are in. */
  dir: string;
  /** hello-boot.img: a floppy that boots boot-sector/hello.asm. */
  bootSector: string;
  /** vbe-boot.img: a floppy that boots boot-sector/vbe.asm (800x600x32 through the LFB). */
  vbeBootSector: string;
  /** HELLO.COM. */
  dosProgram: string;
  /** freedos-hello.img: FreeDOS with HELLO.COM in A:\, or null when no FreeDOS floppy was found. */
  dosFloppy: string | null;
  /** NE2KPKT.COM, the NE2000 packet driver. */
  packetDriver: string;
  /** PKTTEST.COM, the test of a network through a packet driver. */
  packetTest: string;
  /** dos-net.img: a FAT12 floppy with NE2KPKT.COM and PKTTEST.COM. */
  netFloppy: string;
}

export interface BuildOptions {
  outDir?: string;
  freedos?: string;
  env?: NodeJS.ProcessEnv;
}

/** Where the examples are built: $X86VM_EXAMPLES, else ~/.cache/x86vm-examples. */
export function examplesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.X86VM_EXAMPLES) return path.resolve(env.X86VM_EXAMPLES);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(cache, "x86vm-examples");
}

/** The FreeDOS floppy to add HELLO.COM to, or null when there is none. */
export function findFreedos(env: NodeJS.ProcessEnv = process.env): string | null {
  const guests = env.X86VM_GUESTS
    ? path.resolve(env.X86VM_GUESTS)
    : path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "x86-guests");
  const candidates = [
    env.X86VM_FREEDOS,
    path.resolve(HERE, "../../shared/guests/freedos722.img"),
    path.join(guests, "freedos722.img"),
  ];
  return candidates.find((p): p is string => !!p && fs.existsSync(p)) ?? null;
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === "ENOENT")
      throw new Error(`${cmd} is not installed (apt-get install ${cmd === "nasm" ? "nasm" : "mtools"})`, {
        cause: e,
      });
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err.stderr?.toString().trim() || err.message}`, { cause: e });
  }
}

/** Writes a file under a temporary name in its folder, then renames it into place. */
function writeAtomic(file: string, fill: (tmp: string) => void): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fill(tmp);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Assembles the examples and builds their floppies; returns where they are. */
export function buildExamples(opts: BuildOptions = {}): ExampleImages {
  const env = opts.env ?? process.env;
  const dir = opts.outDir ? path.resolve(opts.outDir) : examplesDir(env);
  fs.mkdirSync(dir, { recursive: true });

  const bootFloppy = (name: string, source: string): string => {
    const file = path.join(dir, name);
    writeAtomic(file, (tmp) => {
      run("nasm", ["-f", "bin", "-o", tmp, path.join(HERE, source)]);
      const sector = fs.readFileSync(tmp);
      if (sector.length !== 512) throw new Error(`${source} assembled to ${sector.length} bytes, not 512`);
      const image = Buffer.alloc(FLOPPY_BYTES);
      sector.copy(image);
      fs.writeFileSync(tmp, image);
    });
    return file;
  };
  const bootSector = bootFloppy("hello-boot.img", "boot-sector/hello.asm");
  const vbeBootSector = bootFloppy("vbe-boot.img", "boot-sector/vbe.asm");

  const dosCom = (name: string, source: string): string => {
    const file = path.join(dir, name);
    writeAtomic(file, (tmp) => run("nasm", ["-f", "bin", "-o", tmp, path.join(HERE, source)]));
    return file;
  };
  const dosProgram = dosCom("HELLO.COM", "dos/hello.asm");
  const packetDriver = dosCom("NE2KPKT.COM", "dos/ne2kpkt.asm");
  const packetTest = dosCom("PKTTEST.COM", "dos/pkttest.asm");
  const netFloppy = path.join(dir, "dos-net.img");
  writeAtomic(netFloppy, (tmp) => {
    run("mformat", ["-C", "-f", "1440", "-i", tmp, "::"]);
    run("mcopy", ["-i", tmp, packetDriver, packetTest, "::"]);
  });

  const freedos = opts.freedos ?? findFreedos(env);
  let dosFloppy: string | null = null;
  if (freedos) {
    if (!fs.existsSync(freedos)) throw new Error(`no FreeDOS floppy at ${freedos}`);
    dosFloppy = path.join(dir, "freedos-hello.img");
    writeAtomic(dosFloppy, (tmp) => {
      fs.copyFileSync(freedos, tmp);
      run("mcopy", ["-o", "-i", tmp, dosProgram, "::HELLO.COM"]);
    });
  }
  return { dir, bootSector, vbeBootSector, dosProgram, dosFloppy, packetDriver, packetTest, netFloppy };
}

function main(argv: string[]): number {
  const opts: BuildOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if ((argv[i] === "--out" || argv[i] === "--freedos") && value !== undefined) {
      if (argv[i] === "--out") opts.outDir = value;
      else opts.freedos = value;
      i++;
    } else {
      console.error(`examples/build.ts: unknown argument ${JSON.stringify(argv[i])}`);
      console.error("usage: pnpm examples [--out DIR] [--freedos IMG]");
      return 2;
    }
  }
  try {
    const built = buildExamples(opts);
    console.log(built.bootSector);
    console.log(built.vbeBootSector);
    console.log(built.dosProgram);
    console.log(built.packetDriver);
    console.log(built.packetTest);
    console.log(built.netFloppy);
    if (built.dosFloppy) console.log(built.dosFloppy);
    else console.error("examples: no FreeDOS floppy found (--freedos or $X86VM_FREEDOS): freedos-hello.img not built");
    return 0;
  } catch (e) {
    console.error(`examples: ${(e as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === url.fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
