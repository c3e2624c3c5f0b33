#include "sentry/vfs/file_description.h"

#include <poll.h>

#include <cstring>

#include "sentry/vfs/dentry.h"

namespace moat::sentry {
namespace {

// What F_SETFL may change, as Linux's SETFL_MASK.
constexpr uint32_t kSettableFlags = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

}  // namespace

FileDescription::FileDescription(uint32_t flags, std::shared_ptr<Dentry> dentry)
    : m_flags(flags), m_dentry(std::move(dentry)) {}

FileDescription::~FileDescription() = default;

Result<size_t> FileDescription::read(std::span<const iovec>) {
  return Errno::kEINVAL;
}

Result<size_t> FileDescription::write(std::span<const iovec>) {
  return Errno::kEINVAL;
}

Result<size_t> FileDescription::pread(std::span<const iovec>, uint64_t) {
  return Errno::kESPIPE;
}

Result<size_t> FileDescription::pwrite(std::span<const iovec>, uint64_t) {
  return Errno::kESPIPE;
}

Result<uint64_t> FileDescription::seek(int64_t, int) {
  return Errno::kESPIPE;
}

Result<size_t> FileDescription::read_dir(std::span<std::byte>, DirentFormat) {
  return Errno::kENOTDIR;
}

Result<FileStat> FileDescription::stat() {
  if (!m_dentry) {
    return Errno::kEBADF;
  }
  return m_dentry->inode()->stat();
}

Result<uint64_t> FileDescription::ioctl(Task&, uint32_t, uint64_t) {
  return Errno::kENOTTY;
}

Result<void> FileDescription::truncate(uint64_t) {
  return Errno::kEINVAL;
}

Result<void> FileDescription::sync() {
  return Errno::kEINVAL;
}

Result<uint64_t> FileDescription::fcntl(int, uint64_t) {
  return Errno::kEINVAL;
}

uint32_t FileDescription::readiness(uint32_t events) {
  return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

std::string FileDescription::link_name() const {
  return m_dentry ? m_dentry->path() : std::string("anon_inode:[unknown]");
}

std::shared_ptr<Inode> FileDescription::mappable_inode() const {
  return nullptr;
}

void FileDescription::set_status_flags(uint32_t flags) {
  uint32_t old = m_flags.load(std::memory_order_relaxed);
  while (!m_flags.compare_exchange_weak(old, (old & ~kSettableFlags) | (flags & kSettableFlags),
                                        std::memory_order_relaxed)) {
  }
}

bool FileDescription::readable() const {
  const uint32_t mode = flags() & O_ACCMODE;
  return !path_only() && (mode == O_RDONLY || mode == O_RDWR);
}

bool FileDescription::writable() const {
  const uint32_t mode = flags() & O_ACCMODE;
  return !path_only() && (mode == O_WRONLY || mode == O_RDWR);
}

bool append_dirent(DirentFormat format, std::span<std::byte> out, size_t* used, uint64_t ino,
                   int64_t next_offset, uint8_t type, const std::string& name) {
  // struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name[];
  // struct linux_dirent: d_ino, d_off, d_reclen, d_name[], d_type as the
  // record's last byte. Both padded to 8 bytes.
  const bool legacy = format == DirentFormat::kDirent;
  const size_t kHeader = legacy ? 8 + 8 + 2 : 8 + 8 + 2 + 1;
  const size_t reclen = (kHeader + name.size() + 1 + (legacy ? 1 : 0) + 7) & ~size_t{7};
  if (*used + reclen > out.size()) {
    return false;
  }
  std::byte* p = out.data() + *used;
  std::memset(p, 0, reclen);
  const auto len16 = static_cast<uint16_t>(reclen);
  std::memcpy(p, &ino, 8);
  std::memcpy(p + 8, &next_offset, 8);
  std::memcpy(p + 16, &len16, 2);
  std::memcpy(legacy ? p + reclen - 1 : p + 18, &type, 1);
  std::memcpy(p + kHeader, name.data(), name.size());
  *used += reclen;
  return true;
}

}  // namespace moat::sentry
