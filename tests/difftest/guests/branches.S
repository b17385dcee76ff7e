/* Conditional branches with every BO value (including the ignored hint and "z" bits) on two
 * CR bits, for CR/CTR presets where the condition and CTR==0 go both ways; bc, bcl, bclr,
 * bclrl and bcctr (non-decrementing BO only), and a bdnz loop. Words are emitted with .long so
 * the assembler accepts every BO. */
    .macro BRANCHES bo, bi
    mtcrf   0xff, 3
    mtctr   4
    .long   (16 << 26) | (\bo << 21) | (\bi << 16) | 8          /* bc bo,bi,.+8 */
    addi    10, 10, 1
    .long   (16 << 26) | (\bo << 21) | (\bi << 16) | 8 | 1      /* bcl */
    addi    10, 10, 1
    bl      1f
1:  mflr    11
    addi    11, 11, 20
    mtlr    11
    .long   (19 << 26) | (\bo << 21) | (\bi << 16) | (16 << 1)      /* bclr */
    addi    10, 10, 1
    mtlr    11
    addi    11, 11, 16
    mtlr    11
    .long   (19 << 26) | (\bo << 21) | (\bi << 16) | (16 << 1) | 1  /* bclrl */
    addi    10, 10, 1
    .if     (\bo & 4)
    bl      2f
2:  mflr    11
    addi    11, 11, 16
    mtctr   11
    .long   (19 << 26) | (\bo << 21) | (\bi << 16) | (528 << 1)     /* bcctr */
    addi    10, 10, 1
    .endif
    .endm

    .text
    .globl main
main:
    lis     20, presets@ha
    addi    20, 20, presets@l
    li      21, 0
    li      10, 0
loop:
    lwzx    3, 20, 21
    addi    22, 21, 4
    lwzx    4, 20, 22
    .irp bo, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    BRANCHES \bo, 2
    BRANCHES \bo, 29
    .endr
    addi    21, 21, 8
    cmpwi   21, 48
    blt     loop
    li      5, 5
    mtctr   5
3:  addi    10, 10, 3
    bdnz    3b
    mtctr   5
4:  cmpwi   10, 1000
    bdnzt   lt, 4b
    b       _exit

    .data
presets: .long 0, 1,  0xffffffff, 2,  0x20000004, 1,  0xdffffffb, 3,  0x20000000, 0,  0x00000004, 0x10000
