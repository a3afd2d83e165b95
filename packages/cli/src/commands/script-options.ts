// What `vm boot` and `vm resume` both take: the script (--until, --type, --timeout), its output
// options, and --clock, with the notes their help shares.

import { UsageError, type OptionSpec } from "../args.ts";
import type { ClockMode } from "@x86vm/core";
import type { Step } from "../session/session.ts";
import { decodeKeys } from "../session/typist.ts";

/** The script and its output, as `vm boot` and `vm resume` take them. */
export const SCRIPT_OPTIONS: readonly OptionSpec[] = [
  { flag: "--until", value: "TEXT", help: "wait for TEXT on the text screen or COM1, after the previous match" },
  { flag: "--type", value: "KEYS", help: "type KEYS (escapes: \\r Enter, \\t, \\e Esc, \\b, \\\\, \\xHH)" },
  { flag: "--timeout", value: "S", help: "wall-clock limit for the whole script, in seconds (default 60)" },
  { flag: "--serial", help: "COM1 to stdout, stdin to COM1, and --type keys to COM1 (Ctrl+] leaves)" },
  { flag: "--screen", help: "print the text screen at the end" },
  { flag: "--stats", help: "print a JSON line of counters at the end (instructions, times, exits)" },
  { flag: "--save-snapshot", value: "FILE", help: "save a snapshot when the script completes (for vm resume)" },
];

/** Notes on the script and exit status, for the help of `vm boot` and `vm resume`. */
export const SCRIPT_NOTES = [
  "--until and --type may be repeated: the steps run in the order given.",
  'Exit status: 0 when the script completes or the guest powers off ("guest powered off" on',
  "stderr; the rest of the script is skipped); 1 on timeout or guest failure (one line on",
  'stderr, e.g. "no bootable disk (fda: no boot signature)"); 2 on bad arguments or images.',
];

/** --clock MODE. */
export function parseClock(v: string): ClockMode {
  if (v !== "deterministic" && v !== "realtime")
    throw new UsageError(`--clock must be deterministic or realtime, got ${JSON.stringify(v)}`);
  return v;
}

/** --until, --type and --timeout, for `vm boot` and `vm resume`. */
export function scriptOption(a: { steps: Step[]; timeoutS: number }, flag: string, v: string): void {
  if (flag === "--until") a.steps.push({ kind: "until", text: v });
  else if (flag === "--type") a.steps.push({ kind: "type", keys: decodeKeys(v) });
  else {
    const n = Number(v);
    if (!(n > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(v)}`);
    a.timeoutS = n;
  }
}
