// FXSAVE and FXRSTOR (0F AE /0 and /1; SDM Vol. 2, FXSAVE and FXRSTOR, table 3-53): the x87
// state in its FXSAVE form, MXCSR and XMM0-7 in one 512-byte area aligned on 16 bytes.
//
// Key design choice: the x87 fields come from the FPU's own registers (fpu/fpu.ts) and the SSE
// state from the CPU's xmm/mxcsr, read and written only here; FXRSTOR reads and checks the
// whole area before it changes anything, so a fault (#GP for reserved MXCSR bits, #PF on the
// second page) leaves the state as it was.
//
// Layout of the area (non-64-bit modes, any operand size):
//   0 FCW   2 FSW   4 abridged FTW (bit i: R(i) not empty)   5 reserved   6 FOP (11 bits)
//   8 FIP   12 FCS  14 reserved   16 FDP   20 FDS   22 reserved   24 MXCSR   28 MXCSR_MASK
//   32 + 16i: ST(i) (80 bits, then 6 reserved bytes)   160 + 16i: XMMi   288-511: not written
// Reserved bytes are written as zero. XMM and MXCSR are saved and restored whatever CR4.OSFXSR
// says (the SDM leaves that choice to the implementation).

import type { Cpu } from "../cpu.ts";
import { CR0_EM, CR0_TS, V_GP, V_NM, V_UD } from "../regs.ts";
import type { Handler, HandlerMap } from "../ops/operands.ts";
import { TAG_EMPTY } from "../fpu/fpu.ts";

/** MXCSR after reset: all SIMD exceptions masked, round to nearest (SDM Vol. 1 §10.2.3). */
export const MXCSR_INIT = 0x1f80;
/**
 * The MXCSR bits this processor implements, as FXSAVE reports them: all of 0-15, denormals-are-
 * zero (bit 6) included, the mask of a later Pentium 4 (SDM Vol. 1 §11.6.6; the first steppings
 * had FFBFh). DAZ is there because the host CPUs of the difftests have it and programs compiled
 * with -ffast-math set it.
 */
export const MXCSR_MASK = 0xffff;
/** Size of the area and its alignment. */
export const FXSAVE_SIZE = 512;

/**
 * The effective address of the 512-byte area, checked as the SDM lists: segment limit first,
 * then alignment of the address (#GP(0) in every mode); the register form is #UD; CR0.EM or
 * CR0.TS give #NM.
 */
function area(c: Cpu, write: boolean): number {
  const m = c.fetch8();
  if (m >= 0xc0) c.fault(V_UD);
  if (c.cr[0] & (CR0_EM | CR0_TS)) c.fault(V_NM);
  const off = c.eaOff(m);
  const lin = write ? c.segW(c.eaSeg, off, FXSAVE_SIZE) : c.segR(c.eaSeg, off, FXSAVE_SIZE);
  if (lin & 15) c.fault(V_GP, c.isProtected() ? 0 : -1);
  if (write) c.writable(lin, FXSAVE_SIZE);
  return lin;
}

const im = new Int32Array(3);

const fxsave: Handler = (c) => {
  const lin = area(c, true);
  const f = c.fpu;
  let ftw = 0;
  for (let p = 0; p < 8; p++) if (f.tag[p] !== TAG_EMPTY) ftw |= 1 << p;
  c.wr32(lin, f.cw | (f.getSw() << 16));
  c.wr32(lin + 4, ftw | ((f.fop & 0x7ff) << 16));
  c.wr32(lin + 8, f.fip);
  c.wr32(lin + 12, f.fcs & 0xffff);
  c.wr32(lin + 16, f.fdp);
  c.wr32(lin + 20, f.fds & 0xffff);
  c.wr32(lin + 24, c.mxcsr);
  c.wr32(lin + 28, MXCSR_MASK);
  for (let i = 0; i < 8; i++) {
    const a = lin + 32 + i * 16;
    f.imgOf(f.st(i), im, 0);
    c.wr32(a, im[2]);
    c.wr32(a + 4, im[1]);
    c.wr32(a + 8, im[0] & 0xffff);
    c.wr32(a + 12, 0);
  }
  for (let i = 0; i < 32; i++) c.wr32(lin + 160 + i * 4, c.xmm[i]);
};

/** The area as FXRSTOR read it, before anything is installed. */
const words = new Int32Array(72);

const fxrstor: Handler = (c) => {
  const lin = area(c, false);
  for (let i = 0; i < 72; i++) words[i] = c.rd32(lin + i * 4);
  const mxcsr = words[6];
  // Reserved MXCSR bits set: #GP(0) (SDM Vol. 2 FXRSTOR, protected-mode exceptions).
  if (mxcsr & ~MXCSR_MASK) c.fault(V_GP, c.isProtected() ? 0 : -1);
  const f = c.fpu;
  const cw = words[0] & 0xffff,
    sw = words[0] >>> 16,
    ftw = words[1] & 0xff;
  const top = (sw >> 11) & 7;
  for (let i = 0; i < 8; i++) {
    const w = 8 + i * 4;
    f.setImg((top + i) & 7, words[w + 2] & 0xffff, words[w + 1], words[w]);
  }
  f.fop = (words[1] >>> 16) & 0x7ff;
  f.fip = words[2];
  f.fcs = words[3] & 0xffff;
  f.fdp = words[4];
  f.fds = words[5] & 0xffff;
  f.setCw(cw);
  // Only "empty" is kept from the abridged tag word; the other tags follow the contents.
  let tw = 0;
  for (let p = 7; p >= 0; p--) tw = (tw << 2) | (ftw & (1 << p) ? 0 : TAG_EMPTY);
  f.setTagWord(tw);
  f.setSw(sw);
  c.mxcsr = mxcsr;
  for (let i = 0; i < 32; i++) c.xmm[i] = words[40 + i];
};

export const fxsrHandlers: HandlerMap = { fxsave, fxrstor };
