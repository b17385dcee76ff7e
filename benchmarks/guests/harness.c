/* What the realistic benchmark guests share (coremark.c, dhrystone.c, fwlog.c): the knobs and
 * landmarks scripts/bench.py uses on bench.c, a self-check verdict and the few libc functions
 * freestanding code needs.
 *
 * The benchmark sets `rounds` with an M packet, breaks on checkpoint() or _exit, and arms
 * hardware points on never_a/never_b and watchpoints on watched_a/watched_b, none of which a
 * workload ever touches (the watched words are initialised, so they live in .data, which crt0
 * does not clear). Each guest folds a value into `result` per round through checkpoint() and
 * records failed self-checks as bits of `failed`; main returns verdict(), which crt0 hands to
 * _exit in r3 (the exit status is its low byte). The tests compare `result`, `failed` and r3
 * with what QEMU computes for the same ELF.
 *
 * `rounds` is page-aligned so that all writable data lies apart from the code: the output .data
 * section takes the largest alignment of its inputs, so it, and .bss after it, start on a page
 * of their own. QEMU tracks translated code by 4 KiB page and takes its self-modifying-code
 * path on stores into such a page; with Dhrystone's globals in its code's page, QEMU ran it at
 * 6.7 MIPS instead of 67. Firmware keeps code and data apart too. */
#include <stddef.h>

volatile unsigned rounds __attribute__((aligned(4096))) = 1;
volatile unsigned watched_a = 1, watched_b = 2;
unsigned result;
unsigned failed;

void __attribute__((noinline)) never_a(void) { watched_a = 1; }
void __attribute__((noinline)) never_b(void) { watched_b = 2; }

/* Rotate and mix, so that the order of the rounds' values counts too. */
void __attribute__((noinline)) checkpoint(unsigned value) { result = (result << 5 | result >> 27) ^ value; }

void check(unsigned bit, int ok)
{
    if (!ok)
        failed |= 1u << bit;
}

/* 0 when every check held; otherwise 0x80 with the low failed bits, never 0 in the low byte. */
int verdict(void)
{
    return failed ? (int)(0x80 | (failed & 0x7F)) : 0;
}

/* Byte loops written so that gcc does not turn them back into calls of themselves. */
#define NO_IDIOMS __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_IDIOMS void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    return dst;
}

NO_IDIOMS void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)c;
    return dst;
}

NO_IDIOMS char *strcpy(char *dst, const char *src)
{
    char *d = dst;
    while ((*d++ = *src++) != 0)
        ;
    return dst;
}

int strcmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x - *y;
}
