#include "sentry/kernel/waiter_queue.h"

#include <algorithm>

#include "sentry/kernel/task.h"

namespace moat::sentry {

void WaiterQueue::add(Task* task, uint32_t events) {
  std::lock_guard guard(m_lock);
  m_waiters.push_back(Waiter{task, events});
}

void WaiterQueue::remove(Task* task) {
  std::lock_guard guard(m_lock);
  auto it = std::find_if(m_waiters.begin(), m_waiters.end(),
                         [task](const Waiter& w) { return w.task == task; });
  if (it != m_waiters.end()) {
    *it = m_waiters.back();
    m_waiters.pop_back();
  }
}

void WaiterQueue::notify(uint32_t events) {
  // Under the lock: a waiter cannot remove itself (and its task go away)
  // while it is being woken.
  std::lock_guard guard(m_lock);
  for (const Waiter& w : m_waiters) {
    if ((w.events & events) != 0) {
      w.task->wake();
    }
  }
}

bool WaiterQueue::empty() const {
  std::lock_guard guard(m_lock);
  return m_waiters.empty();
}

}  // namespace moat::sentry
