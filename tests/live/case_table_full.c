/* SPDX-License-Identifier: MIT */
/* A lock table far too small: one warning, and the program runs on. */
// RUN: -O max_locks=64
// EXIT: 0
// COUNT: 1 the lock table is full
// STDOUT: all 5000 used
#include <pthread.h>
#include <stdio.h>

#define LOCKS 5000
static pthread_mutex_t locks[LOCKS];

int main(void)
{
    int used = 0;
    for (int i = 0; i < LOCKS; i++) {
        pthread_mutex_init(&locks[i], NULL);
        pthread_mutex_lock(&locks[i]);
        used++;
        pthread_mutex_unlock(&locks[i]);
    }
    printf("all %d used\n", used);
    return 0;
}
