// The New VM form's network card: a Linux VM made through the form with the card "virtio-net"
// on the LAN has that card (the VM card says so, the worker's machine has it), Linux binds
// virtio_net to eth0, and the guest's DHCP gets 10.0.2.15 from the LAN's gateway.
//
// Needs the Linux guest (pnpm images) on the server, as linux.spec.ts.
import { expect, test } from "@playwright/test";
import { openShell, panel, serial, waitForSerial as waitFor } from "./helpers.ts";

test("a Linux VM made with the virtio-net card gets its address on the LAN", async ({ page }, info) => {
  test.setTimeout(360_000);
  await openShell(page);
  const form = page.getByRole("region", { name: "New VM" });
  const card = page.getByTestId("new-nic");
  // No network, no card to choose.
  await expect(card).toBeDisabled();
  await page.getByTestId("guest").selectOption("linux");
  await page.getByTestId("new-name").fill("vnet");
  await page.getByTestId("new-memory").fill("64");
  await page.getByTestId("new-net").selectOption("lan");
  await expect(card).toBeEnabled();
  await expect(card).toHaveValue("ne2k-pci"); // the default, as before the choice existed
  await expect(card.locator("option")).toHaveText(["NE2000 PCI", "NE2000 ISA", "virtio-net", "None"]);
  await card.selectOption("ne2k-isa");
  await expect(page.getByTestId("nic-hint")).toContainText("300h, IRQ 10");
  await card.selectOption("virtio");
  await expect(page.getByTestId("nic-hint")).toHaveCount(0);
  const shot = info.outputPath("new-vm-form.png");
  await form.screenshot({ path: shot });
  await info.attach("new-vm-form", { path: shot, contentType: "image/png" });
  await page.getByTestId("create").click();

  const vm = panel(page, "vnet");
  await expect(vm.getByTestId("vm-nic")).toHaveText("virtio-net");
  const m = await waitFor(page, "vnet", /NET-OK eth0 (10\.0\.2\.\d+) router 10\.0\.2\.2/, 0, 300_000);
  expect(m[1]).toBe("10.0.2.15");
  await waitFor(page, "vnet", /BOOT-OK[\s\S]*# /, 0, 60_000);
  // The worker's machine has the card (its details), and eth0 is virtio_net's, with the lease.
  await expect(vm.getByTestId("vm-nic")).toHaveAttribute("data-nic", "virtio");
  const from = (await serial(page, "vnet")).length;
  await page.evaluate(() =>
    window.x86vm
      .vm("vnet")!
      .sendSerial(
        "echo DRIVER=$(basename $(readlink /sys/class/net/eth0/device/driver)); ifconfig eth0; echo DONE-NIC\n",
      ),
  );
  const out = (await waitFor(page, "vnet", /([\s\S]*)\nDONE-NIC/, from, 30_000))[1];
  expect(out).toMatch(/DRIVER=virtio_net\r?\n/);
  expect(out).toMatch(/inet addr:10\.0\.2\.15 .*Mask:255\.255\.255\.0/);
  const lan = await page.evaluate(() => window.x86vm.lan());
  expect(lan.find((p) => p.name === "vnet")?.ip).toBe("10.0.2.15");
});
