/* SPDX-License-Identifier: MIT */
/* error.c: tg_strerror. */
#include "tangle/task.h"

const char *tg_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case TG_ETIMEDOUT: return "the deadline passed before the operation could complete";
    case TG_ECANCELED: return "the task was cancelled";
    case TG_ECLOSED: return "the channel is closed";
    case TG_ENOMEM: return "out of memory";
    case TG_EINVAL: return "invalid argument";
    case TG_EAGAIN: return "the operation would have to wait";
    case TG_EDEADLK: return "waiting would deadlock (tangle reported it)";
    case TG_EPERM: return "the calling task does not hold what it releases";
    case TG_ENOTASK: return "called outside a task (use tg_run and tg_spawn)";
    case TG_EBUSY: return "the primitive is still held or waited on";
    case TG_ESYS: return "a system call failed (see errno)";
    }
    return "unknown tangle task error";
}
