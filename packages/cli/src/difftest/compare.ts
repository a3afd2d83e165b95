// Line-by-line comparison of two program outputs. Each line of a difftest program describes
// its own case ("<insn> <inputs> > <outputs>"), so a differing line reads as the case that
// failed; the report shows the inputs once and both outputs under each other.

export interface LineDiff {
  /** 1-based line number. */
  line: number;
  expected: string | undefined;
  actual: string | undefined;
}

export interface Comparison {
  /** Lines in the expected (native) output. */
  lines: number;
  /** Lines that differ, counting lines missing from or added to the actual output. */
  differing: number;
  /** The first differences, in order. */
  first: LineDiff[];
  /** Differing lines per instruction name (the first word of the expected line). */
  byName: Map<string, number>;
}

function splitLines(s: string): string[] {
  const lines = s.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function compareOutputs(expected: string, actual: string, keep = 12): Comparison {
  const e = splitLines(expected),
    a = splitLines(actual);
  const n = Math.max(e.length, a.length);
  const first: LineDiff[] = [];
  const byName = new Map<string, number>();
  let differing = 0;
  for (let i = 0; i < n; i++) {
    if (e[i] === a[i]) continue;
    differing++;
    const name = (e[i] ?? a[i] ?? "").split(" ")[0] || "(empty)";
    byName.set(name, (byName.get(name) ?? 0) + 1);
    if (first.length < keep) first.push({ line: i + 1, expected: e[i], actual: a[i] });
  }
  return { lines: e.length, differing, first, byName };
}

/** A readable report: counts, the worst instructions, the first differing cases. */
export function formatComparison(c: Comparison, labels = { expected: "native", actual: "emulator" }): string {
  const out: string[] = [`${c.differing} of ${c.lines} lines differ`];
  if (c.differing === 0) return out[0];
  const names = [...c.byName].sort((x, y) => y[1] - x[1]);
  out.push(
    `by instruction: ${names
      .slice(0, 15)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}${names.length > 15 ? `, ... (${names.length} kinds)` : ""}`,
  );
  const w = Math.max(labels.expected.length, labels.actual.length);
  for (const d of c.first) {
    const [caseText, want] = splitCase(d.expected);
    const [caseGot, got] = splitCase(d.actual);
    if (d.expected !== undefined && d.actual !== undefined && caseText === caseGot) {
      out.push(`line ${d.line}: ${caseText}`);
      out.push(`  ${labels.expected.padEnd(w)} >${want}`);
      out.push(`  ${labels.actual.padEnd(w)} >${got}`);
    } else {
      out.push(`line ${d.line}:`);
      out.push(`  ${labels.expected.padEnd(w)} ${d.expected ?? "(no line)"}`);
      out.push(`  ${labels.actual.padEnd(w)} ${d.actual ?? "(no line)"}`);
    }
  }
  return out.join("\n");
}

function splitCase(line: string | undefined): [string, string] {
  if (line === undefined) return ["", ""];
  const i = line.indexOf(" >");
  return i < 0 ? [line, ""] : [line.slice(0, i), line.slice(i + 2)];
}
