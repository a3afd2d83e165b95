// A bare machine for user-mode programs: CPU, RAM and a dispatcher, no chipset and no kernel.
// The CPU runs in 32-bit flat protected mode with paging off, the program at CPL 3.
//
// Key design choice: the kernel boundary is an OUT instruction. The IDT's INT 80h gate (DPL 3,
// as Linux has it) leads to a three-byte ring-0 stub, `out 0xE0, al; iretd`; the OUT reaches
// a port on this machine's own I/O bus, whose handler runs the Linux system call in TypeScript
// with the CPU's registers, and IRETD returns to the program. Every other vector leads to a
// stub that pushes EAX, writes the vector number to port 0xE1 and halts: the handler records
// the guest exception (vector, error code, EIP and the faulting bytes) and stops the run. So no
// instruction is ever executed outside the CPU's normal paths (INT through a gate with a
// privilege change through the TSS, OUT at CPL 0 with IOPL 0, IRET to an outer level).
//
// Physical memory layout (paging is off, so linear = physical; the ELF loads at its linked
// addresses, 0x08048000 for a non-PIE static executable):
//   0x00001000  GDT (16 entries, laid out as an x86-64 Linux kernel shows it to 32-bit tasks:
//               user CS 0x23, user DS 0x2B, TLS entries 12-14 for set_thread_area)
//   0x00002000  IDT (256 gates)
//   0x00003000  32-bit TSS (SS0:ESP0 for the INT 80h privilege change)
//   0x00004000  ring-0 stubs
//   0x00010000  top of the ring-0 stack
//   brk heap    from the end of the ELF's bss up to MMAP_BASE
//   0x0C000000  anonymous mmap area, bump-allocated upwards
//   0x0FFFF000  top of the user stack (argv, envp, auxv and their strings below it)

import {
  CR0_ET,
  CR0_MP,
  CR0_NE,
  CR0_PE,
  CR4_OSFXSR,
  CS,
  Cpu,
  DS,
  Dispatcher,
  ES,
  FS,
  GS,
  PhysicalMemory,
  SS,
} from "@x86vm/core";

export const RAM_BYTES = 256 << 20;
export const GDT_BASE = 0x1000,
  GDT_ENTRIES = 16;
export const IDT_BASE = 0x2000;
export const TSS_BASE = 0x3000;
export const STUB_BASE = 0x4000;
export const KERNEL_STACK_TOP = 0x10000;
export const MMAP_BASE = 0x0c000000;
export const STACK_TOP = 0x0ffff000;
export const STACK_LIMIT = 0x0f000000;

/** Selectors as Linux (x86-64 kernel, 32-bit task) has them; the kernel pair is ours. */
export const SEL_KERNEL_CS = 0x10,
  SEL_KERNEL_DS = 0x18,
  SEL_USER_CS = 0x23,
  SEL_USER_DS = 0x2b;
export const SEL_TSS = 0x40;
export const GDT_TLS_MIN = 12,
  GDT_TLS_ENTRIES = 3;

/** Ports of the two traps (see the header). */
export const PORT_SYSCALL = 0xe0,
  PORT_EXCEPTION = 0xe1;

/** Where the INT 80h stub lies, and where the exception stub of vector v lies (8 bytes each). */
export const SYSCALL_STUB = STUB_BASE;
const EXC_STUBS = STUB_BASE + 0x100;
const excStub = (v: number) => EXC_STUBS + v * 8;

/** Exceptions that push an error code (SDM Vol. 3 §6.13, table 6-1). */
const HAS_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);
export const EXCEPTION_NAMES: Record<number, string> = {
  0: "#DE divide error",
  1: "#DB debug",
  3: "#BP breakpoint",
  4: "#OF overflow",
  5: "#BR bound",
  6: "#UD invalid opcode",
  7: "#NM device not available",
  8: "#DF double fault",
  10: "#TS invalid TSS",
  11: "#NP segment not present",
  12: "#SS stack fault",
  13: "#GP general protection",
  14: "#PF page fault",
  16: "#MF x87 floating-point error",
  17: "#AC alignment check",
};

/** A guest exception that reached one of the exception stubs. */
export interface GuestException {
  vector: number;
  errorCode: number | null;
  eip: number;
  cs: number;
  eflags: number;
  /** Registers at the fault (EAX restored from the stub's push). */
  regs: string;
  /** Up to 16 bytes at CS:EIP. */
  bytes: number[];
}

/**
 * Segment descriptor words (lo, hi) for base, a limit in bytes-1 (or pages-1 with g), an
 * access byte and the flags nibble (G D/B L AVL as bits 3..0).
 */
export function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi =
    (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo | 0, hi | 0];
}

export class FlatMachine {
  readonly mem = new PhysicalMemory(RAM_BYTES);
  readonly io = new Dispatcher();
  readonly cpu = new Cpu(this.mem, this.io);
  readonly ram = this.mem.ram;
  readonly dv = new DataView(this.ram.buffer, this.ram.byteOffset, this.ram.byteLength);
  exception: GuestException | null = null;

  /** syscall: called at the OUT of the INT 80h stub, with the user's registers in the CPU. */
  constructor(syscall: (cpu: Cpu) => void) {
    this.io.io.attach({
      name: "usermode-traps",
      ports: [
        {
          base: PORT_SYSCALL,
          count: 2,
          write8: (off) => {
            if (off === 0) syscall(this.cpu);
            else this.recordException();
          },
        },
      ],
    });
    this.buildTables();
  }

  private buildTables(): void {
    const dv = this.dv;
    const gdt = (i: number, d: [number, number]) => {
      dv.setInt32(GDT_BASE + i * 8, d[0], true);
      dv.setInt32(GDT_BASE + i * 8 + 4, d[1], true);
    };
    // Flat 4 GiB segments: G=1, D=1; access P | DPL | S | type (code 0xA execute/read, data 0x2 read/write) | accessed.
    gdt(SEL_KERNEL_CS >> 3, descriptor(0, 0xfffff, 0x9b, 0xc));
    gdt(SEL_KERNEL_DS >> 3, descriptor(0, 0xfffff, 0x93, 0xc));
    gdt(SEL_USER_CS >> 3, descriptor(0, 0xfffff, 0xfb, 0xc));
    gdt(SEL_USER_DS >> 3, descriptor(0, 0xfffff, 0xf3, 0xc));
    gdt(SEL_TSS >> 3, descriptor(TSS_BASE, 0x67, 0x8b, 0x0)); // 32-bit TSS, busy (as after LTR)
    // TSS: ESP0 at offset 4, SS0 at 8; I/O map base beyond the limit (no bitmap: every port #GP at CPL 3).
    dv.setUint32(TSS_BASE + 4, KERNEL_STACK_TOP, true);
    dv.setUint32(TSS_BASE + 8, SEL_KERNEL_DS, true);
    dv.setUint16(TSS_BASE + 0x66, 0x68, true);
    // IDT: 32-bit interrupt gates (type 0xE) to ring 0; INT 80h callable from ring 3.
    for (let v = 0; v < 256; v++) {
      const target = v === 0x80 ? SYSCALL_STUB : excStub(v);
      const dpl = v === 0x80 ? 3 : 0;
      dv.setInt32(IDT_BASE + v * 8, (SEL_KERNEL_CS << 16) | (target & 0xffff), true);
      dv.setInt32(IDT_BASE + v * 8 + 4, (target & 0xffff0000) | ((0x80 | (dpl << 5) | 0x0e) << 8), true);
      // push eax; mov al, v; out 0xE1, al; hlt; jmp $-1
      this.ram.set([0x50, 0xb0, v, 0xe6, PORT_EXCEPTION, 0xf4, 0xeb, 0xfd], excStub(v));
    }
    // out 0xE0, al; iretd
    this.ram.set([0xe6, PORT_SYSCALL, 0xcf], SYSCALL_STUB);
  }

  /** CPUID leaf 1 EDX as the CPU reports it (the kernel passes it to programs as AT_HWCAP). */
  hwcap(): number {
    const out = new Int32Array(4);
    this.io.cpuid(1, 0, out);
    return out[3];
  }

  /** Writes a TLS descriptor into GDT entry i (set_thread_area). */
  setGdtEntry(i: number, d: [number, number]): void {
    this.dv.setInt32(GDT_BASE + i * 8, d[0], true);
    this.dv.setInt32(GDT_BASE + i * 8 + 4, d[1], true);
  }
  gdtEntry(i: number): [number, number] {
    return [this.dv.getInt32(GDT_BASE + i * 8, true), this.dv.getInt32(GDT_BASE + i * 8 + 4, true)];
  }

  /** Puts the CPU at CPL 3 in flat protected mode at eip with the given stack pointer. */
  enterUserMode(eip: number, esp: number): void {
    const c = this.cpu;
    c.reset();
    c.dt[0] = GDT_BASE;
    c.dt[1] = GDT_ENTRIES * 8 - 1;
    c.dt[2] = IDT_BASE;
    c.dt[3] = 256 * 8 - 1;
    c.dt[8] = SEL_TSS;
    c.dt[9] = TSS_BASE;
    c.dt[10] = 0x67;
    c.dt[11] = 0x8b;
    c.cr[0] = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
    // Linux sets OSFXSR when CPUID reports FXSR (and OSXMMEXCPT only with SSE, not reported yet).
    c.cr[4] = CR4_OSFXSR;
    c.r32.fill(0);
    // Loads through the CPU's own protected-mode path, so the descriptors are checked as a
    // MOV to a segment register would check them.
    c.setCpl(3);
    c.modeChanged();
    c.loadSeg(SS, SEL_USER_DS);
    for (const s of [DS, ES]) c.loadSeg(s, SEL_USER_DS);
    for (const s of [FS, GS]) c.loadSeg(s, 0);
    c.loadSeg(CS, SEL_USER_CS);
    c.writeFlags(0x202, -1); // IF, as Linux starts a task
    c.modeChanged();
    c.r32[4] = esp;
    c.setEip(eip);
  }

  /** Called from the exception stub: the ring-0 stack holds EAX, [error code,] EIP, CS, EFLAGS. */
  private recordException(): void {
    const c = this.cpu,
      dv = this.dv;
    const vector = c.r8[0];
    let sp = c.r32[4] >>> 0;
    const eax = dv.getUint32(sp, true);
    sp += 4;
    let errorCode: number | null = null;
    if (HAS_ERROR_CODE.has(vector)) {
      errorCode = dv.getUint32(sp, true);
      sp += 4;
    }
    const eip = dv.getUint32(sp, true),
      cs = dv.getUint32(sp + 4, true) & 0xffff,
      eflags = dv.getUint32(sp + 8, true);
    const userEsp = (cs & 3) === 3 ? dv.getUint32(sp + 12, true) : sp + 12;
    const bytes: number[] = [];
    for (let i = 0; i < 16 && eip + i < RAM_BYTES; i++) bytes.push(this.ram[eip + i]);
    const h = (v: number) => (v >>> 0).toString(16).padStart(8, "0");
    const r = c.r32;
    const regs = `eax=${h(eax)} ebx=${h(r[3])} ecx=${h(r[1])} edx=${h(r[2])} esi=${h(r[6])} edi=${h(r[7])} ebp=${h(r[5])} esp=${h(userEsp)}`;
    this.exception = { vector, errorCode, eip, cs, eflags, regs, bytes };
    c.requestStop();
  }
}

/** Formats a guest exception for a report. */
export function describeException(e: GuestException): string {
  const name = EXCEPTION_NAMES[e.vector] ?? `vector ${e.vector}`;
  const code = e.errorCode === null ? "" : ` error code 0x${e.errorCode.toString(16)}`;
  const bytes = e.bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return (
    `guest exception ${name}${code} at ${e.cs.toString(16)}:${e.eip.toString(16).padStart(8, "0")} ` +
    `(bytes ${bytes}) eflags=${e.eflags.toString(16)} ${e.regs}`
  );
}
