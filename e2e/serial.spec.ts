// COM1 end to end: the guest's bytes reach the page through the serial ring and show in the
// xterm console; keys typed into the console reach the guest's UART through the input ring.
// The console is the card's other view (behind the Screen tab here): what it holds must be
// drawn into its rows all the same, not only once it is shown.
import { expect, test } from "@playwright/test";
import { createFromFile, openShell, SERIAL_FLOPPY, SERIAL_TEXT } from "./helpers.ts";

test.use({ viewport: { width: 1400, height: 600 } });

test("COM1: guest output appears in the console, console input reaches the guest", async ({ page }, info) => {
  await openShell(page);
  const vm = await createFromFile(page, "com", { name: "serial.img", buffer: SERIAL_FLOPPY });
  // The user picks the Screen: the card stays there, the console hidden behind its tab.
  await vm.getByTestId("tab-screen").click();
  await expect(vm.getByTestId("tab-screen")).toHaveAttribute("aria-selected", "true");
  await expect.poll(() => vm.getByTestId("serial").or(vm.getByTestId("serial-none")).count()).toBe(1);
  expect(await vm.getByTestId("serial-none").count(), "the PC has COM1 (its first 16550 UART)").toBe(0);
  const term = vm.getByTestId("serial");
  const rows = term.locator(".xterm-rows");
  await expect(term, "the console is not the view shown").toBeHidden();

  // Written while the console is hidden: in its rows without showing it.
  const serial = () => page.evaluate(() => window.x86vm.vm("com")!.serialText());
  await expect.poll(serial).toContain(SERIAL_TEXT);
  await expect(rows).toContainText(SERIAL_TEXT);
  await page.evaluate(() => window.x86vm.vm("com")!.sendSerial("unseen"));
  await expect.poll(serial).toContain("UNSEEN");
  await expect(rows).toContainText("UNSEEN");
  await page.waitForTimeout(3000); // longer than the automatic switch would wait
  await expect(term).toBeHidden();
  await expect(vm.getByTestId("tab-screen")).toHaveAttribute("aria-selected", "true");

  // The Console tab shows it; typed into the terminal, the guest echoes in upper case.
  await vm.getByTestId("tab-console").click();
  await expect(term).toBeVisible();
  await term.click();
  await page.keyboard.type("hello");
  await expect.poll(serial).toContain("HELLO");
  await expect(rows).toContainText("HELLO");
  await page.screenshot({ path: info.outputPath("serial.png") });
});
