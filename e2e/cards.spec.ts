// A VM's card, as a new user meets it: the main view (Screen or COM1 Console, by tabs) and
// which one a guest opens on, the keyboard going to a new VM at once, the "Click to type" and
// pause overlays, the state in plain words and a failure explained at the top of the card (a
// crash; a disk that is not bootable). An accessibility scan (axe-core) of each of those states.
// Screenshots of the page at 800, 1366 and 1920 px wide go to test-results/. Linux's card (it
// opens on its console) is checked in linux.spec.ts, on that file's one Linux boot.
import crypto from "node:crypto";
import { expect, test, type Locator } from "@playwright/test";
import {
  createFromCatalog,
  createFromFile,
  openShell,
  SERIAL_FLOPPY,
  seriousViolations,
  SPIN_FLOPPY,
  SPIN_TEXT,
  TRIPLE_FAULT_FLOPPY,
  waitForScreen,
  attachShots,
} from "./helpers.ts";

async function expectView(card: Locator, view: "screen" | "console"): Promise<void> {
  const other = view === "screen" ? "console" : "screen";
  await expect(card.getByTestId(`tab-${view}`)).toHaveAttribute("aria-selected", "true");
  await expect(card.getByTestId(`tab-${other}`)).toHaveAttribute("aria-selected", "false");
  await expect(card.getByTestId("vm-stage")).toHaveAttribute("data-view", view);
}

test("FreeDOS opens on its screen with the keyboard; Click to type, pause overlay, a failure in plain words", async ({
  page,
}, info) => {
  test.setTimeout(180_000);
  await openShell(page);
  const dos = await createFromCatalog(page, "freedos", "dos");
  await expectView(dos, "screen");
  await expect(dos.getByTestId("screen")).toBeVisible();
  await expect(dos.getByTestId("screen")).toBeFocused();
  await expect(dos.getByTestId("focus-overlay")).toHaveCount(0);
  await waitForScreen(page, "dos", "A:\\>");
  await expect(dos.getByTestId("vm-state")).toHaveText("Running");
  // Typed without a click: the new VM's screen has the keyboard.
  await page.keyboard.type("echo typed");
  await page.keyboard.press("Enter");
  await waitForScreen(page, "dos", "\ntyped");

  // Focus elsewhere: the card says "Click to type"; a click on the screen gives it the keys.
  await page.getByRole("heading", { name: "x86vm" }).click();
  await expect(dos.getByTestId("focus-overlay")).toHaveText("Click to type");
  await expect(dos.getByTestId("focus-overlay")).toBeVisible();
  await dos.getByTestId("screen").click();
  await expect(dos.getByTestId("screen")).toBeFocused();
  await expect(dos.getByTestId("focus-overlay")).toHaveCount(0);

  // Paused: the state and the overlay say so; keys typed meanwhile are counted, not lost silently.
  await dos.getByRole("button", { name: "Pause", exact: true }).click();
  await expect(dos.getByTestId("vm-state")).toHaveText("Paused — click to resume");
  const overlay = dos.getByTestId("pause-overlay");
  await expect(overlay).toBeVisible();
  await expect(overlay).toContainText("Paused — click to resume");
  await expect(overlay).toContainText("Keys typed while paused are not sent to the guest");
  const before = await page.evaluate(() => window.x86vm.vm("dos")!.screenText());
  await dos.getByTestId("screen").focus();
  await page.keyboard.type("abc");
  await expect(dos.getByTestId("unsent-keys")).toHaveText("3 keys typed while paused were not sent to the guest");
  expect(await seriousViolations(page)).toEqual([]);
  await attachShots(page, info, "dos-paused");
  await overlay.click();
  await expect(dos.getByTestId("vm-state")).toHaveText("Running");
  await expect(overlay).toHaveCount(0);
  await expect(dos.getByTestId("screen")).toBeFocused();
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => window.x86vm.vm("dos")!.screenText())).toBe(before);

  // A guest that talks on COM1 while its screen stays still: the card moves to its Console.
  const com = await createFromFile(page, "com", { name: "serial.img", buffer: SERIAL_FLOPPY });
  await expectView(com, "screen");
  await expect(com.getByTestId("tab-console")).toHaveAttribute("aria-selected", "true", { timeout: 15_000 });
  await expect(com.getByTestId("serial")).toBeVisible();
  await expect(com.getByTestId("serial").locator(".xterm-rows")).toContainText("x86vm serial test");
  // Once the user chose a view, it stays.
  await com.getByTestId("tab-screen").click();
  await page.evaluate(() => window.x86vm.vm("com")!.sendSerial("more"));
  await page.waitForTimeout(3000);
  await expectView(com, "screen");

  // A failed VM: the reason in plain words at the top, the detail behind "Details", the stale
  // screen dimmed.
  const tf = await createFromFile(page, "triple-fault", { name: "triple.img", buffer: TRIPLE_FAULT_FLOPPY });
  await expect(tf.getByTestId("vm-state")).toHaveText(/^Stopped: the guest crashed/);
  const error = tf.getByTestId("vm-error");
  await expect(error).toContainText("This VM stopped: the guest crashed");
  const detail = tf.getByTestId("vm-error-detail");
  await expect(detail).toBeHidden();
  await error.getByText("Details", { exact: true }).click();
  await expect(detail).toBeVisible();
  await expect(detail).toContainText("triple fault");
  await expect(tf.getByTestId("vm-stage")).toHaveClass(/dimmed/);
  await expect(tf.getByTestId("focus-overlay")).toHaveCount(0);
  const errorTop = (await error.boundingBox())!.y,
    stageTop = (await tf.getByTestId("vm-stage").boundingBox())!.y;
  expect(errorTop).toBeLessThan(stageTop);

  // A floppy of random bytes (no boot signature): stopped, and it says why in plain words, not
  // "Running" over a blank screen; nothing is offered that a stopped VM cannot do.
  const noise = crypto.randomBytes(1474560);
  noise[511] = 0;
  const rnd = await createFromFile(page, "random", { name: "random.img", buffer: noise });
  await expect(rnd.getByTestId("vm-state")).toHaveText("Stopped: the disk is not bootable");
  await expect(rnd.getByTestId("vm-error")).toContainText("This VM stopped: the disk is not bootable.");
  await expect(rnd.getByTestId("stopped-overlay")).toBeVisible();
  await rnd.getByTestId("vm-error").getByText("Details", { exact: true }).click();
  await expect(rnd.getByTestId("vm-error-detail")).toContainText("no boot signature");
  await expect(rnd.getByTestId("embed-images")).toHaveCount(0);
  await expect(rnd.getByTestId("snapshot")).toBeDisabled();
  expect(await seriousViolations(page)).toEqual([]);
  await attachShots(page, info, "cards");
  // What to do is said too, and works: another floppy in A:, then Reset, and the VM runs.
  await expect(rnd.getByTestId("vm-error")).toContainText(
    "Insert a bootable floppy with the floppy button, then Reset",
  );
  await rnd
    .getByTestId("insert-fda")
    .setInputFiles({ name: "spin.img", mimeType: "application/octet-stream", buffer: SPIN_FLOPPY });
  await rnd.getByRole("button", { name: "Reset" }).click();
  await waitForScreen(page, "random", SPIN_TEXT);
  await expect(rnd.getByTestId("vm-state")).toHaveText("Running");
  await expect(rnd.getByTestId("vm-error")).toHaveCount(0);
});
