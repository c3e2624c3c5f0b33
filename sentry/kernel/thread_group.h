#pragma once

#include <atomic>
#include <mutex>
#include <optional>

#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/limits.h"

namespace moat::sentry {

// A process: the threads that share a pid, limits and an exit status.
class ThreadGroup {
 public:
  ThreadGroup(int pid, int ppid) : m_pid(pid), m_ppid(ppid) {}

  int pid() const { return m_pid; }
  int ppid() const { return m_ppid; }

  Limits& limits() { return m_limits; }
  std::mutex& lock() { return m_lock; }

  // Records how the process ends; the first caller wins (exit_group racing a
  // fatal signal). Returns false if it had already ended.
  bool set_exit(ExitStatus status);
  bool exiting() const { return m_exiting.load(std::memory_order_acquire); }
  std::optional<ExitStatus> exit_status() const;

 private:
  const int m_pid;
  const int m_ppid;
  Limits m_limits;
  mutable std::mutex m_lock;
  std::atomic<bool> m_exiting{false};
  std::optional<ExitStatus> m_status;
};

}  // namespace moat::sentry
