#pragma once

// The x86-64 guest ABI: syscall registers, the initial register state,
// exception-to-signal mapping and the layout of structures whose shape
// differs between architectures. Same names in sentry/arch/arm64/arch_abi.h.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.h"
#include "loader/elf.h"
#include "platform/platform.h"
#include "sentry/kernel/signal.h"
#include "sentry/vfs/file_stat.h"

namespace moat::sentry {
struct FaultSignal;
struct SignalAction;
struct SignalInfo;
class MemoryManager;
class Task;
}  // namespace moat::sentry

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

inline uint64_t syscall_return(const platform::UserRegs& r) {
  return r.rax;
}

// Makes the thread run the syscall it just made once more (an interrupted
// call that restarts): back over the 2-byte SYSCALL, with the register the
// return value overwrote restored.
inline void restart_syscall(platform::UserRegs& r, uint64_t number, uint64_t arg0) {
  r.rip -= 2;
  r.rax = number;
  (void)arg0;
}

// clone(2): where tls and child_tid are among the arguments, the registers
// a new thread starts with (the caller's, returning 0, on its own stack if
// one was given) and the registers it inherits beyond those.
inline constexpr int kCloneTlsArg = 4;
inline constexpr int kCloneChildTidArg = 3;
inline void start_clone_child(platform::UserRegs& r, uint64_t stack) {
  set_syscall_return(r, 0);
  if (stack != 0) {
    r.rsp = stack;
  }
}
inline constexpr platform::SpecialRegister kInheritedRegisters[] = {
    platform::SpecialRegister::kFsBase, platform::SpecialRegister::kGsBase};
inline constexpr platform::SpecialRegister kTlsRegister = platform::SpecialRegister::kFsBase;

// The registers a new program starts with: everything zero but the entry
// point, the stack pointer and RFLAGS.IF.
void start_user(platform::UserRegs& r, uint64_t entry, uint64_t sp);

// The signal Linux sends for a CPU exception other than a page fault.
FaultSignal exception_signal(const platform::Trap& trap, const platform::UserRegs& r);

// Every user register as text, for the debug log of a fatal fault.
std::string format_registers(const platform::UserRegs& r);

// The SIGSEGV for a page fault the memory manager refused (`mapped`: the
// address was mapped, so the access itself was wrong).
FaultSignal page_fault_signal(const platform::Trap& trap, bool mapped);

// Signals: MINSIGSTKSZ, and the sa_flags bits beyond the generic ones that
// rt_sigaction keeps.
inline constexpr uint64_t kMinSignalStackSize = 2048;
inline constexpr uint64_t kSaArchFlags = kSaRestorer;

// Builds the frame a handler runs on (signal_frame.cc) and points the
// registers at the handler. An error means the frame could not be written.
Result<void> setup_signal_frame(Task& t, const SignalInfo& info, const SignalAction& action,
                                SigSet old_mask);
// rt_sigreturn: restores what setup_signal_frame saved and returns the
// restored return register. An error means a bad frame (SIGSEGV).
Result<uint64_t> restore_signal_frame(Task& t);
// Where the frame rt_sigreturn is about to restore keeps its signal mask,
// for trace mode.
uint64_t sigreturn_mask_address(const platform::UserRegs& r);
// Maps what returns from a handler when the program gave no sa_restorer
// (arm64: a page with the rt_sigreturn trampoline; amd64: nothing).
Result<void> map_signal_trampoline(MemoryManager& mm);

// struct stat as this architecture's kernel writes it.
inline constexpr size_t kStatSize = 144;
std::array<std::byte, kStatSize> encode_stat(const FileStat& st);

}  // namespace moat::sentry::arch
