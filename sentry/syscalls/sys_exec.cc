// execve(2) and execveat(2).

#include <fcntl.h>

#include <climits>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/path_lookup.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {
namespace {

// Linux's MAX_ARG_STRLEN (32 pages) and its bound on the number of strings.
constexpr size_t kMaxArgStrlen = 32 * 4096;
constexpr size_t kMaxArgStrings = 0x7fffffff;

// A NULL-terminated array of string pointers (argv, envp); NULL is empty.
Result<std::vector<std::string>> copy_in_strings(Task& t, UserAddr array, uint64_t budget) {
  std::vector<std::string> strings;
  if (array.null()) {
    return strings;
  }
  uint64_t total = 0;
  for (size_t i = 0;; ++i) {
    if (i >= kMaxArgStrings) {
      return Errno::kE2BIG;
    }
    uint64_t pointer = 0;
    TRY(t.mm().copy_in(array.value + i * sizeof(pointer),
                       std::as_writable_bytes(std::span(&pointer, 1))));
    if (pointer == 0) {
      break;
    }
    auto value = t.mm().copy_in_string(pointer, kMaxArgStrlen - 1);
    if (!value) {
      return value.error() == Errno::kENAMETOOLONG ? Errno::kE2BIG : value.error();
    }
    total += value->size() + 1 + sizeof(pointer);
    if (total > budget) {
      return Errno::kE2BIG;
    }
    strings.push_back(std::move(*value));
  }
  return strings;
}

SysResult exec_common(Task& t, int dirfd, UserAddr path, UserAddr argv, UserAddr envp, int flags) {
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0) {
    return Errno::kEINVAL;
  }
  const std::string name = TRY(copy_in_path(t, path));
  const uint64_t stack_limit = t.group().limits().get(RLIMIT_STACK).cur;
  // Linux lets the strings take a quarter of the stack limit.
  const uint64_t budget = std::max<uint64_t>(stack_limit / 4, 32 * 4096);
  auto args = TRY(copy_in_strings(t, argv, budget));
  auto env = TRY(copy_in_strings(t, envp, budget));
  auto dentry = TRY(lookup_at_or_fd(t, dirfd, name, (flags & AT_SYMLINK_NOFOLLOW) == 0,
                                    (flags & AT_EMPTY_PATH) != 0));
  Kernel& kernel = t.kernel();
  auto file = TRY(kernel.open_executable(dentry));
  // AT_EXECFN: the name as given ("/dev/fd/N" for execveat of an fd).
  std::string execfn = name;
  bool script_unreachable = false;
  if (name.empty() || (name.front() != '/' && dirfd != AT_FDCWD)) {
    execfn = "/dev/fd/" + std::to_string(dirfd) + (name.empty() ? "" : "/" + name);
    script_unreachable = TRY(t.fds().cloexec(dirfd));
  }
  auto request =
      TRY(kernel.resolve_exec(t.fs().root(), t.fs().cwd(), std::move(file), std::move(execfn),
                              std::move(args), std::move(env), script_unreachable));
  auto as = kernel.machine().new_address_space();
  if (!as) {
    return Errno::kENOMEM;
  }
  auto image = TRY(kernel.build_image(request, std::move(*as), stack_limit));
  kernel.exec_into(t, request, std::move(image));
  return 0;
}

}  // namespace

// Implements Linux syscall execve(2).
// Partial: a thread other than the leader keeps its own thread id.
SysResult sys_execve(Task& t, UserAddr path, UserAddr argv, UserAddr envp) {
  return exec_common(t, AT_FDCWD, path, argv, envp, 0);
}

// Implements Linux syscall execveat(2).
SysResult sys_execveat(Task& t, int dirfd, UserAddr path, UserAddr argv, UserAddr envp, int flags) {
  return exec_common(t, dirfd, path, argv, envp, flags);
}

}  // namespace moat::sentry
