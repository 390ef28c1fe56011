/* SPDX-License-Identifier: MIT */
/* A fork child clears its environment, as nginx's worker processes do
 * (they keep only TZ), then takes two locks in both orders. It is still a
 * child of the watched process: its finding goes to FILE.PID, not over the
 * parent's FILE, and the run ends with 66. Reading `tangle run`'s
 * variables after the clear made the child think it was the process tangle
 * started: its JSON was overwritten by the parent's at the parent's end,
 * and the run ended with 0. */
// EXIT: 66
// JSON: child
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(first_b)
// CHECK: reports[0].threads[*].waits_for.stack[0].line == @LINE(second_a)
// STDOUT: child status 66
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t turn;

static void *a_then_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b); // @first_b
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    pthread_barrier_wait(&turn);
    return NULL;
}

int main(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        clearenv();
        pthread_t t;
        pthread_barrier_init(&turn, NULL, 2);
        pthread_create(&t, NULL, a_then_b, NULL);
        pthread_barrier_wait(&turn); /* not an order: both orders count */
        pthread_mutex_lock(&b);
        pthread_mutex_lock(&a); // @second_a
        pthread_mutex_unlock(&a);
        pthread_mutex_unlock(&b);
        pthread_join(t, NULL);
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child status %d\n", WEXITSTATUS(status));
    return 0;
}
