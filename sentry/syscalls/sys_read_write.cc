#include <sys/uio.h>

#include <climits>
#include <csignal>
#include <vector>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

// Linux caps a single read or write at MAX_RW_COUNT.
constexpr uint64_t kMaxRwCount = INT_MAX & ~(kPageSize - 1);

struct GuestIovec {
  uint64_t base;
  uint64_t len;
};

// Host iovecs for a guest iovec array; lengths past kMaxRwCount are trimmed.
Result<std::vector<iovec>> gather(Task& t, UserAddr iov, int iovcnt, platform::Access access) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) {
    return Errno::kEINVAL;
  }
  std::vector<GuestIovec> guest(static_cast<size_t>(iovcnt));
  TRY(t.mm().copy_in(iov.value, std::as_writable_bytes(std::span(guest))));
  std::vector<iovec> host;
  uint64_t total = 0;
  for (const auto& v : guest) {
    if (v.len > static_cast<uint64_t>(SSIZE_MAX) ||
        total + v.len > static_cast<uint64_t>(SSIZE_MAX)) {
      return Errno::kEINVAL;
    }
    total += v.len;
  }
  uint64_t budget = kMaxRwCount;
  for (const auto& v : guest) {
    uint64_t len = std::min(v.len, budget);
    if (len == 0) {
      continue;
    }
    auto pieces = TRY(t.mm().host_iovecs(v.base, len, access));
    host.insert(host.end(), pieces.begin(), pieces.end());
    budget -= len;
    if (budget == 0) {
      break;
    }
  }
  return host;
}

SysResult finish_write(Task& t, Result<size_t> written) {
  if (!written && written.error() == Errno::kEPIPE) {
    t.send_signal(SignalInfo::from_process(SIGPIPE, SI_USER, t.group().pid(), t.kernel().uid()));
  }
  return TRY(std::move(written));
}

}  // namespace

// Implements Linux syscall read(2).
SysResult sys_read(Task& t, int fd, UserAddr buf, uint64_t count) {
  auto file = TRY(t.fds().get(fd));
  if (count == 0) {
    return 0;
  }
  if (count > static_cast<uint64_t>(SSIZE_MAX)) {
    return Errno::kEINVAL;
  }
  auto iov =
      TRY(t.mm().host_iovecs(buf.value, std::min(count, kMaxRwCount), platform::Access::kWrite));
  return TRY(file->read(iov));
}

// Implements Linux syscall write(2).
SysResult sys_write(Task& t, int fd, UserAddr buf, uint64_t count) {
  auto file = TRY(t.fds().get(fd));
  if (count == 0) {
    return 0;
  }
  if (count > static_cast<uint64_t>(SSIZE_MAX)) {
    return Errno::kEINVAL;
  }
  auto iov =
      TRY(t.mm().host_iovecs(buf.value, std::min(count, kMaxRwCount), platform::Access::kRead));
  return finish_write(t, file->write(iov));
}

// Implements Linux syscall readv(2).
SysResult sys_readv(Task& t, int fd, UserAddr iov, int iovcnt) {
  auto file = TRY(t.fds().get(fd));
  auto host = TRY(gather(t, iov, iovcnt, platform::Access::kWrite));
  if (host.empty()) {
    return 0;
  }
  return TRY(file->read(host));
}

// Implements Linux syscall writev(2).
SysResult sys_writev(Task& t, int fd, UserAddr iov, int iovcnt) {
  auto file = TRY(t.fds().get(fd));
  auto host = TRY(gather(t, iov, iovcnt, platform::Access::kRead));
  if (host.empty()) {
    return 0;
  }
  return finish_write(t, file->write(host));
}

}  // namespace moat::sentry
