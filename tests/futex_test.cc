// futex(2) as a single-threaded process sees it: wakes find no waiter, a
// wait whose value differs fails at once, a matching wait sleeps until its
// timeout, and the argument checks. Waits that another thread ends belong
// with threads (issue 6).

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdint>

#include "tests/util/syscall_test_util.h"

namespace {

long futex(void* uaddr, int op, uint32_t val, const void* timeout_or_val2 = nullptr,
           void* uaddr2 = nullptr, uint32_t val3 = 0) {
  return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

TEST(Futex, WakeWithoutWaitersWakesNobody) {
  MOAT_COVERS("futex");
  alignas(4) static uint32_t word = 0;
  EXPECT_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX), 0);
  EXPECT_EQ(futex(&word, FUTEX_WAKE, 1), 0);
  EXPECT_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, nullptr, nullptr, FUTEX_BITSET_MATCH_ANY),
            0);
}

TEST(Futex, WaitOnAChangedValueIsEagain) {
  MOAT_COVERS("futex");
  alignas(4) static uint32_t word = 1;
  EXPECT_FAILS_WITH(futex(&word, FUTEX_WAIT_PRIVATE, 0), EAGAIN);
  EXPECT_FAILS_WITH(
      futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, nullptr, nullptr, FUTEX_BITSET_MATCH_ANY), EAGAIN);
}

TEST(Futex, MatchingWaitSleepsUntilItsTimeout) {
  MOAT_COVERS("futex");
  alignas(4) static uint32_t word = 7;
  const timespec relative{0, 20'000'000};
  const int64_t start = monotonic_ns();
  EXPECT_FAILS_WITH(futex(&word, FUTEX_WAIT_PRIVATE, 7, &relative), ETIMEDOUT);
  EXPECT_GE(monotonic_ns() - start, 20'000'000);

  // FUTEX_WAIT_BITSET's timeout is absolute.
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_nsec += 20'000'000;
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000;
  }
  EXPECT_FAILS_WITH(
      futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 7, &deadline, nullptr, FUTEX_BITSET_MATCH_ANY),
      ETIMEDOUT);
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  EXPECT_TRUE(now.tv_sec > deadline.tv_sec ||
              (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec));
}

TEST(Futex, ArgumentErrors) {
  MOAT_COVERS("futex");
  alignas(4) static uint32_t words[2] = {0, 0};
  auto* unaligned = reinterpret_cast<uint32_t*>(reinterpret_cast<char*>(words) + 1);
  EXPECT_FAILS_WITH(futex(unaligned, FUTEX_WAKE_PRIVATE, 1), EINVAL);
  EXPECT_FAILS_WITH(futex(words, FUTEX_WAIT_BITSET_PRIVATE, 0, nullptr, nullptr, 0), EINVAL);
  EXPECT_FAILS_WITH(futex(words, FUTEX_WAKE_BITSET_PRIVATE, 1, nullptr, nullptr, 0), EINVAL);
  const timespec bad{0, 2'000'000'000};
  EXPECT_FAILS_WITH(futex(words, FUTEX_WAIT_PRIVATE, 1, &bad), EINVAL);
  EXPECT_FAILS_WITH(futex(words, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1), ENOSYS);
  EXPECT_FAILS_WITH(futex(words, 0x7f, 1), ENOSYS);
  // A wait reads the word: an unmapped one is EFAULT. So does a shared wake.
  auto* unmapped = reinterpret_cast<uint32_t*>(uintptr_t{0x1000});
  EXPECT_FAILS_WITH(futex(unmapped, FUTEX_WAIT_PRIVATE, 0), EFAULT);
  EXPECT_FAILS_WITH(futex(unmapped, FUTEX_WAKE, 1), EFAULT);
}

TEST(Futex, CmpRequeueChecksTheValue) {
  MOAT_COVERS("futex");
  alignas(4) static uint32_t from = 3;
  alignas(4) static uint32_t to = 0;
  EXPECT_FAILS_WITH(futex(&from, FUTEX_CMP_REQUEUE_PRIVATE, 1, reinterpret_cast<void*>(1), &to, 4),
                    EAGAIN);
  EXPECT_EQ(futex(&from, FUTEX_CMP_REQUEUE_PRIVATE, 1, reinterpret_cast<void*>(1), &to, 3), 0);
}

TEST(Futex, WakeOpUpdatesTheSecondWord) {
  MOAT_COVERS("futex");
  alignas(4) static uint32_t first = 0;
  alignas(4) static uint32_t second = 10;
  EXPECT_EQ(futex(&first, FUTEX_WAKE_OP_PRIVATE, 1, reinterpret_cast<void*>(1), &second,
                  FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0)),
            0);
  EXPECT_EQ(second, 15u);
  EXPECT_EQ(futex(&first, FUTEX_WAKE_OP_PRIVATE, 1, reinterpret_cast<void*>(1), &second,
                  FUTEX_OP(FUTEX_OP_OPARG_SHIFT | FUTEX_OP_OR, 4, FUTEX_OP_CMP_EQ, 0)),
            0);
  EXPECT_EQ(second, 15u | 16u);
}

}  // namespace
