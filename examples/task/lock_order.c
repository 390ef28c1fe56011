/* SPDX-License-Identifier: MIT */
/* lock_order.c: two tasks take two locks in opposite orders across an await
 * point (here tg_sleep stands for any I/O between the two acquisitions).
 *
 * Expected: a deadlock naming "transfer-ab" and "transfer-ba", each holding
 * one lock (acquired at its @acquire line) and waiting for the other (at its
 * @wait line); exit status 66.
 */
#include "tangle/task.h"

static tg_mutex account_a, account_b;

static void transfer(tg_mutex *from, tg_mutex *to)
{
    tg_mutex_lock(from); /* @acquire */
    tg_sleep(1000000);   /* an await point: the other task runs meanwhile */
    tg_mutex_lock(to);   /* @wait */
    tg_mutex_unlock(to);
    tg_mutex_unlock(from);
}

static void *ab(void *arg) { (void)arg; transfer(&account_a, &account_b); return NULL; }
static void *ba(void *arg) { (void)arg; transfer(&account_b, &account_a); return NULL; }

static void *start(void *arg)
{
    (void)arg;
    tg_spawn(NULL, "transfer-ab", ab, NULL);
    tg_spawn(NULL, "transfer-ba", ba, NULL);
    return NULL;
}

int main(void)
{
    tg_mutex_init(&account_a);
    tg_mutex_init(&account_b);
    return tg_run(start, NULL);
}
