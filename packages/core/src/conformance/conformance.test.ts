// The 80286 real-mode hardware vectors (../shared/conformance/80286-real), held to an explicit
// list of known failures (known-failures.ts) instead of a pass rate: a vector not on the list
// must pass, and a listed vector that now passes must come off the list, so the list only
// shrinks. Excluded vectors (exclusions.ts) are not run.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { KNOWN_FAILURES } from "./known-failures.ts";
import { ConformanceRunner } from "./runner.ts";
import { validateVectors, type Metadata } from "./vectors.ts";

const VECTORS = path.resolve(__dirname, "../../../../../shared/conformance/80286-real");

function readJson(file: string): unknown {
  const raw = fs.readFileSync(file);
  return JSON.parse(file.endsWith(".gz") ? zlib.gunzipSync(raw).toString("utf8") : raw.toString("utf8"));
}

/** Vector ids as the list names them: the file's opcode key and the vector's index ("F6.7#12"). */
const vectorId = (file: string, idx: number) => `${file.replace(/\.json(\.gz)?$/, "")}#${idx}`;

describe.skipIf(!fs.existsSync(VECTORS))("80286 real-mode hardware vectors", () => {
  it("fail exactly as the list of known failures says", () => {
    const metaFile = path.join(VECTORS, "metadata.json");
    const meta = fs.existsSync(metaFile) ? (readJson(metaFile) as Metadata) : undefined;
    const files = fs
      .readdirSync(VECTORS)
      .filter((f) => /^[0-9A-Fa-f]{2}(\.[0-7])?\.json(\.gz)?$/.test(f))
      .sort();
    const runner = new ConformanceRunner();
    const failing: string[] = [];
    let passed = 0;
    for (const f of files) {
      const r = runner.runFile(f, validateVectors(readJson(path.join(VECTORS, f)), f), meta, 0);
      passed += r.passed;
      for (const idx of r.failedIdx) failing.push(vectorId(f, idx));
    }
    expect(passed).toBeGreaterThan(70_000);
    const known = new Set(Object.values(KNOWN_FAILURES).flat());
    const failingSet = new Set(failing);
    // Failures the list does not name: a regression (or a new vector) to fix.
    expect(failing.filter((id) => !known.has(id))).toEqual([]);
    // Listed vectors that pass now: take them off the list.
    expect([...known].filter((id) => !failingSet.has(id))).toEqual([]);
  });
});
