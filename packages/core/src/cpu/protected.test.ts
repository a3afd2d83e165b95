// Protected mode and paging: segment loads and their faults, far transfers through call gates
// with a privilege change, interrupts from ring 3, hardware task switches (JMP to a TSS, CALL
// through a task gate and IRET back, an exception through a task gate), virtual-8086 mode
// (entered by IRET, IOPL-sensitive instructions, the TSS I/O permission bitmap), and page
// faults with their error codes, accessed/dirty bits, write protection and 4 MiB pages.
import { describe, expect, it } from "vitest";
import { Cpu } from "./cpu.ts";
import {
  CR0_PE,
  CR0_PG,
  CR0_TS,
  CR0_WP,
  CS,
  DS,
  DT_GDT_BASE,
  DT_GDT_LIMIT,
  DT_IDT_BASE,
  DT_IDT_LIMIT,
  DT_TR_SEL,
  ES,
  GS,
  IF,
  NT,
  SS,
  VM,
} from "./regs.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../memory/physical-memory.ts";
import { desc } from "./testing/descriptors.ts";

const GDT = 0x1000,
  IDT = 0x2000,
  TSS_A = 0x3000,
  TSS_B = 0x3100,
  CODE = 0x10000,
  PD = 0x20000,
  PT = 0x21000;

function gate(sel: number, off: number, type: number, dpl: number, params = 0): [number, number] {
  return [((sel & 0xffff) << 16) | (off & 0xffff), (off & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8) | params];
}

const le32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];

class Rig {
  mem = new PhysicalMemory(4 << 20);
  io = new Dispatcher();
  cpu = new Cpu(this.mem, this.io);
  faults: number[] = [];
  constructor() {
    this.cpu.onFault = (v) => this.faults.push(v);
    // GDT: null, code0 08, data0 10, code3 1b, data3 23, TSS A 28, TSS B 30, task gate 38, call gate 40
    this.setGdt(1, desc(0, 0xfffff, 0x9a, 0xc));
    this.setGdt(2, desc(0, 0xfffff, 0x92, 0xc));
    this.setGdt(3, desc(0, 0xfffff, 0xfa, 0xc));
    this.setGdt(4, desc(0, 0xfffff, 0xf2, 0xc));
    this.setGdt(5, desc(TSS_A, 0x67, 0x89, 0));
    this.setGdt(6, desc(TSS_B, 0x67, 0x89, 0));
    const c = this.cpu;
    c.dt[DT_GDT_BASE] = GDT;
    c.dt[DT_GDT_LIMIT] = 16 * 8 - 1;
    c.dt[DT_IDT_BASE] = IDT;
    c.dt[DT_IDT_LIMIT] = 256 * 8 - 1;
    c.writeCr(0, c.cr[0] | CR0_PE);
    c.loadSeg(DS, 0x10);
    c.loadSeg(ES, 0x10);
    c.loadSeg(SS, 0x10);
    this.farJumpTo(0x08, CODE);
    c.r32[4] = 0x9000;
    // TR = TSS A, ring 0 stack at 0x8000 for interrupts from ring 3.
    this.w32(TSS_A + 4, 0x8000);
    this.w32(TSS_A + 8, 0x10);
    this.run([0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8]); // mov ax,28h; ltr ax
  }
  setGdt(i: number, d: [number, number]): void {
    this.w32(GDT + i * 8, d[0]);
    this.w32(GDT + i * 8 + 4, d[1]);
  }
  setIdt(v: number, d: [number, number]): void {
    this.w32(IDT + v * 8, d[0]);
    this.w32(IDT + v * 8 + 4, d[1]);
  }
  w32(a: number, v: number): void {
    this.mem.write32(a, v);
  }
  r32(a: number): number {
    return this.mem.read32(a);
  }
  farJumpTo(sel: number, off: number): void {
    this.mem.ram.set([0x66, 0xea, off & 0xff, (off >> 8) & 0xff, (off >> 16) & 0xff, off >>> 24, sel, 0], 0x500); // jmp far (o32) from 16-bit code
    const c = this.cpu;
    c.setSegReal(CS, 0, 0xffff, 0x9b);
    c.eip = 0x500;
    c.run(1);
  }
  /** Places code at CODE (or `at`) and runs until HLT. */
  run(code: number[], at = CODE, max = 100): void {
    this.mem.ram.set([...code, 0xf4], at);
    this.cpu.setEip(at);
    this.cpu.halted = false;
    for (let i = 0; i < max && !this.cpu.halted; i++) this.cpu.run(1);
  }
}

describe("segments and privilege", () => {
  it("loads segment registers through the GDT and faults on bad selectors", () => {
    const r = new Rig();
    r.setGdt(7, desc(0x5000, 0xff, 0x12)); // not present
    r.run([0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd8]); // mov ax,38h; mov ds,ax
    expect(r.faults).toContain(11); // #NP
    const r2 = new Rig();
    r2.run([0x31, 0xc0, 0x8e, 0xd0]); // xor eax,eax; mov ss,ax
    expect(r2.faults).toContain(13);
    const r3 = new Rig();
    r3.setGdt(7, desc(0x5000, 0xff, 0x92, 0x4));
    r3.run([0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd8, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00]); // mov ds,38h; mov eax,[100h] (beyond the limit)
    expect(r3.faults).toContain(13);
    expect(r3.cpu.segBase[DS]).toBe(0x5000);
  });

  it("calls ring 0 from ring 3 through a call gate with parameters, and returns", () => {
    const r = new Rig();
    r.setGdt(8, gate(0x08, 0x11000, 12, 3, 2)); // 32-bit call gate, DPL 3, 2 dword parameters
    // ring 0 target: mov eax,[esp+8]; add eax,[esp+12]; retf 8
    r.mem.ram.set([0x8b, 0x44, 0x24, 0x08, 0x03, 0x44, 0x24, 0x0c, 0xca, 0x08, 0x00], 0x11000);
    // ring 3 at 0x12000: push 5; push 7; call 40h:0; (result in eax); jmp $
    r.mem.ram.set([0x6a, 0x05, 0x6a, 0x07, 0x9a, 0, 0, 0, 0, 0x40, 0x00, 0xeb, 0xfe], 0x12000);
    // drop to ring 3 with IRETD: push ss, esp, eflags, cs, eip
    r.run([0x6a, 0x23, 0x68, 0x00, 0x70, 0x00, 0x00, 0x9c, 0x6a, 0x1b, 0x68, 0x00, 0x20, 0x01, 0x00, 0xcf], CODE, 40);
    expect(r.cpu.r32[0]).toBe(12);
    expect(r.cpu.cpl).toBe(3);
    expect(r.cpu.r32[4]).toBe(0x7000); // RETF 8 released the parameters on the caller's stack too
    expect(r.faults).toEqual([]);
  });

  it("takes an interrupt from ring 3 on the TSS's ring 0 stack and IRETs back", () => {
    const r = new Rig();
    r.setIdt(0x80, gate(0x08, 0x11000, 14, 3)); // interrupt gate, DPL 3
    r.mem.ram.set([0x8b, 0xdc, 0x40, 0xcf], 0x11000); // mov ebx,esp; inc eax; iretd
    r.mem.ram.set([0x31, 0xc0, 0xcd, 0x80, 0xeb, 0xfe], 0x12000); // xor eax,eax; int 80h; jmp $
    r.run([0x6a, 0x23, 0x68, 0x00, 0x70, 0x00, 0x00, 0x9c, 0x6a, 0x1b, 0x68, 0x00, 0x20, 0x01, 0x00, 0xcf], CODE, 20);
    expect(r.cpu.r32[0]).toBe(1);
    expect(r.cpu.r32[3]).toBe(0x8000 - 20); // SS, ESP, EFLAGS, CS, EIP on the ring 0 stack
    expect(r.r32(0x8000 - 4)).toBe(0x23);
    expect(r.r32(0x8000 - 8)).toBe(0x7000);
    expect(r.cpu.cpl).toBe(3);
  });
});

/** push imm32 */
const push = (v: number) => [0x68, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
/** Ring 0 code that IRETs to virtual-8086 mode at cs:ip with eflags: stack 1200h:0100h, DS 1111h, ES 2222h, FS = GS = 0. */
const iretToV86 = (cs: number, ip: number, eflags: number) => [
  ...push(0),
  ...push(0),
  ...push(0x1111),
  ...push(0x2222),
  ...push(0x1200),
  ...push(0x100),
  ...push(eflags),
  ...push(cs),
  ...push(ip),
  0xcf,
]; // GS FS DS ES SS ESP EFLAGS CS EIP
const V86_CODE = 0x12000; // 1200h:0000h

describe("virtual-8086 mode", () => {
  /** A rig whose #GP handler (ring 0, at 11000h) halts; V86 code at 1200h:0000h. */
  function v86Rig(code: number[]): Rig {
    const r = new Rig();
    r.setIdt(13, gate(0x08, 0x11000, 14, 0));
    r.mem.ram.set([0xf4], 0x11000);
    r.mem.ram.set(code, V86_CODE);
    return r;
  }

  it("IRET enters it; CLI with IOPL < 3 faults to ring 0 with the whole V86 frame", () => {
    const r = v86Rig([0xb8, 0x34, 0x12, 0x8c, 0xcb, 0x8c, 0xd9, 0xfa, 0xeb, 0xfe]); // mov ax,1234h; mov bx,cs; mov cx,ds; cli; jmp $
    r.run(iretToV86(0x1200, 0, 0x20202), CODE, 20); // VM, IF, IOPL 0
    expect(r.cpu.r16[0]).toBe(0x1234);
    expect(r.cpu.r16[3 * 2]).toBe(0x1200); // BX = CS as a real-mode segment
    expect(r.cpu.r16[1 * 2]).toBe(0x1111); // CX = DS from the IRET frame
    expect(r.faults).toEqual([13]);
    expect(r.cpu.flags & VM).toBe(0);
    expect(r.cpu.cpl).toBe(0);
    // Error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS on the TSS's ring 0 stack.
    expect(r.cpu.r32[4]).toBe(0x8000 - 40);
    const frame = Array.from({ length: 10 }, (_, i) => r.r32(0x8000 - 40 + 4 * i) >>> 0);
    expect(frame).toEqual([0, 7, 0x1200, 0x20202, 0x100, 0x1200, 0x2222, 0x1111, 0, 0]);
    expect(r.cpu.sreg[DS]).toBe(0); // data segments are nulled on the way to ring 0
    expect(r.cpu.sreg[GS]).toBe(0);
  });

  it("with IOPL 3, CLI and PUSHF run in V86 mode; INT n goes through the IDT", () => {
    // cli; pushf; pop dx; int 21h
    const r = v86Rig([0xfa, 0x9c, 0x5a, 0xcd, 0x21, 0xeb, 0xfe]);
    r.setIdt(0x21, gate(0x08, 0x11000, 14, 3));
    r.run(iretToV86(0x1200, 0, 0x23202), CODE, 20); // VM, IF, IOPL 3
    expect(r.faults).toEqual([]);
    expect(r.cpu.r16[2 * 2] & IF).toBe(0); // DX: FLAGS after CLI
    expect((r.cpu.r16[2 * 2] >> 12) & 3).toBe(3);
    expect(r.cpu.cpl).toBe(0); // in the INT 21h handler, at ring 0
    expect(r.r32(0x8000 - 36) >>> 0).toBe(5); // EIP after INT 21h (no error code)
    expect(r.r32(0x8000 - 28) & VM).toBe(VM);
  });

  it("port I/O consults the TSS I/O permission bitmap whatever IOPL is", () => {
    // A TSS with its bitmap at offset 68h for ports 0-FFh, where only port 81h is denied.
    const TSS_C = 0x3200,
      MAP = 0x68;
    const r = v86Rig([0xe4, 0x80, 0xb1, 0x01, 0xe4, 0x81, 0xb1, 0x02, 0xeb, 0xfe]); // in al,80h; mov cl,1; in al,81h; mov cl,2
    r.setGdt(7, desc(TSS_C, MAP + 32, 0x89, 0));
    r.w32(TSS_C + 4, 0x8000);
    r.w32(TSS_C + 8, 0x10);
    r.w32(TSS_C + 0x64, MAP << 16);
    r.mem.ram.fill(0, TSS_C + MAP, TSS_C + MAP + 33);
    r.mem.ram[TSS_C + MAP + (0x81 >> 3)] = 1 << (0x81 & 7);
    r.run([0x66, 0xb8, 0x38, 0x00, 0x0f, 0x00, 0xd8, ...iretToV86(0x1200, 0, 0x23202)], CODE, 20); // ltr 38h; IOPL 3
    expect(r.cpu.r8[1 * 4]).toBe(1); // CL: the first IN ran
    expect(r.faults).toEqual([13]);
    expect(r.r32(0x8000 - 36) >>> 0).toBe(4); // the faulting IN's EIP
  });
});

describe("hardware task switches", () => {
  it("JMP to a TSS saves the old task and loads the new one", () => {
    const r = new Rig();
    // TSS B: EIP 0x13000, EFLAGS 2, EAX 0x1234, ESP 0x6000, segments
    r.w32(TSS_B + 0x20, 0x13000);
    r.w32(TSS_B + 0x24, 2);
    r.w32(TSS_B + 0x28, 0x1234);
    r.w32(TSS_B + 0x38, 0x6000);
    for (const [off, sel] of [
      [0x48, 0x10],
      [0x4c, 0x08],
      [0x50, 0x10],
      [0x54, 0x10],
      [0x58, 0x10],
      [0x5c, 0x10],
    ])
      r.w32(TSS_B + off, sel);
    r.mem.ram.set([0xf4], 0x13000);
    r.run([0xb9, 0x77, 0, 0, 0, 0xea, 0, 0, 0, 0, 0x30, 0x00]); // mov ecx,77h; jmp 30h:0
    expect(r.cpu.getEip()).toBe(0x13001);
    expect(r.cpu.r32[0]).toBe(0x1234);
    expect(r.cpu.r32[4]).toBe(0x6000);
    expect(r.cpu.dt[DT_TR_SEL]).toBe(0x30);
    expect(r.cpu.cr[0] & CR0_TS).toBe(CR0_TS);
    expect(r.r32(TSS_A + 0x2c)).toBe(0x77); // the old task's ECX was saved
    expect((r.r32(GDT + 5 * 8 + 4) >> 8) & 15).toBe(9); // old TSS no longer busy (JMP)
    expect((r.r32(GDT + 6 * 8 + 4) >> 8) & 15).toBe(11); // new TSS busy
  });

  it("CALL through a task gate nests the task; IRET returns to the caller", () => {
    const r = new Rig();
    r.setGdt(7, gate(0x30, 0, 5, 0)); // task gate to TSS B
    r.w32(TSS_B + 0x20, 0x13000);
    r.w32(TSS_B + 0x24, 2);
    r.w32(TSS_B + 0x38, 0x6000);
    for (const [off, sel] of [
      [0x48, 0x10],
      [0x4c, 0x08],
      [0x50, 0x10],
      [0x54, 0x10],
      [0x58, 0x10],
      [0x5c, 0x10],
    ])
      r.w32(TSS_B + off, sel);
    r.mem.ram.set([0xbb, 0x99, 0, 0, 0, 0xcf], 0x13000); // mov ebx,99h; iret (NT set: back to the caller)
    r.run([0x31, 0xc0, 0xbb, 0x11, 0, 0, 0, 0x9a, 0, 0, 0, 0, 0x38, 0x00, 0x40]); // xor eax,eax; mov ebx,11h; call 38h:0; inc eax
    expect(r.r32(TSS_B + 0x34)).toBe(0x99); // task B's EBX, saved when it returned
    expect(r.cpu.r32[3]).toBe(0x11); // task A's own EBX, restored
    expect(r.cpu.r32[0]).toBe(1);
    expect(r.cpu.dt[DT_TR_SEL]).toBe(0x28);
    expect(r.cpu.getFlags() & NT).toBe(0);
    expect(r.mem.read16(TSS_B)).toBe(0x28); // back link
  });

  it("delivers an exception through a task gate with its error code", () => {
    const r = new Rig();
    r.setIdt(13, gate(0x30, 0, 5, 0)); // #GP -> task B
    r.w32(TSS_B + 0x20, 0x13000);
    r.w32(TSS_B + 0x24, 2);
    r.w32(TSS_B + 0x38, 0x6000);
    for (const [off, sel] of [
      [0x48, 0x10],
      [0x4c, 0x08],
      [0x50, 0x10],
      [0x54, 0x10],
      [0x58, 0x10],
      [0x5c, 0x10],
    ])
      r.w32(TSS_B + off, sel);
    r.mem.ram.set([0xf4], 0x13000);
    r.run([0x66, 0xb8, 0x03, 0x01, 0x8e, 0xd8]); // mov ax,103h; mov ds,ax (beyond the GDT: #GP(100h))
    expect(r.cpu.dt[DT_TR_SEL]).toBe(0x30);
    expect(r.r32(0x6000 - 4)).toBe(0x100); // error code on the new task's stack
    expect(r.r32(TSS_A + 0x20)).toBe(CODE + 4); // the faulting instruction's EIP saved
  });
});

describe("paging", () => {
  function paged(): Rig {
    const r = new Rig();
    // Identity-map the first 4 MiB with 4 KiB pages, user+writable; page 0x400 read-only, 0x401 supervisor-only.
    r.w32(PD, PT | 7);
    for (let i = 0; i < 1024; i++) r.w32(PT + i * 4, (i << 12) | 7);
    r.w32(PT + ((0x400 * 4) % 4096), 0); // no-op guard for the index arithmetic below
    r.w32(PT + 0x100 * 4, (0x100 << 12) | 5); // 0x100000: user, read-only
    r.w32(PT + 0x101 * 4, (0x101 << 12) | 3); // 0x101000: supervisor, writable
    r.w32(PT + 0x102 * 4, 0); // 0x102000: not present
    r.cpu.writeCr(3, PD);
    r.cpu.writeCr(0, r.cpu.cr[0] | CR0_PG);
    r.setIdt(14, gate(0x08, 0x11000, 14, 0));
    r.mem.ram.set([0x8b, 0x1c, 0x24, 0xf4], 0x11000); // #PF handler: mov ebx,[esp] (error code); hlt
    return r;
  }

  it("raises #PF with CR2 and the error code, and sets accessed and dirty bits", () => {
    const r = paged();
    r.run([0xa1, 0x00, 0x20, 0x10, 0x00]); // mov eax,[102000h]: not present
    expect(r.faults).toEqual([14]);
    expect(r.cpu.cr[2]).toBe(0x102000);
    expect(r.cpu.r32[3]).toBe(0); // not present, read, supervisor
    const r2 = paged();
    r2.run([0xc7, 0x05, 0x00, 0x50, 0x00, 0x00, 0x11, 0, 0, 0]); // mov dword [5000h],11h
    expect(r2.r32(PT + 5 * 4) & 0x60).toBe(0x60); // accessed and dirty
    expect(r2.r32(PD) & 0x20).toBe(0x20);
    // Supervisor writes to a read-only page succeed without CR0.WP, fault with it.
    const r3 = paged();
    r3.run([0xc7, 0x05, 0x00, 0x00, 0x10, 0x00, 0x22, 0, 0, 0]);
    expect(r3.faults).toEqual([]);
    r3.cpu.writeCr(0, r3.cpu.cr[0] | CR0_WP);
    r3.run([0xc7, 0x05, 0x00, 0x00, 0x10, 0x00, 0x33, 0, 0, 0]);
    expect(r3.faults).toEqual([14]);
    expect(r3.cpu.r32[3]).toBe(3); // present, write, supervisor
    expect(r3.mem.read32(0x100000)).toBe(0x22);
  });

  it("checks user access to supervisor pages from ring 3 (error code U/S)", () => {
    const r = paged();
    r.mem.ram.set([0x6a, 0x23, 0x1f, 0xa1, 0x00, 0x10, 0x10, 0x00], 0x12000); // push 23h; pop ds; mov eax,[101000h]
    r.run([0x6a, 0x23, 0x68, 0x00, 0x70, 0x00, 0x00, 0x9c, 0x6a, 0x1b, 0x68, 0x00, 0x20, 0x01, 0x00, 0xcf], CODE, 20);
    expect(r.cpu.r32[3]).toBe(5); // present | user (read)
    expect(r.cpu.cr[2]).toBe(0x101000);
  });

  it("refuses CR4 bits this CPU lacks and CR0.NW without CD with #GP(0), changing nothing", () => {
    const r = new Rig();
    r.setIdt(13, gate(0x08, CODE + 0x800, 0xe, 0));
    r.mem.ram[CODE + 0x800] = 0xf4; // the #GP handler halts
    // mov eax,imm32; mov cr4,eax
    for (const bit of [0, 1, 5, 6, 11, 13, 31]) {
      r.faults.length = 0;
      r.run([0xb8, ...le32(1 << bit), 0x0f, 0x22, 0xe0]);
      expect([bit, r.faults]).toEqual([bit, [13]]);
      expect(r.cpu.cr[4]).toBe(0);
    }
    r.faults.length = 0;
    r.run([0xb8, ...le32(0x79c), 0x0f, 0x22, 0xe0]); // TSD DE PSE PGE PCE OSFXSR OSXMMEXCPT
    expect(r.faults).toEqual([]);
    expect(r.cpu.cr[4]).toBe(0x79c);
    const cr0 = r.cpu.cr[0];
    // mov eax,cr0; and eax,~CD; or eax,NW; mov cr0,eax
    r.run([0x0f, 0x20, 0xc0, 0x25, ...le32(~(1 << 30)), 0x0d, ...le32(1 << 29), 0x0f, 0x22, 0xc0]);
    expect(r.faults).toEqual([13]);
    expect(r.cpu.cr[0]).toBe(cr0);
  });

  it("maps 4 MiB pages with CR4.PSE and drops a translation with INVLPG", () => {
    const r = new Rig();
    r.w32(PD, 0x87); // 0-4 MiB: 4 MiB page, user, writable
    r.w32(PD + 4, 0x87); // 4-8 MiB -> the same first 4 MiB
    r.cpu.writeCr(4, 0x10);
    r.cpu.writeCr(3, PD);
    r.cpu.writeCr(0, r.cpu.cr[0] | CR0_PG);
    r.mem.write32(0x5000, 0xabcd);
    r.run([0xa1, 0x00, 0x50, 0x40, 0x00]); // mov eax,[405000h]
    expect(r.cpu.r32[0]).toBe(0xabcd);
    r.w32(PD + 4, 0); // unmap; the TLB still has it until INVLPG
    r.run([0xa1, 0x00, 0x50, 0x40, 0x00, 0x0f, 0x01, 0x3d, 0x00, 0x50, 0x40, 0x00, 0xa1, 0x00, 0x50, 0x40, 0x00]);
    expect(r.faults).toContain(14);
    expect(r.cpu.cr[2]).toBe(0x405000);
  });

  it("keeps global translations across a CR3 load, and drops them when CR4 changes or INVLPG names them", () => {
    // 4-8 MiB maps the first 4 MiB twice: 400000h-401FFFh global (G, bit 8), 402000h-403FFFh not.
    const setup = () => {
      const r = new Rig();
      r.w32(PD, PT | 7);
      for (let i = 0; i < 1024; i++) r.w32(PT + i * 4, (i << 12) | 7);
      r.w32(PD + 4, (PT + 0x1000) | 7);
      r.w32(PT + 0x1000, 0x5000 | 0x107); // 400000h -> 5000h, global
      r.w32(PT + 0x1008, 0x6000 | 0x007); // 402000h -> 6000h, not global
      r.cpu.writeCr(4, 0x80); // PGE
      r.cpu.writeCr(3, PD);
      r.cpu.writeCr(0, r.cpu.cr[0] | CR0_PG);
      r.setIdt(14, gate(0x08, 0x11000, 14, 0));
      r.mem.ram[0x11000] = 0xf4; // the #PF handler halts
      r.mem.write32(0x5000, 0x1111);
      r.mem.write32(0x6000, 0x2222);
      // mov eax,[400000h]; mov ebx,[402000h]: both translations enter the TLB
      r.run([0xa1, 0x00, 0x00, 0x40, 0x00, 0x8b, 0x1d, 0x00, 0x20, 0x40, 0x00]);
      expect([r.cpu.r32[0], r.cpu.r32[3]]).toEqual([0x1111, 0x2222]);
      r.w32(PD + 4, 0); // unmap 4-8 MiB in the tables only
      return r;
    };
    const readGlobal = [0xa1, 0x00, 0x00, 0x40, 0x00]; // mov eax,[400000h]
    const readOther = [0x8b, 0x1d, 0x00, 0x20, 0x40, 0x00]; // mov ebx,[402000h]
    // A CR3 load (mov eax,PD; mov cr3,eax): the global page still reads, the other faults.
    const r = setup();
    r.cpu.r32[0] = 0;
    r.run([0xb8, ...le32(PD), 0x0f, 0x22, 0xd8, ...readGlobal]);
    expect(r.faults).toEqual([]);
    expect(r.cpu.r32[0]).toBe(0x1111);
    r.run(readOther);
    expect(r.faults).toEqual([14]);
    expect(r.cpu.cr[2]).toBe(0x402000);
    // A change of CR4 drops global translations too.
    const r2 = setup();
    r2.cpu.writeCr(4, 0);
    r2.cpu.writeCr(4, 0x80);
    r2.run(readGlobal);
    expect(r2.faults).toEqual([14]);
    expect(r2.cpu.cr[2]).toBe(0x400000);
    // So does INVLPG of the page, after which a CR3 load does not bring it back.
    const r3 = setup();
    r3.run([0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00, 0xb8, ...le32(PD), 0x0f, 0x22, 0xd8, ...readGlobal]);
    expect(r3.faults).toEqual([14]);
  });
});
