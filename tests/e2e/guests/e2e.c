/* The guest of the end-to-end gdb sessions: recursion for backtraces, globals of every access
 * width for watchpoints, an atomic increment (lwarx/stwcx.), a loop to interrupt, UART output,
 * and an exit status. */
#include "uart.h"

volatile unsigned char byte_var;
volatile unsigned short half_var;
volatile unsigned int word_var = 7;
volatile unsigned int spin;     /* set to 1 from gdb to get a loop worth a Ctrl-C */
unsigned int ticks;
unsigned int atomic_count;
int results[4];

int factorial(int n)
{
    if (n <= 1)
        return 1;
    return n * factorial(n - 1);
}

int triple_plus_one(int x)
{
    int local = x * 3;
    return local + 1;
}

void touch_globals(void)
{
    byte_var = 0x12;
    half_var = 0x3456;
    word_var = 0x789abcde;
}

unsigned int read_globals(void)
{
    return byte_var + half_var + word_var;
}

void bump_atomically(void)
{
    __atomic_fetch_add(&atomic_count, 1, __ATOMIC_RELAXED);
}

int main(void)
{
    uart_puts("e2e guest start\n");
    results[0] = factorial(5);
    results[1] = triple_plus_one(7);
    touch_globals();
    results[2] = (int)read_globals();
    while (spin)
        ticks++;
    bump_atomically();
    uart_puts("e2e guest done\n");
    return results[0] == 120 && results[1] == 22 ? 0 : 1;
}
