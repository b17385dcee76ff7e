/* Carry, overflow and CR0 corner cases of the add/subtract family, with XER preset to
 * {nothing, CA, SO|OV} before every instruction, over all pairs of a table of values. */
    .macro T insn:vararg
    mtxer   5
    \insn
    .endm

    .text
    .globl main
main:
    lis     20, values@ha
    addi    20, 20, values@l
    li      21, 0                   /* i * 4 */
outer:
    li      22, 0                   /* j * 4 */
inner:
    lwzx    3, 20, 21
    lwzx    4, 20, 22
    li      23, 0                   /* k * 4 over xer presets */
presets:
    lis     24, xers@ha
    addi    24, 24, xers@l
    lwzx    5, 24, 23
    T addc    6, 3, 4
    T addco.  6, 3, 4
    T adde    6, 3, 4
    T addeo.  6, 3, 4
    T subfc   6, 3, 4
    T subfco. 6, 3, 4
    T subfe   6, 3, 4
    T subfeo. 6, 3, 4
    T addme   6, 3
    T addmeo. 6, 3
    T addze   6, 3
    T addzeo. 6, 3
    T subfme  6, 3
    T subfmeo. 6, 3
    T subfze  6, 3
    T subfzeo. 6, 3
    T nego.   6, 3
    T addo.   6, 3, 4
    T subfo.  6, 3, 4
    T addic.  6, 3, -1
    T addic   6, 4, 0x7fff
    T subfic  6, 3, -32768
    T add.    6, 3, 4
    T subf.   6, 4, 3
    addi    23, 23, 4
    cmpwi   23, 12
    blt     presets
    addi    22, 22, 4
    cmpwi   22, 24
    blt     inner
    addi    21, 21, 4
    cmpwi   21, 24
    blt     outer
    b       _exit

    .data
values: .long 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x80000001
xers:   .long 0, 0x20000000, 0xc0000000
