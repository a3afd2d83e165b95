// What this build of the emulator can do, as far as the shell needs to know: core's typed
// FEATURES list (packages/core/src/index.ts), shown to pages and tests as window.x86vm.features.
// A feature core drops or renames is a compile error here, never a silent "no".

import { FEATURES as CORE_FEATURES } from "@x86vm/core";

export interface Features {
  /** PcMachine boots a bzImage with an initrd and command line (PcOptions.linux). */
  linuxBoot: boolean;
  /** PcMachine takes a CD image (PcOptions.cdrom) in an ATAPI drive the BIOS boots from. */
  cdrom: boolean;
}

export const FEATURES: Features = { linuxBoot: CORE_FEATURES.linuxBoot, cdrom: CORE_FEATURES.cdrom };
