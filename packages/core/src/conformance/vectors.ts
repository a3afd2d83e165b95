// The SingleStepTests instruction-vector format (github.com/SingleStepTests/80286): one
// instruction run from a recorded initial state to a recorded final state on real hardware.

export type RegName =
  "ax" | "bx" | "cx" | "dx" | "cs" | "ss" | "ds" | "es" | "sp" | "bp" | "si" | "di" | "ip" | "flags";
export const REG_NAMES: readonly RegName[] = [
  "ax",
  "bx",
  "cx",
  "dx",
  "cs",
  "ss",
  "ds",
  "es",
  "sp",
  "bp",
  "si",
  "di",
  "ip",
  "flags",
];

export interface VectorState {
  regs: Partial<Record<RegName, number>>;
  ram: [number, number][];
}

export interface Vector {
  idx: number;
  name: string;
  bytes: number[];
  initial: VectorState & { regs: Record<RegName, number> };
  final: VectorState;
  /** Present when the instruction raised an exception; flag_address locates the pushed FLAGS. */
  exception?: { number: number; flag_address: number };
  hash: string;
}

export interface OpcodeInfo {
  status?: string;
  "flags-mask"?: number;
  reg?: Record<string, OpcodeInfo>;
}
export interface Metadata {
  opcodes: Record<string, OpcodeInfo>;
}

export class VectorFormatError extends Error {}

/** Checks that parsed JSON has the shape of a vector file; a clear error names what is wrong. */
export function validateVectors(data: unknown, source: string): Vector[] {
  if (!Array.isArray(data)) throw new VectorFormatError(`${source}: expected a JSON array of tests`);
  data.forEach((t, i) => {
    const where = `${source}: test ${i}`;
    if (typeof t !== "object" || t === null) throw new VectorFormatError(`${where} is not an object`);
    const v = t as Partial<Vector>;
    if (typeof v.name !== "string" || !Array.isArray(v.bytes))
      throw new VectorFormatError(`${where} lacks name or bytes`);
    if (!v.initial || typeof v.initial.regs !== "object" || !Array.isArray(v.initial.ram)) {
      throw new VectorFormatError(`${where} lacks initial.regs or initial.ram`);
    }
    if (!v.final || typeof v.final.regs !== "object" || !Array.isArray(v.final.ram)) {
      throw new VectorFormatError(`${where} lacks final.regs or final.ram`);
    }
    for (const r of REG_NAMES) {
      if (typeof v.initial.regs[r] !== "number") throw new VectorFormatError(`${where}: initial.regs.${r} is missing`);
    }
    for (const pair of [...v.initial.ram, ...v.final.ram]) {
      if (
        !Array.isArray(pair) ||
        pair.length !== 2 ||
        !Number.isInteger(pair[0]) ||
        !Number.isInteger(pair[1]) ||
        pair[0] < 0 ||
        pair[0] > 0xffffff ||
        pair[1] < 0 ||
        pair[1] > 0xff
      ) {
        throw new VectorFormatError(`${where}: bad ram entry ${JSON.stringify(pair)}`);
      }
    }
  });
  return data as Vector[];
}
