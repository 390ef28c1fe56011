/* SPDX-License-Identifier: MIT */
/* Built with -static by the test suite: tangle must refuse it clearly. */
int main(void) { return 0; }
