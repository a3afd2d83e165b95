// `vm`: the headless runner (commands and help in cli.ts). Bundled and started by bin/vm.mjs.

import { runCli } from "./cli.ts";

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`vm: ${e.message}`);
    process.exit(1);
  },
);
