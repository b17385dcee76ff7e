/* The initramfs's /init: no libc, raw system calls. It prints a greeting and the kernel's
 * uname on the console (fds 0-2 are /dev/console), single-steps a child of its own through
 * ptrace (the kernel's own use of the debug facility: DBCR0[IC], the debug interrupt, which a
 * debugger attached to the machine must leave to it), then asks the kernel to restart the machine
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
#define PTRACE_PEEKUSR     3
#define PTRACE_CONT        7
#define PTRACE_SINGLESTEP  9
#define PT_NIP_OFFSET      (32 * 4)
#define SIGTRAP            5
#define SIGSTOP            19
#define STEPS              5

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
