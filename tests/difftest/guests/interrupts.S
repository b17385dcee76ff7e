/* Interrupt entry and return: sc (IVOR8), program interrupts from tw/twi and an illegal
 * instruction (IVOR6), an alignment interrupt from an unaligned lwarx (IVOR5) and FP
 * unavailable (IVOR7). The handlers copy SRR0/SRR1/ESR/DEAR into GPRs so they are compared,
 * step past the cause and rfi; the program handler toggles MSR[FP] through SRR1, so the
 * final fmr traps as FP unavailable, whose handler turns FP back on and retries it.
 *
 * QEMU's BookE program interrupt ORs the Book S reason bits 0x000E0000 into SRR1 (the e500mc
 * manual says SRR1 <- MSR), so the program handler never reads SRR1: it returns with the MSR
 * the guest tracks in r25. QEMU also leaves ESR untouched on an alignment interrupt (the
 * manual clears it for a load), so the guest clears ESR before the unaligned lwarx. */
    .text
    .globl main
main:
    lis     3, 0x0010               /* IVPR: the 64 KiB block holding the handlers */
    mtspr   63, 3                   /* IVPR */
    li      3, program - 0x100000
    mtspr   406, 3                  /* IVOR6 */
    li      3, syscall - 0x100000
    mtspr   408, 3                  /* IVOR8 */
    li      3, alignment - 0x100000
    mtspr   405, 3                  /* IVOR5 */
    li      3, fp_unavailable - 0x100000
    mtspr   407, 3                  /* IVOR7 */
    li      20, 0
    mfmsr   25
    li      3, 0x1234
    mtsprg  0, 3
    mtsprg  3, 20
    mfsprg  4, 0
    sc
    sc
    tw      31, 0, 0                /* trap always */
    twi     4, 3, 0x1234            /* trap if equal: taken */
    twi     8, 3, 0x1234            /* trap if signed greater: not taken */
    .long   0                       /* illegal instruction */
    lis     5, area@ha
    addi    5, 5, area@l + 2
    li      6, 0
    mtspr   62, 6                   /* ESR */
    lwarx   6, 0, 5                 /* unaligned reservation */
    mfmsr   7
    fmr     1, 1                    /* the program handler turned MSR[FP] off and on */
    mfsprg  3, 3
    b       _exit

    .balign 16
syscall:
    addi    20, 20, 1
    mfsrr0  21
    mfsrr1  22
    rfi

    .balign 16
program:
    addi    20, 20, 0x100
    mfsrr0  21
    mfspr   23, 62                  /* ESR */
    addi    21, 21, 4
    mtsrr0  21
    xori    25, 25, 0x2000          /* toggle MSR[FP] on return */
    mtsrr1  25
    rfi

    .balign 16
alignment:
    addis   20, 20, 1
    mfsrr0  21
    mfspr   23, 62                  /* ESR */
    mfspr   24, 61                  /* DEAR */
    addi    21, 21, 4
    mtsrr0  21
    rfi

    .balign 16
fp_unavailable:
    addi    20, 20, 0x1000
    mfsrr1  22
    ori     25, 22, 0x2000
    mtsrr1  25
    rfi

    .data
    .balign 8
area:   .long 0x11223344, 0x55667788
