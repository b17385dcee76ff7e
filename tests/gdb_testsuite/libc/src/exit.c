/* exit, atexit and abort. _exit is crt0's halt: the reset request that ends the program. */
#include <stdio.h>
#include <stdlib.h>

#define MAX_ATEXIT 32

static void (*atexit_handlers[MAX_ATEXIT])(void);
static int atexit_count;

int atexit(void (*fn)(void))
{
    if (atexit_count == MAX_ATEXIT)
        return -1;
    atexit_handlers[atexit_count++] = fn;
    return 0;
}

void exit(int status)
{
    while (atexit_count > 0)
        atexit_handlers[--atexit_count]();
    _exit(status);
}

/* There are no signals: abort ends the program with the status a shell shows for SIGABRT. */
void abort(void)
{
    fputs("abort\n", stderr);
    _exit(134);
}

void __assert_fail(const char *expr, const char *file, int line, const char *func)
{
    fprintf(stderr, "%s:%d: %s: assertion `%s' failed\n", file, line, func, expr);
    abort();
}
