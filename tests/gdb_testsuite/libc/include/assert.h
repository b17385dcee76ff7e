/* assert() prints the failed expression on the UART and aborts. */
#ifndef BOOKE_LIBC_ASSERT_H
#define BOOKE_LIBC_ASSERT_H
void __assert_fail(const char *expr, const char *file, int line, const char *func) __attribute__((noreturn));
#endif
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__, __func__))
#endif
