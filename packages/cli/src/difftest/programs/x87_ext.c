/*
 * x87 results that need the full 64-bit significand or the extended exponent range: the
 * arithmetic (FADD..FDIVR, FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1 to completion) on
 * random 80-bit operands at precision control 64 in all rounding modes, stored as 80-bit
 * values; double operands whose 53-bit results overflow or underflow only when stored (the
 * register's exponent range is wider); FILD/FISTP of 64-bit integers beyond 2^53; FBLD/FBSTP
 * with 16 to 18 digits; 80-bit values stored as doubles and floats (one rounding from 64 bits);
 * and the constants FLDPI FLDL2E FLDL2T FLDLG2 FLDLN2 in each rounding mode.
 *
 * An FPU that holds ST(i) as doubles cannot produce most of these; the test counts the lines
 * that differ instead of requiring none.
 *
 * Line: "<insn> <pc.rc> inputs > results sw1 sw2".
 */
#include "x87.h"

static ext80 g_xa, g_xb, g_xr, g_xr2;
static uint64_t g_a, g_b, g_r, g_i64;
static uint32_t g_f32;
static uint16_t g_sw1, g_sw2;
static uint8_t g_bcd[10], g_bcd_in[10];

/* Arithmetic and stores: "C0, C2, C3 Undefined" (SDM Vol. 2 FADD, FST, ...), masked. */
#define SW_ARITH 0x3affu
#define SW_ALL 0x7fffu

#define IO [s1] "=m"(g_sw1), [s2] "=m"(g_sw2), [xr] "=m"(g_xr), [xr2] "=m"(g_xr2), [r] "=m"(g_r), \
  [f32] "=m"(g_f32), [i64] "+m"(g_i64), [bcd] "=m"(g_bcd) \
  : [xa] "m"(g_xa), [xb] "m"(g_xb), [a] "m"(g_a), [b] "m"(g_b), [bin] "m"(g_bcd_in), [cw] "m"(g_cw)
#define CASE(NAME, BODY) static void NAME(void) { __asm__ volatile(X87_BEGIN BODY "\n\tfnstsw %[s2]" : IO : X87_CLOBBERS, "eax", "ecx", "cc"); }

/* 80-bit operands: ST(0) = xa, ST(1) = xb. */
#define BIN80(NAME, INSN) CASE(NAME, "fldt %[xb]\n\tfldt %[xa]\n\t" INSN "\n\tfnstsw %[s1]\n\tfstpt %[xr]\n\tfstp %%st(0)")
BIN80(fadd80, ".byte 0xd8, 0xc1") BIN80(fsub80, ".byte 0xd8, 0xe1") BIN80(fsubr80, ".byte 0xd8, 0xe9")
BIN80(fmul80, ".byte 0xd8, 0xc9") BIN80(fdiv80, ".byte 0xd8, 0xf1") BIN80(fdivr80, ".byte 0xd8, 0xf9")
BIN80(fscale80, "fscale")
CASE(fsqrt80, "fldt %[xa]\n\tfsqrt\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(frndint80, "fldt %[xa]\n\tfrndint\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fxtract80, "fldt %[xa]\n\tfxtract\n\tfnstsw %[s1]\n\tfstpt %[xr]\n\tfstpt %[xr2]")
/* FPREM/FPREM1 until C2 clears (at most 4096 steps, enough for any exponent difference at
 * 32 bits a step; ECX = 0 then says it gave up). */
#define PREM(NAME, INSN) CASE(NAME, "movl $4096, %%ecx\n\tfldt %[xb]\n\tfldt %[xa]\n1:\n\t" INSN "\n\tfnstsw %%ax\n\t" \
  "testb $4, %%ah\n\tloopnz 1b\n\tfnstsw %[s1]\n\tfstpt %[xr]\n\tfstp %%st(0)\n\tmovw %%cx, %[xr2]")
PREM(fprem80, "fprem") PREM(fprem180, "fprem1")
/* Double operands at 53 bits whose results leave the double range before the store. */
#define BIN64(NAME, INSN) CASE(NAME, "fldl %[b]\n\tfldl %[a]\n\t" INSN "\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfstp %%st(0)")
BIN64(fadd64, ".byte 0xd8, 0xc1") BIN64(fsub64, ".byte 0xd8, 0xe1") BIN64(fmul64, ".byte 0xd8, 0xc9")
BIN64(fdiv64, ".byte 0xd8, 0xf1")
/* (a * b) / b and (a + b) - b: the intermediate is outside the double range, the result is not. */
CASE(muldiv64, "fldl %[b]\n\tfldl %[a]\n\tfmul %%st(1), %%st\n\tfdiv %%st(1), %%st\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfstp %%st(0)")
CASE(addsub64, "fldl %[b]\n\tfldl %[a]\n\tfadd %%st(1), %%st\n\tfsub %%st(1), %%st\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfstp %%st(0)")
CASE(fild_fistp64, "fildll %[i64]\n\tfld %%st(0)\n\tfistpll %[i64]\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fbld_fbstp, "fbld %[bin]\n\tfld %%st(0)\n\tfbstp %[bcd]\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fld80_fst64, "fldt %[xa]\n\tfstpl %[r]\n\tfnstsw %[s1]")
CASE(fld80_fst32, "fldt %[xa]\n\tfstps %[f32]\n\tfnstsw %[s1]")
CASE(fldpi, "fldpi\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fldl2e, "fldl2e\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fldl2t, "fldl2t\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fldlg2, "fldlg2\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fldln2, "fldln2\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fld1, "fld1\n\tfnstsw %[s1]\n\tfstpt %[xr]")
CASE(fldz, "fldz\n\tfnstsw %[s1]\n\tfstpt %[xr]")

/* A random 80-bit value: normal with a 64-bit significand, exponent within +-emax, or special
 * (zeros, infinities, NaNs, the largest and smallest normals, denormals). */
static ext80 rnd_ext(int emax) {
  ext80 x;
  uint16_t s = (uint16_t)((rnd() & 1) << 15);
  switch (rnd() % 10) {
    case 0: {
      static const struct { uint16_t se; uint64_t m; } sp[] = {
        {0, 0}, {0x7fff, 1ull << 63}, {0x7fff, 3ull << 62}, {0x7fff, (1ull << 63) | 0x1234}, {0x7fff, (1ull << 63) | 1},
        {0x7ffe, ~0ull}, {1, 1ull << 63}, {0, 1}, {0, 0x7fffffffffffffffull}, {0x3fff, 1ull << 63},
      };
      int i = (int)(rnd() % (sizeof sp / sizeof sp[0]));
      x.se = s | sp[i].se; x.m = sp[i].m; return x;
    }
    case 1: x.m = ~0ull; break;
    case 2: x.m = 1ull << 63 | (rnd64() & 0xffffffff00000000ull); break;
    case 3: x.m = 1ull << 63 | 0x400; break; /* a double plus half a unit at bit 10 */
    default: x.m = 1ull << 63 | rnd64(); break;
  }
  x.se = s | (uint16_t)(16383 + (int)(rnd() % (uint32_t)(2 * emax + 1)) - emax);
  return x;
}

static void tail(void) { out_sw(g_sw1 & SW_ARITH); out_sw(g_sw2 & SW_ARITH); out_nl(); }
static void out_bcd(const uint8_t *b) { out_ch(' '); for (int i = 9; i >= 0; i--) out_hexn(b[i], 2); }

int main(void) {
  static const struct { const char *name; void (*fn)(void); } bins[] = {
    {"fadd.x", fadd80}, {"fsub.x", fsub80}, {"fsubr.x", fsubr80}, {"fmul.x", fmul80}, {"fdiv.x", fdiv80},
    {"fdivr.x", fdivr80},
  };
  for (int rc = 0; rc < 4; rc++) {
    set_cw(3, rc);
    for (unsigned i = 0; i < sizeof bins / sizeof bins[0]; i++)
      for (int k = 0; k < 200; k++) {
        g_xa = rnd_ext(k & 1 ? 40 : 16000); g_xb = (k % 3 == 0) ? g_xa : rnd_ext(40);
        if (k % 3 == 0) g_xb.m ^= 1ull << (rnd() % 12);
        bins[i].fn();
        out_str(bins[i].name); out_mode(); out_f80(&g_xa); out_f80(&g_xb); out_sep(); out_f80(&g_xr); tail();
      }
    for (int k = 0; k < 200; k++) {
      g_xa = rnd_ext(100); if (k & 1) g_xa.se &= 0x7fff;
      fsqrt80(); out_str("fsqrt.x"); out_mode(); out_f80(&g_xa); out_sep(); out_f80(&g_xr); tail();
      g_xa = rnd_ext(66); frndint80(); out_str("frndint.x"); out_mode(); out_f80(&g_xa); out_sep(); out_f80(&g_xr); tail();
    }
    for (int k = 0; k < 150; k++) {
      uint64_t big[] = {0x7fefffffffffffffull, 0x7fe0000000000000ull, 0x0010000000000000ull, 0x0000000000000001ull, 0x000fffffffffffffull};
      g_a = (rnd() & 1) ? big[rnd() % 5] | ((uint64_t)(rnd() & 1) << 63) : rnd_double_exp(1022);
      g_b = (rnd() & 1) ? big[rnd() % 5] : rnd_double_exp(1022);
      set_cw(2, rc);
      static void (*const f64ops[])(void) = {fadd64, fsub64, fmul64, fdiv64, muldiv64, addsub64};
      static const char *const f64names[] = {"fadd.range", "fsub.range", "fmul.range", "fdiv.range", "fmul.fdiv.range", "fadd.fsub.range"};
      int j = k % 6;
      f64ops[j]();
      out_str(f64names[j]); out_mode(); out_f64(g_a); out_f64(g_b); out_sep(); out_f64(g_r); tail();
      set_cw(3, rc);
    }
    for (int k = 0; k < 200; k++) {
      g_xa = rnd_ext(k & 1 ? 200 : 16383);
      fld80_fst64(); out_str("fld.m80.fstp.m64"); out_mode(); out_f80(&g_xa); out_sep(); out_f64(g_r); tail();
      fld80_fst32(); out_str("fld.m80.fstp.m32"); out_mode(); out_f80(&g_xa); out_sep(); out_f32(g_f32); tail();
    }
    static const struct { const char *name; void (*fn)(void); } consts[] = {
      {"fldpi", fldpi}, {"fldl2e", fldl2e}, {"fldl2t", fldl2t}, {"fldlg2", fldlg2}, {"fldln2", fldln2}, {"fld1", fld1}, {"fldz", fldz},
    };
    for (unsigned i = 0; i < 7; i++) { consts[i].fn(); out_str(consts[i].name); out_mode(); out_sep(); out_f80(&g_xr); tail(); }
  }
  set_cw(3, 0);
  for (int k = 0; k < 400; k++) {
    g_xa = rnd_ext(70); g_xb = rnd_ext(70);
    if (k & 1) { int e = (int)(g_xb.se & 0x7fff) + (int)(rnd() % 400); if (e > 0x7ffe) e = 0x7ffe; g_xa.se = (uint16_t)((g_xa.se & 0x8000) | e); }
    memset(&g_xr2, 0, sizeof g_xr2);
    if (k & 2) fprem80(); else fprem180();
    out_str(k & 2 ? "fprem.x" : "fprem1.x"); out_f80(&g_xa); out_f80(&g_xb); out_sep();
    if (g_xr2.m == 0) out_str(" incomplete-after-4096-steps"); else { out_f80(&g_xr); out_sw(g_sw1 & SW_ALL); }
    out_sw(g_sw2 & SW_ARITH); out_nl();
  }
  for (int k = 0; k < 300; k++) {
    g_xa = rnd_ext(k & 1 ? 3 : 40); g_xb = rnd_ext(12);
    if (k & 2) { int n = (int)(rnd() % 64) - 32; g_xb = ext_of_double(n < 0 ? (D_SIGN | (uint64_t)(1023 + 31 - __builtin_clz((unsigned)-n)) << 52) : n ? (uint64_t)(1023 + 31 - __builtin_clz((unsigned)n)) << 52 : 0); }
    fscale80(); out_str("fscale.x"); out_f80(&g_xa); out_f80(&g_xb); out_sep(); out_f80(&g_xr); tail();
    fxtract80(); out_str("fxtract.x"); out_f80(&g_xa); out_sep(); out_f80(&g_xr); out_f80(&g_xr2); tail();
  }
  for (int k = 0; k < 500; k++) {
    int64_t v = (int64_t)(rnd64() >> (rnd() % 12));
    if (k < 4) v = k == 0 ? INT64_MIN : k == 1 ? INT64_MAX : k == 2 ? (1ll << 53) + 1 : -(1ll << 60) - 3;
    g_i64 = (uint64_t)v; fild_fistp64();
    out_str("fild.fistp.m64"); out_x64((uint64_t)v); out_sep(); out_x64(g_i64); out_f80(&g_xr); tail();
  }
  for (int k = 0; k < 400; k++) {
    memset(g_bcd_in, 0, sizeof g_bcd_in);
    int digits = 16 + (int)(rnd() % 3);
    for (int d = 0; d < digits; d++) g_bcd_in[d / 2] |= (uint8_t)((rnd() % 10) << (4 * (d & 1)));
    g_bcd_in[9] = (rnd() & 1) ? 0x80 : 0x00;
    fbld_fbstp();
    out_str("fbld.fbstp"); out_bcd(g_bcd_in); out_sep(); out_bcd(g_bcd); out_f80(&g_xr); tail();
  }
  out_flush();
  return 0;
}
