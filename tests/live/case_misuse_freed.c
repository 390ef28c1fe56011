/* Lock memory that goes away while the lock is held: a heap object freed
 * by its holder, and a lock on a thread's stack when the thread ends. */
// EXIT: 66
// CHECK: reports[*].hazard == "freed-while-held"
// CHECK: reports[*].where[0].line == @LINE(freed)
// CHECK: reports[*].summary ~ "stack of its ending thread"
#include <pthread.h>
#include <stdlib.h>

struct session {
    pthread_mutex_t lock;
    int state;
};

static void *stack_lock(void *arg)
{
    (void)arg;
    pthread_mutex_t local;
    pthread_mutex_init(&local, NULL);
    pthread_mutex_lock(&local);
    return NULL;
}

int main(void)
{
    struct session *s = malloc(sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_lock(&s->lock);
    s->state = 1;
    free(s); // @freed
    pthread_t t;
    pthread_create(&t, NULL, stack_lock, NULL);
    pthread_join(t, NULL);
    return 0;
}
