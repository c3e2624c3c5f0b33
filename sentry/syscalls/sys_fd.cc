// Descriptor calls: dup, dup2, dup3, fcntl.

#include <fcntl.h>
#include <sys/resource.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {

// Implements Linux syscall dup(2).
SysResult sys_dup(Task& t, int fd) {
  auto file = TRY(t.fds().get(fd));
  return TRY(t.fds().install(std::move(file), false));
}

// Implements Linux syscall dup3(2).
SysResult sys_dup3(Task& t, int oldfd, int newfd, int flags) {
  if ((flags & ~O_CLOEXEC) != 0 || oldfd == newfd) {
    return Errno::kEINVAL;
  }
  return TRY(t.fds().duplicate_to(oldfd, newfd, (flags & O_CLOEXEC) != 0));
}

// Implements Linux syscall dup2(2).
SysResult sys_dup2(Task& t, int oldfd, int newfd) {
  if (oldfd == newfd) {
    TRY(t.fds().get(oldfd));
    return static_cast<uint64_t>(newfd);
  }
  return TRY(t.fds().duplicate_to(oldfd, newfd, false));
}

// Implements Linux syscall fcntl(2).
// Partial: record locks (F_GETLK, F_SETLK, F_SETLKW, F_OFD_*), leases,
// owners and seals are not supported (EINVAL).
SysResult sys_fcntl(Task& t, int fd, int cmd, uint64_t arg) {
  auto file = TRY(t.fds().get(fd));
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const auto min_fd = static_cast<int>(arg);
      if (min_fd < 0 || static_cast<uint64_t>(min_fd) >= t.fds().limit()) {
        return Errno::kEINVAL;
      }
      return TRY(t.fds().install(std::move(file), cmd == F_DUPFD_CLOEXEC, min_fd));
    }
    case F_GETFD:
      return TRY(t.fds().cloexec(fd)) ? FD_CLOEXEC : 0;
    case F_SETFD:
      TRY(t.fds().set_cloexec(fd, (arg & FD_CLOEXEC) != 0));
      return 0;
    case F_GETFL:
      return file->flags();
    case F_SETFL:
      if (file->path_only()) {
        return Errno::kEBADF;
      }
      file->set_status_flags(static_cast<uint32_t>(arg));
      return 0;
    default:
      if (file->path_only()) {
        return Errno::kEBADF;
      }
      return TRY(file->fcntl(cmd, arg));
  }
}

}  // namespace moat::sentry
