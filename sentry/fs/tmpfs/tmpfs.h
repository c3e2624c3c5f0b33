#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sentry/vfs/inode.h"

namespace moat::sentry {

class Pipe;

// What one tmpfs instance shares among its inodes: one lock over all of
// them, its device number, inode numbers and the bytes its files may hold.
struct TmpfsState {
  TmpfsState(uint64_t device, uint64_t limit) : dev(device), max_bytes(limit) {}

  std::mutex lock;
  const uint64_t dev;
  uint64_t next_ino = 1;
  const uint64_t max_bytes;
  // Also dropped without the lock, by an inode's destructor.
  std::atomic<uint64_t> used_bytes{0};
};

// A file of an in-memory file system: /tmp, /dev/shm, the skeleton of /dev.
// Directories may also hold inodes of other kinds (devices) added with
// add().
class TmpfsInode final : public Inode {
 public:
  // A new tmpfs: its root directory, mode 1777 (as /tmp) or as given.
  static std::shared_ptr<TmpfsInode> new_fs(uint64_t dev, uint64_t max_bytes, uint32_t mode,
                                            uint32_t uid, uint32_t gid);

  TmpfsInode(std::shared_ptr<TmpfsState> state, uint32_t mode, uint32_t uid, uint32_t gid);
  ~TmpfsInode() override;

  // Puts `inode` in this directory as `name` (setting up /dev).
  void add(const std::string& name, std::shared_ptr<Inode> inode);

  Result<FileStat> stat() override;
  Result<struct statfs> statfs() override;
  Result<std::shared_ptr<Inode>> lookup(const std::string& name) override;
  Result<std::vector<DirEntry>> read_dir() override;
  Result<std::shared_ptr<Inode>> create(const std::string& name, uint32_t mode, uint32_t uid,
                                        uint32_t gid) override;
  Result<std::shared_ptr<Inode>> symlink(const std::string& name, const std::string& target,
                                         uint32_t uid, uint32_t gid) override;
  Result<void> link(const std::string& name, const std::shared_ptr<Inode>& target) override;
  Result<void> unlink(const std::string& name, bool directory) override;
  Result<void> rename(const std::string& name, Inode& new_dir, const std::string& new_name,
                      uint32_t flags) override;
  Result<std::string> read_link() override;
  // FIFOs open their pipe's ends; the rest as Inode::open.
  Result<std::shared_ptr<FileDescription>> open(const std::shared_ptr<Dentry>& dentry,
                                                uint32_t flags) override;
  Result<size_t> read_at(std::span<const iovec> dst, uint64_t offset) override;
  Result<size_t> write_at(std::span<const iovec> src, uint64_t offset) override;
  Result<uint64_t> size() override;
  Result<void> truncate(uint64_t size) override;
  Result<void> set_mode(uint32_t mode) override;
  Result<void> set_owner(uint32_t uid, uint32_t gid) override;
  Result<void> set_times(const timespec* atime, const timespec* mtime) override;

 private:
  // Both under m_state->lock.
  Result<void> resize_locked(uint64_t size);
  void touch_locked(bool modified);

  std::shared_ptr<TmpfsState> m_state;
  const uint64_t m_ino;
  uint32_t m_mode;  // permission bits (07777)
  uint32_t m_uid;
  uint32_t m_gid;
  uint32_t m_nlink;
  timespec m_atime{};
  timespec m_mtime{};
  timespec m_ctime{};
  std::map<std::string, std::shared_ptr<Inode>> m_children;  // directories
  std::vector<std::byte> m_data;                             // regular files
  std::string m_target;                                      // symbolic links
  // FIFOs: the pipe their opens share, while one is open (Linux drops the
  // pipe, and what it held, with the last close).
  std::weak_ptr<Pipe> m_fifo;
};

}  // namespace moat::sentry
