#include "sentry/vfs/inode_file.h"

#include <dirent.h>
#include <unistd.h>

#include <climits>

namespace moat::sentry {
namespace {

// The offset lseek(2) computes, before checking that it is not negative.
Result<uint64_t> seek_target(int64_t offset, int whence, uint64_t current, uint64_t size) {
  int64_t base = 0;
  switch (whence) {
    case SEEK_SET:
      break;
    case SEEK_CUR:
      base = static_cast<int64_t>(current);
      break;
    case SEEK_END:
      base = static_cast<int64_t>(size);
      break;
    case SEEK_DATA:
      // No holes are tracked: all data up to the end.
      if (offset < 0 || static_cast<uint64_t>(offset) >= size) {
        return Errno::kENXIO;
      }
      return static_cast<uint64_t>(offset);
    case SEEK_HOLE:
      if (offset < 0 || static_cast<uint64_t>(offset) >= size) {
        return Errno::kENXIO;
      }
      return size;
    default:
      return Errno::kEINVAL;
  }
  int64_t target = 0;
  if (__builtin_add_overflow(base, offset, &target)) {
    return Errno::kEOVERFLOW;
  }
  if (target < 0) {
    return Errno::kEINVAL;
  }
  return static_cast<uint64_t>(target);
}

}  // namespace

RegularFile::RegularFile(uint32_t flags, std::shared_ptr<Dentry> dentry)
    : FileDescription(flags, std::move(dentry)) {}

Result<size_t> RegularFile::read(std::span<const iovec> dst) {
  std::lock_guard guard(m_lock);
  const size_t n = TRY(inode().read_at(dst, m_offset));
  m_offset += n;
  return n;
}

Result<size_t> RegularFile::write(std::span<const iovec> src) {
  std::lock_guard guard(m_lock);
  if ((flags() & O_APPEND) != 0) {
    m_offset = TRY(inode().size());
  }
  const size_t n = TRY(inode().write_at(src, m_offset));
  m_offset += n;
  return n;
}

Result<size_t> RegularFile::pread(std::span<const iovec> dst, uint64_t offset) {
  return inode().read_at(dst, offset);
}

Result<size_t> RegularFile::pwrite(std::span<const iovec> src, uint64_t offset) {
  // Linux appends even with pwrite when O_APPEND is set.
  if ((flags() & O_APPEND) != 0) {
    std::lock_guard guard(m_lock);
    return inode().write_at(src, TRY(inode().size()));
  }
  return inode().write_at(src, offset);
}

Result<uint64_t> RegularFile::seek(int64_t offset, int whence) {
  std::lock_guard guard(m_lock);
  const uint64_t size = TRY(inode().size());
  m_offset = TRY(seek_target(offset, whence, m_offset, size));
  return m_offset;
}

Result<void> RegularFile::truncate(uint64_t size) {
  if (!writable()) {
    return Errno::kEINVAL;
  }
  return inode().truncate(size);
}

Result<void> RegularFile::sync() {
  return {};
}

std::shared_ptr<Inode> RegularFile::mappable_inode() const {
  return dentry()->inode();
}

DirectoryFile::DirectoryFile(uint32_t flags, std::shared_ptr<Dentry> dentry)
    : FileDescription(flags, std::move(dentry)) {}

Result<size_t> DirectoryFile::read(std::span<const iovec>) {
  return Errno::kEISDIR;
}

Result<size_t> DirectoryFile::write(std::span<const iovec>) {
  return Errno::kEISDIR;
}

Result<size_t> DirectoryFile::pread(std::span<const iovec>, uint64_t) {
  return Errno::kEISDIR;
}

Result<size_t> DirectoryFile::pwrite(std::span<const iovec>, uint64_t) {
  return Errno::kEISDIR;
}

Result<uint64_t> DirectoryFile::seek(int64_t offset, int whence) {
  std::lock_guard guard(m_lock);
  int64_t target = 0;
  if (whence == SEEK_SET) {
    target = offset;
  } else if (whence == SEEK_CUR) {
    target = static_cast<int64_t>(m_offset) + offset;
  } else {
    return Errno::kEINVAL;
  }
  if (target < 0) {
    return Errno::kEINVAL;
  }
  if (target == 0) {
    m_loaded = false;  // rewinddir sees changes since
  }
  m_offset = static_cast<uint64_t>(target);
  return m_offset;
}

Result<size_t> DirectoryFile::read_dir(std::span<std::byte> out, DirentFormat format) {
  std::lock_guard guard(m_lock);
  if (!m_loaded) {
    const Dentry& self = *dentry();
    auto entries = TRY(self.inode()->read_dir());
    const FileStat own = TRY(self.inode()->stat());
    uint64_t parent_ino = own.ino;
    if (self.parent()) {
      if (auto up = self.parent()->inode()->stat()) {
        parent_ino = up->ino;
      }
    }
    m_entries.clear();
    m_entries.push_back(DirEntry{".", own.ino, DT_DIR});
    m_entries.push_back(DirEntry{"..", parent_ino, DT_DIR});
    for (DirEntry& entry : entries) {
      m_entries.push_back(std::move(entry));
    }
    m_loaded = true;
  }
  size_t used = 0;
  while (m_offset < m_entries.size()) {
    const DirEntry& entry = m_entries[m_offset];
    if (!append_dirent(format, out, &used, entry.ino, static_cast<int64_t>(m_offset + 1),
                       entry.type, entry.name)) {
      if (used == 0) {
        return Errno::kEINVAL;
      }
      break;
    }
    ++m_offset;
  }
  return used;
}

Result<void> DirectoryFile::sync() {
  return {};
}

PathFile::PathFile(uint32_t flags, std::shared_ptr<Dentry> dentry)
    : FileDescription(flags, std::move(dentry)) {}

Result<size_t> PathFile::read(std::span<const iovec>) {
  return Errno::kEBADF;
}

Result<size_t> PathFile::write(std::span<const iovec>) {
  return Errno::kEBADF;
}

Result<size_t> PathFile::pread(std::span<const iovec>, uint64_t) {
  return Errno::kEBADF;
}

Result<size_t> PathFile::pwrite(std::span<const iovec>, uint64_t) {
  return Errno::kEBADF;
}

Result<uint64_t> PathFile::seek(int64_t, int) {
  return Errno::kEBADF;
}

Result<size_t> PathFile::read_dir(std::span<std::byte>, DirentFormat) {
  return Errno::kEBADF;
}

Result<uint64_t> PathFile::ioctl(Task&, uint32_t, uint64_t) {
  return Errno::kEBADF;
}

Result<void> PathFile::truncate(uint64_t) {
  return Errno::kEBADF;
}

Result<void> PathFile::sync() {
  return Errno::kEBADF;
}

}  // namespace moat::sentry
