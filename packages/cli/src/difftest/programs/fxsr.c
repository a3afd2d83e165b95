/*
 * FXSAVE and FXRSTOR (SDM Vol. 2, FXSAVE, table 3-53): the 512-byte area a live x87 state is
 * saved to, and round trips of built images (every TOP, abridged tag patterns, register contents
 * of each class, exception flags with and without their masks, MXCSR values, XMM0-7 patterns)
 * through FXRSTOR, FXSAVE and FNSTENV (which shows the full tag word the processor rebuilds from
 * the abridged one and the contents). Bytes 288-511 are filled with a pattern first: FXSAVE must
 * leave them alone.
 *
 * Left out: MXCSR_MASK bits 16-31: this host may have AMD's misaligned-SSE bit 17, this CPU does
 * not (FFFFh), so the mask is printed as its low 16 bits (with bit 6, DAZ, set: hosts without
 * DAZ report FFBFh). Faults (#GP on misalignment or
 * reserved MXCSR bits) would end the program natively; simd/fxsr.test.ts covers them.
 *
 * Line: "<case> inputs > fields", hex.
 */
#include "common.h"

static uint8_t area[512] __attribute__((aligned(16)));
static uint8_t out_area[512] __attribute__((aligned(16)));
static uint32_t env[7];
static double g_d[4] = {1.5, -2.25, 1e300, 3.0};

static uint32_t u16at(const uint8_t *p, int o) { return (uint32_t)p[o] | (uint32_t)p[o + 1] << 8; }
static uint32_t u32at(const uint8_t *p, int o) { return u16at(p, o) | u16at(p, o + 2) << 16; }

/*
 * The fields of an FXSAVE area, and whether bytes 288-511 still hold the fill pattern. The
 * pointers (FOP, FIP, FCS, FDP, FDS) only when FSW.ES is set: AMD processors, this host's, write
 * them as zero otherwise (AMD64 APM Vol. 5, FXSAVE), Intel's and this CPU always save them.
 * XMM0-7 only when the case loaded them (the host's are whatever the process left there).
 */
static void out_fx(const uint8_t *p, int xmm) {
  out_x16(u16at(p, 0));  /* FCW */
  out_x16(u16at(p, 2));  /* FSW */
  out_x8(p[4]);          /* abridged FTW */
  out_x8(p[5]);          /* reserved */
  if (p[2] & 0x80) {
    out_x16(u16at(p, 6));  /* FOP */
    out_x32(u32at(p, 8));  /* FIP */
    out_x16(u16at(p, 12)); /* FCS */
    out_x16(u16at(p, 14));
    out_x32(u32at(p, 16)); /* FDP */
    out_x16(u16at(p, 20)); /* FDS */
    out_x16(u16at(p, 22));
  } else {
    out_str(" -");
  }
  out_x32(u32at(p, 24));                        /* MXCSR */
  out_x32((u32at(p, 28) & 0xffffu) | 0x40u);    /* MXCSR_MASK: see above */
  for (int i = 0; i < 8; i++) {
    out_ch(' ');
    for (int b = 9; b >= 0; b--) out_hexn(p[32 + i * 16 + b], 2);
    out_ch('.');
    for (int b = 15; b >= 10; b--) out_hexn(p[32 + i * 16 + b], 2);
  }
  for (int i = 0; xmm && i < 8; i++) {
    out_ch(' ');
    for (int b = 15; b >= 0; b--) out_hexn(p[160 + i * 16 + b], 2);
  }
  int kept = 1;
  for (int i = 288; i < 512; i++) kept &= p[i] == (uint8_t)(i * 7 + 3);
  out_str(kept ? " kept" : " written");
}
/*
 * FNSTENV's image. The selectors of the last instruction and operand are shown as "cs" and "ds"
 * when they are the program's own: those differ between kernels (23h/2Bh under a 64-bit one,
 * 73h/7Bh under a 32-bit one such as the Linux guest's), not between CPUs.
 */
static void out_sel(uint32_t sel) {
  uint32_t cs, ds;
  __asm__("movl %%cs, %0\n\tmovl %%ds, %1" : "=r"(cs), "=r"(ds));
  sel &= 0xffff;
  out_str(sel == (cs & 0xffff) ? " cs" : sel == (ds & 0xffff) ? " ds" : "");
  if (sel != (cs & 0xffff) && sel != (ds & 0xffff)) out_x16(sel);
}
static void out_env(void) {
  out_str(" env");
  for (int i = 0; i < 4; i++) out_x32(env[i]);
  out_x16(env[4] >> 16); out_sel(env[4]);
  out_x32(env[5]);
  out_x16(env[6] >> 16); out_sel(env[6]);
}
static void fill(uint8_t *p) { for (int i = 0; i < 512; i++) p[i] = (uint8_t)(i * 7 + 3); }

/* A live state: loads, arithmetic with a memory operand, then FXSAVE; no FNINIT before it runs. */
static void live_cases(void) {
  static const uint16_t cws[] = {0x037f, 0x027f, 0x0c7f, 0x0372};
  for (unsigned i = 0; i < sizeof cws / sizeof cws[0]; i++) {
    uint16_t cw = cws[i];
    fill(out_area);
    __asm__ volatile(
        "fninit\n\tfldcw %2\n\tfld1\n\tfldpi\n\tfldl %3\n\tfmull %4\n\tfldz\n\tfxch %%st(2)\n\t"
        "fxsave %0\n\tfnstenv %1\n\tfninit"
        : "=m"(out_area), "=m"(env)
        : "m"(cw), "m"(g_d[0]), "m"(g_d[2])
        : "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
    out_str("live cw"); out_x16(cw); out_sep(); out_fx(out_area, 0); out_env(); out_nl();
  }
}

/* 80-bit register images of every class: normal, zero, denormal, pseudo-denormal, infinity,
 * quiet and signalling NaN, the unsupported encodings (unnormal, pseudo-NaN, pseudo-infinity). */
static const struct {
  uint16_t se;
  uint64_t m;
} REGS[] = {
    {0x3fff, 0x8000000000000000ull}, {0x0000, 0}, {0x0000, 0x0000000000000001ull},
    {0x0000, 0x8000000000000001ull}, {0x7fff, 0x8000000000000000ull}, {0xffff, 0xc000000000000000ull},
    {0x7fff, 0x8000000000000001ull}, {0x4000, 0x4000000000000000ull}, {0x7fff, 0x4000000000000000ull},
    {0x7fff, 0}, {0xc00d, 0xfedcba9876543210ull}, {0x8000, 0},
};
#define N_REGS (int)(sizeof REGS / sizeof REGS[0])

static void round_trip(uint16_t cw, uint16_t sw, uint8_t ftw, uint32_t mxcsr, uint32_t seed) {
  fill(area);
  area[0] = (uint8_t)cw; area[1] = (uint8_t)(cw >> 8);
  area[2] = (uint8_t)sw; area[3] = (uint8_t)(sw >> 8);
  area[4] = ftw;
  uint32_t fop = seed & 0x7ff, fip = 0x08049000u + seed, fdp = 0x0804a000u + seed * 3;
  area[6] = (uint8_t)fop; area[7] = (uint8_t)(fop >> 8);
  memcpy(area + 8, &fip, 4);
  memcpy(area + 16, &fdp, 4);
  memcpy(area + 24, &mxcsr, 4);
  for (int i = 0; i < 8; i++) {
    int k = (int)((seed + (uint32_t)i * 5) % N_REGS);
    memcpy(area + 32 + i * 16, &REGS[k].m, 8);
    memcpy(area + 40 + i * 16, &REGS[k].se, 2);
  }
  for (int i = 0; i < 128; i += 4) {
    uint32_t v = rnd();
    memcpy(area + 160 + i, &v, 4);
  }
  fill(out_area);
  __asm__ volatile("fxrstor %2\n\tfxsave %0\n\tfnstenv %1\n\tfninit" : "=m"(out_area), "=m"(env) : "m"(area));
  out_str("rt"); out_x16(cw); out_x16(sw); out_x8(ftw); out_x32(mxcsr); out_x32(seed); out_sep();
  out_fx(out_area, 1); out_env(); out_nl();
}

int main(void) {
  live_cases();
  out_flush();
  static const uint8_t ftws[] = {0x00, 0xff, 0x01, 0x80, 0x55, 0xaa, 0x0f, 0xf0, 0x3c, 0x81};
  static const uint32_t mxcsrs[] = {0x1f80, 0x0000, 0xffbf, 0x6000, 0x003f, 0x1fbf};
  uint32_t seed = 0;
  for (int top = 0; top < 8; top++)
    for (unsigned f = 0; f < sizeof ftws; f++) {
      uint16_t sw = (uint16_t)(top << 11 | (seed & 0x4700)); /* C0-C3 from the seed */
      round_trip(0x037f, sw, ftws[f], mxcsrs[seed % 6], seed);
      seed++;
    }
  out_flush();
  /* Exception flags in FSW, with the control word masking or unmasking them (ES, B follow). */
  static const uint16_t cws[] = {0x037f, 0x0340, 0x037e, 0x0f7b, 0x0000};
  static const uint16_t sws[] = {0x0000, 0x0001, 0x0004, 0x0020, 0x00ff, 0x0041, 0x8080, 0x3a3f};
  for (unsigned c = 0; c < sizeof cws / sizeof cws[0]; c++)
    for (unsigned s = 0; s < sizeof sws / sizeof sws[0]; s++) {
      round_trip(cws[c], sws[s], 0xff, 0x1f80, seed);
      seed++;
    }
  for (int k = 0; k < 40; k++) {
    uint16_t cw = (uint16_t)rnd(), sw = (uint16_t)rnd();
    round_trip(cw, sw, (uint8_t)rnd(), rnd() & 0xffbf, seed);
    seed++;
  }
  out_flush();
  return 0;
}
