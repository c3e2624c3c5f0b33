#include "sentry/strace/options.h"

#include <algorithm>
#include <array>
#include <regex>

#include <fmt/format.h>

#include "sentry/syscalls/syscall_table.h"

namespace moat::sentry::strace {
namespace {

using namespace std::string_view_literals;

// strace's syscall classes that the argument kinds cannot derive. Names
// absent on this architecture are simply never matched.
constexpr std::array kProcess = {
    "clone"sv,
    "clone3"sv,
    "fork"sv,
    "vfork"sv,
    "execve"sv,
    "execveat"sv,
    "exit"sv,
    "exit_group"sv,
    "wait4"sv,
    "waitid"sv,
    "kill"sv,
    "tkill"sv,
    "tgkill"sv,
    "rt_sigqueueinfo"sv,
    "rt_tgsigqueueinfo"sv,
    "pidfd_open"sv,
    "pidfd_send_signal"sv,
    "unshare"sv,
    "arch_prctl"sv,
};
constexpr std::array kMemory = {
    "brk"sv,
    "mmap"sv,
    "munmap"sv,
    "mprotect"sv,
    "mremap"sv,
    "madvise"sv,
    "msync"sv,
    "mincore"sv,
    "mlock"sv,
    "mlock2"sv,
    "munlock"sv,
    "mlockall"sv,
    "munlockall"sv,
    "mbind"sv,
    "get_mempolicy"sv,
    "set_mempolicy"sv,
    "migrate_pages"sv,
    "move_pages"sv,
    "remap_file_pages"sv,
    "pkey_mprotect"sv,
    "process_madvise"sv,
    "shmat"sv,
    "shmdt"sv,
    "io_setup"sv,
    "io_destroy"sv,
    "memfd_secret"sv,
};
constexpr std::array kSignal = {
    "rt_sigaction"sv,    "rt_sigprocmask"sv,
    "rt_sigreturn"sv,    "rt_sigsuspend"sv,
    "rt_sigpending"sv,   "rt_sigtimedwait"sv,
    "rt_sigqueueinfo"sv, "rt_tgsigqueueinfo"sv,
    "sigaltstack"sv,     "kill"sv,
    "tkill"sv,           "tgkill"sv,
    "pause"sv,           "signalfd"sv,
    "signalfd4"sv,       "pidfd_send_signal"sv,
};
constexpr std::array kNetwork = {
    "socket"sv,  "socketpair"sv,  "bind"sv,        "listen"sv,   "accept"sv,     "accept4"sv,
    "connect"sv, "getsockname"sv, "getpeername"sv, "shutdown"sv, "sendto"sv,     "recvfrom"sv,
    "sendmsg"sv, "recvmsg"sv,     "sendmmsg"sv,    "recvmmsg"sv, "setsockopt"sv, "getsockopt"sv,
};
constexpr std::array kIpc = {
    "msgget"sv, "msgsnd"sv,     "msgrcv"sv, "msgctl"sv, "semget"sv, "semop"sv,
    "semctl"sv, "semtimedop"sv, "shmget"sv, "shmat"sv,  "shmctl"sv, "shmdt"sv,
};
constexpr std::array kCreds = {
    "getuid"sv,    "geteuid"sv,   "getgid"sv,   "getegid"sv,   "setuid"sv,
    "setgid"sv,    "setreuid"sv,  "setregid"sv, "getresuid"sv, "getresgid"sv,
    "setresuid"sv, "setresgid"sv, "setfsuid"sv, "setfsgid"sv,  "getgroups"sv,
    "setgroups"sv, "capget"sv,    "capset"sv,   "prctl"sv,
};
constexpr std::array kClock = {
    "time"sv,          "gettimeofday"sv,  "settimeofday"sv, "adjtimex"sv,
    "clock_gettime"sv, "clock_settime"sv, "clock_getres"sv, "clock_adjtime"sv,
};
// Syscalls that return a new descriptor without taking one.
constexpr std::array kCreatesFd = {
    "open"sv,
    "creat"sv,
    "pipe"sv,
    "pipe2"sv,
    "epoll_create"sv,
    "epoll_create1"sv,
    "eventfd"sv,
    "eventfd2"sv,
    "timerfd_create"sv,
    "inotify_init"sv,
    "inotify_init1"sv,
    "fanotify_init"sv,
    "memfd_create"sv,
    "perf_event_open"sv,
    "userfaultfd"sv,
    "pidfd_open"sv,
    "io_uring_setup"sv,
    "memfd_secret"sv,
    "fsopen"sv,
    "landlock_create_ruleset"sv,
    "bpf"sv,
};
// Syscalls that take no argument and cannot fail.
constexpr std::array kPure = {
    "getpid"sv, "getppid"sv, "gettid"sv,  "getuid"sv, "geteuid"sv,
    "getgid"sv, "getegid"sv, "getpgrp"sv, "setsid"sv,
};

template <size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

bool has_kind(const SyscallInfo& info, std::initializer_list<ArgKind> kinds) {
  for (unsigned i = 0; i < info.arg_count; ++i) {
    if (std::find(kinds.begin(), kinds.end(), info.args[i]) != kinds.end()) {
      return true;
    }
  }
  return false;
}

bool is_network(std::string_view name) {
  return listed(kNetwork, name);
}

// Adds (or, for a negated set, keeps) the rows one element names.
Result<void, Error> mark(std::string_view element, std::vector<bool>& set) {
  const auto table = syscall_table();
  bool tolerant = false;
  if (element.starts_with('?')) {
    tolerant = true;
    element.remove_prefix(1);
  }
  if (element == "all") {
    std::fill(set.begin(), set.end(), true);
    return {};
  }
  if (element == "none") {
    return {};
  }
  bool any = false;
  if (element.starts_with('/')) {
    std::regex re;
    try {
      re = std::regex(std::string(element.substr(1)), std::regex::extended);
    } catch (const std::regex_error&) {
      return make_error(fmt::format("invalid system call '{}'", element));
    }
    for (size_t row = 0; row < table.size(); ++row) {
      if (std::regex_search(std::string(table[row].name), re)) {
        set[row] = true;
        any = true;
      }
    }
  } else if (element.starts_with('%')) {
    bool known = false;
    for (size_t row = 0; row < table.size(); ++row) {
      if (in_class(element.substr(1), row, &known)) {
        set[row] = true;
      }
    }
    if (!known) {
      return make_error(fmt::format("invalid system call '{}'", element));
    }
    any = true;
  } else {
    for (size_t row = 0; row < table.size(); ++row) {
      if (table[row].name == element) {
        set[row] = true;
        any = true;
      }
    }
  }
  if (!any && !tolerant) {
    return make_error(fmt::format("invalid system call '{}'", element));
  }
  return {};
}

Result<void, Error> apply_trace(std::string_view value, TraceOptions& options) {
  const size_t rows = syscall_table().size();
  bool negate = false;
  if (value.starts_with('!')) {
    negate = true;
    value.remove_prefix(1);
  }
  std::vector<bool> set(rows, false);
  bool all = false;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view element = value.substr(0, comma);
    if (element == "all") {
      all = true;
    }
    if (!element.empty()) {
      TRY(mark(element, set));
    }
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  // Numbers the table lacks are in the set only if `all` is.
  bool unknown = all;
  if (negate) {
    set.flip();
    unknown = !unknown;
  }
  // Successive trace= qualifiers add up, as in strace.
  if (options.selected.empty()) {
    options.selected = std::move(set);
    options.selected_unknown = unknown;
  } else {
    for (size_t row = 0; row < rows; ++row) {
      options.selected[row] = options.selected[row] || set[row];
    }
    options.selected_unknown = options.selected_unknown || unknown;
  }
  return {};
}

}  // namespace

bool in_class(std::string_view class_name, size_t row, bool* known_class) {
  const SyscallInfo& info = syscall_table()[row];
  const std::string_view name = info.name;
  *known_class = true;
  if (class_name == "file") {
    return has_kind(info, {arg::Path});
  }
  if (class_name == "desc") {
    return !is_network(name) &&
           (has_kind(info, {arg::Fd, arg::AtFd, arg::FdPairOut}) || listed(kCreatesFd, name));
  }
  if (class_name == "process") {
    return listed(kProcess, name);
  }
  if (class_name == "network" || class_name == "net") {
    return is_network(name);
  }
  if (class_name == "signal") {
    return listed(kSignal, name);
  }
  if (class_name == "memory") {
    return listed(kMemory, name);
  }
  if (class_name == "ipc") {
    return listed(kIpc, name);
  }
  if (class_name == "creds") {
    return listed(kCreds, name);
  }
  if (class_name == "clock") {
    return listed(kClock, name);
  }
  if (class_name == "pure") {
    return listed(kPure, name);
  }
  if (class_name == "stat") {
    return name == "stat";
  }
  if (class_name == "lstat") {
    return name == "lstat";
  }
  if (class_name == "fstat") {
    return name == "fstat" || name == "newfstatat";
  }
  if (class_name == "%stat") {
    return name == "stat" || name == "lstat" || name == "fstat" || name == "newfstatat" ||
           name == "statx";
  }
  if (class_name == "statfs") {
    return name == "statfs";
  }
  if (class_name == "fstatfs") {
    return name == "fstatfs";
  }
  if (class_name == "%statfs") {
    return name == "statfs" || name == "fstatfs";
  }
  *known_class = false;
  return false;
}

Result<void, Error> apply_expression(std::string_view expression, TraceOptions& options) {
  std::string_view qualifier = "trace";
  std::string_view value = expression;
  if (size_t eq = expression.find('='); eq != std::string_view::npos) {
    qualifier = expression.substr(0, eq);
    value = expression.substr(eq + 1);
  }
  if (qualifier == "trace" || qualifier == "t") {
    return apply_trace(value, options);
  }
  if (qualifier == "status") {
    if (value == "successful") {
      options.result_filter = ResultFilter::kSuccessful;
    } else if (value == "failed") {
      options.result_filter = ResultFilter::kFailed;
    } else if (value == "all") {
      options.result_filter = ResultFilter::kAll;
    } else {
      return make_error(
          fmt::format("invalid status '{}' (moat supports all, successful, failed)", value));
    }
    return {};
  }
  return make_error(
      fmt::format("invalid -e qualifier '{}' (moat supports trace= and status=)", qualifier));
}

}  // namespace moat::sentry::strace
