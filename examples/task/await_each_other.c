/* SPDX-License-Identifier: MIT */
/* await_each_other.c: two tasks each await the other's completion (a join
 * cycle, like two futures that await each other's handles).
 *
 * Expected: a deadlock naming tasks "client" and "server", each waiting at
 * its tg_join line; exit status 66.
 */
#include "tangle/task.h"

static tg_task *client, *server;
static tg_event both_spawned;

static void *client_main(void *arg)
{
    (void)arg;
    tg_event_wait(&both_spawned);
    tg_join(server, NULL); /* @wait-client */
    return NULL;
}

static void *server_main(void *arg)
{
    (void)arg;
    tg_event_wait(&both_spawned);
    tg_join(client, NULL); /* @wait-server */
    return NULL;
}

static void *start(void *arg)
{
    (void)arg;
    tg_event_init(&both_spawned);
    tg_spawn(&client, "client", client_main, NULL);
    tg_spawn(&server, "server", server_main, NULL);
    tg_event_set(&both_spawned);
    return NULL;
}

int main(void)
{
    return tg_run(start, NULL);
}
