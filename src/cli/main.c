/* SPDX-License-Identifier: MIT */
/* main.c: the tangle command: subcommand dispatch and top-level help. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/options.h"

static void usage(FILE *out)
{
    char opts[8192];
    tg__options_help(opts, sizeof opts);
    fprintf(out,
            "tangle: find deadlocks in C programs, threaded and asynchronous.\n"
            "\n"
            "Usage:\n"
            "  tangle run [options] -- PROG [ARGS...]   run PROG and report deadlocks as they happen\n"
            "  tangle record -o FILE [run options] -- PROG [ARGS...]\n"
            "                                           the same, and write a binary trace of the run\n"
#ifdef TANGLE_HAVE_PREDICT
            "  tangle predict [options] TRACE           predict deadlocks from a recorded trace\n"
#endif
            "  tangle report [--format F] FILE.json     a saved JSON report as text, json, sarif or dot\n"
            "  tangle attach [options] PID              explain a running process's threads and deadlocks\n"
            "  tangle core [options] COREFILE [EXE]     the same for a core dump\n"
            "  tangle --help | --version\n"
            "\n"
            "'tangle run --help' lists the options of run. Without the wrapper, set\n"
            "LD_PRELOAD=/path/to/libtangle.so and TANGLE_OPTIONS=key=value:key=value,\n"
            "with these keys:\n%s"
            "\n"
            "Exit status: the program's own, or 66 (exitcode) when anything was reported;\n"
            "2 for bad usage; 120-127 when the program was not started ('tangle run --help').\n"
            "NO_COLOR (set, not empty) turns colour off where color=auto.\n",
            opts);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("tangle %s\n", TG_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return tg__cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "record"))
        return tg__cli_record(argc - 1, argv + 1);
    if (!strcmp(cmd, "attach"))
        return tg__cli_attach(argc - 1, argv + 1);
    if (!strcmp(cmd, "core"))
        return tg__cli_core(argc - 1, argv + 1);
#ifdef TANGLE_HAVE_PREDICT
    if (!strcmp(cmd, "predict"))
        return tg__cli_predict(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return tg__cli_report(argc - 1, argv + 1);
#endif
    fprintf(stderr, "tangle: unknown command '%s'. Run 'tangle --help' for the commands.\n", cmd);
    return 2;
}
