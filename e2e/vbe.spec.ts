// A VESA mode on the page: a boot floppy (examples/boot-sector/vbe.asm) finds 800x600 at 32
// bits a pixel in the BIOS's VBE mode list, sets it with the linear framebuffer and fills it
// with a pattern; the VM's canvas takes the mode's size and shows the pattern pixel for pixel.
// The screenshot is saved in the test's output and, for a look by hand, as
// $VBE_SHOTS/vbe-page.png and vbe-screen.png (default /tmp/vbe).
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { buildExamples } from "../examples/build.ts";
import { createFromFile, openShell } from "./helpers.ts";

/** The colour vbe.asm draws at (x, y) of its 800x600 picture, as [r, g, b]. */
function expected(x: number, y: number): [number, number, number] {
  if (x === 0 || y === 0 || x === 799 || y === 599) return [255, 255, 255];
  return [x & 0xff, y & 0xff, (x ^ y) & 0x40 ? 0xff : 0x40];
}

test("a guest's VBE mode (800x600x32 through the LFB) is what the page's screen shows", async ({ page }, info) => {
  const images = buildExamples();
  await openShell(page);
  const vm = await createFromFile(
    page,
    "vbe",
    { name: "vbe-boot.img", buffer: fs.readFileSync(images.vbeBootSector) },
    { memoryMiB: 16 },
  );
  const canvas = vm.getByTestId("screen");
  const size = () => canvas.evaluate((c: HTMLCanvasElement) => `${c.width}x${c.height}`);
  await expect.poll(size, { timeout: 60_000 }).toBe("800x600");

  // Sample points across the picture: the frame, the corners, the checks and the gradients.
  const points: [number, number][] = [
    [0, 0],
    [799, 599],
    [400, 0],
    [0, 300],
    [1, 1],
    [63, 1],
    [64, 1],
    [200, 100],
    [255, 255],
    [256, 256],
    [511, 300],
    [798, 598],
    [640, 480],
  ];
  const read = () =>
    canvas.evaluate((c: HTMLCanvasElement, pts) => {
      const ctx = c.getContext("2d")!;
      return pts.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)));
    }, points);
  // The pattern is drawn once after the mode is set: wait for a frame with all of it.
  await expect.poll(read, { timeout: 30_000 }).toEqual(points.map(([x, y]) => expected(x, y)));

  // Every pixel of the picture, compared in the page.
  const wrong = await canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext("2d")!.getImageData(0, 0, 800, 600).data;
    let bad = 0;
    for (let y = 0; y < 600; y++) {
      for (let x = 0; x < 800; x++) {
        const i = (y * 800 + x) * 4;
        const frame = x === 0 || y === 0 || x === 799 || y === 599;
        const r = frame ? 255 : x & 0xff;
        const g = frame ? 255 : y & 0xff;
        const b = frame ? 255 : (x ^ y) & 0x40 ? 0xff : 0x40;
        if (d[i] !== r || d[i + 1] !== g || d[i + 2] !== b || d[i + 3] !== 255) bad++;
      }
    }
    return bad;
  });
  expect(wrong).toBe(0);
  // Graphics mode: no text screen.
  expect(await page.evaluate(() => window.x86vm.vm("vbe")!.screenText())).toBeNull();

  const dir = process.env.VBE_SHOTS ?? "/tmp/vbe";
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, shoot] of [
    ["vbe-page.png", (p: string) => page.screenshot({ path: p })],
    ["vbe-screen.png", (p: string) => canvas.screenshot({ path: p })],
  ] as const) {
    const out = info.outputPath(name);
    await shoot(out);
    fs.copyFileSync(out, path.join(dir, name));
    await info.attach(name, { path: out, contentType: "image/png" });
  }
});
