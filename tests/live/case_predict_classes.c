/* SPDX-License-Identifier: MIT */
/* An inversion spread over instances: accounts then ledgers in one thread,
 * ledgers then accounts in another, never the same two objects. With
 * lock_classes=1 (locks grouped by where they were created) it is
 * predicted; by instance there is nothing to report. */
// RUN: -O lock_classes=1
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].cycle_length == 2
#include "predict_common.h"

struct account { pthread_mutex_t lock; long balance; };
struct ledger { pthread_mutex_t lock; long entries; };
static struct account accounts[4];
static struct ledger ledgers[4];

static void work(int i)
{
    if (i == 0) {
        pthread_mutex_lock(&accounts[0].lock);
        pthread_mutex_lock(&ledgers[0].lock);
        pthread_mutex_unlock(&ledgers[0].lock);
        pthread_mutex_unlock(&accounts[0].lock);
    } else {
        pthread_mutex_lock(&ledgers[1].lock);
        pthread_mutex_lock(&accounts[1].lock);
        pthread_mutex_unlock(&accounts[1].lock);
        pthread_mutex_unlock(&ledgers[1].lock);
    }
}

static void init_account(struct account *a) { pthread_mutex_init(&a->lock, NULL); }
static void init_ledger(struct ledger *l) { pthread_mutex_init(&l->lock, NULL); }

int main(void)
{
    for (int i = 0; i < 4; i++) {
        init_account(&accounts[i]);
        init_ledger(&ledgers[i]);
    }
    run_in_turns(2, work);
    return 0;
}
