// clock_gettime, clock_getres, gettimeofday, time. Made as real syscalls:
// glibc would answer these from the vDSO on Linux.

#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tests/util/syscall_test_util.h"

namespace {

void* const kBadPointer = reinterpret_cast<void*>(8);

// Every clock id Linux answers without special hardware; the *_ALARM clocks
// need an RTC and fail with EINVAL on machines without one.
const clockid_t kClocks[] = {CLOCK_REALTIME,          CLOCK_MONOTONIC,     CLOCK_PROCESS_CPUTIME_ID,
                             CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                             CLOCK_MONOTONIC_COARSE,  CLOCK_BOOTTIME,      CLOCK_TAI};

bool not_before(const timespec& a, const timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

TEST(ClockGettime, EveryClockIsValidAndMonotonic) {
  MOAT_COVERS("clock_gettime");
  for (clockid_t clock : kClocks) {
    timespec a{};
    timespec b{};
    ASSERT_SUCCEEDS(syscall(SYS_clock_gettime, clock, &a)) << "clock " << clock;
    ASSERT_SUCCEEDS(syscall(SYS_clock_gettime, clock, &b)) << "clock " << clock;
    EXPECT_GE(a.tv_nsec, 0) << "clock " << clock;
    EXPECT_LT(a.tv_nsec, 1000000000) << "clock " << clock;
    if (clock != CLOCK_REALTIME && clock != CLOCK_REALTIME_COARSE && clock != CLOCK_TAI) {
      EXPECT_TRUE(not_before(b, a)) << "clock " << clock << " went backwards";
    }
  }
}

TEST(ClockGettime, RealtimeIsAfter2020) {
  MOAT_COVERS("clock_gettime");
  timespec ts{};
  ASSERT_SUCCEEDS(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts));
  EXPECT_GT(ts.tv_sec, 1577836800);  // 2020-01-01
}

TEST(ClockGettime, MonotonicAdvancesAcrossCalls) {
  MOAT_COVERS("clock_gettime");
  timespec first{};
  ASSERT_SUCCEEDS(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &first));
  timespec now{};
  // A handful of calls: each takes far more than a nanosecond.
  for (int i = 0; i < 5; ++i) {
    ASSERT_SUCCEEDS(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now));
  }
  EXPECT_TRUE(now.tv_sec > first.tv_sec || now.tv_nsec > first.tv_nsec);
}

TEST(ClockGettime, BadClockIsEinval) {
  MOAT_COVERS("clock_gettime");
  timespec ts{};
  EXPECT_FAILS_WITH(syscall(SYS_clock_gettime, 1000, &ts), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_clock_gettime, 12, &ts), EINVAL);
}

TEST(ClockGettime, BadPointerIsEfault) {
  MOAT_COVERS("clock_gettime");
  EXPECT_FAILS_WITH(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, kBadPointer), EFAULT);
}

TEST(ClockGetres, EveryClock) {
  MOAT_COVERS("clock_getres");
  for (clockid_t clock : kClocks) {
    timespec res{-1, -1};
    ASSERT_SUCCEEDS(syscall(SYS_clock_getres, clock, &res)) << "clock " << clock;
    EXPECT_EQ(res.tv_sec, 0) << "clock " << clock;
    EXPECT_GT(res.tv_nsec, 0) << "clock " << clock;
    EXPECT_LE(res.tv_nsec, 10000000) << "clock " << clock;
    // A null result is allowed.
    EXPECT_SUCCEEDS(syscall(SYS_clock_getres, clock, nullptr)) << "clock " << clock;
  }
}

TEST(ClockGetres, Errors) {
  MOAT_COVERS("clock_getres");
  timespec res{};
  EXPECT_FAILS_WITH(syscall(SYS_clock_getres, 1000, &res), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_clock_getres, CLOCK_MONOTONIC, kBadPointer), EFAULT);
}

TEST(Gettimeofday, AgreesWithRealtime) {
  MOAT_COVERS("gettimeofday", "clock_gettime");
  timeval tv{};
  ASSERT_SUCCEEDS(syscall(SYS_gettimeofday, &tv, nullptr));
  timespec ts{};
  ASSERT_SUCCEEDS(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts));
  EXPECT_GE(tv.tv_usec, 0);
  EXPECT_LT(tv.tv_usec, 1000000);
  EXPECT_LE(tv.tv_sec, ts.tv_sec);
  EXPECT_GE(tv.tv_sec + 2, ts.tv_sec);
}

TEST(Gettimeofday, NullArgumentsAndTimezone) {
  MOAT_COVERS("gettimeofday");
  EXPECT_SUCCEEDS(syscall(SYS_gettimeofday, nullptr, nullptr));
  struct timezone tz {};
  EXPECT_SUCCEEDS(syscall(SYS_gettimeofday, nullptr, &tz));
}

TEST(Gettimeofday, BadPointerIsEfault) {
  MOAT_COVERS("gettimeofday");
  EXPECT_FAILS_WITH(syscall(SYS_gettimeofday, kBadPointer, nullptr), EFAULT);
}

#ifdef SYS_time
TEST(Time, ReturnsAndStoresSeconds) {
  MOAT_COVERS("time", "clock_gettime");
  time_t stored = 0;
  long t = syscall(SYS_time, &stored);
  timespec ts{};
  ASSERT_SUCCEEDS(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts));
  EXPECT_EQ(t, stored);
  EXPECT_LE(t, ts.tv_sec);
  EXPECT_GE(t + 2, ts.tv_sec);
  EXPECT_GT(syscall(SYS_time, nullptr), 1577836800);
}

TEST(Time, BadPointerIsEfault) {
  MOAT_COVERS("time");
  EXPECT_FAILS_WITH(syscall(SYS_time, kBadPointer), EFAULT);
}
#endif

}  // namespace
