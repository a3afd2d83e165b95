// Real-mode behaviour at instruction boundaries and exceptions: interrupts between
// instructions, the STI and MOV SS shadows, REP restart, single-step, HLT, and guest
// exceptions (#UD, #GP, #DE) delivered through the IVT rather than thrown to the host.
import { describe, expect, it } from "vitest";
import { Cpu } from "./cpu.ts";
import { CS, DS, ES, IF, SS } from "./regs.ts";
import { Dispatcher } from "../dispatch/dispatcher.ts";
import { PhysicalMemory } from "../memory/physical-memory.ts";

const CODE = 0x1000;
/** Handler at 0000:0500 for every vector: INC word [0600+vec*2]; IRET. */
function makeCpu(code: number[]): Cpu {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = new Cpu(mem, new Dispatcher());
  for (let v = 0; v < 256; v++) {
    const h = 0x2000 + v * 8;
    mem.ram.set([0xff, 0x06, (0x600 + v * 2) & 0xff, (0x600 + v * 2) >> 8, 0xcf], h); // inc word [addr]; iret
    mem.ram[v * 4] = h & 0xff;
    mem.ram[v * 4 + 1] = h >> 8;
    mem.ram[v * 4 + 2] = 0;
    mem.ram[v * 4 + 3] = 0;
  }
  mem.ram.set(code, CODE);
  for (const s of [DS, ES, SS]) cpu.setSegReal(s, 0, 0xffff, 0x93);
  cpu.setSegReal(CS, 0, 0xffff, 0x9b);
  cpu.eip = CODE;
  cpu.r16[4 << 1] = 0x9000;
  return cpu;
}
const hits = (cpu: Cpu, vec: number) => cpu.mem.read16(0x600 + vec * 2);

describe("instruction boundaries", () => {
  it("takes a pending external interrupt between instructions when IF=1", () => {
    const cpu = makeCpu([0xfb, 0x90, 0x90, 0x90, 0xf4]); // sti; nop; nop; nop; hlt
    cpu.intAck = () => {
      cpu.setIntr(false);
      return 0x20;
    }; // the PIC drops INTR on acknowledge
    cpu.run(1); // sti
    cpu.setIntr(true);
    cpu.run(1); // the shadow: nop runs first
    expect(hits(cpu, 0x20)).toBe(0);
    cpu.setIntr(false);
    cpu.setIntr(true);
    cpu.run(3); // interrupt delivered, handler's inc
    expect(hits(cpu, 0x20)).toBe(1);
  });

  it("holds interrupts for one instruction after MOV SS", () => {
    const cpu = makeCpu([0x8e, 0xd0, 0x90, 0x90, 0xf4]); // mov ss,ax; nop; nop; hlt
    cpu.writeFlags(IF, IF);
    cpu.intAck = () => 0x21;
    cpu.setIntr(true);
    cpu.run(1); // mov ss: interrupt taken before it (IF=1) -> runs handler? no: delivered at the boundary before mov
    const before = hits(cpu, 0x21);
    expect(before).toBe(1); // delivered before mov ss
    cpu.setIntr(false);
    // Now execute mov ss (after the handler returned) and raise INTR again: the nop must run first.
    for (let i = 0; i < 10 && cpu.eip !== CODE + 2; i++) cpu.run(1);
    expect(cpu.eip).toBe(CODE + 2);
    cpu.eip = CODE; // back to mov ss
    cpu.run(1);
    cpu.setIntr(true);
    cpu.run(1); // shadow: nop executes, no interrupt
    expect(cpu.eip).toBe(CODE + 3);
    expect(hits(cpu, 0x21)).toBe(1);
  });

  it("wakes from HLT on an interrupt and continues after HLT", () => {
    const cpu = makeCpu([0xfb, 0xf4, 0x40, 0xf4]); // sti; hlt; inc ax; hlt
    cpu.intAck = () => 0x22;
    cpu.run(10);
    expect(cpu.halted).toBe(true);
    expect(cpu.run(10)).toBe(0);
    cpu.setIntr(true);
    cpu.run(1);
    cpu.setIntr(false);
    cpu.run(10);
    expect(hits(cpu, 0x22)).toBe(1);
    expect(cpu.r16[0]).toBe(1);
    expect(cpu.halted).toBe(true);
  });

  it("single-steps with TF: one #DB after each instruction", () => {
    // TF on: pushf; pop ax; or ah,1; push ax; popf. Then nop x3, and TF off again:
    // pushf; pop ax; and ah,0FEh; push ax; popf. Then hlt.
    const on = [0x9c, 0x58, 0x80, 0xcc, 0x01, 0x50, 0x9d];
    const off = [0x9c, 0x58, 0x80, 0xe4, 0xfe, 0x50, 0x9d];
    const cpu = makeCpu([...on, 0x90, 0x90, 0x90, ...off, 0xf4]);
    cpu.run(100);
    // No trap after the POPF that sets TF; one after each of the 3 NOPs and the 5 instructions
    // that clear it (TF was set when the last POPF started); none after HLT. The handler runs
    // with TF clear (interrupt entry clears it) and IRET restores it.
    expect(hits(cpu, 1)).toBe(8);
    expect(cpu.halted).toBe(true);
  });
});

describe("REP string instructions", () => {
  it("restarts a REP MOVSB interrupted midway and completes the copy", () => {
    // rep movsb from 3000h to 4000h, 10000 bytes; then hlt
    const cpu = makeCpu([0xf3, 0xa4, 0xf4]);
    for (let i = 0; i < 10000; i++) cpu.mem.ram[0x3000 + i] = (i * 7) & 0xff;
    cpu.r16[6 << 1] = 0x3000;
    cpu.r16[7 << 1] = 0x4000;
    cpu.r16[1 << 1] = 10000;
    cpu.writeFlags(IF, IF);
    cpu.intAck = () => 0x23;
    cpu.run(1); // the first chunk of iterations
    expect(cpu.r16[1 << 1]).toBeGreaterThan(0);
    expect(cpu.eip).toBe(CODE); // stopped at the instruction's first byte
    cpu.setIntr(true);
    cpu.run(1);
    cpu.setIntr(false);
    cpu.run(1000);
    expect(hits(cpu, 0x23)).toBe(1);
    expect(cpu.r16[1 << 1]).toBe(0);
    for (let i = 0; i < 10000; i++) if (cpu.mem.ram[0x4000 + i] !== ((i * 7) & 0xff)) throw new Error(`byte ${i}`);
    expect(cpu.halted).toBe(true);
  });
});

describe("guest exceptions", () => {
  it("raises #UD in the guest for an undefined opcode, never a host exception", () => {
    for (const bytes of [
      [0x0f, 0x0b],
      [0x0f, 0xff, 0x10],
      [0x8f, 0xc8],
      [0xfe, 0xf8],
      [0x0f, 0x37],
    ]) {
      const cpu = makeCpu([...bytes, 0xf4]);
      expect(() => cpu.run(3)).not.toThrow();
      expect(hits(cpu, 6)).toBeGreaterThanOrEqual(1);
    }
  });
  it("raises #GP for a word access at offset FFFFh", () => {
    const cpu = makeCpu([0x8b, 0x07, 0xf4]); // mov ax,[bx]
    cpu.r16[3 << 1] = 0xffff;
    cpu.run(3);
    expect(hits(cpu, 13)).toBe(1);
  });
  it("raises #DE on division by zero with IP at the faulting instruction", () => {
    const cpu = makeCpu([0xf6, 0xf3, 0xf4]); // div bl (BL = 0)
    cpu.run(1);
    expect(hits(cpu, 0)).toBe(0);
    expect(cpu.mem.read16(0x9000 - 6)).toBe(CODE); // pushed IP
    expect(cpu.sreg[CS]).toBe(0);
  });
});
