#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace moat::sentry {

class Task;

enum class SupportStatus : uint8_t { kSupported, kPartial, kUnsupported };

// How trace mode decodes an argument. Names are used bare in syscalls.def.
namespace arg {
enum ArgKind : uint8_t {
  None,
  Int,
  UInt,
  Hex,
  Ptr,
  Fd,
  AtFd,
  Pid,
  Path,
  InBuf,
  OutBuf,
  Size,
  IovecIn,
  IovecOut,
  IoctlCmd,
  StatOut,
  AtFlags,
  Prot,
  MmapFlags,
  UtsnameOut,
  Resource,
  RlimitIn,
  RlimitOut,
  GetrandomFlags,
  ArchPrctlCode,
  ClockId,
  TimespecOut,
  TimevalOut,
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
