/* SPDX-License-Identifier: MIT */
/* ctx.c: creating contexts; the switch itself is in ctx_<arch>.S, or uses
 * ucontext on other architectures (a system call per switch: slow but
 * correct). The x86-64 one is inline in ctx.h: a spawn makes one. */
#include "task/ctx.h"

#include <stdint.h>
#include <string.h>

#if defined(__aarch64__) && !defined(TG_TASK_UCONTEXT)
void tg__ctx_start(void);

void tg__ctx_make(struct tg__ctx *ctx, void *stack, size_t size, void (*fn)(void *), void *arg)
{
    /* Frame popped by tg__ctx_switch: x19..x30 then d8..d15 (160 bytes). */
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **sp = (void **)(top - 160);
    memset(sp, 0, 160);
    sp[0] = arg;                      /* x19 */
    sp[1] = (void *)fn;               /* x20 */
    sp[11] = (void *)tg__ctx_start;   /* x30 */
    ctx->sp = sp;
}
#elif !defined(__x86_64__) || defined(TG_TASK_UCONTEXT)
static void tg__ctx_trampoline(unsigned fh, unsigned fl, unsigned ah, unsigned al)
{
    void (*fn)(void *) = (void (*)(void *))(((uintptr_t)fh << 32) | fl);
    fn((void *)(((uintptr_t)ah << 32) | al));
}

void tg__ctx_make(struct tg__ctx *ctx, void *stack, size_t size, void (*fn)(void *), void *arg)
{
    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = stack;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    /* makecontext passes int arguments: split the pointer in two. */
    uintptr_t f = (uintptr_t)fn, a = (uintptr_t)arg;
    makecontext(&ctx->uc, (void (*)(void))tg__ctx_trampoline, 4,
                (unsigned)(f >> 32), (unsigned)f, (unsigned)(a >> 32), (unsigned)a);
}

void tg__ctx_switch(struct tg__ctx *from, struct tg__ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}
#endif
