#pragma once

#include <sys/resource.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace moat::sentry {

inline constexpr uint64_t kRlimInfinity = ~uint64_t{0};

struct Rlimit {
  uint64_t cur = kRlimInfinity;
  uint64_t max = kRlimInfinity;
};

// A process's resource limits (RLIMIT_*), with Linux's defaults for a
// process started by a login shell.
class Limits {
 public:
  static constexpr int kCount = RLIM_NLIMITS;

  Limits();
  const Rlimit& get(int resource) const { return m_limits[static_cast<size_t>(resource)]; }
  void set(int resource, Rlimit value) { m_limits[static_cast<size_t>(resource)] = value; }

 private:
  std::array<Rlimit, kCount> m_limits;
};

}  // namespace moat::sentry
