#pragma once

#include <memory>

#include "sentry/fs/tmpfs/tmpfs.h"

namespace moat::sentry {

// A writable tmpfs directory laid over a read-only one (the root's own
// /tmp): names in the tmpfs hide the same names below; the rest of the
// lower directory stays visible, read-only. New files go to the tmpfs.
// Changing or removing a lower file is EROFS (there is no copy-up yet).
class LayeredDir final : public Inode {
 public:
  LayeredDir(std::shared_ptr<TmpfsInode> upper, std::shared_ptr<Inode> lower)
      : Inode(S_IFDIR), m_upper(std::move(upper)), m_lower(std::move(lower)) {}

  Result<FileStat> stat() override { return m_upper->stat(); }
  Result<struct statfs> statfs() override { return m_upper->statfs(); }
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
  Inode& writable_layer() override { return *m_upper; }
  Result<void> set_mode(uint32_t mode) override { return m_upper->set_mode(mode); }
  Result<void> set_owner(uint32_t uid, uint32_t gid) override {
    return m_upper->set_owner(uid, gid);
  }
  Result<void> set_times(const timespec* atime, const timespec* mtime) override {
    return m_upper->set_times(atime, mtime);
  }

 private:
  // EEXIST if `name` is taken below (a create must not hide a lower file).
  Result<void> free_below(const std::string& name);

  std::shared_ptr<TmpfsInode> m_upper;
  std::shared_ptr<Inode> m_lower;
};

}  // namespace moat::sentry
