#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sentry/vfs/inode.h"

namespace moat::sentry {

// A file of the host directory that is the sandbox's root (--rootfs),
// read-only. Each inode holds an O_PATH descriptor of its host file, opened
// one component at a time from its parent's with O_NOFOLLOW: the host never
// resolves a path or follows a link for the guest, so nothing outside the
// root directory is reachable. Symbolic links are read and resolved by the
// sentry's path walk (Vfs).
class HostInode final : public Inode {
 public:
  // The root: `host_dir` opened as a directory.
  static Result<std::shared_ptr<HostInode>, Error> open_root(const std::string& host_dir);

  HostInode(UniqueFd path_fd, uint32_t type, std::shared_ptr<HostInode> parent, std::string name);

  Result<FileStat> stat() override;
  Result<struct statfs> statfs() override;
  bool read_only() const override { return true; }
  Result<std::shared_ptr<Inode>> lookup(const std::string& name) override;
  Result<std::vector<DirEntry>> read_dir() override;
  Result<std::string> read_link() override;
  Result<std::shared_ptr<FileDescription>> open(const std::shared_ptr<Dentry>& dentry,
                                                uint32_t flags) override;
  Result<size_t> read_at(std::span<const iovec> dst, uint64_t offset) override;
  Result<uint64_t> size() override;

 private:
  // A readable descriptor of the file, opened on first use.
  Result<int> data_fd();

  UniqueFd m_path_fd;
  std::shared_ptr<HostInode> m_parent;  // nullptr for the root
  std::string m_name;                   // in the parent
  std::once_flag m_data_once;
  UniqueFd m_data_fd;
  Errno m_data_error = Errno::kEIO;
};

}  // namespace moat::sentry
