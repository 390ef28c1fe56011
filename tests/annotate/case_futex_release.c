/* SPDX-License-Identifier: MIT */
/* A futex word's entry lives only while someone waits on it: 150 words,
 * each waited on longer than check_ms (so each gets an entry) and then
 * woken, leave no entries behind. With room for 64 locks, entries kept for
 * ever would fill the table (a warning) and the last waits, on two words
 * nobody wakes, would go unseen; let go, the table has room, and the stall
 * is reported with each futex word named by its symbol. */
// RUN: -O max_locks=64 -O stall_ms=300
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].summary ~ "global stall"
// CHECK: reports[0].threads# == 2
// CHECK: reports[0].threads[*].waits_for.lock.kind == "futex"
// CHECK: reports[0].threads[*].waits_for.lock.name == "last_main"
// CHECK: reports[0].threads[*].waits_for.lock.name == "last_waker"
// NOSTDERR: table is full
// STDERR: waits for futex word 'last_main'
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WORDS 150
static uint32_t words[WORDS], last_main, last_waker;

static void park(uint32_t *word)
{
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* Wakes each word once main has waited on it for about 30 ms. */
static void *waker(void *arg)
{
    (void)arg;
    for (int i = 0; i < WORDS; i++) {
        struct timespec ts = {0, 30 * 1000000L};
        nanosleep(&ts, NULL);
        __atomic_store_n(&words[i], 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, &words[i], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
    park(&last_waker);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, waker, NULL);
    for (int i = 0; i < WORDS; i++)
        park(&words[i]);
    park(&last_main);
    pthread_join(t, NULL);
    return 0;
}
