#include "base/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

// x86-64's arch_prctl codes (asm/prctl.h), spelled out so the table builds
// on every architecture (arm64 has no such syscall).
constexpr int ARCH_SET_GS = 0x1001;
constexpr int ARCH_SET_FS = 0x1002;
constexpr int ARCH_GET_FS = 0x1003;
constexpr int ARCH_GET_GS = 0x1004;
constexpr int ARCH_GET_CPUID = 0x1011;
constexpr int ARCH_SET_CPUID = 0x1012;

SysResult set_special(Task& t, platform::SpecialRegister reg, uint64_t value) {
  if (value >= MemoryManager::kTaskSize) {
    return Errno::kEPERM;
  }
  auto set = t.vcpu().set_special(reg, value);
  if (!set) {
    log::sentry().error("arch_prctl: {}", set.error().message);
    return Errno::kEIO;
  }
  return 0;
}

SysResult get_special(Task& t, platform::SpecialRegister reg, uint64_t addr) {
  auto value = t.vcpu().get_special(reg);
  if (!value) {
    log::sentry().error("arch_prctl: {}", value.error().message);
    return Errno::kEIO;
  }
  uint64_t v = *value;
  TRY(t.mm().copy_out(addr, std::as_bytes(std::span(&v, 1))));
  return 0;
}

}  // namespace

// Implements Linux syscall arch_prctl(2) (x86-64 only).
SysResult sys_arch_prctl(Task& t, int code, uint64_t addr) {
  switch (code) {
    case ARCH_SET_FS:
      return set_special(t, platform::SpecialRegister::kFsBase, addr);
    case ARCH_SET_GS:
      return set_special(t, platform::SpecialRegister::kGsBase, addr);
    case ARCH_GET_FS:
      return get_special(t, platform::SpecialRegister::kFsBase, addr);
    case ARCH_GET_GS:
      return get_special(t, platform::SpecialRegister::kGsBase, addr);
    case ARCH_GET_CPUID:
      return 1;  // CPUID is not faulting
    case ARCH_SET_CPUID:
      return Errno::kENODEV;  // as on CPUs without CPUID faulting
    default:
      return Errno::kEINVAL;
  }
}

}  // namespace moat::sentry
