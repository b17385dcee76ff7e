/* The POSIX calls test programs make to pace or guard themselves; there is no OS to ask. */
#ifndef BOOKE_LIBC_UNISTD_H
#define BOOKE_LIBC_UNISTD_H
#include <sys/types.h>

unsigned int alarm(unsigned int seconds);
unsigned int sleep(unsigned int seconds);
int usleep(unsigned int usec);
int isatty(int fd);
pid_t getpid(void);
ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);
void _exit(int status) __attribute__((noreturn));
#endif
