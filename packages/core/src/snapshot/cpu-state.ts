// The CPU's snapshot state (schema "cpu-i686"), saved and loaded through the CPU's public
// fields and methods only, so the interpreter's internals stay free to change.
//
// What is saved is the architectural state at an instruction boundary: the register file,
// EIP, segment registers with their hidden descriptor caches, control, debug and descriptor
// table registers, the SYSENTER MSRs, EFLAGS (lazy status flags evaluated), CPL, the pending
// event bits (INTR level, interrupt shadows, single-step trap), HLT and shutdown state, the
// instruction count and the TSC offset; from version 2, XMM0-7 and MXCSR (subsection "sse",
// saved when they differ from their reset state; a version 1 record loads with them reset). What is derived is rebuilt on load and not saved: the
// fetch window, the TLBs, the fast segment bounds and the operand/address-size defaults
// (modeChanged()). Transient per-instruction state (prefixes, effective-address segment, fault
// scratch) is empty at a boundary.
//
// The x87 FPU, when the CPU has one with its own state schema (cpu.fpu implementing
// Stateful), is saved as a separate record: see cpuStatefuls().

import type { Cpu } from "../cpu/cpu.ts";
import { AC, AF, CF, DF, FLAGS_FIXED1, ID, IF, IOPL, NT, OF, PF, RF, SF, TF, VIF, VIP, VM, ZF } from "../cpu/regs.ts";
import { bits, bool, defineState, field, i32, int, ints, nullable, str } from "./define-state.ts";
import { MXCSR_INIT, MXCSR_MASK } from "../cpu/simd/fxsr.ts";
import { StateError, type StateRecord, type Stateful } from "./state.ts";

/** EFLAGS bits a saved image may hold. */
const FLAGS_SAVED =
  CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | RF | VM | AC | VIF | VIP | ID | FLAGS_FIXED1;
const I32_MIN = -0x80000000,
  I32_MAX = 0x7fffffff;
/** Event bits the CPU defines (EV_* in regs.ts). */
const EVENTS_MASK = 0x7f;
const MSR_TSC = 0x10;
const TWO_32 = 0x100000000;

const i32s = (n: number) => ints(n, I32_MIN, I32_MAX);

/**
 * The CPU's fields, read from and written to the Cpu itself. Register files are filled in place;
 * what takes a method (EIP, CPL, the TSC) is installed by postLoad in the order the CPU needs:
 * mode and segment state first, then EIP, then the TSC against the restored instruction count.
 */
const CPU_STATE = defineState<Cpu>()({
  name: "cpu-i686",
  // 2: the SSE state (subsection "sse").
  version: 2,
  minVersion: 1,
  fields: {
    // Array lengths are those of the register files in the CPU's state block (cpu/state.ts).
    regs: field(i32s(16), { key: "r32" }),
    eip: field(i32, { get: (c) => c.getEip() }),
    sreg: ints(8, 0, 0xffff),
    segBase: i32s(8),
    segLimit: i32s(8),
    segAttr: ints(8, 0, 0xffff),
    cr: i32s(8),
    dr: i32s(8),
    dt: i32s(12),
    sysenter: i32s(3),
    flags: field(bits(FLAGS_SAVED), { get: (c) => c.getFlags(), set: (c, f) => ((c.flags = f), (c.lazy = 0)) }),
    cpl: field(int(0, 3), { get: (c) => c.cpl }),
    events: bits(EVENTS_MASK),
    halted: bool,
    shutdownReason: nullable(str(200)),
    instret: int(0, Number.MAX_SAFE_INTEGER),
    tscOffset: field(int(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), { get: (c) => c.readTsc() - c.tsc() }),
  },
  subsections: {
    sse: {
      fields: { xmm: i32s(32), mxcsr: bits(MXCSR_MASK) },
      needed: (c) => c.mxcsr !== MXCSR_INIT || c.xmm.some((w) => w !== 0),
      absent: (c) => {
        c.xmm.fill(0);
        c.mxcsr = MXCSR_INIT;
      },
    },
  },
  check(v, fail, c) {
    if ((v.flags & FLAGS_FIXED1) === 0) fail(`field 'flags' holds 0x${v.flags.toString(16)}, not an EFLAGS image`);
    if ((v.cr[0] & 0x80000001) === (0x80000000 | 0)) fail("field 'cr' has paging on with protection off");
    // The TSC after load must be a value WRMSR could have written: 0 .. 2^64.
    const tsc = tscAt(c, v.instret) + v.tscOffset;
    if (!(tsc >= 0 && tsc < TWO_32 * TWO_32)) fail(`field 'tscOffset' puts the TSC at ${tsc}, outside 0..2^64`);
  },
  postLoad(c, v) {
    c.setCpl(v.cpl);
    c.modeChanged(); // operand/address defaults, stack width, fast segment bounds, fetch window
    c.flushTlb();
    c.jit.flush(); // RAM is being replaced: no compiled code survives a restore
    c.setEip(v.eip);
    c.sliceN = 0;
    const tsc = c.tsc() + v.tscOffset;
    if (v.tscOffset !== c.readTsc() - c.tsc()) c.writeMsr(MSR_TSC, tsc % TWO_32, Math.floor(tsc / TWO_32));
  },
});

/** The CPU's tsc() as it would read with `instret` instructions retired. */
function tscAt(c: Cpu, instret: number): number {
  const prev = c.instret;
  c.instret = instret;
  const tsc = c.tsc();
  c.instret = prev;
  return tsc;
}

/**
 * The CPU as a Stateful part. Loading applies the TSC offset against the CPU's tsc() at the time
 * of the call: restore the instruction count and the machine clock first.
 */
export class CpuStateAdapter implements Stateful {
  readonly stateDefinition = CPU_STATE;
  readonly stateName = CPU_STATE.name;
  readonly stateVersion = CPU_STATE.version;
  readonly stateMinVersion = CPU_STATE.minVersion;

  constructor(readonly cpu: Cpu) {}

  saveState(): StateRecord {
    if (this.cpu.sliceN !== 0) throw new StateError("cpu: state can only be saved between run() calls");
    return CPU_STATE.save(this.cpu);
  }

  loadState(fields: StateRecord, version: number): void {
    CPU_STATE.load(this.cpu, fields, version);
  }
}

function isStateful(x: unknown): x is Stateful {
  if (typeof x !== "object" || x === null) return false;
  const s = x as Partial<Stateful>;
  return (
    typeof s.stateName === "string" &&
    typeof s.stateVersion === "number" &&
    typeof s.stateMinVersion === "number" &&
    typeof s.saveState === "function" &&
    typeof s.loadState === "function"
  );
}

/** The CPU's state records: the CPU itself, then its FPU when it has one with a state schema. */
export function cpuStatefuls(cpu: Cpu): Stateful[] {
  const out: Stateful[] = [new CpuStateAdapter(cpu)];
  const fpu = (cpu as unknown as { fpu?: unknown }).fpu;
  if (isStateful(fpu)) out.push(fpu);
  return out;
}
