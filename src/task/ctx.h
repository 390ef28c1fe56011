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

/* Prepares ctx to run fn(arg) on [stack, stack + size). fn is entered as
 * if called from a function with no caller (a zero return address: stack
 * unwinding stops there), and must never return. */
#if defined(__x86_64__) && !defined(TG_TASK_UCONTEXT)
#include <stdint.h>
static inline void tg__ctx_make(struct tg__ctx *ctx, void *stack, size_t size, void (*fn)(void *),
                                void *arg)
{
    /* Popped by tg__ctx_resume: arg, fn; then the zero return address,
     * 16-byte aligned plus 8 as at any function's entry. Bit 0 of sp says
     * the context never ran (ctx_x86_64.S). */
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **sp = (void **)(top - 24);
    sp[0] = arg;
    sp[1] = (void *)fn;
    sp[2] = 0;
    ctx->sp = (char *)sp + 1;
}
/* Resumes `to` and abandons the calling context for good (a task's end;
 * `from` is not written). A jump, not a call: the `ret` that resumes `to`
 * is then predicted when `to` is what switched into the ending context
 * (ctx_x86_64.S). */
static inline __attribute__((always_inline, noreturn)) void tg__ctx_exit(struct tg__ctx *from,
                                                                          struct tg__ctx *to)
{
    (void)from;
    __asm__ __volatile__("jmp tg__ctx_resume" : : "a"(to->sp) : "memory");
    __builtin_unreachable();
}
#else
void tg__ctx_make(struct tg__ctx *ctx, void *stack, size_t size, void (*fn)(void *), void *arg);
/* Resumes `to` and abandons the calling context (saved in `from`, never
 * resumed). */
static inline __attribute__((always_inline, noreturn)) void tg__ctx_exit(struct tg__ctx *from,
                                                                          struct tg__ctx *to)
{
    tg__ctx_switch(from, to);
    __builtin_unreachable();
}
#endif

#endif
