/* SPDX-License-Identifier: MIT */
/* make_seeds.c: writes the binary seed traces of the fuzz corpus with the
 * real writer (run once; the outputs are kept in corpus/binary). */
#include "trace/trace.h"
#include "trace/writer.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static struct tg__trace_writer w;

static void abba(const char *path, int mode2, int close_it)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    tg__trace_writer_open(&w, fd);
    tg__trace_writer_thread(&w, 1, "worker");
    tg__trace_writer_object(&w, 0, TG_OBJ_RWLOCK, "R");
    tg__trace_writer_site_text(&w, 0, "a.c:1");
    uintptr_t pcs[2] = {0x401000, 0x402000};
    tg__trace_writer_site(&w, 1, pcs, 2);
    tg__trace_writer_event(&w, TG_EV_FORK, 0, 0, 0, 1, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_FORK, 0, 0, 0, 2, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, TG_MODE_READ, 0, 1, 0, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, 0, 0, 1, 1, 1, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_WRITE, 0, 0, 1, 5, 1, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_RELEASE, 0, 0, 1, 1, 1, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_RELEASE, 0, 0, 1, 0, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, 0, 0, 2, 1, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_WAIT, 0, 0, 2, 7, 0, 1);
    tg__trace_writer_event(&w, TG_EV_NOTIFY, 0, TG_EVF_BROADCAST, 1, 7, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_ACQUIRE, mode2, 0, 2, 0, 1, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_READ, 0, 0, 2, 5, 1, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_RELEASE, 0, 0, 2, 0, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_RELEASE, 0, 0, 2, 1, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_JOIN, 0, 0, 0, 1, 0, TG_NO_OBJ);
    tg__trace_writer_event(&w, TG_EV_JOIN, 0, 0, 0, 2, 0, TG_NO_OBJ);
    if (close_it)
        tg__trace_writer_close(&w);
    else
        tg__trace_writer_flush(&w);
    close(fd);
}

int main(int argc, char **argv)
{
    char p[4096];
    const char *dir = argc > 1 ? argv[1] : ".";
    snprintf(p, sizeof p, "%s/abba_write.tgt", dir);
    abba(p, TG_MODE_WRITE, 1);
    snprintf(p, sizeof p, "%s/abba_read.tgt", dir);
    abba(p, TG_MODE_READ, 1);
    snprintf(p, sizeof p, "%s/no_end_marker.tgt", dir);
    abba(p, TG_MODE_WRITE, 0);
    return 0;
}
