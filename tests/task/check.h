/* SPDX-License-Identifier: MIT */
/* check.h: typed assertions for the task runtime's tests. A failed check
 * prints the expression, both values and the line, and exits with status 1.
 * Each test runs in its own process (CTest runs `test_x NAME`). */
#ifndef TG_TESTS_TASK_CHECK_H
#define TG_TESTS_TASK_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_EQ(a, b)                                                                   \
    do {                                                                                 \
        long long va_ = (long long)(a), vb_ = (long long)(b);                            \
        if (va_ != vb_) {                                                                \
            fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld\n", __FILE__,  \
                    __LINE__, #a, #b, va_, vb_);                                         \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)
#define CHECK(c)                                                                         \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);        \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

struct test_case {
    const char *name;
    void (*fn)(void);
};

/* Runs the test named argv[1], or every test in this process with no
 * argument; returns the process status. */
static inline int run_tests(const struct test_case *t, int argc, char **argv)
{
    for (; t->name; t++) {
        if (argc > 1 && strcmp(argv[1], t->name) != 0)
            continue;
        t->fn();
        if (argc > 1)
            return 0;
        fprintf(stderr, "ok %s\n", t->name);
    }
    if (argc > 1) {
        fprintf(stderr, "no test named %s\n", argv[1]);
        return 2;
    }
    return 0;
}

#endif
