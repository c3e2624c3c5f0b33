#include "sentry/vfs/vfs.h"

#include <climits>
#include <vector>

namespace moat::sentry {
namespace {

// Linux's NAME_MAX.
constexpr size_t kNameMax = 255;

// The components of `path`, without empty ones and ".".
std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    std::string_view part = path.substr(i, j - i);
    if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  return parts;
}

bool same(const std::shared_ptr<Dentry>& a, const std::shared_ptr<Dentry>& b) {
  return a == b || a->path() == b->path();
}

}  // namespace

std::string_view Dentry::name() const {
  if (m_path == "/") {
    return m_path;
  }
  return std::string_view(m_path).substr(m_path.rfind('/') + 1);
}

std::string join_path(const std::string& dir, std::string_view name) {
  std::string path = dir;
  if (path.empty() || path.back() != '/') {
    path += '/';
  }
  path += name;
  return path;
}

std::shared_ptr<Dentry> FsContext::root() const {
  std::lock_guard guard(m_lock);
  return m_root;
}

std::shared_ptr<Dentry> FsContext::cwd() const {
  std::lock_guard guard(m_lock);
  return m_cwd;
}

uint32_t FsContext::umask() const {
  std::lock_guard guard(m_lock);
  return m_umask;
}

void FsContext::set_root(std::shared_ptr<Dentry> root) {
  std::lock_guard guard(m_lock);
  m_root = std::move(root);
}

void FsContext::set_cwd(std::shared_ptr<Dentry> cwd) {
  std::lock_guard guard(m_lock);
  m_cwd = std::move(cwd);
}

uint32_t FsContext::set_umask(uint32_t mask) {
  std::lock_guard guard(m_lock);
  return std::exchange(m_umask, mask & 0777);
}

std::shared_ptr<FsContext> FsContext::copy() const {
  std::lock_guard guard(m_lock);
  auto copied = std::make_shared<FsContext>(m_root, m_cwd);
  copied->m_umask = m_umask;
  return copied;
}

std::string FsContext::path_of(const Dentry& dentry) const {
  const std::string root = this->root()->path();
  const std::string& path = dentry.path();
  if (root == "/") {
    return path;
  }
  if (path == root) {
    return "/";
  }
  if (path.starts_with(root) && path[root.size()] == '/') {
    return path.substr(root.size());
  }
  // Outside the root (a cwd left there by chroot): Linux prefixes
  // "(unreachable)".
  return "(unreachable)" + path;
}

Vfs::Vfs(std::shared_ptr<Inode> root)
    : m_root(std::make_shared<Dentry>("/", nullptr, std::move(root))) {}

void Vfs::mount(const std::string& path, std::shared_ptr<Inode> fs_root) {
  std::lock_guard guard(m_lock);
  m_mounts[path] = std::move(fs_root);
}

Result<std::shared_ptr<Dentry>> Vfs::child(const std::shared_ptr<Dentry>& dir,
                                           const std::string& name) const {
  if (name.size() > kNameMax) {
    return Errno::kENAMETOOLONG;
  }
  std::string path = join_path(dir->path(), name);
  {
    std::lock_guard guard(m_lock);
    auto it = m_mounts.find(path);
    if (it != m_mounts.end()) {
      return std::make_shared<Dentry>(std::move(path), dir, it->second);
    }
  }
  auto inode = TRY(dir->inode()->lookup(name));
  return std::make_shared<Dentry>(std::move(path), dir, std::move(inode));
}

Result<std::shared_ptr<Dentry>> Vfs::walk(const std::shared_ptr<Dentry>& root,
                                          std::shared_ptr<Dentry> current, std::string_view path,
                                          bool follow_last, int* links) const {
  if (path.empty()) {
    return Errno::kENOENT;
  }
  if (path.front() == '/') {
    current = root;
  }
  const bool trailing_slash = path.back() == '/';
  const auto parts = components(path);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!current->inode()->is_dir()) {
      return Errno::kENOTDIR;
    }
    const std::string_view part = parts[i];
    if (part == "..") {
      if (!same(current, root) && current->parent()) {
        current = current->parent();
      }
      continue;
    }
    auto next = TRY(child(current, std::string(part)));
    const bool last = i + 1 == parts.size();
    if (next->inode()->is_symlink() && (!last || follow_last || trailing_slash)) {
      if (++*links > kMaxSymlinks) {
        return Errno::kELOOP;
      }
      const std::string target = TRY(next->inode()->read_link());
      next = TRY(walk(root, current, target, true, links));
    }
    current = std::move(next);
  }
  if (trailing_slash && !current->inode()->is_dir()) {
    return Errno::kENOTDIR;
  }
  return current;
}

Result<std::shared_ptr<Dentry>> Vfs::lookup(const std::shared_ptr<Dentry>& root,
                                            const std::shared_ptr<Dentry>& start,
                                            std::string_view path, bool follow_last) const {
  int links = 0;
  return walk(root, start, path, follow_last, &links);
}

Result<ParentLookup> Vfs::lookup_parent(const std::shared_ptr<Dentry>& root,
                                        const std::shared_ptr<Dentry>& start,
                                        std::string_view path) const {
  if (path.empty()) {
    return Errno::kENOENT;
  }
  ParentLookup result;
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') {
    --end;
  }
  result.trailing_slash = end < path.size();
  if (end == 0) {
    // "/" (or "///"): the root has no parent name.
    result.dir = root;
    return result;
  }
  const size_t slash = path.rfind('/', end - 1);
  const std::string_view name = slash == std::string_view::npos
                                    ? path.substr(0, end)
                                    : path.substr(slash + 1, end - slash - 1);
  if (name.size() > kNameMax) {
    return Errno::kENAMETOOLONG;
  }
  result.name = std::string(name);
  if (slash == std::string_view::npos) {
    result.dir = start;
  } else if (slash == 0) {
    result.dir = root;
  } else {
    int links = 0;
    result.dir = TRY(walk(root, start, path.substr(0, slash + 1), true, &links));
  }
  if (!result.dir->inode()->is_dir()) {
    return Errno::kENOTDIR;
  }
  return result;
}

}  // namespace moat::sentry
