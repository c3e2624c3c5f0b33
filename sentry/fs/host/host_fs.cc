#include "sentry/fs/host/host_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "sentry/fs/host/host_file.h"
#include "sentry/vfs/inode_file.h"

namespace moat::sentry {
namespace {

Errno host_errno() {
  return static_cast<Errno>(errno);
}

Result<struct stat> host_stat(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return host_errno();
  }
  return st;
}

}  // namespace

Result<std::shared_ptr<HostInode>, Error> HostInode::open_root(const std::string& host_dir) {
  UniqueFd fd(::open(host_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return host_error(fmt::format("cannot open the root directory {}", host_dir), errno);
  }
  return std::make_shared<HostInode>(std::move(fd), S_IFDIR, nullptr, std::string());
}

HostInode::HostInode(UniqueFd path_fd, uint32_t type, std::shared_ptr<HostInode> parent,
                     std::string name)
    : Inode(type),
      m_path_fd(std::move(path_fd)),
      m_parent(std::move(parent)),
      m_name(std::move(name)) {}

Result<FileStat> HostInode::stat() {
  const struct stat st = TRY(host_stat(m_path_fd.get()));
  return file_stat_of(st);
}

Result<struct statfs> HostInode::statfs() {
  struct statfs out {};
  if (::fstatfs(m_path_fd.get(), &out) != 0) {
    return host_errno();
  }
  out.f_flags |= ST_RDONLY;  // the sandbox sees it read-only
  out.f_fsid = {};           // nothing of the host's identity
  return out;
}

Result<std::shared_ptr<Inode>> HostInode::lookup(const std::string& name) {
  if (!is_dir()) {
    return Errno::kENOTDIR;
  }
  UniqueFd fd(::openat(m_path_fd.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    return host_errno();
  }
  const struct stat st = TRY(host_stat(fd.get()));
  auto self = std::static_pointer_cast<HostInode>(shared_from_this());
  return std::shared_ptr<Inode>(
      std::make_shared<HostInode>(std::move(fd), st.st_mode & S_IFMT, std::move(self), name));
}

Result<std::vector<DirEntry>> HostInode::read_dir() {
  if (!is_dir()) {
    return Errno::kENOTDIR;
  }
  int fd = ::openat(m_path_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return host_errno();
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const Errno err = host_errno();
    ::close(fd);
    return err;
  }
  std::vector<DirEntry> entries;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      entries.push_back(DirEntry{std::string(name), entry->d_ino, entry->d_type});
    }
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) {
    return static_cast<Errno>(err);
  }
  return entries;
}

Result<std::string> HostInode::read_link() {
  if (!is_symlink()) {
    return Errno::kEINVAL;
  }
  char buf[PATH_MAX];
  const ssize_t n = ::readlinkat(m_path_fd.get(), "", buf, sizeof(buf));
  if (n < 0) {
    return host_errno();
  }
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::shared_ptr<FileDescription>> HostInode::open(const std::shared_ptr<Dentry>& dentry,
                                                         uint32_t flags) {
  const uint32_t mode = flags & O_ACCMODE;
  if (mode == O_WRONLY || mode == O_RDWR || (flags & O_TRUNC) != 0) {
    return is_dir() ? Errno::kEISDIR : Errno::kEROFS;
  }
  if (is_dir() || is_regular()) {
    return Inode::open(dentry, flags);
  }
  // Host devices, FIFOs and sockets are not the guest's to open.
  return Errno::kEACCES;
}

Result<int> HostInode::data_fd() {
  std::call_once(m_data_once, [this] {
    // Opened by name from the parent, never following a link; the result
    // must be the very file this inode looked up.
    const int fd = m_parent ? ::openat(m_parent->m_path_fd.get(), m_name.c_str(),
                                       O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
                            : -1;
    if (fd < 0) {
      m_data_error = m_parent ? host_errno() : Errno::kEISDIR;
      return;
    }
    UniqueFd opened(fd);
    struct stat a {};
    struct stat b {};
    if (::fstat(fd, &a) != 0 || ::fstat(m_path_fd.get(), &b) != 0 || a.st_dev != b.st_dev ||
        a.st_ino != b.st_ino) {
      m_data_error = Errno::kESTALE;
      return;
    }
    m_data_fd = std::move(opened);
  });
  if (!m_data_fd.valid()) {
    return m_data_error;
  }
  return m_data_fd.get();
}

Result<size_t> HostInode::read_at(std::span<const iovec> dst, uint64_t offset) {
  if (!is_regular()) {
    return Inode::read_at(dst, offset);
  }
  const int fd = TRY(data_fd());
  size_t total = 0;
  while (!dst.empty()) {
    auto batch = dst.first(std::min<size_t>(dst.size(), IOV_MAX));
    const ssize_t n = ::preadv(fd, batch.data(), static_cast<int>(batch.size()),
                               static_cast<off_t>(offset + total));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (total > 0) {
        return total;
      }
      return host_errno();
    }
    size_t want = 0;
    for (const iovec& v : batch) {
      want += v.iov_len;
    }
    total += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < want) {
      break;
    }
    dst = dst.subspan(batch.size());
  }
  return total;
}

Result<uint64_t> HostInode::size() {
  const struct stat st = TRY(host_stat(m_path_fd.get()));
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace moat::sentry
