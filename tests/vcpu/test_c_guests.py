"""C guests compiled with powerpc-linux-gnu-gcc -mcpu=e500mc at several optimisation levels."""
from __future__ import annotations

import pytest

PROGRAM = r"""
typedef unsigned long long u64;
typedef long long s64;

volatile unsigned results[16];
unsigned char src[300], dst[300];

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static unsigned ackermann(unsigned m, unsigned n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static void byte_copy(unsigned char *d, const unsigned char *s, int n)
{
    while (n--) *d++ = *s++;
}

static int classify(int x)
{
    switch (x) {
    case 0: return 11; case 1: return 23; case 2: return 37; case 3: return 41;
    case 4: return 59; case 5: return 61; case 6: return 73; case 7: return 89;
    case 8: return 97; case 9: return 101; default: return -1;
    }
}

int main(void)
{
    results[0] = fib(20);
    results[1] = ackermann(2, 3);
    for (int i = 0; i < 300; i++) src[i] = (unsigned char)(i * 7 + 3);
    byte_copy(dst + 1, src + 3, 290);
    unsigned sum = 0;
    for (int i = 0; i < 300; i++) sum = sum * 31 + dst[i];
    results[2] = sum;
    volatile u64 a = 0x123456789abcdefULL, b = 0x1234567ULL;
    volatile s64 c = -0x7123456789abLL;
    results[3] = (unsigned)(a / b);
    results[4] = (unsigned)(a % b);
    results[5] = (unsigned)((u64)(c / 12345) >> 32);
    results[6] = (unsigned)(c / 12345);
    results[7] = (unsigned)((a * b) >> 32);
    int t = 0;
    for (int i = -2; i < 12; i++) t = t * 3 + classify(i);
    results[8] = t;
    volatile int n = 1000, d = -7;
    results[9] = n / d;
    results[10] = n % d;
    results[11] = (unsigned)((s64)(int)n * -d << 40 >> 35);
    return fib(10);   /* 55: the exit status */
}
"""


def _fib(n):
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def _expected():
    src = [(i * 7 + 3) & 0xFF for i in range(300)]
    dst = [0] * 300
    dst[1:291] = src[3:293]
    checksum = 0
    for byte in dst:
        checksum = (checksum * 31 + byte) & 0xFFFFFFFF
    a, b, c = 0x123456789ABCDEF, 0x1234567, -0x7123456789AB
    quotient = -(-c // 12345)        # C division truncates toward zero
    table = {0: 11, 1: 23, 2: 37, 3: 41, 4: 59, 5: 61, 6: 73, 7: 89, 8: 97, 9: 101}
    t = 0
    for i in range(-2, 12):
        t = t * 3 + table.get(i, -1)
    mask = 0xFFFFFFFF
    return [_fib(20), 9, checksum, (a // b) & mask, (a % b) & mask, (quotient & (2**64 - 1)) >> 32,
            quotient & mask, ((a * b) & (2**64 - 1)) >> 32, t & mask, (-142) & mask, 6,
            (((1000 * 7) << 40 & (2**64 - 1)) >> 35) & mask]


@pytest.mark.parametrize("opt", ["-O0", "-O1", "-O2", "-O3", "-Os"])
def test_c_guest_results(c_guest, opt):
    exit, loaded = c_guest(PROGRAM, opt)
    assert exit.status == 55
    expected = _expected()
    assert [loaded.word("results", i) for i in range(len(expected))] == expected


def test_demo_guest_prints_through_the_uart(c_guest):
    from gdbstub.guests.build import GUEST_DIR
    exit, loaded = c_guest((GUEST_DIR / "demo.c").read_text())
    assert exit.status == 0
    assert loaded.uart.decode() == "booke-gdbstub demo guest\n" + "sum of squares = 140\n" * 3
