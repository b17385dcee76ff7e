/* printf and friends. Every stream is the UART, unbuffered; there is no input.
 *
 * The formatter handles what C test programs print: flags (-+ #0), width and precision (also
 * '*'), the length modifiers hh h l ll j z t L, and d i u o x X c s p n % f F e E g G. Floating
 * point is printed from double with correct digits for the usual precisions (it is not a
 * correctly rounded decimal conversion for every value). */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "uart.h"

struct booke_file {
    int fd;
};

static FILE streams[3] = {{0}, {1}, {2}};
FILE *stdin = &streams[0], *stdout = &streams[1], *stderr = &streams[2];

ssize_t write(int fd, const void *buf, size_t count)
{
    if (fd != 1 && fd != 2)
        return -1;
    const char *p = buf;
    for (size_t i = 0; i < count; i++)
        uart_putc(p[i]);
    return (ssize_t)count;
}

/* There is no input: every read is at end of file. */
ssize_t read(int fd, void *buf, size_t count)
{
    (void)fd, (void)buf, (void)count;
    return 0;
}

int isatty(int fd) { (void)fd; return 0; }
int fileno(FILE *stream) { return stream->fd; }
int fflush(FILE *stream) { (void)stream; return 0; }
int setvbuf(FILE *stream, char *buf, int mode, size_t size) { (void)stream, (void)buf, (void)mode, (void)size; return 0; }
void setbuf(FILE *stream, char *buf) { (void)stream, (void)buf; }
int getchar(void) { return EOF; }

int fputc(int c, FILE *stream)
{
    char ch = (char)c;
    return write(stream->fd, &ch, 1) == 1 ? (unsigned char)c : EOF;
}

int putc(int c, FILE *stream) { return fputc(c, stream); }
int putchar(int c) { return fputc(c, stdout); }

int fputs(const char *s, FILE *stream)
{
    return write(stream->fd, s, strlen(s)) < 0 ? EOF : 0;
}

int puts(const char *s)
{
    return fputs(s, stdout) == EOF ? EOF : putchar('\n');
}

void perror(const char *s)
{
    if (s && *s)
        fprintf(stderr, "%s: ", s);
    fputs("error\n", stderr);
}

/* --- the formatter: writes through a sink that either prints or fills a buffer ---------- */

struct sink {
    FILE *stream;   /* print here, or, when null, */
    char *buf;      /* store up to size - 1 characters here */
    size_t size;
    size_t count;   /* characters produced so far */
};

static void emit(struct sink *out, char c)
{
    if (out->stream)
        fputc(c, out->stream);
    else if (out->count + 1 < out->size)
        out->buf[out->count] = c;
    out->count++;
}

static void emit_padding(struct sink *out, char c, int n)
{
    while (n-- > 0)
        emit(out, c);
}

struct spec {
    int left, plus, space, alt, zero;
    int width, precision; /* precision < 0: none given */
};

/* Emit sign/prefix, then digits, padded to the width as the flags ask. */
static void emit_field(struct sink *out, const struct spec *sp, const char *prefix,
                       const char *digits, int ndigits, int min_digits)
{
    int nprefix = (int)strlen(prefix);
    int zeros = min_digits > ndigits ? min_digits - ndigits : 0;
    int pad = sp->width - nprefix - zeros - ndigits;
    if (!sp->left && !sp->zero)
        emit_padding(out, ' ', pad);
    while (*prefix)
        emit(out, *prefix++);
    if (!sp->left && sp->zero)
        emit_padding(out, '0', pad);
    emit_padding(out, '0', zeros);
    for (int i = 0; i < ndigits; i++)
        emit(out, digits[i]);
    if (sp->left)
        emit_padding(out, ' ', pad);
}

static void format_integer(struct sink *out, struct spec *sp, unsigned long long value,
                           int negative, int base, int upper)
{
    char digits[24];
    int n = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (unsigned long long v = value; v; v /= base)
        digits[n++] = set[v % base];
    if (sp->precision != 0 && n == 0)
        digits[n++] = '0';
    for (int i = 0; i < n / 2; i++) {
        char t = digits[i];
        digits[i] = digits[n - 1 - i];
        digits[n - 1 - i] = t;
    }
    const char *prefix = negative ? "-" : sp->plus ? "+" : sp->space ? " " : "";
    if (sp->alt && base == 16 && value)
        prefix = upper ? "0X" : "0x";
    int min_digits = sp->precision;
    if (sp->alt && base == 8 && (n == 0 || digits[0] != '0'))
        min_digits = n + 1;
    if (sp->precision >= 0)
        sp->zero = 0;
    emit_field(out, sp, prefix, digits, n, min_digits);
}

/* Decimal digits of value (>= 0) with `decimals` digits after the point, into buf. */
static int fixed_digits(char *buf, int cap, double value, int decimals, int alt)
{
    double rounding = 0.5;
    for (int i = 0; i < decimals; i++)
        rounding /= 10;
    value += rounding;
    double scale = 1;
    int int_digits = 1;
    while (value >= scale * 10 && int_digits < 308)
        scale *= 10, int_digits++;
    int n = 0;
    for (int i = 0; i < int_digits && n < cap - 1; i++) {
        int d = (int)(value / scale);
        if (d > 9)
            d = 9;
        buf[n++] = (char)('0' + d);
        value -= d * scale;
        scale /= 10;
    }
    if ((decimals > 0 || alt) && n < cap - 1)
        buf[n++] = '.';
    for (int i = 0; i < decimals && n < cap - 1; i++) {
        value *= 10;
        int d = (int)value;
        if (d > 9)
            d = 9;
        buf[n++] = (char)('0' + d);
        value -= d;
    }
    return n;
}

static double power_of_ten(int n)
{
    double p = 1;
    for (; n > 0; n--)
        p *= 10;
    for (; n < 0; n++)
        p /= 10;
    return p;
}

/* Scale value (> 0) into [1, 10) and return the decimal exponent. */
static int decimal_exponent(double *value)
{
    int exp10 = 0;
    while (*value >= 10)
        *value /= 10, exp10++;
    while (*value < 1)
        *value *= 10, exp10--;
    return exp10;
}

static int exponent_digits(char *buf, int n, int exp10, int upper)
{
    buf[n++] = upper ? 'E' : 'e';
    buf[n++] = exp10 < 0 ? '-' : '+';
    if (exp10 < 0)
        exp10 = -exp10;
    if (exp10 >= 100)
        buf[n++] = (char)('0' + exp10 / 100);
    buf[n++] = (char)('0' + exp10 / 10 % 10);
    buf[n++] = (char)('0' + exp10 % 10);
    return n;
}

static int strip_zeros(char *buf, int n)
{
    int point = -1;
    for (int i = 0; i < n; i++)
        if (buf[i] == '.')
            point = i;
    if (point < 0)
        return n;
    while (n > point + 1 && buf[n - 1] == '0')
        n--;
    return n == point + 1 ? point : n;
}

static void format_float(struct sink *out, struct spec *sp, double value, char conv)
{
    int upper = conv == 'F' || conv == 'E' || conv == 'G';
    int negative = value < 0 || (value == 0 && 1 / value < 0);
    const char *prefix = negative ? "-" : sp->plus ? "+" : sp->space ? " " : "";
    if (negative)
        value = -value;
    char buf[352];
    int n;
    if (value != value || value > 1.7976931348623157e308) {
        sp->zero = 0;
        emit_field(out, sp, prefix, value != value ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"), 3, 0);
        return;
    }
    int precision = sp->precision < 0 ? 6 : sp->precision;
    char kind = (char)(conv | 0x20);
    if (kind == 'g') {
        if (precision == 0)
            precision = 1;
        double scaled = value;
        int exp10 = value == 0 ? 0 : decimal_exponent(&scaled);
        /* rounding to `precision` digits may carry into the next power of ten */
        double rounded = scaled + 0.5 * power_of_ten(1 - precision);
        if (rounded >= 10)
            exp10++;
        if (exp10 < -4 || exp10 >= precision)
            kind = 'e', precision -= 1;
        else
            kind = 'f', precision -= 1 + exp10;
    }
    if (kind == 'f') {
        n = fixed_digits(buf, (int)sizeof buf - 8, value, precision, sp->alt);
    } else {
        int exp10 = 0;
        if (value != 0) {
            exp10 = decimal_exponent(&value);
            double rounded = value + 0.5 * power_of_ten(-precision);
            if (rounded >= 10)
                value /= 10, exp10++;
        }
        n = fixed_digits(buf, (int)sizeof buf - 8, value, precision, sp->alt);
        if ((conv | 0x20) == 'g' && !sp->alt)
            n = strip_zeros(buf, n);
        n = exponent_digits(buf, n, exp10, upper);
        emit_field(out, sp, prefix, buf, n, 0);
        return;
    }
    if ((conv | 0x20) == 'g' && !sp->alt)
        n = strip_zeros(buf, n);
    emit_field(out, sp, prefix, buf, n, 0);
}

static int format(struct sink *out, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(out, *fmt);
            continue;
        }
        struct spec sp = {0, 0, 0, 0, 0, 0, -1};
        for (;; fmt++) {
            char f = fmt[1];
            if (f == '-') sp.left = 1;
            else if (f == '+') sp.plus = 1;
            else if (f == ' ') sp.space = 1;
            else if (f == '#') sp.alt = 1;
            else if (f == '0') sp.zero = 1;
            else break;
        }
        fmt++;
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0)
                sp.left = 1, sp.width = -sp.width;
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            sp.width = sp.width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                sp.precision = sp.precision * 10 + (*fmt++ - '0');
        }
        int longs = 0, shorts = 0, long_double = 0;
        for (;; fmt++) {
            if (*fmt == 'l') longs++;
            else if (*fmt == 'h') shorts++;
            else if (*fmt == 'j' || *fmt == 'q') longs = 2;
            else if (*fmt == 'z' || *fmt == 't') longs = 1;
            else if (*fmt == 'L') long_double = 1;
            else break;
        }
        char conv = *fmt;
        if (!conv)
            break;
        switch (conv) {
        case 'd': case 'i': {
            long long v = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
            if (shorts == 1) v = (short)v;
            if (shorts >= 2) v = (signed char)v;
            format_integer(out, &sp, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0, 10, 0);
            break;
        }
        case 'u': case 'o': case 'x': case 'X': {
            unsigned long long v = longs >= 2 ? va_arg(ap, unsigned long long)
                                 : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            if (shorts == 1) v = (unsigned short)v;
            if (shorts >= 2) v = (unsigned char)v;
            sp.plus = sp.space = 0;
            format_integer(out, &sp, v, 0, conv == 'u' ? 10 : conv == 'o' ? 8 : 16, conv == 'X');
            break;
        }
        case 'p':
            sp.alt = 1;
            format_integer(out, &sp, (unsigned long)va_arg(ap, void *), 0, 16, 0);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_field(out, &sp, "", &c, 1, 0);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = 0;
            while (s[n] && (sp.precision < 0 || n < sp.precision))
                n++;
            sp.zero = 0;
            emit_field(out, &sp, "", s, n, 0);
            break;
        }
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
            format_float(out, &sp, long_double ? (double)va_arg(ap, long double) : va_arg(ap, double), conv);
            break;
        case 'n':
            *va_arg(ap, int *) = (int)out->count;
            break;
        default:
            emit(out, conv);
        }
    }
    if (!out->stream && out->size)
        out->buf[out->count < out->size ? out->count : out->size - 1] = 0;
    return (int)out->count;
}

int vfprintf(FILE *stream, const char *fmt, va_list ap)
{
    struct sink out = {stream, 0, 0, 0};
    return format(&out, fmt, ap);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink out = {0, buf, size, 0};
    return format(&out, fmt, ap);
}

int vprintf(const char *fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }
int vsprintf(char *buf, const char *fmt, va_list ap) { return vsnprintf(buf, (size_t)-1 / 2, fmt, ap); }

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

int fprintf(FILE *stream, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stream, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
