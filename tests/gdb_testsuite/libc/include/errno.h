#ifndef BOOKE_LIBC_ERRNO_H
#define BOOKE_LIBC_ERRNO_H
extern int errno;
#define EINVAL 22
#define ENOMEM 12
#define ERANGE 34
#endif
