/* The test programs' ELF entry (linked with -e __booke_entry), just before the repo's crt0:
 * it keeps r6 and r7 as the boot loader left them, where start.c looks for ePAPR's magic,
 * then enters crt0's _start. They go to .data because crt0 may clear .bss and may use any
 * register. */
    .text
    .globl __booke_entry
    .type __booke_entry, @function
__booke_entry:
    lis     8, __booke_boot_regs@ha
    addi    8, 8, __booke_boot_regs@l
    stw     6, 0(8)
    stw     7, 4(8)
    b       _start
    .size __booke_entry, .-__booke_entry

    .data
    .align 2
    .globl __booke_boot_regs
__booke_boot_regs:
    .long 0, 0

    .section .note.GNU-stack,"",@progbits
