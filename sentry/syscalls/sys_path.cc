// Calls on names: mkdir, mknod, unlink, rename, symlink, link, readlink,
// access, chdir, getcwd, umask, chroot, truncate, chmod, chown, utimensat.

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_lookup.h"
#include "sentry/syscalls/user_time.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {
namespace {

// A name that create-like calls cannot take: "/", ".", "..".
bool special_name(const ParentLookup& p) {
  return p.name.empty() || p.name == "." || p.name == "..";
}

Result<void> make_node(Task& t, int dirfd, UserAddr path, uint32_t mode) {
  const std::string name = TRY(copy_in_path(t, path));
  ParentLookup parent = TRY(lookup_parent_at(t, dirfd, name));
  if (special_name(parent)) {
    return Errno::kEEXIST;
  }
  if ((mode & S_IFMT) != S_IFDIR && parent.trailing_slash) {
    // Linux: a trailing slash on a name that does not exist is ENOENT for
    // anything but a directory (EEXIST if it does).
    auto existing = t.kernel().vfs().child(parent.dir, parent.name);
    return existing ? Errno::kEEXIST : Errno::kENOENT;
  }
  const uint32_t perms = (mode & 07777) & ~t.fs().umask();
  TRY(parent.dir->inode()->create(parent.name, (mode & S_IFMT) | perms, t.kernel().uid(),
                                  t.kernel().gid()));
  return {};
}

// chown's change: only root may give files away; a regular file loses its
// set-user-ID bit (and set-group-ID with group execute), as Linux's
// notify_change does.
Result<void> change_owner(Task& t, Inode& inode, uint32_t owner, uint32_t group) {
  if (t.kernel().uid() != 0 && owner != static_cast<uint32_t>(-1) && owner != t.kernel().uid()) {
    return Errno::kEPERM;
  }
  TRY(inode.set_owner(owner, group));
  if (!inode.is_dir()) {
    const FileStat st = TRY(inode.stat());
    uint32_t mode = st.mode & 07777;
    uint32_t kept = mode & ~S_ISUID;
    if ((mode & S_IXGRP) != 0) {
      kept &= ~S_ISGID;
    }
    if (kept != mode) {
      TRY(inode.set_mode(kept));
    }
  }
  return {};
}

}  // namespace

// Implements Linux syscall mkdirat(2).
SysResult sys_mkdirat(Task& t, int dirfd, UserAddr path, uint32_t mode) {
  TRY(make_node(t, dirfd, path, S_IFDIR | (mode & 07777)));
  return 0;
}

// Implements Linux syscall mkdir(2).
SysResult sys_mkdir(Task& t, UserAddr path, uint32_t mode) {
  return sys_mkdirat(t, AT_FDCWD, path, mode);
}

// Implements Linux syscall mknodat(2): regular files and FIFOs. Device
// nodes need CAP_MKNOD, which the sandbox does not give (EPERM).
SysResult sys_mknodat(Task& t, int dirfd, UserAddr path, uint32_t mode, uint64_t dev) {
  (void)dev;
  uint32_t type = mode & S_IFMT;
  if (type == 0) {
    type = S_IFREG;
  }
  if (type == S_IFDIR || type == S_IFCHR || type == S_IFBLK) {
    return Errno::kEPERM;  // mkdir makes directories; devices need CAP_MKNOD
  }
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK) {
    return Errno::kEINVAL;
  }
  TRY(make_node(t, dirfd, path, type | (mode & 07777)));
  return 0;
}

// Implements Linux syscall mknod(2).
SysResult sys_mknod(Task& t, UserAddr path, uint32_t mode, uint64_t dev) {
  return sys_mknodat(t, AT_FDCWD, path, mode, dev);
}

// Implements Linux syscall unlinkat(2).
SysResult sys_unlinkat(Task& t, int dirfd, UserAddr path, int flags) {
  if ((flags & ~AT_REMOVEDIR) != 0) {
    return Errno::kEINVAL;
  }
  const bool directory = (flags & AT_REMOVEDIR) != 0;
  const std::string name = TRY(copy_in_path(t, path));
  ParentLookup parent = TRY(lookup_parent_at(t, dirfd, name));
  if (directory) {
    if (parent.name == ".") {
      return Errno::kEINVAL;
    }
    if (parent.name == "..") {
      return Errno::kENOTEMPTY;
    }
    if (parent.name.empty()) {
      return Errno::kEBUSY;
    }
  } else {
    if (special_name(parent)) {
      return Errno::kEISDIR;
    }
    if (parent.trailing_slash) {
      auto existing = TRY(t.kernel().vfs().child(parent.dir, parent.name));
      return existing->inode()->is_dir() ? Errno::kEISDIR : Errno::kENOTDIR;
    }
  }
  TRY(parent.dir->inode()->unlink(parent.name, directory));
  return 0;
}

// Implements Linux syscall unlink(2).
SysResult sys_unlink(Task& t, UserAddr path) {
  return sys_unlinkat(t, AT_FDCWD, path, 0);
}

// Implements Linux syscall rmdir(2).
SysResult sys_rmdir(Task& t, UserAddr path) {
  return sys_unlinkat(t, AT_FDCWD, path, AT_REMOVEDIR);
}

// Implements Linux syscall renameat2(2). RENAME_WHITEOUT needs an overlay
// file system's privileges (EPERM here, as for an unprivileged caller... of
// a file system without whiteouts: EINVAL).
SysResult sys_renameat2(Task& t, int olddirfd, UserAddr oldpath, int newdirfd, UserAddr newpath,
                        uint32_t flags) {
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0 ||
      ((flags & RENAME_EXCHANGE) != 0 && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) != 0)) {
    return Errno::kEINVAL;
  }
  if ((flags & RENAME_WHITEOUT) != 0) {
    return Errno::kEINVAL;
  }
  const std::string old_name = TRY(copy_in_path(t, oldpath));
  const std::string new_name = TRY(copy_in_path(t, newpath));
  ParentLookup from = TRY(lookup_parent_at(t, olddirfd, old_name));
  ParentLookup to = TRY(lookup_parent_at(t, newdirfd, new_name));
  if (special_name(from) || special_name(to)) {
    return from.name.empty() || to.name.empty() ? Errno::kEBUSY : Errno::kEINVAL;
  }
  Vfs& vfs = t.kernel().vfs();
  auto source = TRY(vfs.child(from.dir, from.name));
  if ((from.trailing_slash || to.trailing_slash) && !source->inode()->is_dir()) {
    return Errno::kENOTDIR;
  }
  const std::string source_path = source->path();
  const std::string target_path = join_path(to.dir->path(), to.name);
  if (source->inode()->is_dir() && target_path.starts_with(source_path + "/")) {
    return Errno::kEINVAL;  // into its own subdirectory
  }
  if (source_path == target_path) {
    return 0;
  }
  // Different file systems (mounts) cannot rename across.
  const FileStat from_fs = TRY(from.dir->inode()->stat());
  const FileStat to_fs = TRY(to.dir->inode()->stat());
  if (from_fs.dev != to_fs.dev) {
    return Errno::kEXDEV;
  }
  TRY(from.dir->inode()->rename(from.name, *to.dir->inode(), to.name, flags));
  return 0;
}

// Implements Linux syscall renameat(2).
SysResult sys_renameat(Task& t, int olddirfd, UserAddr oldpath, int newdirfd, UserAddr newpath) {
  return sys_renameat2(t, olddirfd, oldpath, newdirfd, newpath, 0);
}

// Implements Linux syscall rename(2).
SysResult sys_rename(Task& t, UserAddr oldpath, UserAddr newpath) {
  return sys_renameat2(t, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

// Implements Linux syscall symlinkat(2).
SysResult sys_symlinkat(Task& t, UserAddr target, int newdirfd, UserAddr linkpath) {
  const std::string value = TRY(copy_in_path(t, target));
  if (value.empty()) {
    return Errno::kENOENT;
  }
  const std::string name = TRY(copy_in_path(t, linkpath));
  ParentLookup parent = TRY(lookup_parent_at(t, newdirfd, name));
  if (special_name(parent)) {
    return Errno::kEEXIST;
  }
  if (parent.trailing_slash) {
    auto existing = t.kernel().vfs().child(parent.dir, parent.name);
    return existing ? Errno::kEEXIST : Errno::kENOENT;
  }
  TRY(parent.dir->inode()->symlink(parent.name, value, t.kernel().uid(), t.kernel().gid()));
  return 0;
}

// Implements Linux syscall symlink(2).
SysResult sys_symlink(Task& t, UserAddr target, UserAddr linkpath) {
  return sys_symlinkat(t, target, AT_FDCWD, linkpath);
}

// Implements Linux syscall linkat(2).
SysResult sys_linkat(Task& t, int olddirfd, UserAddr oldpath, int newdirfd, UserAddr newpath,
                     int flags) {
  if ((flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0) {
    return Errno::kEINVAL;
  }
  const std::string old_name = TRY(copy_in_path(t, oldpath));
  const std::string new_name = TRY(copy_in_path(t, newpath));
  auto source = TRY(lookup_at_or_fd(t, olddirfd, old_name, (flags & AT_SYMLINK_FOLLOW) != 0,
                                    (flags & AT_EMPTY_PATH) != 0));
  if (source->inode()->is_dir()) {
    return Errno::kEPERM;
  }
  ParentLookup parent = TRY(lookup_parent_at(t, newdirfd, new_name));
  if (special_name(parent)) {
    return Errno::kEEXIST;
  }
  if (parent.trailing_slash) {
    auto existing = t.kernel().vfs().child(parent.dir, parent.name);
    return existing ? Errno::kEEXIST : Errno::kENOENT;
  }
  TRY(parent.dir->inode()->link(parent.name, source->inode()));
  return 0;
}

// Implements Linux syscall link(2).
SysResult sys_link(Task& t, UserAddr oldpath, UserAddr newpath) {
  return sys_linkat(t, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

// Implements Linux syscall readlinkat(2).
SysResult sys_readlinkat(Task& t, int dirfd, UserAddr path, UserAddr buf, int bufsiz) {
  if (bufsiz <= 0) {
    return Errno::kEINVAL;
  }
  const std::string name = TRY(copy_in_path(t, path));
  auto dentry = TRY(lookup_at_or_fd(t, dirfd, name, false, true));
  const std::string target = TRY(dentry->inode()->read_link());
  const size_t n = std::min(target.size(), static_cast<size_t>(bufsiz));
  TRY(t.mm().copy_out(buf.value, std::as_bytes(std::span(target.data(), n))));
  return n;
}

// Implements Linux syscall readlink(2).
SysResult sys_readlink(Task& t, UserAddr path, UserAddr buf, int bufsiz) {
  return sys_readlinkat(t, AT_FDCWD, path, buf, bufsiz);
}

// Implements Linux syscall faccessat2(2). The check uses the real ids,
// which are the effective ones in the sandbox, so AT_EACCESS changes
// nothing.
SysResult sys_faccessat2(Task& t, int dirfd, UserAddr path, int mode, int flags) {
  if ((mode & ~(R_OK | W_OK | X_OK)) != 0 ||
      (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) {
    return Errno::kEINVAL;
  }
  const std::string name = TRY(copy_in_path(t, path));
  auto dentry = TRY(lookup_at_or_fd(t, dirfd, name, (flags & AT_SYMLINK_NOFOLLOW) == 0,
                                    (flags & AT_EMPTY_PATH) != 0));
  if (mode == F_OK) {
    return 0;
  }
  const FileStat st = TRY(dentry->inode()->stat());
  if ((mode & W_OK) != 0 && dentry->inode()->read_only() && !S_ISCHR(st.mode) &&
      !S_ISBLK(st.mode) && !S_ISFIFO(st.mode) && !S_ISSOCK(st.mode)) {
    return Errno::kEROFS;
  }
  if (!may_access(t, st, static_cast<uint32_t>(mode))) {
    return Errno::kEACCES;
  }
  return 0;
}

// Implements Linux syscall faccessat(2).
SysResult sys_faccessat(Task& t, int dirfd, UserAddr path, int mode) {
  return sys_faccessat2(t, dirfd, path, mode, 0);
}

// Implements Linux syscall access(2).
SysResult sys_access(Task& t, UserAddr path, int mode) {
  return sys_faccessat2(t, AT_FDCWD, path, mode, 0);
}

// Implements Linux syscall chdir(2).
SysResult sys_chdir(Task& t, UserAddr path) {
  const std::string name = TRY(copy_in_path(t, path));
  auto dentry = TRY(lookup_at(t, AT_FDCWD, name, true));
  if (!dentry->inode()->is_dir()) {
    return Errno::kENOTDIR;
  }
  if (!may_access(t, TRY(dentry->inode()->stat()), X_OK)) {
    return Errno::kEACCES;
  }
  t.fs().set_cwd(std::move(dentry));
  return 0;
}

// Implements Linux syscall fchdir(2).
SysResult sys_fchdir(Task& t, int fd) {
  auto file = TRY(t.fds().get(fd));
  if (!file->dentry() || !file->dentry()->inode()->is_dir()) {
    return Errno::kENOTDIR;
  }
  t.fs().set_cwd(file->dentry());
  return 0;
}

// Implements Linux syscall getcwd(2).
// Partial: a working directory renamed since chdir keeps its old name.
SysResult sys_getcwd(Task& t, UserAddr buf, uint64_t size) {
  auto cwd = t.fs().cwd();
  // A removed working directory: Linux answers ENOENT.
  if (cwd->parent() && !t.kernel().vfs().child(cwd->parent(), std::string(cwd->name()))) {
    return Errno::kENOENT;
  }
  const std::string path = t.fs().path_of(*cwd);
  if (size < path.size() + 1) {
    return Errno::kERANGE;
  }
  TRY(t.mm().copy_out(buf.value, std::as_bytes(std::span(path.data(), path.size() + 1))));
  return path.size() + 1;
}

// Implements Linux syscall umask(2).
SysResult sys_umask(Task& t, uint32_t mask) {
  return t.fs().set_umask(mask);
}

// Implements Linux syscall chroot(2): within the sandbox's tree only.
SysResult sys_chroot(Task& t, UserAddr path) {
  const std::string name = TRY(copy_in_path(t, path));
  auto dentry = TRY(lookup_at(t, AT_FDCWD, name, true));
  if (!dentry->inode()->is_dir()) {
    return Errno::kENOTDIR;
  }
  if (t.kernel().uid() != 0) {
    return Errno::kEPERM;
  }
  t.fs().set_root(std::move(dentry));
  return 0;
}

// Implements Linux syscall truncate(2).
SysResult sys_truncate(Task& t, UserAddr path, int64_t length) {
  const std::string name = TRY(copy_in_path(t, path));
  if (length < 0) {
    return Errno::kEINVAL;
  }
  auto dentry = TRY(lookup_at(t, AT_FDCWD, name, true));
  const Inode& inode = *dentry->inode();
  if (inode.is_dir()) {
    return Errno::kEISDIR;
  }
  if (!inode.is_regular()) {
    return Errno::kEINVAL;
  }
  if (inode.read_only()) {
    return Errno::kEROFS;
  }
  if (!may_access(t, TRY(dentry->inode()->stat()), W_OK)) {
    return Errno::kEACCES;
  }
  TRY(dentry->inode()->truncate(static_cast<uint64_t>(length)));
  return 0;
}

// Implements Linux syscall fchmodat(2).
SysResult sys_fchmodat(Task& t, int dirfd, UserAddr path, uint32_t mode) {
  const std::string name = TRY(copy_in_path(t, path));
  auto dentry = TRY(lookup_at(t, dirfd, name, true));
  TRY(dentry->inode()->set_mode(mode & 07777));
  return 0;
}

// Implements Linux syscall chmod(2).
SysResult sys_chmod(Task& t, UserAddr path, uint32_t mode) {
  return sys_fchmodat(t, AT_FDCWD, path, mode);
}

// Implements Linux syscall fchmod(2).
SysResult sys_fchmod(Task& t, int fd, uint32_t mode) {
  auto file = TRY(t.fds().get(fd));
  if (!file->dentry() || file->path_only()) {
    return file->path_only() ? Errno::kEBADF : Errno::kEINVAL;
  }
  TRY(file->dentry()->inode()->set_mode(mode & 07777));
  return 0;
}

// Implements Linux syscall fchownat(2). Only root may give files away.
SysResult sys_fchownat(Task& t, int dirfd, UserAddr path, uint32_t owner, uint32_t group,
                       int flags) {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) {
    return Errno::kEINVAL;
  }
  const std::string name = TRY(copy_in_path(t, path));
  auto dentry = TRY(lookup_at_or_fd(t, dirfd, name, (flags & AT_SYMLINK_NOFOLLOW) == 0,
                                    (flags & AT_EMPTY_PATH) != 0));
  TRY(change_owner(t, *dentry->inode(), owner, group));
  return 0;
}

// Implements Linux syscall fchown(2).
SysResult sys_fchown(Task& t, int fd, uint32_t owner, uint32_t group) {
  auto file = TRY(t.fds().get(fd));
  if (file->path_only()) {
    return Errno::kEBADF;
  }
  if (!file->dentry()) {
    return Errno::kEINVAL;
  }
  TRY(change_owner(t, *file->dentry()->inode(), owner, group));
  return 0;
}

// Implements Linux syscall chown(2).
SysResult sys_chown(Task& t, UserAddr path, uint32_t owner, uint32_t group) {
  return sys_fchownat(t, AT_FDCWD, path, owner, group, 0);
}

// Implements Linux syscall lchown(2).
SysResult sys_lchown(Task& t, UserAddr path, uint32_t owner, uint32_t group) {
  return sys_fchownat(t, AT_FDCWD, path, owner, group, AT_SYMLINK_NOFOLLOW);
}

// Implements Linux syscall utimensat(2).
SysResult sys_utimensat(Task& t, int dirfd, UserAddr path, UserAddr times, int flags) {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0) {
    return Errno::kEINVAL;
  }
  std::shared_ptr<Dentry> dentry;
  if (path.null()) {
    if (flags != 0) {
      return Errno::kEINVAL;
    }
    // Linux's futimens: a NULL path means the file open as dirfd.
    auto file = TRY(t.fds().get(dirfd));
    if (!file->dentry()) {
      return Errno::kEINVAL;
    }
    dentry = file->dentry();
  } else {
    const std::string name = TRY(copy_in_path(t, path));
    dentry = TRY(lookup_at_or_fd(t, dirfd, name, (flags & AT_SYMLINK_NOFOLLOW) == 0,
                                 (flags & AT_EMPTY_PATH) != 0));
  }
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  timespec value[2] = {now, now};
  bool set[2] = {true, true};
  if (!times.null()) {
    TRY(t.mm().copy_in(times.value, std::as_writable_bytes(std::span(value))));
    for (int i = 0; i < 2; ++i) {
      if (value[i].tv_nsec == UTIME_OMIT) {
        set[i] = false;
      } else if (value[i].tv_nsec == UTIME_NOW) {
        value[i] = now;
      } else if (value[i].tv_nsec < 0 || value[i].tv_nsec >= 1'000'000'000) {
        return Errno::kEINVAL;
      }
    }
  }
  TRY(dentry->inode()->set_times(set[0] ? &value[0] : nullptr, set[1] ? &value[1] : nullptr));
  return 0;
}

}  // namespace moat::sentry
