// CPUID leaf 1 EDX reports exactly what the CPU implements: checked bit by bit through the
// CPUID instruction, so a feature added or dropped shows up here.
import { describe, expect, it } from "vitest";
import { Rig } from "./fpu/rig.ts";

/** Leaf 1 EDX bits (SDM Vol. 2, CPUID, table 3-11) this CPU implements. */
const IMPLEMENTED: Record<string, number> = {
  FPU: 0,
  PSE: 3,
  TSC: 4,
  MSR: 5,
  CX8: 8,
  SEP: 11,
  PGE: 13,
  CMOV: 15,
  CLFSH: 19,
  MMX: 23,
  FXSR: 24,
  SSE: 25,
  SSE2: 26,
};

describe("CPUID", () => {
  it("leaf 1 EDX: FPU PSE TSC MSR CX8 SEP PGE CMOV CLFSH MMX FXSR SSE SSE2, nothing else; EBX: a 64-byte CLFLUSH line", () => {
    const r = new Rig("flat32");
    r.exec("b801000000 0fa2 8915 00300000 891d 04300000"); // mov eax,1; cpuid; mov [0x3000],edx; mov [0x3004],ebx
    const edx = r.getU32(0x3000);
    let want = 0;
    for (const bit of Object.values(IMPLEMENTED)) if (bit >= 0) want |= 1 << bit;
    expect(edx.toString(2)).toBe((want >>> 0).toString(2));
    expect(edx & (1 << 28)).toBe(0); // HTT: one logical processor, so EBX bits 23-16 mean nothing
    expect(r.getU32(0x3004)).toBe(8 << 8);
  });
});
