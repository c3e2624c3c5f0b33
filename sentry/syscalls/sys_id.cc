#include <array>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

// The guest runs with the ids of the user who started moat.
SysResult put_ids(Task& t, uint32_t id, UserAddr a, UserAddr b, UserAddr c) {
  for (UserAddr addr : {a, b, c}) {
    TRY(t.mm().copy_out(addr.value, std::as_bytes(std::span(&id, 1))));
  }
  return 0;
}

}  // namespace

// Implements Linux syscall getuid(2).
SysResult sys_getuid(Task& t) {
  return t.kernel().uid();
}
// Implements Linux syscall geteuid(2).
SysResult sys_geteuid(Task& t) {
  return t.kernel().uid();
}
// Implements Linux syscall getgid(2).
SysResult sys_getgid(Task& t) {
  return t.kernel().gid();
}
// Implements Linux syscall getegid(2).
SysResult sys_getegid(Task& t) {
  return t.kernel().gid();
}

// Implements Linux syscall getresuid(2).
SysResult sys_getresuid(Task& t, UserAddr ruid, UserAddr euid, UserAddr suid) {
  return put_ids(t, t.kernel().uid(), ruid, euid, suid);
}

// Implements Linux syscall getresgid(2).
SysResult sys_getresgid(Task& t, UserAddr rgid, UserAddr egid, UserAddr sgid) {
  return put_ids(t, t.kernel().gid(), rgid, egid, sgid);
}

// Implements Linux syscall getpid(2).
SysResult sys_getpid(Task& t) {
  return static_cast<uint64_t>(t.group().pid());
}

}  // namespace moat::sentry
