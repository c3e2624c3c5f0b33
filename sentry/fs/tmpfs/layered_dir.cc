#include "sentry/fs/tmpfs/layered_dir.h"

#include <set>

namespace moat::sentry {

Result<std::shared_ptr<Inode>> LayeredDir::lookup(const std::string& name) {
  auto upper = m_upper->lookup(name);
  if (upper || upper.error() != Errno::kENOENT) {
    return upper;
  }
  return m_lower->lookup(name);
}

Result<std::vector<DirEntry>> LayeredDir::read_dir() {
  auto entries = TRY(m_upper->read_dir());
  std::set<std::string> seen;
  for (const DirEntry& entry : entries) {
    seen.insert(entry.name);
  }
  if (auto lower = m_lower->read_dir()) {
    for (DirEntry& entry : *lower) {
      if (!seen.contains(entry.name)) {
        entries.push_back(std::move(entry));
      }
    }
  }
  return entries;
}

Result<void> LayeredDir::free_below(const std::string& name) {
  if (m_lower->lookup(name)) {
    return Errno::kEEXIST;
  }
  return {};
}

Result<std::shared_ptr<Inode>> LayeredDir::create(const std::string& name, uint32_t mode,
                                                  uint32_t uid, uint32_t gid) {
  TRY(free_below(name));
  return m_upper->create(name, mode, uid, gid);
}

Result<std::shared_ptr<Inode>> LayeredDir::symlink(const std::string& name,
                                                   const std::string& target, uint32_t uid,
                                                   uint32_t gid) {
  TRY(free_below(name));
  return m_upper->symlink(name, target, uid, gid);
}

Result<void> LayeredDir::link(const std::string& name, const std::shared_ptr<Inode>& target) {
  TRY(free_below(name));
  return m_upper->link(name, target);
}

Result<void> LayeredDir::unlink(const std::string& name, bool directory) {
  auto upper = m_upper->unlink(name, directory);
  if (!upper && upper.error() == Errno::kENOENT && m_lower->lookup(name)) {
    return Errno::kEROFS;  // a lower file: no whiteouts yet
  }
  return upper;
}

Result<void> LayeredDir::rename(const std::string& name, Inode& new_dir,
                                const std::string& new_name, uint32_t flags) {
  auto moved = m_upper->rename(name, new_dir.writable_layer(), new_name, flags);
  if (!moved && moved.error() == Errno::kENOENT && m_lower->lookup(name)) {
    return Errno::kEROFS;
  }
  return moved;
}

}  // namespace moat::sentry
