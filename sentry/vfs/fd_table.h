#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "base/result.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {

// A task's file descriptor table. Thread-safe.
class FdTable {
 public:
  explicit FdTable(size_t limit) : m_limit(limit) {}

  Result<std::shared_ptr<FileDescription>> get(int fd) const;
  // Installs at the lowest free descriptor >= min_fd; EMFILE past the limit.
  Result<int> install(std::shared_ptr<FileDescription> file, bool cloexec, int min_fd = 0);
  // Installs at exactly `fd`, replacing what is there.
  Result<void> install_at(int fd, std::shared_ptr<FileDescription> file, bool cloexec);
  Result<void> close(int fd);
  // close_range(2): closes [first, last] (or marks them close-on-exec).
  void close_range(uint32_t first, uint32_t last, bool cloexec_only);
  // FD_CLOEXEC of an open descriptor (F_GETFD / F_SETFD).
  Result<bool> cloexec(int fd) const;
  Result<void> set_cloexec(int fd, bool cloexec);
  // dup2/dup3: `newfd` becomes a copy of `oldfd` (EBADF for a bad one of
  // either, or a `newfd` past the limit).
  Result<int> duplicate_to(int oldfd, int newfd, bool cloexec);
  // execve(2): closes every close-on-exec descriptor.
  void close_on_exec();
  // The open descriptors, ascending (/proc/self/fd).
  std::vector<std::pair<int, std::shared_ptr<FileDescription>>> entries() const;
  size_t limit() const;
  void set_limit(size_t limit);
  // A copy sharing the open file descriptions (clone without CLONE_FILES).
  std::shared_ptr<FdTable> copy() const;

 private:
  struct Entry {
    std::shared_ptr<FileDescription> file;
    bool cloexec = false;
  };

  FdTable(size_t limit, std::vector<Entry> entries)
      : m_entries(std::move(entries)), m_limit(limit) {}

  mutable std::mutex m_lock;
  std::vector<Entry> m_entries;
  size_t m_limit;
};

}  // namespace moat::sentry
