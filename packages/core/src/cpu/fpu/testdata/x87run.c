/*
 * Native x87 reference runner for the FPU differential tests (fpu/host.test.ts).
 *
 * Reads one test per line from stdin: "CODEHEX MEMHEX". Runs CODE natively in 32-bit user mode
 * with EBX pointing at a 1 KiB buffer preloaded with MEM (zero-filled after it), framed exactly
 * as the emulator frames it:
 *
 *   xor eax,eax ; fninit ; CODE ; pushfd ; pop eax ; mov [ebx+3FCh],eax ; fnsave [ebx+380h]
 *
 * and prints the whole buffer as hex, one line per test ("SIGILL"/"SIGFPE"/"SIGSEGV" instead
 * when the code traps). FNSAVE is a no-wait instruction, so a pending unmasked exception is
 * captured in the saved status word without raising SIGFPE.
 *
 * Build: i686-linux-gnu-gcc -static -O1 -o x87run x87run.c
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define BUF_SIZE 1024

static sigjmp_buf trap;
static void on_signal(int sig) { siglongjmp(trap, sig); }

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Parses hex digits from *p until a space or end of line; returns the byte count. */
static int parse_hex(const char **p, unsigned char *out, int max) {
  int n = 0;
  while (**p == ' ') (*p)++;
  while (hexval((*p)[0]) >= 0 && hexval((*p)[1]) >= 0 && n < max) {
    out[n++] = (unsigned char)(hexval((*p)[0]) * 16 + hexval((*p)[1]));
    *p += 2;
  }
  return n;
}

static unsigned char buf[BUF_SIZE] __attribute__((aligned(16)));

int main(void) {
  static char line[16384];
  unsigned char *page = mmap(0, 65536, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) { perror("mmap"); return 1; }
  signal(SIGILL, on_signal);
  signal(SIGFPE, on_signal);
  signal(SIGSEGV, on_signal);
  setvbuf(stdout, 0, _IOFBF, 1 << 16);

  while (fgets(line, sizeof line, stdin)) {
    const char *p = line;
    unsigned char code[4096];
    int n = parse_hex(&p, code, sizeof code);
    memset(buf, 0, sizeof buf);
    parse_hex(&p, buf, 0x380);

    unsigned char *w = page;
    unsigned int b = (unsigned int)buf;
    const unsigned char pro[] = { 0x53, 0x56, 0x57, 0x55, 0xbb, b, b >> 8, b >> 16, b >> 24,
                                  0x31, 0xc0, 0xdb, 0xe3 };
    const unsigned char epi[] = { 0x9c, 0x58, 0x89, 0x83, 0xfc, 0x03, 0x00, 0x00,
                                  0xdd, 0xb3, 0x80, 0x03, 0x00, 0x00,
                                  0x5d, 0x5f, 0x5e, 0x5b, 0xc3 };
    memcpy(w, pro, sizeof pro); w += sizeof pro;
    memcpy(w, code, n); w += n;
    memcpy(w, epi, sizeof epi);

    int sig = sigsetjmp(trap, 1);
    if (sig == 0) {
      ((void (*)(void))page)();
      for (int i = 0; i < BUF_SIZE; i++) printf("%02x", buf[i]);
      printf("\n");
    } else {
      __asm__ volatile("fninit");
      printf("%s\n", sig == SIGILL ? "SIGILL" : sig == SIGFPE ? "SIGFPE" : "SIGSEGV");
    }
  }
  return 0;
}
