/* SPDX-License-Identifier: MIT */
/* lib_end.c: the end of a program linked with libtangle-tasks, the task
 * runtime with task detection alone (no pthread hooks). libtangle's pthread
 * frontend ends a run that reported anything with exit status `exitcode`;
 * without that frontend this file does the same for task findings, after
 * writing the final JSON. A program that reported nothing keeps its own exit
 * status. */
#include <stdio.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/internal.h"
#include "core/options.h"

__attribute__((constructor)) static void tangle_tasks_start(void)
{
    tg__run_begin();
}

__attribute__((destructor)) static void tangle_tasks_end(void)
{
    tg__lockorder_drain_all(); /* nestings not handled yet are checked before the end */
    tg__run_end();
    if (tg__opt.json[0])
        tg__report_run_mark();
    if (tg__reports_made() == 0)
        return;
    tg__report_flush();
    fflush(NULL);
    _exit(tg__opt.exitcode);
}
