#pragma once

#include <cstdint>

namespace moat::platform {

// The x86-64 user register state, laid out as the CPU and the guest stub
// build it on a trap (Linux's pt_regs order): the stub's pushes, then the
// exception error code and the CPU's interrupt frame. Shared with
// platform/kvm/arch/amd64/stub.S.
struct UserRegs {
  uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
  uint64_t rax, rcx, rdx, rsi, rdi;
  uint64_t error_code;  // of the exception; 0 for a system call
  uint64_t rip, cs, rflags, rsp, ss;

  uint64_t ip() const { return rip; }
  uint64_t sp() const { return rsp; }
};

}  // namespace moat::platform
