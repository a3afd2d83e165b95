/*
 * SSE and SSE2 floating-point arithmetic (SDM Vol. 1 chapters 10-11): ADD SUB MUL DIV MIN MAX
 * SQRT in the PS, SS, PD and SD forms, CMPPS/CMPSS/CMPPD/CMPSD with predicates 0-7,
 * COMISS/UCOMISS/COMISD/UCOMISD, and RCPPS/RCPSS/RSQRTPS/RSQRTSS. Operands pair every edge
 * value (sse_fp.h) with every other, then random ones; each case runs under the four rounding
 * modes and FTZ/DAZ settings (MXC) with exceptions masked and prints the result and MXCSR after.
 * The scalar forms keep garbage in the upper lanes to show they are kept; ".m" lines take the
 * source from memory. RCP/RSQRT are approximations whose bits differ between processors: for a
 * normal result the line says whether the relative error is within the SDM's 1.5*2^-12 ("ok"),
 * other results (zero, infinity, NaN) print their bits.
 *
 * Line: "<insn> mxcsr a b > result mxcsr", 128-bit values as 32 hex digits (dword 3 first).
 */
#include "sse_fp.h"

#define OP(insn)                                                                                     \
  static void f_##insn(xu *r, const xu *b, uint32_t mx, uint32_t *mo) {                              \
    uint32_t init = 0x1f80;                                                                          \
    __asm__ volatile("ldmxcsr %2\n\t" #insn " %3, %0\n\tstmxcsr %1\n\tldmxcsr %4"                    \
                     : "+x"(r->x), "=m"(*mo) : "m"(mx), "x"(b->x), "m"(init));                       \
  }                                                                                                  \
  MAYBE_UNUSED static void m_##insn(xu *r, const xu *b, uint32_t mx, uint32_t *mo) {                              \
    uint32_t init = 0x1f80;                                                                          \
    __asm__ volatile("ldmxcsr %2\n\t" #insn " %3, %0\n\tstmxcsr %1\n\tldmxcsr %4"                    \
                     : "+x"(r->x), "=m"(*mo) : "m"(mx), "m"(*b), "m"(init));                         \
  }
#define OPS4(name) OP(name##ps) OP(name##ss) OP(name##pd) OP(name##sd)
OPS4(add)
OPS4(sub)
OPS4(mul)
OPS4(div)
OPS4(min)
OPS4(max)
OPS4(sqrt)
OP(rcpps)
OP(rcpss)
OP(rsqrtps)
OP(rsqrtss)

typedef void (*opfn)(xu *, const xu *, uint32_t, uint32_t *);
struct op {
  const char *name;
  opfn reg, mem;
};
#define E4(name)                                                                         \
  {#name "ps", f_##name##ps, m_##name##ps}, {#name "ss", f_##name##ss, m_##name##ss},    \
      {#name "pd", f_##name##pd, m_##name##pd}, {#name "sd", f_##name##sd, m_##name##sd}
static const struct op OPS[] = {E4(add), E4(sub), E4(mul), E4(div), E4(min), E4(max), E4(sqrt)};
#define NOPS (sizeof OPS / sizeof OPS[0])

static xu srcm __attribute__((aligned(16)));

static void run(const struct op *o, const xu *a, const xu *b, uint32_t mx, int mem) {
  xu r = *a;
  uint32_t mo;
  srcm = *b;
  if (mem) o->mem(&r, &srcm, mx, &mo);
  else o->reg(&r, b, mx, &mo);
  out_str(o->name);
  if (mem) out_str(".m");
  out_x32(mx); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_x32(mo); out_nl();
}

/* Vector i of the pairs of edge values: lanes (k / n, k % n) for k = i*lanes + lane. */
static void pair_s(unsigned i, unsigned lanes, xu *a, xu *b) {
  for (unsigned l = 0; l < 4; l++) {
    unsigned k = (i * lanes + (l % lanes)) % (NEDGE_S * NEDGE_S);
    a->d[l] = l < lanes ? EDGE_S[k / NEDGE_S] : rnd();
    b->d[l] = l < lanes ? EDGE_S[k % NEDGE_S] : rnd();
  }
}
static void pair_d(unsigned i, unsigned lanes, xu *a, xu *b) {
  for (unsigned l = 0; l < 2; l++) {
    unsigned k = (i * lanes + (l % lanes)) % (NEDGE_D * NEDGE_D);
    a->q[l] = l < lanes ? EDGE_D[k / NEDGE_D] : rnd64();
    b->q[l] = l < lanes ? EDGE_D[k % NEDGE_D] : rnd64();
  }
}

static void arith(void) {
  for (unsigned o = 0; o < NOPS; o++) {
    const struct op *op = &OPS[o];
    int dbl = op->name[strlen(op->name) - 1] == 'd', packed = op->name[strlen(op->name) - 2] == 'p';
    unsigned lanes = packed ? (dbl ? 2 : 4) : 1, n = dbl ? NEDGE_D * NEDGE_D : NEDGE_S * NEDGE_S;
    unsigned vecs = (n + lanes - 1) / lanes;
    for (unsigned i = 0; i < vecs; i++) {
      xu a, b;
      if (dbl) pair_d(i, lanes, &a, &b);
      else pair_s(i, lanes, &a, &b);
      /* the four rounding modes, then one of the FTZ/DAZ settings in turn */
      for (unsigned m = 0; m < 4; m++) run(op, &a, &b, MXC[m], 0);
      run(op, &a, &b, MXC[4 + i % (NMXC - 4)], i % 3 == 0);
    }
    for (unsigned i = 0; i < 300; i++) {
      xu a, b;
      for (unsigned l = 0; l < 4; l++) { a.d[l] = rnd_s(); b.d[l] = rnd_s(); }
      if (dbl) for (unsigned l = 0; l < 2; l++) {
        a.q[l] = rnd_d(); b.q[l] = rnd_d();
        if (l == 1 && (i & 1)) b.q[1] = (a.q[1] & 0xfff0000000000000ull) | (b.q[1] & 0xfffffffffffffull);
      }
      run(op, &a, &b, MXC[i % NMXC], i % 5 == 0);
    }
  }
}

/* ---- comparisons */

#define CMPF(insn, imm)                                                                           \
  static void c_##insn##imm(xu *r, const xu *b, uint32_t mx, uint32_t *mo) {                      \
    uint32_t init = 0x1f80;                                                                       \
    __asm__ volatile("ldmxcsr %2\n\t" #insn " $" #imm ", %3, %0\n\tstmxcsr %1\n\tldmxcsr %4"      \
                     : "+x"(r->x), "=m"(*mo) : "m"(mx), "x"(b->x), "m"(init));                    \
  }
#define CMP8(insn) CMPF(insn, 0) CMPF(insn, 1) CMPF(insn, 2) CMPF(insn, 3) CMPF(insn, 4) CMPF(insn, 5) CMPF(insn, 6) CMPF(insn, 7) \
  static const opfn cmp_##insn[8] = {c_##insn##0, c_##insn##1, c_##insn##2, c_##insn##3, c_##insn##4, c_##insn##5, c_##insn##6, c_##insn##7};
CMP8(cmpps)
CMP8(cmpss)
CMP8(cmppd)
CMP8(cmpsd)

static void cmp_one(const char *name, const opfn *fns, unsigned pred, const xu *a, const xu *b, uint32_t mx) {
  xu r = *a;
  uint32_t mo;
  fns[pred](&r, b, mx, &mo);
  out_str(name); out_ch(' '); out_dec(pred);
  out_x32(mx); out_x128(a->d); out_x128(b->d); out_sep(); out_x128(r.d); out_x32(mo); out_nl();
}

#define COMI(insn)                                                                                  \
  static uint32_t i_##insn(const xu *a, const xu *b, uint32_t mx, uint32_t *mo) {                  \
    uint32_t init = 0x1f80, fl;                                                                     \
    __asm__ volatile("ldmxcsr %3\n\t" #insn " %5, %4\n\tpushf\n\tpop %0\n\tstmxcsr %1\n\tldmxcsr %2" \
                     : "=r"(fl), "=m"(*mo) : "m"(init), "m"(mx), "x"(a->x), "x"(b->x) : "cc");      \
    return fl;                                                                                      \
  }
COMI(comiss)
COMI(ucomiss)
COMI(comisd)
COMI(ucomisd)

static void comi_one(const char *name, uint32_t (*f)(const xu *, const xu *, uint32_t, uint32_t *), const xu *a,
                     const xu *b, uint32_t mx) {
  uint32_t mo, fl = f(a, b, mx, &mo);
  out_str(name); out_x32(mx); out_x128(a->d); out_x128(b->d); out_sep(); out_fl(fl & F_STATUS); out_x32(mo); out_nl();
}

static void compares(void) {
  for (unsigned i = 0; i < (NEDGE_S * NEDGE_S + 3) / 4; i++) {
    xu a, b;
    pair_s(i, 4, &a, &b);
    for (unsigned p = 0; p < 8; p++) cmp_one("cmpps", cmp_cmpps, p, &a, &b, i & 1 ? 0x1fc0 : 0x1f80);
  }
  for (unsigned i = 0; i < NEDGE_S * NEDGE_S; i++) {
    xu a, b;
    pair_s(i, 1, &a, &b);
    cmp_one("cmpss", cmp_cmpss, i % 8, &a, &b, i & 8 ? 0x1fc0 : 0x1f80);
    comi_one("comiss", i_comiss, &a, &b, i & 1 ? 0x1fc0 : 0x1f80);
    comi_one("ucomiss", i_ucomiss, &a, &b, i & 2 ? 0x1fc0 : 0x1f80);
  }
  for (unsigned i = 0; i < (NEDGE_D * NEDGE_D + 1) / 2; i++) {
    xu a, b;
    pair_d(i, 2, &a, &b);
    for (unsigned p = 0; p < 8; p++) cmp_one("cmppd", cmp_cmppd, p, &a, &b, i & 1 ? 0x1fc0 : 0x1f80);
  }
  for (unsigned i = 0; i < NEDGE_D * NEDGE_D; i++) {
    xu a, b;
    pair_d(i, 1, &a, &b);
    cmp_one("cmpsd", cmp_cmpsd, i % 8, &a, &b, i & 8 ? 0x1fc0 : 0x1f80);
    comi_one("comisd", i_comisd, &a, &b, i & 1 ? 0x1fc0 : 0x1f80);
    comi_one("ucomisd", i_ucomisd, &a, &b, i & 2 ? 0x1fc0 : 0x1f80);
  }
}

/* ---- approximations */

static double sq(double x) { __asm__("fsqrt" : "+t"(x)); return x; }
static float f_of(uint32_t v) { float f; memcpy(&f, &v, 4); return f; }

/* The result lane: its bits when zero, infinite or NaN, else "ok" when within 1.5*2^-12 of want. */
static void approx_lane(uint32_t r, double want) {
  uint32_t ex = (r >> 23) & 0xff;
  if (ex == 0 || ex == 0xff) { out_x32(r); return; }
  double got = f_of(r), err = (got - want) / want;
  if (err < 0) err = -err;
  out_str(err <= 1.5 / 4096 ? " ok" : " bad");
}

static void approx(const char *name, opfn f, int rsqrt, int packed, const xu *a, const xu *b) {
  xu r = *a;
  uint32_t mo;
  f(&r, b, 0x1f80, &mo);
  out_str(name); out_x128(b->d); out_sep();
  for (int l = packed ? 3 : 0; l >= 0; l--) {
    double x = f_of(b->d[l]);
    approx_lane(r.d[l], rsqrt ? 1.0 / sq(x) : 1.0 / x);
  }
  if (!packed) { out_x32(r.d[1]); out_x32(r.d[2]); out_x32(r.d[3]); }
  out_x32(mo); out_nl();
}

static void approximations(void) {
  for (unsigned i = 0; i < NEDGE_S + 200; i++) {
    xu a, b;
    for (unsigned l = 0; l < 4; l++) {
      a.d[l] = rnd();
      b.d[l] = i < NEDGE_S ? EDGE_S[(i + l * 7) % NEDGE_S] : rnd_s();
    }
    approx("rcpps", f_rcpps, 0, 1, &a, &b);
    approx("rcpss", f_rcpss, 0, 0, &a, &b);
    approx("rsqrtps", f_rsqrtps, 1, 1, &a, &b);
    approx("rsqrtss", f_rsqrtss, 1, 0, &a, &b);
  }
}

int main(void) {
  arith();
  compares();
  approximations();
  out_flush();
  return 0;
}
