// The reference Linux guest (kernel + initrd from the catalog, console on COM1); a snapshot of
// its running shell resumes in a second VM. The boot's time (Create to prompt) is printed and
// annotated.
//
// The server must have the guest's files (~/.cache/x86-guests/linux-686, built by
// ../shared/guests/build-linux-guest.sh, which .ci/run runs); without them the test fails.
import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { createFromCatalog, openShell, panel } from "./helpers.ts";

async function linuxState(page: Page): Promise<{ files: boolean; boots: boolean }> {
  return page.evaluate(async () => {
    const c = await window.x86vm.catalog();
    const f = window.x86vm.features;
    return { files: c.entries.some((e) => e.id === "linux" && e.available), boots: f.linuxBoot };
  });
}

test("Linux boots to its shell on COM1", async ({ page }, info) => {
  test.setTimeout(300_000);
  await openShell(page);
  const s = await linuxState(page);
  expect(s.files, "the Linux guest files are on the server (build-linux-guest.sh)").toBe(true);
  expect(s.boots, "@x86vm/core announces FEATURES.linuxBoot").toBe(true);

  const created = Date.now();
  const vm = await createFromCatalog(page, "linux", "linux", 128);
  const serial = () => page.evaluate(() => window.x86vm.vm("linux")!.serialText());
  // The init prints BOOT-OK, then busybox's prompt "# " (followed by a cursor-position query).
  await expect.poll(serial, { timeout: 240_000, intervals: [500] }).toContain("BOOT-OK");
  await expect.poll(serial, { timeout: 60_000, intervals: [100] }).toMatch(/BOOT-OK[\s\S]*# /);
  // The boot time in Chromium (one boot; pnpm bench:boot gives the medians in Node).
  const bootMs = Date.now() - created;
  const bootLine = `Linux to "# " in Chromium (128 MiB): ${(bootMs / 1000).toFixed(1)} s (Create to prompt: image fetch, worker start, boot)`;
  console.log(bootLine);
  info.annotations.push({ type: "boot-time", description: bootLine });
  await info.attach("boot-time.txt", { body: bootLine + "\n" });
  expect(bootMs).toBeLessThan(280_000);
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
