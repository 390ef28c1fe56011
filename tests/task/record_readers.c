/* SPDX-License-Identifier: MIT */
/* A task's record lives in its stack mapping, which its scheduler unmaps
 * once the task ended and enough records are kept. The detector reads a
 * blocked task's record from another thread; the task may wake, end and
 * be unmapped meanwhile. No record may be unmapped while such a reader is
 * inside tg__rec_read_begin/end: here a reader stays inside for 100 ms
 * and the scheduler's unmap must wait for it (without the rule, the
 * reader's read faults). */
#include "task/task_int.h"
#include "check.h"

#include <pthread.h>
#include <unistd.h>

static struct tg_task *rec;
static int inside, read_ok;

static void *reader(void *arg)
{
    tg__rec_read_begin();
    __atomic_store_n(&inside, 1, __ATOMIC_RELEASE);
    usleep(100 * 1000);
    volatile size_t *size = &rec->stack.size; /* faults if it was unmapped */
    __atomic_store_n(&read_ok, *size > 0 ? 1 : 2, __ATOMIC_RELEASE);
    tg__rec_read_end();
    return arg;
}

static void unlist(struct tg__sched *s, struct tg_task *t)
{
    (void)s;
    (void)t;
}

int main(void)
{
    static struct tg__sched s;
    rec = tg__task_rec_alloc(&s, 64 * 1024);
    CHECK(rec != NULL);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, reader, NULL), 0);
    while (!__atomic_load_n(&inside, __ATOMIC_ACQUIRE))
        usleep(1000);
    s.n_free_recs = TG__FREE_RECS; /* the free list is full: the record is unmapped */
    tg__task_rec_free(&s, rec, unlist);
    CHECK_EQ(__atomic_load_n(&read_ok, __ATOMIC_ACQUIRE), 1); /* the unmap waited for it */
    CHECK_EQ(pthread_join(t, NULL), 0);
    return 0;
}
