// Guest exceptions raised inside an instruction unwind to the run loop as one preallocated
// object (no allocation per fault); the vector and error code travel in the CPU's fields.

export class CpuFault {
  private constructor() {}
  static readonly instance = new CpuFault();
}
export const FAULT = CpuFault.instance;

/** Raised to the host when the emulator itself meets something it cannot continue from. */
export class EmulatorError extends Error {}
