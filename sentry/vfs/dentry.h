#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sentry/vfs/inode.h"

namespace moat::sentry {

// A name in the sandbox's file tree: an inode and the path it was reached
// by. A mounted file system's root dentry names its mount point, so
// walking ".." from it leaves the mount. Immutable.
class Dentry {
 public:
  Dentry(std::string path, std::shared_ptr<Dentry> parent, std::shared_ptr<Inode> inode)
      : m_path(std::move(path)), m_parent(std::move(parent)), m_inode(std::move(inode)) {}

  // The absolute path ("/" for the root).
  const std::string& path() const { return m_path; }
  // The last component ("/" for the root).
  std::string_view name() const;
  // The directory holding it; the root's parent is nullptr.
  const std::shared_ptr<Dentry>& parent() const { return m_parent; }
  const std::shared_ptr<Inode>& inode() const { return m_inode; }

 private:
  std::string m_path;
  std::shared_ptr<Dentry> m_parent;
  std::shared_ptr<Inode> m_inode;
};

}  // namespace moat::sentry
