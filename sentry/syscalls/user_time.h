#pragma once

// timespec arguments as the guest passes them (64-bit seconds and
// nanoseconds on both architectures).

#include <time.h>

#include <cstdint>
#include <span>

#include "base/result.h"
#include "sentry/mm/memory_manager.h"

namespace moat::sentry {

struct GuestTimespec {
  int64_t sec;
  int64_t nsec;
};

// A timeout or sleep time: EFAULT for a bad pointer, EINVAL for a negative
// time or nanoseconds outside [0, 1e9).
inline Result<timespec> load_timespec(MemoryManager& mm, uint64_t addr) {
  GuestTimespec in{};
  TRY(mm.copy_in(addr, std::as_writable_bytes(std::span(&in, 1))));
  if (in.sec < 0 || in.nsec < 0 || in.nsec >= 1'000'000'000) {
    return Errno::kEINVAL;
  }
  return timespec{static_cast<time_t>(in.sec), static_cast<long>(in.nsec)};
}

inline Result<void> store_timespec(MemoryManager& mm, uint64_t addr, const timespec& ts) {
  const GuestTimespec out{ts.tv_sec, ts.tv_nsec};
  return mm.copy_out(addr, std::as_bytes(std::span(&out, 1)));
}

}  // namespace moat::sentry
