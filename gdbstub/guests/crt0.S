/* Start-up code shared by the C guests: stack, .bss cleared, FPU on, call main, then halt.
 *
 * Halting writes HRESET_REQ to the MPC8544 GUTS reset register (0xE00E00B0), which
 * ends qemu-system-ppc -no-reboot and makes booke-gdbstub report W<r3 & 0xff>. */
    .section .text.start,"ax"
    .globl _start
_start:
    lis     1, __stack_top@ha
    addi    1, 1, __stack_top@l
    li      0, 0
    stwu    0, -16(1)
    lis     3, __bss_start@ha   /* zero .bss a word at a time: the loaders zero it too, but */
    addi    3, 3, __bss_start@l /* a guest restarted by a jump to _start must not see old data */
    lis     4, __bss_end@ha
    addi    4, 4, __bss_end@l
2:  cmplw   3, 4
    bge     3f
    stw     0, 0(3)
    addi    3, 3, 4
    b       2b
3:
    mfmsr   3
    ori     3, 3, 0x2000        /* MSR[FP] */
    mtmsr   3
    isync
    bl      main
    .globl  _exit
_exit:
    lis     4, 0xe00e
    li      5, 2
    stw     5, 0xb0(4)
1:  b       1b
