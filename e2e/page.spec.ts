// The page around the cards: progress for every wait (a guest's download, opening a share
// link, a booting VM), the counters in a card's Details drawer in plain words, the memory field,
// files dropped on the page, the prompt before leaving, the Help dialog, and an accessibility
// scan (axe-core) of the empty page, with a FreeDOS VM running and with Help open (cards.spec.ts
// scans a Linux console, a paused VM and failed VMs; disks.spec.ts the saved disks' offer). Screenshots of the page at 800,
// 1366 and 1920 px wide go to test-results/.
import { expect, test, type Page } from "@playwright/test";
import {
  createFromCatalog,
  openShell,
  panel,
  slowDownloads,
  SPIN_FLOPPY,
  SPIN_TEXT,
  waitForScreen,
  attachShots,
  seriousViolations,
} from "./helpers.ts";

/** Drops a file built in the page (base64 bytes) on the page's body, as a drag from the desktop would. */
async function dropFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  await page.evaluate(
    ([n, b64]) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], n));
      for (const type of ["dragenter", "dragover", "drop"])
        document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [name, bytes.toString("base64")] as const,
  );
}

test("a guest's download shows a bar with bytes of total that moves; a booting VM says what it waits for", async ({
  page,
}, info) => {
  await slowDownloads(page, /\/guests\/(?!catalog\.json)/, 16, 300);
  await openShell(page);
  await page.getByTestId("guest").selectOption("freedos");
  await page.getByTestId("new-name").fill("dos");
  await page.getByTestId("create").click();

  const progress = page.getByTestId("create-progress");
  await expect(progress).toBeVisible();
  await expect(progress).toContainText("Downloading FreeDOS");
  const bar = page.getByTestId("create-progress-bar");
  const bytes = page.getByTestId("create-progress-bytes");
  await expect(bytes).toHaveText(/^[\d.]+ (bytes|KiB|MiB) of [\d.]+ (KiB|MiB)$/);
  const first = Number(await bar.getAttribute("value"));
  const max = Number(await bar.getAttribute("max"));
  expect(max).toBeGreaterThan(100_000);
  await page.screenshot({ path: info.outputPath("download-progress.png") });
  await expect.poll(async () => Number(await bar.getAttribute("value"))).toBeGreaterThan(first);
  await expect.poll(async () => Number(await bar.getAttribute("value"))).toBeGreaterThan(max / 2);

  const dos = panel(page, "dos");
  await expect(dos).toBeVisible();
  await expect(progress).toHaveCount(0);
  // The state names what a booting VM waits for, and is Running once the guest runs.
  await expect(dos.getByTestId("vm-state")).toHaveText(/^(Booting: .+…|Running)$/);
  await waitForScreen(page, "dos", "A:\\>");
  await expect(dos.getByTestId("vm-state")).toHaveText("Running");
});

test("the counters are in a Details drawer in plain words; the memory field says what the budget allows", async ({
  page,
}, info) => {
  await openShell(page);
  const dos = await createFromCatalog(page, "freedos", "dos");
  await waitForScreen(page, "dos", "A:\\>");

  const details = dos.getByTestId("vm-details");
  await expect(details).not.toHaveAttribute("open", "");
  await expect(dos.getByTestId("mips")).toBeHidden();
  await details.locator("summary").click();
  await expect(dos.getByTestId("mips")).toBeVisible();
  await expect(details).toContainText("Guest instructions per second");
  await expect(details).toContainText("Exits to the emulator per second");
  await expect(details).toContainText("Host memory held");
  await expect(details).not.toContainText("exits/s");
  await expect(page.getByTestId("isolation")).toHaveText("Ready: VMs run in their own threads");

  // 4096 MiB is typed in full (no hidden max), and a message says why it cannot be had.
  const mem = page.getByTestId("new-memory");
  await mem.fill("4096");
  await expect(mem).toHaveValue("4096");
  await expect(page.getByTestId("memory-message")).toContainText("at most 3072 MiB");
  expect(await mem.getAttribute("max")).toBeNull();
  // Within the per-VM limit but beyond the budget: the message says what is free.
  await page.getByTestId("budget").fill("256");
  await page.getByTestId("budget").press("Enter");
  await mem.fill("1024");
  await expect(page.getByTestId("memory-message")).toContainText("of the host budget is free");
  await mem.fill("32");
  await expect(page.getByTestId("memory-message")).toHaveCount(0);
  // A card's RAM beyond the limit says so instead of offering a resize.
  await dos.getByTestId("vm-memory").fill("5000");
  await expect(dos.getByTestId("vm-memory-message")).toContainText("at most 3072 MiB");
  await expect(dos.getByTestId("vm-resize")).toHaveCount(0);
  await dos.getByTestId("vm-memory").fill("32");
  await attachShots(page, info, "details-open");
});

test("opening a share link shows its stages and the download's bytes", async ({ page, browser }) => {
  test.setTimeout(120_000);
  await openShell(page);
  await createFromCatalog(page, "freedos", "dos");
  await waitForScreen(page, "dos", "A:\\>");
  const { url } = await page.evaluate(() => window.x86vm.vm("dos")!.share());

  const ctx = await browser.newContext();
  const other = await ctx.newPage();
  await slowDownloads(other, /\/snapshots\/[0-9a-f]{64}$/, 12, 300);
  await other.goto(url);
  const stages = other.getByTestId("snapshot-stages");
  await expect(stages).toBeVisible();
  await expect(stages.locator('[aria-current="step"]')).toHaveText("Download");
  await expect(other.getByTestId("snapshot-progress-bytes")).toHaveText(/ of /);
  await other.screenshot({ path: test.info().outputPath("share-link-progress.png") });
  await expect(other.getByTestId("snapshot-open-status")).toContainText(/Resumed share link/, { timeout: 60_000 });
  await expect(stages).toHaveCount(0);
  await expect(panel(other, "dos")).toBeVisible();
  await ctx.close();
});

test("a dropped disk image fills the New VM form; a dropped snapshot resumes; other files are refused", async ({
  page,
}) => {
  await openShell(page);
  // The page says so before anything is dragged.
  await expect(page.getByTestId("drop-hint")).toContainText("drop a disk image");
  await expect(page.getByTestId("drop-hint")).toContainText(".x86snap");
  await dropFile(page, "spin.img", SPIN_FLOPPY);
  await expect(page.getByTestId("dropped-note")).toContainText("spin.img");
  await expect(page.getByTestId("guest")).toHaveValue("own");
  await expect(page.getByTestId("own-kind")).toHaveValue("floppy");
  expect(await page.getByTestId("own-image").evaluate((i: HTMLInputElement) => i.files?.[0]?.name)).toBe("spin.img");
  await page.getByTestId("new-name").fill("spin");
  await page.getByTestId("new-memory").fill("8");
  await page.getByTestId("create").click();
  await expect(panel(page, "spin")).toBeVisible();
  await waitForScreen(page, "spin", SPIN_TEXT);

  // A snapshot of that VM (with its image inside), dropped: it resumes in a new VM.
  await page.evaluate(async () => {
    const bytes = await window.x86vm.vm("spin")!.snapshot({ includeImages: true });
    const dt = new DataTransfer();
    dt.items.add(new File([bytes as Uint8Array<ArrayBuffer>], "spin.x86snap"));
    document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(page.getByTestId("snapshot-open-status")).toContainText('Resumed spin.x86snap as "spin (2)"');
  await expect(panel(page, "spin (2)")).toBeVisible();

  await dropFile(page, "notes.txt", Buffer.from("hello"));
  await expect(page.getByTestId("drop-note")).toContainText("notes.txt is neither a disk image");
});

test("leaving the page while a VM exists asks first", async ({ page }) => {
  await openShell(page);
  // No VM: nothing to ask.
  let asked = 0;
  page.on("dialog", (d) => {
    if (d.type() === "beforeunload") asked++;
    void d.dismiss();
  });
  await page.getByTestId("new-name").click();
  await page.reload();
  expect(asked).toBe(0);
  await createFromCatalog(page, "freedos", "dos");
  await page.getByTestId("new-name").click(); // the prompt needs a user gesture on the page
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => asked).toBe(1);
});

test("Help opens a dialog with the keys, the controls and snapshots; Esc closes it and focus returns", async ({
  page,
}, info) => {
  await openShell(page);
  const help = page.getByTestId("help");
  await help.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Help" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Close help" })).toBeFocused();
  for (const text of ["Click to type", "Ctrl+Alt+Del", "Esc", "Capture mouse", "Reset", "Share", "x86snap"])
    await expect(dialog).toContainText(text);
  await expect(dialog.getByTestId("about")).toBeVisible();
  await attachShots(page, info, "help");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(help).toBeFocused();
  // Again, closed with its button.
  await help.click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Close help" }).click();
  await expect(dialog).toBeHidden();
  await expect(help).toBeFocused();
});

test("accessibility: no serious or critical axe violations on the empty page, with FreeDOS running, and with Help open", async ({
  page,
}, info) => {
  await openShell(page);
  expect(await seriousViolations(page)).toEqual([]);
  const dos = await createFromCatalog(page, "freedos", "dos");
  await waitForScreen(page, "dos", "A:\\>");
  await dos.getByTestId("vm-details").locator("summary").click();
  expect(await seriousViolations(page)).toEqual([]);
  await attachShots(page, info, "freedos-running");

  // Every control is reached with Tab and shows a focus ring.
  await page.getByTestId("help").focus();
  await page.keyboard.press("Tab");
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(ring).not.toBe("none");

  await page.getByTestId("help").click();
  await expect(page.getByRole("dialog", { name: "Help" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});
