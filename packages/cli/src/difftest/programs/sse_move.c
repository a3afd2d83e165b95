/*
 * The first SSE instructions (SDM Vol. 1 chapter 10): LDMXCSR/STMXCSR, and the moves and bitwise
 * logic on XMM registers (built with -msse). Inline assembly names each instruction, so the
 * compiler cannot pick another; ANDPS-XORPS also through the xmmintrin.h intrinsics. Operands are
 * bit patterns, not numbers (these instructions do not look at them): zero, all ones, sign bits,
 * infinities, QNaN and SNaN, denormals and random values. MOVUPS and the 8-byte moves run at every
 * offset 0-15 of a 16-byte aligned buffer. MXCSR: values with every implemented bit (FFBFh, DAZ
 * excluded: this CPU lacks it, the host may not), each loaded, stored and put back to 1F80h in one
 * asm statement so no library code runs with unmasked exceptions.
 *
 * Line: "<insn> inputs > outputs", 128-bit values as 32 hex digits (dword 3 first).
 */
#include <xmmintrin.h>
#include "common.h"

typedef union {
  __m128 x;
  uint32_t d[4];
} xu;

static void out_x128(const uint32_t *d) { out_ch(' '); for (int i = 3; i >= 0; i--) out_hexn(d[i], 8); }

static const uint32_t EDGE[] = {0, 0xffffffffu, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                0x7f800001u, 0x00000001u, 0x3f800000u, 0x807fffffu};
#define NEDGE (sizeof EDGE / sizeof EDGE[0])

/* The i-th test vector: edge values in every lane position, then random ones. */
static void vec(unsigned i, uint32_t *d) {
  for (int k = 0; k < 4; k++) d[k] = i < 40 ? EDGE[(i + k * 3) % NEDGE] : rnd();
}

static uint8_t buf[64] __attribute__((aligned(16)));
static xu mem16 __attribute__((aligned(16)));

#define LOGIC(insn, intr)                                                                    \
  static void t_##insn(const xu *a, const xu *b) {                                           \
    xu r = *a, m = *a, i;                                                                    \
    __asm__(#insn " %1, %0" : "+x"(r.x) : "x"(b->x));                                        \
    out_str(#insn); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_nl();      \
    mem16 = *b;                                                                              \
    __asm__(#insn " %1, %0" : "+x"(m.x) : "m"(mem16));                                       \
    out_str(#insn ".m"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(m.d); out_nl(); \
    i.x = intr(a->x, b->x);                                                                  \
    out_str(#insn ".i"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(i.d); out_nl(); \
  }
LOGIC(andps, _mm_and_ps)
LOGIC(andnps, _mm_andnot_ps)
LOGIC(orps, _mm_or_ps)
LOGIC(xorps, _mm_xor_ps)

static void fill_buf(void) { for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(rnd() >> 7); }

static void out_buf32(void) { out_sep(); for (unsigned i = 0; i < 32; i += 16) out_x128((const uint32_t *)(buf + i)); }

static void moves(const xu *a, const xu *b) {
  xu r;
  /* register to register */
  __asm__("movaps %1, %0" : "=x"(r.x) : "x"(a->x));
  out_str("movaps.rr"); out_x128(a->d); out_sep(); out_x128(r.d); out_nl();
  __asm__("movups %1, %%xmm3\n\tmovups %%xmm3, %0" : "=x"(r.x) : "x"(a->x) : "xmm3");
  out_str("movups.rr"); out_x128(a->d); out_sep(); out_x128(r.d); out_nl();
  r = *a;
  __asm__("movss %1, %0" : "+x"(r.x) : "x"(b->x));
  out_str("movss.rr"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_nl();
  r = *a;
  __asm__("movhlps %1, %0" : "+x"(r.x) : "x"(b->x));
  out_str("movhlps"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_nl();
  r = *a;
  __asm__("movlhps %1, %0" : "+x"(r.x) : "x"(b->x));
  out_str("movlhps"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_nl();
  /* aligned memory */
  mem16 = *b;
  __asm__("movaps %1, %0" : "=x"(r.x) : "m"(mem16));
  __asm__("movaps %1, %0" : "=m"(mem16) : "x"(a->x));
  out_str("movaps.m"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_x128(mem16.d); out_nl();
  /* MOVSS from memory clears dwords 1-3; to memory writes dword 0 only */
  r = *a;
  __asm__("movss %1, %0" : "+x"(r.x) : "m"(b->d[2]));
  mem16 = *b;
  __asm__("movss %1, %0" : "=m"(mem16.d[1]) : "x"(a->x));
  out_str("movss.m"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_x128(mem16.d); out_nl();
}

/* MOVUPS, MOVLPS, MOVHPS at every offset of the buffer. */
static void offsets(const xu *a) {
  for (unsigned off = 0; off < 16; off++) {
    xu r = *a, l = *a, h = *a;
    fill_buf();
    __asm__("movups %1, %0" : "=x"(r.x) : "m"(*(const uint8_t(*)[16])(buf + off)));
    __asm__("movlps %1, %0" : "+x"(l.x) : "m"(*(const uint8_t(*)[8])(buf + off + 3)));
    __asm__("movhps %1, %0" : "+x"(h.x) : "m"(*(const uint8_t(*)[8])(buf + off + 5)));
    out_str("load"); out_x128(a->d); out_ch(' '); out_dec(off); out_sep(); out_x128(r.d); out_x128(l.d); out_x128(h.d); out_nl();
    fill_buf();
    __asm__("movups %1, %0" : "=m"(*(uint8_t(*)[16])(buf + off)) : "x"(a->x));
    out_str("movups.st"); out_x128(a->d); out_ch(' '); out_dec(off); out_buf32(); out_nl();
    fill_buf();
    __asm__("movlps %1, %0" : "=m"(*(uint8_t(*)[8])(buf + off)) : "x"(a->x));
    out_str("movlps.st"); out_x128(a->d); out_ch(' '); out_dec(off); out_buf32(); out_nl();
    fill_buf();
    __asm__("movhps %1, %0" : "=m"(*(uint8_t(*)[8])(buf + off + 1)) : "x"(a->x));
    out_str("movhps.st"); out_x128(a->d); out_ch(' '); out_dec(off); out_buf32(); out_nl();
  }
}

static void mxcsr(uint32_t v) {
  uint32_t got, init = 0x1f80;
  __asm__ volatile("ldmxcsr %1\n\tstmxcsr %0\n\tldmxcsr %2" : "=m"(got) : "m"(v), "m"(init));
  out_str("ldmxcsr"); out_x32(v); out_sep(); out_x32(got); out_nl();
}

int main(void) {
  uint32_t m0;
  __asm__ volatile("stmxcsr %0" : "=m"(m0));
  out_str("stmxcsr.init >"); out_x32(m0); out_nl();
  static const uint32_t MX[] = {0x1f80, 0, 0xffbf, 0x003f, 0x1f80 | 0x8000, 0x0080, 0x0100, 0x0200,
                                0x0400, 0x0800, 0x1000, 0x2000, 0x4000, 0x6000, 0x7fbf};
  for (unsigned i = 0; i < sizeof MX / sizeof MX[0]; i++) mxcsr(MX[i]);
  for (unsigned i = 0; i < 200; i++) mxcsr(rnd() & 0xffbf);

  for (unsigned i = 0; i < 60; i++) {
    xu a, b;
    vec(i, a.d);
    for (unsigned j = 0; j < 60; j += 7) {
      vec(j + 1, b.d);
      t_andps(&a, &b);
      t_andnps(&a, &b);
      t_orps(&a, &b);
      t_xorps(&a, &b);
      moves(&a, &b);
    }
    if (i % 10 == 0) offsets(&a);
  }
  out_flush();
  return 0;
}
