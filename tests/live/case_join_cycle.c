/* SPDX-License-Identifier: MIT */
/* Two threads join each other, while main waits to join one of them. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads# == 3
// CHECK: reports[0].threads[2].name == "main"
// CHECK: reports[0].summary ~ "in a cycle of joins"
// CHECK: reports[0].advice ~ "join in one direction only"
// CHECK: !reports[0].advice ~ "take the locks in one agreed order"
// CHECK: reports[0].threads[*].waits_for.lock.kind == "thread"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(join_a)
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_t a, b;
static pthread_barrier_t started;
static atomic_int main_joins;

/* Main must be asleep in its join before the cycle closes (it is found at
 * once), or the report could not list it as blocked too: wait for main's
 * flag, then for the kernel to show main sleeping. */
static void main_asleep(void)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)getpid());
    while (!atomic_load(&main_joins))
        usleep(1000);
    for (;;) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
        if (f)
            fclose(f);
        stat[n] = 0;
        const char *end = strrchr(stat, ')');
        if (!end || end[2] == 'S')
            return;
        usleep(1000);
    }
}

static void *run_a(void *arg)
{
    (void)arg;
    main_asleep();
    pthread_barrier_wait(&started);
    pthread_join(b, NULL); // @join_b
    return NULL;
}

static void *run_b(void *arg)
{
    (void)arg;
    main_asleep();
    pthread_barrier_wait(&started);
    pthread_join(a, NULL); // @join_a
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&started, NULL, 2);
    pthread_create(&a, NULL, run_a, NULL);
    pthread_create(&b, NULL, run_b, NULL);
    atomic_store(&main_joins, 1);
    pthread_join(a, NULL);
    return 0;
}
