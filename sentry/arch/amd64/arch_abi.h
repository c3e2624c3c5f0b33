#pragma once

// The x86-64 guest ABI: syscall registers, the initial register state,
// exception-to-signal mapping and the layout of structures whose shape
// differs between architectures. Same names in sentry/arch/arm64/arch_abi.h.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "loader/elf.h"
#include "platform/platform.h"
#include "sentry/vfs/file_stat.h"

namespace moat::sentry {
struct FaultSignal;
}

namespace moat::sentry::arch {

inline constexpr const char* kMachine = "x86_64";  // uname -m
inline constexpr loader::Machine kElfMachine = loader::Machine::kX86_64;
// The kernel's O_LARGEFILE (glibc's is 0 on 64-bit), for trace mode.
inline constexpr uint64_t kOLargefile = 0100000;

// Picks this architecture's column of the syscall table.
constexpr int syscall_number(int amd64, int /*arm64*/) {
  return amd64;
}

inline uint64_t syscall_number(const platform::UserRegs& r) {
  return r.rax;
}

inline std::array<uint64_t, 6> syscall_args(const platform::UserRegs& r) {
  return {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
}

inline void set_syscall_return(platform::UserRegs& r, uint64_t value) {
  r.rax = value;
}

// The registers a new program starts with: everything zero but the entry
// point, the stack pointer and RFLAGS.IF.
void start_user(platform::UserRegs& r, uint64_t entry, uint64_t sp);

// The signal Linux sends for a CPU exception other than a page fault.
FaultSignal exception_signal(const platform::Trap& trap, const platform::UserRegs& r);

// Every user register as text, for the debug log of a fatal fault.
std::string format_registers(const platform::UserRegs& r);

// struct stat as this architecture's kernel writes it.
inline constexpr size_t kStatSize = 144;
std::array<std::byte, kStatSize> encode_stat(const FileStat& st);

}  // namespace moat::sentry::arch
