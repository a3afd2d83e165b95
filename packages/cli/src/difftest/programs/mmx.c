/*
 * MMX (SDM Vol. 1 chapter 9): every instruction through the intrinsics of mmintrin.h (built with
 * -mmmx), on edge values (saturation limits, sign bits, all ones) crossed with each other and with
 * random values; shifts by a register count of 0, 1, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 256,
 * 2^32 and all ones, and by an immediate of 0 to 255 (inline assembly there: the compiler folds
 * an intrinsic's constant out-of-range count itself, so the instruction would never run). Then the
 * x87 side: an MMX write seen by FNSTENV (TOP 0, the tag word), the x87 registers' significands
 * read as MM registers, EMMS, and x87 code after EMMS.
 *
 * Line: "<insn> a b > result", 64-bit values in hex.
 */
#include <mmintrin.h>
#include "common.h"

typedef union {
  __m64 m;
  uint64_t q;
} mq;

static __m64 to_m(uint64_t v) { mq u; u.q = v; return u.m; }
static uint64_t from_m(__m64 m) { mq u; u.m = m; return u.q; }

typedef uint64_t (*binop)(uint64_t, uint64_t);

#define BIN(name, fn) \
  static uint64_t op_##name(uint64_t a, uint64_t b) { return from_m(fn(to_m(a), to_m(b))); }

BIN(paddb, _mm_add_pi8)
BIN(paddw, _mm_add_pi16)
BIN(paddd, _mm_add_pi32)
BIN(psubb, _mm_sub_pi8)
BIN(psubw, _mm_sub_pi16)
BIN(psubd, _mm_sub_pi32)
BIN(paddsb, _mm_adds_pi8)
BIN(paddsw, _mm_adds_pi16)
BIN(paddusb, _mm_adds_pu8)
BIN(paddusw, _mm_adds_pu16)
BIN(psubsb, _mm_subs_pi8)
BIN(psubsw, _mm_subs_pi16)
BIN(psubusb, _mm_subs_pu8)
BIN(psubusw, _mm_subs_pu16)
BIN(pcmpeqb, _mm_cmpeq_pi8)
BIN(pcmpeqw, _mm_cmpeq_pi16)
BIN(pcmpeqd, _mm_cmpeq_pi32)
BIN(pcmpgtb, _mm_cmpgt_pi8)
BIN(pcmpgtw, _mm_cmpgt_pi16)
BIN(pcmpgtd, _mm_cmpgt_pi32)
BIN(packsswb, _mm_packs_pi16)
BIN(packssdw, _mm_packs_pi32)
BIN(packuswb, _mm_packs_pu16)
BIN(punpcklbw, _mm_unpacklo_pi8)
BIN(punpcklwd, _mm_unpacklo_pi16)
BIN(punpckldq, _mm_unpacklo_pi32)
BIN(punpckhbw, _mm_unpackhi_pi8)
BIN(punpckhwd, _mm_unpackhi_pi16)
BIN(punpckhdq, _mm_unpackhi_pi32)
BIN(pand, _mm_and_si64)
BIN(pandn, _mm_andnot_si64)
BIN(por, _mm_or_si64)
BIN(pxor, _mm_xor_si64)
BIN(pmullw, _mm_mullo_pi16)
BIN(pmulhw, _mm_mulhi_pi16)
BIN(pmaddwd, _mm_madd_pi16)
BIN(psllw, _mm_sll_pi16)
BIN(pslld, _mm_sll_pi32)
BIN(psllq, _mm_sll_si64)
BIN(psrlw, _mm_srl_pi16)
BIN(psrld, _mm_srl_pi32)
BIN(psrlq, _mm_srl_si64)
BIN(psraw, _mm_sra_pi16)
BIN(psrad, _mm_sra_pi32)

/* PUNPCKL* with a 32-bit memory operand, as the SDM defines them (mm, mm/m32). */
#define UNPACK_M32(name, insn) \
  static uint64_t op_##name(uint64_t a, uint64_t b) { \
    uint32_t lo = (uint32_t)b; \
    __m64 m = to_m(a); \
    __asm__(insn " %1, %0" : "+y"(m) : "m"(lo)); \
    return from_m(m); \
  }
UNPACK_M32(punpcklbw_m32, "punpcklbw")
UNPACK_M32(punpcklwd_m32, "punpcklwd")
UNPACK_M32(punpckldq_m32, "punpckldq")

static const struct {
  const char *name;
  binop fn;
} BINOPS[] = {
    {"paddb", op_paddb}, {"paddw", op_paddw}, {"paddd", op_paddd}, {"psubb", op_psubb},
    {"psubw", op_psubw}, {"psubd", op_psubd}, {"paddsb", op_paddsb}, {"paddsw", op_paddsw},
    {"paddusb", op_paddusb}, {"paddusw", op_paddusw}, {"psubsb", op_psubsb}, {"psubsw", op_psubsw},
    {"psubusb", op_psubusb}, {"psubusw", op_psubusw}, {"pcmpeqb", op_pcmpeqb}, {"pcmpeqw", op_pcmpeqw},
    {"pcmpeqd", op_pcmpeqd}, {"pcmpgtb", op_pcmpgtb}, {"pcmpgtw", op_pcmpgtw}, {"pcmpgtd", op_pcmpgtd},
    {"packsswb", op_packsswb}, {"packssdw", op_packssdw}, {"packuswb", op_packuswb},
    {"punpcklbw", op_punpcklbw}, {"punpcklwd", op_punpcklwd}, {"punpckldq", op_punpckldq},
    {"punpckhbw", op_punpckhbw}, {"punpckhwd", op_punpckhwd}, {"punpckhdq", op_punpckhdq},
    {"punpcklbw.m32", op_punpcklbw_m32}, {"punpcklwd.m32", op_punpcklwd_m32},
    {"punpckldq.m32", op_punpckldq_m32}, {"pand", op_pand}, {"pandn", op_pandn}, {"por", op_por},
    {"pxor", op_pxor}, {"pmullw", op_pmullw}, {"pmulhw", op_pmulhw}, {"pmaddwd", op_pmaddwd},
};

static const struct {
  const char *name;
  binop fn;
} SHIFTS[] = {
    {"psllw", op_psllw}, {"pslld", op_pslld}, {"psllq", op_psllq}, {"psrlw", op_psrlw},
    {"psrld", op_psrld}, {"psrlq", op_psrlq}, {"psraw", op_psraw}, {"psrad", op_psrad},
};

/* Values whose lanes sit at the saturation limits and sign bits of bytes, words and dwords. */
static const uint64_t EDGES[] = {
    0x0000000000000000ull, 0xffffffffffffffffull, 0x0000000000000001ull, 0x7f7f7f7f7f7f7f7full,
    0x8080808080808080ull, 0x7fff7fff7fff7fffull, 0x8000800080008000ull, 0x7fffffff7fffffffull,
    0x8000000080000000ull, 0x0101010101010101ull, 0x0001000100010001ull, 0xfefefefefefefefeull,
    0xff00ff00ff00ff00ull, 0x00ff00ff00ff00ffull, 0x7f80ff01007f80ffull, 0x8000ffff00017fffull,
    0x0102030405060708ull, 0xfffffffe00000002ull, 0x00800100ff7fff80ull, 0x7fff80007ffe8001ull,
};
#define N_EDGES (int)(sizeof EDGES / sizeof EDGES[0])

static const uint64_t COUNTS[] = {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256,
                                  0x100000000ull, 0x100000001ull, 0xffffffffffffffffull};
#define N_COUNTS (int)(sizeof COUNTS / sizeof COUNTS[0])

static void line3(const char *name, uint64_t a, uint64_t b, uint64_t r) {
  out_str(name); out_x64(a); out_x64(b); out_sep(); out_x64(r); out_nl();
}

/* Shifts by an immediate: the count is encoded in the instruction. */
#define SHI(insn, k) \
  do { __m64 m = to_m(a); __asm__(insn " %1, %0" : "+y"(m) : "i"(k)); line3(insn ".imm", a, k, from_m(m)); } while (0)
#define SHI_ALL(insn) \
  do { SHI(insn, 0); SHI(insn, 1); SHI(insn, 7); SHI(insn, 8); SHI(insn, 15); SHI(insn, 16); SHI(insn, 17); \
       SHI(insn, 31); SHI(insn, 32); SHI(insn, 33); SHI(insn, 63); SHI(insn, 64); SHI(insn, 65); \
       SHI(insn, 128); SHI(insn, 255); } while (0)

static void shift_imm_cases(uint64_t a) {
  SHI_ALL("psllw"); SHI_ALL("pslld"); SHI_ALL("psllq");
  SHI_ALL("psrlw"); SHI_ALL("psrld"); SHI_ALL("psrlq");
  SHI_ALL("psraw"); SHI_ALL("psrad");
}

/* MOVD and MOVQ between MMX registers, general registers and memory. */
static void move_cases(uint64_t a) {
  uint32_t lo = (uint32_t)a, r32;
  uint64_t q = 0x5555555555555555ull, r64;
  __m64 m = to_m(a);
  __asm__("movd %1, %0" : "=y"(m) : "r"(lo));
  line3("movd.mm.r32", a, 0, from_m(m));
  __asm__("movd %1, %0" : "=y"(m) : "m"(lo));
  line3("movd.mm.m32", a, 0, from_m(m));
  m = to_m(a);
  __asm__("movd %1, %0" : "=r"(r32) : "y"(m));
  line3("movd.r32.mm", a, 0, r32);
  __asm__("movd %1, %0" : "=m"(r32) : "y"(m));
  line3("movd.m32.mm", a, 0, r32);
  __asm__("movq %1, %0" : "=m"(q) : "y"(m));
  line3("movq.m64.mm", a, 0, q);
  __asm__("movq %1, %%mm3\n\tmovq %%mm3, %%mm5\n\tmovq %%mm5, %0" : "=m"(r64) : "m"(a) : "mm3", "mm5");
  line3("movq.mm.mm", a, 0, r64);
}

/* The x87 side of MMX: 28-byte FNSTENV image words (control, status, tag). */
static uint32_t env[7];
static void out_env(void) { out_x16(env[0] & 0xffff); out_x16(env[1] & 0xffff); out_x16(env[2] & 0xffff); }

static void x87_cases(void) {
  static const double one = 1.0;
  uint64_t q = 0x0123456789abcdefull, r0, r7;
  /* fld1 twice (TOP = 6), then an MMX write to mm0: TOP = 0, the tag word from the contents. */
  __asm__ volatile("fninit\n\tfld1\n\tfld1\n\tmovq %1, %%mm0\n\tfnstenv %0" : "=m"(env) : "m"(q) : "mm0", "st", "st(1)");
  out_str("x87.after.movq >"); out_env(); out_nl();
  /* The significand of an x87 register is the MMX register: fld1 puts 1.0 in R7. */
  __asm__ volatile("emms\n\tfninit\n\tfldl %3\n\tmovq %%mm7, %0\n\tmovq %%mm0, %1\n\tfnstenv %2"
                   : "=m"(r7), "=m"(r0), "=m"(env) : "m"(one) : "mm0", "mm7", "st");
  out_str("x87.fld1.as.mm7"); out_sep(); out_x64(r7); out_x64(r0); out_env(); out_nl();
  /* EMMS: every register empty, TOP 0; then x87 code works as after FNINIT (but for CW). */
  __asm__ volatile("movq %1, %%mm2\n\temms\n\tfnstenv %0" : "=m"(env) : "m"(q) : "mm2");
  out_str("x87.after.emms >"); out_env(); out_nl();
  double d;
  __asm__ volatile("fldl %2\n\tfldl %2\n\tfaddp\n\tfstpl %0\n\tfnstenv %1" : "=m"(d), "=m"(env) : "m"(one));
  uint64_t dq; memcpy(&dq, &d, 8);
  out_str("x87.after.emms.fadd >"); out_x64(dq); out_env(); out_nl();
  /* An MMX register read back as an 80-bit x87 value: sign and exponent all ones. */
  uint8_t t[10];
  __asm__ volatile("fninit\n\tmovq %2, %%mm0\n\tfstpt %0\n\tfnstenv %1\n\temms" : "=m"(t), "=m"(env) : "m"(q) : "mm0");
  out_str("x87.mm0.as.st0 >");
  for (int i = 9; i >= 0; i--) out_hexn(t[i], 2);
  out_env(); out_nl();
}

int main(void) {
  for (unsigned i = 0; i < sizeof BINOPS / sizeof BINOPS[0]; i++) {
    for (int x = 0; x < N_EDGES; x++)
      for (int y = 0; y < N_EDGES; y++) line3(BINOPS[i].name, EDGES[x], EDGES[y], BINOPS[i].fn(EDGES[x], EDGES[y]));
    for (int k = 0; k < 200; k++) {
      uint64_t a = rnd64(), b = rnd64();
      line3(BINOPS[i].name, a, b, BINOPS[i].fn(a, b));
    }
    out_flush();
  }
  for (unsigned i = 0; i < sizeof SHIFTS / sizeof SHIFTS[0]; i++) {
    for (int x = 0; x < N_EDGES; x++)
      for (int c = 0; c < N_COUNTS; c++) line3(SHIFTS[i].name, EDGES[x], COUNTS[c], SHIFTS[i].fn(EDGES[x], COUNTS[c]));
    for (int k = 0; k < 100; k++) {
      uint64_t a = rnd64(), c = rnd() % 80;
      line3(SHIFTS[i].name, a, c, SHIFTS[i].fn(a, c));
    }
    out_flush();
  }
  for (int x = 0; x < N_EDGES; x++) {
    shift_imm_cases(EDGES[x]);
    move_cases(EDGES[x]);
    out_flush();
  }
  _mm_empty();
  x87_cases();
  _mm_empty();
  out_flush();
  return 0;
}
