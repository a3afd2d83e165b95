/*
 * Compiled floating point, built with -O2 -msse2 -mfpmath=sse (the scalar code uses SSE2 instead
 * of x87, and GCC vectorises the loops with packed instructions): float and double loops over
 * arrays of edge and random values doing arithmetic, square roots, min/max, comparisons,
 * conversions to and from int and between the precisions, and a dot product; each under the
 * four rounding modes (fesetround is library code, so MXCSR is set with LDMXCSR directly).
 * Prints every element's bits and MXCSR's flags after each loop.
 *
 * Line: "<loop> mode i > result", hex.
 */
#include "common.h"

#define N 64
static float fa[N], fb[N], fr[N];
static double da[N], db[N], dr[N];
static int ia[N], ir[N];

static const uint32_t FE[] = {0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40400000,
                              0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0x7f800000, 0xff800000,
                              0x7fc00000, 0x3eaaaaab, 0x4f000000, 0xcf000000};
static const uint64_t DE[] = {0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull,
                              0xbff0000000000000ull, 0x0000000000000001ull, 0x0010000000000000ull,
                              0x7fefffffffffffffull, 0x7ff0000000000000ull, 0x7ff8000000000000ull,
                              0x3fd5555555555555ull, 0x41e0000000000000ull, 0xc1e0000000000000ull};

static void fill(unsigned seed) {
  for (unsigned i = 0; i < N; i++) {
    uint32_t u = i < 16 && seed == 0 ? FE[i] : (rnd() & 0x807fffff) | ((uint32_t)(110 + (rnd() % 40)) << 23);
    uint32_t v = i < 16 && seed == 0 ? FE[(i * 7 + 3) % 16] : (rnd() & 0x807fffff) | ((uint32_t)(110 + (rnd() % 40)) << 23);
    memcpy(&fa[i], &u, 4);
    memcpy(&fb[i], &v, 4);
    uint64_t p = i < 12 && seed == 0 ? DE[i] : ((uint64_t)rnd() << 32 | rnd()) & 0x800fffffffffffffull;
    uint64_t q = i < 12 && seed == 0 ? DE[(i * 5 + 1) % 12] : ((uint64_t)rnd() << 32 | rnd()) & 0x800fffffffffffffull;
    if (!(i < 12 && seed == 0)) {
      p |= (uint64_t)(1000 + rnd() % 50) << 52;
      q |= (uint64_t)(1000 + rnd() % 50) << 52;
    }
    memcpy(&da[i], &p, 8);
    memcpy(&db[i], &q, 8);
    ia[i] = (int)(seed ? rnd() >> (rnd() & 31) : rnd());
  }
}

static void set_mxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }
static uint32_t get_mxcsr(void) { uint32_t v; __asm__ volatile("stmxcsr %0" : "=m"(v)); return v; }

static void out_f(const char *name, unsigned mode) {
  uint32_t mx = get_mxcsr();
  set_mxcsr(0x1f80);
  for (unsigned i = 0; i < N; i++) {
    uint32_t u; memcpy(&u, &fr[i], 4);
    out_str(name); out_ch(' '); out_dec(mode); out_ch(' '); out_dec(i); out_sep(); out_x32(u); out_nl();
  }
  out_str(name); out_str(" mxcsr"); out_x32(mx); out_nl();
}
static void out_d(const char *name, unsigned mode) {
  uint32_t mx = get_mxcsr();
  set_mxcsr(0x1f80);
  for (unsigned i = 0; i < N; i++) {
    uint64_t u; memcpy(&u, &dr[i], 8);
    out_str(name); out_ch(' '); out_dec(mode); out_ch(' '); out_dec(i); out_sep(); out_x64(u); out_nl();
  }
  out_str(name); out_str(" mxcsr"); out_x32(mx); out_nl();
}
static void out_i(const char *name, unsigned mode) {
  uint32_t mx = get_mxcsr();
  set_mxcsr(0x1f80);
  for (unsigned i = 0; i < N; i++) { out_str(name); out_ch(' '); out_dec(mode); out_ch(' '); out_dec(i); out_sep(); out_x32((uint32_t)ir[i]); out_nl(); }
  out_str(name); out_str(" mxcsr"); out_x32(mx); out_nl();
}

/* Each loop in its own function, not inlined, so the compiler cannot fold it into another. */
#define LOOP_F(name, expr) \
  __attribute__((noinline)) static void name(void) { for (unsigned i = 0; i < N; i++) fr[i] = (expr); }
#define LOOP_D(name, expr) \
  __attribute__((noinline)) static void name(void) { for (unsigned i = 0; i < N; i++) dr[i] = (expr); }
LOOP_F(f_muladd, fa[i] * fb[i] + fa[i])
LOOP_F(f_div, fa[i] / fb[i])
LOOP_F(f_sub, fa[i] - fb[i] * 0.5f)
LOOP_F(f_sqrt, __builtin_sqrtf(fa[i] < 0 ? -fa[i] : fa[i]))
LOOP_F(f_min, fa[i] < fb[i] ? fa[i] : fb[i])
LOOP_F(f_max, fa[i] > fb[i] ? fa[i] : fb[i])
LOOP_F(f_from_int, (float)ia[i])
LOOP_F(f_from_double, (float)da[i])
LOOP_D(d_muladd, da[i] * db[i] + da[i])
LOOP_D(d_div, da[i] / db[i])
LOOP_D(d_sqrt, __builtin_sqrt(da[i] < 0 ? -da[i] : da[i]))
LOOP_D(d_min, da[i] < db[i] ? da[i] : db[i])
LOOP_D(d_from_int, (double)ia[i])
LOOP_D(d_from_float, (double)fa[i] * fb[i])
__attribute__((noinline)) static void i_from_float(void) { for (unsigned i = 0; i < N; i++) ir[i] = (int)(fa[i] * 1e6f); }
__attribute__((noinline)) static void i_from_double(void) { for (unsigned i = 0; i < N; i++) ir[i] = (int)(da[i] * 1e9); }
__attribute__((noinline)) static void i_compare(void) {
  for (unsigned i = 0; i < N; i++) ir[i] = (fa[i] < fb[i]) + 2 * (da[i] <= db[i]) + 4 * (fa[i] == fb[i]);
}
__attribute__((noinline)) static double dot(void) {
  double s = 0;
  for (unsigned i = 0; i < N; i++) s += da[i] * db[i];
  return s;
}

int main(void) {
  for (unsigned seed = 0; seed < 3; seed++) {
    fill(seed);
    for (unsigned mode = 0; mode < 4; mode++) {
      uint32_t mx = 0x1f80 | mode << 13;
#define RUN(fn, out) set_mxcsr(mx); fn(); out(#fn, mode);
      RUN(f_muladd, out_f) RUN(f_div, out_f) RUN(f_sub, out_f) RUN(f_sqrt, out_f) RUN(f_min, out_f)
      RUN(f_max, out_f) RUN(f_from_int, out_f) RUN(f_from_double, out_f)
      RUN(d_muladd, out_d) RUN(d_div, out_d) RUN(d_sqrt, out_d) RUN(d_min, out_d) RUN(d_from_int, out_d)
      RUN(d_from_float, out_d) RUN(i_from_float, out_i) RUN(i_from_double, out_i) RUN(i_compare, out_i)
      set_mxcsr(mx);
      double s = dot();
      uint32_t m2 = get_mxcsr();
      set_mxcsr(0x1f80);
      uint64_t u; memcpy(&u, &s, 8);
      out_str("dot "); out_dec(mode); out_sep(); out_x64(u); out_x32(m2); out_nl();
    }
  }
  out_flush();
  return 0;
}
