// Flags and system instructions: CLC STC CMC CLD STD CLI STI, PUSHF/POPF, HLT, IN/OUT,
// WAIT and the x87 escapes, CPUID, RDTSC, RDMSR/WRMSR, MOV to and from control and debug
// registers, LGDT/LIDT/SGDT/SIDT/SMSW/LMSW/INVLPG (group 7), CLTS, INVD/WBINVD, UD2, hint NOPs,
// and the BIOS service trap used by the built-in firmware.

import type { Cpu } from "../cpu.ts";
import {
  AC,
  CF,
  CR0_EM,
  CR0_MP,
  CR0_PE,
  CR0_TS,
  DF,
  DT_GDT_BASE,
  DT_GDT_LIMIT,
  DT_IDT_BASE,
  DT_IDT_LIMIT,
  EAX,
  ECX,
  EDX,
  ID,
  IF,
  IOPL,
  NT,
  RF,
  STATUS_FLAGS,
  SZ16,
  SZ8,
  TF,
  V_GP,
  V_NM,
  V_UD,
  VM,
} from "../regs.ts";
import { pop, push } from "./data.ts";
import { getReg, pair, readE, setReg, type Handler, type HandlerMap } from "./operands.ts";

const clc: Handler = (c) => c.setFlag(CF, false);
const stc: Handler = (c) => c.setFlag(CF, true);
const cmc: Handler = (c) => c.setFlag(CF, !c.cf());
const cld: Handler = (c) => {
  c.flags &= ~DF;
};
const std: Handler = (c) => {
  c.flags |= DF;
};

/** CLI/STI are IOPL-sensitive outside real mode. */
function checkIopl(c: Cpu): void {
  if ((c.cr[0] & CR0_PE) === 0) return;
  const iopl = (c.flags & IOPL) >> 12;
  if (c.flags & VM ? iopl < 3 : c.cpl > iopl) c.fault(V_GP, 0);
}
const cli: Handler = (c) => {
  checkIopl(c);
  c.flags &= ~IF;
};
const sti: Handler = (c) => {
  checkIopl(c);
  c.sti();
};

const pushf = pair((sz) => (c) => {
  if (c.flags & VM && (c.flags & IOPL) >> 12 < 3) c.fault(V_GP, 0);
  const f = c.getFlags();
  // The image pushed by PUSHFD has VM and RF clear.
  push(c, sz, sz === SZ16 ? f & 0xffff : f & ~(VM | RF));
});

const popf = pair((sz) => (c) => {
  const v86 = (c.flags & VM) !== 0;
  const iopl = (c.flags & IOPL) >> 12;
  if (v86 && iopl < 3) c.fault(V_GP, 0);
  const v = pop(c, sz);
  let mask = STATUS_FLAGS | TF | DF | NT;
  if (sz !== SZ16) mask |= AC | ID;
  const pm = (c.cr[0] & CR0_PE) !== 0;
  if (!pm || (!v86 && c.cpl === 0)) mask |= IOPL | IF;
  else if (v86 || c.cpl <= iopl) mask |= IF;
  c.writeFlags(v, mask);
});

const hlt: Handler = (c) => {
  if (c.cr[0] & CR0_PE && c.cpl !== 0) c.fault(V_GP, 0);
  c.halt();
};

// ---- port I/O

function portIn(c: Cpu, sz: number, port: number): void {
  c.checkIo(port, sz === SZ8 ? 1 : sz === SZ16 ? 2 : 4);
  setReg(c, sz, EAX, sz === SZ8 ? c.io.in8(port) : sz === SZ16 ? c.io.in16(port) : c.io.in32(port));
}
function portOut(c: Cpu, sz: number, port: number): void {
  c.checkIo(port, sz === SZ8 ? 1 : sz === SZ16 ? 2 : 4);
  const v = getReg(c, sz, EAX);
  if (sz === SZ8) c.io.out8(port, v);
  else if (sz === SZ16) c.io.out16(port, v);
  else c.io.out32(port, v);
}
/** E4-E7 and EC-EF: even opcodes move a byte. */
const byteOrV = (make: (sz: number) => Handler) => ({
  perOpcode: (index: number, sz: number) => make((index & 1) === 0 ? SZ8 : sz),
});
const inIb = byteOrV((sz) => (c) => portIn(c, sz, c.fetch8()));
const outIb = byteOrV((sz) => (c) => portOut(c, sz, c.fetch8()));
const inDX = byteOrV((sz) => (c) => portIn(c, sz, c.r16[EDX << 1]));
const outDX = byteOrV((sz) => (c) => portOut(c, sz, c.r16[EDX << 1]));

// ---- x87 escapes (the FPU itself arrives with the protected-mode work)

const wait: Handler = (c) => {
  if ((c.cr[0] & (CR0_TS | CR0_MP)) === (CR0_TS | CR0_MP)) c.fault(V_NM);
};
/**
 * D8-DF with no FPU present: #NM when CR0.EM or CR0.TS says so; otherwise the operands are
 * decoded and nothing happens, as on a 386 without a coprocessor (FNSTSW leaves memory
 * unchanged, which is how software detects the missing FPU).
 */
const esc: Handler = (c) => {
  const m = c.fetch8();
  if (c.cr[0] & (CR0_EM | CR0_TS)) c.fault(V_NM);
  if (m < 0xc0) c.eaOff(m);
};

// ---- identification, time stamp, MSRs

const cpuidScratch = new Int32Array(4);
const cpuid: Handler = (c) => {
  const out = cpuidScratch;
  c.io.cpuid(c.r32[EAX], c.r32[ECX], out);
  c.r32[EAX] = out[0];
  c.r32[3] = out[1];
  c.r32[ECX] = out[2];
  c.r32[EDX] = out[3];
};

const rdtsc: Handler = (c) => {
  if (c.cr[4] & 4 && c.cpl !== 0 && c.cr[0] & CR0_PE) c.fault(V_GP, 0); // CR4.TSD
  const t = c.readTsc();
  c.r32[EAX] = t % 4294967296;
  c.r32[EDX] = Math.floor(t / 4294967296);
};

function requireCpl0(c: Cpu): void {
  if (c.cr[0] & CR0_PE && (c.flags & VM || c.cpl !== 0)) c.fault(V_GP, 0);
}

const msrScratch = new Int32Array(2);
const rdmsr: Handler = (c) => {
  requireCpl0(c);
  if (!c.readMsr(c.r32[ECX], msrScratch)) c.fault(V_GP, 0);
  c.r32[EAX] = msrScratch[0];
  c.r32[EDX] = msrScratch[1];
};
const wrmsr: Handler = (c) => {
  requireCpl0(c);
  if (!c.writeMsr(c.r32[ECX], c.r32[EAX], c.r32[EDX])) c.fault(V_GP, 0);
};

// ---- control and debug registers

const movRdCd: Handler = (c) => {
  const m = c.fetch8();
  const n = (m >> 3) & 7;
  requireCpl0(c);
  if (n === 1 || n > 4) c.fault(V_UD);
  c.r32[m & 7] = c.cr[n];
};
const movCdRd: Handler = (c) => {
  const m = c.fetch8();
  const n = (m >> 3) & 7;
  requireCpl0(c);
  if (n === 1 || n > 4) c.fault(V_UD);
  c.writeCr(n, c.r32[m & 7]);
};
const movRdDd: Handler = (c) => {
  const m = c.fetch8();
  requireCpl0(c);
  const n = (m >> 3) & 7;
  if ((n === 4 || n === 5) && c.cr[4] & 8) c.fault(V_UD); // CR4.DE
  c.r32[m & 7] = c.dr[n === 4 ? 6 : n === 5 ? 7 : n];
};
const movDdRd: Handler = (c) => {
  const m = c.fetch8();
  requireCpl0(c);
  const n = (m >> 3) & 7;
  if ((n === 4 || n === 5) && c.cr[4] & 8) c.fault(V_UD);
  c.dr[n === 4 ? 6 : n === 5 ? 7 : n] = c.r32[m & 7];
};

const clts: Handler = (c) => {
  requireCpl0(c);
  c.cr[0] &= ~CR0_TS;
};
const invd: Handler = (c) => requireCpl0(c);
const wbinvd: Handler = (c) => requireCpl0(c);
const ud2: Handler = (c) => c.fault(V_UD);
const hintNop: Handler = (c) => {
  const m = c.fetch8();
  if (m < 0xc0) c.eaOff(m);
};

/** Group 7: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG. */
const grp7 = pair((sz) => (c) => {
  const m = c.fetch8();
  const op = (m >> 3) & 7;
  if (op === 4) {
    // SMSW: a register destination receives the whole CR0 with 32-bit operand size
    if (m >= 0xc0) setReg(c, sz, m & 7, sz === SZ16 ? c.cr[0] & 0xffff : c.cr[0]);
    else c.wr16(c.eaW(m, 2), c.cr[0]);
    return;
  }
  if (op === 6) {
    // LMSW: sets PE, MP, EM, TS; cannot clear PE
    requireCpl0(c);
    const v = readE(c, SZ16, m);
    c.writeCr(0, (c.cr[0] & ~0xe) | (v & 0xf) | (c.cr[0] & 1));
    return;
  }
  if (m >= 0xc0 || op === 5) c.fault(V_UD);
  if (op === 7) {
    requireCpl0(c);
    const off = c.eaOff(m);
    c.invlpg((c.segBase[c.eaSeg] + off) | 0);
    return;
  }
  const lin = op < 2 ? c.eaW(m, 6) : c.eaR(m, 6);
  const baseIdx = op === 0 || op === 2 ? DT_GDT_BASE : DT_IDT_BASE;
  const limIdx = op === 0 || op === 2 ? DT_GDT_LIMIT : DT_IDT_LIMIT;
  if (op < 2) {
    c.wr16(lin, c.dt[limIdx]);
    c.wr32((lin + 2) | 0, c.dt[baseIdx]);
  } else {
    requireCpl0(c);
    const limit = c.rd16(lin);
    let base = c.rd32((lin + 2) | 0);
    if (sz === SZ16) base &= 0xffffff;
    c.dt[limIdx] = limit;
    c.dt[baseIdx] = base;
  }
});

/**
 * The firmware's trap (0F FF ib): runs BIOS service ib in TypeScript. It only exists inside
 * the BIOS ROM segment in real or virtual-8086 mode; anywhere else it is #UD, as on the chip.
 */
const biosTrapIb: Handler = (c) => {
  const service = c.fetch8();
  const lin = (c.segBase[1] + c.getEip()) >>> 0;
  const inRom = lin >= 0xf0000 && lin < 0x100000;
  if (!inRom || (c.cr[0] & CR0_PE && !(c.flags & VM)) || !c.io.bios(service)) {
    c.fault(V_UD);
  }
};

export const systemHandlers: HandlerMap = {
  clc,
  stc,
  cmc,
  cld,
  std,
  cli,
  sti,
  pushf,
  popf,
  hlt,
  inIb,
  outIb,
  inDX,
  outDX,
  wait,
  esc,
  cpuid,
  rdtsc,
  rdmsr,
  wrmsr,
  movRdCd,
  movCdRd,
  movRdDd,
  movDdRd,
  clts,
  invd,
  wbinvd,
  ud2,
  hintNop,
  grp7,
  biosTrapIb,
};
