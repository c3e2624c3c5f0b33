#include <linux/futex.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/handlers.h"

namespace moat::sentry {
namespace {

constexpr int kCommandMask = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

Result<uint32_t> load_word(Task& t, uint64_t addr) {
  uint32_t value;
  TRY(t.mm().copy_in(addr, std::as_writable_bytes(std::span(&value, 1))));
  return value;
}

Result<timespec> load_timeout(Task& t, uint64_t addr) {
  timespec ts{};
  TRY(t.mm().copy_in(addr, std::as_writable_bytes(std::span(&ts, 1))));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1'000'000'000) {
    return Errno::kEINVAL;
  }
  return ts;
}

// A wait nobody can end: the process has one thread and moat delivers no
// signals yet, so the waiter sleeps until its timeout (ETIMEDOUT), or for
// good without one, as it would on Linux.
// FIXME: with threads (issue 6) this becomes a wait queue keyed by address.
SysResult sleep_out(clockid_t clock, const timespec* timeout, bool absolute) {
  for (;;) {
    if (timeout == nullptr) {
      timespec day{86400, 0};
      clock_nanosleep(CLOCK_MONOTONIC, 0, &day, nullptr);
      continue;
    }
    int err = clock_nanosleep(clock, absolute ? TIMER_ABSTIME : 0, timeout, nullptr);
    if (err == 0) {
      return Errno::kETIMEDOUT;
    }
    if (err != EINTR) {
      return Errno::kEINVAL;
    }
    if (!absolute) {
      // Restarted from the start: short of a signal moat never sends, EINTR
      // does not happen here; keep it simple and correct in the bound.
      return Errno::kETIMEDOUT;
    }
  }
}

// FUTEX_WAKE_OP's operation on *uaddr2; returns the old value.
Result<uint32_t> apply_wake_op(Task& t, uint64_t uaddr2, uint32_t encoded) {
  const uint32_t op = (encoded >> 28) & 0xf;
  const uint32_t cmp = (encoded >> 24) & 0xf;
  uint32_t oparg = (encoded >> 12) & 0xfff;
  const uint32_t cmparg = encoded & 0xfff;
  if ((op & FUTEX_OP_OPARG_SHIFT) != 0) {
    oparg = oparg > 31 ? 0 : 1u << oparg;
  }
  const uint32_t old = TRY(load_word(t, uaddr2));
  uint32_t value;
  switch (op & ~FUTEX_OP_OPARG_SHIFT) {
    case FUTEX_OP_SET:
      value = oparg;
      break;
    case FUTEX_OP_ADD:
      value = old + oparg;
      break;
    case FUTEX_OP_OR:
      value = old | oparg;
      break;
    case FUTEX_OP_ANDN:
      value = old & ~oparg;
      break;
    case FUTEX_OP_XOR:
      value = old ^ oparg;
      break;
    default:
      return Errno::kENOSYS;
  }
  TRY(t.mm().copy_out(uaddr2, std::as_bytes(std::span(&value, 1))));
  if (cmp > FUTEX_OP_CMP_GE) {
    return Errno::kENOSYS;
  }
  (void)cmparg;  // whom to wake at uaddr2 if the comparison holds: nobody yet
  return old;
}

}  // namespace

// Implements Linux syscall futex(2) for a process with one thread: no other
// thread can wait or wake, so a wake finds no waiter, a wait whose value
// matches sleeps until its timeout, and the value checks, the WAKE_OP update
// and every argument check are Linux's. The priority-inheritance operations
// answer ENOSYS. FIXME: wait queues arrive with threads (issue 6).
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
  switch (command) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      if (command == FUTEX_WAIT_BITSET && val3 == 0) {
        return Errno::kEINVAL;
      }
      timespec timeout{};
      const bool has_timeout = timeout_or_val2 != 0;
      if (has_timeout) {
        timeout = TRY(load_timeout(t, timeout_or_val2));
      }
      if (TRY(load_word(t, uaddr.value)) != val) {
        return Errno::kEAGAIN;
      }
      // FUTEX_WAIT's timeout is relative; FUTEX_WAIT_BITSET's absolute.
      return sleep_out(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC,
                       has_timeout ? &timeout : nullptr, command == FUTEX_WAIT_BITSET);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      if (command == FUTEX_WAKE_BITSET && val3 == 0) {
        return Errno::kEINVAL;
      }
      // A shared futex is keyed by the page behind it, so Linux looks it up.
      if ((op & FUTEX_PRIVATE_FLAG) == 0) {
        TRY(load_word(t, uaddr.value));
      }
      return 0;
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
      if (static_cast<int32_t>(val) < 0 || static_cast<int32_t>(timeout_or_val2) < 0) {
        return Errno::kEINVAL;
      }
      if ((uaddr2.value & 3) != 0) {
        return Errno::kEINVAL;
      }
      if (command == FUTEX_CMP_REQUEUE && TRY(load_word(t, uaddr.value)) != val3) {
        return Errno::kEAGAIN;
      }
      return 0;
    case FUTEX_WAKE_OP:
      if ((uaddr2.value & 3) != 0) {
        return Errno::kEINVAL;
      }
      TRY(apply_wake_op(t, uaddr2.value, val3));
      return 0;
    default:
      return Errno::kENOSYS;
  }
}

}  // namespace moat::sentry
