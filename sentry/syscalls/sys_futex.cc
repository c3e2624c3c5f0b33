#include <linux/futex.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/user_time.h"

namespace moat::sentry {
namespace {

constexpr int kCommandMask = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

Result<uint32_t> load_word(Task& t, uint64_t addr) {
  uint32_t value;
  TRY(t.mm().copy_in(addr, std::as_writable_bytes(std::span(&value, 1))));
  return value;
}

}  // namespace

// Implements Linux syscall futex(2): wait queues per (address space,
// address) in Kernel::futexes(). The priority-inheritance operations answer
// ENOSYS.
SysResult sys_futex(Task& t, UserAddr uaddr, int op, uint32_t val, uint64_t timeout_or_val2,
                    UserAddr uaddr2, uint32_t val3) {
  const int command = op & kCommandMask;
  const bool realtime = (op & FUTEX_CLOCK_REALTIME) != 0;
  if (realtime && command != FUTEX_WAIT && command != FUTEX_WAIT_BITSET) {
    return Errno::kENOSYS;
  }
  if ((uaddr.value & 3) != 0) {
    return Errno::kEINVAL;
  }
  FutexTable& futexes = t.kernel().futexes();
  // Counts are ints; Linux treats a negative one as "all" for wakes.
  auto count = [](uint64_t v) {
    const auto n = static_cast<int32_t>(v);
    return n < 0 ? INT32_MAX : n;
  };
  switch (command) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      uint32_t bitset = FUTEX_BITSET_MATCH_ANY;
      if (command == FUTEX_WAIT_BITSET) {
        if (val3 == 0) {
          return Errno::kEINVAL;
        }
        bitset = val3;
      }
      std::optional<Deadline> deadline;
      if (timeout_or_val2 != 0) {
        const timespec timeout = TRY(load_timespec(t.mm(), timeout_or_val2));
        const clockid_t clock = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
        // FUTEX_WAIT's timeout is relative; FUTEX_WAIT_BITSET's absolute.
        deadline = command == FUTEX_WAIT_BITSET ? Deadline{clock, timeout}
                                                : Deadline::after(clock, timeout);
      }
      // Linux restarts an untimed wait under SA_RESTART; a timed one that a
      // handler interrupted returns EINTR.
      return futexes.wait(t, uaddr.value, val, bitset, deadline, !deadline.has_value());
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      uint32_t bitset = FUTEX_BITSET_MATCH_ANY;
      if (command == FUTEX_WAKE_BITSET) {
        if (val3 == 0) {
          return Errno::kEINVAL;
        }
        bitset = val3;
      }
      // A shared futex is keyed by the page behind it, so Linux looks it up.
      if ((op & FUTEX_PRIVATE_FLAG) == 0) {
        TRY(load_word(t, uaddr.value));
      }
      return static_cast<uint64_t>(futexes.wake(t.mm(), uaddr.value, count(val), bitset));
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (static_cast<int32_t>(val) < 0 || static_cast<int32_t>(timeout_or_val2) < 0) {
        return Errno::kEINVAL;
      }
      if ((uaddr2.value & 3) != 0) {
        return Errno::kEINVAL;
      }
      std::optional<uint32_t> compare;
      if (command == FUTEX_CMP_REQUEUE) {
        compare = val3;
      }
      return futexes.requeue(t.mm(), uaddr.value, uaddr2.value, static_cast<int>(val),
                             static_cast<int>(timeout_or_val2), compare);
    }
    case FUTEX_WAKE_OP:
      if ((uaddr2.value & 3) != 0) {
        return Errno::kEINVAL;
      }
      return futexes.wake_op(t.mm(), uaddr.value, uaddr2.value, count(val), count(timeout_or_val2),
                             val3);
    default:
      return Errno::kENOSYS;
  }
}

}  // namespace moat::sentry
