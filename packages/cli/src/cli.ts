// `vm`: the headless runner's commands, their help, and the exit status of each. main.ts runs
// runCli on the process's arguments; the tests call it directly.
//
//   vm --help | -h | help [COMMAND]      the commands, or one command's options (exit 0)
//   vm <command> --help | -h              that command's options (exit 0)
//   vm <command> [options]                run it; an unknown command or option exits 2

import { columns, formatHelp, usageLines, UsageError, wantsHelp, type CommandSpec } from "./args.ts";
import { BENCH_COMMANDS, benchCommand } from "./bench/command.ts";
import { BOOT_COMMAND, bootCommand } from "./commands/boot.ts";
import { CONFORMANCE_COMMAND, conformanceCommand } from "./commands/conformance.ts";
import { IMAGES_COMMAND, imagesCommand } from "./commands/images.ts";
import { RESUME_COMMAND, resumeCommand } from "./commands/resume.ts";
import { installZlibCodec } from "./zlib-codec.ts";

interface Command {
  spec: CommandSpec;
  run(argv: string[]): Promise<number> | number;
}

/** Every command, in the order `vm --help` lists them. */
export const COMMANDS: readonly Command[] = [
  { spec: BOOT_COMMAND, run: bootCommand },
  { spec: RESUME_COMMAND, run: resumeCommand },
  { spec: IMAGES_COMMAND, run: imagesCommand },
  { spec: CONFORMANCE_COMMAND, run: conformanceCommand },
  ...BENCH_COMMANDS.map((spec) => ({ spec, run: (argv: string[]) => benchCommand(spec, argv) })),
];

/** The commands' first words ("bench" stands for its members). */
const GROUPS = new Set(COMMANDS.map((c) => c.spec.name.split(" ")[0]));

const nameAndOperands = (spec: CommandSpec) => (spec.operands ? `${spec.name} ${spec.operands}` : spec.name);

/** `vm --help`: every command with its one line. */
export function mainHelp(): string {
  const rows: [string, string][] = COMMANDS.map((c) => [nameAndOperands(c.spec), c.spec.summary]);
  rows.push(["help [COMMAND]", "this list, or a command's options (as vm COMMAND --help)"]);
  return [
    "usage: vm <command> [options]",
    "",
    "The x86 PC emulator's headless runner. Commands:",
    ...columns(rows),
    "",
    'Run "vm <command> --help" for a command\'s options.',
  ].join("\n");
}

/** `vm bench --help`: the benchmarks. */
function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.spec.name.startsWith(`${group} `));
  const rows: [string, string][] = members.map((c) => [nameAndOperands(c.spec), c.spec.summary]);
  return [
    `usage: vm ${group} <name> [options]`,
    "",
    ...columns(rows),
    "",
    `Run "vm ${group} <name> --help" for its options.`,
  ].join("\n");
}

type Lookup =
  | { kind: "command"; command: Command; rest: string[] }
  /** A group named without a member ("vm bench"), or with --help: rest is what followed. */
  | { kind: "group"; group: string; rest: string[] }
  | { kind: "unknown"; message: string; help: string };

/** Finds the command argv names (one word, or two for bench) and the arguments after it. */
function lookup(argv: readonly string[]): Lookup {
  const [first, second] = argv;
  if (!GROUPS.has(first)) return { kind: "unknown", message: `unknown command ${JSON.stringify(first)}`, help: "vm" };
  const one = COMMANDS.find((c) => c.spec.name === first);
  if (one) return { kind: "command", command: one, rest: argv.slice(1) };
  const two = COMMANDS.find((c) => c.spec.name === `${first} ${second}`);
  if (two) return { kind: "command", command: two, rest: argv.slice(2) };
  if (second === undefined || second === "--help" || second === "-h")
    return { kind: "group", group: first, rest: argv.slice(1) };
  return { kind: "unknown", message: `unknown ${first} command ${JSON.stringify(second)}`, help: `vm ${first}` };
}

function members(group: string): string {
  return COMMANDS.filter((c) => c.spec.name.startsWith(`${group} `))
    .map((c) => c.spec.name.slice(group.length + 1))
    .join(", ");
}

/** Runs `vm` with argv (the arguments after "vm"); returns the exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [first] = argv;
  if (first === undefined) {
    console.error(mainHelp());
    return 2;
  }
  if (first === "--help" || first === "-h") {
    console.log(mainHelp());
    return 0;
  }
  const asHelp = first === "help";
  const found = asHelp ? (argv.length === 1 ? null : lookup(argv.slice(1))) : lookup(argv);
  if (found === null) {
    console.log(mainHelp());
    return 0;
  }
  if (found.kind === "unknown") {
    console.error(`${found.help}: ${found.message}`);
    console.error(`Run "${found.help} --help" for the ${found.help === "vm" ? "commands" : "list"}.`);
    return 2;
  }
  if (found.kind === "group") {
    if (asHelp || found.rest.length > 0) {
      console.log(groupHelp(found.group));
      return 0;
    }
    console.error(`vm ${found.group}: which one? (${members(found.group)})`);
    console.error(`Run "vm ${found.group} --help" for the list.`);
    return 2;
  }
  const { command, rest } = found;
  if (asHelp || wantsHelp(command.spec, rest)) {
    console.log(formatHelp(command.spec));
    return 0;
  }
  installZlibCodec();
  try {
    return await command.run(rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    for (const line of usageLines(command.spec.name, e.message)) console.error(line);
    return 2;
  }
}
