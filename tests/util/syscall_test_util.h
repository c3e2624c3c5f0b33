#pragma once

// Helpers for the conformance suite (DESIGN.md, "Conformance suite"). Every
// test here must pass on Linux first; the runner then runs it under moat.
//
//   MOAT_COVERS("mmap", "munmap");          // at the start of each test
//   EXPECT_SUCCEEDS(syscall(SYS_getpid));   // the call does not return -1
//   EXPECT_FAILS_WITH(syscall(SYS_brk, ...), EINVAL);
//
// The calls are retried while they fail with EINTR. Tests call the kernel
// through syscall(2), not glibc wrappers that may answer from the vDSO or from
// a cache, so that the call under test really reaches the kernel (or moat).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>
#include <type_traits>

namespace moat::conformance {

// Records which syscalls the running test covers, as the test property
// "syscalls" (comma-separated table names). The runner reads it from
// GoogleTest's JSON output of passing native runs.
inline void record_covers(std::initializer_list<const char*> names) {
  std::string list;
  for (const char* name : names) {
    if (!list.empty()) {
      list += ',';
    }
    list += name;
  }
  ::testing::Test::RecordProperty("syscalls", list);
}

// The outcome of one call: its return value as a long and errno after it.
struct CallResult {
  long value;
  int error;
};

// Runs `call` until it does not fail with EINTR. Pointer results (mmap) are
// returned as their address.
template <typename F>
CallResult retry_eintr(F&& call) {
  for (;;) {
    errno = 0;
    auto value = call();
    int error = errno;
    long as_long;
    if constexpr (std::is_pointer_v<decltype(value)>) {
      as_long = reinterpret_cast<long>(value);
    } else {
      as_long = static_cast<long>(value);
    }
    if (as_long == -1 && error == EINTR) {
      continue;
    }
    return {as_long, error};
  }
}

inline std::string errno_text(int error) {
  const char* name = strerrorname_np(error);
  return std::string(name != nullptr ? name : "?") + " (" + std::to_string(error) + ")";
}

inline ::testing::AssertionResult succeeds(const char* expr, CallResult result) {
  if (result.value != -1) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << expr << " failed with " << errno_text(result.error);
}

inline ::testing::AssertionResult fails_with(const char* expr, CallResult result, int want) {
  if (result.value != -1) {
    return ::testing::AssertionFailure()
           << expr << " returned " << result.value << ", want failure with " << errno_text(want);
  }
  if (result.error != want) {
    return ::testing::AssertionFailure()
           << expr << " failed with " << errno_text(result.error) << ", want " << errno_text(want);
  }
  return ::testing::AssertionSuccess();
}

// An owned file descriptor, closed on destruction.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : m_fd(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  int get() const { return m_fd; }

 private:
  int m_fd;
};

}  // namespace moat::conformance

#define MOAT_COVERS(...) ::moat::conformance::record_covers({__VA_ARGS__})

#define MOAT_CALL(expr) ::moat::conformance::retry_eintr([&] { return (expr); })
#define EXPECT_SUCCEEDS(expr) EXPECT_TRUE(::moat::conformance::succeeds(#expr, MOAT_CALL(expr)))
#define ASSERT_SUCCEEDS(expr) ASSERT_TRUE(::moat::conformance::succeeds(#expr, MOAT_CALL(expr)))
#define EXPECT_FAILS_WITH(expr, err) \
  EXPECT_TRUE(::moat::conformance::fails_with(#expr, MOAT_CALL(expr), err))
#define ASSERT_FAILS_WITH(expr, err) \
  ASSERT_TRUE(::moat::conformance::fails_with(#expr, MOAT_CALL(expr), err))
