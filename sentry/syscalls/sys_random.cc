#include <sys/random.h>

#include <array>
#include <cerrno>
#include <climits>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

constexpr uint32_t kKnownFlags = GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE;
constexpr uint64_t kMaxCount = INT_MAX & ~(kPageSize - 1);

}  // namespace

// Implements Linux syscall getrandom(2), from the host's entropy pool.
SysResult sys_getrandom(Task& t, UserAddr buf, uint64_t count, uint32_t flags) {
  if ((flags & ~kKnownFlags) != 0 ||
      (flags & (GRND_INSECURE | GRND_RANDOM)) == (GRND_INSECURE | GRND_RANDOM)) {
    return Errno::kEINVAL;
  }
  count = std::min(count, kMaxCount);
  auto iov = TRY(t.mm().host_iovecs(buf.value, count, platform::Access::kWrite));
  uint64_t done = 0;
  for (const auto& v : iov) {
    size_t filled = 0;
    while (filled < v.iov_len) {
      ssize_t n = ::getrandom(static_cast<char*>(v.iov_base) + filled, v.iov_len - filled,
                              flags & GRND_NONBLOCK);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (done + filled > 0) {
          return done + filled;
        }
        return static_cast<Errno>(errno);
      }
      filled += static_cast<size_t>(n);
    }
    done += filled;
  }
  return done;
}

}  // namespace moat::sentry
