#include "sentry/kernel/futex.h"

#include <linux/futex.h>

#include <atomic>

#include "sentry/kernel/task.h"
#include "sentry/mm/memory_manager.h"

namespace moat::sentry {

struct FutexTable::Waiter {
  Task* task;
  uint32_t bitset;
  std::atomic<bool> woken{false};
  Queue::iterator position;  // in m_waiters while queued; under m_lock
  bool queued = true;        // under m_lock
};

Result<uint32_t*> futex_word(MemoryManager& mm, uint64_t addr, bool write) {
  if ((addr & 3) != 0) {
    return Errno::kEINVAL;
  }
  const auto access = write ? platform::Access::kWrite : platform::Access::kRead;
  auto iov = TRY(mm.host_iovecs(addr, sizeof(uint32_t), access));
  // An aligned word never straddles a page, so one piece.
  return static_cast<uint32_t*>(iov.front().iov_base);
}

FutexTable::Key FutexTable::key_of(const MemoryManager& mm, uint64_t addr) {
  auto [space, offset] = mm.futex_key(addr);
  return Key{space, offset};
}

Result<uint64_t> FutexTable::wait(Task& task, uint64_t addr, uint32_t expected, uint32_t bitset,
                                  const std::optional<Deadline>& deadline, bool restartable) {
  Waiter waiter{&task, bitset, {}, {}, true};
  {
    std::lock_guard guard(m_lock);
    // Under the table's lock, so a waker that changed the word after this
    // load finds this waiter queued.
    uint32_t* word = TRY(futex_word(task.mm(), addr, false));
    if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != expected) {
      return Errno::kEAGAIN;
    }
    waiter.position = m_waiters.emplace(key_of(task.mm(), addr), &waiter);
  }
  const WakeReason reason =
      task.sleep(deadline, [&waiter] { return waiter.woken.load(std::memory_order_acquire); });
  {
    std::lock_guard guard(m_lock);
    if (waiter.queued) {
      m_waiters.erase(waiter.position);
      waiter.queued = false;
    }
  }
  if (reason == WakeReason::kWoken || waiter.woken.load(std::memory_order_acquire)) {
    return 0;
  }
  if (reason == WakeReason::kTimedOut) {
    return Errno::kETIMEDOUT;
  }
  return restartable ? Errno::kERESTARTSYS : Errno::kEINTR;
}

int FutexTable::wake_locked(const Key& key, int count, uint32_t bitset) {
  int woken = 0;
  auto [it, end] = m_waiters.equal_range(key);
  while (it != end && woken < count) {
    Waiter* waiter = it->second;
    if ((waiter->bitset & bitset) == 0) {
      ++it;
      continue;
    }
    it = m_waiters.erase(it);
    waiter->queued = false;
    // The waiter may return (and its frame go) as soon as it sees `woken`:
    // take what is needed first.
    Task* task = waiter->task;
    waiter->woken.store(true, std::memory_order_release);
    task->wake();
    ++woken;
  }
  return woken;
}

int FutexTable::wake(const MemoryManager& mm, uint64_t addr, int count, uint32_t bitset) {
  std::lock_guard guard(m_lock);
  return wake_locked(key_of(mm, addr), count, bitset);
}

Result<uint64_t> FutexTable::requeue(MemoryManager& mm, uint64_t addr, uint64_t addr2,
                                     int wake_count, int requeue_count,
                                     std::optional<uint32_t> compare) {
  std::lock_guard guard(m_lock);
  if (compare) {
    uint32_t* word = TRY(futex_word(mm, addr, false));
    if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != *compare) {
      return Errno::kEAGAIN;
    }
  }
  const Key from{&mm, addr};
  const Key to{&mm, addr2};
  int done = wake_locked(from, wake_count, FUTEX_BITSET_MATCH_ANY);
  if (from == to) {
    // Requeueing onto the same word moves nobody (Linux refuses it for
    // CMP_REQUEUE_PI only), but they count as requeued.
    auto [it, end] = m_waiters.equal_range(from);
    for (int moved = 0; it != end && moved < requeue_count; ++it, ++moved) {
      ++done;
    }
    return static_cast<uint64_t>(done);
  }
  int moved = 0;
  auto [it, end] = m_waiters.equal_range(from);
  while (it != end && moved < requeue_count) {
    Waiter* waiter = it->second;
    it = m_waiters.erase(it);
    waiter->position = m_waiters.emplace(to, waiter);
    ++moved;
  }
  return static_cast<uint64_t>(done + moved);
}

Result<uint64_t> FutexTable::wake_op(MemoryManager& mm, uint64_t addr, uint64_t addr2, int count,
                                     int count2, uint32_t encoded) {
  const uint32_t op = (encoded >> 28) & 0xf;
  const uint32_t cmp = (encoded >> 24) & 0xf;
  uint32_t oparg = (encoded >> 12) & 0xfff;
  const uint32_t cmparg = encoded & 0xfff;
  if ((op & FUTEX_OP_OPARG_SHIFT) != 0) {
    // Linux warns about shifts past 31 and masks them.
    oparg = 1u << (oparg & 31);
  }
  std::lock_guard guard(m_lock);
  uint32_t* word = TRY(futex_word(mm, addr2, true));
  uint32_t old = __atomic_load_n(word, __ATOMIC_SEQ_CST);
  for (;;) {
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
    if (__atomic_compare_exchange_n(word, &old, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
      break;
    }
  }
  bool condition;
  switch (cmp) {
    case FUTEX_OP_CMP_EQ:
      condition = old == cmparg;
      break;
    case FUTEX_OP_CMP_NE:
      condition = old != cmparg;
      break;
    case FUTEX_OP_CMP_LT:
      condition = static_cast<int32_t>(old) < static_cast<int32_t>(cmparg);
      break;
    case FUTEX_OP_CMP_LE:
      condition = static_cast<int32_t>(old) <= static_cast<int32_t>(cmparg);
      break;
    case FUTEX_OP_CMP_GT:
      condition = static_cast<int32_t>(old) > static_cast<int32_t>(cmparg);
      break;
    case FUTEX_OP_CMP_GE:
      condition = static_cast<int32_t>(old) >= static_cast<int32_t>(cmparg);
      break;
    default:
      return Errno::kENOSYS;
  }
  int woken = wake_locked(key_of(mm, addr), count, FUTEX_BITSET_MATCH_ANY);
  if (condition) {
    woken += wake_locked(key_of(mm, addr2), count2, FUTEX_BITSET_MATCH_ANY);
  }
  return static_cast<uint64_t>(woken);
}

}  // namespace moat::sentry
