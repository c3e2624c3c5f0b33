#include <sys/uio.h>

#include <algorithm>
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

// The description open as `fd`, if it may be read (or written).
Result<std::shared_ptr<FileDescription>> readable_file(Task& t, int fd) {
  auto file = TRY(t.fds().get(fd));
  if (!file->readable()) {
    return Errno::kEBADF;
  }
  return file;
}

Result<std::shared_ptr<FileDescription>> writable_file(Task& t, int fd) {
  auto file = TRY(t.fds().get(fd));
  if (!file->writable()) {
    return Errno::kEBADF;
  }
  return file;
}

// pread64 and the like: a negative offset is EINVAL.
Result<uint64_t> file_offset(int64_t offset) {
  if (offset < 0) {
    return Errno::kEINVAL;
  }
  return static_cast<uint64_t>(offset);
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
  auto file = TRY(readable_file(t, fd));
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
  auto file = TRY(writable_file(t, fd));
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
  auto file = TRY(readable_file(t, fd));
  auto host = TRY(gather(t, iov, iovcnt, platform::Access::kWrite));
  if (host.empty()) {
    return 0;
  }
  return TRY(file->read(host));
}

// Implements Linux syscall writev(2).
SysResult sys_writev(Task& t, int fd, UserAddr iov, int iovcnt) {
  auto file = TRY(writable_file(t, fd));
  auto host = TRY(gather(t, iov, iovcnt, platform::Access::kRead));
  if (host.empty()) {
    return 0;
  }
  return finish_write(t, file->write(host));
}

// Implements Linux syscall pread64(2).
SysResult sys_pread64(Task& t, int fd, UserAddr buf, uint64_t count, int64_t offset) {
  auto file = TRY(readable_file(t, fd));
  const uint64_t at = TRY(file_offset(offset));
  if (count > static_cast<uint64_t>(SSIZE_MAX)) {
    return Errno::kEINVAL;
  }
  if (count == 0) {
    // Linux still checks that the file can seek.
    TRY(file->pread({}, at));
    return 0;
  }
  auto iov =
      TRY(t.mm().host_iovecs(buf.value, std::min(count, kMaxRwCount), platform::Access::kWrite));
  return TRY(file->pread(iov, at));
}

// Implements Linux syscall pwrite64(2).
SysResult sys_pwrite64(Task& t, int fd, UserAddr buf, uint64_t count, int64_t offset) {
  auto file = TRY(writable_file(t, fd));
  const uint64_t at = TRY(file_offset(offset));
  if (count > static_cast<uint64_t>(SSIZE_MAX)) {
    return Errno::kEINVAL;
  }
  if (count == 0) {
    TRY(file->pwrite({}, at));
    return 0;
  }
  auto iov =
      TRY(t.mm().host_iovecs(buf.value, std::min(count, kMaxRwCount), platform::Access::kRead));
  return finish_write(t, file->pwrite(iov, at));
}

// Implements Linux syscall preadv(2).
SysResult sys_preadv(Task& t, int fd, UserAddr iov, int iovcnt, int64_t offset) {
  auto file = TRY(readable_file(t, fd));
  const uint64_t at = TRY(file_offset(offset));
  auto host = TRY(gather(t, iov, iovcnt, platform::Access::kWrite));
  return TRY(file->pread(host, at));
}

// Implements Linux syscall pwritev(2).
SysResult sys_pwritev(Task& t, int fd, UserAddr iov, int iovcnt, int64_t offset) {
  auto file = TRY(writable_file(t, fd));
  const uint64_t at = TRY(file_offset(offset));
  auto host = TRY(gather(t, iov, iovcnt, platform::Access::kRead));
  return finish_write(t, file->pwrite(host, at));
}

// Implements Linux syscall preadv2(2). Offset -1 reads at the file offset.
// RWF_* hints are accepted and have no effect (RWF_NOWAIT: the data of a
// regular file is always at hand).
SysResult sys_preadv2(Task& t, int fd, UserAddr iov, int iovcnt, int64_t offset, int64_t,
                      int flags) {
  if ((flags & ~0x1f) != 0) {
    return Errno::kENOTSUP;
  }
  if (offset == -1) {
    return sys_readv(t, fd, iov, iovcnt);
  }
  return sys_preadv(t, fd, iov, iovcnt, offset);
}

// Implements Linux syscall pwritev2(2).
SysResult sys_pwritev2(Task& t, int fd, UserAddr iov, int iovcnt, int64_t offset, int64_t,
                       int flags) {
  if ((flags & ~0x1f) != 0) {
    return Errno::kENOTSUP;
  }
  if ((flags & RWF_APPEND) != 0) {
    // At the end whatever the offset; the file offset moves only for -1.
    auto file = TRY(writable_file(t, fd));
    if (offset < -1) {
      return Errno::kEINVAL;
    }
    const FileStat st = TRY(file->stat());
    auto host = TRY(gather(t, iov, iovcnt, platform::Access::kRead));
    const uint64_t end = static_cast<uint64_t>(st.size);
    const size_t n = TRY(file->pwrite(host, end));
    if (offset == -1) {
      TRY(file->seek(static_cast<int64_t>(end + n), SEEK_SET));
    }
    return n;
  }
  if (offset == -1) {
    return sys_writev(t, fd, iov, iovcnt);
  }
  return sys_pwritev(t, fd, iov, iovcnt, offset);
}

// Implements Linux syscall lseek(2).
SysResult sys_lseek(Task& t, int fd, int64_t offset, int whence) {
  auto file = TRY(t.fds().get(fd));
  return TRY(file->seek(offset, whence));
}

namespace {

SysResult read_dir(Task& t, int fd, UserAddr dirp, uint64_t count, DirentFormat format) {
  auto file = TRY(t.fds().get(fd));
  std::vector<std::byte> buf(std::min<uint64_t>(count, 1 << 20));
  const size_t n = TRY(file->read_dir(buf, format));
  TRY(t.mm().copy_out(dirp.value, std::span(buf).first(n)));
  return n;
}

}  // namespace

// Implements Linux syscall getdents64(2).
SysResult sys_getdents64(Task& t, int fd, UserAddr dirp, uint64_t count) {
  return read_dir(t, fd, dirp, count, DirentFormat::kDirent64);
}

// Implements Linux syscall getdents(2).
SysResult sys_getdents(Task& t, int fd, UserAddr dirp, uint64_t count) {
  return read_dir(t, fd, dirp, count, DirentFormat::kDirent);
}

// Implements Linux syscall ftruncate(2).
SysResult sys_ftruncate(Task& t, int fd, int64_t length) {
  auto file = TRY(t.fds().get(fd));
  if (length < 0) {
    return Errno::kEINVAL;
  }
  TRY(file->truncate(static_cast<uint64_t>(length)));
  return 0;
}

// Implements Linux syscall fsync(2).
SysResult sys_fsync(Task& t, int fd) {
  auto file = TRY(t.fds().get(fd));
  TRY(file->sync());
  return 0;
}

// Implements Linux syscall fdatasync(2).
SysResult sys_fdatasync(Task& t, int fd) {
  return sys_fsync(t, fd);
}

}  // namespace moat::sentry
