/* Integer benchmark guest for scripts/bench.py.
 *
 * main() runs `rounds` passes of a table-driven CRC-32, a sieve of Eratosthenes and an
 * insertion sort, calling checkpoint() after each pass. The benchmark sets `rounds` with an
 * M packet, breaks on checkpoint() or _exit, and arms hardware points on never_a/never_b and
 * watchpoints on watched_a/watched_b, none of which the workload ever touches (the watched
 * words are initialised, so they live in .data, which crt0 does not clear). */

volatile unsigned rounds = 1;
volatile unsigned watched_a = 1, watched_b = 2;
unsigned result;

static unsigned crc_table[256];
static unsigned char buffer[2048];
static unsigned char composite[4096];
static unsigned keys[160];

void __attribute__((noinline)) never_a(void) { watched_a = 1; }
void __attribute__((noinline)) never_b(void) { watched_b = 2; }
void __attribute__((noinline)) checkpoint(unsigned value) { result ^= value; }

static void make_crc_table(void)
{
    for (unsigned n = 0; n < 256; n++) {
        unsigned c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static unsigned crc32(const unsigned char *p, unsigned n)
{
    unsigned c = 0xFFFFFFFFu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

static unsigned count_primes(unsigned limit)
{
    unsigned count = 0;
    for (unsigned i = 0; i < limit; i++)
        composite[i] = 0;
    for (unsigned i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (unsigned j = i * i; j < limit; j += i)
            composite[j] = 1;
    }
    return count;
}

static unsigned sort_keys(unsigned seed)
{
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        seed = seed * 1103515245u + 12345u;
        keys[i] = seed >> 8;
    }
    for (unsigned i = 1; i < sizeof keys / sizeof keys[0]; i++) {
        unsigned key = keys[i];
        int j = i - 1;
        while (j >= 0 && keys[j] > key) {
            keys[j + 1] = keys[j];
            j--;
        }
        keys[j + 1] = key;
    }
    return keys[0] ^ keys[sizeof keys / sizeof keys[0] - 1];
}

int main(void)
{
    unsigned seed = 1;
    make_crc_table();
    for (unsigned round = 0; round < rounds; round++) {
        for (unsigned i = 0; i < sizeof buffer; i++) {
            seed = seed * 1664525u + 1013904223u;
            buffer[i] = seed >> 24;
        }
        checkpoint(crc32(buffer, sizeof buffer) + count_primes(sizeof composite) + sort_keys(seed));
    }
    return result & 0x7F;
}
