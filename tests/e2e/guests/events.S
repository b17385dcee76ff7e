/* One of each debug event gdb cannot name (tests/hwdebug/test_events.py, tests/e2e/test_events_gdb.py):
 * taken branches, a system call and a trap (interrupts taken, and their rfi), three stores of
 * different values, and a run of instructions for range breakpoints. Assembled at test time. */
    .globl _start
_start:
    lis     10, 0x0010
    mtspr   63, 10                  # IVPR: the handlers are in this image
    li      11, sc_handler - _start
    mtspr   408, 11                 # IVOR8: system call
    li      11, program_handler - _start
    mtspr   406, 11                 # IVOR6: program (the trap)
    li      3, 0
    li      5, 3
    mtctr   5
loop:
    addi    3, 3, 1
    bdnz    loop                    # taken twice, then falls through
after_loop:
    sc
after_sc:
    twi     31, 0, 0                # traps always
after_trap:
    lis     6, data@ha
    addi    6, 6, data@l
    li      7, 1
    stw     7, 0(6)
    li      7, 2
store_two:
    stw     7, 0(6)
    li      7, 3
    stw     7, 0(6)
in_range:
    addi    3, 3, 10
    addi    3, 3, 10
range_end:
    li      3, 7
    lis     4, 0xe00e
    li      5, 2
    stw     5, 0xb0(4)              # GUTS RSTCR: halt with r3 = 7
1:  b       1b
    .balign 16
sc_handler:
    addi    20, 20, 1
sc_return:
    rfi
    .balign 16
program_handler:
    mfspr   8, 26                   # SRR0: the trap; return past it
    addi    8, 8, 4
    mtspr   26, 8
program_return:
    rfi
    .balign 4
data:
    .long   0
