/* The test harness: always-on assertions that print both sides (libuv's test/task.h habit), and a
 * main() that runs one named case, so that each case is its own ctest entry. A test file lists
 * its cases with CL_TEST(name) at the start of a line; tests/CMakeLists.txt finds them there. */
#ifndef CL_TEST_H
#define CL_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CL_TEST(name) static void test_##name(void)

#define CL_FAIL(...)                                                                               \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        abort();                                                                                   \
    } while (0)

#define ASSERT(expr)                                                                               \
    do {                                                                                           \
        if (!(expr))                                                                               \
            CL_FAIL("assertion failed: %s", #expr);                                                \
    } while (0)

#define ASSERT_INT_OP(a, op, b)                                                                    \
    do {                                                                                           \
        int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                              \
        if (!(a_ op b_))                                                                           \
            CL_FAIL("%s %s %s: %" PRId64 " vs %" PRId64, #a, #op, #b, a_, b_);                     \
    } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP(a, >=, b)
#define ASSERT_OK(a) ASSERT_EQ(a, 0)
#define ASSERT_NULL(p) ASSERT((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT((p) != NULL)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                                       \
            CL_FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

#define ASSERT_STR_CONTAINS(hay, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (h_ == NULL || strstr(h_, n_) == NULL)                                                  \
            CL_FAIL("%s contains %s: \"%s\" lacks \"%s\"", #hay, #needle, h_ ? h_ : "(null)", n_); \
    } while (0)

typedef struct {
    const char *name;
    void (*fn)(void);
} cl_test_entry_t;

#define CL_TEST_ENTRY(name) {#name, test_##name}

/* main(): `prog NAME` runs case NAME; `prog` alone runs every case in order. */
#define CL_TEST_MAIN(...)                                                                          \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const cl_test_entry_t entries[] = {__VA_ARGS__};                                    \
        size_t n = sizeof(entries) / sizeof(entries[0]);                                           \
        int ran = 0;                                                                               \
        for (size_t i = 0; i < n; i++) {                                                           \
            if (argc > 1 && strcmp(argv[1], entries[i].name) != 0)                                 \
                continue;                                                                          \
            fprintf(stderr, "-- %s\n", entries[i].name);                                           \
            entries[i].fn();                                                                       \
            ran++;                                                                                 \
        }                                                                                          \
        if (ran == 0) {                                                                            \
            fprintf(stderr, "no test case named %s\n", argc > 1 ? argv[1] : "");                   \
            return 2;                                                                              \
        }                                                                                          \
        return 0;                                                                                  \
    }

#endif
