/* Bit tricks: rotates, variable shifts, byte reversal, counting, isel-friendly selects,
 * signed/unsigned compares and a switch jump table. */
volatile unsigned vu[] = {0, 1, 0x80000000u, 0xffffffffu, 0x12345678u, 0xdeadbeefu, 0x00ff00ffu, 0x7fffffffu};
volatile int shifts[] = {0, 1, 5, 16, 31, 7, 24, 13};
unsigned results[128];

static unsigned rotl(unsigned x, unsigned n) { return (x << (n & 31)) | (x >> (-n & 31)); }

static int classify(unsigned x)
{
    switch (x % 11) {
    case 0: return 100;
    case 1: return -3;
    case 2: return (int)x >> 3;
    case 3: return 7;
    case 4: return (int)(x ^ 0x5555);
    case 5: return 11;
    case 6: return -(int)x;
    case 7: return 123456;
    case 8: return (int)(x * 3);
    default: return 0;
    }
}

int main(void)
{
    int n = 0;
    const int count = sizeof vu / sizeof vu[0];
    for (int i = 0; i < count; i++) {
        unsigned x = vu[i], y = vu[(i + 1) % count];
        int s = shifts[i], sx = (int)x, sy = (int)y;
        results[n++] = rotl(x, (unsigned)s) ^ rotl(y, 32u - (unsigned)s);
        results[n++] = (x << s) + (x >> s) + (unsigned)(sx >> s);
        results[n++] = __builtin_bswap32(x) + __builtin_bswap16((unsigned short)y);
        results[n++] = (unsigned)(x ? __builtin_clz(x) : 32) * 100 + (unsigned)(x ? __builtin_ctz(x) : 32);
        results[n++] = (unsigned)__builtin_popcount(x);
        results[n++] = sx < sy ? x : y;              /* isel */
        results[n++] = x < y ? (unsigned)sx : 7u;    /* isel on an unsigned compare */
        results[n++] = (unsigned)(sx > 0) + 2 * (x >= y) + 4 * (sx == sy) + 8 * (sx <= -1);
        results[n++] = (unsigned)classify(x) + (unsigned)classify(y + (unsigned)i);
        results[n++] = (x & 0xff00u) >> 8 | (x & 0xfu) << 28 | ((x >> 4) & 0x3fu) << 10;
        results[n++] = ~x & (y | 0xf0f0f0f0u);
        results[n++] = (unsigned)(sx / 4) + (unsigned)(sx % 8) + (unsigned)((short)x >> 2);
    }
    unsigned acc = 0;
    for (int i = 0; i < n; i++)
        acc = rotl(acc, 5) ^ results[i];
    return (int)acc;
}
