// `vm`: the headless runner. Commands: conformance, bench, boot, resume, images.

import { runConformance } from "./commands/conformance.ts";
import { runCpu32Bench, runCpuBench } from "./bench/cpu.ts";
import { runMicro } from "./bench/micro.ts";
import { runBootBench } from "./bench/boot.ts";
import { bootCommand } from "./commands/boot.ts";
import { resumeCommand } from "./commands/resume.ts";
import { imagesCommand } from "./commands/images.ts";
import { runSnapshotBench } from "./bench/snapshot.ts";
import { installZlibCodec } from "./zlib-codec.ts";

function usage(): never {
  console.error(`usage: vm <command> [options]
  boot [--fda IMG] [--hda IMG] [--cdrom ISO] [--mem MiB] [--clock deterministic|realtime]
       [--until TEXT] [--type KEYS] ... [--timeout S] [--screen] [--stats]
                                             boot a PC and run a script of waits and keystrokes
       [--save-snapshot FILE]                save a snapshot when the script completes
  resume FILE [--fda IMG] [--hda IMG] ... [--clock MODE] [--until TEXT] [--type KEYS] ...
       [--timeout S] [--screen] [--stats] [--save-snapshot FILE]
                                             restore a snapshot and go on with a script
  images [--out DIR] [--force]              build the Linux guest from Debian's i386 packages and
                                             copy the FreeDOS floppy into the guest image folder
  conformance DIR [--verbose] [--only XX]   run CPU conformance vectors in DIR
  bench cpu [--runs N] [--mode user32]       CPU-bound benchmark (MIPS): real mode, or a 32-bit
                                             C program with and without the JIT
  bench boot freedos|linux [--runs N]        boot time to the prompt, beside the v86 anchor
  bench snapshot [freedos] [linux] [--runs N] [--no-v86]
                                             snapshot size, save and restore time at the prompt`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  installZlibCodec();
  switch (cmd) {
    case "conformance": {
      const dir = rest.find((a) => !a.startsWith("--"));
      if (!dir) usage();
      const onlyIdx = rest.indexOf("--only");
      const totals = runConformance(dir, {
        verbose: rest.includes("--verbose"),
        only: onlyIdx >= 0 ? rest[onlyIdx + 1] : undefined,
      });
      return totals.failed === 0 ? 0 : 1;
    }
    case "boot":
      return bootCommand(rest);
    case "resume":
      return resumeCommand(rest);
    case "images":
      return imagesCommand(rest);
    case "bench": {
      if (rest[0] === "snapshot") {
        await runSnapshotBench(rest.slice(1), (l) => console.log(l));
        return 0;
      }
      if (rest[0] === "micro") {
        for (const l of runMicro()) console.log(l);
        return 0;
      }
      if (rest[0] === "boot") {
        const runs = rest.includes("--runs") ? Number(rest[rest.indexOf("--runs") + 1]) : rest[1] === "linux" ? 3 : 5;
        await runBootBench(rest[1] ?? "freedos", runs, (l) => console.log(l));
        return 0;
      }
      if (rest[0] !== "cpu") usage();
      const runs = rest.includes("--runs") ? Number(rest[rest.indexOf("--runs") + 1]) : 5;
      if (rest.includes("--mode")) {
        const mode = rest[rest.indexOf("--mode") + 1];
        if (mode !== "user32") usage();
        for (const line of runCpu32Bench(runs)) console.log(JSON.stringify(line));
        return 0;
      }
      console.log(JSON.stringify(runCpuBench(runs)));
      return 0;
    }
    default:
      usage();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`vm: ${e.message}`);
    process.exit(1);
  },
);
