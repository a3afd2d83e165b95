// A small CPU rig for the FPU tests: a CPU with 2 MiB of RAM running code in real mode (with
// an interrupt table whose handlers count each vector) or in a flat 32-bit protected-mode
// setting built directly in the segment caches (no GDT, no interrupts), the way the native
// reference runner executes the same bytes. Test support only; it uses no host APIs.

import { Cpu } from "../cpu.ts";
import { CR0_NE, CR0_PE, CS, DS, ES, FS, GS, SS } from "../regs.ts";
import { Dispatcher } from "../../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../../memory/physical-memory.ts";
import type { Fpu } from "./fpu.ts";

export const CODE = 0x1000;
export const DATA = 0x3000;
/** Counters of the real-mode exception handlers: word at HITS + vector * 2. */
export const HITS = 0x600;

/** Parses "d9 e8 d9ee" style hex into bytes. */
export function hex(s: string): number[] {
  const t = s.replace(/[^0-9a-fA-F]/g, "");
  const out: number[] = [];
  for (let i = 0; i + 1 < t.length; i += 2) out.push(parseInt(t.slice(i, i + 2), 16));
  return out;
}

export class Rig {
  readonly mem = new PhysicalMemory(2 << 20);
  readonly io = new Dispatcher();
  readonly cpu = new Cpu(this.mem, this.io);

  constructor(readonly mode: "real" | "flat32" = "real") {
    const cpu = this.cpu,
      ram = this.mem.ram;
    if (mode === "real") {
      for (let v = 0; v < 256; v++) {
        const h = 0x2000 + v * 8,
          at = HITS + v * 2;
        ram.set([0xff, 0x06, at & 0xff, at >> 8, 0xcf], h); // inc word [at]; iret
        ram[v * 4] = h & 0xff;
        ram[v * 4 + 1] = h >> 8;
        ram[v * 4 + 2] = 0;
        ram[v * 4 + 3] = 0;
      }
      for (const s of [DS, ES, SS, FS, GS]) cpu.setSegReal(s, 0, 0xffff, 0x93);
      cpu.setSegReal(CS, 0, 0xffff, 0x9b);
      cpu.r16[4 << 1] = 0x9000;
    } else {
      cpu.cr[0] |= CR0_PE | CR0_NE;
      for (const s of [DS, ES, SS, FS, GS]) cpu.setSegReal(s, 0, 0xffffffff | 0, 0xc093);
      cpu.setSegReal(CS, 0, 0xffffffff | 0, 0xc09b);
      cpu.modeChanged();
      cpu.r32[4] = 0x80000;
    }
    cpu.eip = CODE;
  }

  get f(): Fpu {
    return this.cpu.fpu;
  }

  /** Places code at CODE (followed by HLT) and sets EIP there. */
  load(code: number[] | string): this {
    const bytes = typeof code === "string" ? hex(code) : code;
    this.mem.ram.set([...bytes, 0xf4], CODE);
    this.cpu.eip = CODE;
    this.cpu.halted = false;
    return this;
  }

  /** Runs until HLT (or the step budget). Returns the instructions executed. */
  run(budget = 100000): number {
    let n = 0;
    while (n < budget && !this.cpu.halted && this.cpu.shutdownReason === null) {
      const k = this.cpu.run(Math.min(1000, budget - n));
      n += k;
      if (k === 0) break;
    }
    return n;
  }

  /** Loads and runs. */
  /** Runs one instruction; returns the vector of the first exception it raised, or -1. */
  faultOf(code: number[] | string): number {
    let vec = -1;
    this.cpu.onFault = (v) => void (vec = vec < 0 ? v : vec);
    this.load(code);
    this.cpu.run(1);
    return vec;
  }

  /** XMMi's four dwords, unsigned, least significant first. */
  xmm(i: number): number[] {
    return Array.from(this.cpu.xmm.subarray(i * 4, i * 4 + 4), (v) => v >>> 0);
  }

  exec(code: number[] | string): this {
    this.load(code);
    this.run();
    return this;
  }

  hits(vec: number): number {
    return this.mem.read16(HITS + vec * 2);
  }

  /** ST(i) as a double. */
  st(i: number): number {
    return this.f.value(this.f.st(i));
  }
  sw(): number {
    return this.f.getSw();
  }

  // ---- memory helpers (physical = linear here)
  private readonly dv = new DataView(this.mem.ram.buffer, this.mem.ram.byteOffset, this.mem.ram.byteLength);
  setF64(a: number, v: number): void {
    this.dv.setFloat64(a, v, true);
  }
  getF64(a: number): number {
    return this.dv.getFloat64(a, true);
  }
  setF32(a: number, v: number): void {
    this.dv.setFloat32(a, v, true);
  }
  getF32(a: number): number {
    return this.dv.getFloat32(a, true);
  }
  setU16(a: number, v: number): void {
    this.dv.setUint16(a, v, true);
  }
  getU16(a: number): number {
    return this.dv.getUint16(a, true);
  }
  setU32(a: number, v: number): void {
    this.dv.setUint32(a, v >>> 0, true);
  }
  getU32(a: number): number {
    return this.dv.getUint32(a, true);
  }
  setI16(a: number, v: number): void {
    this.dv.setInt16(a, v, true);
  }
  getI16(a: number): number {
    return this.dv.getInt16(a, true);
  }
  getI32(a: number): number {
    return this.dv.getInt32(a, true);
  }
  setBytes(a: number, b: number[]): void {
    this.mem.ram.set(b, a);
  }
  getBytes(a: number, n: number): number[] {
    return Array.from(this.mem.ram.subarray(a, a + n));
  }
  /** 80-bit real at a as "sexp:mantissa" hex, e.g. "3fff:8000000000000000". */
  getF80(a: number): string {
    const h = (v: number, w: number) => v.toString(16).padStart(w, "0");
    return `${h(this.getU16(a + 8), 4)}:${h(this.getU32(a + 4), 8)}${h(this.getU32(a), 8)}`;
  }
  setF80(a: number, s: string): void {
    const [se, m] = s.split(":");
    this.setU16(a + 8, parseInt(se, 16));
    this.setU32(a + 4, parseInt(m.slice(0, 8), 16));
    this.setU32(a, parseInt(m.slice(8, 16), 16));
  }
  /** Raw 64-bit pattern of a double at a, as 16 hex digits. */
  getQ(a: number): string {
    return (
      this.getU32(a + 4)
        .toString(16)
        .padStart(8, "0") + this.getU32(a).toString(16).padStart(8, "0")
    );
  }
  setQ(a: number, s: string): void {
    this.setU32(a + 4, parseInt(s.slice(0, 8), 16));
    this.setU32(a, parseInt(s.slice(8, 16), 16));
  }
}
