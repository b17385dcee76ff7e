#ifndef BOOKE_LIBC_ALLOCA_H
#define BOOKE_LIBC_ALLOCA_H
#define alloca(size) __builtin_alloca(size)
#endif
