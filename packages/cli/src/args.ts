// Command lines for `vm`: each command describes its options once, in a CommandSpec, and both
// its parser (parseArgs here, then the command's own checks) and its help (formatHelp) read
// that table, so the help lists exactly what the parser accepts. An option that is not in the
// table is refused, with a pointer to the command's --help.

/** Bad arguments or unusable input: the command prints the message and exits with status 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  /** The option as typed: "--fda". */
  flag: string;
  /** Name of its value in the help ("IMG"); absent for a switch. */
  value?: string;
  /** One line for the help. */
  help: string;
}

export interface CommandSpec {
  /** As typed after `vm`: "boot", "bench cpu". */
  name: string;
  /** Operands in the synopsis ("FILE", "[WORKLOAD...]"); absent when it takes none. */
  operands?: string;
  /** Most operands it takes (default 0). */
  maxOperands?: number;
  /** One line for `vm --help`. */
  summary: string;
  options: readonly OptionSpec[];
  /** Lines of the help after the options. */
  notes?: readonly string[];
}

export interface ParsedArgs {
  /** The options in the order given; value is undefined for switches. */
  options: { flag: string; value: string | undefined }[];
  operands: string[];
}

const HELP_FLAGS = new Set(["--help", "-h"]);

const isFlag = (arg: string) => arg.startsWith("-") && arg !== "-";

/** Splits argv into the options of `spec` and operands; refuses unknown options and missing values. */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { options: [], operands: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!isFlag(arg)) {
      if (out.operands.length >= (spec.maxOperands ?? 0))
        throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
      out.operands.push(arg);
      continue;
    }
    const opt = spec.options.find((o) => o.flag === arg);
    if (!opt) throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    if (opt.value === undefined) {
      out.options.push({ flag: arg, value: undefined });
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${arg} needs a value (${opt.value})`);
    out.options.push({ flag: arg, value });
  }
  return out;
}

/** Whether argv asks for help: --help or -h where an option may stand (not as another option's value). */
export function wantsHelp(spec: CommandSpec, argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    if (HELP_FLAGS.has(argv[i])) return true;
    if (spec.options.find((o) => o.flag === argv[i])?.value !== undefined) i++;
  }
  return false;
}

/** "usage: vm boot [options]" and the like. */
export function synopsis(spec: CommandSpec): string {
  const parts = [`vm ${spec.name}`];
  if (spec.options.length) parts.push("[options]");
  if (spec.operands) parts.push(spec.operands);
  return parts.join(" ");
}

/** The first column of an option's line: "--fda IMG". */
const optionLabel = (o: OptionSpec) => (o.value === undefined ? o.flag : `${o.flag} ${o.value}`);

/** Two columns, the second starting after the widest first one (at most `max` wide). */
export function columns(rows: readonly [string, string][], indent = "  ", max = 28): string[] {
  const width = Math.min(max, Math.max(...rows.map(([a]) => a.length)));
  return rows.map(([a, b]) =>
    a.length > width ? `${indent}${a}\n${indent}${" ".repeat(width + 2)}${b}` : `${indent}${a.padEnd(width)}  ${b}`,
  );
}

/** The whole help of a command: synopsis, summary, every option of its table, notes. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`usage: ${synopsis(spec)}`, "", `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}.`];
  const rows: [string, string][] = spec.options.map((o) => [optionLabel(o), o.help]);
  rows.push(["-h, --help", "show this help"]);
  lines.push("", "Options:", ...columns(rows));
  if (spec.notes?.length) lines.push("", ...spec.notes);
  return lines.join("\n");
}

/** The two lines a usage error prints: what is wrong, and where the help is. */
export function usageLines(command: string, message: string): string[] {
  return [`vm ${command}: ${message}`, `Run "vm ${command} --help" for its options.`];
}
