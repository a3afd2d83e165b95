// Progress on the card: a snapshot being opened from a share link has a card of its own in the
// VMs area, with a real bar for the bytes of its download and of the base image fetched from the
// server, then the step in words, until the resumed VM's card takes its place; a new VM's card
// says what its boot waits for, and a Linux guest's status line its boot stage (loading the
// kernel, starting Linux, ready at its prompt) where a DOS guest's says Running. Screenshots at 800, 1366 and 1920 px wide are attached.
import { expect, test, type Page } from "@playwright/test";
import { attachShots, createFromCatalog, openShell, panel, slowDownloads, waitForScreen } from "./helpers.ts";

/** Records, from the page's first moment, each text and attribute `testId` elements show. */
async function recordSeen(page: Page, testId: string, attr: string): Promise<void> {
  await page.addInitScript(
    ([id, a]) => {
      const seen: string[] = [];
      (window as unknown as Record<string, unknown>)[`seen_${id}`] = seen;
      const look = () => {
        for (const el of Array.from(document.querySelectorAll(`[data-testid="${id}"]`))) {
          const entry = `${el.getAttribute(a) ?? ""}|${el.textContent ?? ""}`;
          if (seen[seen.length - 1] !== entry) seen.push(entry);
        }
      };
      new MutationObserver(look).observe(document, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
    },
    [testId, attr] as const,
  );
}

function seen(page: Page, testId: string): Promise<string[]> {
  return page.evaluate((id) => (window as unknown as Record<string, string[]>)[`seen_${id}`], testId);
}

test("opening a share link: a card with the download's bar, the image's bar, then the step in words, until the VM's card", async ({
  page,
  browser,
}, info) => {
  test.setTimeout(120_000);
  await recordSeen(page, "boot-stage", "data-status");
  await openShell(page);
  const dos = await createFromCatalog(page, "freedos", "dos");
  await waitForScreen(page, "dos", "A:\\>");
  // The new VM's card said what its boot waited for, in words, then left the screen alone.
  const boot = await seen(page, "boot-stage");
  expect(boot.join("\n")).toMatch(/Booting: (starting the emulator|building the machine)/);
  await expect(dos.getByTestId("boot-stage")).toHaveCount(0);
  await expect(dos.getByTestId("vm-state")).toHaveText("Running");
  await dos.getByTestId("share").click();
  const link = await dos.getByTestId("share-link").inputValue();

  const ctx = await browser.newContext({ viewport: { width: 1366, height: 1000 } });
  const other = await ctx.newPage();
  await slowDownloads(other, /\/snapshots\/[0-9a-f]{64}$|\/guests\/.*\.img$/, 24, 350);
  await recordSeen(other, "opening-stage", "data-stage");
  await other.goto(link);
  const card = other.getByTestId("opening-card");
  await expect(card).toBeVisible();
  await expect(card.getByTestId("opening-stage")).toHaveText("Downloading the snapshot");
  // A real bar: its end is the snapshot's size, and it moves.
  const bar = card.getByTestId("opening-progress-bar");
  await expect(bar).toHaveAttribute("max", /^[1-9]\d+$/);
  const max = Number(await bar.getAttribute("max"));
  const first = Number(await bar.getAttribute("value"));
  await expect.poll(async () => Number(await bar.getAttribute("value"))).toBeGreaterThan(first);
  expect(first).toBeLessThan(max);
  await expect(card.getByTestId("opening-progress-bytes")).toHaveText(/ of /);
  await attachShots(other, info, "opening-card", card);
  // Then the base image from the server, with its own bar, then the restore, in words.
  await expect(card.getByTestId("opening-stage")).toHaveText(/^Downloading its image freedos/, { timeout: 30_000 });
  await expect(card.getByTestId("opening-progress-bytes")).toHaveText(/ of 720 KiB/);
  await expect(panel(other, "dos")).toBeVisible({ timeout: 60_000 });
  await expect(card).toHaveCount(0);
  const steps = (await seen(other, "opening-stage")).map((s) => s.split("|")[0]).filter((s) => s !== "start");
  expect(steps[0]).toBe("download");
  expect(steps).toContain("check");
  expect(steps.indexOf("check")).toBeGreaterThan(0);
  await waitForScreen(other, "dos", "A:\\>");
  await ctx.close();
});

test("a Linux guest's status line says its boot stage: loading the kernel, starting Linux, ready at the prompt", async ({
  page,
}, info) => {
  test.setTimeout(300_000);
  await recordSeen(page, "vm-state", "data-state");
  await openShell(page);
  const linux = await createFromCatalog(page, "linux", "linux", 128);
  const state = linux.getByTestId("vm-state");
  await expect(state).toHaveText("Starting Linux", { timeout: 120_000 });
  // The kernel has printed on COM1, and the prompt is not there yet.
  const serial = () => page.evaluate(() => window.x86vm.vm("linux")!.serialText());
  expect(await serial()).toContain("Linux version");
  await attachShots(page, info, "linux-starting", linux);
  await expect(state).toHaveText("Ready", { timeout: 240_000 });
  expect(await serial()).toMatch(/BOOT-OK[\s\S]*# /);
  await attachShots(page, info, "linux-ready", linux);
  // In order, each once, and never a bare "Running" in between.
  const words = (await seen(page, "vm-state")).map((s) => s.split("|")[1]);
  const stages = words.filter((w) => !w.startsWith("Booting"));
  expect(stages).toEqual(["Loading the kernel", "Starting Linux", "Ready"]);
  expect(words.indexOf("Loading the kernel")).toBeGreaterThan(0); // after Booting
});
