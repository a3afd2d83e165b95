// The reference Linux guest (kernel + initrd from the catalog, console on COM1), booted once in
// one page for the tests below, in order: the card opens on its console with the keyboard (the
// boot's time, Create to prompt, is printed and annotated); a snapshot of its running shell
// resumes in a second VM; a share link of it resumes in another browser context with its
// console history.
//
// The server must have the guest's files (~/.cache/x86-guests/linux-686, built by
// ../shared/guests/build-linux-guest.sh, which .ci/run runs); without them the test fails.
import fs from "node:fs";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { attachShots, createFromCatalog, openPage, openShell, panel, seriousViolations } from "./helpers.ts";

const SNAPSHOT_LINK = /^http:\/\/127\.0\.0\.1:\d+\/\?snapshot=[0-9a-f]{64}$/;

async function linuxState(page: Page): Promise<{ files: boolean; boots: boolean }> {
  return page.evaluate(async () => {
    const c = await window.x86vm.catalog();
    const f = window.x86vm.features;
    return { files: c.entries.some((e) => e.id === "linux" && e.available), boots: f.linuxBoot };
  });
}

async function expectView(card: Locator, view: "screen" | "console"): Promise<void> {
  const other = view === "screen" ? "console" : "screen";
  await expect(card.getByTestId(`tab-${view}`)).toHaveAttribute("aria-selected", "true");
  await expect(card.getByTestId(`tab-${other}`)).toHaveAttribute("aria-selected", "false");
  await expect(card.getByTestId("vm-stage")).toHaveAttribute("data-view", view);
}

test.describe.serial("one Linux VM in the page", () => {
  let page: Page;
  test.beforeAll(async ({ browser }) => {
    page = await (await browser.newContext()).newPage();
    await openShell(page);
  });
  test.afterAll(async () => {
    await page.context().close();
  });

  test("Linux opens on its console, which has the keyboard: its shell answers a typed command", async ({
    browserName: _,
  }, info) => {
    test.setTimeout(300_000);
    const s = await linuxState(page);
    expect(s.files, "the Linux guest files are on the server (build-linux-guest.sh)").toBe(true);
    expect(s.boots, "@x86vm/core announces FEATURES.linuxBoot").toBe(true);
    const created = Date.now();
    const linux = await createFromCatalog(page, "linux", "linux", 128);
    await expectView(linux, "console");
    const term = linux.getByTestId("serial");
    await expect(term).toBeVisible();
    await expect(linux.getByTestId("screen")).toBeHidden();
    // The console is the card's main view: about as large as the screen would be.
    const stage = (await linux.getByTestId("vm-stage").boundingBox())!;
    const box = (await term.boundingBox())!;
    expect(box.height).toBeGreaterThan(stage.height * 0.9);
    expect(box.width).toBeGreaterThan(stage.width * 0.9);
    expect(await term.locator(".xterm-rows > div").count()).toBeGreaterThanOrEqual(24);

    // The new VM took the keyboard: no "Click to type", and keys go to COM1 without a click.
    await expect(linux.locator("textarea.xterm-helper-textarea")).toBeFocused({ timeout: 15_000 });
    await expect(linux.getByTestId("focus-overlay")).toHaveCount(0);
    const rows = term.locator(".xterm-rows");
    await expect(rows).toContainText("BOOT-OK", { timeout: 240_000 });
    // The init prints BOOT-OK, then busybox's prompt "# " (followed by a cursor-position query).
    await expect
      .poll(() => page.evaluate(() => window.x86vm.vm("linux")!.serialText()), { timeout: 60_000, intervals: [100] })
      .toMatch(/BOOT-OK[\s\S]*# /);
    // The boot time in Chromium (one boot; pnpm bench:boot gives the medians in Node).
    const bootMs = Date.now() - created;
    const bootLine = `Linux to "# " in Chromium (128 MiB): ${(bootMs / 1000).toFixed(1)} s (Create to prompt: image fetch, worker start, boot)`;
    console.log(bootLine);
    info.annotations.push({ type: "boot-time", description: bootLine });
    await info.attach("boot-time.txt", { body: bootLine + "\n" });
    expect(bootMs).toBeLessThan(280_000);
    await expect(linux.getByTestId("vm-state")).toHaveText("Ready");
    await page.keyboard.type("echo answer $((6*7))\n");
    await expect(rows).toContainText("answer 42", { timeout: 30_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await attachShots(page, info, "linux-console");

    // The Screen tab is there too (the VGA text the kernel left), and back: keyboard reachable.
    await linux.getByTestId("tab-console").focus();
    await page.keyboard.press("ArrowLeft");
    await expectView(linux, "screen");
    await expect(linux.getByTestId("tab-screen")).toBeFocused();
    await expect(linux.getByTestId("screen")).toBeVisible();
    await page.keyboard.press("ArrowRight");
    await expectView(linux, "console");
    await expect(term).toBeVisible();
    // The mouse is the Screen's: capturing it shows the Screen.
    await linux.getByRole("button", { name: "Capture mouse" }).click();
    await expectView(linux, "screen");
  });

  test("Linux boots to its shell on COM1; a snapshot of its shell resumes in a second VM", async ({
    browserName: _,
  }, info) => {
    test.setTimeout(300_000);
    const vm = panel(page, "linux");
    const serial = () => page.evaluate(() => window.x86vm.vm("linux")!.serialText());
    // The previous test left the card on its Screen with the mouse captured: back to the console.
    await page.evaluate(() => document.exitPointerLock());
    await vm.getByTestId("tab-console").click();
    await page.evaluate(() => window.x86vm.vm("linux")!.sendSerial("uname -sm\n"));
    await expect.poll(serial, { timeout: 30_000 }).toMatch(/Linux i[3-6]86/);
    await expect(vm.getByTestId("serial")).toBeVisible();
    await page.screenshot({ path: info.outputPath("linux.png"), fullPage: true });

    // A snapshot of the running shell (realtime clock), downloaded and opened again: the copy's
    // shell takes a command, and the original runs on.
    await vm.getByTestId("snapshot").click();
    await expect(vm.getByTestId("snapshot-status")).toBeVisible({ timeout: 60_000 });
    const saved = await vm.getByTestId("snapshot-status").innerText();
    const [dl] = await Promise.all([page.waitForEvent("download"), vm.getByTestId("download-snapshot").click()]);
    const bytes = fs.readFileSync(await dl.path());
    const t0 = Date.now();
    await page
      .getByTestId("open-snapshot")
      .setInputFiles({ name: dl.suggestedFilename(), mimeType: "application/octet-stream", buffer: bytes });
    await expect(page.getByTestId("snapshot-open-status")).toContainText('as "linux (2)"', { timeout: 120_000 });
    const opened = (await page.getByTestId("snapshot-open-status").innerText()).replace(/^.* in /, "");
    const line =
      `Linux at the shell in Chromium (128 MiB): ${saved.replace(/^Snapshot \S+( [AP]M)?: /, "")}, ${bytes.length} bytes; ` +
      `resumed in ${opened} in the page (${Date.now() - t0} ms with Playwright handing the file over)`;
    console.log(line);
    info.annotations.push({ type: "linux-snapshot", description: line });
    const copy = () => page.evaluate(() => window.x86vm.vm("linux (2)")!.serialText());
    await page.evaluate(() => window.x86vm.vm("linux (2)")!.sendSerial("echo $((6*7))\n"));
    await expect.poll(copy, { timeout: 60_000 }).toMatch(/\n42\r?\n/);
    // The resumed VM has the same kernel command line (console=ttyS0): it shows its console.
    await expect(panel(page, "linux (2)").getByTestId("serial")).toBeVisible();
    await expect(panel(page, "linux (2)").getByTestId("serial").locator(".xterm-rows")).toContainText("42");
    await page.evaluate(() => window.x86vm.vm("linux")!.sendSerial("echo still $((1+1))\n"));
    await expect.poll(serial, { timeout: 30_000 }).toContain("still 2");
    await page.screenshot({ path: info.outputPath("linux-snapshot.png"), fullPage: true });
  });

  test("Linux resumed from a share link shows its console history: the boot log and the shell session", async ({
    browser,
  }, info) => {
    test.setTimeout(300_000);
    const linux = panel(page, "linux");
    await page.evaluate(() => window.x86vm.vm("linux")!.sendSerial("echo history $((6*7))\n"));
    await expect(linux.getByTestId("serial").locator(".xterm-rows")).toContainText("history 42", { timeout: 30_000 });
    // Share stores the VM's last snapshot, and the previous test took one before this command:
    // a new one first.
    const previous = await linux.getByTestId("snapshot-status").innerText();
    await linux.getByTestId("snapshot").click();
    await expect(linux.getByTestId("snapshot-status")).not.toHaveText(previous, { timeout: 60_000 });
    await linux.getByTestId("share").click();
    await expect(linux.getByTestId("share-link")).toHaveValue(SNAPSHOT_LINK, { timeout: 60_000 });
    const link = await linux.getByTestId("share-link").inputValue();

    const other = await openPage(browser, link);
    const copy = panel(other, "linux");
    await expect(copy).toBeVisible({ timeout: 120_000 });
    // Opens on its Console (console=ttyS0), with what the guest wrote before the snapshot.
    await expect(copy.getByTestId("tab-console")).toHaveAttribute("aria-selected", "true");
    const rows = copy.getByTestId("serial").locator(".xterm-rows");
    await expect(rows).toContainText("history 42");
    const log = await other.evaluate(() => window.x86vm.vm("linux")!.serialText());
    expect(log).toContain("Linux version");
    expect(log).toContain("history 42");
    // The replayed history sent nothing to the guest (no answers to its old cursor queries), and
    // the shell goes on.
    await copy.getByTestId("serial").click();
    await other.keyboard.type("echo resumed $((5*5))\n");
    await expect(rows).toContainText("resumed 25", { timeout: 30_000 });
    await attachShots(other, info, "linux-resumed-console", copy);
  });
});
