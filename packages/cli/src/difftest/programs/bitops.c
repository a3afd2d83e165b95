/*
 * Bit operations: BT BTS BTR BTC with a register bit offset (register destination: offset
 * modulo the size; memory destination: the offset is a signed bit index that reaches far
 * outside the addressed word, SDM Vol. 2 BT "Bit(BitBase, BitOffset)"), with an immediate
 * offset (register and memory), at 16 and 32 bits; BSF and BSR (register and memory,
 * including a zero source); BSWAP on each register.
 *
 * Lines: "bts.l.mr offset flags_in > cf/zf flags dword_holding_the_bit".
 */
#include "common.h"

#define PRE "pushl %[fi]\n\tpopfl\n\t"
#define POST "\n\tpushfl\n\tpopl %[f]"

/* SDM Vol. 2 BT/BTS/BTR/BTC: "The CF flag contains the value of the selected bit before it is
 * changed. The ZF flag is unaffected. The OF, SF, AF, and PF flags are undefined." */
#define BT_DEFINED (F_CF | F_ZF)
/* BSF/BSR: "The ZF flag is set to 1 if the source operand is 0; otherwise, the ZF flag is
 * cleared. The CF, OF, SF, AF, and PF flags are undefined." */
#define BS_DEFINED F_ZF

/* 64 KiB bit field, the base address in the middle: 16-bit offsets reach +-4 KiB, the 32-bit
 * offsets used here +-32 KiB. */
static uint8_t field[65536] __attribute__((aligned(16)));
#define BASE (field + 32768)
static uint32_t g_mem;

static uint32_t pattern(uint32_t i) { return i * 0x9e3779b9u ^ 0x5bd1e995u; }
static void fill_field(void) {
  for (uint32_t i = 0; i < sizeof field / 4; i++) ((uint32_t *)field)[i] = pattern(i);
}

#define BT_R(OP, SUF, T)                                                                       \
  static uint32_t OP##_##SUF##_rr(uint32_t a, uint32_t off, uint32_t fi, uint32_t *fo) {       \
    T d = (T)a, o = (T)off; uint32_t f;                                                        \
    __asm__ volatile(PRE #OP #SUF " %[o], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [o] "r"(o), [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }                                                                                            \
  static void OP##_##SUF##_mr(uint32_t off, uint32_t fi, uint32_t *fo) {                       \
    T o = (T)off; uint32_t f; T *base = (T *)BASE;                                             \
    __asm__ volatile(PRE #OP #SUF " %[o], %[m]" POST : [m] "+m"(*base), [f] "=&r"(f) : [o] "r"(o), [fi] "r"(fi) : "cc", "memory"); \
    *fo = f;                                                                                   \
  }                                                                                            \
  BT_I(OP, SUF, T, 0) BT_I(OP, SUF, T, 1) BT_I(OP, SUF, T, 7) BT_I(OP, SUF, T, 15)              \
  BT_I(OP, SUF, T, 16) BT_I(OP, SUF, T, 31) BT_I(OP, SUF, T, 33) BT_I(OP, SUF, T, 255)
#define BT_I(OP, SUF, T, K)                                                                    \
  static uint32_t OP##_##SUF##_i##K(uint32_t a, uint32_t fi, uint32_t *fo, int mem) {          \
    T d = (T)a; uint32_t f;                                                                    \
    if (mem) {                                                                                 \
      g_mem = 0xdeadbeef; *(T *)&g_mem = d;                                                    \
      __asm__ volatile(PRE #OP #SUF " %[k], %[m]" POST : [m] "+m"(*(T *)&g_mem), [f] "=&r"(f) : [k] "i"(K), [fi] "r"(fi) : "cc"); \
      *fo = f; return g_mem;                                                                   \
    }                                                                                          \
    __asm__ volatile(PRE #OP #SUF " %[k], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [k] "i"(K), [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }
#define BT_ALL(OP) BT_R(OP, w, uint16_t) BT_R(OP, l, uint32_t)
BT_ALL(bt) BT_ALL(bts) BT_ALL(btr) BT_ALL(btc)

typedef uint32_t (*rr_fn)(uint32_t, uint32_t, uint32_t, uint32_t *);
typedef void (*mr_fn)(uint32_t, uint32_t, uint32_t *);
typedef uint32_t (*i_fn)(uint32_t, uint32_t, uint32_t *, int);
#define NI 8
static const unsigned imms[NI] = {0, 1, 7, 15, 16, 31, 33, 255};
struct bt_op { const char *name; int sz; rr_fn rr; mr_fn mr; i_fn imm[NI]; };
#define BTO(OP, SUF, SZ) {#OP "." #SUF, SZ, OP##_##SUF##_rr, OP##_##SUF##_mr, {OP##_##SUF##_i0, \
  OP##_##SUF##_i1, OP##_##SUF##_i7, OP##_##SUF##_i15, OP##_##SUF##_i16, OP##_##SUF##_i31, OP##_##SUF##_i33, OP##_##SUF##_i255}}
static const struct bt_op bt_ops[] = {
  BTO(bt, w, 2), BTO(bt, l, 4), BTO(bts, w, 2), BTO(bts, l, 4),
  BTO(btr, w, 2), BTO(btr, l, 4), BTO(btc, w, 2), BTO(btc, l, 4),
};

/* A signed bit offset of sz bytes, often far from the base. */
static uint32_t rnd_offset(int sz) {
  uint32_t r = rnd();
  switch (r & 3) {
    case 0: return (r >> 8) & 63;                     /* within the first words */
    case 1: return (uint32_t)-(int32_t)((r >> 8) & 255); /* just below the base */
    default:
      if (sz == 2) return r >> 16;                  /* anywhere in +-32 Kibit */
      return (uint32_t)((int32_t)(r >> 2) >> 13);   /* +-256 Kibit = +-32 KiB */
  }
}

static void bt_mem_case(const struct bt_op *o, uint32_t off, uint32_t fi) {
  uint32_t fo;
  /* The bit is Bit(base, off): byte base + floor(off / 8), bit off mod 8; printed with the
   * aligned dword around it. */
  int32_t soff = o->sz == 2 ? (int32_t)(int16_t)off : (int32_t)off;
  uint8_t *byte = BASE + (soff >> 3);
  uint32_t *word = (uint32_t *)((uintptr_t)byte & ~(uintptr_t)3);
  uint32_t idx = (uint32_t)(word - (uint32_t *)field);
  o->mr(off, fi, &fo);
  out_str(o->name); out_str(".mr"); out_v(off, o->sz); out_fl(fi); out_sep();
  out_fl(fo & BT_DEFINED); out_x32(*word); out_nl();
  *word = pattern(idx);
}

#define BS(OP, SUF, T)                                                                         \
  static uint32_t OP##_##SUF(uint32_t s, uint32_t fi, uint32_t *fo, int mem) {                 \
    T d = (T)0x5a5a5a5a, v = (T)s; uint32_t f;                                                 \
    g_mem = 0xdeadbeef; *(T *)&g_mem = v;                                                      \
    if (mem) __asm__ volatile(PRE #OP #SUF " %[m], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [m] "m"(*(T *)&g_mem), [fi] "r"(fi) : "cc"); \
    else __asm__ volatile(PRE #OP #SUF " %[s], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [s] "r"(v), [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }
BS(bsf, w, uint16_t) BS(bsf, l, uint32_t) BS(bsr, w, uint16_t) BS(bsr, l, uint32_t)
typedef uint32_t (*bs_fn)(uint32_t, uint32_t, uint32_t *, int);
static const struct { const char *name; int sz; bs_fn fn; } bs_ops[] = {
  {"bsf.w", 2, bsf_w}, {"bsf.l", 4, bsf_l}, {"bsr.w", 2, bsr_w}, {"bsr.l", 4, bsr_l},
};

/* BSWAP on each register but ESP (EBP saved by hand: it may be the frame pointer). */
static void bswap_case(uint32_t v) {
  uint32_t a = v, b = v, c = v, d = v, s = v, di = v, bp = v;
  __asm__ volatile("bswap %0" : "+a"(a)); __asm__ volatile("bswap %0" : "+b"(b));
  __asm__ volatile("bswap %0" : "+c"(c)); __asm__ volatile("bswap %0" : "+d"(d));
  __asm__ volatile("bswap %0" : "+S"(s)); __asm__ volatile("bswap %0" : "+D"(di));
  __asm__ volatile("xchgl %0, %%ebp\n\tbswap %%ebp\n\txchgl %0, %%ebp" : "+r"(bp));
  out_str("bswap.l"); out_x32(v); out_sep(); out_x32(a); out_x32(b); out_x32(c); out_x32(d);
  out_x32(s); out_x32(di); out_x32(bp); out_nl();
}

int main(void) {
  uint32_t ev[24];
  fill_field();
  for (unsigned i = 0; i < sizeof bt_ops / sizeof bt_ops[0]; i++) {
    const struct bt_op *o = &bt_ops[i];
    int n = edge_values(o->sz, ev);
    for (int k = 0; k < 600; k++) {
      uint32_t a = k < n ? ev[k] : rnd_val(o->sz), off = k < 64 ? (uint32_t)k : rnd(), fi = rnd_flags(), fo;
      uint32_t r = o->rr(a, off, fi, &fo);
      out_str(o->name); out_str(".rr"); out_v(a, o->sz); out_v(off, o->sz); out_fl(fi); out_sep();
      out_v(r, o->sz); out_fl(fo & BT_DEFINED); out_nl();
    }
    for (int k = 0; k < 1500; k++) {
      uint32_t off = k < 80 ? (uint32_t)(k - 40) : rnd_offset(o->sz);
      bt_mem_case(o, off, rnd_flags());
    }
    for (int mem = 0; mem < 2; mem++)
      for (int j = 0; j < NI; j++)
        for (int k = 0; k < n + 20; k++) {
          uint32_t a = k < n ? ev[k] : rnd_val(o->sz), fi = rnd_flags(), fo;
          uint32_t r = o->imm[j](a, fi, &fo, mem);
          out_str(o->name); out_str(mem ? ".mi" : ".ri"); out_v(a, o->sz); out_x8(imms[j]); out_fl(fi); out_sep();
          if (mem) out_x32(r); else out_v(r, o->sz);
          out_fl(fo & BT_DEFINED); out_nl();
        }
  }
  for (unsigned i = 0; i < sizeof bs_ops / sizeof bs_ops[0]; i++) {
    int sz = bs_ops[i].sz;
    for (int mem = 0; mem < 2; mem++)
      for (int k = 0; k < 800; k++) {
        /* Every single bit, then random values (zero among them). */
        uint32_t s = k < sz * 8 ? 1u << k : k < sz * 8 + 4 ? 0 : rnd_val(sz), fi = rnd_flags(), fo;
        uint32_t r = bs_ops[i].fn(s, fi, &fo, mem);
        out_str(bs_ops[i].name); out_str(mem ? ".m" : ".r"); out_v(s, sz); out_fl(fi); out_sep();
        /* SDM BSF/BSR: "If the content of the source operand is 0, the content of the
         * destination operand is undefined." */
        if ((s & size_mask(sz)) == 0) out_str(" undefined"); else out_v(r, sz);
        out_fl(fo & BS_DEFINED); out_nl();
      }
  }
  for (int k = 0; k < 500; k++) bswap_case(k < 32 ? 1u << k : rnd());
  out_flush();
  return 0;
}
