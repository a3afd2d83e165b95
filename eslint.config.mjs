// ESLint (flat config, typescript-eslint). Besides the recommended rules it keeps the layers of
// DESIGN.md apart:
//   - core and devices run in a Worker, in Node and in tests alike: they import nothing from web
//     or cli and no Node module, and read no host clock or timer (time is passed in: the
//     machine's clock is the only time they know);
//   - core's tests do not reach into devices (core does not depend on it);
//   - the worker has no DOM (its tsconfig has the WebWorker library only; lint names the globals).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

// Anchored ("/net"): a bare name would also match a directory of that name in a relative
// import (devices' own net/ folder).
const NODE_BUILTINS = [
  "node:*",
  "/fs/*",
  "/fs",
  "/path",
  "/os",
  "/url",
  "/crypto",
  "/zlib",
  "/child_process",
  "/worker_threads",
  "/util",
  "/buffer",
  "/stream",
  "/events",
  "/http",
  "/https",
  "/net",
];
const TIMERS = [
  "setTimeout",
  "setInterval",
  "setImmediate",
  "clearTimeout",
  "clearInterval",
  "requestAnimationFrame",
].map((name) => ({ name, message: "no host timers here: time is passed in by the machine's clock (core/src/time)" }));
const HOST_CLOCKS = [
  {
    object: "Date",
    property: "now",
    message: "no host clock here: time is passed in by the machine's clock (core/src/time)",
  },
  {
    object: "performance",
    property: "now",
    message: "no host clock here: time is passed in by the machine's clock (core/src/time)",
  },
];
const OTHER_LAYERS = [
  {
    group: ["@x86vm/web", "@x86vm/web/*", "@x86vm/cli", "@x86vm/cli/*"],
    message: "core and devices do not depend on web or cli",
  },
  {
    group: ["**/web/src/**", "**/cli/src/**", "**/web/server/**"],
    message: "core and devices do not depend on web or cli",
  },
];

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "test-results/**",
      "playwright-report/**",
      "**/*.generated.ts",
      "packages/cli/src/bench/cpu-bench-image.ts",
      "packages/devices/src/vga/font8x*.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "prefer-const": ["error", { destructuring: "all" }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  // Tests poke at saved state records of any shape.
  { files: ["**/*.test.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  // Scripts, servers, the CLI and tests run in Node.
  {
    files: [
      "**/*.mjs",
      "scripts/**",
      "packages/*/scripts/**",
      "packages/cli/**",
      "packages/web/server/**",
      "packages/testing/**",
      "e2e/**",
      "**/*.test.ts",
      "*.config.ts",
    ],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["packages/web/src/**/*.{ts,tsx}"],
    ignores: ["packages/web/src/**/*.test.ts"],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The emulation layers: no other layer, no Node, no host time.
  {
    files: ["packages/core/src/**/*.ts", "packages/devices/src/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: NODE_BUILTINS, message: "core and devices use no Node APIs" }, ...OTHER_LAYERS] },
      ],
      "no-restricted-globals": [
        "error",
        ...TIMERS,
        { name: "process", message: "core and devices use no Node APIs" },
        { name: "Buffer", message: "core and devices use no Node APIs" },
        { name: "window", message: "core and devices use no DOM" },
        { name: "document", message: "core and devices use no DOM" },
      ],
      "no-restricted-properties": ["error", ...HOST_CLOCKS],
    },
  },
  // Their tests may read files with Node, but stay in their layer; core's tests do not use devices.
  {
    files: ["packages/devices/src/**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: OTHER_LAYERS }] },
  },
  {
    files: ["packages/core/src/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...OTHER_LAYERS,
            {
              group: ["@x86vm/devices", "@x86vm/devices/*", "**/devices/src/**"],
              message: "core's tests do not use devices: test the board in packages/devices",
            },
          ],
        },
      ],
    },
  },
  // State shared between the page and the worker is data only.
  {
    files: ["packages/web/src/shared/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-globals": ["error", ...TIMERS], "no-restricted-properties": ["error", ...HOST_CLOCKS] },
  },
  // The worker has no DOM.
  {
    files: ["packages/web/src/worker/**/*.ts"],
    ignores: ["**/*.test.ts"],
    languageOptions: { globals: { ...globals.worker } },
    rules: {
      "no-restricted-globals": [
        "error",
        ...["window", "document", "navigator.clipboard", "localStorage", "sessionStorage", "alert"].map((name) => ({
          name,
          message: "the VM worker has no DOM",
        })),
      ],
    },
  },
);
