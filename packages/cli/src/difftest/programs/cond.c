/*
 * Conditions: SETcc (register and memory), CMOVcc (16 and 32 bits, register and memory
 * source), Jcc (short and near) and LOOP/LOOPE/LOOPNE/JECXZ for all 16 conditions, first over
 * all 64 combinations of CF PF AF ZF SF OF loaded with POPF, then over the flags left by real
 * arithmetic (ADD SUB ADC SBB INC DEC NEG AND SHL SAR IMUL), where an emulator with lazy flags
 * evaluates each condition from the operation's result.
 *
 * Line: "<kind> flags_in|op args > mask", mask bit cc = 1 when condition cc (0 = O .. 15 = G)
 * held; CMOV lines also print the moved values.
 */
#include "common.h"

static uint32_t g_mem;
static uint8_t g_set[16];

#define CCS(X) X(o, 0) X(no, 1) X(b, 2) X(ae, 3) X(e, 4) X(ne, 5) X(be, 6) X(a, 7) \
  X(s, 8) X(ns, 9) X(p, 10) X(np, 11) X(l, 12) X(ge, 13) X(le, 14) X(g, 15)

/* SETcc into memory for all 16 conditions, flags from POPF; the bytes are left in g_set. */
static void setcc_mem(uint32_t fi) {
  __asm__ volatile("pushl %[fi]\n\tpopfl\n\t"
#define SETM(CC, N) "set" #CC " %[s" #N "]\n\t"
                   CCS(SETM) ""
                   : [s0] "=m"(g_set[0]), [s1] "=m"(g_set[1]), [s2] "=m"(g_set[2]), [s3] "=m"(g_set[3]),
                     [s4] "=m"(g_set[4]), [s5] "=m"(g_set[5]), [s6] "=m"(g_set[6]), [s7] "=m"(g_set[7]),
                     [s8] "=m"(g_set[8]), [s9] "=m"(g_set[9]), [s10] "=m"(g_set[10]), [s11] "=m"(g_set[11]),
                     [s12] "=m"(g_set[12]), [s13] "=m"(g_set[13]), [s14] "=m"(g_set[14]), [s15] "=m"(g_set[15])
                   : [fi] "r"(fi) : "cc");
}
static void out_set(void) { out_ch(' '); for (int i = 0; i < 16; i++) out_hexn(g_set[i], 2); }

/* SETcc into a byte register (all of AL..BH over the 16 conditions), flags from POPF. */
#define SETR(CC, N)                                                                            \
  static uint32_t setr_##CC(uint32_t fi) {                                                     \
    uint32_t a = 0xffffffffu, b = 0xffffffffu;                                                 \
    __asm__ volatile("pushl %[fi]\n\tpopfl\n\tset" #CC " %%ah\n\tset" #CC " %%bl" : "+a"(a), "+b"(b) : [fi] "r"(fi) : "cc"); \
    if ((a | 0xff00u) != 0xffffffffu || (b | 0xffu) != 0xffffffffu) return 0xeeee; /* clobbered */ \
    return (a >> 8 & 0xff) | (b & 0xff) << 8;                                                  \
  }
CCS(SETR)

/* CMOVcc: 32-bit register and memory source, 16-bit register. */
#define CMOV(CC, N)                                                                            \
  static void cmov_##CC(uint32_t fi, uint32_t *r32, uint32_t *m32, uint32_t *r16) {            \
    uint32_t d = 0x11111111u, e = 0x22222222u, s = 0xaaaaaaaau; uint16_t w = 0x3333, v = 0xbbbb; \
    g_mem = 0xcccccccc;                                                                        \
    __asm__ volatile("pushl %[fi]\n\tpopfl\n\tcmov" #CC "l %[s], %[d]\n\tcmov" #CC "l %[m], %[e]\n\tcmov" #CC "w %[v], %[w]" \
                     : [d] "+r"(d), [e] "+r"(e), [w] "+r"(w) : [s] "r"(s), [m] "m"(g_mem), [v] "r"(v), [fi] "r"(fi) : "cc"); \
    *r32 = d; *m32 = e; *r16 = w;                                                              \
  }
CCS(CMOV)

/* Jcc, short and near forms. */
#define JCC(CC, N)                                                                             \
  static uint32_t jcc_##CC(uint32_t fi) {                                                      \
    uint32_t r;                                                                                \
    __asm__ volatile("pushl %[fi]\n\tpopfl\n\txorl %[r], %[r]\n\t"                             \
                     "j" #CC " 1f\n\torl $1, %[r]\n1:\n\t"                                     \
                     "pushl %[fi]\n\tpopfl\n\t"                                                \
                     ".byte 0x0f, 0x80 + " #N "\n\t.long 2f - 3f\n3:\n\torl $2, %[r]\n2:"      \
                     : [r] "=&r"(r) : [fi] "r"(fi) : "cc");                                    \
    return r;                                                                                  \
  }
CCS(JCC)

typedef uint32_t (*set_fn)(uint32_t);
typedef void (*cmov_fn)(uint32_t, uint32_t *, uint32_t *, uint32_t *);
#define FNS(CC, N) setr_##CC,
static const set_fn setr[16] = {CCS(FNS)};
#undef FNS
#define FNS(CC, N) cmov_##CC,
static const cmov_fn cmov[16] = {CCS(FNS)};
#undef FNS
#define FNS(CC, N) jcc_##CC,
static const set_fn jcc[16] = {CCS(FNS)};
#undef FNS

/* LOOP family and JECXZ: returns (taken << 16) | ECX after. */
static uint32_t loops(int kind, uint32_t ecx, uint32_t fi) {
  uint32_t t;
  switch (kind) {
#define LP(K, INSN) case K: __asm__ volatile("pushl %[fi]\n\tpopfl\n\txorl %[t], %[t]\n\t" INSN " 1f\n\tjmp 2f\n1:\n\tmovl $1, %[t]\n2:" \
                                              : [t] "=&r"(t), "+c"(ecx) : [fi] "r"(fi) : "cc"); break;
    LP(0, "loop") LP(1, "loope") LP(2, "loopne") LP(3, "jecxz")
    default: t = 0;
  }
  return t << 16 | (ecx & 0xffff);
}

/* Condition masks after real arithmetic: each op, then all 16 SETcc into memory. */
#define SET16 CCS(SETM)
#define OUTS16 : [s0] "=m"(g_set[0]), [s1] "=m"(g_set[1]), [s2] "=m"(g_set[2]), [s3] "=m"(g_set[3]), \
  [s4] "=m"(g_set[4]), [s5] "=m"(g_set[5]), [s6] "=m"(g_set[6]), [s7] "=m"(g_set[7]),          \
  [s8] "=m"(g_set[8]), [s9] "=m"(g_set[9]), [s10] "=m"(g_set[10]), [s11] "=m"(g_set[11]),      \
  [s12] "=m"(g_set[12]), [s13] "=m"(g_set[13]), [s14] "=m"(g_set[14]), [s15] "=m"(g_set[15]), [a] "+r"(a)
#define AOP(NAME, INSN, T, C)                                                                  \
  static uint32_t after_##NAME(uint32_t a32, uint32_t b32, uint32_t fi) {                      \
    T a = (T)a32, b = (T)b32;                                                                  \
    __asm__ volatile("pushl %[fi]\n\tpopfl\n\t" INSN "\n\t" SET16 "" OUTS16 : [b] C(b), [fi] "r"(fi) : "cc"); \
    (void)a;                                                                                   \
    uint32_t m = 0;                                                                            \
    for (int i = 0; i < 16; i++) m |= (uint32_t)g_set[i] << i;                                 \
    return m;                                                                                  \
  }
#define AOP3(NAME, INSN) AOP(NAME##b, INSN "b %[b], %[a]", uint8_t, "q") AOP(NAME##w, INSN "w %[b], %[a]", uint16_t, "r") \
  AOP(NAME##l, INSN "l %[b], %[a]", uint32_t, "r")
#define AOP3U(NAME, INSN) AOP(NAME##b, INSN "b %[a]", uint8_t, "q") AOP(NAME##w, INSN "w %[a]", uint16_t, "r") \
  AOP(NAME##l, INSN "l %[a]", uint32_t, "r")
AOP3(add, "add") AOP3(sub, "sub") AOP3(adc, "adc") AOP3(sbb, "sbb") AOP3(cmp, "cmp") AOP3(and, "and")
AOP3U(inc, "inc") AOP3U(dec, "dec") AOP3U(neg, "neg")
AOP(shl1l, "shll %[a]", uint32_t, "r") AOP(sar1l, "sarl %[a]", uint32_t, "r")
AOP(shlcl, "movl %[b], %%ecx\n\tshll %%cl, %[a]", uint32_t, "r")
AOP(imull, "imull %[b], %[a]", uint32_t, "r")

typedef uint32_t (*after_fn)(uint32_t, uint32_t, uint32_t);
static const struct { const char *name; int sz; after_fn f; uint32_t undefined; } after[] = {
#define A3(N, U) {#N ".b", 1, after_##N##b, U}, {#N ".w", 2, after_##N##w, U}, {#N ".l", 4, after_##N##l, U}
  A3(add, 0), A3(sub, 0), A3(adc, 0), A3(sbb, 0), A3(cmp, 0), A3(inc, 0), A3(dec, 0), A3(neg, 0),
  /* AND: AF undefined (not read by any condition, so nothing is masked). */
  A3(and, 0),
  {"shl1.l", 4, after_shl1l, 0}, {"sar1.l", 4, after_sar1l, 0},
  /* SHL by CL: OF undefined for counts other than 1 (SDM SAL/SAR/SHL/SHR), CF for counts >= 32
   * cannot occur (the count is masked to 5 bits). Conditions reading OF are masked. */
  {"shlcl.l", 4, after_shlcl, 1},
  /* IMUL: SF, ZF, AF, PF undefined (SDM IMUL); only O/NO/B/AE (OF, CF) are defined. */
  {"imul.l", 4, after_imull, 2},
};

/* Conditions (bit cc) that read an undefined flag. O/NO read OF; L GE LE G read SF^OF. */
static const uint32_t masks_undef[] = {
  0,
  (1u << 0) | (1u << 1) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 15),
  0xfff0u | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7), /* everything reading ZF, SF or PF */
};

int main(void) {
  for (uint32_t s = 0; s < 64; s++) {
    uint32_t fi = (s & 1 ? F_CF : 0) | (s & 2 ? F_PF : 0) | (s & 4 ? F_AF : 0) | (s & 8 ? F_ZF : 0) |
                  (s & 16 ? F_SF : 0) | (s & 32 ? F_OF : 0);
    memset(g_set, 0xee, sizeof g_set);
    setcc_mem(fi);
    out_str("setcc.m"); out_fl(fi); out_sep(); out_set(); out_nl();
    out_str("setcc.r"); out_fl(fi); out_sep();
    for (int cc = 0; cc < 16; cc++) out_x16(setr[cc](fi));
    out_nl();
    out_str("cmovcc"); out_fl(fi); out_sep();
    for (int cc = 0; cc < 16; cc++) {
      uint32_t a, b, c;
      cmov[cc](fi, &a, &b, &c);
      out_ch(' '); out_hexn(a >> 28, 1); out_hexn(b >> 28, 1); out_hexn(c >> 12, 1);
    }
    out_nl();
    out_str("jcc"); out_fl(fi); out_sep();
    for (int cc = 0; cc < 16; cc++) { out_ch(' '); out_hexn(jcc[cc](fi), 1); }
    out_nl();
    static const uint32_t ecxs[] = {0, 1, 2, 0x10000, 0xffffffff};
    out_str("loop"); out_fl(fi); out_sep();
    for (int kind = 0; kind < 4; kind++)
      for (int e = 0; e < 5; e++) out_x32(loops(kind, ecxs[e], fi));
    out_nl();
  }
  uint32_t ev[24];
  for (unsigned i = 0; i < sizeof after / sizeof after[0]; i++) {
    int sz = after[i].sz, n = edge_values(sz, ev);
    for (int k = 0; k < n * n + 300; k++) {
      uint32_t a = k < n * n ? ev[k / n] : rnd_val(sz), b = k < n * n ? ev[k % n] : rnd_val(sz);
      if (!strcmp(after[i].name, "shlcl.l")) b &= 63;
      uint32_t fi = rnd_flags();
      uint32_t m = after[i].f(a, b, fi) & ~masks_undef[after[i].undefined];
      out_str(after[i].name); out_v(a, sz); out_v(b, sz); out_fl(fi); out_sep(); out_x16(m); out_nl();
    }
  }
  out_flush();
  return 0;
}
