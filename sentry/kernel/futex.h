#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "base/result.h"
#include "sentry/kernel/deadline.h"

namespace moat::sentry {

class MemoryManager;
class Task;

// The futex wait queues of one sandbox, as Linux's kernel/futex keeps them:
// waiters are keyed by the memory the word lies in (MemoryManager::
// futex_key: the shared memory object and offset for MAP_SHARED memory, so
// processes sharing it meet; else the address space and address), woken in
// the order they came, and a wake's bitset must share a bit with the
// waiter's.
class FutexTable {
 public:
  // FUTEX_WAIT(_BITSET): sleeps if the word at `addr` holds `expected`
  // (EAGAIN if not), until woken (0), the deadline (ETIMEDOUT) or a signal or
  // the end of the process (EINTR, or ERESTARTSYS when `restartable`).
  Result<uint64_t> wait(Task& task, uint64_t addr, uint32_t expected, uint32_t bitset,
                        const std::optional<Deadline>& deadline, bool restartable);
  // FUTEX_WAKE(_BITSET): wakes up to `count` waiters; returns how many.
  int wake(const MemoryManager& mm, uint64_t addr, int count, uint32_t bitset);
  // FUTEX_(CMP_)REQUEUE: wakes up to `wake_count` waiters on `addr` and moves
  // up to `requeue_count` of the rest to `addr2`; with `compare`, EAGAIN
  // unless the word at `addr` holds it. Returns woken + requeued.
  Result<uint64_t> requeue(MemoryManager& mm, uint64_t addr, uint64_t addr2, int wake_count,
                           int requeue_count, std::optional<uint32_t> compare);
  // FUTEX_WAKE_OP: applies `encoded` to the word at `addr2` atomically, wakes
  // up to `count` on `addr` and, if the comparison held, `count2` on `addr2`.
  Result<uint64_t> wake_op(MemoryManager& mm, uint64_t addr, uint64_t addr2, int count, int count2,
                           uint32_t encoded);

 private:
  struct Key {
    const void* space;
    uint64_t offset;
    auto operator<=>(const Key&) const = default;
  };
  static Key key_of(const MemoryManager& mm, uint64_t addr);
  struct Waiter;
  using Queue = std::multimap<Key, Waiter*>;

  int wake_locked(const Key& key, int count, uint32_t bitset);

  std::mutex m_lock;
  Queue m_waiters;  // equal keys in arrival order
};

// The word at a futex address as a host pointer, for atomic access that the
// guest's own CPUs see; EFAULT if the guest may not `write` (or read) it.
Result<uint32_t*> futex_word(MemoryManager& mm, uint64_t addr, bool write);

}  // namespace moat::sentry
