#pragma once

#include <fcntl.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "sentry/vfs/file_stat.h"

namespace moat::sentry {

class Dentry;
class Inode;
class Task;

// The record layouts of getdents64 (linux_dirent64) and of the older
// getdents (linux_dirent, d_type in the last byte).
enum class DirentFormat { kDirent64, kDirent };

// An open file description: what a file descriptor refers to. Shared by
// dup'd descriptors and across fork, so the status flags and the offset live
// here. Data moves through host iovecs that point straight into guest memory
// (MemoryManager::host_iovecs), so large transfers copy once.
//
// Every operation a kind of file lacks answers what Linux does for it (read
// of a directory: EISDIR; lseek of a pipe: ESPIPE; ...).
class FileDescription {
 public:
  // `flags`: the access mode and status flags open(2) kept (O_ACCMODE,
  // O_APPEND, O_NONBLOCK, O_DIRECT, O_NOATIME, O_PATH, ...).
  explicit FileDescription(uint32_t flags, std::shared_ptr<Dentry> dentry = nullptr);
  virtual ~FileDescription();
  FileDescription(const FileDescription&) = delete;
  FileDescription& operator=(const FileDescription&) = delete;

  virtual Result<size_t> read(std::span<const iovec> dst);
  virtual Result<size_t> write(std::span<const iovec> src);
  // pread64/pwrite64: at `offset`, leaving the file offset alone. ESPIPE
  // for what cannot seek.
  virtual Result<size_t> pread(std::span<const iovec> dst, uint64_t offset);
  virtual Result<size_t> pwrite(std::span<const iovec> src, uint64_t offset);
  // lseek(2): the new offset. ESPIPE for what cannot seek.
  virtual Result<uint64_t> seek(int64_t offset, int whence);
  // getdents64(2) and getdents(2): records from the current position into
  // `out`; EINVAL if not even one fits, 0 at the end. ENOTDIR for what is
  // not a directory.
  virtual Result<size_t> read_dir(std::span<std::byte> out, DirentFormat format);
  // The attributes of the file (fstat). By default the inode's.
  virtual Result<FileStat> stat();
  // ENOTTY unless the file implements `request`.
  virtual Result<uint64_t> ioctl(Task& task, uint32_t request, uint64_t arg);
  // ftruncate(2): EINVAL unless a regular file open for writing.
  virtual Result<void> truncate(uint64_t size);
  // fsync/fdatasync: EINVAL for what cannot sync (pipes, sockets).
  virtual Result<void> sync();
  // fcntl(2) commands of particular kinds of file (F_GETPIPE_SZ, ...);
  // EINVAL by default.
  virtual Result<uint64_t> fcntl(int cmd, uint64_t arg);
  // poll(2): which of `events` (POLLIN, POLLOUT, ...) hold now, plus
  // POLLERR/POLLHUP. Files that never block are always ready.
  virtual uint32_t readiness(uint32_t events);
  // What /proc/self/fd/N links to: the path, or "pipe:[ino]" and the like.
  virtual std::string link_name() const;
  // The inode an mmap of this file reads, or nullptr (ENODEV).
  virtual std::shared_ptr<Inode> mappable_inode() const;

  // The access mode and status flags (F_GETFL).
  uint32_t flags() const { return m_flags.load(std::memory_order_relaxed); }
  // F_SETFL: O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT and O_NOATIME change;
  // the rest of `flags` is ignored.
  void set_status_flags(uint32_t flags);
  bool readable() const;
  bool writable() const;
  bool non_blocking() const { return (flags() & O_NONBLOCK) != 0; }
  bool path_only() const { return (flags() & O_PATH) != 0; }
  // The name it was opened by; nullptr for anonymous files (pipes, stdio).
  const std::shared_ptr<Dentry>& dentry() const { return m_dentry; }

 private:
  std::atomic<uint32_t> m_flags;
  std::shared_ptr<Dentry> m_dentry;
};

// Appends one directory record (ino, next offset, type, name) to `out` at
// `*used`; false if it does not fit.
bool append_dirent(DirentFormat format, std::span<std::byte> out, size_t* used, uint64_t ino,
                   int64_t next_offset, uint8_t type, const std::string& name);

}  // namespace moat::sentry
