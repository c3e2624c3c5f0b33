#include <sys/utsname.h>

#include <cstring>

#include "arch_abi.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

// The kernel moat presents itself as.
constexpr const char* kRelease = "6.1.0-moat";
constexpr const char* kVersion = "#1 SMP PREEMPT_DYNAMIC moat";

void set_field(char* field, std::string_view value) {
  std::strncpy(field, std::string(value).c_str(), _UTSNAME_LENGTH - 1);
}

}  // namespace

// Implements Linux syscall uname(2).
SysResult sys_uname(Task& t, UserAddr buf) {
  struct utsname uts {};
  set_field(uts.sysname, "Linux");
  set_field(uts.nodename, t.kernel().options().hostname);
  set_field(uts.release, kRelease);
  set_field(uts.version, kVersion);
  set_field(uts.machine, arch::kMachine);
  set_field(uts.domainname, "(none)");
  static_assert(sizeof(uts) == 6 * 65, "struct new_utsname");
  TRY(t.mm().copy_out(buf.value, std::as_bytes(std::span(&uts, 1))));
  return 0;
}

}  // namespace moat::sentry
