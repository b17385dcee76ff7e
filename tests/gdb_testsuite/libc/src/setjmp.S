/* setjmp/longjmp: jmp_buf holds LR, r1, r2, CR, r13-r31 (from offset 16) and f14-f31
 * (from offset 96), the registers a PowerPC SVR4 caller expects to find unchanged. */
    .text
    .globl setjmp
    .type setjmp, @function
setjmp:
    mflr    0
    stw     0, 0(3)
    stw     1, 4(3)
    stw     2, 8(3)
    mfcr    0
    stw     0, 12(3)
    stmw    13, 16(3)
    .irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    stfd    \n, 96+(\n-14)*8(3)
    .endr
    li      3, 0
    blr
    .size setjmp, .-setjmp

    .globl longjmp
    .type longjmp, @function
longjmp:
    lwz     0, 0(3)
    mtlr    0
    lwz     1, 4(3)
    lwz     2, 8(3)
    lwz     0, 12(3)
    mtcrf   0xff, 0
    .irp n, 14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    lfd     \n, 96+(\n-14)*8(3)
    .endr
    lmw     13, 16(3)
    mr.     3, 4
    bnelr
    li      3, 1
    blr
    .size longjmp, .-longjmp

    .section .note.GNU-stack,"",@progbits
