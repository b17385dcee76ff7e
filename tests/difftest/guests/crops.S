/* CR traffic: mtcrf masks, mfcr, mcrf, mcrxr, the CR logical ops, compares into every field,
 * isel on a range of CR bits. */
    .text
    .globl main
main:
    lis     20, values@ha
    addi    20, 20, values@l
    li      21, 0
loop:
    lwzx    3, 20, 21
    lwzu    4, 4(20)
    addi    20, 20, -4
    mtcrf   0xff, 3
    mfcr    6
    mtcrf   0x81, 4
    mtcrf   0x3c, 3
    mfcr    6
    mcrf    0, 7
    mcrf    5, 2
    crand   0, 5, 31
    cror    7, 8, 9
    crxor   12, 12, 3
    crnand  31, 0, 0
    crnor   2, 17, 22
    creqv   4, 4, 28
    crandc  19, 1, 30
    crorc   27, 14, 6
    crset   10
    crclr   11
    crnot   20, 20
    mfcr    6
    cmpw    3, 4
    cmpw    7, 4, 3
    cmplw   1, 3, 4
    cmpwi   2, 3, -1
    cmplwi  6, 3, 0x8000
    cmpwi   5, 4, 0
    mfcr    6
    isel    6, 3, 4, 0
    isel    6, 3, 4, 13
    isel    6, 0, 4, 30
    isel    6, 4, 3, 22
    lis     5, 0xe000
    mtxer   5
    mcrxr   3
    mfxer   6
    mfcr    6
    addi    21, 21, 4
    cmpwi   21, 24
    blt     loop
    b       _exit

    .data
values: .long 0, 0xffffffff, 0x80000000, 0x12345678, 0x7fffffff, 1, 0xa5a5a5a5
