// CPUID as this CPU answers it: a P6-family processor (family 6) that reports only the features
// the emulator implements. The machine's dispatcher may override it; this is the default model.

/** EDX feature bits of leaf 1 (SDM Vol. 2, CPUID, table 3-11). */
export const FEAT_FPU = 1 << 0,
  FEAT_DE = 1 << 2,
  FEAT_PSE = 1 << 3,
  FEAT_TSC = 1 << 4,
  FEAT_MSR = 1 << 5;
export const FEAT_CX8 = 1 << 8,
  FEAT_SEP = 1 << 11,
  FEAT_PGE = 1 << 13,
  FEAT_CMOV = 1 << 15,
  FEAT_CLFSH = 1 << 19;
export const FEAT_MMX = 1 << 23,
  FEAT_FXSR = 1 << 24,
  FEAT_SSE = 1 << 25,
  FEAT_SSE2 = 1 << 26;

/** Leaf 1 EBX bits 15-8: the CLFLUSH line size in 8-byte units (64 bytes, as on a Pentium 4). */
const CLFLUSH_LINE = 8;

/** Family 6, model 1, stepping 9: the Pentium Pro's signature. */
export const CPU_SIGNATURE = 0x0619;
export const CPU_BRAND = "x86vm P6-class TypeScript CPU";

function str4(s: string, at: number): number {
  let v = 0;
  for (let i = 3; i >= 0; i--) v = (v << 8) | (s.charCodeAt(at + i) || 0);
  return v | 0;
}

export interface CpuidModel {
  /** Leaf 1 EDX: set by the CPU from what it implements (the FPU adds its bits when present). */
  features: number;
}

/** Fills out[0..3] = EAX, EBX, ECX, EDX for leaf. */
export function cpuidLeaf(model: CpuidModel, leaf: number, out: Int32Array): void {
  out.fill(0);
  const l = leaf >>> 0;
  if (l === 0) {
    out[0] = 1;
    out[1] = str4("GenuineIntel", 0);
    out[3] = str4("GenuineIntel", 4);
    out[2] = str4("GenuineIntel", 8);
  } else if (l === 1) {
    out[0] = CPU_SIGNATURE;
    if (model.features & FEAT_CLFSH) out[1] = CLFLUSH_LINE << 8;
    out[3] = model.features;
  } else if (l === 0x80000000) {
    out[0] = 0x80000004 | 0;
  } else if (l >= 0x80000002 && l <= 0x80000004) {
    const brand = CPU_BRAND.padEnd(48, "\0");
    const base = (l - 0x80000002) * 16;
    for (let i = 0; i < 4; i++) out[i] = str4(brand, base + i * 4);
  }
}
