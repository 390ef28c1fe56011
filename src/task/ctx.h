/* SPDX-License-Identifier: MIT */
/* ctx.h: switching between execution contexts (a stack and its registers).
 *
 * A context is created on a caller-provided stack and started by the first
 * switch to it; it runs fn(arg), which must never return (it switches away
 * for the last time instead). Only the registers the C ABI says a callee
 * preserves are saved, so a switch costs about as much as a function call.
 * Floating-point control words (mxcsr, x87 CW, fpcr) are not switched: a
 * task that changes them changes them for its scheduler thread.
 * Defining TG_TASK_UCONTEXT forces the ucontext fallback (for testing it).
 */
#ifndef TG_TASK_CTX_H
#define TG_TASK_CTX_H

#include <stddef.h>

#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(TG_TASK_UCONTEXT)
#define TG__CTX_ASM 1
struct tg__ctx {
    void *sp;   /* saved stack pointer; the registers are on that stack */
};
/* Saves the current context in *from and resumes `to`. */
void tg__ctx_switch(struct tg__ctx *from, struct tg__ctx *to);
#else
#include <ucontext.h>
struct tg__ctx {
    ucontext_t uc;
};
void tg__ctx_switch(struct tg__ctx *from, struct tg__ctx *to);
#endif

/* Prepares ctx to run fn(arg) on [stack, stack + size). */
#if defined(__x86_64__) && !defined(TG_TASK_UCONTEXT)
#include <stdint.h>
void tg__ctx_start(void);
static inline void tg__ctx_make(struct tg__ctx *ctx, void *stack, size_t size, void (*fn)(void *),
                                void *arg)
{
    /* Frame popped by tg__ctx_switch: r15 r14 r13 r12 rbx rbp, then the
     * return address. After `ret` the stack pointer is 16-byte aligned, as
     * tg__ctx_start needs for its call. */
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **sp = (void **)(top - 8);
    *sp = (void *)tg__ctx_start;
    sp -= 6;
    sp[0] = sp[1] = sp[4] = sp[5] = 0; /* r15 r14 rbx rbp */
    sp[3] = arg;         /* r12 */
    sp[2] = (void *)fn;  /* r13 */
    ctx->sp = sp;
}
#else
void tg__ctx_make(struct tg__ctx *ctx, void *stack, size_t size, void (*fn)(void *), void *arg);
#endif

#endif
