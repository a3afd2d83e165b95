// `vm`'s command line: the help lists every command and every option each command's parser
// accepts (exit 0), unknown commands and options exit 2 with one line and a pointer to --help,
// and a disk that cannot boot makes `vm boot` fail at once with one line.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseArgs, wantsHelp, type CommandSpec } from "./args.ts";
import { BENCH_COMMANDS, parseBenchArgs } from "./bench/command.ts";
import { COMMANDS, runCli } from "./cli.ts";
import { parseBootArgs } from "./commands/boot.ts";
import { CONFORMANCE_COMMAND, conformanceCommand } from "./commands/conformance.ts";
import { parseImagesArgs } from "./commands/images.ts";
import { parseResumeArgs } from "./commands/resume.ts";
import { PC_MEDIA_SLOTS } from "@x86vm/devices";

let stdout: string[] = [];
let stderr: string[] = [];
beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void stdout.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void stderr.push(a.join(" ")));
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `vm ...args` in this process: exit status, and what went to stdout and stderr. */
async function vm(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  stdout = [];
  stderr = [];
  const code = await runCli(args);
  return { code, out: stdout.join("\n"), err: stderr.join("\n") };
}

/** A value each option's parser takes, by the name its help gives the value. */
const SAMPLE: Record<string, string> = {
  IMG: "a.img",
  ISO: "a.iso",
  BZIMAGE: "bzImage",
  FILE: "some.file",
  PNG: "out.png",
  SCRIPT: path.resolve(__dirname, "../../../examples/cli/boot-sector.txt"),
  MS: "5",
  CMDLINE: "console=ttyS0",
  MiB: "64",
  MODE: "realtime",
  NET: "user",
  CARD: "virtio",
  "HOST:PORT": "10.0.2.2:8080",
  TEXT: "A:\\>",
  KEYS: "dir\\r",
  S: "5",
  DIR: "/tmp/guests",
  XX: "0F",
  N: "2",
  user32: "user32",
  KIND: "wasm",
  LIST: "100,25",
  seabios: "seabios",
};

/** Parses argv as the command would (options and their checks), without running it. */
const PARSERS: Record<string, (argv: string[]) => unknown> = {
  boot: (argv) => parseBootArgs(["--kernel", "bzImage", ...argv]),
  resume: (argv) => parseResumeArgs(["saved.snap", ...argv]),
  images: (argv) => parseImagesArgs(argv, {}),
  conformance: (argv) => {
    // Options are checked before the folder is read: an empty folder then has no vector files.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-cli-"));
    try {
      expect(() => conformanceCommand([...argv, dir])).toThrow(/no vector files/);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
    return parseArgs(CONFORMANCE_COMMAND, argv);
  },
  ...Object.fromEntries(BENCH_COMMANDS.map((spec) => [spec.name, (argv: string[]) => parseBenchArgs(spec, argv)])),
};

const SPECS: CommandSpec[] = COMMANDS.map((c) => c.spec);

describe("vm --help", () => {
  it.each([["--help"], ["-h"], ["help"]])("vm %s lists every command with its line, exit 0", async (flag) => {
    const r = await vm(flag);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^usage: vm <command> \[options\]/);
    for (const spec of SPECS) {
      expect(r.out).toContain(`  ${spec.name}`);
      expect(r.out).toContain(spec.summary);
    }
    for (const line of r.out.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });

  it("without a command prints the list to stderr and exits 2", async () => {
    const r = await vm();
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toContain("bench snapshot");
  });

  it("an unknown command: one line, a pointer to --help, exit 2", async () => {
    expect(await vm("bogus")).toEqual({
      code: 2,
      out: "",
      err: 'vm: unknown command "bogus"\nRun "vm --help" for the commands.',
    });
    expect((await vm("help", "bogus")).code).toBe(2);
    expect(await vm("bench", "bogus")).toEqual({
      code: 2,
      out: "",
      err: 'vm bench: unknown bench command "bogus"\nRun "vm bench --help" for the list.',
    });
    const bare = await vm("bench");
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/^vm bench: which one\? \(cpu, boot, snapshot, micro, time\)\n/);
  });

  it("vm bench --help and vm help bench list the benchmarks", async () => {
    for (const args of [
      ["bench", "--help"],
      ["bench", "-h"],
      ["help", "bench"],
    ]) {
      const r = await vm(...args);
      expect(r.code).toBe(0);
      for (const spec of BENCH_COMMANDS) expect(r.out).toContain(spec.name);
    }
  });
});

describe.each(SPECS.map((s) => [s.name, s] as const))("vm %s", (name, spec) => {
  const words = name.split(" ");

  it("--help, -h and vm help list every option the parser takes, exit 0", async () => {
    const outs: string[] = [];
    for (const args of [
      [...words, "--help"],
      [...words, "-h"],
      ["help", ...words],
    ]) {
      const r = await vm(...args);
      expect(r.code).toBe(0);
      expect(r.err).toBe("");
      outs.push(r.out);
    }
    expect(outs[1]).toBe(outs[0]);
    expect(outs[2]).toBe(outs[0]);
    const help = outs[0];
    expect(help).toMatch(new RegExp(`^usage: vm ${name}`));
    for (const o of spec.options) {
      const label = o.value ? `${o.flag} ${o.value}` : o.flag;
      expect(help).toMatch(new RegExp(`^  ${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s`, "m"));
      expect(help).toContain(o.help);
    }
    expect(help).toContain("-h, --help");
    for (const line of help.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it("its parser accepts every option of its help", () => {
    expect(PARSERS[name], `a parser for ${name}`).toBeDefined();
    for (const o of spec.options) {
      const argv = o.value ? [o.flag, SAMPLE[o.value]] : [o.flag];
      expect(SAMPLE[o.value ?? "FILE"], `a sample ${o.value}`).toBeDefined();
      expect(() => PARSERS[name](argv), o.flag).not.toThrow();
    }
  });

  it("refuses an unknown option with one line and a pointer to its --help, exit 2", async () => {
    const r = await vm(...words, "--bogus");
    expect(r).toEqual({
      code: 2,
      out: "",
      err: `vm ${name}: unknown argument "--bogus"\nRun "vm ${name} --help" for its options.`,
    });
    expect(() => PARSERS[name](["--bogus"])).toThrow(/unknown argument "--bogus"/);
  });
});

describe("the option parser", () => {
  it("refuses an option without its value, and an extra operand", async () => {
    expect((await vm("boot", "--fda")).err).toBe(
      'vm boot: --fda needs a value (IMG)\nRun "vm boot --help" for its options.',
    );
    expect((await vm("resume", "a.snap", "b.snap")).err).toMatch(/^vm resume: unexpected argument "b\.snap"\n/);
    expect((await vm("boot", "--mem", "0", "--fda", "a.img")).code).toBe(2);
  });

  it("takes --help only where an option may stand, not as another option's value", () => {
    expect(wantsHelp(COMMANDS[0].spec, ["--until", "--help"])).toBe(false);
    expect(wantsHelp(COMMANDS[0].spec, ["--until", "x", "-h"])).toBe(true);
    expect(parseBootArgs(["--fda", "a.img", "--until", "--help"]).steps).toMatchObject([
      { kind: "until", text: "--help" },
    ]);
  });

  it("builds PCs with APICs unless --no-apic; --apic and --no-apic together are refused", () => {
    expect(parseBootArgs(["--fda", "a.img"]).apic).toBeUndefined();
    expect(parseBootArgs(["--fda", "a.img", "--apic"]).apic).toBe(true);
    expect(parseBootArgs(["--fda", "a.img", "--no-apic"]).apic).toBe(false);
    expect(() => parseBootArgs(["--fda", "a.img", "--apic", "--no-apic"])).toThrow(/contradict/);
  });

  it("gives vm boot and vm resume one image option per media slot of the board, in its order", () => {
    const flags = PC_MEDIA_SLOTS.map((s) => `--${s.slot}`);
    const boot = COMMANDS.find((c) => c.spec.name === "boot")!.spec;
    const resume = COMMANDS.find((c) => c.spec.name === "resume")!.spec;
    expect(boot.options.slice(0, flags.length)).toEqual(
      PC_MEDIA_SLOTS.map((s) => expect.objectContaining({ flag: `--${s.slot}`, help: s.help })),
    );
    expect(resume.options.slice(0, flags.length).map((o) => o.flag)).toEqual(flags);
    // Each takes its file into the slot of its name.
    const argv = PC_MEDIA_SLOTS.flatMap((s) => [`--${s.slot}`, `${s.slot}.file`]);
    const images = Object.fromEntries(PC_MEDIA_SLOTS.map((s) => [s.slot, `${s.slot}.file`]));
    expect(parseBootArgs(argv).images).toEqual(images);
    expect(parseResumeArgs(["saved.snap", ...argv]).images).toEqual(images);
    expect(() => parseBootArgs(["--initrd", "initrd.file"])).toThrow(/nothing to boot/);
    expect(() => parseBootArgs(["--fda", "a.img", "--initrd", "initrd.file"])).toThrow(/--initrd needs --kernel/);
  });

  it("takes --net none, user or nat (default none), and refuses other modes", () => {
    expect(parseBootArgs(["--fda", "a.img"]).net).toBe("none");
    expect(parseBootArgs(["--fda", "a.img", "--net", "user"]).net).toBe("user");
    expect(parseBootArgs(["--fda", "a.img", "--net", "none"]).net).toBe("none");
    expect(() => parseBootArgs(["--fda", "a.img", "--net", "bridge"])).toThrow(/--net takes none, user or nat/);
    expect(parseBootArgs(["--fda", "a.img", "--net", "nat"]).net).toBe("nat");
  });

  it("keeps boot's script steps in order", () => {
    const a = parseBootArgs(["--fda", "a.img", "--until", "A:\\>", "--type", "ver\\r", "--until", "A:\\>"]);
    expect(a.steps).toMatchObject([
      { kind: "until", text: "A:\\>" },
      { kind: "type", keys: "ver\r" },
      { kind: "until", text: "A:\\>" },
    ]);
  });
});

describe("vm boot with a disk that cannot boot", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-noboot-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a floppy of random bytes fails at once with one line, exit 2", async () => {
    const file = path.join(dir, "random.img");
    const bytes = new Uint8Array(1474560);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff;
    bytes[511] = 0; // whatever the bytes, no 55AAh signature
    fs.writeFileSync(file, bytes);
    const t0 = performance.now();
    const r = await vm("boot", "--fda", file, "--until", "A:", "--timeout", "60");
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r).toEqual({ code: 2, out: "", err: "vm boot: no bootable disk (fda: no boot signature)" });
  });
});

describe("the vm process", () => {
  it("exits 0 for --help and 2 for an unknown command", () => {
    const main = path.resolve(__dirname, "main.ts");
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", main, ...args], { encoding: "utf8", timeout: 60_000 });
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: vm <command>/);
    const bootHelp = run("boot", "--help");
    expect(bootHelp.status).toBe(0);
    expect(bootHelp.stdout).toContain("--no-jit");
    const bad = run("bogus");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('vm: unknown command "bogus"\nRun "vm --help" for the commands.\n');
  });
});
