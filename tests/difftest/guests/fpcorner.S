/* Floating-point corner cases under all four rounding modes: signed zeros, infinities, quiet
 * and signalling NaNs, denormals, overflow, integer conversion out of range; FPSCR status bits
 * (cleared before every pair), record forms (CR1) and compares. Exceptions stay disabled. */
    .text
    .globl main
main:
    lis     20, values@ha
    addi    20, 20, values@l
    li      24, 0                   /* rounding mode */
modes:
    li      21, 0
outer:
    li      22, 0
inner:
    lfdx    1, 20, 21
    lfdx    2, 20, 22
    lfd     3, 16(20)               /* 1.5 */
    mtfsf   0xff, 31                /* f31 is +0.0: clear the FPSCR ... */
    mtfsfi  7, 0
    cmpwi   24, 1                   /* ... and select the rounding mode */
    blt     1f
    mtfsb1  31
    beq     1f
    mtfsb0  31
    mtfsb1  30
    cmpwi   24, 3
    blt     1f
    mtfsb1  31
1:  fadd    4, 1, 2
    fsub.   4, 1, 2
    fmul    4, 1, 2
    fdiv.   4, 1, 2
    fmadd   4, 1, 2, 3
    fnmsub. 4, 1, 3, 2
    fadds   4, 1, 2
    fmuls   4, 1, 2
    fdivs   4, 2, 1
    frsp.   4, 1
    fctiw   4, 1
    fctiwz. 4, 2
    fcmpu   2, 1, 2
    fcmpo   5, 2, 1
    fabs    4, 1
    fnabs.  4, 2
    fneg    4, 1
    fmr.    4, 2
    mffs    5
    stfd    5, 0(1)
    addi    22, 22, 8
    cmpwi   22, 80
    blt     inner
    addi    21, 21, 8
    cmpwi   21, 80
    blt     outer
    addi    24, 24, 1
    cmpwi   24, 4
    blt     modes
    b       _exit

    .data
    .balign 8
values: .quad 0x0000000000000000    /* +0 */
        .quad 0x8000000000000000    /* -0 */
        .quad 0x3ff8000000000000    /* 1.5 */
        .quad 0xc004000000000000    /* -2.5 */
        .quad 0x7ff0000000000000    /* +inf */
        .quad 0x7ff8000000000000    /* qNaN */
        .quad 0x7ff4000000000000    /* sNaN */
        .quad 0x000fffffffffffff    /* largest denormal */
        .quad 0x7fefffffffffffff    /* largest finite */
        .quad 0x41e0000000200000    /* 2^31 + 1: out of int range */
