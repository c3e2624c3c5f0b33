#include "sentry/syscalls/syscall_table.h"

#include <vector>

#include "arch_abi.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
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
#define UNSUPPORTED(name, amd64, arm64) \
  {#name, amd64, arm64, SupportStatus::kUnsupported, nullptr, {}, 0},
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

void dispatch_syscall(Task& task) {
  auto& regs = task.regs();
  const uint64_t number = arch::syscall_number(regs);
  const SyscallInfo* info = find_syscall(number);
  uint64_t ret;
  if (info != nullptr && info->handler != nullptr) [[likely]] {
    ret = info->handler(task, arch::syscall_args(regs));
  } else {
    task.kernel().note_unsupported_syscall(number, info != nullptr ? info->name.data() : nullptr);
    ret = static_cast<uint64_t>(-static_cast<int64_t>(ENOSYS));
  }
  arch::set_syscall_return(regs, ret);
}

}  // namespace moat::sentry
