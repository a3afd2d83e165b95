// Snapshots in the page: Snapshot, Download and Open snapshot; share links through the server's
// store, opened in another browser context; images the recipient must open (or that travel
// inside the snapshot); and snapshots that are truncated, corrupt, of another version, hostile,
// hash-mismatched or too large for the budget, refused with one line while the running VM and
// the page carry on. A Linux share link with its console history: linux.spec.ts.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect, test, type Locator, type Page } from "@playwright/test";
import {
  createFromCatalog,
  createFromFile,
  instructions,
  openPage,
  openShell,
  panel,
  screenText,
  SERIAL_FLOPPY,
  SERIAL_TEXT,
  SPIN_FLOPPY,
  SPIN_TEXT,
  waitForScreen,
} from "./helpers.ts";
import { ECHO_CD_TEXT, echoCd } from "../packages/cli/src/testing/echo-cd.ts";

const SNAPSHOT_LINK = /^http:\/\/127\.0\.0\.1:\d+\/\?snapshot=[0-9a-f]{64}$/;

/** FreeDOS at A:\> with `text` typed on its keyboard and no Enter. */
async function dosWithText(page: Page, name: string, text: string): Promise<Locator> {
  const dos = await createFromCatalog(page, "freedos", name);
  await waitForScreen(page, name, "A:\\>");
  await dos.getByTestId("screen").click();
  await page.keyboard.type(text);
  await waitForScreen(page, name, `A:\\>${text}`);
  return dos;
}

/** The last non-blank rows of a VM's screen. */
async function lastRows(page: Page, name: string, n: number): Promise<string[]> {
  return (await screenText(page, name)).trimEnd().split("\n").slice(-n);
}

async function download(page: Page, p: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent("download"), p.getByTestId("download-snapshot").click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(file) };
}

/** Recomputes the trailing SHA-256, so what is tested is the check behind the checksum. */
function reseal(b: Buffer): Buffer {
  const out = Buffer.from(b);
  crypto
    .createHash("sha256")
    .update(out.subarray(0, out.length - 32))
    .digest()
    .copy(out, out.length - 32);
  return out;
}

/** Replaces text of the manifest (same length, so no offset moves) and reseals. */
function editManifest(b: Buffer, from: string, to: string): Buffer {
  expect(to.length).toBe(from.length);
  const m = b.readUInt32LE(16);
  const text = b.subarray(32, 32 + m).toString("utf8");
  expect(text).toContain(from);
  const out = Buffer.from(b);
  Buffer.from(text.replace(from, to), "utf8").copy(out, 32);
  return reseal(out);
}

/** The snapshot as a page before console histories wrote it: the manifest without "console". */
function withoutConsole(b: Buffer): Buffer {
  const m = b.readUInt32LE(16);
  const manifest = JSON.parse(b.subarray(32, 32 + m).toString("utf8")) as Record<string, unknown>;
  expect(manifest.console).toBeTruthy();
  delete manifest.console;
  const text = Buffer.from(JSON.stringify(manifest), "utf8");
  const out = Buffer.concat([b.subarray(0, 32), text, b.subarray(32 + m)]);
  out.writeUInt32LE(text.length, 16);
  return reseal(out);
}

test("a share link resumes FreeDOS in another browser context: same screen, and typing goes on", async ({
  page,
  browser,
}, info) => {
  await openShell(page);
  const dos = await dosWithText(page, "dos", "echo shared");
  const before = await screenText(page, "dos");

  await dos.getByTestId("snapshot").click();
  await expect(dos.getByTestId("snapshot-status")).toContainText("Snapshot");
  await dos.getByTestId("share").click();
  const link = dos.getByTestId("share-link");
  await expect(link).toHaveValue(SNAPSHOT_LINK);
  const url = await link.inputValue();
  await expect(dos.getByTestId("share-needs")).toHaveCount(0); // the catalog floppy is on the server
  expect(await screenText(page, "dos")).toBe(before);
  info.annotations.push({
    type: "share",
    description: `${url} (${await dos.getByTestId("snapshot-status").innerText()})`,
  });
  await page.screenshot({ path: info.outputPath("share-sender.png") });

  // The recipient: a new browser context (no shared storage), the same server.
  const other = await openPage(browser, url);
  await expect(other.getByTestId("snapshot-open-status")).toContainText(/Resumed share link [0-9a-f]{12}… as "dos"/, {
    timeout: 60_000,
  });
  const resumed = panel(other, "dos");
  await expect(resumed).toBeVisible();
  await expect(resumed.getByTestId("vm-state")).toHaveText("Running");
  expect(await screenText(other, "dos")).toBe(before);
  await other.screenshot({ path: info.outputPath("share-recipient-resumed.png") });

  await resumed.getByTestId("screen").click();
  await other.keyboard.press("Enter");
  await expect.poll(() => lastRows(other, "dos", 4)).toEqual(["A:\\>echo shared", "shared", "", "A:\\>"]);
  await other.keyboard.type("ver");
  await other.keyboard.press("Enter");
  await waitForScreen(other, "dos", "FreeCom version");
  await other.screenshot({ path: info.outputPath("share-recipient-typed.png") });
  await resumed.getByTestId("screen").screenshot({ path: info.outputPath("share-recipient-screen.png") });

  // The sender's VM is as it was, and runs on.
  expect(await screenText(page, "dos")).toBe(before);
  const i = await instructions(page, "dos");
  await expect.poll(() => instructions(page, "dos")).toBeGreaterThan(i);
  await other.context().close();
});

test("Download, then Open snapshot: a second VM resumes with the same screen", async ({ page }, info) => {
  await openShell(page);
  const dos = await dosWithText(page, "dos", "echo saved");
  const before = await screenText(page, "dos");
  const file = await download(page, dos);
  expect(file.name).toMatch(/^dos-\d{4}-\d\d-\d\d-\d{6}\.x86snap$/);
  expect(file.bytes.subarray(0, 8).toString("latin1")).toBe("\x89X86SNAP");
  info.annotations.push({
    type: "snapshot-size",
    description: `FreeDOS at A:\\> (32 MiB): ${file.bytes.length} bytes`,
  });

  const usedBefore = await page.evaluate(() => window.x86vm.budget().usedBytes);
  await page
    .getByTestId("open-snapshot")
    .setInputFiles({ name: file.name, mimeType: "application/octet-stream", buffer: file.bytes });
  await expect(page.getByTestId("snapshot-open-status")).toContainText(`Resumed ${file.name} as "dos (2)"`);
  const copy = panel(page, "dos (2)");
  await expect(copy).toBeVisible();
  expect(await screenText(page, "dos (2)")).toBe(before);
  expect(await page.evaluate(() => window.x86vm.budget().usedBytes)).toBeGreaterThan(usedBefore + 32 * 1024 * 1024);

  await copy.getByTestId("screen").click();
  await page.keyboard.press("Enter");
  await expect.poll(() => lastRows(page, "dos (2)", 4)).toEqual(["A:\\>echo saved", "saved", "", "A:\\>"]);
  // The original has its own machine: still the half-typed line.
  expect(await screenText(page, "dos")).toBe(before);
  await page.screenshot({ path: info.outputPath("download-open.png"), fullPage: true });
});

test("a PC booted from a CD: its snapshot names the disc, opens once the disc is given, and typing and CD reads go on", async ({
  page,
}, info) => {
  await openShell(page);
  const iso = Buffer.from(echoCd());
  const cd = await createFromFile(page, "cd", { name: "echo.iso", buffer: iso });
  await waitForScreen(page, "cd", ECHO_CD_TEXT);
  await cd.getByTestId("screen").click();
  await page.keyboard.type("ab");
  await waitForScreen(page, "cd", "> ab");
  const before = await screenText(page, "cd");
  const file = await download(page, cd);

  await page
    .getByTestId("open-snapshot")
    .setInputFiles({ name: file.name, mimeType: "application/octet-stream", buffer: file.bytes });
  const status = page.getByTestId("snapshot-open-status");
  await expect(status).toContainText("needs an image this page does not have: echo.iso (CD-ROM, ");
  await page
    .getByTestId("need-cdrom")
    .setInputFiles({ name: "echo.iso", mimeType: "application/octet-stream", buffer: iso });
  await expect(status).toContainText('as "cd (2)"');
  const copy = panel(page, "cd (2)");
  await expect(copy).toBeVisible();
  expect(await screenText(page, "cd (2)")).toBe(before);
  // Keys join the line typed before the snapshot; Enter reads the disc's volume descriptor.
  await copy.getByTestId("screen").click();
  await page.keyboard.type("cd");
  await page.keyboard.press("Enter");
  await expect.poll(() => lastRows(page, "cd (2)", 3)).toEqual(["> abcd", "CD001", ">"]);
  expect(await screenText(page, "cd")).toBe(before);
  await page.screenshot({ path: info.outputPath("cd-snapshot.png"), fullPage: true });
});

test("a resumed VM's COM1 console shows its history and what its guest sends; an older snapshot without history opens", async ({
  page,
}, info) => {
  await openShell(page);
  const com = await createFromFile(page, "com", { name: "serial.img", buffer: SERIAL_FLOPPY });
  await expect.poll(() => page.evaluate(() => window.x86vm.vm("com")!.serialText())).toContain(SERIAL_TEXT);
  await page.evaluate(() => window.x86vm.vm("com")!.sendSerial("before"));
  await expect.poll(() => page.evaluate(() => window.x86vm.vm("com")!.serialText())).toContain("BEFORE");
  const file = await download(page, com);
  await page
    .getByTestId("open-snapshot")
    .setInputFiles({ name: file.name, mimeType: "application/octet-stream", buffer: file.bytes });
  await page
    .getByTestId("need-fda")
    .setInputFiles({ name: "serial.img", mimeType: "application/octet-stream", buffer: SERIAL_FLOPPY });
  const copy = panel(page, "com (2)");
  await expect(copy).toBeVisible();
  // The console as it was when the snapshot was taken, before the resumed guest says anything.
  expect(await page.evaluate(() => window.x86vm.vm("com (2)")!.serialText())).toBe(`${SERIAL_TEXT}\r\nBEFORE`);
  await copy.getByTestId("tab-console").click();
  const rows = copy.getByTestId("serial").locator(".xterm-rows");
  await expect(rows).toContainText(SERIAL_TEXT);
  await expect(rows).toContainText("BEFORE");
  await page.evaluate(() => window.x86vm.vm("com (2)")!.sendSerial("resumed"));
  await expect.poll(() => page.evaluate(() => window.x86vm.vm("com (2)")!.serialText())).toContain("BEFORERESUMED");
  await expect(rows).toContainText("BEFORERESUMED");
  await copy.screenshot({ path: info.outputPath("resumed-console.png") });

  // A snapshot of the resumed VM carries the whole history on.
  const again = await download(page, copy);
  const text = again.bytes.subarray(32, 32 + again.bytes.readUInt32LE(16)).toString("utf8");
  expect(JSON.parse(text).console).toMatchObject({ port: "com1", rawLength: `${SERIAL_TEXT}\r\nBEFORERESUMED`.length });

  // A snapshot from before console histories: it resumes, with an empty console.
  await page.getByTestId("open-snapshot").setInputFiles({
    name: "old.x86snap",
    mimeType: "application/octet-stream",
    buffer: withoutConsole(file.bytes),
  });
  await page
    .getByTestId("need-fda")
    .setInputFiles({ name: "serial.img", mimeType: "application/octet-stream", buffer: SERIAL_FLOPPY });
  await expect(panel(page, "com (3)")).toBeVisible();
  expect(await page.evaluate(() => window.x86vm.vm("com (3)")!.serialText())).toBe("");
  await page.evaluate(() => window.x86vm.vm("com (3)")!.sendSerial("old"));
  await expect.poll(() => page.evaluate(() => window.x86vm.vm("com (3)")!.serialText())).toBe("OLD");
});

test("the user's own images: the link names the image to open, or carries it with 'include my images'", async ({
  page,
  browser,
}, info) => {
  await openShell(page);
  const spin = await createFromFile(page, "spin", { name: "spin.img", buffer: SPIN_FLOPPY });
  await waitForScreen(page, "spin", SPIN_TEXT);

  await spin.getByTestId("share").click();
  await expect(spin.getByTestId("share-link")).toHaveValue(SNAPSHOT_LINK);
  await expect(spin.getByTestId("share-needs")).toContainText("must open spin.img (floppy A:)");
  const bare = await spin.getByTestId("share-link").inputValue();

  const other = await openPage(browser, bare);
  const status = other.getByTestId("snapshot-open-status");
  await expect(status).toContainText("needs an image this page does not have: spin.img (floppy A:, 1.4 MiB, SHA-256");
  await expect(other.getByTestId("snapshot-needs")).toContainText("it was the sender's own image");
  await other.screenshot({ path: info.outputPath("needs-image.png") });
  // Another file is refused, and the snapshot still waits.
  await other
    .getByTestId("need-fda")
    .setInputFiles({ name: "wrong.img", mimeType: "application/octet-stream", buffer: Buffer.alloc(1474560) });
  await expect(other.getByTestId("snapshot-error")).toContainText("wrong.img has SHA-256");
  await expect(other.getByTestId("snapshot-error")).toContainText("it is not the image the snapshot needs");
  await other
    .getByTestId("need-fda")
    .setInputFiles({ name: "my-copy.img", mimeType: "application/octet-stream", buffer: SPIN_FLOPPY });
  await expect(status).toContainText('as "spin"');
  await expect(other.getByTestId("snapshot-error")).toHaveCount(0);
  expect(await screenText(other, "spin")).toContain(SPIN_TEXT);
  const i = await instructions(other, "spin");
  await expect.poll(() => instructions(other, "spin")).toBeGreaterThan(i);
  await other.context().close();

  // With the image inside, the link needs nothing else.
  await spin.getByTestId("embed-images").check();
  await spin.getByTestId("share").click();
  await expect(spin.getByTestId("snapshot-status")).toContainText("with your images");
  await expect(spin.getByTestId("share-needs")).toHaveCount(0);
  const full = await spin.getByTestId("share-link").inputValue();
  expect(full).not.toBe(bare);
  const third = await openPage(browser, full);
  await expect(third.getByTestId("snapshot-open-status")).toContainText('as "spin"');
  expect(await screenText(third, "spin")).toContain(SPIN_TEXT);
  await third.context().close();
});

test("truncated, corrupt, wrong-version, hostile, hash-mismatched and oversized snapshots are refused with one line; nothing else is touched", async ({
  page,
  browser,
}, info) => {
  await openShell(page);
  const dos = await createFromCatalog(page, "freedos", "dos");
  await waitForScreen(page, "dos", "A:\\>");
  const good = (await download(page, dos)).bytes;
  const used = await page.evaluate(() => window.x86vm.budget().usedBytes);

  const m = good.readUInt32LE(16);
  const flipped = Buffer.from(good);
  flipped[32 + m + 200] ^= 0x55;
  const version = Buffer.from(good);
  version.writeUInt32LE(2, 8);
  // Checksum right, state section garbled: the page's manifest check passes, the worker refuses.
  const garbled = Buffer.from(good);
  for (let k = 0; k < 16; k++) garbled[32 + m + 4 + k] ^= 0xa5;
  const cases: [string, Buffer, RegExp][] = [
    ["truncated.x86snap", good.subarray(0, good.length >> 1), /is truncated/],
    ["corrupt.x86snap", flipped, /checksum mismatch: the file is corrupt or was altered/],
    ["version.x86snap", version, /format version 2 is not supported \(this build reads version 1\)/],
    [
      "not-a-snapshot.x86snap",
      Buffer.from("MZ this is an executable, or a photo, not a snapshot ".repeat(20)),
      /not an x86vm snapshot \(bad magic\)/,
    ],
    [
      "hostile-ram.x86snap",
      editManifest(good, '"memoryBytes":33554432', '"memoryBytes":33554433'),
      /not a whole number of 4 KiB pages/,
    ],
    ["hostile-state.x86snap", reseal(garbled), /device state section|compressed data is corrupt|expands to/],
  ];
  for (const [name, bytes, re] of cases) {
    await page
      .getByTestId("open-snapshot")
      .setInputFiles({ name, mimeType: "application/octet-stream", buffer: bytes });
    const err = page.getByTestId("snapshot-error");
    await expect(err).toContainText(`Cannot open ${name}: `);
    await expect(err).toContainText(re);
    expect((await err.innerText()).includes("\n"), "one line").toBe(false);
    info.annotations.push({ type: "refused", description: await err.innerText() });
    expect(await page.evaluate(() => window.x86vm.vms.map((v) => v.name))).toEqual(["dos"]);
    expect(await page.evaluate(() => window.x86vm.budget().usedBytes)).toBe(used);
  }
  await page.screenshot({ path: info.outputPath("refused-hostile.png"), fullPage: true });

  // An image that is not the one the snapshot was taken with (its hash names another floppy):
  // the page says which it needs and where the server's differs, and refuses a wrong file.
  const otherSha = "0123456789abcdef".repeat(4);
  const manifest = good.subarray(32, 32 + m).toString("utf8");
  const sha = /"sha256":"([0-9a-f]{64})"/.exec(manifest)![1];
  await page.getByTestId("open-snapshot").setInputFiles({
    name: "mismatch.x86snap",
    mimeType: "application/octet-stream",
    buffer: editManifest(good, sha, otherSha),
  });
  await expect(page.getByTestId("snapshot-open-status")).toContainText(
    "mismatch.x86snap needs an image this page does not have: freedos722.img (floppy A:",
  );
  await expect(page.getByTestId("snapshot-needs")).toContainText(
    "the server's /guests/freedos/freedos722.img is another image",
  );
  const floppy = await page.evaluate(async () =>
    Array.from(new Uint8Array(await (await fetch("/guests/freedos/freedos722.img")).arrayBuffer())),
  );
  await page
    .getByTestId("need-fda")
    .setInputFiles({ name: "freedos722.img", mimeType: "application/octet-stream", buffer: Buffer.from(floppy) });
  await expect(page.getByTestId("snapshot-error")).toContainText(
    `freedos722.img has SHA-256 ${sha.slice(0, 12)}…: it is not the image the snapshot needs`,
  );
  await page.getByTestId("snapshot-cancel").click();
  await expect(page.getByTestId("snapshot-needs")).toHaveCount(0);

  // Share links: not an id, an id the store does not have, bytes that do not hash to their id.
  const link = await openPage(browser, "/?snapshot=..%2F..%2Fetc%2Fpasswd");
  await expect(link.getByTestId("snapshot-error")).toContainText(
    'Cannot open the share link: "../../etc/passwd" is not a snapshot id',
  );
  await link.goto(`/?snapshot=${"0".repeat(64)}`);
  await expect(link.getByTestId("snapshot-error")).toContainText(`this server has no snapshot ${"0".repeat(64)}`);
  const store = process.env.E2E_SNAPSHOTS!;
  const fakeId = crypto.createHash("sha256").update("some other bytes").digest("hex");
  fs.mkdirSync(store, { recursive: true });
  fs.writeFileSync(path.join(store, `${fakeId}.x86snap`), good);
  if ((await link.request.get(`/snapshots/${fakeId}`)).ok()) {
    await link.goto(`/?snapshot=${fakeId}`);
    await expect(link.getByTestId("snapshot-error")).toContainText("the server sent bytes whose SHA-256 is");
  }
  expect(await link.evaluate(() => window.x86vm.vms.length)).toBe(0);
  fs.rmSync(path.join(store, `${fakeId}.x86snap`), { force: true });

  // The budget: a 32 MiB snapshot in a 16 MiB budget.
  await link.goto("/");
  await link.getByTestId("budget").fill("16");
  await link.getByTestId("budget").press("Enter");
  await link
    .getByTestId("open-snapshot")
    .setInputFiles({ name: "dos.x86snap", mimeType: "application/octet-stream", buffer: good });
  await expect(link.getByTestId("snapshot-error")).toContainText(
    "Cannot open dos.x86snap: Not enough memory in the host budget",
  );
  expect(await link.evaluate(() => window.x86vm.vms.length)).toBe(0);
  await link.screenshot({ path: info.outputPath("refused-budget.png") });
  await link.context().close();

  // The running VM never noticed.
  await expect(dos.getByTestId("vm-state")).toHaveText("Running");
  const i = await instructions(page, "dos");
  await expect.poll(() => instructions(page, "dos")).toBeGreaterThan(i);
  await dos.getByTestId("screen").click();
  await page.keyboard.type("echo still here");
  await page.keyboard.press("Enter");
  await waitForScreen(page, "dos", "\nstill here");

  // And a good snapshot opens after all that.
  await page
    .getByTestId("open-snapshot")
    .setInputFiles({ name: "good.x86snap", mimeType: "application/octet-stream", buffer: good });
  await expect(page.getByTestId("snapshot-open-status")).toContainText('Resumed good.x86snap as "dos (2)"');
  await expect(page.getByTestId("snapshot-error")).toHaveCount(0);
});
