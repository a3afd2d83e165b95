// The examples of docs/testing.md, checked: examples/ (built with nasm by examples/build.ts)
// booted through the fixture as a user's CI would: the boot sector (text, keys, then a
// graphics mode), and the DOS program run from a FreeDOS floppy.

import { buildExamples, type ExampleImages } from "../../../examples/build.ts";
import { expect, test } from "@x86vm/testing";

let images: ExampleImages;
test.beforeAll(() => {
  images = buildExamples();
});

test("the boot sector greets, echoes keys and draws in graphics mode", async ({ vm }) => {
  await vm.boot({ fda: images.bootSector });
  await vm.waitForText("Hello from a boot sector!");
  await vm.type("hi{Enter}there");
  await vm.waitForText(/^> hi\n> there$/m, { on: "screen" });
  await vm.press("Esc");
  // Mode 13h: no text screen any more; the picture is the colour bars.
  await expect.poll(() => vm.screenText(), { timeout: 10_000 }).toBe("");
  const png = await vm.screenshot();
  expect(png.length).toBeGreaterThan(1000);
});

test("the DOS program asks for a name and answers", async ({ vm }) => {
  expect(images.dosFloppy, "a FreeDOS floppy (../shared/guests or pnpm images)").not.toBeNull();
  await vm.boot({ fda: images.dosFloppy! });
  await vm.waitForText("A:\\>", { timeout: 60_000 });
  await vm.type("HELLO{Enter}");
  await vm.waitForText("What is your name?");
  await vm.type("Ada{Enter}");
  await vm.waitForText("Nice to meet you, Ada.");
  await vm.waitForText(/Ada\.\n\nA:\\>|Ada\.\nA:\\>/);
});
