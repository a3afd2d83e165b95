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
// Exit status as `vm boot` (script-options.ts): 0 pass, 1 an expect step failed, 2 bad
// arguments, a snapshot that is refused, or images that cannot be found, 3 timeout, 4 crash.

import { EXIT_NAMES, MAX_RAM_BYTES, SnapshotError, type ClockMode } from "@x86vm/core";
import { restoreSnapshot, type PcImageSlot, type PcMachine } from "@x86vm/devices";
import { Session } from "../session/session.ts";
import type { ScreenMark } from "../session/screen-watch.ts";
import { parseArgs, usageLines, UsageError, type CommandSpec } from "../args.ts";
import { connectSerialConsole } from "./serial-console.ts";
import { NET_ALLOW_OPTION, connectNetwork, parseNetAllow, parseNetMode, type NetMode } from "./network.ts";
import type { AllowEntry } from "./node-sockets.ts";
import { imageFinder, readBytes } from "./snapshot-files.ts";
import {
  defaultScriptArgs,
  parseClock,
  runScript,
  SCRIPT_NOTES,
  SCRIPT_OPTIONS,
  scriptOption,
  type ScriptArgs,
} from "./script-options.ts";
import { mediaOptionSlot, mediaOptions } from "./media-options.ts";

/** What the CLI accepts: as large as `vm boot --mem` allows. */
const LIMITS = { maxBytes: 2 ** 31, maxMemoryBytes: MAX_RAM_BYTES, maxImageBytes: 64 * 2 ** 30 };

export interface ResumeArgs extends ScriptArgs {
  file: string;
  images: Partial<Record<PcImageSlot, string>>;
  clock?: ClockMode;
  /** What a card in the snapshot is joined to (--net; default user). */
  net: NetMode;
  netAllow: AllowEntry[];
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
    {
      flag: "--net",
      value: "NET",
      help: "a saved card joins user (default), nat (user + --net-allow) or none",
    },
    NET_ALLOW_OPTION,
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
  const a: ResumeArgs = { ...defaultScriptArgs(), file: "", images: {}, net: "user", netAllow: [] };
  let netGiven = false;
  const parsed = parseArgs(RESUME_COMMAND, argv);
  for (const { flag, value } of parsed.options) {
    const v = value ?? "";
    const slot = mediaOptionSlot(flag);
    if (slot) {
      a.images[slot] = v;
      continue;
    }
    if (scriptOption(a, flag, v)) continue;
    switch (flag) {
      case "--clock":
        a.clock = parseClock(v);
        break;
      case "--net":
        a.net = parseNetMode(v);
        netGiven = true;
        break;
      case "--net-allow":
        a.netAllow.push(parseNetAllow(v));
        break;
      default:
        throw new Error(`vm resume: ${flag} is in the option table but not handled`);
    }
  }
  a.file = parsed.operands[0] ?? "";
  if (!a.file) throw new UsageError("no snapshot file given");
  // --net-allow alone means --net nat.
  if (a.netAllow.length > 0 && !netGiven) a.net = "nat";
  if (a.netAllow.length > 0 && a.net !== "nat") throw new UsageError("--net-allow needs --net nat");
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
  // snapshot does not satisfy them.
  const mark = cursorMark(pc);
  if (mark) session.mark = mark;
  if (args.serial) connectSerialConsole(session);
  // A machine saved with a card gets the user-mode network (connections open when it was saved
  // are gone: the guest's next segment on one gets a RST).
  if (args.net === "nat" && !pc.nic)
    console.error(`vm resume: --net ${args.net}: the saved machine has no network card`);
  try {
    await connectNetwork(session, pc, { mode: args.net, allow: args.netAllow });
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`vm resume: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const t0 = performance.now();
  const instret0 = pc.machine.cpu.instret;
  const code = await runScript("resume", session, args, Object.fromEntries(found));
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
