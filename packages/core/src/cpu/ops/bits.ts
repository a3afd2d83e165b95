// Bit instructions: BT BTS BTR BTC (register and immediate offsets), BSF, BSR.
// With a register bit offset and a memory operand, the offset is signed and may address bits
// outside the operand: the address moves by whole operands (SDM Vol. 2, BT).

import type { Cpu } from "../cpu.ts";
import { CF, SZ16, V_UD, ZF } from "../regs.ts";
import { getReg, pair, rd, setReg, sizeBytes, wr, type Handler, type HandlerMap } from "./operands.ts";

/** op: 0 BT, 1 BTS, 2 BTR, 3 BTC. Returns the new value. */
function bitOp(c: Cpu, op: number, v: number, bit: number): number {
  c.setFlag(CF, (v >>> bit) & 1);
  switch (op) {
    case 1:
      return v | (1 << bit);
    case 2:
      return v & ~(1 << bit);
    case 3:
      return v ^ (1 << bit);
    default:
      return v;
  }
}

function btEvGv(op: number): (sz: number) => Handler {
  return (sz) => (c) => {
    const m = c.fetch8();
    const bits = sz === SZ16 ? 16 : 32;
    const off = getReg(c, sz, (m >> 3) & 7);
    if (m >= 0xc0) {
      const r = bitOp(c, op, getReg(c, sz, m & 7), off & (bits - 1));
      if (op !== 0) setReg(c, sz, m & 7, r);
      return;
    }
    const bytes = sizeBytes(sz);
    const soff = sz === SZ16 ? (off << 16) >> 16 : off;
    const disp = Math.floor(soff / bits) * bytes;
    const base = c.eaOff(m);
    const eoff = c.asize32 ? (base + disp) | 0 : (base + disp) & 0xffff;
    const seg = c.eaSeg;
    let lin: number;
    if (op === 0) lin = c.segR(seg, eoff, bytes);
    else {
      lin = c.segW(seg, eoff, bytes);
      c.writable(lin, bytes);
    }
    const r = bitOp(c, op, rd(c, sz, lin), soff & (bits - 1));
    if (op !== 0) wr(c, sz, lin, r);
  };
}

/** Group 8 (0F BA /4-7): bit offset from an immediate, taken modulo the operand size. */
const grp8EvIb = pair((sz) => (c) => {
  const m = c.fetch8();
  const op = ((m >> 3) & 7) - 4;
  if (op < 0) c.fault(V_UD);
  const bits = sz === SZ16 ? 16 : 32;
  if (m >= 0xc0) {
    const bit = c.fetch8() & (bits - 1);
    const r = bitOp(c, op, getReg(c, sz, m & 7), bit);
    if (op !== 0) setReg(c, sz, m & 7, r);
  } else {
    const lin = op === 0 ? c.eaR(m, sizeBytes(sz)) : c.eaW(m, sizeBytes(sz));
    const bit = c.fetch8() & (bits - 1);
    const r = bitOp(c, op, rd(c, sz, lin), bit);
    if (op !== 0) wr(c, sz, lin, r);
  }
});

function bitScan(reverse: boolean): (sz: number) => Handler {
  return (sz) => (c) => {
    const m = c.fetch8();
    const v = m >= 0xc0 ? getReg(c, sz, m & 7) : rd(c, sz, c.eaR(m, sizeBytes(sz)));
    if (v === 0) {
      c.setFlag(ZF, true);
      return;
    } // destination unchanged, as P6 processors leave it
    c.setFlag(ZF, false);
    const idx = reverse ? 31 - Math.clz32(v) : 31 - Math.clz32(v & -v);
    setReg(c, sz, (m >> 3) & 7, idx);
  };
}

export const bitHandlers: HandlerMap = {
  btEvGv: pair(btEvGv(0)),
  btsEvGv: pair(btEvGv(1)),
  btrEvGv: pair(btEvGv(2)),
  btcEvGv: pair(btEvGv(3)),
  grp8EvIb,
  bsfGvEv: pair(bitScan(false)),
  bsrGvEv: pair(bitScan(true)),
};
