/*
 * Loops the compiler vectorises with SSE2 (built with -O3 -msse2 -ftree-vectorize): copies and
 * byte searches (memcpy- and strlen-like), integer reductions (sums, minimum and maximum, XOR,
 * dot products of words), element-wise saturating and widening arithmetic, byte counting, over
 * arrays of every length from 0 to 67 at every alignment offset 0-15, so that the vector bodies,
 * their scalar heads and tails, and the unaligned paths all run. The instructions are whatever
 * the compiler chooses (PADDD, PCMPEQB, PMOVMSKB, PSHUFD, PSRLDQ, PUNPCK*, PMADDWD, MOVDQA/U...).
 *
 * Line: "<loop> length offset > results", hex.
 */
#include "common.h"

#define MAXN 67
static uint8_t b8[MAXN + 32] __attribute__((aligned(16)));
static uint8_t d8[MAXN + 32] __attribute__((aligned(16)));
static int16_t s16[MAXN + 16] __attribute__((aligned(16)));
static int16_t t16[MAXN + 16] __attribute__((aligned(16)));
static int32_t s32[MAXN + 8] __attribute__((aligned(16)));
static int32_t t32[MAXN + 8] __attribute__((aligned(16)));
static uint32_t u32[MAXN + 8] __attribute__((aligned(16)));
static int64_t s64[MAXN + 4] __attribute__((aligned(16)));

/* noinline: each loop is compiled on its own, with unknown length and alignment. */
#define NI __attribute__((noinline))

NI static void copy8(uint8_t *restrict d, const uint8_t *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = s[i]; }
NI static int len8(const uint8_t *s, int n) {
  int i = 0;
  while (i < n && s[i] != 0) i++;
  return i;
}
NI static int count8(const uint8_t *s, int n, uint8_t c) {
  int k = 0;
  for (int i = 0; i < n; i++) k += s[i] == c;
  return k;
}
NI static uint32_t sum8(const uint8_t *s, int n) {
  uint32_t t = 0;
  for (int i = 0; i < n; i++) t += s[i];
  return t;
}
NI static uint8_t max8(const uint8_t *s, int n) {
  uint8_t m = 0;
  for (int i = 0; i < n; i++) m = s[i] > m ? s[i] : m;
  return m;
}
NI static uint8_t min8(const uint8_t *s, int n) {
  uint8_t m = 255;
  for (int i = 0; i < n; i++) m = s[i] < m ? s[i] : m;
  return m;
}
NI static uint32_t sad8(const uint8_t *a, const uint8_t *b, int n) {
  uint32_t t = 0;
  for (int i = 0; i < n; i++) t += (uint32_t)(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
  return t;
}
NI static void avg8(uint8_t *restrict d, const uint8_t *a, const uint8_t *b, int n) {
  for (int i = 0; i < n; i++) d[i] = (uint8_t)((a[i] + b[i] + 1) >> 1);
}
NI static void addsat8(uint8_t *restrict d, const uint8_t *a, const uint8_t *b, int n) {
  for (int i = 0; i < n; i++) {
    unsigned v = a[i] + b[i];
    d[i] = (uint8_t)(v > 255 ? 255 : v);
  }
}
NI static int32_t sum16(const int16_t *s, int n) {
  int32_t t = 0;
  for (int i = 0; i < n; i++) t += s[i];
  return t;
}
NI static int16_t max16(const int16_t *s, int n) {
  int16_t m = -32768;
  for (int i = 0; i < n; i++) m = s[i] > m ? s[i] : m;
  return m;
}
NI static int16_t min16(const int16_t *s, int n) {
  int16_t m = 32767;
  for (int i = 0; i < n; i++) m = s[i] < m ? s[i] : m;
  return m;
}
NI static int32_t dot16(const int16_t *a, const int16_t *b, int n) {
  int32_t t = 0;
  for (int i = 0; i < n; i++) t += a[i] * b[i];
  return t;
}
NI static void mulhi16(int16_t *restrict d, const int16_t *a, const int16_t *b, int n) {
  for (int i = 0; i < n; i++) d[i] = (int16_t)((a[i] * b[i]) >> 16);
}
NI static void shift16(int16_t *restrict d, const int16_t *a, int n) {
  for (int i = 0; i < n; i++) d[i] = (int16_t)((a[i] >> 3) ^ (int16_t)(a[i] << 2));
}
NI static int32_t sum32(const int32_t *s, int n) {
  int32_t t = 0;
  for (int i = 0; i < n; i++) t += s[i];
  return t;
}
NI static int32_t max32(const int32_t *s, int n) {
  int32_t m = INT32_MIN;
  for (int i = 0; i < n; i++) m = s[i] > m ? s[i] : m;
  return m;
}
NI static uint32_t xor32(const uint32_t *s, int n) {
  uint32_t t = 0;
  for (int i = 0; i < n; i++) t ^= s[i] ^ (s[i] >> 7);
  return t;
}
NI static void mul32(int32_t *restrict d, const int32_t *a, const int32_t *b, int n) {
  for (int i = 0; i < n; i++) d[i] = a[i] * b[i] + (a[i] >> 5);
}
NI static int64_t sum64(const int32_t *s, int n) {
  int64_t t = 0;
  for (int i = 0; i < n; i++) t += s[i];
  return t;
}
NI static uint64_t sumsq64(const uint32_t *s, int n) {
  uint64_t t = 0;
  for (int i = 0; i < n; i++) t += (uint64_t)s[i] * s[i];
  return t;
}
NI static void add64(int64_t *restrict d, const int64_t *a, int n) {
  for (int i = 0; i < n; i++) d[i] += a[i] - (a[i] << 3);
}
NI static void widen8(int16_t *restrict d, const uint8_t *s, int n) {
  for (int i = 0; i < n; i++) d[i] = (int16_t)(s[i] * 3 - 200);
}
NI static void narrow16(uint8_t *restrict d, const int16_t *s, int n) {
  for (int i = 0; i < n; i++) d[i] = (uint8_t)s[i];
}

static uint32_t hash(const void *p, int n) {
  const uint8_t *b = p;
  uint32_t h = 2166136261u;
  for (int i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
  return h;
}

static void fill(int round) {
  for (int i = 0; i < MAXN + 32; i++) b8[i] = (uint8_t)(round & 1 ? rnd() : rnd_val(1));
  for (int i = 0; i < MAXN + 16; i++) s16[i] = (int16_t)(round & 1 ? rnd() : rnd_val(2));
  for (int i = 0; i < MAXN + 8; i++) s32[i] = (int32_t)(round & 1 ? rnd() : rnd_val(4));
  for (int i = 0; i < MAXN + 8; i++) u32[i] = rnd();
  for (int i = 0; i < MAXN + 4; i++) s64[i] = (int64_t)rnd64();
}

int main(void) {
  for (int round = 0; round < 4; round++) {
    fill(round);
    for (int n = 0; n <= MAXN; n++) {
      for (int off = 0; off < 16; off++) {
        const uint8_t *p = b8 + off;
        const int16_t *q = s16 + (off & 7);
        const int32_t *r = s32 + (off & 3);
        out_str("bytes"); out_x8(n); out_x8(off); out_sep();
        memset(d8, 0, sizeof d8);
        copy8(d8 + (off ^ 5), p, n);
        out_x32(hash(d8, sizeof d8));
        out_x32(len8(p, n)); out_x32(count8(p, n, p[0])); out_x32(sum8(p, n)); out_x8(max8(p, n));
        out_x8(min8(p, n)); out_x32(sad8(p, b8 + 7, n));
        avg8(d8, p, b8 + 3, n); out_x32(hash(d8, n));
        addsat8(d8, p, b8 + 1, n); out_x32(hash(d8, n));
        out_nl();
        out_str("words"); out_x8(n); out_x8(off); out_sep();
        out_x32((uint32_t)sum16(q, n)); out_x16((uint16_t)max16(q, n)); out_x16((uint16_t)min16(q, n));
        out_x32((uint32_t)dot16(q, s16 + 5, n));
        mulhi16(t16, q, s16 + 1, n); out_x32(hash(t16, 2 * n));
        shift16(t16, q, n); out_x32(hash(t16, 2 * n));
        widen8(t16, p, n); out_x32(hash(t16, 2 * n));
        narrow16(d8, q, n); out_x32(hash(d8, n));
        out_nl();
        out_str("dwords"); out_x8(n); out_x8(off); out_sep();
        out_x32((uint32_t)sum32(r, n)); out_x32((uint32_t)max32(r, n)); out_x32(xor32(u32 + (off & 3), n));
        mul32(t32, r, s32 + 2, n); out_x32(hash(t32, 4 * n));
        out_x64((uint64_t)sum64(r, n)); out_x64(sumsq64(u32 + (off & 1), n));
        add64(s64 + 1, s64 + 2, n > MAXN - 2 ? MAXN - 2 : n); out_x32(hash(s64, sizeof s64));
        out_nl();
      }
      out_flush();
    }
  }
  out_flush();
  return 0;
}
