// `vm boot`: builds a PC from image files and runs a script: --until/--type steps and --script
// files (script/parse.ts, docs/testing.md). Its options are BOOT_COMMAND below (the parser and
// `vm boot --help` both read that table).
//
// --until waits for TEXT on the text screen or in COM1's output, after the previous match.
// --serial copies COM1 to stdout and stdin to COM1, and sends --type keys to COM1.
//
// Images are read from files and wrapped in copy-on-write overlays: the files are never
// written. Exit status (script-options.ts): 0 pass, 1 an expect step failed, 2 bad arguments,
// script or images (also "vm boot: no bootable disk (fda: no boot signature)"), 3 timeout,
// 4 guest crash.

import fs from "node:fs";
import { MemoryDisk, floppyGeometry, hardDiskGeometry, EXIT_NAMES, MAX_RAM_BYTES, type ClockMode } from "@x86vm/core";
import {
  PC_MEDIA_SLOTS,
  PcMachine,
  checkBiosImage,
  parseLinuxHeader,
  type PcFirmware,
  type LinuxBoot,
  type PcDriveSlot,
  type PcImageSlot,
} from "@x86vm/devices";
import { Session } from "../session/session.ts";
import { connectSerialConsole } from "./serial-console.ts";
import { parseArgs, usageLines, UsageError, type CommandSpec } from "../args.ts";
import {
  defaultScriptArgs,
  parseClock,
  runScript,
  SCRIPT_NOTES,
  SCRIPT_OPTIONS,
  scriptOption,
  type ScriptArgs,
} from "./script-options.ts";
import { mediaOptionSlot, mediaOptions } from "./media-options.ts";
import {
  NET_ALLOW_OPTION,
  NET_OPTION,
  NIC_OPTION,
  connectNetwork,
  parseNetAllow,
  parseNetMode,
  parseNicModel,
  type NetMode,
} from "./network.ts";
import type { NicModel } from "@x86vm/devices";
import type { AllowEntry } from "./node-sockets.ts";

/** ISO 9660 logical block size. */
const CD_SECTOR_SIZE = 2048;

export interface BootArgs extends ScriptArgs {
  /** The image file for each media slot given (--fda ... --cdrom, --kernel, --initrd). */
  images: Partial<Record<PcImageSlot, string>>;
  append: string;
  memMiB: number;
  clock: ClockMode;
  /** Print every guest exception to stderr (diagnostics). */
  traceFaults: boolean;
  /** Interpret every instruction (no compiled blocks): for comparisons and diagnostics. */
  noJit?: boolean;
  /** The local APIC and I/O APIC: on unless --no-apic (undefined: the default, on). */
  apic?: boolean;
  /** What hot blocks compile to (Jit.backend), and after how many runs (Jit.threshold). */
  jit?: "js" | "wasm";
  jitThreshold?: number;
  /** Sample CS:EIP at every run slice and print the most frequent (diagnostics). */
  profile: boolean;
  /** The network card and what its wire reaches (--net). */
  net: NetMode;
  /** Which card (--nic); alone it means --net user. */
  nic?: NicModel;
  /** Destinations the NAT may reach (--net-allow), for --net nat. */
  netAllow: AllowEntry[];
}

/** The largest --mem: all the guest RAM a VM may have. */
const MAX_MEM_MIB = MAX_RAM_BYTES / 2 ** 20;

export const BOOT_COMMAND: CommandSpec = {
  name: "boot",
  summary: "boot a PC from disk images or a kernel; run waits and keystrokes",
  options: [
    // One option per media slot of the board, with the slot's help line.
    ...mediaOptions((s) => s.help),
    { flag: "--append", value: "CMDLINE", help: 'kernel command line for --kernel, e.g. "console=ttyS0"' },
    { flag: "--mem", value: "MiB", help: `guest RAM in MiB, 1 to ${MAX_MEM_MIB} (default 32)` },
    { flag: "--clock", value: "MODE", help: "deterministic (default: virtual time, 100 MIPS) or realtime (host time)" },
    { flag: "--apic", help: "a local APIC and an I/O APIC (CPUID, memory map, ACPI MADT): the default" },
    { flag: "--no-apic", help: "no APICs: the 8259s only, as on PCs before the Pentium" },
    NET_OPTION,
    NIC_OPTION,
    NET_ALLOW_OPTION,
    ...SCRIPT_OPTIONS,
    { flag: "--no-jit", help: "interpret every instruction (no compiled blocks)" },
    { flag: "--jit", value: "KIND", help: "compile hot blocks to js (JavaScript functions) or wasm (WebAssembly)" },
    { flag: "--jit-threshold", value: "N", help: "runs of a block before it is compiled" },
    { flag: "--trace-faults", help: "print every guest exception to stderr (diagnostics)" },
    { flag: "--profile-eip", help: "print the most frequent CS:EIP samples to stderr (diagnostics)" },
  ],
  notes: [
    "Images are read behind copy-on-write overlays: the files are never written. Boot order:",
    "floppy, CD, hard disk; a floppy or hard disk boots if its first sector ends in the 55AAh",
    "boot signature.",
    ...SCRIPT_NOTES,
    "",
    "Example: vm boot --fda freedos722.img --until 'A:\\>' --type 'ver\\r' --until 'A:\\>' --screen",
    "         vm boot --fda freedos722.img --script steps.txt --junit report.xml --screenshot end.png",
  ],
};

export function parseBootArgs(argv: string[]): BootArgs {
  const a: BootArgs = {
    ...defaultScriptArgs(),
    images: {},
    memMiB: 32,
    clock: "deterministic",
    append: "",
    traceFaults: false,
    profile: false,
    net: "none",
    netAllow: [],
  };
  let netGiven = false;
  for (const { flag, value } of parseArgs(BOOT_COMMAND, argv).options) {
    const v = value ?? "";
    const slot = mediaOptionSlot(flag);
    if (slot) {
      a.images[slot] = v;
      continue;
    }
    if (scriptOption(a, flag, v)) continue;
    switch (flag) {
      case "--trace-faults":
        a.traceFaults = true;
        break;
      case "--apic":
      case "--no-apic":
        if (a.apic !== undefined && a.apic !== (flag === "--apic"))
          throw new UsageError("--apic and --no-apic contradict each other");
        a.apic = flag === "--apic";
        break;
      case "--net":
        a.net = parseNetMode(v);
        netGiven = true;
        break;
      case "--nic":
        a.nic = parseNicModel(v);
        break;
      case "--net-allow":
        a.netAllow.push(parseNetAllow(v));
        break;
      case "--no-jit":
        a.noJit = true;
        break;
      case "--jit":
        if (value !== "js" && value !== "wasm")
          throw new UsageError(`--jit takes js or wasm, not ${JSON.stringify(value)}`);
        a.jit = value;
        break;
      case "--jit-threshold": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jit-threshold takes a positive whole number`);
        a.jitThreshold = n;
        break;
      }
      case "--profile-eip":
        a.profile = true;
        break;
      case "--mem": {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > MAX_MEM_MIB)
          throw new UsageError(
            `--mem must be a whole number of MiB from 1 to ${MAX_MEM_MIB}, got ${JSON.stringify(v)}`,
          );
        a.memMiB = n;
        break;
      }
      case "--clock":
        a.clock = parseClock(v);
        break;
      case "--append":
        a.append = v;
        break;
      default:
        throw new Error(`vm boot: ${flag} is in the option table but not handled`);
    }
  }
  // Any drive boots, and a kernel; an initrd only goes with a kernel.
  if (!PC_MEDIA_SLOTS.some((s) => a.images[s.slot] && s.slot !== "initrd" && s.kind !== "firmware"))
    throw new UsageError("nothing to boot: give --fda, --hda, --cdrom or --kernel");
  if (a.images.initrd && !a.images.kernel) throw new UsageError("--initrd needs --kernel");
  // --net-allow alone means --net nat.
  if (a.netAllow.length > 0 && !netGiven) a.net = "nat";
  if (a.netAllow.length > 0 && a.net !== "nat") throw new UsageError("--net-allow needs --net nat");
  if (a.nic && a.net === "none") {
    if (netGiven) throw new UsageError("--nic names a card, which --net none leaves out");
    a.net = "user"; // a card named alone is on the user network
  }
  return a;
}

/** Reads an image file for a drive, refusing missing, unreadable or wrongly sized ones. */
export function readImage(path: string, kind: "floppy" | "hdd" | "cdrom"): MemoryDisk {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read image ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const image = new MemoryDisk(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), true);
  try {
    if (kind === "floppy") floppyGeometry(image.size);
    else if (kind === "hdd") hardDiskGeometry(image.size);
    else if (image.size === 0 || image.size % CD_SECTOR_SIZE !== 0) {
      throw new Error(`a CD image must be a non-zero multiple of ${CD_SECTOR_SIZE} bytes, got ${image.size}`);
    }
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  return image;
}

function readFile(path: string, what: string): Uint8Array {
  try {
    const b = fs.readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The --bios and --vga-bios images, checked (null without --bios: the built-in BIOS runs). */
export function readFirmware(biosPath: string | undefined, vgaPath: string | undefined): PcFirmware | null {
  if (!biosPath) {
    if (vgaPath) throw new UsageError("--vga-bios needs --bios");
    return null;
  }
  const bios = readFile(biosPath, "system BIOS");
  try {
    checkBiosImage(bios);
  } catch (e) {
    throw new UsageError(`${biosPath}: ${(e as Error).message}`);
  }
  const vgaBios = vgaPath ? readFile(vgaPath, "video BIOS") : null;
  if (vgaBios && (vgaBios.length < 3 || vgaBios[0] !== 0x55 || vgaBios[1] !== 0xaa))
    throw new UsageError(`${vgaPath}: not an option ROM (it does not start with 55h AAh)`);
  return { bios, vgaBios };
}

export function buildPc(args: BootArgs): PcMachine {
  const realtime = args.clock === "realtime";
  let linux: LinuxBoot | null = null;
  const { kernel, initrd } = args.images;
  if (kernel && args.images.bios)
    throw new UsageError("--kernel boots only with the built-in BIOS: give --bios a boot disk or CD instead");
  if (kernel) {
    linux = {
      kernel: readFile(kernel, "kernel"),
      initrd: initrd ? readFile(initrd, "initrd") : null,
      cmdline: args.append,
    };
    try {
      parseLinuxHeader(linux.kernel);
    } catch (e) {
      throw new UsageError(`${kernel}: ${(e as Error).message}`);
    }
  }
  // The drives' images, read and checked by what their slot takes.
  const drives: Partial<Record<PcDriveSlot, MemoryDisk>> = {};
  for (const { slot, kind } of PC_MEDIA_SLOTS) {
    const file = args.images[slot];
    if (file && kind !== "boot-file" && kind !== "firmware") drives[slot] = readImage(file, kind);
  }
  return new PcMachine({
    firmware: readFirmware(args.images.bios, args.images["vga-bios"]),
    linux,
    apic: args.apic !== false,
    net: args.net === "none" ? null : { card: args.nic },
    memoryMiB: args.memMiB,
    clock: args.clock,
    hostMs: realtime ? () => performance.now() : undefined,
    startTimeMs: realtime ? Date.now() : undefined,
    ...drives,
  });
}

export async function bootCommand(argv: string[]): Promise<number> {
  let args: BootArgs;
  let pc: PcMachine;
  try {
    args = parseBootArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      for (const line of usageLines("boot", e.message)) console.error(line);
      return 2;
    }
    throw e;
  }
  try {
    pc = buildPc(args);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`vm boot: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.noJit) pc.machine.cpu.setJitEnabled(false);
  if (args.jit) pc.machine.cpu.jit.backend = args.jit;
  if (args.jitThreshold) pc.machine.cpu.jit.threshold = args.jitThreshold;
  if (args.traceFaults) {
    const cpu = pc.machine.cpu;
    cpu.onFault = (vec, code) =>
      console.error(`fault ${vec} code=${code.toString(16)} cr2=${(cpu.cr[2] >>> 0).toString(16)} ${cpu.describe()}`);
  }
  const session = new Session(pc);
  session.onReset = (reason) => console.error(`vm boot: the guest triple-faulted (${reason}); the machine was reset`);
  if (args.serial) connectSerialConsole(session);
  try {
    await connectNetwork(session, pc, { mode: args.net, allow: args.netAllow });
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`vm boot: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const samples = new Map<number, number>();
  if (args.profile) {
    const cpu = pc.machine.cpu;
    const run = cpu.run.bind(cpu);
    cpu.run = (budget: number) => {
      const n = run(Math.min(budget, 20_000));
      const eip = (cpu.segBase[1] + cpu.getEip()) >>> 0;
      samples.set(eip, (samples.get(eip) ?? 0) + 1);
      return n;
    };
  }
  const t0 = performance.now();
  const code = await runScript("boot", session, args, args.images);
  if (args.profile) {
    const top = [...samples.entries()].sort((x, y) => y[1] - x[1]).slice(0, 40);
    for (const [eip, n] of top) console.error(`${eip.toString(16).padStart(8, "0")} ${n}`);
  }
  if (args.stats) {
    const m = pc.machine;
    const ms = performance.now() - t0;
    const exits = Object.fromEntries(EXIT_NAMES.map((n, i) => [n, m.io.counts[i]]).filter(([, v]) => v));
    console.log(
      JSON.stringify({
        instructions: m.cpu.instret,
        wall_ms: Math.round(ms),
        machine_ms: Math.round(m.clock.now() / 1e6),
        exits,
        jit: m.cpu.jit.stats,
        unsupported_bios: Object.fromEntries(pc.bios.unsupported),
      }),
    );
  }
  return code;
}
