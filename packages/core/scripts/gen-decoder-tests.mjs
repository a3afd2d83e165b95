// Generates packages/core/src/cpu/testdata/decoder-tests.txt: a corpus of instruction encodings
// with the length (and Intel-syntax text) that GNU objdump gives each, for decoder.test.ts and
// disasm.test.ts. The encodings come from the opcode table (every entry, in 16- and 32-bit code,
// with a spread of ModRM/SIB/displacement forms and prefixes); the expected lengths come from
// objdump, never from our own decoder.
//
// Run from the repository root (needs objdump from binutils; $OBJDUMP picks one, else
// i686-linux-gnu-objdump when installed, else objdump: both read i386 code the same way):
//   node --import tsx packages/core/scripts/gen-decoder-tests.mjs
// Imported, the module writes nothing: generateDecoderTests() returns the file's text. The test
// scripts/generated.test.ts compares that with the checked-in file and fails when they differ,
// so rerun this after changing the opcode table or this script (and never edit the output by hand).
//
// Method: every case sits at the start of its own 32-byte slot, the rest of the slot is NOP
// (0x90). An instruction is at most 15 bytes, so whatever objdump makes of a case, it is back
// in step at the next slot; the instruction objdump prints at a slot's address is its reading
// of that case.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { OPCODES, OPCODES_BY_INDEX, formMatches, lookupOpcode, selectedSimdPrefix } from "../src/cpu/opcode-table.ts";
import { x87Undefined } from "../src/cpu/fpu/ops.ts";

/** The file this script writes. */
export const DECODER_TESTS_OUTPUT = fileURLToPath(new URL("../src/cpu/testdata/decoder-tests.txt", import.meta.url));
const SLOT = 32;
const CHUNK = 1024; // slots per objdump run: addresses stay below 0x8000, so 16-bit targets do not wrap

const hex2 = (b) => b.toString(16).padStart(2, "0");

/** Opcodes left out of the corpus entirely, with the reason (they get hand-written tests). */
const LEFT_OUT = {
  0x1ff: "0F FF is this machine's BIOS trap (0F FF ib); objdump reads it as UD0 with a ModRM byte",
};

/**
 * Defined encodings whose objdump length is wrong, left out with the reason (hand-written
 * tests in decoder.test.ts cover them with the SDM's length).
 */
function leftOutCase(c) {
  const p = c.bytes.findIndex((b) => b === 0x0f);
  const asize = c.bytes.slice(0, Math.max(p, 0)).includes(0x67) ? 48 - c.mode : c.mode;
  if (p >= 0 && (c.bytes[p + 1] === 0x1a || c.bytes[p + 1] === 0x1b) && asize === 16 && c.bytes[p + 2] < 0xc0) {
    return "0F 1A/0F 1B (hint NOP Ev) with 16-bit addressing: objdump decodes MPX BNDLDX/BNDSTX/BNDMOV, which have no 16-bit forms, and stops after the ModRM byte";
  }
  const m = p >= 0 && c.bytes[p + 1] === 0xae ? c.bytes[p + 2] : -1;
  if (m >= 0xf1 && m !== 0xf8) {
    return "0F AE F1-F7/F9-FF (MFENCE/SFENCE with r/m not 0): objdump knows only F0 and F8 and prints (bad) after two bytes; the CPU ignores r/m";
  }
  return null;
}

// ---- building encodings from the table

/**
 * A ModRM memory/register form for an address size: mod, rm, and the SIB/displacement bytes
 * that follow the ModRM byte.
 */
function form(mod, rm, tail, name) {
  return { mod, rm, tail, name };
}
const FORMS16 = [
  form(3, 1, [], "reg"),
  form(0, 0, [], "[bx+si]"),
  form(0, 6, [0x34, 0x12], "disp16"),
  form(1, 7, [0x92], "[bx+d8]"),
  form(2, 2, [0x78, 0x56], "[bp+si+d16]"),
];
const FORMS32 = [
  form(3, 1, [], "reg"),
  form(0, 0, [], "[eax]"),
  form(0, 5, [0x78, 0x56, 0x34, 0x12], "disp32"),
  form(1, 3, [0x92], "[ebx+d8]"),
  form(2, 4, [0x88, 0x78, 0x56, 0x34, 0x12], "[eax+ecx*4+d32]"),
  form(0, 4, [0x25, 0x44, 0x33, 0x22, 0x11], "sib base101 mod00"),
];
const formsFor = (asize) => (asize === 32 ? FORMS32 : FORMS16);

/** The reg field to use for a non-group opcode whose reg field must name something valid. */
function regFieldFor(e) {
  if (e.reg >= 0) return e.reg;
  if (e.operands.includes("Sw")) return 3; // DS (MOV to CS is #UD)
  if (e.operands.includes("Cd")) return 3; // CR3
  return 2;
}

/** Immediate/offset bytes of an entry for the sizes in effect. */
function operandTail(e, osize, asize) {
  const out = [];
  let k = 0;
  const fill = (n) => {
    for (let i = 0; i < n; i++) out.push(0x11 * (++k & 7) || 0x77);
  };
  for (const op of e.operands) {
    if (/^(AL|CL|DX|eAX|[CDEFGS]S|1)$/.test(op)) continue;
    const kind = op[0],
      size = op.slice(1);
    if (kind === "O") fill(asize / 8);
    else if (kind === "I" || kind === "J") fill(size === "v" ? osize / 8 : size === "w" ? 2 : size === "d" ? 4 : 1);
    else if (kind === "A") {
      fill(osize / 8);
      fill(2);
    }
  }
  return out;
}

function opcodeBytes(index) {
  return index < 256 ? [index] : [0x0f, index - 256];
}
function takesModrm(index) {
  const list = OPCODES_BY_INDEX[index];
  // Not the table's hasModrm flag: it also matches fixed registers such as DX and DS.
  return list.some((e) => e.reg >= 0 || e.operands.some((o) => /^[EGMRSCDPQNUVW][a-z]*$/.test(o)));
}

/**
 * The encoding of entry e (or of a bare opcode index when e is undefined) in code of size
 * `mode` with the given prefixes and ModRM form; ud says whether the CPU raises #UD for it.
 */
function encode(mode, prefixes, index, reg, f) {
  const osize = prefixes.includes(0x66) ? 48 - mode : mode;
  const asize = prefixes.includes(0x67) ? 48 - mode : mode;
  const bytes = [...prefixes, ...opcodeBytes(index)];
  const rep = prefixes.filter((p) => p === 0xf2 || p === 0xf3).pop() ?? 0;
  const selected = selectedSimdPrefix(prefixes.includes(0x66), rep);
  const e = takesModrm(index)
    ? lookupOpcode(index, reg, selected)
    : OPCODES_BY_INDEX[index].find((x) => formMatches(x, selected));
  let ud = e === undefined;
  if (takesModrm(index)) {
    const regOnly = e !== undefined && e.operands.some((o) => o[0] === "R");
    bytes.push((f.mod << 6) | (reg << 3) | f.rm);
    if (!regOnly) bytes.push(...f.tail);
    if (e !== undefined && f.mod === 3 && e.operands.some((o) => o[0] === "M")) ud = true;
    if (e !== undefined && f.mod !== 3 && e.operands.some((o) => o[0] === "N" || o[0] === "U")) ud = true;
    if (e !== undefined && e.handler === "esc" && x87Undefined(index, (f.mod << 6) | (reg << 3) | f.rm)) ud = true;
  }
  if (e !== undefined) bytes.push(...operandTail(e, osize, asize));
  if (prefixes.includes(0xf0)) {
    const lockOk = e !== undefined && e.lockable && takesModrm(index) && f.mod !== 3;
    if (!lockOk) ud = true;
  }
  return { mode, bytes, ud };
}

// ---- the corpus

/** Every case, and how many encodings leftOutCase dropped for each reason. */
function buildCorpus() {
  const cases = [];
  const seen = new Set();
  const leftOutCounts = {};
  function add(c, why) {
    if (c.bytes.length > 15) return;
    const key = `${c.mode} ${c.bytes.map(hex2).join("")}`;
    if (seen.has(key)) return;
    seen.add(key);
    const out = leftOutCase(c);
    if (out !== null) {
      leftOutCounts[out] = (leftOutCounts[out] ?? 0) + 1;
      return;
    }
    cases.push({ ...c, why });
  }

  const entries = OPCODES.filter((e) => !e.prefix && LEFT_OUT[e.index] === undefined);

  for (const mode of [16, 32]) {
    const other = 48 - mode;
    // 1. every table entry: each ModRM form, and operand-/address-size prefixes
    for (const e of entries) {
      const reg = regFieldFor(e);
      // A row with a mandatory prefix (F3 0F 10) is encoded with it, last before the opcode.
      const m = e.simdPrefix > 0 ? [e.simdPrefix] : [];
      if (takesModrm(e.index)) {
        for (const f of formsFor(mode)) add(encode(mode, m, e.index, reg, f), "entry");
        // The fences are written with r/m 0 (objdump knows MFENCE and SFENCE only so).
        if (e.index === 0x1ae) add(encode(mode, m, e.index, reg, form(3, 0, [], "reg0")), "entry");
        for (const f of [formsFor(mode)[0], formsFor(mode)[3]])
          add(encode(mode, [0x66, ...m], e.index, reg, f), "entry 66");
        for (const f of [formsFor(other)[2], formsFor(other)[4]])
          add(encode(mode, [0x67, ...m], e.index, reg, f), "entry 67");
        add(encode(mode, [0x66, 0x67, ...m], e.index, reg, formsFor(other)[4]), "entry 66 67");
      } else {
        add(encode(mode, m, e.index, 0, null), "entry");
        add(encode(mode, [0x66, ...m], e.index, 0, null), "entry 66");
        add(encode(mode, [0x67, ...m], e.index, 0, null), "entry 67");
        add(encode(mode, [0x66, 0x67, ...m], e.index, 0, null), "entry 66 67");
      }
    }

    // 2. every ModRM form of both address sizes (8B: mov Gv,Ev; 81/0: disp then imm; C6/0: Ib)
    for (const [prefixes, asize] of [
      [[], mode],
      [[0x67], other],
    ]) {
      for (const index of [0x8b, 0x81, 0xc6, 0x69]) {
        for (let mod = 0; mod < 4; mod++) {
          for (let rm = 0; rm < 8; rm++) {
            const reg = index === 0x8b || index === 0x69 ? (rm + 3) & 7 : 0;
            let tail = [];
            if (mod < 3) {
              if (asize === 16) {
                if (mod === 1) tail = [0x81];
                else if (mod === 2 || rm === 6) tail = [0xcd, 0xab];
              } else {
                if (rm === 4) tail.push(0x4a); // [edx+ecx*2]
                if (mod === 1) tail.push(0x7f);
                else if (mod === 2 || rm === 5) tail.push(0x01, 0xef, 0xcd, 0xab);
              }
            }
            add(encode(mode, prefixes, index, reg, form(mod, rm, tail, "sweep")), "modrm");
          }
        }
        // SIB: every base with every mod, index and scale varied; index 100 (none) with each base
        if (asize === 32) {
          for (let mod = 0; mod < 3; mod++) {
            for (let base = 0; base < 8; base++) {
              for (let idx = 0; idx < 8; idx++) {
                if (index !== 0x8b && idx !== 4 && idx !== 1) continue;
                const sib = ((idx & 3) << 6) | (idx << 3) | base;
                const tail = [sib];
                if (mod === 1) tail.push(0xf0);
                else if (mod === 2 || base === 5) tail.push(0x10, 0x32, 0x54, 0x76);
                const reg = OPCODES_BY_INDEX[index][0].reg >= 0 ? OPCODES_BY_INDEX[index][0].reg : 2;
                add(encode(mode, prefixes, index, reg, form(mod, 4, tail, "sib")), "sib");
              }
            }
          }
        }
      }
    }

    // 3. prefixes: segments, 66, 67, REP/REPNE, LOCK, and several together
    const SEGS = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
    const mem = formsFor(mode)[3],
      memOther = formsFor(other)[2];
    const PREFIX_OPCODES = [0x00, 0x01, 0x8b, 0x81, 0x83, 0xc7, 0xf7, 0xff, 0x1af, 0x1ba, 0x1b1, 0x1c7];
    for (const index of PREFIX_OPCODES) {
      const reg =
        OPCODES_BY_INDEX[index][0].reg >= 0
          ? (OPCODES_BY_INDEX[index].find((x) => x.lockable)?.reg ?? OPCODES_BY_INDEX[index][0].reg)
          : 1;
      for (const s of SEGS) add(encode(mode, [s], index, reg, mem), "prefix seg");
      add(encode(mode, [0xf0], index, reg, mem), "prefix lock");
      add(encode(mode, [0xf0], index, reg, formsFor(mode)[0]), "prefix lock reg");
      add(encode(mode, [0xf0, 0x66, 0x26], index, reg, mem), "prefixes");
      add(encode(mode, [0x26, 0x67, 0xf0], index, reg, memOther), "prefixes");
      add(encode(mode, [0x66, 0x67, 0x64], index, reg, memOther), "prefixes");
      add(encode(mode, [0x65, 0x66, 0xf0, 0x67], index, reg, memOther), "prefixes");
    }
    for (const index of [0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0x6c, 0x6d, 0x6e, 0x6f]) {
      for (const rep of [0xf2, 0xf3]) {
        add(encode(mode, [rep], index, 0, null), "prefix rep");
        add(encode(mode, [rep, 0x66], index, 0, null), "prefix rep");
        add(encode(mode, [0x26, rep, 0x67], index, 0, null), "prefix rep");
        add(encode(mode, [0x66, 0x67, rep, 0x2e], index, 0, null), "prefix rep");
      }
      for (const s of SEGS) add(encode(mode, [s], index, 0, null), "prefix seg");
    }
    for (const s of SEGS)
      for (const index of [0xa0, 0xa1, 0xa2, 0xa3, 0xd7]) {
        add(encode(mode, [s], index, 0, null), "prefix seg moffs");
        add(encode(mode, [s, 0x67], index, 0, null), "prefix seg moffs 67");
      }

    // 4. immediates of each kind with both operand sizes; moffs with 67; far pointers with 66
    for (const index of [
      0x05, 0x68, 0x6a, 0x69, 0x6b, 0xa0, 0xa1, 0xa2, 0xa3, 0x9a, 0xea, 0xc2, 0xca, 0xc8, 0xe8, 0xe9, 0xeb, 0x70, 0x180,
      0x18f, 0xe3, 0xe0, 0xcd, 0xd4, 0xd5, 0xe4, 0xe5, 0xb8, 0xb0, 0x1a4, 0x1ac,
    ]) {
      for (const p of [[], [0x66], [0x67], [0x66, 0x67], [0x67, 0x66]]) {
        add(encode(mode, p, index, 2, takesModrm(index) ? formsFor(p.includes(0x67) ? other : mode)[3] : null), "imm");
      }
    }

    // negative immediates and backward jumps (sign extension of Ibs, Jb, Jv)
    const RAW = [
      "83c092",
      "830092",
      "6683c092",
      "6a92",
      "666a92",
      "6bc092",
      "666bc092",
      "eb92",
      "7092",
      "e292",
      "e392",
      "c0c092",
      "b092",
      "0492",
      "cd92",
      "c8fffe92",
      "6683c0ff",
    ];
    const RAW_BY_MODE = {
      16: ["e800ff", "e900ff", "0f8000ff", "66e800ffffff", "66e9f0ffffff", "660f80f0ffffff"],
      32: ["e800ffffff", "e9f0ffffff", "0f80f0ffffff", "66e800ff", "66e9f0ff", "660f80f0ff"],
    };
    for (const h of [...RAW, ...RAW_BY_MODE[mode]]) {
      add({ mode, bytes: h.match(/../g).map((x) => parseInt(x, 16)), ud: false }, "negative");
    }

    // 5. the x87 escapes: every register form, every memory form (the text differs, the length not)
    for (let index = 0xd8; index <= 0xdf; index++) {
      for (let m = 0xc0; m < 0x100; m++) add(encode(mode, [], index, (m >> 3) & 7, form(3, m & 7, [], "x87")), "x87");
      for (let reg = 0; reg < 8; reg++) add(encode(mode, [], index, reg, formsFor(mode)[3]), "x87");
    }

    // 6. #UD encodings: undefined group members, memory-only operands in register form,
    //    opcodes the table does not define
    for (let index = 0; index < 512; index++) {
      if (LEFT_OUT[index] !== undefined || index === 0x0f) continue;
      const list = OPCODES_BY_INDEX[index];
      if (list.length > 0 && list[0].prefix) continue;
      if (takesModrm(index)) {
        for (let reg = 0; reg < 8; reg++) {
          const e = lookupOpcode(index, reg);
          const memOnly = e !== undefined && e.operands.some((o) => o[0] === "M");
          if (e !== undefined && !memOnly) continue;
          add(encode(mode, [], index, reg, formsFor(mode)[3]), "ud");
          add(encode(mode, [], index, reg, formsFor(mode)[0]), "ud");
        }
      } else if (list.length === 0) {
        add(encode(mode, [], index, 0, null), "ud");
      }
    }
  }

  return { cases, leftOutCounts };
}

// ---- objdump

/** $OBJDUMP, else the i686 cross objdump when it is on PATH, else the host's objdump. */
function findObjdump() {
  if (process.env.OBJDUMP) return process.env.OBJDUMP;
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  return dirs.some((d) => fs.existsSync(path.join(d, "i686-linux-gnu-objdump"))) ? "i686-linux-gnu-objdump" : "objdump";
}

/** objdump's reading of each case of `chunk`, the input file written in the folder `tmp`. */
function runObjdump(objdump, tmp, mode, chunk) {
  const buf = Buffer.alloc(chunk.length * SLOT, 0x90);
  chunk.forEach((c, i) => Buffer.from(c.bytes).copy(buf, i * SLOT));
  const file = path.join(tmp, "code.bin");
  fs.writeFileSync(file, buf);
  const opts = mode === 16 ? "intel,addr16,data16" : "intel";
  const text = execFileSync(objdump, ["-D", "-b", "binary", "-m", "i386", "-M", opts, file], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  // "   1a:\t00 04 24             \tadd    BYTE PTR [esp],al"; long encodings continue on
  // lines that carry bytes but no text.
  const insns = new Map();
  let cur = null;
  for (const line of text.split("\n")) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*(?:\t(.*))?$/.exec(line);
    if (!m) continue;
    const nbytes = m[2].trim().split(/\s+/).length;
    if (m[3] === undefined && cur !== null) {
      cur.length += nbytes;
      continue;
    }
    cur = { addr: parseInt(m[1], 16), length: nbytes, text: (m[3] ?? "").trim().replace(/\s+/g, " ") };
    insns.set(cur.addr, cur);
  }
  return chunk.map((c, i) => {
    const insn = insns.get(i * SLOT);
    if (insn === undefined) throw new Error(`objdump printed nothing at slot ${i} (${c.bytes.map(hex2).join(" ")})`);
    return { ...c, addr: i * SLOT, objLength: insn.length, objText: insn.text };
  });
}

// ---- the data file

/** The text of decoder-tests.txt, with counts and the length mismatches for the log. Writes nothing. */
function build() {
  const { cases, leftOutCounts } = buildCorpus();
  const objdump = findObjdump();
  const results = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gen-decoder-"));
  try {
    for (const mode of [16, 32]) {
      const list = cases.filter((c) => c.mode === mode);
      for (let i = 0; i < list.length; i += CHUNK)
        results.push(...runObjdump(objdump, tmp, mode, list.slice(i, i + CHUNK)));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const lines = [];
  let compared = 0,
    udLengthAgrees = 0,
    udLeftOut = 0;
  const mismatches = [];
  for (const r of results) {
    // When objdump reads further than the generated bytes, the NOP padding it read is kept.
    const padded = [...r.bytes, ...Array(Math.max(0, r.objLength - r.bytes.length)).fill(0x90)];
    const hex = padded.map(hex2).join("");
    const agrees = r.objLength === r.bytes.length;
    if (r.ud) {
      // #UD here: only the #UD flag is checked, and the length when objdump counts the bytes the
      // same way (ModRM, SIB, displacement and immediates as the SDM lays them out).
      if (agrees) udLengthAgrees++;
      else udLeftOut++;
      lines.push(`ud ${r.mode} ${hex} ${agrees ? r.objLength : "-"} ${r.addr.toString(16)} ${r.objText}`);
      continue;
    }
    if (!agrees)
      mismatches.push(`${r.mode} ${hex} generated ${r.bytes.length} objdump ${r.objLength}: ${r.objText} (${r.why})`);
    compared++;
    lines.push(`ok ${r.mode} ${hex} ${r.objLength} ${r.addr.toString(16)} ${r.objText}`);
  }

  const version = execFileSync(objdump, ["--version"], { encoding: "utf8" }).split("\n")[0];
  const banner = [
    "# GENERATED FILE - do not edit by hand.",
    "# Made by: node --import tsx packages/core/scripts/gen-decoder-tests.mjs",
    `# Expected lengths and texts from: ${version}`,
    "#   32-bit code: objdump -D -b binary -m i386 -M intel",
    "#   16-bit code: objdump -D -b binary -m i386 -M intel,addr16,data16",
    "# Columns: tag mode hex-bytes length address objdump-text",
    "#   tag ok: a defined instruction; its length must match.",
    "#   tag ud: #UD on this CPU (undefined group member, memory-only operand with mod 11, MMX",
    "#       register-only operand with a memory ModRM, 66/F2/F3 on an MMX instruction, opcode not",
    "#       in the table, LOCK where it is not allowed); the decoder must flag it. length is '-' where",
    "#       objdump counts the bytes differently from the SDM layout (left out of the length check).",
    "#   address: where the case sat in objdump's input (jump targets in the text depend on it).",
    `# Cases: ${results.length} (${compared} defined, ${udLengthAgrees + udLeftOut} #UD of which ${udLeftOut} have no length).`,
    ...Object.entries(LEFT_OUT).map(([k, why]) => `# Left out: opcode index 0x${Number(k).toString(16)}: ${why}.`),
    ...Object.entries(leftOutCounts).map(([why, n]) => `# Left out: ${n} encodings: ${why}.`),
  ];
  const text = [...banner, ...lines].join("\n") + "\n";
  return { text, cases: results.length, compared, ud: udLengthAgrees + udLeftOut, udLeftOut, mismatches };
}

/** The text of decoder-tests.txt (runs objdump in a temporary folder it removes). Writes nothing else. */
export function generateDecoderTests() {
  return build().text;
}

// Run as a program (not imported): write the file.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  const r = build();
  fs.mkdirSync(path.dirname(DECODER_TESTS_OUTPUT), { recursive: true });
  fs.writeFileSync(DECODER_TESTS_OUTPUT, r.text);
  console.log(
    `wrote ${path.relative(process.cwd(), DECODER_TESTS_OUTPUT)}: ${r.cases} cases, ${r.compared} defined, ${r.ud} #UD (${r.udLeftOut} without length)`,
  );
  if (r.mismatches.length > 0) {
    console.log(`${r.mismatches.length} defined encodings where objdump's length differs from the generated one:`);
    for (const m of r.mismatches) console.log("  " + m);
  }
}
