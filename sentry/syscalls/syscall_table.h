#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace moat::sentry {

class Task;

enum class SupportStatus : uint8_t { kSupported, kPartial, kUnsupported };

// How trace mode decodes an argument (sentry/strace). Names are used bare in
// syscalls.def. Kinds marked "out" are printed when the call returns, as
// strace does; a kind marked "+len"/"+count" takes its length from the next
// argument.
namespace arg {
enum ArgKind : uint8_t {
  None,
  // plain values
  Int,   // signed decimal (low 32 bits)
  Long,  // signed decimal (64 bits)
  UInt,  // unsigned decimal (low 32 bits)
  Hex,   // 0x-prefixed hex
  Ptr,   // NULL or hex address
  Fd,
  AtFd,  // AT_FDCWD or an fd
  Pid,
  Id,    // uid/gid: -1 printed as -1
  Size,  // unsigned decimal (64 bits)
  Off,   // signed decimal (64 bits)
  Mode,  // octal
  // strings and buffers
  Path,
  Str,        // NUL-terminated, limited by -s
  InBuf,      // +len: bytes the call reads (write)
  OutBuf,     // out, +len: bytes the call writes, as many as it returns (read)
  CwdOut,     // out: getcwd's path, as many bytes as it returns less the NUL
  RandomBuf,  // out, +len: as OutBuf, printed in hex (getrandom)
  IovecIn,    // +count
  IovecOut,   // out, +count
  StrArray,   // execve argv
  EnvArray,   // execve envp: address and /* N vars */
  // flag sets and symbolic values
  OpenFlags,
  AtFlags,
  AccessMode,
  Whence,
  Prot,
  MmapFlags,
  MremapFlags,
  MadviseAdvice,
  MsyncFlags,
  CloneFlags,
  Signal,
  SigprocmaskHow,
  WaitOptions,
  IdType,
  FutexOp,
  ClockId,
  Resource,
  RusageWho,
  GetrandomFlags,
  ArchPrctlCode,
  PrctlOption,
  IoctlCmd,
  FcntlCmd,
  FcntlArg,  // decoded by the previous argument (F_SETFD, F_SETFL, F_DUPFD...)
  PipeFlags,
  EfdFlags,
  EpollCreateFlags,
  EpollCtlOp,
  TimerfdFlags,
  Dup3Flags,
  SockDomain,
  SockType,
  SockProtocol,  // decoded by the domain argument
  MsgFlags,
  ShutdownHow,
  SockoptLevel,
  SockoptName,  // decoded by the level argument
  // structures
  StatOut,  // out
  TimespecIn,
  TimespecOut,  // out
  TimevalOut,   // out
  TimeOut,      // out: time(2)'s [seconds /* date */]
  RlimitIn,
  RlimitOut,   // out
  UtsnameOut,  // out
  RusageOut,   // out
  IntOut,      // out: [N] (getresuid's pointers, socklen_t*)
  FdPairOut,   // out: [3, 4] (pipe2, socketpair)
  SigsetIn,    // +size
  SigsetOut,   // out, +size
  SigactionIn,
  SigactionOut,   // out
  SigreturnMask,  // rt_sigreturn: the dispatcher passes the frame's sigmask address
  StackIn,        // stack_t
  StackOut,       // out
  WaitStatusOut,  // out
  PollfdArray,    // +count; revents on exit
  EpollEventIn,
  EpollEventsOut,  // out, +count (epoll_wait's maxevents): as many as it returns
  SockaddrIn,      // +len
  SockaddrOut,     // out, then the next argument is its SockLenInOut
  SockLenInOut,    // out: [112 => 16]
  MsghdrIn,
  MsghdrOut,  // out
  IoctlArg,   // decoded by the command argument
};
}  // namespace arg
using arg::ArgKind;

using SyscallArgs = std::array<uint64_t, 6>;
// Returns the value for the guest's return register: a result, or -errno.
using SyscallHandler = uint64_t (*)(Task&, const SyscallArgs&);

struct SyscallInfo {
  std::string_view name;
  int amd64 = -1;  // -1: the architecture has no such syscall
  int arm64 = -1;
  SupportStatus status = SupportStatus::kUnsupported;
  SyscallHandler handler = nullptr;
  std::array<ArgKind, 6> args{};
  uint8_t arg_count = 0;
};

// Every row of syscalls.def, in file order.
std::span<const SyscallInfo> syscall_table();
// The row for this architecture's syscall `number`, or nullptr.
const SyscallInfo* find_syscall(uint64_t number);
std::string_view status_name(SupportStatus status);

// Decodes the trapped syscall from the task's registers, runs it and writes
// the result back.
void dispatch_syscall(Task& task);

}  // namespace moat::sentry
