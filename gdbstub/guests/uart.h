/* Polled output on the MPC8544DS's first 16550 UART (0xE0004500), as QEMU models it. */
#ifndef GUEST_UART_H
#define GUEST_UART_H
#define UART_THR ((volatile unsigned char *)0xE0004500)
#define UART_LSR ((volatile unsigned char *)0xE0004505)
#define UART_LSR_THRE 0x20

static inline void uart_putc(char c)
{
    while (!(*UART_LSR & UART_LSR_THRE))
        ;
    *UART_THR = (unsigned char)c;
}

static inline void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}
#endif
