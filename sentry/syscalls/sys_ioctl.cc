#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {

// Implements Linux syscall ioctl(2). Each file type answers the requests it
// knows; the rest get ENOTTY.
SysResult sys_ioctl(Task& t, int fd, uint32_t request, uint64_t arg) {
  auto file = TRY(t.fds().get(fd));
  return file->ioctl(t, request, arg);
}

}  // namespace moat::sentry
