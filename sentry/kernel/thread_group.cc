#include "sentry/kernel/thread_group.h"

#include <algorithm>

#include "sentry/kernel/task.h"

namespace moat::sentry {

bool ThreadGroup::set_exit(ExitStatus status) {
  std::lock_guard guard(m_lock);
  if (m_status) {
    return false;
  }
  m_status = status;
  m_exiting.store(true, std::memory_order_release);
  return true;
}

void ThreadGroup::exit_all(ExitStatus status) {
  set_exit(status);
  std::lock_guard guard(m_lock);
  for (Task* task : m_tasks) {
    task->interrupt();
  }
}

std::optional<ExitStatus> ThreadGroup::exit_status() const {
  std::lock_guard guard(m_lock);
  return m_status;
}

void ThreadGroup::join(Task* task) {
  std::lock_guard guard(m_lock);
  m_tasks.push_back(task);
}

bool ThreadGroup::leave(Task* task) {
  std::lock_guard guard(m_lock);
  std::erase(m_tasks, task);
  if (!m_tasks.empty()) {
    return false;
  }
  if (!m_status) {
    m_status = ExitStatus::exited(m_leader_code.load(std::memory_order_relaxed));
    m_exiting.store(true, std::memory_order_release);
  }
  return true;
}

void ThreadGroup::child_changed() {
  m_child_events.fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard guard(m_lock);
  for (Task* task : m_tasks) {
    task->wake();
  }
}

int ThreadGroup::release_vfork() {
  if (m_vfork_released.exchange(true, std::memory_order_acq_rel)) {
    return 0;
  }
  return m_vfork_waiter;
}

void ThreadGroup::end_other_threads(Task* keep) {
  std::lock_guard guard(m_lock);
  for (Task* task : m_tasks) {
    if (task != keep) {
      task->end_for_exec();
    }
  }
}

size_t ThreadGroup::thread_count() const {
  std::lock_guard guard(m_lock);
  return m_tasks.size();
}

void ThreadGroup::discard_pending(int signo) {
  std::lock_guard guard(m_lock);
  m_shared_pending.discard(signo);
  for (Task* task : m_tasks) {
    task->discard_pending_locked(signo);
  }
}

void ThreadGroup::send_signal(const SignalInfo& info) {
  std::lock_guard guard(m_lock);
  const SigSet bit = sig_bit(info.signo);
  Task* taker = nullptr;
  for (Task* task : m_tasks) {
    if ((task->signal_mask() & bit) == 0 && !task->exiting()) {
      taker = task;
      break;
    }
  }
  // Linux asks the leader whether an ignored signal is dropped.
  const bool leader_blocks = !m_tasks.empty() && (m_tasks.front()->held_signals() & bit) != 0;
  if (!leader_blocks && !m_traced && is_ignored(info.signo, m_handlers->get(info.signo))) {
    return;
  }
  m_shared_pending.add(info);
  if (taker != nullptr) {
    taker->signal_ready();
  }
}

}  // namespace moat::sentry
