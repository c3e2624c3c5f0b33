#pragma once

#include <cstdint>

namespace moat::platform {

// The x86-64 user register state, as the guest stub saves it. The layout is
// shared with the stub's assembly (platform/kvm/arch/amd64/stub.S).
struct UserRegs {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rip, rflags;

  uint64_t ip() const { return rip; }
  uint64_t sp() const { return rsp; }
};

}  // namespace moat::platform
