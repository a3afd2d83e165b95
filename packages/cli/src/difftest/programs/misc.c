/*
 * Other user-mode integer instructions: MOVZX/MOVSX (register and memory), CBW CWDE CWD CDQ,
 * LAHF/SAHF, CLC STC CMC CLD STD, POPF/PUSHF at CPL 3 (IF and IOPL silently kept, RF and VM
 * never set, ID toggles), XLAT, LEA with every addressing form incl. 16-bit addressing, ENTER
 * with nesting levels and LEAVE, PUSHA/POPA, PUSH/POP of memory and immediates, BOUND (in
 * range), segment register moves.
 *
 * Line: "<insn> inputs > outputs".
 */
#include "common.h"

static uint32_t g_mem[4];
static uint8_t table[256];

#define PRE "pushl %[fi]\n\tpopfl\n\t"
#define POST "\n\tpushfl\n\tpopl %[f]"

static void ext_cases(uint32_t v) {
  uint32_t a, b, c, d, e, f;
  uint8_t v8 = (uint8_t)v; uint16_t v16 = (uint16_t)v;
  g_mem[0] = v;
  __asm__("movzbl %1, %0" : "=r"(a) : "q"(v8));
  __asm__("movsbl %1, %0" : "=r"(b) : "q"(v8));
  __asm__("movzwl %1, %0" : "=r"(c) : "r"(v16));
  __asm__("movswl %1, %0" : "=r"(d) : "r"(v16));
  __asm__("movsbw %1, %w0" : "=r"(e) : "m"(*(uint8_t *)g_mem));
  e &= 0xffff;
  __asm__("movl $0x77777777, %0\n\tmovzbw %1, %w0" : "=&r"(f) : "m"(*(uint8_t *)g_mem));
  out_str("movzx.movsx"); out_x32(v); out_sep(); out_x32(a); out_x32(b); out_x32(c); out_x32(d); out_x32(e); out_x32(f); out_nl();
  uint32_t ax = v, dx = 0x12345678;
  __asm__("cbtw" : "+a"(ax)); out_str("cbw"); out_x32(v); out_sep(); out_x32(ax); out_nl();
  ax = v; __asm__("cwtl" : "+a"(ax)); out_str("cwde"); out_x32(v); out_sep(); out_x32(ax); out_nl();
  ax = v; __asm__("cwtd" : "+a"(ax), "+d"(dx)); out_str("cwd"); out_x32(v); out_sep(); out_x32(ax); out_x32(dx); out_nl();
  ax = v; __asm__("cltd" : "+a"(ax), "=d"(dx)); out_str("cdq"); out_x32(v); out_sep(); out_x32(ax); out_x32(dx); out_nl();
}

static void flag_cases(uint32_t fi, uint32_t ah) {
  uint32_t f, eax = ah << 8 | 0x5a;
  __asm__ volatile(PRE "sahf" POST : "+a"(eax), [f] "=&r"(f) : [fi] "r"(fi) : "cc");
  out_str("sahf"); out_x8(ah); out_fl(fi); out_sep(); out_fl(f & F_STATUS); out_nl();
  eax = 0x11223344;
  __asm__ volatile(PRE "lahf" : "+a"(eax) : [fi] "r"(fi) : "cc");
  /* LAHF: AH = SF ZF 0 AF 0 PF 1 CF (bits 5, 3 and 1 are fixed). */
  out_str("lahf"); out_fl(fi); out_sep(); out_x32(eax); out_nl();
  static const char *const names[] = {"clc", "stc", "cmc", "std"};
  for (int i = 0; i < 4; i++) {
    switch (i) {
      case 0: __asm__ volatile(PRE "clc" POST : [f] "=&r"(f) : [fi] "r"(fi) : "cc"); break;
      case 1: __asm__ volatile(PRE "stc" POST : [f] "=&r"(f) : [fi] "r"(fi) : "cc"); break;
      case 2: __asm__ volatile(PRE "cmc" POST : [f] "=&r"(f) : [fi] "r"(fi) : "cc"); break;
      default: __asm__ volatile(PRE "std" POST "\n\tcld" : [f] "=&r"(f) : [fi] "r"(fi) : "cc"); break;
    }
    out_str(names[i]); out_fl(fi); out_sep(); out_fl(f & (F_STATUS | F_DF)); out_nl();
  }
}

/* POPF at CPL 3: status flags, DF, ID change; IF and IOPL stay (CPL > IOPL, no fault); RF and
 * VM are never set by POPF (SDM Vol. 2 POPF). TF and AC are left clear: they would trap or
 * enable alignment checks natively. NT is left clear too (a kernel may object). */
static void popf_case(uint32_t v) {
  uint32_t f;
  __asm__ volatile("pushfl\n\tpushl %[v]\n\tpopfl\n\tpushfl\n\tpopl %[f]\n\tpopfl" : [f] "=&r"(f) : [v] "r"(v) : "cc");
  out_str("popf"); out_x32(v); out_sep(); out_x32(f); out_nl();
}

static void xlat_case(uint32_t al) {
  uint32_t eax = 0xabcdef00u | al;
  __asm__("xlatb" : "+a"(eax) : "b"(table), "m"(table));
  out_str("xlat"); out_x8(al); out_sep(); out_x32(eax); out_nl();
}

static void lea_cases(uint32_t b, uint32_t i) {
  uint32_t r[8];
  __asm__("leal (%1), %0" : "=r"(r[0]) : "r"(b));
  __asm__("leal 0x7f(%1,%2), %0" : "=r"(r[1]) : "r"(b), "r"(i));
  __asm__("leal -0x80(%1,%2,2), %0" : "=r"(r[2]) : "r"(b), "r"(i));
  __asm__("leal 0x12345678(%1,%2,4), %0" : "=r"(r[3]) : "r"(b), "r"(i));
  __asm__("leal -4(,%1,8), %0" : "=r"(r[4]) : "r"(i));
  /* 16-bit addressing (67 prefix): the offset wraps at 64 KiB. */
  __asm__("movl $0x99999999, %0\n\taddr16 leal 0x7ff0(%%bx,%%si), %0" : "=&r"(r[5]) : "b"(b), "S"(i));
  __asm__("movl $0x99999999, %0\n\taddr16 leaw -2(%%bx,%%di), %w0" : "=&r"(r[6]) : "b"(b), "D"(i));
  __asm__("leaw 3(%1,%2,2), %w0" : "=r"(r[7]) : "r"(b), "r"(i), "0"(0x88888888u));
  out_str("lea"); out_x32(b); out_x32(i); out_sep();
  for (int k = 0; k < 8; k++) out_x32(r[k]);
  out_nl();
}

/* ENTER with nesting levels 0..4 and LEAVE. EBP points into a static fake frame first (the
 * compiler's EBP need not be a frame pointer, and ENTER with a level > 1 reads through it).
 * Printed: ESP/EBP movements relative to the ESP before ENTER, and the dwords ENTER pushed
 * (stack addresses among them as offsets from that ESP). */
static uint32_t fake[16], g_frame[8], g_regs[4];
static void enter_case(int level) {
  switch (level) {
#define EN(L) case L: __asm__ volatile("pushl %%ebp\n\tmovl $%c[fk]+40, %%ebp\n\tmovl %%esp, %c[rg]\n\tenter $24, $" #L "\n\t" \
    "movl %%esp, %c[rg]+4\n\tmovl %%ebp, %c[rg]+8\n\t" \
    "movl 24(%%esp), %%eax\n\tmovl %%eax, %c[fr]\n\tmovl 28(%%esp), %%eax\n\tmovl %%eax, %c[fr]+4\n\t" \
    "movl 32(%%esp), %%eax\n\tmovl %%eax, %c[fr]+8\n\tmovl 36(%%esp), %%eax\n\tmovl %%eax, %c[fr]+12\n\t" \
    "movl 40(%%esp), %%eax\n\tmovl %%eax, %c[fr]+16\n\tleave\n\tmovl %%esp, %c[rg]+12\n\tmovl %%ebp, %%eax\n\tpopl %%ebp\n\t" \
    "subl $%c[fk]+40, %%eax\n\tmovl %%eax, %c[fr]+20" \
    : : [fk] "i"(fake), [rg] "i"(g_regs), [fr] "i"(g_frame) : "eax", "memory"); break;
    EN(0) EN(1) EN(2) EN(3) EN(4)
  }
  uint32_t esp0 = g_regs[0];
  out_str("enter.leave"); out_x8((uint32_t)level); out_sep();
  out_x32(esp0 - g_regs[1]); out_x32(esp0 - g_regs[2]); out_x32(g_regs[3] - esp0); out_x32(g_frame[5]);
  /* Only the dwords ENTER pushed: the old EBP, level-1 copied frame pointers, the new one. */
  uint32_t pushed = (esp0 - g_regs[1] - 24) / 4;
  for (uint32_t k = 0; k < pushed && k < 5; k++) {
    uint32_t v = g_frame[k];
    if (v - (esp0 - 256) < 512) { out_str(" s"); out_hexn(v - esp0, 8); } else out_x32(v);
  }
  out_nl();
}

/* PUSHA then POPA with chosen register values: the pushed image (ESP as an offset), the
 * registers POPA restores (it skips ESP), and ESP movements. */
static uint32_t pa_in[8], pa_out[8], pa_img[8], pa_esp[3];
static void pusha_case(uint32_t seed) {
  for (int k = 0; k < 8; k++) pa_in[k] = seed * (uint32_t)(2 * k + 1) ^ 0x5a5a5a5au;
  __asm__ volatile(
    "pushal\n\tmovl %%esp, %c[esp]\n\t"
    "movl %c[in], %%eax\n\tmovl %c[in]+4, %%ecx\n\tmovl %c[in]+8, %%edx\n\tmovl %c[in]+12, %%ebx\n\t"
    "movl %c[in]+20, %%ebp\n\tmovl %c[in]+24, %%esi\n\tmovl %c[in]+28, %%edi\n\t"
    "pushal\n\tmovl %%esp, %c[esp]+4\n\t"
    "movl (%%esp), %%eax\n\tmovl %%eax, %c[img]\n\tmovl 4(%%esp), %%eax\n\tmovl %%eax, %c[img]+4\n\t"
    "movl 8(%%esp), %%eax\n\tmovl %%eax, %c[img]+8\n\tmovl 12(%%esp), %%eax\n\tmovl %%eax, %c[img]+12\n\t"
    "movl 16(%%esp), %%eax\n\tmovl %%eax, %c[img]+16\n\tmovl 20(%%esp), %%eax\n\tmovl %%eax, %c[img]+20\n\t"
    "movl 24(%%esp), %%eax\n\tmovl %%eax, %c[img]+24\n\tmovl 28(%%esp), %%eax\n\tmovl %%eax, %c[img]+28\n\t"
    "xorl %%eax, %%eax\n\txorl %%ecx, %%ecx\n\txorl %%edx, %%edx\n\txorl %%ebx, %%ebx\n\txorl %%ebp, %%ebp\n\t"
    "xorl %%esi, %%esi\n\txorl %%edi, %%edi\n\t"
    "popal\n\tmovl %%esp, %c[esp]+8\n\t"
    "movl %%eax, %c[out]\n\tmovl %%ecx, %c[out]+4\n\tmovl %%edx, %c[out]+8\n\tmovl %%ebx, %c[out]+12\n\t"
    "movl %%ebp, %c[out]+20\n\tmovl %%esi, %c[out]+24\n\tmovl %%edi, %c[out]+28\n\t"
    "popal"
    : : [in] "i"(pa_in), [out] "i"(pa_out), [img] "i"(pa_img), [esp] "i"(pa_esp) : "memory", "cc");
  out_str("pusha.popa"); out_x32(seed); out_sep();
  for (int k = 0; k < 8; k++) if (k != 4) out_x32(pa_out[k]);
  for (int k = 0; k < 8; k++) if (k != 3) out_x32(pa_img[k]);
  out_x32(pa_img[3] - pa_esp[0]); out_x32(pa_esp[0] - pa_esp[1]); out_x32(pa_esp[2] - pa_esp[0]); out_nl();
}

static void bound_case(int32_t lo, int32_t hi, int32_t v) {
  static int32_t bounds[2];
  bounds[0] = lo; bounds[1] = hi;
  __asm__ volatile("boundl %0, %1" : : "r"(v), "m"(bounds));
  out_str("bound"); out_x32((uint32_t)lo); out_x32((uint32_t)hi); out_x32((uint32_t)v); out_sep(); out_str(" ok"); out_nl();
}

static void seg_case(void) {
  uint32_t ds = 0xffffffffu, es, ss, cs, r;
  __asm__("movl %%ds, %0" : "+r"(ds));
  __asm__("movw %%es, %w0" : "=r"(es) : "0"(0xeeee0000u));
  /* PUSH of a segment register with a 32-bit operand size: "either a zero-extended value is
   * pushed on the stack or the segment selector is written on the stack using a 16-bit move"
   * (SDM Vol. 2 PUSH): the upper half is implementation-specific and masked. */
  __asm__("pushl %%ss\n\tpopl %0" : "=r"(ss));
  __asm__("pushl %%cs\n\tpopl %0" : "=r"(cs));
  ss &= 0xffff; cs &= 0xffff;
  /* Reload ES from DS through the stack and memory forms. */
  __asm__ volatile("pushl %%ds\n\tpopl %%es\n\tmovw %%es, %w0" : "=r"(r) : "0"(0));
  g_mem[1] = 0;
  __asm__ volatile("movw %%ds, %0\n\tmovw %0, %%es" : "=m"(*(uint16_t *)&g_mem[1]));
  /* The selector values themselves belong to the operating system (a 64-bit host kernel gives
   * its 32-bit programs other selectors than a 32-bit Linux does), so each is printed relative
   * to DS (and CS as its low two bits, the RPL); the upper halves show what the moves wrote. */
  uint32_t sel = ds & 0xffff;
  out_str("segs"); out_sep(); out_x32(ds ^ sel); out_x32(es ^ sel); out_x32(ss ^ sel); out_x32(cs & 3); out_x32(r ^ sel); out_x32(g_mem[1] ^ sel); out_nl();
}

static void pushpop_case(uint32_t v) {
  uint32_t a, b, c;
  g_mem[2] = v; g_mem[3] = 0;
  __asm__ volatile("pushl %[m]\n\tpopl %[d]" : [d] "=m"(g_mem[3]) : [m] "m"(g_mem[2]));
  __asm__ volatile("pushl $-5\n\tpopl %0\n\tpushl $0x12345678\n\tpopl %1\n\tpushw %w3\n\tpopw %w2" : "=r"(a), "=r"(b), "=r"(c) : "r"(v), "2"(0x66666666u));
  out_str("push.pop"); out_x32(v); out_sep(); out_x32(g_mem[3]); out_x32(a); out_x32(b); out_x32(c); out_nl();
}

int main(void) {
  for (int i = 0; i < 256; i++) table[i] = (uint8_t)(i * 29 + 3);
  uint32_t ev[24];
  int n = edge_values(4, ev);
  for (int k = 0; k < 400; k++) ext_cases(k < n ? ev[k] : rnd_val(4));
  for (int k = 0; k < 512; k++) flag_cases(k < 256 ? rnd_flags() : rnd_flags(), k < 256 ? (uint32_t)k : rnd() & 0xff);
  static const uint32_t extra[] = {0x200, 0x3000, 0x10000, 0x20000, 0x200000, 0x80000, 0x100000, 0x8};
  for (int k = 0; k < 512; k++) {
    uint32_t v = (rnd() & (F_STATUS | F_DF)) | 2;
    for (int j = 0; j < 8; j++) if (rnd() & 1) v |= extra[j];
    popf_case(v);
  }
  for (uint32_t al = 0; al < 256; al++) xlat_case(al);
  for (int k = 0; k < 400; k++) lea_cases(k < n ? ev[k] : rnd_val(4), rnd_val(4));
  for (int i = 0; i < 16; i++) fake[i] = 0xf0000000u + (uint32_t)i * 0x111u;
  for (int level = 0; level < 5; level++) enter_case(level);
  for (int k = 0; k < 50; k++) pusha_case(rnd());
  for (int k = 0; k < 100; k++) {
    int32_t lo = (int32_t)rnd_val(4), hi = (int32_t)rnd_val(4);
    if (lo > hi) { int32_t t = lo; lo = hi; hi = t; }
    int32_t v = k & 1 ? lo : k & 2 ? hi : lo + (int32_t)(((uint32_t)hi - (uint32_t)lo) / 2);
    bound_case(lo, hi, v);
  }
  seg_case();
  for (int k = 0; k < 100; k++) pushpop_case(rnd_val(4));
  out_flush();
  return 0;
}
