#include <fcntl.h>

#include <algorithm>
#include <climits>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

// The links moat can answer before it has a /proc: the running executable.
std::optional<std::string> magic_link(Task& t, const std::string& path) {
  if (path == "/proc/self/exe" || path == "/proc/" + std::to_string(t.group().pid()) + "/exe" ||
      path == "/proc/thread-self/exe") {
    return t.exe_path();
  }
  return std::nullopt;
}

}  // namespace

// Implements Linux syscall readlinkat(2).
// FIXME: only /proc/self/exe until the file system lands; other paths ENOENT.
SysResult sys_readlinkat(Task& t, int dirfd, UserAddr path, UserAddr buf, int bufsiz) {
  (void)dirfd;
  if (bufsiz <= 0) {
    return Errno::kEINVAL;
  }
  auto name = TRY(t.mm().copy_in_string(path.value, PATH_MAX - 1));
  if (name.empty()) {
    return Errno::kENOENT;
  }
  auto target = magic_link(t, name);
  if (!target) {
    return Errno::kENOENT;
  }
  size_t n = std::min(target->size(), static_cast<size_t>(bufsiz));
  TRY(t.mm().copy_out(buf.value, std::as_bytes(std::span(target->data(), n))));
  return n;
}

// Implements Linux syscall getcwd(2).
// FIXME: until the file system lands (issue 7) the working directory is the
// one moat was started in, as the program's own path is a host path.
SysResult sys_getcwd(Task& t, UserAddr buf, uint64_t size) {
  const std::string& cwd = t.kernel().options().cwd;
  if (size < cwd.size() + 1) {
    return Errno::kERANGE;
  }
  TRY(t.mm().copy_out(buf.value, std::as_bytes(std::span(cwd.data(), cwd.size() + 1))));
  return cwd.size() + 1;
}

// Implements Linux syscall readlink(2).
SysResult sys_readlink(Task& t, UserAddr path, UserAddr buf, int bufsiz) {
  return sys_readlinkat(t, AT_FDCWD, path, buf, bufsiz);
}

}  // namespace moat::sentry
