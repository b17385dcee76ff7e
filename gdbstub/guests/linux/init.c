/* The initramfs's /init: no libc, raw system calls. It prints a greeting and the kernel's
 * uname on the console (fds 0-2 are /dev/console), single-steps a child of its own through
 * ptrace and watches a write of another with a hardware watchpoint (PPC_PTRACE_SETHWDEBUG): the
 * kernel's own use of the debug facility (DBCR0[IC], a DAC, the debug interrupt), which a
 * debugger attached to the machine must leave to it; then it asks the kernel to restart the machine
 * (which Linux does through the GUTS reset control register); given the argument IDLE_ARGUMENT
 * (a bare word on the kernel command line, which Linux hands to init) it pauses for ever
 * instead, and the kernel idles. */

#define SYS_exit    1
#define SYS_fork    2
#define SYS_write   4
#define SYS_getpid  20
#define SYS_ptrace  26
#define SYS_kill    37
#define SYS_wait4   114
#define SYS_reboot  88
#define SYS_uname   122
#define SYS_pause   29

#ifndef IDLE_ARGUMENT
#error "the build passes IDLE_ARGUMENT (gdbstub/guests/linux/__init__.py)"
#endif

#define PTRACE_TRACEME     0
#define PTRACE_PEEKDATA    2
#define PTRACE_PEEKUSR     3
#define PTRACE_CONT        7
#define PTRACE_SINGLESTEP  9
#define PTRACE_GETSIGINFO  0x4202
#define PT_NIP_OFFSET      (32 * 4)
#define SIGTRAP            5
#define SIGKILL            9
#define SIGSTOP            19
#define TRAP_HWBKPT        4
#define STEPS              5

/* arch/powerpc/include/uapi/asm/ptrace.h (Linux 6.1) */
#define PPC_PTRACE_GETHWDBGINFO       0x89
#define PPC_PTRACE_SETHWDEBUG         0x88
#define PPC_BREAKPOINT_TRIGGER_WRITE  0x4
#define PPC_BREAKPOINT_MODE_EXACT     0x0
#define PPC_BREAKPOINT_CONDITION_NONE 0x0
#define WATCHED_VALUE                 42

struct ppc_debug_info {
    unsigned int version, num_instruction_bps, num_data_bps, num_condition_regs, data_bp_alignment,
                 sizeof_condition;
    unsigned long long features;
};

struct ppc_hw_breakpoint {
    unsigned int version, trigger_type, addr_mode, condition_mode;
    unsigned long long addr, addr2, condition_value;
};

/* A SIGTRAP's siginfo (asm-generic/siginfo.h): signo, errno, code, then the address; 128 bytes. */
struct trap_siginfo { int signo, error, code; unsigned long addr; int pad[28]; };

#define REBOOT_MAGIC1      0xfee1deadUL
#define REBOOT_MAGIC2      672274793UL
#define REBOOT_CMD_RESTART 0x01234567UL

struct utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domain[65]; };

/* PowerPC Linux: number in r0, arguments in r3..r6, result in r3; CR0[SO] flags an error,
 * returned here as -errno. */
static long syscall4(long nr, long a, long b, long c, long d)
{
    register long r0 __asm__("r0") = nr;
    register long r3 __asm__("r3") = a;
    register long r4 __asm__("r4") = b;
    register long r5 __asm__("r5") = c;
    register long r6 __asm__("r6") = d;
    long cr;
    __asm__ volatile("sc\n\tmfcr %5" : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "=r"(cr)
                     : : "r7", "r8", "r9", "r10", "r11", "r12", "cr0", "ctr", "memory");
    return cr & 0x10000000 ? -r3 : r3;
}

static unsigned long length(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static void put(const char *s)
{
    syscall4(SYS_write, 1, (long)s, (long)length(s), 0);
}

static void put_number(unsigned long n)
{
    char text[12], *p = text + sizeof text - 1;
    *p = 0;
    do
        *--p = '0' + n % 10;
    while (n /= 10);
    put(p);
}

/* The traced child: it stops itself, then runs straight-line code its parent steps through. */
static void child(void)
{
    syscall4(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
    long pid = syscall4(SYS_getpid, 0, 0, 0, 0);
    __asm__ volatile("li 0, %0\n\tmr 3, %1\n\tli 4, %2\n\tsc\n\t"
                     "nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\t"
                     "li 0, %3\n\tli 3, 0\n\tsc"
                     : : "i"(SYS_kill), "r"(pid), "i"(SIGSTOP), "i"(SYS_exit) : "r0", "r3", "r4", "memory");
}

static int stopped_by(long pid, int signal)
{
    int status = 0;
    return syscall4(SYS_wait4, pid, (long)&status, 0, 0) == pid && (status & 0xff) == 0x7f
           && (status >> 8 & 0xff) == signal;
}

static unsigned long nip_of(long pid)
{
    unsigned long nip = 0;
    syscall4(SYS_ptrace, PTRACE_PEEKUSR, pid, PT_NIP_OFFSET, (long)&nip);
    return nip;
}

/* Single-step the child STEPS times: each step must stop it with SIGTRAP one instruction on. */
static void ptrace_steps(void)
{
    long pid = syscall4(SYS_fork, 0, 0, 0, 0);
    int steps = 0, status = -1;
    if (pid == 0)
        child();
    if (pid > 0 && stopped_by(pid, SIGSTOP)) {
        unsigned long start = nip_of(pid);
        while (steps < STEPS && syscall4(SYS_ptrace, PTRACE_SINGLESTEP, pid, 0, 0) == 0
               && stopped_by(pid, SIGTRAP) && nip_of(pid) == start + 4 * (steps + 1))
            steps++;
        syscall4(SYS_ptrace, PTRACE_CONT, pid, 0, 0);
        syscall4(SYS_wait4, pid, (long)&status, 0, 0);
    }
    put("init: ptrace single-stepped its child ");
    put_number(steps);
    put(" times, one instruction each");
    put(steps == STEPS && status == 0 ? "; the child exited with 0\n" : "; FAILED\n");
}

/* The watched child's variable: the same address in parent and child (fork), 0 until it writes. */
static volatile unsigned long watched;
extern const char watch_store[];

/* The watched child: it stops itself, then stores WATCHED_VALUE to watched (at the label
 * watch_store, which its parent compares the stop's PC with) and exits with what it reads back. */
static void watch_child(void)
{
    syscall4(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
    syscall4(SYS_kill, syscall4(SYS_getpid, 0, 0, 0, 0), SIGSTOP, 0, 0);
    __asm__ volatile(".globl watch_store\nwatch_store:\n\tstw %0, 0(%1)"
                     : : "r"(WATCHED_VALUE), "b"(&watched) : "memory");
    syscall4(SYS_exit, (long)watched, 0, 0, 0);
}

/* Watch the child's write with a DAC through ptrace: the child must stop with SIGTRAP (si_code
 * TRAP_HWBKPT, si_addr the watched address) on the store, before the store is done (a DAC with
 * MSR[DE] set suppresses the access), and, continued, do it. The first check that fails, or 0. */
static const char *watch_checks(long pid)
{
    static struct ppc_debug_info info;
    static struct ppc_hw_breakpoint bp;
    static struct trap_siginfo si;
    unsigned long value = ~0UL;
    int status = -1;

    if (!stopped_by(pid, SIGSTOP))
        return "the child's SIGSTOP";
    if (syscall4(SYS_ptrace, PPC_PTRACE_GETHWDBGINFO, pid, 0, (long)&info) != 0 || info.version != 1
        || info.num_data_bps == 0)
        return "PPC_PTRACE_GETHWDBGINFO";
    bp.version = 1;
    bp.trigger_type = PPC_BREAKPOINT_TRIGGER_WRITE;
    bp.addr_mode = PPC_BREAKPOINT_MODE_EXACT;
    bp.condition_mode = PPC_BREAKPOINT_CONDITION_NONE;
    bp.addr = (unsigned long)&watched;
    if (syscall4(SYS_ptrace, PPC_PTRACE_SETHWDEBUG, pid, 0, (long)&bp) <= 4)   /* a DAC's handle: 5 or 6 */
        return "PPC_PTRACE_SETHWDEBUG";
    if (syscall4(SYS_ptrace, PTRACE_CONT, pid, 0, 0) != 0 || !stopped_by(pid, SIGTRAP))
        return "a SIGTRAP stop";
    if (syscall4(SYS_ptrace, PTRACE_GETSIGINFO, pid, 0, (long)&si) != 0 || si.signo != SIGTRAP
        || si.code != TRAP_HWBKPT || si.addr != (unsigned long)&watched)
        return "the siginfo (TRAP_HWBKPT at the watched address)";
    if (nip_of(pid) != (unsigned long)watch_store)
        return "the stop's PC (the store)";
    if (syscall4(SYS_ptrace, PTRACE_PEEKDATA, pid, (long)&watched, (long)&value) != 0 || value != 0)
        return "the value before the store";
    if (syscall4(SYS_ptrace, PTRACE_CONT, pid, 0, 0) != 0 || syscall4(SYS_wait4, pid, (long)&status, 0, 0) != pid
        || status != WATCHED_VALUE << 8)
        return "the child's exit with the stored value";
    return 0;
}

static void ptrace_watch(void)
{
    long pid = syscall4(SYS_fork, 0, 0, 0, 0);
    const char *failed = "fork";
    if (pid == 0)
        watch_child();
    if (pid > 0 && (failed = watch_checks(pid)) != 0) {
        int status;
        syscall4(SYS_kill, pid, SIGKILL, 0, 0);
        syscall4(SYS_wait4, pid, (long)&status, 0, 0);
    }
    if (failed) {
        put("init: ptrace watchpoint FAILED at ");
        put(failed);
        put("\n");
    } else {
        put("init: ptrace watchpoint stopped its child at the write, SIGTRAP with the address; ok\n");
    }
}

/* The process starts with r1 at argc, then argv[] (ELF ABI); C gets it as an argument. */
__asm__(".globl _start\n_start:\n    mr 3, 1\n    stwu 1, -16(1)\n    b init_main\n");

void init_main(long *stack)
{
    static struct utsname u;
    long argc = stack[0];
    char **argv = (char **)&stack[1];

    put("init: hello from user space\n");
    if (syscall4(SYS_uname, (long)&u, 0, 0, 0) == 0) {
        put("init: uname: ");
        put(u.sysname); put(" "); put(u.release); put(" "); put(u.version); put(" "); put(u.machine);
        put("\n");
    }
    ptrace_steps();
    ptrace_watch();
    for (long i = 1; i < argc; i++) {
        if (same(argv[i], IDLE_ARGUMENT)) {
            put("init: idling\n");
            for (;;)
                syscall4(SYS_pause, 0, 0, 0, 0);
        }
    }
    put("init: restarting\n");
    syscall4(SYS_reboot, (long)REBOOT_MAGIC1, (long)REBOOT_MAGIC2, (long)REBOOT_CMD_RESTART, 0);
    put("init: reboot failed\n");
    for (;;)
        syscall4(SYS_exit, 1, 0, 0, 0);
}
