/* Invalid forms as QEMU decodes them: mulhw(u) with OE=1, mfspr/mftb with Rc=1 and
 * mfcr/mtcrf with Rc or bit 11 set are illegal (IVOR6) while mtspr ignores Rc; mfocrf/mtocrf
 * whose FXM has not exactly one bit set change nothing; mtfsf/mtfsfi with W=1 take FP Unavailable (IVOR7) rather than Program when
 * MSR[FP]=0. The handlers count interrupts in r20, copy SRR0 (and ESR) into GPRs and skip the
 * instruction; the program handler returns with the MSR tracked in r25 (see interrupts.S for
 * why it ignores SRR1), so also to supervisor mode, the FP-unavailable one with SRR1 as it is. */
    .macro  XO rt, ra, rb, oe, xo, rc
    .long   (31 << 26) | (\rt << 21) | (\ra << 16) | (\rb << 11) | (\oe << 10) | (\xo << 1) | \rc
    .endm
    .macro  XFX rt, spr, xo
    .long   (31 << 26) | (\rt << 21) | ((\spr & 31) << 16) | ((\spr >> 5) << 11) | (\xo << 1) | 1
    .endm
    .macro  OCRF rt, fxm, xo
    .long   (31 << 26) | (\rt << 21) | (1 << 20) | (\fxm << 12) | (\xo << 1)
    .endm
    .macro  MTFSF flm, w, frb
    .long   (63 << 26) | (\flm << 17) | (\w << 16) | (\frb << 11) | (711 << 1)
    .endm
    .macro  MTFSFI bf, w, u
    .long   (63 << 26) | (\bf << 23) | (\w << 16) | (\u << 12) | (134 << 1)
    .endm

    .text
    .globl main
main:
    lis     3, 0x0010               /* IVPR: the 64 KiB block holding the handlers */
    mtspr   63, 3
    li      3, program - 0x100000
    mtspr   406, 3                  /* IVOR6 */
    li      3, fp_unavailable - 0x100000
    mtspr   407, 3                  /* IVOR7 */
    li      20, 0
    mfmsr   25
    lis     3, 0x8765
    ori     3, 3, 0x4321
    lis     4, 0x7fff
    ori     4, 4, 0xfff3
    li      6, 0x5a5
    XO      6, 3, 4, 1, 75, 0       /* mulhwo */
    XO      6, 3, 4, 1, 75, 1       /* mulhwo. */
    XO      6, 3, 4, 1, 11, 0       /* mulhwuo */
    XO      6, 3, 4, 1, 11, 1       /* mulhwuo. */
    mtlr    3
    XFX     6, 8, 339               /* mfspr. 6, LR */
    XFX     4, 8, 467               /* mtspr. LR, 4: executed */
    XFX     6, 268, 371             /* mftb. 6 */
    lis     8, user@ha
    addi    8, 8, user@l
    mtsrr0  8
    ori     8, 25, 0x4000           /* MSR[PR] */
    mtsrr1  8
    rfi
user:
    XFX     6, 26, 339              /* mfspr. 6, SRR0 in user mode: illegal, not privileged */
    mflr    7
    mtcr    3
    OCRF    6, 0x00, 19             /* mfocrf 6 with no field */
    OCRF    6, 0x81, 19             /* ... two fields */
    OCRF    6, 0xff, 19             /* ... all fields */
    OCRF    6, 0x04, 19             /* one field: CR5 */
    OCRF    4, 0x00, 144            /* mtocrf with no field */
    OCRF    4, 0x81, 144            /* ... two fields */
    OCRF    4, 0xff, 144            /* ... all fields */
    OCRF    4, 0x10, 144            /* one field: CR3 */
    mfcr    7
    .long   (31 << 26) | (6 << 21) | (19 << 1) | 1                          /* mfcr. 6 */
    .long   (31 << 26) | (6 << 21) | (1 << 11) | (19 << 1)                  /* mfcr 6, bit 11 set */
    .long   (31 << 26) | (4 << 21) | (0xff << 12) | (144 << 1) | 1          /* mtcrf. 0xff,4 */
    .long   (31 << 26) | (4 << 21) | (0xff << 12) | (1 << 11) | (144 << 1)  /* mtcrf, bit 11 set */
    mfcr    8
    MTFSF   0xff, 1, 0              /* W=1 with FP on: illegal */
    MTFSFI  7, 1, 5
    xori    25, 25, 0x2000          /* MSR[FP] off */
    mtmsr   25
    isync
    MTFSF   0xff, 1, 0              /* W=1 with FP off: FP unavailable first */
    MTFSFI  7, 1, 5
    MTFSF   0xff, 0, 0              /* W=0 with FP off */
    xori    25, 25, 0x2000
    mtmsr   25
    isync
    mr      3, 20
    b       _exit

    .balign 16
program:
    addi    20, 20, 1
    mfsrr0  21
    mfspr   23, 62                  /* ESR */
    addi    21, 21, 4
    mtsrr0  21
    mtsrr1  25
    rfi

    .balign 16
fp_unavailable:
    addi    20, 20, 0x100
    mfsrr0  22
    addi    22, 22, 4
    mtsrr0  22
    rfi
