// Disassembler tests: the text objdump printed for every defined instruction of the corpus
// (testdata/decoder-tests.txt), compared after normalising case and spaces. The few places
// where this disassembler deliberately differs are listed in KNOWN_DIFFERENCES; anything else
// that differs fails the test.

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { arraySource, type DecodedInstruction } from "./decoder.ts";
import { disassemble, disassembleBytes } from "./disasm.ts";

interface Case {
  mode: 16 | 32;
  hex: string;
  bytes: number[];
  address: number;
  text: string;
}

function loadDefined(): Case[] {
  const file = path.join(__dirname, "testdata", "decoder-tests.txt");
  const cases: Case[] = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("ok ")) continue;
    const [, mode, hex, , address, ...text] = line.split(" ");
    cases.push({
      mode: Number(mode) as 16 | 32,
      hex,
      bytes: hex.match(/../g)!.map((b) => parseInt(b, 16)),
      address: parseInt(address, 16),
      text: text.join(" "),
    });
  }
  return cases;
}

const normalise = (s: string): string => s.toLowerCase().replace(/\s+/g, " ").trim();

/** Where this disassembler prints something other than objdump 2.40, on purpose. */
const KNOWN_DIFFERENCES: { why: string; applies: (d: DecodedInstruction) => boolean }[] = [
  {
    why: "0F 1A/0F 1B: objdump decodes MPX (bndldx, bndmov...); this CPU has hint NOPs there",
    applies: (d) => d.opcode === 0x11a || d.opcode === 0x11b,
  },
  { why: "D6: objdump prints (bad); the CPU implements SALC", applies: (d) => d.opcode === 0xd6 },
  {
    why: "DB E0/E1/E4: objdump adds '(8087 only)'/'(287 only)' to FENI, FDISI, FSETPM",
    applies: (d) => d.opcode === 0xdb && d.mod === 3 && d.reg === 4,
  },
  {
    why: "BSWAP: the table says Zd (SDM: a 16-bit result is undefined), objdump treats it as Zv (16-bit register, 0x66 counted as used)",
    applies: (d) => d.opcode >= 0x1c8 && d.opcode <= 0x1cf && (d.operandSize === 16 || d.operandSizePrefix),
  },
  {
    why: "66 F3 0F D6 / 66 F2 0F D6: objdump names the MMX register of MOVQ2DQ/MOVDQ2Q xmm when a 66 comes first",
    applies: (d) => d.opcode === 0x1d6 && d.rep !== 0 && d.operandSizePrefix,
  },
  {
    why: "66 0F 09: objdump prints (bad) (it reserves the prefix for WBNOINVD); the prefix is ignored here",
    applies: (d) => d.opcode === 0x109 && d.operandSizePrefix,
  },
];

describe("disassembler against objdump", () => {
  const cases = loadDefined();

  it("prints objdump's text for every defined instruction of the corpus but the known differences", () => {
    let same = 0;
    const unexpected: string[] = [];
    const known = new Map<string, number>();
    for (const c of cases) {
      const { insn, text } = disassemble(arraySource(c.bytes), 0, c.mode, c.address);
      if (normalise(text) === normalise(c.text)) {
        same++;
        continue;
      }
      const k = KNOWN_DIFFERENCES.find((x) => x.applies(insn));
      if (k) known.set(k.why, (known.get(k.why) ?? 0) + 1);
      else unexpected.push(`${c.mode} ${c.hex} @${c.address.toString(16)}: got "${text}" want "${c.text}"`);
    }
    const rate = same / cases.length;
    console.log(
      `disassembly matches objdump for ${same} of ${cases.length} instructions (${(rate * 100).toFixed(2)}%); known differences: ${JSON.stringify(Object.fromEntries(known))}`,
    );
    expect(unexpected).toEqual([]);
    expect(rate).toBeGreaterThan(0.99);
  });
});

describe("disassembler details", () => {
  const text = (hex: string, mode: 16 | 32 = 16, address = 0): string => {
    const bytes = hex
      .replace(/\s+/g, "")
      .match(/../g)!
      .map((b) => parseInt(b, 16));
    return disassemble(arraySource(bytes), 0, mode, address).text;
  };

  it("writes memory operands with sizes, overrides and signed displacements", () => {
    expect(text("26 8b 47 92")).toBe("mov ax,word ptr es:[bx-0x6e]");
    // CMPPS & co.: objdump's pseudo-ops for predicates 0-7, the immediate beyond
    expect(text("0f c2 c1 01", 32)).toBe("cmpltps xmm0,xmm1");
    expect(text("66 0f c2 08 07", 32)).toBe("cmpordpd xmm1,xmmword ptr [eax]");
    expect(text("f3 0f c2 c1 04", 32)).toBe("cmpneqss xmm0,xmm1");
    expect(text("f2 0f c2 c1 09", 32)).toBe("cmpsd xmm0,xmm1,0x9");
    expect(text("8b 06 34 12")).toBe("mov ax,word ptr ds:0x1234");
    expect(text("8b 94 88 78 56 34 12", 32)).toBe("mov edx,dword ptr [eax+ecx*4+0x12345678]");
    expect(text("8b 04 24", 32)).toBe("mov eax,dword ptr [esp]");
    expect(text("c6 05 44 33 22 11 7f", 32)).toBe("mov byte ptr ds:0x11223344,0x7f");
    expect(text("8d 44 24 f0", 32)).toBe("lea eax,[esp-0x10]");
  });

  it("writes immediates in hex, sign-extended to the operand size", () => {
    expect(text("83 c0 92")).toBe("add ax,0xff92");
    expect(text("83 c0 92", 32)).toBe("add eax,0xffffff92");
    expect(text("66 6a 92", 32)).toBe("pushw 0xff92");
    expect(text("c8 10 00 01")).toBe("enter 0x10,0x1");
  });

  it("writes jump targets as addresses, wrapping at 64 KiB in 16-bit code", () => {
    expect(text("eb fe", 16, 0x100)).toBe("jmp 0x100");
    expect(text("e9 00 ff", 16, 0x50)).toBe("jmp 0xff53");
    expect(text("e8 00 00 00 00", 32, 0x1000)).toBe("call 0x1005");
    expect(text("ea 00 00 00 f0")).toBe("jmp 0xf000:0x0");
  });

  it("names x87 instructions", () => {
    expect(text("d9 e8")).toBe("fld1");
    expect(text("dd 47 92")).toBe("fld qword ptr [bx-0x6e]");
    expect(text("de f9")).toBe("fdivp st(1),st");
    expect(text("df e0")).toBe("fnstsw ax");
    expect(text("9b")).toBe("fwait");
  });

  it("prints prefixes that change nothing as words, and REP forms as objdump does", () => {
    expect(text("f3 a4")).toBe("rep movs byte ptr es:[di],byte ptr ds:[si]");
    expect(text("f3 a6")).toBe("repz cmps byte ptr ds:[si],byte ptr es:[di]");
    expect(text("2e 90")).toBe("cs nop");
    expect(text("66 40")).toBe("inc eax");
    expect(text("66 27")).toBe("data32 daa");
    expect(text("f0 01 07")).toBe("lock add word ptr [bx],ax");
  });

  it("names this machine's BIOS trap and undefined opcodes", () => {
    expect(text("0f ff 13")).toBe("biostrap 0x13");
    expect(text("0f 0d 00")).toBe("(bad)");
    expect(text("ff ff")).toBe("(bad)");
  });

  it("lists a byte run one instruction per line", () => {
    expect(disassembleBytes([0xb8, 0x34, 0x12, 0xcd, 0x10, 0xf4], 16, 0x7c00)).toEqual([
      "7c00: b8 34 12             mov ax,0x1234",
      "7c03: cd 10                int 0x10",
      "7c05: f4                   hlt",
    ]);
  });
});
