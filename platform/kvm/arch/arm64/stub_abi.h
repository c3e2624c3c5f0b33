/* Constants shared by the arm64 guest stub (stub.S) and the host. Plain
 * #defines: this header is included from assembly. */
#pragma once

/* The trap frame sits at the start of each vCPU's control page; SP_EL1
 * points at it, and the stub addresses it as [sp, #offset]. */
#define TF_X0 0x000 /* x0..x30 */
#define TF_SP_EL0 0x0f8
#define TF_PC 0x100     /* ELR_EL1 */
#define TF_PSTATE 0x108 /* SPSR_EL1 */
#define TF_ESR 0x110
#define TF_FAR 0x118
#define TF_NEW_TTBR0 0x120 /* host -> stub: if non-zero, loaded (and the TLB flushed) on return */
#define TF_DOORBELL 0x128  /* the doorbell's virtual address */
#define TF_TPIDR 0x130     /* the guest's TPIDR_EL0, saved and reloaded by the stub */
#define TF_SIZE 0x138

/* Offsets from the doorbell address: the store's address says why the
 * guest left. */
#define DOORBELL_SYNC 0x00
#define DOORBELL_IRQ 0x08
#define DOORBELL_FIQ 0x10
#define DOORBELL_SERROR 0x18
#define DOORBELL_STUB_FAULT 0x100
