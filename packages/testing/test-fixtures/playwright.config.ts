// The nested run of the fixture's failing-boot spec (test/fixture.spec.ts starts it): one spec
// that must fail, its report as JSON in PLAYWRIGHT_JSON_OUTPUT_NAME, its output in
// X86VM_FIXTURE_OUT.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: ".",
  testMatch: "*.fails.ts",
  outputDir: process.env.X86VM_FIXTURE_OUT ?? "../../../test-results/x86vm-testing-fixture",
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [["json"]],
});
