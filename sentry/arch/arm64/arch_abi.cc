#include "arch_abi.h"

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "sentry/kernel/task.h"

namespace moat::sentry::arch {

void start_user(platform::UserRegs& r, uint64_t entry, uint64_t sp) {
  r = platform::UserRegs{};
  r.pc = entry;
  r.sp_el0 = sp;
  r.pstate = 0;  // EL0t
}

std::string format_registers(const platform::UserRegs& r) {
  std::string out;
  for (int i = 0; i < 31; ++i) {
    out += fmt::format("x{}={:#x} ", i, r.x[i]);
  }
  return out + fmt::format("sp={:#x} pc={:#x} pstate={:#x}", r.sp_el0, r.pc, r.pstate);
}

FaultSignal exception_signal(const platform::Trap& trap, const platform::UserRegs& r) {
  // Exception classes and signals as in Linux's arch/arm64/kernel/traps.c
  // and fault.c.
  switch (trap.vector) {
    case 0x22:  // PC alignment
      return {SIGBUS, BUS_ADRALN, trap.address};
    case 0x26:  // SP alignment
      return {SIGBUS, BUS_ADRALN, r.sp_el0};
    case 0x24:  // data abort other than a page fault: alignment and the like
    case 0x20:
      return {SIGBUS, BUS_ADRALN, trap.address};
    case 0x2c:  // trapped floating-point exception
      return {SIGFPE, FPE_FLTINV, r.pc};
    case 0x30:  // breakpoint, step, watchpoint, BRK
    case 0x32:
    case 0x34:
    case 0x3c:
      return {SIGTRAP, TRAP_BRKPT, r.pc};
    default:  // undefined instruction, trapped system register, SVE, ...
      return {SIGILL, ILL_ILLOPC, r.pc};
  }
}

namespace {

// Linux's ESR for a user page fault as a signal frame reports it: the class,
// IL, CM and WnR kept, the status replaced by a generic translation fault.
uint64_t user_fault_esr(const platform::Trap& trap) {
  const uint64_t ec = trap.access == platform::Access::kExecute ? 0x20 : 0x24;
  const uint64_t wnr = trap.access == platform::Access::kWrite ? (1u << 6) : 0;
  return (ec << 26) | (1u << 25) | wnr | 0x4;
}

}  // namespace

FaultSignal page_fault_signal(const platform::Trap& trap, bool mapped) {
  FaultSignal signal{SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, trap.address};
  signal.error_code = user_fault_esr(trap);
  return signal;
}

std::array<std::byte, kStatSize> encode_stat(const FileStat& st) {
  struct {
    uint64_t dev, ino;
    uint32_t mode, nlink, uid, gid;
    uint64_t rdev, pad1;
    int64_t size;
    int32_t blksize, pad2;
    int64_t blocks;
    int64_t atime;
    uint64_t atime_nsec;
    int64_t mtime;
    uint64_t mtime_nsec;
    int64_t ctime;
    uint64_t ctime_nsec;
    uint32_t unused4, unused5;
  } out{};
  static_assert(sizeof(out) == kStatSize);
  out.dev = st.dev;
  out.ino = st.ino;
  out.mode = st.mode;
  out.nlink = st.nlink;
  out.uid = st.uid;
  out.gid = st.gid;
  out.rdev = st.rdev;
  out.size = st.size;
  out.blksize = static_cast<int32_t>(st.blksize);
  out.blocks = st.blocks;
  out.atime = st.atime.tv_sec;
  out.atime_nsec = static_cast<uint64_t>(st.atime.tv_nsec);
  out.mtime = st.mtime.tv_sec;
  out.mtime_nsec = static_cast<uint64_t>(st.mtime.tv_nsec);
  out.ctime = st.ctime.tv_sec;
  out.ctime_nsec = static_cast<uint64_t>(st.ctime.tv_nsec);
  std::array<std::byte, kStatSize> bytes;
  std::memcpy(bytes.data(), &out, kStatSize);
  return bytes;
}

}  // namespace moat::sentry::arch
