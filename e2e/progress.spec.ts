// Progress on the card: a snapshot being saved has a bar of the bytes compressed, a share link's
// upload one of the bytes sent; a snapshot being opened has a card of its own in the VMs area,
// with a real bar for each step whose bytes are known (the file read, a share link's download, a
// base image fetched from the server, the machine's state restored in the worker), the step in
// words, until the resumed VM's card takes its place; a new VM's card says what its boot waits
// for, and a Linux guest's status line its boot stage (loading the kernel, starting Linux, ready
// at its prompt) where a DOS guest's says Running. The opening card passes an accessibility scan.
// Screenshots at 800, 1366 and 1920 px wide are attached.
import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import {
  attachShots,
  createFromCatalog,
  openShell,
  panel,
  seriousViolations,
  slowDownloads,
  waitForScreen,
} from "./helpers.ts";

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

/**
 * Records, from the page's first moment, each state of the opening card: its step, its bar's
 * value and end, and the bytes in words ("stage|value|max|words").
 */
async function recordOpening(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as Record<string, unknown>).seen_opening = seen;
    const look = () => {
      const card = document.querySelector('[data-testid="opening-card"]');
      if (!card) return;
      const stage = card.querySelector('[data-testid="opening-stage"]')?.getAttribute("data-stage") ?? "";
      const bar = card.querySelector('[data-testid="opening-progress-bar"]') as HTMLProgressElement | null;
      const words = card.querySelector('[data-testid="opening-progress-bytes"]')?.textContent ?? "";
      const entry = `${stage}|${bar?.getAttribute("value") ?? ""}|${bar?.getAttribute("max") ?? ""}|${words}`;
      if (seen[seen.length - 1] !== entry) seen.push(entry);
    };
    new MutationObserver(look).observe(document, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  });
}

/**
 * Records, from now on, each state of the bar `${testId}-bar` in the page (a ProgressLine): its
 * value, its end and the bytes in words; `barsOf` reads them back as [value, max, words].
 */
async function watchBar(page: Page, testId: string): Promise<void> {
  await page.evaluate((id) => {
    const seen: string[] = [];
    (window as unknown as Record<string, unknown>)[`bars_${id}`] = seen;
    const look = () => {
      const bar = document.querySelector(`[data-testid="${id}-bar"]`);
      if (!bar) return;
      const words = document.querySelector(`[data-testid="${id}-bytes"]`)?.textContent ?? "";
      const entry = `${bar.getAttribute("value") ?? ""}|${bar.getAttribute("max") ?? ""}|${words}`;
      if (seen[seen.length - 1] !== entry) seen.push(entry);
    };
    new MutationObserver(look).observe(document, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  }, testId);
}

async function barsOf(page: Page, testId: string): Promise<[number, number, string][]> {
  const all = await page.evaluate((id) => (window as unknown as Record<string, string[]>)[`bars_${id}`], testId);
  return all.map((e) => e.split("|")).map(([value, max, words]) => [Number(value), Number(max), words]);
}

/** The recorded states of the opening card at `stage` with a bar that has an end: [value, max, words]. */
async function barsAt(page: Page, stage: string): Promise<[number, number, string][]> {
  const all = await seen(page, "opening");
  return all
    .map((e) => e.split("|"))
    .filter(([s, , max]) => s === stage && max !== "")
    .map(([, value, max, words]) => [Number(value), Number(max), words]);
}

/**
 * Values that only grow, of one end, with the bytes in words; `toEnd`: the last one is the end
 * (a restore's last report and the VM's card come together: its full bar may never be drawn).
 */
function expectFilled(bars: [number, number, string][], toEnd = true): void {
  expect(bars.length).toBeGreaterThan(0);
  const max = bars[0][1];
  expect(max).toBeGreaterThan(0);
  for (let i = 0; i < bars.length; i++) {
    expect(bars[i][1]).toBe(max);
    if (i > 0) expect(bars[i][0]).toBeGreaterThanOrEqual(bars[i - 1][0]);
    expect(bars[i][2]).toMatch(/ of /);
  }
  expect(bars[bars.length - 1][0]).toBeLessThanOrEqual(max);
  if (toEnd) expect(bars[bars.length - 1][0]).toBe(max);
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
  // Share: the snapshot goes up to the server with a bar of the bytes sent (the upload slowed to
  // 40 KiB/s by the browser's network throttling: 3 to 4 s for FreeDOS's), then the link.
  await watchBar(page, "share-progress");
  const cdp = await page.context().newCDPSession(page);
  const throttle = (uploadThroughput: number) =>
    cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput,
    });
  await cdp.send("Network.enable");
  await throttle(40 * 1024);
  await dos.getByTestId("share").click();
  await expect(dos.getByTestId("share-progress-bar")).toBeVisible();
  await expect(dos.getByTestId("share-progress-bytes")).toHaveText(/ of /);
  await expect(dos.getByTestId("share-progress")).toContainText("Uploading the snapshot to this server");
  await attachShots(page, info, "share-upload", dos);
  const link = await dos.getByTestId("share-link").inputValue();
  await expect(dos.getByTestId("share-progress")).toHaveCount(0);
  await throttle(-1);
  await cdp.detach();
  const sent = await barsOf(page, "share-progress");
  expectFilled(sent);
  expect(sent[0][1]).toBeGreaterThan(100_000); // the snapshot's size
  expect(new Set(sent.map(([v]) => v)).size, "the bar moved").toBeGreaterThan(2);

  const ctx = await browser.newContext({ viewport: { width: 1366, height: 1000 } });
  const other = await ctx.newPage();
  await slowDownloads(other, /\/snapshots\/[0-9a-f]{64}$|\/guests\/.*\.img$/, 24, 350);
  await recordSeen(other, "opening-stage", "data-stage");
  await recordOpening(other);
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
  expect(await seriousViolations(other)).toEqual([]);
  // Then the base image from the server, with its own bar, then the restore, in words.
  await expect(card.getByTestId("opening-stage")).toHaveText(/^Downloading its image freedos/, { timeout: 30_000 });
  await expect(card.getByTestId("opening-progress-bytes")).toHaveText(/ of 720 KiB/);
  await expect(panel(other, "dos")).toBeVisible({ timeout: 60_000 });
  await expect(card).toHaveCount(0);
  const steps = (await seen(other, "opening-stage")).map((s) => s.split("|")[0]).filter((s) => s !== "start");
  expect(steps[0]).toBe("download");
  expect(steps).toContain("check");
  expect(steps.indexOf("check")).toBeGreaterThan(0);
  // The restore in the worker had its bar too: bytes of the machine's state.
  expect(steps.indexOf("restore")).toBeGreaterThan(steps.indexOf("check"));
  expectFilled(await barsAt(other, "restore"), false);
  expectFilled(await barsAt(other, "download"));
  await waitForScreen(other, "dos", "A:\\>");
  await ctx.close();
});

test("a Linux guest's status line says its boot stage; its snapshot opened as a file has bars for the read and the restore", async ({
  page,
}, info) => {
  test.setTimeout(300_000);
  await recordSeen(page, "vm-state", "data-state");
  await recordSeen(page, "snapshot-busy", "data-testid");
  await recordOpening(page);
  await slowDownloads(page, /\/guests\/linux\/(bzImage|initrd\.gz)$/, 8, 300);
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

  // A snapshot of the shell, downloaded and opened as a file: the opening card has a bar for
  // reading the file, then one for the restore in the worker, each in bytes of its total.
  // Saving first: words at once, then a bar of the bytes compressed in the worker, of those to
  // compress (the end grows a little with the console history, added last), that fills.
  await watchBar(page, "save-progress");
  await linux.getByTestId("snapshot").click();
  await expect(linux.getByTestId("snapshot-status")).toBeVisible({ timeout: 60_000 });
  expect(await seen(page, "snapshot-busy")).toContain("snapshot-busy|Saving the VM's state…");
  await expect(linux.getByTestId("snapshot-busy")).toHaveCount(0);
  await expect(linux.getByTestId("save-progress")).toHaveCount(0);
  const saved = await barsOf(page, "save-progress");
  expect(saved.length).toBeGreaterThan(2);
  for (let i = 1; i < saved.length; i++) {
    expect(saved[i][0]).toBeGreaterThanOrEqual(saved[i - 1][0]);
    expect(saved[i][1]).toBeGreaterThanOrEqual(saved[i - 1][1]);
  }
  const [lastValue, lastMax] = saved[saved.length - 1];
  expect(saved[0][1]).toBeGreaterThan(lastMax * 0.9); // the end was known from the start, near enough
  expect(lastMax).toBeGreaterThan(4 * 1024 * 1024);
  expect(lastValue).toBe(lastMax);
  expect(saved[0][2]).toMatch(/ of /);
  const [dl] = await Promise.all([page.waitForEvent("download"), linux.getByTestId("download-snapshot").click()]);
  const file = fs.readFileSync(await dl.path());
  await page
    .getByTestId("open-snapshot")
    .setInputFiles({ name: "shell.x86snap", mimeType: "application/octet-stream", buffer: file });
  // The restore itself takes well under a second here: its bar is checked from the recorded
  // states; the screenshots show the card while the kernel comes from the (slowed) server.
  const card = page.getByTestId("opening-card");
  await expect(card.getByTestId("opening-stage")).toHaveText(/^Downloading its image/, { timeout: 30_000 });
  await expect(card.getByTestId("opening-progress-bytes")).toHaveText(/ of /);
  await expect(page.getByTestId("snapshot-stages")).toContainText("Read ✓");
  await attachShots(page, info, "linux-opening", card);
  await expect(panel(page, "linux (2)")).toBeVisible({ timeout: 60_000 });
  const read = await barsAt(page, "read");
  const restore = await barsAt(page, "restore");
  expectFilled(read);
  expect(read[0][1]).toBe(file.length);
  expectFilled(restore, false);
  // The machine's state is more than the file: it was compressed.
  expect(restore[0][1]).toBeGreaterThan(file.length);
});
