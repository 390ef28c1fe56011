/* SPDX-License-Identifier: MIT */
/* rw_deadlock.c: deadlocks through task-fair rwlocks; run by
 * check_example.py.
 *
 *   rw_deadlock reread   task "reader" holds a read lock, task "writer"
 *                        queues for the write lock, "reader" reads again:
 *                        the queued writer blocks the new read (task-fair),
 *                        so a deadlock naming both is reported at once;
 *                        exit status 66.
 *   rw_deadlock cycle    "left" reads A and wants to write B, "right" reads
 *                        B and wants to write A: a deadlock naming both
 *                        (found by the scan of published waits); exit 66.
 */
#include <string.h>
#include "tangle/task.h"

static tg_rwlock a, b;

static void *reader(void *arg)
{
    (void)arg;
    tg_rwlock_rdlock(&a); /* @read1 */
    tg_yield();           /* the writer queues */
    tg_rwlock_rdlock(&a); /* @read2 */
    tg_rwlock_unlock(&a);
    tg_rwlock_unlock(&a);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    tg_rwlock_wrlock(&a); /* @write */
    tg_rwlock_unlock(&a);
    return NULL;
}

static void cross(tg_rwlock *mine, tg_rwlock *theirs)
{
    tg_rwlock_rdlock(mine);    /* @hold */
    tg_yield();
    tg_rwlock_wrlock(theirs);  /* @want */
    tg_rwlock_unlock(theirs);
    tg_rwlock_unlock(mine);
}

static void *left(void *arg) { (void)arg; cross(&a, &b); return NULL; }
static void *right(void *arg) { (void)arg; cross(&b, &a); return NULL; }

static void *start(void *arg)
{
    if (strcmp(arg, "reread") == 0) {
        tg_spawn(NULL, "reader", reader, NULL);
        tg_spawn(NULL, "writer", writer, NULL);
    } else {
        tg_spawn(NULL, "left", left, NULL);
        tg_spawn(NULL, "right", right, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    tg_rwlock_init(&a);
    tg_rwlock_init(&b);
    return tg_run(start, argc > 1 ? argv[1] : "reread");
}
