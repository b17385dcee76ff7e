/* Multiply and divide corner cases: high words, overflow forms, division by zero and
 * 0x80000000 / -1 (undefined results: QEMU is the oracle), with XER[SO] clear and set. */
    .macro T insn:vararg
    mtxer   5
    \insn
    .endm

    .text
    .globl main
main:
    lis     20, values@ha
    addi    20, 20, values@l
    li      21, 0
outer:
    li      22, 0
inner:
    lwzx    3, 20, 21
    lwzx    4, 20, 22
    li      5, 0
    li      25, 2
twice:
    T mullw   6, 3, 4
    T mullwo. 6, 3, 4
    T mulhw   6, 3, 4
    T mulhw.  6, 3, 4
    T mulhwu  6, 3, 4
    T mulhwu. 6, 3, 4
    T mulli   6, 3, -3
    T divw    6, 3, 4
    T divwo.  6, 3, 4
    T divw.   6, 3, 4
    T divwu   6, 3, 4
    T divwuo. 6, 3, 4
    T divwu.  6, 3, 4
    lis     5, 0x8000               /* second pass with SO set */
    addic.  25, 25, -1
    bne     twice
    addi    22, 22, 4
    cmpwi   22, 36
    blt     inner
    addi    21, 21, 4
    cmpwi   21, 36
    blt     outer
    b       _exit

    .data
values: .long 0, 1, -1, 0x80000000, 0x7fffffff, 3, -3, 0x10000, 0xdeadbeef
