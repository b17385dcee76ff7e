/* Byte traffic: copies, fills, string scans, unaligned and sub-word loads/stores, struct copies. */
#include <stddef.h>

void *memcpy(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);

struct record { char name[13]; short id; unsigned char flags; int value; };

static const char text[] = "The quick brown fox jumps over the lazy dog. 0123456789 PowerPC e500mc!";
unsigned char buffer[160];
struct record records[4];
int results[8];

static size_t my_strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

static unsigned checksum(const unsigned char *p, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (sum << 5) + sum + p[i];
    return sum;
}

static void reverse(unsigned char *p, size_t n)
{
    for (size_t i = 0, j = n - 1; i < j; i++, j--) {
        unsigned char t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

int main(void)
{
    size_t len = my_strlen(text);
    memset(buffer, 0xa5, sizeof buffer);
    memcpy(buffer + 3, text, len);          /* unaligned destination */
    reverse(buffer + 3, len);
    for (size_t i = 0; i < len; i++)        /* upper-case in place */
        if (buffer[3 + i] >= 'a' && buffer[3 + i] <= 'z')
            buffer[3 + i] -= 32;
    for (int i = 0; i < 4; i++) {
        struct record r = {{0}, (short)(-1000 * i), (unsigned char)(0xf0 | i), i * 0x01010101};
        memcpy(r.name, text + 4 * i, 12);
        records[i] = r;                     /* struct copy */
    }
    signed char sc = (signed char)buffer[5];
    short sh = *(short *)(buffer + 10);
    results[0] = (int)len;
    results[1] = (int)checksum(buffer, sizeof buffer);
    results[2] = memcmp(records[1].name, records[2].name, 12);
    results[3] = sc + sh + records[3].id;
    results[4] = (int)checksum((const unsigned char *)records, sizeof records);
    return results[1] ^ results[4];
}
