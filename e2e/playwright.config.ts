// Playwright: the browser tests boot guests in Debian's Chromium (/usr/bin/chromium; browser
// downloads are not possible here). The server is the production one (`pnpm start`: build,
// then serve with the isolation headers, the guest images and the snapshot store) on its own
// port, with its snapshot store in a folder of its own (E2E_SNAPSHOTS, which the specs read).
import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 4191);
process.env.E2E_SNAPSHOTS ??= path.join(os.tmpdir(), "x86vm-e2e-snapshots");
// The test kit's own specs (packages/testing) boot in this run's server.
process.env.X86VM_URL ??= `http://127.0.0.1:${PORT}/`;

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  outputDir: "../test-results",
  // The VMs compete for the host's cores: one spec file at a time keeps the timings honest.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 30_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1400, height: 1000 },
    screenshot: "only-on-failure",
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "chromium", use: { browserName: "chromium" } },
    { name: "x86vm-testing", testDir: "../packages/testing/test", use: { browserName: "chromium" } },
  ],
  webServer: {
    command: "pnpm start",
    cwd: "..",
    env: { PORT: String(PORT), HOST: "127.0.0.1", X86VM_SNAPSHOTS: process.env.E2E_SNAPSHOTS },
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
