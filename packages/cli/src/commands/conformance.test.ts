import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { runConformance } from "./conformance.ts";

const VECTORS = path.resolve(__dirname, "../../../../../shared/conformance/80286-real");

describe("80286 real-mode hardware vectors", () => {
  it("meets the bar: >= 99.5% of included tests pass, every file >= 98%, <= 8% excluded", () => {
    const lines: string[] = [];
    const totals = runConformance(VECTORS, { out: (l) => lines.push(l) });
    const included = totals.passed + totals.failed;
    expect(included).toBeGreaterThan(70_000);
    expect(totals.passed / included).toBeGreaterThanOrEqual(0.995);
    expect(totals.excluded / (included + totals.excluded)).toBeLessThanOrEqual(0.08);
    for (const line of lines) {
      const m = /^(\S+)\s+passed\s+(\d+)\s+failed\s+(\d+)/.exec(line);
      if (!m) continue;
      const [passed, failed] = [Number(m[2]), Number(m[3])];
      expect({ file: m[1], ok: passed + failed === 0 || passed / (passed + failed) >= 0.98 }).toEqual({
        file: m[1],
        ok: true,
      });
    }
    expect(JSON.parse(lines[lines.length - 1])).toEqual(totals);
  });

  it("gives the same result for every file with each instruction compiled to WebAssembly (threshold 1)", () => {
    // Every 16th vector: the vector's instruction and the HLT after it run as a compiled block.
    const interpreted: string[] = [],
      compiled: string[] = [];
    const a = runConformance(VECTORS, { out: (l) => interpreted.push(l), every: 16 });
    const b = runConformance(VECTORS, { out: (l) => compiled.push(l), every: 16, jitThreshold: 1 });
    expect(a.passed).toBeGreaterThan(4000);
    expect(compiled).toEqual(interpreted);
    expect(b).toEqual(a);
  });

  it("reports a malformed vector file instead of crashing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vectors-"));
    fs.writeFileSync(path.join(dir, "00.json.gz"), zlib.gzipSync('[{"name": "add", "bytes": [0]}]'));
    fs.writeFileSync(path.join(dir, "01.json.gz"), Buffer.from("not gzip"));
    const lines: string[] = [];
    const totals = runConformance(dir, { out: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/00\.json\.gz\s+malformed: .*lacks initial/);
    expect(lines[1]).toMatch(/01\.json\.gz\s+malformed:/);
    expect(totals).toEqual({ passed: 0, failed: 2, excluded: 0 });
  });
});
