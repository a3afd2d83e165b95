// Intel 82441FX PCI and Memory Controller (PMC), the i440FX host bridge: PCI function 0.0 with
// its configuration registers (Intel 82441FX PMC datasheet, "Register Description").
//
// The bridge's memory controller settings (DRAM row boundaries, timing) are registers software
// may write and read back; nothing here sizes memory from them, and their masks are kept simple
// (whole bytes writable). SMRAM's D_LCK lock-down is not enforced. The PAM registers (59h-5Fh),
// which make the BIOS and option-ROM areas read/write RAM or ROM, and SMRAM (72h) keep their
// values for the machine to act on through onConfigWrite and pam(); this module does not remap
// memory itself (PcMachine does, for firmware that uses them: PAM_REGIONS). Configuration mechanism #1 belongs to the bus (pci-bus.ts).

import {
  PciFunction,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_PARITY,
  PCI_COMMAND_SERR,
  PCI_LATENCY_TIMER,
  PCI_STATUS_DEVSEL_MEDIUM,
  PCI_STATUS_FAST_BACK,
} from "./pci-function.ts";

export const I440FX_VENDOR_ID = 0x8086;
export const I440FX_DEVICE_ID = 0x1237;
export const I440FX_REVISION = 0x02;
/** Base class 06h (bridge), subclass 00h (host bridge). */
export const I440FX_CLASS = 0x060000;

// Device-specific registers.
export const I440FX_PMCCFG = 0x50;
export const I440FX_DETURBO = 0x52;
export const I440FX_DBC = 0x53;
export const I440FX_DRAMR = 0x54;
export const I440FX_DRAMC = 0x57;
export const I440FX_DRAMT = 0x58;
/** PAM0 (59h) .. PAM6 (5Fh). */
export const I440FX_PAM0 = 0x59;
export const I440FX_PAM_COUNT = 7;
/** DRB0 (60h) .. DRB7 (67h). */
export const I440FX_DRB0 = 0x60;
export const I440FX_FDHC = 0x68;
export const I440FX_MTT = 0x70;
export const I440FX_CLT = 0x71;
export const I440FX_SMRAM = 0x72;
export const I440FX_ERRCMD = 0x90;
export const I440FX_ERRSTS = 0x91;

// PAM attribute bits: each register holds two regions, low in bits 1-0, high in bits 5-4.
export const PAM_READ_ENABLE = 0x01;
export const PAM_WRITE_ENABLE = 0x02;
export const PAM_HIGH_SHIFT = 4;

/**
 * The memory each PAM register controls, as [PAM index, shift of its 2-bit field, base, size]:
 * PAM0's high half is F0000h-FFFFFh; PAM1-PAM6 each hold two 16 KiB pieces of C0000h-EFFFFh.
 */
export const PAM_REGIONS: readonly (readonly [number, number, number, number])[] = [
  [0, PAM_HIGH_SHIFT, 0xf0000, 0x10000],
  ...Array.from({ length: 12 }, (_, i) => {
    const index = 1 + (i >> 1);
    return [index, i & 1 ? PAM_HIGH_SHIFT : 0, 0xc0000 + i * 0x4000, 0x4000] as const;
  }),
];

// SMRAM register: C_BASE_SEG (bits 2-0) reads 010b (A0000h).
export const SMRAM_G_SMRAME = 0x08;
export const SMRAM_D_LCK = 0x10;
export const SMRAM_D_CLS = 0x20;
export const SMRAM_D_OPEN = 0x40;

export class I440fx extends PciFunction {
  /** Called after a write that reached a PAM register, and after a state load (the machine remaps shadow RAM). */
  onPamChange: (() => void) | null = null;

  constructor() {
    super("i440fx", {
      vendorId: I440FX_VENDOR_ID,
      deviceId: I440FX_DEVICE_ID,
      revision: I440FX_REVISION,
      classCode: I440FX_CLASS,
      // Memory access and bus master enable are hardwired on; SERR# and PERR# responses are settable.
      command: PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
      commandWritable: PCI_COMMAND_SERR | PCI_COMMAND_PARITY,
      status: PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK,
    });
    this.defineRegister(PCI_LATENCY_TIMER, 1, 0, 0xf8);
    this.defineRegister(I440FX_PMCCFG, 2, 0, 0xffff);
    this.defineRegister(I440FX_DETURBO, 1, 0, 0xff);
    this.defineRegister(I440FX_DBC, 1, 0x80, 0xff);
    this.defineRegister(I440FX_DRAMR, 2, 0, 0xffff);
    this.defineRegister(I440FX_DRAMC, 1, 0x01, 0xff);
    this.defineRegister(I440FX_DRAMT, 1, 0x10, 0xff);
    // PAM0 has only the high region (F0000h-FFFFFh, the BIOS area).
    this.defineRegister(I440FX_PAM0, 1, 0, 0x30);
    for (let i = 1; i < I440FX_PAM_COUNT; i++) this.defineRegister(I440FX_PAM0 + i, 1, 0, 0x33);
    for (let i = 0; i < 8; i++) this.defineRegister(I440FX_DRB0 + i, 1, 0x01, 0xff);
    this.defineRegister(I440FX_FDHC, 1, 0, 0xc0);
    this.defineRegister(I440FX_MTT, 1, 0x20, 0xf8);
    this.defineRegister(I440FX_CLT, 1, 0x10, 0xff);
    this.defineRegister(I440FX_SMRAM, 1, 0x02, SMRAM_G_SMRAME | SMRAM_D_LCK | SMRAM_D_CLS | SMRAM_D_OPEN);
    this.defineRegister(I440FX_ERRCMD, 1, 0, 0xff);
    this.defineRegister(I440FX_ERRSTS, 1, 0, 0, 0xff);
  }

  /** PAM register `index` (0-6). */
  pam(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= I440FX_PAM_COUNT)
      throw new RangeError(`no PAM register ${index}`);
    return this.read(I440FX_PAM0 + index, 1);
  }

  protected override configWritten(offset: number, size: number): void {
    if (offset < I440FX_PAM0 + I440FX_PAM_COUNT && offset + size > I440FX_PAM0) this.onPamChange?.();
  }

  protected override configRestored(): void {
    this.onPamChange?.();
  }

  /** The SMRAM control register. */
  get smram(): number {
    return this.read(I440FX_SMRAM, 1);
  }
}
