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

void FdTable::close_range(uint32_t first, uint32_t last, bool cloexec_only) {
  std::vector<std::shared_ptr<FileDescription>> doomed;
  std::lock_guard guard(m_lock);
  for (size_t fd = first; fd < m_entries.size() && fd <= last; ++fd) {
    if (!m_entries[fd].file) {
      continue;
    }
    if (cloexec_only) {
      m_entries[fd].cloexec = true;
    } else {
      doomed.push_back(std::move(m_entries[fd].file));
      m_entries[fd] = Entry{};
    }
  }
  // `doomed` goes after the lock (declared first, destroyed last).
}

Result<bool> FdTable::cloexec(int fd) const {
  std::lock_guard guard(m_lock);
  if (fd < 0 || static_cast<size_t>(fd) >= m_entries.size() || !m_entries[fd].file) {
    return Errno::kEBADF;
  }
  return m_entries[fd].cloexec;
}

Result<void> FdTable::set_cloexec(int fd, bool cloexec) {
  std::lock_guard guard(m_lock);
  if (fd < 0 || static_cast<size_t>(fd) >= m_entries.size() || !m_entries[fd].file) {
    return Errno::kEBADF;
  }
  m_entries[fd].cloexec = cloexec;
  return {};
}

Result<int> FdTable::duplicate_to(int oldfd, int newfd, bool cloexec) {
  std::shared_ptr<FileDescription> replaced;
  std::lock_guard guard(m_lock);
  if (oldfd < 0 || static_cast<size_t>(oldfd) >= m_entries.size() || !m_entries[oldfd].file) {
    return Errno::kEBADF;
  }
  if (newfd < 0 || static_cast<size_t>(newfd) >= m_limit) {
    return Errno::kEBADF;
  }
  if (static_cast<size_t>(newfd) >= m_entries.size()) {
    m_entries.resize(newfd + 1);
  }
  replaced = std::move(m_entries[newfd].file);
  m_entries[newfd] = Entry{m_entries[oldfd].file, cloexec};
  return newfd;
}

void FdTable::close_on_exec() {
  std::vector<std::shared_ptr<FileDescription>> doomed;
  std::lock_guard guard(m_lock);
  for (Entry& entry : m_entries) {
    if (entry.file && entry.cloexec) {
      doomed.push_back(std::move(entry.file));
      entry = Entry{};
    }
  }
}

std::vector<std::pair<int, std::shared_ptr<FileDescription>>> FdTable::entries() const {
  std::vector<std::pair<int, std::shared_ptr<FileDescription>>> open;
  std::lock_guard guard(m_lock);
  for (size_t fd = 0; fd < m_entries.size(); ++fd) {
    if (m_entries[fd].file) {
      open.emplace_back(static_cast<int>(fd), m_entries[fd].file);
    }
  }
  return open;
}

size_t FdTable::limit() const {
  std::lock_guard guard(m_lock);
  return m_limit;
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
