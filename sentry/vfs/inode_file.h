#pragma once

#include <mutex>
#include <vector>

#include "sentry/vfs/dentry.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {

// An open regular file of any file system: reads and writes go to the
// inode's data at the description's offset.
class RegularFile final : public FileDescription {
 public:
  RegularFile(uint32_t flags, std::shared_ptr<Dentry> dentry);

  Result<size_t> read(std::span<const iovec> dst) override;
  Result<size_t> write(std::span<const iovec> src) override;
  Result<size_t> pread(std::span<const iovec> dst, uint64_t offset) override;
  Result<size_t> pwrite(std::span<const iovec> src, uint64_t offset) override;
  Result<uint64_t> seek(int64_t offset, int whence) override;
  Result<void> truncate(uint64_t size) override;
  Result<void> sync() override;
  std::shared_ptr<Inode> mappable_inode() const override;

 private:
  Inode& inode() const { return *dentry()->inode(); }

  std::mutex m_lock;  // serializes offset updates, as Linux's f_pos_lock
  uint64_t m_offset = 0;
};

// An open directory: getdents64 walks a snapshot of its entries, taken when
// it is first read and again after a seek to 0 (rewinddir).
class DirectoryFile final : public FileDescription {
 public:
  DirectoryFile(uint32_t flags, std::shared_ptr<Dentry> dentry);

  Result<size_t> read(std::span<const iovec> dst) override;
  Result<size_t> write(std::span<const iovec> src) override;
  Result<size_t> pread(std::span<const iovec> dst, uint64_t offset) override;
  Result<size_t> pwrite(std::span<const iovec> src, uint64_t offset) override;
  Result<uint64_t> seek(int64_t offset, int whence) override;
  Result<size_t> read_dir(std::span<std::byte> out, DirentFormat format) override;
  Result<void> sync() override;

 private:
  std::mutex m_lock;
  std::vector<DirEntry> m_entries;  // with "." and ".." first
  bool m_loaded = false;
  uint64_t m_offset = 0;  // index into m_entries
};

// An O_PATH descriptor: a name to start lookups from and to fstat; every
// other operation is EBADF.
class PathFile final : public FileDescription {
 public:
  PathFile(uint32_t flags, std::shared_ptr<Dentry> dentry);

  Result<size_t> read(std::span<const iovec> dst) override;
  Result<size_t> write(std::span<const iovec> src) override;
  Result<size_t> pread(std::span<const iovec> dst, uint64_t offset) override;
  Result<size_t> pwrite(std::span<const iovec> src, uint64_t offset) override;
  Result<uint64_t> seek(int64_t offset, int whence) override;
  Result<size_t> read_dir(std::span<std::byte> out, DirentFormat format) override;
  Result<uint64_t> ioctl(Task& task, uint32_t request, uint64_t arg) override;
  Result<void> truncate(uint64_t size) override;
  Result<void> sync() override;
};

}  // namespace moat::sentry
