import { defineConfig } from "vitest/config";

// Unit, device, conformance and boot tests run in Node; the Playwright specs in e2e/ are separate.
export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
