/* SPDX-License-Identifier: MIT */
/* The outer lock of kept nestings ends and a new one is made at its
 * address, between two nestings from the same place. The first thread
 * nests a fresh leaf under `outer` (kept, with a context that names that
 * instance of outer), destroys outer and inits it again, then nests
 * another fresh leaf, `kept`, under the new outer from the same line, and
 * keeps it. The second thread then takes `kept` and the new outer the
 * other way round: a true potential deadlock (a barrier orders nothing).
 * The context of the first nesting names the ended instance of outer, so
 * the second must not be kept with it: a record that names an ended hold
 * makes no edge, and the cycle would be lost. */
// EXIT: 66
// STDOUT: finished
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(inner)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(inverse)
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t outer;
static pthread_mutex_t first_leaf;
static pthread_mutex_t kept;
static pthread_barrier_t turn;

__attribute__((noinline)) static void nest_leaf(pthread_mutex_t *leaf)
{
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(leaf); // @inner
    pthread_mutex_unlock(leaf);
    pthread_mutex_unlock(&outer);
}

static void *first(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) { /* one call site: one stack for both nestings */
        if (i == 1) {
            pthread_mutex_destroy(&first_leaf);
            pthread_mutex_destroy(&outer);
            pthread_mutex_init(&outer, NULL);
        }
        pthread_mutex_t *leaf = i == 0 ? &first_leaf : &kept;
        pthread_mutex_init(leaf, NULL);
        nest_leaf(leaf);
    }
    pthread_barrier_wait(&turn);
    return NULL;
}

static void *second(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&turn);
    pthread_mutex_lock(&kept);
    pthread_mutex_lock(&outer); // @inverse
    pthread_mutex_unlock(&outer);
    pthread_mutex_unlock(&kept);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_mutex_init(&outer, NULL);
    pthread_barrier_init(&turn, NULL, 2);
    pthread_create(&t1, NULL, first, NULL);
    pthread_create(&t2, NULL, second, NULL);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    puts("finished");
    return 0;
}
