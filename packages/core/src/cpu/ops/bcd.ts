// Decimal and ASCII adjustment: DAA DAS AAA AAS AAM AAD, and SALC (undocumented, set AL
// from CF). AAA/AAS follow the 80386 and later definition, which adjusts AX as a whole
// (AX += 106h), unlike the 8086/80286 which adjusted AL and AH separately.

import type { Cpu } from "../cpu.ts";
import { AF, CF, SZ8, V_DE } from "../regs.ts";
import type { Handler, HandlerMap } from "./operands.ts";

/** Sets AF and CF, and SZP lazily from AL. */
function adjustFlags(c: Cpu, af: boolean, cf: boolean): void {
  c.setFlag(AF, af);
  c.setFlag(CF, cf);
  c.setResultSZP(SZ8, c.r8[0]);
}

const daa: Handler = (c) => {
  const oldAl = c.r8[0],
    oldCf = c.cf() !== 0;
  let al = oldAl,
    af = false,
    cf = false;
  if ((al & 0x0f) > 9 || c.af()) {
    al = (al + 6) & 0xff;
    af = true;
    cf = oldCf || oldAl + 6 > 0xff;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al + 0x60) & 0xff;
    cf = true;
  }
  c.r8[0] = al;
  adjustFlags(c, af, cf);
};

const das: Handler = (c) => {
  const oldAl = c.r8[0],
    oldCf = c.cf() !== 0;
  let al = oldAl,
    af = false,
    cf = false;
  if ((al & 0x0f) > 9 || c.af()) {
    al = (al - 6) & 0xff;
    af = true;
    cf = oldCf || oldAl < 6;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al - 0x60) & 0xff;
    cf = true;
  }
  c.r8[0] = al;
  adjustFlags(c, af, cf);
};

const aaa: Handler = (c) => {
  const adjust = (c.r8[0] & 0x0f) > 9 || c.af() !== 0;
  if (adjust) c.r16[0] = c.r16[0] + 0x106;
  c.r8[0] &= 0x0f;
  adjustFlags(c, adjust, adjust);
};

const aas: Handler = (c) => {
  const adjust = (c.r8[0] & 0x0f) > 9 || c.af() !== 0;
  if (adjust) {
    c.r16[0] = c.r16[0] - 6;
    c.r8[1] = c.r8[1] - 1;
  }
  c.r8[0] &= 0x0f;
  adjustFlags(c, adjust, adjust);
};

const aamIb: Handler = (c) => {
  const base = c.fetch8();
  if (base === 0) c.fault(V_DE);
  const al = c.r8[0];
  c.r8[1] = Math.floor(al / base);
  c.r8[0] = al % base;
  c.setLogic(SZ8, c.r8[0]);
};

const aadIb: Handler = (c) => {
  const base = c.fetch8();
  c.r16[0] = (c.r8[0] + c.r8[1] * base) & 0xff;
  c.setLogic(SZ8, c.r8[0]);
};

const salc: Handler = (c) => {
  c.r8[0] = c.cf() ? 0xff : 0;
};

export const bcdHandlers: HandlerMap = { daa, das, aaa, aas, aamIb, aadIb, salc };
