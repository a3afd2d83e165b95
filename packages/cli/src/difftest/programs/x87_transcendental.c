/*
 * x87 transcendental instructions: FSIN FCOS FSINCOS FPTAN (including arguments at and beyond
 * 2^63, which set C2 and leave the operand), FPATAN over all quadrants, F2XM1 on [-1, 1],
 * FYL2X, FYL2XP1 on |x| < 1 - sqrt(2)/2 (outside these domains the SDM calls the result
 * undefined, so they are not run). Results are stored as 80-bit values: they carry the
 * hardware's own 64-bit approximations, which an FPU computing in doubles cannot reproduce;
 * the test counts differing lines.
 *
 * Line: "<insn> x [y] > results sw1 sw2".
 */
#include "x87.h"

static ext80 g_x, g_y, g_r1, g_r2;
static uint16_t g_sw1, g_sw2;

/* FSIN, FCOS, FSINCOS, FPTAN: "C1 ... Set if result was rounded up; cleared otherwise. C2 Set
 * to 1 if outside range (-2^63 < source operand < +2^63); otherwise, set to 0. C0, C3
 * Undefined." */
#define SW_TRIG 0x3effu
/* FPATAN, F2XM1, FYL2X, FYL2XP1: "C0, C2, C3 Undefined." */
#define SW_OTHER 0x3affu
/* After FSTP to memory: "C0, C2, C3 Undefined" (SDM FST). */
#define SW_STORE 0x3affu

#define IO [s1] "=m"(g_sw1), [s2] "=m"(g_sw2), [r1] "=m"(g_r1), [r2] "=m"(g_r2) : [x] "m"(g_x), [y] "m"(g_y), [cw] "m"(g_cw)
#define CASE(NAME, BODY) static void NAME(void) { __asm__ volatile(X87_BEGIN BODY "\n\tfnstsw %[s2]" : IO : X87_CLOBBERS); }
/* One operand, one result (or the operand left in place when C2 says out of range). */
CASE(fsin_, "fldt %[x]\n\tfsin\n\tfnstsw %[s1]\n\tfstpt %[r1]")
CASE(fcos_, "fldt %[x]\n\tfcos\n\tfnstsw %[s1]\n\tfstpt %[r1]")
CASE(f2xm1_, "fldt %[x]\n\tf2xm1\n\tfnstsw %[s1]\n\tfstpt %[r1]")
/* FSINCOS: ST(0) = cos, ST(1) = sin; FPTAN: ST(0) = 1.0, ST(1) = tan. Out of range: nothing
 * is pushed, so ST(1) is the FLDZ below the operand. */
CASE(fsincos_, "fldz\n\tfldt %[x]\n\tfsincos\n\tfnstsw %[s1]\n\tfstpt %[r1]\n\tfstpt %[r2]\n\tfnstsw %%ax\n\t"
               "testb $0x38, %%ah\n\tjz 1f\n\tfstp %%st(0)\n1:")
CASE(fptan_, "fldz\n\tfldt %[x]\n\tfptan\n\tfnstsw %[s1]\n\tfstpt %[r1]\n\tfstpt %[r2]\n\tfnstsw %%ax\n\t"
             "testb $0x38, %%ah\n\tjz 1f\n\tfstp %%st(0)\n1:")
/* Two operands, ST(1) = y, ST(0) = x; the result replaces ST(1) and ST(0) is popped. */
CASE(fpatan_, "fldt %[y]\n\tfldt %[x]\n\tfpatan\n\tfnstsw %[s1]\n\tfstpt %[r1]")
CASE(fyl2x_, "fldt %[y]\n\tfldt %[x]\n\tfyl2x\n\tfnstsw %[s1]\n\tfstpt %[r1]")
CASE(fyl2xp1_, "fldt %[y]\n\tfldt %[x]\n\tfyl2xp1\n\tfnstsw %[s1]\n\tfstpt %[r1]")

/* An 80-bit value 2^e * (1 + f) with a random 64-bit significand. */
static ext80 ext_exp(int e, int neg) {
  ext80 x; x.m = 1ull << 63 | rnd64(); x.se = (uint16_t)((neg ? 0x8000 : 0) | (16383 + e));
  if ((rnd() & 3) == 0) x.m &= 0xfffffffffffff800ull; /* a double's significand */
  return x;
}
static ext80 ext_zero(int neg) { ext80 x; x.m = 0; x.se = neg ? 0x8000 : 0; return x; }
static ext80 ext_special(void) {
  ext80 x; int k = (int)(rnd() % 4);
  x.se = (uint16_t)(((rnd() & 1) << 15) | 0x7fff);
  x.m = k == 0 ? 1ull << 63 : k == 1 ? 3ull << 62 : (1ull << 63) | 0x5;
  if (k == 3) { x.se &= 0x8000; x.m = 0; }
  return x;
}

static void out_case(const char *name, int two, int results, uint16_t mask) {
  out_str(name); out_f80(&g_x); if (two) out_f80(&g_y); out_sep();
  out_f80(&g_r1); if (results == 2) out_f80(&g_r2);
  out_sw(g_sw1 & mask); out_sw(g_sw2 & SW_STORE); out_nl();
}

int main(void) {
  set_cw(3, 0);
  for (int k = 0; k < 1200; k++) {
    /* Mostly |x| < 8, some up to 2^62, some at or beyond 2^63 (C2 = 1), and specials. */
    int r = (int)(rnd() % 20);
    if (r == 0) g_x = ext_special();
    else if (r == 1) g_x = ext_exp(63 + (int)(rnd() % 3), (int)(rnd() & 1));
    else if (r < 5) g_x = ext_exp((int)(rnd() % 63), (int)(rnd() & 1));
    else g_x = ext_exp((int)(rnd() % 40) - 37, (int)(rnd() & 1));
    if (k < 2) g_x = ext_zero(k);
    fsin_(); out_case("fsin", 0, 1, SW_TRIG);
    fcos_(); out_case("fcos", 0, 1, SW_TRIG);
    fsincos_(); out_case("fsincos", 0, 2, SW_TRIG);
    fptan_(); out_case("fptan", 0, 2, SW_TRIG);
  }
  for (int k = 0; k < 1500; k++) {
    g_x = ext_exp((int)(rnd() % 40) - 20, (int)(rnd() & 1));
    g_y = ext_exp((int)(rnd() % 40) - 20, (int)(rnd() & 1));
    if (k % 10 == 0) g_x = ext_zero((int)(rnd() & 1));
    if (k % 10 == 1) g_y = ext_zero((int)(rnd() & 1));
    if (k % 10 == 2) g_x = ext_special();
    fpatan_(); out_case("fpatan", 1, 1, SW_OTHER);
  }
  for (int k = 0; k < 1500; k++) {
    /* F2XM1: -1 <= x <= 1. */
    g_x = ext_exp(-(int)(rnd() % 64) - 1, (int)(rnd() & 1));
    if (k < 2) g_x = ext_zero(k);
    else if (k < 4) { g_x = ext_exp(0, k & 1); g_x.m = 1ull << 63; } /* +-1 */
    f2xm1_(); out_case("f2xm1", 0, 1, SW_OTHER);
  }
  for (int k = 0; k < 1500; k++) {
    /* FYL2X: x > 0 (x <= 0 is an invalid operation or -inf, both defined), any y. */
    g_x = ext_exp((int)(rnd() % 200) - 100, k % 16 == 0);
    g_y = ext_exp((int)(rnd() % 20) - 10, (int)(rnd() & 1));
    if (k % 16 == 1) g_x = ext_zero(0);
    if (k % 16 == 2) { g_x.se = 16383; g_x.m = 1ull << 63; } /* log2(1) = 0 */
    fyl2x_(); out_case("fyl2x", 1, 1, SW_OTHER);
  }
  for (int k = 0; k < 1500; k++) {
    /* FYL2XP1: |x| < 1 - sqrt(2)/2 ~ 0.29, so exponents below -2. */
    g_x = ext_exp(-(int)(rnd() % 64) - 3, (int)(rnd() & 1));
    g_y = ext_exp((int)(rnd() % 20) - 10, (int)(rnd() & 1));
    fyl2xp1_(); out_case("fyl2xp1", 1, 1, SW_OTHER);
  }
  out_flush();
  return 0;
}
