/* SPDX-License-Identifier: MIT */
/* predict_main.c: a stand-alone `tangle predict` for the tests, so they do
 * not depend on the rest of the CLI being built. */
int tg__cli_predict(int argc, char **argv);

int main(int argc, char **argv)
{
    argv[0] = (char *)"predict";
    return tg__cli_predict(argc, argv);
}
