/* SPDX-License-Identifier: MIT */
/* ctx_x86_64.S: context switch for the System V x86-64 ABI.
 *
 * tg__ctx_switch(from, to): pushes the callee-saved registers on the current
 * stack, stores the stack pointer in from->sp, and resumes `to` at
 * tg__ctx_resume (with to->sp in rax): it pops the registers saved there and
 * `ret`s to where `to` switched away.
 *
 * A context that never ran has its stack pointer tagged with bit 0 (see
 * tg__ctx_make in ctx.h): its frame holds the argument, the function and a
 * zero return address, and tg__ctx_resume enters the function with a jump.
 * A jump, not a `ret`: the processor predicts each `ret` from a stack of the
 * calls it has seen, and a `ret` into a context that never ran matches no
 * call. So the call that switched into a new task stays on that stack, and
 * when the task ends without switching in between (a task joined at once),
 * tg__ctx_exit's `ret` back into the switcher is predicted. A task's end
 * jumps to tg__ctx_resume rather than calling the switch for the same
 * reason (ctx.h). */
#if defined(__x86_64__) && !defined(TG_TASK_UCONTEXT)
    .text
    .globl tg__ctx_switch
    .hidden tg__ctx_switch
    .type tg__ctx_switch, @function
    .globl tg__ctx_resume
    .hidden tg__ctx_resume
tg__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq (%rsi), %rax
tg__ctx_resume:
    testb $1, %al
    jnz 1f
    movq %rax, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
1:  leaq -1(%rax), %rsp
    popq %rdi
    popq %rax
    xorl %ebp, %ebp
    jmpq *%rax
    .cfi_endproc
    .size tg__ctx_switch, .-tg__ctx_switch
#endif
    .section .note.GNU-stack,"",@progbits
