// `vm resume`: restores a snapshot saved by `vm boot --save-snapshot` (or `vm resume
// --save-snapshot`) in a new machine and runs a script of --until/--type steps on it. Its
// options are RESUME_COMMAND below (the parser and `vm resume --help` both read that table).
//
// --serial, as for `vm boot`: COM1's output from the resume point on goes to stdout, stdin
// to COM1, and --type keys to COM1 (a Linux guest's shell on ttyS0).
//
// The snapshot names its base images by SHA-256. Each is looked for, in order: the file given
// again with --fda/--hda/...; the path recorded when it was saved (relative to the snapshot
// file, then as written); any file of the right size next to the snapshot. A file is used only
// if its SHA-256 matches. Waits look only at what appears after the resume point: the screen
// from the cursor on, and COM1 output sent after it.
//
// Exit status as `vm boot`: 0 when the script completes, 1 on timeout or guest failure, 2 on
// bad arguments, a snapshot that is refused, or images that cannot be found.

import { EXIT_NAMES, MAX_RAM_BYTES, SnapshotError, type ClockMode } from "@x86vm/core";
import { restoreSnapshot, type PcImageSlot, type PcMachine } from "@x86vm/devices";
import { GuestPoweredOff, Session, SessionError, type Step } from "../session/session.ts";
import type { ScreenMark } from "../session/screen-watch.ts";
import { parseArgs, usageLines, UsageError, type CommandSpec } from "../args.ts";
import { connectSerialConsole } from "./serial-console.ts";
import { imageFinder, readBytes, saveSnapshotFile } from "./snapshot-files.ts";
import { parseClock, SCRIPT_NOTES, SCRIPT_OPTIONS, scriptOption } from "./script-options.ts";
import { mediaOptionSlot, mediaOptions } from "./media-options.ts";

/** What the CLI accepts: as large as `vm boot --mem` allows. */
const LIMITS = { maxBytes: 2 ** 31, maxMemoryBytes: MAX_RAM_BYTES, maxImageBytes: 64 * 2 ** 30 };

export interface ResumeArgs {
  file: string;
  images: Partial<Record<PcImageSlot, string>>;
  clock?: ClockMode;
  steps: Step[];
  timeoutS: number;
  screen: boolean;
  stats: boolean;
  /** COM1 to stdout, stdin and --type to COM1. */
  serial: boolean;
  saveSnapshot?: string;
}

export const RESUME_COMMAND: CommandSpec = {
  name: "resume",
  operands: "FILE",
  maxOperands: 1,
  summary: "restore a snapshot (--save-snapshot) and go on with a script",
  options: [
    // One option per media slot of the board: --fda ... --cdrom, --kernel, --initrd.
    ...mediaOptions(({ title }, i) => `the ${title} image${i === 0 ? ", if not found where it was" : ", likewise"}`),
    { flag: "--clock", value: "MODE", help: "deterministic or realtime (default: the clock it was saved with)" },
    ...SCRIPT_OPTIONS,
  ],
  notes: [
    "Base images are looked for by SHA-256: the file given with --fda/--cdrom/..., the path",
    "recorded in the snapshot, then any file of the right size beside the snapshot. Waits look",
    "only at what appears after the resume point.",
    ...SCRIPT_NOTES,
  ],
};

export function parseResumeArgs(argv: string[]): ResumeArgs {
  const a: ResumeArgs = { file: "", images: {}, steps: [], timeoutS: 60, screen: false, stats: false, serial: false };
  const parsed = parseArgs(RESUME_COMMAND, argv);
  for (const { flag, value } of parsed.options) {
    const v = value ?? "";
    const slot = mediaOptionSlot(flag);
    if (slot) {
      a.images[slot] = v;
      continue;
    }
    switch (flag) {
      case "--screen":
        a.screen = true;
        break;
      case "--stats":
        a.stats = true;
        break;
      case "--serial":
        a.serial = true;
        break;
      case "--clock":
        a.clock = parseClock(v);
        break;
      case "--until":
      case "--type":
      case "--timeout":
        scriptOption(a, flag, v);
        break;
      case "--save-snapshot":
        a.saveSnapshot = v;
        break;
      default:
        throw new Error(`vm resume: ${flag} is in the option table but not handled`);
    }
  }
  a.file = parsed.operands[0] ?? "";
  if (!a.file) throw new UsageError("no snapshot file given");
  return a;
}

/** The screen position waits start from on a resumed machine: the cursor. */
function cursorMark(pc: PcMachine): ScreenMark | null {
  const s = pc.vga.textScreen();
  if (!s) return null;
  return { rows: pc.vga.textRows(), row: s.cursor.row, col: s.cursor.col };
}

export async function resumeCommand(argv: string[]): Promise<number> {
  let args: ResumeArgs;
  let pc: PcMachine;
  const found = new Map<string, string>();
  try {
    args = parseResumeArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      for (const line of usageLines("resume", e.message)) console.error(line);
      return 2;
    }
    throw e;
  }
  try {
    const bytes = readBytes(args.file);
    if (!bytes) throw new UsageError(`cannot read snapshot ${args.file}`);
    pc = await restoreSnapshot(bytes, {
      ...LIMITS,
      images: imageFinder(args.file, args.images, found),
      clock: args.clock,
      hostMs: () => performance.now(),
    });
  } catch (e) {
    if (e instanceof UsageError || e instanceof SnapshotError) {
      console.error(`vm resume: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const session = new Session(pc);
  // Waits start at the cursor, not the top of the screen: text already shown before the
  // snapshot does not satisfy them. (Session keeps its mark private; it starts at the top.)
  const mark = cursorMark(pc);
  const s = session as unknown as { mark?: ScreenMark };
  if (mark && "mark" in s) s.mark = mark;
  if (args.serial) connectSerialConsole(session);
  const t0 = performance.now();
  const instret0 = pc.machine.cpu.instret;
  let code = 0;
  try {
    await session.run(args.steps, {
      serialInput: args.serial,
      timeoutS: args.timeoutS,
      nowMs: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
  } catch (e) {
    if (e instanceof GuestPoweredOff) console.error(`vm resume: ${e.message}`);
    else if (e instanceof SessionError) {
      console.error(`vm resume: ${e.message}`);
      code = 1;
    } else throw e;
  }
  if (args.serial) process.stdin.pause();
  if (code === 0 && args.saveSnapshot && pc.poweredOff) {
    console.error(`vm resume: no snapshot saved: the guest powered off`);
  } else if (code === 0 && args.saveSnapshot) {
    const n = await saveSnapshotFile(pc, args.saveSnapshot, Object.fromEntries(found));
    console.error(`vm resume: saved ${args.saveSnapshot} (${n} bytes)`);
  }
  if (args.screen) {
    const rows = pc.textRows();
    console.log(rows ? rows.join("\n").replace(/\n+$/, "") : "(graphics mode)");
  }
  if (args.stats) {
    const m = pc.machine;
    const exits = Object.fromEntries(EXIT_NAMES.map((n, i) => [n, m.io.counts[i]]).filter(([, v]) => v));
    console.log(
      JSON.stringify({
        instructions: m.cpu.instret,
        instructions_since_resume: m.cpu.instret - instret0,
        wall_ms: Math.round(performance.now() - t0),
        machine_ms: Math.round(m.clock.now() / 1e6),
        exits,
      }),
    );
  }
  return code;
}
