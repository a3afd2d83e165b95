// Memory access as the CPU sees it: segment checks, linear-to-physical translation through a
// TLB, instruction fetch, ModRM/SIB effective addresses, and the stack.
//
// The TLB holds, per 4 KiB linear page, the complement of (physical page XOR linear page) for
// pages that are plain RAM, or 0 for none: a hit costs one typed-array load and a NOT,
// physical = linear ^ ~entry, and a table the CPU never filled is all zeros, so the 16 MiB of
// tables cost host memory only for the pages a guest's linear addresses use. Reads and writes
// have separate tables so that ROM and pages holding compiled code (jit/) can be readable fast
// but written through the slow path. Misses, MMIO and page-crossing
// accesses take the slow path, which walks the page tables when paging is on.

import { FAULT } from "./fault.ts";
import { CpuState } from "./state.ts";
import { CR0_PG, CS, DS, EBP, EBX, EDI, ESI, ESP, SS, START_EIP, V_GP, V_SS, VM } from "./regs.ts";
import { probe, walk, walkResult } from "./paging.ts";
import type { PhysicalMemory } from "../memory/physical-memory.ts";
import {
  STATE_PIP_DELTA,
  STATE_TLB_USED,
  TLB_ENTRIES,
  TLB_READ_SUPER,
  TLB_READ_USER,
  TLB_WRITE_SUPER,
  TLB_WRITE_USER,
} from "../memory/layout.ts";

/** Beyond this many filled entries a flush clears the filled chunks instead of the list. */
const TLB_LIST_MAX = 4096;
/** Physical pages from 2 GiB up are never in the TLB (see fill). */
const TLB_MAX_PPN = 0x80000;
/** Chunks of 1,024 entries (4 KiB of each table), marked when an entry in them is filled. */
const TLB_CHUNK_SHIFT = 10;
const TLB_CHUNKS = TLB_ENTRIES >>> TLB_CHUNK_SHIFT;

const BX = EBX << 1,
  SI = ESI << 1,
  DI = EDI << 1,
  BP = EBP << 1,
  SP = ESP << 1;

export class CpuAccess extends CpuState {
  readonly mem: PhysicalMemory;
  readonly ram: Uint8Array;
  /**
   * The same RAM as 32-bit words, for aligned accesses (one load instead of four). Typed arrays
   * use the host's byte order; every host this runs on is little-endian, like the guest.
   */
  readonly ram32: Int32Array;
  /**
   * TLBs for supervisor and user accesses, in the VM memory (memory/layout.ts) where compiled
   * code reads them too; tlbR/tlbW point at the pair for the current CPL.
   */
  private readonly tlbRS: Int32Array;
  private readonly tlbWS: Int32Array;
  private readonly tlbRU: Int32Array;
  private readonly tlbWU: Int32Array;
  tlbR: Int32Array;
  tlbW: Int32Array;
  private readonly tlbList = new Int32Array(TLB_LIST_MAX);
  private tlbCount = 0;
  private tlbOverflow = false;
  private readonly tlbChunks = new Uint8Array(TLB_CHUNKS);
  /** A bit per linear page: its entries came from a global mapping (PTE G with CR4.PGE), which a CR3 load keeps. */
  private readonly tlbGlobal = new Uint32Array(TLB_ENTRIES >>> 5);

  /** Operand-size dispatch base (0 for 16-bit, 512 for 32-bit) and address size of the current instruction. */
  osizeBase = 0;
  asize32 = false;
  /** Defaults from the code segment's D bit. */
  defOsizeBase = 0;
  defAsize32 = false;
  /** Stack width from SS's B bit. */
  ss32 = false;
  /** Segments used for DS-default and SS-default addressing; a segment prefix sets both. */
  dsSeg = DS;
  ssSeg = SS;
  /** Segment chosen by the last effective-address computation. */
  eaSeg = DS;

  /** Exception raised by the current instruction: vector, error code (or -1 for none). */
  faultVec = 0;
  faultCode = -1;

  constructor(mem: PhysicalMemory) {
    const buf = mem.vm.buffer;
    super(buf);
    this.mem = mem;
    this.ram = mem.ram;
    this.ram32 = new Int32Array(buf, mem.ram.byteOffset, mem.ram.length >>> 2);
    this.tlbRS = new Int32Array(buf, TLB_READ_SUPER, TLB_ENTRIES);
    this.tlbWS = new Int32Array(buf, TLB_WRITE_SUPER, TLB_ENTRIES);
    this.tlbRU = new Int32Array(buf, TLB_READ_USER, TLB_ENTRIES);
    this.tlbWU = new Int32Array(buf, TLB_WRITE_USER, TLB_ENTRIES);
    // A fresh memory's tables are zero (empty) and stay untouched; a memory a CPU used before
    // (the state block says so) may hold entries.
    const used = new Int32Array(buf, STATE_TLB_USED, 1);
    if (used[0] !== 0) {
      for (const t of [this.tlbRS, this.tlbWS, this.tlbRU, this.tlbWU]) t.fill(0);
    }
    used[0] = 1;
    this.tlbR = this.tlbRS;
    this.tlbW = this.tlbWS;
    mem.onMapChange = () => this.flushTlb();
  }

  // ---- faults

  /** Raises exception vec (error code, or -1 for none) in the guest. Never returns. */
  fault(vec: number, code = -1): never {
    this.faultVec = vec;
    this.faultCode = code;
    throw FAULT;
  }

  // ---- TLB

  /**
   * Empties the TLB. keepGlobal (a CR3 load): the entries of global mappings stay, as the SDM
   * (Vol. 3 §4.10.2.4) lets them; they came from page-table entries with G set while CR4.PGE
   * was on, and any change of CR4 or of CR0's paging bits empties the TLB entirely.
   */
  flushTlb(keepGlobal = false): void {
    if (keepGlobal && !this.tlbOverflow) return this.flushNonGlobal();
    const global = this.tlbGlobal;
    if (this.tlbOverflow) {
      // Only the stretches of 1,024 entries that were filled: the others are still zero.
      const chunks = this.tlbChunks;
      for (let k = 0; k < TLB_CHUNKS; k++) {
        if (chunks[k] === 0) continue;
        chunks[k] = 0;
        const from = k << TLB_CHUNK_SHIFT,
          to = from + (1 << TLB_CHUNK_SHIFT);
        this.tlbRS.fill(0, from, to);
        this.tlbWS.fill(0, from, to);
        this.tlbRU.fill(0, from, to);
        this.tlbWU.fill(0, from, to);
        global.fill(0, from >>> 5, to >>> 5);
      }
    } else {
      const list = this.tlbList;
      for (let i = 0; i < this.tlbCount; i++) {
        const p = list[i];
        this.tlbRS[p] = 0;
        this.tlbWS[p] = 0;
        this.tlbRU[p] = 0;
        this.tlbWU[p] = 0;
        global[p >>> 5] &= ~(1 << (p & 31));
      }
    }
    if (!this.tlbOverflow)
      for (let i = 0; i < this.tlbCount; i++) this.tlbChunks[this.tlbList[i] >>> TLB_CHUNK_SHIFT] = 0;
    this.tlbCount = 0;
    this.tlbOverflow = false;
    this.invalidateFetch();
  }

  /** Drops the entries of non-global mappings; the global ones stay in the list. */
  private flushNonGlobal(): void {
    const list = this.tlbList,
      global = this.tlbGlobal,
      chunks = this.tlbChunks;
    let kept = 0;
    for (let i = 0; i < this.tlbCount; i++) {
      const p = list[i];
      chunks[p >>> TLB_CHUNK_SHIFT] = 0;
      if ((global[p >>> 5] & (1 << (p & 31))) !== 0) {
        list[kept++] = p;
        continue;
      }
      this.tlbRS[p] = 0;
      this.tlbWS[p] = 0;
      this.tlbRU[p] = 0;
      this.tlbWU[p] = 0;
    }
    for (let i = 0; i < kept; i++) chunks[list[i] >>> TLB_CHUNK_SHIFT] = 1;
    this.tlbCount = kept;
    this.invalidateFetch();
  }

  /** Drops the translation of one linear page (INVLPG). */
  flushTlbPage(lin: number): void {
    const p = lin >>> 12;
    this.tlbRS[p] = 0;
    this.tlbWS[p] = 0;
    this.tlbRU[p] = 0;
    this.tlbWU[p] = 0;
    this.tlbGlobal[p >>> 5] &= ~(1 << (p & 31));
    this.invalidateFetch();
  }

  /** Selects the TLB pair for a privilege level (CPL 3 uses the user pair). */
  selectTlb(cpl: number): void {
    if (cpl === 3) {
      this.tlbR = this.tlbRU;
      this.tlbW = this.tlbWU;
    } else {
      this.tlbR = this.tlbRS;
      this.tlbW = this.tlbWS;
    }
  }

  /**
   * Physical address for a linear one, walking the page tables when CR0.PG is set. user: the
   * access is made with user rights (CPL 3). After it, walkResult.writable tells whether a
   * write may be cached in the TLB.
   */
  translate(lin: number, write: boolean, user = this.cpl === 3): number {
    if (this.cr[0] & CR0_PG) return walk(this, lin, write, user);
    walkResult.writable = true;
    return lin & this.mem.a20Mask;
  }

  /** Fills the TLB for lin if its page is directly accessible; returns the entry or -1. */
  private fill(lin: number, write: boolean): number {
    const phys = this.translate(lin, write);
    const ppn = phys >>> 12;
    const lpn = lin >>> 12;
    const e = (phys ^ lin) & ~0xfff;
    const kind = this.mem.pageMap[ppn];
    if (kind !== 1 && kind !== 2) return -1;
    // The fast paths index RAM with int32 arithmetic (linear ^ entry): RAM from 2 GiB up is
    // reached through PhysicalMemory instead, which is slower but exact.
    if (ppn >= TLB_MAX_PPN) return -1;
    if (this.tlbR[lpn] === 0 && this.tlbW[lpn] === 0) {
      if (this.tlbCount < TLB_LIST_MAX) this.tlbList[this.tlbCount++] = lpn;
      else this.tlbOverflow = true;
      this.tlbChunks[lpn >>> TLB_CHUNK_SHIFT] = 1;
    }
    this.tlbR[lpn] = ~e;
    // translate() walked the tables only with paging on; walkResult.global is stale otherwise.
    if ((this.cr[0] & CR0_PG) !== 0 && walkResult.global) this.tlbGlobal[lpn >>> 5] |= 1 << (lpn & 31);
    else this.tlbGlobal[lpn >>> 5] &= ~(1 << (lpn & 31));
    let writable = kind === 1 && walkResult.writable;
    // Pages holding compiled code are written through the slow path, where a write drops the code it overlaps.
    if (writable && this.mem.codePages[ppn] !== 0) writable = false;
    if (writable) this.tlbW[lpn] = ~e;
    return write && !writable ? -1 : e;
  }

  /**
   * Physical page ppn now holds compiled code: drop every write translation that points at it,
   * so that writes to it take the slow path (see fill).
   */
  protectCodePage(ppn: number): void {
    if (this.tlbOverflow) {
      this.flushTlb();
      return;
    }
    const list = this.tlbList;
    for (let i = 0; i < this.tlbCount; i++) {
      const lpn = list[i];
      for (const t of [this.tlbWS, this.tlbWU]) {
        const e = ~t[lpn];
        if (e !== -1 && ((lpn << 12) ^ e) >>> 12 === ppn) t[lpn] = 0;
      }
    }
  }

  // ---- linear-address memory access

  rd8(lin: number): number {
    const e = ~this.tlbR[lin >>> 12];
    if (e !== -1) return this.ram[lin ^ e];
    return this.rd8Slow(lin);
  }
  rd16(lin: number): number {
    const e = ~this.tlbR[lin >>> 12];
    if (e !== -1 && (lin & 0xfff) !== 0xfff) {
      const p = lin ^ e;
      return this.ram[p] | (this.ram[p + 1] << 8);
    }
    return this.rd16Slow(lin);
  }
  rd32(lin: number): number {
    const e = ~this.tlbR[lin >>> 12];
    if (e !== -1 && (lin & 0xfff) <= 0xffc) {
      const p = lin ^ e;
      if ((p & 3) === 0) return this.ram32[p >>> 2];
      const r = this.ram;
      return r[p] | (r[p + 1] << 8) | (r[p + 2] << 16) | (r[p + 3] << 24);
    }
    return this.rd32Slow(lin);
  }
  wr8(lin: number, v: number): void {
    const e = ~this.tlbW[lin >>> 12];
    if (e !== -1) {
      this.ram[lin ^ e] = v;
      return;
    }
    this.wr8Slow(lin, v);
  }
  wr16(lin: number, v: number): void {
    const e = ~this.tlbW[lin >>> 12];
    if (e !== -1 && (lin & 0xfff) !== 0xfff) {
      const p = lin ^ e;
      this.ram[p] = v;
      this.ram[p + 1] = v >> 8;
      return;
    }
    this.wr16Slow(lin, v);
  }
  wr32(lin: number, v: number): void {
    const e = ~this.tlbW[lin >>> 12];
    if (e !== -1 && (lin & 0xfff) <= 0xffc) {
      const p = lin ^ e;
      if ((p & 3) === 0) {
        this.ram32[p >>> 2] = v;
        return;
      }
      const r = this.ram;
      r[p] = v;
      r[p + 1] = v >> 8;
      r[p + 2] = v >> 16;
      r[p + 3] = v >> 24;
      return;
    }
    this.wr32Slow(lin, v);
  }

  private rd8Slow(lin: number): number {
    const e = this.fill(lin, false);
    if (e !== -1) return this.ram[lin ^ e];
    return this.mem.read8(this.translate(lin, false));
  }
  private rd16Slow(lin: number): number {
    if ((lin & 0xfff) === 0xfff) return this.rd8(lin) | (this.rd8(lin + 1) << 8);
    const e = this.fill(lin, false);
    if (e !== -1) {
      const p = lin ^ e;
      return this.ram[p] | (this.ram[p + 1] << 8);
    }
    return this.mem.read16(this.translate(lin, false));
  }
  private rd32Slow(lin: number): number {
    if ((lin & 0xfff) > 0xffc) {
      return this.rd8(lin) | (this.rd8(lin + 1) << 8) | (this.rd8(lin + 2) << 16) | (this.rd8(lin + 3) << 24);
    }
    const e = this.fill(lin, false);
    if (e !== -1) return this.rd32(lin);
    return this.mem.read32(this.translate(lin, false));
  }
  private wr8Slow(lin: number, v: number): void {
    const e = this.fill(lin, true);
    if (e !== -1) {
      this.ram[lin ^ e] = v;
      return;
    }
    this.mem.write8(this.translate(lin, true), v);
  }
  private wr16Slow(lin: number, v: number): void {
    if ((lin & 0xfff) === 0xfff) {
      // Check both pages before writing either, so a fault leaves memory untouched.
      this.translate(lin, true);
      this.translate(lin + 1, true);
      this.wr8(lin, v);
      this.wr8(lin + 1, v >> 8);
      return;
    }
    const e = this.fill(lin, true);
    if (e !== -1) {
      this.wr16(lin, v);
      return;
    }
    this.mem.write16(this.translate(lin, true), v);
  }
  private wr32Slow(lin: number, v: number): void {
    if ((lin & 0xfff) > 0xffc) {
      // Both pages first; a fault on the second reports its first byte in CR2.
      this.translate(lin, true);
      this.translate((lin | 0xfff) + 1, true);
      this.wr8(lin, v);
      this.wr8(lin + 1, v >> 8);
      this.wr8(lin + 2, v >> 16);
      this.wr8(lin + 3, v >> 24);
      return;
    }
    const e = this.fill(lin, true);
    if (e !== -1) {
      this.wr32(lin, v);
      return;
    }
    this.mem.write32(this.translate(lin, true), v);
  }

  /**
   * Raises the page fault a write of len bytes at lin would raise now, without writing and
   * without setting accessed or dirty bits (paging.ts probe). Pages the write TLB maps pass.
   */
  probeWrite(lin: number, len: number): void {
    if ((this.cr[0] & CR0_PG) === 0) return;
    const user = this.cpl === 3;
    if (this.tlbW[lin >>> 12] === 0) probe(this, lin, true, user);
    const next = ((lin | 0xfff) + 1) | 0;
    if ((lin & 0xfff) > 0x1000 - len && this.tlbW[next >>> 12] === 0) probe(this, next, true, user);
  }

  /** Accesses to descriptor tables and the TSS: always with supervisor rights, whatever the CPL. */
  rdSys32(lin: number): number {
    if (this.cpl !== 3) return this.rd32(lin);
    if ((lin & 0xfff) > 0xffc) return this.rdSys16(lin) | (this.rdSys16(lin + 2) << 16);
    return this.mem.read32(this.translate(lin, false, false));
  }
  private rdSys16(lin: number): number {
    return (
      this.mem.read8(this.translate(lin, false, false)) | (this.mem.read8(this.translate(lin + 1, false, false)) << 8)
    );
  }
  wrSys8(lin: number, v: number): void {
    if (this.cpl !== 3) {
      this.wr8(lin, v);
      return;
    }
    this.mem.write8(this.translate(lin, true, false), v);
  }

  // ---- segment checks

  /**
   * Linear address of [off, off+len) in segment s for reading. The fast bound covers the
   * common case; anything else goes to the full check, which may raise #GP or #SS.
   */
  segR(s: number, off: number, len: number): number {
    if ((off >>> 0) + len > this.segLimR[s]) this.segCheck(s, off, len, false);
    return (this.segBase[s] + off) | 0;
  }
  segW(s: number, off: number, len: number): number {
    if ((off >>> 0) + len > this.segLimW[s]) this.segCheck(s, off, len, true);
    return (this.segBase[s] + off) | 0;
  }

  /**
   * Full segment check: returns if the access is allowed, raises the fault otherwise. In
   * protected mode (SDM Vol. 3 §5.3-5.5, §5.6): an unusable (null) register faults any access,
   * a write needs a writable data segment and a read a data or readable code segment, and an
   * expand-down data segment allows offsets above its limit up to 0FFFFh or 0FFFFFFFFh (its B
   * bit). Violations raise #SS(0) through SS and #GP(0) through any other register. Real and
   * virtual-8086 mode check the limit only.
   */
  segCheck(s: number, off: number, len: number, write: boolean): void {
    const o = off >>> 0,
      end = o + len - 1,
      lim = this.segLimit[s] >>> 0;
    const vec = s === SS ? V_SS : V_GP;
    if (!this.isProtected() || this.flags & VM) {
      if (end <= lim) return;
      this.fault(vec, this.isProtected() ? 0 : -1);
    }
    const attr = this.segAttr[s];
    const isCode = (attr & 0x08) !== 0,
      rw = (attr & 0x02) !== 0;
    if ((attr & 0x80) === 0) this.fault(vec, 0);
    if (write ? isCode || !rw : isCode && !rw) this.fault(V_GP, 0);
    if (!isCode && attr & 0x04) {
      const upper = attr & 0x4000 ? 0xffffffff : 0xffff;
      if (o > lim && end <= upper) return;
      this.fault(vec, 0);
    }
    if (end <= lim) return;
    this.fault(vec, 0);
  }

  isProtected(): boolean {
    return (this.cr[0] & 1) !== 0;
  }
  override code16(): boolean {
    return this.defOsizeBase === 0;
  }

  // ---- instruction fetch
  //
  // The fetcher reads code through a window: `pip` is the physical address of the next
  // instruction byte and every byte in [pipStart, pipEnd) belongs to the current code page and
  // lies within the CS limit, so a fetch is one compare and one load. EIP is not stored: it is
  // pip - pipDelta (pipDelta in an Int32Array, as it spans the whole 32-bit range). Anything
  // that invalidates the window (CS load, TLB flush, jump outside it) keeps EIP derivable by
  // leaving an empty window with pip = 0 and pipDelta = -EIP.

  pip = 0;
  pipStart = 1;
  pipEnd = 0;
  readonly pipDelta = new Int32Array(this.stateBuf, STATE_PIP_DELTA, 1);

  /** The architectural EIP of the next instruction byte. */
  override getEip(): number {
    return (this.pip - this.pipDelta[0]) | 0;
  }

  /** Set by every jump (setEip): the run loop looks for a compiled block only where one led. */
  jumped = false;

  /** Sets EIP (jumps); stays in the window when the target is in it. */
  override setEip(v: number): void {
    this.jumped = true;
    const p = v + this.pipDelta[0];
    if (p >= this.pipStart && p < this.pipEnd) {
      this.pip = p;
      return;
    }
    this.pip = 0;
    this.pipStart = 1;
    this.pipEnd = 0;
    this.pipDelta[0] = -v;
  }

  /** Drops the fetch window (CS changed, translations changed); EIP is kept. */
  invalidateFetch(): void {
    this.setEipOutside(this.getEip());
  }
  private setEipOutside(v: number): void {
    this.pip = 0;
    this.pipStart = 1;
    this.pipEnd = 0;
    this.pipDelta[0] = -v;
  }

  fetch8(): number {
    const p = this.pip;
    if (p < this.pipEnd) {
      this.pip = p + 1;
      return this.ram[p];
    }
    return this.fetch8Slow();
  }
  /** Fetches a byte and sign-extends it. */
  fetch8s(): number {
    return (this.fetch8() << 24) >> 24;
  }
  fetch16(): number {
    const p = this.pip;
    if (p + 1 < this.pipEnd) {
      this.pip = p + 2;
      return this.ram[p] | (this.ram[p + 1] << 8);
    }
    const lo = this.fetch8();
    return lo | (this.fetch8() << 8);
  }
  fetch32(): number {
    const p = this.pip;
    if (p + 3 < this.pipEnd) {
      this.pip = p + 4;
      const r = this.ram;
      return r[p] | (r[p + 1] << 8) | (r[p + 2] << 16) | (r[p + 3] << 24);
    }
    const lo = this.fetch16();
    return lo | (this.fetch16() << 16);
  }

  /**
   * A code byte at CS:eip read without side effects (for look-ahead decoding): -1 when it is
   * beyond the CS limit or its page cannot be read now.
   */
  peekCode(eip: number): number {
    if (eip >>> 0 > this.segLimit[CS] >>> 0) return -1;
    try {
      return this.mem.read8(this.translate((this.segBase[CS] + eip) | 0, false));
    } catch {
      return -1;
    }
  }

  /** Outside the window: check the limit, translate, open a new window or read slowly. */
  private fetch8Slow(): number {
    let eip = this.getEip();
    // 16-bit code: IP arithmetic wraps at 64 KiB.
    if (this.defOsizeBase === 0 && (eip & ~0xffff) !== 0) {
      const wrapped = eip & 0xffff;
      if (this.r32[START_EIP] === eip) this.r32[START_EIP] = wrapped;
      eip = wrapped;
    }
    const lim = this.segLimit[CS] >>> 0;
    if (eip >>> 0 > lim) {
      this.setEipOutside(eip);
      this.fault(V_GP, this.isProtected() ? 0 : -1);
    }
    const lin = (this.segBase[CS] + eip) | 0;
    // Through the read TLB (filled here), so that openWindow finds code pages there too.
    let e = ~this.tlbR[lin >>> 12];
    if (e === -1) e = this.fill(lin, false);
    if (e === -1) {
      const phys = this.translate(lin, false);
      this.setEipOutside(eip + 1);
      return this.mem.read8(phys);
    }
    const phys = lin ^ e;
    this.setWindow(eip, lin, phys, lim);
    this.pip = phys + 1;
    return this.ram[phys];
  }

  /** The window: this page, no further than the CS limit, no lower than offset 0. */
  private setWindow(eip: number, lin: number, phys: number, lim: number): void {
    const before = Math.min(lin & 0xfff, eip >>> 0);
    const after = Math.min(0xfff - (lin & 0xfff), lim - (eip >>> 0));
    this.pipStart = phys - before;
    this.pipEnd = phys + after + 1;
    this.pipDelta[0] = (phys - eip) | 0;
  }

  /**
   * Opens the fetch window at EIP when the read TLB maps its page (or can map it: paging off) and EIP is
   * within the CS limit, so that the run loop can look up a compiled block at the first
   * instruction after a jump to another page. False (nothing changed) otherwise: the fetch
   * then takes the slow path, faults included.
   */
  openWindow(): boolean {
    const eip = this.getEip();
    if (this.defOsizeBase === 0 && (eip & ~0xffff) !== 0) return false; // 16-bit IP wrap: the slow path
    const lim = this.segLimit[CS] >>> 0;
    if (eip >>> 0 > lim) return false;
    const lin = (this.segBase[CS] + eip) | 0;
    let e = ~this.tlbR[lin >>> 12];
    // Without paging, filling the TLB cannot fault.
    if (e === -1 && (this.cr[0] & CR0_PG) === 0) e = this.fill(lin, false);
    if (e === -1) return false;
    const phys = lin ^ e;
    this.setWindow(eip, lin, phys, lim);
    this.pip = phys;
    return true;
  }

  // ---- effective addresses (SDM Vol. 2 §2.1.5, tables 2-1 to 2-3)

  /** Offset of a 16-bit ModRM memory operand; sets eaSeg. Reads any displacement. */
  ea16(m: number): number {
    const r = this.r16;
    const mod = m >> 6;
    let off: number;
    if (mod === 0) {
      if ((m & 7) === 6) {
        this.eaSeg = this.dsSeg;
        return this.fetch16();
      }
      off = 0;
    } else if (mod === 1) off = this.fetch8s();
    else off = this.fetch16();
    switch (m & 7) {
      case 0:
        this.eaSeg = this.dsSeg;
        return (off + r[BX] + r[SI]) & 0xffff;
      case 1:
        this.eaSeg = this.dsSeg;
        return (off + r[BX] + r[DI]) & 0xffff;
      case 2:
        this.eaSeg = this.ssSeg;
        return (off + r[BP] + r[SI]) & 0xffff;
      case 3:
        this.eaSeg = this.ssSeg;
        return (off + r[BP] + r[DI]) & 0xffff;
      case 4:
        this.eaSeg = this.dsSeg;
        return (off + r[SI]) & 0xffff;
      case 5:
        this.eaSeg = this.dsSeg;
        return (off + r[DI]) & 0xffff;
      case 6:
        this.eaSeg = this.ssSeg;
        return (off + r[BP]) & 0xffff;
      default:
        this.eaSeg = this.dsSeg;
        return (off + r[BX]) & 0xffff;
    }
  }

  /** Offset of a 32-bit ModRM memory operand (with SIB); sets eaSeg. */
  ea32(m: number): number {
    const r = this.r32;
    const mod = m >> 6,
      rm = m & 7;
    let off: number;
    let seg = this.dsSeg;
    if (rm === 4) {
      const sib = this.fetch8();
      const base = sib & 7,
        idx = (sib >> 3) & 7;
      off = idx === 4 ? 0 : r[idx] << (sib >> 6);
      if (base === 5 && mod === 0) off += this.fetch32();
      else {
        off += r[base];
        if (base === 4 || base === 5) seg = this.ssSeg;
      }
    } else if (rm === 5 && mod === 0) {
      this.eaSeg = seg;
      return this.fetch32();
    } else {
      off = r[rm];
      if (rm === 5) seg = this.ssSeg;
    }
    if (mod === 1) off += this.fetch8s();
    else if (mod === 2) off += this.fetch32();
    this.eaSeg = seg;
    return off | 0;
  }

  /** Offset of a ModRM memory operand in the current address size. */
  eaOff(m: number): number {
    return this.asize32 ? this.ea32(m) : this.ea16(m);
  }
  /** Linear address of a ModRM memory operand of len bytes to be read. */
  eaR(m: number, len: number): number {
    const off = this.asize32 ? this.ea32(m) : this.ea16(m);
    return this.segR(this.eaSeg, off, len);
  }
  /**
   * Linear address of a ModRM memory operand of len bytes to be written (or read and written):
   * segment and page are checked for writing here, before the instruction reads the operand
   * or changes anything (writable).
   */
  eaW(m: number, len: number): number {
    const off = this.asize32 ? this.ea32(m) : this.ea16(m);
    const lin = this.segW(this.eaSeg, off, len);
    if (this.tlbW[lin >>> 12] === 0 || (lin & 0xfff) > 0x1000 - len) this.writable(lin, len);
    return lin;
  }

  /**
   * Checks that len bytes at lin may be written now, raising the page fault the write would
   * raise (with W = 1). Read-modify-write instructions call it (through eaW) before they read:
   * their operand is accessed for writing from the start (SDM Vol. 3 §4.7: the fault's W/R bit
   * is 1), and a faulting one changes neither flags nor registers. The translation it makes is
   * the one the write uses (TLB, dirty bit).
   */
  writable(lin: number, len: number): void {
    // Without paging no page refuses a write (and pages of compiled code, never in the write
    // TLB, would come here at every write).
    if ((this.cr[0] & CR0_PG) === 0) return;
    if (this.tlbW[lin >>> 12] === 0) this.fill(lin, true);
    const next = ((lin | 0xfff) + 1) | 0; // a fault on the second page reports its first byte
    if ((lin & 0xfff) > 0x1000 - len && this.tlbW[next >>> 12] === 0) this.fill(next, true);
  }

  // ---- stack

  /** Current stack pointer in the stack's width. */
  sp(): number {
    return this.ss32 ? this.r32[ESP] : this.r16[SP];
  }
  /** Stack pointer moved by delta bytes, wrapped to the stack's width. */
  spAdd(delta: number): number {
    return this.ss32 ? (this.r32[ESP] + delta) | 0 : (this.r16[SP] + delta) & 0xffff;
  }
  setSp(v: number): void {
    if (this.ss32) this.r32[ESP] = v;
    else this.r16[SP] = v;
  }

  push16(v: number): void {
    const sp = this.spAdd(-2);
    this.wr16(this.segW(SS, sp, 2), v);
    this.setSp(sp);
  }
  push32(v: number): void {
    const sp = this.spAdd(-4);
    this.wr32(this.segW(SS, sp, 4), v);
    this.setSp(sp);
  }
  pop16(): number {
    const sp = this.sp();
    const v = this.rd16(this.segR(SS, sp, 2));
    this.setSp(this.spAdd(2));
    return v;
  }
  pop32(): number {
    const sp = this.sp();
    const v = this.rd32(this.segR(SS, sp, 4));
    this.setSp(this.spAdd(4));
    return v;
  }
  /** Reads the stack at SP+offset without moving SP. */
  peek16(offset: number): number {
    const sp = this.ss32 ? (this.r32[ESP] + offset) | 0 : (this.r16[SP] + offset) & 0xffff;
    return this.rd16(this.segR(SS, sp, 2));
  }
  peek32(offset: number): number {
    const sp = this.ss32 ? (this.r32[ESP] + offset) | 0 : (this.r16[SP] + offset) & 0xffff;
    return this.rd32(this.segR(SS, sp, 4));
  }
  /** Writes the stack at SP+offset (offset usually negative) without moving SP. */
  poke16(offset: number, v: number): void {
    const sp = this.ss32 ? (this.r32[ESP] + offset) | 0 : (this.r16[SP] + offset) & 0xffff;
    this.wr16(this.segW(SS, sp, 2), v);
  }
  poke32(offset: number, v: number): void {
    const sp = this.ss32 ? (this.r32[ESP] + offset) | 0 : (this.r16[SP] + offset) & 0xffff;
    this.wr32(this.segW(SS, sp, 4), v);
  }
}
