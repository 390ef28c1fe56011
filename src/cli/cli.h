/* SPDX-License-Identifier: MIT */
/* cli.h: the subcommands of the tangle command. Each takes argv with the
 * subcommand's name in argv[0] and returns the process exit status. */
#ifndef TG_CLI_CLI_H
#define TG_CLI_CLI_H

#include <stddef.h>

int tg__cli_run(int argc, char **argv);
int tg__cli_record(int argc, char **argv);
int tg__cli_predict(int argc, char **argv);
int tg__cli_report(int argc, char **argv);
int tg__cli_attach(int argc, char **argv);
/* Renders the JSON report at `in` as `format` (text, json, sarif, dot, html,
 * or "suppressions") into out_path (NULL: standard output); `who` starts
 * each error message. 0, or 2 with the reason on stderr. */
int tg__cli_convert(const char *in, const char *format, const char *out_path, const char *prefix,
                    const char *who);
int tg__cli_core(int argc, char **argv);

/* Exit statuses of `tangle run` when the program was not started (each is
 * documented in tangle(1) and `tangle run --help`). Otherwise the status is
 * the program's own, or `exitcode` (66) when any watched process reported. */
enum {
    TG_RUN_USAGE = 2,      /* bad command line or options */
    TG_RUN_STATIC = 120,   /* statically linked: no dynamic loader to preload into */
    TG_RUN_SECURE = 121,   /* set-user-ID, set-group-ID or file capabilities */
    TG_RUN_FOREIGN = 122,  /* 32-bit, or built for another processor */
    TG_RUN_INTERP = 123,   /* its loader is not glibc's (musl, ...) or is missing */
    TG_RUN_NOEXEC = 126,   /* found but could not be executed */
    TG_RUN_NOTFOUND = 127  /* not found */
};

/* 0 if tangle can watch the program at path (following one "#!" line);
 * otherwise one of TG_RUN_STATIC, _SECURE, _FOREIGN, _INTERP, with a
 * sentence saying why and what to do in msg. */
int tg__cli_watchable(const char *path, char *msg, size_t n);

/* Runs prog (already checked) as a child with argv and the environment
 * set up for watching, waits for it, and returns the run's exit status
 * (supervise.c). rundir: where watched processes leave notes, or NULL. */
int tg__cli_supervise(const char *prog, char **argv, const char *rundir, int exitcode);

#endif
