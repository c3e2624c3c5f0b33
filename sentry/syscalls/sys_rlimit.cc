#include <sys/resource.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

struct GuestRlimit {
  uint64_t cur;
  uint64_t max;
};

// Gets and/or sets one limit of the task's process.
SysResult do_prlimit(Task& t, int resource, UserAddr new_limit, UserAddr old_limit) {
  if (resource < 0 || resource >= Limits::kCount) {
    return Errno::kEINVAL;
  }
  std::optional<GuestRlimit> wanted;
  if (!new_limit.null()) {
    GuestRlimit value{};
    TRY(t.mm().copy_in(new_limit.value, std::as_writable_bytes(std::span(&value, 1))));
    if (value.cur > value.max) {
      return Errno::kEINVAL;
    }
    wanted = value;
  }
  std::lock_guard guard(t.group().lock());
  Rlimit current = t.group().limits().get(resource);
  if (!old_limit.null()) {
    GuestRlimit value{current.cur, current.max};
    TRY(t.mm().copy_out(old_limit.value, std::as_bytes(std::span(&value, 1))));
  }
  if (wanted) {
    // FIXME: moat's guest has no capabilities model yet; raising a hard
    // limit is refused as for an unprivileged process.
    if (wanted->max > current.max) {
      return Errno::kEPERM;
    }
    if (resource == RLIMIT_NOFILE && wanted->max > 1048576) {
      return Errno::kEPERM;
    }
    t.group().limits().set(resource, Rlimit{wanted->cur, wanted->max});
    if (resource == RLIMIT_NOFILE) {
      t.fds().set_limit(wanted->cur);
    }
  }
  return 0;
}

}  // namespace

// Implements Linux syscall prlimit64(2) for the calling process.
// FIXME: other processes' limits come with process management.
SysResult sys_prlimit64(Task& t, int pid, int resource, UserAddr new_limit, UserAddr old_limit) {
  if (pid != 0 && pid != t.group().pid()) {
    return Errno::kESRCH;
  }
  return do_prlimit(t, resource, new_limit, old_limit);
}

// Implements Linux syscall getrlimit(2).
SysResult sys_getrlimit(Task& t, int resource, UserAddr rlim) {
  return do_prlimit(t, resource, UserAddr{}, rlim);
}

// Implements Linux syscall setrlimit(2).
SysResult sys_setrlimit(Task& t, int resource, UserAddr rlim) {
  return do_prlimit(t, resource, rlim, UserAddr{});
}

}  // namespace moat::sentry
