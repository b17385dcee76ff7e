/* The demo guest served by `gdbstub serve --demo`: a few functions worth a breakpoint, a
 * global worth a watchpoint, and UART output to show it runs. */
#include "uart.h"

volatile unsigned int counter;
int squares[8];

static void put_dec(unsigned int v)
{
    char buf[11];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        uart_putc(buf[--i]);
}

int square(int x)
{
    return x * x;
}

int fill_squares(int n)
{
    int sum = 0;
    for (int i = 0; i < n; i++) {
        squares[i] = square(i);
        sum += squares[i];
        counter++;
    }
    return sum;
}

int main(void)
{
    uart_puts("booke-gdbstub demo guest\n");
    for (int round = 0; round < 3; round++) {
        int sum = fill_squares(8);
        uart_puts("sum of squares = ");
        put_dec((unsigned int)sum);
        uart_puts("\n");
    }
    return 0;
}
