// pipe2(2) and pipe(2).

#include <fcntl.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {

// Implements Linux syscall pipe2(2).
// Partial: O_DIRECT (packet mode) is accepted but the pipe stays a byte
// stream; O_NOTIFICATION_PIPE is EINVAL (no watch queues).
SysResult sys_pipe2(Task& t, UserAddr fds, int flags) {
  if ((flags & ~(O_NONBLOCK | O_CLOEXEC | O_DIRECT)) != 0) {
    return Errno::kEINVAL;
  }
  PipeEnds ends = make_pipe(static_cast<uint32_t>(flags), t.kernel().uid(), t.kernel().gid());
  const bool cloexec = (flags & O_CLOEXEC) != 0;
  const int read_fd = TRY(t.fds().install(std::move(ends.read), cloexec));
  auto write_fd = t.fds().install(std::move(ends.write), cloexec);
  if (!write_fd) {
    (void)t.fds().close(read_fd);
    return write_fd.error();
  }
  // Linux installs the descriptors only once the pair is stored; here they
  // are installed first and closed again if the store faults.
  const int32_t pair[2] = {read_fd, *write_fd};
  if (!t.mm().copy_out(fds.value, std::as_bytes(std::span(pair)))) {
    (void)t.fds().close(read_fd);
    (void)t.fds().close(*write_fd);
    return Errno::kEFAULT;
  }
  return 0;
}

// Implements Linux syscall pipe(2).
SysResult sys_pipe(Task& t, UserAddr fds) {
  return sys_pipe2(t, fds, 0);
}

}  // namespace moat::sentry
