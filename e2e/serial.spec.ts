// COM1 end to end: the guest's bytes reach the page through the serial ring and show in the
// xterm console; keys typed into the console reach the guest's UART through the input ring.
// The console sits below the VM's screen, out of view in this short window: what it holds
// must be drawn into its rows all the same, not only once it is scrolled to.
import { expect, test } from "@playwright/test";
import { createFromFile, openShell, SERIAL_FLOPPY, SERIAL_TEXT } from "./helpers.ts";

test.use({ viewport: { width: 1400, height: 600 } });

test("COM1: guest output appears in the console, console input reaches the guest", async ({ page }, info) => {
  await openShell(page);
  const vm = await createFromFile(page, "com", { name: "serial.img", buffer: SERIAL_FLOPPY });
  await expect(vm.getByTestId("serial").or(vm.getByTestId("serial-none"))).toBeVisible();
  expect(await vm.getByTestId("serial-none").count(), "the PC has COM1 (its first 16550 UART)").toBe(0);
  const term = vm.getByTestId("serial");
  const rows = term.locator(".xterm-rows");
  await expect(term, "the console starts scrolled out of view").not.toBeInViewport();

  // Written while the console is out of view: in its rows without scrolling to it.
  const serial = () => page.evaluate(() => window.x86vm.vm("com")!.serialText());
  await expect.poll(serial).toContain(SERIAL_TEXT);
  await expect(rows).toContainText(SERIAL_TEXT);
  await page.evaluate(() => window.x86vm.vm("com")!.sendSerial("unseen"));
  await expect.poll(serial).toContain("UNSEEN");
  await expect(rows).toContainText("UNSEEN");
  await expect(term).not.toBeInViewport();

  // Typed into the terminal (the click scrolls it into view): the guest echoes it in upper case.
  await term.click();
  await expect(term).toBeInViewport();
  await page.keyboard.type("hello");
  await expect.poll(serial).toContain("HELLO");
  await expect(rows).toContainText("HELLO");
  await page.screenshot({ path: info.outputPath("serial.png") });
});
