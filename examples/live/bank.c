/* SPDX-License-Identifier: MIT */
/* bank: two tellers move money between the same two accounts in opposite
 * directions. Each locks the source account, then the destination: sooner
 * or later each holds one account and waits for the other. Run it under
 * tangle to see the deadlock reported instead of a silent hang:
 *     tangle run -- ./bank */
#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    long balance;
};

static struct account checking = {PTHREAD_MUTEX_INITIALIZER, 1000};
static struct account savings = {PTHREAD_MUTEX_INITIALIZER, 1000};

static void transfer(struct account *from, struct account *to, long amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock); /* the other teller holds this one */
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

static void *teller(void *arg)
{
    int forward = arg != NULL;
    for (int i = 0; i < 100000000; i++) {
        if (forward)
            transfer(&checking, &savings, 1);
        else
            transfer(&savings, &checking, 1);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_setname_np(pthread_self(), "bank");
    pthread_create(&a, NULL, teller, (void *)1);
    pthread_create(&b, NULL, teller, NULL);
    pthread_setname_np(a, "teller-forward");
    pthread_setname_np(b, "teller-back");
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("balances: %ld %ld\n", checking.balance, savings.balance);
    return 0;
}
