/*
 * Shifts and rotates: SHL SHR SAR ROL ROR RCL RCR at 8, 16 and 32 bits by CL (every count
 * 0..33, register and memory), by 1 (D0/D1) and by immediates (C0/C1); SHLD and SHRD at 16
 * and 32 bits by CL (0..33) and by immediates. Counts are masked to 5 bits by the CPU, so
 * 32 and 33 test the masking; RCL/RCR at 8 and 16 bits rotate modulo 9 and 17.
 *
 * Line: "<op>.<b|w|l>.<form> value [src] count flags_in > result flags_out", the flags masked
 * to what the SDM defines for that count (see undef_mask).
 */
#include "common.h"

static uint32_t g_mem;

#define PRE "pushl %[fi]\n\tpopfl\n\t"
#define POST "\n\tpushfl\n\tpopl %[f]"

enum { SHL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD };
static const char *const names[] = {"shl", "shr", "sar", "rol", "ror", "rcl", "rcr", "shld", "shrd"};

/* Status flags the SDM leaves undefined after op at this size and count (SDM Vol. 2,
 * SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD). */
static uint32_t undef_mask(int op, int sz, unsigned count) {
  unsigned c = count & 31, bits = (unsigned)sz * 8;
  /* All: "If the count is 0, the flags are not affected" (SHLD/SHRD: "If the count operand
   * is 0, the flags are not affected"). So every flag is compared for a zero count. */
  if (c == 0) return 0;
  switch (op) {
    case SHL: case SHR: {
      /* "For a non-zero count, the AF flag is undefined." */
      uint32_t u = F_AF;
      /* "The OF flag is affected only for 1-bit shifts; otherwise, it is undefined." */
      if (c != 1) u |= F_OF;
      /* CF "is undefined for SHL and SHR instructions where the count is greater than or
       * equal to the size (in bits) of the destination operand." */
      if (c >= bits) u |= F_CF;
      return u;
    }
    case SAR:
      return F_AF | (c != 1 ? F_OF : 0); /* as above; SAR's CF stays defined */
    case ROL: case ROR: case RCL: case RCR:
      /* "The OF flag is defined only for the 1-bit rotates; it is undefined in all other
       * cases (except RCL and RCR instructions only: a zero-bit rotate does nothing, that
       * is affects no flags)." Rotates leave SF, ZF, AF and PF alone. */
      return c != 1 ? F_OF : 0;
    default: /* SHLD, SHRD */
      /* "If the count is greater than the operand size, the result is undefined" and so are
       * the flags (SDM SHLD: "If the count is greater than the operand size, the flags are
       * undefined"). */
      if (c > bits) return F_STATUS;
      /* "If a count is 1 or greater, the CF flag is filled with the last bit shifted out ...
       * the SF, ZF, and PF flags are set according to the value of the result. For a 1-bit
       * shift, the OF flag is set if a sign change occurred; otherwise, it is cleared. For
       * shifts greater than 1 bit, the OF flag is undefined. ... For a non-zero count, the AF
       * flag is undefined." */
      return F_AF | (c != 1 ? F_OF : 0);
  }
}

/* By CL, register or memory; by 1 (D0/D1); by immediates (C0/C1). */
#define SH(OP, SUF, T, C)                                                                      \
  static uint32_t OP##_##SUF##_cl(uint32_t a, uint32_t cnt, uint32_t fi, uint32_t *fo, int mem) { \
    T d = (T)a; uint8_t c = (uint8_t)cnt; uint32_t f;                                          \
    if (mem) {                                                                                 \
      g_mem = 0xdeadbeef; *(T *)&g_mem = d;                                                    \
      __asm__ volatile(PRE #OP #SUF " %%cl, %[m]" POST : [m] "+m"(*(T *)&g_mem), [f] "=&r"(f) : "c"(c), [fi] "r"(fi) : "cc"); \
      *fo = f; return g_mem;                                                                   \
    }                                                                                          \
    __asm__ volatile(PRE #OP #SUF " %%cl, %[d]" POST : [d] "+" C(d), [f] "=&r"(f) : "c"(c), [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }                                                                                            \
  static uint32_t OP##_##SUF##_one(uint32_t a, uint32_t fi, uint32_t *fo, int mem) {           \
    T d = (T)a; uint32_t f;                                                                    \
    if (mem) {                                                                                 \
      g_mem = 0xdeadbeef; *(T *)&g_mem = d;                                                    \
      __asm__ volatile(PRE #OP #SUF " %[m]" POST : [m] "+m"(*(T *)&g_mem), [f] "=&r"(f) : [fi] "r"(fi) : "cc"); \
      *fo = f; return g_mem;                                                                   \
    }                                                                                          \
    __asm__ volatile(PRE #OP #SUF " %[d]" POST : [d] "+" C(d), [f] "=&r"(f) : [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }                                                                                            \
  IMM(OP, SUF, T, C, 0, 0) IMM(OP, SUF, T, C, 2, 2) IMM(OP, SUF, T, C, 7, 7)                    \
  IMM(OP, SUF, T, C, 8, 8) IMM(OP, SUF, T, C, 9, 9) IMM(OP, SUF, T, C, 16, 16)                  \
  IMM(OP, SUF, T, C, 17, 17) IMM(OP, SUF, T, C, 31, 31) IMM(OP, SUF, T, C, 32, 32)              \
  IMM(OP, SUF, T, C, 33, 33) IMM(OP, SUF, T, C, 0xff, 255)

#define IMM(OP, SUF, T, C, K, TAG)                                                             \
  static uint32_t OP##_##SUF##_i##TAG(uint32_t a, uint32_t fi, uint32_t *fo) {                 \
    T d = (T)a; uint32_t f;                                                                    \
    __asm__ volatile(PRE #OP #SUF " %[k], %[d]" POST : [d] "+" C(d), [f] "=&r"(f) : [k] "i"(K), [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }

#define SH_ALL(OP) SH(OP, b, uint8_t, "q") SH(OP, w, uint16_t, "r") SH(OP, l, uint32_t, "r")
SH_ALL(shl) SH_ALL(shr) SH_ALL(sar) SH_ALL(rol) SH_ALL(ror) SH_ALL(rcl) SH_ALL(rcr)

/* C0/C1 with an immediate count of 1, which assemblers never emit (they pick D0/D1):
 * encoded by hand on AL/AX/EAX; ModRM reg field = the group-2 operation. */
static uint32_t grp2_imm1(int op, int sz, uint32_t a, uint32_t fi, uint32_t *fo) {
  static const uint8_t reg[] = {4, 5, 7, 0, 1, 2, 3};
  uint32_t eax = a, f = 0;
  uint8_t modrm = (uint8_t)(0xc0 | reg[op] << 3);
#define G1(PFX, OPC, MODRM) __asm__ volatile(PRE PFX ".byte " OPC ", " MODRM ", 1" POST : "+a"(eax), [f] "=&r"(f) : [fi] "r"(fi) : "cc")
  switch (sz * 256 + modrm) {
#define CASES(R, M) \
    case 256 + M: G1("", "0xc0", #M); break; \
    case 512 + M: G1(".byte 0x66\n\t", "0xc1", #M); break; \
    case 1024 + M: G1("", "0xc1", #M); break;
    CASES(4, 0xe0) CASES(5, 0xe8) CASES(7, 0xf8) CASES(0, 0xc0) CASES(1, 0xc8) CASES(2, 0xd0) CASES(3, 0xd8)
  }
  *fo = f; return eax;
}

/* SHLD/SHRD: by CL (register and memory destination) and by immediates. */
#define DS(OP, SUF, T)                                                                         \
  static uint32_t OP##_##SUF##_cl(uint32_t a, uint32_t b, uint32_t cnt, uint32_t fi, uint32_t *fo, int mem) { \
    T d = (T)a, s = (T)b; uint8_t c = (uint8_t)cnt; uint32_t f;                                \
    if (mem) {                                                                                 \
      g_mem = 0xdeadbeef; *(T *)&g_mem = d;                                                    \
      __asm__ volatile(PRE #OP #SUF " %%cl, %[s], %[m]" POST : [m] "+m"(*(T *)&g_mem), [f] "=&r"(f) : [s] "r"(s), "c"(c), [fi] "r"(fi) : "cc"); \
      *fo = f; return g_mem;                                                                   \
    }                                                                                          \
    __asm__ volatile(PRE #OP #SUF " %%cl, %[s], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [s] "r"(s), "c"(c), [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }                                                                                            \
  DSI(OP, SUF, T, 0) DSI(OP, SUF, T, 1) DSI(OP, SUF, T, 4) DSI(OP, SUF, T, 8) DSI(OP, SUF, T, 15) \
  DSI(OP, SUF, T, 16) DSI(OP, SUF, T, 17) DSI(OP, SUF, T, 31) DSI(OP, SUF, T, 32) DSI(OP, SUF, T, 33)
#define DSI(OP, SUF, T, K)                                                                     \
  static uint32_t OP##_##SUF##_i##K(uint32_t a, uint32_t b, uint32_t fi, uint32_t *fo) {       \
    T d = (T)a, s = (T)b; uint32_t f;                                                          \
    __asm__ volatile(PRE #OP #SUF " %[k], %[s], %[d]" POST : [d] "+r"(d), [f] "=&r"(f) : [s] "r"(s), [k] "i"(K), [fi] "r"(fi) : "cc"); \
    *fo = f; return d;                                                                         \
  }
DS(shld, w, uint16_t) DS(shld, l, uint32_t) DS(shrd, w, uint16_t) DS(shrd, l, uint32_t)

typedef uint32_t (*cl_fn)(uint32_t, uint32_t, uint32_t, uint32_t *, int);
typedef uint32_t (*one_fn)(uint32_t, uint32_t, uint32_t *, int);
typedef uint32_t (*imm_fn)(uint32_t, uint32_t, uint32_t *);
#define NIMM 11
static const unsigned imm_counts[NIMM] = {0, 2, 7, 8, 9, 16, 17, 31, 32, 33, 255};
struct sh_op { int op, sz; cl_fn cl; one_fn one; imm_fn imm[NIMM]; };
#define SHO(OP, E, SUF, SZ) {E, SZ, OP##_##SUF##_cl, OP##_##SUF##_one, {OP##_##SUF##_i0, OP##_##SUF##_i2, \
  OP##_##SUF##_i7, OP##_##SUF##_i8, OP##_##SUF##_i9, OP##_##SUF##_i16, OP##_##SUF##_i17, OP##_##SUF##_i31, \
  OP##_##SUF##_i32, OP##_##SUF##_i33, OP##_##SUF##_i255}}
#define SHO3(OP, E) SHO(OP, E, b, 1), SHO(OP, E, w, 2), SHO(OP, E, l, 4)
static const struct sh_op sh_ops[] = {
  SHO3(shl, SHL), SHO3(shr, SHR), SHO3(sar, SAR), SHO3(rol, ROL), SHO3(ror, ROR), SHO3(rcl, RCL), SHO3(rcr, RCR),
};

typedef uint32_t (*dcl_fn)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t *, int);
typedef uint32_t (*dimm_fn)(uint32_t, uint32_t, uint32_t, uint32_t *);
#define NDIMM 10
static const unsigned dimm_counts[NDIMM] = {0, 1, 4, 8, 15, 16, 17, 31, 32, 33};
struct ds_op { int op, sz; dcl_fn cl; dimm_fn imm[NDIMM]; };
#define DSO(OP, E, SUF, SZ) {E, SZ, OP##_##SUF##_cl, {OP##_##SUF##_i0, OP##_##SUF##_i1, OP##_##SUF##_i4, \
  OP##_##SUF##_i8, OP##_##SUF##_i15, OP##_##SUF##_i16, OP##_##SUF##_i17, OP##_##SUF##_i31, OP##_##SUF##_i32, \
  OP##_##SUF##_i33}}
static const struct ds_op ds_ops[] = {
  DSO(shld, SHLD, w, 2), DSO(shld, SHLD, l, 4), DSO(shrd, SHRD, w, 2), DSO(shrd, SHRD, l, 4),
};

static const char suffix[5] = {0, 'b', 'w', 0, 'l'};

static void head(int op, int sz, const char *form) {
  out_str(names[op]); out_ch('.'); out_ch(suffix[sz]); out_ch('.'); out_str(form);
}

/* Prints the result (the whole dword for memory forms) unless the SDM leaves it undefined. */
static void result(int op, int sz, unsigned count, uint32_t r, uint32_t fo, int wide) {
  unsigned c = count & 31;
  out_sep();
  if ((op == SHLD || op == SHRD) && c > (unsigned)sz * 8) out_str(" undefined"); /* SDM SHLD/SHRD */
  else if (wide) out_x32(r);
  else out_v(r & size_mask(sz), sz);
  out_fl(fo & F_STATUS & ~undef_mask(op, sz, count));
  out_nl();
}

int main(void) {
  uint32_t ev[24];
  for (unsigned i = 0; i < sizeof sh_ops / sizeof sh_ops[0]; i++) {
    const struct sh_op *o = &sh_ops[i];
    int n = edge_values(o->sz, ev);
    for (int mem = 0; mem < 2; mem++)
      for (unsigned cnt = 0; cnt <= 33; cnt++)
        for (int k = 0; k < n + 12; k++) {
          uint32_t a = k < n ? ev[k] : rnd_val(o->sz), fi = rnd_flags(), fo;
          /* CL carries garbage above the count byte's 5 used bits sometimes. */
          uint32_t cl = cnt | ((k & 1) ? 0 : (rnd() & 0xff00));
          uint32_t r = o->cl(a, cl, fi, &fo, mem);
          head(o->op, o->sz, mem ? "clm" : "cl"); out_v(a, o->sz); out_x8(cnt); out_fl(fi);
          result(o->op, o->sz, cnt, r, fo, mem);
        }
    for (int mem = 0; mem < 2; mem++)
      for (int k = 0; k < n * 2 + 60; k++) {
        uint32_t a = k < n * 2 ? ev[k / 2] : rnd_val(o->sz), fi = k < n * 2 ? ((k & 1) ? F_STATUS : 0) : rnd_flags(), fo;
        uint32_t r = o->one(a, fi, &fo, mem);
        head(o->op, o->sz, mem ? "1m" : "1"); out_v(a, o->sz); out_x8(1); out_fl(fi);
        result(o->op, o->sz, 1, r, fo, mem);
      }
    for (int j = 0; j < NIMM; j++)
      for (int k = 0; k < n + 30; k++) {
        uint32_t a = k < n ? ev[k] : rnd_val(o->sz), fi = rnd_flags(), fo;
        uint32_t r = o->imm[j](a, fi, &fo);
        head(o->op, o->sz, "i"); out_v(a, o->sz); out_x8(imm_counts[j]); out_fl(fi);
        result(o->op, o->sz, imm_counts[j], r, fo, 0);
      }
    for (int k = 0; k < n + 30; k++) {
      uint32_t a = k < n ? ev[k] : rnd_val(o->sz), fi = rnd_flags(), fo;
      uint32_t r = grp2_imm1(o->op, o->sz, a, fi, &fo);
      head(o->op, o->sz, "i1"); out_v(a, o->sz); out_x8(1); out_fl(fi);
      result(o->op, o->sz, 1, r, fo, 0);
    }
  }
  for (unsigned i = 0; i < sizeof ds_ops / sizeof ds_ops[0]; i++) {
    const struct ds_op *o = &ds_ops[i];
    int n = edge_values(o->sz, ev);
    for (int mem = 0; mem < 2; mem++)
      for (unsigned cnt = 0; cnt <= 33; cnt++)
        for (int k = 0; k < n + 12; k++) {
          uint32_t a = k < n ? ev[k] : rnd_val(o->sz), b = rnd_val(o->sz), fi = rnd_flags(), fo;
          uint32_t r = o->cl(a, b, cnt, fi, &fo, mem);
          head(o->op, o->sz, mem ? "clm" : "cl"); out_v(a, o->sz); out_v(b, o->sz); out_x8(cnt); out_fl(fi);
          result(o->op, o->sz, cnt, r, fo, mem);
        }
    for (int j = 0; j < NDIMM; j++)
      for (int k = 0; k < n + 30; k++) {
        uint32_t a = k < n ? ev[k] : rnd_val(o->sz), b = rnd_val(o->sz), fi = rnd_flags(), fo;
        uint32_t r = o->imm[j](a, b, fi, &fo);
        head(o->op, o->sz, "i"); out_v(a, o->sz); out_v(b, o->sz); out_x8(dimm_counts[j]); out_fl(fi);
        result(o->op, o->sz, dimm_counts[j], r, fo, 0);
      }
  }
  out_flush();
  return 0;
}
