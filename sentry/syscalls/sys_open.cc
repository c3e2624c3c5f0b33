// open(2) and its relatives, close(2), close_range(2).

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/stat.h>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_lookup.h"
#include "sentry/vfs/inode_file.h"

namespace moat::sentry {
namespace {

// What an open file description keeps of open(2)'s flags (F_GETFL shows
// them); Linux forces O_LARGEFILE on 64-bit.
constexpr uint32_t kKeptFlags =
    O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_ASYNC | O_SYNC | O_DSYNC | O_PATH;
// O_PATH keeps only these, as Linux's O_PATH_FLAGS.
constexpr uint32_t kPathFlags = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;

Result<std::shared_ptr<Dentry>> create_in(Task& t, ParentLookup parent, uint32_t flags,
                                          uint32_t mode, int links);

// The dentry open(2) works on: looked up, or created with O_CREAT.
Result<std::shared_ptr<Dentry>> find_or_create(Task& t, int dirfd, const std::string& path,
                                               uint32_t flags, uint32_t mode) {
  const bool follow = (flags & O_NOFOLLOW) == 0;
  if ((flags & O_CREAT) == 0) {
    return lookup_at(t, dirfd, path, follow);
  }
  return create_in(t, TRY(lookup_parent_at(t, dirfd, path)), flags, mode, 0);
}

// O_CREAT's half: `parent.name` in `parent.dir`, created if missing. A
// dangling symbolic link there (without O_EXCL) creates its target, as
// Linux does.
Result<std::shared_ptr<Dentry>> create_in(Task& t, ParentLookup parent, uint32_t flags,
                                          uint32_t mode, int links) {
  const bool follow = (flags & O_NOFOLLOW) == 0;
  if (parent.name.empty() || parent.name == "." || parent.name == ".." || parent.trailing_slash) {
    return Errno::kEISDIR;
  }
  Vfs& vfs = t.kernel().vfs();
  auto existing = vfs.child(parent.dir, parent.name);
  if (existing) {
    if ((flags & O_EXCL) != 0) {
      return Errno::kEEXIST;
    }
    if ((*existing)->inode()->is_symlink()) {
      if (!follow) {
        return Errno::kELOOP;
      }
      auto target = vfs.lookup(t.fs().root(), parent.dir, parent.name, true);
      if (target || target.error() != Errno::kENOENT) {
        return target;
      }
      if (++links > Vfs::kMaxSymlinks) {
        return Errno::kELOOP;
      }
      const std::string value = TRY((*existing)->inode()->read_link());
      ParentLookup next = TRY(vfs.lookup_parent(t.fs().root(), parent.dir, value));
      if (next.name.empty() || next.name == "." || next.name == ".." || next.trailing_slash) {
        return Errno::kEISDIR;
      }
      return create_in(t, std::move(next), flags, mode, links);
    }
    return *existing;
  }
  if (existing.error() != Errno::kENOENT) {
    return existing.error();
  }
  const uint32_t perms = mode & ~t.fs().umask() & 07777;
  auto inode = TRY(parent.dir->inode()->create(parent.name, S_IFREG | perms, t.kernel().uid(),
                                               t.kernel().gid()));
  return std::make_shared<Dentry>(join_path(parent.dir->path(), parent.name), parent.dir,
                                  std::move(inode));
}

}  // namespace

// Opens `path` from `dirfd` as open(2) does; the descriptor number.
Result<int> open_at(Task& t, int dirfd, const std::string& path, uint32_t flags, uint32_t mode) {
  if ((flags & O_PATH) != 0) {
    flags &= kPathFlags;
  }
  if ((flags & __O_TMPFILE) == __O_TMPFILE) {
    // FIXME: unnamed temporary files are not supported yet.
    return Errno::kENOTSUP;
  }
  auto dentry = TRY(find_or_create(t, dirfd, path, flags, mode));
  const Inode& inode = *dentry->inode();
  if (inode.is_symlink() && (flags & O_PATH) == 0) {
    return Errno::kELOOP;  // O_NOFOLLOW on a link
  }
  if ((flags & O_DIRECTORY) != 0 && !inode.is_dir()) {
    return Errno::kENOTDIR;
  }
  const uint32_t access = flags & O_ACCMODE;
  const bool wants_write = access == O_WRONLY || access == O_RDWR;
  std::shared_ptr<FileDescription> file;
  const uint32_t kept = (flags & kKeptFlags) | static_cast<uint32_t>(arch::kOLargefile);
  if ((flags & O_PATH) != 0) {
    file = std::make_shared<PathFile>(kept, dentry);
  } else {
    if (inode.is_dir() && (wants_write || (flags & O_CREAT) != 0)) {
      return Errno::kEISDIR;
    }
    if (access == O_ACCMODE) {
      return Errno::kEINVAL;  // Linux's "3" mode only for ioctl-only opens
    }
    const FileStat st = TRY(dentry->inode()->stat());
    uint32_t need = 0;
    need |= (access == O_RDONLY || access == O_RDWR) ? R_OK : 0;
    need |= wants_write ? W_OK : 0;
    if (!may_access(t, st, need)) {
      return Errno::kEACCES;
    }
    if ((wants_write || (flags & O_TRUNC) != 0) && dentry->inode()->read_only() &&
        inode.is_regular()) {
      return Errno::kEROFS;
    }
    // Linux truncates even with O_RDONLY | O_TRUNC.
    if ((flags & O_TRUNC) != 0 && inode.is_regular()) {
      TRY(dentry->inode()->truncate(0));
    }
    file = TRY(dentry->inode()->open(dentry, kept));
  }
  return t.fds().install(std::move(file), (flags & O_CLOEXEC) != 0);
}

// Implements Linux syscall openat(2).
// Partial: O_TMPFILE is EOPNOTSUPP.
SysResult sys_openat(Task& t, int dirfd, UserAddr path, int flags, uint32_t mode) {
  const std::string name = TRY(copy_in_path(t, path));
  return TRY(open_at(t, dirfd, name, static_cast<uint32_t>(flags), mode));
}

// Implements Linux syscall open(2).
SysResult sys_open(Task& t, UserAddr path, int flags, uint32_t mode) {
  return sys_openat(t, AT_FDCWD, path, flags, mode);
}

// Implements Linux syscall creat(2).
SysResult sys_creat(Task& t, UserAddr path, uint32_t mode) {
  return sys_openat(t, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

// Implements Linux syscall close(2).
SysResult sys_close(Task& t, int fd) {
  TRY(t.fds().close(fd));
  return 0;
}

// Implements Linux syscall close_range(2).
SysResult sys_close_range(Task& t, uint32_t first, uint32_t last, uint32_t flags) {
  if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) != 0 || first > last) {
    return Errno::kEINVAL;
  }
  // A table shared with other threads stays shared: CLOSE_RANGE_UNSHARE's
  // private copy is what closing affects.
  if ((flags & CLOSE_RANGE_UNSHARE) != 0 && t.fds_ptr().use_count() > 1) {
    t.set_fds(t.fds().copy());
  }
  t.fds().close_range(first, last, (flags & CLOSE_RANGE_CLOEXEC) != 0);
  return 0;
}

}  // namespace moat::sentry
