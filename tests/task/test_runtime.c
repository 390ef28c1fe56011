/* SPDX-License-Identifier: MIT */
/* test_runtime.c: the task runtime's behaviour, without deadlocks.
 * Every test states what must happen and checks it; each runs in its own
 * process (see CMakeLists.txt). Built twice: with detection (linked with
 * libtangle) and without (tangle_task_noengine); both must pass. */
#define _GNU_SOURCE
#include "tangle/task.h"
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MS 1000000LL

static char order[64];
static int order_n;
static void mark(char c) { order[order_n++] = c; order[order_n] = 0; }

/* ---- spawn, join, yield ------------------------------------------------ */
static void *ret_arg(void *a) { return a; }

static void *t_spawn_join(void *arg)
{
    (void)arg;
    tg_task *t[3];
    for (long i = 0; i < 3; i++)
        CHECK_EQ(tg_spawn(&t[i], "child", ret_arg, (void *)(i + 10)), 0);
    for (long i = 0; i < 3; i++) {
        void *r = NULL;
        CHECK_EQ(tg_join(t[i], &r), 0);
        CHECK_EQ((long)r, i + 10);
    }
    CHECK_EQ(tg_join(tg_self(), NULL), TG_EDEADLK);
    CHECK_STR(tg_task_name(tg_self()), "main");
    return NULL;
}
/* Expected: each joined child returns its own argument; joining oneself fails. */
static void test_spawn_join(void) { CHECK_EQ(tg_run(t_spawn_join, NULL), 0); }

static void *yielder(void *arg)
{
    for (int i = 0; i < 3; i++) {
        mark(*(char *)arg);
        tg_yield();
    }
    return NULL;
}
static void *t_yield(void *arg)
{
    (void)arg;
    tg_spawn(NULL, "a", yielder, "a");
    tg_spawn(NULL, "b", yielder, "b");
    return NULL;
}
/* Expected: two yielding tasks alternate strictly (FIFO run queue), and
 * tg_run returns only after both detached tasks ended. */
static void test_yield(void)
{
    CHECK_EQ(tg_run(t_yield, NULL), 0);
    CHECK_STR(order, "ababab");
}

/* Expected: calls outside a task fail with TG_ENOTASK; every code has a
 * sentence. */
static void test_outside(void)
{
    tg_mutex m;
    tg_mutex_init(&m);
    CHECK_EQ(tg_mutex_lock(&m), TG_ENOTASK);
    CHECK_EQ(tg_yield(), TG_ENOTASK);
    CHECK(tg_self() == NULL);
    for (int e = 0; e >= TG_ESYS; e--)
        CHECK(strcmp(tg_strerror(e), "unknown tangle task error") != 0);
}

/* ---- time ----------------------------------------------------------------- */
static void *t_sleep(void *arg)
{
    (void)arg;
    int64_t t0 = tg_now();
    CHECK_EQ(tg_sleep(20 * MS), 0);
    CHECK(tg_now() - t0 >= 20 * MS);
    tg_mutex m;
    tg_mutex_init(&m);
    CHECK_EQ(tg_mutex_lock(&m), 0);
    t0 = tg_now();
    tg_chan c;
    tg_chan_init(&c, sizeof(int), 0);
    int v;
    CHECK_EQ(tg_chan_recv_until(&c, &v, tg_now() + 10 * MS), TG_ETIMEDOUT);
    CHECK(tg_now() - t0 >= 10 * MS);
    CHECK_EQ(tg_chan_destroy(&c), 0);
    CHECK_EQ(tg_mutex_unlock(&m), 0);
    CHECK_EQ(tg_mutex_destroy(&m), 0);
    return NULL;
}
/* Expected: sleep lasts at least its duration; a timed receive with no
 * sender ends with TG_ETIMEDOUT after its deadline and leaves no waiter. */
static void test_sleep_timeout(void) { CHECK_EQ(tg_run(t_sleep, NULL), 0); }

/* ---- mutex ------------------------------------------------------------------ */
static tg_mutex gm;
static void *mutex_waiter(void *arg)
{
    CHECK_EQ(tg_mutex_lock(&gm), 0);
    mark(*(char *)arg);
    CHECK_EQ(tg_mutex_unlock(&gm), 0);
    return NULL;
}
static void *t_mutex_fifo(void *arg)
{
    (void)arg;
    tg_mutex_init(&gm);
    CHECK_EQ(tg_mutex_lock(&gm), 0);
    tg_task *t[3];
    tg_spawn(&t[0], "1", mutex_waiter, "1");
    tg_spawn(&t[1], "2", mutex_waiter, "2");
    tg_spawn(&t[2], "3", mutex_waiter, "3");
    tg_yield(); /* all three queue, in spawn order */
    CHECK_EQ(tg_mutex_unlock(&gm), 0);
    /* Handed off to "1": nobody can take it in between. */
    CHECK_EQ(tg_mutex_trylock(&gm), TG_EAGAIN);
    CHECK_EQ(tg_mutex_unlock(&gm), TG_EPERM);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(tg_join(t[i], NULL), 0);
    CHECK_STR(order, "123");
    CHECK_EQ(tg_mutex_trylock(&gm), 0);
    CHECK_EQ(tg_mutex_unlock(&gm), 0);
    return NULL;
}
/* Expected: waiters get the mutex in arrival order; an unlock hands it over
 * so a trylock right after fails; unlocking a mutex one does not hold is
 * TG_EPERM. */
static void test_mutex_fifo(void) { CHECK_EQ(tg_run(t_mutex_fifo, NULL), 0); }

/* ---- rwlock ------------------------------------------------------------------ */
static tg_rwlock grw;
static void *rw_writer(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_rwlock_wrlock(&grw), 0);
    mark('w');
    CHECK_EQ(tg_rwlock_unlock(&grw), 0);
    return NULL;
}
static void *rw_reader(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_rwlock_rdlock(&grw), 0);
    mark('r');
    CHECK_EQ(tg_rwlock_unlock(&grw), 0);
    return NULL;
}
static void *t_rwlock(void *arg)
{
    (void)arg;
    tg_rwlock_init(&grw);
    CHECK_EQ(tg_rwlock_rdlock(&grw), 0);
    CHECK_EQ(tg_rwlock_tryrdlock(&grw), 0); /* readers share */
    CHECK_EQ(tg_rwlock_unlock(&grw), 0);
    tg_task *w, *r;
    tg_spawn(&w, "writer", rw_writer, NULL);
    tg_yield(); /* the writer queues behind our read lock */
    CHECK_EQ(tg_rwlock_tryrdlock(&grw), TG_EAGAIN); /* a queued writer blocks new readers */
    tg_spawn(&r, "reader", rw_reader, NULL);
    tg_yield();
    CHECK_EQ(tg_rwlock_unlock(&grw), 0);
    tg_join(w, NULL);
    tg_join(r, NULL);
    CHECK_STR(order, "wr");
    CHECK_EQ(tg_rwlock_destroy(&grw), 0);
    return NULL;
}
/* Expected: readers share; a queued writer blocks later readers and gets the
 * lock before a reader that arrived after it. */
static void test_rwlock_fair(void) { CHECK_EQ(tg_run(t_rwlock, NULL), 0); }

/* ---- semaphore, event, condition, wait group ----------------------------------- */
static tg_sem gs;
static void *sem_user(void *arg)
{
    CHECK_EQ(tg_sem_acquire(&gs), 0);
    mark(*(char *)arg);
    tg_yield();
    CHECK_EQ(tg_sem_release(&gs), 0);
    return NULL;
}
static tg_event gev;
static tg_waitgroup gwg;
static void *ev_waiter(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_event_wait(&gev), 0);
    mark('e');
    tg_waitgroup_done(&gwg);
    return NULL;
}
static tg_cond gc;
static int ready;
static void *cond_waiter(void *arg)
{
    (void)arg;
    tg_mutex_lock(&gm);
    while (!ready)
        CHECK_EQ(tg_cond_wait(&gc, &gm), 0);
    mark('c');
    tg_mutex_unlock(&gm);
    return NULL;
}
static void *t_sync(void *arg)
{
    (void)arg;
    tg_sem_init(&gs, 2, 0);
    tg_task *t[3];
    tg_spawn(&t[0], "1", sem_user, "1");
    tg_spawn(&t[1], "2", sem_user, "2");
    tg_spawn(&t[2], "3", sem_user, "3");
    for (int i = 0; i < 3; i++)
        tg_join(t[i], NULL);
    CHECK_STR(order, "123");
    CHECK_EQ(gs.permits, 2);

    order_n = 0;
    tg_event_init(&gev);
    tg_waitgroup_init(&gwg);
    tg_waitgroup_add(&gwg, 3);
    for (int i = 0; i < 3; i++)
        tg_spawn(NULL, "ev", ev_waiter, NULL);
    tg_yield();
    CHECK_EQ(order_n, 0);
    tg_event_set(&gev);
    CHECK_EQ(tg_waitgroup_wait(&gwg), 0);
    CHECK_STR(order, "eee");

    order_n = 0;
    tg_mutex_init(&gm);
    tg_cond_init(&gc);
    tg_task *c;
    tg_spawn(&c, "cond", cond_waiter, NULL);
    tg_yield();
    tg_mutex_lock(&gm);
    ready = 1;
    tg_cond_signal(&gc);
    tg_mutex_unlock(&gm);
    tg_join(c, NULL);
    CHECK_STR(order, "c");
    tg_mutex_lock(&gm);
    CHECK_EQ(tg_cond_wait_until(&gc, &gm, tg_now() + 5 * MS), TG_ETIMEDOUT);
    CHECK_EQ(tg_mutex_unlock(&gm), 0); /* the mutex is held again after a timeout */
    return NULL;
}
/* Expected: a 2-permit semaphore admits tasks in order and ends with 2
 * permits; an event wakes all its waiters; a wait group returns when its
 * count reaches 0; a condition wakes its waiter, and a timed condition wait
 * returns TG_ETIMEDOUT holding the mutex. */
static void test_sync(void) { CHECK_EQ(tg_run(t_sync, NULL), 0); }

/* ---- channels ------------------------------------------------------------------ */
static tg_chan gch, gch2;
static void *producer(void *arg)
{
    long n = (long)arg;
    for (int i = 0; i < n; i++)
        CHECK_EQ(tg_chan_send(&gch, &i), 0);
    CHECK_EQ(tg_chan_close(&gch), 0);
    return NULL;
}
static void consume_all(long n)
{
    int v, i = 0;
    while (tg_chan_recv(&gch, &v) == 0)
        CHECK_EQ(v, i++);
    CHECK_EQ(i, n);
    CHECK_EQ(tg_chan_recv(&gch, &v), TG_ECLOSED);
    CHECK_EQ(tg_chan_send(&gch, &v), TG_ECLOSED);
}
static void *t_chan(void *arg)
{
    long caps[] = { 0, 1, 7, TG_CHAN_UNBOUNDED };
    (void)arg;
    for (int k = 0; k < 4; k++) {
        CHECK_EQ(tg_chan_init(&gch, sizeof(int), caps[k]), 0);
        tg_task *p;
        tg_spawn(&p, "producer", producer, (void *)1000L);
        consume_all(1000);
        tg_join(p, NULL);
        CHECK_EQ(tg_chan_destroy(&gch), 0);
    }
    int v = 5;
    tg_chan_init(&gch, sizeof(int), 2);
    CHECK_EQ(tg_chan_trysend(&gch, &v), 0);
    CHECK_EQ(tg_chan_trysend(&gch, &v), 0);
    CHECK_EQ(tg_chan_trysend(&gch, &v), TG_EAGAIN);
    CHECK_EQ(tg_chan_send_until(&gch, &v, tg_now() + MS), TG_ETIMEDOUT);
    tg_chan_close(&gch);
    CHECK_EQ(tg_chan_recv(&gch, &v), 0); /* a closed channel drains first */
    CHECK_EQ(tg_chan_recv(&gch, &v), 0);
    CHECK_EQ(tg_chan_recv(&gch, &v), TG_ECLOSED);
    tg_chan_destroy(&gch);
    tg_chan_init(&gch, sizeof(int), TG_CHAN_UNBOUNDED);
    for (int i = 0; i < 100000; i++)
        CHECK_EQ(tg_chan_send(&gch, &i), 0);
    for (int i = 0; i < 100000; i++) {
        CHECK_EQ(tg_chan_tryrecv(&gch, &v), 0);
        CHECK_EQ(v, i);
    }
    CHECK_EQ(tg_chan_tryrecv(&gch, &v), TG_EAGAIN);
    tg_chan_destroy(&gch);
    return NULL;
}
/* Expected: for unbuffered, bounded and unbounded channels every value
 * arrives once and in order, then TG_ECLOSED; a full bounded channel refuses
 * trysend and times out; an unbounded one takes 100000 values without a
 * receiver. */
static void test_chan(void) { CHECK_EQ(tg_run(t_chan, NULL), 0); }

/* ---- select ---------------------------------------------------------------------- */
static void *send_later(void *arg)
{
    tg_sleep(5 * MS);
    int v = 42;
    tg_chan_send(arg, &v);
    return NULL;
}
static void *t_select(void *arg)
{
    (void)arg;
    tg_chan_init(&gch, sizeof(int), 0);
    tg_chan_init(&gch2, sizeof(int), 0);
    int a = 0, b = 0;
    struct tg_sel arms[2] = {
        { .op = TG_SEL_RECV, .obj = &gch, .data = &a },
        { .op = TG_SEL_RECV, .obj = &gch2, .data = &b },
    };
    tg_task *t;
    tg_spawn(&t, "sender", send_later, &gch2);
    CHECK_EQ(tg_select(arms, 2, TG_FOREVER), 1);
    CHECK_EQ(b, 42);
    CHECK_EQ(arms[1].result, 0);
    tg_join(t, NULL);
    CHECK_EQ(tg_select(arms, 2, tg_now() + 2 * MS), TG_ETIMEDOUT);
    /* Both arms were withdrawn: the channels have no waiter left. */
    CHECK(gch.recvq.head == NULL && gch2.recvq.head == NULL);
    tg_chan_close(&gch);
    CHECK_EQ(tg_select(arms, 2, TG_FOREVER), 0);
    CHECK_EQ(arms[0].result, TG_ECLOSED);
    return NULL;
}
/* Expected: select completes the arm whose peer arrives, times out with no
 * waiter left behind, and reports a closed channel through the arm result. */
static void test_select(void) { CHECK_EQ(tg_run(t_select, NULL), 0); }

/* The futurelock write-up (Oxide RFD 609), ported: a select whose arm wants a
 * lock loses to a timeout; the task then takes the same lock. */
static void *holder(void *arg)
{
    (void)arg;
    tg_mutex_lock(&gm);
    tg_sleep(20 * MS);
    tg_mutex_unlock(&gm);
    return NULL;
}
static void *t_futurelock(void *arg)
{
    (void)arg;
    tg_mutex_init(&gm);
    tg_task *h;
    tg_spawn(&h, "holder", holder, NULL);
    tg_yield();
    struct tg_sel lock_arm = { .op = TG_SEL_LOCK, .obj = &gm };
    CHECK_EQ(tg_select(&lock_arm, 1, tg_now() + 2 * MS), TG_ETIMEDOUT);
    CHECK_EQ(tg_mutex_lock(&gm), 0); /* with a stale arm queued this would hang */
    CHECK_EQ(tg_mutex_unlock(&gm), 0);
    tg_join(h, NULL);
    return NULL;
}
/* Expected: completes; the losing lock arm never receives the mutex. */
static void test_futurelock(void) { CHECK_EQ(tg_run(t_futurelock, NULL), 0); }

/* Select over a semaphore, a write lock and an event. */
static void *release_later(void *arg)
{
    tg_sleep(3 * MS);
    tg_sem_release(arg);
    return NULL;
}
static void *t_select_kinds(void *arg)
{
    (void)arg;
    tg_sem s;
    tg_rwlock l;
    tg_event e;
    tg_sem_init(&s, 0, TG_SEM_SIGNAL);
    tg_rwlock_init(&l);
    tg_event_init(&e);
    CHECK_EQ(tg_rwlock_rdlock(&l), 0); /* the write arm cannot win */
    struct tg_sel arms[3] = {
        { .op = TG_SEL_ACQUIRE, .obj = &s },
        { .op = TG_SEL_WRLOCK, .obj = &l },
        { .op = TG_SEL_WAIT, .obj = &e },
    };
    tg_task *t;
    tg_spawn(&t, "releaser", release_later, &s);
    CHECK_EQ(tg_select(arms, 3, TG_FOREVER), 0);
    tg_join(t, NULL);
    /* The losing arms are gone: a new reader is not held back by a queued
     * writer arm, and the event has no waiter. */
    CHECK(l.q.head == NULL && e.q.head == NULL && s.q.head == NULL);
    CHECK_EQ(tg_rwlock_tryrdlock(&l), 0);
    CHECK_EQ(tg_rwlock_unlock(&l), 0);
    CHECK_EQ(tg_rwlock_unlock(&l), 0);
    tg_event_set(&e);
    CHECK_EQ(tg_select(arms, 3, TG_FOREVER), 1); /* the free write lock comes first */
    CHECK_EQ(tg_rwlock_unlock(&l), 0);
    CHECK_EQ(tg_rwlock_rdlock(&l), 0);
    CHECK_EQ(tg_select(arms, 3, TG_FOREVER), 2); /* only the event is ready */
    CHECK_EQ(tg_rwlock_unlock(&l), 0);
    CHECK_EQ(s.permits, 0);
    return NULL;
}
/* Expected: a select over a semaphore, a write lock and an event takes the
 * permit when it is released and leaves no waiter behind; with several arms
 * ready it completes the first in order. */
static void test_select_kinds(void) { CHECK_EQ(tg_run(t_select_kinds, NULL), 0); }

/* ---- cancellation ------------------------------------------------------------------ */
static void *wait_forever(void *arg)
{
    int v;
    CHECK_EQ(tg_chan_recv(arg, &v), TG_ECANCELED);
    CHECK(tg_cancelled());
    CHECK_EQ(tg_sleep(MS), TG_ECANCELED); /* later waits fail too */
    return (void *)1;
}
static void *t_cancel(void *arg)
{
    (void)arg;
    tg_chan_init(&gch, sizeof(int), 0);
    tg_task *t;
    tg_spawn(&t, "victim", wait_forever, &gch);
    tg_yield();
    CHECK_EQ(tg_cancel(t), 0);
    void *r;
    CHECK_EQ(tg_join(t, &r), 0);
    CHECK_EQ((long)r, 1);
    CHECK(gch.recvq.head == NULL);
    return NULL;
}
/* Expected: a task blocked on a channel wakes with TG_ECANCELED, is removed
 * from the channel's queue, and its later waits fail at once. */
static void test_cancel(void) { CHECK_EQ(tg_run(t_cancel, NULL), 0); }

static void *lock_then_cancelled(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_mutex_lock(&gm), TG_ECANCELED); /* never gets the mutex */
    return (void *)2;
}
static void *cond_then_cancelled(void *arg)
{
    (void)arg;
    tg_mutex_lock(&gm);
    CHECK_EQ(tg_cond_wait(&gc, &gm), TG_ECANCELED);
    CHECK_EQ(tg_mutex_unlock(&gm), 0); /* held again on return */
    return (void *)3;
}
static void *t_cancel_lock(void *arg)
{
    (void)arg;
    tg_mutex_init(&gm);
    tg_cond_init(&gc);
    CHECK_EQ(tg_mutex_lock(&gm), 0);
    tg_task *a, *b;
    tg_spawn(&a, "lock-waiter", lock_then_cancelled, NULL);
    tg_yield();
    tg_cancel(a);
    void *r;
    CHECK_EQ(tg_join(a, &r), 0);
    CHECK_EQ((long)r, 2);
    CHECK(gm.q.head == NULL);
    CHECK_EQ(tg_mutex_unlock(&gm), 0);
    CHECK_EQ(tg_mutex_trylock(&gm), 0); /* not handed to the cancelled task */
    CHECK_EQ(tg_mutex_unlock(&gm), 0);
    tg_spawn(&b, "cond-waiter", cond_then_cancelled, NULL);
    tg_yield();
    tg_mutex_lock(&gm); /* b waits on the condition, not holding gm */
    tg_cancel(b);
    tg_mutex_unlock(&gm);
    CHECK_EQ(tg_join(b, &r), 0);
    CHECK_EQ((long)r, 3);
    return NULL;
}
/* Expected: a task cancelled while waiting for a mutex is removed from its
 * queue and never receives it; one cancelled in a condition wait returns
 * TG_ECANCELED holding the mutex again. */
static void test_cancel_lock(void) { CHECK_EQ(tg_run(t_cancel_lock, NULL), 0); }

/* ---- several schedulers ------------------------------------------------------------- */
static long counter;
static void *pinger(void *arg)
{
    long n = (long)arg;
    for (int i = 0; i < n; i++) {
        int v = i, w;
        CHECK_EQ(tg_chan_send(&gch, &v), 0);
        CHECK_EQ(tg_chan_recv(&gch2, &w), 0);
        CHECK_EQ(w, i + 1);
        tg_mutex_lock(&gm);
        counter++;
        tg_mutex_unlock(&gm);
    }
    return NULL;
}
static void *ponger(void *arg)
{
    long n = (long)arg;
    for (int i = 0; i < n; i++) {
        int v;
        CHECK_EQ(tg_chan_recv(&gch, &v), 0);
        v++;
        CHECK_EQ(tg_chan_send(&gch2, &v), 0);
        tg_mutex_lock(&gm);
        counter++;
        tg_mutex_unlock(&gm);
    }
    return NULL;
}
static void *thread_run(void *arg)
{
    CHECK_EQ(tg_run(ponger, arg), 0);
    return NULL;
}
static void test_multi_sched(void)
{
    tg_chan_init(&gch, sizeof(int), 0);
    tg_chan_init(&gch2, sizeof(int), 0);
    tg_mutex_init(&gm);
    pthread_t th;
    pthread_create(&th, NULL, thread_run, (void *)20000L);
    CHECK_EQ(tg_run(pinger, (void *)20000L), 0);
    pthread_join(th, NULL);
    CHECK_EQ(counter, 40000);
}
/* (Expected for test_multi_sched: 20000 round trips between tasks of two
 * schedulers on two threads arrive in order, and a mutex shared by them
 * counts all 40000 increments.) */

/* ---- descriptors ---------------------------------------------------------------------- */
static int pfd[2];
static void *write_later(void *arg)
{
    (void)arg;
    tg_sleep(5 * MS);
    CHECK_EQ(write(pfd[1], "x", 1), 1);
    return NULL;
}
static void *t_fd(void *arg)
{
    (void)arg;
    CHECK_EQ(pipe(pfd), 0);
    CHECK_EQ(tg_fd_wait_until(pfd[0], TG_READABLE, tg_now() + 2 * MS), TG_ETIMEDOUT);
    tg_task *t;
    tg_spawn(&t, "writer", write_later, NULL);
    CHECK_EQ(tg_fd_wait(pfd[0], TG_READABLE), TG_READABLE);
    char c;
    CHECK_EQ(read(pfd[0], &c, 1), 1);
    CHECK_EQ(tg_fd_wait(pfd[1], TG_WRITABLE), TG_WRITABLE);
    tg_join(t, NULL);
    return NULL;
}
/* Expected: a pipe's read end times out while empty, becomes readable when
 * another task writes, and the write end is writable. */
static void test_fd(void) { CHECK_EQ(tg_run(t_fd, NULL), 0); }

/* ---- dump ------------------------------------------------------------------------------ */
static void *lock_blocked(void *arg)
{
    (void)arg;
    tg_mutex_lock(&gm);
    tg_mutex_unlock(&gm);
    return NULL;
}
static void *t_dump(void *arg)
{
    (void)arg;
    tg_mutex_init(&gm);
    tg_mutex_lock(&gm);
    tg_task *t;
    tg_spawn(&t, "blocked-one", lock_blocked, NULL);
    tg_yield();
    FILE *f = tmpfile();
    tg_dump(fileno(f));
    tg_mutex_unlock(&gm);
    tg_join(t, NULL);
    char buf[4096] = { 0 };
    rewind(f);
    CHECK(fread(buf, 1, sizeof buf - 1, f) > 0);
    fclose(f);
    /* Plain and symbolized dumps both name each task, the mutex waited on
     * and its holder (their exact wording is the reporter's). */
    CHECK(strstr(buf, "\"main\"") != NULL);
    CHECK(strstr(buf, "\"blocked-one\"") != NULL);
    CHECK(strstr(buf, "mutex") != NULL && strstr(buf, "held by task") != NULL);
    return NULL;
}
/* Expected: the dump lists the running task and the blocked one, with the
 * mutex it waits on and that mutex's holder. */
static void test_dump(void) { CHECK_EQ(tg_run(t_dump, NULL), 0); }

static void *t_dump_signal(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_dump_on_signal(SIGUSR1), 0);
    FILE *f = tmpfile();
    int saved = dup(2);
    dup2(fileno(f), 2);
    raise(SIGUSR1);
    /* The watchdog writes the dump within 10 ms, plus symbolization. */
    char buf[4096] = { 0 };
    for (int i = 0; i < 250 && !strstr(buf, "\"main\""); i++) {
        tg_sleep(20 * MS);
        rewind(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
    }
    dup2(saved, 2);
    fclose(f);
    CHECK(strstr(buf, "task dump") != NULL && strstr(buf, "\"main\"") != NULL);
    return NULL;
}
/* Expected: after tg_dump_on_signal(SIGUSR1), raising the signal writes a
 * dump naming task "main" to stderr. */
static void test_dump_signal(void) { CHECK_EQ(tg_run(t_dump_signal, NULL), 0); }

/* ---- a task's end resumes its joiner directly ------------------------------------------ */
static long ticks;
static int ticker_stop;
static void *ticker(void *arg)
{
    (void)arg;
    while (!ticker_stop) {
        ticks++;
        tg_yield();
    }
    return NULL;
}
static void *plus_one(void *a) { return (void *)((long)a + 1); }
static tg_event jev;
static void *wait_jev(void *a)
{
    tg_event_wait(&jev);
    return a;
}
static void *join_it(void *t)
{
    return (void *)(long)tg_join(t, NULL);
}
static void *t_join_direct(void *arg)
{
    (void)arg;
    /* Results, and other runnable tasks still run between the hand-offs. */
    tg_task *tk;
    CHECK_EQ(tg_spawn(&tk, "ticker", ticker, NULL), 0);
    for (long i = 0; i < 1000; i++) {
        tg_task *t;
        void *r = NULL;
        CHECK_EQ(tg_spawn(&t, i % 2 ? "odd" : "even", plus_one, (void *)i), 0);
        CHECK_EQ(tg_join(t, &r), 0);
        CHECK_EQ((long)r, i + 1);
    }
    CHECK(ticks >= 500);
    ticker_stop = 1;
    CHECK_EQ(tg_join(tk, NULL), 0);
    /* A child that ended before the join. */
    tg_task *t;
    void *r = NULL;
    CHECK_EQ(tg_spawn(&t, "early", plus_one, (void *)41), 0);
    tg_yield();
    CHECK_EQ(tg_join(t, &r), 0);
    CHECK_EQ((long)r, 42);
    /* A joiner cancelled while it waits, and a second joiner meanwhile:
     * the first returns TG_ECANCELED, the second gets the result. */
    tg_event_init(&jev);
    tg_task *c, *j;
    CHECK_EQ(tg_spawn(&c, "waiter", wait_jev, (void *)7), 0);
    CHECK_EQ(tg_spawn(&j, "joiner", join_it, c), 0);
    tg_yield(); /* c waits on jev, j waits for c */
    CHECK_EQ(tg_cancel(j), 0);
    tg_event_set(&jev);
    r = NULL;
    CHECK_EQ(tg_join(c, &r), 0);
    CHECK_EQ((long)r, 7);
    r = NULL;
    CHECK_EQ(tg_join(j, &r), 0);
    CHECK_EQ((long)r, TG_ECANCELED);
    /* A join that times out leaves the task joinable. */
    tg_event_reset(&jev);
    CHECK_EQ(tg_spawn(&c, "late", wait_jev, (void *)9), 0);
    CHECK_EQ(tg_join_until(c, NULL, tg_now() + 2 * MS), TG_ETIMEDOUT);
    tg_event_set(&jev);
    r = NULL;
    CHECK_EQ(tg_join(c, &r), 0);
    CHECK_EQ((long)r, 9);
    return NULL;
}
/* Expected: each joiner sees its child's result, whether the child ends
 * after the join began (and hands control straight to the joiner) or
 * before; a yielding task keeps running between the hand-offs; a cancelled
 * joiner returns TG_ECANCELED while another joiner of the same task gets
 * its result; a timed-out join leaves the task joinable. */
static void test_join_direct(void) { CHECK_EQ(tg_run(t_join_direct, NULL), 0); }

/* ---- dumps while task records and actors are reused ------------------------------------ */
/* A name that says whether it was copied whole: "r<k>-<k % 97>". */
static int name_ok(const char *n, size_t len)
{
    long k, c;
    char buf[40];
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, n, len);
    buf[len] = 0;
    return sscanf(buf, "r%ld-%ld", &k, &c) == 2 && c == k % 97;
}
static int renew_stop;
static long renew_spawned; /* tasks the spawner has made so far */
/* Waits (at most 10 s) until the spawner has made a task since `since`:
 * on a loaded machine the scheduler thread may not run for a long time,
 * and dumps taken while it does not could all miss a live task. */
static long spawner_moved(long since)
{
    for (int i = 0; i < 10000; i++) {
        long now = __atomic_load_n(&renew_spawned, __ATOMIC_ACQUIRE);
        if (now != since)
            return now;
        usleep(1000);
    }
    return since;
}
static void *dumper(void *arg)
{
    FILE *f = arg;
    long seen = 0;
    for (int i = 0; i < 40; i++) {
        seen = spawner_moved(seen);
        tg_dump(fileno(f));
        usleep(2000);
    }
    __atomic_store_n(&renew_stop, 1, __ATOMIC_RELEASE);
    return NULL;
}
static void *nothing_task(void *a) { return a; }
static void *t_dump_renew(void *arg)
{
    (void)arg;
    FILE *f = tmpfile();
    CHECK(f != NULL);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, dumper, f), 0);
    for (long k = 0; !__atomic_load_n(&renew_stop, __ATOMIC_ACQUIRE); k++) {
        char name[32];
        snprintf(name, sizeof name, "r%ld-%ld", k, k % 97);
        tg_task *t;
        CHECK_EQ(tg_spawn(&t, name, nothing_task, NULL), 0);
        __atomic_store_n(&renew_spawned, k + 1, __ATOMIC_RELEASE);
        CHECK_EQ(tg_join(t, NULL), 0);
    }
    pthread_join(th, NULL);
    /* Every task named in a dump has a whole name; with ids (the engine's
     * dump), an id names one task only, in every dump. */
    rewind(f);
    static long ids[4096];
    static char names[4096][32];
    int n_ids = 0, seen = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        for (char *p = line; (p = strstr(p, "task ")); p += 5) {
            char *q = p + 5;
            long id = -1;
            if (*q >= '0' && *q <= '9')
                id = strtol(q, &q, 10), q += *q == ' ';
            if (*q != '"')
                continue;
            char *e = strchr(q + 1, '"');
            if (!e || e[-1] == '\\' || strncmp(q + 1, "r", 1) != 0)
                continue;
            size_t len = (size_t)(e - q - 1);
            CHECK(name_ok(q + 1, len));
            seen++;
            if (id < 0)
                continue;
            int k = 0;
            while (k < n_ids && ids[k] != id)
                k++;
            if (k == n_ids && n_ids < 4096) {
                ids[n_ids] = id;
                memcpy(names[n_ids], q + 1, len < 31 ? len : 31);
                n_ids++;
            } else if (k < n_ids) {
                CHECK(strncmp(names[k], q + 1, len) == 0 && names[k][len] == 0);
            }
        }
    }
    fclose(f);
    CHECK(seen > 0);
    return NULL;
}
/* Expected: while one scheduler spawns and joins tasks as fast as it can
 * (reusing task records and, with detection, renewing the same engine
 * actor for each), dumps taken from another thread show each task with its
 * whole name, and never show one id with two names. */
static void test_dump_renew(void) { CHECK_EQ(tg_run(t_dump_renew, NULL), 0); }

/* ---- a permit returned by a task that does not hold one -------------------------------- */
static tg_sem psem;
static tg_event pgo;
static void *permit_holder(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_sem_acquire(&psem), 0);
    tg_event_wait(&pgo); /* ends without returning it: "main" did */
    return NULL;
}
static void dump_to(char *buf, size_t size)
{
    FILE *f = tmpfile();
    tg_dump(fileno(f));
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
}
static void *t_permit_other(void *arg)
{
    (void)arg;
    static char before[8192], after[8192];
    CHECK_EQ(tg_sem_init(&psem, 1, 0), 0);
    tg_event_init(&pgo);
    tg_task *h;
    tg_spawn(&h, "permit-holder", permit_holder, NULL);
    tg_yield();
    dump_to(before, sizeof before);
    CHECK_EQ(tg_sem_release(&psem), 0); /* for "permit-holder" */
    dump_to(after, sizeof after);
    CHECK_EQ(tg_sem_tryacquire(&psem), 0);
    CHECK_EQ(tg_sem_tryacquire(&psem), TG_EAGAIN);
    CHECK_EQ(tg_sem_release(&psem), 0);
    CHECK_EQ(tg_sem_release(&psem), 0); /* one nobody holds: ends no hold */
    tg_event_set(&pgo);
    CHECK_EQ(tg_join(h, NULL), 0);
    CHECK_EQ(tg_sem_destroy(&psem), 0);
    /* With the engine the dump lists holds: the holder's permit is listed
     * before and gone after; without it neither dump lists holds. */
    if (strstr(before, "holding:")) {
        CHECK(strstr(strstr(before, "holding:"), "semaphore") != NULL);
        CHECK(strstr(after, "holding:") == NULL);
    }
    return NULL;
}
/* Expected: a permit returned by a task that does not hold one ends the
 * hold of a task that does (it no longer appears in a dump as held), and
 * permits count right throughout. */
static void test_permit_other(void) { CHECK_EQ(tg_run(t_permit_other, NULL), 0); }

/* ---- the hold record: holds kept by the task until it switches ------------------------- */
static tg_mutex hr[6];
static int hr_free[6];
static void *hr_probe(void *arg)
{
    (void)arg;
    for (int i = 0; i < 6; i++) {
        hr_free[i] = tg_mutex_trylock(&hr[i]) == 0;
        if (hr_free[i])
            CHECK_EQ(tg_mutex_unlock(&hr[i]), 0);
    }
    return NULL;
}
/* How many holds a dump lists (-1 for a dump without holds: no engine). */
static int hr_holds(void)
{
    static char buf[16384];
    dump_to(buf, sizeof buf);
    if (!strstr(buf, "was started in"))
        return -1;
    int n = 0;
    for (const char *p = buf; (p = strstr(p, "\n      mutex #")) != NULL; p++)
        n++; /* a line of a "holding:" list */
    return n;
}
/* Checks that exactly the mutexes in `held` (a bit each) are held, as the
 * mutexes themselves say and as the engine's dump says. */
static void hr_check(unsigned held)
{
    tg_task *t;
    CHECK_EQ(tg_spawn(&t, "probe", hr_probe, NULL), 0);
    CHECK_EQ(tg_join(t, NULL), 0);
    for (int i = 0; i < 6; i++)
        CHECK_EQ(hr_free[i], !(held >> i & 1));
    int n = hr_holds();
    if (n >= 0)
        CHECK_EQ(n, __builtin_popcount(held));
}
static void *t_hold_record(void *arg)
{
    (void)arg;
    for (int i = 0; i < 6; i++)
        CHECK_EQ(tg_mutex_init(&hr[i]), 0);
    /* Six at once: four fit the record, two go to the engine's list. The
     * dump is written by this task itself, before any switch. */
    for (int i = 0; i < 6; i++)
        CHECK_EQ(tg_mutex_lock(&hr[i]), 0);
    CHECK_EQ(hr_holds() < 0 ? 6 : hr_holds(), 6);
    /* Out of order: one from the record, one from the engine's list. */
    CHECK_EQ(tg_mutex_unlock(&hr[1]), 0);
    CHECK_EQ(tg_mutex_unlock(&hr[4]), 0);
    hr_check(0x2d); /* 0, 2, 3, 5, with a switch (the probe's join) */
    /* Released out of order and in order, across a switch or not. */
    CHECK_EQ(tg_mutex_unlock(&hr[2]), 0);
    CHECK_EQ(tg_mutex_lock(&hr[1]), 0); /* above the mirrored ones */
    CHECK_EQ(tg_mutex_unlock(&hr[0]), 0);
    CHECK_EQ(hr_holds() < 0 ? 3 : hr_holds(), 3);
    hr_check(0x2a); /* 1, 3, 5 */
    CHECK_EQ(tg_mutex_unlock(&hr[5]), 0);
    CHECK_EQ(tg_mutex_unlock(&hr[1]), 0);
    tg_yield();
    CHECK_EQ(tg_mutex_unlock(&hr[3]), 0);
    hr_check(0);
    for (int i = 0; i < 6; i++)
        CHECK_EQ(tg_mutex_destroy(&hr[i]), 0);
    return NULL;
}
/* Expected: mutexes taken and released in any order, more at once than
 * the record holds, across switches or not, are held exactly as long as
 * the program says, and the engine's dump (written by the task itself or
 * after a switch) lists exactly those held. */
static void test_hold_record(void) { CHECK_EQ(tg_run(t_hold_record, NULL), 0); }

/* ---- a task that ends holding mutexes keeps its record --------------------------------- */
static tg_mutex he[6];
static void *he_keep(void *arg)
{
    /* arg mutexes: up to four in the hold record, the rest beyond it. */
    for (long i = 0; i < (long)arg; i++)
        CHECK_EQ(tg_mutex_lock(&he[i]), 0);
    return NULL;
}
static void *he_other(void *arg)
{
    for (long i = 0; i < (long)arg; i++) {
        CHECK_EQ(tg_mutex_unlock(&he[i]), TG_EPERM);
        CHECK_EQ(tg_mutex_trylock(&he[i]), TG_EAGAIN);
    }
    return NULL;
}
static void *t_hold_ended(void *arg)
{
    (void)arg;
    struct tg_spawn_opts o = { .stack_size = 64 * 1024 };
    for (long n = 1; n <= 6; n += 5) {
        for (int i = 0; i < 6; i++)
            CHECK_EQ(tg_mutex_init(&he[i]), 0);
        tg_task *t;
        CHECK_EQ(tg_spawn_opts(&t, "keeper", he_keep, (void *)n, &o), 0);
        CHECK_EQ(tg_join(t, NULL), 0);
        /* A freed record would be the next spawn's of the same size: its
         * task would then pass for the owner. */
        for (int k = 0; k < 3; k++) {
            CHECK_EQ(tg_spawn_opts(&t, "other", he_other, (void *)n, &o), 0);
            CHECK_EQ(tg_join(t, NULL), 0);
        }
    }
    return NULL;
}
/* Expected: mutexes held by a task that ended (one, taken into its hold
 * record; or six, four there and two beyond) stay held by it: its record
 * is not reused by later tasks, which cannot unlock or take them. */
static void test_hold_ended(void) { CHECK_EQ(tg_run(t_hold_ended, NULL), 0); }

/* ---- what a dump says of channel and wait group waits ----------------------------------- */
static tg_chan nch;
static tg_waitgroup nwg;
static void *note_receiver(void *arg)
{
    (void)arg;
    int v;
    CHECK_EQ(tg_chan_recv(&nch, &v), 0);
    CHECK_EQ(tg_chan_recv(&nch, &v), 0);
    return NULL;
}
/* The id a dump gives the task named `name` ("  task 12 \"main\""), 0 if
 * none. */
static unsigned long long dump_id(const char *buf, const char *name)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", name);
    for (const char *p = strstr(buf, "  task "); p; p = strstr(p + 1, "  task ")) {
        unsigned long long id;
        int n;
        if (sscanf(p, "  task %llu %n", &id, &n) == 1 && strncmp(p + n, quoted, strlen(quoted)) == 0)
            return id;
    }
    return 0;
}
static void *note_wg_waiter(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_waitgroup_wait(&nwg), 0);
    return NULL;
}
static void *t_dump_notes(void *arg)
{
    (void)arg;
    static char buf[8192];
    tg_chan_init(&nch, sizeof(int), 0);
    tg_waitgroup_init(&nwg);
    tg_waitgroup_add(&nwg, 2);
    tg_task *r, *w;
    tg_spawn(&r, "receiver", note_receiver, NULL);
    tg_spawn(&w, "wg-waiter", note_wg_waiter, NULL);
    tg_yield();
    dump_to(buf, sizeof buf);
    int v = 7;
    CHECK_EQ(tg_chan_send(&nch, &v), 0);
    CHECK(strstr(buf, "\"receiver\"") != NULL && strstr(buf, "\"wg-waiter\"") != NULL);
    if (strstr(buf, "was started in")) { /* the engine's dump */
        CHECK(strstr(buf, "it waits to receive: the channel is unbuffered and no task waits "
                          "to send on it; any task sending on it (or closing it) would complete "
                          "the receive. Nobody has sent on it yet; nobody has received from it "
                          "yet.") != NULL);
        CHECK(strstr(buf, "the wait group still counts 2") != NULL);
        /* Then the receiver took that value and waits for another. */
        tg_yield();
        dump_to(buf, sizeof buf);
        unsigned long long me = dump_id(buf, "main");
        char want[256];
        snprintf(want, sizeof want, "The last to send on it was task %llu \"main\", which can "
                                    "run; the last to receive from it was this task.", me);
        CHECK(me != 0 && strstr(buf, want) != NULL);
        snprintf(want, sizeof want, "Nobody has called tg_waitgroup_done() on it yet; the last "
                                    "to add to it was task %llu \"main\", which can run.", me);
        CHECK(strstr(buf, want) != NULL);
    }
    CHECK_EQ(tg_chan_send(&nch, &v), 0);
    tg_waitgroup_done(&nwg);
    tg_waitgroup_done(&nwg);
    CHECK_EQ(tg_join(r, NULL), 0);
    CHECK_EQ(tg_join(w, NULL), 0);
    return NULL;
}
/* Expected: with the engine, a dump says that the receiver waits to
 * receive on an unbuffered channel nobody has sent on or received from,
 * and that the wait group still counts 2; once "main" (running: it makes
 * the dump) has sent it a value and it waits for another, that "main",
 * which can run, sent on it last and the receiver itself received, and
 * that nobody has finished the wait group but "main" added to it. */
static void test_dump_notes(void) { CHECK_EQ(tg_run(t_dump_notes, NULL), 0); }

/* ---- stress: select arms racing across two schedulers ---------------------------------- */
static tg_mutex sm[2];
static tg_chan sch;
static int inside[2];
static long in_lock[2], lock_wins[2], recv_wins, sent_total;

static void *stress_worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    long v;
    for (int i = 0; i < 3000; i++) {
        struct tg_sel arms[3] = {
            { .op = TG_SEL_LOCK, .obj = &sm[0] },
            { .op = TG_SEL_LOCK, .obj = &sm[1] },
            { .op = TG_SEL_RECV, .obj = &sch, .data = &v },
        };
        seed = seed * 1103515245 + 12345;
        int r = tg_select(arms, 3, tg_now() + (seed >> 16) % 20000);
        if (r == 0 || r == 1) {
            CHECK_EQ(inside[r], 0); /* mutual exclusion */
            inside[r] = 1;
            in_lock[r]++;
            if (seed & 0x100)
                tg_yield();
            inside[r] = 0;
            CHECK_EQ(tg_mutex_unlock(&sm[r]), 0);
            __atomic_add_fetch(&lock_wins[r], 1, __ATOMIC_RELAXED);
        } else if (r == 2) {
            CHECK_EQ(arms[2].result, 0);
            __atomic_add_fetch(&recv_wins, 1, __ATOMIC_RELAXED);
        } else {
            CHECK_EQ(r, TG_ETIMEDOUT);
        }
    }
    return NULL;
}
static void *stress_producer(void *arg)
{
    (void)arg;
    for (long i = 0; i < 20000; i++) {
        if (tg_chan_send_until(&sch, &i, tg_now() + 1000000) == 0)
            __atomic_add_fetch(&sent_total, 1, __ATOMIC_RELAXED);
        if (i % 7 == 0)
            tg_yield();
    }
    return NULL;
}
static void *stress_side(void *arg)
{
    for (long i = 0; i < 8; i++)
        tg_spawn(NULL, "worker", stress_worker, (void *)(i * 7919 + (long)arg));
    tg_spawn(NULL, "producer", stress_producer, NULL);
    return NULL;
}
static void *stress_thread(void *arg)
{
    CHECK_EQ(tg_run(stress_side, arg), 0);
    return NULL;
}
static void *stress_check(void *arg)
{
    (void)arg;
    for (int k = 0; k < 2; k++) { /* every lock ended free, with no stale waiter */
        CHECK_EQ(tg_mutex_trylock(&sm[k]), 0);
        CHECK_EQ(tg_mutex_unlock(&sm[k]), 0);
    }
    return NULL;
}
static void test_stress_select(void)
{
    tg_mutex_init(&sm[0]);
    tg_mutex_init(&sm[1]);
    tg_chan_init(&sch, sizeof(long), 0);
    pthread_t th[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, stress_thread, (void *)(i + 1));
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(lock_wins[0], in_lock[0]);
    CHECK_EQ(lock_wins[1], in_lock[1]);
    CHECK_EQ(recv_wins, sent_total);
    CHECK(lock_wins[0] + lock_wins[1] > 0);
    CHECK_EQ(tg_run(stress_check, NULL), 0);
}
/* (Expected for test_stress_select: 16 tasks on two schedulers select over
 * two mutexes and a channel with random short deadlines; the mutexes stay
 * mutually exclusive, every won lock was entered exactly once, every value
 * sent was received by exactly one select, and both mutexes end free.) */

/* ---- no false reports: locks always taken in one order, across threads ---------------- */
static tg_mutex ordered[6];
static long ordered_count[6];
static void *ordered_worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < 2000; i++) {
        int held[6], n = 0;
        for (int k = 0; k < 6; k++) { /* a random ascending subset */
            seed = seed * 1103515245 + 12345;
            if ((seed >> 16) & 1) {
                CHECK_EQ(tg_mutex_lock(&ordered[k]), 0);
                ordered_count[k]++;
                held[n++] = k;
                if ((seed >> 20) & 1)
                    tg_yield();
            }
        }
        while (n > 0)
            CHECK_EQ(tg_mutex_unlock(&ordered[held[--n]]), 0);
    }
    return NULL;
}
static void *ordered_side(void *arg)
{
    tg_task *t[6];
    for (long i = 0; i < 6; i++)
        tg_spawn(&t[i], "ordered", ordered_worker, (void *)(i * 31 + (long)arg));
    for (int i = 0; i < 6; i++)
        CHECK_EQ(tg_join(t[i], NULL), 0);
    return NULL;
}
static void *ordered_thread(void *arg)
{
    CHECK_EQ(tg_run(ordered_side, arg), 0);
    return NULL;
}
static void test_ordered_locks(void)
{
    for (int k = 0; k < 6; k++)
        tg_mutex_init(&ordered[k]);
    pthread_t th[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, ordered_thread, (void *)(i + 1));
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    long total = 0;
    for (int k = 0; k < 6; k++)
        total += ordered_count[k];
    CHECK(total > 0);
}
/* (Expected for test_ordered_locks: 12 tasks on two schedulers take random
 * ascending subsets of six mutexes, yielding while holding them; there is no
 * cycle, so the program ends normally with no report, which with detection
 * on means exit status 0, not 66.) */

/* ---- no false reports: selects of locks, in one order, across threads ---------------- */
static tg_mutex sel_ord[4]; /* taken in the order 0 < {1, 2} < 3 */
static int sel_inside[4];
static long sel_entered[4], sel_done;
static void sel_enter(int k)
{
    CHECK_EQ(sel_inside[k], 0); /* mutual exclusion (both schedulers' tasks) */
    __atomic_store_n(&sel_inside[k], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&sel_entered[k], 1, __ATOMIC_RELAXED);
}
static void sel_leave(int k)
{
    __atomic_store_n(&sel_inside[k], 0, __ATOMIC_RELAXED);
    CHECK_EQ(tg_mutex_unlock(&sel_ord[k]), 0);
}
static void *sel_ordered_worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < 1500; i++) {
        seed = seed * 1103515245 + 12345;
        int pattern = (int)((seed >> 16) % 3), first = -1;
        struct tg_sel arms[2] = { { .op = TG_SEL_LOCK, .obj = &sel_ord[1] },
                                  { .op = TG_SEL_LOCK, .obj = &sel_ord[2] } };
        if (pattern == 0) { /* 0, then 1 or 2 */
            CHECK_EQ(tg_mutex_lock(&sel_ord[0]), 0);
            sel_enter(first = 0);
        }
        int won = pattern == 2 ? 1 : tg_select(arms, 2, TG_FOREVER);
        if (pattern == 2)
            CHECK_EQ(tg_mutex_lock(&sel_ord[2]), 0); /* 2, then 3 */
        CHECK(won == 0 || won == 1);
        sel_enter(won + 1);
        if (seed & 0x100)
            tg_yield();
        if (pattern != 0) {
            CHECK_EQ(tg_mutex_lock(&sel_ord[3]), 0);
            sel_enter(3);
            if (seed & 0x200)
                tg_yield();
            sel_leave(3);
        }
        sel_leave(won + 1);
        if (first == 0)
            sel_leave(0);
        __atomic_add_fetch(&sel_done, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}
static void *sel_ordered_side(void *arg)
{
    tg_task *t[6];
    for (long i = 0; i < 6; i++)
        tg_spawn(&t[i], "sel-ordered", sel_ordered_worker, (void *)(i * 131 + (long)arg));
    for (int i = 0; i < 6; i++)
        CHECK_EQ(tg_join(t[i], NULL), 0);
    return NULL;
}
static void *sel_ordered_thread(void *arg)
{
    CHECK_EQ(tg_run(sel_ordered_side, arg), 0);
    return NULL;
}
static void test_select_ordered(void)
{
    for (int k = 0; k < 4; k++)
        tg_mutex_init(&sel_ord[k]);
    pthread_t th[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, sel_ordered_thread, (void *)(i + 1));
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(sel_done, 2 * 6 * 1500);
    CHECK(sel_entered[1] > 0 && sel_entered[2] > 0 && sel_entered[3] > 0);
}
/* (Expected for test_select_ordered: 12 tasks on two schedulers take mutex
 * 0 then select mutex 1 or 2, or select 1 or 2 then take 3, or take 2 then
 * 3, yielding while holding them; every select is of locks only, so its
 * waits are walked arm by arm, and there is no cycle: every iteration
 * completes, the locks stay mutually exclusive, and with detection on no
 * report is made (exit status 0, not 66).) */

/* ---- cancellation from another scheduler -------------------------------------------- */
static tg_task *remote_victim;
static tg_event victim_ready;
static void *victim_side(void *arg)
{
    (void)arg;
    tg_spawn(&remote_victim, "remote-victim", wait_forever, &gch);
    tg_yield();
    tg_event_set(&victim_ready);
    return NULL;
}
static void *victim_thread(void *arg)
{
    CHECK_EQ(tg_run(victim_side, arg), 0);
    return NULL;
}
static void *canceller(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_event_wait(&victim_ready), 0);
    tg_sleep(2000000);
    CHECK_EQ(tg_cancel(remote_victim), 0);
    void *r = NULL;
    CHECK_EQ(tg_join(remote_victim, &r), 0);
    CHECK_EQ((long)r, 1);
    return NULL;
}
/* ---- the end of solo mode --------------------------------------------------------- */
/* The first scheduler runs alone (plain stores instead of atomic operations,
 * task_int.h) until other threads join in while its tasks are in the middle
 * of locking: a second scheduler whose tasks share the same mutex and
 * channel, and a thread that is no scheduler at all setting an event. */
#define SOLO_N 200000
#define LATE_N 50000
static tg_mutex solo_mu;
static long solo_count; /* guarded by solo_mu, deliberately not atomic */
static tg_chan solo_ch;
static tg_event solo_ev;
static void *solo_locker(void *arg)
{
    (void)arg;
    for (long i = 0; i < SOLO_N; i++) {
        tg_mutex_lock(&solo_mu);
        solo_count++;
        if (i % 64 == 0)
            tg_yield(); /* holding it: the others queue behind */
        tg_mutex_unlock(&solo_mu);
    }
    return NULL;
}
static void *late_locker(void *arg)
{
    long id = (long)arg;
    for (long i = 0; i < LATE_N; i++) {
        tg_mutex_lock(&solo_mu);
        solo_count++;
        tg_mutex_unlock(&solo_mu);
        if (i % 100 == 0)
            CHECK_EQ(tg_chan_send(&solo_ch, &id), 0);
    }
    return NULL;
}
static void *late_main(void *arg)
{
    (void)arg;
    tg_task *t[2];
    for (long i = 0; i < 2; i++)
        tg_spawn(&t[i], "late", late_locker, (void *)i);
    for (int i = 0; i < 2; i++)
        tg_join(t[i], NULL);
    return NULL;
}
static void *late_thread(void *arg)
{
    CHECK_EQ(tg_run(late_main, arg), 0);
    return NULL;
}
static void *setter_thread(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_event_set(&solo_ev), 0); /* from a thread that runs no task */
    return NULL;
}
static void *solo_receiver(void *arg)
{
    (void)arg;
    long got = 0, id;
    while (got < 2 * (LATE_N / 100) && tg_chan_recv(&solo_ch, &id) == 0)
        got++;
    CHECK_EQ(got, 2 * (LATE_N / 100));
    CHECK_EQ(tg_event_wait(&solo_ev), 0);
    return NULL;
}
static void *solo_main(void *arg)
{
    (void)arg;
    tg_task *t[4], *r;
    for (int i = 0; i < 3; i++)
        tg_spawn(&t[i], "solo", solo_locker, NULL);
    tg_spawn(&r, "receiver", solo_receiver, NULL);
    for (int i = 0; i < 200; i++)
        tg_yield(); /* the lockers are well under way */
    pthread_t late, setter;
    pthread_create(&late, NULL, late_thread, NULL);
    pthread_create(&setter, NULL, setter_thread, NULL);
    for (int i = 0; i < 3; i++)
        tg_join(t[i], NULL);
    tg_join(r, NULL);
    pthread_join(late, NULL);
    pthread_join(setter, NULL);
    return NULL;
}
static void test_solo_end(void)
{
    tg_mutex_init(&solo_mu);
    tg_chan_init(&solo_ch, sizeof(long), 0);
    tg_event_init(&solo_ev);
    CHECK_EQ(tg_run(solo_main, NULL), 0);
    CHECK_EQ(solo_count, 3L * SOLO_N + 2L * LATE_N);
}
/* (Expected for test_solo_end: not one increment is lost, every message of
 * the late scheduler arrives, and the event set by the plain thread is seen.) */

static void test_remote_cancel(void)
{
    tg_chan_init(&gch, sizeof(int), 0);
    tg_event_init(&victim_ready);
    pthread_t th;
    pthread_create(&th, NULL, victim_thread, NULL);
    CHECK_EQ(tg_run(canceller, NULL), 0);
    pthread_join(th, NULL);
}
/* (Expected for test_remote_cancel: a task parked on a channel in another
 * thread's scheduler is cancelled and joined from this one; it returns 1.) */

/* ---- starvation: yield loops and ready operations ------------------------------------ */
static int poll_flags;
static int yfd[2];
static tg_task *poll_victim;
static void poll_set(int bit) { __atomic_fetch_or(&poll_flags, bit, __ATOMIC_SEQ_CST); }
static void *poll_sleeper(void *arg) { (void)arg; CHECK_EQ(tg_sleep(MS), 0); poll_set(1); return NULL; }
static void *poll_reader(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_fd_wait(yfd[0], TG_READABLE), TG_READABLE);
    poll_set(2);
    return NULL;
}
static void *poll_victim_fn(void *arg)
{
    tg_event never;
    (void)arg;
    tg_event_init(&never);
    CHECK_EQ(tg_event_wait(&never), TG_ECANCELED);
    poll_set(4);
    return NULL;
}
static void *poll_canceller(void *arg)
{
    (void)arg;
    CHECK_EQ(tg_cancel(poll_victim), 0);
    return NULL;
}
static void *t_yield_poll(void *arg)
{
    (void)arg;
    CHECK_EQ(pipe(yfd), 0);
    tg_task *a, *b;
    tg_spawn(&a, "sleeper", poll_sleeper, NULL);
    tg_spawn(&b, "reader", poll_reader, NULL);
    tg_spawn(&poll_victim, "victim", poll_victim_fn, NULL);
    tg_yield(); /* all three park */
    CHECK_EQ(write(yfd[1], "x", 1), 1);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, poll_canceller, NULL), 0);
    /* A task polling a flag with tg_yield() while nothing else is runnable:
     * the timer, the descriptor and the other thread's cancellation must
     * still get through. (The 30 s limit only turns a hang into a failure.) */
    int64_t give_up = tg_now() + 30000 * MS;
    while (__atomic_load_n(&poll_flags, __ATOMIC_SEQ_CST) != 7 && tg_now() < give_up)
        tg_yield();
    CHECK_EQ(poll_flags, 7);
    pthread_join(th, NULL);
    tg_join(a, NULL);
    tg_join(b, NULL);
    tg_join(poll_victim, NULL);
    return NULL;
}
/* Expected: a 1 ms sleep ends, a readable pipe wakes its waiter and a
 * cancellation from a plain thread arrives while the main task loops on
 * tg_yield() with nothing else runnable. */
static void test_yield_poll(void) { CHECK_EQ(tg_run(t_yield_poll, NULL), 0); }

static int coop_ran;
static void *coop_mark(void *arg) { (void)arg; coop_ran = 1; return NULL; }
enum { COOP_CHAN, COOP_SELECT, COOP_MUTEX };
/* Runs one kind of always-ready operation in a loop until a task spawned
 * before it has run (or 100,000 rounds); returns the rounds made. */
static long coop_rounds(int kind, tg_chan *ch, tg_mutex *m)
{
    long i, v = 0;
    coop_ran = 0;
    tg_spawn(NULL, "mark", coop_mark, NULL);
    for (i = 0; i < 100000 && !coop_ran; i++) {
        if (kind == COOP_CHAN) {
            CHECK_EQ(tg_chan_send(ch, &i), 0);
            CHECK_EQ(tg_chan_recv(ch, &v), 0);
            CHECK_EQ(v, i);
        } else if (kind == COOP_SELECT) {
            struct tg_sel arm = { .op = TG_SEL_LOCK, .obj = m };
            CHECK_EQ(tg_select(&arm, 1, TG_FOREVER), 0);
            CHECK_EQ(tg_mutex_unlock(m), 0);
        } else {
            CHECK_EQ(tg_mutex_lock(m), 0);
            CHECK_EQ(tg_mutex_unlock(m), 0);
        }
    }
    return i;
}
static void *t_coop(void *arg)
{
    int on = arg != NULL;
    tg_chan ch;
    tg_mutex m;
    CHECK_EQ(tg_chan_init(&ch, sizeof(long), TG_CHAN_UNBOUNDED), 0);
    tg_mutex_init(&m);
    for (int kind = COOP_CHAN; kind <= COOP_MUTEX; kind++) {
        long rounds = coop_rounds(kind, &ch, &m);
        if (on) {
            CHECK(coop_ran);
            CHECK(rounds <= 128); /* at least one call per round, 128 per switch */
        } else {
            CHECK(!coop_ran);
            CHECK_EQ(rounds, 100000);
            tg_yield();
            CHECK(coop_ran);
        }
    }
    tg_chan_destroy(&ch);
    return NULL;
}
/* Expected: with the default budget (128), a task that sends and receives
 * on a channel with room, selects a free lock, or locks a free mutex in a
 * loop lets a runnable task run within 128 rounds. */
static void test_coop_budget(void) { CHECK_EQ(tg_run(t_coop, (void *)1), 0); }
/* Expected: with budget 0 (off) the same loops run 100,000 rounds without
 * a switch. */
static void test_coop_off(void)
{
    struct tg_config c;
    tg_config_get(&c);
    CHECK_EQ(c.budget, 128);
    c.budget = 0;
    tg_config_set(&c);
    CHECK_EQ(tg_run(t_coop, NULL), 0);
}

/* ---- stack overflow ------------------------------------------------------------------ */
static int recurse(int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return n > 0 ? recurse(n - 1) + pad[0] : 0;
}
static void *overflow(void *arg)
{
    (void)arg;
    return (void *)(long)recurse(1 << 20);
}
static void test_stack_overflow(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        tg_run(overflow, NULL);
        _exit(0);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
#if defined(__SANITIZE_ADDRESS__)
    CHECK(!WIFEXITED(st) || WEXITSTATUS(st) != 0); /* ASan reports the overflow */
#else
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
#endif
}
/* (Expected for test_stack_overflow: a task recursing past its stack hits
 * the guard page and the process dies of SIGSEGV instead of corrupting
 * memory.) */

static const struct test_case tests[] = {
    { "spawn_join", test_spawn_join },
    { "yield", test_yield },
    { "outside", test_outside },
    { "sleep_timeout", test_sleep_timeout },
    { "mutex_fifo", test_mutex_fifo },
    { "rwlock_fair", test_rwlock_fair },
    { "sync", test_sync },
    { "chan", test_chan },
    { "select", test_select },
    { "futurelock", test_futurelock },
    { "select_kinds", test_select_kinds },
    { "cancel", test_cancel },
    { "cancel_lock", test_cancel_lock },
    { "multi_sched", test_multi_sched },
    { "fd", test_fd },
    { "dump", test_dump },
    { "dump_signal", test_dump_signal },
    { "stress_select", test_stress_select },
    { "remote_cancel", test_remote_cancel },
    { "solo_end", test_solo_end },
    { "ordered_locks", test_ordered_locks },
    { "select_ordered", test_select_ordered },
    { "stack_overflow", test_stack_overflow },
    { "yield_poll", test_yield_poll },
    { "coop_budget", test_coop_budget },
    { "coop_off", test_coop_off },
    { "permit_other", test_permit_other },
    { "dump_notes", test_dump_notes },
    { "hold_record", test_hold_record },
    { "hold_ended", test_hold_ended },
    { "join_direct", test_join_direct },
    { "dump_renew", test_dump_renew },
    { NULL, NULL },
};

int main(int argc, char **argv) { return run_tests(tests, argc, argv); }
