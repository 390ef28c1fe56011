/* SPDX-License-Identifier: MIT */
/* Memory runs out inside libdw while tangle symbolizes a report in the
 * watched process. libdw's own out-of-memory handler prints "libdw: Cannot
 * allocate memory" and exits with status 1; tangle must instead give up on
 * libdw, answer the frames another way, and end the program as it would
 * have (66: the predicted deadlock). The program brings its own malloc,
 * which refuses libdw's block allocations (a page, less a few words) and
 * nothing else, so only libdw's out-of-memory path is taken: the way a
 * program that has used up its memory (vm.overcommit_memory=2, or every
 * memory map the kernel allows) would see it, without a limit tangle could
 * have noticed beforehand. (Not run when tangle is built with ASan, whose
 * runtime owns malloc.) */
// EXIT: 66
// STDOUT: finished
// STDOUT: libdw's block allocations refused
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t1_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(t2_a)
// STDERR: libdw ran out of memory
// NOSTDERR: libdw: Cannot allocate memory
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static long refused;

/* Whether the caller's code is in libdw. _dl_find_object takes no lock
 * and allocates nothing, so it is safe inside malloc. */
static int from_libdw(void *pc)
{
    struct dl_find_object o;
    return _dl_find_object(pc, &o) == 0 && o.dlfo_link_map && o.dlfo_link_map->l_name &&
           strstr(o.dlfo_link_map->l_name, "libdw");
}

void *malloc(size_t n)
{
    if (n >= 3072 && n <= 8192 && from_libdw(__builtin_return_address(0))) {
        __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t turn;

static void *first(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b); // @t1_b
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_barrier_wait(&turn);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&turn);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a); // @t2_a
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

/* Runs after tangle's report, which its exit handler makes. */
static void after_report(void)
{
    if (__atomic_load_n(&refused, __ATOMIC_RELAXED) > 0)
        printf("libdw's block allocations refused: %ld\n", refused);
    fflush(stdout);
}

int main(void)
{
    pthread_t t1, t2;
    pthread_barrier_init(&turn, NULL, 2);
    pthread_create(&t1, NULL, first, NULL);
    pthread_create(&t2, NULL, second, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("finished\n");
    fflush(stdout);
    atexit(after_report);
    return 0;
}
