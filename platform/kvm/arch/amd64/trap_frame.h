#pragma once

#include <cstddef>
#include <cstdint>

#include "platform/kvm/arch/amd64/stub_abi.h"
#include "platform/platform.h"

namespace moat::kvm {

// The per-vCPU trap frame at CPU_FRAME in the control page: built by the CPU
// and the stub on every trap, read back by the stub when the vCPU resumes.
struct TrapFrame {
  uint64_t new_cr3;
  uint64_t cr2;
  platform::UserRegs regs;
};

static_assert(offsetof(TrapFrame, new_cr3) == TF_NEW_CR3);
static_assert(offsetof(TrapFrame, cr2) == TF_CR2);
static_assert(offsetof(TrapFrame, regs) == TF_REGS);
static_assert(sizeof(TrapFrame) == TF_SIZE);
static_assert(CPU_FRAME + TF_SIZE == CPU_STACK_TOP, "the frame ends where the CPU starts pushing");
static_assert(CPU_STACK_TOP % 16 == 0, "the CPU aligns RSP0 to 16 bytes");
// The stub pushes 15 registers below the CPU's error code and interrupt frame.
static_assert(offsetof(platform::UserRegs, error_code) == 15 * 8);
static_assert(offsetof(platform::UserRegs, ss) == 20 * 8);

}  // namespace moat::kvm
