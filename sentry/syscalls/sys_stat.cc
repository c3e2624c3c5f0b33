// The stat family.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <climits>
#include <cstring>

#include "arch_abi.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_lookup.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {
namespace {

Result<void> store_stat(Task& t, UserAddr statbuf, const FileStat& st) {
  auto bytes = arch::encode_stat(st);
  return t.mm().copy_out(statbuf.value, bytes);
}

// What the stat family reports for `dirfd` + `path` under AT_* `flags`.
Result<FileStat> stat_at(Task& t, int dirfd, UserAddr path, int flags) {
  const std::string name = TRY(copy_in_path(t, path));
  if (name.empty() && (flags & AT_EMPTY_PATH) != 0) {
    auto file = TRY(t.fds().get(dirfd));
    return file->stat();
  }
  auto dentry = TRY(lookup_at(t, dirfd, name, (flags & AT_SYMLINK_NOFOLLOW) == 0));
  return dentry->inode()->stat();
}

}  // namespace

// Implements Linux syscall fstat(2).
SysResult sys_fstat(Task& t, int fd, UserAddr statbuf) {
  auto file = TRY(t.fds().get(fd));
  const FileStat st = TRY(file->stat());
  TRY(store_stat(t, statbuf, st));
  return 0;
}

// Implements Linux syscall newfstatat(2).
SysResult sys_newfstatat(Task& t, int dirfd, UserAddr path, UserAddr statbuf, int flags) {
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) != 0) {
    return Errno::kEINVAL;
  }
  const FileStat st = TRY(stat_at(t, dirfd, path, flags));
  TRY(store_stat(t, statbuf, st));
  return 0;
}

// Implements Linux syscall stat(2).
SysResult sys_stat(Task& t, UserAddr path, UserAddr statbuf) {
  return sys_newfstatat(t, AT_FDCWD, path, statbuf, 0);
}

// Implements Linux syscall lstat(2).
SysResult sys_lstat(Task& t, UserAddr path, UserAddr statbuf) {
  return sys_newfstatat(t, AT_FDCWD, path, statbuf, AT_SYMLINK_NOFOLLOW);
}

// Implements Linux syscall statx(2). The basic fields are always filled
// (whatever `mask` asks, as Linux may); no birth time.
SysResult sys_statx(Task& t, int dirfd, UserAddr path, int flags, uint32_t mask, UserAddr buf) {
  constexpr int kSyncFlags = AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC;
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | kSyncFlags)) != 0 ||
      (flags & kSyncFlags) == kSyncFlags || (mask & STATX__RESERVED) != 0) {
    return Errno::kEINVAL;
  }
  const FileStat st = TRY(stat_at(t, dirfd, path, flags & ~kSyncFlags));
  struct statx out {};
  out.stx_mask = STATX_BASIC_STATS;
  out.stx_blksize = static_cast<uint32_t>(st.blksize);
  out.stx_nlink = st.nlink;
  out.stx_uid = st.uid;
  out.stx_gid = st.gid;
  out.stx_mode = static_cast<uint16_t>(st.mode);
  out.stx_ino = st.ino;
  out.stx_size = static_cast<uint64_t>(st.size);
  out.stx_blocks = static_cast<uint64_t>(st.blocks);
  auto stamp = [](const timespec& ts) {
    return statx_timestamp{
        .tv_sec = ts.tv_sec, .tv_nsec = static_cast<uint32_t>(ts.tv_nsec), .__reserved = 0};
  };
  out.stx_atime = stamp(st.atime);
  out.stx_mtime = stamp(st.mtime);
  out.stx_ctime = stamp(st.ctime);
  out.stx_rdev_major = major(st.rdev);
  out.stx_rdev_minor = minor(st.rdev);
  out.stx_dev_major = major(st.dev);
  out.stx_dev_minor = minor(st.dev);
  TRY(t.mm().copy_out(buf.value, std::as_bytes(std::span(&out, 1))));
  return 0;
}

}  // namespace moat::sentry
