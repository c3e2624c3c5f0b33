#include <sys/time.h>

#include <ctime>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/user_time.h"

namespace moat::sentry {
namespace {

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

}  // namespace

// Implements Linux syscall clock_gettime(2).
// FIXME: per-process and per-thread CPU clocks of other tasks (negative ids).
SysResult sys_clock_gettime(Task& t, int clock, UserAddr tp) {
  if (!clock_allowed(clock)) {
    return Errno::kEINVAL;
  }
  timespec ts{};
  ::clock_gettime(clock, &ts);
  TRY(store_timespec(t.mm(), tp.value, ts));
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
    TRY(store_timespec(t.mm(), res.value, ts));
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

namespace moat::sentry {
namespace {

// Sleeps until `deadline`; a signal ends it early with EINTR and, for a
// relative sleep, what was left written to `rem` (if given).
SysResult sleep_until(Task& t, const Deadline& deadline, UserAddr rem) {
  if (t.sleep(deadline, [] { return false; }) != WakeReason::kInterrupted) {
    return 0;
  }
  if (!rem.null()) {
    TRY(store_timespec(t.mm(), rem.value, deadline.remaining()));
  }
  return Errno::kEINTR;
}

}  // namespace

// Implements Linux syscall nanosleep(2), on CLOCK_MONOTONIC.
SysResult sys_nanosleep(Task& t, UserAddr req, UserAddr rem) {
  const timespec duration = TRY(load_timespec(t.mm(), req.value));
  return sleep_until(t, Deadline::after(CLOCK_MONOTONIC, duration), rem);
}

// Implements Linux syscall clock_nanosleep(2).
// FIXME: sleeping on the process CPU-time clock answers EOPNOTSUPP.
SysResult sys_clock_nanosleep(Task& t, int clock, int flags, UserAddr req, UserAddr rem) {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
      break;
    default:
      // Linux has no sleep on the coarse and raw clocks nor on a thread's
      // CPU time (EOPNOTSUPP), and none on the alarm clocks without an RTC.
      if (!clock_allowed(clock)) {
        return Errno::kEINVAL;
      }
      return Errno::kENOTSUP;
  }
  const timespec when = TRY(load_timespec(t.mm(), req.value));
  if ((flags & TIMER_ABSTIME) != 0) {
    return sleep_until(t, Deadline{clock, when}, UserAddr{});
  }
  return sleep_until(t, Deadline::after(clock, when), rem);
}

}  // namespace moat::sentry
