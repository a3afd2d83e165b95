/*
 * x87 arithmetic whose results fit a 53-bit (or 24-bit) significand: FADD FSUB FSUBR FMUL
 * FDIV FDIVR in every form (ST(0),ST(i); ST(i),ST(0); the popping forms; m64, m32, m32int and
 * m16int operands), FSQRT, FABS, FCHS under precision control 53 and 24 bits and all four
 * rounding modes; FRNDINT under the four rounding modes; FSCALE, FXTRACT; FPREM and FPREM1
 * (single steps, and looped until complete). Operands are doubles of moderate magnitude and
 * the specials (zeros, infinities, quiet and signaling NaNs), so no result leaves the double
 * range and every result is exactly computable in double arithmetic with correct rounding:
 * an FPU that holds ST(i) as doubles must match these bit for bit.
 *
 * Line: "<insn>.<form> <pc.rc> a b > result sw1 sw2" (sw1 right after the instruction, sw2
 * after the results were stored and the stack emptied).
 */
#include "x87.h"

static uint64_t g_a, g_b, g_r, g_r2, g_op;
static uint16_t g_sw1, g_sw2;

/* Status word bits compared. Arithmetic (SDM Vol. 2 FADD, FSUB, FMUL, FDIV, FSQRT, FSCALE,
 * FRNDINT, FXTRACT, FABS, FCHS): "C1 Set to 0 if stack underflow occurred. Set if result was
 * rounded up; cleared otherwise. C0, C2, C3 Undefined." So C0 C2 C3 are masked; the exception
 * flags, SF, ES and TOP are kept (B, bit 15, is masked: it only mirrors ES). */
#define SW_ARITH 0x3affu
/* FPREM/FPREM1 define all four condition codes (quotient bits Q2 Q0 Q1 in C0 C1 C3, C2 =
 * incomplete). */
#define SW_ALL 0x7fffu
/* sw2 follows FST/FSTP to memory: "C0, C2, C3 Undefined"; C1 is the rounding of the store. */
#define SW_AFTER_STORE 0x3affu

#define X87_IO [r] "=m"(g_r), [r2] "=m"(g_r2), [s1] "=m"(g_sw1), [s2] "=m"(g_sw2) \
  : [a] "m"(g_a), [b] "m"(g_b), [op] "m"(g_op), [cw] "m"(g_cw)

/* Result in ST(0) over ST(1) = b: store it, drop b. */
#define SHAPE_ST0(NAME, INSN) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "fldl %[b]\n\tfldl %[a]\n\t" INSN "\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfstp %%st(0)\n\tfnstsw %[s2]" : X87_IO : X87_CLOBBERS); }
/* Result in ST(1): drop ST(0), store it. */
#define SHAPE_ST1(NAME, INSN) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "fldl %[b]\n\tfldl %[a]\n\t" INSN "\n\tfnstsw %[s1]\n\tfstp %%st(0)\n\tfstpl %[r]\n\tfnstsw %[s2]" : X87_IO : X87_CLOBBERS); }
/* The instruction popped: the result is alone on the stack. */
#define SHAPE_POP(NAME, INSN) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "fldl %[b]\n\tfldl %[a]\n\t" INSN "\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfnstsw %[s2]" : X87_IO : X87_CLOBBERS); }
/* One register operand a, memory operand g_op. */
#define SHAPE_MEM(NAME, INSN) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "fldl %[a]\n\t" INSN " %[op]\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfnstsw %[s2]" : X87_IO : X87_CLOBBERS); }
/* One operand a, one result. */
#define SHAPE_UN(NAME, INSN) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "fldl %[a]\n\t" INSN "\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfnstsw %[s2]" : X87_IO : X87_CLOBBERS); }

/* Register forms, encoded by hand (AT&T assemblers swap FSUB/FSUBR and FDIV/FDIVR in the
 * ST(i),ST(0) forms): names are Intel's. ST(0) = a, ST(1) = b. */
SHAPE_ST0(fadd_st0_st1, ".byte 0xd8, 0xc1") SHAPE_ST0(fmul_st0_st1, ".byte 0xd8, 0xc9")
SHAPE_ST0(fsub_st0_st1, ".byte 0xd8, 0xe1") SHAPE_ST0(fsubr_st0_st1, ".byte 0xd8, 0xe9")
SHAPE_ST0(fdiv_st0_st1, ".byte 0xd8, 0xf1") SHAPE_ST0(fdivr_st0_st1, ".byte 0xd8, 0xf9")
SHAPE_ST1(fadd_st1_st0, ".byte 0xdc, 0xc1") SHAPE_ST1(fmul_st1_st0, ".byte 0xdc, 0xc9")
SHAPE_ST1(fsubr_st1_st0, ".byte 0xdc, 0xe1") SHAPE_ST1(fsub_st1_st0, ".byte 0xdc, 0xe9")
SHAPE_ST1(fdivr_st1_st0, ".byte 0xdc, 0xf1") SHAPE_ST1(fdiv_st1_st0, ".byte 0xdc, 0xf9")
SHAPE_POP(faddp, ".byte 0xde, 0xc1") SHAPE_POP(fmulp, ".byte 0xde, 0xc9")
SHAPE_POP(fsubrp, ".byte 0xde, 0xe1") SHAPE_POP(fsubp, ".byte 0xde, 0xe9")
SHAPE_POP(fdivrp, ".byte 0xde, 0xf1") SHAPE_POP(fdivp, ".byte 0xde, 0xf9")
/* Memory forms: m64fp, m32fp, m32int, m16int. */
SHAPE_MEM(fadd_m64, "faddl") SHAPE_MEM(fmul_m64, "fmull") SHAPE_MEM(fsub_m64, "fsubl")
SHAPE_MEM(fsubr_m64, "fsubrl") SHAPE_MEM(fdiv_m64, "fdivl") SHAPE_MEM(fdivr_m64, "fdivrl")
SHAPE_MEM(fadd_m32, "fadds") SHAPE_MEM(fmul_m32, "fmuls") SHAPE_MEM(fsub_m32, "fsubs")
SHAPE_MEM(fsubr_m32, "fsubrs") SHAPE_MEM(fdiv_m32, "fdivs") SHAPE_MEM(fdivr_m32, "fdivrs")
SHAPE_MEM(fiadd_m32, "fiaddl") SHAPE_MEM(fimul_m32, "fimull") SHAPE_MEM(fisub_m32, "fisubl")
SHAPE_MEM(fisubr_m32, "fisubrl") SHAPE_MEM(fidiv_m32, "fidivl") SHAPE_MEM(fidivr_m32, "fidivrl")
SHAPE_MEM(fiadd_m16, "fiadds") SHAPE_MEM(fimul_m16, "fimuls") SHAPE_MEM(fisub_m16, "fisubs")
SHAPE_MEM(fisubr_m16, "fisubrs") SHAPE_MEM(fidiv_m16, "fidivs") SHAPE_MEM(fidivr_m16, "fidivrs")
SHAPE_UN(fsqrt, "fsqrt") SHAPE_UN(fabs_, "fabs") SHAPE_UN(fchs, "fchs") SHAPE_UN(frndint, "frndint")
SHAPE_ST0(fscale, "fscale") SHAPE_ST0(fprem, "fprem") SHAPE_ST0(fprem1, "fprem1")

/* FXTRACT: ST(0) = significand, ST(1) = exponent. */
static void fxtract(void) {
  __asm__ volatile(X87_BEGIN "fldl %[a]\n\tfxtract\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfstpl %[r2]\n\tfnstsw %[s2]" : X87_IO : X87_CLOBBERS);
}
/* FPREM/FPREM1 repeated while C2 (incomplete) is set, at most 64 times (a 400-bit exponent
 * difference needs at most 13 steps); g_iter_left = 0 says the loop gave up. */
static uint32_t g_iter_left;
#define PREM_LOOP(NAME, INSN) static void NAME(void) { __asm__ volatile(X87_BEGIN \
  "movl $64, %%ecx\n\tfldl %[b]\n\tfldl %[a]\n1:\n\t" INSN "\n\tfnstsw %%ax\n\ttestb $4, %%ah\n\tloopnz 1b\n\t" \
  "movl %%ecx, %[it]\n\tfnstsw %[s1]\n\tfstpl %[r]\n\tfstp %%st(0)\n\tfnstsw %[s2]" \
  : [it] "=m"(g_iter_left), X87_IO : X87_CLOBBERS, "eax", "ecx", "cc"); }
PREM_LOOP(fprem_loop, "fprem") PREM_LOOP(fprem1_loop, "fprem1")

enum { OPND_F64, OPND_F32, OPND_I32, OPND_I16 };
struct bin { const char *name; void (*fn)(void); int opnd; };
static const struct bin bins[] = {
  {"fadd.st0_st1", fadd_st0_st1, OPND_F64}, {"fmul.st0_st1", fmul_st0_st1, OPND_F64},
  {"fsub.st0_st1", fsub_st0_st1, OPND_F64}, {"fsubr.st0_st1", fsubr_st0_st1, OPND_F64},
  {"fdiv.st0_st1", fdiv_st0_st1, OPND_F64}, {"fdivr.st0_st1", fdivr_st0_st1, OPND_F64},
  {"fadd.st1_st0", fadd_st1_st0, OPND_F64}, {"fmul.st1_st0", fmul_st1_st0, OPND_F64},
  {"fsub.st1_st0", fsub_st1_st0, OPND_F64}, {"fsubr.st1_st0", fsubr_st1_st0, OPND_F64},
  {"fdiv.st1_st0", fdiv_st1_st0, OPND_F64}, {"fdivr.st1_st0", fdivr_st1_st0, OPND_F64},
  {"faddp", faddp, OPND_F64}, {"fmulp", fmulp, OPND_F64}, {"fsubp", fsubp, OPND_F64},
  {"fsubrp", fsubrp, OPND_F64}, {"fdivp", fdivp, OPND_F64}, {"fdivrp", fdivrp, OPND_F64},
  {"fadd.m64", fadd_m64, OPND_F64}, {"fmul.m64", fmul_m64, OPND_F64}, {"fsub.m64", fsub_m64, OPND_F64},
  {"fsubr.m64", fsubr_m64, OPND_F64}, {"fdiv.m64", fdiv_m64, OPND_F64}, {"fdivr.m64", fdivr_m64, OPND_F64},
  {"fadd.m32", fadd_m32, OPND_F32}, {"fmul.m32", fmul_m32, OPND_F32}, {"fsub.m32", fsub_m32, OPND_F32},
  {"fsubr.m32", fsubr_m32, OPND_F32}, {"fdiv.m32", fdiv_m32, OPND_F32}, {"fdivr.m32", fdivr_m32, OPND_F32},
  {"fiadd.m32", fiadd_m32, OPND_I32}, {"fimul.m32", fimul_m32, OPND_I32}, {"fisub.m32", fisub_m32, OPND_I32},
  {"fisubr.m32", fisubr_m32, OPND_I32}, {"fidiv.m32", fidiv_m32, OPND_I32}, {"fidivr.m32", fidivr_m32, OPND_I32},
  {"fiadd.m16", fiadd_m16, OPND_I16}, {"fimul.m16", fimul_m16, OPND_I16}, {"fisub.m16", fisub_m16, OPND_I16},
  {"fisubr.m16", fisubr_m16, OPND_I16}, {"fidiv.m16", fidiv_m16, OPND_I16}, {"fidivr.m16", fidivr_m16, OPND_I16},
};

static uint32_t rnd_i32(void) {
  switch (rnd() & 3) {
    case 0: return (uint32_t)((int32_t)(rnd() % 21) - 10);
    case 1: return rnd_val(4);
    default: return rnd() >> (rnd() % 32);
  }
}

/* Runs bin op with a (ST(0)) and b (ST(1), or the memory operand). */
static void bin_case(const struct bin *o, uint64_t a, uint64_t b) {
  g_a = a; g_b = b; g_op = b; g_r = g_r2 = 0;
  o->fn();
  out_str(o->name); out_mode(); out_f64(a);
  switch (o->opnd) {
    case OPND_F64: out_f64(b); break;
    case OPND_F32: out_f32((uint32_t)b); break;
    case OPND_I32: out_x32((uint32_t)b); break;
    default: out_x16((uint32_t)b & 0xffff); break;
  }
  out_sep(); out_f64(g_r); out_sw(g_sw1 & SW_ARITH); out_sw(g_sw2 & SW_AFTER_STORE); out_nl();
}

static uint64_t operand_for(int opnd, uint64_t a) {
  switch (opnd) {
    case OPND_F64: return (rnd() & 3) == 0 ? near_double(a) : rnd_double();
    case OPND_F32: return rnd_float();
    case OPND_I32: return rnd_i32();
    default: return rnd_i32() & 0xffff;
  }
}

static void un_case(const char *name, void (*fn)(void), uint64_t a, uint32_t mask) {
  g_a = a; g_r = g_r2 = 0;
  fn();
  out_str(name); out_mode(); out_f64(a); out_sep(); out_f64(g_r); out_sw(g_sw1 & mask); out_sw(g_sw2 & SW_AFTER_STORE); out_nl();
}

/* A value for FRNDINT: halves and near-halves, large integers, tiny values. */
static uint64_t rnd_for_round(void) {
  switch (rnd() % 6) {
    case 0: return d_specials[rnd() % N_D_SPECIALS];
    case 1: { /* k + 0.5 */
      int e = (int)(rnd() % 20);
      uint64_t m = rnd64() & 0xfffffffffffffull & ~((1ull << (52 - e - 1)) - 1);
      return ((uint64_t)(rnd() & 1) << 63) | (uint64_t)(1023 + e) << 52 | m | (1ull << (52 - e - 1));
    }
    case 2: return rnd_double_exp(3) & ~0x7fffffffull; /* few digits below the point */
    default: return rnd_double_exp(60);
  }
}

/* FPREM operands: a and b with exponent difference d; d <= 63 completes in one step. */
static void prem_pair(uint64_t *a, uint64_t *b, int dmax) {
  if (rnd() % 8 == 0) { *a = d_specials[rnd() % N_D_SPECIALS]; *b = rnd() & 1 ? rnd_double() : d_specials[rnd() % N_D_SPECIALS]; return; }
  int eb = (int)(rnd() % 101) - 50, d = (int)(rnd() % (uint32_t)(dmax + 3)) - 2;
  *b = ((uint64_t)(rnd() & 1) << 63) | (uint64_t)(1023 + eb) << 52 | rnd_frac52();
  *a = ((uint64_t)(rnd() & 1) << 63) | (uint64_t)(1023 + eb + d) << 52 | rnd_frac52();
}

int main(void) {
  static const int pcs[2] = {2, 0};
  /* All pairs of specials in the default rounding at 53 bits. */
  set_cw(2, 0);
  for (unsigned i = 0; i < sizeof bins / sizeof bins[0]; i++) {
    if (bins[i].opnd != OPND_F64) continue;
    for (int x = 0; x < N_D_SPECIALS; x++)
      for (int y = 0; y < N_D_SPECIALS; y++) bin_case(&bins[i], d_specials[x], d_specials[y]);
  }
  /* Random operands in every precision and rounding mode. */
  for (int p = 0; p < 2; p++)
    for (int rc = 0; rc < 4; rc++) {
      set_cw(pcs[p], rc);
      for (unsigned i = 0; i < sizeof bins / sizeof bins[0]; i++)
        for (int k = 0; k < 50; k++) {
          uint64_t a = rnd_double();
          bin_case(&bins[i], a, operand_for(bins[i].opnd, a));
        }
      for (int k = 0; k < 150; k++) {
        uint64_t a = k < N_D_SPECIALS ? d_specials[k] : rnd_double();
        if (k >= N_D_SPECIALS && (k & 1)) a &= ~D_SIGN;
        un_case("fsqrt", fsqrt, a, SW_ARITH);
      }
      for (int k = 0; k < 150; k++) un_case("frndint", frndint, k < N_D_SPECIALS ? d_specials[k] : rnd_for_round(), SW_ARITH);
    }
  set_cw(2, 0);
  for (int k = 0; k < 100; k++) {
    uint64_t a = k < N_D_SPECIALS ? d_specials[k] : rnd_double();
    un_case("fabs", fabs_, a, SW_ARITH);
    un_case("fchs", fchs, a, SW_ARITH);
  }
  for (int k = 0; k < 600; k++) {
    /* FSCALE: a * 2^trunc(b), b small (integral or not) or special. */
    uint64_t a = rnd_double(), b;
    switch (rnd() % 4) {
      case 0: b = d_specials[rnd() % N_D_SPECIALS]; break;
      case 1: b = rnd_double_exp(3); break;
      default: { int n = (int)(rnd() % 301) - 150; uint64_t s = n < 0 ? D_SIGN : 0; uint32_t m = (uint32_t)(n < 0 ? -n : n);
        if (!m) { b = s; break; }
        int e = 31 - __builtin_clz(m);
        b = s | (uint64_t)(1023 + e) << 52 | ((uint64_t)m << (52 - e) & 0xfffffffffffffull); }
    }
    g_a = a; g_b = b; fscale();
    out_str("fscale"); out_mode(); out_f64(a); out_f64(b); out_sep(); out_f64(g_r); out_sw(g_sw1 & SW_ARITH); out_sw(g_sw2 & SW_AFTER_STORE); out_nl();
  }
  for (int k = 0; k < 400; k++) {
    uint64_t a = k < N_D_SPECIALS ? d_specials[k] : rnd_double();
    g_a = a; fxtract();
    out_str("fxtract"); out_mode(); out_f64(a); out_sep(); out_f64(g_r); out_f64(g_r2); out_sw(g_sw1 & SW_ARITH); out_sw(g_sw2 & SW_AFTER_STORE); out_nl();
  }
  static const struct { const char *name; void (*fn)(void); int loop; } prems[] = {
    {"fprem", fprem, 0}, {"fprem1", fprem1, 0}, {"fprem.loop", fprem_loop, 1}, {"fprem1.loop", fprem1_loop, 1},
  };
  for (unsigned i = 0; i < 4; i++)
    for (int k = 0; k < 800; k++) {
      uint64_t a, b;
      prem_pair(&a, &b, prems[i].loop ? 400 : 80);
      g_a = a; g_b = b; prems[i].fn();
      out_str(prems[i].name); out_mode(); out_f64(a); out_f64(b); out_sep();
      /* SDM FPREM: when the exponents differ by more than 63 the instruction computes a
       * partial remainder reduced by "an implementation-dependent number between 32 and 63"
       * and sets C2: such a single step is compared by C2 and the exception flags only. */
      if (prems[i].loop && g_iter_left == 0) out_str(" incomplete-after-64-steps");
      else if (g_sw1 & 0x400) { out_str(" partial"); out_sw(g_sw1 & 0x047fu); }
      else { out_f64(g_r); out_sw(g_sw1 & SW_ALL); }
      out_sw(g_sw2 & SW_AFTER_STORE & ~0x3800u); out_sw(g_sw2 & 0x3800u); out_nl();
    }
  out_flush();
  return 0;
}
