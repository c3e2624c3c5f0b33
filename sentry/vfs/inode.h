#pragma once

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/vfs/file_stat.h"

namespace moat::sentry {

class Dentry;
class FileDescription;

// One directory entry as getdents64 reports it ("." and ".." excluded: the
// directory's open file adds them).
struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  uint8_t type = 0;  // DT_*
};

// What open(2) asked for, after the syscall layer decoded it.
struct OpenRequest {
  uint32_t flags = 0;  // O_* as the guest gave them (O_CREAT and O_EXCL already handled)
};

// A file as a file system holds it: attributes, directory operations,
// symbolic link target, and data. Every operation a file system does not
// support answers what Linux does for such a file (ENOTDIR, EINVAL, EROFS,
// EPERM). Thread-safe: each file system locks its own state.
class Inode : public std::enable_shared_from_this<Inode> {
 public:
  virtual ~Inode() = default;
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  // S_IFMT bits of the mode; fixed for the inode's life.
  uint32_t type() const { return m_type; }
  bool is_dir() const { return m_type == S_IFDIR; }
  bool is_symlink() const { return m_type == S_IFLNK; }
  bool is_regular() const { return m_type == S_IFREG; }

  virtual Result<FileStat> stat() = 0;
  // statfs(2) of the file system holding it. By default an empty tmpfs.
  virtual Result<struct statfs> statfs();
  // True for a file on a read-only file system: opening it for writing or
  // changing it is EROFS.
  virtual bool read_only() const { return false; }

  // Directories. `name` is one component, never "." or "..".
  virtual Result<std::shared_ptr<Inode>> lookup(const std::string& name);
  virtual Result<std::vector<DirEntry>> read_dir();
  // A new regular file, directory, FIFO or device (S_IFMT bits in `mode`,
  // permission bits already masked by the umask). EEXIST if `name` exists.
  virtual Result<std::shared_ptr<Inode>> create(const std::string& name, uint32_t mode,
                                                uint32_t uid, uint32_t gid);
  virtual Result<std::shared_ptr<Inode>> symlink(const std::string& name, const std::string& target,
                                                 uint32_t uid, uint32_t gid);
  // A hard link to `target` (never a directory) named `name` here.
  virtual Result<void> link(const std::string& name, const std::shared_ptr<Inode>& target);
  // Removes `name`: a non-directory (EISDIR for a directory) or, with
  // `directory`, an empty directory (ENOTDIR, ENOTEMPTY).
  virtual Result<void> unlink(const std::string& name, bool directory);
  // renameat2(2) within one file system (EXDEV otherwise, decided by the
  // caller). `flags`: RENAME_NOREPLACE, RENAME_EXCHANGE.
  virtual Result<void> rename(const std::string& name, Inode& new_dir, const std::string& new_name,
                              uint32_t flags);

  // The directory that takes new names for this one: itself, or the
  // writable layer of a layered directory (rename and link targets).
  virtual Inode& writable_layer() { return *this; }

  // Symbolic links: the target. EINVAL for anything else.
  virtual Result<std::string> read_link();

  // The open file description for open(2) of this inode by `dentry`. The
  // default gives regular files and directories their generic descriptions.
  virtual Result<std::shared_ptr<FileDescription>> open(const std::shared_ptr<Dentry>& dentry,
                                                        uint32_t flags);

  // Regular files: data at an offset. Reads past the end return 0.
  virtual Result<size_t> read_at(std::span<const iovec> dst, uint64_t offset);
  virtual Result<size_t> write_at(std::span<const iovec> src, uint64_t offset);
  // The current size (for O_APPEND and SEEK_END).
  virtual Result<uint64_t> size();
  virtual Result<void> truncate(uint64_t size);

  // Attributes: chmod, chown (-1 keeps a value), utimensat (nullopt keeps).
  virtual Result<void> set_mode(uint32_t mode);
  virtual Result<void> set_owner(uint32_t uid, uint32_t gid);
  virtual Result<void> set_times(const timespec* atime, const timespec* mtime);

 protected:
  explicit Inode(uint32_t type) : m_type(type) {}

 private:
  const uint32_t m_type;
};

// DT_* for S_IFMT bits.
uint8_t dirent_type(uint32_t type);

}  // namespace moat::sentry
