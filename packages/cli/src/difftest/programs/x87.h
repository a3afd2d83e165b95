/*
 * Shared by the x87 difftest programs. Every case is one asm statement that starts from
 * FNINIT and a chosen control word, loads its operands from memory, runs the instruction,
 * stores the status word right after it (sw1), stores the results to memory, empties the
 * stack and stores the status word again (sw2: the sticky exception flags of the whole case
 * and TOP, which must be back to 0). The C code around never computes in floating point, so
 * the compiler keeps nothing on the x87 stack across these statements.
 *
 * Values are printed as bit patterns: doubles as 16 hex digits, floats as 8, 80-bit values as
 * "ssss.mmmmmmmmmmmmmmmm" (sign and exponent, then the 64-bit significand).
 */
#ifndef DIFFTEST_X87_H
#define DIFFTEST_X87_H

#include "common.h"

#define X87_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"
#define X87_BEGIN "fninit\n\tfldcw %[cw]\n\t"

/* Control word: all exceptions masked; precision control PC (0 = 24-bit, 2 = 53-bit,
 * 3 = 64-bit significand) and rounding control RC (0 nearest, 1 down, 2 up, 3 toward zero),
 * SDM Vol. 1 §8.1.5. */
static uint16_t g_cw;
MAYBE_UNUSED static void set_cw(int pc, int rc) { g_cw = (uint16_t)(0x037f & ~0x0f00) | (uint16_t)(pc << 8 | rc << 10); }
MAYBE_UNUSED static const char *const pc_name[4] = {"p24", "p??", "p53", "p64"};
MAYBE_UNUSED static const char *const rc_name[4] = {"rn", "rd", "ru", "rz"};

typedef struct { uint64_t m; uint16_t se; } __attribute__((packed)) ext80;

MAYBE_UNUSED static void out_f64(uint64_t v) { out_x64(v); }
MAYBE_UNUSED static void out_f32(uint32_t v) { out_x32(v); }
MAYBE_UNUSED static void out_f80(const ext80 *v) { out_ch(' '); out_hexn(v->se, 4); out_ch('.'); out_hexn((uint32_t)(v->m >> 32), 8); out_hexn((uint32_t)v->m, 8); }
MAYBE_UNUSED static void out_sw(uint16_t sw) { out_x16(sw); }
MAYBE_UNUSED static void out_mode(void) { out_ch(' '); out_str(pc_name[(g_cw >> 8) & 3]); out_ch('.'); out_str(rc_name[(g_cw >> 10) & 3]); }

#define D_POS0 0x0000000000000000ull
#define D_NEG0 0x8000000000000000ull
#define D_ONE 0x3ff0000000000000ull
#define D_INF 0x7ff0000000000000ull
#define D_QNAN 0x7ff8000000000000ull
#define D_SIGN 0x8000000000000000ull

/* Special doubles every binary operation meets. */
static const uint64_t d_specials[] = {
  D_POS0, D_NEG0, D_ONE, D_ONE | D_SIGN, D_INF, D_INF | D_SIGN,
  D_QNAN, D_QNAN | D_SIGN,            /* quiet NaNs; the negative one is the real indefinite */
  0x7ff8000000012345ull,              /* quiet NaN with a payload */
  0x7ff0000000000001ull, 0xfff4000000000000ull, /* signaling NaNs */
  0x4000000000000000ull, 0x3fe0000000000000ull, 0x4008000000000000ull, /* 2, 0.5, 3 */
  0x3fd5555555555555ull, 0xbfd5555555555555ull, /* +-1/3 */
  0x4024000000000000ull, 0x4330000000000000ull, /* 10, 2^52 */
};
#define N_D_SPECIALS (int)(sizeof d_specials / sizeof d_specials[0])

/* A significand pattern (52 bits) that makes rounding interesting. */
static uint64_t rnd_frac52(void) {
  uint64_t r = rnd64() & 0xfffffffffffffull;
  switch (rnd() & 7) {
    case 0: return 0;
    case 1: return 0xfffffffffffffull;
    case 2: return r & 0xff00000000000ull;          /* few significant bits: exact results */
    case 3: return r | 0xffffffull;                 /* long run of ones at the bottom */
    case 4: return 1ull << (rnd() % 52);
    default: return r;
  }
}

/* A finite normal double with |exponent| <= emax (unbiased). */
static uint64_t rnd_double_exp(int emax) {
  int e = (int)(rnd() % (uint32_t)(2 * emax + 1)) - emax;
  return ((uint64_t)(rnd() & 1) << 63) | ((uint64_t)(1023 + e) << 52) | rnd_frac52();
}

/* Operands for the 53-bit group: specials, nearby exponents (so sums cancel and align), and
 * magnitudes within 2^+-200, far from the double range's ends. */
MAYBE_UNUSED static uint64_t rnd_double(void) {
  switch (rnd() % 10) {
    case 0: case 1: return d_specials[rnd() % N_D_SPECIALS];
    case 2: case 3: case 4: return rnd_double_exp(4);
    case 5: case 6: return rnd_double_exp(30);
    default: return rnd_double_exp(200);
  }
}

/* b close to a: equal, one unit apart, the other sign, or a power of two apart. Zeros,
 * subnormals, infinities and NaNs are returned as they are (one unit away from them is a
 * subnormal or a NaN, which belong elsewhere). */
MAYBE_UNUSED static uint64_t near_double(uint64_t a) {
  uint32_t e = (uint32_t)(a >> 52) & 0x7ff;
  if (e == 0 || e == 0x7ff) return a;
  switch (rnd() & 3) {
    case 0: return a;
    case 1: return a + 1;
    case 2: return a ^ D_SIGN;
    default: return e + 60 < 0x7ff ? a + ((uint64_t)(rnd() % 60) << 52) : a;
  }
}

/* A double subnormal (exponent field 0, non-zero fraction). */
MAYBE_UNUSED static uint64_t rnd_subnormal(void) {
  uint64_t f = rnd_frac52(); if (!f) f = 1;
  return ((uint64_t)(rnd() & 1) << 63) | f;
}

/* Floats: specials and random normals within 2^+-60. */
static const uint32_t f_specials[] = {
  0x00000000u, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
  0xffc00000u, 0x7fc12345u, 0x7f800001u, 0x7fa00000u, 0x40000000u, 0x3f000000u, 0x3eaaaaabu,
};
#define N_F_SPECIALS (int)(sizeof f_specials / sizeof f_specials[0])
MAYBE_UNUSED static uint32_t rnd_float(void) {
  if (rnd() % 5 == 0) return f_specials[rnd() % N_F_SPECIALS];
  int e = (int)(rnd() % 121) - 60;
  uint32_t f = rnd() & 0x7fffff;
  switch (rnd() & 3) { case 0: f = 0; break; case 1: f |= 0x7fff; break; default: break; }
  return (rnd() & 0x80000000u) | (uint32_t)(127 + e) << 23 | f;
}

/* The 80-bit value equal to double d (integer arithmetic only), for finite and special d. */
MAYBE_UNUSED static ext80 ext_of_double(uint64_t d) {
  ext80 x;
  uint16_t sign = (uint16_t)(d >> 63) << 15;
  int e = (int)(d >> 52 & 0x7ff);
  uint64_t f = d & 0xfffffffffffffull;
  if (e == 0x7ff) { x.se = sign | 0x7fff; x.m = 1ull << 63 | f << 11; return x; }
  if (e == 0) {
    if (!f) { x.se = sign; x.m = 0; return x; }
    int sh = __builtin_clzll(f);                  /* normalise the subnormal */
    x.m = f << sh; x.se = sign | (uint16_t)(16383 - 1022 - (sh - 11)); return x;
  }
  x.m = 1ull << 63 | f << 11; x.se = sign | (uint16_t)(e - 1023 + 16383);
  return x;
}

#endif
