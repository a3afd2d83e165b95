// `vm conformance DIR`: runs every vector file (XX.json.gz or XX.R.json.gz) in DIR, prints
// per-file passed/failed/excluded, and ends with one JSON line of totals. Options: CONFORMANCE_COMMAND.

import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { ConformanceRunner, validateVectors, type Metadata } from "@x86vm/core/conformance";
import { parseArgs, UsageError, type CommandSpec } from "../args.ts";

export const CONFORMANCE_COMMAND: CommandSpec = {
  name: "conformance",
  operands: "DIR",
  maxOperands: 1,
  summary: "run CPU conformance vectors (SingleStepTests format) in DIR",
  options: [
    { flag: "--verbose", help: "list every failing vector under its file" },
    { flag: "--only", value: "XX", help: "run only the files whose name starts with XX (an opcode, e.g. 0F)" },
  ],
  notes: [
    "DIR may hold metadata.json (each opcode's status and mask of undefined flags). Prints",
    "one line per file and a JSON line of totals; exit status 0 when nothing failed, else 1.",
  ],
};

/** `vm conformance`: exit status 0 when every included vector passed. */
export function conformanceCommand(argv: string[]): number {
  const opts: { verbose?: boolean; only?: string } = {};
  const parsed = parseArgs(CONFORMANCE_COMMAND, argv);
  for (const { flag, value } of parsed.options) {
    if (flag === "--verbose") opts.verbose = true;
    else if (flag === "--only") opts.only = value;
    else throw new Error(`vm conformance: ${flag} is in the option table but not handled`);
  }
  const dir = parsed.operands[0];
  if (!dir) throw new UsageError("no vector folder given");
  return runConformance(dir, opts).failed === 0 ? 0 : 1;
}

export interface ConformanceTotals {
  passed: number;
  failed: number;
  excluded: number;
}

export function readVectorFile(file: string): unknown {
  const raw = fs.readFileSync(file);
  const text = file.endsWith(".gz") ? zlib.gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  return JSON.parse(text);
}

export function runConformance(
  dir: string,
  opts: {
    verbose?: boolean;
    only?: string;
    out?: (line: string) => void;
    /** Compile blocks after this many runs (1: every instruction runs compiled to WebAssembly). */
    jitThreshold?: number;
    /** Run every nth vector of each file only. */
    every?: number;
  } = {},
): ConformanceTotals {
  const out = opts.out ?? ((l: string) => console.log(l));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`not a directory: ${dir}`);
  let meta: Metadata | undefined;
  const metaFile = path.join(dir, "metadata.json");
  if (fs.existsSync(metaFile)) meta = JSON.parse(fs.readFileSync(metaFile, "utf8")) as Metadata;
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^[0-9A-Fa-f]{2}(\.[0-7])?\.json(\.gz)?$/.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no vector files (XX.json.gz) in ${dir}`);
  const runner = new ConformanceRunner();
  if (opts.jitThreshold !== undefined) runner.cpu.jit.threshold = opts.jitThreshold;
  const totals: ConformanceTotals = { passed: 0, failed: 0, excluded: 0 };
  for (const f of files) {
    if (opts.only && !f.startsWith(opts.only)) continue;
    let vectors;
    try {
      vectors = validateVectors(readVectorFile(path.join(dir, f)), f);
    } catch (e) {
      out(`${f.padEnd(14)} malformed: ${(e as Error).message}`);
      totals.failed++;
      continue;
    }
    if (opts.every !== undefined) vectors = vectors.filter((_, i) => i % opts.every! === 0);
    const r = runner.runFile(f, vectors, meta, opts.verbose ? Infinity : 0);
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.excluded += r.excluded;
    out(
      `${f.padEnd(14)} passed ${String(r.passed).padStart(4)}  failed ${String(r.failed).padStart(4)}  excluded ${String(r.excluded).padStart(4)}`,
    );
    if (opts.verbose) for (const fail of r.failures) out(`    ${fail}`);
  }
  out(JSON.stringify(totals));
  return totals;
}
