// x87 instructions in real mode, through the CPU: memory formats (80/64/32-bit reals over many
// values, integers and BCD under each rounding mode), comparisons and EFLAGS, the functions
// against Math.* within a documented tolerance, stack faults, and the decoding map (#UD for
// the reserved encodings). Code bytes were assembled with NASM (bits 16) and are given with
// their source. Memory operands live at 3000h.
import { describe, expect, it } from "vitest";
import { DATA, Rig, hex } from "./rig.ts";
import { x87Undefined } from "./ops.ts";
import { CF, PF, ZF } from "../regs.ts";

const M80_RT = "db2e0030db3e1030"; // fld tword [0x3000]; fstp tword [0x3010]
const M64_RT = "dd060030dd1e1030dd3e1830"; // fld qword [0x3000]; fstp qword [0x3010]; fnstsw [0x3018]
const M32_RT = "d9060030d91e1030dd3e1830"; // fld dword [0x3000]; fstp dword [0x3010]; fnstsw [0x3018]
const FIST16 = "d92e2030dd060030df1e1030dd3e1830"; // fldcw [0x3020]; fld qword [0x3000]; fistp word [0x3010]; fnstsw [0x3018]
const FIST32 = "d92e2030dd060030db1e1030dd3e1830"; // fldcw [0x3020]; fld qword [0x3000]; fistp dword [0x3010]; fnstsw [0x3018]
const FIST64 = "d92e2030dd060030df3e1030dd3e1830"; // fldcw [0x3020]; fld qword [0x3000]; fistp qword [0x3010]; fnstsw [0x3018]
const FBSTP = "d92e2030dd060030df361030dd3e1a30"; // fldcw [0x3020]; fld qword [0x3000]; fbstp [0x3010]; fnstsw [0x301a]
const FCOMPP = "dd060830dd060030ded9dd3e1030"; // fld qword [0x3008]; fld qword [0x3000]; fcompp; fnstsw [0x3010]
const FUCOMPP = "dd060830dd060030dae9dd3e1030"; // fld qword [0x3008]; fld qword [0x3000]; fucompp; fnstsw [0x3010]
const FCOMIP = "dd060830dd060030dff19c8f061030dd3e1230"; // fld qword [0x3008]; fld qword [0x3000]; fcomip st0, st1; pushf; pop word [0x3010]; fnstsw [0x3012]
/** fld qword [0x3000]; <op: 2 bytes at offset 4>; fstp qword [0x3010]; fnstsw [0x3018] */
const UNARY = (op: number[]) => [...hex("dd060030"), ...op, ...hex("dd1e1030dd3e1830")];
/** fld qword [0x3008]; fld qword [0x3000]; <op>; fstp qword [0x3010]; fnstsw [0x3018] */
const BINARY = (op: number[]) => [...hex("dd060830dd060030"), ...op, ...hex("dd1e1030dd3e1830")];

const SW_IE = 0x01,
  SW_DE = 0x02,
  SW_ZE = 0x04,
  SW_PE = 0x20,
  SW_SF = 0x40,
  SW_C1 = 0x200,
  SW_C2 = 0x400;
const RC = [0x037f, 0x077f, 0x0b7f, 0x0f7f]; // nearest, down, up, chop

/** The single-precision neighbours of a single f (f finite, nonzero). */
function nextFloat(f: number, dv: DataView): number {
  dv.setFloat32(0, f);
  const b = dv.getUint32(0);
  dv.setUint32(0, f > 0 ? b + 1 : b - 1);
  return dv.getFloat32(0);
}
function prevFloat(f: number, dv: DataView): number {
  return -nextFloat(-f, dv);
}

/** A deterministic generator of interesting doubles. */
function* doubles(seed: number, count: number): Generator<number> {
  const dv = new DataView(new ArrayBuffer(8));
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const a = s;
    s = (s * 1103515245 + 12345) >>> 0;
    dv.setUint32(0, a);
    dv.setUint32(4, s);
    const v = dv.getFloat64(0);
    if (v === v) yield v;
  }
}

describe("memory formats", () => {
  it("FLD m80 / FSTP m80 round-trip every kind of 80-bit value bit for bit", () => {
    const r = new Rig();
    const specials = [
      "0000:0000000000000000",
      "8000:0000000000000000",
      "0000:0000000000000001",
      "8000:7fffffffffffffff",
      "0000:8000000000000000",
      "3fff:8000000000000001",
      "3fff:4000000000000000",
      "7fff:8000000000000000",
      "ffff:8000000000000000",
      "7fff:c000000000000000",
      "7fff:8000000000000001",
      "ffff:c000000000001234",
      "7fff:0000000000000000",
      "7fff:4000000000000001",
      "7ffe:ffffffffffffffff",
      "0001:8000000000000000",
      "43fe:fffffffffffff800",
      "43ff:8000000000000000",
      "3bcc:8000000000000000",
    ];
    let s = 1;
    const values = [...specials];
    for (let i = 0; i < 3000; i++) {
      let v = "";
      for (let k = 0; k < 5; k++) {
        s = (s * 1103515245 + 12345) >>> 0;
        v += (s >>> 16).toString(16).padStart(4, "0");
      }
      values.push(`${v.slice(0, 4)}:${v.slice(4)}`);
    }
    for (const v of values) {
      r.setF80(DATA, v);
      r.f.init();
      r.exec(M80_RT);
      expect(r.getF80(DATA + 0x10)).toBe(v);
    }
    expect(r.sw() & 0x3f).toBe(0); // FLD/FSTP m80 raise nothing
  });

  it("FLD m64 / FSTP m64 keep every double; an SNaN is invalid and comes back quiet", () => {
    const r = new Rig();
    for (const v of doubles(7, 3000)) {
      r.setF64(DATA, v);
      r.f.init();
      r.exec(M64_RT);
      expect(Object.is(r.getF64(DATA + 0x10), v)).toBe(true);
    }
    r.setQ(DATA, "7ff0000000000123"); // SNaN
    r.f.init();
    r.exec(M64_RT);
    expect(r.getQ(DATA + 0x10)).toBe("7ff8000000000123");
    expect(r.getU16(DATA + 0x18) & SW_IE).toBe(SW_IE);
    r.setQ(DATA, "000fffffffffffff"); // denormal: DE, value kept
    r.f.init();
    r.exec(M64_RT);
    expect(r.getQ(DATA + 0x10)).toBe("000fffffffffffff");
    expect(r.getU16(DATA + 0x18) & 0x3f).toBe(SW_DE);
  });

  it("FLD m32 / FSTP m32 keep every single", () => {
    const r = new Rig();
    let s = 3;
    for (let i = 0; i < 3000; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      if ((s & 0x7f800000) === 0x7f800000 && (s & 0x7fffff) !== 0) continue;
      r.setU32(DATA, s);
      r.f.init();
      r.exec(M32_RT);
      expect(r.getU32(DATA + 0x10)).toBe(s);
    }
  });

  it("FST m32 rounds doubles to single by RC, with PE and C1 = rounded up", () => {
    const r = new Rig();
    const code = hex("d92e2030dd060030d91e1030dd3e1830"); // fldcw [0x3020]; fld qword [0x3000]; fstp dword [0x3010]; fnstsw [0x3018]
    const dv = new DataView(new ArrayBuffer(4));
    for (const v of doubles(11, 1500)) {
      const x = v / Math.pow(2, Math.round(Math.log2(Math.abs(v) || 1)) - (Math.abs(v) % 7)); // bring into single range
      if (!(Math.abs(x) < 1e38) || Math.abs(x) < 1e-37) continue;
      r.setF64(DATA, x);
      for (let rc = 0; rc < 4; rc++) {
        r.setU16(DATA + 0x20, RC[rc]);
        r.f.init();
        r.exec(code);
        const got = r.getF32(DATA + 0x10);
        const near = Math.fround(x);
        // The two singles around x, and the one each mode selects.
        const below = near <= x ? near : prevFloat(near, dv),
          above = near >= x ? near : nextFloat(near, dv);
        const want = rc === 0 ? near : rc === 1 ? below : rc === 2 ? above : x < 0 ? above : below;
        expect(got).toBe(want);
        const sw = r.getU16(DATA + 0x18);
        expect((sw & SW_PE) !== 0).toBe(want !== x);
        expect((sw & SW_C1) !== 0).toBe(Math.abs(want) > Math.abs(x));
      }
    }
  });

  it("FIST m16/m32/m64 round by RC, and store the integer indefinite when out of range", () => {
    const r = new Rig();
    const values = [
      0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 2.75, -2.25, 32767.4, 32767.5, -32768.5, -32768.6, 2147483647.5, -2147483648.5,
      2147483648, 9223372036854774784, -9223372036854775808, 9223372036854775808, 1e20, -0, 0, 123456.789, -987654.321,
    ];
    const round = (x: number, rc: number): number => {
      if (rc === 1) return Math.floor(x);
      if (rc === 2) return Math.ceil(x);
      if (rc === 3) return Math.trunc(x);
      const f = Math.floor(x),
        d = x - f;
      return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
    };
    for (const x of values) {
      for (let rc = 0; rc < 4; rc++) {
        const want = round(x, rc);
        r.setF64(DATA, x);
        r.setU16(DATA + 0x20, RC[rc]);
        for (const [code, bits] of [
          [FIST16, 16],
          [FIST32, 32],
          [FIST64, 64],
        ] as const) {
          r.f.init();
          r.exec(code);
          const fits = want >= -Math.pow(2, bits - 1) && want < Math.pow(2, bits - 1);
          const got =
            bits === 16
              ? r.getI16(DATA + 0x10)
              : bits === 32
                ? r.getI32(DATA + 0x10)
                : Number(new DataView(r.mem.ram.buffer, r.mem.ram.byteOffset).getBigInt64(DATA + 0x10, true));
          const sw = r.getU16(DATA + 0x18);
          if (fits) {
            expect(got, `fist${bits} ${x} rc=${rc}`).toBe(want === 0 ? 0 : want);
            expect(sw & 0x3f).toBe(want !== x ? SW_PE : 0);
          } else {
            expect(got, `fist${bits} ${x} rc=${rc}`).toBe(-Math.pow(2, bits - 1));
            expect(sw & 0x3f).toBe(SW_IE);
          }
        }
      }
    }
  });

  it("FBSTP rounds by RC and writes 18 packed digits and the sign", () => {
    const r = new Rig();
    const cases: [number, number, string][] = [
      [123456789012345680, 0, "80563412907856341200"],
      [-2.5, 0, "02000000000000000080"],
      [-2.5, 1, "03000000000000000080"],
      [-2.5, 2, "02000000000000000080"],
      [0.5, 2, "01000000000000000000"],
      [-0.3, 0, "00000000000000000080"],
      [999999999999999900, 3, "72989999999999999900"], // the double is ...872
      [1e18, 0, "00000000000000c0ffff"], // invalid: the packed BCD indefinite
    ];
    for (const [x, rc, bytes] of cases) {
      r.setF64(DATA, x);
      r.setU16(DATA + 0x20, RC[rc]);
      r.f.init();
      r.exec(FBSTP);
      const got = r
        .getBytes(DATA + 0x10, 10)
        .map((b) => b.toString(16).padStart(2, "0"))
        .join("");
      expect(got, `fbstp ${x} rc=${rc}`).toBe(bytes.slice(0, 20));
    }
  });
});

describe("comparisons", () => {
  const cases: [number, number, number][] = [
    // a, b, C3 C2 C0 code
    [2, 1, 0],
    [1, 2, 1],
    [1, 1, 4],
    [0, -0, 4],
    [-Infinity, 1, 1],
    [Infinity, Infinity, 4],
    [NaN, 1, 7],
    [1, NaN, 7],
  ];
  const cc = (sw: number) => ((sw >> 12) & 4) | ((sw >> 9) & 2) | ((sw >> 8) & 1);
  it("FCOMPP sets C3 C2 C0; any NaN is invalid", () => {
    const r = new Rig();
    for (const [a, b, code] of cases) {
      r.setF64(DATA, a);
      r.setF64(DATA + 8, b);
      r.f.init();
      r.exec(FCOMPP);
      const sw = r.getU16(DATA + 0x10);
      expect(cc(sw), `${a} vs ${b}`).toBe(code);
      expect(sw & SW_IE).toBe(code === 7 ? SW_IE : 0);
      expect(r.f.top).toBe(0); // both popped
    }
  });
  it("FUCOMPP raises nothing for a QNaN", () => {
    const r = new Rig();
    r.setF64(DATA, NaN);
    r.setF64(DATA + 8, 1);
    r.exec(FUCOMPP);
    expect(cc(r.getU16(DATA + 0x10))).toBe(7);
    expect(r.getU16(DATA + 0x10) & SW_IE).toBe(0);
  });
  it("FCOMIP sets ZF PF CF the same way and pops", () => {
    const r = new Rig();
    for (const [a, b, code] of cases) {
      r.setF64(DATA, a);
      r.setF64(DATA + 8, b);
      r.f.init();
      r.exec(FCOMIP);
      const fl = r.getU16(DATA + 0x10);
      expect((fl & ZF ? 4 : 0) | (fl & PF ? 2 : 0) | (fl & CF ? 1 : 0), `${a} vs ${b}`).toBe(code);
      expect(fl & 0x890).toBe(0); // OF SF AF cleared
      expect(r.f.top).toBe(7);
    }
  });
});

describe("functions against Math.*", () => {
  // Relative tolerance: a few units in the last place of a double (see transcendental.ts).
  const TOL = 4e-16 * 8;
  const near = (got: number, want: number) =>
    got === want || Math.abs(got - want) <= TOL * Math.max(Math.abs(want), 1e-300);
  const unary: [string, number[], (x: number) => number, number, number][] = [
    ["fsin", [0xd9, 0xfe], Math.sin, -100, 100],
    ["fcos", [0xd9, 0xff], Math.cos, -100, 100],
    ["f2xm1", [0xd9, 0xf0], (x) => Math.expm1(x * Math.LN2), -1, 1],
    ["fsqrt", [0xd9, 0xfa], Math.sqrt, 0, 1e10],
    [
      "frndint",
      [0xd9, 0xfc],
      (x) => {
        const f = Math.floor(x),
          d = x - f;
        return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
      },
      -1e6,
      1e6,
    ],
  ];
  for (const [name, op, fn, lo, hi] of unary) {
    it(`${name} over [${lo}, ${hi}]`, () => {
      const r = new Rig();
      const code = UNARY(op);
      for (let i = 0; i <= 400; i++) {
        const x = lo + (hi - lo) * ((i * 0.618034) % 1);
        r.setF64(DATA, x);
        r.f.init();
        r.exec(code);
        expect(
          near(r.getF64(DATA + 0x10), fn(x)),
          `${name}(${x}) = ${r.getF64(DATA + 0x10)}, Math gives ${fn(x)}`,
        ).toBe(true);
        expect(r.getU16(DATA + 0x18) & (SW_IE | SW_ZE | SW_C2)).toBe(0);
      }
    });
  }
  it("fptan pushes 1 after tan, the chip's tan(x * pi / p) to the last bit", () => {
    const r = new Rig();
    // 80-bit results of the host's x87 (Intel): for 1e5 the 66-bit pi of the argument
    // reduction shows, 3.7e-15 away from Math.tan(1e5).
    const chip: [number, string][] = [
      [0.3, "3ffd:9e61522714ccbc0a"],
      [-1.2, "c000:a49e21d658b26513"],
      [10, "3ffe:a5faf9a5f1bc12f0"],
      [1e5, "bffa:92854ea819894fdf"],
    ];
    for (const [x, img] of chip) {
      r.setF64(DATA, x);
      r.f.init();
      r.exec(UNARY([0xd9, 0xf2])); // fptan; fstp stores the 1.0
      expect(r.getF64(DATA + 0x10)).toBe(1);
      expect(near(r.st(0), Math.tan(x)) || x === 1e5).toBe(true);
      r.exec("db3e2030"); // fstp tword [0x3020]
      expect(r.getF80(DATA + 0x20), `fptan ${x}`).toBe(img);
    }
  });
  const binary: [string, number[], (y: number, x: number) => number][] = [
    ["fyl2x", [0xd9, 0xf1], (y, x) => y * Math.log2(x)],
    ["fyl2xp1", [0xd9, 0xf9], (y, x) => (y * Math.log1p(x)) / Math.LN2],
    ["fpatan", [0xd9, 0xf3], (y, x) => Math.atan2(y, x)],
  ];
  for (const [name, op, fn] of binary) {
    it(`${name}(ST1, ST0)`, () => {
      const r = new Rig();
      const code = BINARY(op);
      for (let i = 1; i <= 300; i++) {
        const x =
          name === "fyl2xp1"
            ? ((i * 0.618034) % 1) * 0.58 - 0.29
            : name === "fpatan"
              ? Math.sin(i) * 5
              : ((i * 7.31) % 100) + 0.01;
        const y = Math.cos(i) * 10;
        r.setF64(DATA, x);
        r.setF64(DATA + 8, y);
        r.f.init();
        r.exec(code);
        expect(near(r.getF64(DATA + 0x10), fn(y, x)), `${name}(${y}, ${x})`).toBe(true);
      }
    });
  }
  it("trigonometric arguments of 2^63 or more set C2 and leave ST(0) alone", () => {
    const r = new Rig();
    for (const op of [
      [0xd9, 0xfe],
      [0xd9, 0xff],
      [0xd9, 0xf2],
      [0xd9, 0xfb],
    ]) {
      r.setF64(DATA, -Math.pow(2, 63));
      r.f.init();
      r.exec(UNARY(op));
      expect(r.getF64(DATA + 0x10)).toBe(-Math.pow(2, 63));
      expect(r.getU16(DATA + 0x18) & SW_C2).toBe(SW_C2);
      expect(r.f.top).toBe(0);
    }
  });
});

describe("stack faults", () => {
  it("a masked underflow gives the indefinite with IE, SF and C1 = 0", () => {
    const r = new Rig().exec("d9e8 d8c1 dd1e1030 dd3e1830"); // fld1; fadd st0,st1; fstp qword [0x3010]; fnstsw [0x3018]
    expect(r.getQ(DATA + 0x10)).toBe("fff8000000000000");
    expect(r.getU16(DATA + 0x18) & (SW_IE | SW_SF | SW_C1)).toBe(SW_IE | SW_SF);
  });
  it("a masked overflow pushes the indefinite with C1 = 1", () => {
    const r = new Rig().exec("d9e8".repeat(8) + "d9ee"); // 8 x fld1; fldz
    expect(r.f.top).toBe(7);
    expect(r.st(0)).toBeNaN();
    expect(r.sw() & (SW_IE | SW_SF | SW_C1)).toBe(SW_IE | SW_SF | SW_C1);
  });
});

describe("decoding", () => {
  /** Register forms that raise #UD, as measured on a real processor (and FISTTP-less P6 memory forms). */
  const UD_REG = new Set<string>();
  const range = (esc: number, a: number, b: number) => {
    for (let m = a; m <= b; m++) UD_REG.add(`${esc.toString(16)} ${m.toString(16)}`);
  };
  range(0xd9, 0xd1, 0xd7);
  range(0xd9, 0xe2, 0xe3);
  range(0xd9, 0xe6, 0xe7);
  range(0xd9, 0xef, 0xef);
  range(0xda, 0xe0, 0xe8);
  range(0xda, 0xea, 0xff);
  range(0xdb, 0xe5, 0xe7);
  range(0xdb, 0xf8, 0xff);
  range(0xdd, 0xf0, 0xff);
  range(0xde, 0xd8, 0xd8);
  range(0xde, 0xda, 0xdf);
  range(0xdf, 0xe1, 0xe7);
  range(0xdf, 0xf8, 0xff);

  it("raises #UD exactly for the reserved register encodings", () => {
    const r = new Rig();
    const wrong: string[] = [];
    for (let esc = 0xd8; esc <= 0xdf; esc++) {
      for (let m = 0xc0; m <= 0xff; m++) {
        const before = r.hits(6);
        r.f.reset();
        r.load([esc, m]);
        r.run(3); // the instruction, or the #UD and its handler's two instructions
        const ud = r.hits(6) !== before;
        if (ud !== UD_REG.has(`${esc.toString(16)} ${m.toString(16)}`))
          wrong.push(`${esc.toString(16)} ${m.toString(16)}: ${ud ? "#UD" : "executed"}`);
        if (ud !== x87Undefined(esc, m)) wrong.push(`${esc.toString(16)} ${m.toString(16)}: x87Undefined disagrees`);
      }
    }
    expect(wrong).toEqual([]);
  });
  it("raises #UD for the reserved memory forms and FISTTP (SSE3)", () => {
    const r = new Rig();
    for (const [esc, reg] of [
      [0xd9, 1],
      [0xdb, 1],
      [0xdb, 4],
      [0xdb, 6],
      [0xdd, 1],
      [0xdd, 5],
      [0xdf, 1],
    ]) {
      const before = r.hits(6);
      r.load([esc, 0x06 | (reg << 3), 0x00, 0x30]);
      r.run(3);
      expect(r.hits(6), `${esc.toString(16)} /${reg}`).toBe(before + 1);
      expect(x87Undefined(esc, 0x06 | (reg << 3))).toBe(true);
    }
  });
});
