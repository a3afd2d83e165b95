// Differential tests against the host's own x87: this machine runs i386 binaries, so the
// cases of testdata/host-cases.txt run natively (testdata/x87run.c, built here with Debian's
// i686 cross-compiler) and in the emulator, framed identically, and the results must agree:
// the 1 KiB buffer (stores), the FNSAVE image (control, status and tag words, every non-empty
// register as 80 bits) and the status flags of EFLAGS. Instruction/data pointers and the last
// opcode are not compared: the host runs at other addresses, and recent CPUs no longer store
// FOP/FCS/FDS as the P6 did. Cases named "~..." compute functions, where the emulator agrees
// only to double precision: their registers are compared within a tolerance, and PE/UE/C1.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { Rig, hex } from "./rig.ts";
import { doubleFromImg } from "./f80.ts";

const HERE = new URL(".", import.meta.url).pathname;
const CC = "i686-linux-gnu-gcc";
const BUF = 0x10000;
const PROLOGUE = hex("31c0 dbe3"); // xor eax,eax; fninit
const EPILOGUE = hex("9c 58 8983fc030000 ddb380030000"); // pushfd; pop eax; mov [ebx+3fch],eax; fnsave [ebx+380h]
const SAVE = 0x380;
/** Status flags compared in the saved EFLAGS: CF PF AF ZF SF OF. */
const STATUS = 0x8d5;
/** Relative tolerance of the function cases: a few units in the last place of a double. */
const TOLERANCE = 4e-15;

interface Case {
  name: string;
  mem: number[];
  mask: [number, number][];
  code: number[];
  asm: string;
}

function loadCases(): Case[] {
  const text = readFileSync(join(HERE, "testdata/host-cases.txt"), "utf8");
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [name, mem, mask, code, asm] = l.split("|");
      const ranges = mask
        ? mask.split(",").map((r) => r.split("-").map((x) => parseInt(x, 16)) as [number, number])
        : [];
      return { name, mem: hex(mem), mask: ranges, code: hex(code), asm };
    });
}

/** Builds the native runner; null (with the reason) when the cross-compiler is missing. */
function buildRunner(): { path: string } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), "x87run-"));
  const out = join(dir, "x87run");
  try {
    execFileSync(CC, ["-static", "-O1", "-o", out, join(HERE, "testdata/x87run.c")], { stdio: "pipe" });
  } catch (e) {
    return { error: `${CC} could not build testdata/x87run.c: ${(e as Error).message.split("\n")[0]}` };
  }
  return existsSync(out) ? { path: out } : { error: "the runner was not built" };
}

function runNative(path: string, cases: Case[]): string[] {
  const input =
    cases.map((c) => `${Buffer.from(c.code).toString("hex")} ${Buffer.from(c.mem).toString("hex")}`).join("\n") + "\n";
  return execFileSync(path, [], { input, maxBuffer: 64 << 20 })
    .toString()
    .trim()
    .split("\n");
}

function runEmulated(c: Case): Uint8Array {
  const rig = new Rig("flat32");
  rig.setBytes(BUF, c.mem);
  rig.cpu.r32[3] = BUF; // EBX
  rig.load([...PROLOGUE, ...c.code, ...EPILOGUE]);
  rig.run(100000);
  return rig.mem.ram.slice(BUF, BUF + 1024);
}

const h2 = (b: Uint8Array, at: number, n: number): string => {
  let s = "";
  for (let i = n - 1; i >= 0; i--) s += b[at + i].toString(16).padStart(2, "0");
  return s;
};
const word = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);

/** Differences between the native and emulated buffers, described for a reader. */
function compare(c: Case, nat: Uint8Array, emu: Uint8Array): string[] {
  const out: string[] = [];
  const approx = c.name.startsWith("~");
  const masked = (i: number) => c.mask.some(([a, b]) => i >= a && i <= b);
  for (let i = 0; i < SAVE; i++) {
    if (nat[i] !== emu[i] && !masked(i)) {
      out.push(
        `memory +${i.toString(16)}: host ${h2(nat, i & ~3, 4)} emulator ${h2(emu, i & ~3, 4)} (dword at +${(i & ~3).toString(16)})`,
      );
      break;
    }
  }
  const swMask = approx ? ~(0x0200 | 0x0020 | 0x0010) & 0xffff : 0xffff;
  for (const [off, name, mask] of [
    [0, "control word", 0xffff],
    [4, "status word", swMask],
    [8, "tag word", 0xffff],
  ] as const) {
    const a = word(nat, SAVE + off),
      b = word(emu, SAVE + off);
    if ((a & mask) !== (b & mask)) out.push(`${name}: host ${a.toString(16)} emulator ${b.toString(16)}`);
  }
  const tw = word(nat, SAVE + 8),
    top = (word(nat, SAVE + 4) >> 11) & 7;
  for (let i = 0; i < 8; i++) {
    if (((tw >> (((top + i) & 7) * 2)) & 3) === 3) continue;
    const at = SAVE + 28 + i * 10;
    const a = h2(nat, at, 10),
      b = h2(emu, at, 10);
    if (a === b) continue;
    if (approx) {
      const va = f80Value(nat, at),
        vb = f80Value(emu, at);
      if (va === vb || Math.abs(va - vb) <= TOLERANCE * Math.abs(va)) continue;
    }
    out.push(`st(${i}): host ${a.slice(0, 4)}:${a.slice(4)} emulator ${b.slice(0, 4)}:${b.slice(4)}`);
  }
  const fa = nat[0x3fc] | (nat[0x3fd] << 8),
    fb = emu[0x3fc] | (emu[0x3fd] << 8);
  if ((fa & STATUS) !== (fb & STATUS))
    out.push(`eflags: host ${(fa & STATUS).toString(16)} emulator ${(fb & STATUS).toString(16)}`);
  return out;
}

function f80Value(b: Uint8Array, at: number): number {
  const lo = b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);
  const hi = b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24);
  return doubleFromImg(b[at + 8] | (b[at + 9] << 8), hi, lo);
}

describe("x87 against the host CPU", () => {
  const cases = loadCases();
  const runner = buildRunner();

  it("has cases", () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  if ("error" in runner) {
    // pnpm test installs the cross compiler first (scripts/prereqs.mjs): its absence is a failure.
    it("builds the host-side runner", () => {
      throw new Error(`${runner.error} (install gcc-i686-linux-gnu to run the differential x87 tests)`);
    });
    return;
  }

  it("agrees with the host on every case", () => {
    let native: string[];
    try {
      native = runNative(runner.path, cases);
    } finally {
      rmSync(dirname(runner.path), { recursive: true, force: true });
    }
    expect(native.length).toBe(cases.length);
    const failures: string[] = [];
    cases.forEach((c, k) => {
      const line = native[k];
      if (line.length !== 2048) {
        failures.push(`${c.name}: the host trapped (${line}); the case is wrong`);
        return;
      }
      const nat = Uint8Array.from(hex(line));
      const diffs = compare(c, nat, runEmulated(c));
      if (diffs.length) failures.push(`${c.name}\n    ${c.asm}\n    ${diffs.join("\n    ")}`);
    });
    expect(failures.join("\n\n")).toBe("");
  });
});
