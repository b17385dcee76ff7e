/* 64-bit arithmetic (libgcc helpers), signed/unsigned division with negative operands,
 * multiply-high and mixed widths. */
typedef long long i64;
typedef unsigned long long u64;

volatile int vi[] = {7, -7, 1, -1, 0x7fffffff, -0x7fffffff - 1, 3, -100000, 65536, 12345};
volatile u64 vu[] = {0, 1, 0xffffffffffffffffULL, 0x8000000000000000ULL, 0x123456789abcdef0ULL,
                     0xfedcba9876543210ULL, 1000000007ULL, 0x100000000ULL};
int iresults[64];
u64 results[64];

int main(void)
{
    int n = 0, k = 0;
    const int ni = sizeof vi / sizeof vi[0], nu = sizeof vu / sizeof vu[0];
    for (int i = 0; i < ni; i++) {
        int a = vi[i], b = vi[(i + 3) % ni];
        if (b != 0 && !(a == -0x7fffffff - 1 && b == -1)) {
            iresults[k++] = a / b;
            iresults[k++] = a % b;
        }
        if (b != 0) {
            iresults[k++] = (int)((unsigned)a / (unsigned)b);
            iresults[k++] = (int)((unsigned)a % (unsigned)b);
        }
        iresults[k++] = (int)(((i64)a * b) >> 32);                 /* mulhw */
        iresults[k++] = (int)(((u64)(unsigned)a * (unsigned)b) >> 32); /* mulhwu */
        if (k > 56)
            k = 0;
    }
    for (int i = 0; i < nu; i++) {
        u64 a = vu[i], b = vu[(i + 5) % nu];
        i64 sa = (i64)a, sb = (i64)b;
        results[n++] = a * b + (a >> (i + 1)) - (b << (2 * i + 3));
        if (b != 0) {
            results[n++] = a / b;
            results[n++] = a % b;
            if (!(sa == (i64)0x8000000000000000ULL && sb == -1)) {
                results[n++] = (u64)(sa / sb);
                results[n++] = (u64)(sa % sb);
            }
        }
        results[n++] = (u64)(sa >> (i * 7 % 64));
        results[n++] = (u64)(sa < sb) | (u64)(a < b) << 1 | (u64)(sa == sb) << 2;
    }
    u64 acc = 0;
    for (int i = 0; i < n; i++)
        acc = acc * 31 + results[i];
    return (int)(acc ^ (acc >> 32));
}
