#include "sentry/fs/host/host_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>

#include "sentry/kernel/task.h"

namespace moat::sentry {
namespace {

// Linux's terminal ioctls (the kernel's numbers, the same on amd64 and arm64).
constexpr uint32_t kTcgets = 0x5401;
constexpr uint32_t kTcsets = 0x5402;
constexpr uint32_t kTcsetsw = 0x5403;
constexpr uint32_t kTcsetsf = 0x5404;
constexpr uint32_t kTiocgwinsz = 0x5413;
constexpr uint32_t kTiocswinsz = 0x5414;
// sizeof(struct termios) as the kernel defines it (NCCS = 19), and winsize.
constexpr size_t kTermiosSize = 36;
constexpr size_t kWinsizeSize = 8;

Errno host_errno() {
  return static_cast<Errno>(errno);
}

// True if the calling guest thread has a signal to take or must stop.
bool task_interrupted() {
  Task* task = Task::current();
  return task != nullptr && task->interrupted();
}

// True if a read of `fd` would not block now.
bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// Host vectored I/O over at most IOV_MAX entries at a time. A host call that
// blocks (a terminal, a pipe) is interrupted by the kick that a signal or
// exit_group sends the thread; the guest's call then ends as Linux's would:
// with what was done, or ERESTARTSYS (EINTR, or a restart under SA_RESTART).
// A read that would block is not started while the thread is interrupted.
// FIXME: a kick that lands between that check and the host call is missed
// until the call returns; issue 7's poll-based waiting closes the gap.
template <typename Fn>
Result<size_t> vectored(int fd, bool read, std::span<const iovec> iov, Fn&& fn) {
  size_t total = 0;
  while (!iov.empty()) {
    auto batch = iov.first(std::min<size_t>(iov.size(), IOV_MAX));
    size_t want = 0;
    for (const auto& v : batch) {
      want += v.iov_len;
    }
    ssize_t n;
    for (;;) {
      if (read && task_interrupted() && !readable_now(fd)) {
        n = -1;
        errno = EINTR;
      } else {
        n = fn(batch.data(), static_cast<int>(batch.size()));
      }
      if (n >= 0 || errno != EINTR) {
        break;
      }
      if (task_interrupted()) {
        if (total > 0) {
          return total;
        }
        return Errno::kERESTARTSYS;
      }
    }
    if (n < 0) {
      if (total > 0) {
        return total;
      }
      return host_errno();
    }
    total += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < want) {
      break;
    }
    iov = iov.subspan(batch.size());
  }
  return total;
}

}  // namespace

Result<std::shared_ptr<HostFile>, Error> HostFile::dup_of(int host_fd) {
  int fd = ::fcntl(host_fd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) {
    return host_error("dup of a host descriptor", errno);
  }
  const int flags = ::fcntl(fd, F_GETFL);
  const uint32_t kept =
      flags < 0 ? O_RDWR : static_cast<uint32_t>(flags) & (O_ACCMODE | O_APPEND | O_NONBLOCK);
  return std::make_shared<HostFile>(UniqueFd(fd), kept);
}

Result<size_t> HostFile::read(std::span<const iovec> dst) {
  return vectored(m_fd.get(), true, dst,
                  [this](const iovec* v, int n) { return ::readv(m_fd.get(), v, n); });
}

Result<size_t> HostFile::write(std::span<const iovec> src) {
  return vectored(m_fd.get(), false, src,
                  [this](const iovec* v, int n) { return ::writev(m_fd.get(), v, n); });
}

Result<size_t> HostFile::pread(std::span<const iovec> dst, uint64_t offset) {
  ssize_t n =
      ::preadv(m_fd.get(), dst.data(), static_cast<int>(std::min<size_t>(dst.size(), IOV_MAX)),
               static_cast<off_t>(offset));
  if (n < 0) {
    return host_errno();
  }
  return static_cast<size_t>(n);
}

Result<size_t> HostFile::pwrite(std::span<const iovec> src, uint64_t offset) {
  ssize_t n =
      ::pwritev(m_fd.get(), src.data(), static_cast<int>(std::min<size_t>(src.size(), IOV_MAX)),
                static_cast<off_t>(offset));
  if (n < 0) {
    return host_errno();
  }
  return static_cast<size_t>(n);
}

Result<uint64_t> HostFile::seek(int64_t offset, int whence) {
  off_t pos = ::lseek(m_fd.get(), offset, whence);
  if (pos < 0) {
    return host_errno();
  }
  return static_cast<uint64_t>(pos);
}

Result<void> HostFile::sync() {
  if (::fsync(m_fd.get()) != 0) {
    return host_errno();
  }
  return {};
}

std::string HostFile::link_name() const {
  // What the host descriptor is, as the guest may know it: a pipe, socket
  // or terminal keeps its host name ("pipe:[123]", "/dev/pts/0").
  char target[256];
  const std::string self = "/proc/self/fd/" + std::to_string(m_fd.get());
  ssize_t n = ::readlink(self.c_str(), target, sizeof(target) - 1);
  if (n <= 0) {
    return "anon_inode:[host]";
  }
  return std::string(target, static_cast<size_t>(n));
}

Result<FileStat> HostFile::stat() {
  struct stat st {};
  if (::fstat(m_fd.get(), &st) != 0) {
    return host_errno();
  }
  return file_stat_of(st);
}

FileStat file_stat_of(const struct stat& st) {
  FileStat out;
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  out.mode = st.st_mode;
  out.nlink = static_cast<uint32_t>(st.st_nlink);
  out.uid = st.st_uid;
  out.gid = st.st_gid;
  out.rdev = st.st_rdev;
  out.size = st.st_size;
  out.blksize = st.st_blksize;
  out.blocks = st.st_blocks;
  out.atime = st.st_atim;
  out.mtime = st.st_mtim;
  out.ctime = st.st_ctim;
  return out;
}

Result<uint64_t> HostFile::ioctl(Task& task, uint32_t request, uint64_t arg) {
  auto& mm = task.mm();
  std::array<std::byte, 64> buf{};
  auto forward = [&](unsigned long host_request) -> Result<uint64_t> {
    int ret;
    do {
      ret = ::ioctl(m_fd.get(), host_request, buf.data());
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
      return host_errno();
    }
    return static_cast<uint64_t>(ret);
  };
  switch (request) {
    case kTcgets: {
      auto ret = TRY(forward(TCGETS));
      TRY(mm.copy_out(arg, std::span(buf).first(kTermiosSize)));
      return ret;
    }
    case kTcsets:
    case kTcsetsw:
    case kTcsetsf:
      TRY(mm.copy_in(arg, std::span(buf).first(kTermiosSize)));
      return forward(request == kTcsets ? TCSETS : request == kTcsetsw ? TCSETSW : TCSETSF);
    case kTiocgwinsz: {
      auto ret = TRY(forward(TIOCGWINSZ));
      TRY(mm.copy_out(arg, std::span(buf).first(kWinsizeSize)));
      return ret;
    }
    case kTiocswinsz:
      TRY(mm.copy_in(arg, std::span(buf).first(kWinsizeSize)));
      return forward(TIOCSWINSZ);
    default:
      return Errno::kENOTTY;
  }
}

}  // namespace moat::sentry
