#include "sentry/syscalls/syscall_table.h"

#include <vector>

#include "arch_abi.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/strace/mm_reader.h"
#include "sentry/strace/tracer.h"
#include "sentry/syscalls/invoke.h"

namespace moat::sentry {
namespace {

using namespace arg;  // NOLINT: the .def names argument kinds bare

#define MOAT_ARGS(...) std::array<ArgKind, 6>{__VA_ARGS__}, MOAT_COUNT(__VA_ARGS__)
#define MOAT_COUNT(...) static_cast<uint8_t>(std::initializer_list<ArgKind>{__VA_ARGS__}.size())

constexpr SupportStatus kSupported = SupportStatus::kSupported;
constexpr SupportStatus kPartial = SupportStatus::kPartial;

const SyscallInfo kTable[] = {
#define SYSCALL(name, amd64, arm64, status, handler, ...) \
  {#name, amd64, arm64, status, &invoke<&handler>, MOAT_ARGS(__VA_ARGS__)},
#define UNSUPPORTED(name, amd64, arm64, ...) \
  {#name, amd64, arm64, SupportStatus::kUnsupported, nullptr, MOAT_ARGS(__VA_ARGS__)},
#include "sentry/syscalls/syscalls.def"
#undef SYSCALL
#undef UNSUPPORTED
};

constexpr size_t kMaxNumber = 1024;

// This architecture's number -> row.
const std::vector<const SyscallInfo*>& by_number() {
  static const std::vector<const SyscallInfo*> index = [] {
    std::vector<const SyscallInfo*> v(kMaxNumber, nullptr);
    for (const auto& info : kTable) {
      int number = arch::syscall_number(info.amd64, info.arm64);
      if (number >= 0 && static_cast<size_t>(number) < kMaxNumber) {
        v[static_cast<size_t>(number)] = &info;
      }
    }
    return v;
  }();
  return index;
}

}  // namespace

std::span<const SyscallInfo> syscall_table() {
  return kTable;
}

const SyscallInfo* find_syscall(uint64_t number) {
  return number < kMaxNumber ? by_number()[number] : nullptr;
}

std::string_view status_name(SupportStatus status) {
  switch (status) {
    case SupportStatus::kSupported:
      return "supported";
    case SupportStatus::kPartial:
      return "partial";
    case SupportStatus::kUnsupported:
      return "unsupported";
  }
  return "?";
}

namespace {

uint64_t run_syscall(Task& task, uint64_t number, const SyscallInfo* info,
                     const SyscallArgs& args) {
  if (info != nullptr && info->handler != nullptr) [[likely]] {
    return info->handler(task, args);
  }
  task.kernel().note_unsupported_syscall(number, info != nullptr ? info->name.data() : nullptr);
  return static_cast<uint64_t>(-static_cast<int64_t>(ENOSYS));
}

// The syscall path with trace mode on: the same call between the tracer's
// entry and exit hooks.
[[gnu::noinline]] void dispatch_traced(Task& task, strace::Tracer& tracer, uint64_t number,
                                       const SyscallInfo* info) {
  const SyscallArgs args = arch::syscall_args(task.regs());
  const strace::MmReader memory(task.mm());
  SyscallArgs shown = args;
  if (info != nullptr && info->arg_count > 0 && info->args[0] == ArgKind::SigreturnMask) {
    shown[0] = arch::sigreturn_mask_address(task.regs());
  }
  tracer.syscall_entry(task.tid(), task.trace_call(), number, info, shown, memory);
  const uint64_t ret = run_syscall(task, number, info, args);
  if (task.exiting()) {
    tracer.syscall_no_return(task.tid(), task.trace_call());
    return;
  }
  arch::set_syscall_return(task.regs(), ret);
  tracer.syscall_exit(task.tid(), task.trace_call(), ret, memory);
}

}  // namespace

void dispatch_syscall(Task& task) {
  auto& regs = task.regs();
  const uint64_t number = arch::syscall_number(regs);
  const SyscallInfo* info = find_syscall(number);
  if (strace::Tracer* tracer = task.kernel().tracer()) [[unlikely]] {
    dispatch_traced(task, *tracer, number, info);
    return;
  }
  arch::set_syscall_return(regs, run_syscall(task, number, info, arch::syscall_args(regs)));
}

}  // namespace moat::sentry
