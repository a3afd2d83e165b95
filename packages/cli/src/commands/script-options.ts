// What `vm boot` and `vm resume` both take: the script (--until, --type, --script, --timeout,
// --type-delay), its outputs (--screen, --screenshot, --junit, --save-snapshot), and --clock,
// with the notes their help shares; and runScript, which runs the script on a machine and
// turns its outcome into the exit status:
//
//   0  every step passed, or the   3  timeout (a wait, or the whole script)
//      guest powered off (the rest is skipped)
//   1  an expect step failed      4  the guest crashed: triple fault, or halted with interrupts off
//   2  bad arguments, script or images (also: no bootable disk, a file a step cannot write)

import fs from "node:fs";
import { UsageError, type OptionSpec } from "../args.ts";
import type { ClockMode } from "@x86vm/core";
import { usKeyForChar, type PcImageSlot, type PcMachine } from "@x86vm/devices";
import { GuestPoweredOff, SessionError, type FailureKind, type Session, type Step } from "../session/session.ts";
import { decodeKeys, DEFAULT_KEY_DELAY_MS } from "../session/typist.ts";
import { parseScript, ScriptError } from "../script/parse.ts";
import { junitXml } from "../report/junit.ts";
import { screenshotPng } from "../report/screenshot.ts";
import { saveSnapshotFile } from "./snapshot-files.ts";

/** Exit status by outcome. */
export const EXIT = { pass: 0, expect: 1, usage: 2, timeout: 3, crash: 4 } as const;

const EXIT_BY_KIND: Record<FailureKind, number> = {
  expect: EXIT.expect,
  timeout: EXIT.timeout,
  crash: EXIT.crash,
  "no-boot": EXIT.usage,
  input: EXIT.usage,
};

/** The script and its output, as `vm boot` and `vm resume` take them. */
export const SCRIPT_OPTIONS: readonly OptionSpec[] = [
  { flag: "--until", value: "TEXT", help: "wait for TEXT on the text screen or COM1, after the previous match" },
  { flag: "--type", value: "KEYS", help: "type KEYS (escapes: \\r Enter, \\t, \\e Esc, \\b, \\\\, \\xHH)" },
  {
    flag: "--script",
    value: "SCRIPT",
    help: "run a script file: wait, type, key, sleep, expect, screenshot, snapshot",
  },
  {
    flag: "--type-delay",
    value: "MS",
    help: `machine time between key events, in ms (default ${DEFAULT_KEY_DELAY_MS})`,
  },
  { flag: "--timeout", value: "S", help: "wall-clock limit for the whole script, in seconds (default 60)" },
  { flag: "--allow-reset", help: "on a triple fault reset the PC and go on (default: a crash, exit 4)" },
  { flag: "--serial", help: "COM1 to stdout, stdin to COM1, and --type keys to COM1 (Ctrl+] leaves)" },
  { flag: "--screen", help: "print the text screen at the end" },
  { flag: "--screenshot", value: "PNG", help: "write the screen as a PNG at the end (also after a failure)" },
  { flag: "--junit", value: "FILE", help: "write a JUnit XML report: one test case per step" },
  { flag: "--stats", help: "print a JSON line of counters at the end (instructions, times, exits)" },
  { flag: "--save-snapshot", value: "FILE", help: "save a snapshot when the script completes (for vm resume)" },
];

/** Notes on the script and exit status, for the help of `vm boot` and `vm resume`. */
export const SCRIPT_NOTES = [
  "--until, --type and --script may be repeated: the steps run in the order given. The script",
  "format is in docs/testing.md.",
  'Exit status: 0 when every step passed, or the guest powered off ("guest powered off" on',
  "stderr; the rest is skipped); 1 when an expect step failed; 2 on bad arguments,",
  "script or images (also no bootable disk); 3 on timeout; 4 when the guest crashed (triple",
  "fault, or halted with interrupts off). Failures print one line on stderr.",
];

/** The script options' values. */
export interface ScriptArgs {
  steps: Step[];
  timeoutS: number;
  typeDelayMs: number;
  allowReset: boolean;
  screen: boolean;
  stats: boolean;
  serial: boolean;
  screenshot?: string;
  junit?: string;
  saveSnapshot?: string;
  /** The suite name for --junit: the first --script, else "vm boot". */
  suiteName?: string;
}

export function defaultScriptArgs(): ScriptArgs {
  return {
    steps: [],
    timeoutS: 60,
    typeDelayMs: DEFAULT_KEY_DELAY_MS,
    allowReset: false,
    screen: false,
    stats: false,
    serial: false,
  };
}

/** --clock MODE. */
export function parseClock(v: string): ClockMode {
  if (v !== "deterministic" && v !== "realtime")
    throw new UsageError(`--clock must be deterministic or realtime, got ${JSON.stringify(v)}`);
  return v;
}

/** Handles one of SCRIPT_OPTIONS; false when flag is not one of them. */
export function scriptOption(a: ScriptArgs, flag: string, v: string): boolean {
  switch (flag) {
    case "--until":
      a.steps.push({ kind: "until", text: v, origin: { where: flag, text: `--until ${JSON.stringify(v)}` } });
      break;
    case "--type": {
      const keys = decodeKeys(v);
      for (const ch of keys.replace(/\r\n/g, "\r"))
        if (!usKeyForChar(ch)) throw new UsageError(`--type: cannot type ${JSON.stringify(ch)} on a US keyboard`);
      a.steps.push({ kind: "type", keys, origin: { where: flag, text: `--type ${JSON.stringify(v)}` } });
      break;
    }
    case "--script": {
      let text: string;
      try {
        text = fs.readFileSync(v, "utf8");
      } catch (e) {
        throw new UsageError(`cannot read script ${v}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      try {
        a.steps.push(...parseScript(text, v));
      } catch (e) {
        if (e instanceof ScriptError) throw new UsageError(e.message);
        throw e;
      }
      a.suiteName ??= v;
      break;
    }
    case "--type-delay": {
      const n = Number(v);
      if (!(v.trim() !== "" && n >= 0 && n <= 10_000))
        throw new UsageError(`--type-delay must be a number of ms from 0 to 10000, got ${JSON.stringify(v)}`);
      a.typeDelayMs = n;
      break;
    }
    case "--timeout": {
      const n = Number(v);
      if (!(n > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(v)}`);
      a.timeoutS = n;
      break;
    }
    case "--allow-reset":
      a.allowReset = true;
      break;
    case "--serial":
      a.serial = true;
      break;
    case "--screen":
      a.screen = true;
      break;
    case "--stats":
      a.stats = true;
      break;
    case "--screenshot":
      if (!v.toLowerCase().endsWith(".png"))
        throw new UsageError(`--screenshot writes PNG: give a file ending in .png`);
      a.screenshot = v;
      break;
    case "--junit":
      a.junit = v;
      break;
    case "--save-snapshot":
      a.saveSnapshot = v;
      break;
    default:
      return false;
  }
  return true;
}

/**
 * Runs the script on the session's machine and writes what the options ask for (screenshot,
 * JUnit report, snapshot, screen); returns the exit status. `command` names messages ("boot");
 * `images` are the image files to record in snapshots.
 */
export async function runScript(
  command: string,
  session: Session,
  args: ScriptArgs,
  images: Partial<Record<PcImageSlot, string>>,
): Promise<number> {
  const pc: PcMachine = session.pc;
  session.typist.delayNs = args.typeDelayMs * 1e6;
  const started = new Date();
  const t0 = performance.now();
  let error: SessionError | undefined;
  let poweredOff = false;
  try {
    await session.run(args.steps, {
      serialInput: args.serial,
      timeoutS: args.timeoutS,
      crashOnReset: !args.allowReset,
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      actions: {
        screenshot: (file) => fs.writeFileSync(file, screenshotPng(pc)),
        snapshot: async (file) => {
          const n = await saveSnapshotFile(pc, file, images);
          console.error(`vm ${command}: saved ${file} (${n} bytes)`);
        },
      },
    });
  } catch (e) {
    if (e instanceof GuestPoweredOff) {
      console.error(`vm ${command}: ${e.message}`);
      poweredOff = true;
    } else if (e instanceof SessionError) {
      console.error(`vm ${command}: ${e.message}`);
      error = e;
    } else throw e;
  }
  let code = error ? EXIT_BY_KIND[error.kind] : EXIT.pass;
  if (args.serial) process.stdin.pause();
  const write = (what: string, file: string, data: string | Uint8Array) => {
    try {
      fs.writeFileSync(file, data);
    } catch (e) {
      console.error(`vm ${command}: cannot write ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
      if (code === EXIT.pass) code = EXIT.usage;
    }
  };
  if (args.screenshot) write("screenshot", args.screenshot, screenshotPng(pc));
  if (args.junit) {
    const stepError = error && session.results.some((r) => r.error === error);
    const xml = junitXml({
      name: args.suiteName ?? `vm ${command}`,
      steps: args.steps,
      results: session.results,
      error: error && !stepError ? error : undefined,
      wallMs: performance.now() - t0,
      timestamp: started,
      screen: pc.textRows(),
      serial: session.serial,
      poweredOff,
    });
    write("JUnit report", args.junit, xml);
  }
  if (args.saveSnapshot) {
    if (poweredOff) {
      console.error(`vm ${command}: no snapshot saved: the guest powered off`);
    } else if (!error) {
      const n = await saveSnapshotFile(pc, args.saveSnapshot, images);
      console.error(`vm ${command}: saved ${args.saveSnapshot} (${n} bytes)`);
    } else {
      console.error(`vm ${command}: no snapshot saved: the script did not complete`);
    }
  }
  if (args.screen) {
    const rows = pc.textRows();
    console.log(rows ? rows.join("\n").replace(/\n+$/, "") : "(graphics mode)");
  }
  return code;
}
