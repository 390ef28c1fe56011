/* SPDX-License-Identifier: MIT */
/* Joining under a lock, for `tangle record` then `tangle predict`
 * (check_join_reaper.sh states what each mode must give):
 *   reaper      pigz's shape, correct: each worker takes the pool lock,
 *               marks itself done, broadcasts and leaves; main holds the
 *               pool lock, waits on the condition until a done worker
 *               exists, and joins it still holding the lock. Two workers
 *               are done before main takes the lock (main never waits for
 *               them), the third only after main waits. No deadlock is
 *               possible: a worker never needs the lock after it is done.
 *   needs_lock  the twin, a real bug: the worker announces itself done the
 *               same way, then takes the pool lock once more to count
 *               itself out. Had main taken the lock between the two, it
 *               would join the worker while the worker waits for the lock.
 * The run itself cannot deadlock: main takes the lock only once the early
 * workers are through (a plain atomic flag, which a trace does not
 * record), and the late worker starts only once main waits. */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#define WORKERS 3

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_changed = PTHREAD_COND_INITIALIZER;

struct worker {
    pthread_t id;
    int done;            /* under pool_lock */
    int through;         /* atomic: the worker made its last lock call */
};
static struct worker workers[WORKERS];
static int live = WORKERS;   /* under pool_lock */
static int main_waits;       /* atomic: main is in the reaping loop */
static int counted_out;      /* under pool_lock */
static int needs_lock;

static void wait_flag(int *flag)
{
    while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
        sched_yield();
}

static void *work(void *arg)
{
    struct worker *w = arg;
    if (w == &workers[WORKERS - 1])
        wait_flag(&main_waits);
    pthread_mutex_lock(&pool_lock); // @announce
    w->done = 1;
    pthread_cond_broadcast(&pool_changed);
    pthread_mutex_unlock(&pool_lock);
    if (needs_lock) {
        pthread_mutex_lock(&pool_lock); // @count_out
        counted_out++;
        pthread_mutex_unlock(&pool_lock);
    }
    __atomic_store_n(&w->through, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Joins every worker, each once it is done, holding the pool lock. */
static void reap_all(void)
{
    pthread_mutex_lock(&pool_lock); // @reap_lock
    __atomic_store_n(&main_waits, 1, __ATOMIC_RELEASE);
    while (live > 0) {
        struct worker *w = NULL;
        for (;;) {
            for (int i = 0; i < WORKERS && !w; i++)
                if (workers[i].done == 1)
                    w = &workers[i];
            if (w)
                break;
            pthread_cond_wait(&pool_changed, &pool_lock);
        }
        /* The late worker has announced itself; in the twin it may still
         * be on its way to its last lock call, which needs the lock. */
        if (needs_lock && w == &workers[WORKERS - 1]) {
            pthread_mutex_unlock(&pool_lock);
            wait_flag(&w->through);
            pthread_mutex_lock(&pool_lock);
        }
        pthread_join(w->id, NULL); // @join
        w->done = 2;
        live--;
    }
    pthread_mutex_unlock(&pool_lock);
}

int main(int argc, char **argv)
{
    needs_lock = argc > 1 && !strcmp(argv[1], "needs_lock");
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&workers[i].id, NULL, work, &workers[i]); // @create
    for (int i = 0; i < WORKERS - 1; i++)
        wait_flag(&workers[i].through);
    reap_all();
    return 0;
}
