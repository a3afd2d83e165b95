// A card's screen at the size the window gives it: whole multiples of the guest's pixels by
// default (crisp), "fit" on request, and fullscreen; the card's controls on one row of icon
// buttons at every width. Screenshots at 800, 1366 and 1920 px wide are attached to the report.
import { expect, test, type Locator } from "@playwright/test";
import { attachShots, createFromCatalog, openShell, WIDTHS, waitForScreen } from "./helpers.ts";

/** The stage's size on the page, and the canvas's drawn size per guest pixel. */
async function screenBox(card: Locator): Promise<{ width: number; height: number; perPixel: number }> {
  return card.getByTestId("screen").evaluate((c: HTMLCanvasElement) => {
    const r = c.getBoundingClientRect();
    return { width: r.width, height: r.height, perPixel: r.width / c.width };
  });
}

test("the screen scales by whole factors to the window, fits on request, and goes fullscreen", async ({
  page,
}, info) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1920, height: 1000 });
  await page.addInitScript(() => localStorage.removeItem("x86vm.scale"));
  await openShell(page);
  const dos = await createFromCatalog(page, "freedos", "dos");
  await waitForScreen(page, "dos", "A:\\>");
  const stage = dos.getByTestId("vm-stage");
  await expect(stage).toHaveAttribute("data-scale", "crisp");
  await expect(dos.getByTestId("screen")).toHaveCSS("image-rendering", "pixelated");

  // 1920 wide: the 720x400 text screen at twice its size, far more than the old ~620 px.
  await expect(stage).toHaveAttribute("data-factor", "2");
  let box = await screenBox(dos);
  expect(box.perPixel).toBe(2);
  expect(box.width).toBeGreaterThanOrEqual(1400);
  // All of it fits in the window once the card is scrolled to its top.
  await dos.evaluate((el) => el.scrollIntoView({ block: "start" }));
  const canvasBottom = (await dos.getByTestId("screen").boundingBox())!;
  expect(canvasBottom.y + canvasBottom.height).toBeLessThanOrEqual(1000);

  // 800 wide: the card is narrower than twice the picture: once, whole, inside the card.
  await page.setViewportSize({ width: 800, height: 1000 });
  await expect(stage).toHaveAttribute("data-factor", "1");
  box = await screenBox(dos);
  expect(box.perPixel).toBe(1);
  const card = (await dos.boundingBox())!;
  expect(box.width).toBeLessThanOrEqual(card.width);

  // Fit: a 4:3 picture as wide as the card allows (no longer whole factors).
  await dos.getByTestId("scale-mode").click();
  await expect(stage).toHaveAttribute("data-scale", "fit");
  await expect(dos.getByTestId("scale-mode")).toHaveAttribute("aria-pressed", "true");
  await expect(dos.getByTestId("screen")).not.toHaveCSS("image-rendering", "pixelated");
  await expect.poll(async () => (await screenBox(dos)).width).toBeGreaterThan(card.width - 40);
  box = await screenBox(dos);
  expect(Math.abs(box.width / box.height - 4 / 3)).toBeLessThan(0.01);
  // The choice is remembered by the browser.
  expect(await page.evaluate(() => localStorage.getItem("x86vm.scale"))).toBe("fit");
  await dos.getByTestId("scale-mode").click();
  await expect(stage).toHaveAttribute("data-scale", "crisp");

  // Fullscreen: the stage alone on the display, the screen scaled to it; Esc leaves.
  await page.setViewportSize({ width: 1366, height: 1000 });
  await expect(stage).toHaveAttribute("data-factor", "1");
  await dos.getByTestId("fullscreen").click();
  await expect
    .poll(() => page.evaluate(() => document.fullscreenElement?.getAttribute("data-testid")))
    .toBe("vm-stage");
  const full = (await stage.boundingBox())!;
  expect(full.width).toBe(1366);
  expect(full.height).toBe(1000);
  await expect(stage).toHaveAttribute("data-factor", "1"); // 1366 / 720 < 2
  const fullShot = info.outputPath("fullscreen-1366.png");
  await page.screenshot({ path: fullShot });
  await info.attach("fullscreen-1366", { path: fullShot, contentType: "image/png" });
  // The screen keeps the keyboard in fullscreen.
  await expect(dos.getByTestId("screen")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect.poll(() => page.evaluate(() => document.fullscreenElement), { timeout: 5000 }).toBeNull();
  await expect(stage).not.toHaveAttribute("style", /^$/);
  await expect.poll(async () => (await stage.boundingBox())!.height).toBeLessThan(500);

  await attachShots(page, info, "dos-crisp", dos);
});

test("the card's controls are one row of named icon buttons, reached with Tab and a visible ring", async ({
  page,
}, info) => {
  test.setTimeout(120_000);
  await openShell(page);
  const dos = await createFromCatalog(page, "freedos", "dos");
  await waitForScreen(page, "dos", "A:\\>");
  const toolbar = dos.getByTestId("toolbar");
  const buttons = toolbar.locator("button");
  expect(await buttons.count()).toBeGreaterThanOrEqual(9);
  // Every control has a name for screen readers and a tooltip; the icons are symbols, not words.
  for (const b of [...(await buttons.all()), toolbar.locator("label.button-like")]) {
    expect(
      await b.evaluate((el) => el.getAttribute("aria-label") ?? el.querySelector("input")?.ariaLabel),
    ).toBeTruthy();
    expect(await b.getAttribute("title")).toBeTruthy();
    expect((await b.innerText()).trim()).toBe("");
    expect(await b.locator("svg").count()).toBe(1);
  }
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 1000 });
    // One row: every control's middle on the same line, and the row no taller than a button.
    const tops = await toolbar.evaluate((el) =>
      Array.from(el.children)
        .filter((c) => !c.classList.contains("sep"))
        .map((c) => {
          const r = c.getBoundingClientRect();
          return Math.round(r.top + r.height / 2);
        }),
    );
    expect(new Set(tops).size, `controls on more than one line at ${width} px: ${tops.join(",")}`).toBe(1);
    expect((await toolbar.boundingBox())!.height).toBeLessThanOrEqual(36);
  }

  // Keyboard: Tab moves from one control to the next, each with a focus ring.
  await toolbar.getByRole("button", { name: "Pause", exact: true }).focus();
  await page.keyboard.press("Tab");
  const reset = toolbar.getByRole("button", { name: "Reset" });
  await expect(reset).toBeFocused();
  await expect(reset).toHaveCSS("outline-style", "solid");
  await expect(reset).toHaveCSS("outline-width", "2px");
  await page.keyboard.press("Tab");
  await expect(toolbar.getByRole("button", { name: "Ctrl+Alt+Del" })).toBeFocused();
  // And the buttons work: Pause turns into Resume.
  await toolbar.getByRole("button", { name: "Pause", exact: true }).click();
  await expect(dos.getByTestId("vm-state")).toHaveText("Paused — click to resume");
  await expect(toolbar.getByRole("button", { name: "Resume", exact: true })).toBeVisible();
  await toolbar.getByRole("button", { name: "Resume", exact: true }).click();
  await expect(dos.getByTestId("vm-state")).toHaveText("Running");
  await attachShots(page, info, "toolbar", dos);

  // Two VMs on a 1920 px window: side by side, each screen at its own size (never shrunk below
  // it, which would make text unreadable), each card's controls still on one row.
  const dos2 = await createFromCatalog(page, "freedos", "dos2");
  await waitForScreen(page, "dos2", "A:\\>");
  await page.setViewportSize({ width: 1920, height: 1000 });
  const a = (await dos.boundingBox())!,
    b = (await dos2.boundingBox())!;
  expect(b.y).toBe(a.y);
  for (const card of [dos, dos2]) {
    await expect(card.getByTestId("vm-stage")).toHaveAttribute("data-factor", "1");
    await expect(card.getByTestId("vm-stage")).toHaveClass(/pixelated/);
    expect((await card.getByTestId("toolbar").boundingBox())!.height).toBeLessThanOrEqual(36);
  }
  // At 1366 px they stack, each as wide as the window allows.
  await page.setViewportSize({ width: 1366, height: 1000 });
  await expect.poll(async () => (await dos2.boundingBox())!.y).toBeGreaterThan((await dos.boundingBox())!.y + 100);
  await attachShots(page, info, "two-vms", dos);
});
