/* Non-local jumps: the registers the PowerPC SVR4 ABI has callers keep (see ../src/setjmp.S). */
#ifndef BOOKE_LIBC_SETJMP_H
#define BOOKE_LIBC_SETJMP_H
typedef double jmp_buf[30];
int setjmp(jmp_buf env);
void longjmp(jmp_buf env, int value) __attribute__((noreturn));
#define _setjmp setjmp
#define _longjmp longjmp
#endif
