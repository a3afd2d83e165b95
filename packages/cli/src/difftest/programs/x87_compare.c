/*
 * x87 comparisons and classification: FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP (register),
 * FCOM/FCOMP with m64 and m32, FICOM/FICOMP with m32int and m16int, FCOMI FCOMIP FUCOMI
 * FUCOMIP (EFLAGS results), FTST, FXAM (including an empty register). Operands: every pair of
 * specials (zeros of both signs, infinities, quiet and signaling NaNs), equal and adjacent
 * values, random doubles and double subnormals. Comparisons are exact, so an FPU holding
 * doubles must match bit for bit.
 *
 * Line: "<insn> a b > sw1 [eflags] sw2".
 */
#include "x87.h"

static uint64_t g_a, g_b, g_op;
static uint16_t g_sw1, g_sw2;
static uint32_t g_fl;

/* FCOM, FUCOM, FICOM, FTST: "C1 Set to 0. C0, C2, C3 See table" (SDM Vol. 2), FXAM defines
 * all four: all status bits but B are compared. */
#define SW_CMP 0x7fffu
/* FCOMI and friends: "C1 Set to 0. C0, C2, C3 Not affected"; the result is in ZF, PF, CF and
 * "The OF, SF, and AF flags are cleared" (EFLAGS bits compared: all six). */
#define SW_COMI 0x7fffu

#define IO [s1] "=m"(g_sw1), [s2] "=m"(g_sw2), [fl] "=m"(g_fl) : [a] "m"(g_a), [b] "m"(g_b), [op] "m"(g_op), [cw] "m"(g_cw)

/* ST(0) = a, ST(1) = b; then empty whatever is left. */
#define CMP_REG(NAME, INSN, LEFT) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "fldl %[b]\n\tfldl %[a]\n\t" INSN "\n\tfnstsw %[s1]\n\t" LEFT "fnstsw %[s2]" : IO : X87_CLOBBERS); }
#define POP1 "fstp %%st(0)\n\t"
CMP_REG(fcom_st1, ".byte 0xd8, 0xd1", POP1 POP1) CMP_REG(fcomp_st1, ".byte 0xd8, 0xd9", POP1)
CMP_REG(fcompp, ".byte 0xde, 0xd9", "") CMP_REG(fucom_st1, ".byte 0xdd, 0xe1", POP1 POP1)
CMP_REG(fucomp_st1, ".byte 0xdd, 0xe9", POP1) CMP_REG(fucompp, ".byte 0xda, 0xe9", "")
/* One register operand, memory operand g_op. */
#define CMP_MEM(NAME, INSN, LEFT) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "fldl %[a]\n\t" INSN " %[op]\n\tfnstsw %[s1]\n\t" LEFT "fnstsw %[s2]" : IO : X87_CLOBBERS); }
CMP_MEM(fcom_m64, "fcoml", POP1) CMP_MEM(fcomp_m64, "fcompl", "") CMP_MEM(fcom_m32, "fcoms", POP1)
CMP_MEM(fcomp_m32, "fcomps", "") CMP_MEM(ficom_m32, "ficoml", POP1) CMP_MEM(ficomp_m32, "ficompl", "")
CMP_MEM(ficom_m16, "ficoms", POP1) CMP_MEM(ficomp_m16, "ficomps", "")
/* FCOMI family: EFLAGS right after (status flags cleared first so stale ones would show). */
#define COMI(NAME, INSN, LEFT) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "fldl %[b]\n\tfldl %[a]\n\tpushl $0x8d5\n\tpopfl\n\t" INSN "\n\tpushfl\n\tpopl %[fl]\n\tfnstsw %[s1]\n\t" LEFT "fnstsw %[s2]" \
  : IO : X87_CLOBBERS, "cc"); }
COMI(fcomi_st1, ".byte 0xdb, 0xf1", POP1 POP1) COMI(fcomip_st1, ".byte 0xdf, 0xf1", POP1)
COMI(fucomi_st1, ".byte 0xdb, 0xe9", POP1 POP1) COMI(fucomip_st1, ".byte 0xdf, 0xe9", POP1)
static void ftst(void) {
  __asm__ volatile(X87_BEGIN "fldl %[a]\n\tftst\n\tfnstsw %[s1]\n\tfstp %%st(0)\n\tfnstsw %[s2]" : IO : X87_CLOBBERS);
}
static void fxam(void) {
  __asm__ volatile(X87_BEGIN "fldl %[a]\n\tfxam\n\tfnstsw %[s1]\n\tfstp %%st(0)\n\tfnstsw %[s2]" : IO : X87_CLOBBERS);
}
/* FXAM of an empty ST(0): load a, free the register (the tag says empty, the contents stay). */
static void fxam_empty(void) {
  __asm__ volatile(X87_BEGIN "fldl %[a]\n\tffree %%st(0)\n\tfxam\n\tfnstsw %[s1]\n\tfincstp\n\tfnstsw %[s2]" : IO : X87_CLOBBERS);
}

enum { OPND_F64, OPND_F32, OPND_I32, OPND_I16, OPND_NONE };
static const struct { const char *name; void (*fn)(void); int opnd, comi; } ops[] = {
  {"fcom.st1", fcom_st1, OPND_F64, 0}, {"fcomp.st1", fcomp_st1, OPND_F64, 0}, {"fcompp", fcompp, OPND_F64, 0},
  {"fucom.st1", fucom_st1, OPND_F64, 0}, {"fucomp.st1", fucomp_st1, OPND_F64, 0}, {"fucompp", fucompp, OPND_F64, 0},
  {"fcom.m64", fcom_m64, OPND_F64, 0}, {"fcomp.m64", fcomp_m64, OPND_F64, 0},
  {"fcom.m32", fcom_m32, OPND_F32, 0}, {"fcomp.m32", fcomp_m32, OPND_F32, 0},
  {"ficom.m32", ficom_m32, OPND_I32, 0}, {"ficomp.m32", ficomp_m32, OPND_I32, 0},
  {"ficom.m16", ficom_m16, OPND_I16, 0}, {"ficomp.m16", ficomp_m16, OPND_I16, 0},
  {"fcomi.st1", fcomi_st1, OPND_F64, 1}, {"fcomip.st1", fcomip_st1, OPND_F64, 1},
  {"fucomi.st1", fucomi_st1, OPND_F64, 1}, {"fucomip.st1", fucomip_st1, OPND_F64, 1},
  {"ftst", ftst, OPND_NONE, 0}, {"fxam", fxam, OPND_NONE, 0}, {"fxam.empty", fxam_empty, OPND_NONE, 0},
};

static void run(unsigned i, uint64_t a, uint64_t b) {
  g_a = a; g_b = b; g_op = b; g_fl = 0;
  ops[i].fn();
  out_str(ops[i].name); out_f64(a);
  switch (ops[i].opnd) {
    case OPND_F64: out_f64(b); break;
    case OPND_F32: out_f32((uint32_t)b); break;
    case OPND_I32: out_x32((uint32_t)b); break;
    case OPND_I16: out_x16((uint32_t)b & 0xffff); break;
    default: break;
  }
  out_sep(); out_sw(g_sw1 & (ops[i].comi ? SW_COMI : SW_CMP));
  if (ops[i].comi) out_fl(g_fl & F_STATUS);
  /* sw2 after the pops: FSTP leaves "C0, C2, C3 Undefined" (SDM FST), so they are masked. */
  out_sw(g_sw2 & 0x3affu); out_nl();
}

/* A value of the operand's kind close to a's value where possible. */
static uint64_t other(int opnd, uint64_t a) {
  switch (opnd) {
    case OPND_F64:
      switch (rnd() % 5) {
        case 0: return d_specials[rnd() % N_D_SPECIALS];
        case 1: return rnd_subnormal();
        case 2: return rnd_double();
        default: return near_double(a);
      }
    case OPND_F32: return rnd_float();
    case OPND_I32: return (rnd() & 1) ? (uint32_t)((int32_t)(rnd() % 7) - 3) : rnd_val(4);
    default: return (rnd() & 1) ? (uint32_t)((int32_t)(rnd() % 7) - 3) & 0xffff : rnd_val(2);
  }
}

/* Doubles that equal small integers or floats exactly, so FICOM/FCOM m32 meet equality. */
static uint64_t small_int_double(void) {
  static const uint64_t v[] = {0, D_NEG0, D_ONE, D_ONE | D_SIGN, 0x4000000000000000ull, 0xc000000000000000ull,
                               0x4008000000000000ull, 0xc008000000000000ull, 0x3ff8000000000000ull};
  return v[rnd() % (sizeof v / sizeof v[0])];
}

int main(void) {
  set_cw(3, 0);
  for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (ops[i].opnd == OPND_F64)
      for (int x = 0; x < N_D_SPECIALS; x++)
        for (int y = 0; y < N_D_SPECIALS; y++) run(i, d_specials[x], d_specials[y]);
    if (ops[i].opnd == OPND_NONE)
      for (int x = 0; x < N_D_SPECIALS; x++) run(i, d_specials[x], 0);
    for (int k = 0; k < 400; k++) {
      uint64_t a;
      switch (rnd() % 6) {
        case 0: a = d_specials[rnd() % N_D_SPECIALS]; break;
        case 1: a = rnd_subnormal(); break;
        case 2: a = small_int_double(); break;
        default: a = rnd_double();
      }
      run(i, a, ops[i].opnd == OPND_NONE ? 0 : other(ops[i].opnd, a));
    }
  }
  out_flush();
  return 0;
}
