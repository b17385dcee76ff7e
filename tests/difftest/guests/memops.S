/* Memory instructions beyond plain loads/stores: lmw/stmw, lwarx/stwcx. success and failure,
 * update and indexed forms, byte-reversed and sign-extending accesses, dcbz. */
    .text
    .globl main
main:
    lis     20, area@ha
    addi    20, 20, area@l
    lis     3, 0x0102
    ori     3, 3, 0x8384
    li      21, 0
fill:
    stwx    3, 20, 21
    addi    3, 3, 0x0404
    addi    21, 21, 4
    cmpwi   21, 256
    blt     fill
    mr      12, 20                  /* lmw must not load its base register */
    lmw     18, 8(12)
    addi    31, 31, 7
    stmw    25, 160(12)
    lmw     29, 164(12)
    li      5, 64
    lwarx   6, 20, 5
    addi    6, 6, 1
    stwcx.  6, 20, 5                /* succeeds */
    mfcr    7
    stwcx.  6, 20, 5                /* no reservation any more: fails */
    mfcr    7
    lwarx   6, 20, 5
    li      8, 68
    stwcx.  6, 20, 8                /* a different address */
    mfcr    7
    lbzu    6, 3(20)
    lhau    6, 2(20)
    lhzu    6, 2(20)
    lwzu    6, 4(20)
    li      8, 5
    lbzux   6, 20, 8
    lhax    6, 20, 8
    lhbrx   6, 20, 8
    lwbrx   6, 0, 20
    sthbrx  3, 20, 8
    stwbrx  3, 0, 20
    sthu    3, 2(20)
    stbu    3, 1(20)
    stwu    3, -7(20)
    li      8, 12
    stwux   3, 20, 8
    stbux   3, 20, 8
    lha     6, 0(20)
    lha     6, -1(20)
    lwz     6, -3(20)
    lis     20, area@ha
    addi    20, 20, area@l
    li      8, 192
    dcbz    20, 8
    li      8, 100
    dcbz    20, 8                   /* not line-aligned */
    mr      12, 20
    lmw     24, 128(12)
    b       _exit

    .data
    .balign 64
area:   .space 256
