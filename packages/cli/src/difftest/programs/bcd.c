/*
 * Decimal adjust: DAA DAS AAA AAS over every AL with every AF/CF input (AH random for
 * AAA/AAS, other flags random), AAM and AAD with base 10 and other immediates (AAM 0 would
 * raise #DE and is not run). EAX is printed whole: AAA/AAS change AH, AAM/AAD write AX only.
 *
 * Line: "<op>[.imm] eax flags_in > eax flags_out".
 */
#include "common.h"

#define PRE "pushl %[fi]\n\tpopfl\n\t"
#define POST "\n\tpushfl\n\tpopl %[f]"

/* SDM Vol. 2 DAA/DAS: "The CF and AF flags are set if the adjustment of the value results in a
 * decimal carry/borrow in either digit of the result. The SF, ZF, and PF flags are set
 * according to the result. The OF flag is undefined." */
#define DAA_DEFINED (F_STATUS & ~F_OF)
/* AAA/AAS: "The AF and CF flags are set to 1 if there is a decimal carry/borrow; otherwise,
 * they are cleared to 0. The OF, SF, ZF, and PF flags are undefined." */
#define AAA_DEFINED (F_AF | F_CF)
/* AAM/AAD: "The SF, ZF, and PF flags are set according to the resulting binary value in the
 * AL register. The OF, AF, and CF flags are undefined." */
#define AAM_DEFINED (F_SF | F_ZF | F_PF)

#define ADJ(OP)                                                                                \
  static uint32_t OP(uint32_t eax, uint32_t fi, uint32_t *fo) {                                \
    uint32_t f;                                                                                \
    __asm__ volatile(PRE #OP POST : "+a"(eax), [f] "=&r"(f) : [fi] "r"(fi) : "cc");            \
    *fo = f; return eax;                                                                       \
  }
ADJ(daa) ADJ(das) ADJ(aaa) ADJ(aas)

/* AAM/AAD with an immediate base: D4 ib / D5 ib. */
#define AIMM(OP, K)                                                                            \
  static uint32_t OP##_##K(uint32_t eax, uint32_t fi, uint32_t *fo) {                          \
    uint32_t f;                                                                                \
    __asm__ volatile(PRE #OP " %[k]" POST : "+a"(eax), [f] "=&r"(f) : [k] "i"(K), [fi] "r"(fi) : "cc"); \
    *fo = f; return eax;                                                                       \
  }
AIMM(aam, 10) AIMM(aam, 16) AIMM(aam, 7) AIMM(aam, 1) AIMM(aam, 255) AIMM(aam, 2)
AIMM(aad, 10) AIMM(aad, 16) AIMM(aad, 7) AIMM(aad, 0) AIMM(aad, 255) AIMM(aad, 1)

typedef uint32_t (*fn)(uint32_t, uint32_t, uint32_t *);
static const struct { const char *name; fn f; uint32_t defined; } adj[] = {
  {"daa", daa, DAA_DEFINED}, {"das", das, DAA_DEFINED}, {"aaa", aaa, AAA_DEFINED}, {"aas", aas, AAA_DEFINED},
};
static const struct { const char *name; fn f; } imm[] = {
  {"aam.0a", aam_10}, {"aam.10", aam_16}, {"aam.07", aam_7}, {"aam.01", aam_1}, {"aam.ff", aam_255}, {"aam.02", aam_2},
  {"aad.0a", aad_10}, {"aad.10", aad_16}, {"aad.07", aad_7}, {"aad.00", aad_0}, {"aad.ff", aad_255}, {"aad.01", aad_1},
};

static void line(const char *name, uint32_t eax, uint32_t fi, uint32_t r, uint32_t fo) {
  out_str(name); out_x32(eax); out_fl(fi); out_sep(); out_x32(r); out_fl(fo); out_nl();
}

int main(void) {
  for (unsigned i = 0; i < 4; i++)
    for (uint32_t al = 0; al < 256; al++)
      for (uint32_t fl = 0; fl < 4; fl++) {
        uint32_t eax = (rnd() & 0xffff0000u) | (i >= 2 ? (rnd_val(1) << 8) : 0x5a00) | al;
        uint32_t fi = (rnd_flags() & ~(F_AF | F_CF)) | ((fl & 1) ? F_CF : 0) | ((fl & 2) ? F_AF : 0), fo;
        uint32_t r = adj[i].f(eax, fi, &fo);
        line(adj[i].name, eax, fi, r, fo & adj[i].defined);
      }
  for (unsigned i = 0; i < sizeof imm / sizeof imm[0]; i++)
    for (uint32_t al = 0; al < 256; al++)
      for (int k = 0; k < 3; k++) {
        uint32_t eax = (rnd() & 0xffff0000u) | (k == 0 ? 0 : rnd_val(1) << 8) | al, fi = rnd_flags(), fo;
        uint32_t r = imm[i].f(eax, fi, &fo);
        line(imm[i].name, eax, fi, r, fo & AAM_DEFINED);
      }
  out_flush();
  return 0;
}
