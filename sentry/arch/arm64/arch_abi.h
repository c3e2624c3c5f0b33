#pragma once

// The AArch64 guest ABI: syscall registers, the initial register state,
// exception-to-signal mapping and the layout of structures whose shape
// differs between architectures. Same names in sentry/arch/amd64/arch_abi.h.

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

inline constexpr const char* kMachine = "aarch64";  // uname -m
inline constexpr loader::Machine kElfMachine = loader::Machine::kAarch64;
// The kernel's O_LARGEFILE (glibc's is 0 on 64-bit), for trace mode.
inline constexpr uint64_t kOLargefile = 0400000;

// Picks this architecture's column of the syscall table.
constexpr int syscall_number(int /*amd64*/, int arm64) {
  return arm64;
}

inline uint64_t syscall_number(const platform::UserRegs& r) {
  return r.x[8];
}

inline std::array<uint64_t, 6> syscall_args(const platform::UserRegs& r) {
  return {r.x[0], r.x[1], r.x[2], r.x[3], r.x[4], r.x[5]};
}

inline void set_syscall_return(platform::UserRegs& r, uint64_t value) {
  r.x[0] = value;
}

inline uint64_t syscall_return(const platform::UserRegs& r) {
  return r.x[0];
}

// Makes the thread run the syscall it just made once more (an interrupted
// call that restarts): back over the 4-byte SVC, with the register the
// return value overwrote restored.
inline void restart_syscall(platform::UserRegs& r, uint64_t number, uint64_t arg0) {
  r.pc -= 4;
  r.x[0] = arg0;
  (void)number;
}

// clone(2): where tls and child_tid are among the arguments, the registers
// a new thread starts with (the caller's, returning 0, on its own stack if
// one was given) and the registers it inherits beyond those.
inline constexpr int kCloneTlsArg = 3;
inline constexpr int kCloneChildTidArg = 4;
inline void start_clone_child(platform::UserRegs& r, uint64_t stack) {
  set_syscall_return(r, 0);
  if (stack != 0) {
    r.sp_el0 = stack;
  }
}
inline constexpr platform::SpecialRegister kInheritedRegisters[] = {
    platform::SpecialRegister::kTlsPointer};
inline constexpr platform::SpecialRegister kTlsRegister = platform::SpecialRegister::kTlsPointer;

// The registers a new program starts with: everything zero but the entry
// point and the stack pointer, at EL0.
void start_user(platform::UserRegs& r, uint64_t entry, uint64_t sp);

// The signal Linux sends for a synchronous exception other than a page fault.
FaultSignal exception_signal(const platform::Trap& trap, const platform::UserRegs& r);

// Every user register as text, for the debug log of a fatal fault.
std::string format_registers(const platform::UserRegs& r);

// The SIGSEGV for a page fault the memory manager refused (`mapped`: the
// address was mapped, so the access itself was wrong).
FaultSignal page_fault_signal(const platform::Trap& trap, bool mapped);

// Signals: MINSIGSTKSZ, and the sa_flags bits beyond the generic ones that
// rt_sigaction keeps.
inline constexpr uint64_t kMinSignalStackSize = 5120;
// SA_EXPOSE_TAGBITS: the handler sees si_addr's tag bits.
inline constexpr uint64_t kSaExposeTagbits = 0x800;
inline constexpr uint64_t kSaArchFlags = kSaRestorer | kSaExposeTagbits;

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

// struct stat as this architecture's kernel writes it (asm-generic layout).
inline constexpr size_t kStatSize = 128;
std::array<std::byte, kStatSize> encode_stat(const FileStat& st);

}  // namespace moat::sentry::arch
