/* Shifts by every amount 0..63 (and with the ignored high bits of rB set), rotates with masks
 * that wrap, sign extension, count leading zeros and the logical family with Rc=1. */
    .text
    .globl main
main:
    lis     20, values@ha
    addi    20, 20, values@l
    li      21, 0
values_loop:
    lwzx    3, 20, 21
    li      8, 0
shift_loop:
    ori     9, 8, 0
    oris    9, 9, 0xffff            /* the same amount with the ignored high bits set */
    ori     9, 9, 0xffc0
    slw     6, 3, 8
    srw.    6, 3, 8
    sraw    6, 3, 8
    sraw.   6, 3, 9
    slw.    6, 3, 9
    rlwnm   6, 3, 8, 20, 4
    rlwnm.  6, 3, 9, 0, 31
    addi    8, 8, 1
    cmpwi   8, 64
    blt     shift_loop
    rlwinm  6, 3, 5, 28, 3          /* mask wraps */
    rlwinm. 6, 3, 31, 31, 0
    rlwinm  6, 3, 0, 16, 15
    mr      7, 3
    rlwimi  7, 4, 12, 30, 1
    rlwimi. 7, 3, 20, 8, 23
    srawi   6, 3, 0
    srawi.  6, 3, 31
    srawi   6, 3, 17
    cntlzw  6, 3
    cntlzw. 6, 3
    extsb.  6, 3
    extsh.  6, 3
    and.    6, 3, 4
    andc.   6, 3, 4
    nand.   6, 3, 4
    nor.    6, 3, 4
    eqv.    6, 3, 4
    orc.    6, 3, 4
    xor.    6, 3, 4
    andi.   6, 3, 0x8001
    andis.  6, 3, 0x8001
    mr      4, 3
    addi    21, 21, 4
    cmpwi   21, 28
    blt     values_loop
    b       _exit

    .data
values: .long 0, 1, 0x80000000, 0xffffffff, 0x12345678, 0x0000ff80, 0x7fffffff
