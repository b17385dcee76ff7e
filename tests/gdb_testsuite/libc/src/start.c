/* What runs around the test program's main: device mapping, then exit(main(...)).
 *
 * The repo's crt0 calls main and halts when it returns, without going through exit().
 * gdb's testsuite, on a stub target, ends a program by breaking on exit, so programs are
 * linked with -Wl,--wrap=main: crt0's call reaches __wrap_main here, which calls the
 * program's main (__real_main) and passes its result to exit().
 *
 * On booke-gdbstub the MMU is off and every address is physical. qemu-system-ppc's -kernel
 * boot follows ePAPR instead: r6 holds the ePAPR magic, r7 the size of the initial mapping
 * (RAM only), and the client maps its own devices. entry.S keeps r6 and r7 from the entry. */
#include <stdlib.h>

#define EPAPR_MAGIC 0x45504150u
#define CCSR_BASE 0xE0000000u

int __real_main(int argc, char **argv, char **envp);
extern unsigned int __booke_boot_regs[2]; /* r6, r7 at the entry (entry.S) */

static char program_name[] = "gdb-test";
static char *argv_storage[] = {program_name, 0};
static char *envp_storage[] = {0};

/* One TLB1 entry: CCSR (1 MiB at 0xE0000000, where the UART and the reset register are)
 * mapped 1:1, cache-inhibited and guarded, supervisor read/write. */
static void map_ccsr(void)
{
    unsigned int mas0 = 0x10000000u | (1u << 16);        /* TLBSEL=1, ESEL=1 */
    unsigned int mas1 = 0x80000000u | 0x40000000u | (5u << 8); /* V, IPROT, TSIZE=1 MiB */
    unsigned int mas2 = CCSR_BASE | 0x8u | 0x2u;          /* EPN, I, G */
    unsigned int mas3 = CCSR_BASE | 0x1u | 0x4u;          /* RPN, SR, SW */
    __asm__ volatile("mtspr 624, %0\n\tmtspr 625, %1\n\tmtspr 626, %2\n\tmtspr 627, %3\n\t"
                     "li 0, 0\n\tmtspr 944, 0\n\tisync\n\ttlbwe\n\tisync"
                     : : "r"(mas0), "r"(mas1), "r"(mas2), "r"(mas3) : "r0", "memory");
}

int __wrap_main(void)
{
    if (__booke_boot_regs[0] == EPAPR_MAGIC && __booke_boot_regs[1] != 0)
        map_ccsr();
    exit(__real_main(1, argv_storage, envp_storage));
}
