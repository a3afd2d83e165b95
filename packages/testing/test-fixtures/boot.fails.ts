// Must fail: boots the echo floppy (X86VM_TEST_IMAGE), sees it ready, then waits for text
// that never comes: with a short wait, and past the test's own timeout. test/fixture.spec.ts
// checks the report they leave.
import { test } from "@x86vm/testing";

test("waits for text that never appears", async ({ vm }) => {
  await vm.boot({ fda: process.env.X86VM_TEST_IMAGE! });
  await vm.waitForText("x86vm testing ready");
  await vm.type("abc");
  await vm.waitForText("> abc", { on: "screen" });
  await vm.waitForText("this never appears", { timeout: 1500 });
});

test("runs out of time", async ({ vm }) => {
  test.setTimeout(4000);
  await vm.boot({ fda: process.env.X86VM_TEST_IMAGE! });
  await vm.waitForText("x86vm testing ready");
  await vm.waitForText("this never appears either", { timeout: 60_000 });
});
