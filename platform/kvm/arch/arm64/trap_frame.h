#pragma once

#include <cstddef>
#include <cstdint>

#include "platform/kvm/arch/arm64/stub_abi.h"
#include "platform/platform.h"

namespace moat::kvm {

// The per-vCPU trap frame at the start of its control page (SP_EL1).
struct TrapFrame {
  platform::UserRegs regs;
  uint64_t esr;
  uint64_t far;
  uint64_t new_ttbr0;
  uint64_t doorbell;
  uint64_t tpidr_el0;
};

static_assert(offsetof(TrapFrame, regs) + offsetof(platform::UserRegs, x) == TF_X0);
static_assert(offsetof(platform::UserRegs, sp_el0) == TF_SP_EL0);
static_assert(offsetof(platform::UserRegs, pc) == TF_PC);
static_assert(offsetof(platform::UserRegs, pstate) == TF_PSTATE);
static_assert(offsetof(TrapFrame, esr) == TF_ESR);
static_assert(offsetof(TrapFrame, far) == TF_FAR);
static_assert(offsetof(TrapFrame, new_ttbr0) == TF_NEW_TTBR0);
static_assert(offsetof(TrapFrame, doorbell) == TF_DOORBELL);
static_assert(offsetof(TrapFrame, tpidr_el0) == TF_TPIDR);
static_assert(sizeof(TrapFrame) == TF_SIZE);

}  // namespace moat::kvm
