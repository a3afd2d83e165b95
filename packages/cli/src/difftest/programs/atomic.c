/*
 * Exchange and compare-exchange: XADD (register and memory destination, with and without
 * LOCK) and CMPXCHG (register and memory, LOCK) at 8, 16 and 32 bits, CMPXCHG8B (with and
 * without LOCK), XCHG with memory. Compare-exchange runs with the accumulator equal to the
 * destination half the time.
 *
 * Lines: "xadd.l.m dst src flags_in > dst src flags_out",
 *        "cmpxchg.l.m dst acc src flags_in > dst acc flags_out".
 */
#include "common.h"

#define PRE "pushl %[fi]\n\tpopfl\n\t"
#define POST "\n\tpushfl\n\tpopl %[f]"

static uint32_t g_mem;
static uint64_t g_q;

/* XADD: flags as ADD (SDM Vol. 2 XADD: "The CF, PF, AF, SF, ZF, and OF flags are set
 * according to the result of the addition"). CMPXCHG: "The ZF flag is set if the values in
 * the destination operand and register AL, AX, or EAX are equal; otherwise it is cleared.
 * The CF, PF, AF, SF, and OF flags are set according to the results of the comparison
 * operation." All six are compared. */
#define XA(SUF, T, C)                                                                          \
  static void xadd_##SUF(uint32_t a, uint32_t b, uint32_t fi, int form) {                      \
    T d = (T)a, s = (T)b; uint32_t f, md;                                                      \
    g_mem = 0xdeadbeef; *(T *)&g_mem = d;                                                      \
    if (form == 0) __asm__ volatile(PRE "xadd" #SUF " %[s], %[d]" POST : [d] "+" C(d), [s] "+" C(s), [f] "=&r"(f) : [fi] "r"(fi) : "cc"); \
    else if (form == 1) __asm__ volatile(PRE "xadd" #SUF " %[s], %[m]" POST : [m] "+m"(*(T *)&g_mem), [s] "+" C(s), [f] "=&r"(f) : [fi] "r"(fi) : "cc"); \
    else __asm__ volatile(PRE "lock xadd" #SUF " %[s], %[m]" POST : [m] "+m"(*(T *)&g_mem), [s] "+" C(s), [f] "=&r"(f) : [fi] "r"(fi) : "cc"); \
    md = form ? g_mem : d;                                                                     \
    out_str("xadd." #SUF); out_str(form == 0 ? ".r" : form == 1 ? ".m" : ".lk");               \
    out_v(a, sizeof(T)); out_v(b, sizeof(T)); out_fl(fi); out_sep();                           \
    if (form) out_x32(md); else out_v(md, sizeof(T));                                          \
    out_v(s, sizeof(T)); out_fl(f & F_STATUS); out_nl();                                       \
  }
XA(b, uint8_t, "q") XA(w, uint16_t, "r") XA(l, uint32_t, "r")

#define CX(SUF, T, C)                                                                          \
  static void cmpxchg_##SUF(uint32_t a, uint32_t acc, uint32_t b, uint32_t fi, int form) {     \
    T d = (T)a, s = (T)b; uint32_t f, eax = 0x55aa5500u | (acc & 0xffu), md;                   \
    if (sizeof(T) == 2) eax = 0x55aa0000u | (acc & 0xffffu); else if (sizeof(T) == 4) eax = acc; \
    g_mem = 0xdeadbeef; *(T *)&g_mem = d;                                                      \
    if (form == 0) __asm__ volatile(PRE "cmpxchg" #SUF " %[s], %[d]" POST : [d] "+" C(d), "+a"(eax), [f] "=&r"(f) : [s] C(s), [fi] "r"(fi) : "cc"); \
    else if (form == 1) __asm__ volatile(PRE "cmpxchg" #SUF " %[s], %[m]" POST : [m] "+m"(*(T *)&g_mem), "+a"(eax), [f] "=&r"(f) : [s] C(s), [fi] "r"(fi) : "cc"); \
    else __asm__ volatile(PRE "lock cmpxchg" #SUF " %[s], %[m]" POST : [m] "+m"(*(T *)&g_mem), "+a"(eax), [f] "=&r"(f) : [s] C(s), [fi] "r"(fi) : "cc"); \
    md = form ? g_mem : d;                                                                     \
    out_str("cmpxchg." #SUF); out_str(form == 0 ? ".r" : form == 1 ? ".m" : ".lk");            \
    out_v(a, sizeof(T)); out_v(acc, sizeof(T)); out_v(b, sizeof(T)); out_fl(fi); out_sep();    \
    if (form) out_x32(md); else out_v(md, sizeof(T));                                          \
    out_x32(eax); out_fl(f & F_STATUS); out_nl();                                              \
  }
CX(b, uint8_t, "q") CX(w, uint16_t, "r") CX(l, uint32_t, "r")

/* CMPXCHG8B: "The ZF flag is set if the destination operand and EDX:EAX are equal; otherwise
 * it is cleared. The CF, PF, AF, SF, and OF flags are unaffected." So all six are compared. */
static void cmpxchg8b(uint64_t m, uint64_t acc, uint64_t src, uint32_t fi, int lock) {
  uint32_t eax = (uint32_t)acc, edx = (uint32_t)(acc >> 32), f;
  uint32_t ebx = (uint32_t)src, ecx = (uint32_t)(src >> 32);
  g_q = m;
  if (lock) __asm__ volatile(PRE "lock cmpxchg8b %[m]" POST : [m] "+m"(g_q), "+a"(eax), "+d"(edx), [f] "=&D"(f) : "b"(ebx), "c"(ecx), [fi] "S"(fi) : "cc");
  else __asm__ volatile(PRE "cmpxchg8b %[m]" POST : [m] "+m"(g_q), "+a"(eax), "+d"(edx), [f] "=&D"(f) : "b"(ebx), "c"(ecx), [fi] "S"(fi) : "cc");
  out_str(lock ? "cmpxchg8b.lk" : "cmpxchg8b"); out_x64(m); out_x64(acc); out_x64(src); out_fl(fi); out_sep();
  out_x64(g_q); out_x32(edx); out_x32(eax); out_fl(f & F_STATUS); out_nl();
}

/* XCHG register with memory (implicitly locked) and register with register. */
static void xchg(uint32_t a, uint32_t b) {
  uint32_t r = b, s = a, t = b;
  g_mem = a;
  __asm__ volatile("xchgl %[r], %[m]" : [r] "+r"(r), [m] "+m"(g_mem));
  __asm__ volatile("xchgw %w[s], %w[t]" : [s] "+r"(s), [t] "+r"(t));
  out_str("xchg"); out_x32(a); out_x32(b); out_sep(); out_x32(g_mem); out_x32(r); out_x32(s); out_x32(t); out_nl();
}

int main(void) {
  static void (*const xa[])(uint32_t, uint32_t, uint32_t, int) = {xadd_b, xadd_w, xadd_l};
  static void (*const cx[])(uint32_t, uint32_t, uint32_t, uint32_t, int) = {cmpxchg_b, cmpxchg_w, cmpxchg_l};
  uint32_t ev[24];
  for (int i = 0; i < 3; i++) {
    int sz = 1 << i, n = edge_values(sz, ev);
    for (int form = 0; form < 3; form++) {
      for (int k = 0; k < n * n + 300; k++) {
        uint32_t a = k < n * n ? ev[k / n] : rnd_val(sz), b = k < n * n ? ev[k % n] : rnd_val(sz);
        xa[i](a, b, rnd_flags(), form);
        uint32_t acc = (rnd() & 1) ? a : (k & 2) ? b : rnd_val(sz);
        cx[i](a, acc, rnd_val(sz), rnd_flags(), form);
      }
    }
  }
  for (int lock = 0; lock < 2; lock++)
    for (int k = 0; k < 600; k++) {
      uint64_t m = rnd64(), acc;
      switch (rnd() & 3) {
        case 0: acc = m; break;
        case 1: acc = m ^ 1; break;                  /* low halves differ */
        case 2: acc = m ^ (1ull << 63); break;       /* high halves differ */
        default: acc = rnd64();
      }
      cmpxchg8b(m, acc, rnd64(), rnd_flags(), lock);
    }
  for (int k = 0; k < 200; k++) xchg(rnd(), rnd());
  out_flush();
  return 0;
}
