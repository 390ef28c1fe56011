/* SPDX-License-Identifier: MIT */
/* io.c: waiting for descriptor readiness on the scheduler's epoll instance.
 *
 * A waiting task registers its descriptor one-shot, pointing at its park; the
 * scheduler claims the park with the ready events when epoll reports them.
 * The eventfd (registered with a NULL pointer) only interrupts the sleep.
 */
#include "task/io.h"
#include "task/detect.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int tg__io_init(struct tg__sched *s)
{
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0)
        return -1;
    s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (s->evfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) != 0) {
        close(s->epfd);
        if (s->evfd >= 0)
            close(s->evfd);
        return -1;
    }
    return 0;
}

void tg__io_poke(struct tg__sched *s)
{
    uint64_t one = 1;
    ssize_t r;
    do
        r = write(s->evfd, &one, sizeof one);
    while (r < 0 && errno == EINTR);
}

static int tg__io_events(struct tg__sched *s, int timeout_ms)
{
    struct epoll_event evs[64];
    int n = epoll_wait(s->epfd, evs, 64, timeout_ms);
    for (int i = 0; i < n; i++) {
        struct tg__park *p = evs[i].data.ptr;
        if (!p) {
            uint64_t v;
            while (read(s->evfd, &v, sizeof v) < 0 && errno == EINTR)
                ;
            continue;
        }
        int ready = (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? TG_READABLE : 0) |
                    (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR) ? TG_WRITABLE : 0);
        if (tg__park_claim(p, ready ? ready : TG_READABLE))
            tg__task_wake(p->task);
    }
    return n < 0 ? 0 : n;
}

int tg__io_wait(struct tg__sched *s, int timeout_ms)
{
    __atomic_store_n(&s->sleeping, 1, __ATOMIC_SEQ_CST);
    int n = 0;
    if (!__atomic_load_n(&s->inbox, __ATOMIC_SEQ_CST) &&
        !__atomic_load_n(&s->poll_cancel, __ATOMIC_SEQ_CST))
        n = tg__io_events(s, timeout_ms);
    __atomic_store_n(&s->sleeping, 0, __ATOMIC_RELAXED);
    return n;
}

void tg__io_poll(struct tg__sched *s)
{
    tg__io_events(s, 0);
}

int tg_fd_wait_until(int fd, int events, int64_t deadline)
{
    struct tg_task *t = tg__self();
    if (!t)
        return TG_ENOTASK;
    if (fd < 0 || !(events & (TG_READABLE | TG_WRITABLE)))
        return TG_EINVAL;
    if (__atomic_load_n(&t->cancelled, __ATOMIC_RELAXED))
        return TG_ECANCELED;
    struct tg__sched *s = t->sched;
    struct tg__park p;
    tg__park_init(&p, t, deadline);
    struct epoll_event ev = {
        .events = EPOLLONESHOT | (events & TG_READABLE ? EPOLLIN : 0) |
                  (events & TG_WRITABLE ? EPOLLOUT : 0),
        .data.ptr = &p,
    };
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
        (errno != EEXIST || epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) != 0))
        return TG_ESYS;
    /* A descriptor wait is ended by the outside world: it is not published
     * to the engine, which therefore counts the task as able to progress. */
    s->n_fd_waits++;
    t->wait_what = "descriptor";
    int r = tg__park_wait(&p);
    t->wait_what = NULL;
    s->n_fd_waits--;
    int saved = errno;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
    errno = saved;
    return r;
}

int tg_fd_wait(int fd, int events)
{
    return tg_fd_wait_until(fd, events, TG_FOREVER);
}
