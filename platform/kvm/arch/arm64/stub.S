/* The arm64 guest stub: the only code that runs at EL1 in a moat guest.
 *
 * It handles nothing itself. Every exception from EL0 saves the user's
 * registers (x0-x30, SP_EL0, ELR_EL1, SPSR_EL1) and the syndrome
 * (ESR_EL1, FAR_EL1) into this vCPU's trap frame, which SP_EL1 points at,
 * then leaves the guest with one plain store to the doorbell: an address
 * with no memory behind it, so KVM_RUN returns KVM_EXIT_MMIO. The store must
 * be a single-register STR (ISV=1): pair or writeback forms give KVM no
 * syndrome to report. The guest's TPIDR_EL0 (its thread pointer) travels in
 * the frame too, so whatever the host leaves in the register, the guest
 * resumes with its own (README, "Known problems": in the emulated test VM
 * the guest was seen running with moat's thread pointer). When the host re-enters the vCPU, execution continues
 * after the store: the stub switches TTBR0 if the host asked, reloads the
 * (possibly changed) registers and ERETs to EL0.
 *
 * The code is position independent; the host copies it into guest memory and
 * maps it in the TTBR1 half. */

#include "platform/kvm/arch/arm64/stub_abi.h"

.macro save_and_exit doorbell_offset
  stp x0, x1, [sp, #0]
  stp x2, x3, [sp, #16]
  stp x4, x5, [sp, #32]
  stp x6, x7, [sp, #48]
  stp x8, x9, [sp, #64]
  stp x10, x11, [sp, #80]
  stp x12, x13, [sp, #96]
  stp x14, x15, [sp, #112]
  stp x16, x17, [sp, #128]
  stp x18, x19, [sp, #144]
  stp x20, x21, [sp, #160]
  stp x22, x23, [sp, #176]
  stp x24, x25, [sp, #192]
  stp x26, x27, [sp, #208]
  stp x28, x29, [sp, #224]
  mrs x0, sp_el0
  stp x30, x0, [sp, #TF_X0 + 240]
  mrs x0, elr_el1
  mrs x1, spsr_el1
  stp x0, x1, [sp, #TF_PC]
  mrs x0, esr_el1
  mrs x1, far_el1
  stp x0, x1, [sp, #TF_ESR]
  mrs x0, tpidr_el0
  str x0, [sp, #TF_TPIDR]
  ldr x0, [sp, #TF_DOORBELL]
  add x0, x0, #\doorbell_offset
  str xzr, [x0]
  b return_to_user
.endm

.section .rodata.moat_stub, "a"
.balign 4096
.globl moat_arm64_stub_start
moat_arm64_stub_start:

/* The vector table (VBAR_EL1): 16 entries of 0x80 bytes. */
.globl moat_arm64_vectors
moat_arm64_vectors:
  .balign 0x80
  b stub_fault  /* current EL, SP_EL0: sync */
  .balign 0x80
  b stub_fault
  .balign 0x80
  b stub_fault
  .balign 0x80
  b stub_fault
  .balign 0x80
  b stub_fault  /* current EL, SP_ELx: sync */
  .balign 0x80
  b stub_fault
  .balign 0x80
  b stub_fault
  .balign 0x80
  b stub_fault
  .balign 0x80
  b el0_sync    /* lower EL, AArch64: sync */
  .balign 0x80
  b el0_irq
  .balign 0x80
  b el0_fiq
  .balign 0x80
  b el0_serror
  .balign 0x80
  b stub_fault  /* lower EL, AArch32: never enabled */
  .balign 0x80
  b stub_fault
  .balign 0x80
  b stub_fault
  .balign 0x80
  b stub_fault
  .balign 0x80

el0_sync:
  save_and_exit DOORBELL_SYNC
el0_irq:
  save_and_exit DOORBELL_IRQ
el0_fiq:
  save_and_exit DOORBELL_FIQ
el0_serror:
  save_and_exit DOORBELL_SERROR

/* Also the first instruction a new vCPU runs. */
.globl moat_arm64_return_to_user
moat_arm64_return_to_user:
return_to_user:
  ldr x0, [sp, #TF_NEW_TTBR0]
  cbnz x0, 2f
1:
  ldp x0, x1, [sp, #TF_PC]
  msr elr_el1, x0
  msr spsr_el1, x1
  ldr x0, [sp, #TF_TPIDR]
  msr tpidr_el0, x0
  ldr x0, [sp, #TF_SP_EL0]
  msr sp_el0, x0
  ldp x0, x1, [sp, #0]
  ldp x2, x3, [sp, #16]
  ldp x4, x5, [sp, #32]
  ldp x6, x7, [sp, #48]
  ldp x8, x9, [sp, #64]
  ldp x10, x11, [sp, #80]
  ldp x12, x13, [sp, #96]
  ldp x14, x15, [sp, #112]
  ldp x16, x17, [sp, #128]
  ldp x18, x19, [sp, #144]
  ldp x20, x21, [sp, #160]
  ldp x22, x23, [sp, #176]
  ldp x24, x25, [sp, #192]
  ldp x26, x27, [sp, #208]
  ldp x28, x29, [sp, #224]
  ldr x30, [sp, #240]
  eret
2:
  /* Inner-shareable: the vCPU may have run on another physical CPU before,
   * whose TLB still holds this address space's old entries (a guest kernel
   * flushes the same way; it cannot count on KVM's HCR_EL2.FB/BSU upgrade). */
  dsb ishst
  msr ttbr0_el1, x0
  isb
  tlbi vmalle1is
  dsb ish
  isb
  str xzr, [sp, #TF_NEW_TTBR0]
  b 1b

/* An exception at EL1 is a bug in the stub or in what the host gave it:
 * report it and stop. The host reads ESR_EL1 itself. */
stub_fault:
  ldr x0, [sp, #TF_DOORBELL]
  add x0, x0, #DOORBELL_STUB_FAULT
  str xzr, [x0]
3:
  wfi
  b 3b

.globl moat_arm64_stub_end
moat_arm64_stub_end:

.section .note.GNU-stack, "", @progbits
