// The fixture's own tests: a boot driven through the whole API (screen and COM1, key names,
// screenshot, pause, snapshot and restore, the deterministic clock), the timeout message, and
// a nested Playwright run of specs that must fail (one by a wait, one by the test's timeout),
// whose report must carry the screen as PNG, the text screen, COM1's output and a snapshot
// that resumes.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import url from "node:url";
import { expect, SNAPSHOT_CONTENT_TYPE, splitTyping, test } from "@x86vm/testing";
import { ECHO_READY, echoFloppy } from "./echo-image.ts";

const HERE = path.dirname(url.fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../../..");
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let dir: string;
let image: string;
test.beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "x86vm-testing-"));
  image = echoFloppy(dir);
});
test.afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("splits typing into text and key chords", () => {
  expect(splitTyping("dir{Enter}{Ctrl+C}x{{y")).toEqual([
    { text: "dir" },
    { chord: "Enter" },
    { chord: "Ctrl+C" },
    { text: "x{y" },
  ]);
  expect(() => splitTyping("a{Enter")).toThrow('"{" without "}"');
});

test("boots an image and drives it: screen, COM1, key names, screenshot, snapshot and restore", async ({ vm }) => {
  await vm.boot({ fda: image });
  expect(await vm.waitForText(ECHO_READY, { on: "screen" })).toBe(ECHO_READY);
  expect(await vm.waitForText(/testing \w+/, { on: "serial" })).toBe("testing ready");
  await vm.type("hi{Enter}");
  await vm.press("F1", "Ctrl+C");
  await vm.waitForText("> hi\n> [F1][Ctrl+C]", { on: "screen" });
  expect(await vm.serial()).toContain("> hi\r\n> [F1][Ctrl+C]");

  const png = await vm.screenshot();
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);

  // The deterministic clock (the fixture's default) skips the guest's idle time: waiting for a
  // key, the guest's clock runs far ahead of the host's.
  const s = await vm.stats();
  expect(s.guestMs).toBeGreaterThan(5 * s.runMs);

  // Paused, the CPU stands still; resumed, it takes keys again.
  await vm.pause();
  const before = (await vm.stats()).instructions;
  await new Promise((r) => setTimeout(r, 300));
  expect((await vm.stats()).instructions).toBe(before);
  await vm.resume();
  await vm.type("z");
  await vm.waitForText("[Ctrl+C]z");

  // A snapshot resumes in a new VM with its screen, and runs on.
  const snap = await vm.snapshot({ path: path.join(dir, "vm.x86snap") });
  expect(fs.readFileSync(path.join(dir, "vm.x86snap"))).toEqual(snap);
  await vm.restore(snap);
  expect(await vm.screenText()).toContain("> [F1][Ctrl+C]z");
  await vm.type("{Enter}ok");
  await vm.waitForText(/> ok$/m, { on: "screen" });
});

test("runs on the host's clock when asked", async ({ vm }) => {
  await vm.boot({ fda: image, clock: "realtime" });
  await vm.waitForText(ECHO_READY);
  await new Promise((r) => setTimeout(r, 500));
  const s = await vm.stats();
  expect(s.guestMs).toBeLessThan(2 * s.runMs + 100);
});

test("says what the screen and COM1 show when the text does not come", async ({ vm }) => {
  await vm.boot({ fda: image });
  await vm.waitForText(ECHO_READY);
  const err = await vm.waitForText(/never/i, { timeout: 300 }).then(
    () => null,
    (e: Error) => e,
  );
  expect(err?.message).toMatch(
    /^vm\.waitForText\(\/never\/i\): not on the screen or COM1 after 0\.3 s\n--- the screen shows:\n/,
  );
  expect(err?.message).toContain(`${ECHO_READY}\n>\n`);
  expect(err?.message).toContain("--- COM1's last lines:");
  await expect(vm.boot({ fda: path.join(dir, "missing.img") })).rejects.toThrow(
    /cannot read the fda image .*missing\.img/,
  );
  await expect(vm.type("{Hyper+Q}")).rejects.toThrow('no key is named "Hyper"');
});

test("reports a VM that cannot boot", async ({ vm }) => {
  // A kernel goes to the page's Linux loader, which names the file it refuses.
  await expect(vm.boot({ kernel: image, append: "console=ttyS0" })).rejects.toThrow(/echo\.img cannot be booted/);
  await expect(vm.boot({ fda: image, append: "quiet" })).rejects.toThrow("append needs a kernel");
  // Firmware goes to the page's bios slot when it has one (which refuses a boot sector as a BIOS).
  await expect(vm.boot({ fda: image, bios: image })).rejects.toThrow(/no bios slot|cannot be the system BIOS/);
  await expect(vm.boot({ fda: image, firmware: image } as never)).rejects.toThrow("firmware is bios, with vgaBios");
  const blank = path.join(dir, "blank.img");
  fs.writeFileSync(blank, Buffer.alloc(1474560));
  const booted = (async () => {
    await vm.boot({ fda: blank }); // it may fail at once, or while waiting
    await vm.waitForText("anything", { timeout: 20_000 });
  })();
  await expect(booted).rejects.toThrow(/the VM failed: no bootable disk/);
});

interface JsonAttachment {
  name: string;
  contentType: string;
  path?: string;
  body?: string;
}

test("a failing boot leaves the screen, text screen, COM1 and a resumable snapshot in the report", async ({
  vm,
  x86vmServer,
}) => {
  const out = path.join(dir, "nested");
  const report = path.join(dir, "report.json");
  const run = spawnSync(
    process.execPath,
    [
      path.join(REPO, "node_modules/@playwright/test/cli.js"),
      "test",
      "-c",
      path.join(HERE, "../test-fixtures/playwright.config.ts"),
    ],
    {
      cwd: REPO,
      env: {
        ...process.env,
        X86VM_URL: x86vmServer,
        X86VM_TEST_IMAGE: image,
        X86VM_FIXTURE_OUT: out,
        PLAYWRIGHT_JSON_OUTPUT_NAME: report,
      },
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  expect(run.status, run.stderr).toBe(1);
  const json = JSON.parse(fs.readFileSync(report, "utf8"));
  const [failed, late] = json.suites[0].specs;
  expect(failed.title).toBe("waits for text that never appears");
  const result = failed.tests[0].results[0];
  expect(result.status).toBe("failed");
  expect(result.error.message).toContain('vm.waitForText("this never appears"): not on the screen or COM1 after 1.5 s');

  const attachments = (r: { attachments: JsonAttachment[] }) => {
    const byName = new Map<string, JsonAttachment>(r.attachments.map((a) => [a.name, a]));
    return (name: string, type: string): Buffer => {
      const a = byName.get(name);
      expect(a, `attachment ${name}`).toBeDefined();
      expect(a!.contentType).toBe(type);
      const b = a!.body !== undefined ? Buffer.from(a!.body, "base64") : fs.readFileSync(a!.path!);
      expect(b.length).toBeGreaterThan(0);
      return b;
    };
  };
  const body = attachments(result);
  expect(body("screen.png", "image/png").subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect(body("screen.txt", "text/plain").toString()).toBe(`${ECHO_READY}\n> abc\n`);
  expect(body("serial.txt", "text/plain").toString()).toContain(`${ECHO_READY}\r\n> abc`);
  const snap = body("vm.x86snap", SNAPSHOT_CONTENT_TYPE);

  // A test that runs out of time gets them too, and its abandoned wait says why it stopped.
  expect(late.title).toBe("runs out of time");
  const timedOut = late.tests[0].results[0];
  expect(timedOut.status).toBe("timedOut");
  const lateBody = attachments(timedOut);
  expect(lateBody("screen.png", "image/png").subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect(lateBody("screen.txt", "text/plain").toString()).toBe(`${ECHO_READY}\n>\n`);
  expect(lateBody("serial.txt", "text/plain").toString()).toContain(ECHO_READY);
  expect(lateBody("vm.x86snap", SNAPSHOT_CONTENT_TYPE).length).toBeGreaterThan(1000);

  // The snapshot opens on its own (its image inside) and the guest goes on where it failed:
  // with the CLI's `vm resume`, and in the page.
  const file = path.join(dir, "failed.x86snap");
  fs.writeFileSync(file, snap);
  const resume = spawnSync(
    process.execPath,
    [
      path.join(REPO, "packages/cli/bin/vm.mjs"),
      "resume",
      file,
      "--type",
      "d",
      "--until",
      "d",
      "--screen",
      "--timeout",
      "30",
    ],
    { cwd: REPO, encoding: "utf8", timeout: 60_000 },
  );
  expect(resume.status, resume.stderr).toBe(0);
  expect(resume.stdout).toContain("> abcd");
  await vm.restore(snap);
  expect(await vm.screenText()).toContain("> abc");
  await vm.type("d");
  await vm.waitForText("> abcd", { on: "screen" });
});
