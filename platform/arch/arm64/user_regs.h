#pragma once

#include <cstdint>

namespace moat::platform {

// The AArch64 user register state (Linux's user_pt_regs), as the guest stub
// saves it. Shared with platform/kvm/arch/arm64/stub.S.
struct UserRegs {
  uint64_t x[31];
  uint64_t sp_el0;
  uint64_t pc;
  uint64_t pstate;

  uint64_t ip() const { return pc; }
  uint64_t sp() const { return sp_el0; }
};

}  // namespace moat::platform
