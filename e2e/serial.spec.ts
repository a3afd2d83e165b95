// COM1 end to end: the guest's bytes reach the page through the serial ring and show in the
// xterm console; keys typed into the console reach the guest's UART through the input ring.
import { expect, test } from "@playwright/test";
import { createFromFile, openShell, SERIAL_FLOPPY, SERIAL_TEXT } from "./helpers.ts";

test("COM1: guest output appears in the console, console input reaches the guest", async ({ page }, info) => {
  await openShell(page);
  const vm = await createFromFile(page, "com", { name: "serial.img", buffer: SERIAL_FLOPPY });
  await expect(vm.getByTestId("serial").or(vm.getByTestId("serial-none"))).toBeVisible();
  expect(await vm.getByTestId("serial-none").count(), "the PC has COM1 (its first 16550 UART)").toBe(0);

  const serial = () => page.evaluate(() => window.x86vm.vm("com")!.serialText());
  await expect.poll(serial).toContain(SERIAL_TEXT);
  const term = vm.getByTestId("serial");
  await expect(term.locator(".xterm-rows")).toContainText(SERIAL_TEXT);

  // Typed into the terminal: the guest echoes it in upper case.
  await term.click();
  await page.keyboard.type("hello");
  await expect.poll(serial).toContain("HELLO");
  await expect(term.locator(".xterm-rows")).toContainText("HELLO");
  await page.screenshot({ path: info.outputPath("serial.png") });
});
