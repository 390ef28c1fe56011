/* SPDX-License-Identifier: MIT */
/* ctx_aarch64.S: context switch for the AAPCS64 ABI, in the style of
 * ctx_x86_64.S: x19-x30 and d8-d15 are saved on the current stack, sp is
 * stored in from->sp, and the same frame is popped from to->sp. The first
 * switch to a new context returns into tg__ctx_start with arg in x19 and fn
 * in x20. */
#if defined(__aarch64__) && !defined(TG_TASK_UCONTEXT)
    .text
    .globl tg__ctx_switch
    .hidden tg__ctx_switch
    .type tg__ctx_switch, %function
tg__ctx_switch:
    sub sp, sp, #160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    ldr x2, [x1]
    mov sp, x2
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    ret
    .size tg__ctx_switch, .-tg__ctx_switch

    .globl tg__ctx_start
    .hidden tg__ctx_start
    .type tg__ctx_start, %function
tg__ctx_start:
    mov x29, #0
    mov x0, x19
    blr x20
    brk #0
    .size tg__ctx_start, .-tg__ctx_start
#endif
    .section .note.GNU-stack,"",%progbits
