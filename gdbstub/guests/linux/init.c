/* The initramfs's /init: no libc, raw system calls. It prints a greeting and the kernel's
 * uname on the console (fds 0-2 are /dev/console), then asks the kernel to restart the machine
 * (which Linux does through the GUTS reset control register); given the argument IDLE_ARGUMENT
 * (a bare word on the kernel command line, which Linux hands to init) it pauses for ever
 * instead, and the kernel idles. */

#define SYS_exit    1
#define SYS_write   4
#define SYS_reboot  88
#define SYS_uname   122
#define SYS_pause   29

#ifndef IDLE_ARGUMENT
#error "the build passes IDLE_ARGUMENT (gdbstub/guests/linux/__init__.py)"
#endif

#define REBOOT_MAGIC1      0xfee1deadUL
#define REBOOT_MAGIC2      672274793UL
#define REBOOT_CMD_RESTART 0x01234567UL

struct utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domain[65]; };

/* PowerPC Linux: number in r0, arguments in r3..r6, result in r3 (CR0[SO] flags an error). */
static long syscall4(long nr, long a, long b, long c, long d)
{
    register long r0 __asm__("r0") = nr;
    register long r3 __asm__("r3") = a;
    register long r4 __asm__("r4") = b;
    register long r5 __asm__("r5") = c;
    register long r6 __asm__("r6") = d;
    __asm__ volatile("sc" : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6)
                     : : "r7", "r8", "r9", "r10", "r11", "r12", "cr0", "ctr", "memory");
    return r3;
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
