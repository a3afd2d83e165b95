// Register numbering and EFLAGS bits as the Intel SDM names them (Vol. 1 §3.4, Vol. 3 §2.3).
// General registers live in one ArrayBuffer seen as 32-, 16- and 8-bit views, so that
// AL/AX/EAX alias exactly as on the chip (little-endian: AL is byte 0 of EAX, AH byte 1).

export const EAX = 0,
  ECX = 1,
  EDX = 2,
  EBX = 3,
  ESP = 4,
  EBP = 5,
  ESI = 6,
  EDI = 7;
/** EIP is kept in the same Int32Array as the general registers, after them. */
export const EIP = 8;

/** Segment register numbers in the order the ModRM reg field and the SDM use. */
export const ES = 0,
  CS = 1,
  SS = 2,
  DS = 3,
  FS = 4,
  GS = 5;
export const SEG_NAMES = ["es", "cs", "ss", "ds", "fs", "gs"] as const;

export const REG32_NAMES = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;
export const REG16_NAMES = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"] as const;
export const REG8_NAMES = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"] as const;

/** Byte offset of 8-bit register r (AL CL DL BL AH CH DH BH) inside the register buffer. */
export function reg8Offset(r: number): number {
  return ((r & 3) << 2) | ((r >> 2) & 1);
}

export const CF = 0x0001,
  PF = 0x0004,
  AF = 0x0010,
  ZF = 0x0040,
  SF = 0x0080;
export const TF = 0x0100,
  IF = 0x0200,
  DF = 0x0400,
  OF = 0x0800;
export const IOPL = 0x3000,
  NT = 0x4000,
  RF = 0x10000,
  VM = 0x20000,
  AC = 0x40000;
export const VIF = 0x80000,
  VIP = 0x100000,
  ID = 0x200000;
/** The six status flags that arithmetic sets; they may be held lazily. */
export const STATUS_FLAGS = CF | PF | AF | ZF | SF | OF;
/** EFLAGS bit 1 always reads as one. */
export const FLAGS_FIXED1 = 0x0002;

/** CR0 bits (SDM Vol. 3 §2.5). */
export const CR0_PE = 1 << 0,
  CR0_MP = 1 << 1,
  CR0_EM = 1 << 2,
  CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4,
  CR0_NE = 1 << 5,
  CR0_WP = 1 << 16,
  CR0_AM = 1 << 18;
export const CR0_NW = 1 << 29,
  CR0_CD = 1 << 30,
  CR0_PG = 1 << 31;

/** CR4 bits for FXSAVE/FXRSTOR and SSE (SDM Vol. 3 §2.5): the OS saves XMM state, and handles #XM. */
export const CR4_OSFXSR = 1 << 9,
  CR4_OSXMMEXCPT = 1 << 10;
/**
 * The CR4 bits this CPU implements: TSD, DE, PSE, PGE, PCE, OSFXSR, OSXMMEXCPT. A MOV to CR4
 * setting any other (VME, PVI, PAE, MCE: features CPUID does not report) is #GP(0).
 */
export const CR4_SUPPORTED = 0x4 | 0x8 | 0x10 | 0x80 | 0x100 | CR4_OSFXSR | CR4_OSXMMEXCPT;

/** Exception vectors (SDM Vol. 3 §6.3.1). */
export const V_DE = 0,
  V_DB = 1,
  V_NMI = 2,
  V_BP = 3,
  V_OF = 4,
  V_BR = 5,
  V_UD = 6,
  V_NM = 7;
export const V_DF = 8,
  V_TS = 10,
  V_NP = 11,
  V_SS = 12,
  V_GP = 13,
  V_PF = 14,
  V_MF = 16,
  V_AC = 17;

/** Operand sizes used by the ALU helpers: 0, 1, 2 for 8, 16, 32 bits. */
export const SZ8 = 0,
  SZ16 = 1,
  SZ32 = 2;
export const SZ_MASK = [0xff, 0xffff, -1] as const;
export const SZ_SIGN_SHIFT = [7, 15, 31] as const;

/** Index in r32 where the EIP of the current instruction's first byte is kept. */
export const START_EIP = 9;

/** Event bits the run loop examines at instruction boundaries (Cpu.events). */
export const EV_INTR = 1; // INTR line asserted by the interrupt controller
export const EV_SHADOW_SS = 2; // after MOV SS / POP SS: no interrupts or debug traps at the next boundary
export const EV_SHADOW_STI = 4; // after STI: no maskable interrupts at the next boundary
export const EV_TRAP = 8; // a single-step trap is due at the next boundary
export const EV_TF = 16; // TF is set: arm a trap for each instruction
export const EV_STOP = 32; // leave the run loop (HLT, shutdown, stop request)
export const EV_NMI = 64;

/** Indices into Cpu.dt (descriptor-table registers). */
export const DT_GDT_BASE = 0,
  DT_GDT_LIMIT = 1,
  DT_IDT_BASE = 2,
  DT_IDT_LIMIT = 3;
export const DT_LDT_SEL = 4,
  DT_LDT_BASE = 5,
  DT_LDT_LIMIT = 6,
  DT_LDT_ATTR = 7;
export const DT_TR_SEL = 8,
  DT_TR_BASE = 9,
  DT_TR_LIMIT = 10,
  DT_TR_ATTR = 11;
