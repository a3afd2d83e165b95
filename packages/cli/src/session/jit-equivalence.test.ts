// The JIT changes nothing a guest can observe: real guests on the deterministic clock retire the
// same instructions and reach the same state (registers, flags, segments, all of RAM) with
// blocks compiled to WebAssembly (early, at a low threshold, so most code runs compiled) and
// with every instruction interpreted. FreeDOS runs 16-bit code (real mode); the Linux guest's
// first 200 M instructions cover its boot loader path, the decompressor and early kernel init
// (32-bit protected mode, paging).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryDisk } from "@x86vm/core";
import { PcMachine } from "@x86vm/devices";
import { linuxGuestDir } from "../bench/boot.ts";
import { Session } from "./session.ts";

const FREEDOS = path.resolve(__dirname, "../../../../../shared/guests/freedos722.img");
const LINUX = linuxGuestDir();

type Jit = "none" | "wasm";

function configure(pc: PcMachine, jit: Jit): void {
  const cpu = pc.machine.cpu;
  if (jit === "none") cpu.setJitEnabled(false);
  else {
    cpu.jit.backend = "wasm";
    cpu.jit.threshold = 50;
  }
}

/** Instructions retired, and a hash of the registers, flags, segments, EIP and RAM. */
function fingerprint(pc: PcMachine): { instructions: number; state: string } {
  const cpu = pc.machine.cpu;
  const h = crypto.createHash("sha256");
  h.update(JSON.stringify([Array.from(cpu.r32.subarray(0, 8)), cpu.eip, cpu.getFlags(), Array.from(cpu.sreg)]));
  h.update(Array.from(cpu.segBase).join(","));
  h.update(cpu.mem.ram);
  return { instructions: cpu.instret, state: h.digest("hex") };
}

describe("the JIT is invisible to guests", () => {
  it("FreeDOS boots to A:\\> and runs a command with the same instructions and state, JIT on or off", async () => {
    const runs = [];
    for (const jit of ["wasm", "none"] as const) {
      const b = fs.readFileSync(FREEDOS);
      const pc = new PcMachine({
        memoryMiB: 32,
        clock: "deterministic",
        fda: new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true),
      });
      configure(pc, jit);
      await new Session(pc).run(
        [
          { kind: "until", text: "A:\\>" },
          { kind: "type", keys: "dir\r" },
          { kind: "until", text: "A:\\>" },
        ],
        { timeoutS: 60, nowMs: () => performance.now() },
      );
      if (jit === "wasm") expect(pc.machine.cpu.jit.stats.compiled).toBeGreaterThan(100);
      runs.push(fingerprint(pc));
    }
    expect(runs[0]).toEqual(runs[1]);
  });

  it("the Linux guest's first 200 M instructions: the same state at every 50 M, JIT on or off", () => {
    const kernel = new Uint8Array(fs.readFileSync(path.join(LINUX, "bzImage"))),
      initrd = new Uint8Array(fs.readFileSync(path.join(LINUX, "initrd.gz")));
    const prints: { instructions: number; state: string }[][] = [];
    for (const jit of ["wasm", "none"] as const) {
      const pc = new PcMachine({
        memoryMiB: 128,
        clock: "deterministic",
        linux: { kernel, initrd, cmdline: "console=ttyS0" },
      });
      configure(pc, jit);
      const seen: { instructions: number; state: string }[] = [];
      // 100 MIPS on the deterministic clock: 0.5 s of machine time is 50 M instructions.
      for (let i = 0; i < 4; i++) {
        for (let t = 0; t < 25; t++) pc.run(20e6);
        seen.push(fingerprint(pc));
      }
      // Compiled: the boot loader path, the decompressor and early kernel code (~1,300 instructions).
      if (jit === "wasm") expect(pc.machine.cpu.jit.stats.instructions).toBeGreaterThan(1000);
      prints.push(seen);
    }
    expect(prints[0][3].instructions).toBeGreaterThan(190e6);
    expect(prints[0]).toEqual(prints[1]);
  });
});
