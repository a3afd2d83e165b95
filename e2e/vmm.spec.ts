// The VMM: several VMs at once, each in its own worker; pause, CPU share caps, destroy, the
// memory budget, and failures that stay inside their own panel.
import { expect, test } from "@playwright/test";
import {
  createFromCatalog,
  createFromFile,
  instructions,
  measureMips,
  openShell,
  panel,
  SPIN_FLOPPY,
  SPIN_TEXT,
  TRIPLE_FAULT_FLOPPY,
  waitForScreen,
} from "./helpers.ts";

test("two VMs: pausing one stops its instructions while the other's grow; destroying one leaves the other running", async ({
  page,
}, info) => {
  await openShell(page);
  const a = await createFromFile(page, "a", { name: "spin.img", buffer: SPIN_FLOPPY });
  const b = await createFromFile(page, "b", { name: "spin.img", buffer: SPIN_FLOPPY });
  await waitForScreen(page, "a", SPIN_TEXT);
  await waitForScreen(page, "b", SPIN_TEXT);

  await a.getByRole("button", { name: "Pause" }).click();
  await expect(a.getByTestId("vm-state")).toHaveText("Paused — click to resume");
  const a1 = await instructions(page, "a"),
    b1 = await instructions(page, "b");
  await page.waitForTimeout(1500);
  const a2 = await instructions(page, "a"),
    b2 = await instructions(page, "b");
  expect(a2).toBe(a1);
  expect(b2 - b1).toBeGreaterThan(5e6);

  await a.getByRole("button", { name: "Resume", exact: true }).click();
  await expect(a.getByTestId("vm-state")).toHaveText("Running");
  await expect.poll(() => instructions(page, "a")).toBeGreaterThan(a2 + 5e6);

  const usedBefore = await page.evaluate(() => window.x86vm.budget().usedBytes);
  await b.getByTestId("destroy").click();
  await expect(panel(page, "b")).toHaveCount(0);
  expect(await page.evaluate(() => window.x86vm.vms.map((v) => v.name))).toEqual(["a"]);
  expect(await page.evaluate(() => window.x86vm.budget().usedBytes)).toBeLessThan(usedBefore);
  const a3 = await instructions(page, "a");
  await expect.poll(() => instructions(page, "a")).toBeGreaterThan(a3 + 5e6);
  await page.screenshot({ path: info.outputPath("two-vms.png") });
});

test("a 25% CPU share lowers the VM's MIPS to about a quarter", async ({ page }, info) => {
  await openShell(page);
  const s = await createFromFile(page, "spin", { name: "spin.img", buffer: SPIN_FLOPPY });
  await waitForScreen(page, "spin", SPIN_TEXT);
  await page.waitForTimeout(500);
  const full = await measureMips(page, "spin", 3000);

  await s.getByTestId("cpu-share").fill("25");
  await s.getByTestId("cpu-share").press("Enter");
  await expect.poll(() => page.evaluate(() => window.x86vm.vm("spin")!.stats().cpuShare)).toBe(25);
  await page.waitForTimeout(500);
  const busy0 = await page.evaluate(() => window.x86vm.vm("spin")!.stats().busyMs);
  const t0 = Date.now();
  const quarter = await measureMips(page, "spin", 3000);
  const cpu = ((await page.evaluate(() => window.x86vm.vm("spin")!.stats().busyMs)) - busy0) / (Date.now() - t0);
  const ratio = quarter / full;
  const line = `spin loop: ${full.toFixed(1)} MIPS at 100%, ${quarter.toFixed(1)} MIPS at 25% (ratio ${ratio.toFixed(2)}, CPU use ${(cpu * 100).toFixed(0)}%)`;
  console.log(line);
  info.annotations.push({ type: "share", description: line });
  expect(full).toBeGreaterThan(1);
  // The cap itself: the worker spent about a quarter of the time running the guest.
  expect(cpu).toBeGreaterThan(0.15);
  expect(cpu).toBeLessThan(0.35);
  // MIPS follow, 0.25 in theory; the bounds leave room for a busy 2-core host.
  expect(ratio).toBeGreaterThan(0.06);
  expect(ratio).toBeLessThan(0.5);

  // Back to 100%: the speed comes back.
  await s.getByTestId("cpu-share").fill("100");
  await s.getByTestId("cpu-share").press("Enter");
  await page.waitForTimeout(1200);
  expect(await measureMips(page, "spin", 2000)).toBeGreaterThan(quarter * 1.5);
});

test("a VM beyond the memory budget is refused with a message and nothing is created", async ({ page }, info) => {
  await openShell(page);
  await page.getByTestId("budget").fill("256");
  await page.getByTestId("budget").press("Enter");
  await expect(page.getByTestId("budget-used")).toContainText("of 256 MiB");

  await page.getByTestId("guest").selectOption("freedos");
  await page.getByTestId("new-name").fill("too-big");
  await page.getByTestId("new-memory").fill("512");
  await page.getByTestId("create").click();
  const alert = page.getByTestId("create-error");
  await expect(alert).toContainText("Refused: Not enough memory in the host budget");
  await expect(alert).toContainText("256 MiB budget");
  await expect(page.getByTestId("vm-panel")).toHaveCount(0);
  expect(await page.evaluate(() => window.x86vm.vms.length)).toBe(0);
  expect(await page.evaluate(() => window.x86vm.budget().usedBytes)).toBe(0);
  await page.screenshot({ path: info.outputPath("refused.png") });

  // What fits is still created.
  await page.getByTestId("new-name").fill("fits");
  await page.getByTestId("new-memory").fill("32");
  await page.getByTestId("create").click();
  const fits = panel(page, "fits");
  await expect(fits).toBeVisible();
  await expect(page.getByTestId("create-error")).toHaveCount(0);
  await waitForScreen(page, "fits", "A:\\>");

  // Growing it past the budget is refused too, and the VM runs on with what it had.
  await fits.getByTestId("vm-memory").fill("300");
  await fits.getByTestId("vm-resize").click();
  await expect(fits.getByTestId("vm-action-error")).toContainText(
    'Not enough memory in the host budget for "fits" to grow by 268 MiB',
  );
  expect(await page.evaluate(() => window.x86vm.vm("fits")!.memoryMiB())).toBe(32);
  const i = await instructions(page, "fits");
  await expect.poll(() => instructions(page, "fits")).toBeGreaterThan(i);
  await page.screenshot({ path: info.outputPath("resize-refused.png") });

  // A resize that fits restarts the VM with the new memory.
  await fits.getByTestId("vm-memory").fill("64");
  await fits.getByTestId("vm-resize").click();
  await expect.poll(() => page.evaluate(() => window.x86vm.vm("fits")!.memoryMiB())).toBe(64);
  await waitForScreen(page, "fits", "A:\\>");
  expect(await page.evaluate(() => window.x86vm.budget().usedBytes)).toBeGreaterThan(64 * 1024 * 1024);
});

test("four VMs at once; failing VMs show their error in their own panel while the others run on", async ({
  page,
}, info) => {
  await openShell(page);
  await createFromCatalog(page, "freedos", "dos-1");
  await createFromCatalog(page, "freedos", "dos-2");
  await createFromFile(page, "spin", { name: "spin.img", buffer: SPIN_FLOPPY });
  const tf = await createFromFile(page, "triple-fault", { name: "triple.img", buffer: TRIPLE_FAULT_FLOPPY });
  const bad = await createFromFile(page, "bad-image", { name: "broken.img", buffer: Buffer.alloc(1000, 0x90) }, {});

  await expect(tf.getByTestId("vm-error")).toContainText("triple fault");
  await expect(tf.getByTestId("vm-state")).toHaveText("Stopped: the guest crashed (triple fault)");
  await expect(bad.getByTestId("vm-error")).toContainText("broken.img");
  await expect(bad.getByTestId("vm-state")).toHaveText("Stopped: this image cannot be started");

  await waitForScreen(page, "dos-1", "A:\\>");
  await waitForScreen(page, "dos-2", "A:\\>");
  await waitForScreen(page, "spin", SPIN_TEXT);
  for (const n of ["dos-1", "dos-2", "spin"]) {
    const i = await instructions(page, n);
    await expect.poll(() => instructions(page, n), { message: `${n} keeps running` }).toBeGreaterThan(i);
  }
  await page.screenshot({ path: info.outputPath("five-vms.png"), fullPage: true });

  // Reset power-cycles the failed VM: it fails the same way again, and the others are untouched.
  await tf.getByRole("button", { name: "Reset" }).click();
  await expect(tf.getByTestId("vm-error")).toContainText("triple fault");
  await tf.getByTestId("destroy").click();
  await bad.getByTestId("destroy").click();
  await expect(page.getByTestId("vm-panel")).toHaveCount(3);
});
