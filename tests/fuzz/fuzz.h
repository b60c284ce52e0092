/* What the libFuzzer targets share: an always-on invariant check that says what broke and aborts,
 * so that libFuzzer saves the input (assert() vanishes under NDEBUG, which RelWithDebInfo sets). */
#ifndef CL_FUZZ_H
#define CL_FUZZ_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static inline void fuzz_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

static inline void fuzz_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: invariant broken: %s: ", file, line, expr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* Checks `expr`; when it is false, prints it and the formatted message, and aborts. */
#define FUZZ_CHECK(expr, ...)                                                                      \
    do {                                                                                           \
        if (!(expr))                                                                               \
            fuzz_fail(__FILE__, __LINE__, #expr, __VA_ARGS__);                                     \
    } while (0)

#endif
