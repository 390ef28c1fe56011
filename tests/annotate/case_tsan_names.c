/* SPDX-License-Identifier: MIT */
/* Code annotated for ThreadSanitizer (the __tsan_mutex_* calls and flags,
 * as QEMU's spinlock writes them), rebuilt with -DTANGLE_TSAN_NAMES
 * -include tangle/annotate.h and no other change: its lock-order inversion
 * is predicted and a try that fails adds nothing. */
// EXIT: 66
// CHECK: reports# == 1
// CHECK: reports[0].kind == "potential-deadlock"
// CHECK: reports[0].threads[*].waits_for.lock.name == "qa"
// CHECK: reports[0].threads[*].waits_for.lock.name == "qb"
#include <stdatomic.h>
#include <stdbool.h>

#include "../live/predict_common.h"

typedef struct {
    atomic_int value;
} QemuSpin;

static inline void qemu_spin_init(QemuSpin *spin)
{
    atomic_store(&spin->value, 0);
    __tsan_mutex_create(spin, __tsan_mutex_not_static);
}

static inline void qemu_spin_lock(QemuSpin *spin)
{
    __tsan_mutex_pre_lock(spin, 0);
    while (atomic_exchange(&spin->value, 1))
        while (atomic_load(&spin->value))
            ;
    __tsan_mutex_post_lock(spin, 0, 0);
}

static inline bool qemu_spin_trylock(QemuSpin *spin)
{
    __tsan_mutex_pre_lock(spin, __tsan_mutex_try_lock);
    bool busy = atomic_exchange(&spin->value, 1);
    unsigned flags = __tsan_mutex_try_lock;
    flags |= busy ? __tsan_mutex_try_lock_failed : 0;
    __tsan_mutex_post_lock(spin, flags, 0);
    return busy;
}

static inline void qemu_spin_unlock(QemuSpin *spin)
{
    __tsan_mutex_pre_unlock(spin, 0);
    atomic_store(&spin->value, 0);
    __tsan_mutex_post_unlock(spin, 0);
}

QemuSpin qa, qb;

static void nest(int i)
{
    if (i == 0) {
        qemu_spin_lock(&qa);
        qemu_spin_lock(&qb);
        qemu_spin_unlock(&qb);
        qemu_spin_unlock(&qa);
        qemu_spin_lock(&qb);
        if (!qemu_spin_trylock(&qb)) /* busy: this thread holds it */
            qemu_spin_unlock(&qb);
    } else {
        qemu_spin_lock(&qb);
        qemu_spin_lock(&qa);
        qemu_spin_unlock(&qa);
    }
    qemu_spin_unlock(&qb);
}

int main(void)
{
    qemu_spin_init(&qa);
    qemu_spin_init(&qb);
    run_in_turns(2, nest);
    return 0;
}
