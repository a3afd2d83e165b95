/*
 * Multiply and divide: MUL and IMUL with one operand (register and memory), IMUL with two
 * operands and with three (8-bit and full-size immediates), DIV and IDIV at 8, 16 and 32
 * bits. Divisions are built from a chosen quotient, divisor and remainder, so every case is
 * valid (no #DE) and the quotients reach their limits: 0, 1, the largest unsigned value, and
 * for IDIV both ends of the signed range (-2^(n-1) is a valid quotient, SDM Vol. 2 IDIV).
 *
 * Lines: "mul.l.r a b flags_in > edx eax flags_out" and "div.l.r dividend divisor > quotient
 * remainder".
 */
#include "common.h"

static uint32_t g_mem;

#define PRE "pushl %[fi]\n\tpopfl\n\t"
#define POST "\n\tpushfl\n\tpopl %[f]"

/* SDM Vol. 2 MUL: "The OF and CF flags are set to 0 if the upper half of the result is 0;
 * otherwise, they are set to 1. The SF, ZF, AF, and PF flags are undefined." IMUL: "The SF,
 * ZF, AF, and PF flags are undefined." */
#define MUL_DEFINED (F_CF | F_OF)

/* One-operand forms: AX = AL * src, DX:AX = AX * src, EDX:EAX = EAX * src. */
static void mul1(const char *name, int sz, int mem, int sgn, uint32_t a, uint32_t b, uint32_t fi) {
  uint32_t eax = 0x5a5a5a00u, edx = 0xa5a5a5a5u, f;
  if (sz == 1) eax = (eax & ~0xffu) | (a & 0xff);
  else if (sz == 2) eax = (eax & ~0xffffu) | (a & 0xffff);
  else eax = a;
  g_mem = 0xdeadbeef;
  if (sz == 1) *(uint8_t *)&g_mem = (uint8_t)b; else if (sz == 2) *(uint16_t *)&g_mem = (uint16_t)b; else g_mem = b;
  uint8_t b8 = (uint8_t)b; uint16_t b16 = (uint16_t)b;
#define M1(INSN, OPND, C, V) __asm__ volatile(PRE INSN " %[s]" POST : "+a"(eax), "+d"(edx), [f] "=&r"(f) : [s] C(V), [fi] "r"(fi) : "cc")
  if (!sgn) {
    if (sz == 1) { if (mem) M1("mulb", , "m", *(uint8_t *)&g_mem); else M1("mulb", , "q", b8); }
    else if (sz == 2) { if (mem) M1("mulw", , "m", *(uint16_t *)&g_mem); else M1("mulw", , "r", b16); }
    else { if (mem) M1("mull", , "m", g_mem); else M1("mull", , "r", b); }
  } else {
    if (sz == 1) { if (mem) M1("imulb", , "m", *(uint8_t *)&g_mem); else M1("imulb", , "q", b8); }
    else if (sz == 2) { if (mem) M1("imulw", , "m", *(uint16_t *)&g_mem); else M1("imulw", , "r", b16); }
    else { if (mem) M1("imull", , "m", g_mem); else M1("imull", , "r", b); }
  }
  out_str(name); out_v(a, sz); out_v(b, sz); out_fl(fi); out_sep(); out_x32(edx); out_x32(eax);
  out_fl(f & MUL_DEFINED); out_nl();
}

/* Two-operand IMUL: dst = dst * src (truncated). */
static void imul2(int sz, int mem, uint32_t a, uint32_t b, uint32_t fi) {
  uint32_t f, r;
  g_mem = b;
  if (sz == 2) {
    uint16_t d = (uint16_t)a, s = (uint16_t)b;
    if (mem) __asm__ volatile(PRE "imulw %[s], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [s] "m"(*(uint16_t *)&g_mem), [fi] "r"(fi) : "cc");
    else __asm__ volatile(PRE "imulw %[s], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [s] "r"(s), [fi] "r"(fi) : "cc");
    r = d;
  } else {
    uint32_t d = a;
    if (mem) __asm__ volatile(PRE "imull %[s], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [s] "m"(g_mem), [fi] "r"(fi) : "cc");
    else __asm__ volatile(PRE "imull %[s], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [s] "r"(b), [fi] "r"(fi) : "cc");
    r = d;
  }
  out_str(sz == 2 ? (mem ? "imul2.w.m" : "imul2.w.r") : (mem ? "imul2.l.m" : "imul2.l.r"));
  out_v(a, sz); out_v(b, sz); out_fl(fi); out_sep(); out_v(r, sz); out_fl(f & MUL_DEFINED); out_nl();
}

/* Three-operand IMUL: dst = src * imm, one function per immediate. */
#define IMUL3(TAG, K)                                                                          \
  static void imul3_##TAG(int sz, int mem, uint32_t b, uint32_t fi) {                          \
    uint32_t f, r; g_mem = b;                                                                  \
    if (sz == 2) {                                                                             \
      uint16_t d, s = (uint16_t)b;                                                             \
      if (mem) __asm__ volatile(PRE "imulw %[k], %[s], %[d]" POST : [d] "=&r"(d), [f] "=&r"(f) : [s] "m"(*(uint16_t *)&g_mem), [k] "i"((int16_t)(K)), [fi] "r"(fi) : "cc"); \
      else __asm__ volatile(PRE "imulw %[k], %[s], %[d]" POST : [d] "=&r"(d), [f] "=&r"(f) : [s] "r"(s), [k] "i"((int16_t)(K)), [fi] "r"(fi) : "cc"); \
      r = d;                                                                                   \
    } else {                                                                                   \
      uint32_t d;                                                                              \
      if (mem) __asm__ volatile(PRE "imull %[k], %[s], %[d]" POST : [d] "=&r"(d), [f] "=&r"(f) : [s] "m"(g_mem), [k] "i"((int32_t)(K)), [fi] "r"(fi) : "cc"); \
      else __asm__ volatile(PRE "imull %[k], %[s], %[d]" POST : [d] "=&r"(d), [f] "=&r"(f) : [s] "r"(b), [k] "i"((int32_t)(K)), [fi] "r"(fi) : "cc"); \
      r = d;                                                                                   \
    }                                                                                          \
    out_str(sz == 2 ? "imul3.w" : "imul3.l"); out_str(mem ? ".m" : ".r");                      \
    out_v(b, sz); out_v((uint32_t)(K) & size_mask(sz), sz); out_fl(fi); out_sep();            \
    out_v(r, sz); out_fl(f & MUL_DEFINED); out_nl();                                           \
  }
IMUL3(0, 0) IMUL3(1, 1) IMUL3(2, -1) IMUL3(3, 3) IMUL3(4, 0x7f) IMUL3(5, -0x80)
IMUL3(6, 0x12345) IMUL3(7, -0x7ffffff) IMUL3(8, 0x80) IMUL3(9, 0x7fff)
static void (*const imul3[])(int, int, uint32_t, uint32_t) = {
  imul3_0, imul3_1, imul3_2, imul3_3, imul3_4, imul3_5, imul3_6, imul3_7, imul3_8, imul3_9,
};

/* DIV/IDIV: dividend in AX, DX:AX or EDX:EAX. The flags are all undefined (SDM Vol. 2 DIV,
 * IDIV: "The CF, OF, SF, ZF, AF, and PF flags are undefined"), so none are printed. */
static void div1(int sz, int mem, int sgn, uint64_t dividend, uint32_t divisor) {
  uint32_t eax, edx = 0x77777777u;
  uint32_t m = size_mask(sz);
  if (sz == 1) eax = 0x12340000u | (uint32_t)(dividend & 0xffff);
  else if (sz == 2) { eax = 0x12340000u | (uint32_t)(dividend & 0xffff); edx = 0x56780000u | (uint32_t)((dividend >> 16) & 0xffff); }
  else { eax = (uint32_t)dividend; edx = (uint32_t)(dividend >> 32); }
  g_mem = 0xdeadbeef;
  if (sz == 1) *(uint8_t *)&g_mem = (uint8_t)divisor; else if (sz == 2) *(uint16_t *)&g_mem = (uint16_t)divisor; else g_mem = divisor;
  uint8_t d8 = (uint8_t)divisor; uint16_t d16 = (uint16_t)divisor;
#define D1(INSN, C, V) __asm__ volatile(INSN " %[s]" : "+a"(eax), "+d"(edx) : [s] C(V) : "cc")
  if (!sgn) {
    if (sz == 1) { if (mem) D1("divb", "m", *(uint8_t *)&g_mem); else D1("divb", "q", d8); }
    else if (sz == 2) { if (mem) D1("divw", "m", *(uint16_t *)&g_mem); else D1("divw", "r", d16); }
    else { if (mem) D1("divl", "m", g_mem); else D1("divl", "r", divisor); }
  } else {
    if (sz == 1) { if (mem) D1("idivb", "m", *(uint8_t *)&g_mem); else D1("idivb", "q", d8); }
    else if (sz == 2) { if (mem) D1("idivw", "m", *(uint16_t *)&g_mem); else D1("idivw", "r", d16); }
    else { if (mem) D1("idivl", "m", g_mem); else D1("idivl", "r", divisor); }
  }
  out_str(sgn ? "idiv." : "div."); out_ch(sz == 1 ? 'b' : sz == 2 ? 'w' : 'l'); out_str(mem ? ".m" : ".r");
  if (sz == 4) out_x64(dividend); else out_v((uint32_t)dividend & size_mask(sz * 2), sz * 2);
  out_v(divisor & m, sz); out_sep(); out_x32(edx); out_x32(eax); out_nl();
}

/* A quotient of n bits biased towards its limits. */
static uint64_t pick_u(int bits) {
  uint64_t max = bits == 32 ? 0xffffffffull : (1ull << bits) - 1;
  switch (rnd() % 6) {
    case 0: return 0;
    case 1: return max - (rnd() & 3);
    case 2: return 1 + (rnd() & 3);
    default: return (uint64_t)rnd_val(bits / 8) & max;
  }
}
static int64_t pick_s(int bits) {
  int64_t lo = -(1ll << (bits - 1)), hi = (1ll << (bits - 1)) - 1;
  switch (rnd() % 7) {
    case 0: return lo + (rnd() & 1);
    case 1: return hi - (rnd() & 1);
    case 2: return (int64_t)(rnd() % 5) - 2;
    default: { uint32_t v = rnd_val(bits / 8); return bits == 32 ? (int64_t)(int32_t)v : bits == 16 ? (int64_t)(int16_t)v : (int64_t)(int8_t)v; }
  }
}

static void div_cases(int sz, int sgn, int mem, int count) {
  int bits = sz * 8;
  for (int k = 0; k < count; k++) {
    if (!sgn) {
      uint64_t d = pick_u(bits); if (d == 0) d = 1 + (rnd() & 7);
      uint64_t q = pick_u(bits);
      uint64_t r = (rnd() & 3) == 0 ? d - 1 : (rnd() & 3) == 0 ? 0 : rnd64() % d;
      div1(sz, mem, 0, q * d + r, (uint32_t)d);
    } else {
      int64_t d = pick_s(bits); if (d == 0) d = (rnd() & 1) ? 1 : -1;
      int64_t q = pick_s(bits);
      int64_t ad = d < 0 ? -d : d;
      int64_t r = (rnd() & 3) == 0 ? ad - 1 : (rnd() & 3) == 0 ? 0 : (int64_t)(rnd64() % (uint64_t)ad);
      int64_t p = q * d;
      /* The remainder takes the dividend's sign (truncating division). */
      if (p < 0 || (p == 0 && (rnd() & 1))) r = -r;
      div1(sz, mem, 1, (uint64_t)(p + r), (uint32_t)d);
    }
  }
}

int main(void) {
  static const char *mul_names[2][3][2] = {
    {{"mul.b.r", "mul.b.m"}, {"mul.w.r", "mul.w.m"}, {"mul.l.r", "mul.l.m"}},
    {{"imul.b.r", "imul.b.m"}, {"imul.w.r", "imul.w.m"}, {"imul.l.r", "imul.l.m"}},
  };
  uint32_t ev[24];
  for (int sgn = 0; sgn < 2; sgn++)
    for (int si = 0; si < 3; si++) {
      int sz = 1 << si, n = edge_values(sz, ev);
      for (int mem = 0; mem < 2; mem++) {
        for (int x = 0; x < n; x++)
          for (int y = 0; y < n; y++) mul1(mul_names[sgn][si][mem], sz, mem, sgn, ev[x], ev[y], rnd_flags());
        for (int k = 0; k < 400; k++) mul1(mul_names[sgn][si][mem], sz, mem, sgn, rnd_val(sz), rnd_val(sz), rnd_flags());
      }
    }
  for (int sz = 2; sz <= 4; sz += 2) {
    int n = edge_values(sz, ev);
    for (int mem = 0; mem < 2; mem++) {
      for (int x = 0; x < n; x++)
        for (int y = 0; y < n; y++) imul2(sz, mem, ev[x], ev[y], rnd_flags());
      for (int k = 0; k < 400; k++) imul2(sz, mem, rnd_val(sz), rnd_val(sz), rnd_flags());
      for (unsigned j = 0; j < sizeof imul3 / sizeof imul3[0]; j++) {
        for (int x = 0; x < n; x++) imul3[j](sz, mem, ev[x], rnd_flags());
        for (int k = 0; k < 60; k++) imul3[j](sz, mem, rnd_val(sz), rnd_flags());
      }
    }
  }
  for (int sgn = 0; sgn < 2; sgn++)
    for (int sz = 1; sz <= 4; sz *= 2)
      for (int mem = 0; mem < 2; mem++) div_cases(sz, sgn, mem, 1500);
  out_flush();
  return 0;
}
