// The CPU: run loop, instruction boundaries (interrupts, single-step traps, interrupt
// shadows), exception delivery, segment loading and EFLAGS writes. Instruction semantics live
// in ops/*.ts as handlers (c: Cpu) => void, dispatched through the table built in
// exec-table.ts from the opcode table.
//
// A handler raises a guest exception by calling c.fault(), which throws one preallocated object;
// the run loop catches it, rewinds EIP to the instruction's first byte and delivers the
// exception. Handlers therefore change architectural state only after their last check.

import { CpuAccess } from "./access.ts";
import { FAULT } from "./fault.ts";
import {
  AC,
  CR0_ET,
  CR0_PE,
  CS,
  DF,
  DS,
  DT_GDT_LIMIT,
  CR0_CD,
  CR0_NW,
  CR4_SUPPORTED,
  DT_IDT_BASE,
  DT_IDT_LIMIT,
  DT_TR_ATTR,
  DT_TR_BASE,
  DT_TR_LIMIT,
  ES,
  EV_INTR,
  EV_NMI,
  EV_SHADOW_SS,
  EV_SHADOW_STI,
  EV_STOP,
  EV_TF,
  EV_TRAP,
  FLAGS_FIXED1,
  FS,
  GS,
  ID,
  IF,
  IOPL,
  NT,
  RF,
  SS,
  START_EIP,
  STATUS_FLAGS,
  TF,
  V_DB,
  V_DF,
  V_GP,
  V_NMI,
  VM,
} from "./regs.ts";
import { EXEC_TABLE, type Handler } from "./exec-table.ts";
import { runLoop } from "./hot.generated.ts";
import { interruptProtected, loadSegProtected } from "./protected.ts";
import { Fpu } from "./fpu/fpu.ts";
import { MXCSR_INIT } from "./simd/fxsr.ts";
import { Jit, type Block } from "./jit/jit.ts";
import { JIT_KEY_16, JIT_KEY_32, JIT_KEY_FLAT_ALL, jitKeyFlat } from "./jit/params.ts";
import { STATE_JIT_KEY } from "../memory/layout.ts";
import {
  CPU_SIGNATURE,
  FEAT_CMOV,
  FEAT_CX8,
  FEAT_FPU,
  FEAT_CLFSH,
  FEAT_FXSR,
  FEAT_MMX,
  FEAT_SSE,
  FEAT_SSE2,
  FEAT_MSR,
  FEAT_PGE,
  FEAT_PSE,
  FEAT_SEP,
  FEAT_TSC,
  cpuidLeaf,
  type CpuidModel,
} from "./cpuid.ts";

/** MSR numbers this CPU implements itself (SDM Vol. 4). */
export const MSR_TSC = 0x10,
  MSR_PLATFORM_ID = 0x17,
  MSR_BIOS_SIGN = 0x8b;
export const MSR_SYSENTER_CS = 0x174,
  MSR_SYSENTER_ESP = 0x175,
  MSR_SYSENTER_EIP = 0x176;
import type { PhysicalMemory } from "../memory/physical-memory.ts";
import type { Dispatcher } from "../dispatch/dispatcher.ts";

/** Which EFLAGS bits exist on this CPU. */
const FLAGS_IMPLEMENTED = STATUS_FLAGS | TF | IF | DF | IOPL | NT | RF | VM | AC | ID;

export class Cpu extends CpuAccess {
  readonly io: Dispatcher;
  readonly ops: Handler[] = EXEC_TABLE;
  /** The x87 FPU (fpu/fpu.ts); reset with the CPU. */
  readonly fpu = new Fpu(this);
  /**
   * XMM0-7 (four int32 each, low dword first) and MXCSR: the SSE state FXSAVE and FXRSTOR move
   * (simd/fxsr.ts). No SSE instruction uses them yet; they are saved in snapshots.
   */
  readonly xmm = new Int32Array(32);
  mxcsr = MXCSR_INIT;
  events = 0;
  halted = false;
  /** Set when the CPU stopped for good (triple fault); the machine must reset it. */
  shutdownReason: string | null = null;
  /** Acknowledges the pending external interrupt and returns its vector (the PIC's INTA cycle). */
  intAck: () => number = () => 0x08;
  /** REP prefix of the current instruction: 0, 0xF2 or 0xF3. */
  rep = 0;
  /** Instructions executed before the current run() call (a double: exact up to 2^53). */
  instret = 0;
  /** Instructions executed so far in the current run() call, as last published by the loop. */
  sliceN = 0;
  /** Diagnostics: called for every exception before it is delivered (debuggers, tracing). */
  onFault: ((vec: number, code: number) => void) | null = null;
  /** Nesting of exception deliveries, for double and triple faults. */
  private delivering = 0;

  /** Compiled blocks of 32-bit code (jit/). */
  readonly jit: Jit;
  private jitEnabled = true;
  /** The run loop looks for compiled blocks: JIT enabled and 32-bit code. */
  jitActive = false;
  /** The block running now, and the EIP of its first instruction (for faults inside it). */
  jitBlock: Block | null = null;
  jitEip0 = 0;
  /** Instructions retired by earlier iterations of the running block, if it loops. */
  jitDone = 0;
  /**
   * What compiled code may assume now (jit/params.ts JIT_KEY_*): the code size, and which
   * segment registers are flat. Kept in the state block too (STATE_JIT_KEY), where the
   * WebAssembly dispatcher reads it.
   */
  jitKey = JIT_KEY_16;
  private readonly jitKeyCell = new Int32Array(this.stateBuf, STATE_JIT_KEY, 1);

  /**
   * What CPUID reports: the features this CPU implements (FCMOV/FCOMI come with FPU + CMOV; MMX
   * and FXSAVE/FXRSTOR in simd/). Not SSE or SSE2: their instructions are not implemented.
   */
  readonly cpuidModel: CpuidModel = {
    features:
      FEAT_FPU |
      FEAT_PSE |
      FEAT_TSC |
      FEAT_MSR |
      FEAT_CX8 |
      FEAT_SEP |
      FEAT_PGE |
      FEAT_CMOV |
      FEAT_CLFSH |
      FEAT_MMX |
      FEAT_FXSR |
      FEAT_SSE |
      FEAT_SSE2,
  };
  /** SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP. */
  readonly sysenter = new Int32Array(3);
  /** TSC = tsc() + tscOffset (WRMSR to the TSC moves the offset). */
  private tscOffset = 0;

  constructor(mem: PhysicalMemory, io: Dispatcher) {
    super(mem);
    this.io = io;
    this.jit = new Jit(this);
    mem.onMmio = (write) => io.mmio(write);
    if (!io.handlers.cpuid) io.handlers.cpuid = (leaf, _sub, out) => cpuidLeaf(this.cpuidModel, leaf, out);
    this.reset();
  }

  /** Power-on state (SDM Vol. 3 §9.1.1, table 9-1). */
  reset(): void {
    this.r32.fill(0);
    this.r32[2] = CPU_SIGNATURE; // EDX
    this.flags = FLAGS_FIXED1;
    this.lazy = 0;
    this.cr.fill(0);
    this.cr[0] = CR0_ET | 0x60000000;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.dt.fill(0);
    this.dt[DT_GDT_LIMIT] = 0xffff;
    this.dt[DT_IDT_LIMIT] = 0xffff;
    for (let s = 0; s < 6; s++) this.setSegReal(s, 0, 0xffff, 0x93);
    this.setSegReal(CS, 0xf000, 0xffff, 0x9b);
    this.segBase[CS] = 0xffff0000 | 0;
    this.setEip(0xfff0);
    this.setCpl(0);
    this.modeChanged();
    this.events &= EV_INTR;
    this.halted = false;
    this.shutdownReason = null;
    this.rep = 0;
    this.delivering = 0;
    this.fpu.reset();
    this.xmm.fill(0); // SDM Vol. 3 table 9-1: XMM registers +0, MXCSR 1F80h
    this.mxcsr = MXCSR_INIT;
    this.flushTlb();
    this.jit.flush();
    this.jitBlock = null;
  }

  /** The run loop looks for blocks: the JIT is on, and the code is 32-bit or blocks compile to WebAssembly (every code size). */
  updateJitActive(): void {
    this.jitActive = this.jitEnabled && (this.defOsizeBase !== 0 || this.jit.backend === "wasm");
  }

  /** Turns block compilation on or off (off: every instruction is interpreted). */
  setJitEnabled(on: boolean): void {
    this.jitEnabled = on;
    if (!on) this.jit.flush();
    this.modeChanged();
  }

  // ---- the run loop

  /**
   * Executes up to budget instructions. Returns the number executed; fewer when the CPU halts,
   * shuts down or is asked to stop.
   */
  run(budget: number): number {
    if (this.shutdownReason !== null) return 0;
    if (this.halted && !this.wakeFromHalt()) return 0;
    this.sliceN = 0;
    const n = runLoop(this, budget);
    this.instret += n;
    this.sliceN = 0;
    return n;
  }

  /** Asks the run loop to return at the next instruction boundary. */
  requestStop(): void {
    this.events |= EV_STOP;
  }

  /** The interrupt controller's INTR output. */
  setIntr(level: boolean): void {
    if (level) this.events |= EV_INTR;
    else this.events &= ~EV_INTR;
  }

  /** True when a maskable interrupt would be taken now. */
  /**
   * Nothing can happen at the next instruction boundaries: no event, or only an interrupt
   * request that IF masks. Compiled blocks run then (an instruction that sets IF leaves them).
   */
  jitQuiet(): boolean {
    return this.events === 0 || (this.events === EV_INTR && (this.flags & IF) === 0);
  }

  private intrDeliverable(): boolean {
    return (this.events & EV_INTR) !== 0 && (this.flags & IF) !== 0;
  }

  private wakeFromHalt(): boolean {
    if (this.intrDeliverable() || (this.events & EV_NMI) !== 0) {
      this.halted = false;
      return true;
    }
    return false;
  }

  /**
   * Work due at an instruction boundary. Returns true when the run loop must return.
   * Order (SDM Vol. 3 §6.9): the previous instruction's single-step trap, then NMI, then INTR.
   */
  boundary(): boolean {
    const ev = this.events;
    if (ev & EV_STOP) {
      this.events &= ~EV_STOP;
      return true;
    }
    if (ev & EV_SHADOW_SS) {
      // MOV SS / POP SS: the next instruction runs before any interrupt or trap.
      this.events &= ~(EV_SHADOW_SS | EV_SHADOW_STI);
      this.armTrap();
      return false;
    }
    try {
      if (ev & EV_TRAP) {
        this.events &= ~EV_TRAP;
        this.dr[6] |= 0x4000; // BS
        this.r32[START_EIP] = this.getEip();
        this.interrupt(V_DB, false, this.getEip(), -1);
      }
      if (this.events & EV_SHADOW_STI) {
        this.events &= ~EV_SHADOW_STI;
      } else if (this.events & EV_NMI) {
        this.events &= ~EV_NMI;
        this.r32[START_EIP] = this.getEip();
        this.interrupt(V_NMI, false, this.getEip(), -1);
      } else if (this.intrDeliverable()) {
        const vec = this.intAck();
        this.io.interrupt();
        this.r32[START_EIP] = this.getEip();
        this.interrupt(vec & 0xff, false, this.getEip(), -1);
      }
    } catch (e) {
      if (e !== FAULT) throw e;
      this.deliverFault();
      if (this.shutdownReason !== null) return true;
    }
    this.armTrap();
    return false;
  }

  /** If TF is set at the start of an instruction, a debug trap follows it. */
  private armTrap(): void {
    if (this.flags & TF) this.events |= EV_TRAP | EV_TF;
    else this.events &= ~EV_TF;
  }

  // ---- exceptions and interrupts

  /** Delivers the exception recorded by fault(): EIP back to the instruction's first byte. */
  deliverFault(): void {
    this.clearPrefixes();
    this.io.exception();
    const vec = this.faultVec,
      code = this.faultCode;
    this.setEip(this.r32[START_EIP]);
    this.onFault?.(vec, code);
    if (this.delivering > 0) {
      // A fault while delivering an exception: double fault, or shutdown after that.
      if (this.delivering > 1 || vec === V_DF) {
        this.shutdown(`triple fault (vector ${vec} while delivering a double fault)`);
        return;
      }
      this.delivering++;
    } else {
      this.delivering = 1;
    }
    try {
      const v = this.delivering > 1 ? V_DF : vec;
      this.interrupt(v, false, this.getEip(), this.delivering > 1 ? 0 : code);
      this.delivering = 0;
    } catch (e) {
      if (e !== FAULT) throw e;
      this.deliverFault();
    }
  }

  private shutdown(reason: string): void {
    this.shutdownReason = reason;
    this.events |= EV_STOP;
    this.io.shutdown(reason);
  }

  /**
   * Transfers control through interrupt vector vec. soft: raised by INT n/INT3/INTO (privilege
   * checks differ in protected mode). retEip: the EIP pushed. code: error code or -1.
   */
  interrupt(vec: number, soft: boolean, retEip: number, code: number): void {
    if (this.cr[0] & CR0_PE) interruptProtected(this, vec, soft, retEip, code);
    else this.interruptReal(vec, retEip);
  }

  /** Real-mode interrupt: push FLAGS, CS, IP; clear IF, TF, AC; jump through the IVT. */
  private interruptReal(vec: number, retEip: number): void {
    const base = this.dt[DT_IDT_BASE];
    if (vec * 4 + 3 > this.dt[DT_IDT_LIMIT] >>> 0) this.fault(V_GP, -1);
    const entry = (base + vec * 4) | 0;
    const ip = this.rd16(entry);
    const cs = this.rd16(entry + 2);
    const flags = this.getFlags();
    // Write the three words before moving SP, so a stack fault leaves SP as it was.
    this.poke16(-2, flags);
    this.poke16(-4, this.sreg[CS]);
    this.poke16(-6, retEip);
    this.setSp(this.spAdd(-6));
    this.flags &= ~(IF | TF | AC | RF);
    this.events &= ~(EV_TF | EV_TRAP);
    this.loadSegReal(CS, cs);
    this.setEip(ip);
  }

  // ---- segments

  /** Loads a segment register from a selector in the current mode (MOV/POP/LxS/far transfers). */
  loadSeg(s: number, sel: number): void {
    if ((this.cr[0] & CR0_PE) === 0 || (this.flags & VM) !== 0) this.loadSegReal(s, sel);
    else loadSegProtected(this, s, sel);
    if (s === SS) this.events |= EV_SHADOW_SS;
  }

  /** Real and virtual-8086 mode: base = selector * 16; the cached limit and attributes stay. */
  loadSegReal(s: number, sel: number): void {
    sel &= 0xffff;
    this.sreg[s] = sel;
    this.segBase[s] = sel << 4;
    if (this.flags & VM) {
      this.segLimit[s] = 0xffff;
      this.updateSegBounds(s);
    } else this.updateFlat(s);
    if (s === CS) this.invalidateFetch();
  }

  /** Sets a segment register and its whole cache as real mode does at reset. */
  setSegReal(s: number, sel: number, limit: number, access: number): void {
    this.sreg[s] = sel;
    this.segBase[s] = sel << 4;
    this.segLimit[s] = limit;
    this.segAttr[s] = access;
    this.updateSegBounds(s);
    if (s === CS) this.invalidateFetch();
  }

  /** Recomputes the fast-path bounds of segment s from its cache (see CpuState.segLimR). */
  updateSegBounds(s: number): void {
    const attr = this.segAttr[s];
    const lim = (this.segLimit[s] >>> 0) + 1;
    const isCode = (attr & 0x08) !== 0;
    const expandDown = !isCode && (attr & 0x04) !== 0;
    const protectedMode = (this.cr[0] & CR0_PE) !== 0 && (this.flags & VM) === 0;
    if (!protectedMode) {
      this.segLimR[s] = lim;
      this.segLimW[s] = lim;
    } else {
      const usable = (attr & 0x80) !== 0;
      const readable = !isCode || (attr & 0x02) !== 0;
      const writable = !isCode && (attr & 0x02) !== 0;
      this.segLimR[s] = usable && readable && !expandDown ? lim : 0;
      this.segLimW[s] = usable && writable && !expandDown ? lim : 0;
    }
    this.updateFlat(s);
  }

  /**
   * Sets segment s's flat bit of the JIT key: base 0, and reads and writes allowed at every
   * offset as far as 4 GiB (the fast-path bounds).
   */
  private updateFlat(s: number): void {
    const flat = this.segBase[s] === 0 && this.segLimR[s] >= 2 ** 32 && this.segLimW[s] >= 2 ** 32;
    this.setJitKey(flat ? this.jitKey | jitKeyFlat(s) : this.jitKey & ~jitKeyFlat(s));
  }
  private setJitKey(key: number): void {
    this.jitKey = key;
    this.jitKeyCell[0] = key;
  }

  /** Re-derives mode-dependent defaults (operand/address size, stack width) from CS and SS. */
  modeChanged(): void {
    const big = (this.cr[0] & CR0_PE) !== 0 && (this.flags & VM) === 0 && (this.segAttr[CS] & 0x4000) !== 0;
    this.defOsizeBase = big ? 512 : 0;
    this.defAsize32 = big;
    this.setJitKey((this.jitKey & JIT_KEY_FLAT_ALL) | (big ? JIT_KEY_32 : JIT_KEY_16));
    this.updateJitActive();
    this.ss32 = (this.cr[0] & CR0_PE) !== 0 && (this.flags & VM) === 0 && (this.segAttr[SS] & 0x4000) !== 0;
    this.clearPrefixes();
    for (let s = 0; s < 6; s++) this.updateSegBounds(s);
    this.invalidateFetch();
  }

  /** Resets the prefix state to the code segment's defaults. */
  clearPrefixes(): void {
    this.osizeBase = this.defOsizeBase;
    this.asize32 = this.defAsize32;
    this.dsSeg = DS;
    this.ssSeg = SS;
    this.rep = 0;
  }

  // ---- EFLAGS

  /**
   * Writes EFLAGS from POPF/IRET and friends. mask: the bits the instruction may change in
   * the current mode (IOPL/IF/VM rules are the caller's).
   */
  writeFlags(value: number, mask: number): void {
    this.materialize();
    mask &= FLAGS_IMPLEMENTED;
    this.flags = (this.flags & ~mask) | (value & mask) | FLAGS_FIXED1;
    if (this.flags & TF) this.events |= EV_TF;
  }

  /** Sets IF as STI does; the interrupt shadow applies when IF goes from 0 to 1. */
  sti(): void {
    if ((this.flags & IF) === 0) {
      this.flags |= IF;
      this.events |= EV_SHADOW_STI;
    }
  }

  /** HLT: stop until an interrupt arrives. */
  halt(): void {
    this.io.hlt();
    this.halted = true;
    this.events |= EV_STOP;
  }

  // ---- services the handlers use

  /** INT n. */
  softInt(vec: number): void {
    if (this.flags & VM && (this.flags & IOPL) >> 12 < 3) this.fault(V_GP, 0);
    this.interrupt(vec, true, this.getEip(), -1);
  }

  /**
   * Permission for port I/O of len bytes at port: always in real mode; in protected mode when
   * CPL <= IOPL, else (and always in virtual-8086 mode) by the TSS I/O permission bitmap.
   */
  checkIo(port: number, len: number): void {
    if ((this.cr[0] & CR0_PE) === 0) return;
    if ((this.flags & VM) === 0 && this.cpl <= (this.flags & IOPL) >> 12) return;
    // The I/O permission bitmap of a 32-bit TSS: every bit of the accessed ports must be clear.
    const type = this.dt[DT_TR_ATTR] & 15;
    const base = this.dt[DT_TR_BASE],
      limit = this.dt[DT_TR_LIMIT] >>> 0;
    if ((type !== 9 && type !== 11) || limit < 0x67) this.fault(V_GP, 0);
    const map = this.rdSys32((base + 0x64) | 0) >>> 16;
    const at = map + (port >>> 3);
    if (at + 1 > limit) this.fault(V_GP, 0);
    const bits = this.rdSys32((base + at) | 0) >>> (port & 7);
    if (bits & ((1 << len) - 1)) this.fault(V_GP, 0);
  }

  /** Instructions retired so far, including the current slice (for clocks and the TSC). */
  retired(): number {
    return this.instret + this.sliceN;
  }

  /** Time-stamp counter. The machine replaces this with its clock; the default counts instructions. */
  tsc: () => number = () => this.retired();

  /** The time-stamp counter as a double (exact to 2^53). */
  readTsc(): number {
    return this.tsc() + this.tscOffset;
  }

  /** RDMSR: false means #GP. */
  readMsr(index: number, out: Int32Array): boolean {
    switch (index >>> 0) {
      case MSR_TSC: {
        const t = this.readTsc();
        out[0] = t % 4294967296;
        out[1] = Math.floor(t / 4294967296);
        return true;
      }
      case MSR_SYSENTER_CS:
        out[0] = this.sysenter[0];
        out[1] = 0;
        return true;
      case MSR_SYSENTER_ESP:
        out[0] = this.sysenter[1];
        out[1] = 0;
        return true;
      case MSR_SYSENTER_EIP:
        out[0] = this.sysenter[2];
        out[1] = 0;
        return true;
      case MSR_BIOS_SIGN:
        out[0] = 0;
        out[1] = 0;
        return true; // microcode revision: none loaded
      case MSR_PLATFORM_ID:
        out[0] = 0;
        out[1] = 0;
        return true;
      default:
        return this.io.rdmsr(index, out);
    }
  }
  writeMsr(index: number, lo: number, hi: number): boolean {
    switch (index >>> 0) {
      case MSR_TSC:
        this.tscOffset = (hi >>> 0) * 4294967296 + (lo >>> 0) - this.tsc();
        return true;
      case MSR_SYSENTER_CS:
        this.sysenter[0] = lo & 0xffff;
        return true;
      case MSR_SYSENTER_ESP:
        this.sysenter[1] = lo;
        return true;
      case MSR_SYSENTER_EIP:
        this.sysenter[2] = lo;
        return true;
      case MSR_BIOS_SIGN:
        return true; // written before CPUID to latch the microcode revision
      default:
        return this.io.wrmsr(index, lo, hi);
    }
  }

  /** MOV to CR0/CR2/CR3/CR4. */
  writeCr(n: number, value: number): void {
    const old = this.cr[n];
    // SDM Vol. 3 §2.5 and MOV (control registers): #GP(0) for PG without PE, NW without CD,
    // and CR4 bits this CPU does not implement.
    if (n === 0) {
      value |= CR0_ET;
      if (value & 0x80000000 && !(value & CR0_PE)) this.fault(V_GP, 0);
      if (value & CR0_NW && !(value & CR0_CD)) this.fault(V_GP, 0);
    }
    if (n === 4 && value & ~CR4_SUPPORTED) this.fault(V_GP, 0);
    this.cr[n] = value;
    this.io.crWrite(n, value);
    if (n === 0 && ((old ^ value) & (CR0_PE | 0x80000000 | 0x10000)) !== 0) {
      this.modeChanged();
      this.flushTlb();
    }
    // A CR3 load keeps the entries of global pages (SDM Vol. 3 §4.10.4.1); a change of CR4 drops all.
    if (n === 3) this.flushTlb(true);
    else if (n === 4 && old !== value) this.flushTlb();
  }

  /** INVLPG: drop the translation of one linear page. */
  invlpg(lin: number): void {
    this.flushTlbPage(lin);
  }

  // ---- diagnostics

  /** Changes the current privilege level (CS.RPL after a far transfer). */
  setCpl(cpl: number): void {
    if (cpl !== this.cpl) {
      this.cpl = cpl;
      this.selectTlb(cpl);
    }
  }

  /** A one-line register summary for error messages and the debugger. */
  describe(): string {
    const h = (v: number, w = 8) => (v >>> 0).toString(16).padStart(w, "0");
    const r = this.r32;
    return (
      `eax=${h(r[0])} ebx=${h(r[3])} ecx=${h(r[1])} edx=${h(r[2])} esi=${h(r[6])} edi=${h(r[7])} ` +
      `ebp=${h(r[5])} esp=${h(r[4])} cs:eip=${h(this.sreg[CS], 4)}:${h(this.getEip())} ss=${h(this.sreg[SS], 4)} ` +
      `ds=${h(this.sreg[DS], 4)} es=${h(this.sreg[ES], 4)} fs=${h(this.sreg[FS], 4)} gs=${h(this.sreg[GS], 4)} ` +
      `flags=${h(this.getFlags())}`
    );
  }
}
