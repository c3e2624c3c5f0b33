#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>

namespace moat::sentry {

// An absolute point on a host clock that guest timeouts are measured on
// (CLOCK_MONOTONIC or CLOCK_REALTIME; the guest reads the host's clocks).
struct Deadline {
  clockid_t clock = CLOCK_MONOTONIC;
  timespec at{};

  // `relative` from now on `clock`.
  static Deadline after(clockid_t clock, const timespec& relative) {
    timespec now{};
    clock_gettime(clock, &now);
    Deadline d{clock, now};
    d.at.tv_sec += relative.tv_sec;
    d.at.tv_nsec += relative.tv_nsec;
    if (d.at.tv_nsec >= 1'000'000'000) {
      d.at.tv_nsec -= 1'000'000'000;
      ++d.at.tv_sec;
    }
    return d;
  }

  // What is left of it, zero once passed.
  timespec remaining() const {
    timespec now{};
    clock_gettime(clock, &now);
    int64_t ns =
        (static_cast<int64_t>(at.tv_sec) - now.tv_sec) * 1'000'000'000 + (at.tv_nsec - now.tv_nsec);
    if (ns < 0) {
      ns = 0;
    }
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  }
};

}  // namespace moat::sentry
