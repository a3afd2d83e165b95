// `usermode PROGRAM [ARGS...]`: runs a static i386 Linux executable on the bare flat machine.
// The guest's stdout and stderr go to ours; the exit status is the guest's. Anything that ends
// the run abnormally (guest exception, emulator error, unknown system calls) is reported on
// stderr on lines starting with "usermode: ", and a last line "usermode-status: {json}" gives
// the result for programs that drive this one (see difftest/runners.ts).
//
// Options: --max-instructions N; --jit-threshold N (runs of a block before it is compiled);
// --jit js|wasm (what blocks compile to).

import fs from "node:fs";
import path from "node:path";
import { runUserMode } from "./runner.ts";

function main(argv: string[]): number {
  let max: number | undefined, jitThreshold: number | undefined, jitBackend: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--max-instructions" && rest.length === 0) max = Number(argv[++i]);
    else if (argv[i] === "--jit-threshold" && rest.length === 0) jitThreshold = Number(argv[++i]);
    else if (argv[i] === "--jit" && rest.length === 0) jitBackend = argv[++i];
    else rest.push(argv[i]);
  }
  if (
    rest.length === 0 ||
    (jitThreshold !== undefined && !(Number.isInteger(jitThreshold) && jitThreshold >= 1)) ||
    (jitBackend !== undefined && jitBackend !== "js" && jitBackend !== "wasm")
  ) {
    process.stderr.write(
      "usage: usermode [--max-instructions N] [--jit-threshold N] [--jit js|wasm] PROGRAM [ARGS...]\n",
    );
    return 2;
  }
  const exe = path.resolve(rest[0]);
  const t0 = performance.now();
  const r = runUserMode(new Uint8Array(fs.readFileSync(exe)), {
    argv: [rest[0], ...rest.slice(1)],
    exePath: exe,
    maxInstructions: max,
    jitThreshold,
    jitBackend: jitBackend as "js" | "wasm" | undefined,
  });
  const ms = performance.now() - t0;
  fs.writeSync(1, r.stdout);
  fs.writeSync(2, r.stderr);
  if (r.unknownSyscalls.length)
    process.stderr.write(`usermode: unknown system calls (answered -ENOSYS): ${r.unknownSyscalls.join(", ")}\n`);
  if (r.error) process.stderr.write(`usermode: ${r.error}\n`);
  const status = {
    exitCode: r.exitCode,
    signal: r.signal,
    error: r.error,
    unknownSyscalls: r.unknownSyscalls,
    instructions: r.instructions,
    ms: Math.round(ms),
  };
  process.stderr.write(`usermode-status: ${JSON.stringify(status)}\n`);
  return r.error ? 125 : (r.exitCode ?? 125);
}

process.exitCode = main(process.argv.slice(2));
