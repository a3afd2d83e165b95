import { defineConfig } from "vitest/config";

// Unit, device, conformance and boot tests run in Node; the Playwright specs in e2e/ are separate.
export default defineConfig({
  test: {
    // (packages/web/server: the production server's snapshot store, in Node; scripts: the check
    // that generated files match their generators.)
    include: ["packages/*/src/**/*.test.ts", "packages/web/server/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
