/* SPDX-License-Identifier: MIT */
/* cli.h: the subcommands of the tangle command. Each takes argv with the
 * subcommand's name in argv[0] and returns the process exit status. */
#ifndef TG_CLI_CLI_H
#define TG_CLI_CLI_H

int tg__cli_run(int argc, char **argv);
int tg__cli_record(int argc, char **argv);
int tg__cli_predict(int argc, char **argv);

#endif
