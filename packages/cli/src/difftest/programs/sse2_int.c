/*
 * SSE2 integer instructions and the SSE integer additions to MMX (SDM Vol. 1 §10.4.4, §11.4;
 * Vol. 2 each instruction's page), built with -msse2: every instruction through inline assembly
 * (so the compiler can neither fold nor replace it), its XMM register and memory forms, on edge
 * values (saturation limits, sign bits, all ones) crossed with each other and with random values;
 * shifts by a count in a register of 0 to 129, 2^32 and all ones, and by immediates; every
 * immediate (0-255) of PSHUFD, PSHUFHW, PSHUFLW and PSHUFW; PEXTRW/PINSRW with every word index
 * and out-of-range ones; PMOVMSKB, MASKMOVQ/MASKMOVDQU with partial masks, the moves (MOVD, MOVQ,
 * MOVDQA, MOVDQU at every offset, MOVQ2DQ, MOVDQ2Q), the non-temporal stores, CLFLUSH, the fences
 * and PAUSE.
 *
 * Line: "<insn> a b > result", 128-bit values as two 64-bit halves, high first.
 */
#include <emmintrin.h>
#include "common.h"

typedef struct {
  uint64_t q[2];
} __attribute__((aligned(16))) v128;

static void out_v128(const v128 *v) { out_x64(v->q[1]); out_x64(v->q[0]); }
static void line(const char *name, const v128 *a, const v128 *b, const v128 *r) {
  out_str(name); out_v128(a); out_v128(b); out_sep(); out_v128(r); out_nl();
}
static void line64(const char *name, uint64_t a, uint64_t b, uint64_t r) {
  out_str(name); out_x64(a); out_x64(b); out_sep(); out_x64(r); out_nl();
}

typedef void (*xop)(v128 *r, const v128 *a, const v128 *b);
typedef uint64_t (*mop)(uint64_t a, uint64_t b);

/* The XMM form, memory source (aligned) and register source. */
#define XBIN(insn) \
  static void xm_##insn(v128 *r, const v128 *a, const v128 *b) { \
    __asm__("movdqa %1, %%xmm0\n\t" #insn " %2, %%xmm0\n\tmovdqa %%xmm0, %0" : "=m"(*r) : "m"(*a), "m"(*b) : "xmm0"); \
  } \
  static void xr_##insn(v128 *r, const v128 *a, const v128 *b) { \
    __asm__("movdqu %1, %%xmm3\n\tmovdqu %2, %%xmm5\n\t" #insn " %%xmm5, %%xmm3\n\tmovdqu %%xmm3, %0" \
            : "=m"(*r) : "m"(*a), "m"(*b) : "xmm3", "xmm5"); \
  }
/* The MMX form (register source). */
#define MBIN(insn) \
  static uint64_t mm_##insn(uint64_t a, uint64_t b) { \
    uint64_t r; \
    __asm__("movq %1, %%mm0\n\tmovq %2, %%mm1\n\t" #insn " %%mm1, %%mm0\n\tmovq %%mm0, %0" \
            : "=m"(r) : "m"(a), "m"(b) : "mm0", "mm1"); \
    return r; \
  }

XBIN(paddb) XBIN(paddw) XBIN(paddd) XBIN(paddq) XBIN(psubb) XBIN(psubw) XBIN(psubd) XBIN(psubq)
XBIN(paddsb) XBIN(paddsw) XBIN(paddusb) XBIN(paddusw) XBIN(psubsb) XBIN(psubsw) XBIN(psubusb)
XBIN(psubusw) XBIN(pcmpeqb) XBIN(pcmpeqw) XBIN(pcmpeqd) XBIN(pcmpgtb) XBIN(pcmpgtw) XBIN(pcmpgtd)
XBIN(packsswb) XBIN(packssdw) XBIN(packuswb) XBIN(punpcklbw) XBIN(punpcklwd) XBIN(punpckldq)
XBIN(punpcklqdq) XBIN(punpckhbw) XBIN(punpckhwd) XBIN(punpckhdq) XBIN(punpckhqdq) XBIN(pand)
XBIN(pandn) XBIN(por) XBIN(pxor) XBIN(pmullw) XBIN(pmulhw) XBIN(pmulhuw) XBIN(pmaddwd) XBIN(pmuludq)
XBIN(pavgb) XBIN(pavgw) XBIN(pminub) XBIN(pmaxub) XBIN(pminsw) XBIN(pmaxsw) XBIN(psadbw)
XBIN(psllw) XBIN(pslld) XBIN(psllq) XBIN(psrlw) XBIN(psrld) XBIN(psrlq) XBIN(psraw) XBIN(psrad)

MBIN(paddq) MBIN(psubq) MBIN(pmuludq) MBIN(pmulhuw) MBIN(pavgb) MBIN(pavgw) MBIN(pminub)
MBIN(pmaxub) MBIN(pminsw) MBIN(pmaxsw) MBIN(psadbw)

#define X(insn) {#insn, xm_##insn, xr_##insn}
static const struct {
  const char *name;
  xop mem, reg;
} XOPS[] = {
    X(paddb), X(paddw), X(paddd), X(paddq), X(psubb), X(psubw), X(psubd), X(psubq), X(paddsb),
    X(paddsw), X(paddusb), X(paddusw), X(psubsb), X(psubsw), X(psubusb), X(psubusw), X(pcmpeqb),
    X(pcmpeqw), X(pcmpeqd), X(pcmpgtb), X(pcmpgtw), X(pcmpgtd), X(packsswb), X(packssdw),
    X(packuswb), X(punpcklbw), X(punpcklwd), X(punpckldq), X(punpcklqdq), X(punpckhbw),
    X(punpckhwd), X(punpckhdq), X(punpckhqdq), X(pand), X(pandn), X(por), X(pxor), X(pmullw),
    X(pmulhw), X(pmulhuw), X(pmaddwd), X(pmuludq), X(pavgb), X(pavgw), X(pminub), X(pmaxub),
    X(pminsw), X(pmaxsw), X(psadbw),
};
static const struct {
  const char *name;
  xop mem, reg;
} XSHIFTS[] = {X(psllw), X(pslld), X(psllq), X(psrlw), X(psrld), X(psrlq), X(psraw), X(psrad)};
#define M(insn) {#insn, mm_##insn}
static const struct {
  const char *name;
  mop fn;
} MOPS[] = {M(paddq), M(psubq), M(pmuludq), M(pmulhuw), M(pavgb), M(pavgw), M(pminub), M(pmaxub),
            M(pminsw), M(pmaxsw), M(psadbw)};

/* Values whose lanes sit at the saturation limits and sign bits of bytes, words, dwords, qwords. */
static const uint64_t EDGES[] = {
    0x0000000000000000ull, 0xffffffffffffffffull, 0x0000000000000001ull, 0x7f7f7f7f7f7f7f7full,
    0x8080808080808080ull, 0x7fff7fff7fff7fffull, 0x8000800080008000ull, 0x7fffffff7fffffffull,
    0x8000000080000000ull, 0x0101010101010101ull, 0x0001000100010001ull, 0xfefefefefefefefeull,
    0xff00ff00ff00ff00ull, 0x00ff00ff00ff00ffull, 0x7f80ff01007f80ffull, 0x8000ffff00017fffull,
    0x0102030405060708ull, 0xfffffffe00000002ull, 0x00800100ff7fff80ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0x00000000ffffffffull, 0xffffffff00000000ull,
};
#define N_EDGES (int)(sizeof EDGES / sizeof EDGES[0])
static v128 edge128(int i) {
  v128 v;
  v.q[0] = EDGES[i];
  v.q[1] = EDGES[(i * 7 + 3) % N_EDGES];
  return v;
}
static v128 rnd128(void) {
  v128 v;
  v.q[0] = rnd64();
  v.q[1] = rnd64();
  return v;
}

static void binary_cases(void) {
  v128 r;
  for (unsigned i = 0; i < sizeof XOPS / sizeof XOPS[0]; i++) {
    for (int x = 0; x < N_EDGES; x++)
      for (int y = 0; y < N_EDGES; y++) {
        v128 a = edge128(x), b = edge128(y);
        XOPS[i].mem(&r, &a, &b);
        line(XOPS[i].name, &a, &b, &r);
      }
    for (int k = 0; k < 150; k++) {
      v128 a = rnd128(), b = rnd128();
      XOPS[i].reg(&r, &a, &b);
      line(XOPS[i].name, &a, &b, &r);
    }
    out_flush();
  }
  for (unsigned i = 0; i < sizeof MOPS / sizeof MOPS[0]; i++) {
    for (int x = 0; x < N_EDGES; x++)
      for (int y = 0; y < N_EDGES; y++) line64(MOPS[i].name, EDGES[x], EDGES[y], MOPS[i].fn(EDGES[x], EDGES[y]));
    for (int k = 0; k < 150; k++) {
      uint64_t a = rnd64(), b = rnd64();
      line64(MOPS[i].name, a, b, MOPS[i].fn(a, b));
    }
    out_flush();
  }
  _mm_empty();
}

/* Shifts by a count in an XMM register or memory: 0 to 129, then large counts. */
static void shift_cases(void) {
  static const uint64_t BIG[] = {255, 256, 0xffffffffull, 0x100000000ull, 0x100000001ull, 0xffffffffffffffffull};
  v128 r;
  for (unsigned i = 0; i < sizeof XSHIFTS / sizeof XSHIFTS[0]; i++) {
    for (int x = 0; x < N_EDGES; x += 2) {
      v128 a = edge128(x), c;
      c.q[1] = rnd64(); /* the high quadword of the count operand is ignored */
      for (unsigned n = 0; n < 130 + sizeof BIG / sizeof BIG[0]; n++) {
        c.q[0] = n < 130 ? n : BIG[n - 130];
        if (n & 1) XSHIFTS[i].reg(&r, &a, &c);
        else XSHIFTS[i].mem(&r, &a, &c);
        line(XSHIFTS[i].name, &a, &c, &r);
      }
    }
    out_flush();
  }
}

/* Shifts by an immediate: the count is encoded in the instruction. */
#define SHI(insn, k) \
  do { \
    __asm__("movdqa %1, %%xmm2\n\t" insn " %2, %%xmm2\n\tmovdqa %%xmm2, %0" : "=m"(r) : "m"(a), "i"(k) : "xmm2"); \
    c.q[0] = k; \
    line(insn ".imm", &a, &c, &r); \
  } while (0)
#define SHI_ALL(insn) \
  do { SHI(insn, 0); SHI(insn, 1); SHI(insn, 7); SHI(insn, 8); SHI(insn, 15); SHI(insn, 16); SHI(insn, 17); \
       SHI(insn, 31); SHI(insn, 32); SHI(insn, 33); SHI(insn, 63); SHI(insn, 64); SHI(insn, 65); \
       SHI(insn, 127); SHI(insn, 128); SHI(insn, 129); SHI(insn, 255); } while (0)
#define SHB_ALL(insn) \
  do { SHI(insn, 0); SHI(insn, 1); SHI(insn, 2); SHI(insn, 3); SHI(insn, 4); SHI(insn, 5); SHI(insn, 6); \
       SHI(insn, 7); SHI(insn, 8); SHI(insn, 9); SHI(insn, 10); SHI(insn, 11); SHI(insn, 12); \
       SHI(insn, 13); SHI(insn, 14); SHI(insn, 15); SHI(insn, 16); SHI(insn, 17); SHI(insn, 128); \
       SHI(insn, 255); } while (0)

static void shift_imm_cases(void) {
  for (int x = 0; x < N_EDGES; x++) {
    v128 a = edge128(x), r, c = {{0, 0}};
    SHI_ALL("psllw"); SHI_ALL("pslld"); SHI_ALL("psllq");
    SHI_ALL("psrlw"); SHI_ALL("psrld"); SHI_ALL("psrlq");
    SHI_ALL("psraw"); SHI_ALL("psrad");
    SHB_ALL("pslldq"); SHB_ALL("psrldq");
    out_flush();
  }
}

/* Every imm8 of the shuffles: a switch of 256 cases per instruction. */
#define C4(f, b) f(b) f(b + 1) f(b + 2) f(b + 3)
#define C16(f, b) C4(f, b) C4(f, b + 4) C4(f, b + 8) C4(f, b + 12)
#define C64(f, b) C16(f, b) C16(f, b + 16) C16(f, b + 32) C16(f, b + 48)
#define C256(f) C64(f, 0) C64(f, 64) C64(f, 128) C64(f, 192)

#define XSHUF_CASE(insn, k) \
  case k: __asm__(insn " %2, %1, %%xmm1\n\tmovdqa %%xmm1, %0" : "=m"(*r) : "m"(*a), "i"(k) : "xmm1"); break;
#define PSHUFD_CASE(k) XSHUF_CASE("pshufd", k)
#define PSHUFHW_CASE(k) XSHUF_CASE("pshufhw", k)
#define PSHUFLW_CASE(k) XSHUF_CASE("pshuflw", k)
#define PSHUFW_CASE(k) \
  case k: __asm__("pshufw %2, %1, %%mm1\n\tmovq %%mm1, %0" : "=m"(*q) : "m"(a->q[0]), "i"(k) : "mm1"); break;

static void x_pshufd(v128 *r, const v128 *a, int k) { switch (k) { C256(PSHUFD_CASE) } }
static void x_pshufhw(v128 *r, const v128 *a, int k) { switch (k) { C256(PSHUFHW_CASE) } }
static void x_pshuflw(v128 *r, const v128 *a, int k) { switch (k) { C256(PSHUFLW_CASE) } }
static void m_pshufw(uint64_t *q, const v128 *a, int k) { switch (k) { C256(PSHUFW_CASE) } }

static void shuffle_cases(void) {
  static const v128 PAT = {{0x3333222211110000ull, 0x7777666655554444ull}};
  for (int t = 0; t < 3; t++) {
    v128 a = t == 0 ? PAT : rnd128(), r, c = {{0, 0}};
    for (int k = 0; k < 256; k++) {
      c.q[0] = (uint64_t)k;
      x_pshufd(&r, &a, k); line("pshufd", &a, &c, &r);
      x_pshufhw(&r, &a, k); line("pshufhw", &a, &c, &r);
      x_pshuflw(&r, &a, k); line("pshuflw", &a, &c, &r);
      uint64_t q;
      m_pshufw(&q, &a, k); line64("pshufw", a.q[0], (uint64_t)k, q);
    }
    out_flush();
  }
  _mm_empty();
}

#define PEXTRW(k) \
  do { \
    __asm__("movdqu %2, %%xmm4\n\tpextrw %3, %%xmm4, %0\n\tmovq %2, %%mm4\n\tpextrw %3, %%mm4, %1" \
            : "=r"(x), "=r"(m) : "m"(a), "i"(k) : "xmm4", "mm4"); \
    out_str("pextrw"); out_v128(&a); out_x8(k); out_sep(); out_x32(x); out_x32(m); out_nl(); \
  } while (0)
#define PINSRW(k) \
  do { \
    v128 r1 = a, r2 = a; uint64_t m1 = a.q[0], m2 = a.q[0]; \
    __asm__("movdqu %0, %%xmm6\n\tpinsrw %2, %1, %%xmm6\n\tmovdqu %%xmm6, %0" : "+m"(r1) : "r"(v), "i"(k) : "xmm6"); \
    __asm__("movdqu %0, %%xmm6\n\tpinsrw %2, %1, %%xmm6\n\tmovdqu %%xmm6, %0" : "+m"(r2) : "m"(w), "i"(k) : "xmm6"); \
    __asm__("movq %0, %%mm6\n\tpinsrw %2, %1, %%mm6\n\tmovq %%mm6, %0" : "+m"(m1) : "r"(v), "i"(k) : "mm6"); \
    __asm__("movq %0, %%mm6\n\tpinsrw %2, %1, %%mm6\n\tmovq %%mm6, %0" : "+m"(m2) : "m"(w), "i"(k) : "mm6"); \
    out_str("pinsrw"); out_v128(&a); out_x32(v); out_x8(k); out_sep(); out_v128(&r1); out_v128(&r2); \
    out_x64(m1); out_x64(m2); out_nl(); \
  } while (0)

static void word_cases(void) {
  for (int x = 0; x < N_EDGES + 20; x++) {
    v128 a = x < N_EDGES ? edge128(x) : rnd128();
    uint32_t v = rnd(), m;
    uint16_t w = (uint16_t)rnd();
    uint32_t x32;
#define x x32
    PEXTRW(0); PEXTRW(1); PEXTRW(2); PEXTRW(3); PEXTRW(4); PEXTRW(5); PEXTRW(6); PEXTRW(7);
    PEXTRW(8); PEXTRW(9); PEXTRW(13); PEXTRW(255);
#undef x
    PINSRW(0); PINSRW(1); PINSRW(2); PINSRW(3); PINSRW(4); PINSRW(5); PINSRW(6); PINSRW(7);
    PINSRW(8); PINSRW(11); PINSRW(255);
    uint32_t mx, mm;
    __asm__("movdqu %2, %%xmm7\n\tpmovmskb %%xmm7, %0\n\tmovq %2, %%mm7\n\tpmovmskb %%mm7, %1"
            : "=r"(mx), "=r"(mm) : "m"(a) : "xmm7", "mm7");
    out_str("pmovmskb"); out_v128(&a); out_sep(); out_x32(mx); out_x32(mm); out_nl();
    out_flush();
  }
  _mm_empty();
}

/* MASKMOVDQU/MASKMOVQ store the selected bytes at [EDI]; the others stay. */
static void maskmov_cases(void) {
  static v128 buf[3];
  for (int x = 0; x < N_EDGES + 20; x++) {
    v128 a = rnd128(), mask = x < N_EDGES ? edge128(x) : rnd128();
    for (int off = 0; off < 17; off += 3) {
      memset(buf, 0xa5, sizeof buf);
      uint8_t *p = (uint8_t *)buf + off;
      __asm__ volatile("movdqu %1, %%xmm0\n\tmovdqu %2, %%xmm1\n\tmaskmovdqu %%xmm1, %%xmm0"
                       : : "D"(p), "m"(a), "m"(mask) : "xmm0", "xmm1", "memory");
      out_str("maskmovdqu"); out_v128(&a); out_v128(&mask); out_x8(off); out_sep(); out_v128(&buf[0]);
      out_v128(&buf[1]); out_nl();
      memset(buf, 0x5a, sizeof buf);
      __asm__ volatile("movq %1, %%mm0\n\tmovq %2, %%mm1\n\tmaskmovq %%mm1, %%mm0"
                       : : "D"(p), "m"(a.q[0]), "m"(mask.q[0]) : "mm0", "mm1", "memory");
      out_str("maskmovq"); out_x64(a.q[0]); out_x64(mask.q[0]); out_x8(off); out_sep(); out_v128(&buf[0]);
      out_v128(&buf[1]); out_nl();
    }
    out_flush();
  }
  _mm_empty();
}

/* Moves between XMM, MMX and general registers and memory, at every byte offset. */
static void move_cases(void) {
  static uint8_t mem[64] __attribute__((aligned(16)));
  for (int x = 0; x < N_EDGES; x++) {
    v128 a = edge128(x), r, r2;
    uint32_t d = (uint32_t)rnd(), rd, md;
    uint64_t q, mq = rnd64();
    /* MOVD xmm, r32 / m32 zero-extends; MOVD r32 / m32, xmm is the low dword. */
    __asm__("movdqu %2, %%xmm0\n\tmovd %3, %%xmm0\n\tmovdqu %%xmm0, %0\n\tmovdqu %2, %%xmm1\n\tmovd %4, %%xmm1\n\t"
            "movdqu %%xmm1, %1" : "=m"(r), "=m"(r2) : "m"(a), "r"(d), "m"(d) : "xmm0", "xmm1");
    line("movd.xmm.r32.m32", &a, &r, &r2);
    __asm__("movdqu %2, %%xmm2\n\tmovd %%xmm2, %0\n\tmovd %%xmm2, %1" : "=r"(rd), "=m"(md) : "m"(a) : "xmm2");
    out_str("movd.r32.m32.xmm"); out_v128(&a); out_sep(); out_x32(rd); out_x32(md); out_nl();
    /* MOVQ xmm, xmm/m64 (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6) clear the high quadword. */
    __asm__("movdqu %2, %%xmm0\n\tmovq %3, %%xmm0\n\tmovdqu %%xmm0, %0\n\tmovdqu %2, %%xmm1\n\tmovq %%xmm0, %%xmm1\n\t"
            "movdqu %%xmm1, %1" : "=m"(r), "=m"(r2) : "m"(a), "m"(mq) : "xmm0", "xmm1");
    line("movq.xmm.m64", &a, &r, &r2);
    __asm__("movdqu %1, %%xmm3\n\tmovq %%xmm3, %0" : "=m"(q) : "m"(a) : "xmm3");
    line64("movq.m64.xmm", a.q[1], a.q[0], q);
    /* MOVQ2DQ, MOVDQ2Q. */
    __asm__("movq %2, %%mm2\n\tmovdqu %3, %%xmm4\n\tmovq2dq %%mm2, %%xmm4\n\tmovdqu %%xmm4, %0\n\t"
            "movdq2q %%xmm4, %%mm3\n\tmovq %%mm3, %1" : "=m"(r), "=m"(q) : "m"(mq), "m"(a) : "mm2", "mm3", "xmm4");
    line("movq2dq", &a, &r, &r);
    line64("movdq2q", mq, 0, q);
    /* MOVDQA between registers and to aligned memory; MOVDQU from and to every offset. */
    __asm__("movdqa %2, %%xmm5\n\tmovdqa %%xmm5, %%xmm6\n\tmovdqa %%xmm6, %0\n\tmovdqu %%xmm6, %%xmm7\n\t"
            "movdqu %%xmm7, %1" : "=m"(r), "=m"(r2) : "m"(a) : "xmm5", "xmm6", "xmm7");
    line("movdqa.movdqu.reg", &a, &r, &r2);
    for (int off = 0; off < 17; off++) {
      for (int i = 0; i < 64; i++) mem[i] = (uint8_t)(i * 37 + x);
      __asm__ volatile("movdqu (%1), %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tmovdqu %%xmm1, (%1)\n\tmovdqu %%xmm0, 17(%1)\n\t"
                       "movdqu %%xmm0, %0" : "=m"(r) : "r"(mem + off) : "xmm0", "xmm1", "memory");
      out_str("movdqu.off"); out_x8(off); out_sep(); out_v128(&r);
      for (int i = 0; i < 4; i++) out_v128((const v128 *)mem + i);
      out_nl();
    }
    /* The non-temporal stores: ordinary stores here. */
    {
      static v128 nt;
      static uint32_t nti;
      static uint64_t ntq;
      __asm__ volatile("movdqu %3, %%xmm0\n\tmovntdq %%xmm0, %0\n\tmovnti %4, %1\n\tmovq %5, %%mm0\n\t"
                       "movntq %%mm0, %2\n\tsfence" : "=m"(nt), "=m"(nti), "=m"(ntq) : "m"(a), "r"(d), "m"(mq)
                       : "xmm0", "mm0", "memory");
      out_str("movnt"); out_v128(&a); out_x32(d); out_x64(mq); out_sep(); out_v128(&nt); out_x32(nti); out_x64(ntq);
      out_nl();
    }
    out_flush();
  }
  _mm_empty();
}

/* CLFLUSH, the fences and PAUSE change nothing a program can see but time. */
static void cache_cases(void) {
  static uint32_t v[64];
  for (int i = 0; i < 64; i++) {
    v[i] = (uint32_t)i * 0x01010101u;
    _mm_clflush(&v[i]);
    _mm_lfence();
    _mm_mfence();
    _mm_sfence();
    _mm_pause();
  }
  uint32_t s = 0;
  for (int i = 0; i < 64; i++) s = s * 31 + v[i];
  out_str("clflush.fence.pause"); out_sep(); out_x32(s); out_nl();
}

int main(void) {
  binary_cases();
  shift_cases();
  shift_imm_cases();
  shuffle_cases();
  word_cases();
  maskmov_cases();
  move_cases();
  cache_cases();
  out_flush();
  return 0;
}
