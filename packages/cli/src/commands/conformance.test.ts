// What `vm conformance` adds to core's conformance test (core/src/conformance/conformance.test.ts,
// which holds every vector to the list of known failures): the command's output, exactly, and
// the same results with each instruction compiled to WebAssembly.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { KNOWN_FAILURES } from "@x86vm/core/conformance";
import { runConformance } from "./conformance.ts";

const VECTORS = path.resolve(__dirname, "../../../../../shared/conformance/80286-real");

/** A NOP at 03A0:0100 run to the HLT after it; the recording says IP ends at finalIp. */
const nop = (idx: number, finalIp: number) => ({
  idx,
  name: "nop",
  bytes: [0x90, 0xf4],
  initial: {
    regs: {
      ax: 1,
      bx: 2,
      cx: 3,
      dx: 4,
      cs: 0x3a0,
      ss: 0xf103,
      ds: 0x139d,
      es: 0x33da,
      sp: 0x2ca,
      bp: 5,
      si: 6,
      di: 7,
      ip: 0x100,
      flags: 2,
    },

    ram: [
      [0x3a0 * 16 + 0x100, 0x90],
      [0x3a0 * 16 + 0x101, 0xf4],
    ],
  },
  final: { regs: { ip: finalIp }, ram: [] },
  hash: "0",
});

function vectorDir(files: Record<string, Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vectors-"));
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

const gz = (vectors: unknown) => zlib.gzipSync(JSON.stringify(vectors));

/** The ids ("90#3") of the failing vectors that --verbose lists under each file's line. */
function failingIds(lines: string[]): string[] {
  const ids: string[] = [];
  let file = "";
  for (const line of lines) {
    const m = /^(\S+)\.json(?:\.gz)?\s+passed/.exec(line);
    if (m) file = m[1];
    const f = /^ {4}#(\d+) /.exec(line);
    if (f) ids.push(`${file}#${f[1]}`);
  }
  return ids;
}

describe("vm conformance", () => {
  it("prints one line per file, every failing vector under it with --verbose, and a JSON line of totals", () => {
    const dir = vectorDir({
      "90.json.gz": gz([nop(0, 0x102), nop(1, 0x103), nop(2, 0x102)]),
      "91.json.gz": gz([{ idx: 0, name: "xchg", bytes: [0x91] }]),
      "92.json.gz": Buffer.from("not gzip"),
    });
    const lines: string[] = [];
    const totals = runConformance(dir, { out: (l) => lines.push(l), verbose: true });
    expect(lines).toEqual([
      "90.json.gz     passed    2  failed    1  excluded    0",
      "    #1 nop [90 f4]: ip=0x102 want 0x103",
      expect.stringMatching(/^91\.json\.gz\s+malformed: 91\.json\.gz: test 0 lacks initial\.regs or initial\.ram$/),
      expect.stringMatching(/^92\.json\.gz\s+malformed: /),
      '{"passed":2,"failed":3,"excluded":0}',
    ]);
    expect(totals).toEqual({ passed: 2, failed: 3, excluded: 0 });
  });

  it.skipIf(!fs.existsSync(VECTORS))(
    "fails only the known failures, with the same output when each instruction is compiled to WebAssembly",
    () => {
      // Every 16th vector: the vector's instruction and the HLT after it run as a compiled block.
      const interpreted: string[] = [],
        compiled: string[] = [];
      const a = runConformance(VECTORS, { out: (l) => interpreted.push(l), every: 16, verbose: true });
      const b = runConformance(VECTORS, { out: (l) => compiled.push(l), every: 16, verbose: true, jitThreshold: 1 });
      expect(a.passed).toBeGreaterThan(4000);
      const known = new Set(Object.values(KNOWN_FAILURES).flat());
      expect(failingIds(interpreted).filter((id) => !known.has(id))).toEqual([]);
      expect(a.failed).toBe(failingIds(interpreted).length);
      expect(compiled).toEqual(interpreted);
      expect(b).toEqual(a);
    },
  );
});
