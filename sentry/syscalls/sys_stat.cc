#include <fcntl.h>

#include <climits>

#include "arch_abi.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

SysResult stat_fd(Task& t, int fd, UserAddr statbuf) {
  auto file = TRY(t.fds().get(fd));
  auto st = TRY(file->stat());
  auto bytes = arch::encode_stat(st);
  TRY(t.mm().copy_out(statbuf.value, bytes));
  return 0;
}

}  // namespace

// Implements Linux syscall fstat(2).
SysResult sys_fstat(Task& t, int fd, UserAddr statbuf) {
  return stat_fd(t, fd, statbuf);
}

// Implements Linux syscall newfstatat(2).
// FIXME: there is no file system yet: any non-empty path is ENOENT.
SysResult sys_newfstatat(Task& t, int dirfd, UserAddr path, UserAddr statbuf, int flags) {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) != 0) {
    return Errno::kEINVAL;
  }
  auto name = TRY(t.mm().copy_in_string(path.value, PATH_MAX - 1));
  if (name.empty()) {
    if (!(flags & AT_EMPTY_PATH)) {
      return Errno::kENOENT;
    }
    return stat_fd(t, dirfd, statbuf);
  }
  return Errno::kENOENT;
}

}  // namespace moat::sentry
