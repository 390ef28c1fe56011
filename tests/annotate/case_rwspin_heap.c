/* SPDX-License-Identifier: MIT */
/* Annotated locks each alone in a heap block of exactly its size (4
 * bytes): created, locked (a reader-writer spinlock for reading, then for
 * writing), unlocked and destroyed. Nothing is reported, and tangle reads
 * none of them past its end: it never reads an annotated lock as the
 * pthread object of its kind (glibc's rwlock is 56 bytes; under `make
 * check-sanitize` AddressSanitizer stops the run at such a read). */
// EXIT: 0
// STDOUT: destroyed 6
// CHECK: reports# == 0
// NOSTDERR: tangle
#include <stdio.h>
#include <stdlib.h>

#include "spin.h"

int main(void)
{
    int destroyed = 0;
    for (int i = 0; i < 3; i++) {
        struct rwspin *rw = calloc(1, sizeof *rw);
        struct spin *s = calloc(1, sizeof *s);
        if (!rw || !s)
            return 1;
        tg_annotate_lock_create(rw, 0);
        spin_init(s);
        rwspin_rdlock(rw);
        spin_lock(s);
        spin_unlock(s);
        rwspin_unlock(rw, 1);
        rwspin_wrlock(rw);
        rwspin_unlock(rw, 0);
        tg_annotate_lock_destroy(rw, 0);
        spin_destroy(s);
        destroyed += 2;
        free(s);
        free(rw);
    }
    printf("destroyed %d\n", destroyed);
    return 0;
}
