/* SPDX-License-Identifier: MIT */
/* ctx_x86_64.S: context switch for the System V x86-64 ABI.
 * tg__ctx_switch(from, to): pushes the callee-saved registers on the current
 * stack, stores the stack pointer in from->sp, loads to->sp and pops the
 * registers saved there; `ret` resumes `to` where it switched away (or, the
 * first time, in tg__ctx_start with fn in r13 and arg in r12). */
#if defined(__x86_64__) && !defined(TG_TASK_UCONTEXT)
    .text
    .globl tg__ctx_switch
    .hidden tg__ctx_switch
    .type tg__ctx_switch, @function
tg__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq (%rsi), %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size tg__ctx_switch, .-tg__ctx_switch

    .globl tg__ctx_start
    .hidden tg__ctx_start
    .type tg__ctx_start, @function
tg__ctx_start:
    .cfi_startproc
    .cfi_undefined rip
    xorl %ebp, %ebp
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size tg__ctx_start, .-tg__ctx_start
#endif
    .section .note.GNU-stack,"",@progbits
