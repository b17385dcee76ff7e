/* Console input whose timing matters: each byte read is mixed into a digest with the number
 * of polls it took to arrive, so a replay that fed it at another instruction count would end
 * with another digest. Echoes what it reads; halts after eight bytes. */
#include "uart.h"

#define UART_RBR ((volatile unsigned char *)0xE0004500)
#define UART_LSR_DR 0x01

volatile unsigned int digest;
volatile unsigned int received;

int main(void)
{
    unsigned int polls = 0;
    while (received < 8) {
        polls++;
        if (*UART_LSR & UART_LSR_DR) {
            unsigned char c = *UART_RBR;
            digest = digest * 31 + c + polls;
            received++;
            uart_putc((char)c);
        }
    }
    return (int)(digest & 0xff);
}
