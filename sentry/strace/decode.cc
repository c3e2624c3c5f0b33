#include "sentry/strace/decode.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "arch_abi.h"  // per arch: sentry/arch/<arch>/arch_abi.h

namespace moat::sentry::strace {
namespace {

using namespace arg;  // NOLINT: kinds read best bare, as in syscalls.def

constexpr uint64_t kSigsetBytes = 8;  // the kernel's sigset_t on 64-bit

std::string hex(uint64_t value) {
  return value == 0 ? "0" : fmt::format("{:#x}", value);
}

std::string format_int(uint64_t value) {
  return std::to_string(static_cast<int32_t>(value));
}

// ioctl requests whose argument the kernel writes.
bool ioctl_writes_arg(uint64_t cmd) {
  switch (cmd) {
    case TCGETS:
    case TIOCGWINSZ:
    case FIONREAD:
    case TIOCOUTQ:
    case TIOCGPGRP:
    case TIOCGSID:
      return true;
    default:
      return false;
  }
}

// ioctl requests that take no argument: strace leaves it out.
bool ioctl_takes_no_arg(uint64_t cmd) {
  return cmd == FIOCLEX || cmd == FIONCLEX;
}

bool fcntl_takes_no_arg(uint64_t cmd) {
  switch (cmd) {
    case F_GETFD:
    case F_GETFL:
    case F_GETOWN:
    case F_GETSIG:
    case F_GETLEASE:
    case F_GETPIPE_SZ:
    case F_GET_SEALS:
      return true;
    default:
      return false;
  }
}

bool open_creates(uint64_t flags) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

bool is_output(const CallText& call, unsigned i) {
  switch (call.info->args[i]) {
    case OutBuf:
    case CwdOut:
    case RandomBuf:
    case IovecOut:
    case StatOut:
    case TimespecOut:
    case TimevalOut:
    case TimeOut:
    case RlimitOut:
    case UtsnameOut:
    case RusageOut:
    case IntOut:
    case FdPairOut:
    case SigsetOut:
    case SigactionOut:
    case StackOut:
    case WaitStatusOut:
    case EpollEventsOut:
    case SockaddrOut:
    case SockLenInOut:
    case MsghdrOut:
      return true;
    case IoctlArg:
      return i >= 1 && ioctl_writes_arg(call.args[i - 1]);
    default:
      return false;
  }
}

uint64_t previous(const CallText& call, unsigned i) {
  return i >= 1 ? call.args[i - 1] : 0;
}

uint64_t next(const CallText& call, unsigned i) {
  return i + 1 < call.args.size() ? call.args[i + 1] : 0;
}

std::optional<uint32_t> read_u32(const GuestReader& mem, uint64_t addr) {
  uint32_t value;
  if (addr == 0 || !mem.read(addr, &value, sizeof(value))) {
    return std::nullopt;
  }
  return value;
}

std::string format_ioctl_arg(uint64_t cmd, uint64_t value, const GuestReader& mem) {
  switch (cmd) {
    case TCGETS:
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
      return format_termios(mem, value);
    case TIOCGWINSZ:
    case TIOCSWINSZ:
      return format_winsize(mem, value);
    case FIONREAD:
    case TIOCOUTQ:
    case FIONBIO:
    case TIOCGPGRP:
    case TIOCSPGRP:
    case TIOCGSID:
      return format_int_ptr(mem, value);
    default:
      return format_address(value);
  }
}

std::string format_fcntl_arg(uint64_t cmd, uint64_t value) {
  switch (cmd) {
    case F_SETFD:
      return format_fd_flags(value);
    case F_SETFL:
      return format_open_flags(value);
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_SETOWN:
    case F_SETSIG:
    case F_SETPIPE_SZ:
      return format_int(value);
    case F_SETLEASE:
      return format_int(value);
    default:
      return format_address(value);
  }
}

// One argument's text, or nullopt where strace prints nothing for it.
std::optional<std::string> format_arg(const CallText& call, unsigned i, bool at_exit, uint64_t ret,
                                      const GuestReader& mem, const FormatOptions& opts) {
  const uint64_t v = call.args[i];
  if (at_exit && is_error_return(ret) && is_output(call, i)) {
    if (call.info->args[i] == IovecOut) {
      return format_iovec_addresses(mem, v, next(call, i), opts);
    }
    return format_address(v);
  }
  switch (call.info->args[i]) {
    case None:
    case Hex:
      return hex(v);
    case Int:
    case Fd:
    case Pid:
      return format_int(v);
    case Long:
    case Off:
      return std::to_string(static_cast<int64_t>(v));
    case UInt:
      return std::to_string(static_cast<uint32_t>(v));
    case Ptr:
      return format_address(v);
    case AtFd:
      return format_dirfd(v);
    case Id:
      return static_cast<uint32_t>(v) == UINT32_MAX ? "-1"
                                                    : std::to_string(static_cast<uint32_t>(v));
    case Size:
      return std::to_string(v);
    case Mode:
      // open's mode means something only when the call may create a file.
      if (i >= 1 && call.info->args[i - 1] == OpenFlags && !open_creates(previous(call, i))) {
        return std::nullopt;
      }
      return format_mode(v);
    case Path:
      return format_path(mem, v);
    case Str:
      return format_c_string(mem, v, opts);
    case InBuf:
      return format_buffer(mem, v, next(call, i), opts);
    case OutBuf:
      return format_buffer(mem, v, ret, opts);
    case RandomBuf:
      return format_buffer(mem, v, ret, opts, /*force_hex=*/true);
    case CwdOut:
      return format_buffer(mem, v, ret - 1, FormatOptions{.string_limit = 4096});
    case IovecIn:
      return format_iovec(mem, v, next(call, i), UINT64_MAX, opts);
    case IovecOut:
      return format_iovec(mem, v, next(call, i), ret, opts);
    case StrArray:
      return format_string_array(mem, v, opts);
    case EnvArray:
      return format_env_array(mem, v);
    case OpenFlags:
      return format_open_flags(v);
    case AtFlags:
      return format_at_flags(v);
    case AccessMode:
      return format_access_mode(v);
    case Whence:
      return format_whence(v);
    case Prot:
      return format_prot(v);
    case MmapFlags:
      return format_mmap_flags(v);
    case MremapFlags:
      return format_mremap_flags(v);
    case MadviseAdvice:
      return format_madvise(v);
    case MsyncFlags:
      return format_msync_flags(v);
    case CloneFlags:
      return format_clone_flags(v);
    case Signal:
      return format_signal(v);
    case SigprocmaskHow:
      return format_sigprocmask_how(v);
    case WaitOptions:
      return format_wait_options(v);
    case IdType:
      return format_idtype(v);
    case FutexOp:
      return format_futex_op(v);
    case ClockId:
      return format_clock_id(v);
    case Resource:
      return format_rlimit_resource(v);
    case RusageWho:
      return format_rusage_who(v);
    case GetrandomFlags:
      return format_getrandom_flags(v);
    case ArchPrctlCode:
      return format_arch_prctl_code(v);
    case PrctlOption:
      return format_prctl_option(v);
    case IoctlCmd:
      return format_ioctl_cmd(v);
    case IoctlArg:
      if (ioctl_takes_no_arg(previous(call, i))) {
        return std::nullopt;
      }
      return format_ioctl_arg(previous(call, i), v, mem);
    case FcntlCmd:
      return format_fcntl_cmd(v);
    case FcntlArg:
      if (fcntl_takes_no_arg(previous(call, i))) {
        return std::nullopt;
      }
      return format_fcntl_arg(previous(call, i), v);
    case PipeFlags:
      return format_pipe_flags(v);
    case EfdFlags:
      return format_efd_flags(v);
    case EpollCreateFlags:
      return format_epoll_create_flags(v);
    case EpollCtlOp:
      return format_epoll_ctl_op(v);
    case TimerfdFlags:
      return format_timerfd_flags(v);
    case Dup3Flags:
      return format_dup3_flags(v);
    case SockDomain:
      return format_socket_domain(v);
    case SockType:
      return format_socket_type(v);
    case SockProtocol:
      return format_socket_protocol(call.args[0], v);  // the domain is always first
    case MsgFlags:
      return format_msg_flags(v);
    case ShutdownHow:
      return format_shutdown_how(v);
    case SockoptLevel:
      return format_sockopt_level(v);
    case SockoptName:
      return format_sockopt_name(previous(call, i), v);
    case StatOut:
      return format_stat(mem, v);
    case TimespecIn:
    case TimespecOut:
      return format_timespec(mem, v);
    case TimevalOut:
      return format_timeval(mem, v);
    case TimeOut:
      return format_time_ptr(mem, v);
    case RlimitIn:
    case RlimitOut:
      return format_rlimit(mem, v);
    case UtsnameOut:
      return format_utsname(mem, v);
    case RusageOut:
      return format_rusage(mem, v);
    case IntOut:
      return format_int_ptr(mem, v);
    case FdPairOut:
      return format_fd_pair(mem, v);
    case SigsetIn:
    case SigsetOut:
      return format_sigset_at(mem, v, kSigsetBytes);
    case SigactionIn:
    case SigactionOut:
      return format_sigaction(mem, v);
    case SigreturnMask:
      return format_sigreturn_mask(mem, v);
    case StackIn:
    case StackOut:
      return format_stack(mem, v);
    case WaitStatusOut: {
      auto status = read_u32(mem, v);
      if (!status) {
        return format_address(v);
      }
      return format_wait_status(static_cast<int>(*status));  // brackets included
    }
    case PollfdArray:
      return format_pollfds(mem, v, next(call, i));
    case EpollEventIn:
      return format_epoll_event(mem, v);
    case EpollEventsOut:
      return format_epoll_events_array(mem, v, ret);
    case SockaddrIn:
      return format_sockaddr(mem, v, next(call, i));
    case SockaddrOut: {
      if (v == 0) {
        return format_address(v);
      }
      auto len = read_u32(mem, next(call, i));
      uint64_t shown = len ? std::min<uint64_t>(*len, call.saved[i + 1]) : 0;
      return format_sockaddr(mem, v, shown);
    }
    case SockLenInOut: {
      auto after = read_u32(mem, v);
      if (v == 0 || !after) {
        return format_address(v);
      }
      if (*after == call.saved[i]) {
        return fmt::format("[{}]", *after);
      }
      return fmt::format("[{} => {}]", call.saved[i], *after);
    }
    case MsghdrIn:
      return format_msghdr(mem, v, UINT64_MAX, opts);
    case MsghdrOut:
      return format_msghdr(mem, v, ret, opts);
  }
  return hex(v);
}

// Arguments [first, last) joined by ", "; `leading` says whether text was
// already printed before them in this call.
std::string format_args(const CallText& call, unsigned first, unsigned last, bool at_exit,
                        uint64_t ret, const GuestReader& mem, const FormatOptions& opts,
                        bool leading) {
  std::string out;
  for (unsigned i = first; i < last; ++i) {
    auto text = format_arg(call, i, at_exit, ret, mem, opts);
    if (!text) {
      continue;
    }
    if (leading) {
      out += ", ";
    }
    out += *text;
    leading = true;
  }
  return out;
}

unsigned arg_count(const CallText& call) {
  if (call.info == nullptr) {
    return 6;
  }
  // futex: strace prints only the arguments the operation reads.
  // FIXME: the other operations' shapes (bitsets, requeue, wake_op).
  if (call.info->name == "futex") {
    const uint64_t command = call.args[1] & ~uint64_t{FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME};
    if (command == FUTEX_WAKE) {
      return 3;
    }
    if (command == FUTEX_WAIT) {
      return 4;
    }
  }
  return call.info->arg_count;
}

// clone(2) as strace prints it: named arguments, the stack and flags at
// entry, then at exit the ones the flags make meaningful.
constexpr uint64_t kCloneExitFlags =
    CLONE_PARENT_SETTID | CLONE_PIDFD | CLONE_SETTLS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;

bool is_clone(const CallText& call) {
  return call.info != nullptr && call.info->name == "clone";
}

std::string clone_entry(const CallText& call) {
  return "child_stack=" + format_address(call.args[1]) +
         ", flags=" + format_clone_flags(call.args[0]);
}

std::string clone_exit(const CallText& call, const GuestReader& mem) {
  const uint64_t flags = call.args[0];
  std::string out;
  if ((flags & (CLONE_PARENT_SETTID | CLONE_PIDFD)) != 0) {
    auto value = read_u32(mem, call.args[2]);
    out += ", parent_tid=" + (value ? fmt::format("[{}]", *value) : format_address(call.args[2]));
  }
  if ((flags & CLONE_SETTLS) != 0) {
    out += ", tls=" + format_address(call.args[arch::kCloneTlsArg]);
  }
  if ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) != 0) {
    out += ", child_tidptr=" + format_address(call.args[arch::kCloneChildTidArg]);
  }
  return out;
}

}  // namespace

std::string call_name(const CallText& call) {
  if (call.info != nullptr) {
    return std::string(call.info->name);
  }
  return fmt::format("syscall_{:#x}", call.number);
}

std::string decode_entry(CallText& call, const GuestReader& mem, const FormatOptions& opts) {
  const unsigned count = arg_count(call);
  if (call.info == nullptr) {
    // A number the table lacks: strace prints six raw arguments.
    call.split = count;
    std::string out;
    for (unsigned i = 0; i < count; ++i) {
      out += (i == 0 ? "" : ", ") + hex(call.args[i]);
    }
    return out;
  }
  call.split = count;
  if (is_clone(call)) {
    return clone_entry(call);
  }
  for (unsigned i = 0; i < count; ++i) {
    if (call.info->args[i] == SockLenInOut) {
      call.saved[i] = read_u32(mem, call.args[i]).value_or(0);
    }
    if (is_output(call, i) && call.split == count) {
      call.split = i;
    }
  }
  std::string out = format_args(call, 0, call.split, false, 0, mem, opts, false);
  if (call.split < count && !out.empty()) {
    out += ", ";
  }
  return out;
}

std::string decode_exit(const CallText& call, uint64_t ret, const GuestReader& mem,
                        const FormatOptions& opts, std::string* suffix) {
  suffix->clear();
  std::string out;
  if (is_clone(call)) {
    return clone_exit(call, mem) + ")";
  }
  if (call.info != nullptr) {
    out = format_args(call, call.split, arg_count(call), true, ret, mem, opts, false);
    for (unsigned i = 0; i < arg_count(call); ++i) {
      if (call.info->args[i] == PollfdArray && !is_error_return(ret)) {
        *suffix = ret == 0 ? " (Timeout)"
                           : " (" + format_pollfds_revents(mem, call.args[i], next(call, i)) + ")";
      }
    }
  }
  return out + ")";
}

std::string format_return(const CallText& call, uint64_t ret) {
  if (is_error_return(ret)) {
    const int err = static_cast<int>(-static_cast<int64_t>(ret));
    return fmt::format("-1 {} ({})", errno_name(err), errno_text(err));
  }
  if (call.info == nullptr) {
    return std::to_string(static_cast<int64_t>(ret));
  }
  const std::string_view name = call.info->name;
  if (name == "mmap" || name == "brk" || name == "mremap" || name == "shmat") {
    return hex(ret);
  }
  if (name == "time") {
    return format_time_result(static_cast<int64_t>(ret));
  }
  if (name == "fcntl" && call.args[1] == F_GETFL) {
    return fmt::format("{} (flags {})", hex(ret), format_open_flags(ret));
  }
  if (name == "fcntl" && call.args[1] == F_GETFD) {
    return fmt::format("{} (flags {})", hex(ret), format_fd_flags(ret));
  }
  return std::to_string(static_cast<int64_t>(ret));
}

}  // namespace moat::sentry::strace
