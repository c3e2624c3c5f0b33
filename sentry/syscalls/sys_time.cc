#include <sys/time.h>

#include <ctime>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

struct GuestTimespec {
  int64_t sec;
  int64_t nsec;
};

// The clocks a guest may read; the process and thread CPU clocks are moat's
// own process and thread, which run the guest.
bool clock_allowed(int clock) {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
    case CLOCK_TAI:
      return true;
    default:
      return false;
  }
}

Result<void> put_timespec(Task& t, uint64_t addr, const timespec& ts) {
  GuestTimespec out{ts.tv_sec, ts.tv_nsec};
  return t.mm().copy_out(addr, std::as_bytes(std::span(&out, 1)));
}

}  // namespace

// Implements Linux syscall clock_gettime(2).
// FIXME: per-process and per-thread CPU clocks of other tasks (negative ids).
SysResult sys_clock_gettime(Task& t, int clock, UserAddr tp) {
  if (!clock_allowed(clock)) {
    return Errno::kEINVAL;
  }
  timespec ts{};
  ::clock_gettime(clock, &ts);
  TRY(put_timespec(t, tp.value, ts));
  return 0;
}

// Implements Linux syscall clock_getres(2).
SysResult sys_clock_getres(Task& t, int clock, UserAddr res) {
  if (!clock_allowed(clock)) {
    return Errno::kEINVAL;
  }
  timespec ts{};
  ::clock_getres(clock, &ts);
  if (!res.null()) {
    TRY(put_timespec(t, res.value, ts));
  }
  return 0;
}

// Implements Linux syscall gettimeofday(2). The timezone is always UTC.
SysResult sys_gettimeofday(Task& t, UserAddr tv, UserAddr tz) {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  if (!tv.null()) {
    GuestTimespec out{ts.tv_sec, ts.tv_nsec / 1000};
    TRY(t.mm().copy_out(tv.value, std::as_bytes(std::span(&out, 1))));
  }
  if (!tz.null()) {
    int32_t zone[2] = {0, 0};
    TRY(t.mm().copy_out(tz.value, std::as_bytes(std::span(zone))));
  }
  return 0;
}

// Implements Linux syscall time(2).
SysResult sys_time(Task& t, UserAddr tloc) {
  int64_t now = ::time(nullptr);
  if (!tloc.null()) {
    TRY(t.mm().copy_out(tloc.value, std::as_bytes(std::span(&now, 1))));
  }
  return static_cast<uint64_t>(now);
}

}  // namespace moat::sentry
