// What this build of the emulator can do, as far as the shell needs to know. The shell lists
// guests it cannot boot yet (the Linux kernel, CD images) and says why, instead of hiding them.
// The Linux loader is there when @x86vm/core exports `loadLinux`; the rest is announced by
// core as `FEATURES` (e.g. `export const FEATURES = { linuxBoot: true, cdrom: true }`): a
// build without that export claims neither. linuxBoot gates the Linux boot test in e2e/.

import * as core from "@x86vm/core";

export interface Features {
  /** PcMachine takes a bzImage with an initrd and command line (PcOptions.linux): core has a Linux loader. */
  linuxLoader: boolean;
  /** Core says the reference Linux guest boots to its shell (FEATURES.linuxBoot). */
  linuxBoot: boolean;
  /** PcMachine takes a CD image (PcOptions.cdrom) on an ATAPI drive. */
  cdrom: boolean;
}

function announced(): Partial<Record<keyof Features, unknown>> {
  // Reflect.get: a missing export is no error for the bundler, just undefined at run time.
  const f: unknown = Reflect.get(core, "FEATURES");
  return typeof f === "object" && f !== null ? (f as Partial<Record<keyof Features, unknown>>) : {};
}

export const FEATURES: Features = {
  linuxLoader: typeof Reflect.get(core, "loadLinux") === "function",
  linuxBoot: announced().linuxBoot === true,
  cdrom: announced().cdrom === true,
};
