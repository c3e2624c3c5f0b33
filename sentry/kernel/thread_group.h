#pragma once

#include <atomic>
#include <csignal>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "sentry/kernel/exit_status.h"
#include "sentry/kernel/limits.h"
#include "sentry/kernel/signal.h"

namespace moat::sentry {

class Task;

// A process: the threads that share a pid, limits and an exit status.
class ThreadGroup {
 public:
  explicit ThreadGroup(
      int pid, std::shared_ptr<SignalHandlers> handlers = std::make_shared<SignalHandlers>())
      : m_pid(pid), m_handlers(std::move(handlers)) {}

  int pid() const { return m_pid; }

  // The process's place in the process tree; guarded by Kernel::tree_lock().
  struct Family {
    std::weak_ptr<ThreadGroup> parent;  // empty for the first process
    // Live children and zombies, until reaped.
    std::vector<std::shared_ptr<ThreadGroup>> children;
    int pgid = 0;
    int sid = 0;
    int exit_signal = SIGCHLD;  // what the parent is sent at the end; 0: nothing
    bool zombie = false;        // ended, waiting for its parent to reap it
  };
  Family& family() { return m_family; }

  // A child of this process ended (or was reparented here as a zombie):
  // wakes the threads sleeping in wait4/waitid.
  void child_changed();
  // Counts child_changed() calls: a waiter samples it before looking, and
  // sleeps until it moves.
  uint64_t child_events() const { return m_child_events.load(std::memory_order_acquire); }

  // vfork(2): the parent's thread sleeps until the child releases it by
  // ending (or, later, by execve).
  bool vfork_released() const { return m_vfork_released.load(std::memory_order_acquire); }
  void set_vfork_waiter(int tid) { m_vfork_waiter = tid; }
  // Marks the release; returns the waiting thread's tid, or 0 if none.
  int release_vfork();

  Limits& limits() { return m_limits; }
  std::mutex& lock() { return m_lock; }
  SignalHandlers& signal_handlers() { return *m_handlers; }
  const std::shared_ptr<SignalHandlers>& signal_handlers_ptr() const { return m_handlers; }
  // Signals sent to the process as a whole (kill(2)); any thread that does
  // not block them takes them. Guarded by lock().
  PendingSignals& shared_pending() { return m_shared_pending; }

  // Records how the process ends; the first caller wins (exit_group racing a
  // fatal signal). Returns false if it had already ended.
  bool set_exit(ExitStatus status);
  // exit_group(2) and fatal signals: set_exit, then every thread is made to
  // stop (out of the guest and out of any sleep).
  void exit_all(ExitStatus status);
  bool exiting() const { return m_exiting.load(std::memory_order_acquire); }
  std::optional<ExitStatus> exit_status() const;

  // The threads. A task joins before it first runs and leaves once it has
  // let go of everything; the last one out ends the process with the exit
  // code its leader gave exit(2) (as Linux reports the leader's code),
  // unless it was already ending. leave() returns true for the last one.
  void join(Task* task);
  bool leave(Task* task);
  size_t thread_count() const;
  // execve: ends every thread but `keep`.
  void end_other_threads(Task* keep);
  // execve unshares handlers shared with another process (CLONE_SIGHAND).
  void set_signal_handlers(std::shared_ptr<SignalHandlers> handlers) {
    m_handlers = std::move(handlers);
  }
  void set_leader_exit_code(int code) { m_leader_code.store(code, std::memory_order_relaxed); }

  // Sends a signal to the process as a whole (kill(2)): queued for the
  // process and taken by the first thread that does not block it, which is
  // interrupted (Linux's complete_signal). Dropped if the process ignores it.
  void send_signal(const SignalInfo& info);
  // Under trace mode an ignored signal is queued all the same, and shown
  // when it is taken, as a ptraced process's are under strace.
  void set_traced(bool traced) { m_traced = traced; }
  bool traced() const { return m_traced; }
  // Drops every pending `signo`, the process's and each thread's (a
  // disposition changed to ignore it).
  void discard_pending(int signo);

 private:
  const int m_pid;
  Family m_family;
  std::atomic<uint64_t> m_child_events{0};
  std::atomic<bool> m_vfork_released{false};
  int m_vfork_waiter = 0;
  Limits m_limits;
  std::shared_ptr<SignalHandlers> m_handlers;
  PendingSignals m_shared_pending;
  mutable std::mutex m_lock;
  std::atomic<bool> m_exiting{false};
  std::optional<ExitStatus> m_status;
  std::vector<Task*> m_tasks;  // the leader first while it lives
  std::atomic<int> m_leader_code{0};
  bool m_traced = false;
};

}  // namespace moat::sentry
