/*
 * String instructions: MOVS CMPS SCAS STOS LODS at 8, 16 and 32 bits, alone and with REP /
 * REPE / REPNE, with DF clear and set, counts 0..40, and compare data that differs at a
 * chosen position (or nowhere). After each case: ESI and EDI as offsets from their buffers,
 * ECX, EAX, the status flags and a checksum of the destination buffer.
 *
 * Line: "<op><b|w|l>.<prefix>.<up|dn> count [pos] flags_in > esi edi ecx eax flags hash".
 */
#include "common.h"

#define BUF 512
static uint8_t src[BUF] __attribute__((aligned(16)));
static uint8_t dst[BUF] __attribute__((aligned(16)));

/* FNV-1a over the destination buffer. */
static uint32_t hash_dst(void) {
  uint32_t h = 0x811c9dc5u;
  for (int i = 0; i < BUF; i++) h = (h ^ dst[i]) * 0x01000193u;
  return h;
}

static void fill(uint32_t seed) {
  for (int i = 0; i < BUF; i++) { src[i] = (uint8_t)(i * 7 + seed); dst[i] = (uint8_t)(i * 13 + 0x40); }
}

enum { MOVS, CMPS, SCAS, STOS, LODS };
enum { NONE, REP, REPNE };
static const char *const names[] = {"movs", "cmps", "scas", "stos", "lods"};

/* One asm statement per (instruction, size, prefix): DF comes in through the POPF. */
#define S1(OP, SUF, PFX)                                                                       \
  static void OP##SUF##_##PFX(uint32_t *si, uint32_t *di, uint32_t *cx, uint32_t *ax, uint32_t *fl) { \
    uint32_t s = *si, d = *di, c = *cx, a = *ax, f = *fl;                                      \
    __asm__ volatile("pushl %[f]\n\tpopfl\n\t" PFX_##PFX #OP #SUF "\n\tpushfl\n\tpopl %[f]\n\tcld" \
                     : "+S"(s), "+D"(d), "+c"(c), "+a"(a), [f] "+r"(f) : : "cc", "memory");    \
    *si = s; *di = d; *cx = c; *ax = a; *fl = f;                                               \
  }
#define PFX_none ""
#define PFX_rep "rep "
#define PFX_repe "repe "
#define PFX_repne "repne "
#define S3(OP, PFX) S1(OP, b, PFX) S1(OP, w, PFX) S1(OP, l, PFX)
S3(movs, none) S3(movs, rep) S3(cmps, none) S3(cmps, repe) S3(cmps, repne)
S3(scas, none) S3(scas, repe) S3(scas, repne) S3(stos, none) S3(stos, rep)
S3(lods, none) S3(lods, rep)

typedef void (*fn)(uint32_t *, uint32_t *, uint32_t *, uint32_t *, uint32_t *);
struct str_op { int op, sz; const char *pfx; fn f; };
#define O3(OP, E, PFX) {E, 1, #PFX, OP##b_##PFX}, {E, 2, #PFX, OP##w_##PFX}, {E, 4, #PFX, OP##l_##PFX}
static const struct str_op ops[] = {
  O3(movs, MOVS, none), O3(movs, MOVS, rep), O3(cmps, CMPS, none), O3(cmps, CMPS, repe),
  O3(cmps, CMPS, repne), O3(scas, SCAS, none), O3(scas, SCAS, repe), O3(scas, SCAS, repne),
  O3(stos, STOS, none), O3(stos, STOS, rep), O3(lods, LODS, none), O3(lods, LODS, rep),
};

static void run_case(const struct str_op *o, int down, uint32_t count, int pos, uint32_t fi) {
  int elems = 48, sz = o->sz;
  fill(count * 3 + (uint32_t)pos);
  /* REPE wants equal data up to pos, REPNE unequal data up to pos. */
  uint32_t acc = 0xa5c3e1f7u;
  int first = down ? elems - 1 : 0;
  for (int i = 0; i < elems; i++) {
    int k = down ? first - i : i; /* the i-th element visited */
    uint8_t *s = src + 64 + k * sz, *d = dst + 64 + k * sz;
    int differ = (i == pos);
    if (!strcmp(o->pfx, "repne")) differ = !differ;
    if (o->op == CMPS) { memcpy(d, s, sz); if (differ) d[sz - 1] ^= 0x81; }
    if (o->op == SCAS) { memcpy(d, &acc, sz); if (differ) d[0] ^= 0x10; }
  }
  uint32_t si = (uint32_t)(uintptr_t)(src + 64 + first * sz), di = (uint32_t)(uintptr_t)(dst + 64 + first * sz);
  uint32_t cx = count, ax = o->op == STOS ? 0x11223344u : acc, fl = fi | (down ? F_DF : 0);
  if (o->op == SCAS && sz == 1) ax = (ax & ~0xffu) | (acc & 0xff);
  o->f(&si, &di, &cx, &ax, &fl);
  out_str(names[o->op]); out_ch(sz == 1 ? 'b' : sz == 2 ? 'w' : 'l'); out_ch('.'); out_str(o->pfx);
  out_str(down ? ".dn" : ".up"); out_x32(count); out_x8((uint32_t)pos & 0xff); out_fl(fi); out_sep();
  out_x32(si - (uint32_t)(uintptr_t)src); out_x32(di - (uint32_t)(uintptr_t)dst); out_x32(cx); out_x32(ax);
  /* All status flags are compared: CMPS/SCAS define all six (as CMP), the others keep them,
   * and a REP with ECX = 0 changes nothing. DF is printed too (bit 10). */
  out_fl(fl & (F_STATUS | F_DF)); out_x32(hash_dst()); out_nl();
}

int main(void) {
  for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
    for (int down = 0; down < 2; down++)
      for (int k = 0; k < 60; k++) {
        uint32_t count = k < 41 ? (uint32_t)k : rnd() % 44;
        int pos = (int)(rnd() % 50) - 2; /* -2..47: often inside the count, sometimes never */
        run_case(&ops[i], down, count, pos, rnd_flags());
      }
  out_flush();
  return 0;
}
