/* SPDX-License-Identifier: MIT */
/* The program brings its own malloc, which takes a pthread mutex: tangle's
 * hooks allocate on their slow paths and stdio locks inside printf, so
 * the hooks are re-entered from inside themselves. Threads, contention and
 * a report all work, and the deadlock at the end is still caught. (Not
 * run when tangle is built with ASan, whose runtime owns malloc.) */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].threads[0].waits_for.stack[0].line == @LINE(relock)
// STDOUT: allocations counted
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static char *heap, *heap_end;
static long allocations;

void *malloc(size_t n)
{
    pthread_mutex_lock(&heap_lock);
    if (!heap) {
        heap = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        heap_end = heap + (64 << 20);
    }
    n = (n + 31) & ~(size_t)15;
    char *p = heap + 16;
    if (p + n > heap_end) {
        pthread_mutex_unlock(&heap_lock);
        return NULL;
    }
    memcpy(heap, &n, sizeof n);
    heap += n + 16;
    allocations++;
    pthread_mutex_unlock(&heap_lock);
    return p;
}

void free(void *p)
{
    (void)p;
}

void *calloc(size_t a, size_t b)
{
    void *p = malloc(a * b);
    if (p)
        memset(p, 0, a * b);
    return p;
}

void *realloc(void *old, size_t n)
{
    void *p = malloc(n);
    if (p && old)
        memcpy(p, old, n); /* the bump heap always has n bytes after old */
    return p;
}

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&shared);
        free(malloc(64));
        pthread_mutex_unlock(&shared);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    printf("allocations %s\n", allocations > 16000 ? "counted" : "missing");
    fflush(stdout);
    pthread_mutex_lock(&shared);
    pthread_mutex_lock(&shared); // @relock
    return 0;
}
