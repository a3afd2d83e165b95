// Runs instruction vectors recorded on a real 80286 (real mode) against the CPU.
// Each test: load the initial registers and memory, run until the CPU halts on the HLT that
// follows the instruction (or the exception handler's first byte), compare every register and
// every recorded final memory byte. FLAGS are compared under the file's flags mask (flags the
// 80286 leaves undefined), with bits 12-15 masked as the 386 and later differ there.
//
// Every test that is not compared is excluded by an entry of EXCLUSIONS (exclusions.ts), which
// gives the reason; the runner counts them.

import { Cpu } from "../cpu/cpu.ts";
import { CS, DS, ES, SS, DT_IDT_LIMIT } from "../cpu/regs.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../memory/physical-memory.ts";
import { EXCLUSIONS, type Exclusion } from "./exclusions.ts";
import { REG_NAMES, type Metadata, type OpcodeInfo, type RegName, type Vector } from "./vectors.ts";

export interface FileResult {
  file: string;
  passed: number;
  failed: number;
  excluded: number;
  /** The first failures, described. */
  failures: string[];
  /** The index (`idx`) of every failing vector. */
  failedIdx: number[];
  /** Exclusion reasons and how many tests each removed. */
  excludedBy: Record<string, number>;
}

/** Bits 12-15 of FLAGS differ between the 80286 and later CPUs in real mode. */
const FLAGS_286_MASK = 0x0fff;
const MAX_INSTRUCTIONS = 200_000;
const RAM_BYTES = 16 << 20;

const GPR: Partial<Record<RegName, number>> = { ax: 0, cx: 1, dx: 2, bx: 3, sp: 4, bp: 5, si: 6, di: 7 };
const SEG: Partial<Record<RegName, number>> = { es: ES, cs: CS, ss: SS, ds: DS };

/** The file's opcode key ("F6.7.json.gz" -> opcode F6, reg 7). */
export function fileKey(file: string): { opcode: string; reg: string | undefined } {
  const base = file
    .replace(/\.json(\.gz)?$/, "")
    .split("/")
    .pop()!;
  const [opcode, reg] = base.split(".");
  return { opcode: opcode.toUpperCase(), reg };
}

export function flagsMaskFor(meta: Metadata | undefined, file: string): number {
  const { opcode, reg } = fileKey(file);
  let info: OpcodeInfo | undefined = meta?.opcodes[opcode];
  if (info && reg !== undefined && info.reg) info = info.reg[reg];
  return (info?.["flags-mask"] ?? 0xffff) & FLAGS_286_MASK;
}

export class ConformanceRunner {
  readonly mem = new PhysicalMemory(RAM_BYTES);
  readonly io = new Dispatcher();
  readonly cpu = new Cpu(this.mem, this.io);
  private readonly exclusions: readonly Exclusion[];

  constructor(exclusions: readonly Exclusion[] = EXCLUSIONS) {
    this.exclusions = exclusions;
  }

  runFile(file: string, vectors: Vector[], meta?: Metadata, maxFailures = 20): FileResult {
    const result: FileResult = {
      file,
      passed: 0,
      failed: 0,
      excluded: 0,
      failures: [],
      failedIdx: [],
      excludedBy: {},
    };
    const mask = flagsMaskFor(meta, file);
    const { opcode, reg } = fileKey(file);
    for (const v of vectors) {
      const ex = this.exclusions.find((e) => e.applies(opcode, reg, v));
      if (ex) {
        result.excluded++;
        result.excludedBy[ex.reason] = (result.excludedBy[ex.reason] ?? 0) + 1;
        continue;
      }
      const problem = this.runOne(v, mask);
      if (problem === null) result.passed++;
      else {
        result.failed++;
        result.failedIdx.push(v.idx);
        if (result.failures.length < maxFailures)
          result.failures.push(
            `#${v.idx} ${v.name} [${v.bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ")}]: ${problem}`,
          );
      }
    }
    return result;
  }

  /** Runs one test; returns null when it passes, else what differed. */
  runOne(v: Vector, flagsMask: number): string | null {
    const { cpu, mem } = this;
    const ram = mem.ram;
    cpu.reset();
    mem.setA20(true);
    const init = v.initial.regs;
    for (const [name, idx] of Object.entries(GPR)) cpu.r16[idx! << 1] = init[name as RegName];
    for (const [name, s] of Object.entries(SEG))
      cpu.setSegReal(s!, init[name as RegName], 0xffff, s === CS ? 0x9b : 0x93);
    cpu.eip = init.ip;
    cpu.dt[DT_IDT_LIMIT] = 0x3ff;
    cpu.writeFlags(init.flags, 0xffff);
    cpu.modeChanged();
    for (const [addr, b] of v.initial.ram) ram[addr] = b;

    let ran = 0;
    let error: string | null = null;
    try {
      while (!cpu.halted && cpu.shutdownReason === null && ran < MAX_INSTRUCTIONS) ran += Math.max(1, cpu.run(1000));
    } catch (e) {
      error = `emulator error: ${(e as Error).message}`;
    }

    const problems: string[] = [];
    if (error) problems.push(error);
    else if (cpu.shutdownReason !== null) problems.push(`shutdown: ${cpu.shutdownReason}`);
    else if (!cpu.halted) problems.push("did not reach HLT");
    const fin = { ...init, ...v.final.regs };
    for (const name of REG_NAMES) {
      let got: number;
      if (name === "ip") got = cpu.eip;
      else if (name === "flags") got = cpu.getFlags() & 0xffff;
      else if (GPR[name] !== undefined) got = cpu.r16[GPR[name]! << 1];
      else got = cpu.sreg[SEG[name]!];
      let want = fin[name];
      if (name === "flags") {
        got &= flagsMask;
        want &= flagsMask;
      }
      if (got !== want) problems.push(`${name}=${hex(got)} want ${hex(want)}`);
    }
    // A FLAGS image pushed by PUSHF or by an interrupt is compared under the same mask.
    let pushedFlags = -1;
    if (v.exception) pushedFlags = fin.ss * 16 + fin.sp + 4;
    else if (v.bytes[v.bytes.length - 2] === 0x9c) pushedFlags = fin.ss * 16 + fin.sp;
    for (const [addr, want] of v.final.ram) {
      let got = ram[addr],
        w = want;
      if (addr === pushedFlags) {
        got &= flagsMask & 0xff;
        w &= flagsMask & 0xff;
      }
      if (addr === pushedFlags + 1) {
        got &= flagsMask >> 8;
        w &= flagsMask >> 8;
      }
      if (got !== w) problems.push(`[${hex(addr)}]=${hex(got)} want ${hex(w)}`);
    }
    // Clear what the test wrote so the next one starts from zeroed memory.
    for (const [addr] of v.initial.ram) ram[addr] = 0;
    for (const [addr] of v.final.ram) ram[addr] = 0;
    return problems.length ? problems.join(", ") : null;
  }
}

function hex(v: number): string {
  return "0x" + (v >>> 0).toString(16);
}
