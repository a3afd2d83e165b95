// Runs a static i386 Linux executable on the bare flat machine: loads its PT_LOAD segments at
// their linked addresses, builds the initial stack the kernel would (argc, argv, envp, auxv:
// System V i386 ABI §3-28 and fs/binfmt_elf.c create_elf_tables), enters CPL 3 at the entry
// point and runs until the program exits, takes a guest exception, or the CPU stops.

import { EmulatorError } from "@x86vm/core";
import { ET_DYN, parseElf32, PT_LOAD, PT_PHDR, type Elf32 } from "./elf.ts";
import { describeException, FlatMachine, MMAP_BASE, STACK_TOP } from "./flat-machine.ts";
import { LinuxSyscalls, SYSCALL_NAMES } from "./syscalls.ts";

export interface UserModeOptions {
  /** argv; argv[0] defaults to exePath. */
  argv?: string[];
  env?: string[];
  /** What readlink("/proc/self/exe") answers. */
  exePath?: string;
  /** Stop with an error after this many instructions (default 4e9). */
  maxInstructions?: number;
  /** Compile hot blocks (default true); false interprets every instruction. */
  jit?: boolean;
  /** Runs of a block before it is compiled (default: the JIT's own, jit/params.ts). */
  jitThreshold?: number;
  /** What hot blocks compile to (Jit.backend): JavaScript functions or WebAssembly modules. */
  jitBackend?: "js" | "wasm";
}

export interface UserModeResult {
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Exit status when the program exited (128 + signal when it killed itself). */
  exitCode: number | null;
  signal: number | null;
  instructions: number;
  /** Why the run stopped other than by exit: guest exception, emulator error, limit. */
  error: string | null;
  /** System calls answered with -ENOSYS because they are not emulated: "nr (name) xcount". */
  unknownSyscalls: string[];
  /** Blocks compiled, and how many of their instructions were specialised. */
  jit: { compiled: number; instructions: number; specialised: number; invalidations: number };
}

/** Where a static-PIE (ET_DYN) executable is placed; non-PIE executables load where linked. */
const PIE_BIAS = 0x08000000;
const AT = {
  NULL: 0,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  SECURE: 23,
  RANDOM: 25,
  HWCAP2: 26,
  EXECFN: 31,
} as const;

export function runUserMode(image: Uint8Array, opts: UserModeOptions = {}): UserModeResult {
  const elf = parseElf32(image);
  const exePath = opts.exePath ?? "/program";
  const sys = new LinuxSyscalls(exePath);
  const m = new FlatMachine((cpu) => sys.handle(cpu));
  sys.machine = m;
  const bias = elf.type === ET_DYN ? PIE_BIAS : 0;
  const end = loadSegments(m, elf, bias);
  sys.setBrk((end + 0xfff) & ~0xfff);
  const esp = buildStack(m, elf, bias, opts.argv ?? [exePath], opts.env ?? [], exePath);
  m.enterUserMode((elf.entry + bias) >>> 0, esp);
  if (opts.jit === false) m.cpu.setJitEnabled(false);
  if (opts.jitBackend !== undefined) m.cpu.jit.backend = opts.jitBackend;
  if (opts.jitThreshold !== undefined) m.cpu.jit.threshold = opts.jitThreshold;

  const max = opts.maxInstructions ?? 4e9;
  const cpu = m.cpu;
  let error: string | null = null;
  let idle = 0;
  while (!sys.state.exited && m.exception === null) {
    let n: number;
    try {
      n = cpu.run(2_000_000);
    } catch (e) {
      const what = e instanceof EmulatorError ? "emulator error" : "emulator crash";
      error = `${what}: ${(e as Error).message} (${cpu.describe()})`;
      break;
    }
    if (cpu.shutdownReason !== null) {
      error = `CPU shutdown: ${cpu.shutdownReason} (${cpu.describe()})`;
      break;
    }
    if (n === 0 && ++idle > 3) {
      error = `CPU stopped making progress (halted=${cpu.halted}) (${cpu.describe()})`;
      break;
    }
    if (n > 0) idle = 0;
    if (cpu.instret > max) {
      error = `instruction limit ${max} reached (${cpu.describe()})`;
      break;
    }
  }
  if (m.exception !== null) error = describeException(m.exception);
  const unknownSyscalls = [...sys.state.unknown].map(([nr, n]) => `${nr} (${SYSCALL_NAMES[nr] ?? "?"}) x${n}`);
  return {
    stdout: concat(sys.state.stdout),
    stderr: concat(sys.state.stderr),
    exitCode: sys.state.exited ? sys.state.exitCode : null,
    signal: sys.state.signal,
    instructions: cpu.instret,
    error,
    unknownSyscalls,
    jit: { ...cpu.jit.stats },
  };
}

/** Copies each PT_LOAD segment to its address (bss is already zero); returns the image's end. */
function loadSegments(m: FlatMachine, elf: Elf32, bias: number): number {
  let end = 0;
  for (const ph of elf.phdrs) {
    if (ph.type !== PT_LOAD) continue;
    const at = ph.vaddr + bias;
    if (at < 0x100000 || at + ph.memsz > MMAP_BASE) {
      throw new EmulatorError(
        `PT_LOAD at 0x${at.toString(16)}+0x${ph.memsz.toString(16)} lies outside the program area [0x100000, 0x${MMAP_BASE.toString(16)})`,
      );
    }
    m.ram.set(elf.bytes.subarray(ph.offset, ph.offset + ph.filesz), at);
    end = Math.max(end, at + ph.memsz);
  }
  if (end === 0) throw new EmulatorError("ELF file has no PT_LOAD segment");
  return end;
}

/** Address of the program header table in memory (AT_PHDR). */
function phdrAddress(elf: Elf32, bias: number): number {
  const own = elf.phdrs.find((p) => p.type === PT_PHDR);
  if (own) return own.vaddr + bias;
  const seg = elf.phdrs.find((p) => p.type === PT_LOAD && p.offset <= elf.phoff && elf.phoff < p.offset + p.filesz);
  return seg ? seg.vaddr + bias + (elf.phoff - seg.offset) : 0;
}

/** Builds argc/argv/envp/auxv and their strings below STACK_TOP; returns the initial ESP. */
function buildStack(m: FlatMachine, elf: Elf32, bias: number, argv: string[], env: string[], exePath: string): number {
  const ram = m.ram,
    dv = m.dv;
  let sp = STACK_TOP;
  const enc = new TextEncoder();
  const pushString = (s: string): number => {
    const b = enc.encode(s);
    sp -= b.length + 1;
    ram.set(b, sp);
    ram[sp + b.length] = 0;
    return sp;
  };
  const execfn = pushString(exePath);
  const argvPtrs = argv.map(pushString);
  const envPtrs = env.map(pushString);
  const platform = pushString("i686");
  sp -= 16;
  const random = sp;
  for (let i = 0; i < 16; i++) ram[random + i] = (i * 37 + 11) & 0xff;
  const aux: [number, number][] = [
    [AT.HWCAP, m.hwcap()],
    [AT.PAGESZ, 4096],
    [AT.CLKTCK, 100],
    [AT.PHDR, phdrAddress(elf, bias)],
    [AT.PHENT, elf.phentsize],
    [AT.PHNUM, elf.phnum],
    [AT.BASE, 0],
    [AT.FLAGS, 0],
    [AT.ENTRY, elf.entry + bias],
    [AT.UID, 0],
    [AT.EUID, 0],
    [AT.GID, 0],
    [AT.EGID, 0],
    [AT.SECURE, 0],
    [AT.RANDOM, random],
    [AT.HWCAP2, 0],
    [AT.EXECFN, execfn],
    [AT.PLATFORM, platform],
    [AT.NULL, 0],
  ];
  const words = [argv.length, ...argvPtrs, 0, ...envPtrs, 0, ...aux.flat()];
  sp = (sp - words.length * 4) & ~15;
  words.forEach((w, i) => dv.setUint32(sp + i * 4, w >>> 0, true));
  return sp;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
