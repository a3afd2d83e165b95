// Exit reasons: every way the interpreter leaves guest code to let the platform act.
// The dispatcher counts each one, so the shell and the benchmarks can show where time goes.

export const EXIT_IO_IN = 0;
export const EXIT_IO_OUT = 1;
export const EXIT_MMIO_READ = 2;
export const EXIT_MMIO_WRITE = 3;
export const EXIT_HLT = 4;
export const EXIT_CPUID = 5;
export const EXIT_MSR_READ = 6;
export const EXIT_MSR_WRITE = 7;
export const EXIT_CR_WRITE = 8;
export const EXIT_BIOS = 9;
export const EXIT_SHUTDOWN = 10;
export const EXIT_INTERRUPT = 11;
export const EXIT_EXCEPTION = 12;
export const EXIT_COUNT = 13;

export const EXIT_NAMES = [
  "io_in",
  "io_out",
  "mmio_read",
  "mmio_write",
  "hlt",
  "cpuid",
  "msr_read",
  "msr_write",
  "cr_write",
  "bios",
  "shutdown",
  "interrupt",
  "exception",
] as const;
export type ExitName = (typeof EXIT_NAMES)[number];
