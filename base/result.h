#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/errno.h"

namespace moat {

// Result<T, E> holds either a value or an error (an Errno unless stated), in
// the manner of std::expected. `TRY(expr)` unwraps a value or returns the error.
template <typename T, typename E = Errno>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(const T& value) : m_data(std::in_place_index<0>, value) {}        // NOLINT
  Result(T&& value) : m_data(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(E error) : m_data(std::in_place_index<1>, std::move(error)) {}    // NOLINT
  template <typename U>
  requires(std::is_convertible_v<U, T> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, E>) Result(U&& value)
      : m_data(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT

  bool has_value() const { return m_data.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(m_data);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(m_data);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(m_data));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const {
    assert(!has_value());
    return std::get<1>(m_data);
  }

 private:
  std::variant<T, E> m_data;
};

template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  Result(E error) : m_error(std::move(error)), m_ok(false) {}  // NOLINT

  bool has_value() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  void value() const { assert(m_ok); }
  const E& error() const {
    assert(!m_ok);
    return m_error;
  }

 private:
  E m_error{};
  bool m_ok = true;
};

// An error with a message, for setup paths (platform, loader, cli) where a
// human reads the failure: "KVM_CREATE_VM: Permission denied".
struct Error {
  std::string message;
  int sys_errno = 0;  // the host errno behind it, 0 if none
};

// Builds an Error from a failing host call: "what: strerror(errno)".
Error host_error(std::string_view what, int err);
Error make_error(std::string message);

}  // namespace moat

// Evaluates a Result; on error returns the error from the enclosing function,
// otherwise yields the value. (A GNU statement expression: GCC and Clang.)
#define TRY(expr)                            \
  ({                                         \
    auto&& _moat_try = (expr);               \
    if (!_moat_try.has_value()) [[unlikely]] \
      return _moat_try.error();              \
    std::move(_moat_try).value();            \
  })
