/*
 * SSE and SSE2 conversions (SDM Vol. 1 §11.4.7 and each CVT* page), under the four rounding
 * modes and FTZ/DAZ (MXC) with exceptions masked, printing the result and MXCSR after:
 * single/double to and from signed dwords (CVTSI2SS, CVTSS2SI, CVTTSS2SI, CVTSI2SD, CVTSD2SI,
 * CVTTSD2SI, CVTDQ2PS, CVTPS2DQ, CVTTPS2DQ, CVTDQ2PD, CVTPD2DQ, CVTTPD2DQ), the MMX forms
 * (CVTPI2PS, CVTPS2PI, CVTTPS2PI, CVTPI2PD, CVTPD2PI, CVTTPD2PI, each followed by FNSTENV to show
 * the x87 side: TOP and the tag word), and single <-> double (CVTPS2PD, CVTPD2PS, CVTSS2SD,
 * CVTSD2SS). Then the data movement of SSE2's floating-point part: SHUFPS/SHUFPD with every
 * immediate, UNPCKLPS/UNPCKHPS/UNPCKLPD/UNPCKHPD, MOVMSKPS/MOVMSKPD, ANDPD/ANDNPD/ORPD/XORPD,
 * MOVAPD, MOVUPD, MOVSD, MOVLPD, MOVHPD, MOVNTPS, MOVNTPD.
 *
 * Line: "<insn> mxcsr inputs > outputs mxcsr", 128-bit values as 32 hex digits (dword 3 first).
 */
#include "sse_fp.h"

static const uint32_t INTS[] = {0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x01000001, 0x00ffffff, 0x7fffff80,
                                0x7fffffc0, 0x80000001, 0xfeffffff, 0x12345678, 0x00800001, 0x40000001};
#define NINTS (sizeof INTS / sizeof INTS[0])

/* XMM <- XMM/m conversions: r is both input (kept lanes) and output. */
#define CV(insn)                                                                             \
  static void f_##insn(xu *r, const xu *b, uint32_t mx, uint32_t *mo) {                      \
    uint32_t init = 0x1f80;                                                                  \
    __asm__ volatile("ldmxcsr %2\n\t" #insn " %3, %0\n\tstmxcsr %1\n\tldmxcsr %4"            \
                     : "+x"(r->x), "=m"(*mo) : "m"(mx), "x"(b->x), "m"(init));               \
  }
CV(cvtdq2ps)
CV(cvtps2dq)
CV(cvttps2dq)
CV(cvtdq2pd)
CV(cvtpd2dq)
CV(cvttpd2dq)
CV(cvtps2pd)
CV(cvtpd2ps)
CV(cvtss2sd)
CV(cvtsd2ss)

/* GPR <- XMM */
#define CV2SI(insn)                                                                            \
  static uint32_t f_##insn(const xu *b, uint32_t mx, uint32_t *mo) {                           \
    uint32_t init = 0x1f80, r;                                                                 \
    __asm__ volatile("ldmxcsr %2\n\t" #insn " %3, %0\n\tstmxcsr %1\n\tldmxcsr %4"              \
                     : "=r"(r), "=m"(*mo) : "m"(mx), "x"(b->x), "m"(init));                    \
    return r;                                                                                  \
  }
CV2SI(cvtss2si)
CV2SI(cvttss2si)
CV2SI(cvtsd2si)
CV2SI(cvttsd2si)

/* XMM <- GPR */
#define CVSI(insn)                                                                             \
  static void f_##insn(xu *r, uint32_t v, uint32_t mx, uint32_t *mo) {                         \
    uint32_t init = 0x1f80;                                                                    \
    __asm__ volatile("ldmxcsr %2\n\t" #insn " %3, %0\n\tstmxcsr %1\n\tldmxcsr %4"              \
                     : "+x"(r->x), "=m"(*mo) : "m"(mx), "r"(v), "m"(init));                    \
  }
CVSI(cvtsi2ss)
CVSI(cvtsi2sd)

/* The x87 environment after an MMX form: FSW and FTW of FNSTENV. */
static uint8_t env[28];
static void out_env(void) { out_x16(env[4] | env[5] << 8); out_x16(env[8] | env[9] << 8); }

/* MMX <- XMM/m: the result through MM1, then FNSTENV, then EMMS. */
#define CV2PI(insn)                                                                                          \
  static uint64_t f_##insn(const xu *b, uint32_t mx, uint32_t *mo) {                                         \
    uint32_t init = 0x1f80;                                                                                  \
    uint64_t r;                                                                                              \
    __asm__ volatile("ldmxcsr %3\n\t" #insn " %4, %%mm1\n\tstmxcsr %1\n\tldmxcsr %5\n\tmovq %%mm1, %0\n\t"   \
                     "fnstenv %2\n\temms"                                                                    \
                     : "=m"(r), "=m"(*mo), "=m"(env) : "m"(mx), "x"(b->x), "m"(init) : "mm1");               \
    return r;                                                                                                \
  }
CV2PI(cvtps2pi)
CV2PI(cvttps2pi)
CV2PI(cvtpd2pi)
CV2PI(cvttpd2pi)

/* XMM <- MMX (register, then memory) */
#define CVPI(insn)                                                                                        \
  static void f_##insn(xu *r, uint64_t v, uint32_t mx, uint32_t *mo) {                                    \
    uint32_t init = 0x1f80;                                                                               \
    __asm__ volatile("movq %3, %%mm2\n\tldmxcsr %2\n\t" #insn " %%mm2, %0\n\tstmxcsr %1\n\tldmxcsr %4\n\t" \
                     "fnstenv %5\n\temms"                                                                 \
                     : "+x"(r->x), "=m"(*mo) : "m"(mx), "m"(v), "m"(init), "m"(env) : "mm2");            \
  }                                                                                                       \
  static void m_##insn(xu *r, uint64_t v, uint32_t mx, uint32_t *mo) {                                    \
    uint32_t init = 0x1f80;                                                                               \
    __asm__ volatile("fninit\n\tldmxcsr %2\n\t" #insn " %3, %0\n\tstmxcsr %1\n\tldmxcsr %4\n\t"            \
                     "fnstenv %5"                                                                         \
                     : "+x"(r->x), "=m"(*mo) : "m"(mx), "m"(v), "m"(init), "m"(env));                     \
  }
CVPI(cvtpi2ps)
CVPI(cvtpi2pd)

static void head(const char *name, uint32_t mx) { out_str(name); out_x32(mx); }
static void tail(const xu *r, uint32_t mo) { out_sep(); out_x128(r->d); out_x32(mo); out_nl(); }

/* A vector of float operands: lanes from the edges (single or double), else random. */
static void fvec(unsigned i, int dbl, xu *v) {
  if (dbl) for (unsigned l = 0; l < 2; l++) v->q[l] = i < NEDGE_D ? EDGE_D[(i + l * 5) % NEDGE_D] : rnd_d();
  else for (unsigned l = 0; l < 4; l++) v->d[l] = i < NEDGE_S ? EDGE_S[(i + l * 5) % NEDGE_S] : rnd_s();
}
/* Integer operands: the edges, then random ones, often small. */
static void ivec(unsigned i, xu *v) {
  for (unsigned l = 0; l < 4; l++) v->d[l] = i < NINTS ? INTS[(i + l * 3) % NINTS] : (i & 1 ? rnd() : rnd() >> (rnd() & 31));
}

/* Doubles around the dword limits and halves (the edges have the rest). */
static void round_edges(unsigned i, int dbl, xu *v) {
  static const double D[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2147483647.0, 2147483647.5, 2147483648.0, -2147483648.0,
                             -2147483648.5, -2147483649.0, 1e10, -1e10, 0.49999999999999994, 4294967296.0,
                             2147483646.5, -2147483647.5, 3.0000001, -7.75};
  const unsigned n = sizeof D / sizeof D[0];
  if (dbl) for (unsigned l = 0; l < 2; l++) { double d = D[(i + l) % n]; memcpy(&v->q[l], &d, 8); }
  else for (unsigned l = 0; l < 4; l++) { float f = (float)D[(i + l) % n]; memcpy(&v->d[l], &f, 4); }
}

static void conversions(void) {
  const unsigned N = 160;
  for (unsigned i = 0; i < N + 20; i++) {
    xu s, d, ii, g;
    if (i < N) { fvec(i, 0, &s); fvec(i, 1, &d); } else { round_edges(i, 0, &s); round_edges(i, 1, &d); }
    ivec(i, &ii);
    for (unsigned l = 0; l < 4; l++) g.d[l] = rnd();
    for (unsigned m = 0; m < NMXC; m++) {
      uint32_t mx = MXC[m], mo;
      xu r;
#define XX(insn, src)                                                 \
  r = g; f_##insn(&r, &src, mx, &mo);                                 \
  head(#insn, mx); out_x128(src.d); tail(&r, mo);
      XX(cvtdq2ps, ii) XX(cvtps2dq, s) XX(cvttps2dq, s) XX(cvtdq2pd, ii) XX(cvtpd2dq, d) XX(cvttpd2dq, d)
      XX(cvtps2pd, s) XX(cvtpd2ps, d) XX(cvtss2sd, s) XX(cvtsd2ss, d)
#define SI(insn, src)                                                                  \
  { uint32_t v = f_##insn(&src, mx, &mo); head(#insn, mx); out_x128(src.d); out_sep(); out_x32(v); out_x32(mo); out_nl(); }
      SI(cvtss2si, s) SI(cvttss2si, s) SI(cvtsd2si, d) SI(cvttsd2si, d)
#define FROMSI(insn)                                                                       \
  r = g; f_##insn(&r, ii.d[0], mx, &mo); head(#insn, mx); out_x32(ii.d[0]); tail(&r, mo);
      FROMSI(cvtsi2ss) FROMSI(cvtsi2sd)
#define PI(insn, src)                                                                                        \
  { uint64_t v = f_##insn(&src, mx, &mo); head(#insn, mx); out_x128(src.d); out_sep(); out_x64(v); out_x32(mo); out_env(); out_nl(); }
      PI(cvtps2pi, s) PI(cvttps2pi, s) PI(cvtpd2pi, d) PI(cvttpd2pi, d)
#define FROMPI(insn)                                                                                                  \
  r = g; f_##insn(&r, ii.q[0], mx, &mo); head(#insn, mx); out_x64(ii.q[0]); out_sep(); out_x128(r.d); out_x32(mo); out_env(); out_nl(); \
  r = g; m_##insn(&r, ii.q[1], mx, &mo); head(#insn ".m", mx); out_x64(ii.q[1]); out_sep(); out_x128(r.d); out_x32(mo); out_env(); out_nl();
      FROMPI(cvtpi2ps) FROMPI(cvtpi2pd)
    }
  }
}

/* ---- data movement */

#define SHUF(insn)                                                                   \
  static void s_##insn(xu *r, const xu *b, unsigned imm) {                           \
    switch (imm & 3) {                                                               \
      case 0: __asm__(#insn " $0x1b, %1, %0" : "+x"(r->x) : "x"(b->x)); break;       \
      case 1: __asm__(#insn " $0xe4, %1, %0" : "+x"(r->x) : "x"(b->x)); break;       \
      case 2: __asm__(#insn " $0x4e, %1, %0" : "+x"(r->x) : "m"(*b)); break;         \
      default: __asm__(#insn " $0xb1, %1, %0" : "+x"(r->x) : "x"(b->x)); break;      \
    }                                                                                \
  }
SHUF(shufps)
SHUF(shufpd)

#define RR(insn)                                                                           \
  static void r_##insn(xu *r, const xu *b) { __asm__(#insn " %1, %0" : "+x"(r->x) : "x"(b->x)); } \
  static void q_##insn(xu *r, const xu *b) { __asm__(#insn " %1, %0" : "+x"(r->x) : "m"(*b)); }
RR(unpcklps)
RR(unpckhps)
RR(unpcklpd)
RR(unpckhpd)
RR(andpd)
RR(andnpd)
RR(orpd)
RR(xorpd)

static xu mem16 __attribute__((aligned(16)));
static uint8_t buf[48] __attribute__((aligned(16)));

static void movement(const xu *a, const xu *b, unsigned k) {
  xu r;
  for (unsigned imm = 0; imm < 4; imm++) {
    r = *a; s_shufps(&r, b, imm); out_str("shufps "); out_dec(imm); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_nl();
    r = *a; s_shufpd(&r, b, imm); out_str("shufpd "); out_dec(imm); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_nl();
  }
#define P(insn)                                                                                          \
  r = *a; if (k & 1) q_##insn(&r, b); else r_##insn(&r, b);                                              \
  out_str(#insn); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_nl();
  P(unpcklps) P(unpckhps) P(unpcklpd) P(unpckhpd) P(andpd) P(andnpd) P(orpd) P(xorpd)
  uint32_t mps, mpd;
  __asm__("movmskps %2, %0\n\tmovmskpd %2, %1" : "=&r"(mps), "=r"(mpd) : "x"(a->x));
  out_str("movmsk"); out_x128(a->d); out_sep(); out_x32(mps); out_x32(mpd); out_nl();
  /* moves */
  xu s = *a, t;
  __asm__("movapd %1, %0" : "=x"(t.x) : "x"(s.x));
  mem16 = *b;
  __asm__("movapd %1, %0\n\tmovapd %2, %1" : "+m"(mem16), "=&x"(r.x) : "x"(s.x));
  (void)t;
  out_str("movapd"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(t.d); out_x128(r.d); out_x128(mem16.d); out_nl();
  r = *b;
  __asm__("movsd %1, %0" : "+x"(r.x) : "x"(a->x));
  t = *b;
  __asm__("movsd %1, %0" : "+x"(t.x) : "m"(a->q[1]));
  mem16 = *b;
  __asm__("movsd %1, %0" : "=m"(mem16.q[1]) : "x"(a->x));
  out_str("movsd"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_x128(t.d); out_x128(mem16.d); out_nl();
  for (unsigned off = 0; off < 16; off += 3) {
    for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(rnd() >> 5);
    r = *a; t = *a;
    __asm__("movupd %1, %0" : "=x"(r.x) : "m"(*(const uint8_t(*)[16])(buf + off)));
    __asm__("movlpd %1, %0\n\tmovhpd %2, %0" : "+x"(t.x) : "m"(*(const uint8_t(*)[8])(buf + off + 1)), "m"(*(const uint8_t(*)[8])(buf + off + 9)));
    __asm__("movupd %1, %0" : "=m"(*(uint8_t(*)[16])(buf + off + 17)) : "x"(a->x));
    __asm__("movlpd %1, %0" : "=m"(*(uint8_t(*)[8])(buf + off + 5)) : "x"(b->x));
    __asm__("movhpd %1, %0" : "=m"(*(uint8_t(*)[8])(buf + off + 33)) : "x"(b->x));
    out_str("movupd "); out_dec(off); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_x128(t.d);
    for (unsigned i = 0; i < sizeof buf; i += 16) out_x128((const uint32_t *)(buf + i));
    out_nl();
  }
  __asm__("movntps %1, %0" : "=m"(mem16) : "x"(a->x));
  __asm__("movntpd %1, %0" : "=m"(*(xu *)(buf + 16)) : "x"(b->x));
  out_str("movnt"); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(mem16.d); out_x128((const uint32_t *)(buf + 16)); out_nl();
}

int main(void) {
  conversions();
  for (unsigned i = 0; i < 120; i++) {
    xu a, b;
    fvec(i, i & 1, &a);
    fvec(i + 7, (i >> 1) & 1, &b);
    movement(&a, &b, i);
  }
  out_flush();
  return 0;
}
