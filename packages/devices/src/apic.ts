// The local APIC (xAPIC, SDM Vol. 3 chapter 11) and the 82093AA I/O APIC, for one CPU.
//
// Local APIC at FEE00000h (IA32_APIC_BASE, MSR 1Bh, enables it; the base does not move): ID,
// version, TPR/PPR, EOI, SVR, ISR/TMR/IRR, ESR, ICR (fixed and NMI IPIs whose destination, physical
// or logical, names this APIC), the
// LVT (timer, thermal, performance, LINT0, LINT1, error) and the timer (divide configuration,
// initial and current count, one-shot and periodic), which counts machine time at 100 MHz
// before its divider. The 8259's INTR is LINT0: while the APIC is software-disabled (SVR bit 8
// clear, as at reset) or LINT0 is unmasked in ExtINT mode, the 8259's interrupts pass straight
// through (virtual wire), so DOS and everything that never touches the APIC see a plain 8259.
// The CPU asks acknowledge() for a vector: the APIC's highest pending one above the processor
// priority, else the 8259's.
//
// I/O APIC at FEC00000h: IOREGSEL at +0, IOWIN at +10h; ID, version (24 entries), arbitration
// and the 24 redirection entries (vector, fixed/lowest-priority/ExtINT delivery, edge or level
// trigger with remote IRR, mask). Every entry goes to this CPU's local APIC. Inputs are
// "asserted" or not; the entries' polarity bit is kept but not applied (the board's lines
// are already active when raised).
//
// Not modelled: other CPUs (INIT/SIPI IPIs are accepted and ignored), x2APIC, NMI/SMI/INIT
// delivery modes through the I/O APIC (treated as fixed), the thermal and performance sources.

import {
  defineState,
  bits,
  bool,
  int,
  ints,
  num,
  u32,
  u8,
  type StateRecord,
  type Stateful,
  type TimeSource,
} from "@x86vm/core";
import type { IrqLine } from "./irq.ts";

export const LAPIC_DEFAULT_BASE = 0xfee00000;
export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const MSR_APIC_BASE = 0x1b;
/** The I/O APIC's ID as the firmware leaves it (the CPU's local APIC is ID 0). */
export const IOAPIC_ID = 1;
const APIC_BASE_BSP = 1 << 8,
  APIC_BASE_ENABLE = 1 << 11;
/** The timer's input clock before the divider: 100 MHz. */
export const APIC_BUS_HZ = 100_000_000;
const NS_PER_BUS_TICK = 1e9 / APIC_BUS_HZ;
/** LocalApic.timerStart of a count written during the current slice (it starts at its end). */
export const TIMER_PENDING = -1;

/** Register offsets. */
export const LAPIC_ID = 0x20,
  LAPIC_VERSION = 0x30,
  LAPIC_TPR = 0x80,
  LAPIC_APR = 0x90,
  LAPIC_PPR = 0xa0,
  LAPIC_EOI = 0xb0,
  LAPIC_LDR = 0xd0,
  LAPIC_DFR = 0xe0,
  LAPIC_SVR = 0xf0,
  LAPIC_ISR = 0x100,
  LAPIC_TMR = 0x180,
  LAPIC_IRR = 0x200,
  LAPIC_ESR = 0x280,
  LAPIC_ICR_LO = 0x300,
  LAPIC_ICR_HI = 0x310,
  LAPIC_LVT_TIMER = 0x320,
  LAPIC_LVT_THERMAL = 0x330,
  LAPIC_LVT_PERF = 0x340,
  LAPIC_LVT_LINT0 = 0x350,
  LAPIC_LVT_LINT1 = 0x360,
  LAPIC_LVT_ERROR = 0x370,
  LAPIC_TIMER_INITIAL = 0x380,
  LAPIC_TIMER_CURRENT = 0x390,
  LAPIC_TIMER_DIVIDE = 0x3e0;

/** Version 14h (integrated APIC), six LVT entries (max LVT index 5). */
const VERSION = 0x00050014;
export const LVT_MASKED = 1 << 16,
  LVT_LEVEL = 1 << 15,
  LVT_TIMER_PERIODIC = 1 << 17;
/** ICR destination mode: logical. */
const ICR_LOGICAL = 1 << 11;
const LVT_MODE_SHIFT = 8,
  MODE_FIXED = 0,
  MODE_NMI = 4,
  MODE_EXTINT = 7;
export const SVR_ENABLE = 1 << 8;
const LVT_COUNT = 6;
/** Writable bits of each LVT entry: timer, thermal, perf, LINT0, LINT1, error. */
const LVT_WRITABLE = [0x300ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];

export interface LocalApicHooks {
  /** The CPU's INTR input. */
  setIntr(level: boolean): void;
  /** The 8259's interrupt acknowledge (vector), for ExtINT. */
  picAck(): number;
  /** An NMI to the CPU (LINT1 in NMI mode). */
  nmi?(): void;
  /** An EOI for a level-triggered vector: the I/O APIC clears its remote IRR. */
  eoi?(vector: number): void;
}

export class LocalApic implements Stateful {
  /** IA32_APIC_BASE: base FEE00000h, bootstrap processor, enabled. */
  baseMsr = (LAPIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_ENABLE) >>> 0;
  id = 0;
  tpr = 0;
  ldr = 0;
  dfr = -1;
  svr = 0xff;
  esr = 0;
  icrLo = 0;
  icrHi = 0;
  /** 256-bit in-service, trigger-mode and request registers, 8 words each. */
  readonly isr = new Int32Array(8);
  readonly tmr = new Int32Array(8);
  readonly irr = new Int32Array(8);
  readonly lvt = new Int32Array(LVT_COUNT).fill(LVT_MASKED);
  divide = 0;
  initialCount = 0;
  /**
   * Machine ns when the current count last started from the initial count, or TIMER_PENDING: a
   * count written during the CPU's current slice, which starts when the slice ends (advance).
   */
  timerStart = 0;
  /** The 8259's INTR output as LINT0 sees it. */
  pic = false;
  private intr = false;

  /**
   * clock: machine time. sliceClock: the time register accesses count from, by default the
   * same. On the PC it is the time at the start of the CPU's current slice: an access comes from
   * a MOV to memory, and the CPU counts the instructions of a slice for such an instruction
   * only at some of them (compiled code at other ones than interpreted code), so the exact time
   * inside a slice is not the same in a machine that runs the code compiled and in one that
   * interprets it (a resumed snapshot). A count written in a slice starts when it ends.
   */
  constructor(
    private readonly clock: TimeSource,
    private readonly hooks: LocalApicHooks,
    private readonly sliceClock: TimeSource = clock,
  ) {}

  /** Power-on state (CPU reset: the APIC is enabled, software-disabled, every LVT masked). */
  reset(): void {
    this.baseMsr = (LAPIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_ENABLE) >>> 0;
    this.id = this.tpr = this.ldr = this.esr = this.icrLo = this.icrHi = this.divide = this.initialCount = 0;
    this.dfr = -1;
    this.svr = 0xff;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.lvt.fill(LVT_MASKED);
    this.update();
  }

  get enabled(): boolean {
    return (this.baseMsr & APIC_BASE_ENABLE) !== 0;
  }
  private get softwareEnabled(): boolean {
    return this.enabled && (this.svr & SVR_ENABLE) !== 0;
  }

  // ---- the 8259 on LINT0, and the CPU's INTR

  /** The 8259's INTR output (wired to LINT0). */
  setPicIntr(level: boolean): void {
    this.pic = level;
    this.update();
  }

  /** 8259 interrupts reach the CPU directly: APIC off, software-disabled, or LINT0 ExtINT unmasked. */
  private picPassesThrough(): boolean {
    if (!this.softwareEnabled) return true;
    const l = this.lvt[3];
    return (l & LVT_MASKED) === 0 && ((l >> LVT_MODE_SHIFT) & 7) === MODE_EXTINT;
  }

  /** The highest vector set in a 256-bit register, or -1. */
  private static highest(r: Int32Array): number {
    for (let w = 7; w >= 0; w--) if (r[w] !== 0) return w * 32 + 31 - Math.clz32(r[w]);
    return -1;
  }

  ppr(): number {
    const isrv = LocalApic.highest(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  /** The vector the APIC would deliver now, or -1. */
  private pendingVector(): number {
    if (!this.softwareEnabled) return -1;
    const v = LocalApic.highest(this.irr);
    return v >= 0 && (v & 0xf0) > (this.ppr() & 0xf0) ? v : -1;
  }

  /** Drives the CPU's INTR from the state as it is (after loading a record). */
  resync(): void {
    this.intr = this.pendingVector() >= 0 || (this.pic && this.picPassesThrough());
    this.hooks.setIntr(this.intr);
  }

  private update(): void {
    const level = this.pendingVector() >= 0 || (this.pic && this.picPassesThrough());
    if (level !== this.intr) {
      this.intr = level;
      this.hooks.setIntr(level);
    }
  }

  /** The CPU's interrupt acknowledge: a pending APIC vector (now in service), else the 8259's. */
  acknowledge(): number {
    const v = this.pendingVector();
    if (v >= 0) {
      this.irr[v >> 5] &= ~(1 << (v & 31));
      this.isr[v >> 5] |= 1 << (v & 31);
      this.update();
      return v;
    }
    const vec = this.hooks.picAck();
    this.update();
    return vec;
  }

  /** Accepts a fixed interrupt (from the I/O APIC, the timer, an LVT entry or a self-IPI). */
  accept(vector: number, level: boolean): void {
    vector &= 0xff;
    if (vector < 16) {
      this.esr |= 0x40; // received illegal vector
      return;
    }
    this.irr[vector >> 5] |= 1 << (vector & 31);
    if (level) this.tmr[vector >> 5] |= 1 << (vector & 31);
    else this.tmr[vector >> 5] &= ~(1 << (vector & 31));
    this.update();
  }

  private eoi(): void {
    const v = LocalApic.highest(this.isr);
    if (v < 0) return;
    this.isr[v >> 5] &= ~(1 << (v & 31));
    if (this.tmr[v >> 5] & (1 << (v & 31))) this.hooks.eoi?.(v);
    this.update();
  }

  /** LINT1 (NMI on a PC) raised. */
  lint1(): void {
    const l = this.lvt[4];
    if (!this.softwareEnabled) {
      this.hooks.nmi?.();
      return;
    }
    if (l & LVT_MASKED) return;
    const mode = (l >> LVT_MODE_SHIFT) & 7;
    if (mode === MODE_NMI) this.hooks.nmi?.();
    else if (mode === MODE_FIXED) this.accept(l, (l & LVT_LEVEL) !== 0);
  }

  // ---- the timer

  private divisor(): number {
    const v = (this.divide & 3) | ((this.divide & 8) >> 1);
    return v === 7 ? 1 : 2 << v;
  }
  private tickNs(): number {
    return NS_PER_BUS_TICK * this.divisor();
  }

  /** The current count (a count written in this slice has not started yet). */
  currentCount(): number {
    if (this.initialCount === 0) return 0;
    if (this.timerStart === TIMER_PENDING) return this.initialCount;
    const ticks = Math.max(0, Math.floor((this.sliceClock.now() - this.timerStart) / this.tickNs()));
    if (this.lvt[0] & LVT_TIMER_PERIODIC) return this.initialCount - (ticks % this.initialCount);
    return Math.max(0, this.initialCount - ticks);
  }

  nextDeadline(): number {
    if (this.initialCount === 0) return Infinity;
    if (this.timerStart === TIMER_PENDING) return this.clock.now(); // starts at the next advance
    return this.timerStart + this.initialCount * this.tickNs();
  }

  advance(now: number): void {
    if (this.initialCount === 0) return;
    if (this.timerStart === TIMER_PENDING) this.timerStart = now;
    const period = this.initialCount * this.tickNs();
    if (now < this.timerStart + period) return;
    const l = this.lvt[0];
    if (!(l & LVT_MASKED) && this.softwareEnabled) this.accept(l & 0xff, false);
    if (l & LVT_TIMER_PERIODIC) {
      this.timerStart += Math.floor((now - this.timerStart) / period) * period;
    } else {
      this.initialCount = 0; // one-shot: expired, counts 0
    }
  }

  // ---- registers

  readReg(offset: number): number {
    const off = offset & 0xff0;
    if (off >= LAPIC_ISR && off < LAPIC_ISR + 0x80) return this.isr[(off - LAPIC_ISR) >> 4];
    if (off >= LAPIC_TMR && off < LAPIC_TMR + 0x80) return this.tmr[(off - LAPIC_TMR) >> 4];
    if (off >= LAPIC_IRR && off < LAPIC_IRR + 0x80) return this.irr[(off - LAPIC_IRR) >> 4];
    if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR) return this.lvt[(off - LAPIC_LVT_TIMER) >> 4];
    switch (off) {
      case LAPIC_ID:
        return this.id << 24;
      case LAPIC_VERSION:
        return VERSION;
      case LAPIC_TPR:
        return this.tpr;
      case LAPIC_APR:
        return 0;
      case LAPIC_PPR:
        return this.ppr();
      case LAPIC_LDR:
        return this.ldr;
      case LAPIC_DFR:
        return this.dfr;
      case LAPIC_SVR:
        return this.svr;
      case LAPIC_ESR:
        return this.esr;
      case LAPIC_ICR_LO:
        return this.icrLo;
      case LAPIC_ICR_HI:
        return this.icrHi;
      case LAPIC_TIMER_INITIAL:
        return this.initialCount;
      case LAPIC_TIMER_CURRENT:
        return this.currentCount();
      case LAPIC_TIMER_DIVIDE:
        return this.divide;
      default:
        return 0;
    }
  }

  writeReg(offset: number, v: number): void {
    const off = offset & 0xff0;
    if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR) {
      const i = (off - LAPIC_LVT_TIMER) >> 4;
      let x = v & LVT_WRITABLE[i];
      if (!(this.svr & SVR_ENABLE)) x |= LVT_MASKED; // masks stay set while software-disabled
      if (i === 0 && ((this.lvt[0] ^ x) & LVT_TIMER_PERIODIC) !== 0) this.restartTimerKeepingCount();
      this.lvt[i] = x;
      this.update();
      return;
    }
    switch (off) {
      case LAPIC_ID:
        this.id = (v >>> 24) & 0xff;
        return;
      case LAPIC_TPR:
        this.tpr = v & 0xff;
        this.update();
        return;
      case LAPIC_EOI:
        this.eoi();
        return;
      case LAPIC_LDR:
        this.ldr = (v & 0xff000000) >>> 0;
        return;
      case LAPIC_DFR:
        this.dfr = v | 0x0fffffff;
        return;
      case LAPIC_SVR:
        this.svr = v & 0x13ff;
        if (!(v & SVR_ENABLE)) for (let i = 0; i < LVT_COUNT; i++) this.lvt[i] |= LVT_MASKED;
        this.update();
        return;
      case LAPIC_ESR:
        this.esr = 0; // a write clears the errors
        return;
      case LAPIC_ICR_HI:
        this.icrHi = (v & 0xff000000) >>> 0;
        return;
      case LAPIC_ICR_LO:
        this.icrLo = v & 0xfffff;
        this.sendIpi();
        return;
      case LAPIC_TIMER_INITIAL:
        this.initialCount = v >>> 0;
        this.timerStart = TIMER_PENDING;
        return;
      case LAPIC_TIMER_DIVIDE:
        this.restartTimerKeepingCount(() => (this.divide = v & 0xb));
        return;
      default:
        return; // read-only or unimplemented registers ignore writes
    }
  }

  /** Keeps the current count across a change of the divider or of the timer mode. */
  private restartTimerKeepingCount(change?: () => void): void {
    const current = this.currentCount();
    change?.();
    if (this.initialCount !== 0 && this.timerStart !== TIMER_PENDING) {
      // Start a fresh run that has `current` ticks left.
      this.timerStart = this.sliceClock.now() - (this.initialCount - current) * this.tickNs();
    }
  }

  /**
   * ICR: fixed and NMI IPIs that this APIC is a destination of are delivered: shorthand self or
   * all-including-self, or no shorthand and a destination naming it, physical (its ID, or FFh)
   * or logical (its LDR bit, flat or cluster model as the DFR says). Linux sends its edge
   * interrupts' retriggers (an interrupt that came while lazily disabled) as such an IPI, in
   * logical mode to LDR bit 0.
   */
  private sendIpi(): void {
    const lo = this.icrLo;
    const mode = (lo >> 8) & 7;
    const shorthand = (lo >> 18) & 3;
    const toSelf =
      shorthand === 1 ||
      shorthand === 2 ||
      (shorthand === 0 && this.isDestination(this.icrHi >>> 24, (lo & ICR_LOGICAL) !== 0));
    if (mode === MODE_FIXED && toSelf) this.accept(lo & 0xff, false);
    else if (mode === MODE_NMI && toSelf) this.hooks.nmi?.();
    // INIT, SIPI and IPIs to other CPUs: there are none. Delivery is immediate (bit 12 stays 0).
  }

  /** Whether an 8-bit destination field names this APIC (SDM 10.6.2). */
  isDestination(dest: number, logical: boolean): boolean {
    if (dest === 0xff) return true; // broadcast, in both modes
    if (!logical) return dest === this.id;
    const ldr = this.ldr >>> 24;
    if (this.dfr >>> 28 === 0xf) return (dest & ldr) !== 0; // flat: one bit per APIC
    // Cluster: bits 7-4 the cluster (Fh: all), bits 3-0 the APICs in it.
    return (dest >> 4 === ldr >> 4 || dest >> 4 === 0xf) && (dest & ldr & 0xf) !== 0;
  }

  readMsr(out: Int32Array): void {
    out[0] = this.baseMsr;
    out[1] = 0;
  }
  writeMsr(lo: number): boolean {
    // The base stays at FEE00000h; bit 11 enables or (until reset) disables the APIC.
    if ((lo & 0xfffff000) >>> 0 !== LAPIC_DEFAULT_BASE) return false;
    this.baseMsr = ((lo & (APIC_BASE_ENABLE | 0xfffff000)) | APIC_BASE_BSP) >>> 0;
    if (!this.enabled) this.svr &= ~SVR_ENABLE;
    this.update();
    return true;
  }

  get memory() {
    return {
      read8: (o: number) => (this.readReg(o & ~3) >>> (8 * (o & 3))) & 0xff,
      write8: (o: number, v: number) => {
        if ((o & 3) === 0) this.writeReg(o, v & 0xff);
      },
      read32: (o: number) => this.readReg(o),
      write32: (o: number, v: number) => this.writeReg(o, v),
    };
  }

  static readonly STATE = defineState<LocalApic>()({
    name: "local-apic",
    version: 1,
    minVersion: 1,
    fields: {
      baseMsr: u32,
      id: u8,
      tpr: u8,
      ldr: u32,
      dfr: int(-0x80000000, 0x7fffffff),
      svr: bits(0x13ff),
      esr: u32,
      icrLo: u32,
      icrHi: u32,
      isr: ints(8, -0x80000000, 0x7fffffff),
      tmr: ints(8, -0x80000000, 0x7fffffff),
      irr: ints(8, -0x80000000, 0x7fffffff),
      lvt: ints(LVT_COUNT, 0, 0x3ffff),
      divide: bits(0xb),
      initialCount: u32,
      timerStart: num(),
      pic: bool,
    },
    postLoad: (a) => a.resync(),
  });
  readonly stateDefinition = LocalApic.STATE;
  readonly stateName = LocalApic.STATE.name;
  readonly stateVersion = LocalApic.STATE.version;
  readonly stateMinVersion = LocalApic.STATE.minVersion;
  saveState(): StateRecord {
    return LocalApic.STATE.save(this);
  }
  loadState(fields: StateRecord, version: number): void {
    LocalApic.STATE.load(this, fields, version);
  }
}

/** Redirection entry bits (low dword). */
export const RTE_MASKED = 1 << 16,
  RTE_LEVEL = 1 << 15,
  RTE_REMOTE_IRR = 1 << 14;
const RTE_WRITABLE_LO = 0x1afff; // vector, delivery mode, destination mode, polarity, trigger, mask
export const IOAPIC_PINS = 24;
const IOAPIC_VERSION = 0x00170011; // 24 entries, version 11h

export class IoApic implements Stateful {
  id = IOAPIC_ID;
  select = 0;
  /** Redirection entries: low and high dwords. */
  readonly lo = new Int32Array(IOAPIC_PINS).fill(RTE_MASKED);
  readonly hi = new Int32Array(IOAPIC_PINS);
  /** Input levels, bit n for pin n. */
  levels = 0;

  constructor(private readonly lapic: LocalApic) {}

  /** Power-on state: every entry masked (the input levels are the devices'). */
  reset(): void {
    this.id = IOAPIC_ID;
    this.select = 0;
    this.lo.fill(RTE_MASKED);
    this.hi.fill(0);
  }

  /** The line into pin n. */
  line(pin: number): IrqLine {
    return { raise: () => this.setLevel(pin, true), lower: () => this.setLevel(pin, false) };
  }

  setLevel(pin: number, level: boolean): void {
    const bit = 1 << pin;
    const was = (this.levels & bit) !== 0;
    this.levels = level ? this.levels | bit : this.levels & ~bit;
    if (level && (!was || this.lo[pin] & RTE_LEVEL)) this.deliver(pin);
  }

  private deliver(pin: number): void {
    const e = this.lo[pin];
    if (e & RTE_MASKED) return;
    const level = (e & RTE_LEVEL) !== 0;
    if (level && e & RTE_REMOTE_IRR) return;
    const mode = (e >> 8) & 7;
    if (mode === MODE_EXTINT) return; // the 8259 delivers it through LINT0
    if (level) this.lo[pin] |= RTE_REMOTE_IRR;
    this.lapic.accept(e & 0xff, level);
  }

  /** The local APIC's EOI for a level-triggered vector. */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      if ((this.lo[pin] & 0xff) !== vector || !(this.lo[pin] & RTE_REMOTE_IRR)) continue;
      this.lo[pin] &= ~RTE_REMOTE_IRR;
      if (this.levels & (1 << pin)) this.deliver(pin);
    }
  }

  private readData(): number {
    const r = this.select;
    if (r === 0) return this.id << 24;
    if (r === 1) return IOAPIC_VERSION;
    if (r === 2) return this.id << 24;
    if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
      const pin = (r - 0x10) >> 1;
      return r & 1 ? this.hi[pin] : this.lo[pin];
    }
    return 0;
  }

  private writeData(v: number): void {
    const r = this.select;
    if (r === 0) {
      this.id = (v >>> 24) & 0x0f;
      return;
    }
    if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
      const pin = (r - 0x10) >> 1;
      if (r & 1) {
        this.hi[pin] = v & 0xff000000;
        return;
      }
      this.lo[pin] = (this.lo[pin] & ~RTE_WRITABLE_LO) | (v & RTE_WRITABLE_LO);
      if (!(this.lo[pin] & RTE_LEVEL)) this.lo[pin] &= ~RTE_REMOTE_IRR;
      // A level input still asserted is delivered once unmasked.
      if (this.levels & (1 << pin) && this.lo[pin] & RTE_LEVEL) this.deliver(pin);
    }
  }

  get memory() {
    const read = (o: number) => (o === 0 ? this.select : o === 0x10 ? this.readData() : 0);
    const write = (o: number, v: number) => {
      if (o === 0) this.select = v & 0xff;
      else if (o === 0x10) this.writeData(v);
    };
    return {
      read8: (o: number) => (read(o & ~3) >>> (8 * (o & 3))) & 0xff,
      write8: (o: number, v: number) => {
        if ((o & ~3) === 0 && (o & 3) === 0) this.select = v & 0xff;
      },
      read32: (o: number) => read(o),
      write32: (o: number, v: number) => write(o, v),
    };
  }

  static readonly STATE = defineState<IoApic>()({
    name: "io-apic",
    version: 1,
    minVersion: 1,
    fields: {
      id: int(0, 15),
      select: u8,
      lo: ints(IOAPIC_PINS, -0x80000000, 0x7fffffff),
      hi: ints(IOAPIC_PINS, -0x80000000, 0x7fffffff),
      levels: int(0, 0xffffff),
    },
  });
  readonly stateDefinition = IoApic.STATE;
  readonly stateName = IoApic.STATE.name;
  readonly stateVersion = IoApic.STATE.version;
  readonly stateMinVersion = IoApic.STATE.minVersion;
  saveState(): StateRecord {
    return IoApic.STATE.save(this);
  }
  loadState(fields: StateRecord, version: number): void {
    IoApic.STATE.load(this, fields, version);
  }
}
