// The test kit from the command line: `vm boot --script ... --junit ... --screenshot ...` on the
// example boot sector and DOS program (examples/, built with nasm and mtools), and on boot
// sectors that crash. Checks each exit status (0 pass, 1 expect failed, 2 bad script, 3
// timeout, 4 crash), the messages, the JUnit XML and the PNG pictures; and that paced typing
// reaches FreeDOS EDIT, which reads the keyboard in its own IRQ 1 handler, without a lost key.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it, vi } from "vitest";
import { FONT_8X16 } from "@x86vm/devices";
import { runCli } from "../cli.ts";
import { buildExamples, type ExampleImages } from "../../../../examples/build.ts";
import { decodePng } from "../testing/decode-png.ts";

const EXAMPLES = path.resolve(__dirname, "../../../../examples");

let stdout: string[] = [];
let stderr: string[] = [];
beforeEach(() => {
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

let dir = "";
let built: ExampleImages;
const cwd = process.cwd();
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-kit-"));
  built = buildExamples({ outDir: path.join(dir, "examples") });
  // Scripts write their files relative to the working directory.
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(cwd);
  fs.rmSync(dir, { recursive: true, force: true });
});

function script(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A floppy whose boot sector is a test program of testdata/. */
function bootSector(name: string): string {
  const img = path.join(dir, `${name}.img`);
  execFileSync("nasm", ["-f", "bin", "-o", img, path.join(__dirname, "testdata", `${name}.asm`)]);
  fs.truncateSync(img, 1474560);
  return img;
}

const pixel = (png: ReturnType<typeof decodePng>, x: number, y: number) =>
  Array.from(png.rgba.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4));

describe("vm boot --script on the example boot sector", () => {
  it("passes the example script: exit 0, a JUnit report of 13 passed steps, both pictures", async () => {
    const snap = script("snap.txt", "snapshot end.snap\n");
    const r = await vm(
      "boot",
      "--fda",
      built.bootSector,
      "--script",
      path.join(EXAMPLES, "cli/boot-sector.txt"),
      "--script",
      snap,
      "--junit",
      "report.xml",
    );
    expect(r.err).toMatch(/^vm boot: saved end\.snap \(\d+ bytes\)$/);
    expect(r.code).toBe(0);
    const xml = fs.readFileSync("report.xml", "utf8");
    expect(xml).toMatch(/<testsuite name="[^"]*boot-sector\.txt" tests="14" failures="0" errors="0" skipped="0"/);
    expect(xml).toContain('name="line 6: wait &quot;Hello from a boot sector!&quot; timeout 10s"');
    expect(xml).toContain('name="line 1: snapshot end.snap"');
    expect(xml).not.toContain("<failure");
    expect(fs.statSync("end.snap").size).toBeGreaterThan(1000);

    // 80x25 text as the page draws it: 720x400, 9x16 cells, the BIOS font in light grey on black.
    const text = decodePng(fs.readFileSync("boot-sector-text.png"));
    expect([text.width, text.height]).toEqual([720, 400]);
    const H = "H".charCodeAt(0);
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 9; x++) {
        const on = x < 8 && (FONT_8X16[H * 16 + y] & (0x80 >> x)) !== 0;
        expect(pixel(text, x, y), `H at ${x},${y}`).toEqual(on ? [0xaa, 0xaa, 0xaa, 255] : [0, 0, 0, 255]);
      }
    // Mode 13h: 320x200, bars of 20 pixels in the default palette's first 16 colours.
    const gfx = decodePng(fs.readFileSync("boot-sector-graphics.png"));
    expect([gfx.width, gfx.height]).toEqual([320, 200]);
    expect(pixel(gfx, 30, 100)).toEqual([0, 0, 0xaa, 255]); // 1: blue
    expect(pixel(gfx, 70, 100)).toEqual([0, 0xaa, 0xaa, 255]); // 3: cyan
    expect(pixel(gfx, 290, 100)).toEqual([0xff, 0xff, 0x55, 255]); // 14: yellow
  });

  it("an expectation that fails: exit 1, the line in the message, failure and skipped steps in the report", async () => {
    const s = script("fail.txt", 'wait "Hello"\n\nexpect "Goodbye"  # not there\nwait ">"\n');
    const r = await vm(
      "boot",
      "--fda",
      built.bootSector,
      "--script",
      s,
      "--junit",
      "fail.xml",
      "--screenshot",
      "f.png",
    );
    expect(r.code).toBe(1);
    expect(r.err).toBe(`vm boot: ${s}:3: expected "Goodbye" on the screen`);
    const xml = fs.readFileSync("fail.xml", "utf8");
    expect(xml).toMatch(/tests="3" failures="1" errors="0" skipped="1"/);
    expect(xml).toContain(
      `<failure message="${s}:3: expected &quot;Goodbye&quot; on the screen" type="expect">${s}:3: expected &quot;Goodbye&quot; on the screen</failure>`,
    );
    expect(xml).toMatch(
      /<testcase classname="[^"]*" name="line 3: expect &quot;Goodbye&quot;" time="\d+\.\d{3}">\n {6}<failure/,
    );
    expect(xml).toContain('<skipped message="not run: an earlier step failed"/>');
    expect(xml).toMatch(/<system-out>Screen at the end:\nHello from a boot sector!\nType, Enter for a new line/);
    // The picture is written after a failure too.
    expect(decodePng(fs.readFileSync("f.png")).width).toBe(720);
  });

  it("a wait that times out: exit 3", async () => {
    const s = script("slow.txt", 'wait "Hello"\nwait "never shown" timeout 1s\n');
    const t0 = performance.now();
    const r = await vm("boot", "--fda", built.bootSector, "--script", s, "--junit", "slow.xml");
    expect(r.code).toBe(3);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.err).toBe(`vm boot: ${s}:2: timeout after 1 s waiting for "never shown"`);
    expect(fs.readFileSync("slow.xml", "utf8")).toContain('type="timeout"');
  });

  it("a bad script: exit 2 before booting, naming line and column", async () => {
    const s = script("bad.txt", 'wait "Hello"\nkey Ctrl+Hyper\n');
    const r = await vm("boot", "--fda", built.bootSector, "--script", s);
    expect(r.code).toBe(2);
    expect(r.err.split("\n")[0]).toBe(`vm boot: ${s}:2:5: bad key chord "Ctrl+Hyper": no key is named "Hyper"`);
  });
});

describe("vm boot on guests that crash", () => {
  it("a triple fault: exit 4 (with --allow-reset the PC resets and the wait goes on until its timeout)", async () => {
    const img = bootSector("triple-fault");
    const r = await vm("boot", "--fda", img, "--until", "never", "--junit", "tf.xml");
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^vm boot: the guest triple-faulted \(.+\)$/);
    expect(fs.readFileSync("tf.xml", "utf8")).toMatch(
      /<failure message="the guest triple-faulted [^"]*" type="crash">/,
    );
    const again = await vm("boot", "--fda", img, "--until", "never", "--timeout", "1", "--allow-reset");
    expect(again.code).toBe(4); // it triple-faults at every boot: the session gives up after 20
    expect(again.err).toMatch(/the machine was reset\n[^]*the guest triple-faulted 20 times/);
  });

  it("a halt with interrupts off: exit 4", async () => {
    const r = await vm("boot", "--fda", bootSector("halt"), "--until", "never");
    expect(r.code).toBe(4);
    expect(r.err).toBe("vm boot: the guest halted with interrupts disabled");
  });
});

describe("vm boot --script on FreeDOS", () => {
  it("runs the example DOS program and types into EDIT without losing a key", async () => {
    expect(built.dosFloppy).not.toBeNull();
    // Shorter than EDIT's window (76 columns), so that the whole line stays in view.
    const line = "The Quick Brown Fox 0123456789 (a+b)*c={x|y} <~!@#$%^&_> [z];'/?,.";
    const edit = script(
      "edit.txt",
      [
        'type "fdos\\\\edit t.txt\\r"',
        'wait "FreeDOS Edit"',
        "sleep 300ms",
        `type "${line}XY"`,
        "key Backspace Backspace",
        "sleep 100ms",
        `expect "${line}"`,
      ].join("\n"),
    );
    const r = await vm(
      "boot",
      "--fda",
      built.dosFloppy!,
      "--script",
      path.join(EXAMPLES, "cli/dos-hello.txt"),
      "--script",
      edit,
      "--junit",
      "dos.xml",
      "--timeout",
      "40",
      "--screen",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${line}`);
    expect(fs.readFileSync("dos.xml", "utf8")).toMatch(/tests="16" failures="0" errors="0" skipped="0"/);
    expect(decodePng(fs.readFileSync("dos-hello.png")).height).toBe(400);
  });
});
