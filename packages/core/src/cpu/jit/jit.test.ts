// The JIT against the interpreter: the same programs run on two CPUs, one compiling hot blocks
// and one interpreting everything, in slices of odd sizes; after every slice both must agree on
// the instruction count, every register, EFLAGS, EIP and memory. Random loop bodies cover the
// specialised instructions and the fallbacks around them, in 32-bit protected mode and with
// 16-bit code in real mode, 16-bit protected mode and virtual-8086 mode; directed programs cover
// a fault in the middle of a compiled block, regions of several blocks (a fault in one reached by
// a jump inside the region, a write to one that is not the entry), self-modifying code, and code
// written by a device.
import { describe, expect, it, vi } from "vitest";
import { Cpu } from "../cpu.ts";
import {
  CR0_PE,
  CR0_PG,
  EV_INTR,
  CS,
  DS,
  DT_GDT_BASE,
  DT_GDT_LIMIT,
  DT_IDT_BASE,
  DT_IDT_LIMIT,
  ES,
  IOPL,
  SS,
  VM,
} from "../regs.ts";
import { Dispatcher } from "../../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../../memory/physical-memory.ts";
import { Block } from "./jit.ts";
import { desc } from "../testing/descriptors.ts";

const GDT = 0x1000,
  IDT = 0x2000,
  CODE = 0x10000,
  DATA = 0x20000,
  STACK = 0x9000,
  HANDLER = 0x8000,
  TSS = 0x3000,
  /** The ring 0 stack, and a HLT for #GP, for V86 mode. */
  V86_ESP0 = 0x7000,
  V86_HALT = 0x7800;
const MEM = 1 << 20;

/** Compile after a few runs (the default waits for tens of thousands), so short programs exercise compiled blocks. */
const TEST_THRESHOLD = 40;

type Backend = "js" | "wasm";
/** Where the code at CODE runs. */
type Mode =
  /** 32-bit protected mode: CS 08h (base 0), DS = ES = SS = 10h (base 0, limit 1 MiB, B = 1). */
  | "pm32"
  /** As pm32 with flat data segments: DS = ES = SS = 38h (base 0, limit 4 GiB), which compiled code may assume. */
  | "flat32"
  /** 16-bit protected mode: CS 18h (base CODE, D = 0), DS = ES = 20h (base DATA, 64 KiB), SS 10h as in pm32. */
  | "pm16"
  /** As pm16 with a 16-bit stack: SS 28h (base 0, 64 KiB, B = 0). */
  | "pm16ss16"
  /** Virtual-8086 mode, entered by IRETD from ring 0: CS = CODE >> 4, DS = ES = DATA >> 4, SS = 0, IOPL 3. */
  | "v86";

/** A CPU in flat 32-bit protected mode (data segment limit 1 MiB), code at CODE. */
function machine(jit: boolean, code: number[], backend: Backend = "js"): Cpu {
  return machineIn("pm32", jit, code, backend);
}

function machineIn(mode: Mode, jit: boolean, code: number[], backend: Backend): Cpu {
  const mem = new PhysicalMemory(MEM);
  const cpu = new Cpu(mem, new Dispatcher());
  const w32 = (a: number, v: number) => mem.write32(a, v);
  const gdt = [
    desc(0, 0, 0, 0),
    desc(0, 0xfffff, 0x9a, 0xc),
    desc(0, 0xff, 0x92, 0xc),
    desc(CODE, 0xffff, 0x9a, 0), // 18h: 16-bit code
    desc(DATA, 0xffff, 0x92, 0), // 20h: 16-bit data
    desc(0, 0xffff, 0x92, 0), // 28h: 16-bit stack
    desc(TSS, 0x67, 0x89, 0), // 30h: the task, for a ring 0 stack
    desc(0, 0xfffff, 0x92, 0xc), // 38h: flat data
  ];
  gdt.forEach(([lo, hi], i) => {
    w32(GDT + i * 8, lo);
    w32(GDT + i * 8 + 4, hi);
  });
  // #GP (13) and #DE (0) go to HANDLER through interrupt gates.
  for (const v of [0, 13]) {
    w32(IDT + v * 8, (0x08 << 16) | HANDLER);
    w32(IDT + v * 8 + 4, 0x8e00);
  }
  cpu.dt[DT_GDT_BASE] = GDT;
  cpu.dt[DT_GDT_LIMIT] = gdt.length * 8 - 1;
  cpu.dt[DT_IDT_BASE] = IDT;
  cpu.dt[DT_IDT_LIMIT] = 256 * 8 - 1;
  cpu.writeCr(0, cpu.cr[0] | CR0_PE);
  for (const s of [DS, ES, SS]) cpu.loadSeg(s, 0x10);
  cpu.setSegReal(CS, 0, 0xffff, 0x9b);
  cpu.eip = 0x500;
  if (mode === "pm32" || mode === "flat32") {
    if (mode === "flat32") for (const s of [DS, ES, SS]) cpu.loadSeg(s, 0x38);
    mem.ram.set([0x66, 0xea, ...le32(CODE), 0x08, 0], 0x500); // jmp dword 08h:CODE
    cpu.run(1);
  } else if (mode === "v86") {
    // jmp dword 08h:600h, where the ring 0 code loads TR, pushes a V86 frame and IRETDs to it.
    // HLT is privileged in V86 mode: the program's last instruction raises #GP, whose ring 0
    // handler (on the task's stack, V86_ESP0) halts.
    const push = (v: number) => [0x68, ...le32(v)];
    mem.ram.set([0x66, 0xea, ...le32(0x600), 0x08, 0], 0x500);
    const frame = [0, 0, DATA >> 4, DATA >> 4, 0, STACK, VM | IOPL | 2, CODE >> 4, 0]; // GS FS DS ES SS ESP EFLAGS CS EIP
    mem.ram.set([0xb8, 0x30, 0, 0, 0, 0x0f, 0x00, 0xd8, ...frame.flatMap(push), 0xcf], 0x600); // mov eax, 30h; ltr ax
    w32(TSS + 4, V86_ESP0);
    w32(TSS + 8, 0x10);
    w32(IDT + 13 * 8, (0x08 << 16) | V86_HALT);
    mem.ram[V86_HALT] = 0xf4;
    cpu.run(1);
    cpu.r32[4] = STACK;
    cpu.run(frame.length + 3);
    expect(cpu.flags & VM).toBe(VM);
    expect([cpu.eip, cpu.cpl, cpu.r32[4]]).toEqual([0, 3, STACK]);
  } else {
    for (const s of [DS, ES]) cpu.loadSeg(s, 0x20);
    if (mode === "pm16ss16") cpu.loadSeg(SS, 0x28);
    mem.ram.set([0xea, 0, 0, 0x18, 0], 0x500); // jmp 18h:0
    cpu.run(1);
    expect(cpu.defOsizeBase).toBe(0);
  }
  cpu.events = 0; // the MOV SS shadow of the setup
  cpu.r32[4] = STACK;
  cpu.setJitEnabled(jit);
  cpu.jit.backend = backend;
  cpu.jit.threshold = TEST_THRESHOLD;
  mem.ram.set(code, CODE);
  return cpu;
}

function state(c: Cpu): unknown {
  return {
    regs: Array.from(c.r32.subarray(0, 8)),
    eip: c.eip,
    flags: c.getFlags(),
    instret: c.instret,
    data: Array.from(c.mem.ram.subarray(DATA, DATA + 256)),
    stack: Array.from(c.mem.ram.subarray(STACK - 256, STACK)),
    halted: c.halted,
  };
}

/** Runs both machines in the same slices until both halt; they must agree after every slice. */
function compare(
  code: number[],
  setup: (c: Cpu) => void = () => {},
  sizes = [1, 7, 37, 100, 3, 250, 61],
  maxSlices = 4000,
  backend: Backend = "js",
  make: (jit: boolean, code: number[], backend: Backend) => Cpu = machine,
): { jit: Cpu; interp: Cpu } {
  const a = make(true, code, backend),
    b = make(false, code, "js");
  setup(a);
  setup(b);
  for (let i = 0; i < maxSlices && !(a.halted && b.halted); i++) {
    const n = sizes[i % sizes.length];
    const na = a.run(n),
      nb = b.run(n);
    expect(na).toBe(nb);
    expect(state(a)).toEqual(state(b));
  }
  expect(a.shutdownReason).toBe(null);
  expect(a.halted).toBe(true);
  return { jit: a, interp: b };
}

// ---- a tiny assembler for the random bodies

/** Xorshift32: the same bodies on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const modrm = (mod: number, reg: number, rm: number) => (mod << 6) | (reg << 3) | rm;
/** Registers a body may change: EAX EDX ESI EDI EBP (ECX counts the loop, EBX points at DATA). */
const DST = [0, 2, 6, 7, 5];
/** Byte registers outside ECX and EBX: AL DL AH DH. */
const DST8 = [0, 2, 4, 6];

function randomInsn(r: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const reg = () => pick(DST),
    reg8 = () => pick(DST8),
    any = () => r() % 8;
  const imm32 = () => le32(pick([0, 1, -1, 0x7fffffff, 0x80000000, r(), r() & 0xff, -(r() & 0xff)]));
  /** A memory operand in DATA: [ebx+disp8] or [ebx+disp32]. */
  const mem = (regField: number): number[] =>
    r() & 1 ? [modrm(1, regField, 3), r() % 120] : [modrm(2, regField, 3), ...le32(r() % 120)];
  const e = (regField: number, dst: boolean): number[] =>
    r() % 3 === 0 ? mem(regField) : [modrm(3, regField, dst ? reg() : any())];
  const e8 = (regField: number): number[] => (r() % 3 === 0 ? mem(regField) : [modrm(3, regField, reg8())]);
  const alu = () => r() % 8;
  switch (r() % 52) {
    case 0:
      return [(alu() << 3) | 1, ...e(any(), true)]; // ALU Ev,Gv
    case 1:
      return [(alu() << 3) | 3, modrm(3, reg(), any())]; // ALU Gv,Ev (register)
    case 2:
      return [(alu() << 3) | 3, ...mem(reg())]; // ALU Gv,Ev (memory)
    case 3:
      return [(alu() << 3) | 0, ...e8(reg8())]; // ALU Eb,Gb
    case 4:
      return [(alu() << 3) | 2, modrm(3, reg8(), reg8())]; // ALU Gb,Eb
    case 5:
      return [(alu() << 3) | 5, ...imm32()]; // ALU eAX,Iv
    case 6:
      return [(alu() << 3) | 4, r() & 0xff]; // ALU AL,Ib
    case 7:
      return [0x81, ...e(alu(), true), ...imm32()];
    case 8:
      return [0x83, ...e(alu(), true), r() & 0xff];
    case 9:
      return [0x80, ...e8(alu()), r() & 0xff];
    case 10:
      return [pick([0x84, 0x85]), ...e(any(), false)];
    case 11:
      return [0x89, ...e(any(), true)];
    case 12:
      return [0x8b, modrm(3, reg(), any())];
    case 13:
      return [0x8b, ...mem(reg())];
    case 14:
      return [pick([0x88, 0x8a]), modrm(3, reg8(), reg8())];
    case 15:
      return [0xc7, ...e(0, true), ...imm32()];
    case 16:
      return [0xb8 + reg(), ...imm32()];
    case 17:
      return [0x8d, modrm(2, reg(), pick([0, 1, 2, 3, 5, 6, 7])), ...le32(r())]; // LEA
    case 18:
      return [0x8d, modrm(1, reg(), 4), ((r() % 4) << 6) | (any() << 3) | any(), r() & 0xff]; // LEA with SIB
    case 19:
      return [pick([0x40, 0x48]) + reg()];
    case 20:
      return [0x50 + any(), 0x58 + reg()]; // PUSH r; POP r
    case 21:
      return shift(r, e, e8);
    case 22:
      return [0x0f, 0xaf, modrm(3, reg(), any())]; // IMUL Gv,Ev
    case 23:
      return [0x6b, modrm(3, reg(), any()), r() & 0xff]; // IMUL Gv,Ev,Ibs
    case 24:
      return [0x0f, pick([0xb6, 0xbe, 0xb7, 0xbf]), modrm(3, reg(), any())]; // MOVZX/MOVSX
    case 25:
      return [0x0f, 0x90 + (r() & 15), ...e8(0)]; // SETcc
    case 26:
      return [0x0f, 0x40 + (r() & 15), modrm(3, reg(), any())]; // CMOVcc
    case 27:
      return pick([[0x99], [0x98], [0x90], [0x90 + reg()], [0xf5], [0xf8], [0xf9], [0x9f], [0x9e]]);
    case 28:
      return pick([
        // fallbacks
        [0xf7, modrm(3, pick([2, 3, 4, 5]), reg())], // NOT NEG MUL IMUL
        [0x0f, 0xa3, modrm(3, any(), reg())], // BT
        [0x0f, 0xc8 + reg()], // BSWAP
        [0x66, (alu() << 3) | 1, modrm(3, any(), reg())], // 16-bit ALU
        [0x0f, 0xc1, modrm(3, reg(), reg())], // XADD
        [0x9c, 0x58 + reg()], // PUSHFD; POP r
        [0x0f, 0xa4, modrm(3, any(), reg()), r() & 31], // SHLD
      ]);
    case 38:
      return pick([
        [0xf7, ...e(0, false), ...imm32()], // TEST Ev, Iv
        [0xf6, ...e8(0), r() & 0xff], // TEST Eb, Ib
      ]);
    case 39:
      return [pick([0xa1, 0xa3]), ...le32(DATA + (r() % 120))]; // MOV eAX, moffs / moffs, eAX
    case 40:
      return pick([
        [0x6a, r() & 0xff, 0x58 + reg()], // PUSH imm8; POP r
        [0x68, ...imm32(), 0x58 + reg()], // PUSH imm32; POP r
        [0xff, ...mem(6), 0x58 + reg()], // PUSH m32; POP r
      ]);
    case 41:
      return [0xff, ...mem(pick([0, 1]))]; // INC/DEC m32
    case 42: {
      // ROL ROR SHL SHR SAR r32 by CL, by an immediate or by one, then the flags made visible
      const sh = pick([0, 1, 4, 5, 7]);
      const form = pick([
        [0xd3, modrm(3, sh, reg())],
        [0xc1, modrm(3, sh, reg()), r() & 31],
        [0xd1, modrm(3, sh, reg())],
      ]);
      return [...form, 0x9c, 0x58 + reg()];
    }
    case 46:
      return [0x55, 0x89, 0xe5, 0x83, 0xec, r() & 0x3c, 0xc9]; // push ebp; mov ebp, esp; sub esp, n; leave
    case 47:
      return pick([
        [0x66, 0x89, modrm(3, any(), reg())], // MOV r16, r16
        [0x66, 0x8b, modrm(3, reg(), any())],
        [0x66, 0x8b, ...mem(reg())], // MOV r16, m16
      ]);
    case 50: {
      // A string instruction (no REP) on DATA, forwards or backwards: mov esi/edi first, CLD after.
      const str = pick([0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);
      const setup = [0xbe, ...le32(DATA + 8 + (r() % 100)), 0xbf, ...le32(DATA + 8 + (r() % 100))];
      return [...setup, pick([0xfc, 0xfd]), ...(r() & 1 ? [0x66] : []), str, 0xfc, 0x9c, 0x58 + reg()];
    }
    case 51:
      // DIV/IDIV by the loop counter (never zero, quotients that fit): 32, 16 and 8 bits
      return pick([
        [0x31, 0xd2, 0xf7, 0xf1], // xor edx, edx; div ecx
        [0x99, 0xf7, 0xf9], // cdq; idiv ecx
        [0x66, 0x31, 0xd2, 0x66, 0xf7, 0xf1], // xor dx, dx; div cx
        [0x66, 0x99, 0x66, 0xf7, 0xf9], // cwd; idiv cx
        [0xb4, 0x00, 0xf6, 0xf1], // mov ah, 0; div cl
        [0x66, 0x98, 0xf6, 0xf9], // cbw; idiv cl
      ]);
    case 48:
    case 49:
      return pick([
        [0x66, 0x89, ...mem(any())], // MOV m16, r16
        [0x66, 0xc7, ...e(0, true), r() & 0xff, r() & 0xff], // MOV r/m16, imm16
        [0x66, 0xc1, modrm(3, pick([4, 5, 6, 7]), reg()), r() & 31, 0x9c, 0x58 + reg()], // SHL/SHR/SAR r16, imm; flags
        [0x66, 0xc1, modrm(3, pick([4, 5, 6, 7]), reg()), 1 + (r() % 15), 0x9c, 0x58 + reg()],
        [0x66, 0xd1, modrm(3, pick([4, 5, 7]), reg()), 0x9c, 0x58 + reg()],
        [0x0f, 0x40 + (r() & 15), ...mem(reg())], // CMOVcc r32, m32
        [0x66, 0x90],
        [0xf3, 0x90], // PAUSE
      ]);
    case 43:
    case 44:
    case 45: {
      // An instruction, then its flags made visible: PUSHFD; POP r.
      const insn = randomInsn(r);
      return [...insn, 0x9c, 0x58 + reg()];
    }
    default: {
      // A conditional jump over the next instruction: cmp/test, jcc +len, instruction.
      const skip = randomInsn(r);
      const same = any();
      const flagOp = pick([
        [0x39, modrm(3, any(), reg())],
        [0x39, modrm(3, same, same)],
        [0x38, modrm(3, reg8(), reg8())],
        [0x85, modrm(3, any(), reg())],
        [0x3d, ...imm32()],
        [0x83, modrm(3, 7, reg()), r() & 0xff],
        [0x29, modrm(3, any(), reg())],
        [0x21, modrm(3, any(), reg())],
        [0x01, modrm(3, any(), reg())],
        [0x40 + reg()],
        [0x48 + reg()],
        [0x84, modrm(3, reg8(), reg8())],
        [0x3b, ...mem(reg())],
      ]);
      return [...flagOp, 0x70 + (r() & 15), skip.length, ...skip];
    }
  }
}
/**
 * A shift or rotate of group 2 (any of the eight, RCL and RCR included) of a dword, a byte or
 * (66h) a word in a register or memory: by an immediate (0, 1, the size, beyond it, or random),
 * by one, or by CL (the loop counter: counts 0 to 31 after masking, beyond every size).
 */
function shift(
  r: () => number,
  e: (regField: number, dst: boolean) => number[],
  e8: (regField: number) => number[],
): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const form = r() % 3,
    kind = r() % 8,
    size = r() % 4; // dword (twice as often), byte, word
  const opcode = [0xc1, 0xd1, 0xd3][form] - (size === 2 ? 1 : 0);
  const operand = size === 2 ? e8(kind) : e(kind, true);
  const imm = form === 0 ? [pick([0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, r() & 0xff])] : [];
  return [...(size === 3 ? [0x66] : []), opcode, ...operand, ...imm];
}

// ---- 16-bit code: real mode, code at CODE (CS = CODE >> 4, IP = 0), DS = ES = DATA >> 4, SS = 0

function machine16(jit: boolean, code: number[], backend: Backend = "js"): Cpu {
  const mem = new PhysicalMemory(MEM);
  const cpu = new Cpu(mem, new Dispatcher());
  cpu.setSegReal(CS, CODE >> 4, 0xffff, 0x9b);
  for (const sg of [DS, ES]) cpu.setSegReal(sg, DATA >> 4, 0xffff, 0x93);
  cpu.setSegReal(SS, 0, 0xffff, 0x93);
  cpu.eip = 0;
  cpu.r32[4] = STACK;
  cpu.setJitEnabled(jit);
  cpu.jit.backend = backend;
  cpu.jit.threshold = TEST_THRESHOLD;
  mem.ram.set(code, CODE);
  return cpu;
}

const le16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];

/** A random 16-bit instruction (real mode): BX = 0 addresses DATA, CX counts the loop. */
function randomInsn16(r: () => number): number[] {
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const reg = () => pick([0, 2, 6, 7, 5]), // AX DX SI DI BP
    reg8 = () => pick([0, 2, 4, 6]),
    any = () => r() % 8;
  const imm16 = () => le16(pick([0, 1, 0xffff, 0x7fff, 0x8000, r() & 0xffff, r() & 0xff]));
  /** [bx+disp8] or [bx+disp16] inside DATA. */
  const mem = (f: number): number[] => (r() & 1 ? [modrm(1, f, 7), r() % 120] : [modrm(2, f, 7), ...le16(r() % 120)]);
  const e = (f: number): number[] => (r() % 3 === 0 ? mem(f) : [modrm(3, f, reg())]);
  const e8 = (f: number): number[] => (r() % 3 === 0 ? mem(f) : [modrm(3, f, reg8())]);
  const alu = () => r() % 8;
  const flagsTo = () => [0x9c, 0x58 + reg()]; // PUSHF; POP r16
  switch (r() % 22) {
    case 0:
      return [(alu() << 3) | 1, ...e(any())];
    case 1:
      return [(alu() << 3) | 3, modrm(3, reg(), any())];
    case 2:
      return [(alu() << 3) | 3, ...mem(reg())];
    case 3:
      return [(alu() << 3) | 0, ...e8(reg8())];
    case 4:
      return [(alu() << 3) | 5, ...imm16()];
    case 5:
      return r() & 1 ? [0x81, ...e(alu()), ...imm16()] : [0x83, ...e(alu()), r() & 0xff];
    case 6:
      return pick([
        [0x85, ...e(any())],
        [0xa9, ...imm16()],
        [0xf7, ...e(0), ...imm16()],
      ]);
    case 7:
      return pick([
        [0x89, ...e(any())],
        [0x8b, modrm(3, reg(), any())],
        [0x8b, ...mem(reg())],
        [0xc7, ...e(0), ...imm16()],
        [0xb8 + reg(), ...imm16()],
      ]);
    case 8:
      // LEA r16 with each 16-bit form and a disp8 or disp16
      return r() & 1 ? [0x8d, modrm(1, reg(), any()), r() & 0xff] : [0x8d, modrm(2, reg(), any()), ...le16(r())];
    case 9:
      return pick([[0x40 + reg()], [0x48 + reg()], [0xff, ...mem(r() & 1)]]);
    case 10:
      return pick([
        [0x50 + any(), 0x58 + reg()],
        [0x68, ...imm16(), 0x58 + reg()],
        [0x6a, r() & 0xff, 0x58 + reg()],
        [0xff, ...mem(6), 0x58 + reg()],
      ]);
    case 11: {
      // Shifts and rotates of group 2 (word or byte, register or memory, by an immediate, one or CL), then the flags
      const kind = r() % 8,
        form = r() % 3,
        byte = r() % 3 === 0;
      const opcode = [0xc1, 0xd1, 0xd3][form] - (byte ? 1 : 0);
      const imm = form === 0 ? [pick([0, 1, 8, 9, 15, 16, 17, 31, 32, r() & 0xff])] : [];
      return [opcode, ...(byte ? e8(kind) : e(kind)), ...imm, ...flagsTo()];
    }
    case 12:
      return pick([
        [0x0f, 0xb6, modrm(3, reg(), reg8())],
        [0x0f, 0xbe, ...mem(reg())],
      ]);
    case 13:
      return pick([
        [0x66, (alu() << 3) | 1, modrm(3, any(), reg())], // 32-bit ALU
        [0x66, 0xb8 + reg(), ...le32(r())],
        [0x66, 0x0f, 0xaf, modrm(3, reg(), any())], // IMUL r32
        [0x66, 0x89, ...mem(any())], // MOV m32, r32
      ]);
    case 14:
      return [0x0f, 0x90 + (r() & 15), ...e8(0)];
    case 15: {
      const str = pick([0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);
      return [
        0xbe,
        ...le16(8 + (r() % 100)),
        0xbf,
        ...le16(8 + (r() % 100)),
        pick([0xfc, 0xfd]),
        str,
        0xfc,
        ...flagsTo(),
      ];
    }
    case 16:
      return pick([
        [0x31, 0xd2, 0xf7, 0xf1], // xor dx, dx; div cx
        [0x99, 0xf7, 0xf9], // cwd; idiv cx
        [0xb4, 0x00, 0xf6, 0xf1], // mov ah, 0; div cl
        [0x98, 0xf6, 0xf9], // cbw; idiv cl
      ]);
    case 17:
      return [0xe8, 0, 0, 0x58 + reg()]; // CALL next; POP r16
    case 18:
      return pick([
        [0x88, ...e8(reg8())],
        [0x8a, modrm(3, reg8(), reg8())],
        [0xc6, ...e8(0), r() & 0xff],
        [0xb0 + reg8(), r() & 0xff],
      ]);
    case 19: {
      const insn = randomInsn16(r);
      return [...insn, ...flagsTo()];
    }
    default: {
      const skip = randomInsn16(r);
      const flagOp = pick([
        [0x39, modrm(3, any(), reg())],
        [0x3d, ...imm16()],
        [0x85, modrm(3, any(), reg())],
        [0x40 + reg()],
        [0x38, modrm(3, reg8(), reg8())],
      ]);
      return [...flagOp, 0x70 + (r() & 15), skip.length, ...skip];
    }
  }
}

/** mov bx, 0; mov cx, iterations; loop: body; LOOP loop (or DEC CX; JNZ); hlt */
function loopProgram16(body: number[], iterations: number, useLoop: boolean): number[] {
  const head = [0xbb, 0, 0, 0xb9, ...le16(iterations)];
  const tail = useLoop ? [0xe2, -(body.length + 2) & 0xff] : [0x49, 0x0f, 0x85, ...le16(-(body.length + 1 + 4))];
  return [...head, ...body, ...tail, 0xf4];
}

/** mov ebx, DATA; mov ecx, iterations; loop: body; dec ecx; jnz loop; hlt */
function loopProgram(body: number[], iterations: number): number[] {
  const head = [0xbb, ...le32(DATA), 0xb9, ...le32(iterations)];
  const tail = [0x49, 0x0f, 0x85, ...le32(-(body.length + 1 + 6))];
  return [...head, ...body, ...tail, 0xf4];
}

/** An instruction stream with labels: bytes, a label's place, or a reference to one (rel8 or rel32 to the end of the field, abs32 as a linear address). */
type Asm = number | { label: string } | { rel8: string } | { rel32: string } | { abs32: string };

/** Assembles items at CODE: the bytes and each label's offset from CODE. */
function assemble(items: Asm[]): { code: number[]; at: Record<string, number> } {
  const at: Record<string, number> = {};
  const size = (x: Asm) => (typeof x === "number" ? 1 : "label" in x ? 0 : "rel8" in x ? 1 : 4);
  let off = 0;
  for (const x of items) {
    if (typeof x === "object" && "label" in x) at[x.label] = off;
    off += size(x);
  }
  const code: number[] = [];
  const to = (l: string) => {
    expect(at[l]).toBeTypeOf("number");
    return at[l];
  };
  for (const x of items) {
    if (typeof x === "number") code.push(x);
    else if ("rel8" in x) {
      const d = to(x.rel8) - (code.length + 1);
      expect(d).toBeGreaterThanOrEqual(-128);
      expect(d).toBeLessThan(128);
      code.push(d & 0xff);
    } else if ("rel32" in x) code.push(...le32(to(x.rel32) - (code.length + 4)));
    else if ("abs32" in x) code.push(...le32(CODE + to(x.abs32)));
  }
  return { code, at };
}

/** The cached blocks holding the byte at physical address pip. */
function blocksAt(c: Cpu, pip: number): Block[] {
  return c.jit.blocks.filter((b): b is Block => b !== null && b.count > 0 && b.pip <= pip && pip < b.pip + b.bytes);
}

describe.each(["js", "wasm"] as const)("the JIT (%s blocks) runs exactly what the interpreter runs", (backend) => {
  /** The 32-bit random bodies: where they run, and what the data and registers start as. */
  const BODIES_32 = [
    // More bodies for the wasm blocks, the newer backend.
    { name: "", mode: "pm32", seed: 12345, runs: [60, 300], fill: 73, regs: [0x12345678, -7, 3, 0x80000000, 99] },
    {
      name: " with flat data segments",
      mode: "flat32",
      seed: 777,
      runs: [20, 120],
      fill: 31,
      regs: [0x87654321, 5, -3, 0x7fffffff, 1],
    },
  ] as const;
  for (const { name, mode, seed, runs, fill, regs } of BODIES_32)
    it(`random loop bodies${name}: same state after every slice`, () => {
      const r = rng(seed);
      const make = (jit: boolean, code: number[], b: Backend) => machineIn(mode, jit, code, b);
      for (let t = 0; t < runs[backend === "wasm" ? 1 : 0]; t++) {
        const body: number[] = [];
        const len = 3 + (r() % 14);
        for (let i = 0; i < len; i++) body.push(...randomInsn(r));
        const { jit } = compare(
          loopProgram(body, 120),
          (c) => {
            for (let i = 0; i < 256; i++) c.mem.ram[DATA + i] = (i * fill + t) & 0xff;
            // EAX EDX ESI EDI EBP
            [0, 2, 6, 7, 5].forEach((reg, i) => (c.r32[reg] = regs[i]));
          },
          undefined,
          undefined,
          backend,
          make,
        );
        expect(jit.jit.stats.compiled).toBeGreaterThan(0);
      }
    });

  it("shifts and rotates of every kind and size: by CL from 63 to 0, by one and by immediates, CF set and clear", () => {
    // Each form, then its flags added into EBP and the operands varied: XOR ESI, ADC EDX, and
    // ADD EAX last (CF for the next RCL/RCR). ECX (the loop counter) runs from 64 down, so the
    // masked CL count takes every value 0 to 31 twice.
    const body: number[] = [];
    for (let kind = 0; kind < 8; kind++) {
      for (const size of [8, 16, 32]) {
        const pre = size === 16 ? [0x66] : [];
        const opc = (x: number) => (size === 8 ? x - 1 : x);
        const forms = [
          [...pre, opc(0xd3), modrm(3, kind, 0)], // EAX (AL) by CL
          [...pre, opc(0xd3), modrm(0, kind, 3)], // [EBX] by CL
          [...pre, opc(0xd1), modrm(3, kind, 2)], // EDX (DL) by one
          [...pre, opc(0xd1), modrm(1, kind, 3), 8], // [EBX+8] by one
          ...[0, 1, 7, 8, 9, 15, 16, 17, 31, 33].map((k) => [...pre, opc(0xc1), modrm(3, kind, 6), k]), // ESI (DH) by k
          [...pre, opc(0xc1), modrm(1, kind, 3), 4, 17], // [EBX+4] by 17
        ];
        for (const f of forms)
          body.push(...f, 0x9c, 0x5f, 0x01, 0xfd, 0x31, 0xd6, 0x11, 0xc2, 0x05, ...le32(0x9e3779b9));
        body.push(0xeb, 0x00); // JMP to the next instruction: a block starts there (the run loop looks where jumps lead)
      }
    }
    const { jit } = compare(
      loopProgram(body, 64),
      (c) => {
        for (let i = 0; i < 64; i++) c.mem.ram[DATA + i] = (i * 37 + 11) & 0xff;
        [0x81234567, 0x00c0ffee, 0x7f00ff01].forEach((v, i) => (c.r32[[0, 2, 6][i]] = v));
      },
      undefined,
      undefined,
      backend,
    );
    expect(jit.jit.stats.compiled).toBeGreaterThanOrEqual(24); // the body's 24 parts, one or more blocks each
  });

  it("an access through a flat segment that crosses 4 GiB raises #GP as the interpreter does", () => {
    // In every 8th iteration ESI points 2 bytes below 4 GiB (the dword load goes past the
    // limit), in every 8th from the 4th EDI points 3 bytes below (the store does); the handler
    // moves both back.
    const body = [
      0xbe,
      ...le32(DATA), // mov esi, DATA
      0xbf,
      ...le32(DATA + 16), // mov edi, DATA + 16
      0x89,
      0xca, // mov edx, ecx
      0x83,
      0xe2,
      0x07, // and edx, 7
      0x75,
      5, // jnz a
      0xbe,
      ...le32(-2), // mov esi, 0FFFFFFFEh
      // a:
      0x83,
      0xfa,
      0x04, // cmp edx, 4
      0x75,
      5, // jnz skip
      0xbf,
      ...le32(-3), // mov edi, 0FFFFFFFDh
      // skip:
      0x8b,
      0x16, // mov edx, [esi]
      0x01,
      0xd0, // add eax, edx
      0x89,
      0x07, // mov [edi], eax
    ];
    const handler = [
      0x83,
      0xc4,
      0x04, // add esp, 4
      0xbe,
      ...le32(DATA), // mov esi, DATA
      0xbf,
      ...le32(DATA + 16), // mov edi, DATA + 16
      0xff,
      0x05,
      ...le32(DATA + 200), // inc dword [DATA+200]
      0xcf, // iretd
    ];
    const { jit, interp } = compare(
      loopProgram(body, 200),
      (c) => {
        c.mem.ram.set(handler, HANDLER);
        c.mem.write32(DATA, 5);
      },
      undefined,
      undefined,
      backend,
      (j, code, b) => machineIn("flat32", j, code, b),
    );
    expect(jit.mem.read32(DATA + 200)).toBe(50); // 25 loads and 25 stores
    expect(jit.jit.stats.compiled).toBeGreaterThan(0);
    expect(jit.instret).toBe(interp.instret);
  });

  it("code compiled while DS was flat runs as the interpreter does once DS is not (MOV DS, POP DS in the loop)", () => {
    // Each iteration loads DS, by MOV or by POP, with 38h (flat) in the first and last 100
    // iterations and 20h (base DATA, 64 KiB) in between, then reads and writes through it:
    // [ebx+8] is 108h or DATA + 108h. Code compiled in the first part assumes DS flat.
    const { code } = assemble([
      0xbb,
      ...le32(0x100), // mov ebx, 100h
      0xb9,
      ...le32(300), // mov ecx, 300
      { label: "L" },
      0xb8,
      0x38,
      0,
      0,
      0, // mov eax, 38h
      0x81,
      0xf9,
      ...le32(200), // cmp ecx, 200
      0x77,
      { rel8: "m" }, // ja m
      0x83,
      0xf9,
      100, // cmp ecx, 100
      0x76,
      { rel8: "m" }, // jbe m
      0xb0,
      0x20, // mov al, 20h
      { label: "m" },
      0xf6,
      0xc1,
      0x04, // test cl, 4
      0x75,
      { rel8: "p" }, // jnz p
      0x8e,
      0xd8, // mov ds, ax
      0xeb,
      { rel8: "q" }, // jmp q
      { label: "p" },
      0x50, // push eax
      0x1f, // pop ds
      { label: "q" },
      0x8b,
      0x53,
      0x08, // mov edx, [ebx+8]
      0x01,
      0xd7, // add edi, edx
      0x89,
      0x7b,
      0x0c, // mov [ebx+12], edi
      0x49, // dec ecx
      0x75,
      { rel8: "L" }, // jnz L
      0xf4,
    ]);
    const { jit } = compare(
      code,
      (c) => {
        c.mem.write32(0x108, 3);
        c.mem.write32(DATA + 0x108, 1000);
      },
      [1, 7, 37, 100, 3, 250, 61, 1000],
      undefined,
      backend,
      (j, cd, b) => machineIn("flat32", j, cd, b),
    );
    expect(jit.jit.stats.compiled).toBeGreaterThan(0);
    expect(jit.r32[7]).toBe(200 * 3 + 100 * 1000);
  });

  it("a fault in the middle of a compiled block is charged and delivered as the interpreter does", () => {
    // Every 8th iteration EBX is set beyond the data segment's limit (1 MiB): the load at
    // `skip` raises #GP; the handler repairs EBX and returns to retry it.
    const body = [
      0xbb,
      ...le32(DATA), // mov ebx, DATA
      0xf7,
      0xc1,
      ...le32(7), // test ecx, 7
      0x75,
      5, // jnz skip
      0xbb,
      ...le32(0x00200000), // mov ebx, 2 MiB
      // skip:
      0x83,
      0xc0,
      0x03, // add eax, 3
      0x31,
      0xc6, // xor esi, eax
      0x8b,
      0x53,
      0x08, // mov edx, [ebx+8]
      0x01,
      0xd7, // add edi, edx
    ];
    const handler = [0x83, 0xc4, 0x04, 0xbb, ...le32(DATA), 0xff, 0x05, ...le32(DATA + 200), 0xcf]; // add esp,4; mov ebx,DATA; inc dword [DATA+200]; iretd
    const { jit, interp } = compare(
      loopProgram(body, 200),
      (c) => {
        c.mem.ram.set(handler, HANDLER);
        c.mem.write32(DATA + 8, 5);
      },
      undefined,
      undefined,
      backend,
    );
    expect(jit.mem.read32(DATA + 200)).toBe(25); // faults taken
    expect(jit.jit.stats.compiled).toBeGreaterThan(0);
    expect(jit.instret).toBe(interp.instret);
  });

  it("a fault in a later iteration of a block that loops on itself is charged with the earlier iterations", () => {
    // ESI walks up to the data segment's limit; the load past it raises #GP, the handler moves
    // ESI back to DATA and the loop goes on (the block is `add; mov; add; dec; jnz` to itself).
    const program = [
      0xbe,
      ...le32(MEM - 400), // mov esi, 1 MiB - 400: #GP in the 101st iteration
      0xb9,
      ...le32(300), // mov ecx, 300
      0x83,
      0xc0,
      0x03, // L: add eax, 3
      0x8b,
      0x16, // mov edx, [esi]
      0x83,
      0xc6,
      0x04, // add esi, 4
      0x49, // dec ecx
      0x75,
      0xf5, // jnz L
      0xf4,
    ];
    const handler = [0x83, 0xc4, 0x04, 0xbe, ...le32(DATA), 0xff, 0x05, ...le32(DATA + 200), 0xcf]; // add esp,4; mov esi,DATA; inc dword [DATA+200]; iretd
    // Long slices, so that the block runs many iterations per call when the fault comes.
    const { jit } = compare(program, (c) => c.mem.ram.set(handler, HANDLER), [1000], undefined, backend);
    expect(jit.mem.read32(DATA + 200)).toBe(1);
    expect(jit.r32[0]).toBe(900);
  });

  it("random 16-bit loop bodies in real mode: same state after every slice", () => {
    const r = rng(4242);
    for (let t = 0; t < (backend === "wasm" ? 250 : 20); t++) {
      const body: number[] = [];
      const len = 3 + (r() % 12);
      for (let i = 0; i < len; i++) body.push(...randomInsn16(r));
      const useLoop = body.length < 120 && (r() & 1) === 1;
      const { jit } = compare(
        loopProgram16(body, 100, useLoop),
        (c) => {
          for (let i = 0; i < 256; i++) c.mem.ram[DATA + i] = (i * 57 + t) & 0xff;
          c.r32[0] = 0x1234;
          c.r32[2] = 0xfff9;
          c.r32[6] = 3;
          c.r32[7] = 0x8000;
          c.r32[5] = 99;
        },
        undefined,
        undefined,
        backend,
        machine16,
      );
      // WebAssembly blocks compile 16-bit code; JavaScript blocks are 32-bit only.
      if (backend === "wasm") expect(jit.jit.stats.compiled).toBeGreaterThan(0);
      else expect(jit.jit.stats.compiled).toBe(0);
    }
  });

  it.each([
    ["16-bit protected mode (32-bit stack)", "pm16", 5151],
    ["16-bit protected mode (16-bit stack)", "pm16ss16", 5252],
    ["virtual-8086 mode", "v86", 8086],
  ] as const)("random 16-bit loop bodies in %s: same state after every slice", (_, mode, seed) => {
    // The real-mode bodies with CS, DS, ES and SS from descriptors (or from a V86 frame): the
    // same code size, other segment bases, limits and stack widths.
    const r = rng(seed);
    const make = (jit: boolean, code: number[], b: Backend) => machineIn(mode, jit, code, b);
    for (let t = 0; t < (backend === "wasm" ? (mode === "v86" ? 120 : 80) : 6); t++) {
      const body: number[] = [];
      const len = 3 + (r() % 12);
      for (let i = 0; i < len; i++) body.push(...randomInsn16(r));
      const useLoop = body.length < 120 && (r() & 1) === 1;
      const { jit } = compare(
        loopProgram16(body, 100, useLoop),
        (c) => {
          for (let i = 0; i < 256; i++) c.mem.ram[DATA + i] = (i * 57 + t) & 0xff;
          c.r32[0] = 0x1234;
          c.r32[2] = 0xfff9;
          c.r32[6] = 3;
          c.r32[7] = 0x8000;
          c.r32[5] = 99;
        },
        undefined,
        undefined,
        backend,
        make,
      );
      if (mode === "v86") {
        // Halted in ring 0 after the #GP of the V86 code's HLT: EIP, CS and EFLAGS of the frame.
        const end = loopProgram16(body, 100, useLoop).length - 1;
        expect([0, 1, 2, 3].map((i) => jit.mem.read32(V86_ESP0 - 40 + 4 * i))).toEqual([
          0,
          end,
          CODE >> 4,
          expect.any(Number),
        ]);
        expect(jit.mem.read32(V86_ESP0 - 28) & VM).toBe(VM);
      } else expect(jit.flags & VM).toBe(0);
      if (backend === "wasm") expect(jit.jit.stats.compiled).toBeGreaterThan(0);
      else expect(jit.jit.stats.compiled).toBe(0);
    }
  });

  /**
   * A loop of several blocks in one page: a forward JNZ over code, a CALL to a function in the
   * page (itself with a forward JZ) and its RET, a forward JZ to B. With patch, block B
   * (a jump target) stores CL into the byte at label patch when ECX is 128, 96, 64 or 32.
   */
  const regionLoop = (patch: "B" | "F" | null) =>
    assemble([
      0xbb,
      ...le32(DATA), // mov ebx, DATA
      0xb9,
      ...le32(300), // mov ecx, 300
      { label: "loop" },
      0xf7,
      0xc1,
      ...le32(3), // test ecx, 3
      0x75,
      { rel8: "A" }, // jnz A
      0x81,
      0xc6,
      ...le32(0x01010101), // add esi, 01010101h
      0x01,
      0xf5, // add ebp, esi
      { label: "A" },
      0xe8,
      { rel32: "F" }, // call F
      0x05,
      ...le32(0x11), // add eax, 11h
      0xf7,
      0xc1,
      ...le32(5), // test ecx, 5
      0x74,
      { rel8: "B" }, // jz B
      0x31,
      0xc7, // xor edi, eax
      0x83,
      0xc0,
      0x07, // add eax, 7
      { label: "B" },
      0x81,
      0xc7,
      ...(patch === "B" ? [{ label: "patch" }] : []),
      ...le32(0x22222222), // add edi, 22222222h
      ...(patch === null
        ? []
        : [
            0x81,
            0xf9,
            ...le32(150), // cmp ecx, 150
            0x77,
            { rel8: "C" }, // ja C
            0xf6,
            0xc1,
            0x1f, // test cl, 31
            0x75,
            { rel8: "C" }, // jnz C
            0x88,
            0x0d,
            { abs32: "patch" }, // mov [patch], cl
            { label: "C" },
          ]),
      0x01,
      0xc2, // add edx, eax
      0x49, // dec ecx
      0x0f,
      0x85,
      { rel32: "loop" }, // jnz loop
      0xf4, // hlt
      { label: "F" },
      0x01,
      0xc8, // add eax, ecx
      0xa8,
      0x01, // test al, 1
      0x74,
      { rel8: "F1" }, // jz F1
      0x81,
      0xc5,
      ...(patch === "F" ? [{ label: "patch" }] : []),
      ...le32(0x33333333), // add ebp, 33333333h
      { label: "F1" },
      0xc3, // ret
    ]);

  it("PAUSE and the fences compile to nothing and run as the interpreter runs them", () => {
    // pause; lfence; add eax, ebx; mfence; sfence; inc ebx
    const body = [0xf3, 0x90, 0x0f, 0xae, 0xe8, 0x01, 0xd8, 0x0f, 0xae, 0xf0, 0x0f, 0xae, 0xf8, 0x43];
    const { jit } = compare(loopProgram(body, 300), undefined, undefined, undefined, backend);
    const { compiled, specialised, instructions } = jit.jit.stats;
    expect(compiled).toBeGreaterThan(0);
    // The wasm blocks call the interpreter for none of them, only for the HLT after the loop (the JS blocks do).
    if (backend === "wasm") expect(instructions - specialised).toBe(1);
  });

  it("a loop of several blocks in one page (forward jumps, a call and its return) runs as the interpreter does", () => {
    const { code } = regionLoop(null);
    const { jit } = compare(code, undefined, undefined, undefined, backend);
    const { compiled, regions } = jit.jit.stats;
    expect(compiled).toBeGreaterThan(2);
    // WebAssembly regions hold several blocks each; a JavaScript block is a region of its own.
    if (backend === "wasm") expect(regions).toBeLessThan(compiled);
    else expect(regions).toBe(compiled);
  });

  it("with the cache's byte bound reached at every module, older regions leave and the code runs as the interpreter does", () => {
    const { code } = regionLoop(null);
    // One byte: each new module pushes every older one out.
    const { jit } = compare(code, (c) => (c.jit.maxBytes = 1), undefined, undefined, backend);
    const { regions, evictions } = jit.jit.stats;
    if (backend === "wasm") {
      expect(regions).toBeGreaterThan(1);
      expect(evictions).toBe(regions - 1);
      const live = jit.jit.blocks.filter((b) => b !== null && b.count > 0).map((b) => b!.region);
      expect(new Set(live).size).toBe(1);
      expect(jit.jit.bytes).toBeGreaterThan(0);
    } else {
      // JavaScript blocks have no module bytes: the bound does not apply.
      expect(evictions).toBe(0);
      expect(jit.jit.bytes).toBe(0);
    }
  });

  it.each(["B", "F"] as const)(
    "a write to a block of a region other than its entry (in %s) drops the whole region and the new byte runs",
    (where) => {
      const { code, at } = regionLoop(where);
      const patch = CODE + at.patch;
      // One machine stepped to the first write: the patched byte is in a compiled block that is
      // not the loop's head (with WebAssembly, in a region of several blocks); after the write
      // none of that region's blocks is cached.
      const c = machine(true, code, backend);
      c.run(2); // mov ebx, DATA; mov ecx, 300
      while (c.r32[1] > 140) c.run(7);
      const b = c.jit.blocks.find((x) => x !== null && x.pip === CODE + at[where]);
      expect(b).toBeDefined();
      const holding = blocksAt(c, patch);
      expect(holding).toContain(b);
      const region = b!.region!;
      expect(b!.pip).not.toBe(CODE + at.loop);
      if (backend === "wasm") {
        expect(region.blocks.length).toBeGreaterThan(1);
        expect(region.blocks.map((x) => x.pip - CODE)).toContain(at.loop);
      }
      while (c.r32[1] >= 128) c.run(7);
      expect(c.mem.ram[patch]).toBe(128);
      // (A region compiled since, from the new bytes, may hold the byte again.)
      expect([...region.blocks, ...holding].filter((x) => c.jit.blocks.includes(x))).toEqual([]);
      expect(c.jit.stats.invalidations).toBeGreaterThan(0);
      // The same program against the interpreter, slice by slice.
      const { jit } = compare(code, undefined, undefined, undefined, backend);
      expect(jit.mem.ram[patch]).toBe(32);
      // Four writes; each drops the region that holds the byte when one was compiled since the last.
      expect(jit.jit.stats.invalidations).toBeGreaterThanOrEqual(backend === "wasm" ? 2 : 1);
    },
  );

  it("a fault in a block of a region reached by a jump inside it is charged and delivered as the interpreter does", () => {
    // Every 8th iteration EBX is set beyond the data segment's limit (1 MiB) and the JZ to T2
    // is taken (ECX even): the load after T2 raises #GP. The handler counts it, skips the rest
    // of the iteration (DEC ECX) and returns to the loop's head, so that compiled code is
    // entered there and reaches the fault through jumps inside the region.
    const { code, at } = assemble([
      0xb9,
      ...le32(200), // mov ecx, 200
      { label: "loop" },
      0xbb,
      ...le32(DATA), // mov ebx, DATA
      0xf7,
      0xc1,
      ...le32(7), // test ecx, 7
      0x75,
      { rel8: "T1" }, // jnz T1
      0xbb,
      ...le32(0x00200000), // mov ebx, 2 MiB
      { label: "T1" },
      0x83,
      0xc0,
      0x03, // add eax, 3
      0xf6,
      0xc1,
      0x01, // test cl, 1
      0x74,
      { rel8: "T2" }, // jz T2
      0x01,
      0xc6, // add esi, eax
      0x31,
      0xf5, // xor ebp, esi
      { label: "T2" },
      0x01,
      0xc7, // add edi, eax
      { label: "load" },
      0x8b,
      0x53,
      0x08, // mov edx, [ebx+8]
      0x01,
      0xd7, // add edi, edx
      0xe8,
      { rel32: "G" }, // call G
      0x49, // dec ecx
      0x0f,
      0x85,
      { rel32: "loop" }, // jnz loop
      0xf4, // hlt
      { label: "G" },
      0x83,
      0xc5,
      0x05, // add ebp, 5
      0xc3, // ret
    ]);
    // add esp, 4; inc dword [DATA+200]; dec ecx; mov dword [esp], loop; iretd
    const handler = [
      0x83,
      0xc4,
      0x04,
      0xff,
      0x05,
      ...le32(DATA + 200),
      0x49,
      0xc7,
      0x04,
      0x24,
      ...le32(CODE + at.loop),
      0xcf,
    ];
    const setup = (c: Cpu) => {
      c.mem.ram.set(handler, HANDLER);
      c.mem.write32(DATA + 8, 5);
    };
    // Block.before charges a fault in compiled code to the block it happened in: watch which.
    const charged = vi.spyOn(Block.prototype, "before");
    let faults: [Block, number][];
    try {
      const { jit, interp } = compare(code, setup, undefined, undefined, backend);
      expect(jit.mem.read32(DATA + 200)).toBe(25); // faults taken: ECX = 200, 192, ..., 8
      expect(jit.instret).toBe(interp.instret);
      faults = charged.mock.calls.map(([off], i) => [charged.mock.contexts[i] as Block, off]);
    } finally {
      charged.mockRestore();
    }
    // Most faults came in compiled code, at the load, in a block at T2 or after it (entered by
    // the JZ, or by a fall-through from T2's block), not at the loop's head where the code was
    // entered; with WebAssembly, in a block of the region of the loop's head.
    const inRegion = faults.filter(
      ([b, off]) =>
        b.pip >= CODE + at.T2 &&
        b.pip + off === CODE + at.load &&
        (backend === "js" || b.region!.blocks.some((x) => x.pip === CODE + at.loop)),
    );
    expect(inRegion.length).toBeGreaterThanOrEqual(15);
  });

  it("blocks run while an interrupt request waits with IF clear, and it is delivered after STI exactly", () => {
    // A device on port 0x80 raises INTR when written; the loop writes it with interrupts
    // disabled (the request waits while compiled blocks run on), then opens a one-instruction
    // window (STI; NOP; CLI) where the interrupt must be taken after the NOP.
    const VEC = 0x20,
      HANDLER_IRQ = HANDLER + 0x200;
    const body = [0xe6, 0x80, 0x01, 0xc6, 0x83, 0xc0, 0x07, 0x31, 0xc7, 0xfb, 0x90, 0xfa, 0x01, 0xf2]; // out 80h,al; add esi,eax; add eax,7; xor edi,eax; sti; nop; cli; add edx,esi
    const handler = [0xff, 0x05, ...le32(DATA + 200), 0x89, 0x35, ...le32(DATA + 204), 0xcf]; // inc dword [DATA+200]; mov [DATA+204], esi; iretd
    const raise = (c: Cpu) => {
      c.io.io.attach({ name: "irq", ports: [{ base: 0x80, count: 1, write8: () => (c.events |= EV_INTR) }] });
      c.intAck = () => {
        c.events &= ~EV_INTR;
        return VEC;
      };
      c.mem.ram.set(handler, HANDLER_IRQ);
      c.mem.write32(IDT + VEC * 8, (0x08 << 16) | HANDLER_IRQ);
      c.mem.write32(IDT + VEC * 8 + 4, 0x8e00);
      c.dt[DT_IDT_LIMIT] = 256 * 8 - 1;
    };
    const { jit } = compare(loopProgram(body, 300), raise, undefined, undefined, backend);
    expect(jit.mem.read32(DATA + 200)).toBe(300); // one interrupt per iteration
    expect(jit.jit.stats.compiled).toBeGreaterThan(0);
  });

  it("a divide error in a compiled block goes through the interpreter's handler and is delivered exactly", () => {
    // Every 8th iteration EBX is zero: DIV raises #DE, whose handler (no error code) sets EBX = 3
    // and returns to retry the DIV.
    const HANDLER_DE = HANDLER + 0x100;
    const body = [
      0xbb,
      ...le32(5), // mov ebx, 5
      0xf7,
      0xc1,
      ...le32(7), // test ecx, 7
      0x75,
      2, // jnz +2
      0x31,
      0xdb, // xor ebx, ebx
      0x89,
      0xc8, // mov eax, ecx
      0x31,
      0xd2, // xor edx, edx
      0xf7,
      0xf3, // div ebx
      0x01,
      0xc6, // add esi, eax
      0x01,
      0xd7, // add edi, edx
    ];
    const handler = [0xbb, ...le32(3), 0xff, 0x05, ...le32(DATA + 200), 0xcf]; // mov ebx, 3; inc dword [DATA+200]; iretd
    const { jit } = compare(
      loopProgram(body, 200),
      (c) => {
        c.mem.ram.set(handler, HANDLER_DE);
        c.mem.write32(IDT, (0x08 << 16) | HANDLER_DE);
      },
      undefined,
      undefined,
      backend,
    );
    expect(jit.mem.read32(DATA + 200)).toBe(25); // ECX = 200, 192, ..., 8
    expect(jit.jit.stats.compiled).toBeGreaterThan(0);
  });

  it("self-modifying code: a write to compiled code is seen at the next execution", () => {
    // The loop stores ECX into the immediate of `mov edx, imm32` in another block, then runs it.
    const patchAt = 10 + 6 + 2; // after the head, the store and the jump
    const body = [
      0x89,
      0x0d,
      ...le32(CODE + patchAt + 1), // mov [patch+1], ecx
      0xeb,
      0x00, // jmp $+2 (ends the block)
      0xba,
      ...le32(0), // patch: mov edx, 0
      0x01,
      0xd6, // add esi, edx
    ];
    const program = loopProgram(body, 300);
    expect(program[patchAt]).toBe(0xba);
    const { jit } = compare(program, undefined, undefined, undefined, backend);
    // ESI is the sum of ECX over the iterations: 300 + 299 + ... + 1.
    expect(jit.r32[6]).toBe((300 * 301) / 2);
    expect(jit.jit.stats.invalidations).toBeGreaterThan(0);
  });

  it("a device that flushes the TLB in the middle of a block (the fetch window with it) is followed exactly", () => {
    // A store to a device's MMIO page flushes the TLB, as a memory-map change (A20, PAM
    // registers) does; the block goes on after it with compiled instructions and with ones run
    // by the interpreter's handlers (BSWAP), and ends where it would.
    const MMIO = 0x30000;
    const body = [
      0x89,
      0x05,
      ...le32(MMIO), // mov [MMIO], eax
      0x0f,
      0xc8, // bswap eax
      0x83,
      0xc0,
      0x05, // add eax, 5
      0x0f,
      0xc8, // bswap eax
      0x01,
      0xc6, // add esi, eax
      0x89,
      0x05,
      ...le32(MMIO), // mov [MMIO], eax
    ];
    let writes = 0;
    const flushingDevice = (c: Cpu) =>
      c.mem.mapMmio(MMIO, 0x1000, "flush", {
        read8: () => 0xff,
        write8: () => {
          writes++;
          c.flushTlb();
        },
      });
    writes = 0;
    const { jit } = compare(loopProgram(body, 300), flushingDevice, undefined, undefined, backend);
    expect(jit.jit.stats.compiled).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(0);
  });

  it.each([false, true])(
    "blocks that call each other across pages chain exactly, faults in chained blocks included (paging: %s)",
    (paged) => {
      // The loop calls f1 (which straddles a page boundary, so one of its blocks falls through
      // into the next page) and f2 (two pages on, with a load that raises #GP every 8th
      // iteration); with paging, f2's linear page maps to a physical page far from the others.
      // Slices are long so that chains run many blocks per entry.
      const r = rng(777 + (paged ? 1 : 0));
      const F1 = 0x0ff0,
        F2 = 0x2400;
      for (let t = 0; t < 40; t++) {
        const body = (n: number) => {
          const b: number[] = [];
          for (let i = 0; i < n; i++) b.push(...randomInsn(r));
          return b;
        };
        const main = [0xbb, ...le32(DATA), 0xb9, ...le32(150)];
        const loop = main.length;
        const call = (to: number) => {
          const at = main.length + 5;
          main.push(0xe8, ...le32(to - at));
        };
        call(F1);
        call(F2);
        main.push(...body(2), 0x49);
        main.push(0x0f, 0x85, ...le32(loop - (main.length + 6)), 0xf4);
        const f1 = [...body(6 + (r() % 6)), 0xc3];
        const faulting = [0xf7, 0xc1, ...le32(7), 0x75, 5, 0xbb, ...le32(0x00200000), 0x8b, 0x53, 0x08]; // test ecx,7; jnz +5; mov ebx, 2 MiB; mov edx,[ebx+8]
        const f2 = [...body(3), ...faulting, ...body(3), 0xc3];
        const handler = [0x83, 0xc4, 0x04, 0xbb, ...le32(DATA), 0xff, 0x05, ...le32(DATA + 200), 0xcf]; // add esp,4; mov ebx,DATA; inc dword [DATA+200]; iretd
        const PD = 0x40000,
          PT = 0x41000,
          F2_PHYS = 0x70000;
        const { jit } = compare(
          main,
          (c) => {
            c.mem.ram.set(f1, CODE + F1);
            c.mem.ram.set(handler, HANDLER);
            for (let i = 0; i < 128; i++) c.mem.ram[DATA + i] = (i * 31 + t) & 0xff;
            if (!paged) {
              c.mem.ram.set(f2, CODE + F2);
              return;
            }
            // Identity-map the first 1 MiB but the page of f2.
            c.mem.write32(PD, PT | 3);
            for (let i = 0; i < 256; i++) c.mem.write32(PT + 4 * i, (i << 12) | 3);
            c.mem.write32(PT + 4 * ((CODE + F2) >>> 12), F2_PHYS | 3);
            c.mem.ram.set(f2, F2_PHYS + (F2 & 0xfff));
            c.writeCr(3, PD);
            c.writeCr(0, c.cr[0] | CR0_PG);
          },
          [1000, 333, 5000],
          undefined,
          backend,
        );
        expect(jit.mem.read32(DATA + 200)).toBe(18); // faults taken: ECX = 144, 136, ..., 8
        expect(jit.jit.stats.compiled).toBeGreaterThan(2);
      }
    },
  );

  if (backend === "wasm") {
    it("modules compiled off the thread join between slices, and a write to their code while they compile drops them", async () => {
      // Two machines run the same loop in the same slices, one interpreting, one compiling
      // asynchronously and returning to the event loop after each slice. Halfway, the loop's
      // code is patched (as DMA would) while modules are pending: they must not be used.
      const program = loopProgram([0x83, 0xc0, 0x01, 0x01, 0xc6], 3000); // add eax, 1; add esi, eax
      const a = machine(true, program, "wasm"),
        b = machine(false, program);
      a.jit.compileMode = "async";
      let patched = false;
      for (let i = 0; i < 400 && !(a.halted && b.halted); i++) {
        expect(a.run(97)).toBe(b.run(97));
        expect(state(a)).toEqual(state(b));
        if (!patched && a.jit.pending > 0) {
          for (const c of [a, b]) {
            c.mem.noteWrite(CODE + 10, 3);
            c.mem.ram.set([0x83, 0xc0, 0x02], CODE + 10); // add eax, 2
          }
          patched = true;
        }
        await new Promise((r) => setTimeout(r, 0));
      }
      expect(a.halted && b.halted).toBe(true);
      expect(patched).toBe(true);
      expect(a.jit.stats.compiled).toBeGreaterThan(0); // compiled again after the patch
      expect(a.jit.pending).toBe(0);
    });
  }

  it("code written behind the CPU's back (a device, the firmware) drops the compiled blocks", () => {
    const cpu = machine(true, loopProgram([0x83, 0xc0, 0x01], 1000), backend); // add eax, 1
    cpu.run(2000);
    expect(cpu.jit.stats.compiled).toBeGreaterThan(0);
    expect(cpu.mem.codePages[CODE >>> 12]).toBe(1);
    // Change the loop body to add 2, as a DMA transfer would.
    cpu.mem.noteWrite(CODE + 10, 3);
    cpu.mem.ram.set([0x83, 0xc0, 0x02], CODE + 10);
    const before = cpu.r32[0],
      left = cpu.r32[1];
    while (!cpu.halted) cpu.run(1000);
    expect(cpu.r32[0]).toBe(before + 2 * left);
  });
});
