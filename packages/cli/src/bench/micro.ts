// `vm bench micro`: per-instruction costs of a few instruction forms, each run in a tight
// loop of eight copies. A tool for interpreter work, not a figure to report.

import { CS, Cpu, Dispatcher, PhysicalMemory } from "@x86vm/core";

const CASES: [string, number[]][] = [
  ["nop", [0x90]],
  ["add ax,bx", [0x01, 0xd8]],
  ["add eax,ebx (66)", [0x66, 0x01, 0xd8]],
  ["mov ax,[bx]", [0x8b, 0x07]],
  ["add [bx+si],ax", [0x01, 0x00]],
  ["es: mov [di],ax", [0x26, 0x89, 0x05]],
  ["inc si", [0x46]],
  ["jmp $+2", [0xeb, 0x00]],
  ["cmp al,5; jz $+2", [0x3c, 0x05, 0x74, 0x00]],
  ["add si,2 (83)", [0x83, 0xc6, 0x02]],
  ["rol ax,1", [0xd1, 0xc0]],
  ["push ax; pop ax", [0x50, 0x58]],
  ["dec dx", [0x4a]],
  ["dec edx (66)", [0x66, 0x4a]],
  ["es: nop", [0x26, 0x90]],
];

export function runMicro(iterations = 2_000_000): string[] {
  const lines: string[] = [];
  for (const [name, insn] of CASES) {
    const body = Array<number[]>(8).fill(insn).flat();
    const mem = new PhysicalMemory(1 << 20);
    const cpu = new Cpu(mem, new Dispatcher());
    const n = iterations;
    // mov ecx, n; body; dec ecx; jnz body; hlt
    const code = [
      0x66,
      0xb9,
      n & 0xff,
      (n >> 8) & 0xff,
      (n >> 16) & 0xff,
      n >>> 24,
      ...body,
      0x66,
      0x49,
      0x75,
      -(body.length + 4) & 0xff,
      0xf4,
    ];
    mem.ram.set(code, 0x1000);
    cpu.setSegReal(CS, 0, 0xffff, 0x9b);
    cpu.eip = 0x1000;
    cpu.r16[6 << 1] = 0x2000;
    cpu.r16[3 << 1] = 0x3000; // SI, BX
    const t0 = performance.now();
    let count = 0;
    while (!cpu.halted) count += cpu.run(1e7);
    const ms = performance.now() - t0;
    lines.push(
      `${name.padEnd(20)} ${(count / ms / 1000).toFixed(1).padStart(6)} MIPS ${((ms * 1e6) / count).toFixed(1).padStart(5)} ns/instr`,
    );
  }
  return lines;
}
