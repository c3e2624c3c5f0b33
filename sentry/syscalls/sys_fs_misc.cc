// statfs, fstatfs, the xattr family, fadvise64 and sysinfo.

#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>

#include <cstring>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_lookup.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {
namespace {

Result<void> store_statfs(Task& t, UserAddr buf, const struct statfs& st) {
  return t.mm().copy_out(buf.value, std::as_bytes(std::span(&st, 1)));
}

// The file an xattr call names: a path (following links unless `follow` is
// false) or an open descriptor.
Result<std::shared_ptr<Dentry>> xattr_target(Task& t, UserAddr path, bool follow) {
  const std::string name = TRY(copy_in_path(t, path));
  return lookup_at(t, AT_FDCWD, name, follow);
}

Result<void> xattr_fd(Task& t, int fd) {
  auto file = TRY(t.fds().get(fd));
  if (file->path_only()) {
    return Errno::kEBADF;
  }
  return {};
}

// No file in the sandbox has extended attributes: a name that reads is
// ENODATA, a list is empty and setting one is not supported, as on a file
// system without xattr support for user names.
SysResult no_attribute(Task& t, UserAddr name) {
  TRY(t.mm().copy_in_string(name.value, 255));
  return Errno::kENODATA;
}

}  // namespace

// Implements Linux syscall statfs(2).
SysResult sys_statfs(Task& t, UserAddr path, UserAddr buf) {
  const std::string name = TRY(copy_in_path(t, path));
  auto dentry = TRY(lookup_at(t, AT_FDCWD, name, true));
  const struct statfs st = TRY(dentry->inode()->statfs());
  TRY(store_statfs(t, buf, st));
  return 0;
}

// Implements Linux syscall fstatfs(2).
SysResult sys_fstatfs(Task& t, int fd, UserAddr buf) {
  auto file = TRY(t.fds().get(fd));
  struct statfs st {};
  if (file->dentry()) {
    st = TRY(file->dentry()->inode()->statfs());
  } else {
    st.f_type = 0x50495045;  // PIPEFS_MAGIC: pipes and stdio
    st.f_bsize = 4096;
    st.f_namelen = 255;
  }
  TRY(store_statfs(t, buf, st));
  return 0;
}

// Implements Linux syscall getxattr(2).
SysResult sys_getxattr(Task& t, UserAddr path, UserAddr name, UserAddr, uint64_t) {
  TRY(xattr_target(t, path, true));
  return no_attribute(t, name);
}

// Implements Linux syscall lgetxattr(2).
SysResult sys_lgetxattr(Task& t, UserAddr path, UserAddr name, UserAddr, uint64_t) {
  TRY(xattr_target(t, path, false));
  return no_attribute(t, name);
}

// Implements Linux syscall fgetxattr(2).
SysResult sys_fgetxattr(Task& t, int fd, UserAddr name, UserAddr, uint64_t) {
  TRY(xattr_fd(t, fd));
  return no_attribute(t, name);
}

// Implements Linux syscall listxattr(2).
SysResult sys_listxattr(Task& t, UserAddr path, UserAddr, uint64_t) {
  TRY(xattr_target(t, path, true));
  return 0;
}

// Implements Linux syscall llistxattr(2).
SysResult sys_llistxattr(Task& t, UserAddr path, UserAddr, uint64_t) {
  TRY(xattr_target(t, path, false));
  return 0;
}

// Implements Linux syscall flistxattr(2).
SysResult sys_flistxattr(Task& t, int fd, UserAddr, uint64_t) {
  TRY(xattr_fd(t, fd));
  return 0;
}

// Implements Linux syscall fadvise64(2): advice is accepted and has no
// effect (file data is read on demand anyway).
SysResult sys_fadvise64(Task& t, int fd, int64_t offset, int64_t len, int advice) {
  auto file = TRY(t.fds().get(fd));
  if (file->path_only()) {
    return Errno::kEBADF;
  }
  if (!file->dentry() || !file->dentry()->inode()->is_regular()) {
    return file->dentry() && file->dentry()->inode()->is_dir() ? SysResult(0)
                                                               : SysResult(Errno::kESPIPE);
  }
  if (advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE || len < 0) {
    return Errno::kEINVAL;
  }
  (void)offset;
  return 0;
}

// Implements Linux syscall sysinfo(2): the sandbox's memory and processes.
SysResult sys_sysinfo(Task& t, UserAddr info) {
  struct sysinfo out {};
  struct sysinfo host {};
  ::sysinfo(&host);
  out.uptime = host.uptime;
  out.mem_unit = 1;
  const platform::PhysicalMemory& memory = t.kernel().machine().memory();
  out.totalram = memory.size();
  out.freeram = memory.size() - memory.allocated_pages() * 4096;
  {
    std::lock_guard tree(t.kernel().tree_lock());
    out.procs = static_cast<uint16_t>(t.kernel().processes_locked().size());
  }
  TRY(t.mm().copy_out(info.value, std::as_bytes(std::span(&out, 1))));
  return 0;
}

}  // namespace moat::sentry
