// A JUnit XML report of one run (the format CI systems read: testsuites > testsuite >
// testcase, with failure and skipped elements): one testsuite per boot, one testcase per step.
// A failed step has a failure element with the message and the kind of failure (timeout,
// expect, crash, no-boot, input); the steps after it are skipped. The suite's system-out holds
// the text screen at the end (or a note in graphics modes) and COM1's output, so a failure can
// be read without running the guest again.

import type { SessionError, Step, StepResult } from "../session/session.ts";

export interface JunitRun {
  /** The suite's name: the script file, or "vm boot". */
  name: string;
  steps: readonly Step[];
  results: readonly StepResult[];
  /** A failure that belongs to no step (e.g. after the last one). */
  error?: SessionError;
  /** Wall time of the whole run, in ms. */
  wallMs: number;
  /** When the run started. */
  timestamp: Date;
  /** The text screen at the end, or null in a graphics mode. */
  screen: string[] | null;
  serial: string;
  /** The guest turned the machine off: the steps not run are skipped for that reason. */
  poweredOff?: boolean;
}

/** Characters XML 1.0 allows, with &, < and > (and quotes, for attributes) escaped. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\x20-\ud7ff\ue000-\ufffd]/gu, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** How a step reads in the report: its script line, or a description. */
export function stepName(step: Step, index: number): string {
  if (step.origin)
    return step.origin.line !== undefined ? `line ${step.origin.line}: ${step.origin.text}` : step.origin.text;
  return `step ${index + 1}: ${step.kind}`;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml(run: JunitRun): string {
  const failures = run.results.filter((r) => !r.ok).length + (run.error ? 1 : 0);
  const skipped = run.steps.length - run.results.length;
  const tests = run.steps.length + (run.error ? 1 : 0);
  const name = xmlEscape(run.name);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${name}" tests="${tests}" failures="${failures}" skipped="${skipped}" time="${seconds(run.wallMs)}">`,
    `  <testsuite name="${name}" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(run.wallMs)}" timestamp="${run.timestamp.toISOString().replace(/\.\d+Z$/, "")}">`,
  ];
  const failure = (e: SessionError) =>
    `      <failure message="${xmlEscape(e.message)}" type="${e.kind}">${xmlEscape(e.message)}</failure>`;
  run.steps.forEach((step, i) => {
    const r = run.results[i];
    const open = `    <testcase classname="${name}" name="${xmlEscape(stepName(step, i))}" time="${seconds(r?.wallMs ?? 0)}"`;
    if (r?.ok) lines.push(`${open}/>`);
    else {
      lines.push(`${open}>`);
      const why = run.poweredOff ? "the guest powered off" : "an earlier step failed";
      lines.push(r?.error ? failure(r.error) : `      <skipped message="not run: ${why}"/>`);
      lines.push("    </testcase>");
    }
  });
  if (run.error) {
    lines.push(
      `    <testcase classname="${name}" name="end of script" time="0.000">`,
      failure(run.error),
      "    </testcase>",
    );
  }
  const screen = run.screen ? run.screen.join("\n").replace(/\n+$/, "") : "(graphics mode: no text screen)";
  const out = [`Screen at the end:\n${screen}`];
  if (run.serial) out.push(`COM1 output:\n${run.serial}`);
  lines.push(`    <system-out>${xmlEscape(out.join("\n\n"))}</system-out>`, "  </testsuite>", "</testsuites>", "");
  return lines.join("\n");
}
