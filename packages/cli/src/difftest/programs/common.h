/*
 * Shared by the difftest programs: a deterministic PRNG, interesting operand values, and a
 * buffered hex printer that writes with write(2) (no stdio, so the output path is the same
 * few system calls natively and in the emulator, and cheap in emulated instructions).
 *
 * Output format: one case per line, "<name> <inputs...> > <outputs...>", all numbers in
 * lower-case hex without 0x, fixed width per operand size. A line is the case's own
 * description, so the first differing line says what was run.
 */
#ifndef DIFFTEST_COMMON_H
#define DIFFTEST_COMMON_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Helpers a program may not use. */
#define MAYBE_UNUSED __attribute__((unused))

/* EFLAGS status bits (SDM Vol. 1 §3.4.3.1). */
#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_OF 0x800u
#define F_STATUS (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define F_DF 0x400u

/* ---- output */

static char out_buf[1 << 16];
static unsigned out_len;

MAYBE_UNUSED static void out_flush(void) {
  unsigned off = 0;
  while (off < out_len) {
    ssize_t n = write(1, out_buf + off, out_len - off);
    if (n <= 0) _exit(111);
    off += (unsigned)n;
  }
  out_len = 0;
}

MAYBE_UNUSED static void out_ch(char c) {
  if (out_len == sizeof out_buf) out_flush();
  out_buf[out_len++] = c;
}

MAYBE_UNUSED static void out_str(const char *s) { while (*s) out_ch(*s++); }

/* digits hex digits of v, no prefix. */
MAYBE_UNUSED static void out_hexn(uint32_t v, int digits) {
  static const char hx[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; i--) out_ch(hx[(v >> (i * 4)) & 15]);
}

/* " v" with the width of an operand of sz bytes (1, 2, 4). */
MAYBE_UNUSED static void out_v(uint32_t v, int sz) { out_ch(' '); out_hexn(v, sz * 2); }
MAYBE_UNUSED static void out_x8(uint32_t v) { out_ch(' '); out_hexn(v, 2); }
MAYBE_UNUSED static void out_x16(uint32_t v) { out_ch(' '); out_hexn(v, 4); }
MAYBE_UNUSED static void out_x32(uint32_t v) { out_ch(' '); out_hexn(v, 8); }
MAYBE_UNUSED static void out_x64(uint64_t v) { out_ch(' '); out_hexn((uint32_t)(v >> 32), 8); out_hexn((uint32_t)v, 8); }
/* Status flags: three hex digits (bits 0..11). */
MAYBE_UNUSED static void out_fl(uint32_t f) { out_ch(' '); out_hexn(f & 0xfff, 3); }
MAYBE_UNUSED static void out_sep(void) { out_str(" >"); }
MAYBE_UNUSED static void out_nl(void) { out_ch('\n'); }
MAYBE_UNUSED static void out_dec(unsigned v) {
  char t[12]; int n = 0;
  do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) out_ch(t[--n]);
}

/* ---- deterministic inputs */

static uint32_t rng_state = 0x12345678;

/* SplitMix32-style generator (murmur3 finalizer over a Weyl sequence). */
MAYBE_UNUSED static uint32_t rnd(void) {
  uint32_t z = (rng_state += 0x9e3779b9u);
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}
MAYBE_UNUSED static uint64_t rnd64(void) { uint64_t hi = rnd(); return (hi << 32) | rnd(); }

MAYBE_UNUSED static uint32_t size_mask(int sz) { return sz == 4 ? 0xffffffffu : (1u << (sz * 8)) - 1; }

/* A value of sz bytes, biased towards the edges where flags change. */
MAYBE_UNUSED static uint32_t rnd_val(int sz) {
  uint32_t m = size_mask(sz), r = rnd(), top = 1u << (sz * 8 - 1);
  switch (rnd() & 7) {
    case 0: return r & 0xf;                       /* small */
    case 1: return (m - (r & 0xf)) & m;           /* near all ones */
    case 2: return (top + (r & 0xf) - 8) & m;     /* around the sign boundary */
    case 3: return (1u << (r % (sz * 8))) & m;    /* a power of two */
    case 4: return ((1u << (r % (sz * 8))) - 1) & m;
    default: return r & m;
  }
}

/* Random status flags for an instruction's input (DF clear). */
MAYBE_UNUSED static uint32_t rnd_flags(void) { return rnd() & F_STATUS; }

/* Edge values for an operand of sz bytes; returns the count. */
MAYBE_UNUSED static int edge_values(int sz, uint32_t *v) {
  uint32_t m = size_mask(sz), top = 1u << (sz * 8 - 1);
  int n = 0;
  v[n++] = 0; v[n++] = 1; v[n++] = 2; v[n++] = 0xf & m; v[n++] = 0x10; v[n++] = 0x7f;
  v[n++] = 0x80; v[n++] = 0xff & m;
  v[n++] = top - 1; v[n++] = top; v[n++] = top + 1; v[n++] = m - 1; v[n++] = m;
  v[n++] = 0x5555aaaa & m;
  if (sz > 1) { v[n++] = 0x100; v[n++] = 0x7fff; v[n++] = 0x8000; v[n++] = 0xffff; }
  for (int i = 0; i < n; i++) v[i] &= m;
  return n;
}

#endif
