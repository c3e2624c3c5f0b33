#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sentry/vfs/dentry.h"

namespace moat::sentry {

// A task's place in the file tree (CLONE_FS shares it between tasks): its
// root (chroot), working directory and umask. Thread-safe.
class FsContext {
 public:
  FsContext(std::shared_ptr<Dentry> root, std::shared_ptr<Dentry> cwd)
      : m_root(std::move(root)), m_cwd(std::move(cwd)) {}

  std::shared_ptr<Dentry> root() const;
  std::shared_ptr<Dentry> cwd() const;
  uint32_t umask() const;
  void set_root(std::shared_ptr<Dentry> root);
  void set_cwd(std::shared_ptr<Dentry> cwd);
  // Returns the old mask.
  uint32_t set_umask(uint32_t mask);
  // fork without CLONE_FS.
  std::shared_ptr<FsContext> copy() const;
  // `dentry`'s path as seen from this root (getcwd, /proc/self/cwd).
  std::string path_of(const Dentry& dentry) const;

 private:
  mutable std::mutex m_lock;
  std::shared_ptr<Dentry> m_root;
  std::shared_ptr<Dentry> m_cwd;
  uint32_t m_umask = 022;
};

// What a path lookup ends in: the last component's parent directory and
// name, and the dentry itself if the name exists.
struct ParentLookup {
  std::shared_ptr<Dentry> dir;
  std::string name;  // empty for "/"; may be "." or ".."
  bool trailing_slash = false;
};

// The sandbox's file tree: the root file system and the ones mounted on it,
// and path resolution over them. Every lookup is confined to the caller's
// root: ".." stops there and absolute symbolic links start there, so no host
// path outside the tree is ever reached. Thread-safe.
class Vfs {
 public:
  // Linux's limit on symbolic links followed in one lookup.
  static constexpr int kMaxSymlinks = 40;

  explicit Vfs(std::shared_ptr<Inode> root);

  // Mounts `fs_root` at the absolute path `path` (which must exist as a
  // directory in the tree when first reached; a later mount on the same path
  // hides the earlier one).
  void mount(const std::string& path, std::shared_ptr<Inode> fs_root);
  const std::shared_ptr<Dentry>& root() const { return m_root; }

  // Resolves `path` from `start` (relative paths) within `root`; the last
  // component is followed if it is a symbolic link and `follow_last`. A
  // trailing slash requires a directory (and follows a final link).
  Result<std::shared_ptr<Dentry>> lookup(const std::shared_ptr<Dentry>& root,
                                         const std::shared_ptr<Dentry>& start,
                                         std::string_view path, bool follow_last) const;
  // Resolves all but the last component: for creating, removing and
  // renaming names. ENOENT for an empty path.
  Result<ParentLookup> lookup_parent(const std::shared_ptr<Dentry>& root,
                                     const std::shared_ptr<Dentry>& start,
                                     std::string_view path) const;
  // The child `name` of directory `dir`, crossing into what is mounted
  // there. No symbolic link is followed.
  Result<std::shared_ptr<Dentry>> child(const std::shared_ptr<Dentry>& dir,
                                        const std::string& name) const;

 private:
  Result<std::shared_ptr<Dentry>> walk(const std::shared_ptr<Dentry>& root,
                                       std::shared_ptr<Dentry> current, std::string_view path,
                                       bool follow_last, int* links) const;

  std::shared_ptr<Dentry> m_root;
  mutable std::mutex m_lock;
  std::map<std::string, std::shared_ptr<Inode>> m_mounts;  // by absolute path
};

// Joins a directory path and a name ("/" + "etc" = "/etc").
std::string join_path(const std::string& dir, std::string_view name);

}  // namespace moat::sentry
