/* SPDX-License-Identifier: MIT */
/* hold_record.c: a task mutex taken on the fast path is kept in the task's
 * own hold record and reaches the engine's held list only when the task
 * switches away, waits or ends. These cases take one and, without any
 * switch, do what makes the engine look at the task's holds from
 * elsewhere; run by check_example.py.
 *
 *   hold_record pthread   task "taker" (scheduler thread 1) takes task
 *                         mutex 'index' and, with no switch, blocks in
 *                         pthread_mutex_lock on 'journal', which task
 *                         "keeper" (scheduler thread 2) holds while it
 *                         waits for 'index': a deadlock naming both, with
 *                         the @take line among taker's holds; exit 66.
 *   hold_record gate      tasks "ab" and "ba" (one per scheduler thread)
 *                         each take task mutex 'gate' and, with no switch,
 *                         nest pthread mutexes P, Q and Q, P: the gate makes
 *                         the inversion impossible, so nothing is reported;
 *                         exit 0.
 *   hold_record nogate    the same without the gate: a potential deadlock
 *                         (the inversion is real); exit 66.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include "tangle/task.h"

static tg_mutex index_lock, gate;
static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t p = PTHREAD_MUTEX_INITIALIZER, q = PTHREAD_MUTEX_INITIALIZER;
static atomic_int ready;
static const char *mode;

/* Waits for the other side with a thread-level sleep: a task switch would
 * copy the holds into the engine's list, which is what is not tested. */
static void await(int bits)
{
    while ((atomic_load(&ready) & bits) != bits)
        usleep(1000);
}

static void *taker(void *arg)
{
    (void)arg;
    tg_mutex_lock(&index_lock); /* @take */
    atomic_fetch_or(&ready, 1);
    await(2);
    pthread_mutex_lock(&journal); /* @block */
    pthread_mutex_unlock(&journal);
    tg_mutex_unlock(&index_lock);
    return NULL;
}

static void *keeper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&journal); /* @keep */
    atomic_fetch_or(&ready, 2);
    await(1);
    tg_mutex_lock(&index_lock); /* @want */
    tg_mutex_unlock(&index_lock);
    pthread_mutex_unlock(&journal);
    return NULL;
}

static void nest(pthread_mutex_t *first, pthread_mutex_t *second)
{
    int gated = strcmp(mode, "gate") == 0;
    if (gated)
        tg_mutex_lock(&gate);
    pthread_mutex_lock(first); /* @first */
    pthread_mutex_lock(second); /* @second */
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
    if (gated)
        tg_mutex_unlock(&gate);
}

/* "ba" nests only once "ab" is done: the run itself never deadlocks. */
static void *ab(void *arg) { (void)arg; nest(&p, &q); atomic_fetch_or(&ready, 1); return NULL; }
static void *ba(void *arg) { (void)arg; await(1); nest(&q, &p); return NULL; }

static void *side(void *arg)
{
    int second = arg != NULL;
    if (strcmp(mode, "pthread") == 0)
        tg_spawn(NULL, second ? "keeper" : "taker", second ? keeper : taker, NULL);
    else
        tg_spawn(NULL, second ? "ba" : "ab", second ? ba : ab, NULL);
    return NULL;
}

static void *thread(void *arg)
{
    tg_run(side, arg);
    return NULL;
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "pthread";
    tg_mutex_init(&index_lock);
    tg_mutex_init(&gate);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, thread, NULL);
    pthread_create(&t2, NULL, thread, (void *)1);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
