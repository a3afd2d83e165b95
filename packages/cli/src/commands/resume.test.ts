// Snapshot acceptance tests with FreeDOS: boot to A:\>, type half a command, snapshot, resume
// in a fresh machine (and in a fresh process through `vm boot --save-snapshot` / `vm resume`):
// the screen is identical and typing goes on (the finished command runs). On the
// deterministic clock the resumed machine and the original, given the same input afterwards,
// execute the same number of instructions and end in the same state.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryDisk, readSnapshotManifest } from "@x86vm/core";
import { PcMachine, restoreSnapshot, saveSnapshot } from "@x86vm/devices";
import { Session, type Step } from "../session/session.ts";
import { ECHO_CD_TEXT, echoCd } from "../testing/echo-cd.ts";

const ROOT = path.resolve(__dirname, "../../../..");
const FREEDOS = path.resolve(ROOT, "../shared/guests/freedos722.img");
const opts = { timeoutS: 90, nowMs: () => performance.now() };

function disk(): MemoryDisk {
  const b = fs.readFileSync(FREEDOS);
  return new MemoryDisk(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), true);
}
const rows = (pc: PcMachine) => pc.textRows() ?? [];
const screen = (pc: PcMachine) => rows(pc).join("\n");

/** The row showing the command line, and the row below it. */
function commandOutput(pc: PcMachine, command: string): string | undefined {
  const r = rows(pc);
  const at = r.findIndex((x) => x === `A:\\>${command}`);
  return at >= 0 ? r[at + 1] : undefined;
}

describe("FreeDOS snapshots", () => {
  let image: MemoryDisk;
  let original: PcMachine;
  let snap: Uint8Array;
  const finish: Step[] = [
    { kind: "type", keys: "lo\r" },
    { kind: "until", text: "hello" },
    { kind: "until", text: "A:\\>" },
  ];

  beforeAll(async () => {
    image = disk();
    original = new PcMachine({ memoryMiB: 32, clock: "deterministic", fda: image });
    await new Session(original).run(
      [
        { kind: "until", text: "A:\\>" },
        { kind: "type", keys: "echo hel" },
        { kind: "until", text: "echo hel" },
      ],
      opts,
    );
    snap = await saveSnapshot(original);
  });

  it("resumes in a fresh machine with the same screen, and the half-typed command can be finished", async () => {
    const pc = await restoreSnapshot(snap, { images: () => image });
    expect(screen(pc)).toBe(screen(original));
    expect(rows(pc).some((r) => r.endsWith("A:\\>echo hel"))).toBe(true);
    // The session's first wait would see the old "hello"-free screen; "hello" appears once typed.
    await new Session(pc).run(finish, opts);
    expect(commandOutput(pc, "echo hello")).toBe("hello");
  });

  it("runs the resumed machine and the original the same way on the deterministic clock", async () => {
    const resumed = await restoreSnapshot(snap, { images: () => image });
    const more: Step[] = [...finish, { kind: "type", keys: "dir\r" }, { kind: "until", text: "bytes free" }];
    // The original goes on from where the snapshot was taken, the resumed machine from the snapshot.
    await new Session(original).run(more, opts);
    await new Session(resumed).run(more, opts);
    expect(resumed.machine.cpu.instret).toBe(original.machine.cpu.instret);
    expect(screen(resumed)).toBe(screen(original));
    expect(Buffer.compare(await saveSnapshot(resumed), await saveSnapshot(original))).toBe(0);
    expect(screen(resumed)).toMatch(/bytes free/);
  });
});

describe("vm boot --save-snapshot and vm resume", () => {
  let dir: string;
  let cwd = ROOT;
  const vm = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, "packages/cli/bin/vm.mjs"), ...args], {
      cwd,
      encoding: "utf8",
      timeout: 180_000,
    });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-resume-"));
  });

  it("resumes in a fresh process: same screen, typing continues, exit codes as vm boot", () => {
    const file = path.join(dir, "dos.snap");
    const boot = vm(
      "boot",
      "--fda",
      FREEDOS,
      "--until",
      "A:\\>",
      "--type",
      "echo hel",
      "--until",
      "echo hel",
      "--save-snapshot",
      file,
      "--screen",
    );
    expect(boot.stderr).toMatch(/vm boot: saved .*dos\.snap \(\d+ bytes\)/);
    expect(boot.status).toBe(0);
    const bootScreen = boot.stdout.trimEnd();
    expect(bootScreen).toMatch(/A:\\>echo hel$/);

    const same = vm("resume", file, "--screen");
    expect(same.status).toBe(0);
    expect(same.stdout.trimEnd()).toBe(bootScreen);

    const go = vm("resume", file, "--type", "lo\\r", "--until", "A:\\>", "--screen");
    expect(go.stderr).toBe("");
    expect(go.status).toBe(0);
    expect(go.stdout).toMatch(/A:\\>echo hello\nhello\n/);

    // Moved elsewhere, the image is found again next to the snapshot (by hash), or given again.
    const other = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-moved-")), "a", "b");
    fs.mkdirSync(other, { recursive: true });
    fs.copyFileSync(file, path.join(other, "dos.snap"));
    cwd = other;
    const missing = vm("resume", path.join(other, "dos.snap"), "--screen");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /^vm resume: the image for fda is not available \(SHA-256 [0-9a-f]{64}, 737280 bytes, was .*freedos722\.img\)\n$/,
    );
    const given = vm("resume", path.join(other, "dos.snap"), "--fda", FREEDOS, "--screen");
    expect(given.status).toBe(0);
    fs.copyFileSync(FREEDOS, path.join(other, "renamed.img"));
    const beside = vm(
      "resume",
      path.join(other, "dos.snap"),
      "--type",
      "lo\\r",
      "--until",
      "A:\\>",
      "--save-snapshot",
      path.join(other, "later.snap"),
    );
    expect(beside.status).toBe(0);
    const later = vm("resume", path.join(other, "later.snap"), "--screen");
    expect(later.stdout.trimEnd()).toMatch(/A:\\>echo hello\nhello\n\nA:\\>$/);

    // A wrong image, a corrupt snapshot, a timeout.
    cwd = ROOT;
    const wrong = vm("resume", file, "--fda", path.join(ROOT, "package.json"));
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^vm resume: image for fda has \d+ bytes, the snapshot needs 737280\n$/);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x10;
    fs.writeFileSync(path.join(dir, "bad.snap"), bytes);
    const bad = vm("resume", path.join(dir, "bad.snap"));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("vm resume: snapshot checksum mismatch: the file is corrupt or was altered\n");
    // Waits look after the resume point: the prompt already on the screen does not count.
    const timeout = vm("resume", file, "--until", "A:\\>", "--timeout", "1");
    expect(timeout.status).toBe(3);
    expect(timeout.stderr).toBe('vm resume: timeout after 1 s waiting for "A:\\\\>"\n');
  });

  it("a PC booted from a CD: --cdrom with --save-snapshot, and vm resume finds the disc again", async () => {
    cwd = ROOT;
    const iso = path.join(dir, "echo.iso");
    fs.writeFileSync(iso, echoCd());
    const file = path.join(dir, "cd.snap");
    const boot = vm(
      "boot",
      "--cdrom",
      iso,
      "--until",
      ECHO_CD_TEXT,
      "--type",
      "ab",
      "--until",
      "ab",
      "--save-snapshot",
      file,
    );
    expect(boot.stderr).toMatch(/vm boot: saved .*cd\.snap \(\d+ bytes\)/);
    expect(boot.status).toBe(0);
    const m = await readSnapshotManifest(new Uint8Array(fs.readFileSync(file)));
    expect(m.images.map((i) => [i.slot, i.hint, i.overlay])).toEqual([["cdrom", "echo.iso", null]]);
    // The keys typed after the resume point join the line, and Enter reads the disc.
    const go = vm("resume", file, "--type", "cd\\r", "--until", "CD001", "--screen");
    expect(go.stderr).toBe("");
    expect(go.status).toBe(0);
    expect(go.stdout).toMatch(/> abcd\nCD001\n>\n?$/);
    // Elsewhere, without the disc: refused, naming it; given with --cdrom, it resumes.
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-cd-moved-"));
    fs.copyFileSync(file, path.join(other, "cd.snap"));
    const missing = vm("resume", path.join(other, "cd.snap"));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /^vm resume: the image for cdrom is not available \(SHA-256 [0-9a-f]{64}, 43008 bytes/,
    );
    const given = vm("resume", path.join(other, "cd.snap"), "--cdrom", iso, "--type", "\\r", "--until", "CD001");
    expect(given.stderr).toBe("");
    expect(given.status).toBe(0);
  });
});
