/* Constants shared by the x86-64 guest stub (stub.S) and the host. Plain
 * #defines: this header is included from assembly. */
#pragma once

/* The per-vCPU control page (mapped supervisor-only in the kernel half). */
#define CPU_GDT 0x000        /* GDT, Linux's selectors */
#define CPU_TSS 0x100        /* 64-bit TSS; RSP0 = CPU_STACK_TOP */
#define CPU_SCRATCH 0x200    /* SYSCALL entry: the user's RSP while switching */
#define CPU_KERNEL_SP 0x208  /* SYSCALL entry: the value of CPU_STACK_TOP */
#define CPU_FRAME 0xf48      /* the trap frame; it ends at the top of the page */
#define CPU_STACK_TOP 0x1000 /* RSP0: the CPU pushes the interrupt frame below this */

/* Trap frame, relative to CPU_FRAME. The frame's registers are built by
 * pushes below CPU_STACK_TOP, so while the host handles a trap the stub's
 * stack pointer is CPU_FRAME + TF_CR2. */
#define TF_NEW_CR3 0x00 /* host -> stub: if non-zero, loaded into CR3 on return */
#define TF_CR2 0x08     /* page-fault address */
#define TF_REGS 0x10    /* UserRegs */
#define TF_SIZE 0xb8

/* I/O ports the stub writes to leave the guest; the port says why. */
#define SYSCALL_PORT 0x50     /* SYSCALL entered ring 0 */
#define STUB_FAULT_PORT 0x51  /* the stub itself faulted; AL = vector */
#define VECTOR_PORT_BASE 0x60 /* exception N from user mode: port 0x60 + N */
#define KICK_PORT 0x52        /* the kick interrupt stopped user code */

/* The interrupt vector the host injects to stop a vCPU that runs user code
 * (Vcpu::kick), so that its registers land in the trap frame. */
#define KICK_VECTOR 32

/* Segment selectors, the same as Linux's so the guest sees familiar values. */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER32_CS 0x23
#define USER_DS 0x2b
#define USER_CS 0x33
#define TSS_SELECTOR 0x40
