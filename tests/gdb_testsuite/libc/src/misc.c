/* Conversions, character classes and the POSIX calls a bare machine answers trivially. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int errno;

int isdigit(int c) { return c >= '0' && c <= '9'; }
int isspace(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
int isupper(int c) { return c >= 'A' && c <= 'Z'; }
int islower(int c) { return c >= 'a' && c <= 'z'; }
int isalpha(int c) { return isupper(c) || islower(c); }
int isalnum(int c) { return isalpha(c) || isdigit(c); }
int isprint(int c) { return c >= 0x20 && c < 0x7f; }
int toupper(int c) { return islower(c) ? c - 'a' + 'A' : c; }
int tolower(int c) { return isupper(c) ? c - 'A' + 'a' : c; }

unsigned long strtoul(const char *s, char **end, int base)
{
    while (isspace(*s))
        s++;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2, base = 16;
    else if (base == 0)
        base = *s == '0' ? 8 : 10;
    unsigned long value = 0;
    for (;; s++) {
        int digit = isdigit(*s) ? *s - '0' : isalpha(*s) ? tolower(*s) - 'a' + 10 : base;
        if (digit >= base)
            break;
        value = value * base + digit;
    }
    if (end)
        *end = (char *)s;
    return value;
}

long strtol(const char *s, char **end, int base)
{
    while (isspace(*s))
        s++;
    int negative = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    long value = (long)strtoul(s, end, base);
    return negative ? -value : value;
}

long atol(const char *s) { return strtol(s, 0, 10); }
int atoi(const char *s) { return (int)strtol(s, 0, 10); }
int abs(int n) { return n < 0 ? -n : n; }
long labs(long n) { return n < 0 ? -n : n; }
char *getenv(const char *name) { (void)name; return 0; }

/* There is no timer to wait on and no clock to pace by: pauses return at once. */
unsigned int alarm(unsigned int seconds) { (void)seconds; return 0; }
unsigned int sleep(unsigned int seconds) { (void)seconds; return 0; }
int usleep(unsigned int usec) { (void)usec; return 0; }
pid_t getpid(void) { return 1; }
