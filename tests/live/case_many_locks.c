/* SPDX-License-Identifier: MIT */
/* 100,000 live locks, all used, none destroyed until the end. */
// EXIT: 0
// CHECK: reports# == 0
// STDOUT: used 100000
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define LOCKS 100000

int main(void)
{
    pthread_mutex_t *locks = malloc(sizeof *locks * LOCKS);
    for (int i = 0; i < LOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);
    int used = 0;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < LOCKS; i++) {
            pthread_mutex_lock(&locks[i]);
            used += round == 0;
            pthread_mutex_unlock(&locks[i]);
        }
    printf("used %d\n", used);
    for (int i = 0; i < LOCKS; i++)
        pthread_mutex_destroy(&locks[i]);
    free(locks);
    return 0;
}
