/* SPDX-License-Identifier: MIT */
/* The read-read inversion of case_predict_silent on a writer-preferring
 * rwlock can deadlock (a queued writer blocks the second reader): it is
 * predicted. */
// EXIT: 66
// CHECK: reports[*].kind == "potential-deadlock"
// CHECK: reports[*].threads[*].waits_for.mode == "read"
// CHECK: reports[*].threads[*].holds[0].mode == "read"
#include "predict_common.h"

static pthread_rwlock_t table;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void read_read(int i)
{
    if (i == 0) {
        pthread_rwlock_rdlock(&table);
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
        pthread_rwlock_unlock(&table);
    } else {
        pthread_mutex_lock(&m);
        pthread_rwlock_rdlock(&table);
        pthread_rwlock_unlock(&table);
        pthread_mutex_unlock(&m);
    }
}

int main(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&table, &attr);
    run_in_turns(2, read_read);
    return 0;
}
