/*
 * CPU-bound 32-bit user-mode benchmark for `pnpm bench:cpu --mode user32`: built with
 * Debian's i686 cross-compiler (-O2), run on the emulator's flat user-mode machine and
 * natively on the host, whose output it must match. The kernels are the kind of code a Linux
 * boot spends its time in:
 *   1. multi-precision arithmetic (schoolbook multiply and reduction with 32x32->64 products,
 *      as lib/mpi does for RSA signature checks);
 *   2. a sieve of Eratosthenes over a byte array;
 *   3. CRC-32 (table driven) over a buffer, and memcpy/memset of it;
 *   4. an insertion sort and a binary search over integers;
 *   5. a hash table of strings (FNV-1a, string compares).
 * Everything folds into one checksum printed at the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LIMBS 32
#define PASSES 40

static uint32_t checksum;

static void fold(uint32_t v) { checksum = (checksum ^ v) * 16777619u + (checksum >> 7); }

static uint32_t rnd_state = 12345;
static uint32_t rnd(void) {
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* r[0..2n) = a[0..n) * b[0..n) */
static void mp_mul(uint32_t *r, const uint32_t *a, const uint32_t *b, int n) {
    memset(r, 0, 2 * n * sizeof *r);
    for (int i = 0; i < n; i++) {
        uint32_t carry = 0;
        for (int j = 0; j < n; j++) {
            uint64_t t = (uint64_t)a[i] * b[j] + r[i + j] + carry;
            r[i + j] = (uint32_t)t;
            carry = (uint32_t)(t >> 32);
        }
        r[i + n] = carry;
    }
}

/* a[0..n) -= b[0..n) * q (one step of a schoolbook reduction); returns the borrow */
static uint32_t mp_submul(uint32_t *a, const uint32_t *b, int n, uint32_t q) {
    uint32_t borrow = 0;
    for (int i = 0; i < n; i++) {
        uint64_t p = (uint64_t)b[i] * q + borrow;
        uint32_t lo = (uint32_t)p;
        borrow = (uint32_t)(p >> 32) + (a[i] < lo);
        a[i] -= lo;
    }
    return borrow;
}

static void bignum(void) {
    static uint32_t a[LIMBS], b[LIMBS], r[2 * LIMBS];
    for (int i = 0; i < LIMBS; i++) { a[i] = rnd(); b[i] = rnd(); }
    for (int k = 0; k < 30; k++) {
        mp_mul(r, a, b, LIMBS);
        for (int i = 2 * LIMBS - 1; i >= LIMBS; i--) fold(mp_submul(r + i - LIMBS, b, LIMBS, r[i]));
        memcpy(a, r, sizeof a);
    }
    for (int i = 0; i < LIMBS; i++) fold(a[i]);
}

static void sieve(void) {
    static uint8_t composite[65536];
    memset(composite, 0, sizeof composite);
    for (uint32_t i = 2; i * i < sizeof composite; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j < sizeof composite; j += i) composite[j] = 1;
    uint32_t primes = 0;
    for (uint32_t i = 2; i < sizeof composite; i++) primes += !composite[i];
    fold(primes);
}

static uint32_t crc_table[256];
static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static void crc(void) {
    static uint8_t buf[32768], copy[32768];
    for (uint32_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(rnd() >> 11);
    memcpy(copy, buf, sizeof buf);
    uint32_t c = 0xffffffffu;
    for (uint32_t i = 0; i < sizeof copy; i++) c = crc_table[(c ^ copy[i]) & 0xff] ^ (c >> 8);
    fold(~c);
}

static void sort(void) {
    static int32_t v[1500];
    int n = sizeof v / sizeof v[0];
    for (int i = 0; i < n; i++) v[i] = (int32_t)rnd();
    for (int i = 1; i < n; i++) {
        int32_t x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) { v[j + 1] = v[j]; j--; }
        v[j + 1] = x;
    }
    uint32_t found = 0;
    for (int k = 0; k < 2000; k++) {
        int32_t key = v[rnd() % n];
        int lo = 0, hi = n - 1;
        while (lo <= hi) {
            int mid = (lo + hi) / 2;
            if (v[mid] < key) lo = mid + 1;
            else if (v[mid] > key) hi = mid - 1;
            else { found += mid; break; }
        }
    }
    fold(found);
}

#define BUCKETS 1024
struct entry { char key[16]; uint32_t value; int next; };
static struct entry entries[4096];
static int heads[BUCKETS];

static uint32_t fnv(const char *s) {
    uint32_t h = 2166136261u;
    while (*s) { h ^= (uint8_t)*s++; h *= 16777619u; }
    return h;
}
static void hashtable(void) {
    int used = 0;
    for (int i = 0; i < BUCKETS; i++) heads[i] = -1;
    for (int i = 0; i < 4096; i++) {
        char key[16];
        uint32_t x = rnd() % 3000;
        for (int k = 0; k < 8; k++) { key[k] = (char)('a' + x % 26); x /= 26; if (!x) { key[k + 1] = 0; break; } key[k + 1] = 0; }
        uint32_t h = fnv(key) % BUCKETS;
        int e = heads[h];
        while (e >= 0 && strcmp(entries[e].key, key) != 0) e = entries[e].next;
        if (e >= 0) { entries[e].value++; continue; }
        strcpy(entries[used].key, key);
        entries[used].value = 1;
        entries[used].next = heads[h];
        heads[h] = used++;
    }
    for (int i = 0; i < used; i++) fold(entries[i].value + fnv(entries[i].key));
}

int main(void) {
    crc_init();
    for (int pass = 0; pass < PASSES; pass++) {
        bignum();
        sieve();
        crc();
        sort();
        hashtable();
    }
    printf("checksum %08x\n", checksum);
    return 0;
}
