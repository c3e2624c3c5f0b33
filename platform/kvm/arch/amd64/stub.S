/* The x86-64 guest stub: the only code that runs in ring 0 of a moat guest.
 *
 * It never handles anything itself. SYSCALL and every exception from ring 3
 * save the user registers into this vCPU's trap frame (reached through the
 * kernel GS base after SWAPGS) and leave the guest with one OUT to the
 * doorbell port. When the host re-enters the vCPU, execution continues after
 * that OUT: the stub reloads CR3 if the host asked, restores the (possibly
 * changed) registers from the trap frame and IRETQs to ring 3.
 *
 * The code is position independent; the host copies it into guest memory and
 * maps it in the kernel half of every address space. */

#include "platform/kvm/arch/amd64/stub_abi.h"

.section .rodata.moat_stub, "a"
.code64
.balign 4096
.globl moat_amd64_stub_start
moat_amd64_stub_start:

/* SYSCALL: RCX = user RIP, R11 = user RFLAGS, RSP = user stack, IF = 0. */
.globl moat_amd64_syscall_entry
moat_amd64_syscall_entry:
  swapgs
  movq %rsp, %gs:TF_RSP
  movq %gs:TF_KERNEL_RSP, %rsp
  movq %rax, %gs:TF_RAX
  movq %rbx, %gs:TF_RBX
  movq %rcx, %gs:TF_RCX
  movq %rcx, %gs:TF_RIP
  movq %rdx, %gs:TF_RDX
  movq %rsi, %gs:TF_RSI
  movq %rdi, %gs:TF_RDI
  movq %rbp, %gs:TF_RBP
  movq %r8, %gs:TF_R8
  movq %r9, %gs:TF_R9
  movq %r10, %gs:TF_R10
  movq %r11, %gs:TF_R11
  movq %r11, %gs:TF_RFLAGS
  movq %r12, %gs:TF_R12
  movq %r13, %gs:TF_R13
  movq %r14, %gs:TF_R14
  movq %r15, %gs:TF_R15
  movq $TRAP_KIND_SYSCALL, %gs:TF_KIND
  jmp exit_to_host

/* Exceptions. Each vector's entry is 16 bytes; it pushes a zero error code
 * where the CPU pushes none, then the vector number. */
.macro vector_entry n
  .balign 16
  .if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
  .else
    pushq $0
  .endif
  pushq $\n
  jmp exception_common
.endm

.balign 16
.globl moat_amd64_vectors
moat_amd64_vectors:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  vector_entry \n
.endr

/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
exception_common:
  testb $3, 24(%rsp)
  jz stub_fault
  swapgs
  movq %rax, %gs:TF_RAX
  movq %rbx, %gs:TF_RBX
  movq %rcx, %gs:TF_RCX
  movq %rdx, %gs:TF_RDX
  movq %rsi, %gs:TF_RSI
  movq %rdi, %gs:TF_RDI
  movq %rbp, %gs:TF_RBP
  movq %r8, %gs:TF_R8
  movq %r9, %gs:TF_R9
  movq %r10, %gs:TF_R10
  movq %r11, %gs:TF_R11
  movq %r12, %gs:TF_R12
  movq %r13, %gs:TF_R13
  movq %r14, %gs:TF_R14
  movq %r15, %gs:TF_R15
  movq 0(%rsp), %rax
  movq %rax, %gs:TF_VECTOR
  movq 8(%rsp), %rax
  movq %rax, %gs:TF_ERROR
  movq 16(%rsp), %rax
  movq %rax, %gs:TF_RIP
  movq 24(%rsp), %rax
  movq %rax, %gs:TF_CS
  movq 32(%rsp), %rax
  movq %rax, %gs:TF_RFLAGS
  movq 40(%rsp), %rax
  movq %rax, %gs:TF_RSP
  movq %cr2, %rax
  movq %rax, %gs:TF_CR2
  movq $TRAP_KIND_EXCEPTION, %gs:TF_KIND
  /* fall through */

exit_to_host:
  movq %gs:TF_KERNEL_RSP, %rsp
  outb %al, $DOORBELL_PORT
  /* The host has handled the trap; the frame holds the state to resume. */

/* Also the first instruction a new vCPU runs (kernel GS base = trap frame). */
.globl moat_amd64_return_to_user
moat_amd64_return_to_user:
  movq %gs:TF_NEW_CR3, %rax
  testq %rax, %rax
  jz 1f
  movq %rax, %cr3
  movq $0, %gs:TF_NEW_CR3
1:
  pushq $USER_DS
  pushq %gs:TF_RSP
  pushq %gs:TF_RFLAGS
  pushq $USER_CS
  pushq %gs:TF_RIP
  movq %gs:TF_RAX, %rax
  movq %gs:TF_RBX, %rbx
  movq %gs:TF_RCX, %rcx
  movq %gs:TF_RDX, %rdx
  movq %gs:TF_RSI, %rsi
  movq %gs:TF_RDI, %rdi
  movq %gs:TF_RBP, %rbp
  movq %gs:TF_R8, %r8
  movq %gs:TF_R9, %r9
  movq %gs:TF_R10, %r10
  movq %gs:TF_R11, %r11
  movq %gs:TF_R12, %r12
  movq %gs:TF_R13, %r13
  movq %gs:TF_R14, %r14
  movq %gs:TF_R15, %r15
  swapgs
  iretq

/* An exception in ring 0 is a bug in the stub or in what the host gave it.
 * Report the vector and stop; the host ends the sandbox. */
stub_fault:
  movq 0(%rsp), %rax
  outb %al, $STUB_FAULT_PORT
2:
  hlt
  jmp 2b

.globl moat_amd64_stub_end
moat_amd64_stub_end:

.section .note.GNU-stack, "", @progbits
