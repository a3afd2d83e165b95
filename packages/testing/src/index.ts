// @x86vm/testing: a Playwright fixture that boots your own disk images in the x86vm page.
//
//   import { test, expect } from "@x86vm/testing";
//   test("boots", async ({ vm }) => {
//     await vm.boot({ fda: "my.img" });
//     await vm.waitForText("A:\\>");
//     await vm.type("mytool{Enter}");
//     await vm.waitForText("OK");
//   });
//
// The app server: X86VM_URL, or this repository's server started once per worker (built first
// if the build is missing or stale). The browser: Chromium (CHROMIUM, else /usr/bin/chromium
// when it exists, else Playwright's own). When a test fails, its report gets the VM's screen
// (screen.png), text screen (screen.txt), COM1 output (serial.txt) and a snapshot with the
// images inside (vm.x86snap: open it in the page, or `vm resume vm.x86snap`). See
// docs/testing.md.

import fs from "node:fs";
import { test as base, type LaunchOptions, type TestInfo } from "@playwright/test";
import { startAppServer } from "./server.ts";
import { X86Vm } from "./vm.ts";

export { expect } from "@playwright/test";
export { X86Vm, splitTyping, type BootOptions, type ImageSource, type TextSource, type WaitOptions } from "./vm.ts";
export { startAppServer, type AppServer } from "./server.ts";

/** The fixture's settings (test.use({ x86vm: { ... } })). */
export interface X86VmOptions {
  /** The clock new VMs get unless boot() says otherwise (default "deterministic"). */
  clock: "deterministic" | "realtime";
  /** waitForText's default timeout in ms (default 30 000). */
  timeout: number;
  /** Attach screen, text screen, COM1 and a snapshot when a test fails (default true). */
  attachOnFailure: boolean;
}

/** The content type of the snapshot attachment. */
export const SNAPSHOT_CONTENT_TYPE = "application/vnd.x86vm.snapshot";

/** Extra time a failed test gets to collect its attachments. */
const ATTACH_TIME_MS = 60_000;

const DEFAULTS: X86VmOptions = { clock: "deterministic", timeout: 30_000, attachOnFailure: true };

function chromium(): string | undefined {
  const p = process.env.CHROMIUM ?? "/usr/bin/chromium";
  return fs.existsSync(p) ? p : undefined;
}

/** What the report gets when a test with a booted VM fails; each part that can be had. */
async function attachFailure(vm: X86Vm, info: TestInfo): Promise<void> {
  const notes: string[] = [];
  const attempt = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      notes.push(`${what}: ${(e as Error).message.split("\n")[0]}`);
    }
  };
  await attempt("screen.png", async () =>
    info.attach("screen.png", { body: await vm.screenshot(), contentType: "image/png" }),
  );
  await attempt("screen.txt", async () =>
    info.attach("screen.txt", { body: `${(await vm.screenText()).trimEnd()}\n`, contentType: "text/plain" }),
  );
  await attempt("serial.txt", async () =>
    info.attach("serial.txt", { body: await vm.serial(), contentType: "text/plain" }),
  );
  await attempt("vm.x86snap", async () =>
    info.attach("vm.x86snap", { body: await vm.snapshot(), contentType: SNAPSHOT_CONTENT_TYPE }),
  );
  if (notes.length) await info.attach("x86vm-notes.txt", { body: notes.join("\n"), contentType: "text/plain" });
}

export const test = base.extend<{ vm: X86Vm; x86vm: X86VmOptions }, { x86vmServer: string }>({
  x86vm: [DEFAULTS, { option: true }],
  x86vmServer: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const server = await startAppServer();
      try {
        await use(server.url);
      } finally {
        await server.stop();
      }
    },
    { scope: "worker", timeout: 240_000 },
  ],
  browserName: ["chromium", { scope: "worker" }],
  launchOptions: [
    async ({ launchOptions }, use) => {
      const opts: LaunchOptions = { ...launchOptions };
      opts.executablePath ??= chromium();
      if (opts.executablePath && !opts.args) opts.args = ["--headless", "--no-sandbox", "--disable-gpu"];
      await use(opts);
    },
    { scope: "worker" },
  ],
  vm: async ({ page, x86vmServer, x86vm }, use, info) => {
    const o = { ...DEFAULTS, ...x86vm };
    page.on("pageerror", (e) => console.log(`[x86vm page error] ${e.message}`));
    await page.goto(x86vmServer);
    try {
      await page.waitForFunction(() => typeof window.x86vm === "object", null, { timeout: 30_000 });
    } catch (e) {
      throw new Error(`x86vm testing: ${x86vmServer} did not open the x86vm page (no window.x86vm)`, { cause: e });
    }
    if (!(await page.evaluate(() => window.x86vm.isolated)))
      throw new Error(
        `x86vm testing: ${x86vmServer} is not cross-origin isolated (COOP/COEP headers missing): the VMs need SharedArrayBuffer`,
      );
    const vm = new X86Vm(page, { clock: o.clock, timeout: o.timeout });
    await use(vm);
    if (o.attachOnFailure && info.status !== info.expectedStatus && vm.booted) {
      // A large VM's snapshot takes a while: the test's time may be spent already.
      if (info.timeout > 0) info.setTimeout(info.timeout + ATTACH_TIME_MS);
      await attachFailure(vm, info);
    }
    await vm.destroy();
  },
});
