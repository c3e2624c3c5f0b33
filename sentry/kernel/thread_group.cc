#include "sentry/kernel/thread_group.h"

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

std::optional<ExitStatus> ThreadGroup::exit_status() const {
  std::lock_guard guard(m_lock);
  return m_status;
}

}  // namespace moat::sentry
