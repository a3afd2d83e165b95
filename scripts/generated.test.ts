// Generated files are checked: each generator runs here in memory (writing nothing) and its output
// must equal the checked-in file byte for byte. A difference means that the file was edited by
// hand, or that its generator or the generator's inputs (the opcode table, an .asm or .src file,
// the console fonts) changed without a rerun; the failure names the command that regenerates it.
// The generators need their host tools: nasm, objdump (binutils) and the console fonts in
// /usr/share/consolefonts (console-setup-linux), as scripts/prereqs.mjs sets up.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CPU_BENCH_OUTPUT, generateCpuBenchImage } from "../packages/cli/scripts/gen-cpu-bench.mjs";
import { DECODER_TESTS_OUTPUT, generateDecoderTests } from "../packages/core/scripts/gen-decoder-tests.mjs";
import { HOT_OUTPUT, generateHot } from "../packages/core/scripts/gen-hot.mjs";
import { HOST_CASES_OUTPUT, generateHostCases } from "../packages/core/src/cpu/fpu/testdata/gen-host-cases.mjs";
import { VGA_FONT_OUTPUTS, generateVgaFonts } from "../packages/devices/scripts/gen-vga-fonts.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const rel = (file: string) => relative(root, file);

interface Generator {
  /** The command, run from the repository root, that rewrites the files. */
  command: string;
  /** The files it writes (absolute paths). */
  outputs: string[];
  /** Their text by absolute path, made in memory. */
  generate: () => Map<string, string>;
}

/** A generator of one file. */
function one(command: string, output: string, generate: () => string): Generator {
  return { command, outputs: [output], generate: () => new Map([[output, generate()]]) };
}

const GENERATORS: Generator[] = [
  one("node --import tsx packages/core/scripts/gen-hot.mjs", HOT_OUTPUT, generateHot),
  one("node --import tsx packages/core/scripts/gen-decoder-tests.mjs", DECODER_TESTS_OUTPUT, generateDecoderTests),
  one("node packages/core/src/cpu/fpu/testdata/gen-host-cases.mjs", HOST_CASES_OUTPUT, generateHostCases),
  one("node packages/cli/scripts/gen-cpu-bench.mjs", CPU_BENCH_OUTPUT, generateCpuBenchImage),
  {
    command: "node --import tsx packages/devices/scripts/gen-vga-fonts.ts",
    outputs: VGA_FONT_OUTPUTS,
    generate: () => generateVgaFonts(),
  },
];

/** Where two different texts first differ: "line N, column C: checked in ..., generated ...". */
function firstDifference(checkedIn: string, generated: string): string {
  const a = checkedIn.split("\n");
  const b = generated.split("\n");
  let i = 0;
  while (i < Math.max(a.length, b.length) && a[i] === b[i]) i++;
  let col = 0;
  while (a[i] !== undefined && b[i] !== undefined && a[i][col] === b[i][col]) col++;
  // Up to 80 characters of each line around the first differing column.
  const from = Math.max(0, col - 40);
  const show = (line: string | undefined) => {
    if (line === undefined) return "(end of file)";
    const part = line.slice(from, from + 80);
    return (from > 0 ? "..." : "") + JSON.stringify(part) + (from + 80 < line.length ? "..." : "");
  };
  return `line ${i + 1}, column ${col + 1}: checked in ${show(a[i])}, generated ${show(b[i])}`;
}

describe("generated files match their generators", () => {
  for (const g of GENERATORS) {
    it(g.outputs.map(rel).join(", "), () => {
      const outputs = g.generate();
      expect([...outputs.keys()].map(rel).sort()).toEqual(g.outputs.map(rel).sort());
      for (const [file, generated] of outputs) {
        let checkedIn: string;
        try {
          checkedIn = readFileSync(file, "utf8");
        } catch {
          expect.fail(`${rel(file)} is missing: generate it with \`${g.command}\``);
        }
        if (checkedIn !== generated) {
          expect.fail(
            `${rel(file)} differs from what its generator makes (${firstDifference(checkedIn, generated)}). ` +
              `Do not edit it by hand: change the generator or its input, then regenerate it with \`${g.command}\``,
          );
        }
      }
    });
  }

  it("every file in packages/*/src whose first line says GENERATED is checked here", () => {
    const checked = new Set(GENERATORS.flatMap((g) => g.outputs).map(rel));
    const unchecked: string[] = [];
    for (const pkg of readdirSync(join(root, "packages"))) {
      let entries;
      try {
        entries = readdirSync(join(root, "packages", pkg, "src"), { recursive: true, withFileTypes: true });
      } catch {
        continue; // not a package with sources
      }
      for (const e of entries) {
        if (!e.isFile()) continue;
        const file = join(e.parentPath, e.name);
        const firstLine = readFileSync(file, "latin1").split("\n", 1)[0];
        if (/\bGENERATED\b/.test(firstLine) && !checked.has(rel(file))) unchecked.push(rel(file));
      }
    }
    expect(unchecked, "generated files that no generator in scripts/generated.test.ts checks").toEqual([]);
  });
});
