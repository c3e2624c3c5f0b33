#include "sentry/vfs/fd_table.h"

namespace moat::sentry {

Result<std::shared_ptr<FileDescription>> FdTable::get(int fd) const {
  std::lock_guard guard(m_lock);
  if (fd < 0 || static_cast<size_t>(fd) >= m_entries.size() || !m_entries[fd].file) {
    return Errno::kEBADF;
  }
  return m_entries[fd].file;
}

Result<int> FdTable::install(std::shared_ptr<FileDescription> file, bool cloexec, int min_fd) {
  std::lock_guard guard(m_lock);
  for (size_t fd = static_cast<size_t>(std::max(min_fd, 0)); fd < m_limit; ++fd) {
    if (fd >= m_entries.size()) {
      m_entries.resize(fd + 1);
    }
    if (!m_entries[fd].file) {
      m_entries[fd] = Entry{std::move(file), cloexec};
      return static_cast<int>(fd);
    }
  }
  return Errno::kEMFILE;
}

Result<void> FdTable::install_at(int fd, std::shared_ptr<FileDescription> file, bool cloexec) {
  std::lock_guard guard(m_lock);
  if (fd < 0 || static_cast<size_t>(fd) >= m_limit) {
    return Errno::kEBADF;
  }
  if (static_cast<size_t>(fd) >= m_entries.size()) {
    m_entries.resize(fd + 1);
  }
  m_entries[fd] = Entry{std::move(file), cloexec};
  return {};
}

Result<void> FdTable::close(int fd) {
  std::shared_ptr<FileDescription> doomed;
  {
    std::lock_guard guard(m_lock);
    if (fd < 0 || static_cast<size_t>(fd) >= m_entries.size() || !m_entries[fd].file) {
      return Errno::kEBADF;
    }
    doomed = std::move(m_entries[fd].file);
    m_entries[fd] = Entry{};
  }
  // The description is released outside the lock.
  return {};
}

void FdTable::set_limit(size_t limit) {
  std::lock_guard guard(m_lock);
  m_limit = limit;
}

std::shared_ptr<FdTable> FdTable::copy() const {
  std::lock_guard guard(m_lock);
  return std::shared_ptr<FdTable>(new FdTable(m_limit, m_entries));
}

}  // namespace moat::sentry
