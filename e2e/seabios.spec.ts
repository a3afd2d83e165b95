// SeaBIOS in the page (docs/firmware.md): the New VM form's firmware setting, FreeDOS booted
// through the server's SeaBIOS to A:\>, the panel naming the firmware, and a snapshot and a
// share link of that VM resuming with the same SeaBIOS (the page fetches it by SHA-256).
import { expect, test } from "@playwright/test";
import { openShell, panel, screenText, waitForScreen } from "./helpers.ts";

test("FreeDOS boots through SeaBIOS; its snapshot and share link resume with SeaBIOS", async ({ page }, info) => {
  test.setTimeout(180_000);
  await openShell(page);
  const firmware = page.getByTestId("firmware");
  const seabios = firmware.locator('option[value="seabios"]');
  await expect(seabios).toHaveText(/^SeaBIOS \d+\.\d+/);
  await expect(seabios).toBeEnabled();

  // A kernel file boots only with the built-in BIOS: the form says so and offers nothing else.
  await page.getByTestId("guest").selectOption("own");
  await page.getByTestId("own-kind").selectOption("linux");
  await expect(seabios).toBeDisabled();
  await expect(page.getByTestId("firmware-hint")).toContainText("loads no Linux kernel given as a file");
  await expect(firmware).toHaveValue("builtin");

  await page.getByTestId("guest").selectOption("freedos");
  await expect(seabios).toBeEnabled();
  await expect(page.getByTestId("firmware-hint")).toHaveCount(0);
  await firmware.selectOption("seabios");
  await page.getByTestId("new-name").fill("sea");
  const t0 = Date.now();
  await page.getByTestId("create").click();
  const sea = panel(page, "sea");
  await expect(sea).toBeVisible();
  await expect(sea.getByTestId("vm-firmware")).toHaveText("SeaBIOS");
  await waitForScreen(page, "sea", "A:\\>");
  info.annotations.push({ type: "boot", description: `SeaBIOS to A:\\> ${Date.now() - t0} ms after Create` });
  const text = await screenText(page, "sea");
  // SeaBIOS's own line, then FreeDOS's kernel, read back from the text screen.
  expect(text).toContain("Booting from Floppy...");
  expect(text).toMatch(/FreeDOS kernel - SVN/);
  expect(text.indexOf("Booting from Floppy...")).toBeLessThan(text.indexOf("FreeDOS kernel"));

  // Keys through SeaBIOS's keyboard services, the floppy read through its disk services.
  await sea.getByTestId("screen").click();
  await page.keyboard.type("dir");
  await page.keyboard.press("Enter");
  await waitForScreen(page, "sea", "bytes free");
  expect(await screenText(page, "sea")).toMatch(/COMMAND\s+COM\s+66,090/);
  await page.screenshot({ path: info.outputPath("seabios-freedos.png") });
  await sea.getByTestId("screen").screenshot({ path: info.outputPath("seabios-freedos-screen.png") });

  // A snapshot, resumed in a new VM: the page finds SeaBIOS in the catalog by SHA-256.
  const resumed = await page.evaluate(async () => {
    const bytes = await window.x86vm.vm("sea")!.snapshot();
    const vm = await window.x86vm.openSnapshot(bytes, { label: "sea.x86snap" });
    return { id: vm.id, firmware: vm.firmware() };
  });
  expect(resumed.firmware).toBe("SeaBIOS");
  await page.evaluate((id) => window.x86vm.vm(id)!.typeText("ver /r\r"), resumed.id);
  await waitForScreen(page, resumed.id, "FreeDOS kernel version");

  // A share link of it, opened: the same.
  const shared = await page.evaluate(async () => {
    const { id } = await window.x86vm.vm("sea")!.share();
    const vm = await window.x86vm.openShared(id);
    return { id: vm.id, firmware: vm.firmware() };
  });
  expect(shared.firmware).toBe("SeaBIOS");
  await page.evaluate((id) => window.x86vm.vm(id)!.typeText("echo shared\r"), shared.id);
  await waitForScreen(page, shared.id, "\nshared");
  await page.screenshot({ path: info.outputPath("seabios-resumed.png") });
});
