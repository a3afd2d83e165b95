// The reference Linux guest (kernel + initrd from the catalog, console on COM1).
//
// The server must have the guest's files (~/.cache/x86-guests/linux-686, built by
// ../shared/guests/build-linux-guest.sh, which .ci/run runs); without them the test fails.
import { expect, test, type Page } from "@playwright/test";
import { createFromCatalog, openShell } from "./helpers.ts";

async function linuxState(page: Page): Promise<{ files: boolean; loader: boolean; boots: boolean }> {
  return page.evaluate(async () => {
    const c = await window.x86vm.catalog();
    const f = window.x86vm.features;
    return { files: c.entries.some((e) => e.id === "linux" && e.available), loader: f.linuxLoader, boots: f.linuxBoot };
  });
}

test("Linux boots to its shell on COM1", async ({ page }, info) => {
  test.setTimeout(300_000);
  await openShell(page);
  const s = await linuxState(page);
  expect(s.files, "the Linux guest files are on the server (build-linux-guest.sh)").toBe(true);
  expect(s.boots, "@x86vm/core announces FEATURES.linuxBoot").toBe(true);

  const vm = await createFromCatalog(page, "linux", "linux", 128);
  const serial = () => page.evaluate(() => window.x86vm.vm("linux")!.serialText());
  await expect.poll(serial, { timeout: 240_000, intervals: [500] }).toContain("BOOT-OK");
  await expect.poll(serial, { timeout: 60_000 }).toMatch(/# /);
  await page.evaluate(() => window.x86vm.vm("linux")!.sendSerial("uname -sm\n"));
  await expect.poll(serial, { timeout: 30_000 }).toMatch(/Linux i[3-6]86/);
  await expect(vm.getByTestId("serial")).toBeVisible();
  await page.screenshot({ path: info.outputPath("linux.png"), fullPage: true });
});
