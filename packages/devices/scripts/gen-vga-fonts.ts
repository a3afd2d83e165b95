// Regenerates packages/devices/src/vga/font8x16.ts and font8x8.ts: the built-in code page 437
// fonts the BIOS loads into VGA plane 2 at a mode set.
//
// Source: the "VGA" console fonts of Debian's console-setup package (console-setup-linux,
// /usr/share/consolefonts/*-VGA16.psf.gz and *-VGA8.psf.gz). console-setup's copyright file
// states that "all console fonts are public domain by nature"; the VGA family's source font,
// u_vga16.bdf, is Copyright (C) 2000, 2001 Dmitry Bolkhovityanov under an X11-style permissive
// licence (/usr/share/doc/keyboard-configuration/copyright.fonts.gz), which the generated
// files reproduce.
//
// The PSF fonts are indexed by their own charsets and carry a Unicode table, so each CP437
// code is looked up by the Unicode character it draws (cp437.ts), in the first listed font
// that has it.
//
// Run: apt-get install console-setup-linux
//      node --import tsx packages/devices/scripts/gen-vga-fonts.ts [font-dir]
// Imported, the module writes nothing: generateVgaFonts() returns each file's text by path. The
// test scripts/generated.test.ts compares those with the checked-in files and fails when they
// differ, so rerun this after changing it (and never edit the output by hand).

import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CP437_TO_UNICODE } from "../src/vga/cp437.ts";

interface PsfFont {
  name: string;
  height: number;
  glyphs: Uint8Array[];
  byChar: Map<number, number>;
}

/** Parses a PSF1 or PSF2 font with a Unicode table (kbd's font-formats documentation). */
function parsePsf(name: string, data: Uint8Array): PsfFont {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const byChar = new Map<number, number>();
  const glyphs: Uint8Array[] = [];
  let height: number, count: number, size: number, off: number;
  let psf2: boolean;
  if (data[0] === 0x36 && data[1] === 0x04) {
    psf2 = false;
    const mode = data[2];
    size = height = data[3];
    count = mode & 1 ? 512 : 256;
    off = 4;
    if (!(mode & 2)) throw new Error(`${name}: no Unicode table`);
  } else if (dv.getUint32(0, true) === 0x864ab572) {
    psf2 = true;
    off = dv.getUint32(8, true);
    const flags = dv.getUint32(12, true);
    count = dv.getUint32(16, true);
    size = dv.getUint32(20, true);
    height = dv.getUint32(24, true);
    const width = dv.getUint32(28, true);
    if (width !== 8) throw new Error(`${name}: width ${width}, want 8`);
    if (!(flags & 1)) throw new Error(`${name}: no Unicode table`);
  } else {
    throw new Error(`${name}: not a PSF font`);
  }
  for (let i = 0; i < count; i++) glyphs.push(data.slice(off + i * size, off + (i + 1) * size));
  let p = off + count * size;
  for (let g = 0; g < count; g++) {
    // Each glyph's entry: single code points, then optional sequences (ignored), then a terminator.
    let inSeq = false;
    for (;;) {
      let cp: number;
      if (psf2) {
        const b = data[p];
        if (b === 0xff) {
          p++;
          break;
        }
        if (b === 0xfe) {
          p++;
          inSeq = true;
          continue;
        }
        const len = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
        cp = new TextDecoder().decode(data.subarray(p, p + len)).codePointAt(0)!;
        p += len;
      } else {
        const u = dv.getUint16(p, true);
        p += 2;
        if (u === 0xffff) break;
        if (u === 0xfffe) {
          inSeq = true;
          continue;
        }
        cp = u;
      }
      if (!inSeq && !byChar.has(cp)) byChar.set(cp, g);
    }
  }
  return { name, height, glyphs, byChar };
}

function loadFonts(dir: string, names: string[]): PsfFont[] {
  return names.map((n) => parsePsf(n, gunzipSync(readFileSync(join(dir, n)))));
}

/**
 * True when the font draws more than one CP437 character with this glyph: its Unicode table
 * then maps a character to a look-alike (e.g. the narrow fonts draw the double-line box
 * characters with single-line glyphs), and a font with the real glyph is preferred.
 */
function sharedGlyph(font: PsfFont, glyph: number): boolean {
  let users = 0;
  for (let code = 1; code < 255; code++) {
    if (font.byChar.get(CP437_TO_UNICODE[code].codePointAt(0)!) === glyph) users++;
  }
  return users > 1;
}

/** Look-alike characters to try when a font lacks the one CP437 names (pointer vs triangle). */
const ALTERNATES: Record<number, number[]> = {
  0x25ba: [0x25b6], // BLACK RIGHT-POINTING POINTER -> BLACK RIGHT-POINTING TRIANGLE
  0x25c4: [0x25c0], // BLACK LEFT-POINTING POINTER -> BLACK LEFT-POINTING TRIANGLE
};

/**
 * 8x8 glyphs drawn by hand for this project. They replace what the 8-line console fonts offer
 * for these codes: the fonts lack ₧, ⌐, ∞, ∩ and ≡, and their Unicode tables point most of the
 * Greek letters of CP437 at wrong glyphs (α at a ß, Γ at a box piece). Bit 7 is the leftmost dot.
 */
const HAND_8X8: Record<number, number[]> = {
  0x9e: [0xe0, 0x90, 0x90, 0xe4, 0x8e, 0x84, 0x83, 0x00], // peseta sign: a P with a small t
  0xa9: [0x00, 0x00, 0x7e, 0x60, 0x60, 0x00, 0x00, 0x00], // reversed not sign
  0xe0: [0x00, 0x00, 0x76, 0xdc, 0xc8, 0xdc, 0x76, 0x00], // alpha
  0xe2: [0xfe, 0xc6, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0x00], // capital gamma
  0xe3: [0x00, 0xfe, 0x6c, 0x6c, 0x6c, 0x6c, 0x6c, 0x00], // pi
  0xe4: [0xfe, 0xc6, 0x60, 0x30, 0x60, 0xc6, 0xfe, 0x00], // capital sigma
  0xe5: [0x00, 0x00, 0x7e, 0xd8, 0xd8, 0xd8, 0x70, 0x00], // sigma
  0xe7: [0x00, 0x76, 0xdc, 0x18, 0x18, 0x18, 0x18, 0x00], // tau
  0xe8: [0xfc, 0x30, 0x78, 0xcc, 0xcc, 0x78, 0x30, 0xfc], // capital phi
  0xe9: [0x38, 0x6c, 0xc6, 0xfe, 0xc6, 0x6c, 0x38, 0x00], // capital theta
  0xea: [0x38, 0x6c, 0xc6, 0xc6, 0x6c, 0x6c, 0xee, 0x00], // capital omega
  0xeb: [0x1c, 0x30, 0x18, 0x7c, 0xcc, 0xcc, 0x78, 0x00], // delta
  0xec: [0x00, 0x00, 0x6c, 0x92, 0x92, 0x6c, 0x00, 0x00], // infinity
  0xed: [0x06, 0x0c, 0x7e, 0xdb, 0xdb, 0x7e, 0x60, 0xc0], // phi
  0xee: [0x38, 0x60, 0xc0, 0xf8, 0xc0, 0x60, 0x38, 0x00], // epsilon
  0xef: [0x00, 0x3c, 0x66, 0x66, 0x66, 0x66, 0x00, 0x00], // intersection
  0xf0: [0x00, 0x7e, 0x00, 0x7e, 0x00, 0x7e, 0x00, 0x00], // identical to
};

/** 256 glyphs of `height` rows in CP437 order, or an error listing the codes no font covers. */
function buildCp437(fonts: PsfFont[], height: number): { bytes: Uint8Array; from: string[] } {
  const bytes = new Uint8Array(256 * height);
  const from: string[] = [];
  const missing: string[] = [];
  for (let code = 0; code < 256; code++) {
    // Codes 0x00 and 0xFF are blank cells on a PC; leave them zero.
    if (code === 0x00 || code === 0xff) {
      from.push("blank");
      continue;
    }
    if (height === 8 && HAND_8X8[code]) {
      bytes.set(HAND_8X8[code], code * height);
      from.push("hand-designed");
      continue;
    }
    const cp = CP437_TO_UNICODE[code].codePointAt(0)!;
    const want = [cp, ...(ALTERNATES[cp] ?? [])];
    let font: PsfFont | undefined,
      glyphCp = cp;
    for (const c of want) {
      font = fonts.find((f) => f.byChar.has(c) && !sharedGlyph(f, f.byChar.get(c)!));
      if (font) {
        glyphCp = c;
        break;
      }
    }
    if (!font) {
      missing.push(`0x${code.toString(16)} U+${cp.toString(16)}`);
      continue;
    }
    if (font.height !== height) throw new Error(`${font.name}: height ${font.height}, want ${height}`);
    bytes.set(font.glyphs[font.byChar.get(glyphCp)!], code * height);
    from.push(font.name);
  }
  if (missing.length) throw new Error(`no glyph for ${missing.join(", ")}`);
  checkDistinct(bytes, height);
  return { bytes, from };
}

/** Every printable code must have its own bitmap: a repeat means a look-alike slipped in. */
function checkDistinct(bytes: Uint8Array, height: number): void {
  const seen = new Map<string, number>();
  for (let code = 1; code < 255; code++) {
    if (code === 0x20) continue;
    const key = bytes.subarray(code * height, (code + 1) * height).join(",");
    const other = seen.get(key);
    if (other !== undefined)
      throw new Error(`codes 0x${other.toString(16)} and 0x${code.toString(16)} have the same ${height}-line glyph`);
    seen.set(key, code);
  }
}

/** The text of a font file. */
function emit(constName: string, height: number, bytes: Uint8Array, sources: string[], from: string[]): string {
  const lines: string[] = [];
  lines.push(`// GENERATED by packages/devices/scripts/gen-vga-fonts.ts: do not edit by hand.`);
  lines.push(`//`);
  lines.push(`// The built-in 8x${height} code page 437 font the BIOS loads into VGA plane 2 at a mode set:`);
  lines.push(`// 256 glyphs of ${height} bytes, one byte per scan line, bit 7 the leftmost dot.`);
  lines.push(`//`);
  const hand = sources.includes("hand-designed");
  const fonts = sources.filter((s) => s !== "hand-designed");
  lines.push(`// Origin: the "VGA" console fonts of Debian's console-setup package, from`);
  lines.push(`// /usr/share/consolefonts (${fonts.join(", ")}), glyphs picked by`);
  lines.push(`// the Unicode character each CP437 code draws.`);
  lines.push(`// console-setup's copyright file states that "all console fonts are public domain by nature";`);
  lines.push(`// the VGA family's source font, u_vga16.bdf, is Copyright (C) 2000, 2001 Dmitry`);
  lines.push(`// Bolkhovityanov, whose permissive licence is reproduced here:`);
  lines.push(`//`);
  lines.push(`//   Permission is hereby granted, free of charge, to any person obtaining a copy of this`);
  lines.push(`//   software and associated documentation files (the "Software"), to deal in the Software`);
  lines.push(`//   without restriction, including without limitation the rights to use, copy, modify,`);
  lines.push(`//   merge, publish, distribute, sublicense, and/or sell copies of the Software, and to`);
  lines.push(`//   permit persons to whom the Software is furnished to do so, subject to the following`);
  lines.push(`//   conditions: The above copyright notice and this permission notice shall be included`);
  lines.push(`//   in all copies or substantial portions of the Software.`);
  lines.push(`//   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,`);
  lines.push(`//   INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A`);
  lines.push(`//   PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE XFREE86 PROJECT BE LIABLE`);
  lines.push(`//   FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR`);
  lines.push(`//   OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER`);
  lines.push(`//   DEALINGS IN THE SOFTWARE.`);
  lines.push(`//   Except as contained in this notice, the name of Dmitry Bolkhovityanov shall not be used`);
  lines.push(`//   in advertising or otherwise to promote the sale, use or other dealings in this Software`);
  lines.push(`//   without prior written authorization from the Dmitry Bolkhovityanov.`);
  if (hand) {
    lines.push(`//`);
    lines.push(`// Glyphs marked "hand-designed" below were drawn for this project (see the script).`);
  }
  lines.push(``);
  lines.push(`const HEX =`);
  for (let code = 0; code < 256; code++) {
    const g = bytes.subarray(code * height, (code + 1) * height);
    const hex = Array.from(g, (b) => b.toString(16).padStart(2, "0")).join("");
    const sep = code === 255 ? ";" : " +";
    const note = sources.length && from[code] === "hand-designed" ? " (hand-designed)" : "";
    lines.push(`  "${hex}"${sep} // 0x${code.toString(16).padStart(2, "0")} ${label(code)}${note}`);
  }
  lines.push(``);
  lines.push(`/** ${constName}[code * ${height} + line]: the glyph rows of CP437 code \`code\`. */`);
  lines.push(`export const ${constName}: Uint8Array = decodeHex(HEX);`);
  lines.push(``);
  lines.push(`function decodeHex(s: string): Uint8Array {`);
  lines.push(`  const out = new Uint8Array(s.length >> 1);`);
  lines.push(`  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);`);
  lines.push(`  return out;`);
  lines.push(`}`);
  lines.push(``);
  return lines.join("\n");
}

function label(code: number): string {
  const ch = CP437_TO_UNICODE[code];
  const cp = ch.codePointAt(0)!;
  if (code === 0) return "blank";
  if (cp === 0xa0) return "blank (no-break space)";
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")} ${ch}`;
}

/** The fonts this script writes: height, exported constant, file name, console font suffix. */
const FONT_FILES = [
  [16, "FONT_8X16", "font8x16.ts", "VGA16"],
  [8, "FONT_8X8", "font8x8.ts", "VGA8"],
] as const;
const fontPath = (file: string) => fileURLToPath(new URL(`../src/vga/${file}`, import.meta.url));

/** The files this script writes. */
export const VGA_FONT_OUTPUTS: string[] = FONT_FILES.map(([, , file]) => fontPath(file));

interface FontFile {
  path: string;
  text: string;
  summary: string;
}

/** Each font file's text and, for the log, how many glyphs came from each source. Writes nothing. */
function build(fontDir: string): FontFile[] {
  // FullGreek holds nearly all of CP437 (box drawing, Greek, mathematical signs); the others fill
  // in the remaining symbols.
  const order = ["FullGreek", "FullCyrSlav", "Uni2", "Uni1", "Lat15"];
  const files: FontFile[] = [];
  for (const [height, constName, file, suffix] of FONT_FILES) {
    const fonts = loadFonts(
      fontDir,
      order.map((o) => `${o}-${suffix}.psf.gz`),
    );
    const { bytes, from } = buildCp437(fonts, height);
    const used = [...new Set(from.filter((f) => f !== "blank"))];
    files.push({
      path: fontPath(file),
      text: emit(constName, height, bytes, used, from),
      summary: used.map((u) => `${u} ${from.filter((f) => f === u).length}`).join(", "),
    });
  }
  return files;
}

/** The text of font8x16.ts and font8x8.ts by absolute path, from the PSF fonts in `fontDir`. Writes nothing. */
export function generateVgaFonts(fontDir = "/usr/share/consolefonts"): Map<string, string> {
  return new Map(build(fontDir).map((f) => [f.path, f.text]));
}

// Run as a program (not imported): write the files.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  for (const f of build(process.argv[2] ?? "/usr/share/consolefonts")) {
    writeFileSync(f.path, f.text);
    console.log(`wrote ${relative(process.cwd(), f.path)}: ${f.summary}`);
  }
}
