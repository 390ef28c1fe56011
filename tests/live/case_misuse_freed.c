/* SPDX-License-Identifier: MIT */
/* Lock memory that goes away while the lock is held: a heap object freed
 * by its holder. (Not run when tangle is built with ASan: the ASan runtime,
 * preloaded first, owns free().) */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].hazard == "freed-while-held"
// CHECK: reports[0].where[0].line == @LINE(freed)
#include <pthread.h>
#include <stdlib.h>

struct session {
    pthread_mutex_t lock;
    int state;
};

int main(void)
{
    struct session *s = malloc(sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_lock(&s->lock);
    s->state = 1;
    free(s); // @freed
    return 0;
}
