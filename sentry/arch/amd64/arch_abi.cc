#include "arch_abi.h"

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "sentry/kernel/task.h"

namespace moat::sentry::arch {

void start_user(platform::UserRegs& r, uint64_t entry, uint64_t sp) {
  r = platform::UserRegs{};
  r.rip = entry;
  r.rsp = sp;
  r.rflags = 0x202;
}

std::string format_registers(const platform::UserRegs& r) {
  return fmt::format(
      "rax={:#x} rbx={:#x} rcx={:#x} rdx={:#x} rsi={:#x} rdi={:#x} rbp={:#x} rsp={:#x} "
      "r8={:#x} r9={:#x} r10={:#x} r11={:#x} r12={:#x} r13={:#x} r14={:#x} r15={:#x} "
      "rip={:#x} rflags={:#x} error_code={:#x}",
      r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8, r.r9, r.r10, r.r11, r.r12,
      r.r13, r.r14, r.r15, r.rip, r.rflags, r.error_code);
}

FaultSignal exception_signal(const platform::Trap& trap, const platform::UserRegs& r) {
  // Vector numbers and signals as in Linux's arch/x86/kernel/traps.c.
  switch (trap.vector) {
    case 0:  // #DE divide error
      return {SIGFPE, FPE_INTDIV, r.rip};
    case 1:  // #DB
    case 3:  // #BP (int3)
      return {SIGTRAP, SI_KERNEL, 0};
    case 6:  // #UD
      return {SIGILL, ILL_ILLOPN, r.rip};
    case 16:  // #MF x87 error
      return {SIGFPE, FPE_FLTINV, r.rip};
    case 19:  // #XM SIMD floating point
      return {SIGFPE, FPE_FLTINV, r.rip};
    case 17:  // #AC alignment check
      return {SIGBUS, BUS_ADRALN, 0};
    case 11:  // #NP
    case 12:  // #SS
      return {SIGBUS, SI_KERNEL, 0};
    default:  // #GP, #OF, #BR, #TS and the rest
      return {SIGSEGV, SI_KERNEL, 0};
  }
}

FaultSignal page_fault_signal(const platform::Trap& trap, bool mapped) {
  FaultSignal signal{SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, trap.address};
  signal.trap_no = 14;  // #PF, with the error code the CPU pushed: P W U I
  signal.error_code = (trap.protection ? 0x1 : 0) |
                      (trap.access == platform::Access::kWrite ? 0x2 : 0) | 0x4 |
                      (trap.access == platform::Access::kExecute ? 0x10 : 0);
  return signal;
}

Result<void> map_signal_trampoline(MemoryManager& /*mm*/) {
  return {};  // x86-64 programs always pass sa_restorer
}

std::array<std::byte, kStatSize> encode_stat(const FileStat& st) {
  struct {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    uint64_t atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
    int64_t unused[3];
  } out{};
  static_assert(sizeof(out) == kStatSize);
  out.dev = st.dev;
  out.ino = st.ino;
  out.nlink = st.nlink;
  out.mode = st.mode;
  out.uid = st.uid;
  out.gid = st.gid;
  out.rdev = st.rdev;
  out.size = st.size;
  out.blksize = st.blksize;
  out.blocks = st.blocks;
  out.atime = static_cast<uint64_t>(st.atime.tv_sec);
  out.atime_nsec = static_cast<uint64_t>(st.atime.tv_nsec);
  out.mtime = static_cast<uint64_t>(st.mtime.tv_sec);
  out.mtime_nsec = static_cast<uint64_t>(st.mtime.tv_nsec);
  out.ctime = static_cast<uint64_t>(st.ctime.tv_sec);
  out.ctime_nsec = static_cast<uint64_t>(st.ctime.tv_nsec);
  std::array<std::byte, kStatSize> bytes;
  std::memcpy(bytes.data(), &out, kStatSize);
  return bytes;
}

}  // namespace moat::sentry::arch
