#pragma once

#include <type_traits>
#include <utility>

#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall_table.h"

namespace moat::sentry {

// Converts a raw register to a handler's parameter type. Integer types take
// the low bits, as Linux's syscall wrappers do for int arguments.
template <typename T>
T decode_arg(uint64_t raw) {
  if constexpr (std::is_same_v<T, UserAddr>) {
    return UserAddr{raw};
  } else {
    static_assert(std::is_integral_v<T>, "syscall arguments are integers or UserAddr");
    return static_cast<T>(raw);
  }
}

inline uint64_t encode_result(const SysResult& result) {
  if (!result) {
    return static_cast<uint64_t>(-static_cast<int64_t>(to_int(result.error())));
  }
  return *result;
}

template <typename... Params>
uint64_t invoke_handler(SysResult (*handler)(Task&, Params...), Task& task,
                        const SyscallArgs& args) {
  static_assert(sizeof...(Params) <= 6);
  return [&]<size_t... I>(std::index_sequence<I...>) {
    return encode_result(handler(task, decode_arg<Params>(args[I])...));
  }
  (std::index_sequence_for<Params...>{});
}

// A SyscallHandler for a typed handler function.
template <auto Handler>
uint64_t invoke(Task& task, const SyscallArgs& args) {
  return invoke_handler(Handler, task, args);
}

}  // namespace moat::sentry
