#pragma once

#include <cstddef>
#include <cstdint>

#include "platform/kvm/arch/amd64/stub_abi.h"
#include "platform/platform.h"

namespace moat::kvm {

// The per-vCPU trap frame in guest memory, written by the stub on every trap
// and read back when the vCPU resumes.
struct TrapFrame {
  platform::UserRegs regs;
  uint64_t kind;
  uint64_t vector;
  uint64_t error_code;
  uint64_t cr2;
  uint64_t new_cr3;
  uint64_t kernel_rsp;
  uint64_t cs;
};

static_assert(offsetof(TrapFrame, regs) + offsetof(platform::UserRegs, rax) == TF_RAX);
static_assert(offsetof(platform::UserRegs, rsp) == TF_RSP);
static_assert(offsetof(platform::UserRegs, r8) == TF_R8);
static_assert(offsetof(platform::UserRegs, r15) == TF_R15);
static_assert(offsetof(platform::UserRegs, rip) == TF_RIP);
static_assert(offsetof(platform::UserRegs, rflags) == TF_RFLAGS);
static_assert(offsetof(TrapFrame, kind) == TF_KIND);
static_assert(offsetof(TrapFrame, vector) == TF_VECTOR);
static_assert(offsetof(TrapFrame, error_code) == TF_ERROR);
static_assert(offsetof(TrapFrame, cr2) == TF_CR2);
static_assert(offsetof(TrapFrame, new_cr3) == TF_NEW_CR3);
static_assert(offsetof(TrapFrame, kernel_rsp) == TF_KERNEL_RSP);
static_assert(offsetof(TrapFrame, cs) == TF_CS);
static_assert(sizeof(TrapFrame) == TF_SIZE);

}  // namespace moat::kvm
