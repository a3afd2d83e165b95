// Snapshots of the reference Linux guest (128 MiB, shell on COM1), booted once here on the
// deterministic clock (a few minutes): snapshot at the shell, resume in a fresh machine, and the
// shell computes; the original and the resumed machine, given the same input, run the same
// instructions; and `vm resume --serial` goes on from the snapshot file in another process.
// Needs ~/.cache/x86-guests/linux-686 (pnpm images; pnpm test builds it first).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MemoryDisk, readSnapshotManifest } from "@x86vm/core";
import { restoreSnapshot, saveSnapshot, type PcMachine } from "@x86vm/devices";
import { bootLinuxToShell } from "../bench/snapshot.ts";
import { linuxGuestDir } from "../bench/boot.ts";
import { Session } from "../session/session.ts";
import { saveSnapshotFile } from "./snapshot-files.ts";

const ROOT = path.resolve(__dirname, "../../../..");
const GUEST = linuxGuestDir();
const KERNEL = path.join(GUEST, "bzImage"),
  INITRD = path.join(GUEST, "initrd.gz");

let original: PcMachine;
let snap: Uint8Array;
let bootSerial: string;

/** Images read from the files again: nothing shared with the original machine. */
function freshImages(): (sha: string, size: number, hint: string | null, slot: string) => MemoryDisk | null {
  const files: Record<string, string> = { kernel: KERNEL, initrd: INITRD };
  return (_sha, _size, _hint, slot) =>
    files[slot] ? new MemoryDisk(new Uint8Array(fs.readFileSync(files[slot])), true) : null;
}

/** Types a command on COM1 and returns what the shell printed up to its next prompt. */
async function shell(pc: PcMachine, session: Session, command: string): Promise<string> {
  const before = session.serial.length;
  await session.run(
    [
      { kind: "type", keys: `${command}\n` },
      { kind: "until", text: "# " },
    ],
    {
      timeoutS: 120,
      serialInput: true,
      nowMs: () => performance.now(),
    },
  );
  const out = session.serial.slice(before).replace(/\r/g, "");
  return out
    .slice(out.indexOf("\n") + 1, out.lastIndexOf("# "))
    .replace(/\/ $/, "")
    .trimEnd();
}

beforeAll(async () => {
  const { pc, session } = await bootLinuxToShell(1500);
  original = pc;
  bootSerial = session.serial;
  snap = await saveSnapshot(pc, { hints: { kernel: KERNEL, initrd: INITRD } });
}, 1_800_000);

describe("Linux snapshots", () => {
  it("snapshots the guest at its shell: RAM, kernel and initrd by hash", async () => {
    expect(bootSerial).toMatch(/BOOT-OK/);
    // The prompt, then (busybox) the cursor-position query ESC [6n.
    expect(bootSerial.endsWith("# ") || bootSerial.includes("# \u001b[6n")).toBe(true);
    const m = await readSnapshotManifest(snap);
    expect(m.machine.memoryBytes).toBe(128 << 20);
    expect(m.machine.options.cmdline).toBe("console=ttyS0");
    expect(m.images.map((i) => [i.slot, i.size, i.embedded])).toEqual([
      ["kernel", fs.statSync(KERNEL).size, null],
      ["initrd", fs.statSync(INITRD).size, null],
    ]);
    console.log(`Linux at "# " (128 MiB): snapshot ${snap.length} bytes, ${m.ram.nonZeroPages} non-zero pages`);
  });

  it("resumes in a fresh machine, and the shell runs a command: echo $((6*7)) gives 42", async () => {
    const t = performance.now();
    const pc = await restoreSnapshot(snap, { images: freshImages() });
    console.log(`Linux restore: ${(performance.now() - t).toFixed(0)} ms (first, with hashing the kernel and initrd)`);
    const session = new Session(pc);
    expect(await shell(pc, session, "echo $((6*7))")).toBe("42");
    expect(await shell(pc, session, "uname -sr")).toMatch(/^Linux 6\.1\./);
    // The restored machine's devices work: the timer (sleep needs PIT/TSC interrupts), the RTC.
    expect(await shell(pc, session, "sleep 1; echo slept")).toBe("slept");
  }, 300_000);

  it("runs the original and the resumed machine the same way, instruction for instruction", async () => {
    const resumed = await restoreSnapshot(snap, { images: freshImages() });
    const a = new Session(original),
      b = new Session(resumed);
    expect(await shell(original, a, "echo $((6*7)); cat /proc/uptime")).toBe(
      await shell(resumed, b, "echo $((6*7)); cat /proc/uptime"),
    );
    expect(resumed.machine.cpu.instret).toBe(original.machine.cpu.instret);
    expect(Buffer.compare(await saveSnapshot(resumed), await saveSnapshot(original))).toBe(0);
  }, 300_000);

  it("vm resume --serial goes on from the snapshot file in another process", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-linux-resume-"));
    const file = path.join(dir, "linux.snap");
    // A fresh copy of the snapshot with hints to the guest files (relative to the file).
    const pc = await restoreSnapshot(snap, { images: freshImages() });
    await saveSnapshotFile(pc, file, { kernel: KERNEL, initrd: INITRD });
    const r = spawnSync(
      process.execPath,
      [
        path.join(ROOT, "packages/cli/bin/vm.mjs"),
        "resume",
        file,
        "--serial",
        "--type",
        "echo $((6*7))\\n",
        "--until",
        "42",
        "--until",
        "# ",
        "--timeout",
        "120",
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 300_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/\r/g, "")).toMatch(/echo \$\(\(6\*7\)\)\n42\n/);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
