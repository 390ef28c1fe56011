/* SPDX-License-Identifier: MIT */
/* fuzz_trace.c: libFuzzer target for both trace readers and the analysis.
 *
 * The input is written to an in-memory file and opened by path, so format
 * detection, buffering, both readers, pass one, the pattern search, the
 * closure and the replay that builds findings all see it. Any crash, leak
 * or sanitizer report is a bug; errors about the input are expected. */
#define _GNU_SOURCE
#include "predict/spd.h"
#include "trace/trace.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("tangle-fuzz", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64], err[600];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct tg_trace_reader *r = tg__trace_open(path, err, sizeof err);
    if (r) {
        tg__trace_set_warning_limit(r, 0);
        struct tg__spd_options opt = {1000, 100000, 0};
        struct tg__spd *s = tg__spd_new(&opt);
        struct tg_finding **fs = NULL;
        long n = 0;
        if (s && tg__spd_load(s, r) == 0 && tg__spd_analyse(s) >= 0)
            n = tg__spd_findings(s, r, "fuzz", &fs);
        for (long i = 0; i < n; i++)
            tg__finding_free(fs[i]);
        free(fs);
        tg__spd_free(s);
        tg__trace_close(r);
    }
    close(fd);
    return 0;
}
