/* Firmware-style logging as a bare-metal benchmark guest: a complete vsnprintf (flags - 0 + space
 * #, field width and precision, either given or `*`, length modifiers hh h l z, conversions d i u
 * o x X c s p %) formats timestamped log lines of a simulated device into a ring buffer, which
 * drops its oldest whole lines when full; a console task drains it now and then, hashing what it
 * reads (FNV-1a) as a UART would send it.
 *
 * Each round logs LINES_PER_ROUND lines from pseudo-random device events and folds the hash of
 * what was drained, and the counts of lines and drops, into checkpoint(). Before the rounds,
 * the formatter is checked against C's rules on a table of cases (`cases`: format, arguments,
 * the exact expected text and return value; bit n of `failed` for case n), so a wrong result of
 * the vCPU in the formatter fails the self-check; the hash is compared with QEMU's by the tests. */
#include <stdarg.h>
#include <stddef.h>

extern volatile unsigned rounds;
void checkpoint(unsigned value);
void check(unsigned bit, int ok);
int verdict(void);
int strcmp(const char *a, const char *b);

/* --- the formatter -------------------------------------------------------------------------- */

enum { LEFT = 1, ZERO = 2, PLUS = 4, SPACE = 8, ALT = 16 };

struct sink {
    char *buf;
    size_t size;     /* room in buf, terminator included */
    size_t length;   /* what the whole output takes, whether it fitted or not */
};

static void put(struct sink *out, char c)
{
    if (out->length + 1 < out->size)
        out->buf[out->length] = c;
    out->length++;
}

static void put_repeated(struct sink *out, char c, int count)
{
    while (count-- > 0)
        put(out, c);
}

static const char lower_digits[] = "0123456789abcdef";
static const char upper_digits[] = "0123456789ABCDEF";

/* One integer conversion: sign or prefix, then zeros up to the precision (or, with ZERO and no
 * precision, to the width), then the digits, padded to the width. */
static void put_integer(struct sink *out, unsigned long value, int negative, unsigned base, int upper,
                        int flags, int width, int precision)
{
    char digits[12];
    int count = 0;
    const char *table = upper ? upper_digits : lower_digits;
    while (value) {
        digits[count++] = table[value % base];
        value /= base;
    }
    char prefix[2];
    int prefix_length = 0;
    if (negative)
        prefix[prefix_length++] = '-';
    else if (flags & PLUS)
        prefix[prefix_length++] = '+';
    else if (flags & SPACE)
        prefix[prefix_length++] = ' ';
    if ((flags & ALT) && base == 16 && count) {
        prefix[prefix_length++] = '0';
        prefix[prefix_length++] = upper ? 'X' : 'x';
    }
    int zeros = 0;
    if (precision >= 0)
        zeros = precision - count;
    else if (count == 0)
        zeros = 1;                            /* 0 prints as "0" unless the precision is 0 */
    if ((flags & ALT) && base == 8 && zeros <= 0)
        zeros = 1;                            /* octal's leading 0 */
    if (zeros < 0)
        zeros = 0;
    int body = prefix_length + zeros + count;
    if ((flags & ZERO) && !(flags & LEFT) && precision < 0 && width > body) {
        zeros += width - body;
        body = width;
    }
    if (!(flags & LEFT))
        put_repeated(out, ' ', width - body);
    for (int i = 0; i < prefix_length; i++)
        put(out, prefix[i]);
    put_repeated(out, '0', zeros);
    while (count)
        put(out, digits[--count]);
    if (flags & LEFT)
        put_repeated(out, ' ', width - body);
}

static void put_text(struct sink *out, const char *s, int length, int flags, int width)
{
    if (!(flags & LEFT))
        put_repeated(out, ' ', width - length);
    for (int i = 0; i < length; i++)
        put(out, s[i]);
    if (flags & LEFT)
        put_repeated(out, ' ', width - length);
}

static int parse_number(const char **fmt)
{
    int n = 0;
    while (**fmt >= '0' && **fmt <= '9')
        n = n * 10 + *(*fmt)++ - '0';
    return n;
}

/* C99's vsnprintf for the conversions above: the length the whole output would take; at most
 * size - 1 characters and a terminator go to buf. */
int log_vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
    struct sink out = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&out, *fmt);
            continue;
        }
        int flags = 0;
        for (;; fmt++) {
            char c = fmt[1];
            int flag = c == '-' ? LEFT : c == '0' ? ZERO : c == '+' ? PLUS : c == ' ' ? SPACE : c == '#' ? ALT : 0;
            if (!flag)
                break;
            flags |= flag;
        }
        fmt++;
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(args, int);
            if (width < 0) {
                flags |= LEFT;
                width = -width;
            }
            fmt++;
        } else {
            width = parse_number(&fmt);
        }
        int precision = -1;
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                precision = va_arg(args, int);
                if (precision < 0)
                    precision = -1;
                fmt++;
            } else {
                precision = parse_number(&fmt);
            }
        }
        int size_class = 0;                   /* -2 hh, -1 h, 0 int, 1 l (z is int-sized here) */
        for (;; fmt++) {
            if (*fmt == 'h')
                size_class--;
            else if (*fmt == 'l')
                size_class++;
            else if (*fmt != 'z')
                break;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            long value = size_class > 0 ? va_arg(args, long) : va_arg(args, int);
            if (size_class == -1)
                value = (short)value;
            else if (size_class <= -2)
                value = (signed char)value;
            unsigned long magnitude = value < 0 ? 0ul - (unsigned long)value : (unsigned long)value;
            put_integer(&out, magnitude, value < 0, 10, 0, flags, width, precision);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            unsigned long value = size_class > 0 ? va_arg(args, unsigned long) : va_arg(args, unsigned);
            if (size_class == -1)
                value = (unsigned short)value;
            else if (size_class <= -2)
                value = (unsigned char)value;
            unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            put_integer(&out, value, 0, base, *fmt == 'X', flags & ~(PLUS | SPACE), width, precision);
            break;
        }
        case 'p':
            put_integer(&out, (unsigned long)va_arg(args, void *), 0, 16, 0, ALT | (flags & LEFT), width, 8);
            break;
        case 'c': {
            char c = (char)va_arg(args, int);
            put_text(&out, &c, 1, flags, width);
            break;
        }
        case 's': {
            const char *s = va_arg(args, const char *);
            if (!s)
                s = "(null)";
            int length = 0;
            while (s[length] && (precision < 0 || length < precision))
                length++;
            put_text(&out, s, length, flags, width);
            break;
        }
        case '%':
            put(&out, '%');
            break;
        default:                               /* not a conversion: print it as it stands */
            put(&out, '%');
            if (!*fmt)
                fmt--;
            else
                put(&out, *fmt);
            break;
        }
    }
    if (size)
        buf[out.length < size ? out.length : size - 1] = 0;
    return (int)out.length;
}

int log_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = log_vsnprintf(buf, size, fmt, args);
    va_end(args);
    return n;
}

/* --- the log ring and its console ---------------------------------------------------------- */

#define RING_SIZE 1024            /* a power of two */
#define LINE_MAX 120
#define LINES_PER_ROUND 48
#define DRAIN_EVERY 12            /* lines between console drains: the ring overflows in between */

static char ring[RING_SIZE];
static unsigned ring_head, ring_tail;          /* free-running byte counters */
static unsigned lines_logged, lines_dropped, console_hash = 2166136261u;
static unsigned ticks;

/* Drop the oldest whole line. */
static void ring_drop_line(void)
{
    while (ring_tail != ring_head && ring[ring_tail++ & (RING_SIZE - 1)] != '\n')
        ;
    lines_dropped++;
}

static void ring_write(const char *line, unsigned length)
{
    while (RING_SIZE - (ring_head - ring_tail) < length)
        ring_drop_line();
    for (unsigned i = 0; i < length; i++)
        ring[ring_head++ & (RING_SIZE - 1)] = line[i];
}

/* The console task: hash everything in the ring, a byte at a time, as a UART would send it. */
static void console_drain(void)
{
    unsigned hash = console_hash;
    while (ring_tail != ring_head)
        hash = (hash ^ (unsigned char)ring[ring_tail++ & (RING_SIZE - 1)]) * 16777619u;
    console_hash = hash;
}

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

/* "[seconds.micros] LEVEL subsystem: message\n", cut to LINE_MAX like a kernel's printk. */
static void __attribute__((format(printf, 3, 4))) log_msg(int level, const char *subsystem, const char *fmt, ...)
{
    char line[LINE_MAX + 1];
    ticks += 37 + (ticks & 0xFF);
    int n = log_snprintf(line, sizeof line, "[%5u.%06u] %-5s %s: ", ticks / 1000000, ticks % 1000000,
                         level_names[level], subsystem);
    va_list args;
    va_start(args, fmt);
    if (n < LINE_MAX)
        n += log_vsnprintf(line + n, sizeof line - (size_t)n, fmt, args);
    va_end(args);
    if (n > LINE_MAX - 1)
        n = LINE_MAX - 1;
    line[n++] = '\n';
    ring_write(line, (unsigned)n);
    lines_logged++;
}

/* --- the simulated device ------------------------------------------------------------------- */

static unsigned random_state = 0x2545F491u;

static unsigned next_random(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 17;
    random_state ^= random_state << 5;
    return random_state;
}

static const char *const task_names[] = { "idle", "net_rx", "storage-flush", "watchdog", "sensor_poll", 0 };
static const char *const link_states[] = { "down", "up", "negotiating" };

static void log_event(void)
{
    unsigned r = next_random(), s = next_random();
    switch (r % 6) {
    case 0:
        log_msg(2, "irq", "vector %3u (%#06x) took %5u cycles, nested=%d", r >> 24, r >> 16, s & 0xFFFF,
                (int)(s >> 30) - 1);
        break;
    case 1:
        log_msg(1, "eth0", "link %s, %4d Mb/s, mac %02x:%02x:%02x:%02x:%02x:%02x", link_states[s % 3],
                10 << (r % 3 * 3 / 2), r >> 24, (r >> 16) & 0xFF, (r >> 8) & 0xFF, s >> 24, (s >> 16) & 0xFF,
                s & 0xFF);
        break;
    case 2:
        log_msg(3, "dma", "ch%-2u src=%p dst=%p len=%-6u flags=%08X", r % 16, (void *)(r & ~3u),
                (void *)(s & ~3u), s >> 20, r ^ s);
        break;
    case 3:
        log_msg(0, "sched", "task '%-10.10s' stack %3u%% used, sp=%p, prio %+d", task_names[s % 6],
                r % 101, (void *)(0x7FFF0000u | (s & 0xFFF0)), (int)(r % 21) - 10);
        break;
    case 4:
        log_msg(2, "adc", "ch%hhu=% 6d mV (raw %#.4hx), %c%c, %ld ppm", (unsigned char)(r >> 5),
                (int)(s % 20001) - 10000, (unsigned short)r, "+-"[s & 1], "OK"[r & 1], (long)(int)s / 1000);
        break;
    default:
        log_msg(3, "fs", "%*s%.*s: block %lu of %zu, crc %08lx %s", (int)(r % 4), "",
                (int)(s % 9) + 1, "/var/log/messages", (unsigned long)(r >> 12), (size_t)(s >> 16),
                (unsigned long)(r * 2654435761u), (s & 3) ? "ok" : "MISMATCH");
        break;
    }
}

/* --- the self-check ------------------------------------------------------------------------- */

#define CASE_MAX 48

/* Each case formats into a buffer of `size` bytes; `text` is what C's snprintf writes there and
 * `length` what it returns (glibc's, but for %p, which prints as %#010x here). A global, so
 * that the tests can corrupt one. */
struct format_case {
    unsigned size;
    int length;
    char text[CASE_MAX];
};

struct format_case cases[] = {
    { CASE_MAX, 27, "-42|0|4294967295|2147483647" },
    { CASE_MAX, 31, "[   42][42   ][00042][+42][ 42]" },
    { CASE_MAX, 22, "beef BEEF 0xff 010 0 0" },
    { CASE_MAX, 30, "007|     007|00a     |     005" },
    { CASE_MAX, 30, "hello|hel|     abc|abc     |ok" },
    { CASE_MAX, 22, "0x00001000|0xdeadbeef|" },
    { CASE_MAX, 14, "    -3|9   |xy" },
    { CASE_MAX, 19, "%|4464|44|-1|(null)" },
    { 8, 9, "truncat" },
    { CASE_MAX, 21, "-2147483648||0|-0007|" },
    { CASE_MAX, 25, "0X7F|0x0001|  0x1f|-    7" },
};

static int format_case(unsigned n, char *buf, unsigned size)
{
    switch (n) {
    case 0: return log_snprintf(buf, size, "%d|%i|%u|%d", -42, 0, 4294967295u, 2147483647);
    case 1: return log_snprintf(buf, size, "[%5d][%-5d][%05d][%+d][% d]", 42, 42, 42, 42, 42);
    case 2: return log_snprintf(buf, size, "%x %X %#x %#o %o %#x", 0xBEEFu, 0xBEEFu, 255u, 8u, 0u, 0u);
    case 3: return log_snprintf(buf, size, "%.3d|%8.3d|%-8.3x|%08.3d", 7, 7, 0xAu, 5);
    case 4: return log_snprintf(buf, size, "%s|%.3s|%8s|%-8s|%c%c", "hello", "hello", "abc", "abc", 'o', 'k');
    case 5: return log_snprintf(buf, size, "%p|%p|", (void *)0x1000, (void *)0xDEADBEEF);
    case 6: return log_snprintf(buf, size, "%*d|%-*d|%.*s", 6, -3, 4, 9, 2, "xyz");
    case 7: return log_snprintf(buf, size, "%%|%hd|%hhu|%ld|%s", 70000, 300, -1L, (const char *)0);
    case 8: return log_snprintf(buf, size, "%s", "truncated");
    case 9: return log_snprintf(buf, size, "%d|%.0d|%.0d%d|%05d|", (int)0x80000000u, 0, 0, 0, -7);
    default: return log_snprintf(buf, size, "%#X|%#06x|%#6x|%*c%3d", 0x7Fu, 1u, 0x1Fu, -3, '-', 7);
    }
}

static void self_check(void)
{
    char buf[CASE_MAX];
    for (unsigned n = 0; n < sizeof cases / sizeof cases[0]; n++) {
        int length = format_case(n, buf, cases[n].size);
        check(n, length == cases[n].length && strcmp(buf, cases[n].text) == 0);
    }
}

int main(void)
{
    self_check();
    for (unsigned round = 0; round < rounds; round++) {
        for (unsigned i = 1; i <= LINES_PER_ROUND; i++) {
            log_event();
            if (i % DRAIN_EVERY == 0)
                console_drain();
        }
        checkpoint(console_hash ^ lines_logged << 16 ^ lines_dropped);
    }
    return verdict();
}
