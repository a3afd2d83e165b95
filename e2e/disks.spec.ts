// Saved disks: what a guest writes to its drive is kept in the browser (IndexedDB) and outlives
// the page: after a reload the page offers to resume the VM with its disk as it was; the drive
// can be downloaded as an image with the writes in it, and the record deleted. A hard disk of
// the user's own keeps its writes too, the last of them made just before the reload (the page
// saves as it goes). The offer after a reload passes an accessibility scan. Screenshots at 800,
// 1366 and 1920 px wide are attached.
import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import {
  attachShots,
  createFromCatalog,
  createFromFile,
  openShell,
  panel,
  seriousViolations,
  waitForScreen,
  WRITER_HDA,
  WRITER_HDA_SECTOR,
} from "./helpers.ts";

function savedFor(page: Page, vmName: string) {
  return page.evaluate((n) => window.x86vm.savedDisks().filter((r) => r.vmName === n), vmName);
}

test("a guest's disk writes outlive a reload: resume with them, download the changed image, delete them", async ({
  page,
}, info) => {
  test.setTimeout(180_000);
  page.on("dialog", (d) => void d.accept()); // "Leave this page?" on reload
  await openShell(page);
  await expect(page.getByTestId("saved-disks")).toHaveCount(0);
  await createFromCatalog(page, "freedos", "dos");
  await waitForScreen(page, "dos", "A:\\>");
  await page.evaluate(() => window.x86vm.vm("dos")!.typeText("echo saved-by-dos > NOTE.TXT\r"));
  await waitForScreen(page, "dos", "NOTE.TXT");
  await expect
    .poll(() => screenText(page), { timeout: 20_000 })
    .toMatch(/NOTE\.TXT\s*\n\s*\nA:\\>|NOTE\.TXT\s*\nA:\\>/);
  // Saved within a couple of seconds (the test saves at once: what the guest wrote since the
  // last periodic save is not waited for), listed in the page; the running VM's record is in use.
  await page.evaluate(() => window.x86vm.saveDisks());
  await expect
    .poll(async () => (await savedFor(page, "dos"))[0]?.drives.map((d) => d.role) ?? [], { timeout: 15_000 })
    .toEqual(["fda"]);
  expect((await savedFor(page, "dos"))[0].drives[0].sectors).toBeGreaterThan(0);
  const list = page.getByTestId("saved-disks");
  await expect(list).toBeVisible();
  const row = list.getByTestId("saved-vm").filter({ hasText: "dos" });
  await expect(row.getByTestId("saved-drive-fda")).toContainText("floppy A:");
  await expect(row.getByTestId("saved-resume")).toBeDisabled();
  await expect(row.getByTestId("saved-resume")).toHaveText("Running");
  await expect(page.getByTestId("saved-offer")).toHaveCount(0);

  // A reload: the VM is gone, its disk writes are not, and the page offers them.
  await page.reload();
  await expect(page.getByTestId("isolation")).toHaveAttribute("data-isolated", "true");
  await expect(page.getByTestId("vm-panel")).toHaveCount(0);
  await expect(page.getByTestId("saved-offer")).toContainText("disk writes from before were kept");
  expect(await seriousViolations(page)).toEqual([]);
  await attachShots(page, info, "saved-disks");
  const again = page.getByTestId("saved-vm").filter({ hasText: "dos" });
  await expect(again.getByTestId("saved-resume")).toBeEnabled();

  // The changed image, downloaded: the floppy's size, with the file the guest wrote in it.
  const [dl] = await Promise.all([page.waitForEvent("download"), again.getByTestId("saved-export-fda").click()]);
  expect(dl.suggestedFilename()).toMatch(/-changed\.img$/);
  const image = fs.readFileSync(await dl.path());
  expect(image.length).toBe(737280);
  expect(image.includes(Buffer.from("saved-by-dos"))).toBe(true);
  expect(image.includes(Buffer.from("NOTE    TXT"))).toBe(true);

  // Resume: the same VM, its floppy as the guest left it.
  await again.getByTestId("saved-resume").click();
  const resumed = panel(page, "dos");
  await expect(resumed).toBeVisible();
  await waitForScreen(page, "dos", "A:\\>");
  await page.evaluate(() => window.x86vm.vm("dos")!.typeText("type NOTE.TXT\r"));
  await waitForScreen(page, "dos", "\nsaved-by-dos");
  await expect(again.getByTestId("saved-resume")).toHaveText("Running");

  // The resumed VM goes on saving into the same record: its new sectors join the old ones.
  const before = (await savedFor(page, "dos"))[0].drives[0].sectors;
  await page.evaluate(() => window.x86vm.vm("dos")!.typeText("echo second-write > TWO.TXT\r"));
  await waitForScreen(page, "dos", "TWO.TXT");
  await expect.poll(() => screenText(page)).toMatch(/TWO\.TXT\s*\n(\s*\n)?A:\\>/);
  await expect
    .poll(async () => (await savedFor(page, "dos"))[0].drives[0].sectors, { timeout: 15_000 })
    .toBeGreaterThan(before);
  expect(await savedFor(page, "dos")).toHaveLength(1);
  // A power cycle keeps the disk as the guest left it.
  await resumed.getByRole("button", { name: "Reset" }).click();
  await expect.poll(() => screenText(page), { timeout: 30_000 }).not.toContain("TWO.TXT");
  await waitForScreen(page, "dos", "A:\\>");
  await page.evaluate(() => window.x86vm.vm("dos")!.typeText("type TWO.TXT\r"));
  await waitForScreen(page, "dos", "\nsecond-write");
  await page.evaluate(() => window.x86vm.saveDisks());
  const [dl2] = await Promise.all([page.waitForEvent("download"), again.getByTestId("saved-export-fda").click()]);
  const image2 = fs.readFileSync(await dl2.path());
  expect(image2.includes(Buffer.from("saved-by-dos"))).toBe(true);
  expect(image2.includes(Buffer.from("second-write"))).toBe(true);

  // Delete: gone from the list, and after a reload too.
  await resumed.getByTestId("destroy").click();
  await expect(resumed).toHaveCount(0);
  await page.getByTestId("saved-vm").filter({ hasText: "dos" }).getByTestId("saved-delete").click();
  await expect(page.getByTestId("saved-disks")).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("isolation")).toHaveAttribute("data-isolated", "true");
  await page.waitForTimeout(500);
  await expect(page.getByTestId("saved-disks")).toHaveCount(0);
  expect(await savedFor(page, "dos")).toEqual([]);
});

function screenText(page: Page, name = "dos"): Promise<string> {
  return page.evaluate(async (n) => (await window.x86vm.vm(n)?.screenText()) ?? "", name);
}

test("a hard disk's writes outlive a reload, the last one made just before it", async ({ page }, info) => {
  test.setTimeout(120_000);
  page.on("dialog", (d) => void d.accept()); // "Leave this page?" on reload
  await openShell(page);
  const hd = await createFromFile(page, "hd", { name: "writer-hd.img", buffer: WRITER_HDA });
  await expect(hd.locator(".guest")).toContainText("writer-hd.img");
  await waitForScreen(page, "hd", "hda ready>");
  // A first write, saved (its sector listed under the hard disk).
  await page.evaluate(() => window.x86vm.vm("hd")!.typeText("a"));
  await waitForScreen(page, "hd", "wrote hda-write:a");
  await page.evaluate(() => window.x86vm.saveDisks());
  await expect
    .poll(async () => (await savedFor(page, "hd"))[0]?.drives ?? [], { timeout: 15_000 })
    .toEqual([{ role: "hda", sectors: 1 }]);
  await expect(page.getByTestId("saved-vm").filter({ hasText: "hd" }).getByTestId("saved-drive-hda")).toContainText(
    "hard disk 0",
  );
  // The second write, and the reload at once: nothing waits for the periodic save. The page
  // saves it as it goes (leaving, hidden).
  await page.evaluate(() => window.x86vm.vm("hd")!.typeText("b"));
  await waitForScreen(page, "hd", "wrote hda-write:b");
  await page.reload();
  await expect(page.getByTestId("isolation")).toHaveAttribute("data-isolated", "true");
  await expect(page.getByTestId("saved-offer")).toContainText("disk writes from before were kept");
  const row = page.getByTestId("saved-vm").filter({ hasText: "hd" });
  const [dl] = await Promise.all([page.waitForEvent("download"), row.getByTestId("saved-export-hda").click()]);
  expect(dl.suggestedFilename()).toBe("writer-hd-changed.img");
  const image = fs.readFileSync(await dl.path());
  expect(image.length).toBe(WRITER_HDA.length);
  const at = WRITER_HDA_SECTOR * 512;
  expect(image.subarray(at, at + 11).toString("latin1")).toBe("hda-write:b");
  // Resumed, the guest reads its sector back: the last write is there.
  await row.getByTestId("saved-resume").click();
  await expect(panel(page, "hd")).toBeVisible();
  await waitForScreen(page, "hd", "last: hda-write:b");
  await attachShots(page, info, "hda-after-reload");
  await panel(page, "hd").getByTestId("destroy").click();
  await row.getByTestId("saved-delete").click();
  await expect(page.getByTestId("saved-disks")).toHaveCount(0);
});
