// Decoder tests: the objdump corpus (testdata/decoder-tests.txt, made by
// packages/core/scripts/gen-decoder-tests.mjs) for lengths and #UD flags, then hand-written
// cases for the fields, the length limit and the encodings the corpus leaves out.

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { arraySource, decode, isPrefixByte, MAX_INSTRUCTION_LENGTH, type DecodedInstruction } from "./decoder.ts";
import { OPCODES, OPCODES_BY_INDEX } from "./opcode-table.ts";
import { CS, ES } from "./regs.ts";

interface Case {
  tag: "ok" | "ud";
  mode: 16 | 32;
  hex: string;
  bytes: number[];
  length: number | null;
  address: number;
  text: string;
}

function loadCorpus(): Case[] {
  const file = path.join(__dirname, "testdata", "decoder-tests.txt");
  const cases: Case[] = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [tag, mode, hex, length, address, ...text] = line.split(" ");
    cases.push({
      tag: tag as Case["tag"],
      mode: Number(mode) as 16 | 32,
      hex,
      bytes: hex.match(/../g)!.map((b) => parseInt(b, 16)),
      length: length === "-" ? null : Number(length),
      address: parseInt(address, 16),
      text: text.join(" "),
    });
  }
  return cases;
}

const corpus = loadCorpus();

function dec(hex: string, mode: 16 | 32 = 16): DecodedInstruction {
  const bytes = hex
    .replace(/\s+/g, "")
    .match(/../g)!
    .map((b) => parseInt(b, 16));
  return decode(arraySource(bytes), 0, mode);
}

describe("decoder against the objdump corpus", () => {
  it("has a corpus of the expected size", () => {
    expect(corpus.filter((c) => c.tag === "ok").length).toBeGreaterThan(9_500);
    expect(corpus.filter((c) => c.tag === "ud").length).toBeGreaterThan(600);
  });

  it("gives objdump's length for every defined instruction, and flags none of them #UD", () => {
    const failures: string[] = [];
    for (const c of corpus) {
      if (c.tag !== "ok") continue;
      const d = decode(arraySource(c.bytes), 0, c.mode);
      if (d.length !== c.length || d.ud || d.tooLong || d.truncated) {
        failures.push(
          `${c.mode} ${c.hex}: length ${d.length} want ${c.length}${d.ud ? ` ud(${d.udReason})` : ""}${d.truncated ? " truncated" : ""} [${c.text}]`,
        );
      }
    }
    expect(failures).toEqual([]);
  });

  it("flags every #UD encoding, with objdump's length where it counts the bytes as the SDM does", () => {
    const failures: string[] = [];
    let lengths = 0;
    for (const c of corpus) {
      if (c.tag !== "ud") continue;
      const d = decode(arraySource(c.bytes), 0, c.mode);
      if (!d.ud) failures.push(`${c.mode} ${c.hex}: not flagged #UD [${c.text}]`);
      if (c.length !== null) {
        lengths++;
        if (d.length !== c.length) failures.push(`${c.mode} ${c.hex}: length ${d.length} want ${c.length} [${c.text}]`);
      }
    }
    expect(failures).toEqual([]);
    expect(lengths).toBeGreaterThan(100);
  });

  it("covers every table entry in both code sizes", () => {
    const seen = new Set<string>();
    for (const c of corpus) {
      if (c.tag !== "ok") continue;
      const d = decode(arraySource(c.bytes), 0, c.mode);
      if (d.entry) seen.add(`${c.mode} ${d.entry.index} ${d.entry.reg}`);
    }
    const missing: string[] = [];
    for (const e of OPCODES) {
      if (e.prefix || e.index === 0x1ff) continue; // 0F FF: hand-written below
      for (const mode of [16, 32])
        if (!seen.has(`${mode} ${e.index} ${e.reg}`))
          missing.push(`${mode} ${e.index.toString(16)}/${e.reg} ${e.mnemonic16}`);
    }
    expect(missing).toEqual([]);
  });

  it("covers every ModRM form of both address sizes and every SIB base with each mod", () => {
    const forms = new Set<string>();
    for (const c of corpus) {
      if (c.tag !== "ok") continue;
      const d = decode(arraySource(c.bytes), 0, c.mode);
      if (d.modrm < 0 || d.mod === 3) continue;
      forms.add(`a${d.addressSize} code${c.mode} mod${d.mod} rm${d.rm}` + (d.sib >= 0 ? ` base${d.base}` : ""));
    }
    for (const mode of [16, 32]) {
      for (const asize of [16, 32]) {
        for (let mod = 0; mod < 3; mod++) {
          for (let rm = 0; rm < 8; rm++) {
            if (asize === 32 && rm === 4) {
              for (let base = 0; base < 8; base++)
                expect(forms).toContain(`a${asize} code${mode} mod${mod} rm4 base${base}`);
            } else {
              expect(forms).toContain(`a${asize} code${mode} mod${mod} rm${rm}`);
            }
          }
        }
      }
    }
  });
});

describe("decoder fields", () => {
  it("splits ModRM, SIB and a disp32", () => {
    const d = dec("8b 94 88 78 56 34 12", 32);
    expect(d).toMatchObject({
      length: 7,
      opcode: 0x8b,
      modrm: 0x94,
      mod: 2,
      reg: 2,
      rm: 4,
      sib: 0x88,
      scale: 2,
      index: 1,
      base: 0,
      disp: 0x12345678,
      dispSize: 4,
      mnemonic: "mov",
    });
  });

  it("reads 16-bit forms: disp8 sign-extended, mod 00 rm 110 a disp16", () => {
    expect(dec("8b 47 92")).toMatchObject({ length: 3, disp: -0x6e, dispSize: 1 });
    expect(dec("8b 06 34 12")).toMatchObject({ length: 4, disp: 0x1234, dispSize: 2, sib: -1 });
    expect(dec("8b 86 cd ab")).toMatchObject({ length: 4, disp: -0x5433, dispSize: 2 });
  });

  it("reads 32-bit forms: base 101 with mod 00 is disp32, with mod 01 disp8", () => {
    expect(dec("8b 04 25 44 33 22 11", 32)).toMatchObject({
      length: 7,
      base: 5,
      index: 4,
      disp: 0x11223344,
      dispSize: 4,
    });
    expect(dec("8b 44 25 f0", 32)).toMatchObject({ length: 4, base: 5, disp: -0x10, dispSize: 1 });
    expect(dec("8b 05 44 33 22 11", 32)).toMatchObject({ length: 6, sib: -1, disp: 0x11223344 });
  });

  it("switches operand and address size with 66 and 67", () => {
    expect(dec("66 67 8b 04 25 44 33 22 11")).toMatchObject({
      length: 9,
      operandSize: 32,
      addressSize: 32,
      operandSizePrefix: true,
      addressSizePrefix: true,
    });
    expect(dec("66 67 8b 06 34 12", 32)).toMatchObject({ length: 6, operandSize: 16, addressSize: 16 });
    expect(dec("98").mnemonic).toBe("cbw");
    expect(dec("66 98").mnemonic).toBe("cwde");
  });

  it("sizes Iv and Jv by operand size, moffs by address size", () => {
    expect(dec("05 11 22")).toMatchObject({ length: 3, imm: 0x2211, immSize: 2 });
    expect(dec("66 05 11 22 33 44")).toMatchObject({ length: 6, imm: 0x44332211, immSize: 4 });
    expect(dec("e9 00 ff")).toMatchObject({ length: 3, imm: -0x100, immSize: 2 });
    expect(dec("66 e9 f0 ff ff ff")).toMatchObject({ length: 6, imm: -0x10, immSize: 4 });
    expect(dec("a1 11 22")).toMatchObject({ length: 3, disp: 0x2211, dispSize: 2, immSize: 0 });
    expect(dec("67 a1 11 22 33 44")).toMatchObject({ length: 6, disp: 0x44332211, dispSize: 4 });
    expect(dec("66 a1 11 22")).toMatchObject({ length: 4, dispSize: 2 });
    expect(dec("67 a1 11 22", 32)).toMatchObject({ length: 4, dispSize: 2 });
  });

  it("sign-extends Ibs and Jb, not Ib", () => {
    expect(dec("83 c0 92")).toMatchObject({ imm: -0x6e, immSize: 1 });
    expect(dec("eb 92")).toMatchObject({ imm: -0x6e, immSize: 1 });
    expect(dec("80 c0 92")).toMatchObject({ imm: 0x92, immSize: 1 });
  });

  it("reads ENTER's two immediates and a far pointer's offset and selector", () => {
    expect(dec("c8 ff fe 92")).toMatchObject({ length: 4, imm: 0xfeff, immSize: 2, imm2: 0x92, imm2Size: 1 });
    expect(dec("9a 11 22 33 44")).toMatchObject({ length: 5, imm: 0x2211, immSize: 2, imm2: 0x4433, imm2Size: 2 });
    expect(dec("66 ea 11 22 33 44 55 66")).toMatchObject({ length: 8, imm: 0x44332211, immSize: 4, imm2: 0x6655 });
    expect(dec("66 9a 11 22 33 44", 32)).toMatchObject({ length: 6, imm: 0x2211, imm2: 0x4433 });
  });

  it("takes a group's operands from its reg field", () => {
    expect(dec("f6 c0 11")).toMatchObject({ length: 3, mnemonic: "test", immSize: 1 });
    expect(dec("f6 d0")).toMatchObject({ length: 2, mnemonic: "not", immSize: 0 });
    expect(dec("f7 06 34 12 11 22")).toMatchObject({ length: 6, mnemonic: "test", disp: 0x1234, imm: 0x2211 });
    expect(dec("c0 e0 03")).toMatchObject({ length: 3, mnemonic: "shl" });
  });

  it("ignores mod for MOV to and from control and debug registers", () => {
    expect(dec("0f 20 06")).toMatchObject({ length: 3, dispSize: 0, mod: 0, rm: 6, mnemonic: "mov" });
    expect(dec("0f 22 85", 32)).toMatchObject({ length: 3, dispSize: 0 });
    expect(dec("0f 23 44", 32)).toMatchObject({ length: 3, sib: -1 });
  });

  it("records prefixes in order; the last segment and REP prefix win", () => {
    const d = dec("26 2e f2 f3 f0 a4");
    expect(d.prefixBytes).toEqual([0x26, 0x2e, 0xf2, 0xf3, 0xf0]);
    expect(d).toMatchObject({ segment: CS, rep: 0xf3, lock: true, length: 6 });
    expect(dec("26 8b 00").segment).toBe(ES);
    expect(dec("8b 00").segment).toBe(-1);
  });

  it("treats exactly the table's prefix opcodes as prefixes", () => {
    for (let b = 0; b < 256; b++) {
      const e = OPCODES_BY_INDEX[b][0];
      const tablePrefix = e !== undefined && e.prefix && b !== 0x0f;
      expect({ b, prefix: isPrefixByte(b) }).toEqual({ b, prefix: tablePrefix });
    }
  });
});

describe("decoder limits and #UD", () => {
  it("accepts 15 bytes and flags a 16th (#GP)", () => {
    const nop15 = "26".repeat(14) + "90";
    expect(dec(nop15)).toMatchObject({ length: 15, tooLong: false, mnemonic: "nop" });
    expect(dec("26".repeat(15) + "90")).toMatchObject({ length: MAX_INSTRUCTION_LENGTH, tooLong: true, opcode: -1 });
    // Few prefixes, long operands: 11 + 81 84 24 disp32 imm32 = 22 bytes.
    expect(dec("26".repeat(11) + "81 84 24 11 22 33 44 55 66 77 88", 32)).toMatchObject({ length: 22, tooLong: true });
    expect(dec("66 67 26 f0 81 84 24 11 22 33 44 55 66 77 88")).toMatchObject({
      length: 15,
      tooLong: false,
      ud: false,
    });
  });

  it("says when the bytes run out", () => {
    expect(dec("66").truncated).toBe(true);
    expect(dec("8b").truncated).toBe(true);
    expect(dec("8b 06 34").truncated).toBe(true);
    expect(dec("8b 06 34 12").truncated).toBe(false);
  });

  it("flags #UD with a reason", () => {
    expect(dec("ff f8")).toMatchObject({ ud: true, udReason: "opcode", length: 2 });
    expect(dec("c6 48 92 11")).toMatchObject({ ud: true, udReason: "opcode", length: 3 });
    expect(dec("0f 0d 00")).toMatchObject({ ud: true, udReason: "opcode", length: 2, entry: undefined });
    expect(dec("8d c0")).toMatchObject({ ud: true, udReason: "register-form" });
    expect(dec("c4 c0")).toMatchObject({ ud: true, udReason: "register-form" });
    expect(dec("ff d8")).toMatchObject({ ud: true, udReason: "register-form" });
    expect(dec("0f 01 c1")).toMatchObject({ ud: true, udReason: "register-form" });
    expect(dec("8e c8")).toMatchObject({ ud: true, udReason: "segment" });
    expect(dec("8c f0")).toMatchObject({ ud: true, udReason: "segment" });
    expect(dec("8e e0").ud).toBe(false); // mov fs,ax
    expect(dec("0f 20 c8")).toMatchObject({ ud: true, udReason: "control-register" });
    expect(dec("0f 22 e0").ud).toBe(false); // mov cr4,eax
    expect(dec("f0 90")).toMatchObject({ ud: true, udReason: "lock" });
    expect(dec("f0 00 c0")).toMatchObject({ ud: true, udReason: "lock" });
    expect(dec("f0 8b 00")).toMatchObject({ ud: true, udReason: "lock" });
    expect(dec("f0 00 00")).toMatchObject({ ud: false, lock: true });
    expect(dec("f0 0f c7 0e 34 12")).toMatchObject({ ud: false, length: 6 });
  });

  it("flags every opcode the table does not define", () => {
    for (let index = 0; index < 512; index++) {
      if (OPCODES_BY_INDEX[index].length > 0) continue;
      const d = dec(
        index < 256 ? index.toString(16).padStart(2, "0") : "0f" + (index - 256).toString(16).padStart(2, "0"),
      );
      expect({ index, ud: d.ud, reason: d.udReason }).toEqual({ index, ud: true, reason: "opcode" });
    }
  });
});

describe("decoder: encodings the corpus leaves out", () => {
  it("reads the BIOS trap 0F FF ib (objdump: UD0 with a ModRM byte)", () => {
    expect(dec("0f ff 11")).toMatchObject({ length: 3, opcode: 0x1ff, imm: 0x11, immSize: 1, modrm: -1, ud: false });
  });

  it("reads the 0F 1A/1B hint NOPs with 16-bit addressing (objdump: MPX, which has none)", () => {
    expect(dec("0f 1a 06 34 12")).toMatchObject({ length: 5, mnemonic: "nop", disp: 0x1234 });
    expect(dec("0f 1b 47 92")).toMatchObject({ length: 4, mnemonic: "nop", disp: -0x6e });
    expect(dec("67 0f 1a 06 34 12", 32)).toMatchObject({ length: 6 });
  });
});
