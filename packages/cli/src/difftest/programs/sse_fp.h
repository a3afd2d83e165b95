/*
 * Shared by the SSE/SSE2 floating-point difftest programs (built with -msse: the instructions are named in inline assembly, and the compiler then adds no
 * SSE2 instruction of its own): 128-bit values,
 * edge operands for singles and doubles, and the MXCSR settings every case runs under.
 * Each case runs in one asm statement that loads MXCSR, executes the instruction, stores MXCSR
 * and puts 1F80h back, so no library code runs with another rounding mode.
 */
#ifndef DIFFTEST_SSE_FP_H
#define DIFFTEST_SSE_FP_H

#include <xmmintrin.h>
#include "common.h"

typedef union {
  __m128 x;
  uint32_t d[4];
  uint64_t q[2];
} xu;

MAYBE_UNUSED static void out_x128(const uint32_t *d) { out_ch(' '); for (int i = 3; i >= 0; i--) out_hexn(d[i], 8); }

/* Singles: zeros, ones, halves, denormals (smallest, largest), the smallest normal, the largest
   finite, infinities, QNaNs and SNaNs with payloads, one ulp above 1, 2^-24, 2^23, 2^31 and
   its neighbours, 1/3, and values whose products and quotients land in the denormal range or
   overflow. */
static const uint32_t EDGE_S[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40400000, 0x00000001, 0x807fffff,
    0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345,
    0x7f800001, 0xffa00001, 0x3f800001, 0x33800000, 0x4b000000, 0x4f000000, 0xcf000000, 0x4effffff,
    0x3eaaaaab, 0x1f800000, 0x20000001, 0x5f800000, 0x00c00000, 0x3f000000, 0xbfc00000, 0x40200000,
    0x3f7fffff, 0x00400000, 0x7e800000, 0x01000000, 0xcf000001, 0x4f800000};
#define NEDGE_S (sizeof EDGE_S / sizeof EDGE_S[0])

static const uint64_t EDGE_D[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x3ff8000000000000ull, 0x4008000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull,
    0x0010000000000000ull, 0x8010000000000000ull, 0x7fefffffffffffffull, 0xffefffffffffffffull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000012345678ull,
    0x7ff0000000000001ull, 0xfff4000000000000ull, 0x3ff0000000000001ull, 0x3ca0000000000000ull,
    0x4330000000000000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull, 0x41dfffffffe00000ull,
    0x3fd5555555555555ull, 0x1ff0000000000000ull, 0x2000000000000001ull, 0x5ff0000000000000ull,
    0x0018000000000000ull, 0x3fe0000000000000ull, 0xbff8000000000000ull, 0x4004000000000000ull,
    0x3fefffffffffffffull, 0x0008000000000000ull, 0x7fd0000000000000ull, 0x0020000000000000ull,
    0xc1e0000000100000ull, 0x41f0000000000000ull, 0x47efffffe0000000ull, 0x36a0000000000000ull,
    0x380fffffffffffffull, 0x3810000000000001ull};
#define NEDGE_D (sizeof EDGE_D / sizeof EDGE_D[0])

/* Rounding control 0-3, each with masked exceptions; then FTZ, DAZ and both. */
static const uint32_t MXC[] = {0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9f80, 0xff80, 0x1fc0, 0xdfc0};
#define NMXC (sizeof MXC / sizeof MXC[0])

/* A random single/double near 1 times a random power of two, often close to another. */
MAYBE_UNUSED static uint32_t rnd_s(void) {
  uint32_t r = rnd();
  switch (r & 3) {
    case 0: return rnd();
    case 1: return (r & 0x807fffff) | ((uint32_t)(120 + (rnd() & 15)) << 23);
    case 2: return (r & 0x807fffff) | ((rnd() & 7) << 23);
    default: return (r & 0x807fffff) | ((uint32_t)(250 + (rnd() & 3)) << 23);
  }
}
MAYBE_UNUSED static uint64_t rnd_d(void) {
  uint64_t r = rnd64();
  switch (r & 3) {
    case 0: return rnd64();
    case 1: return (r & 0x800fffffffffffffull) | ((uint64_t)(1016 + (rnd() & 15)) << 52);
    case 2: return (r & 0x800fffffffffffffull) | ((uint64_t)(rnd() & 7) << 52);
    default: return (r & 0x800fffffffffffffull) | ((uint64_t)(2040 + (rnd() & 7)) << 52);
  }
}

#endif
