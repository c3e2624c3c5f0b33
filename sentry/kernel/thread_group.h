#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/limits.h"
#include "sentry/kernel/signal.h"

namespace moat::sentry {

// A process: the threads that share a pid, limits and an exit status.
class ThreadGroup {
 public:
  ThreadGroup(int pid, int ppid)
      : m_pid(pid), m_ppid(ppid), m_handlers(std::make_shared<SignalHandlers>()) {}

  int pid() const { return m_pid; }
  int ppid() const { return m_ppid; }

  Limits& limits() { return m_limits; }
  std::mutex& lock() { return m_lock; }
  SignalHandlers& signal_handlers() { return *m_handlers; }
  // Signals sent to the process as a whole (kill(2)); any thread that does
  // not block them takes them. Guarded by lock().
  PendingSignals& shared_pending() { return m_shared_pending; }

  // Records how the process ends; the first caller wins (exit_group racing a
  // fatal signal). Returns false if it had already ended.
  bool set_exit(ExitStatus status);
  bool exiting() const { return m_exiting.load(std::memory_order_acquire); }
  std::optional<ExitStatus> exit_status() const;

 private:
  const int m_pid;
  const int m_ppid;
  Limits m_limits;
  std::shared_ptr<SignalHandlers> m_handlers;
  PendingSignals m_shared_pending;
  mutable std::mutex m_lock;
  std::atomic<bool> m_exiting{false};
  std::optional<ExitStatus> m_status;
};

}  // namespace moat::sentry
