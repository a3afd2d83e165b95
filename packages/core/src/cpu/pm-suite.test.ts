// A table-driven protected-mode suite (docs/pm-suite.md). Each case names its class, sets up
// descriptors, paging and privilege, runs a few code bytes and states the outcome: registers,
// memory, or the exception (vector, error code, CR2) with the registers and status flags as they
// were before the faulting instruction. Every case runs twice: on the interpreter, and with
// the WebAssembly JIT compiling at the first visit of a block.
//
// The classes are the ones where an independent 386 test ROM found bugs:
// - stack: instructions whose stack-address size differs from their operand size (POP Sreg,
//   PUSH, ENTER, LEAVE, PUSHA/POPA, far CALL, RET n, POP Ev);
// - write: every write path checked against segment type, limit and page rights, in that order
//   (plain and read-modify-write operands, string instructions, stack pushes, far pointers,
//   descriptor-table stores, SETcc/BTS/XCHG/CMPXCHG/ARPL, the descriptor accessed bit);
// - rmw: instructions that read and write the same ModRM operand decode it once.
import { describe, expect, it } from "vitest";
import { Cpu } from "./cpu.ts";
import {
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CS,
  DS,
  DT_GDT_BASE,
  DT_GDT_LIMIT,
  DT_IDT_BASE,
  DT_IDT_LIMIT,
  DT_TR_SEL,
  ES,
  FS,
  GS,
  SS,
  STATUS_FLAGS,
} from "./regs.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../memory/physical-memory.ts";
import { desc } from "./testing/descriptors.ts";

const GDT = 0x1000,
  IDT = 0x2000,
  TSS = 0x3000,
  /** The task #SS and #DF switch to. */
  TSS2 = 0x3100,
  /** Ring 0 stack for interrupts from ring 3 (TSS ESP0). */
  ESP0 = 0x7000,
  /** Exception handlers (every vector 0-31): HLT. INT 80h (DPL 3): HLT. */
  HANDLER = 0x8000,
  HANDLER80 = 0x8010,
  CODE = 0x10000,
  /** Base of the small and special data segments. */
  DATA = 0x40000,
  PD = 0x20000,
  PT = 0x21000;

const PTE_P = 1,
  PTE_RW = 2,
  PTE_US = 4;

const d32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** A 32-bit call gate to sel:off with its DPL and parameter count. */
function callGate(sel: number, off: number, dpl: number, params: number): [number, number] {
  return [(sel << 16) | (off & 0xffff), (off & 0xffff0000) | 0x8c00 | (dpl << 13) | params];
}

/** The GDT every case starts from (accessed bits clear, so loads write them). */
const GDT_ENTRIES: Record<number, [number, number]> = {
  0x08: desc(0, 0xfffff, 0x9a, 0xc), // ring 0 code, flat, 32-bit
  0x10: desc(0, 0xfffff, 0x92, 0xc), // ring 0 data, flat, B = 1
  0x18: desc(0, 0xfffff, 0xfa, 0xc), // ring 3 code
  0x20: desc(0, 0xfffff, 0xf2, 0xc), // ring 3 data
  0x28: desc(TSS, 0x67, 0x89, 0), // 32-bit TSS
  0x30: desc(DATA, 0xfffff, 0x90, 0xc), // read-only data
  0x38: desc(0, 0xffff, 0x92, 0), // 16-bit stack (B = 0), base 0
  0x40: desc(0, 0xfffff, 0x92, 0xc), // 32-bit stack (B = 1)
  0x48: desc(DATA, 0xfff, 0x96, 0x4), // expand-down, B = 1: offsets 1000h..FFFFFFFFh
  0x50: desc(DATA, 0xfff, 0x96, 0), // expand-down, B = 0: offsets 1000h..FFFFh
  0x58: desc(0, 0xfffff, 0x98, 0xc), // execute-only code
  0x60: desc(DATA, 0xff, 0x92, 0x4), // data, byte limit FFh
  0x70: desc(0, 0x8fff, 0x96, 0x4), // expand-down stack, B = 1: offsets 9000h..FFFFFFFFh
  0x90: desc(0, 0xfff, 0xfa, 0x4), // ring 3 code, limit FFFh
  0x98: desc(TSS2, 0x67, 0x89, 0), // a 32-bit TSS for LTR
  0xa0: desc(0x60000, 0x67, 0x89, 0), // a 32-bit TSS on its own page
};

class Rig {
  readonly mem = new PhysicalMemory(4 << 20);
  readonly io = new Dispatcher();
  readonly cpu = new Cpu(this.mem, this.io);
  readonly faults: {
    vec: number;
    code: number;
    regs: number[];
    eip: number;
    flags: number;
    cr2: number;
    /** CS, SS and CPL when the fault is raised: the faulting instruction's own. */
    context: number[];
  }[] = [];
  portReads = 0;

  constructor(jit: boolean) {
    const c = this.cpu;
    for (const [sel, d] of Object.entries(GDT_ENTRIES)) this.setDesc(Number(sel), d);
    for (let v = 0; v < 32; v++) this.gate(v, HANDLER, 0);
    this.gate(0x80, HANDLER80, 3);
    // #SS and #DF switch to a task of their own: their handler must not need the faulting stack.
    this.setDesc(0x78, desc(TSS2, 0x67, 0x89, 0));
    for (const v of [8, 12]) {
      this.w32(IDT + v * 8, 0x78 << 16);
      this.w32(IDT + v * 8 + 4, 0x8500);
    }
    const tss2: [number, number][] = [
      [0x1c, PD],
      [0x20, HANDLER],
      [0x24, 2],
      [0x38, 0x7800],
      [0x48, 0x10],
      [0x4c, 0x08],
      [0x50, 0x10],
      [0x54, 0x10],
      [0x58, 0x10],
      [0x5c, 0x10],
    ];
    for (const [at, v] of tss2) this.w32(TSS2 + at, v);
    this.mem.ram[HANDLER] = 0xf4;
    this.mem.ram[HANDLER80] = 0xf4;
    this.w32(TSS + 4, ESP0);
    this.w32(TSS + 8, 0x10);
    c.dt[DT_GDT_BASE] = GDT;
    c.dt[DT_GDT_LIMIT] = 0x100 - 1;
    c.dt[DT_IDT_BASE] = IDT;
    c.dt[DT_IDT_LIMIT] = 256 * 8 - 1;
    c.writeCr(0, c.cr[0] | CR0_PE);
    for (const s of [DS, ES, FS, GS, SS]) c.loadSeg(s, 0x10);
    // jmp dword 08h:600h from 16-bit code; there: mov eax, 28h; ltr ax; hlt
    this.mem.ram.set([0x66, 0xea, ...d32(0x600), 0x08, 0], 0x500);
    this.mem.ram.set([0xb8, 0x28, 0, 0, 0, 0x0f, 0x00, 0xd8, 0xf4], 0x600);
    c.setSegReal(CS, 0, 0xffff, 0x9b);
    c.eip = 0x500;
    this.runToHalt();
    c.r32[4] = 0x9000;
    this.io.in8 = () => {
      this.portReads++;
      return 0xff;
    };
    c.onFault = (vec, code) =>
      this.faults.push({
        vec,
        code,
        regs: Array.from(c.r32.subarray(0, 8)),
        eip: c.getEip(),
        flags: c.getFlags(),
        cr2: c.cr[2],
        context: [c.sreg[CS], c.sreg[SS], c.cpl],
      });
    c.setJitEnabled(jit);
    if (jit) {
      c.jit.backend = "wasm";
      c.jit.threshold = 1;
    }
  }

  setDesc(sel: number, d: [number, number]): void {
    this.w32(GDT + (sel & ~7), d[0]);
    this.w32(GDT + (sel & ~7) + 4, d[1]);
  }
  /** A 32-bit interrupt gate to 08h:off. */
  gate(v: number, off: number, dpl: number): void {
    this.w32(IDT + v * 8, (0x08 << 16) | (off & 0xffff));
    this.w32(IDT + v * 8 + 4, (off & 0xffff0000) | 0x8e00 | (dpl << 13));
  }
  w8(a: number, v: number): void {
    this.mem.ram[a] = v;
  }
  w16(a: number, v: number): void {
    this.mem.write16(a, v);
  }
  w32(a: number, v: number): void {
    this.mem.write32(a, v);
  }
  rd(a: number, size: 1 | 2 | 4): number {
    return size === 1 ? this.mem.ram[a] : size === 2 ? this.mem.read16(a) : this.mem.read32(a) >>> 0;
  }

  runToHalt(): void {
    const c = this.cpu;
    c.halted = false;
    for (let i = 0; i < 50 && !c.halted && c.shutdownReason === null; i++) c.run(1000);
  }

  /** Identity-maps the first 4 MiB (user, writable) and turns paging on. */
  paging(): void {
    this.w32(PD, PT | PTE_P | PTE_RW | PTE_US);
    for (let i = 0; i < 1024; i++) this.w32(PT + i * 4, (i << 12) | PTE_P | PTE_RW | PTE_US);
    this.cpu.writeCr(3, PD);
    this.cpu.writeCr(0, this.cpu.cr[0] | CR0_PG);
  }
  /** Sets the page-table entry of the page holding lin (identity frame, these flags). */
  pte(lin: number, flags: number): void {
    this.w32(PT + (lin >>> 12) * 4, (lin & ~0xfff) | flags);
    this.cpu.flushTlb();
  }
  wp(): void {
    this.cpu.writeCr(0, this.cpu.cr[0] | CR0_WP);
  }
  loadSeg(s: number, sel: number): void {
    this.cpu.loadSeg(s, sel);
    this.cpu.events = 0; // the MOV SS shadow
  }
  /** Runs one instruction at eip. */
  step(eip: number): void {
    this.cpu.halted = false;
    this.cpu.setEip(eip);
    this.cpu.run(1);
  }
  /** Far jump to sel:CODE (the case's code then runs with that CS). */
  useCs(sel: number): void {
    this.mem.ram.set([0xea, ...d32(CODE), sel, 0], 0x700);
    this.step(0x700);
    expect(this.cpu.sreg[CS]).toBe(sel);
  }
  /** IRETD to ring 3 at CODE with DS = ES = 23h, the given ESP and EFLAGS 2. */
  toRing3(esp: number): void {
    const c = this.cpu;
    c.loadSeg(DS, 0x23);
    c.loadSeg(ES, 0x23);
    [CODE, 0x1b, 2, esp, 0x23].forEach((v, i) => this.w32(0x7f00 + i * 4, v));
    c.r32[4] = 0x7f00;
    this.w8(0x700, 0xcf);
    this.step(0x700);
    expect([c.cpl, c.eip]).toEqual([3, CODE]);
  }
}

type Reg = "eax" | "ecx" | "edx" | "ebx" | "esp" | "ebp" | "esi" | "edi";
const REGS: readonly Reg[] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
type Seg = "es" | "ss" | "ds";
const SEGS: Record<Seg, number> = { es: ES, ss: SS, ds: DS };

interface Case {
  name: string;
  cls: "stack" | "write" | "rmw";
  /** Identity paging of the first 4 MiB, user and writable (pte() changes pages). */
  paging?: boolean;
  /** Run the code at CPL 3 (DS = ES = SS = 23h). */
  ring3?: boolean;
  setup?: (r: Rig) => void;
  code: number[];
  /** Initial general registers (ESP defaults to 9000h at ring 0, 6000h at ring 3). */
  regs?: Partial<Record<Reg, number>>;
  /** The expected exception: vector and error code; registers and status flags must be as before the code. */
  fault?: [number, number];
  cr2?: number;
  /** Registers after the code (or at the fault); the others must keep their initial values. */
  want?: Partial<Record<Reg | Seg, number>>;
  /** Memory after the code: address, size, value. */
  mem?: [number, 1 | 2 | 4, number][];
  /** Port reads the code makes (INS). */
  portReads?: number;
  /** The task register after the code (or at the fault). */
  tr?: number;
  /** The code ends in ring 0 at HANDLER (a call gate's target) instead of its own end. */
  gateExit?: boolean;
}

const RO = (r: Rig) => r.loadSeg(DS, 0x30);
const RO_ES = (r: Rig) => r.loadSeg(ES, 0x30);
const SS16 = (r: Rig) => r.loadSeg(SS, 0x38);
const GP0: [number, number] = [13, 0];
const SS0: [number, number] = [12, 0];

const CASES: Case[] = [
  // ---- stack: stack-address size and operand size apart
  {
    name: "POP SS (o32) from a 16-bit stack loading a 32-bit SS: SP wraps in the old width",
    cls: "stack",
    setup: (r) => (SS16(r), r.w32(0xfffc, 0x40)),
    regs: { esp: 0x1234fffc },
    code: [0x17],
    want: { esp: 0x12340000, ss: 0x40 },
  },
  {
    name: "POP SS (o16) from a 32-bit stack loading a 16-bit SS: ESP moves in 32 bits",
    cls: "stack",
    setup: (r) => (r.loadSeg(SS, 0x40), r.w16(0x1fffe, 0x38)),
    regs: { esp: 0x1fffe },
    code: [0x66, 0x17],
    want: { esp: 0x20000, ss: 0x38 },
  },
  {
    name: "POP DS (o32) from a 16-bit stack: SP wraps, ESP's upper half stays",
    cls: "stack",
    setup: (r) => (SS16(r), r.w32(0xfffc, 0x10)),
    regs: { esp: 0xabcdfffc },
    code: [0x1f],
    want: { esp: 0xabcd0000, ds: 0x10 },
  },
  {
    name: "PUSH imm32 on a 16-bit stack: SP wraps, ESP's upper half stays",
    cls: "stack",
    setup: SS16,
    regs: { esp: 0x55550004 },
    code: [0x68, ...d32(0xdeadbeef)],
    want: { esp: 0x55550000 },
    mem: [[0, 4, 0xdeadbeef]],
  },
  {
    name: "PUSH imm32 on a 16-bit stack at SP 2: the dword at FFFEh crosses the limit, #SS(0)",
    cls: "stack",
    setup: SS16,
    regs: { esp: 2 },
    code: [0x68, ...d32(1)],
    fault: SS0,
  },
  {
    name: "PUSH (o16) on a 32-bit stack: ESP moves by 2",
    cls: "stack",
    regs: { eax: 0x11112222 },
    code: [0x66, 0x50],
    want: { esp: 0x8ffe },
    mem: [[0x8ffe, 2, 0x2222]],
  },
  {
    name: "ENTER 8,36 (o32) on a 16-bit stack: the frame pointer is ESP with its upper half",
    cls: "stack",
    setup: (r) => {
      SS16(r);
      r.w32(0xeffc, 0xa1);
      r.w32(0xeff8, 0xa2);
      r.w32(0xeff4, 0xa3);
    },
    regs: { esp: 0x1fff0, ebp: 0xf000 },
    code: [0xc8, 0x08, 0x00, 0x24],
    want: { esp: 0x1ffd4, ebp: 0x1ffec },
    mem: [
      [0xffec, 4, 0xf000],
      [0xffe8, 4, 0xa1],
      [0xffe4, 4, 0xa2],
      [0xffe0, 4, 0xa3],
      [0xffdc, 4, 0x1ffec],
    ],
  },
  {
    name: "ENTER 4,0 (o16) on a 32-bit stack: BP gets SP, EBP's upper half stays, ESP moves in 32 bits",
    cls: "stack",
    regs: { esp: 0x12002, ebp: 0xaaaa5555 },
    code: [0x66, 0xc8, 0x04, 0x00, 0x00],
    want: { esp: 0x11ffc, ebp: 0xaaaa2000 },
    mem: [[0x12000, 2, 0x5555]],
  },
  {
    name: "ENTER 2,1 (o16) on a 16-bit stack: the frame pointer pushed as a word",
    cls: "stack",
    setup: SS16,
    regs: { esp: 0x30010, ebp: 0x77771234 },
    code: [0x66, 0xc8, 0x02, 0x00, 0x01],
    want: { esp: 0x3000a, ebp: 0x7777000e },
    mem: [
      [0x000e, 2, 0x1234],
      [0x000c, 2, 0x000e],
    ],
  },
  {
    name: "ENTER 1,0 at CPL 3 with the final ESP on a supervisor page: #PF(P W U)",
    cls: "stack",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x2f000, PTE_P | PTE_RW),
    regs: { esp: 0x30004 },
    code: [0xc8, 0x01, 0x00, 0x00],
    fault: [14, 7],
    cr2: 0x2ffff,
  },
  {
    name: "ENTER 0,0 at CPL 3 next to a supervisor page: no fault",
    cls: "stack",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x2f000, PTE_P | PTE_RW),
    regs: { esp: 0x30004, ebp: 0x1111 },
    code: [0xc8, 0x00, 0x00, 0x00],
    want: { esp: 0x30000, ebp: 0x30000 },
    mem: [[0x30000, 4, 0x1111]],
  },
  {
    name: "ENTER 16,0 with the final ESP below an expand-down stack's limit: #SS(0)",
    cls: "stack",
    setup: (r) => r.loadSeg(SS, 0x70),
    regs: { esp: 0x9010 },
    code: [0xc8, 0x10, 0x00, 0x00],
    fault: SS0,
  },
  {
    name: "LEAVE (o16) on a 32-bit stack: ESP from EBP, EBP's upper half stays",
    cls: "stack",
    setup: (r) => r.w16(0x12000, 0x7777),
    regs: { ebp: 0x12000 },
    code: [0x66, 0xc9],
    want: { esp: 0x12002, ebp: 0x17777 },
  },
  {
    name: "LEAVE (o32) on a 16-bit stack: SP from BP, ESP's upper half stays",
    cls: "stack",
    setup: (r) => (SS16(r), r.w32(0xf000, 0xcafebabe)),
    regs: { ebp: 0x3f000, esp: 0x12340000 },
    code: [0xc9],
    want: { esp: 0x1234f004, ebp: 0xcafebabe },
  },
  {
    name: "PUSHAD on a 16-bit stack: 32 bytes below SP, the original ESP pushed whole",
    cls: "stack",
    setup: SS16,
    regs: { eax: 0x11, ecx: 0x22, edx: 0x33, ebx: 0x44, esp: 0x10020, ebp: 0x66, esi: 0x77, edi: 0x88 },
    code: [0x60],
    want: { esp: 0x10000 },
    mem: [
      [0x1c, 4, 0x11],
      [0x0c, 4, 0x10020],
      [0x00, 4, 0x88],
    ],
  },
  {
    name: "POPA (o16) on a 32-bit stack: low halves loaded, SP slot skipped, ESP moves by 16",
    cls: "stack",
    setup: (r) => [1, 2, 3, 4, 5, 6, 7, 8].forEach((v, i) => r.w16(0x9000 + 2 * i, v)),
    regs: { eax: -1, ecx: -1, edx: -1, ebx: -1, ebp: -1, esi: -1, edi: -1 },
    code: [0x66, 0x61],
    want: {
      edi: 0xffff0001,
      esi: 0xffff0002,
      ebp: 0xffff0003,
      ebx: 0xffff0005,
      edx: 0xffff0006,
      ecx: 0xffff0007,
      eax: 0xffff0008,
      esp: 0x9010,
    },
  },
  {
    name: "CALL far (o32) on a 16-bit stack: 8 bytes, SP wraps, ESP's upper half stays",
    cls: "stack",
    setup: SS16,
    regs: { esp: 0x77770004 },
    code: [0x9a, ...d32(CODE + 7), 0x08, 0x00],
    want: { esp: 0x7777fffc },
    mem: [
      [0, 2, 0x08],
      [0xfffc, 4, CODE + 7],
    ],
  },
  {
    name: "RET 4 on a 16-bit stack: SP wraps past the immediate, ESP's upper half stays",
    cls: "stack",
    setup: (r) => (SS16(r), r.w32(0xfffc, CODE + 3)),
    regs: { esp: 0xabcdfffc },
    code: [0xc2, 0x04, 0x00],
    want: { esp: 0xabcd0004 },
  },
  {
    name: "IRET (o16) on a 32-bit stack: 6 bytes popped, ESP moves in 32 bits",
    cls: "stack",
    setup: (r) => [HANDLER, 0x08, 2].forEach((v, i) => r.w16(0x12000 + 2 * i, v)),
    regs: { esp: 0x12000 },
    code: [0x66, 0xcf],
    gateExit: true,
    want: { esp: 0x12006 },
  },
  {
    name: "INT through a 16-bit interrupt gate on a 32-bit stack: FLAGS, CS and IP as words",
    cls: "stack",
    setup: (r) => (r.w32(IDT + 0x81 * 8, (0x08 << 16) | HANDLER), r.w32(IDT + 0x81 * 8 + 4, 0x8600)),
    regs: { esp: 0x12000 },
    code: [0xcd, 0x81],
    gateExit: true,
    want: { esp: 0x11ffa },
    mem: [
      [0x11ffa, 2, (CODE + 2) & 0xffff],
      [0x11ffc, 2, 0x08],
    ],
  },
  {
    name: "RETF (o16) on a 16-bit stack: SP wraps, ESP's upper half stays",
    cls: "stack",
    setup: (r) => (SS16(r), r.w16(0xfffe, HANDLER), r.w16(0, 0x08)),
    regs: { esp: 0x4444fffe },
    code: [0x66, 0xcb],
    gateExit: true,
    want: { esp: 0x44440002 },
  },
  {
    name: "PUSH DS (o32): ESP moves by 4, only the low word is written",
    cls: "stack",
    setup: (r) => r.w32(0x8ffc, 0xaaaaaaaa),
    code: [0x1e],
    want: { esp: 0x8ffc },
    mem: [[0x8ffc, 4, 0xaaaa0010]],
  },
  {
    name: "POP [ESP+4]: the address uses ESP after the pop",
    cls: "stack",
    setup: (r) => r.w32(0x9000, 0x12345678),
    code: [0x8f, 0x44, 0x24, 0x04],
    want: { esp: 0x9004 },
    mem: [[0x9008, 4, 0x12345678]],
  },

  // ---- write: segment type, limit, page rights, in that order
  {
    name: "MOV [mem], EAX through a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    regs: { eax: 5 },
    code: [0x89, 0x05, ...d32(0x10)],
    fault: GP0,
    mem: [[DATA + 0x10, 4, 0]],
  },
  {
    name: "MOV EAX, [mem] through a read-only DS",
    cls: "write",
    setup: (r) => (RO(r), r.w32(DATA + 0x10, 0x600df00d)),
    code: [0x8b, 0x05, ...d32(0x10)],
    want: { eax: 0x600df00d },
  },
  {
    name: "ADD [mem], EAX through a read-only DS: #GP(0), flags unchanged",
    cls: "write",
    setup: RO,
    regs: { eax: 1 },
    code: [0x01, 0x05, ...d32(0x10)],
    fault: GP0,
  },
  {
    name: "INC dword [mem] through a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0xff, 0x05, ...d32(0x10)],
    fault: GP0,
  },
  {
    name: "STOSD with a read-only ES: #GP(0)",
    cls: "write",
    setup: RO_ES,
    regs: { edi: 0x10 },
    code: [0xab],
    fault: GP0,
  },
  {
    name: "MOVSD from a read-only DS to a writable ES",
    cls: "write",
    setup: (r) => (RO(r), r.w32(DATA + 0x10, 0x1234)),
    regs: { esi: 0x10, edi: 0x50000 },
    code: [0xa5],
    want: { esi: 0x14, edi: 0x50004 },
    mem: [[0x50000, 4, 0x1234]],
  },
  {
    name: "REP MOVSB to a read-only ES: #GP(0) at the first iteration, ECX unchanged",
    cls: "write",
    setup: RO_ES,
    regs: { ecx: 4, esi: 0x50000, edi: 0 },
    code: [0xf3, 0xa4],
    fault: GP0,
  },
  {
    name: "INSB to a read-only ES: #GP(0) before the port is read",
    cls: "write",
    setup: RO_ES,
    regs: { edx: 0x80 },
    code: [0x6c],
    fault: GP0,
    portReads: 0,
  },
  {
    name: "INSB at CPL 0 to a read-only page with CR0.WP: #PF(P W) before the port is read",
    cls: "write",
    paging: true,
    setup: (r) => (r.pte(0x50000, PTE_P | PTE_US), r.wp()),
    regs: { edx: 0x80, edi: 0x50000 },
    code: [0x6c],
    fault: [14, 3],
    cr2: 0x50000,
    portReads: 0,
  },
  {
    name: "CS: MOV [mem], EAX (code segments are never writable): #GP(0)",
    cls: "write",
    code: [0x2e, 0x89, 0x05, ...d32(0x50000)],
    fault: GP0,
  },
  {
    name: "CS: MOV EAX, [mem] through an execute-only code segment: #GP(0)",
    cls: "write",
    setup: (r) => r.useCs(0x58),
    code: [0x2e, 0x8b, 0x05, ...d32(0x50000)],
    fault: GP0,
  },
  {
    name: "CS: MOV EAX, [mem] through a readable code segment",
    cls: "write",
    setup: (r) => r.w32(0x50000, 5),
    code: [0x2e, 0x8b, 0x05, ...d32(0x50000)],
    want: { eax: 5 },
  },
  {
    name: "expand-down (B = 1): a dword at the limit: #GP(0)",
    cls: "write",
    setup: (r) => r.loadSeg(DS, 0x48),
    code: [0x8b, 0x05, ...d32(0xffc)],
    fault: GP0,
  },
  {
    name: "expand-down (B = 1): a dword just above the limit",
    cls: "write",
    setup: (r) => (r.loadSeg(DS, 0x48), r.w32(DATA + 0x1000, 0x77)),
    code: [0x8b, 0x05, ...d32(0x1000)],
    want: { eax: 0x77 },
  },
  {
    name: "expand-down (B = 1): a write far above the limit",
    cls: "write",
    setup: (r) => r.loadSeg(DS, 0x48),
    regs: { eax: 0x99 },
    code: [0x89, 0x05, ...d32(0x2000)],
    mem: [[DATA + 0x2000, 4, 0x99]],
  },
  {
    name: "expand-down (B = 0): a dword at FFFEh passes the 64 KiB top: #GP(0)",
    cls: "write",
    setup: (r) => r.loadSeg(DS, 0x50),
    code: [0x8b, 0x05, ...d32(0xfffe)],
    fault: GP0,
  },
  {
    name: "expand-down (B = 0): a dword at FFFCh",
    cls: "write",
    setup: (r) => (r.loadSeg(DS, 0x50), r.w32(DATA + 0xfffc, 0x42)),
    code: [0x8b, 0x05, ...d32(0xfffc)],
    want: { eax: 0x42 },
  },
  {
    name: "expand-down stack: PUSH below the limit: #SS(0)",
    cls: "write",
    setup: (r) => r.loadSeg(SS, 0x70),
    regs: { esp: 0x9002 },
    code: [0x50],
    fault: SS0,
  },
  {
    name: "expand-down stack: PUSH above the limit",
    cls: "write",
    setup: (r) => r.loadSeg(SS, 0x70),
    regs: { esp: 0x9008, eax: 0x31 },
    code: [0x50],
    want: { esp: 0x9004 },
    mem: [[0x9004, 4, 0x31]],
  },
  {
    name: "null DS: a byte at offset 0: #GP(0)",
    cls: "write",
    setup: (r) => r.loadSeg(DS, 0),
    code: [0x8a, 0x05, ...d32(0)],
    fault: GP0,
  },
  {
    name: "null ES: STOSB: #GP(0)",
    cls: "write",
    setup: (r) => r.loadSeg(ES, 0),
    regs: { edi: 0x50000 },
    code: [0xaa],
    fault: GP0,
  },
  {
    name: "byte limit FFh: a dword at FCh",
    cls: "write",
    setup: (r) => (r.loadSeg(DS, 0x60), r.w32(DATA + 0xfc, 3)),
    code: [0x8b, 0x05, ...d32(0xfc)],
    want: { eax: 3 },
  },
  {
    name: "byte limit FFh: a dword at FDh: #GP(0)",
    cls: "write",
    setup: (r) => r.loadSeg(DS, 0x60),
    code: [0x8b, 0x05, ...d32(0xfd)],
    fault: GP0,
  },
  {
    name: "[EBP] beyond a 16-bit SS's limit: #SS(0)",
    cls: "write",
    setup: SS16,
    regs: { ebp: 0x10000 },
    code: [0x8b, 0x45, 0x00],
    fault: SS0,
  },
  {
    name: "segment before paging: a read-only DS and a page not present: #GP(0)",
    cls: "write",
    paging: true,
    setup: (r) => (RO(r), r.pte(DATA, 0)),
    code: [0x89, 0x05, ...d32(0x10)],
    fault: GP0,
  },
  {
    name: "limit before paging: beyond the limit on a page not present: #GP(0)",
    cls: "write",
    paging: true,
    setup: (r) => (r.loadSeg(DS, 0x60), r.pte(DATA, 0)),
    code: [0x8b, 0x05, ...d32(0x100)],
    fault: GP0,
  },
  {
    name: "CPL 3 write to a read-only user page: #PF(P W U)",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x50000, PTE_P | PTE_US),
    regs: { eax: 1 },
    code: [0x89, 0x05, ...d32(0x50000)],
    fault: [14, 7],
    cr2: 0x50000,
  },
  {
    name: "CPL 3 ADD to a read-only user page: #PF(P W U) before the flags change",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => (r.pte(0x50000, PTE_P | PTE_US), r.w32(0x50000, -1)),
    regs: { eax: 1 },
    code: [0x01, 0x05, ...d32(0x50000)],
    fault: [14, 7],
    cr2: 0x50000,
  },
  {
    name: "CPL 3 read of a supervisor page: #PF(P U)",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x2f000, PTE_P | PTE_RW),
    code: [0x8b, 0x05, ...d32(0x2f000)],
    fault: [14, 5],
    cr2: 0x2f000,
  },
  {
    name: "CPL 3 ADD to a supervisor page: reported as a write, #PF(P W U)",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x2f000, PTE_P | PTE_RW),
    code: [0x01, 0x05, ...d32(0x2f000)],
    fault: [14, 7],
    cr2: 0x2f000,
  },
  {
    name: "CPL 0 write to a read-only page without CR0.WP",
    cls: "write",
    paging: true,
    setup: (r) => r.pte(0x50000, PTE_P | PTE_US),
    regs: { eax: 0x5a },
    code: [0x89, 0x05, ...d32(0x50000)],
    mem: [[0x50000, 4, 0x5a]],
  },
  {
    name: "CPL 0 write to a read-only page with CR0.WP: #PF(P W)",
    cls: "write",
    paging: true,
    setup: (r) => (r.pte(0x50000, PTE_P | PTE_US), r.wp()),
    code: [0x89, 0x05, ...d32(0x50000)],
    fault: [14, 3],
    cr2: 0x50000,
  },
  {
    name: "CPL 3 PUSH onto a supervisor page: #PF(P W U), ESP unchanged",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x2f000, PTE_P | PTE_RW),
    regs: { esp: 0x30000 },
    code: [0x50],
    fault: [14, 7],
    cr2: 0x2fffc,
  },
  {
    name: "CPL 3 CALL with the stack on a read-only page: #PF(P W U), EIP and ESP unchanged",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x2f000, PTE_P | PTE_US),
    regs: { esp: 0x30000 },
    code: [0xe8, ...d32(0)],
    fault: [14, 7],
    cr2: 0x2fffc,
  },
  {
    name: "a dword write reaching into a read-only page: #PF at the second page, the first unwritten",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x51000, PTE_P | PTE_US),
    regs: { eax: 0x11223344 },
    code: [0x89, 0x05, ...d32(0x50ffe)],
    fault: [14, 7],
    cr2: 0x51000,
    mem: [[0x50ffe, 2, 0]],
  },
  {
    name: "CMPXCHG8B reaching into a read-only page: #PF, nothing written",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(0x51000, PTE_P | PTE_US),
    regs: { ebx: 0x11, ecx: 0x22 },
    code: [0x0f, 0xc7, 0x0d, ...d32(0x50ffc)],
    fault: [14, 7],
    cr2: 0x51000,
    mem: [[0x50ffc, 4, 0]],
  },
  {
    name: "SGDT to a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0x0f, 0x01, 0x05, ...d32(0)],
    fault: GP0,
  },
  {
    name: "SMSW to a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0x0f, 0x01, 0x25, ...d32(0)],
    fault: GP0,
  },
  {
    name: "STR to a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0x0f, 0x00, 0x0d, ...d32(0)],
    fault: GP0,
  },
  {
    name: "FNSTSW to a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0xdd, 0x3d, ...d32(0)],
    fault: GP0,
  },
  {
    name: "SETE to a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0x0f, 0x94, 0x05, ...d32(0)],
    fault: GP0,
  },
  {
    name: "BTS to a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0x0f, 0xab, 0x05, ...d32(0)],
    fault: GP0,
  },
  {
    name: "BT through a read-only DS",
    cls: "write",
    setup: RO,
    code: [0x0f, 0xa3, 0x05, ...d32(0)],
  },
  {
    name: "XCHG with a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0x87, 0x05, ...d32(0)],
    fault: GP0,
  },
  {
    name: "CMPXCHG with a read-only DS: #GP(0)",
    cls: "write",
    setup: RO,
    code: [0x0f, 0xb1, 0x0d, ...d32(0)],
    fault: GP0,
  },
  {
    name: "ARPL to a read-only DS: #GP(0) even when the RPL stays",
    cls: "write",
    setup: (r) => (RO(r), r.w16(DATA, 3)),
    code: [0x63, 0x05, ...d32(0)],
    fault: GP0,
  },
  {
    name: "LES from a read-only DS reads the far pointer",
    cls: "write",
    setup: (r) => (RO(r), r.w32(DATA, 0x1234), r.w16(DATA + 4, 0x10)),
    code: [0xc4, 0x05, ...d32(0)],
    want: { eax: 0x1234, es: 0x10 },
  },
  {
    name: "a segment load sets the accessed bit: a read-only GDT page with CR0.WP, #PF(P W)",
    cls: "write",
    paging: true,
    setup: (r) => (r.pte(GDT, PTE_P), r.wp()),
    regs: { eax: 0x60 },
    code: [0x8e, 0xd8],
    fault: [14, 3],
    cr2: GDT + 0x60 + 5,
  },
  {
    name: "a segment load whose accessed bit is set does not write the read-only GDT page",
    cls: "write",
    paging: true,
    setup: (r) => (r.setDesc(0x60, desc(DATA, 0xff, 0x93, 0x4)), r.pte(GDT, PTE_P), r.wp()),
    regs: { eax: 0x60 },
    code: [0x8e, 0xd8],
    want: { ds: 0x60 },
  },

  {
    name: "INT 80h from CPL 3 with the ring 0 stack on a page not present: #PF(W) raised at CPL 3, nothing changed",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => r.pte(ESP0 - 4, 0),
    code: [0xcd, 0x80],
    fault: [14, 2],
    cr2: ESP0 - 4,
  },
  {
    name: "INT 80h from CPL 3 with a ring 0 stack too small for the frame: #SS(new SS), nothing changed",
    cls: "write",
    ring3: true,
    setup: (r) => (r.w32(TSS + 4, 8), r.w32(TSS + 8, 0x60)),
    code: [0xcd, 0x80],
    fault: [12, 0x60],
  },
  {
    name: "INT 80h from CPL 3 with a ring 0 SS of RPL 3 in the TSS: #TS(SS selector)",
    cls: "write",
    ring3: true,
    setup: (r) => r.w32(TSS + 8, 0x23),
    code: [0xcd, 0x80],
    fault: [10, 0x20],
  },
  {
    name: "CALL through a call gate with a read-only ring 0 SS in the TSS: #TS(SS selector)",
    cls: "write",
    ring3: true,
    setup: (r) => (r.setDesc(0x88, callGate(0x08, HANDLER, 3, 0)), r.w32(TSS + 8, 0x30)),
    code: [0x9a, ...d32(0), 0x8b, 0x00],
    fault: [10, 0x30],
  },
  {
    name: "INT3 at CPL 0 whose third push reaches a page not present: #PF(W), ESP unchanged",
    cls: "write",
    paging: true,
    setup: (r) => r.pte(0x2f000, 0),
    regs: { esp: 0x30008 },
    code: [0xcc],
    fault: [14, 2],
    cr2: 0x2fffc,
  },
  {
    name: "CALL through a call gate from CPL 3 with the ring 0 stack on a page not present: #PF(W) at CPL 3",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => (r.setDesc(0x88, callGate(0x08, HANDLER, 3, 0)), r.pte(ESP0 - 4, 0)),
    code: [0x9a, ...d32(0), 0x8b, 0x00],
    fault: [14, 2],
    cr2: ESP0 - 4,
  },
  {
    name: "CALL through a call gate copies its parameters with the caller's rights: #PF(U) on a supervisor page",
    cls: "write",
    paging: true,
    ring3: true,
    setup: (r) => (r.setDesc(0x88, callGate(0x08, HANDLER, 3, 1)), r.pte(0x2f000, PTE_P | PTE_RW)),
    regs: { esp: 0x2fff0 },
    code: [0x9a, ...d32(0), 0x8b, 0x00],
    fault: [14, 5],
    cr2: 0x2fff0,
  },
  {
    name: "CALL through a call gate from CPL 3 copies a parameter to the ring 0 stack",
    cls: "stack",
    ring3: true,
    setup: (r) => (r.setDesc(0x88, callGate(0x08, HANDLER, 3, 1)), r.w32(0x5ff0, 0xfeed)),
    regs: { esp: 0x5ff0 },
    code: [0x9a, ...d32(0), 0x8b, 0x00],
    gateExit: true,
    mem: [
      [ESP0 - 4, 4, 0x23],
      [ESP0 - 8, 4, 0x5ff0],
      [ESP0 - 12, 4, 0xfeed],
      [ESP0 - 16, 4, 0x1b],
      [ESP0 - 20, 4, CODE + 7],
    ],
  },

  {
    name: "RETF to CPL 3 beyond the code limit: #GP(0) before the outer SS is loaded",
    cls: "write",
    setup: (r) => [0x2000, 0x93, 0x6000, 0x23].forEach((v, i) => r.w32(0x9000 + 4 * i, v)),
    code: [0xcb],
    fault: GP0,
  },
  {
    name: "IRETD to CPL 3 beyond the code limit: #GP(0) before the outer SS is loaded",
    cls: "write",
    setup: (r) => [0x2000, 0x93, 2, 0x6000, 0x23].forEach((v, i) => r.w32(0x9000 + 4 * i, v)),
    code: [0xcf],
    fault: GP0,
  },
  {
    name: "LTR with the GDT on a read-only page and CR0.WP: #PF(P W) for the busy bit, TR unchanged",
    cls: "write",
    paging: true,
    setup: (r) => (r.pte(GDT, PTE_P), r.wp()),
    regs: { eax: 0x98 },
    code: [0x0f, 0x00, 0xd8],
    fault: [14, 3],
    cr2: GDT + 0x98 + 5,
    tr: 0x28,
  },

  {
    name: "JMP to a TSS on a page not present: #PF, the current task still busy and TR unchanged",
    cls: "write",
    paging: true,
    setup: (r) => r.pte(0x60000, 0),
    code: [0xea, ...d32(0), 0xa0, 0x00],
    fault: [14, 0],
    cr2: 0x6001c,
    mem: [[GDT + 0x28 + 5, 1, 0x8b]],
    tr: 0x28,
  },

  // ---- rmw: one ModRM operand read and written, decoded once
  {
    name: "ARPL [EBX+disp32], AX raises the RPL at its own address",
    cls: "rmw",
    setup: (r) => r.w16(0x50100, 0x0010),
    regs: { ebx: 0x50000, eax: 3 },
    code: [0x63, 0x83, ...d32(0x100)],
    mem: [[0x50100, 2, 0x0013]],
  },
  {
    name: "ARPL [BX+SI+disp8] (16-bit address) raises the RPL",
    cls: "rmw",
    setup: (r) => r.w16(0x5130, 0x0021),
    regs: { ebx: 0x5100, esi: 0x20, eax: 2 },
    code: [0x67, 0x63, 0x40, 0x10],
    mem: [[0x5130, 2, 0x0022]],
  },
  {
    name: "ARPL AX, CX",
    cls: "rmw",
    regs: { eax: 0x10, ecx: 3 },
    code: [0x63, 0xc8],
    want: { eax: 0x13 },
  },
  {
    name: "ADD [EBX+ESI*4+disp32], EAX",
    cls: "rmw",
    setup: (r) => r.w32(0x50108, 10),
    regs: { ebx: 0x50000, esi: 2, eax: 5 },
    code: [0x01, 0x84, 0xb3, ...d32(0x100)],
    mem: [[0x50108, 4, 15]],
  },
  {
    name: "INC word [disp32]",
    cls: "rmw",
    setup: (r) => r.w16(0x50010, 0x00ff),
    code: [0x66, 0xff, 0x05, ...d32(0x50010)],
    mem: [[0x50010, 2, 0x0100]],
  },
  {
    name: "NOT dword [EBX+disp8]",
    cls: "rmw",
    setup: (r) => r.w32(0x50010, 0x0f0f0f0f),
    regs: { ebx: 0x50000 },
    code: [0xf7, 0x53, 0x10],
    mem: [[0x50010, 4, 0xf0f0f0f0]],
  },
  {
    name: "NEG byte [disp32]",
    cls: "rmw",
    setup: (r) => r.w8(0x50020, 1),
    code: [0xf6, 0x1d, ...d32(0x50020)],
    mem: [[0x50020, 1, 0xff]],
  },
  {
    name: "SHL dword [EBX+disp32], 1",
    cls: "rmw",
    setup: (r) => r.w32(0x50030, 0x40000001),
    regs: { ebx: 0x50000 },
    code: [0xd1, 0xa3, ...d32(0x30)],
    mem: [[0x50030, 4, 0x80000002]],
  },
  {
    name: "ROL word [disp32], CL",
    cls: "rmw",
    setup: (r) => r.w16(0x50040, 0x1234),
    regs: { ecx: 4 },
    code: [0x66, 0xd3, 0x05, ...d32(0x50040)],
    mem: [[0x50040, 2, 0x2341]],
  },
  {
    name: "XCHG [EBX+disp8], EAX",
    cls: "rmw",
    setup: (r) => r.w32(0x50050, 7),
    regs: { ebx: 0x50000, eax: 9 },
    code: [0x87, 0x43, 0x50],
    want: { eax: 7 },
    mem: [[0x50050, 4, 9]],
  },
  {
    name: "XADD [disp32], ECX",
    cls: "rmw",
    setup: (r) => r.w32(0x50060, 10),
    regs: { ecx: 3 },
    code: [0x0f, 0xc1, 0x0d, ...d32(0x50060)],
    want: { ecx: 10 },
    mem: [[0x50060, 4, 13]],
  },
  {
    name: "CMPXCHG [disp32], ECX (equal)",
    cls: "rmw",
    setup: (r) => r.w32(0x50070, 4),
    regs: { eax: 4, ecx: 8 },
    code: [0x0f, 0xb1, 0x0d, ...d32(0x50070)],
    mem: [[0x50070, 4, 8]],
  },
  {
    name: "BTS [disp32], EAX with a bit offset past the dword",
    cls: "rmw",
    regs: { eax: 35 },
    code: [0x0f, 0xab, 0x05, ...d32(0x50080)],
    mem: [[0x50084, 4, 8]],
  },
  {
    name: "BTC dword [EBX+disp8], 1",
    cls: "rmw",
    regs: { ebx: 0x50080 },
    code: [0x0f, 0xba, 0x7b, 0x10, 0x01],
    mem: [[0x50090, 4, 2]],
  },
  {
    name: "ADC dword [EBX+disp32], 5",
    cls: "rmw",
    setup: (r) => r.w32(0x500a0, 1),
    regs: { ebx: 0x50000 },
    code: [0xf8, 0x83, 0x93, ...d32(0xa0), 0x05],
    mem: [[0x500a0, 4, 6]],
  },
  {
    name: "SETE byte [EBX+disp32]",
    cls: "rmw",
    setup: (r) => r.w8(0x500b0, 0xff),
    regs: { ebx: 0x50000, eax: 1 },
    code: [0x85, 0xc0, 0x0f, 0x94, 0x83, ...d32(0xb0)],
    mem: [[0x500b0, 1, 0]],
  },
  {
    name: "POP [EBX+disp32]",
    cls: "rmw",
    setup: (r) => r.w32(0x9000, 0xabc),
    regs: { ebx: 0x50000 },
    code: [0x8f, 0x83, ...d32(0xc0)],
    want: { esp: 0x9004 },
    mem: [[0x500c0, 4, 0xabc]],
  },
  {
    name: "SHLD [disp32], EAX, 4",
    cls: "rmw",
    setup: (r) => r.w32(0x500d0, 0x10000000),
    regs: { eax: 0xf0000000 },
    code: [0x0f, 0xa4, 0x05, ...d32(0x500d0), 0x04],
    mem: [[0x500d0, 4, 0x0000000f]],
  },
  {
    name: "DEC byte [BP+DI+disp16] (16-bit address, SS)",
    cls: "rmw",
    setup: (r) => r.w8(0x5100, 5),
    regs: { ebp: 0x5000 },
    code: [0x67, 0xfe, 0x8b, 0x00, 0x01],
    mem: [[0x5100, 1, 4]],
  },
];

/** Runs one case and checks its outcome. */
function runCase(k: Case, jit: boolean): void {
  const r = new Rig(jit);
  const c = r.cpu;
  if (k.paging) r.paging();
  if (k.ring3) r.toRing3(k.regs?.esp ?? 0x6000);
  k.setup?.(r);
  r.mem.ram.set([...k.code, ...(k.ring3 ? [0xcd, 0x80] : [0xf4])], CODE);
  if (!k.ring3) c.setEip(CODE);
  const esp0 = k.ring3 ? 0x6000 : 0x9000;
  const init = REGS.map((n) => (k.regs?.[n] ?? (n === "esp" ? esp0 : 0)) | 0);
  init.forEach((v, i) => (c.r32[i] = v));
  c.events = 0;
  const flags0 = c.getFlags();
  const context0 = [c.sreg[CS], c.sreg[SS], c.cpl];
  r.portReads = 0;
  // With paging, compiled code is looked up only where the read TLB maps the code: map it.
  if (jit) c.rd8(CODE);
  r.runToHalt();
  expect(c.shutdownReason).toBe(null);
  expect(c.halted).toBe(true);

  let regs: number[];
  if (k.fault) {
    expect(r.faults.length).toBeGreaterThan(0);
    const f = r.faults[0];
    expect([f.vec, f.code]).toEqual(k.fault);
    expect(f.eip >>> 0).toBe(CODE);
    expect(f.flags & STATUS_FLAGS).toBe(flags0 & STATUS_FLAGS);
    expect(f.context).toEqual(context0);
    if (k.cr2 !== undefined) expect(f.cr2 >>> 0).toBe(k.cr2);
    regs = f.regs;
  } else {
    expect(r.faults).toEqual([]);
    regs = Array.from(c.r32.subarray(0, 8));
    // At CPL 3 the code ends with INT 80h (or in a call gate's ring 0 target): ESP is the one the frame saved.
    if (k.ring3) regs[4] = r.mem.read32(ESP0 - 8);
    expect(c.eip >>> 0).toBe((k.gateExit ? HANDLER : k.ring3 ? HANDLER80 : CODE + k.code.length) + 1);
  }
  const want = REGS.map((n, i) => (k.want?.[n] ?? init[i]) >>> 0);
  expect(regs.map((v) => v >>> 0)).toEqual(want);
  for (const s of ["es", "ss", "ds"] as const) {
    const v = k.want?.[s];
    if (v !== undefined && !k.fault) expect(c.sreg[SEGS[s]]).toBe(v);
  }
  for (const [addr, size, value] of k.mem ?? []) expect(r.rd(addr, size)).toBe(value >>> 0);
  if (k.tr !== undefined) expect(c.dt[DT_TR_SEL]).toBe(k.tr);
  if (k.portReads !== undefined) expect(r.portReads).toBe(k.portReads);
  if (jit) jitInstructions += c.jit.stats.instructions;
}

/** Instructions the JIT compiled over the JIT runs (it must have compiled some). */
let jitInstructions = 0;

describe("protected-mode suite", () => {
  for (const jit of [false, true]) {
    describe(jit ? "WebAssembly JIT (threshold 1)" : "interpreter", () => {
      for (const k of CASES) {
        it(`[${k.cls}] ${k.name}`, () => runCase(k, jit));
      }
    });
  }

  it("has cases in every class, and the JIT compiled code for them", () => {
    const classes = new Set(CASES.map((k) => k.cls));
    expect([...classes].sort()).toEqual(["rmw", "stack", "write"]);
    expect(jitInstructions).toBeGreaterThan(0);
  });
});
