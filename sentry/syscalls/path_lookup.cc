#include "sentry/syscalls/path_lookup.h"

#include <fcntl.h>
#include <unistd.h>

#include <climits>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {

Result<std::string> copy_in_path(Task& t, UserAddr path) {
  return t.mm().copy_in_string(path.value, PATH_MAX - 1);
}

Result<std::shared_ptr<Dentry>> start_dir(Task& t, int dirfd) {
  if (dirfd == AT_FDCWD) {
    return t.fs().cwd();
  }
  auto file = TRY(t.fds().get(dirfd));
  const auto& dentry = file->dentry();
  if (!dentry || !dentry->inode()->is_dir()) {
    return Errno::kENOTDIR;
  }
  return dentry;
}

Result<std::shared_ptr<Dentry>> lookup_at(Task& t, int dirfd, const std::string& path,
                                          bool follow_last) {
  if (path.empty()) {
    return Errno::kENOENT;
  }
  auto start = path.front() == '/' ? t.fs().root() : TRY(start_dir(t, dirfd));
  return t.kernel().vfs().lookup(t.fs().root(), start, path, follow_last);
}

Result<std::shared_ptr<Dentry>> lookup_at_or_fd(Task& t, int dirfd, const std::string& path,
                                                bool follow_last, bool empty_ok) {
  if (path.empty() && empty_ok) {
    if (dirfd == AT_FDCWD) {
      return t.fs().cwd();
    }
    auto file = TRY(t.fds().get(dirfd));
    if (!file->dentry()) {
      return Errno::kENOENT;  // not a file of the tree (a pipe, stdio)
    }
    return file->dentry();
  }
  return lookup_at(t, dirfd, path, follow_last);
}

Result<ParentLookup> lookup_parent_at(Task& t, int dirfd, const std::string& path) {
  if (path.empty()) {
    return Errno::kENOENT;
  }
  auto start = path.front() == '/' ? t.fs().root() : TRY(start_dir(t, dirfd));
  return t.kernel().vfs().lookup_parent(t.fs().root(), start, path);
}

bool may_access(Task& t, const FileStat& st, uint32_t mask) {
  const Kernel& kernel = t.kernel();
  const uint32_t uid = kernel.uid();
  if (uid == 0) {
    if ((mask & X_OK) != 0 && (st.mode & S_IFMT) != S_IFDIR && (st.mode & 0111) == 0) {
      return false;
    }
    return true;
  }
  uint32_t bits = st.mode & 07;
  if (st.uid == uid) {
    bits = (st.mode >> 6) & 07;
  } else if (st.gid == kernel.gid()) {
    bits = (st.mode >> 3) & 07;
  }
  return (bits & mask) == mask;
}

}  // namespace moat::sentry
