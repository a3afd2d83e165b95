// The CPU's snapshot state (schema "cpu-i686"), saved and loaded through the CPU's public
// fields and methods only, so the interpreter's internals stay free to change.
//
// What is saved is the architectural state at an instruction boundary: the register file,
// EIP, segment registers with their hidden descriptor caches, control, debug and descriptor
// table registers, the SYSENTER MSRs, EFLAGS (lazy status flags evaluated), CPL, the pending
// event bits (INTR level, interrupt shadows, single-step trap), HLT and shutdown state, the
// instruction count and the TSC offset. What is derived is rebuilt on load and not saved: the
// fetch window, the TLBs, the fast segment bounds and the operand/address-size defaults
// (modeChanged()). Transient per-instruction state (prefixes, effective-address segment, fault
// scratch) is empty at a boundary.
//
// The x87 FPU, when the CPU has one with its own state schema (cpu.fpu implementing
// Stateful), is saved as a separate record: see cpuStatefuls().

import type { Cpu } from "../cpu/cpu.ts";
import { AC, AF, CF, DF, FLAGS_FIXED1, ID, IF, IOPL, NT, OF, PF, RF, SF, TF, VIF, VIP, VM, ZF } from "../cpu/regs.ts";
import { StateError, StateReader, type StateRecord, type Stateful } from "./state.ts";

/** EFLAGS bits a saved image may hold. */
const FLAGS_SAVED =
  CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | RF | VM | AC | VIF | VIP | ID | FLAGS_FIXED1;
const I32_MIN = -0x80000000,
  I32_MAX = 0x7fffffff;
/** Event bits the CPU defines (EV_* in regs.ts). */
const EVENTS_MASK = 0x7f;
const MSR_TSC = 0x10;
const TWO_32 = 0x100000000;

export class CpuStateAdapter implements Stateful {
  readonly stateName = "cpu-i686";
  readonly stateVersion = 1;
  readonly stateMinVersion = 1;

  constructor(readonly cpu: Cpu) {}

  saveState(): StateRecord {
    const c = this.cpu;
    if (c.sliceN !== 0) throw new StateError("cpu: state can only be saved between run() calls");
    return {
      regs: Array.from(c.r32),
      eip: c.getEip(),
      sreg: Array.from(c.sreg),
      segBase: Array.from(c.segBase),
      segLimit: Array.from(c.segLimit),
      segAttr: Array.from(c.segAttr),
      cr: Array.from(c.cr),
      dr: Array.from(c.dr),
      dt: Array.from(c.dt),
      sysenter: Array.from(c.sysenter),
      flags: c.getFlags(),
      cpl: c.cpl,
      events: c.events,
      halted: c.halted,
      shutdownReason: c.shutdownReason,
      instret: c.instret,
      tscOffset: c.readTsc() - c.tsc(),
    };
  }

  /**
   * Loads a saved CPU. Everything is validated before the CPU changes. The TSC offset is applied
   * against the CPU's tsc() at the time of the call: restore the instruction count and the
   * machine clock first.
   */
  loadState(fields: StateRecord, version: number): void {
    const c = this.cpu,
      name = this.stateName;
    if (version < this.stateMinVersion || version > this.stateVersion)
      throw new StateError(`${name}: state version ${version} is not supported`);
    const r = new StateReader(fields, name);
    const regs = r.ints("regs", c.r32.length, I32_MIN, I32_MAX);
    const eip = r.int("eip", I32_MIN, I32_MAX);
    const sreg = r.ints("sreg", c.sreg.length, 0, 0xffff);
    const segBase = r.ints("segBase", c.segBase.length, I32_MIN, I32_MAX);
    const segLimit = r.ints("segLimit", c.segLimit.length, I32_MIN, I32_MAX);
    const segAttr = r.ints("segAttr", c.segAttr.length, 0, 0xffff);
    const cr = r.ints("cr", c.cr.length, I32_MIN, I32_MAX);
    const dr = r.ints("dr", c.dr.length, I32_MIN, I32_MAX);
    const dt = r.ints("dt", c.dt.length, I32_MIN, I32_MAX);
    const sysenter = r.ints("sysenter", c.sysenter.length, I32_MIN, I32_MAX);
    const flags = r.int("flags", 0, FLAGS_SAVED);
    if ((flags & ~FLAGS_SAVED) !== 0 || (flags & FLAGS_FIXED1) === 0)
      throw new StateError(`${name}: field 'flags' holds 0x${flags.toString(16)}, not an EFLAGS image`);
    const cpl = r.int("cpl", 0, 3);
    const events = r.int("events", 0, EVENTS_MASK);
    const halted = r.bool("halted");
    const shutdownReason = fields.shutdownReason === null ? null : r.str("shutdownReason", 200);
    const instret = r.int("instret", 0, Number.MAX_SAFE_INTEGER);
    const tscOffset = r.int("tscOffset", -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    if ((cr[0] & 0x80000001) === (0x80000000 | 0))
      throw new StateError(`${name}: field 'cr' has paging on with protection off`);
    // The TSC after load must be a value WRMSR could have written: 0 .. 2^64.
    const prevInstret = c.instret;
    c.instret = instret;
    const tsc = c.tsc() + tscOffset;
    c.instret = prevInstret;
    if (!(tsc >= 0 && tsc < TWO_32 * TWO_32))
      throw new StateError(`${name}: field 'tscOffset' puts the TSC at ${tsc}, outside 0..2^64`);

    c.r32.set(regs);
    c.sreg.set(sreg);
    c.segBase.set(segBase);
    c.segLimit.set(segLimit);
    c.segAttr.set(segAttr);
    c.cr.set(cr);
    c.dr.set(dr);
    c.dt.set(dt);
    c.sysenter.set(sysenter);
    c.flags = flags;
    c.lazy = 0;
    c.setCpl(cpl);
    c.modeChanged(); // operand/address defaults, stack width, fast segment bounds, fetch window
    c.flushTlb();
    c.jit.flush(); // RAM is being replaced: no compiled code survives a restore
    c.setEip(eip);
    c.events = events;
    c.halted = halted;
    c.shutdownReason = shutdownReason;
    c.instret = instret;
    c.sliceN = 0;
    if (tscOffset !== c.readTsc() - c.tsc()) c.writeMsr(MSR_TSC, tsc % TWO_32, Math.floor(tsc / TWO_32));
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
