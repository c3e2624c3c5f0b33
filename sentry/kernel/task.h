#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "platform/platform.h"
#include "sentry/kernel/deadline.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/strace/tracer.h"
#include "sentry/vfs/fd_table.h"
#include "sentry/vfs/vfs.h"

namespace moat::sentry {

class Kernel;

// A synchronous fault turned into a signal, as Linux's siginfo describes it.
struct FaultSignal {
  int signo = 0;
  int code = 0;          // si_code: SEGV_MAPERR, ILL_ILLOPN, ...
  uint64_t address = 0;  // si_addr
  // What the signal frame reports of the trap: amd64 trapno and error code
  // (cr2 is `address`); arm64 the ESR (fault_address is `address`).
  uint64_t trap_no = 0;
  uint64_t error_code = 0;
};

// Why a sleep ended (Task::sleep).
enum class WakeReason { kWoken, kTimedOut, kInterrupted };
// What may end a sleep early: any signal the thread does not block, or only
// the end of its process (Linux's TASK_KILLABLE).
enum class SleepMode { kInterruptible, kKillable };

// One guest thread. It runs on its own host thread, which owns its vCPU.
class Task {
 public:
  Task(Kernel& kernel, int tid, std::shared_ptr<ThreadGroup> group,
       std::shared_ptr<MemoryManager> mm, std::shared_ptr<FdTable> fds,
       std::shared_ptr<FsContext> fs, std::unique_ptr<platform::Vcpu> vcpu);
  // Hands the vCPU back to the kernel for the next thread.
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  Kernel& kernel() { return m_kernel; }
  int tid() const { return m_tid; }
  ThreadGroup& group() { return *m_group; }
  MemoryManager& mm() { return *m_mm; }
  FdTable& fds() { return *m_fds; }
  FsContext& fs() { return *m_fs; }
  // CLOSE_RANGE_UNSHARE, execve: a table of this thread's own.
  void set_fds(std::shared_ptr<FdTable> fds) { m_fds = std::move(fds); }
  // execve: the new program's memory.
  void set_mm(std::shared_ptr<MemoryManager> mm) { m_mm = std::move(mm); }
  // execve in another thread of the process: ends this one (it leaves as
  // if it had called exit, without a code of its own).
  void end_for_exec();
  const std::shared_ptr<ThreadGroup>& group_ptr() const { return m_group; }
  const std::shared_ptr<MemoryManager>& mm_ptr() const { return m_mm; }
  const std::shared_ptr<FdTable>& fds_ptr() const { return m_fds; }
  const std::shared_ptr<FsContext>& fs_ptr() const { return m_fs; }
  platform::Vcpu& vcpu() { return *m_vcpu; }
  platform::UserRegs& regs() { return m_vcpu->regs(); }

  // The guest's path of the running program (/proc/self/exe).
  const std::string& exe_path() const { return m_exe_path; }
  void set_exe_path(std::string path) { m_exe_path = std::move(path); }

  // True once the thread has exited or its process is ending.
  bool exiting() const { return should_stop(); }
  // Trace mode's record of the call in progress.
  strace::CallState& trace_call() { return m_trace_call; }

  // Runs the thread until it exits, then lets go of what it held
  // (CLONE_CHILD_CLEARTID, the robust list). Returns an error only if moat
  // itself failed (the platform refused to run the vCPU); the process is
  // then ended.
  Result<void, Error> run();
  // The task whose thread is the caller's, or nullptr.
  static Task* current();

  // exit(2): ends this thread; the last thread out ends the process.
  void exit_thread(int code);
  // What this thread gave exit(2).
  int exit_code() const { return m_exit_code; }
  // exit_group(2) and fatal signals: ends every thread of the process.
  void exit_group(ExitStatus status);

  // Blocking: parks the thread until `woken()` holds (kWoken), `deadline`
  // passes (kTimedOut), or a signal it does not block arrives or its process
  // ends (kInterrupted). Whoever makes `woken()` true calls wake() after.
  WakeReason sleep(const std::optional<Deadline>& deadline, const std::function<bool()>& woken,
                   SleepMode mode = SleepMode::kInterruptible);
  void wake();
  // Makes the thread notice a signal or the end of its process: out of a
  // sleep, and out of the guest at once. Any thread.
  void interrupt();
  // True if sleep() would return kInterrupted now.
  bool interrupted() const {
    return should_stop() || m_signal_ready.load(std::memory_order_acquire);
  }
  // Signals (sentry/kernel/signal.h). A synchronous fault: delivered even if
  // blocked or ignored (then with the default action), as Linux's
  // force_sig_fault.
  void force_fault_signal(const FaultSignal& signal);
  // Ends the process as SIGKILL does (out of memory).
  void force_kill();
  // Queues a signal for this thread (tgkill, SIGPIPE) and interrupts it if it
  // does not block it. A signal the thread would ignore is dropped, as Linux
  // does, unless blocked.
  void send_signal(const SignalInfo& info);
  // A signal for this thread or its process now waits unblocked: makes the
  // thread take it (called with the group's lock held).
  void signal_ready();
  // Delivers what is pending and not blocked, before the thread returns to
  // the guest: default actions, or a frame for each handler.
  void deliver_signals();
  SigSet signal_mask() const { return m_blocked.load(std::memory_order_relaxed); }
  // The signals held back from delivery as Linux's sig_ignored sees them:
  // the mask, and the set an rt_sigtimedwait waits for (real_blocked).
  SigSet held_signals() const { return signal_mask() | m_waited.load(std::memory_order_relaxed); }
  // rt_sigprocmask and sigreturn: SIGKILL and SIGSTOP are never blocked.
  void set_signal_mask(SigSet mask);
  // rt_sigsuspend: `mask` until the next signal delivery, which gives the
  // handler's frame the mask from before (or puts it back if no handler runs).
  void suspend_signal_mask(SigSet mask);
  // rt_sigtimedwait: takes a pending signal of `set`, waiting for one until
  // `deadline` (EAGAIN) or another signal (EINTR). While it waits, the
  // signals of `set` are unblocked and not dropped as ignored.
  Result<SignalInfo> wait_for_signal(SigSet set, const std::optional<Deadline>& deadline);
  // Makes interrupted() exact again after a mask change within a syscall.
  void refresh_signal_ready();
  // Pending for this thread or its process (rt_sigpending's set, unmasked).
  SigSet pending_signals();
  // Drops `signo` from this thread's own pending signals; the group's lock
  // is held (ThreadGroup::discard_pending).
  void discard_pending_locked(int signo);
  SignalStack& signal_stack() { return m_signal_stack; }
  // The last fault delivered as a signal, for the frame's trap fields.
  const FaultSignal& last_fault() const { return m_last_fault; }

  // set_tid_address(2), set_robust_list(2), rseq(2) state.
  uint64_t clear_child_tid = 0;
  uint64_t robust_list_head = 0;
  uint64_t robust_list_len = 0;
  uint64_t rseq_area = 0;
  uint32_t rseq_len = 0;
  uint32_t rseq_signature = 0;

 private:
  void release_on_exit();
  void walk_robust_list();
  void finish_restart(const SignalAction* action);
  void handle_page_fault(const platform::Trap& trap);
  std::optional<SignalInfo> take_signal();
  void deliver(const SignalInfo& info);
  bool should_stop() const;

  Kernel& m_kernel;
  const int m_tid;
  std::shared_ptr<ThreadGroup> m_group;
  std::shared_ptr<MemoryManager> m_mm;
  std::shared_ptr<FdTable> m_fds;
  std::shared_ptr<FsContext> m_fs;
  std::unique_ptr<platform::Vcpu> m_vcpu;
  std::string m_exe_path;
  std::atomic<bool> m_exited{false};
  int m_exit_code = 0;
  strace::CallState m_trace_call;
  std::atomic<SigSet> m_blocked{0};  // written by this thread only
  PendingSignals m_pending;          // guarded by the group's lock
  // Set (under the group's lock) when a signal this thread does not block
  // waits for it; cleared when it finds none.
  std::atomic<bool> m_signal_ready{false};
  std::optional<SigSet> m_saved_mask;  // rt_sigsuspend's mask from before
  std::atomic<SigSet> m_waited{0};     // rt_sigtimedwait's set (Linux's real_blocked)
  std::mutex m_sleep_lock;
  std::condition_variable m_sleep_cv;
  // An interrupted syscall (ERESTART* in its return register) waiting for
  // signal delivery to decide between EINTR and running it again.
  struct Restart {
    int64_t code = 0;  // -ERESTARTSYS, ...; 0: none
    uint64_t number = 0;
    uint64_t arg0 = 0;
  } m_restart;
  SignalStack m_signal_stack;
  FaultSignal m_last_fault;
};

}  // namespace moat::sentry
