/*
 * Integer arithmetic and logic with every status flag: ADD ADC SUB SBB CMP AND OR XOR TEST
 * (register, memory-destination, memory-source, immediate and AL/AX/EAX forms, LOCK on
 * memory destinations), NEG NOT INC DEC (register and memory), at 8, 16 and 32 bits, plus
 * byte operations on AH..BH. Inputs: all pairs of edge values with CF clear and set, then
 * random values with random input flags.
 *
 * Line: "<op>.<b|w|l>.<form> a b flags_in > result flags_out". Flags are EFLAGS bits 0-11
 * masked to the status flags the SDM defines for the instruction.
 */
#include "common.h"

/* Memory operands live in globals: the asm moves ESP (PUSHF/POPF), so an ESP-relative
 * operand would be wrong. */
static uint32_t g_mem, g_src;

/* SDM Vol. 2, AND/OR/XOR/TEST: "The OF and CF flags are cleared; the SF, ZF, and PF flags are
 * set according to the result. The state of the AF flag is undefined." */
#define UNDEF_LOGIC F_AF
/* ADD ADC SUB SBB CMP NEG INC DEC define all six status flags (INC/DEC keep CF). */
#define UNDEF_ARITH 0u

#define PRE "pushl %[fi]\n\tpopfl\n\t"
#define POST "\n\tpushfl\n\tpopl %[f]"

/* dst = dst OP src, for the forms r,r  m,r  r,m  and AL/AX/EAX with an immediate. */
#define BIN(OP, SUF, T, C)                                                                     \
  static uint32_t OP##_##SUF##_rr(uint32_t a, uint32_t b, uint32_t fi, uint32_t *fo) {         \
    T d = (T)a, s = (T)b; uint32_t f;                                                          \
    __asm__ volatile(PRE #OP #SUF " %[s], %[d]" POST                                           \
                     : [d] "+" C(d), [f] "=&r"(f) : [s] C(s), [fi] "r"(fi) : "cc");            \
    *fo = f; return d;                                                                         \
  }                                                                                            \
  static uint32_t OP##_##SUF##_mr(uint32_t a, uint32_t b, uint32_t fi, uint32_t *fo) {         \
    T s = (T)b; uint32_t f; g_mem = 0xdeadbeef; *(T *)&g_mem = (T)a;                           \
    __asm__ volatile(PRE #OP #SUF " %[s], %[m]" POST                                           \
                     : [m] "+m"(*(T *)&g_mem), [f] "=&r"(f) : [s] C(s), [fi] "r"(fi) : "cc");  \
    *fo = f; return g_mem;                                                                     \
  }                                                                                            \
  static uint32_t OP##_##SUF##_rm(uint32_t a, uint32_t b, uint32_t fi, uint32_t *fo) {         \
    T d = (T)a; uint32_t f; g_src = 0xdeadbeef; *(T *)&g_src = (T)b;                           \
    __asm__ volatile(PRE #OP #SUF " %[m], %[d]" POST                                           \
                     : [d] "+" C(d), [f] "=&r"(f) : [m] "m"(*(T *)&g_src), [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }

/* The same with a LOCK prefix (memory destination; CMP and TEST are not lockable). */
#define LK(OP, SUF, T, C)                                                                      \
  static uint32_t OP##_##SUF##_lk(uint32_t a, uint32_t b, uint32_t fi, uint32_t *fo) {         \
    T s = (T)b; uint32_t f; g_mem = 0xdeadbeef; *(T *)&g_mem = (T)a;                           \
    __asm__ volatile(PRE "lock " #OP #SUF " %[s], %[m]" POST                                   \
                     : [m] "+m"(*(T *)&g_mem), [f] "=&r"(f) : [s] C(s), [fi] "r"(fi) : "cc");  \
    *fo = f; return g_mem;                                                                     \
  }
#define LK_ALL(OP) LK(OP, b, uint8_t, "q") LK(OP, w, uint16_t, "r") LK(OP, l, uint32_t, "r")
LK_ALL(add) LK_ALL(adc) LK_ALL(sub) LK_ALL(sbb) LK_ALL(and) LK_ALL(or) LK_ALL(xor)
#define cmp_b_lk 0
#define cmp_w_lk 0
#define cmp_l_lk 0
#define test_b_lk 0
#define test_w_lk 0
#define test_l_lk 0

/* TEST has no register,memory form distinct from memory,register; CMP and TEST write nothing. */
#define BIN_ALL(OP)                                                                            \
  BIN(OP, b, uint8_t, "q") BIN(OP, w, uint16_t, "r") BIN(OP, l, uint32_t, "r")

BIN_ALL(add) BIN_ALL(adc) BIN_ALL(sub) BIN_ALL(sbb) BIN_ALL(cmp)
BIN_ALL(and) BIN_ALL(or) BIN_ALL(xor) BIN_ALL(test)

/* Immediate forms: each function applies one constant; "a" forces the accumulator, where the
 * assembler uses the short AL/AX/EAX encodings for immediates that do not fit in 8 bits. */
#define IMM1(OP, SUF, T, C, K, TAG)                                                            \
  static uint32_t OP##_##SUF##_i##TAG(uint32_t a, uint32_t fi, uint32_t *fo) {                 \
    T d = (T)a; uint32_t f;                                                                    \
    __asm__ volatile(PRE #OP #SUF " %[k], %[d]" POST                                           \
                     : [d] "+" C(d), [f] "=&r"(f) : [k] "i"((T)(K)), [fi] "r"(fi) : "cc");     \
    *fo = f; return d;                                                                         \
  }
#define IMMS(OP, SUF, T)                                                                       \
  IMM1(OP, SUF, T, "q", 0, 0) IMM1(OP, SUF, T, "q", 1, 1) IMM1(OP, SUF, T, "q", -1, 2)          \
  IMM1(OP, SUF, T, "q", 0x7f, 3) IMM1(OP, SUF, T, "q", -0x80, 4) IMM1(OP, SUF, T, "a", 0x12345680, 5) \
  IMM1(OP, SUF, T, "r", 0x80, 6)
#define IMM_ALL(OP) IMMS(OP, b, uint8_t) IMMS(OP, w, uint16_t) IMMS(OP, l, uint32_t)
IMM_ALL(add) IMM_ALL(adc) IMM_ALL(sub) IMM_ALL(sbb) IMM_ALL(cmp)
IMM_ALL(and) IMM_ALL(or) IMM_ALL(xor) IMM_ALL(test)

typedef uint32_t (*imm_fn)(uint32_t, uint32_t, uint32_t *);
static const int32_t imm_k[7] = {0, 1, -1, 0x7f, -0x80, 0x12345680, 0x80};

/* Unary: NEG NOT INC DEC, register and memory. */
#define UN(OP, SUF, T, C)                                                                      \
  static uint32_t OP##_##SUF##_r(uint32_t a, uint32_t fi, uint32_t *fo) {                      \
    T d = (T)a; uint32_t f;                                                                    \
    __asm__ volatile(PRE #OP #SUF " %[d]" POST : [d] "+" C(d), [f] "=&r"(f) : [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }                                                                                            \
  static uint32_t OP##_##SUF##_m(uint32_t a, uint32_t fi, uint32_t *fo) {                      \
    uint32_t f; g_mem = 0xdeadbeef; *(T *)&g_mem = (T)a;                                        \
    __asm__ volatile(PRE #OP #SUF " %[m]" POST : [m] "+m"(*(T *)&g_mem), [f] "=&r"(f) : [fi] "r"(fi) : "cc"); \
    *fo = f; return g_mem;                                                                     \
  }
#define UN_ALL(OP) UN(OP, b, uint8_t, "q") UN(OP, w, uint16_t, "r") UN(OP, l, uint32_t, "r")
UN_ALL(neg) UN_ALL(not) UN_ALL(inc) UN_ALL(dec)

/* Byte operations between high-byte registers: AH op= CH, BH op= DL. The whole EAX/EBX is
 * printed, so a write to the wrong byte shows. */
#define HI(OP)                                                                                 \
  static void OP##_hi(uint32_t a, uint32_t b, uint32_t fi) {                                   \
    uint32_t x = 0x11000033u | (a & 0xff) << 8, y = 0x22440055u | (b & 0xff) << 8, f;          \
    uint32_t p = 0x66000077u | (a & 0xff) << 8, q = 0x880000u | (b & 0xff);                    \
    __asm__ volatile(PRE #OP "b %%ch, %%ah" POST : "+a"(x), [f] "=&r"(f) : "c"(y), [fi] "r"(fi) : "cc"); \
    out_str(#OP ".b.hh"); out_x8(a); out_x8(b); out_fl(fi); out_sep(); out_x32(x); out_fl(f & mask_of(#OP)); \
    __asm__ volatile(PRE #OP "b %%dl, %%bh" POST : "+b"(p), [f] "=&r"(f) : "d"(q), [fi] "r"(fi) : "cc"); \
    out_x32(p); out_fl(f & mask_of(#OP)); out_nl();                                            \
  }

static uint32_t mask_of(const char *op) {
  if (!strcmp(op, "and") || !strcmp(op, "or") || !strcmp(op, "xor") || !strcmp(op, "test"))
    return F_STATUS & ~UNDEF_LOGIC;
  if (!strcmp(op, "not")) return F_STATUS; /* NOT affects no flags: they must be kept */
  return F_STATUS & ~UNDEF_ARITH;
}

HI(add) HI(adc) HI(sub) HI(sbb) HI(cmp) HI(and) HI(or) HI(xor)

typedef uint32_t (*bin_fn)(uint32_t, uint32_t, uint32_t, uint32_t *);
typedef uint32_t (*un_fn)(uint32_t, uint32_t, uint32_t *);

struct bin_op { const char *op; int sz; const char *form; bin_fn fn; };
#define B3(OP, SUF, SZ) {#OP, SZ, "rr", OP##_##SUF##_rr}, {#OP, SZ, "mr", OP##_##SUF##_mr}, \
  {#OP, SZ, "rm", OP##_##SUF##_rm}, {#OP, SZ, "lk", OP##_##SUF##_lk}
#define B3S(OP) B3(OP, b, 1), B3(OP, w, 2), B3(OP, l, 4)
static const struct bin_op bin_ops[] = {
  B3S(add), B3S(adc), B3S(sub), B3S(sbb), B3S(cmp), B3S(and), B3S(or), B3S(xor), B3S(test),
};

struct imm_op { const char *op; int sz; imm_fn fn[7]; };
#define I7(OP, SUF) {OP##_##SUF##_i0, OP##_##SUF##_i1, OP##_##SUF##_i2, OP##_##SUF##_i3, \
  OP##_##SUF##_i4, OP##_##SUF##_i5, OP##_##SUF##_i6}
#define I3S(OP) {#OP, 1, I7(OP, b)}, {#OP, 2, I7(OP, w)}, {#OP, 4, I7(OP, l)}
static const struct imm_op imm_ops[] = {
  I3S(add), I3S(adc), I3S(sub), I3S(sbb), I3S(cmp), I3S(and), I3S(or), I3S(xor), I3S(test),
};

struct un_op { const char *op; int sz; const char *form; un_fn fn; };
#define U2(OP, SUF, SZ) {#OP, SZ, "r", OP##_##SUF##_r}, {#OP, SZ, "m", OP##_##SUF##_m}
#define U2S(OP) U2(OP, b, 1), U2(OP, w, 2), U2(OP, l, 4)
static const struct un_op un_ops[] = { U2S(neg), U2S(not), U2S(inc), U2S(dec) };

static const char suffix[5] = {0, 'b', 'w', 0, 'l'};

static void bin_case(const struct bin_op *o, uint32_t a, uint32_t b, uint32_t fi) {
  uint32_t fo, r = o->fn(a, b, fi, &fo);
  /* The memory forms return the whole dword around the operand: bytes beyond it must survive. */
  int wide = o->form[0] == 'm' || o->form[0] == 'l';
  out_str(o->op); out_ch('.'); out_ch(suffix[o->sz]); out_ch('.'); out_str(o->form);
  out_v(a, o->sz); out_v(b, o->sz); out_fl(fi); out_sep();
  if (wide) out_x32(r); else out_v(r & size_mask(o->sz), o->sz);
  out_fl(fo & mask_of(o->op)); out_nl();
}

int main(void) {
  uint32_t ev[24];
  for (unsigned i = 0; i < sizeof bin_ops / sizeof bin_ops[0]; i++) {
    const struct bin_op *o = &bin_ops[i];
    if (!o->fn) continue; /* CMP and TEST are not lockable */
    int n = edge_values(o->sz, ev);
    for (int x = 0; x < n; x++)
      for (int y = 0; y < n; y++)
        for (uint32_t cf = 0; cf < 2; cf++) bin_case(o, ev[x], ev[y], cf | (rnd_flags() & ~F_CF));
    for (int k = 0; k < 300; k++) bin_case(o, rnd_val(o->sz), rnd_val(o->sz), rnd_flags());
  }
  for (unsigned i = 0; i < sizeof imm_ops / sizeof imm_ops[0]; i++) {
    const struct imm_op *o = &imm_ops[i];
    int n = edge_values(o->sz, ev);
    for (int j = 0; j < 7; j++) {
      for (int k = 0; k < n + 40; k++) {
        uint32_t a = k < n ? ev[k] : rnd_val(o->sz), fi = rnd_flags(), fo;
        uint32_t r = o->fn[j](a, fi, &fo);
        out_str(o->op); out_ch('.'); out_ch(suffix[o->sz]); out_str(".i");
        out_v(a, o->sz); out_v((uint32_t)imm_k[j] & size_mask(o->sz), o->sz); out_fl(fi); out_sep();
        out_v(r & size_mask(o->sz), o->sz); out_fl(fo & mask_of(o->op)); out_nl();
      }
    }
  }
  for (unsigned i = 0; i < sizeof un_ops / sizeof un_ops[0]; i++) {
    const struct un_op *o = &un_ops[i];
    int n = edge_values(o->sz, ev);
    for (int k = 0; k < n * 2 + 200; k++) {
      uint32_t a = k < n * 2 ? ev[k / 2] : rnd_val(o->sz);
      uint32_t fi = k < n * 2 ? (k & 1 ? F_STATUS : 0) : rnd_flags(), fo;
      uint32_t r = o->fn(a, fi, &fo);
      out_str(o->op); out_ch('.'); out_ch(suffix[o->sz]); out_ch('.'); out_str(o->form);
      out_v(a, o->sz); out_fl(fi); out_sep();
      if (o->form[0] == 'm') out_x32(r); else out_v(r & size_mask(o->sz), o->sz);
      out_fl(fo & mask_of(o->op)); out_nl();
    }
  }
  static void (*const hi[])(uint32_t, uint32_t, uint32_t) = {
    add_hi, adc_hi, sub_hi, sbb_hi, cmp_hi, and_hi, or_hi, xor_hi,
  };
  for (unsigned i = 0; i < 8; i++)
    for (int k = 0; k < 200; k++) hi[i](rnd_val(1), rnd_val(1), rnd_flags());
  out_flush();
  return 0;
}
