/* SPDX-License-Identifier: MIT */
/* futex.c: futex waits made through libc's syscall() wrapper.
 *
 * GLib, Rust's standard library and parking_lot wait on futexes with
 * syscall(SYS_futex, ...), so their waits never reach a pthread hook and a
 * process stuck in them looked busy to tangle. tangle interposes syscall()
 * itself: every other system call goes straight to the kernel, and an
 * untimed FUTEX_WAIT or FUTEX_WAIT_BITSET on a private futex is published
 * as a wait anyone may end (an event: the futex does not say who would
 * wake it), so a process whose every thread waits that way is reported as
 * a global stall, each thread with its stack. A shared futex (no
 * FUTEX_PRIVATE_FLAG) may be woken by another process: such a wait is
 * never published, so it never makes a stall.
 *
 * The wait first runs, unpublished, with a deadline check_ms away; only a
 * wait that outlasts it is published, takes its stack, and waits as
 * asked. The second call may
 * return EAGAIN where one call would have slept (the word changed in
 * between): every futex user must take that as a spurious wake-up, which
 * it is. The futexes of tangle's own locks (calls from its own code) are
 * never published. A futex word takes no entry in the lock table: what
 * a report names it by lives in the waiting thread's own record. */
#include "preload/preload.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>

/* tangle's own image (defined by the linker), to recognise its calls. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

/* The system call itself, with libc's convention for the result. */
static long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    ret = x0;
#else
#error "futex.c: raw system calls are written for x86-64 and aarch64 only"
#endif
    if ((unsigned long)ret > -4096ul) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

/* What a's futex wait on addr (sleeping while the word holds value)
 * waits for: the entry of a lock another frontend watches at that address
 * (a GMutex whose GLib-internal lock call waits on its word), else the
 * thread's own entry for futex words, filled in for this wait. That one
 * lives in the thread's side record (never freed), not in the lock table:
 * a word waited on once leaves nothing behind. */
static struct tg_res *futex_word(struct tg_actor *a, uintptr_t addr, uintptr_t pc, uint32_t value)
{
    struct tg_res *r = tg__res_lookup(addr);
    if (r && !(__atomic_load_n(&r->flags, __ATOMIC_ACQUIRE) & TG_RF_DESTROYED))
        return r;
    /* A task's wait blocks its host thread: the host's entry serves it. */
    struct tg_actor *t = a->kind == TG_ACTOR_TASK && a->host ? a->host : a;
    if (!t->side)
        return NULL; /* no side record (out of memory): the wait goes unwatched */
    r = &t->side->futex_word;
    tg__res_fill_word(r, addr, pc, value);
    return r;
}

/* An untimed wait on a private futex by a watched thread of the program.
 * It first waits check_ms unpublished (most waits end there, at no cost
 * to tangle and with no entry for the futex); one that outlasts that is
 * published as an event wait on the futex word, takes its stack, and
 * waits as asked. */
static long watched_wait(struct tg_actor *a, long uaddr, long op, long val, long a5, long a6,
                         uintptr_t pc)
{
    if (tg__opt.check_ms > 0) {
        struct timespec soon = {0, 0};
        if ((op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET) /* an absolute deadline */
            clock_gettime((op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC, &soon);
        tg__add_ms(&soon, tg__opt.check_ms);
        long rc = raw_syscall(SYS_futex, uaddr, op, val, (long)&soon, a5, a6);
        if (rc != -1 || errno != ETIMEDOUT)
            return rc;
    }
    struct tg_res *r = futex_word(a, (uintptr_t)uaddr, pc, (uint32_t)val);
    if (!r)
        return raw_syscall(SYS_futex, uaddr, op, val, 0, a5, a6);
    struct tg_wait_desc w = {.res = r, .kind = TG_RES_EVENT, .mode = TG_MODE_EXCL, .pc = pc};
    tg__wait_begin(a, &w);
    a->wait_stack = tg__stack_capture(1);
    long rc = raw_syscall(SYS_futex, uaddr, op, val, 0, a5, a6);
    int saved = errno;
    tg__wait_end(a);
    errno = saved;
    return rc;
}

/* Reads six arguments whatever the call passed, as the kernel's own
 * calling convention does: the sixth is read from the caller's stack,
 * past what a shorter call pushed (harmless, and unused by such calls),
 * which AddressSanitizer would report as an underflow. */
__attribute__((no_sanitize("address"))) TG_EXPORT long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (n != SYS_futex || d != 0)
        return raw_syscall(n, a, b, c, d, e, f);
    int cmd = (int)b & FUTEX_CMD_MASK;
    uintptr_t pc = CALLER_PC;
    if ((cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET) || !(b & FUTEX_PRIVATE_FLAG) ||
        (pc >= (uintptr_t)__ehdr_start && pc < (uintptr_t)_end))
        return raw_syscall(n, a, b, c, d, e, f);
    struct tg_actor *me = tg__self();
    if (!me)
        return raw_syscall(n, a, b, c, d, e, f);
    return watched_wait(me, a, b, c, e, f, pc);
}
