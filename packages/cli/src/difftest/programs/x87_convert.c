/*
 * x87 loads, stores and conversions whose results are exact with a 53-bit significand:
 * FILD m16/m32/m64 (m64 within +-2^53), FIST/FISTP m16/m32/m64 of doubles in all four rounding
 * modes (including out-of-range values, which store the integer indefinite), FBLD (up to 15
 * digits) and FBSTP, FLD m32/m64/m80 and FST/FSTP m32/m64/m80 between formats in all rounding
 * modes (float overflow, float subnormals, double subnormals, signaling NaNs), register moves
 * (FLD ST(i), FXCH, FST/FSTP ST(i), FFREE, FINCSTP/FDECSTP) and FNSTENV's control, status and
 * tag words.
 *
 * Line: "<insn> <pc.rc> input > output sw1 sw2".
 */
#include "x87.h"

static uint64_t g_a, g_r, g_i64;
static uint32_t g_f32, g_i32;
static uint16_t g_i16, g_sw1, g_sw2;
static ext80 g_x, g_xr;
static uint8_t g_bcd[10], g_bcd_in[10];
static uint16_t g_env[14];

/* Loads and stores (SDM Vol. 2 FLD, FILD, FBLD, FST, FIST, FBSTP): "C1 Set to 0 if stack
 * underflow occurred" / rounding direction for stores; "C0, C2, C3 Undefined." */
#define SW_LDST 0x3affu

#define IO [s1] "=m"(g_sw1), [s2] "=m"(g_sw2), [r] "=m"(g_r), [f32] "+m"(g_f32), [i32] "+m"(g_i32), \
  [i16] "+m"(g_i16), [i64] "+m"(g_i64), [x] "+m"(g_x), [xr] "=m"(g_xr), [bcd] "+m"(g_bcd) \
  : [a] "m"(g_a), [cw] "m"(g_cw), [bin] "m"(g_bcd_in)

#define CASE(NAME, BODY) static void NAME(void) { __asm__ volatile(X87_BEGIN BODY "\n\tfnstsw %[s2]" : IO : X87_CLOBBERS); }
CASE(fild16, "filds %[i16]\n\tfnstsw %[s1]\n\tfstpl %[r]")
CASE(fild32, "fildl %[i32]\n\tfnstsw %[s1]\n\tfstpl %[r]")
CASE(fild64, "fildll %[i64]\n\tfnstsw %[s1]\n\tfstpl %[r]")
CASE(fist16, "fldl %[a]\n\tfists %[i16]\n\tfnstsw %[s1]\n\tfstp %%st(0)")
CASE(fist32, "fldl %[a]\n\tfistl %[i32]\n\tfnstsw %[s1]\n\tfstp %%st(0)")
CASE(fistp16, "fldl %[a]\n\tfistps %[i16]\n\tfnstsw %[s1]")
CASE(fistp32, "fldl %[a]\n\tfistpl %[i32]\n\tfnstsw %[s1]")
CASE(fistp64, "fldl %[a]\n\tfistpll %[i64]\n\tfnstsw %[s1]")
CASE(fbld, "fbld %[bin]\n\tfnstsw %[s1]\n\tfstpl %[r]")
CASE(fbstp, "fldl %[a]\n\tfbstp %[bcd]\n\tfnstsw %[s1]")
CASE(fld32_fst64, "flds %[f32]\n\tfnstsw %[s1]\n\tfstpl %[r]")
CASE(fld64_fst32, "fldl %[a]\n\tfsts %[f32]\n\tfnstsw %[s1]\n\tfstp %%st(0)")
CASE(fld64_fstp32, "fldl %[a]\n\tfstps %[f32]\n\tfnstsw %[s1]")
CASE(fld64_fst64, "fldl %[a]\n\tfstl %[r]\n\tfnstsw %[s1]\n\tfstp %%st(0)")
CASE(fld64_fstp80, "fldl %[a]\n\tfstpt %[xr]\n\tfnstsw %[s1]")
CASE(fld80_fstp64, "fldt %[x]\n\tfnstsw %[s1]\n\tfstpl %[r]")
CASE(fld80_fstp80, "fldt %[x]\n\tfnstsw %[s1]\n\tfstpt %[xr]")

/* Register moves: a, then a+1-ish values built with FLD1/FADD; the final stack is stored. */
static uint64_t g_st[4];
static void moves(int variant) {
  switch (variant) {
#define MV(N, BODY) case N: __asm__ volatile(X87_BEGIN "fldl %[a]\n\tfld1\n\tfldz\n\t" BODY "\n\tfnstsw %[s1]\n\t" \
    "fstpl %[r0]\n\tfstpl %[r1]\n\tfstpl %[r2]\n\tfnstsw %[s2]" : [s1] "=m"(g_sw1), [s2] "=m"(g_sw2), \
    [r0] "=m"(g_st[0]), [r1] "=m"(g_st[1]), [r2] "=m"(g_st[2]) : [a] "m"(g_a), [cw] "m"(g_cw) : X87_CLOBBERS); break;
    MV(0, "fxch %%st(2)") MV(1, "fld %%st(2)\n\tfaddp %%st, %%st(1)") MV(2, "fst %%st(1)")
    MV(3, "fstp %%st(1)\n\tfld %%st(1)") MV(4, "fxch %%st(1)\n\tfxch %%st(2)")
    MV(5, "fdecstp\n\tfincstp") MV(6, "fchs\n\tfxch %%st(2)\n\tfabs")
    default: break;
  }
}
static const char *const move_names[] = {"fxch", "fld.st2", "fst.st1", "fstp.st1", "fxch2", "fdecstp", "fchs.fxch.fabs"};

/* FNSTENV after loading two values and freeing one: control, status and tag words (the
 * instruction and operand pointers are not compared: they are addresses). */
static void env_case(void) {
  __asm__ volatile(X87_BEGIN "fldl %[a]\n\tfld1\n\tfldz\n\tffree %%st(1)\n\tfnstenv %[env]\n\tfninit"
                   : [env] "=m"(g_env) : [a] "m"(g_a), [cw] "m"(g_cw) : X87_CLOBBERS);
}

static uint64_t rnd_int_double(int bits) {
  /* A double near or beyond the range of a bits-bit integer, often with a fraction. */
  int e = (int)(rnd() % (uint32_t)(bits + 4)) - 2;
  uint64_t d = ((uint64_t)(rnd() & 1) << 63) | (uint64_t)(1023 + e) << 52 | rnd_frac52();
  if ((rnd() & 3) == 0) d = ((uint64_t)(rnd() & 1) << 63) | (uint64_t)(1023 + (int)(rnd() % 4) - 2) << 52 | (rnd() & 1ull ? 1ull << 51 : rnd_frac52()); /* near +-0.5 .. +-2 */
  if ((rnd() & 7) == 0) d = d_specials[rnd() % N_D_SPECIALS];
  return d;
}

/* A double that float conversion finds interesting: near FLT_MAX, in the float subnormal
 * range and below it, double subnormals, specials. */
static uint64_t rnd_for_float(void) {
  switch (rnd() % 6) {
    case 0: return d_specials[rnd() % N_D_SPECIALS];
    case 1: return rnd_subnormal();
    case 2: { int e = 127 + (int)(rnd() % 3) - 1; return ((uint64_t)(rnd() & 1) << 63) | (uint64_t)(1023 + e) << 52 | rnd_frac52(); }
    case 3: { int e = -126 - (int)(rnd() % 28); return ((uint64_t)(rnd() & 1) << 63) | (uint64_t)(1023 + e) << 52 | rnd_frac52(); }
    default: return rnd_double_exp(130);
  }
}

static uint32_t rnd_float_any(void) {
  switch (rnd() % 4) {
    case 0: return f_specials[rnd() % N_F_SPECIALS];
    case 1: return (rnd() & 0x80000000u) | (rnd() & 0x7fffff); /* float subnormal */
    case 2: return rnd();                                      /* anything */
    default: return rnd_float();
  }
}

static void out_bcd(const uint8_t *b) { out_ch(' '); for (int i = 9; i >= 0; i--) out_hexn(b[i], 2); }
static void tail(void) { out_sw(g_sw1 & SW_LDST); out_sw(g_sw2 & SW_LDST); out_nl(); }

int main(void) {
  set_cw(3, 0);
  uint32_t ev[24];
  int n16 = edge_values(2, ev);
  for (int k = 0; k < 300; k++) {
    g_i16 = (uint16_t)(k < n16 ? ev[k] : rnd_val(2)); fild16();
    out_str("fild.m16"); out_x16(g_i16); out_sep(); out_f64(g_r); tail();
  }
  int n32 = edge_values(4, ev);
  for (int k = 0; k < 300; k++) {
    g_i32 = k < n32 ? ev[k] : rnd_val(4); fild32();
    out_str("fild.m32"); out_x32(g_i32); out_sep(); out_f64(g_r); tail();
  }
  for (int k = 0; k < 400; k++) {
    /* Within +-2^53, where a double holds every integer. */
    int64_t v = (int64_t)(rnd64() >> (11 + rnd() % 53));
    if (rnd() & 1) v = -v;
    if (k < 4) v = k == 0 ? (1ll << 53) : k == 1 ? -(1ll << 53) : k == 2 ? 0 : -1;
    g_i64 = (uint64_t)v; fild64();
    out_str("fild.m64"); out_x64(g_i64); out_sep(); out_f64(g_r); tail();
  }
  static const struct { const char *name; void (*fn)(void); int bits; } fists[] = {
    {"fist.m16", fist16, 16}, {"fistp.m16", fistp16, 16}, {"fist.m32", fist32, 32}, {"fistp.m32", fistp32, 32},
    {"fistp.m64", fistp64, 64},
  };
  for (int rc = 0; rc < 4; rc++) {
    set_cw(3, rc);
    for (unsigned i = 0; i < 5; i++)
      for (int k = 0; k < 250; k++) {
        g_a = rnd_int_double(fists[i].bits); g_i16 = 0x5555; g_i32 = 0x55555555; g_i64 = 0x5555555555555555ull;
        fists[i].fn();
        out_str(fists[i].name); out_mode(); out_f64(g_a); out_sep();
        if (fists[i].bits == 16) out_x16(g_i16); else if (fists[i].bits == 32) out_x32(g_i32); else out_x64(g_i64);
        tail();
      }
    for (int k = 0; k < 300; k++) {
      g_a = rnd_for_float(); g_f32 = 0x55555555;
      if (k & 1) fld64_fst32(); else fld64_fstp32();
      out_str(k & 1 ? "fst.m32" : "fstp.m32"); out_mode(); out_f64(g_a); out_sep(); out_f32(g_f32); tail();
    }
    for (int k = 0; k < 200; k++) {
      /* FBSTP rounds per RC; beyond 18 digits it stores the BCD indefinite. */
      g_a = k < 20 ? d_specials[k % N_D_SPECIALS] : rnd_double_exp(64) & ~((k & 1) ? 0ull : 0xfffull);
      if (k >= 20 && (rnd() & 1)) g_a &= ~(1ull << 62 | 1ull << 61); /* smaller exponents too */
      memset(g_bcd, 0x55, sizeof g_bcd); fbstp();
      out_str("fbstp"); out_mode(); out_f64(g_a); out_sep(); out_bcd(g_bcd); tail();
    }
  }
  set_cw(3, 0);
  for (int k = 0; k < 400; k++) {
    /* FBLD: up to 15 digits, either sign (the sign byte's low bits are ignored). */
    memset(g_bcd_in, 0, sizeof g_bcd_in);
    int digits = (int)(rnd() % 16);
    for (int d = 0; d < digits; d++) g_bcd_in[d / 2] |= (uint8_t)((rnd() % 10) << (4 * (d & 1)));
    g_bcd_in[9] = (rnd() & 1) ? 0x80 : 0x00;
    fbld();
    out_str("fbld"); out_bcd(g_bcd_in); out_sep(); out_f64(g_r); tail();
  }
  for (int k = 0; k < 500; k++) {
    g_f32 = k < N_F_SPECIALS ? f_specials[k] : rnd_float_any(); fld32_fst64();
    out_str("fld.m32"); out_f32(g_f32); out_sep(); out_f64(g_r); tail();
  }
  for (int k = 0; k < 500; k++) {
    g_a = k < N_D_SPECIALS ? d_specials[k] : (k & 1) ? rnd_subnormal() : rnd_double_exp(1023);
    fld64_fst64();
    out_str("fst.m64"); out_f64(g_a); out_sep(); out_f64(g_r); tail();
    fld64_fstp80();
    out_str("fstp.m80"); out_f64(g_a); out_sep(); out_f80(&g_xr); tail();
    g_x = ext_of_double(g_a);
    fld80_fstp64();
    out_str("fld.m80.fstp.m64"); out_f80(&g_x); out_sep(); out_f64(g_r); tail();
    fld80_fstp80();
    out_str("fld.m80.fstp.m80"); out_f80(&g_x); out_sep(); out_f80(&g_xr); tail();
  }
  for (int v = 0; v < 7; v++)
    for (int k = 0; k < 20; k++) {
      g_a = rnd_double(); moves(v);
      out_str(move_names[v]); out_f64(g_a); out_sep(); out_f64(g_st[0]); out_f64(g_st[1]); out_f64(g_st[2]);
      out_sw(g_sw1 & SW_LDST); out_sw(g_sw2 & SW_LDST); out_nl();
    }
  for (int rc = 0; rc < 4; rc++)
    for (int pc = 0; pc < 4; pc++) {
      set_cw(pc, rc); g_a = rnd_double(); env_case();
      /* FNSTENV (32-bit protected mode): control word, status word, tag word at bytes 0, 4, 8.
       * Control word bits 6, 13-15 are reserved (SDM Vol. 1 §8.1.5): masked. */
      out_str("fnstenv"); out_x16(g_cw); out_f64(g_a); out_sep(); out_x16(g_env[0] & 0x1f3f); out_x16(g_env[2] & 0x7fff); out_x16(g_env[4]); out_nl();
    }
  out_flush();
  return 0;
}
