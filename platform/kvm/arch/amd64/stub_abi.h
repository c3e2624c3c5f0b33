/* Constants shared by the x86-64 guest stub (stub.S) and the host. Plain
 * #defines: this header is included from assembly. */
#pragma once

/* Trap frame offsets: UserRegs first, then the stub's own fields. */
#define TF_RAX 0x00
#define TF_RBX 0x08
#define TF_RCX 0x10
#define TF_RDX 0x18
#define TF_RSI 0x20
#define TF_RDI 0x28
#define TF_RBP 0x30
#define TF_RSP 0x38
#define TF_R8 0x40
#define TF_R9 0x48
#define TF_R10 0x50
#define TF_R11 0x58
#define TF_R12 0x60
#define TF_R13 0x68
#define TF_R14 0x70
#define TF_R15 0x78
#define TF_RIP 0x80
#define TF_RFLAGS 0x88
#define TF_KIND 0x90       /* TRAP_KIND_* */
#define TF_VECTOR 0x98     /* exception vector */
#define TF_ERROR 0xa0      /* exception error code */
#define TF_CR2 0xa8        /* page-fault address */
#define TF_NEW_CR3 0xb0    /* if non-zero, loaded into CR3 before returning to user */
#define TF_KERNEL_RSP 0xb8 /* top of this vCPU's stub stack */
#define TF_CS 0xc0         /* CS at the exception (diagnostics) */
#define TF_SIZE 0xc8

#define TRAP_KIND_SYSCALL 1
#define TRAP_KIND_EXCEPTION 2

/* I/O ports the stub writes to leave the guest. */
#define DOORBELL_PORT 0x50    /* a trap frame is ready */
#define STUB_FAULT_PORT 0x51  /* the stub itself faulted; AL = vector */

/* Segment selectors, the same as Linux's so the guest sees familiar values. */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER32_CS 0x23
#define USER_DS 0x2b
#define USER_CS 0x33
#define TSS_SELECTOR 0x40
