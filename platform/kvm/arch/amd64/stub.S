/* The x86-64 guest stub: the only code that runs in ring 0 of a moat guest.
 *
 * It handles nothing itself. SYSCALL and every exception from ring 3 build
 * the user's register state (struct UserRegs, Linux's pt_regs order) at the
 * top of this vCPU's control page, where the CPU's interrupt frame already
 * is (TSS.RSP0), and leave the guest with one OUT whose port says why. When
 * the host re-enters the vCPU, execution continues after that OUT: the stub
 * reloads CR3 if the host asked, pops the (possibly changed) registers and
 * IRETQs to ring 3. Every instruction here is on the path of every trap, and
 * some nested hypervisors emulate ring 0 one instruction at a time: keep it
 * short.
 *
 * The code is position independent; the host copies it into guest memory and
 * maps it in the kernel half of every address space. */

#include "platform/kvm/arch/amd64/stub_abi.h"

.macro save_registers
  pushq %rdi
  pushq %rsi
  pushq %rdx
  pushq %rcx
  pushq %rax
  pushq %r8
  pushq %r9
  pushq %r10
  pushq %r11
  pushq %rbx
  pushq %rbp
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
.endm

.macro restore_registers
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbp
  popq %rbx
  popq %r11
  popq %r10
  popq %r9
  popq %r8
  popq %rax
  popq %rcx
  popq %rdx
  popq %rsi
  popq %rdi
.endm

.section .rodata.moat_stub, "a"
.code64
.balign 4096
.globl moat_amd64_stub_start
moat_amd64_stub_start:

/* SYSCALL: RCX = user RIP, R11 = user RFLAGS, RSP = user stack, IF = 0.
 * Build the same frame an exception would. The kernel GS base is the
 * control page only between the two SWAPGS. */
.globl moat_amd64_syscall_entry
moat_amd64_syscall_entry:
  swapgs
  movq %rsp, %gs:CPU_SCRATCH
  movq %gs:CPU_KERNEL_SP, %rsp
  pushq $USER_DS
  pushq %gs:CPU_SCRATCH
  swapgs
  pushq %r11
  pushq $USER_CS
  pushq %rcx
  pushq $0
  save_registers
  pushq $0
  outb %al, $SYSCALL_PORT
  jmp moat_amd64_return_to_user

/* Exception N. An exception in ring 0 is a bug in the stub or in what the
 * host gave it: report the vector and stop. */
.macro vector_entry n
vector_\n:
  .if (\n == 8) || (\n == 10) || (\n == 11) || (\n == 12) || (\n == 13) || (\n == 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
  .else
    pushq $0
  .endif
  testb $3, 16(%rsp)
  jz 1f
  save_registers
  .if \n == 14
    movq %cr2, %rax
    pushq %rax
  .else
    pushq $0
  .endif
  outb %al, $(VECTOR_PORT_BASE + \n)
  jmp moat_amd64_return_to_user
1:
  movb $\n, %al
  jmp stub_fault
.endm

.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  vector_entry \n
.endr

/* The kick interrupt: the host injects it only while user code runs (IF is
 * clear in ring 0), to bring that code's registers into the trap frame. */
.globl moat_amd64_kick_entry
moat_amd64_kick_entry:
  pushq $0
  save_registers
  pushq $0
  outb %al, $KICK_PORT
  jmp moat_amd64_return_to_user

/* Also the first instruction a new vCPU runs, with RSP at the frame's CR2
 * slot. */
.globl moat_amd64_return_to_user
moat_amd64_return_to_user:
  cmpq $0, -8(%rsp)
  jne 2f
3:
  addq $8, %rsp
  restore_registers
  addq $8, %rsp
  iretq
2:
  movq -8(%rsp), %rax
  movq %rax, %cr3
  movq $0, -8(%rsp)
  jmp 3b

stub_fault:
  outb %al, $STUB_FAULT_PORT
4:
  hlt
  jmp 4b

/* Offsets of the vector entries from moat_amd64_stub_start, for the IDT. */
.balign 8
.globl moat_amd64_vector_offsets
moat_amd64_vector_offsets:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  .quad vector_\n - moat_amd64_stub_start
.endr

.globl moat_amd64_stub_end
moat_amd64_stub_end:

.section .note.GNU-stack, "", @progbits
